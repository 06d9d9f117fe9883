"""Tests for analysis.neuron_graph and analysis.relational_graph."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
import torch
from scipy.sparse import csgraph
from torch import nn
from torch.nn.utils import prune

import smallworld as sw
from analysis import NeuronGraph, neuron_graph, relational_graph


def mlp(*sizes: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU(), nn.Dropout(0.1)]
    return nn.Sequential(*layers[:-2])


class Masked(nn.Module):
    """A minimal masked layer: weight (out, in) and a bool mask buffer."""

    def __init__(self, mask: torch.Tensor) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(mask.shape))  # all zero: the mask must decide
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ (self.weight * self.mask).T


def triangles(A: sp.csr_array) -> int:
    A = sp.csr_array(A, dtype=np.int64)
    return int((A @ A).multiply(A).sum()) // 6


# --- the seed's three observations on a dense MLP -------------------------------------------------


def test_dense_mlp_degree_is_uniform_within_each_layer():
    g = neuron_graph(mlp(20, 16, 16, 10))
    assert g.layer_sizes == (20, 16, 16, 10)
    deg = np.diff(g.undirected().indptr)
    expected = {0: 16, 1: 20 + 16, 2: 16 + 10, 3: 16}
    for layer, k in expected.items():
        assert set(deg[g.layers == layer].tolist()) == {k}
    out_deg = np.diff(g.adjacency.indptr)
    in_deg = np.diff(g.adjacency.tocsc().indptr)
    assert set(out_deg[g.layers == 0].tolist()) == {16} and set(in_deg[g.layers == 3].tolist()) == {16}


def test_dense_mlp_has_no_triangles_so_clustering_is_zero():
    g = neuron_graph(mlp(20, 16, 16, 10))
    U = g.undirected()
    assert triangles(U) == 0
    G = sw.to_networkx(U)
    assert nx.average_clustering(G) == 0.0 and nx.transitivity(G) == 0.0
    # while a graph with the same degrees but a triangle would not be 0: the count is live
    assert triangles(sp.csr_array(np.ones((3, 3)) - np.eye(3))) == 1


def test_dense_mlp_path_length_grows_with_depth():
    io_dist, apl = [], []
    for sizes in [(20, 16, 10), (20, 16, 16, 10), (20, 16, 16, 16, 10)]:
        g = neuron_graph(mlp(*sizes))
        D = csgraph.shortest_path(g.adjacency, unweighted=True, directed=True, indices=g.inputs)[:, g.outputs]
        assert np.all(D == len(sizes) - 1)  # every input reaches every output in exactly depth hops
        io_dist.append(D.mean())
        apl.append(nx.average_shortest_path_length(sw.to_networkx(g.undirected())))
    assert io_dist == [2.0, 3.0, 4.0]
    assert apl[0] < apl[1] < apl[2]


# --- structure -------------------------------------------------------------------------------------


def test_counts_ids_and_arc_direction():
    g = neuron_graph(mlp(5, 4, 3))
    assert isinstance(g, NeuronGraph)
    assert g.n_neurons == 12 and g.n_arcs == 5 * 4 + 4 * 3
    assert g.inputs.tolist() == [0, 1, 2, 3, 4] and g.outputs.tolist() == [9, 10, 11]
    r, c = g.adjacency.nonzero()
    assert np.all(g.layers[c] == g.layers[r] + 1)  # arcs go pre -> post
    assert g.adjacency.dtype == bool and sw.is_directed(g.adjacency)
    assert "n_neurons=12" in repr(g)


def test_zero_weights_are_not_connections():
    m = mlp(4, 3)
    with torch.no_grad():
        m[0].weight[1, 2] = 0.0
        m[0].weight[0, 0] = 0.0
    g = neuron_graph(m)
    assert g.n_arcs == 12 - 2
    assert not g.adjacency[2, 4 + 1] and not g.adjacency[0, 4 + 0] and g.adjacency[1, 4 + 0]


def test_masked_layer_uses_its_mask_not_its_weight():
    mask = torch.tensor([[True, False, True], [False, False, True]])
    g = neuron_graph(nn.Sequential(Masked(mask), nn.Tanh()))
    r, c = g.adjacency.nonzero()
    assert sorted(zip(r.tolist(), c.tolist())) == [(0, 3), (2, 3), (2, 4)]


def test_sparse_linear_from_nets():
    import nets.layers as nets_layers

    rng = np.random.default_rng(0)
    m1, m2 = rng.random((8, 10)) < 0.5, rng.random((4, 8)) < 0.5
    # SparseLinear warns about outputs with no input (all-False rows) only
    with pytest.warns(UserWarning) if (~m1.any(1)).any() or (~m2.any(1)).any() else _null():
        model = nn.Sequential(nets_layers.SparseLinear(10, 8, m1, seed=0), nn.ReLU(),
                              nets_layers.SparseLinear(8, 4, m2, seed=0))
    g = neuron_graph(model)
    assert g.n_arcs == m1.sum() + m2.sum()
    assert np.array_equal(g.adjacency[:10, 10:18].toarray(), m1.T)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_pruned_linear_uses_weight_mask():
    m = mlp(6, 5)
    keep = torch.from_numpy(np.random.default_rng(0).random((5, 6)) < 0.6)
    prune.custom_from_mask(m[0], "weight", keep)
    g = neuron_graph(m)
    assert g.n_arcs == int(keep.sum())
    assert np.array_equal(g.adjacency[:6, 6:].toarray(), keep.numpy().T)


def test_protocol_object():
    A = sp.csr_array(np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]]))

    class Wired:
        def __neuron_graph__(self):
            return {"adjacency": A, "layers": np.array([0, 1, 2]), "inputs": [0], "outputs": np.array([2])}

    g = neuron_graph(Wired())
    assert g.n_arcs == 3 and g.layer_sizes == (1, 1, 1)
    assert g.inputs.tolist() == [0] and g.outputs.tolist() == [2]


@pytest.mark.parametrize(
    "result,exc,match",
    [
        ([1, 2], TypeError, "must return a dict"),
        ({"adjacency": None}, ValueError, "lacks keys"),
        ({"adjacency": np.eye(2), "layers": [0, 1], "inputs": [0], "outputs": [1]}, TypeError, "scipy sparse"),
        ({"adjacency": sp.csr_array((2, 2)), "layers": [0], "inputs": [0], "outputs": [1]}, ValueError, "shape"),
        ({"adjacency": sp.csr_array((2, 2)), "layers": [0, 1], "inputs": [0], "outputs": [5]}, ValueError, "outside"),
        ({"adjacency": sp.csr_array((2, 2)), "layers": [0, 1], "inputs": [0.5], "outputs": [1]}, TypeError, "integer"),
    ],
)
def test_protocol_malformed(result, exc, match):
    class Bad:
        def __neuron_graph__(self):
            return result

    with pytest.raises(exc, match=match):
        neuron_graph(Bad())


class Reversed(nn.Module):
    """Layers registered in the reverse of their execution order."""

    def __init__(self) -> None:
        super().__init__()
        self.second = nn.Linear(4, 2)
        self.first = nn.Linear(3, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.second(torch.relu(self.first(x)))


def test_input_shape_traces_execution_order():
    with pytest.raises(ValueError, match="do not chain"):
        neuron_graph(Reversed())
    g = neuron_graph(Reversed(), input_shape=(3,))
    assert g.layer_sizes == (3, 4, 2) and g.n_arcs == 12 + 8


@pytest.mark.parametrize(
    "model,exc,match",
    [
        (nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2, 2)), TypeError, "Conv2d.*supports|supports.*Conv2d"),
        (nn.LSTM(3, 4), TypeError, "supports torch.nn.Linear"),
        (nn.Sequential(nn.ReLU()), TypeError, "no Linear-like layer"),
        (nn.Sequential(nn.Linear(3, 4), nn.Linear(5, 2)), ValueError, "do not chain"),
        ("not a model", TypeError, "supports torch.nn.Linear"),
    ],
)
def test_unsupported_models(model, exc, match):
    with pytest.raises(exc, match=match):
        neuron_graph(model)


# --- relational graph ------------------------------------------------------------------------------


def test_relational_graph_inverts_you_et_al_construction():
    G = sw.watts_strogatz(16, 4, 0.2, seed=3)
    masks = [G.toarray() | np.eye(16, dtype=bool) for _ in range(3)]  # You et al.: graph + self-loops
    R = relational_graph(masks)
    assert (R != G).nnz == 0 and R.diagonal().sum() == 0


def test_relational_graph_of_dense_mlp_is_complete():
    R = relational_graph(mlp(8, 8, 8, 8, 3))  # square 8x8 layers; the 8->3 head is ignored
    assert R.nnz == 8 * 7


def test_relational_graph_any_vs_majority():
    a = np.zeros((4, 4), dtype=bool)
    a[1, 0] = True  # 0 -> 1 in one layer only
    b = np.zeros((4, 4), dtype=bool)
    b[2, 3] = b[3, 2] = True
    stack = np.stack([a | b, b, b])
    assert relational_graph(stack, rule="any").nnz == 4
    M = relational_graph(stack, rule="majority")
    assert M.nnz == 2 and M[2, 3] and not M[0, 1]
    assert relational_graph(torch.tensor(a)).nnz == 2


@pytest.mark.parametrize(
    "x,kwargs,exc,match",
    [
        (np.ones((3, 4)), {}, ValueError, "square"),
        ([np.ones((3, 3)), np.ones((4, 4))], {}, ValueError, "one width"),
        (mlp(5, 4, 3), {}, ValueError, "square"),
        (np.ones((3, 3)), {"rule": "all"}, ValueError, "rule"),
        (np.array([["a"]]), {}, TypeError, "numeric"),
    ],
)
def test_relational_graph_bad_input(x, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        relational_graph(x, **kwargs)


def test_nets_sparse_mlp_protocol_matches_module_inspection():
    import nets.models as models
    import nets.wiring as wiring

    sizes = [12, 8, 6, 3]
    net = models.SparseMLP(sizes, wiring.layered_masks(sizes, "er", 0.5, sparse_output=True, seed=1), seed=0)
    via_protocol = neuron_graph(net)
    via_modules = neuron_graph(nn.Sequential(*net.layers))
    assert (via_protocol.adjacency != via_modules.adjacency).nnz == 0
    assert via_protocol.layer_sizes == tuple(sizes) == via_modules.layer_sizes
    assert np.array_equal(via_protocol.inputs, via_modules.inputs)
    assert np.array_equal(via_protocol.outputs, via_modules.outputs)


# --- relational graph of any nn.Module (review regression) ------------------------------------------


class TwoSquare(nn.Module):
    """A user-defined model: two square layers held as attributes (not an nn.Sequential)."""

    def __init__(self, n: int = 5, m: int = 5) -> None:
        super().__init__()
        self.first = nn.Linear(n, n)
        self.second = nn.Linear(m, m)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.second(torch.relu(self.first(x)))


def test_relational_graph_of_a_user_defined_module_matches_sequential():
    # review: `class M(nn.Module)` raised "got shape () for layer 0" while nn.Sequential worked
    torch.manual_seed(0)
    model = TwoSquare()
    with torch.no_grad():
        model.first.weight[1, 3] = 0.0
        model.first.weight[3, 1] = 0.0
        model.second.weight[1, 3] = 0.0
        model.second.weight[3, 1] = 0.0  # channels 1 and 3 never exchange a message
    R = relational_graph(model)
    S = relational_graph(nn.Sequential(model.first, nn.ReLU(), model.second))
    assert R.shape == (5, 5) and R.nnz == 18 and not R[1, 3] and not R[3, 1] and R[0, 4]
    assert (R != S).nnz == 0
    assert relational_graph(model, rule="majority").nnz == 18
    assert (relational_graph(neuron_graph(model)) != R).nnz == 0  # a NeuronGraph is accepted too


def test_relational_graph_of_nets_sparse_mlp_reads_its_protocol():
    import nets.models as models

    rng = np.random.default_rng(2)
    hidden = [rng.random((8, 8)) < 0.5 for _ in range(2)]
    masks = [np.ones((8, 12), dtype=bool), *hidden, np.ones((3, 8), dtype=bool)]
    net = models.SparseMLP([12, 8, 8, 8, 3], masks, seed=0)
    R = relational_graph(net)
    want = relational_graph(hidden)  # the two 8x8 layers; the 12->8 and 8->3 projections are ignored
    assert R.shape == (8, 8) and R.nnz == want.nnz > 0
    assert (R != want).nnz == 0
    assert (relational_graph(nn.Sequential(*net.layers)) != R).nnz == 0


def test_relational_graph_input_shape_orders_the_layers():
    class Reversed(nn.Module):  # registered first, runs last
        def __init__(self) -> None:
            super().__init__()
            self.last = nn.Linear(4, 2)
            self.hidden = nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.last(self.hidden(x))

    with pytest.raises(ValueError, match="could not read the layers of Reversed in order: layers do not chain"):
        relational_graph(Reversed())
    assert relational_graph(Reversed(), input_shape=(4,)).nnz == 12
    with pytest.raises(ValueError, match="input_shape is only used"):
        relational_graph(np.eye(3), input_shape=(3,))


class SkipProtocol:
    """A protocol model with an arc that skips a layer: 0 -> 2 across a 2-2-2 stack."""

    def __neuron_graph__(self) -> dict:
        A = sp.csr_array((np.ones(3, dtype=bool), ([0, 2, 0], [2, 4, 4])), shape=(6, 6))
        layers = np.repeat(np.arange(3), 2)
        return {"adjacency": A, "layers": layers, "inputs": np.arange(2), "outputs": np.arange(4, 6)}


@pytest.mark.parametrize(
    "model,exc,match",
    [
        (TwoSquare(5, 3), ValueError, r"layers of TwoSquare in order: layers do not chain: layer 0 has 5 outputs"),
        (mlp(5, 4, 3), ValueError, r"square \(n x n\) layers.*Sequential has layer widths \(5, 4, 3\)"),
        (mlp(4, 4, 6, 6), ValueError, r"one width; Sequential has square layers of widths \[4, 6\]"),
        (SkipProtocol(), ValueError, r"1 that skip or go back \(e\.g\. neuron 0 in layer 0 -> neuron 4 in layer 2\)"),
        (nn.Sequential(nn.Conv1d(1, 1, 3)), TypeError, "Conv1d"),
        (object(), TypeError, "a torch model, a mask or a sequence of masks; got object"),
    ],
)
def test_relational_graph_of_incompatible_models(model, exc, match):
    with pytest.raises(exc, match=match):
        relational_graph(model)
