"""Numba triangle counting for undirected, unweighted graphs.

Rows need not be sorted (the rewiring kernels hand over their working
arrays directly) but must be symmetric and free of self-loops.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["triangles_per_node"]


@numba.njit(cache=True, nogil=True)
def triangles_per_node(indptr, indices):  # pragma: no cover - compiled
    """Triangles through each node (int64 array), by the forward algorithm:
    orient every edge from lower to higher (degree, id) rank, count each
    triangle once from its lowest-ranked corner and credit all three nodes."""
    n = indptr.shape[0] - 1
    deg = np.empty(n, dtype=np.int64)
    for i in range(n):
        deg[i] = indptr[i + 1] - indptr[i]
    # rank by (degree, id) with a counting sort
    maxd = 0
    for i in range(n):
        if deg[i] > maxd:
            maxd = deg[i]
    start = np.zeros(maxd + 2, dtype=np.int64)
    for i in range(n):
        start[deg[i] + 1] += 1
    for d in range(maxd + 1):
        start[d + 1] += start[d]
    rank = np.empty(n, dtype=np.int64)
    for i in range(n):
        rank[i] = start[deg[i]]
        start[deg[i]] += 1
    # oriented adjacency: neighbours of higher rank only
    optr = np.zeros(n + 1, dtype=np.int64)
    oidx = np.empty(indices.shape[0], dtype=indices.dtype)
    q = 0
    for u in range(n):
        ru = rank[u]
        for p in range(indptr[u], indptr[u + 1]):
            v = indices[p]
            if rank[v] > ru:
                oidx[q] = v
                q += 1
        optr[u + 1] = q
    # branch-free inner loop: mark is 0/1 and is added unconditionally
    tri = np.zeros(n, dtype=np.int64)
    mark = np.zeros(n, dtype=np.int64)
    for u in range(n):
        a = optr[u]
        b = optr[u + 1]
        for p in range(a, b):
            mark[oidx[p]] = 1
        tu = 0
        for p in range(a, b):
            v = oidx[p]
            tv = 0
            for r in range(optr[v], optr[v + 1]):
                w = oidx[r]
                x = mark[w]
                tv += x
                tri[w] += x
            tri[v] += tv
            tu += tv
        tri[u] += tu
        for p in range(a, b):
            mark[oidx[p]] = 0
    return tri
