"""SparseMLP and WiredNet: forward passes, feedback switching, and the neuron-graph protocol."""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
import torch

import smallworld as sw
from nets import Feedback, SparseLinear, SparseMLP, WiredNet, dag_wiring, layered_masks


def test_sparse_mlp_forward_is_act_between_layers():
    sizes = [12, 10, 8, 3]
    net = SparseMLP(sizes, layered_masks(sizes, "er", 0.5, sparse_output=True, seed=0), activation="tanh", seed=0, dtype=torch.float64)
    assert isinstance(net.layers, torch.nn.ModuleList) and all(isinstance(l, SparseLinear) for l in net.layers)
    assert isinstance(net.act, torch.nn.Tanh)
    x = torch.randn(4, 12, dtype=torch.float64)
    h = x
    for i, l in enumerate(net.layers):
        h = h @ l.weight.detach().T + l.bias.detach()
        if i < 2:
            h = torch.tanh(h)
    torch.testing.assert_close(net(x), h)


def test_sparse_mlp_neuron_graph_is_the_masks():
    sizes = [6, 5, 4]
    masks = layered_masks(sizes, "er", 0.4, sparse_output=True, seed=1)
    net = SparseMLP(sizes, masks, seed=0)
    g = net.__neuron_graph__()
    A = g["adjacency"]
    assert isinstance(A, sp.csr_array) and A.shape == (15, 15) and A.nnz == sum(m.nnz for m in masks)
    # block (layer 0 -> layer 1) is mask0 transposed (pre -> post)
    assert (A[0:6, 6:11] != masks[0].T).nnz == 0
    assert (A[6:11, 11:15] != masks[1].T).nnz == 0
    assert g["layers"].tolist() == [0] * 6 + [1] * 5 + [2] * 4
    assert g["inputs"].tolist() == list(range(6)) and g["outputs"].tolist() == [11, 12, 13, 14]
    dense = SparseMLP([3, 2], "dense", seed=0).__neuron_graph__()["adjacency"]
    assert dense.nnz == 6


def test_models_same_seed_same_parameters_and_set_feedback():
    a = SparseMLP([5, 4, 3], seed=7)
    b = SparseMLP([5, 4, 3], seed=7)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.layers[0].weight, SparseMLP([5, 4, 3], seed=8).layers[0].weight)
    a.set_feedback("frsf")
    assert all(l.feedback is Feedback.FRSF for l in a.layers)
    a.set_feedback("fa", dense=True, seed=3)
    assert all(l.dense_feedback for l in a.layers)
    with pytest.raises(ValueError, match="mode must be one of"):
        a.set_feedback("dfa")


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(masks="sparse"), ValueError, "masks must be None, 'dense' or a list"),
        (dict(masks=[None]), ValueError, r"one mask per layer \(2 for sizes=\[5, 4, 3\]\), got 1"),
        (dict(masks=5), TypeError, "masks must be None, 'dense' or a sequence"),
        (dict(activation="swish"), ValueError, "activation must be one of"),
        (dict(activation=3), TypeError, "activation must be a str or an nn.Module"),
        (dict(masks=[np.ones((5, 4), bool), None]), ValueError, r"mask must have shape .* \(4, 5\)"),
    ],
)
def test_sparse_mlp_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        SparseMLP([5, 4, 3], **kwargs)


def _brute_force(net: WiredNet, x: torch.Tensor) -> torch.Tensor:
    """Neuron by neuron, in topological order, from the wiring's definition."""
    w = net.wiring
    n = w.n_neurons
    W = np.zeros((n, n))  # W[u, v] = weight of arc u -> v
    b = np.zeros(n)
    for lv, layer in enumerate(net.layers, start=1):
        Wl = layer.weight.detach().double().numpy()
        for r, v in enumerate(w.level_nodes[lv]):
            b[v] = float(layer.bias.detach()[r])
            for c, u in enumerate(w.sources[lv - 1]):
                W[u, v] = Wl[r, c]
    X = x.double().numpy()
    h = np.zeros((X.shape[0], n))
    z = np.zeros((X.shape[0], n))
    slot = {int(v): k for k, v in enumerate(w.inputs)}
    indeg = np.asarray(w.adjacency.sum(axis=0)).ravel()
    for v in np.argsort(w.levels, kind="stable"):
        if indeg[v] == 0:
            z[:, v] = X[:, slot[v]] if v in slot else 0.0
            h[:, v] = z[:, v]
            continue
        z[:, v] = h @ W[:, v] + b[v] + (X[:, slot[v]] if v in slot else 0.0)
        h[:, v] = np.tanh(z[:, v])
    return torch.from_numpy(z[:, w.outputs])


@pytest.mark.parametrize("order", [None, "random", "degree"])
def test_wired_net_forward_matches_neuron_by_neuron_computation(order):
    G = sw.watts_strogatz(40, 4, 0.3, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sources that are not inputs: checked below
        net = WiredNet(G, inputs=8, outputs=3, order=order, activation="tanh", seed=1, dtype=torch.float64)
    x = torch.randn(5, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(net(x), _brute_force(net, x))


def test_wired_net_warns_about_sources_that_are_not_inputs():
    with pytest.warns(UserWarning, match=r"1 neuron\(s\) have no incoming arc and are not inputs.*neuron 0"):
        net = WiredNet(nx.path_graph(3), inputs=[1], outputs=[2], activation="tanh", seed=0, dtype=torch.float64)
    x = torch.linspace(-1, 1, 4, dtype=torch.float64)[:, None]
    torch.testing.assert_close(net(x), _brute_force(net, x))  # neuron 0 carries 0, neuron 1 adds x


@pytest.mark.parametrize("make", [lambda: nx.karate_club_graph(), lambda: sw.barabasi_albert(80, 2, seed=0)])
@pytest.mark.parametrize("order", [None, "random"])
def test_wired_net_neuron_graph_is_the_graph(make, order):
    G = make()
    A = sw.as_graph(G).astype(bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        net = WiredNet(G, order=order, seed=3)
    g = net.__neuron_graph__()
    D = g["adjacency"]
    # the oriented neuron graph, read back from the layers' masks, is G with each edge once, along the order
    assert D.nnz == A.nnz // 2
    assert (sp.csr_array((D + D.T).astype(bool)) != A).nnz == 0
    rank = np.empty(A.shape[0], dtype=np.int64)
    rank[net.wiring.order] = np.arange(A.shape[0])
    r, c = D.nonzero()
    assert np.all(rank[r] < rank[c])
    assert np.array_equal(g["layers"], net.wiring.levels)
    assert np.all(g["layers"][c] > g["layers"][r])


def test_wired_net_trains_with_every_feedback_mode():
    """A student WiredNet learns a teacher on the same wiring under BP, FA, uSF and frSF."""
    G = sw.watts_strogatz(30, 6, 0.2, seed=0)
    w = dag_wiring(G, "random", inputs=4, outputs=1, seed=0)
    x = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        teacher = WiredNet(w, seed=5)
        with torch.no_grad():
            y = teacher(x)
        for mode in ["bp", "fa", "usf", "frsf"]:
            net = WiredNet(w, feedback=mode, seed=0)
            opt = torch.optim.Adam(net.parameters(), lr=0.02)
            first = None
            for _ in range(150):
                loss = (net(x) - y).square().mean()
                first = float(loss.detach()) if first is None else first
                opt.zero_grad()
                loss.backward()
                opt.step()
            assert float(loss.detach()) < 0.2 * first, mode


def test_wired_net_accepts_a_wiring_and_validates_input():
    w = dag_wiring(nx.path_graph(4))
    net = WiredNet(w, seed=0)
    assert net(torch.ones(2, 1)).shape == (2, 1)
    with pytest.raises(ValueError, match=r"input must be a \(batch, 1\) tensor, got \(2, 3\)"):
        net(torch.ones(2, 3))
    with pytest.raises(ValueError, match="give order/inputs/outputs to dag_wiring"):
        WiredNet(w, inputs=1)


def test_dead_neuron_warning_names_the_layer_and_points_at_the_caller():
    m = torch.ones(3, 4, dtype=torch.bool)
    m[0] = False
    with pytest.warns(UserWarning, match=r"layer 0 \(4 -> 3\): mask has dead neurons: 1 output") as rec:
        SparseMLP([4, 3, 2], [m, None])
    assert rec[0].filename == __file__
