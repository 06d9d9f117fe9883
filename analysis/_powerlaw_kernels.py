"""Numba kernels behind :func:`analysis.fit_power_law` (private).

Everything here works on a *histogram* of the data: sorted unique values
``u`` (float64) with their counts ``c`` (int64), which is all the likelihood
and the KS distance depend on.

- :func:`hurwitz` / :func:`hurwitz3`: the Hurwitz zeta function
  ``zeta(s, q) = sum_{k>=0} (q + k)^-s`` and its first two derivatives in
  ``s`` by Euler-Maclaurin summation (direct terms until ``q + N`` is large,
  then the integral, half-term and Bernoulli corrections).  Agrees with
  ``scipy.special.zeta`` to ~1e-15 relative (tested).
- :func:`mle_alpha_discrete`: the exact discrete MLE of ``alpha`` for a tail
  with ``n`` points and ``sum(log x) = sl`` above ``xmin``: the root of
  ``E_alpha[log X] = sl / n`` by safeguarded Newton (the log-likelihood is
  concave in ``alpha``: it is an exponential family in ``alpha``).
- :func:`scan_xmin`: fits ``alpha`` at every candidate ``xmin`` and returns
  the one with the smallest KS distance, pruning a candidate as soon as its
  running distance exceeds the best so far (exact: the pruning never changes
  the result).
- :func:`sample_hist`: one semi-parametric bootstrap data set as a histogram.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

__all__ = ["hurwitz", "hurwitz3", "mle_alpha_discrete", "scan_xmin", "sample_hist", "ALPHA_MAX"]

#: Upper bound of the alpha search; a fit that reaches it is reported as such.
ALPHA_MAX = 50.0
ALPHA_MIN = 1.0 + 1e-9

# B_{2j} / (2j)! for j = 1..9
_BERN = np.array(
    [
        1.0 / 6.0 / 2.0,
        -1.0 / 30.0 / 24.0,
        1.0 / 42.0 / 720.0,
        -1.0 / 30.0 / 40320.0,
        5.0 / 66.0 / 3628800.0,
        -691.0 / 2730.0 / 479001600.0,
        7.0 / 6.0 / 87178291200.0,
        -3617.0 / 510.0 / 20922789888000.0,
        43867.0 / 798.0 / 6402373705728000.0,
    ]
)


@nb.njit(cache=True, nogil=True)
def _shift(s: float, q: float) -> int:
    # number of direct terms so that a = q + N is large enough for the
    # asymptotic tail to converge to double precision
    target = max(12.0, s + 10.0)
    if q >= target:
        return 0
    return int(math.ceil(target - q))


@nb.njit(cache=True, nogil=True)
def hurwitz(s_in: float, q_in: float) -> float:
    """zeta(s, q) for s > 1, q > 0."""
    s = 1.0 * s_in
    q = 1.0 * q_in
    n = _shift(s, q)
    z = 0.0
    for k in range(n):
        z += (q + k) ** (-s)
    a = q + n
    a1s = a ** (1.0 - s)  # a^(1-s)
    z += a1s / (s - 1.0) + 0.5 * a1s / a
    # Bernoulli terms: B_{2j}/(2j)! * s(s+1)...(s+2j-2) * a^(-s-2j+1)
    inv_a2 = 1.0 / (a * a)
    t = a1s / a * s / a  # j=1: s * a^(-s-1)
    for j in range(_BERN.shape[0]):
        z += _BERN[j] * t
        t *= (s + 2 * j + 1) * (s + 2 * j + 2) * inv_a2
    return z


@nb.njit(cache=True, nogil=True)
def hurwitz3(s_in: float, q_in: float):
    """(zeta, d zeta/ds, d^2 zeta/ds^2) at (s, q) for s > 1, q > 0."""
    s = 1.0 * s_in
    q = 1.0 * q_in
    n = _shift(s, q)
    z = 0.0
    d1 = 0.0
    d2 = 0.0
    for k in range(n):
        lx = math.log(q + k)
        t = math.exp(-s * lx)
        z += t
        d1 -= lx * t
        d2 += lx * lx * t
    a = q + n
    la = math.log(a)
    a1s = math.exp((1.0 - s) * la)
    sm1 = s - 1.0
    z += a1s / sm1
    d1 += a1s * (-la / sm1 - 1.0 / (sm1 * sm1))
    d2 += a1s * (la * la / sm1 + 2.0 * la / (sm1 * sm1) + 2.0 / (sm1 * sm1 * sm1))
    h = 0.5 * a1s / a
    z += h
    d1 -= la * h
    d2 += la * la * h
    # C_j = B_j * P_j(s) * a^(-s-2j+1), P_j(s) = prod_{i=0}^{2j-2} (s + i)
    inv_a2 = 1.0 / (a * a)
    pw = a1s / a / a  # a^(-s-1)
    p = s
    dp = 1.0  # P'
    ddp = 0.0  # P''
    for j in range(_BERN.shape[0]):
        b = _BERN[j] * pw
        z += b * p
        d1 += b * (dp - la * p)
        d2 += b * (ddp - 2.0 * la * dp + la * la * p)
        # multiply P by (s + 2j + 1)(s + 2j + 2)
        for i in (2 * j + 1, 2 * j + 2):
            f = s + i
            ddp = ddp * f + 2.0 * dp
            dp = dp * f + p
            p = p * f
        pw *= inv_a2
    return z, d1, d2


@nb.njit(cache=True, nogil=True)
def mle_alpha_discrete(n: float, sl: float, xmin: float):
    """Exact discrete MLE of alpha and the tail's Var(log X) at the MLE.

    Solves E_alpha[log X | X >= xmin] = sl / n (E decreases in alpha).
    Returns (alpha, var_log).  alpha = ALPHA_MAX means the likelihood still
    increased at the bound.
    """
    m = sl / n
    lo = ALPHA_MIN
    hi = ALPHA_MAX
    d = m - math.log(xmin - 0.5)
    a = 1.0 + 1.0 / d if d > 0.0 else 2.0
    if not (lo < a < hi):
        a = 2.0
    var = 0.0
    for _ in range(200):
        z, d1, d2 = hurwitz3(a, xmin)
        e = -d1 / z  # E[log X]
        var = d2 / z - e * e
        g = e - m  # decreasing in a
        if g > 0.0:
            lo = a
        else:
            hi = a
        step = g / var if var > 0.0 else 0.0
        a_new = a + step
        if not (lo < a_new < hi) or var <= 0.0:
            a_new = 0.5 * (lo + hi)
        if abs(a_new - a) <= 1e-13 * a or hi - lo <= 1e-13 * a:
            a = a_new
            break
        a = a_new
    if a > ALPHA_MAX:
        a = ALPHA_MAX
    return a, var


@nb.njit(cache=True, nogil=True)
def _ks_discrete(u, c, j, ntail, alpha, best):
    """KS distance of the discrete power-law fit at xmin = u[j] (early exit)."""
    xmin = u[j]
    z0 = hurwitz(alpha, xmin)
    inv = 1.0 / z0
    d = 0.0
    rem = ntail  # empirical count of X >= u[k]
    geq = 1.0  # model P(X >= u[k])
    K = u.shape[0]
    for k in range(j, K):
        x = u[k]
        if k > j:
            gap = x - u[k - 1]
            if gap == 1.0:
                pass  # geq already equals the previous "greater than"
            else:
                geq = hurwitz(alpha, x) * inv
        e_geq = rem / ntail
        rem -= c[k]
        e_gt = rem / ntail
        gt = geq - x ** (-alpha) * inv
        v = max(abs(geq - e_geq), abs(gt - e_gt))
        if v > d:
            d = v
            if d >= best:
                return d
        if e_gt < d and gt < d:
            break
        geq = gt
    return d


@nb.njit(cache=True, nogil=True)
def _dev_continuous(logu, tail_n, k, j, nt, alpha, mode):
    """KS deviation of the continuous fit at xmin = u[j], at data value u[k] (k >= j).

    ``S(u) = (u / xmin)^(1 - alpha)`` against the empirical tail fractions
    ``P_n(X >= u_k)`` and ``P_n(X > u_k)`` (two-sided, ``mode == 0``), or
    against ``P_n(X >= u_k)`` and ``P_n(X > u_k) + 1/n`` (``mode == 1``:
    Clauset's ``plfit.m``, which compares the model CDF with ``(i-1)/n`` at
    the i-th sorted point, the left side of each step only).
    Returns (deviation, S(u_k), the lower empirical fraction).
    """
    s = math.exp((1.0 - alpha) * (logu[k] - logu[j]))
    e_geq = tail_n[k] / nt
    e_gt = tail_n[k + 1] / nt
    if mode == 1:
        e_gt += 1.0 / nt
    return max(abs(s - e_geq), abs(s - e_gt)), s, e_gt


@nb.njit(cache=True, nogil=True)
def _ks_continuous(logu, tail_n, j, nt, alpha, best, hint, mode):
    """KS distance of the continuous fit at xmin = u[j], or a value > best once it exceeds best.

    Returns (d, k) with k the index where the distance was seen to exceed
    ``best`` (-1 if it did not).  Before the full pass it probes the index
    ``hint`` (where the previous candidate was cut off) and 32 evenly spaced
    tail indices: a candidate far from the best is usually rejected there in a
    handful of operations instead of a pass over its whole tail.  Exact: a
    candidate is rejected only on a deviation above ``best``.
    """
    K = logu.shape[0]
    if hint >= j and hint < K:
        v = _dev_continuous(logu, tail_n, hint, j, nt, alpha, mode)[0]
        if v > best:
            return v, hint
    step = (K - j) // 32
    if step > 1:
        for k in range(j, K, step):
            v = _dev_continuous(logu, tail_n, k, j, nt, alpha, mode)[0]
            if v > best:
                return v, k
    d = 0.0
    for k in range(j, K):
        v, s, e_gt = _dev_continuous(logu, tail_n, k, j, nt, alpha, mode)
        if v > d:
            d = v
            if d > best:
                return d, k
        if e_gt < d and s < d:
            break
    return d, -1


@nb.njit(cache=True, nogil=True)
def _scan_continuous(u, c, j_lo, j_hi, mode):
    """scan_xmin for continuous data: exact, with pruning (see :func:`_ks_continuous`).

    A first pass over every 64th candidate finds a good distance to prune
    against; the second pass visits every candidate.  A candidate replaces the
    best on a smaller distance, or on an equal one at a smaller index, so the
    result is the first minimiser, as an exhaustive scan in index order finds.
    """
    K = u.shape[0]
    logu = np.log(u)
    tail_n = np.zeros(K + 1)
    tail_l = np.zeros(K + 1)
    for k in range(K - 1, -1, -1):
        tail_n[k] = tail_n[k + 1] + c[k]
        tail_l[k] = tail_l[k + 1] + c[k] * logu[k]
    best = np.inf
    jb = -1
    ab = np.nan
    hint = -1
    stride = max(1, (j_hi - j_lo) // 64)
    for sweep in range(2):
        if sweep == 1 and stride == 1:
            break
        step = stride if sweep == 0 else 1
        for j in range(j_lo, j_hi, step):
            nt = tail_n[j]
            denom = tail_l[j] - nt * logu[j]
            if denom <= 0.0:
                continue
            alpha = 1.0 + nt / denom
            d, kx = _ks_continuous(logu, tail_n, j, nt, alpha, best, hint, mode)
            if kx >= 0:
                hint = kx
            if d < best or (d == best and j < jb):
                best = d
                jb = j
                ab = alpha
    vb = 1.0 / ((ab - 1.0) * (ab - 1.0)) if jb >= 0 else np.nan
    return jb, ab, best, vb


@nb.njit(cache=True, nogil=True)
def scan_xmin(u, c, discrete, j_lo, j_hi, mode=0):
    """Best xmin among candidates u[j_lo:j_hi] by KS distance.

    ``mode`` (continuous data only): 0 the two-sided KS distance, 1 Clauset's
    one-sided variant (see :func:`_dev_continuous`).
    Returns (j_best, alpha, ks, var_log); j_best = -1 if no candidate.
    """
    if not discrete:
        return _scan_continuous(u, c, j_lo, j_hi, mode)
    K = u.shape[0]
    # suffix sums of counts and of counts * log(u)
    tail_n = np.zeros(K + 1)
    tail_l = np.zeros(K + 1)
    for k in range(K - 1, -1, -1):
        tail_n[k] = tail_n[k + 1] + c[k]
        tail_l[k] = tail_l[k + 1] + c[k] * math.log(u[k])
    best = np.inf
    jb = -1
    ab = np.nan
    vb = np.nan
    for j in range(j_lo, j_hi):
        nt = tail_n[j]
        alpha, var = mle_alpha_discrete(nt, tail_l[j], u[j])
        d = _ks_discrete(u, c, j, nt, alpha, best)
        if d < best:
            best = d
            jb = j
            ab = alpha
            vb = var
    return jb, ab, best, vb


@nb.njit(cache=True, nogil=True)
def _invert_tail(alpha, xmin, z0, v):
    """Smallest integer x >= xmin with P(X > x) <= v (bisection on zeta)."""
    lo = xmin  # P(X > lo - 1) = 1 > v
    hi = xmin + 1.0
    while hurwitz(alpha, hi + 1.0) / z0 > v:
        lo = hi
        hi = 2.0 * hi
        if hi > 1e300:
            return hi
    # invariant: P(X > lo - 1) > v >= P(X > hi)
    while hi - lo > 0.5:
        mid = math.floor(0.5 * (lo + hi))
        if mid <= lo:
            break
        if hurwitz(alpha, mid + 1.0) / z0 > v:
            lo = mid
        else:
            hi = mid
    if hurwitz(alpha, lo + 1.0) / z0 <= v:
        return lo
    return hi


@nb.njit(cache=True, nogil=True)
def sample_hist(body_u, body_cat, n_body, cdf, guide, alpha, xmin, z0, u_body, u_tail):
    """One bootstrap data set as a histogram (values, counts).

    ``n_body`` draws pick uniformly among the observed points below xmin
    (``body_cat[i]`` is the index in ``body_u`` of observed point ``i``)
    using the uniforms ``u_body``; the tail draws invert the discrete
    power-law CDF table ``cdf`` (``P(X <= xmin + i)``) through the guide
    table, and beyond the table by bisection on zeta.
    """
    nb_ = body_u.shape[0]
    cb = np.zeros(nb_, dtype=np.int64)
    total_body = body_cat.shape[0]
    for i in range(n_body):
        cb[body_cat[int(u_body[i] * total_body)]] += 1
    T = cdf.shape[0]
    G = guide.shape[0]
    ct = np.zeros(T, dtype=np.int64)
    extra = np.empty(u_tail.shape[0])
    ne = 0
    top = cdf[T - 1]
    for i in range(u_tail.shape[0]):
        v = u_tail[i]
        if v < top:
            k = guide[int(v * G)]
            while cdf[k] <= v:
                k += 1
            ct[k] += 1
        else:
            extra[ne] = _invert_tail(alpha, xmin, z0, 1.0 - v)
            ne += 1
    ex = np.sort(extra[:ne])
    # assemble the histogram
    size = 0
    for k in range(nb_):
        if cb[k] > 0:
            size += 1
    for k in range(T):
        if ct[k] > 0:
            size += 1
    size += ne
    vals = np.empty(size)
    cnts = np.empty(size, dtype=np.int64)
    p = 0
    for k in range(nb_):
        if cb[k] > 0:
            vals[p] = body_u[k]
            cnts[p] = cb[k]
            p += 1
    for k in range(T):
        if ct[k] > 0:
            vals[p] = xmin + k
            cnts[p] = ct[k]
            p += 1
    i = 0
    while i < ne:
        j = i
        while j < ne and ex[j] == ex[i]:
            j += 1
        vals[p] = ex[i]
        cnts[p] = j - i
        p += 1
        i = j
    return vals[:p], cnts[:p]


@nb.njit(cache=True, nogil=True)
def cdf_table(alpha, xmin, z0, T):
    """P(X <= xmin + i) for i < T, accumulated from the pmf."""
    out = np.empty(T)
    acc = 0.0
    for i in range(T):
        acc += (xmin + i) ** (-alpha)
        out[i] = acc / z0
    return out


@nb.njit(cache=True, nogil=True)
def guide_table(cdf, G):
    """guide[g] = first index i with cdf[i] > g / G (Chen-Asau indexed search)."""
    out = np.empty(G, dtype=np.int64)
    T = cdf.shape[0]
    i = 0
    for g in range(G):
        t = g / G
        while i < T - 1 and cdf[i] <= t:
            i += 1
        out[g] = i
    return out
