"""Global and local efficiency (Latora & Marchiori 2001).

Global efficiency is the mean of ``1/d(i, j)`` over ordered pairs of
distinct nodes, with ``1/inf = 0``: it is defined for disconnected graphs.
Local efficiency is the mean, over nodes, of the global efficiency of the
subgraph induced by each node's neighbours.
"""

from __future__ import annotations

from typing import Any

from analysis._adjacency import (
    adjacency,
    check_weight,
    is_symmetric,
    require_nodes,
    strip_diagonal,
    undirected_index_arrays,
    weights_of,
)
from analysis._bfs import local_efficiency_kernel
from analysis._distances import distance_sums

__all__ = ["global_efficiency", "local_efficiency"]


def global_efficiency(g: Any, *, weight: str | None = None, directed: bool | None = None) -> float:
    """Global efficiency ``E = 1/(n(n-1)) * sum_{i != j} 1/d(i, j)``.

    Parameters
    ----------
    g : graph-like
        Anything :func:`smallworld.as_graph` accepts.  Self-loops are ignored.
    weight : None or "weight"
        ``None``: hop counts.  ``"weight"``: the adjacency's values are arc
        lengths (non-negative).
    directed : bool or None
        ``None`` follows the graph: directed in the sense of
        :func:`smallworld.is_directed` (not symmetric, weights included) when
        ``weight="weight"``; with ``weight=None`` only the nonzero pattern
        counts (reciprocal arcs that differ only in weight give the same hop
        counts either way).  ``False`` symmetrises (the larger weight of two
        reciprocal arcs), ``True`` follows arcs (networkx offers the
        undirected case only).

    Returns
    -------
    float
        In [0, 1] for hop counts; 0 for a graph without edges.

    Raises
    ------
    ValueError
        For fewer than 2 nodes (no pair) or negative weights.

    References
    ----------
    .. [1] V. Latora and M. Marchiori, "Efficient behavior of small-world
       networks", Phys. Rev. Lett. 87, 198701 (2001),
       doi:10.1103/PhysRevLett.87.198701.

    Examples
    --------
    >>> round(global_efficiency([(0, 1), (1, 2), (2, 3)]), 4)
    0.7222
    >>> global_efficiency([(0, 1), (2, 3)])  # disconnected: unreachable pairs add 0
    0.3333333333333333
    """
    weight = check_weight(weight)
    A = strip_diagonal(adjacency(g, directed))
    require_nodes(A, 2, "global_efficiency")
    weighted = weight is not None and A.dtype != bool
    use_directed = directed is True or (directed is None and not is_symmetric(A, weighted=weighted))
    if weighted:
        A = weights_of(A, "global_efficiency")
    n = A.shape[0]
    ds = distance_sums(A, directed=use_directed, weighted=weighted)
    return ds.sum_inv / (n * (n - 1))


def local_efficiency(g: Any) -> float:
    """Local efficiency: mean over nodes of the global efficiency of each
    node's neighbourhood (the node itself excluded); nodes with fewer than
    two neighbours contribute 0, as in networkx.

    Parameters
    ----------
    g : graph-like
        Anything :func:`smallworld.as_graph` accepts.  Weights are ignored, so
        the nonzero pattern is measured and must be symmetric (a weighted
        graph whose reciprocal arcs differ only in weight is measured as its
        undirected pattern).  Self-loops are ignored.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For a graph without nodes or a non-symmetric nonzero pattern.

    References
    ----------
    .. [1] V. Latora and M. Marchiori, "Efficient behavior of small-world
       networks", Phys. Rev. Lett. 87, 198701 (2001),
       doi:10.1103/PhysRevLett.87.198701.

    Examples
    --------
    >>> round(local_efficiency([(0, 1), (1, 2), (2, 0), (2, 3)]), 4)
    0.5833
    """
    indptr, indices = undirected_index_arrays(g, "local_efficiency")
    return float(local_efficiency_kernel(indptr, indices).mean())
