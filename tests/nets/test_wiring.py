"""Wiring graphs into networks: layered masks, relational masks, DAG wirings."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import smallworld as sw
from nets import dag_wiring, layered_masks, relational_masks


@pytest.mark.parametrize("graph", ["er", "powerlaw_in", "powerlaw_out"])
def test_bipartite_layers_have_exact_density_and_no_empty_rows_or_columns(graph):
    sizes = [64, 48, 32, 10]
    masks = layered_masks(sizes, graph, 0.25, sparse_output=True, seed=0)
    assert [m.shape for m in masks] == [(48, 64), (32, 48), (10, 32)]
    for m, (n_in, n_out) in zip(masks, zip(sizes[:-1], sizes[1:])):
        assert m.dtype == bool and m.nnz == round(0.25 * n_in * n_out)
        assert (m.sum(axis=1) > 0).all() and (m.sum(axis=0) > 0).all()


@pytest.mark.parametrize("graph", ["ws", "ws_flex", "ba", "hk", "ke"])
def test_square_layers_are_the_graph_plus_self_loops_and_others_fall_back(graph):
    masks = layered_masks([64, 64, 64, 10], graph, 0.25, sparse_output=True, seed=1)
    for m in masks[:2]:
        assert m.shape == (64, 64)
        assert m.diagonal().all()
        A = m.tolil()
        A.setdiag(False)
        A = sp.csr_array(A)
        A.eliminate_zeros()
        assert (A != A.T).nnz == 0  # an undirected graph
        assert abs(m.nnz / 64**2 - 0.25) < 0.05
    assert masks[0].nnz != masks[1].nnz or (masks[0] != masks[1]).nnz > 0  # a fresh graph per layer
    assert masks[2].shape == (10, 64) and masks[2].nnz == round(0.25 * 640)


def test_ws_layer_is_a_watts_strogatz_graph():
    m = layered_masks([100, 100], "ws", 0.07, p=0.0, sparse_output=True, seed=0)[0]
    ring = sw.ring_lattice(100, 6)  # k = 0.07 * 100 - 1 = 6
    lattice_with_loops = (ring + sp.eye_array(100, dtype=bool)).astype(bool)
    assert (m != lattice_with_loops).nnz == 0


@pytest.mark.parametrize(("graph", "make"), [
    ("ba", lambda n, m, rng: sw.barabasi_albert(n, m, seed=rng)),
    ("hk", lambda n, m, rng: sw.holme_kim(n, m, 0.5, seed=rng)),
    ("ke", lambda n, m, rng: sw.klemm_eguiluz(n, m, 0.1, seed=rng)),
])
def test_scale_free_layer_is_that_generators_graph(graph, make):
    # density 0.2 at n=50: k = 0.2 * 50 - 1 = 9; m = 5 gives mean degree 2 * 5 * 45 / 50 = 9.0
    # (BA, HK; KE 9.4) where m = round(k / 2) = 4 gave 7.36; the same generator stream
    m = layered_masks([50, 50], graph, 0.2, sparse_output=True, seed=7)[0]
    ref = make(50, 5, np.random.default_rng(7))
    assert (m != (ref + sp.eye_array(50, dtype=bool)).astype(bool)).nnz == 0


def test_holme_kim_layers_are_more_clustered_than_ba():
    def mean_c(graph):
        cs = []
        for s in range(4):
            m = layered_masks([80, 80], graph, 0.15, sparse_output=True, seed=s)[0].tolil()
            m.setdiag(False)
            cs.append(nx.average_clustering(sw.to_networkx(sp.csr_array(m))))
        return np.mean(cs)

    assert mean_c("hk") > mean_c("ba") + 0.05


def test_layered_masks_seeded_and_dense():
    a = layered_masks([20, 20, 5], "ba", 0.3, sparse_output=True, seed=3)
    b = layered_masks([20, 20, 5], "ba", 0.3, sparse_output=True, seed=3)
    assert all((x != y).nnz == 0 for x, y in zip(a, b))
    d = layered_masks([3, 4], "dense")
    assert d[0].nnz == 12


@pytest.mark.parametrize(
    "args, kwargs, exc, match",
    [
        (([10],), {}, ValueError, "at least two layer widths"),
        (("abc",), {}, TypeError, "sizes must be a sequence of ints"),
        (([10, 0],), {}, ValueError, r"sizes\[1\] must be an integer >= 1"),
        (([10, 10], "smallworld"), {}, ValueError, "graph must be one of"),
        (([10, 10], "er", 0.0), {}, ValueError, "density must be a real number > 0"),
        (([10, 10], "er", 1.5), {}, ValueError, "density must be a real number"),
    ],
)
def test_layered_masks_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        layered_masks(*args, **kwargs)


def test_relational_masks_are_transposed_adjacency_plus_identity():
    G = nx.DiGraph([(0, 1), (1, 2), (2, 0), (0, 3)])
    masks = relational_masks(G, 3)
    assert len(masks) == 3
    A = nx.to_numpy_array(G, nodelist=range(4), dtype=bool)
    expected = A.T | np.eye(4, dtype=bool)
    for m in masks:
        assert np.array_equal(m.toarray(), expected)
    assert relational_masks(G, 1, self_loops=False)[0].nnz == 4
    with pytest.raises(ValueError, match="n_layers must be an integer >= 1"):
        relational_masks(G, 0)


def _oriented(G_adj: sp.csr_array, rank: np.ndarray) -> set:
    r, c = G_adj.nonzero()
    return {(int(u), int(v)) for u, v in zip(r, c) if rank[u] < rank[v]}


@pytest.mark.parametrize("order", [None, "random", "degree", "explicit"])
def test_dag_wiring_orients_every_edge_once_along_the_order(order):
    A = sw.watts_strogatz(60, 4, 0.2, seed=2)
    if order == "explicit":
        order = np.random.default_rng(0).permutation(60)
    w = dag_wiring(A, order, seed=5)
    rank = np.empty(60, dtype=np.int64)
    rank[w.order] = np.arange(60)
    r, c = w.adjacency.nonzero()
    assert set(zip(r.tolist(), c.tolist())) == _oriented(A, rank)
    assert w.adjacency.nnz == A.nnz // 2
    # levels are longest-path depths (checked against networkx)
    D = nx.DiGraph(list(zip(r.tolist(), c.tolist())))
    D.add_nodes_from(range(60))
    for v in nx.topological_sort(D):
        preds = list(D.predecessors(v))
        assert w.levels[v] == (0 if not preds else 1 + max(w.levels[p] for p in preds))
    # masks reproduce the arcs exactly
    arcs = set()
    for lv, M in enumerate(w.masks, start=1):
        rr, cc = M.nonzero()
        arcs |= {(int(w.sources[lv - 1][j]), int(w.level_nodes[lv][i])) for i, j in zip(rr, cc)}
    assert arcs == set(zip(r.tolist(), c.tolist()))
    assert w.depth == int(w.levels.max())


def test_dag_wiring_inputs_outputs_defaults_and_counts():
    G = nx.path_graph(5)
    w = dag_wiring(G)
    assert w.inputs.tolist() == [0] and w.outputs.tolist() == [4]
    w = dag_wiring(G, inputs=2, outputs=[4, 2])
    assert w.inputs.tolist() == [0, 1] and w.outputs.tolist() == [4, 2]
    w = dag_wiring(G, order=[4, 3, 2, 1, 0], inputs=1, outputs=1)
    assert w.inputs.tolist() == [4] and w.outputs.tolist() == [0]


def test_dag_wiring_directed_graphs():
    D = nx.DiGraph([(3, 1), (1, 0), (3, 2), (2, 0)])
    w = dag_wiring(D)
    assert set(zip(*[x.tolist() for x in w.adjacency.nonzero()])) == {(3, 1), (1, 0), (3, 2), (2, 0)}
    assert w.levels.tolist() == [2, 1, 1, 0]
    with pytest.raises(ValueError, match="has a cycle"):
        dag_wiring(nx.DiGraph([(0, 1), (1, 2), (2, 0)]))
    with pytest.raises(ValueError, match="arc 1 -> 0 goes against order"):
        dag_wiring(D, order=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="applies to undirected graphs"):
        dag_wiring(D, order="random")


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(order=[0, 1, 1, 2]), ValueError, "order must be a permutation of 0..3"),
        (dict(order="bfs"), ValueError, "order must be one of 'random', 'degree'"),
        (dict(inputs=[0, 9]), ValueError, r"inputs must hold neuron ids in 0..3"),
        (dict(outputs=[1, 1]), ValueError, "outputs must hold distinct neuron ids"),
        (dict(inputs=0), ValueError, "inputs must be an integer >= 1"),
        (dict(inputs="a"), TypeError, "inputs must be None, an int or a non-empty"),
    ],
)
def test_dag_wiring_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        dag_wiring(nx.cycle_graph(4), **kwargs)


def test_dag_wiring_rejects_self_loops_and_empty_graphs():
    G = nx.Graph([(0, 1), (1, 1)])
    with pytest.raises(ValueError, match="self-loops"):
        dag_wiring(G)
    with pytest.raises(ValueError, match="no nodes"):
        dag_wiring(nx.Graph())


@pytest.mark.parametrize("graph", ["ws", "ws_flex", "ba", "hk", "ke"])
def test_square_layer_density_too_small_is_refused_not_rounded_up(graph):
    # k = 0.001 * 64 - 1 < 2: the family cannot be that sparse; the old code clamped k to 2 silently
    with pytest.raises(ValueError, match=r"density=0.001 is too small for graph='.*' on a square layer of width 64"):
        layered_masks([64, 64], graph, 0.001, sparse_output=True, seed=0)
    m = layered_masks([64, 64], graph, 3 / 64, sparse_output=True, seed=0)[0]  # the smallest density it accepts
    assert m.nnz <= 1.5 * 3 * 64


@pytest.mark.parametrize("graph", ["ba", "hk", "ke"])
@pytest.mark.parametrize("n", [64, 128])
@pytest.mark.parametrize("density", [0.1, 0.25, 0.4, 0.5])
def test_growth_model_layers_deliver_the_asked_density(graph, n, density):
    m = layered_masks([n, n], graph, density, sparse_output=True, seed=0)[0]
    assert m.nnz / n**2 == pytest.approx(density, rel=0.1)


@pytest.mark.parametrize("graph", ["ba", "hk"])
def test_ba_and_hk_layers_refuse_densities_they_cannot_reach(graph):
    # m (n - m) edges peak at n^2 / 4: mask density about 0.5
    with pytest.raises(ValueError, match=r"density=0.9 is too large for graph='%s'.*density <= 0.5" % graph):
        layered_masks([128, 128], graph, 0.9, sparse_output=True, seed=0)
    assert layered_masks([128, 128], "ke", 0.9, sparse_output=True, seed=0)[0].nnz / 128**2 == pytest.approx(0.9, rel=0.02)
