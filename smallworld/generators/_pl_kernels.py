"""Private helpers of the power-law generators: weights, degree sequences,
apportionment, and the compiled Chung–Lu and bipartite-fill kernels.

Random numbers come from the caller's :class:`numpy.random.Generator` (passed
into compiled code, which numba supports), so results are reproducible from the
seed.  Compiled integer draws use ``int(rng.random() * k)`` (one 53-bit double;
bias below 2**-21 for ``k < 2**32``), which is much cheaper than
``rng.integers`` inside numba.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__: list[str] = []  # private module


# ---------------------------------------------------------------- Chung–Lu ---


def _weight_sum(n: int, i0: float, alpha: float) -> float:
    """``sum_{i=0}^{n-1} (i + i0) ** -alpha`` for ``0 < alpha < 1``: the first
    terms exactly, the tail by Euler–Maclaurin (relative error < 1e-12)."""
    head = min(n, 2000)
    s = float(np.sum((np.arange(head, dtype=np.float64) + i0) ** -alpha))
    if n > head:
        a, b = head + i0, n - 1 + i0

        def f(x: float) -> float:
            return x**-alpha

        def df(x: float) -> float:
            return -alpha * x ** (-alpha - 1)

        integral = (b ** (1 - alpha) - a ** (1 - alpha)) / (1 - alpha)
        s += integral + (f(a) + f(b)) / 2 + (df(b) - df(a)) / 12
    return s


def chung_lu_weights(n: int, gamma: float, mean_degree: float, max_degree: float) -> np.ndarray:
    """Expected degrees ``w_i = c (i + i0) ** (-1 / (gamma - 1))``, decreasing in ``i``.

    ``c`` makes the mean exactly ``mean_degree``; ``i0`` is found by bisection
    so that ``w_0 == max_degree`` (the form of Chung & Lu 2002, with the offset
    solved exactly instead of by its continuum approximation).
    """
    alpha = 1.0 / (gamma - 1.0)
    target = max_degree / mean_degree  # w_0 / mean(w), decreasing in i0

    def ratio(i0: float) -> float:
        return i0**-alpha / (_weight_sum(n, i0, alpha) / n)

    lo, hi = -30.0, math.log(1e15)  # bisection on log(i0)
    if ratio(math.exp(lo)) <= target:  # cannot reach that maximum: steepest allowed
        hi = lo
    for _ in range(200):
        if hi - lo < 1e-13:
            break
        mid = 0.5 * (lo + hi)
        if ratio(math.exp(mid)) > target:
            lo = mid
        else:
            hi = mid
    i0 = math.exp(0.5 * (lo + hi))
    w = (np.arange(n, dtype=np.float64) + i0) ** -alpha
    w *= n * mean_degree / w.sum()
    return w


@numba.njit(cache=True, nogil=True)
def chung_lu_kernel(w, rng):  # pragma: no cover - compiled
    """Miller–Hagberg skipping over pairs ``u < v`` of weights sorted in
    decreasing order; edge ``{u, v}`` with probability ``min(1, w_u w_v / S)``.

    Expected O(n + E).  Returns the repeated-endpoint array ``ends``.
    """
    n = w.shape[0]
    total = 0.0
    for i in range(n):
        total += w[i]
    cap = int(0.5 * total * 1.1) + 64
    ends = np.empty(2 * cap, dtype=np.int64)
    e = 0
    for u in range(n - 1):
        v = u + 1
        p = min(w[u] * w[v] / total, 1.0)
        while v < n and p > 0.0:
            if p < 1.0:
                r = 1.0 - rng.random()  # in (0, 1]
                skip = math.floor(math.log(r) / math.log1p(-p))
                if skip >= n - v:
                    break
                v += int(skip)
            q = min(w[u] * w[v] / total, 1.0)
            if rng.random() < q / p:
                if e == cap:
                    grown = np.empty(4 * cap, dtype=np.int64)
                    grown[: 2 * e] = ends[: 2 * e]
                    ends = grown
                    cap *= 2
                ends[2 * e] = u
                ends[2 * e + 1] = v
                e += 1
            p = q
            v += 1
    return ends[: 2 * e]


# ------------------------------------------------------ degree sequences ---


def discrete_power_law(size: int, gamma: float, k_min: int, k_max: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` draws from ``P(k) ~ k ** -gamma`` on the integers ``k_min..k_max``
    (inverse-CDF sampling on the exact, normalised table)."""
    k = np.arange(k_min, k_max + 1, dtype=np.float64)
    cdf = np.cumsum(k**-gamma)
    cdf /= cdf[-1]
    idx = np.searchsorted(cdf, rng.random(size), side="right")
    return (np.minimum(idx, k.shape[0] - 1) + k_min).astype(np.int64)


def apportion(weights: np.ndarray, total: int, lo: int, hi: int) -> np.ndarray:
    """Integers ``d_i`` in ``[lo, hi]`` with ``sum(d) == total`` and ``d_i - lo``
    proportional to ``weights`` where not capped at ``hi`` (water filling), the
    remainder going to the largest fractional parts.  Requires
    ``len(weights) * lo <= total <= len(weights) * hi``."""
    n = weights.shape[0]
    rest = total - n * lo
    span = hi - lo
    if rest == 0 or span == 0:
        return np.full(n, lo, dtype=np.int64)
    order = np.argsort(-weights, kind="stable")
    ws = weights[order]
    suffix = np.concatenate([np.cumsum(ws[::-1])[::-1], [0.0]])  # suffix[k] = sum ws[k:]
    ks = np.arange(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = (rest - ks * span) / suffix[:-1]
        ok = (ws * scale <= span) & (scale >= 0)
    k = int(np.argmax(ok)) if ok.any() else n  # fewest capped entries that work
    t = np.full(n, float(span))
    if k < n:
        t[k:] = np.minimum(ws[k:] * scale[k], span)
    base = np.floor(t).astype(np.int64)
    short = rest - int(base.sum())
    if short > 0:
        frac = t - base
        frac[base >= span] = -1.0
        give = np.argsort(-frac, kind="stable")[:short]
        base[give] += 1
    out = np.empty(n, dtype=np.int64)
    out[order] = base + lo
    return out


# ------------------------------------------------------------- bipartite ---


@numba.njit(cache=True, nogil=True)
def fill_rows(row_deg, n_cols, pre_indptr, pre_cols, rng):  # pragma: no cover - compiled
    """Fill each row ``i`` with ``row_deg[i]`` distinct columns of ``0..n_cols-1``.

    ``pre_cols[pre_indptr[i]:pre_indptr[i+1]]`` are columns already placed in
    row ``i`` (distinct); the rest are uniform among the remaining columns:
    by rejection for sparse rows, by a partial Fisher–Yates shuffle of the
    free columns for dense rows.  Returns sorted CSR ``(indptr, indices)``.
    """
    n_rows = row_deg.shape[0]
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    for i in range(n_rows):
        indptr[i + 1] = indptr[i] + row_deg[i]
    indices = np.empty(indptr[n_rows], dtype=np.int32)
    stamp = np.full(n_cols, -1, dtype=np.int64)
    free = np.empty(n_cols, dtype=np.int64)
    for i in range(n_rows):
        a = indptr[i]
        pos = a
        for k in range(pre_indptr[i], pre_indptr[i + 1]):
            c = pre_cols[k]
            stamp[c] = i
            indices[pos] = c
            pos += 1
        need = row_deg[i] - (pos - a)
        n_free = n_cols - (pos - a)
        if need * 2 <= n_free:
            for _ in range(need):
                while True:
                    c = int(rng.random() * n_cols)
                    if stamp[c] != i:
                        break
                stamp[c] = i
                indices[pos] = c
                pos += 1
        else:
            f = 0
            for c in range(n_cols):
                if stamp[c] != i:
                    free[f] = c
                    f += 1
            for k in range(need):
                j = k + int(rng.random() * (f - k))
                tmp = free[k]
                free[k] = free[j]
                free[j] = tmp
                indices[pos] = free[k]
                pos += 1
        indices[a:pos].sort()
    return indptr, indices
