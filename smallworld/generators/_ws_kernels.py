"""Compiled kernels behind the ring-lattice family (WS, NWS, WS-flex).

A "forward lattice" is described by one array ``fwd``: node ``i`` owns the
edges ``(i, i + j mod n)`` for ``j = 1 .. fwd[i]``.  The slot of that edge is
``i * jmax + (j - 1)`` in the ``alive`` flag array (node-major, so that a row
of the adjacency reads contiguous memory).  Rewiring removes lattice slots and
adds "extra" edges, kept in a small open-addressing hash set so that the
membership test ``has_edge(u, w)`` is O(1) without a hash of all ``n k / 2``
lattice edges: a lattice pair is recognised by its cyclic offset.

Randomness never comes from numba's own generator (that would be global
state): the callers draw every random number with a NumPy ``Generator`` and
pass them in.  Candidate endpoints are consumed from a buffer; if it runs dry
the kernel reports it and the caller reruns with a longer buffer (the prefix is
the same, so the result stays a deterministic function of the seed).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["rewire", "assemble_csr"]

_EMPTY = -1
_HASH_MUL = np.uint64(11400714819323198485)  # 2**64 / golden ratio


@numba.njit(cache=True, nogil=True)
def _slot(n, jmax, fwd, alive, a, b):  # pragma: no cover - compiled
    """Slot index of the lattice edge {a, b}, or -1 if it is not an alive lattice edge."""
    d = b - a
    if d < 0:
        d += n
    if 1 <= d <= fwd[a]:
        s = a * jmax + d - 1
        if alive[s]:
            return s
    d = n - d
    if 1 <= d <= fwd[b]:
        s = b * jmax + d - 1
        if alive[s]:
            return s
    return -1


@numba.njit(cache=True, nogil=True)
def _hash_find(table, bits, key):  # pragma: no cover - compiled
    """Position of ``key`` in ``table`` or of the empty slot where it would go."""
    mask = (1 << bits) - 1
    h = np.int64((np.uint64(key) * _HASH_MUL) >> np.uint64(64 - bits))
    while True:
        cur = table[h]
        if cur == key or cur == _EMPTY:
            return h
        h = (h + 1) & mask


@numba.njit(cache=True, nogil=True)
def rewire(n, jmax, fwd, positions, cand, keep_lattice):  # pragma: no cover - compiled
    """Rewire (``keep_lattice=False``, WS) or add shortcuts (``True``, NWS).

    Parameters
    ----------
    n, jmax : int
        Node count and the largest forward offset.
    fwd : int64[n]
        Forward lattice offsets per node.
    positions : int64[r]
        Sorted "process order" indices ``(j - 1) * n + i`` of the lattice
        edges chosen (each with probability p) for rewiring.
    cand : int64[c]
        Uniform random nodes in ``0..n-1``, consumed as candidate endpoints.
    keep_lattice : bool
        False: edge (i, i+j) is replaced by (i, w).  True: (i, w) is added.

    Returns
    -------
    alive : uint8[n * jmax]
    deg : int64[n]
        Degrees of the resulting graph.
    eu, ev : int64[r]
        Extra edges (first ``n_extra`` entries are valid).
    n_extra : int
    used : int
        Candidates consumed, or -1 if ``cand`` ran out.
    """
    alive = np.zeros(n * jmax, dtype=np.uint8)
    deg = fwd.copy()
    for i in range(n):
        f = fwd[i]
        for j in range(f):
            alive[i * jmax + j] = 1
        for j in range(1, f + 1):
            b = i + j
            if b >= n:
                b -= n
            deg[b] += 1
    r = positions.shape[0]
    eu = np.empty(r, dtype=np.int64)
    ev = np.empty(r, dtype=np.int64)
    bits = 4
    while (1 << bits) < 2 * r + 16:
        bits += 1
    table = np.full(1 << bits, _EMPTY, dtype=np.int64)
    n_extra = 0
    ci = 0
    nc = cand.shape[0]
    for t in range(r):
        pos = positions[t]
        j = pos // n + 1
        u = pos - (j - 1) * n
        if j > fwd[u]:
            continue  # not a lattice slot of this node (WS-flex)
        if deg[u] >= n - 1:
            continue  # u already linked to everyone: nowhere to rewire to
        while True:
            if ci >= nc:
                return alive, deg, eu, ev, n_extra, -1
            w = cand[ci]
            ci += 1
            if w == u:
                continue
            if _slot(n, jmax, fwd, alive, u, w) >= 0:
                continue
            key = min(u, w) * n + max(u, w)
            h = _hash_find(table, bits, key)
            if table[h] == key:
                continue
            table[h] = key
            break
        if not keep_lattice:
            alive[u * jmax + j - 1] = 0
            v = u + j
            if v >= n:
                v -= n
            deg[v] -= 1
        else:
            deg[u] += 1
        deg[w] += 1
        eu[n_extra] = u
        ev[n_extra] = w
        n_extra += 1
    return alive, deg, eu, ev, n_extra, ci


@numba.njit(cache=True, nogil=True)
def _insertion_sort(a, lo, hi):  # pragma: no cover - compiled
    for p in range(lo + 1, hi):
        key = a[p]
        q = p - 1
        while q >= lo and a[q] > key:
            a[q + 1] = a[q]
            q -= 1
        a[q + 1] = key


@numba.njit(cache=True, nogil=True)
def assemble_csr(n, jmax, fwd, alive, deg, eu, ev, n_extra, idx_dtype):  # pragma: no cover - compiled
    """Symmetric CSR (indptr, indices) of alive lattice edges plus extra edges.

    Each row is written as backward lattice neighbours, forward lattice
    neighbours, then extra neighbours: already sorted except at the wrap
    around 0 and for the few extras, so a per-row insertion sort is O(row).
    """
    # extras grouped by node (counting sort)
    xptr = np.zeros(n + 1, dtype=np.int64)
    for e in range(n_extra):
        xptr[eu[e] + 1] += 1
        xptr[ev[e] + 1] += 1
    for i in range(n):
        xptr[i + 1] += xptr[i]
    xs = np.empty(xptr[n], dtype=np.int64)
    fill = xptr[:-1].copy()
    for e in range(n_extra):
        a = eu[e]
        b = ev[e]
        xs[fill[a]] = b
        fill[a] += 1
        xs[fill[b]] = a
        fill[b] += 1
    indptr = np.zeros(n + 1, dtype=idx_dtype)
    for i in range(n):
        indptr[i + 1] = indptr[i] + deg[i]
    indices = np.empty(indptr[n], dtype=idx_dtype)
    for i in range(n):
        p = indptr[i]
        for j in range(jmax, 0, -1):
            a = i - j
            if a < 0:
                a += n
            if j <= fwd[a] and alive[a * jmax + j - 1]:
                indices[p] = a
                p += 1
        for j in range(1, fwd[i] + 1):
            if alive[i * jmax + j - 1]:
                b = i + j
                if b >= n:
                    b -= n
                indices[p] = b
                p += 1
        for q in range(xptr[i], xptr[i + 1]):
            indices[p] = xs[q]
            p += 1
        _insertion_sort(indices, indptr[i], indptr[i + 1])
    return indptr, indices
