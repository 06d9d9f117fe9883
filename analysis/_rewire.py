"""Numba kernels for edge-swap null models.

Degrees never change under a double-edge swap, so every node's neighbour
list keeps its length: the kernels rewrite a copy of the CSR ``indices`` in
place, and each edge remembers the two slots that hold it, which makes a
swap (and its undo) O(1) plus two membership scans.  Random numbers come
from a private xoshiro256** stream seeded from the caller's
:class:`numpy.random.Generator` (no global state is touched).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["seed_state", "swap_undirected", "swap_arcs", "is_connected_arrays"]


def seed_state(rng: np.random.Generator) -> np.ndarray:
    """Four non-zero ``uint64`` words for the kernels' generator."""
    s = rng.integers(1, 2**63, size=4, dtype=np.uint64)
    return np.ascontiguousarray(s)


@numba.njit(cache=True, nogil=True, inline="always")
def _rotl(x, k):  # pragma: no cover - compiled
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@numba.njit(cache=True, nogil=True)
def _next(s):  # pragma: no cover - compiled
    result = _rotl(s[1] * np.uint64(5), 7) * np.uint64(9)
    t = s[1] << np.uint64(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return result


@numba.njit(cache=True, nogil=True)
def _below(s, m):  # pragma: no cover - compiled
    """Uniform integer in [0, m) for m < 2**32 (multiply-shift)."""
    return np.int64(((_next(s) >> np.uint64(32)) * np.uint64(m)) >> np.uint64(32))


@numba.njit(cache=True, nogil=True)
def _has(indptr, adj, x, y):  # pragma: no cover - compiled
    if indptr[x + 1] - indptr[x] > indptr[y + 1] - indptr[y]:
        x, y = y, x
    for p in range(indptr[x], indptr[x + 1]):
        if adj[p] == y:
            return True
    return False


@numba.njit(cache=True, nogil=True)
def is_connected_arrays(indptr, adj):  # pragma: no cover - compiled
    """Connectivity of an undirected graph given by (unsorted) CSR arrays."""
    n = indptr.shape[0] - 1
    if n == 0:
        return False
    seen = np.zeros(n, dtype=np.bool_)
    queue = np.empty(n, dtype=np.int64)
    seen[0] = True
    queue[0] = 0
    head = 0
    tail = 1
    while head < tail:
        u = queue[head]
        head += 1
        for p in range(indptr[u], indptr[u + 1]):
            v = adj[p]
            if not seen[v]:
                seen[v] = True
                queue[tail] = v
                tail += 1
    return tail == n


@numba.njit(cache=True, nogil=True)
def _ring(i, j, n):  # pragma: no cover - compiled
    d = abs(i - j)
    return min(d, n - d)


@numba.njit(cache=True, nogil=True)
def swap_undirected(indptr, adj, eu, ev, pu, pv, n_target, max_tries, state, lattice, connected):  # pragma: no cover
    """Maslov-Sneppen double-edge swaps ``(a,b),(c,d) -> (a,d),(c,b)``.

    Edge *e* joins ``eu[e]`` and ``ev[e]``; ``adj[pu[e]] == ev[e]`` (in row
    ``eu[e]``) and ``adj[pv[e]] == eu[e]``.  With ``lattice`` a swap is kept
    only if it does not move edges away from the diagonal of the ring
    ordering 0..n-1 (Sporns & Zwi 2004; BCT's ``latmio_und``).  With
    ``connected`` swaps are made in windows; after each window the graph is
    checked and the whole window undone if it disconnected (the window
    doubles on success and halves on failure).
    Returns ``(successful swaps, attempts)``.
    """
    n = indptr.shape[0] - 1
    m = eu.shape[0]
    cap = min(n_target, m) + 1
    log = np.empty((cap if connected else 1, 10), dtype=np.int64)
    succ = 0
    tries = 0
    window = 1
    while succ < n_target and tries < max_tries:
        goal = n_target - succ
        if connected:
            goal = min(goal, window, cap)
        done = 0
        while done < goal and tries < max_tries:
            tries += 1
            r = _next(state)
            e1 = np.int64(((r >> np.uint64(32)) * np.uint64(m)) >> np.uint64(32))
            e2 = np.int64(((r & np.uint64(0xFFFFFFFF)) * np.uint64(m)) >> np.uint64(32))
            if e1 == e2:
                continue
            r = _next(state)
            if r & np.uint64(1):
                a, b, qa, qb = eu[e1], ev[e1], pu[e1], pv[e1]
            else:
                a, b, qa, qb = ev[e1], eu[e1], pv[e1], pu[e1]
            if r & np.uint64(2):
                c, d, qc, qd = eu[e2], ev[e2], pu[e2], pv[e2]
            else:
                c, d, qc, qd = ev[e2], eu[e2], pv[e2], pu[e2]
            if a == c or a == d or b == c or b == d:
                continue
            if lattice and _ring(a, b, n) + _ring(c, d, n) < _ring(a, d, n) + _ring(c, b, n):
                continue
            if _has(indptr, adj, a, d) or _has(indptr, adj, c, b):
                continue
            if connected:
                log[done, 0] = e1
                log[done, 1] = e2
                log[done, 2] = eu[e1]
                log[done, 3] = ev[e1]
                log[done, 4] = pu[e1]
                log[done, 5] = pv[e1]
                log[done, 6] = eu[e2]
                log[done, 7] = ev[e2]
                log[done, 8] = pu[e2]
                log[done, 9] = pv[e2]
            # slot qa (row a) held b, qb (row b) held a, qc (row c) held d, qd (row d) held c
            adj[qa] = d
            adj[qd] = a
            adj[qc] = b
            adj[qb] = c
            eu[e1], ev[e1], pu[e1], pv[e1] = a, d, qa, qd
            eu[e2], ev[e2], pu[e2], pv[e2] = c, b, qc, qb
            done += 1
        if connected and done > 0:
            if is_connected_arrays(indptr, adj):
                succ += done
                window = min(2 * window, cap)
            else:
                for i in range(done - 1, -1, -1):
                    e1 = log[i, 0]
                    e2 = log[i, 1]
                    eu[e1], ev[e1], pu[e1], pv[e1] = log[i, 2], log[i, 3], log[i, 4], log[i, 5]
                    eu[e2], ev[e2], pu[e2], pv[e2] = log[i, 6], log[i, 7], log[i, 8], log[i, 9]
                    adj[pu[e1]] = ev[e1]
                    adj[pv[e1]] = eu[e1]
                    adj[pu[e2]] = ev[e2]
                    adj[pv[e2]] = eu[e2]
                window = max(1, (window + 1) // 2)
        else:
            succ += done
    return succ, tries


@numba.njit(cache=True, nogil=True)
def swap_arcs(indptr, adj, src, dst, pos, arc_class, class_start, cand, n_target, max_tries, state):  # pragma: no cover
    """Directed swaps ``(a->b),(c->d) -> (a->d),(c->b)`` between arcs of the
    same class (same source layer and same target layer): out-degrees,
    in-degrees and classes are preserved.  ``cand`` lists arcs whose class
    has at least two arcs.  Returns ``(successful swaps, attempts)``."""
    nc = cand.shape[0]
    succ = 0
    tries = 0
    while succ < n_target and tries < max_tries:
        tries += 1
        e1 = cand[_below(state, nc)]
        k = arc_class[e1]
        lo = class_start[k]
        e2 = lo + _below(state, class_start[k + 1] - lo)
        if e1 == e2:
            continue
        a, b, c, d = src[e1], dst[e1], src[e2], dst[e2]
        if a == c or b == d or a == d or c == b:
            continue
        # out-row scan (the rows are arcs a->*, so test membership in a's row)
        found = False
        for p in range(indptr[a], indptr[a + 1]):
            if adj[p] == d:
                found = True
                break
        if found:
            continue
        for p in range(indptr[c], indptr[c + 1]):
            if adj[p] == b:
                found = True
                break
        if found:
            continue
        adj[pos[e1]] = d
        adj[pos[e2]] = b
        dst[e1] = d
        dst[e2] = b
        succ += 1
    return succ, tries
