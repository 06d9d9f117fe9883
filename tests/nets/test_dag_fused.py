"""WiredNet's fused DAG kernels against the per-level implementation they replace (issue 9, part 1)."""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pytest
import torch

import smallworld as sw
from nets import WiredNet, dag_wiring

ACTS = ["relu", "tanh", "sigmoid", "gelu", "identity"]
MODES = ["bp", "fa", "usf", "frsf"]


def reference_forward(net: WiredNet, x: torch.Tensor) -> torch.Tensor:
    """WiredNet.forward as it was before the fused path (commit d3b27c5), verbatim."""
    n0 = len(net.wiring.level_nodes[0])
    h0 = x.new_zeros((x.shape[0], n0))
    h0 = h0.index_copy(1, net._lv0_rows, x.index_select(1, net._lv0_cols))
    hs, zs = [h0], [h0]
    for lv, layer in enumerate(net.layers, start=1):
        h_all = torch.cat(hs, 1) if len(hs) > 1 else hs[0]
        z = layer(h_all.index_select(1, getattr(net, f"_src{lv}")))
        rows = getattr(net, f"_drv_rows{lv}")
        if rows.numel():
            z = z.index_add(1, rows, x.index_select(1, getattr(net, f"_drv_cols{lv}")))
        zs.append(z)
        hs.append(net.act(z))
    return torch.cat(zs, 1).index_select(1, net._out_pos)


def _net(graph, **kw) -> WiredNet:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sources that are not inputs carry 0
        return WiredNet(graph, dtype=torch.float64, **kw)


def _graphs():
    ws = sw.watts_strogatz(60, 6, 0.2, seed=1)
    # input neurons at level > 0: inputs are the first 8 of a random order, many of them have in-arcs
    deep_inputs = dict(graph=ws, inputs=8, outputs=4, order="random")
    # outputs with out-arcs: explicit outputs in the middle of the order
    mid_out = dict(graph=nx.gnm_random_graph(40, 160, seed=2), inputs=[0, 1, 2, 3, 4], outputs=[20, 25, 30, 39])
    return {
        "ring": dict(graph=nx.cycle_graph(12), inputs=2, outputs=2),
        "ws-random-order": deep_inputs,
        "outputs-with-out-arcs": mid_out,
        "ba-degree-order": dict(graph=sw.barabasi_albert(50, 3, seed=0), inputs=6, outputs=3, order="degree"),
    }


GRAPHS = _graphs()


def _compare(fused: WiredNet, ref: WiredNet, x: torch.Tensor, *, use_reference_forward: bool) -> None:
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ya = fused(xa)
    yb = reference_forward(ref, xb) if use_reference_forward else ref(xb)
    torch.testing.assert_close(ya, yb, atol=1e-6, rtol=0)
    g = torch.randn(ya.shape, dtype=ya.dtype, generator=torch.Generator().manual_seed(1))
    (ya * g).sum().backward()
    (yb * g).sum().backward()
    torch.testing.assert_close(xa.grad, xb.grad, atol=1e-6, rtol=0)
    for (name, pa), (_, pb) in zip(fused.named_parameters(), ref.named_parameters()):
        torch.testing.assert_close(pa.grad, pb.grad, atol=1e-6, rtol=0, msg=lambda m: f"{name}: {m}")


@pytest.mark.parametrize("graph", list(GRAPHS))
@pytest.mark.parametrize("act", ACTS)
def test_fused_equals_the_per_level_reference(graph, act):
    kw = dict(GRAPHS[graph], activation=act, seed=3)
    fused, ref = _net(engine="fused", **kw), _net(engine="levels", **kw)
    x = torch.randn(7, fused.n_inputs, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    _compare(fused, ref, x, use_reference_forward=True)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("storage", ["dense", "numba"])
def test_fused_equals_reference_in_every_feedback_mode(mode, bias, storage):
    kw = dict(GRAPHS["ws-random-order"], feedback=mode, bias=bias, backend=storage, activation="tanh", seed=4)
    fused, ref = _net(engine="fused", **kw), _net(engine="levels", **kw)
    assert all(l.sparse_storage == (storage == "numba") for l in fused.layers)
    x = torch.randn(5, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    _compare(fused, ref, x, use_reference_forward=True)


def test_mixed_feedback_modes_and_storages_per_level():
    kw = dict(GRAPHS["ws-random-order"], activation="relu", seed=5)
    fused, ref = _net(engine="fused", **kw), _net(engine="levels", **kw)
    for net in (fused, ref):
        for i, layer in enumerate(net.layers):
            layer.set_feedback(MODES[i % 4])
    x = torch.randn(6, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    _compare(fused, ref, x, use_reference_forward=True)


@pytest.mark.parametrize("cut", ["none", "blocks", "all"])
@pytest.mark.parametrize("graph", ["ws-random-order", "outputs-with-out-arcs"])
def test_fallback_path_equals_fused_path_under_every_cut(cut, graph):
    kw = dict(GRAPHS[graph], activation="gelu", blocks=2, feedback="fa", seed=6)
    fused, lv = _net(engine="fused", **kw), _net(engine="levels", **kw)
    x = torch.randn(5, fused.n_inputs, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    oa, ha = fused.propagate(xa, cut=cut, hidden=True)
    ob, hb = lv.propagate(xb, cut=cut, hidden=True)
    torch.testing.assert_close(oa, ob, atol=1e-6, rtol=0)
    torch.testing.assert_close(ha, hb, atol=1e-6, rtol=0)
    gen = torch.Generator().manual_seed(5)
    go, gh = torch.randn(oa.shape, dtype=oa.dtype, generator=gen), torch.randn(ha.shape, dtype=ha.dtype, generator=gen)
    ((oa * go).sum() + (ha * gh).sum()).backward()
    ((ob * go).sum() + (hb * gh).sum()).backward()
    torch.testing.assert_close(xa.grad, xb.grad, atol=1e-6, rtol=0)
    for (name, pa), (_, pb) in zip(fused.named_parameters(), lv.named_parameters()):
        ref = pb.grad if pb.grad is not None else torch.zeros_like(pb)  # cut levels get no gradient at all
        torch.testing.assert_close(pa.grad, ref, atol=1e-6, rtol=0, msg=lambda m: f"{name}: {m}")


def test_float32_fused_matches_reference_and_eval_without_grad():
    kw = dict(GRAPHS["ws-random-order"], seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        net = WiredNet(**kw)
    x = torch.randn(9, 8, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        torch.testing.assert_close(net(x), reference_forward(net, x), atol=1e-5, rtol=1e-5)


def test_plan_follows_a_changed_mask():
    kw = dict(GRAPHS["ws-random-order"], seed=8)
    fused, ref = _net(engine="fused", **kw), _net(engine="levels", **kw)
    x = torch.randn(4, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
    fused(x)  # builds the plan
    for net in (fused, ref):
        layer = max(net.layers, key=lambda l: l.nnz)
        m = layer.mask.clone()
        m[tuple(torch.nonzero(m)[0])] = False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            layer.set_mask(m)
    _compare(fused, ref, x, use_reference_forward=True)


def test_engine_choice_and_fallback_for_other_activations():
    kw = dict(GRAPHS["ring"], seed=0)
    net = _net(activation=torch.nn.Softplus(), **kw)  # not a built-in: the per-level path runs
    x = torch.randn(3, 2, dtype=torch.float64)
    torch.testing.assert_close(net(x), reference_forward(net, x))
    with pytest.raises(ValueError, match="engine='fused' needs .*got Softplus"):
        _net(activation=torch.nn.Softplus(), engine="fused", **kw)(x)
    with pytest.raises(ValueError, match="engine must be one of 'auto', 'fused', 'levels', got engine='gpu'"):
        _net(engine="gpu", **kw)
    with pytest.raises(ValueError, match="cut must be one of 'none', 'blocks', 'all', got cut='some'"):
        net.propagate(x, cut="some")


def test_blocks_are_runs_of_whole_levels():
    w = dag_wiring(sw.watts_strogatz(80, 6, 0.2, seed=0), "random", inputs=8, outputs=4, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        net = WiredNet(w, blocks=3, seed=0)
    b = net.blocks[net.hidden_neurons]
    assert net.n_blocks == 3 and np.all(np.diff(b) >= 0) and set(b.tolist()) == {0, 1, 2}
    lv = w.levels[net.hidden_neurons]
    for level in np.unique(lv):
        assert np.unique(b[lv == level]).size == 1
    counts = np.bincount(b)
    assert counts.max() - counts.min() <= max(np.bincount(lv)) + 1  # about equal: within one level's width
    assert np.all(net.blocks[w.outputs] == -1) and np.all(net.blocks[w.level_nodes[0]] == -1)
    # explicit ids: renumbered in topological order; a level split over two blocks is refused with its number
    ids = np.zeros(w.n_neurons, dtype=np.int64)
    ids[net.hidden_neurons] = 7 - b
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert np.array_equal(WiredNet(w, blocks=ids, seed=0).blocks, net.blocks)
        split = ids.copy()
        level = int(np.unique(lv, return_counts=True)[0][np.argmax(np.unique(lv, return_counts=True)[1])])
        first = net.hidden_neurons[lv == level][0]
        split[first] = 99
        with pytest.raises(ValueError, match=rf"level {level} has neurons in blocks"):
            WiredNet(w, blocks=split, seed=0)
        with pytest.raises(ValueError, match=r"blocks must be between 1 and \d+ \(the number of levels holding hidden neurons.*got blocks=10000"):
            WiredNet(w, blocks=10_000, seed=0)
        with pytest.raises(ValueError, match=r"one integer block id per neuron \(80\)"):
            WiredNet(w, blocks=[0, 1], seed=0)
