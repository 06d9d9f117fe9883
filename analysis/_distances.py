"""Private distance-sum engine shared by path length and efficiency.

Unweighted graphs go through the bit-parallel BFS of :mod:`analysis._bfs`;
weighted graphs through ``scipy.sparse.csgraph.dijkstra`` in blocks of
sources, so that no ``n x n`` matrix is ever held.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from analysis._adjacency import index_arrays
from analysis._bfs import bfs_sums

__all__ = ["DistanceSums", "distance_sums", "in_arrays"]

#: Sources per Dijkstra block (a block holds ``_BLOCK * n`` float64).
_BLOCK = 256


@dataclass
class DistanceSums:
    """Sums over ordered pairs (source, target), source != target."""

    sum_d: float
    sum_inv: float
    reach: int
    per_source_sum: np.ndarray | None = None
    per_source_reach: np.ndarray | None = None


def in_arrays(A: sp.csr_array, directed: bool) -> tuple[np.ndarray, np.ndarray]:
    """In-neighbour lists (the transpose for a directed graph)."""
    return index_arrays(sp.csr_array(A.T) if directed else A)


def _words(n_sources: int) -> int:
    return int(max(1, min(4, -(-n_sources // 64))))


def distance_sums(
    A: sp.csr_array,
    *,
    directed: bool,
    weighted: bool,
    sources: np.ndarray | None = None,
    per_source: bool = False,
) -> DistanceSums:
    """Distance sums from ``sources`` (all nodes if None); A has no self-loops."""
    n = A.shape[0]
    src = np.arange(n, dtype=np.int64) if sources is None else np.ascontiguousarray(sources, dtype=np.int64)
    if not weighted:
        ip, ix = in_arrays(A, directed)
        sd, si, r, ps, pr = bfs_sums(ip, ix, src, _words(src.shape[0]), per_source)
        return DistanceSums(float(sd), float(si), int(r), ps if per_source else None, pr if per_source else None)
    sum_d = 0.0
    sum_inv = 0.0
    reach = 0
    ps = np.zeros(src.shape[0]) if per_source else None
    pr = np.zeros(src.shape[0], dtype=np.int64) if per_source else None
    for start in range(0, src.shape[0], _BLOCK):
        block = src[start : start + _BLOCK]
        D = dijkstra(A, directed=directed, indices=block)
        D[np.arange(block.shape[0]), block] = np.inf
        ok = np.isfinite(D)
        Dok = np.where(ok, D, 0.0)
        sum_d += float(Dok.sum())
        with np.errstate(divide="ignore"):
            sum_inv += float(np.where(ok & (D > 0), 1.0 / np.where(ok, D, 1.0), 0.0).sum())
        reach += int(ok.sum())
        if per_source:
            ps[start : start + block.shape[0]] = Dok.sum(axis=1)
            pr[start : start + block.shape[0]] = ok.sum(axis=1)
    return DistanceSums(sum_d, sum_inv, reach, ps, pr)
