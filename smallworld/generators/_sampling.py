"""Vectorised sampling helpers shared by the random-graph generators.

All functions take a :class:`numpy.random.Generator` and are deterministic
functions of its state; none uses a Python loop per edge.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import scipy.sparse as sp

__all__ = ["bernoulli_positions", "sample_distinct", "pair_from_index", "csr_from_pair_indices"]


def bernoulli_positions(rng: np.random.Generator, total: int, p: float) -> np.ndarray:
    """Sorted positions of the successes among ``total`` Bernoulli(p) trials.

    Uses geometric skipping (Batagelj & Brandes 2005) when p is small, so the
    cost is O(total * p) instead of O(total).
    """
    if total <= 0 or p <= 0.0:
        return np.empty(0, dtype=np.int64)
    if p >= 1.0:
        return np.arange(total, dtype=np.int64)
    if p > 0.2:
        return np.flatnonzero(rng.random(total) < p).astype(np.int64, copy=False)
    expected = total * p
    size = int(expected + 6.0 * math.sqrt(expected) + 16)
    chunks = []
    last = -1
    while True:
        # gaps saturate at 2**63 - 1 for tiny p: clip them so the cumulative sum cannot overflow
        gaps = np.minimum(rng.geometric(p, size=size), total + 1)
        pos = last + np.cumsum(gaps, dtype=np.int64)
        if pos[-1] >= total:
            chunks.append(pos[pos < total])
            break
        chunks.append(pos)
        last = int(pos[-1])
    return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)


def sample_distinct(rng: np.random.Generator, N: int, m: int) -> np.ndarray:
    """A uniformly random m-subset of ``0..N-1``, sorted (int64).

    Sparse case (m much less than N): Bernoulli trials at a rate a little above
    m / N by geometric skipping (already sorted), then a uniformly random
    surplus removed; a draw that falls short is redrawn.  Given its size, a
    Bernoulli sample is a uniform subset, so the result is exactly uniform.
    Dense case: :meth:`numpy.random.Generator.choice` without replacement.
    """
    if m <= 0:
        return np.empty(0, dtype=np.int64)
    if m >= N:
        return np.arange(N, dtype=np.int64)
    rate = (m + 4.0 * math.sqrt(m) + 16.0) / N
    if rate <= 0.1:
        while True:
            pos = bernoulli_positions(rng, N, rate)
            if pos.shape[0] >= m:
                break
        surplus = pos.shape[0] - m
        if surplus:
            keep = np.ones(pos.shape[0], dtype=bool)
            keep[rng.choice(pos.shape[0], size=surplus, replace=False)] = False
            pos = pos[keep]
        return pos
    out = rng.choice(N, size=m, replace=False, shuffle=False).astype(np.int64, copy=False)
    out.sort()
    return out


def pair_from_index(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map linear indices of the strict lower triangle to pairs (i, j), i > j.

    Index ``t = i (i - 1) / 2 + j`` enumerates all pairs of ``n`` nodes as t
    runs over ``0 .. n (n - 1) / 2 - 1``, for every n.  Valid for ``t < 2**61``
    (n up to about 2e9).
    """
    t = np.asarray(t, dtype=np.int64)
    i = ((1.0 + np.sqrt(1.0 + 8.0 * t.astype(np.float64))) / 2.0).astype(np.int64)
    # correct the float estimate (off by one at most below 2**53; a few steps beyond)
    for _ in range(64):
        too_big = i * (i - 1) // 2 > t
        too_small = (i + 1) * i // 2 <= t
        if not (too_big.any() or too_small.any()):
            break
        i += too_small.astype(np.int64) - too_big.astype(np.int64)
    j = t - i * (i - 1) // 2
    return i, j


@numba.njit(cache=True, nogil=True)
def _pair_indices_to_csr(t, n, idx_dtype):  # pragma: no cover - compiled
    m = t.shape[0]
    ii = np.empty(m, dtype=np.int64)
    jj = np.empty(m, dtype=np.int64)
    lower = np.zeros(n, dtype=np.int64)
    indptr = np.zeros(n + 1, dtype=idx_dtype)
    for e in range(m):
        te = t[e]
        i = np.int64((1.0 + math.sqrt(1.0 + 8.0 * te)) / 2.0)
        while i * (i - 1) // 2 > te:
            i -= 1
        while (i + 1) * i // 2 <= te:
            i += 1
        j = te - i * (i - 1) // 2
        ii[e] = i
        jj[e] = j
        lower[i] += 1
        indptr[i + 1] += 1
        indptr[j + 1] += 1
    for r in range(n):
        indptr[r + 1] += indptr[r]
    fill_lo = np.empty(n, dtype=np.int64)
    fill_up = np.empty(n, dtype=np.int64)
    for r in range(n):
        fill_lo[r] = indptr[r]
        fill_up[r] = indptr[r] + lower[r]
    indices = np.empty(2 * m, dtype=idx_dtype)
    for e in range(m):
        i = ii[e]
        j = jj[e]
        indices[fill_lo[i]] = j  # row i, column j < i
        fill_lo[i] += 1
        indices[fill_up[j]] = i  # row j, column i > j
        fill_up[j] += 1
    return indptr, indices


def csr_from_pair_indices(t: np.ndarray, n: int) -> sp.csr_array:
    """Canonical symmetric CSR from *sorted, distinct* lower-triangle pair indices.

    Sorted indices enumerate pairs (i, j), i > j, row by row, so row r of the
    adjacency is the run of pairs with i = r (columns j < r, increasing)
    followed by the pairs with j = r in index order (columns i > r,
    increasing): every row is written sorted in one pass, no sort needed.
    """
    t = np.ascontiguousarray(t, dtype=np.int64)
    idx_dtype = np.int32 if max(n, 2 * t.shape[0]) < 2**31 - 1 else np.int64
    indptr, indices = _pair_indices_to_csr(t, int(n), idx_dtype)
    A = sp.csr_array((np.ones(indices.shape[0], dtype=bool), indices, indptr), shape=(n, n))
    A.has_canonical_format = True
    return A
