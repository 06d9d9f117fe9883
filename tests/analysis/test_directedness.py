"""Directedness follows ``smallworld.is_directed`` in every metric, and the
largest-component tie-break follows node ids; both checked against networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import smallworld as sw
from analysis import (
    average_clustering,
    average_path_length,
    clustering,
    degree_stats,
    global_efficiency,
    local_efficiency,
    transitivity,
)
from analysis._adjacency import is_symmetric, largest_component

#: Every arc has a reverse arc, the two weights differ: directed only by its weights.
PATH3 = np.array([[0, 1.0, 0], [10.0, 0, 1.0], [0, 10.0, 0]])


def _reciprocal_weighted(n: int, p: float, seed: int) -> np.ndarray:
    """A dense matrix with a symmetric nonzero pattern and independent integer
    weights on the two arcs of every edge (connected, so L is defined)."""
    rng = np.random.default_rng(seed)
    while True:
        upper = np.triu(rng.random((n, n)) < p, 1)
        mask = upper | upper.T
        if nx.is_connected(nx.from_numpy_array(mask.astype(int))):
            break
    W = rng.integers(1, 10, size=(n, n)).astype(np.float64) * mask
    assert not np.array_equal(W, W.T)
    return W


def _digraph(W: np.ndarray) -> nx.DiGraph:
    G = sw.to_networkx(W)
    assert isinstance(G, nx.DiGraph)  # the toolkit's own view of the graph
    return G


def _efficiency(G: nx.DiGraph, weight: str | None) -> float:
    d = dict(nx.all_pairs_dijkstra_path_length(G, weight=weight or (lambda u, v, e: 1)))
    n = len(G)
    return sum(1 / x for u in d for v, x in d[u].items() if u != v) / (n * (n - 1))


GRAPHS = [
    ("path3", lambda: PATH3),
    ("complete6", lambda: _reciprocal_weighted(6, 1.0, 0)),
    ("complete6b", lambda: _reciprocal_weighted(6, 1.0, 7)),
    ("gnp25", lambda: _reciprocal_weighted(25, 0.3, 1)),
    ("gnp40", lambda: _reciprocal_weighted(40, 0.15, 2)),
]


def test_path3_values_from_the_review():
    assert sw.is_directed(PATH3)
    assert average_path_length(PATH3, weight="weight") == pytest.approx(22 / 3, abs=1e-12)
    assert global_efficiency(PATH3, weight="weight") == pytest.approx(11 / 24, abs=1e-12)
    d = degree_stats(PATH3)
    assert (d.directed, d.m, d.mean) == (True, 4, pytest.approx(8 / 3))


@pytest.mark.parametrize("name,make", GRAPHS)
def test_weighted_metrics_follow_arcs_like_networkx(name, make):
    W = make()
    G = _digraph(W)
    want_L = nx.average_shortest_path_length(G, weight="weight")
    assert average_path_length(W, weight="weight") == pytest.approx(want_L, abs=1e-12)
    assert global_efficiency(W, weight="weight") == pytest.approx(_efficiency(G, "weight"), abs=1e-12)
    want_c = nx.clustering(G, weight="weight")
    got_c = clustering(W, weight="weight")
    assert got_c == pytest.approx(np.array([want_c[i] for i in range(len(G))]), abs=1e-12)
    assert average_clustering(W, weight="weight") == pytest.approx(
        nx.average_clustering(G, weight="weight"), abs=1e-12
    )
    # directed=None gives what directed=True gives, not the symmetrised value
    assert average_path_length(W, weight="weight") == average_path_length(W, weight="weight", directed=True)
    U = nx.Graph(sw.as_graph(W, directed=False))
    sym_L = nx.average_shortest_path_length(U, weight="weight")
    assert average_path_length(W, weight="weight", directed=False) == pytest.approx(sym_L, abs=1e-12)


@pytest.mark.parametrize("name,make", GRAPHS)
def test_unweighted_metrics_on_weight_directed_graph_match_networkx(name, make):
    # Hop counts and unweighted clustering ignore weights: the values on the
    # DiGraph equal those on its symmetric pattern, and both equal ours.
    W = make()
    G = _digraph(W)
    H = nx.Graph(G.to_undirected())
    for g in (G, H):
        assert average_path_length(W) == pytest.approx(nx.average_shortest_path_length(g), abs=1e-12)
        assert average_clustering(W) == pytest.approx(nx.average_clustering(g), abs=1e-12)
        want_c = nx.clustering(g)
        assert clustering(W) == pytest.approx(np.array([want_c[i] for i in range(len(g))]), abs=1e-12)
    assert global_efficiency(W) == pytest.approx(nx.global_efficiency(H), abs=1e-12)
    assert global_efficiency(W) == pytest.approx(_efficiency(G, None), abs=1e-12)
    # undirected-only metrics that ignore weights measure the symmetric pattern
    assert transitivity(W) == pytest.approx(nx.transitivity(H), abs=1e-12)
    assert local_efficiency(W) == pytest.approx(nx.local_efficiency(H), abs=1e-12)


@pytest.mark.parametrize("name,make", GRAPHS)
def test_degree_stats_match_networkx_digraph(name, make):
    W = make()
    G = _digraph(W)
    d = degree_stats(W)
    assert d.directed is True and d.directed == sw.is_directed(W)
    assert d.m == G.number_of_edges() and d.n == len(G)
    deg = np.array([x for _, x in G.degree()])
    ind = np.array([x for _, x in G.in_degree()])
    outd = np.array([x for _, x in G.out_degree()])
    assert (d.mean, d.std, d.min, d.max) == pytest.approx((deg.mean(), deg.std(), deg.min(), deg.max()))
    assert (d.in_mean, d.in_std, d.in_min, d.in_max) == pytest.approx((ind.mean(), ind.std(), ind.min(), ind.max()))
    assert (d.out_mean, d.out_std, d.out_min, d.out_max) == pytest.approx(
        (outd.mean(), outd.std(), outd.min(), outd.max())
    )


def test_degree_stats_symmetric_weights_stay_undirected():
    W = np.array([[0, 2.0, 0], [2.0, 0, 3.0], [0, 3.0, 0]])
    d = degree_stats(W)
    G = sw.to_networkx(W)
    assert not sw.is_directed(W) and isinstance(G, nx.Graph) and not G.is_directed()
    assert (d.directed, d.m, d.mean) == (False, G.number_of_edges(), pytest.approx(4 / 3))


@pytest.mark.parametrize("seed", range(12))
def test_is_symmetric_is_not_is_directed(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 9))
    mask = rng.random((n, n)) < 0.4
    kind = seed % 3
    if kind == 0:  # symmetric pattern, maybe symmetric weights
        mask = mask | mask.T
    W = mask * rng.integers(1, 3, size=(n, n)).astype(np.float64)
    if kind == 1:
        W = np.maximum(W, W.T)  # symmetric weights
    A = sw.as_graph(W)
    assert is_symmetric(A) == (not sw.is_directed(A))
    P = A.astype(bool)
    assert is_symmetric(A, weighted=False) == (not sw.is_directed(P))


# --- largest-component tie-break -------------------------------------------

CYCLE_AND_TRIANGLE = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 3), (4, 5), (5, 4), (3, 5), (5, 3)]


@pytest.mark.parametrize("extra", [(3, 0), (0, 3)])
def test_strong_component_tie_goes_to_smallest_node_id(extra):
    A = sw.as_graph(CYCLE_AND_TRIANGLE + [extra], directed=True)
    res = average_path_length(A, disconnected="lcc", return_ci=True)
    assert res.n_nodes == 3
    assert res.value == pytest.approx(1.5)  # the directed 3-cycle {0, 1, 2}, not the complete {3, 4, 5}
    assert largest_component(A, True).tolist() == [0, 1, 2]


def _nx_lcc_value(G: nx.DiGraph) -> float:
    comps = list(nx.strongly_connected_components(G))
    best = max(len(c) for c in comps)
    keep = min((c for c in comps if len(c) == best), key=min)
    return nx.average_shortest_path_length(G.subgraph(keep))


@pytest.mark.parametrize("seed", range(10))
def test_tie_break_survives_relabelling(seed):
    # two strong components of equal size but different L, joined by one arc,
    # under random relabellings: SciPy's label order must not decide
    rng = np.random.default_rng(seed)
    ring = [(i, (i + 1) % 4) for i in range(4)]
    dense = [(4 + i, 4 + j) for i in range(4) for j in range(4) if i != j]
    perm = rng.permutation(8)
    arcs = [(int(perm[u]), int(perm[v])) for u, v in ring + dense + [(0, 4) if seed % 2 else (4, 0)]]
    G = nx.DiGraph(arcs)
    A = sw.as_graph(arcs, directed=True)
    assert average_path_length(A, disconnected="lcc") == pytest.approx(_nx_lcc_value(G), abs=1e-12)
    ring_nodes = sorted(int(perm[i]) for i in range(4))
    dense_nodes = sorted(int(perm[i]) for i in range(4, 8))
    want = ring_nodes if ring_nodes[0] < dense_nodes[0] else dense_nodes
    assert largest_component(A, True).tolist() == want


def test_undirected_tie_goes_to_smallest_node_id():
    # a path on {1, 3, 5} and a triangle on {0, 2, 4}: equal sizes
    A = sw.as_graph([(1, 3), (3, 5), (0, 2), (2, 4), (4, 0)])
    assert largest_component(A, False).tolist() == [0, 2, 4]
    assert average_path_length(A, disconnected="lcc") == pytest.approx(1.0)
    B = sp.csr_array(A.toarray()[::-1, ::-1])  # reversed ids: the path now holds node 0
    assert largest_component(B, False).tolist() == [0, 2, 4]
    assert average_path_length(B, disconnected="lcc") == pytest.approx(4 / 3)
