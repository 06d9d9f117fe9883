"""Clustering: local clustering coefficients, their average, and transitivity.

Definitions (see ``DESIGN.md``): the local clustering of node *i* is
``C_i = 2 T_i / (k_i (k_i - 1))`` with ``T_i`` the triangles through *i*;
transitivity is ``3 * triangles / connected triples``.  Self-loops are
ignored (as networkx does).  Weighted graphs use Onnela et al.'s geometric
mean of normalised weights; directed graphs use Fagiolo's definition, which
reduces to the undirected one on a symmetric graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from analysis._adjacency import (
    adjacency,
    check_weight,
    index_arrays,
    is_symmetric,
    require_nodes,
    strip_diagonal,
    undirected_index_arrays,
    weights_of,
)
from analysis._triangles import triangles_per_node
from smallworld._validation import check_bool

__all__ = ["clustering", "average_clustering", "transitivity"]


def _parts(g: Any, weight: str | None, directed: bool | None, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator of every ``C_i`` (``C_i = num / den``, 0 where num == 0)."""
    weight = check_weight(weight)
    A = strip_diagonal(adjacency(g, directed))
    require_nodes(A, 1, what)
    weighted = weight is not None and A.dtype != bool
    use_directed = directed is True or (directed is None and not is_symmetric(A, weighted=weighted))
    if not use_directed and not weighted:
        indptr, indices = index_arrays(A)
        tri = triangles_per_node(indptr, indices)
        deg = np.diff(A.indptr).astype(np.float64)
        return 2.0 * tri, deg * (deg - 1.0)
    P = sp.csr_array((np.ones(A.nnz), A.indices, A.indptr), shape=A.shape)
    if weighted:
        W = weights_of(A, what)
        wmax = W.data.max() if W.nnz else 1.0
        W = sp.csr_array((np.cbrt(W.data / wmax), W.indices, W.indptr), shape=W.shape)
    else:
        W = P
    if not use_directed:
        num = np.asarray((W @ W).multiply(W).sum(axis=1)).ravel()
        deg = np.diff(A.indptr).astype(np.float64)
        return num, deg * (deg - 1.0)
    S = sp.csr_array(W + W.T)
    num = np.asarray((S @ S).multiply(S).sum(axis=1)).ravel()
    dtot = np.diff(A.indptr) + np.diff(sp.csc_array(A).indptr)
    dbi = np.asarray(P.multiply(P.T).sum(axis=1)).ravel()
    dtot = dtot.astype(np.float64)
    return num, 2.0 * (dtot * (dtot - 1.0) - 2.0 * dbi)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros(num.shape[0], dtype=np.float64)
    ok = num != 0
    out[ok] = num[ok] / den[ok]
    return out


def clustering(g: Any, *, weight: str | None = None, directed: bool | None = None) -> np.ndarray:
    """Local clustering coefficient of every node.

    Parameters
    ----------
    g : graph-like
        Anything :func:`smallworld.as_graph` accepts.
    weight : None or "weight"
        ``None`` uses the unweighted pattern.  ``"weight"`` uses the
        adjacency's values with Onnela et al.'s definition [1]_:
        ``C_i = sum_jk (w_ij w_jk w_ki)^(1/3) / (k_i (k_i - 1))`` with weights
        divided by the largest weight (as networkx).
    directed : bool or None
        ``None`` follows the graph: Fagiolo's directed clustering [2]_ when it
        is directed in the sense of :func:`smallworld.is_directed` (not
        symmetric, weights included) with ``weight="weight"``, or when its
        nonzero pattern is not symmetric with ``weight=None`` (reciprocal arcs
        that differ only in weight give the same unweighted value either
        way).  ``False`` symmetrises first (the larger weight of two
        reciprocal arcs), ``True`` always uses Fagiolo's definition
        (identical on a symmetric graph).

    Returns
    -------
    numpy.ndarray
        ``float64`` of shape ``(n,)``; nodes of degree < 2 (where ``C_i`` is
        undefined) and nodes in no triangle get 0, as in networkx.

    Raises
    ------
    ValueError
        For a graph without nodes, or negative weights with ``weight="weight"``.

    References
    ----------
    .. [1] J.-P. Onnela, J. Saramäki, J. Kertész and K. Kaski, "Intensity and
       coherence of motifs in weighted complex networks", Phys. Rev. E 71,
       065103 (2005), doi:10.1103/PhysRevE.71.065103.
    .. [2] G. Fagiolo, "Clustering in complex directed networks", Phys. Rev. E
       76, 026107 (2007), doi:10.1103/PhysRevE.76.026107.

    Examples
    --------
    >>> clustering([(0, 1), (1, 2), (2, 0), (2, 3)]).round(3).tolist()
    [1.0, 1.0, 0.333, 0.0]
    """
    num, den = _parts(g, weight, directed, "clustering")
    return _ratio(num, den)


def average_clustering(
    g: Any, *, weight: str | None = None, directed: bool | None = None, count_zeros: bool = True
) -> float:
    """Mean local clustering coefficient (Watts & Strogatz's ``C``).

    Parameters
    ----------
    g : graph-like
        Anything :func:`smallworld.as_graph` accepts.
    weight, directed
        As in :func:`clustering`.
    count_zeros : bool
        ``True`` (default, as networkx): nodes of degree < 2, whose ``C_i`` is
        undefined, count as 0.  ``False``: they are left out of the mean, like
        igraph's ``transitivity_avglocal_undirected(mode="nan")``.  Note that
        networkx's ``count_zeros=False`` also drops nodes of degree >= 2 that
        lie in no triangle; this function keeps those (their ``C_i = 0`` is
        defined).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For a graph without nodes, or with ``count_zeros=False`` when no node
        has a defined ``C_i`` (rather than returning NaN).

    References
    ----------
    .. [1] D. J. Watts and S. H. Strogatz, "Collective dynamics of
       'small-world' networks", Nature 393, 440-442 (1998), doi:10.1038/30918.

    Examples
    --------
    >>> g = [(0, 1), (1, 2), (2, 0), (2, 3)]
    >>> round(average_clustering(g), 4), round(average_clustering(g, count_zeros=False), 4)
    (0.5833, 0.7778)
    """
    count_zeros = check_bool(count_zeros, "count_zeros")
    num, den = _parts(g, weight, directed, "average_clustering")
    c = _ratio(num, den)
    if count_zeros:
        return float(c.mean())
    defined = den > 0
    if not defined.any():
        raise ValueError(
            "average_clustering with count_zeros=False is undefined: no node has degree >= 2; "
            "use count_zeros=True to count such nodes as 0"
        )
    return float(c[defined].mean())


def transitivity(g: Any) -> float:
    """Transitivity ``3 * triangles / connected triples`` of an undirected graph.

    Weights are ignored; self-loops are ignored.

    Parameters
    ----------
    g : graph-like
        Anything :func:`smallworld.as_graph` accepts.  The nonzero pattern is
        measured and must be symmetric (a weighted graph whose reciprocal
        arcs differ only in weight is measured as its undirected pattern).

    Returns
    -------
    float
        0.0 for a graph without connected triples (as networkx).

    Raises
    ------
    ValueError
        For a graph without nodes or a non-symmetric nonzero pattern.

    Examples
    --------
    >>> round(transitivity([(0, 1), (1, 2), (2, 0), (2, 3)]), 4)
    0.6
    """
    indptr, indices = undirected_index_arrays(g, "transitivity")
    return transitivity_arrays(indptr, indices)


def transitivity_arrays(indptr: np.ndarray, indices: np.ndarray) -> float:
    """Transitivity from raw symmetric, loop-free index arrays (no checks)."""
    tri = triangles_per_node(indptr, indices)
    deg = np.diff(indptr).astype(np.float64)
    triples = float((deg * (deg - 1.0)).sum())
    t = float(tri.sum())  # 3 * triangles
    return 0.0 if t == 0 else 2.0 * t / triples


def average_clustering_arrays(indptr: np.ndarray, indices: np.ndarray) -> float:
    """Average clustering (degree < 2 as 0) from raw symmetric, loop-free arrays."""
    tri = triangles_per_node(indptr, indices)
    deg = np.diff(indptr).astype(np.float64)
    return float(_ratio(2.0 * tri, deg * (deg - 1.0)).mean())
