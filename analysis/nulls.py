"""Null models: degree-preserving rewiring, latticization, a layer-preserving
null for layered/DAG graphs, and analytic random/lattice references.

All rewiring is bounded: at most ``max_tries`` swap attempts, so no call can
hang; a graph on which no swap is possible (fewer than 4 nodes or 2 edges,
complete, saturated layer pairs) is refused with a ValueError.  Weights are
dropped: every null is an unweighted graph.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from analysis._adjacency import index_arrays, is_symmetric, require_no_self_loops
from analysis._nullstate import pattern, run_undirected, swap_budget, undirected_state
from analysis._rewire import seed_state, swap_arcs
from smallworld._csr import csr_from_edges
from smallworld._validation import check_bool, check_int, check_random_state, check_real

__all__ = [
    "rewire_degree_preserving",
    "latticize",
    "rewire_layered",
    "AnalyticReference",
    "er_reference",
    "ring_lattice_reference",
]


def rewire_degree_preserving(
    g: Any,
    niter: int = 10,
    *,
    n_swaps: int | None = None,
    connected: bool = False,
    seed: Any = None,
    max_tries: int | None = None,
) -> sp.csr_array:
    """Randomise a graph by double-edge swaps, keeping every node's degree
    (Maslov & Sneppen 2002 [1]_).

    Undirected: ``(a, b), (c, d) -> (a, d), (c, b)``.  Directed: arc swaps
    ``a->b, c->d -> a->d, c->b`` that keep every in- and out-degree.  Swaps
    that would create a self-loop or a multi-edge are rejected.

    Parameters
    ----------
    g : graph-like
        Anything :func:`smallworld.as_graph` accepts; no self-loops.
    niter : int
        Swaps per edge (as networkx's ``random_reference``): the target is
        ``niter * m`` successful swaps.
    n_swaps : int, optional
        Absolute number of successful swaps (overrides ``niter``).
    connected : bool
        Keep an undirected graph connected: swaps are made in windows and a
        window that disconnects the graph is undone (the window doubles
        after a success and halves after a failure; networkx's
        ``connected_double_edge_swap`` grows it by one).  Not available for directed graphs.
    seed : None, int or numpy.random.Generator
        Randomness; the same seed gives the same graph.
    max_tries : int, optional
        Bound on swap attempts; default ``target * max(10, floor(2m/(n-1)))``
        (the second term is networkx's and BCT's per-swap attempt budget).

    Returns
    -------
    scipy.sparse.csr_array
        Unweighted (bool) adjacency with the same degree sequence.

    Raises
    ------
    ValueError
        Self-loops; fewer than 4 nodes or 2 edges; a complete graph; no swap
        possible within ``max_tries``; ``connected=True`` on a disconnected
        or directed graph.

    Warns
    -----
    RuntimeWarning
        If fewer than the target swaps succeeded within ``max_tries``.

    References
    ----------
    .. [1] S. Maslov and K. Sneppen, "Specificity and stability in topology
       of protein networks", Science 296, 910-913 (2002),
       doi:10.1126/science.1065103.

    Examples
    --------
    >>> import numpy as np
    >>> from smallworld import as_graph
    >>> ring = as_graph([(i, (i + 1) % 10) for i in range(10)] + [(i, (i + 2) % 10) for i in range(10)])
    >>> R = rewire_degree_preserving(ring, niter=5, seed=1)
    >>> bool((np.diff(R.indptr) == np.diff(ring.indptr)).all()), R.nnz == ring.nnz
    (True, True)
    """
    connected = check_bool(connected, "connected")
    A = pattern(g)
    rng = check_random_state(seed)
    if not is_symmetric(A):
        if connected:
            raise ValueError("connected=True is only available for undirected graphs; got a directed graph")
        return _rewire_arcs(A, np.zeros(A.shape[0], dtype=np.int64), niter, n_swaps, max_tries, rng, "rewiring")
    st = undirected_state(A, "rewire_degree_preserving")
    target, tries = swap_budget(niter, n_swaps, max_tries, st.n, st.m)
    run_undirected(st, target, tries, rng, lattice=False, connected=connected, what="rewire_degree_preserving")
    return st.to_csr()


def latticize(
    g: Any,
    niter: int = 5,
    *,
    connected: bool = False,
    seed: Any = None,
    max_tries: int | None = None,
) -> sp.csr_array:
    """Degree-preserving lattice reference (Sporns & Zwi 2004 [1]_; Rubinov
    & Sporns's BCT ``latmio_und``).

    Double-edge swaps are accepted only if they do not move edges away from
    the diagonal of the ring ordering of the nodes ``0..n-1``:
    ``D(a,b) + D(c,d) >= D(a,d) + D(c,b)`` with ``D(i,j) = min(|i-j|, n-|i-j|)``.
    (networkx's ``lattice_reference`` compares ``D(a,c) + D(b,d)`` instead of
    the two new edges, so it latticizes less.)  Stops after ``niter * m``
    accepted swaps or ``max_tries`` attempts, whichever comes first; on a
    graph that is already a lattice few swaps are accepted, which is expected.

    Parameters
    ----------
    g : graph-like
        Undirected, no self-loops.
    niter : int
        Accepted swaps per edge.
    connected : bool
        Keep the graph connected (windowed check, as in
        :func:`rewire_degree_preserving`).
    seed : None, int or numpy.random.Generator
        Randomness.
    max_tries : int, optional
        Bound on attempts; default ``niter * m * max(1, floor(2m/(n-1)))``.

    Returns
    -------
    scipy.sparse.csr_array
        Unweighted adjacency with the same degrees.

    Raises
    ------
    ValueError
        Directed input, self-loops, fewer than 4 nodes or 2 edges, a
        complete graph, or ``connected=True`` on a disconnected graph.

    References
    ----------
    .. [1] O. Sporns and J. D. Zwi, "The small world of the cerebral cortex",
       Neuroinformatics 2, 145-162 (2004), doi:10.1385/NI:2:2:145.
    .. [2] M. Rubinov and O. Sporns, "Complex network measures of brain
       connectivity: uses and interpretations", NeuroImage 52, 1059-1069
       (2010), doi:10.1016/j.neuroimage.2009.10.003.

    Examples
    --------
    >>> import networkx as nx
    >>> from analysis import average_clustering
    >>> G = nx.gnm_random_graph(60, 240, seed=1)
    >>> bool(average_clustering(latticize(G, niter=10, seed=1)) > 2 * average_clustering(G))
    True
    """
    connected = check_bool(connected, "connected")
    A = pattern(g)
    rng = check_random_state(seed)
    st = undirected_state(A, "latticize")
    target, tries = swap_budget(niter, None, max_tries, st.n, st.m, per_swap_min=1)
    run_undirected(st, target, tries, rng, lattice=True, connected=connected, what="latticize")
    return st.to_csr()


def rewire_layered(
    g: Any,
    layers: Any,
    niter: int = 10,
    *,
    seed: Any = None,
    max_tries: int | None = None,
) -> sp.csr_array:
    """Layer-preserving null for layered / feed-forward (DAG) graphs.

    Arcs are swapped only within a *layer pair*: ``a->b, c->d -> a->d, c->b``
    with ``layer(a) == layer(c)`` and ``layer(b) == layer(d)``.  Every neuron
    keeps its layer, its in-degree and its out-degree, and every pair of
    layers keeps its number of arcs (so a feed-forward net stays
    feed-forward).

    Parameters
    ----------
    g : graph-like
        A directed graph without self-loops (``A[i, j]`` = arc ``i -> j``).
    layers : array-like of int, shape (n,)
        Layer label of every node.
    niter : int
        Swaps per arc: the target is ``niter * (number of arcs)``.
    seed : None, int or numpy.random.Generator
        Randomness.
    max_tries : int, optional
        Bound on attempts; default ``10 * target``.

    Returns
    -------
    scipy.sparse.csr_array
        Unweighted directed adjacency.

    Raises
    ------
    TypeError
        If ``layers`` is not integer-valued.
    ValueError
        If ``layers`` has the wrong length, the graph is symmetric
        (undirected; use :func:`rewire_degree_preserving`) or has self-loops,
        or every layer pair is complete or has a single arc (nothing to swap).

    Examples
    --------
    >>> import numpy as np
    >>> layers = np.repeat([0, 1, 2], 4)
    >>> rng = np.random.default_rng(0)
    >>> A = np.zeros((12, 12), dtype=bool)
    >>> A[:4, 4:8] = rng.random((4, 4)) < 0.5
    >>> A[4:8, 8:] = rng.random((4, 4)) < 0.5
    >>> R = rewire_layered(A, layers, seed=0).toarray()
    >>> bool((R.sum(0) == A.sum(0)).all() and (R.sum(1) == A.sum(1)).all() and not R[:4, 8:].any())
    True
    """
    A = pattern(g)
    n = A.shape[0]
    lab = np.asarray(layers)
    if lab.dtype.kind not in "iub" and not (lab.dtype.kind == "f" and np.all(lab == np.round(lab))):
        raise TypeError(f"layers must be integer layer labels, got dtype {lab.dtype}")
    if lab.shape != (n,):
        raise ValueError(f"layers must have one label per node, shape ({n},), got shape {lab.shape}")
    if A.nnz and is_symmetric(A):
        raise ValueError(
            "rewire_layered needs a directed graph (A[i, j] = arc i -> j), got a symmetric one; "
            "use rewire_degree_preserving for undirected graphs"
        )
    rng = check_random_state(seed)
    return _rewire_arcs(A, lab.astype(np.int64), niter, None, max_tries, rng, "rewire_layered")


def _rewire_arcs(
    A: sp.csr_array, lab: np.ndarray, niter: Any, n_swaps: Any, max_tries: Any, rng: np.random.Generator, what: str
) -> sp.csr_array:
    require_no_self_loops(A, what)
    n = A.shape[0]
    indptr, indices = index_arrays(A)
    src = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    dst = indices.astype(np.int64)
    _, key = np.unique(lab[src] * (int(lab.max(initial=0)) + 1 - int(lab.min(initial=0))) + lab[dst], return_inverse=True)
    key = key.ravel().astype(np.int64)
    order = np.argsort(key, kind="stable")
    counts = np.bincount(key)
    class_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    arc_class = key[order]
    src, dst, pos = src[order], dst[order], order.astype(np.int64)
    # a class is swappable if it has 2+ arcs and is not a complete bipartite block
    sizes = np.bincount(lab - lab.min(initial=0)) if n else np.zeros(0, dtype=np.int64)
    first = class_start[:-1]
    ls, ld = lab[src[first]] - lab.min(initial=0), lab[dst[first]] - lab.min(initial=0)
    possible = sizes[ls] * sizes[ld] - np.where(ls == ld, sizes[ls], 0)
    ok = (counts >= 2) & (counts < possible)
    cand = np.flatnonzero(ok[arc_class]).astype(np.int64)
    if cand.size == 0:
        raise ValueError(
            f"{what}: no arc can be swapped: every layer pair has fewer than 2 arcs or is complete "
            "(the graph is too small or too dense for this null)"
        )
    target, tries = swap_budget(niter, n_swaps, max_tries, n, A.nnz)
    if max_tries is None:
        tries = 10 * target
    adj = indices.copy()
    done, _ = swap_arcs(indptr, adj, src, dst, pos, arc_class, class_start, cand, target, tries, seed_state(rng))
    if target and done < target:
        import warnings

        warnings.warn(
            f"{what}: only {done} of {target} swaps succeeded within max_tries={tries} attempts; "
            "the null may be under-randomised",
            RuntimeWarning,
            stacklevel=3,
        )
    return csr_from_edges(src, dst, n, symmetric=False)


@dataclass(frozen=True)
class AnalyticReference:
    """Analytic clustering and path length of a reference graph."""

    kind: str
    n: int
    k: float
    C: float
    L: float

    def to_dict(self) -> dict[str, Any]:
        """Plain ``dict`` of the fields."""
        return asdict(self)


def er_reference(n: int, k: float) -> AnalyticReference:
    """Erdős–Rényi reference: ``C = k/n`` and ``L = ln n / ln k``.

    Parameters
    ----------
    n : int
        Nodes (>= 2).
    k : float
        Mean degree, ``1 < k < n``.

    Returns
    -------
    AnalyticReference

    Raises
    ------
    TypeError
        If ``n`` is not an integer or ``k`` not a real number.
    ValueError
        If ``n < 2`` or ``k`` is outside ``(1, n)`` (``ln k`` must be
        positive); the message names the mean degree.

    Examples
    --------
    >>> r = er_reference(1000, 10)
    >>> r.C, round(r.L, 3)
    (0.01, 3.0)
    """
    n = check_int(n, "n", min_val=2)
    k = check_real(k, "k")
    if not 1 < k < n:
        raise ValueError(
            f"k must be > 1 and < n, got k={k:g}, n={n}: the analytic Erdős–Rényi reference "
            "(L = ln n / ln k) needs a mean degree k above 1"
        )
    return AnalyticReference("random", n, k, k / n, math.log(n) / math.log(k))


def ring_lattice_reference(n: int, k: float) -> AnalyticReference:
    """Ring-lattice reference: ``C = 3(k-2) / (4(k-1))`` and ``L = n / (2k)``.

    Parameters
    ----------
    n : int
        Nodes (>= 3).
    k : float
        Mean degree, ``2 <= k < n``.

    Returns
    -------
    AnalyticReference

    Raises
    ------
    TypeError
        If ``n`` is not an integer or ``k`` not a real number.
    ValueError
        If ``n < 3`` or ``k`` is outside ``[2, n)``: a ring lattice of mean
        degree below 2 is not connected (a tree-like graph has no lattice
        reference); the message names the mean degree.

    Examples
    --------
    >>> r = ring_lattice_reference(1000, 10)
    >>> round(r.C, 4), r.L
    (0.6667, 50.0)
    """
    n = check_int(n, "n", min_val=3)
    k = check_real(k, "k")
    if not 2 <= k < n:
        raise ValueError(
            f"k must be >= 2 and < n, got k={k:g}, n={n}: the analytic ring-lattice reference "
            "(C = 3(k-2)/(4(k-1)), L = n/(2k)) needs a mean degree k of at least 2 (below 2 a ring lattice "
            "is not connected)"
        )
    return AnalyticReference("lattice", n, k, 3 * (k - 2) / (4 * (k - 1)), n / (2 * k))
