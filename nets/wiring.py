"""Graphs wired into networks: layer masks and feed-forward DAG wirings.

Three ways to turn a graph into a network's connectivity:

- :func:`layered_masks` — one bipartite ``(n_out, n_in)`` mask per layer of an
  MLP, drawn from the generators of :mod:`smallworld`;
- :func:`relational_masks` — the relational-graph view of You et al. (2020)
  [1]_: an ``n``-node graph sets the block mask of every square ``n x n`` layer
  (node ``j`` of layer ``l`` talks to node ``i`` of layer ``l+1`` when ``j -> i``
  is an arc or ``i == j``);
- :func:`dag_wiring` — any graph over ``N`` neurons, oriented by a node order,
  becomes a feed-forward network whose neuron graph *is* that graph
  (:class:`nets.WiredNet` runs it).

A mask's entry ``mask[i, j]`` connects input ``j`` to output ``i`` (the
layout of ``torch.nn.Linear.weight``); a graph's arc ``u -> v``
(``A[u, v] != 0``) therefore appears as ``mask[v, u]``.

References
----------
.. [1] J. You, J. Leskovec, K. He and S. Xie, "Graph Structure of Neural
   Networks", ICML 2020. doi:10.48550/arXiv.2007.06559
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

import smallworld as sw
from smallworld._validation import SeedLike, check_bool, check_choice, check_int, check_random_state, check_real

__all__ = ["LAYER_GRAPHS", "layered_masks", "relational_masks", "DAGWiring", "dag_wiring"]

#: Graph families accepted by :func:`layered_masks`.
LAYER_GRAPHS = ("dense", "er", "powerlaw_in", "powerlaw_out", "ws", "ws_flex", "ba", "hk", "ke")

_SQUARE = ("ws", "ws_flex", "ba", "hk", "ke")

#: Fixed model parameters of the clustered scale-free square layers.
HK_P_TRIAD = 0.5
KE_MU = 0.1
#: Densest non-square layer a BA/HK wiring draws (a square BA/HK layer tops out near 0.5 as well).
GROWTH_MAX_DENSITY = 0.5


def _square_graph(graph: str, n: int, density: float, p: float, rng: np.random.Generator) -> sp.csr_array:
    """An undirected n-node graph whose adjacency plus self-loops has ~density * n^2 entries."""
    k = density * n - 1.0  # mean degree without the self-loop
    k_min = 2.0  # WS needs an even k >= 2; WS-flex k >= 2; the growth models m = k/2 >= 1
    k_eff = k if graph == "ws_flex" else 2 * round(k / 2)
    if (k_min + 1) / n > 1:
        raise ValueError(
            f"a square layer of width {n} is too narrow for graph={graph!r} at any density (its mean degree "
            f"must be at least {k_min:g}, so the width at least {int(k_min) + 1}); use wider layers or graph='er'"
        )
    if k_eff < k_min:
        raise ValueError(
            f"density={density} is too small for graph={graph!r} on a square layer of width {n}: it gives mean "
            f"degree k = density*n - 1 = {k:.2f}, below the family's minimum {k_min:g} (the mask would come out "
            f"denser than asked); use density >= {(k_min + 1) / n:.3g} or graph='er'"
        )
    if graph == "ws":
        ke = int(min(k_eff, n - 1 - (n - 1) % 2))
        if ke < 2 or ke >= n:
            raise ValueError(f"graph='ws' needs a layer width n >= 3 for an even degree 2 <= k < n, got n={n}")
        return sw.watts_strogatz(n, ke, p, seed=rng)
    if graph == "ws_flex":
        return sw.ws_flex(n, float(min(k, n - 1)), p, seed=rng)
    if n < 2:
        raise ValueError(f"graph={graph!r} needs a layer width n >= 2, got n={n}")
    m = _growth_m(graph, n, k, density)
    if graph == "hk":
        return sw.holme_kim(n, m, HK_P_TRIAD, seed=rng)
    if graph == "ke":
        return sw.klemm_eguiluz(n, m, KE_MU, seed=rng)
    return sw.barabasi_albert(n, m, seed=rng)


def _growth_m(graph: str, n: int, k: float, density: float) -> int:
    """The ``m`` whose exact edge count gives the mean degree closest to ``k``.

    Each of the ``n - m`` new nodes adds ``m`` edges: BA and HK have
    ``m (n - m)`` edges (at most ``n^2 / 4``: mask density about 0.5), KE
    ``m (m - 1) / 2 + m (n - m)`` (its seed is a complete graph).  A density the
    family cannot come within 10% (or one edge per node) of is refused rather
    than silently delivered lower.
    """
    ms = np.arange(1, n, dtype=np.int64)
    edges = ms * (n - ms) if graph in ("ba", "hk") else ms * (ms - 1) // 2 + ms * (n - ms)
    deg = 2.0 * edges / n
    i = int(np.argmin(np.abs(deg - k)))
    if abs(deg[i] - k) > max(1.0, 0.1 * k):
        j = int(np.argmax(deg))
        d_max = (deg[j] + 1.0) / n
        raise ValueError(
            f"density={density} is too large for graph={graph!r} on a square layer of width {n}: its densest "
            f"mask (m = {int(ms[j])}) has density {d_max:.3g}; use density <= {d_max:.3g}, or graph='ke', 'ws', "
            "'ws_flex' or 'er' for denser layers"
        )
    return int(ms[i])


def layered_masks(
    sizes: Sequence[int],
    graph: str = "er",
    density: float = 0.25,
    *,
    p: float = 0.1,
    gamma: float = 2.5,
    sparse_output: bool = False,
    seed: SeedLike = None,
) -> list[sp.csr_array]:
    """One random mask per layer of an MLP with widths ``sizes``.

    The graph wires the hidden layers; the output (last) layer is dense
    unless ``sparse_output=True``, as in ``smallworld train`` (which has
    ``--sparse-output``): with a sparse readout each class sees only
    ``density x width`` units, which starves the local rules (on digits,
    [64, 64, 64, 10] WS at density 0.25 with predsim reaches 54.7% with a
    sparse readout and 93.3% with a dense one).

    Parameters
    ----------
    sizes : sequence of int
        Widths ``[n_0, n_1, ..., n_L]`` (at least two, each >= 1); mask ``l``
        has shape ``(sizes[l + 1], sizes[l])``.
    graph : {"dense", "er", "powerlaw_in", "powerlaw_out", "ws", "ws_flex", "ba", "hk", "ke"}
        ``"dense"``: all-True masks.  ``"er"``, ``"powerlaw_in"``,
        ``"powerlaw_out"``: :func:`smallworld.bipartite` at exactly ``density``
        (uniform, power-law fan-in, power-law fan-out), with no empty row or
        column whenever the density allows one entry per row and column.
        ``"ws"``, ``"ws_flex"``, ``"ba"``, ``"hk"``, ``"ke"``: between two
        layers of equal width ``n`` the mask is a fresh Watts-Strogatz /
        WS-flex / Barabasi-Albert / Holme-Kim (``p_triad = HK_P_TRIAD``) /
        Klemm-Eguiluz (``mu = KE_MU``) graph on ``n`` nodes plus self-loops
        (neuron ``i`` feeds ``i``), with mean degree ``k ~ density * n - 1``
        (WS rounds to an even ``k``; the growth models use the ``m`` whose exact
        edge count comes closest to ``k``: ``m (n - m)`` edges for BA and HK,
        which therefore stop at density ~0.5 and refuse more), so the mask
        density is close to ``density``; a layer whose widths differ
        falls back to the bipartite variant that resembles the family
        (``"er"`` for WS, ``"powerlaw_in"`` for the scale-free families).
    density : float
        Fraction of connections in ``(0, 1]`` (ignored for ``"dense"``).
    p : float
        Rewiring probability for ``"ws"``/``"ws_flex"``.
    gamma : float
        Power-law exponent for the power-law variants.
    sparse_output : bool
        Wire the last layer with the graph as well (default ``False``: an
        all-True mask).  The hidden masks are the same either way (the dense
        output layer draws nothing from ``seed``).
    seed : None, int or numpy.random.Generator
        One generator threads through all layers; same seed, same masks.

    Returns
    -------
    list of scipy.sparse.csr_array
        Boolean masks, one per layer.

    Raises
    ------
    TypeError, ValueError
        For bad sizes, an unknown graph, a density outside ``(0, 1]``, or one
        too small (or, for ``"ba"``/``"hk"``, too large) for a square layer.

    Examples
    --------
    >>> masks = layered_masks([64, 64, 10], "ws", 0.25, seed=0)
    >>> [m.shape for m in masks]
    [(64, 64), (10, 64)]
    >>> bool(masks[0].diagonal().all())  # self-loops on square layers
    True
    >>> masks[1].nnz, layered_masks([64, 64, 10], "ws", 0.25, sparse_output=True, seed=0)[1].nnz  # dense readout
    (640, 160)
    """
    sizes = _check_sizes(sizes)
    check_choice(graph, "graph", LAYER_GRAPHS)
    density = check_real(density, "density", min_val=0, max_val=1, include_min=False)
    p = check_real(p, "p", min_val=0, max_val=1)
    sparse_output = check_bool(sparse_output, "sparse_output")
    rng = check_random_state(seed)
    masks = []
    last = len(sizes) - 2
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if graph == "dense" or (i == last and not sparse_output):
            masks.append(sp.csr_array(np.ones((n_out, n_in), dtype=bool)))
        elif graph in _SQUARE and n_in == n_out:
            A = _square_graph(graph, n_in, density, p, rng)
            masks.append(_with_self_loops(A).T.tocsr())
        else:
            if graph in ("ba", "hk") and density > GROWTH_MAX_DENSITY:
                # One rule for the family, square layer or not: a BA/HK graph has at most m (n - m) <= n^2/4
                # edges (density about 0.5), and a bipartite layer drawn with its heavy-tailed in-degrees
                # needs the same room for hubs; above it the degrees are capped and the mask is no longer
                # the family's.
                raise ValueError(
                    f"density={density} is too large for graph={graph!r}: its layers hold at most about half their "
                    f"slots (a square layer's densest mask, m = n/2, has density ~0.5; its {n_out}x{n_in} layer is held "
                    f"to the same cap so the in-degrees keep their heavy tail); use density <= {GROWTH_MAX_DENSITY:g}, "
                    "or graph='ke', 'ws', 'ws_flex' or 'er' for denser layers"
                )
            degree = graph if graph in ("er", "powerlaw_in", "powerlaw_out") else ("powerlaw_in" if graph in ("ba", "hk", "ke") else "er")
            k = round(density * n_in * n_out)
            min_deg = 1 if k >= max(n_in, n_out) else 0
            masks.append(sw.bipartite(n_in, n_out, density, degree=degree, gamma=gamma, min_degree=min_deg, seed=rng))
    for m in masks:
        m.sort_indices()
    return masks


def relational_masks(graph: Any, n_layers: int, *, self_loops: bool = True) -> list[sp.csr_array]:
    """Block masks of ``n_layers`` square layers from one ``n``-node graph (You et al. 2020).

    Neuron ``j`` of a layer feeds neuron ``i`` of the next when the graph has
    the arc ``j -> i`` (an undirected edge goes both ways) or, with
    ``self_loops``, when ``i == j``.  Every layer gets the same mask.

    Parameters
    ----------
    graph : graph-like
        Anything :func:`smallworld.as_graph` accepts.
    n_layers : int
        Number of square layers (>= 1).
    self_loops : bool
        Add the diagonal (each node keeps its own message), as in [1]_.

    Returns
    -------
    list of scipy.sparse.csr_array
        ``n_layers`` boolean ``(n, n)`` masks, ``mask[i, j] = A[j, i] or i == j``.

    References
    ----------
    .. [1] J. You, J. Leskovec, K. He and S. Xie, "Graph Structure of Neural
       Networks", ICML 2020. doi:10.48550/arXiv.2007.06559

    Examples
    --------
    >>> import networkx as nx
    >>> m = relational_masks(nx.cycle_graph(4), 2)
    >>> len(m), m[0].nnz  # 4 edges both ways + 4 self-loops
    (2, 12)
    """
    A = sw.as_graph(graph)
    n_layers = check_int(n_layers, "n_layers", min_val=1)
    check_bool(self_loops, "self_loops")
    M = (_with_self_loops(A) if self_loops else A.astype(bool)).T.tocsr()
    M.sort_indices()
    return [M.copy() for _ in range(n_layers)]


@dataclass(frozen=True, eq=False)
class DAGWiring:
    """A graph oriented into a feed-forward network (built by :func:`dag_wiring`).

    Compared by identity (``==`` is ``is``): the generated field-wise ``==``
    raised on the arrays.

    Attributes
    ----------
    adjacency : scipy.sparse.csr_array
        ``(N, N)`` bool, the oriented arcs ``u -> v`` (pre -> post).
    order : numpy.ndarray
        The node order used (a permutation of ``0..N-1``; arcs go from earlier
        to later).
    levels : numpy.ndarray
        ``(N,)`` topological level: 0 for neurons without incoming arcs, else
        1 + the largest level of their predecessors.
    level_nodes : list of numpy.ndarray
        Neuron ids of each level (level 0 first).
    sources : list of numpy.ndarray
        For each level ``l >= 1`` (index ``l - 1``), the ids of the neurons
        feeding it (the columns of its mask), sorted.
    masks : list of scipy.sparse.csr_array
        For each level ``l >= 1``, the ``(len(level_nodes[l]), len(sources[l-1]))``
        mask: ``mask[r, c]`` iff ``sources[l-1][c] -> level_nodes[l][r]``.
    inputs, outputs : numpy.ndarray
        Ids of the input and output neurons.
    layers : numpy.ndarray or None
        ``(N,)`` layer index of each neuron for wirings built layer by layer
        (:func:`nets.layered_smallworld`: 0 for the inputs, ``len(sizes) - 1``
        for the outputs); ``None`` for a graph oriented by :func:`dag_wiring`.
        :class:`nets.WiredNet` uses it as the default blocks of local learning.
    """

    adjacency: sp.csr_array
    order: np.ndarray
    levels: np.ndarray
    level_nodes: list
    sources: list
    masks: list
    inputs: np.ndarray
    outputs: np.ndarray
    layers: np.ndarray | None = None

    @property
    def n_neurons(self) -> int:
        return int(self.adjacency.shape[0])

    @property
    def depth(self) -> int:
        """Number of computed levels (masked layers run in sequence)."""
        return len(self.masks)


def dag_wiring(
    graph: Any,
    order: Any = None,
    *,
    inputs: Any = None,
    outputs: Any = None,
    seed: SeedLike = None,
) -> DAGWiring:
    """Orient a graph into a feed-forward network whose neuron graph is that graph.

    Each neuron ``v`` computes ``z_v = sum_{u -> v} W_uv h_u + b_v`` (plus the
    external value ``x_v`` when ``v`` is an input), ``h_v = act(z_v)``.  An
    input neuron without incoming arcs just carries its external value
    (``h_v = x_v``); a non-input neuron without incoming arcs carries 0.  The
    network's outputs are the ``z`` of the output neurons.  Neurons are grouped
    into topological levels, and each level runs as one masked layer over the
    activations of the neurons that feed it, so the depth is the longest path
    of the oriented graph: choose the order to control it (``"random"`` or
    ``"degree"`` orders are usually far shallower than the id order of a ring
    lattice, whose depth grows like ``n / k``).

    Parameters
    ----------
    graph : graph-like
        Anything :func:`smallworld.as_graph` accepts, over ``N`` neurons.  An
        undirected graph is oriented by ``order``; a directed one keeps its
        arcs, which must then form a DAG (and agree with ``order`` if given).
    order : None, "random", "degree" or sequence of int
        Node order (arcs go from earlier to later): ``None`` node ids
        ``0..N-1`` (for a directed graph: a topological order), ``"random"`` a
        random permutation (``seed``), ``"degree"`` by decreasing degree (ties
        by id; hubs early), or an explicit permutation of ``0..N-1``.
    inputs, outputs : None, int or sequence of int
        Input and output neurons.  ``None``: the sources (no incoming arc) /
        the sinks (no outgoing arc); an int ``k``: the first / last ``k``
        neurons of the order; or explicit ids (distinct, in ``0..N-1``; their
        order is the order of the network's input features and outputs).
    seed : None, int or numpy.random.Generator
        For ``order="random"``.

    Returns
    -------
    DAGWiring

    Raises
    ------
    ValueError
        For a directed graph with a cycle or an arc against ``order``, a bad
        ``order`` (not a permutation), bad ``inputs``/``outputs``.

    Examples
    --------
    >>> import networkx as nx
    >>> w = dag_wiring(nx.cycle_graph(4), inputs=1, outputs=1)
    >>> w.levels.tolist(), w.inputs.tolist(), w.outputs.tolist()
    ([0, 1, 2, 3], [0], [3])
    >>> int(w.adjacency.nnz)  # 4 edges, each one arc
    4
    """
    A = sw.as_graph(graph)
    n = A.shape[0]
    if n == 0:
        raise ValueError("graph has no nodes; a wiring needs at least one neuron")
    directed = sw.is_directed(A)
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(A.indptr))
    cols = A.indices.astype(np.int64)
    if np.any(rows == cols):
        raise ValueError("graph has self-loops; a feed-forward wiring cannot have a neuron feed itself")
    rank = _order_rank(order, A, directed, rows, cols, seed)
    if directed:
        back = rank[rows] > rank[cols]
        if np.any(back):
            u, v = int(rows[back][0]), int(cols[back][0])
            raise ValueError(f"the directed graph's arc {u} -> {v} goes against order; arcs must go from earlier to later")
        src, dst = rows, cols
    else:
        fwd = rank[rows] < rank[cols]
        src, dst = rows[fwd], cols[fwd]
    D = sp.csr_array((np.ones(src.size, dtype=bool), (src, dst)), shape=(n, n))
    D.sort_indices()
    levels = _levels(D)
    order_arr = np.argsort(rank, kind="stable")
    indeg = np.bincount(dst, minlength=n)
    outdeg = np.bincount(src, minlength=n)
    ins = _pick(inputs, "inputs", n, order_arr, np.flatnonzero(indeg == 0), first=True)
    outs = _pick(outputs, "outputs", n, order_arr, np.flatnonzero(outdeg == 0), first=False)
    depth = int(levels.max()) if n else 0
    level_nodes = [np.flatnonzero(levels == lv) for lv in range(depth + 1)]
    Dt = D.T.tocsr()  # row v lists the predecessors of v
    sources, masks = [], []
    for lv in range(1, depth + 1):
        nodes = level_nodes[lv]
        block = Dt[nodes]
        src_ids = np.unique(block.indices).astype(np.int64)
        M = sp.csr_array(block[:, src_ids], dtype=bool)
        M.sort_indices()
        sources.append(src_ids)
        masks.append(M)
    return DAGWiring(D, order_arr, levels, level_nodes, sources, masks, ins, outs)


# ----------------------------------------------------------------- helpers


def _check_sizes(sizes: Any) -> list[int]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise TypeError(f"sizes must be a sequence of ints, got {type(sizes).__name__}")
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least two layer widths (input and output), got sizes={list(sizes)!r}")
    return [check_int(s, f"sizes[{i}]", min_val=1) for i, s in enumerate(sizes)]


def _with_self_loops(A: sp.csr_array) -> sp.csr_array:
    n = A.shape[0]
    return sp.csr_array((A.astype(bool) + sp.eye_array(n, dtype=bool, format="csr")).astype(bool))


def _order_rank(
    order: Any, A: sp.csr_array, directed: bool, rows: np.ndarray, cols: np.ndarray, seed: SeedLike
) -> np.ndarray:
    """rank[v] = position of v in the order."""
    n = A.shape[0]
    if order is None:
        if not directed:
            return np.arange(n, dtype=np.int64)
        perm = _topological(A)
    elif isinstance(order, str):
        check_choice(order, "order", ("random", "degree"))
        if directed:
            raise ValueError(f"order={order!r} applies to undirected graphs; a directed graph keeps its arcs (use order=None)")
        if order == "random":
            perm = check_random_state(seed).permutation(n)
        else:
            deg = np.diff(A.indptr)
            perm = np.lexsort((np.arange(n), -deg))
    else:
        perm = np.asarray(order)
        if perm.dtype.kind not in "iu" or perm.shape != (n,) or not np.array_equal(np.sort(perm), np.arange(n)):
            raise ValueError(f"order must be a permutation of 0..{n - 1} (N={n} ints), got {np.asarray(order)!r:.200}")
    rank = np.empty(n, dtype=np.int64)
    rank[np.asarray(perm, dtype=np.int64)] = np.arange(n, dtype=np.int64)
    return rank


def _topological(A: sp.csr_array) -> np.ndarray:
    """Kahn's algorithm level by level (vectorised per level); ValueError on a cycle."""
    n = A.shape[0]
    indeg = np.bincount(A.indices, minlength=n).astype(np.int64)
    frontier = np.flatnonzero(indeg == 0)
    out = []
    while frontier.size:
        out.append(frontier)
        succ = A[frontier].indices if frontier.size else np.empty(0, np.int64)
        np.subtract.at(indeg, succ, 1)
        cand = np.unique(succ)
        frontier = cand[indeg[cand] == 0]
    perm = np.concatenate(out) if out else np.empty(0, np.int64)
    if perm.size != n:
        raise ValueError(
            f"the directed graph has a cycle ({n - perm.size} nodes on or after cycles); a feed-forward wiring needs a DAG"
        )
    return perm


def _levels(D: sp.csr_array) -> np.ndarray:
    """Longest-path level of every node (Kahn's algorithm, one frontier at a time)."""
    n = D.shape[0]
    indeg = np.bincount(D.indices, minlength=n).astype(np.int64)
    level = np.zeros(n, dtype=np.int64)
    frontier = np.flatnonzero(indeg == 0)
    lv = 0
    while frontier.size:
        level[frontier] = lv
        succ = D[frontier].indices
        np.subtract.at(indeg, succ, 1)
        cand = np.unique(succ)
        frontier = cand[indeg[cand] == 0]
        lv += 1
    return level


def _pick(spec: Any, name: str, n: int, order: np.ndarray, default: np.ndarray, *, first: bool) -> np.ndarray:
    if spec is None:
        return np.sort(default).astype(np.int64)
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, (bool, np.bool_)):
        k = check_int(spec, name, min_val=1, max_val=n)
        return (order[:k] if first else order[n - k :]).astype(np.int64)
    arr = np.asarray(spec)
    if arr.dtype.kind not in "iu" or arr.ndim != 1 or arr.size == 0:
        raise TypeError(f"{name} must be None, an int or a non-empty 1-D sequence of neuron ids, got {spec!r:.200}")
    if arr.min() < 0 or arr.max() >= n:
        raise ValueError(f"{name} must hold neuron ids in 0..{n - 1}, got {name} with {int(arr.min())}..{int(arr.max())}")
    if np.unique(arr).size != arr.size:
        raise ValueError(f"{name} must hold distinct neuron ids, got duplicates in {arr.tolist()!r:.200}")
    return arr.astype(np.int64)
