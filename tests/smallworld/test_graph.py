"""Tests of smallworld._graph: as_graph from every input type, exact round trips, bad input."""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
import torch

import smallworld as sw

torch_geometric = pytest.importorskip("torch_geometric")
from torch_geometric.data import Data  # noqa: E402


def _same(A: sp.csr_array, B: sp.csr_array) -> bool:
    return (
        isinstance(B, sp.csr_array)
        and A.shape == B.shape
        and A.dtype == B.dtype
        and np.array_equal(A.indptr, B.indptr)
        and np.array_equal(A.indices, B.indices)
        and np.array_equal(A.data, B.data)
    )


def _canonical_ok(A: sp.csr_array) -> None:
    assert isinstance(A, sp.csr_array) and A.shape[0] == A.shape[1]
    assert A.dtype in (np.dtype(bool), np.dtype(np.float64))
    assert A.has_sorted_indices and np.all(A.data != 0)


# a small reference graph: undirected, a self-loop, an isolated last node
EDGES = [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2), (4, 4)]
N = 6
DENSE = np.zeros((N, N), dtype=bool)
for _u, _v in EDGES:
    DENSE[_u, _v] = DENSE[_v, _u] = True
REF = sp.csr_array(DENSE)
WEIGHTS = [0.5, 2.0, -1.25, 3.0, 1e-9, 7.0]
WDENSE = np.zeros((N, N))
for (_u, _v), _w in zip(EDGES, WEIGHTS):
    WDENSE[_u, _v] = WDENSE[_v, _u] = _w
WREF = sp.csr_array(WDENSE)
ARCS = [(0, 1), (1, 2), (2, 0), (3, 1), (1, 3)]
ADENSE = np.zeros((4, 4), dtype=bool)
for _u, _v in ARCS:
    ADENSE[_u, _v] = True


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: sp.csr_array(DENSE), id="csr_array"),
        pytest.param(lambda: sp.csr_matrix(DENSE), id="csr_matrix"),
        pytest.param(lambda: sp.coo_array(DENSE.astype(np.int8)), id="coo_int8"),
        pytest.param(lambda: sp.csc_array(DENSE.astype(float)), id="csc_float_ones"),
        pytest.param(lambda: sp.lil_array(DENSE), id="lil"),
        pytest.param(lambda: sp.dok_array(DENSE.astype(np.int64)), id="dok"),
        pytest.param(lambda: sp.bsr_array(DENSE), id="bsr"),
        pytest.param(lambda: sp.dia_array(DENSE.astype(np.float32)), id="dia"),
        pytest.param(lambda: DENSE, id="numpy_bool"),
        pytest.param(lambda: DENSE.astype(np.uint8), id="numpy_uint8"),
        pytest.param(lambda: DENSE.astype(np.float32), id="numpy_float32"),
        pytest.param(lambda: np.array(EDGES), id="numpy_E2"),
        pytest.param(lambda: np.array(EDGES, dtype=float), id="numpy_E2_float_ids"),
        pytest.param(lambda: EDGES, id="list_of_tuples"),
        pytest.param(lambda: tuple(list(e) for e in EDGES), id="tuple_of_lists"),
        pytest.param(lambda: [(np.int32(u), np.int64(v)) for u, v in EDGES], id="numpy_int_ids"),
        pytest.param(lambda: _nx_shuffled(), id="nx_graph_shuffled_insertion"),
        pytest.param(lambda: torch.from_numpy(DENSE), id="torch_dense_bool"),
        pytest.param(lambda: torch.from_numpy(DENSE.astype(np.float32)).requires_grad_(), id="torch_dense_grad"),
        pytest.param(lambda: torch.from_numpy(DENSE.astype(np.float16)), id="torch_dense_half"),
        pytest.param(lambda: torch.from_numpy(DENSE.astype(np.float32)).to_sparse(), id="torch_sparse_coo"),
        pytest.param(lambda: torch.from_numpy(DENSE).to_sparse_csr(), id="torch_sparse_csr"),
        pytest.param(lambda: torch.from_numpy(np.stack(np.nonzero(DENSE))), id="edge_index"),
        pytest.param(
            lambda: Data(edge_index=torch.from_numpy(np.stack(np.nonzero(DENSE))), num_nodes=N), id="pyg_data"
        ),
    ],
)
def test_unweighted_inputs(make):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        x = make()
        A = sw.as_graph(x, n=N)  # n only matters for edge lists (the isolated node 5)
    _canonical_ok(A)
    assert _same(REF, A)


def _nx_shuffled() -> nx.Graph:
    G = nx.Graph()
    G.add_nodes_from([3, 5, 0, 1, 4, 2])  # ids 0..n-1 are kept whatever the insertion order
    G.add_edges_from(EDGES)
    return G


def test_nx_isolated_node_needs_to_be_a_node():
    assert sw.as_graph(nx.Graph(EDGES)).shape == (5, 5)
    assert _same(REF, sw.as_graph(_nx_shuffled()))


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: sp.coo_array(WDENSE), id="coo"),
        pytest.param(lambda: WDENSE, id="numpy"),
        pytest.param(lambda: np.array([(u, v, w) for (u, v), w in zip(EDGES, WEIGHTS)]), id="numpy_E3"),
        pytest.param(lambda: [(u, v, w) for (u, v), w in zip(EDGES, WEIGHTS)], id="list_uvw"),
        pytest.param(lambda: torch.from_numpy(WDENSE), id="torch_dense"),
        pytest.param(lambda: torch.from_numpy(WDENSE).to_sparse(), id="torch_sparse_coo"),
        pytest.param(lambda: torch.from_numpy(WDENSE).to_sparse_csr(), id="torch_sparse_csr"),
        pytest.param(lambda: nx.from_numpy_array(WDENSE), id="nx_weighted"),
    ],
)
def test_weighted_inputs(make):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        x = make()
    A = sw.as_graph(x, n=N)
    _canonical_ok(A)
    assert A.dtype == np.float64
    assert _same(WREF, A)


def test_pyg_data_with_edge_weight():
    ei, w = sw.to_edge_index(WREF, return_weight=True)
    A = sw.as_graph(Data(edge_index=ei, edge_weight=w, num_nodes=N))
    assert _same(WREF, A)


def test_nx_string_labels_follow_node_order():
    G = nx.Graph()
    G.add_nodes_from(["c", "a", "b", "z"])
    G.add_edge("a", "b", weight=2.0)
    G.add_edge("c", "a", weight=3.0)
    A = sw.as_graph(G)
    assert A.shape == (4, 4) and A.dtype == np.float64
    assert A[1, 2] == A[2, 1] == 2.0 and A[0, 1] == A[1, 0] == 3.0 and A[3].nnz == 0


def test_nx_integer_labels_not_0_to_n_are_renumbered():
    G = nx.Graph([(10, 20), (20, 30)])
    A = sw.as_graph(G)
    assert A.shape == (3, 3) and sorted(map(tuple, sw.edge_array(A).tolist())) == [(0, 1), (1, 2)]


def test_nx_digraph_keeps_arcs():
    A = sw.as_graph(nx.DiGraph(ARCS))
    assert (A.toarray() == ADENSE).all() and sw.is_directed(A)
    S = sw.as_graph(nx.DiGraph(ARCS), directed=False)
    assert (S.toarray() == (ADENSE | ADENSE.T)).all() and not sw.is_directed(S)


def test_edge_lists_directed_flag():
    assert (sw.as_graph(ARCS, directed=True).toarray() == ADENSE).all()
    assert (sw.as_graph(ARCS).toarray() == (ADENSE | ADENSE.T)).all()
    ei = torch.tensor(ARCS).T.contiguous()
    assert (sw.as_graph(ei).toarray() == ADENSE).all()  # edge_index: arcs, as PyG stores them


def test_directed_false_keeps_the_larger_weight():
    A = sw.as_graph([(0, 1, 2.0), (1, 0, 5.0), (1, 2, -4.0)], directed=True)
    S = sw.as_graph(A, directed=False)
    assert S[0, 1] == S[1, 0] == 5.0 and S[1, 2] == S[2, 1] == -4.0


@pytest.mark.parametrize("seed", range(5))
def test_symmetrise_is_union_with_larger_weight(seed):
    rng = np.random.default_rng(seed)
    D = rng.standard_normal((9, 9)) * (rng.random((9, 9)) < 0.4)
    S = sw.as_graph(D, directed=False).toarray()
    both = (D != 0) & (D.T != 0)
    assert np.array_equal(S, np.where(both, np.maximum(D, D.T), D + D.T))


def test_unit_weights_become_bool_and_zeros_are_dropped():
    A = sw.as_graph(np.array([[0.0, 1.0], [1.0, 0.0]]))
    assert A.dtype == bool
    B = sw.as_graph(sp.csr_array((np.array([0.0, 2.0]), np.array([0, 1]), np.array([0, 1, 2])), shape=(2, 2)))
    assert B.nnz == 1 and B[1, 1] == 2.0


def test_already_canonical_is_not_copied():
    assert sw.as_graph(REF) is REF


def test_empty_inputs():
    assert sw.as_graph([]).shape == (0, 0)
    assert sw.as_graph([], n=3).shape == (3, 3)
    assert sw.as_graph(np.zeros((4, 4))).nnz == 0


# ---------------------------------------------------------------- round trips

def _random_graphs():
    rng = np.random.default_rng(3)
    und = sw.as_graph(nx.gnm_random_graph(50, 120, seed=1))
    arcs = sw.as_graph(nx.gnm_random_graph(50, 150, seed=2, directed=True))
    wu = sp.triu(und, format="csr").astype(float)
    wu.data = rng.standard_normal(wu.nnz) + 0.1
    wd = arcs.astype(float)
    wd.data = rng.uniform(0.5, 9.0, wd.nnz)
    isolated = sw.as_graph([(0, 1)], n=7)
    return {
        "undirected": und,
        "directed": arcs,
        "weighted-undirected": sw.as_graph(wu + wu.T),
        "weighted-directed": sw.as_graph(wd),
        "isolated-tail": isolated,
        "self-loops": REF,
    }


ROUND = _random_graphs()


@pytest.mark.parametrize("name", list(ROUND))
def test_networkx_round_trip(name):
    A = ROUND[name]
    G = sw.to_networkx(A)
    assert G.is_directed() == sw.is_directed(A)
    assert G.number_of_nodes() == A.shape[0]
    assert _same(A, sw.as_graph(G))


@pytest.mark.parametrize("name", list(ROUND))
def test_edge_index_round_trip(name):
    A = ROUND[name]
    ei, w = sw.to_edge_index(A, return_weight=True)
    assert ei.dtype == torch.long and ei.shape == (2, A.nnz)
    assert (w is None) == (A.dtype == bool)
    assert _same(A, sw.as_graph(Data(edge_index=ei, edge_weight=w, num_nodes=A.shape[0])))
    if A.dtype == bool:
        assert _same(A, sw.as_graph(ei, n=A.shape[0]))


@pytest.mark.parametrize("layout", ["dense", "sparse_csr", "sparse_coo"])
@pytest.mark.parametrize("name", ["undirected", "directed", "isolated-tail", "self-loops"])
def test_torch_mask_round_trip(name, layout):
    A = ROUND[name]
    mask = sw.to_torch_mask(A, layout=layout)
    assert mask.dtype == torch.bool and tuple(mask.shape) == A.shape
    assert _same(A, sw.as_graph(mask))
    dense = mask.to_dense() if layout != "dense" else mask
    assert (dense.numpy() == A.toarray()).all()


def test_weighted_torch_mask_is_the_pattern():
    A = ROUND["weighted-directed"]
    assert _same(A.astype(bool), sw.as_graph(sw.to_torch_mask(A)))


def test_to_networkx_forced_direction():
    A = ROUND["directed"]
    assert isinstance(sw.to_networkx(A, directed=False), nx.Graph)
    assert not sw.to_networkx(A, directed=False).is_directed()
    assert sw.to_networkx(ROUND["undirected"], directed=True).number_of_edges() == ROUND["undirected"].nnz


def test_to_torch_mask_refuses_huge_dense_before_allocating():
    big = sp.csr_array((100_000, 100_000), dtype=bool)
    with pytest.raises(ValueError, match="max_elements"):
        sw.to_torch_mask(big)
    with pytest.raises(ValueError, match="layout must be one of"):
        sw.to_torch_mask(REF, layout="strided")


def test_edge_array_and_is_directed():
    assert sorted(map(tuple, sw.edge_array(REF).tolist())) == sorted(tuple(sorted(e)) for e in EDGES)
    assert sw.edge_array(sw.as_graph(ARCS, directed=True)).shape == (len(ARCS), 2)
    assert sw.is_directed(sw.as_graph(ARCS, directed=True)) is True
    assert sw.is_directed(REF) is False


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize(
    "x, exc, match",
    [
        (np.zeros((3, 4)), ValueError, r"square adjacency or an \(E, 2\)/\(E, 3\) edge list, got shape \(3, 4\)"),
        (sp.random_array((3, 4), density=0.5, random_state=0), ValueError, r"square adjacency matrix, got shape \(3, 4\)"),
        (torch.rand(3, 4), ValueError, r"square adjacency or an int64 \(2, E\) edge_index, got shape \(3, 4\)"),
        (torch.rand(3, 4).to_sparse(), ValueError, r"square adjacency matrix, got shape \(3, 4\)"),
        (torch.rand(2, 2, 2), ValueError, r"must be 2-D, got shape \(2, 2, 2\)"),
        (np.zeros(3), ValueError, r"must be 2-D, got shape \(3,\)"),
        (np.array([[0.0, np.nan], [1.0, 0.0]]), ValueError, r"non-finite weight \(nan\)"),
        (sp.csr_array(np.array([[0.0, np.inf], [1.0, 0.0]])), ValueError, r"non-finite weight \(inf\)"),
        (torch.tensor([[0.0, float("inf")], [1.0, 0.0]]), ValueError, "non-finite weight"),
        ([(0, 1, 1.0), (1, 2, float("nan"))], ValueError, "non-finite weight"),
        (np.array([[0, 1, np.inf]]), ValueError, "non-finite weight"),
        (nx.Graph([(0, 1, {"weight": float("nan")})]), ValueError, "non-finite weight"),
        ([(0, 1), (-2, 1)], ValueError, r"negative node id \(-2\)"),
        (np.array([[0, 1], [1, -1], [2, 3]]), ValueError, r"negative node id \(-1\)"),
        (torch.tensor([[0, -1], [1, 0]]), ValueError, r"negative node id \(-1\)"),
        ([(0, 1), (1, 2, 3.0)], ValueError, r"ragged edge list \(tuple lengths \[2, 3\]\)"),
        ([(0, 1, 2, 3)], ValueError, "every edge must be"),
        ([0, 1], TypeError, r"must hold \(u, v\) or \(u, v, w\) tuples"),
        ([(0.5, 1)], TypeError, "node ids must be integers, got 0.5"),
        ([(True, 1)], TypeError, "node ids must be integers, got True"),
        (np.array([[0.5, 1.0], [1.0, 2.0], [2.0, 3.0]]), ValueError, "non-integral"),
        ([(0, 1, "heavy")], TypeError, "edge weights must be real numbers, got 'heavy'"),
        (nx.Graph([(0, 1, {"weight": "heavy"})]), TypeError, "weight='heavy'"),
        (np.array([[1 + 1j, 0], [0, 0]]), TypeError, "boolean or numeric entries, got dtype complex128"),
        (np.array([["a", "b"], ["c", "d"]]), TypeError, "boolean or numeric entries"),
        (sp.csr_array(np.array([[1 + 1j, 0], [0, 0]])), TypeError, "real weights, got complex"),
        ("abc", TypeError, "graph must be a networkx graph.*got str"),
        (None, TypeError, "got NoneType"),
        ({0: [1]}, TypeError, "got dict"),
        ({(0, 1)}, TypeError, "got set"),
        (Data(x=torch.zeros(3, 2)), ValueError, "needs an edge_index"),
        (Data(edge_index=torch.tensor([[0], [1]]), edge_weight=torch.ones(2), num_nodes=2), ValueError,
         r"edge_weight must have shape \(1,\)"),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, (type, str)) else None,
)
def test_bad_input(x, exc, match):
    with pytest.raises(exc, match=match):
        sw.as_graph(x)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"directed": "no"}, TypeError, "directed must be None, True or False, got 'no'"),
        ({"n": -1}, ValueError, "n must be an integer >= 0, got n=-1"),
        ({"n": 2.0}, TypeError, "n must be an integer"),
        ({"n": 1}, ValueError, "n=1 is too small for graph: it names node 1, so n must be >= 2"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        sw.as_graph([(0, 1)], **kwargs)


# --- repeated and zero-weight edges: one rule for every input -------------------------------------


def test_repeated_weighted_arcs_sum_like_scipy_networkx_and_read(tmp_path):
    edges = [(0, 1, 2.0), (0, 1, 3.0), (1, 2, 1.5)]
    A = sw.as_graph(edges)
    assert A[0, 1] == A[1, 0] == 5.0 and A[1, 2] == 1.5
    coo = sp.coo_array(([2.0, 3.0, 1.5], ([0, 0, 1], [1, 1, 2])), shape=(3, 3))
    assert (sw.as_graph(coo, directed=False) != A).nnz == 0
    M = nx.MultiGraph()
    M.add_edge(0, 1, weight=2.0)
    M.add_edge(1, 0, weight=3.0)  # parallel edge given in the other orientation
    M.add_edge(1, 2, weight=1.5)
    assert np.array_equal(sw.as_graph(M).toarray(), nx.to_numpy_array(M))
    path = tmp_path / "dup.edgelist"
    path.write_text("0 1 2.0\n0 1 3.0\n1 2 1.5\n")
    with pytest.warns(UserWarning, match="duplicat"):
        R = sw.read(path)
    assert (R != A).nnz == 0


def test_reverse_pair_in_an_undirected_list_is_one_edge_whose_weights_sum_like_read(tmp_path):
    # (0, 1) and (1, 0) name the same undirected edge: a repeated edge, summed (was: larger weight,
    # while smallworld.read summed the same lines)
    A = sw.as_graph([(0, 1, 2.0), (1, 0, 3.0)])
    assert A[0, 1] == A[1, 0] == 5.0 and A.nnz == 2
    assert (sw.as_graph(np.array([[0, 1, 2.0], [1, 0, 3.0]])) != A).nnz == 0
    assert (sw.as_graph([(0, 1, 2.0), (1, 0, 3.0)], directed=False) != A).nnz == 0
    path = tmp_path / "rev.edgelist"
    path.write_text("0 1 2\n1 0 3\n")
    with pytest.warns(UserWarning, match="1 duplicated edges merged"):
        R = sw.read(path)
    assert (R != A).nnz == 0
    # as arcs they stay two arcs; symmetrising an adjacency keeps the larger weight (documented)
    D = sw.as_graph([(0, 1, 2.0), (1, 0, 3.0)], directed=True)
    assert D[0, 1] == 2.0 and D[1, 0] == 3.0
    S = sw.as_graph(D, directed=False)
    assert S[0, 1] == S[1, 0] == 3.0


def test_as_graph_and_read_share_one_merge_helper(monkeypatch, tmp_path):
    import smallworld._graph as g
    import smallworld.io as io

    calls = []
    real = g.merge_edges

    def spy(*args, **kwargs):
        calls.append(args[5])  # the name
        return real(*args, **kwargs)

    monkeypatch.setattr(g, "merge_edges", spy)
    monkeypatch.setattr(io, "merge_edges", spy)
    sw.as_graph([(0, 1, 2.0)])
    path = tmp_path / "one.edgelist"
    path.write_text("0 1 2\n")
    sw.read(path)
    assert calls == ["graph", str(path)]


@pytest.mark.parametrize("directed", [False, True])
def test_undirected_and_directed_merges_agree_between_as_graph_and_read(tmp_path, directed):
    rng = np.random.default_rng(0)
    u, v = rng.integers(0, 6, 60), rng.integers(0, 6, 60)
    w = rng.integers(1, 5, 60).astype(float)
    path = tmp_path / "many.edgelist"
    path.write_text("".join(f"{a} {b} {c}\n" for a, b, c in zip(u, v, w)))
    with pytest.warns(UserWarning, match="duplicated"):
        R = sw.read(path, directed=True if directed else None)
    A = sw.as_graph(list(zip(u.tolist(), v.tolist(), w.tolist())), directed=directed)
    assert A.shape == R.shape and (A != R).nnz == 0
    assert A.sum() == pytest.approx(w.sum() * (1 if directed else 2) - (0 if directed else w[u == v].sum()))


def test_zero_weight_edges_are_dropped_with_a_warning():
    with pytest.warns(UserWarning, match="1 edge.*weight 0 dropped"):
        A = sw.as_graph([(0, 1, 0.0), (1, 2, 1.5)])
    assert A.nnz == 2 and A[1, 2] == 1.5
    G = nx.Graph()
    G.add_edge(0, 1, weight=0)
    G.add_edge(1, 2, weight=2.0)
    with pytest.warns(UserWarning, match="weight 0 dropped"):
        B = sw.as_graph(G)
    assert B.shape == (3, 3) and B.nnz == 2
