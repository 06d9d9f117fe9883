"""Every learning rule on a WiredNet (issue 9, part 2): cuts, hand-computed gradients, training, resume."""

from __future__ import annotations

import json
import warnings

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
import torch

import smallworld as sw
from nets import SparseMLP, WiredNet, apply_rule, dag_wiring, load_dataset, train
from nets.train import TrainingDiverged

ALL_RULES = ["bp", "fa", "usf", "frsf", "dfa", "pred", "sim", "predsim", "pred-bio", "sim-bio", "predsim-bio", "readout-only"]


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", seed=0)


def demo_like_wiring(hidden: int = 96, k: int = 10, budget: int = 2400, seed: int = 0):
    """Inputs -> a WS graph over the hidden neurons (random order) -> outputs, built as the demo's DAG
    (``smallworld demo``): the arcs left after the WS graph's go to input and output arcs pro rata."""
    rng = np.random.default_rng(seed)
    n_in, n_out = 64, 10
    g = sw.watts_strogatz(hidden, k, 0.1, seed=rng)
    rest = budget - g.nnz // 2
    d_in = min(1.0, rest * n_in / (n_in + n_out) / (n_in * hidden))
    d_out = min(1.0, rest * n_out / (n_in + n_out) / (n_out * hidden))
    m_in = sw.bipartite(n_in, hidden, d_in, min_degree=1, seed=rng)
    m_out = sw.bipartite(hidden, n_out, d_out, min_degree=1, seed=rng)
    n = n_in + hidden + n_out
    h_i, i_i = m_in.nonzero()
    o_o, h_o = m_out.nonzero()
    a, b = g.nonzero()
    rows = np.concatenate([i_i, n_in + h_o, n_in + a])
    cols = np.concatenate([n_in + h_i, n_in + hidden + o_o, n_in + b])
    A = sw.as_graph(sp.csr_array((np.ones(rows.size, dtype=bool), (rows, cols)), shape=(n, n)), directed=False)
    order = np.concatenate([np.arange(n_in), n_in + rng.permutation(hidden), np.arange(n_in + hidden, n)])
    return dag_wiring(A, order, inputs=np.arange(n_in), outputs=np.arange(n_in + hidden, n))


WIRING = demo_like_wiring()


# ----------------------------------------------------------------------------- explicit gradients


def _arcs(net: WiredNet):
    """(src id, dst id, level index, row, col) of every arc, and dense W/B over neuron ids."""
    w = net.wiring
    n = w.n_neurons
    W, B, bias = np.zeros((n, n)), np.zeros((n, n)), np.zeros(n)
    arcs = []
    for lv, layer in enumerate(net.layers, start=1):
        Wl, Bl = layer.weight.detach().double().numpy(), layer.feedback_weight.double().numpy()
        r, c = np.nonzero(layer.mask.numpy())
        for rr, cc in zip(r, c):
            u, v = int(w.sources[lv - 1][cc]), int(w.level_nodes[lv][rr])
            W[u, v], B[u, v] = Wl[rr, cc], Bl[rr, cc]
            arcs.append((u, v, lv - 1, rr, cc))
        if layer.bias is not None:
            bias[w.level_nodes[lv]] = layer.bias.detach().double().numpy()
    return arcs, W, B, bias


def _explicit_grads(net: WiredNet, x: np.ndarray, e: np.ndarray, dH: np.ndarray, propagates, F: np.ndarray):
    """Neuron by neuron (tanh), reverse topological order: dz = dh (1 - h^2) (+ e at outputs);
    dh_u += F[u, v] dz_v only for arcs with propagates(u, v); g_W[u, v] = <dz_v, h_u>."""
    w = net.wiring
    arcs, W, _, bias = _arcs(net)
    n, nb = w.n_neurons, x.shape[0]
    slot = {int(v): i for i, v in enumerate(w.inputs)}
    indeg = np.asarray(w.adjacency.sum(axis=0)).ravel()
    order = np.argsort(w.levels, kind="stable")
    z, h = np.zeros((nb, n)), np.zeros((nb, n))
    for v in order:
        if indeg[v] == 0:
            z[:, v] = x[:, slot[v]] if v in slot else 0.0
            h[:, v] = z[:, v]
        else:
            z[:, v] = h @ W[:, v] + bias[v] + (x[:, slot[v]] if v in slot else 0.0)
            h[:, v] = np.tanh(z[:, v])
    dh, dz = np.zeros((nb, n)), np.zeros((nb, n))
    dh[:, net.hidden_neurons] = dH
    ext = np.zeros((nb, n))
    ext[:, w.outputs] = e
    for v in order[::-1]:
        if indeg[v] == 0:
            continue
        dz[:, v] = dh[:, v] * (1 - h[:, v] ** 2) + ext[:, v]
        for u in np.flatnonzero(W[:, v] != 0):
            if propagates(int(u), int(v)):
                dh[:, u] += F[u, v] * dz[:, v]
    gW = np.zeros((n, n))
    for u, v, *_ in arcs:
        gW[u, v] = dz[:, v] @ h[:, u]
    return gW, dz.sum(0)


def _check_grads(net: WiredNet, grads: list, gW: np.ndarray, gb: np.ndarray) -> None:
    w = net.wiring
    arcs, *_ = _arcs(net)
    for u, v, li, r, c in arcs:
        np.testing.assert_allclose(grads[li][0][r, c], gW[u, v], atol=1e-9, err_msg=f"arc {u}->{v}")
    for li, (_, gbl) in enumerate(grads):
        np.testing.assert_allclose(gbl, gb[w.level_nodes[li + 1]], atol=1e-9)


def _tiny(**kw) -> WiredNet:
    G = sw.watts_strogatz(24, 4, 0.3, seed=0)
    return WiredNet(dag_wiring(G, "random", inputs=4, outputs=3, seed=0), activation="tanh", dtype=torch.float64, seed=2, **kw)


def test_dfa_step_equals_the_hand_computation():
    """One SGD step (lr 1, first momentum step = the gradient) of DFA: W moves by exactly the
    gradient of dh = e B through tanh' into <dz, h_pre>, with no error along any arc."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        net = _tiny()
    x = torch.randn(6, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    learner = apply_rule(net, "dfa", optimizer="sgd", lr=1.0, seed=0)
    before = [(l.weight.detach().clone(), l.bias.detach().clone()) for l in net.layers]
    with torch.no_grad():
        logits = net(x)
    e = ((torch.softmax(logits, 1) - torch.nn.functional.one_hot(y, 3)) / 6).numpy()
    B = learner.extra["feedback"].B0.numpy()
    learner.step(x, y)
    grads = [((w0 - l.weight.detach()).numpy(), (b0 - l.bias.detach()).numpy()) for (w0, b0), l in zip(before, net.layers)]
    _, W, _, _ = _arcs(net)  # (after the step; only the forward pass below uses the old values)
    with torch.no_grad():
        for (w0, b0), l in zip(before, net.layers):
            l.weight.copy_(w0)
            l.bias.copy_(b0)
    gW, gb = _explicit_grads(net, x.numpy(), e, e @ B, lambda u, v: False, W)
    _check_grads(net, grads, gW, gb)


@pytest.mark.parametrize("engine", ["fused", "levels"])
def test_bio_blocks_send_error_through_b_never_w(engine):
    """pred-bio: inside a block the error goes through each level's FA matrix B (an explicit
    computation with F = B matches; the same computation with F = W does not); nothing crosses blocks."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        net = _tiny(blocks=2, engine=engine)
    learner = apply_rule(net, "pred-bio", seed=0, n_classes=3)
    assert all(l.feedback.value == "fa" for l in net.layers)
    x = torch.randn(6, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    logits, hidden = net.propagate(x, cut="blocks", hidden=True)
    logits.retain_grad()
    hidden.retain_grad()
    cols = [torch.as_tensor(c) for c in net.block_columns()]
    local = sum(head(hidden.index_select(1, c), y) for head, c in zip(learner.extra["heads"], cols))
    (torch.nn.functional.cross_entropy(logits, y) + local).backward()
    grads = [(l.weight.grad.numpy(), l.bias.grad.numpy()) for l in net.layers]
    pos_group = {}
    for v in range(net.wiring.n_neurons):
        pos_group[v] = -2 if v in set(net.wiring.outputs.tolist()) else int(net.blocks[v])
    same = lambda u, v: pos_group[u] == pos_group[v] and pos_group[u] != -1  # noqa: E731
    _, W, B, _ = _arcs(net)
    args = (net, x.numpy(), logits.grad.numpy(), hidden.grad.numpy(), same)
    gW, gb = _explicit_grads(*args, B)
    _check_grads(net, grads, gW, gb)
    gW_bp, _ = _explicit_grads(*args, W)
    assert np.abs(gW_bp - gW).max() > 1e-3  # the check above can tell B from W
    assert net.n_blocks == 2 and any(not same(u, v) for u, v, *_ in _arcs(net)[0])  # some arcs are cut


def test_local_rules_cut_between_blocks_and_keep_within():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        net = _tiny(blocks=2)
    x = torch.randn(5, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    _, hidden = net.propagate(x, cut="blocks", hidden=True)
    cols = net.block_columns()
    hidden[:, cols[1]].sum().backward()  # a loss on block 1 only
    for lv, layer in enumerate(net.layers, start=1):
        nodes = net.wiring.level_nodes[lv]
        in_block0 = (net.blocks[nodes] == 0).all()
        if in_block0:  # block 0's weights get nothing from block 1's loss
            assert layer.weight.grad is None or not layer.weight.grad.any()


@pytest.mark.parametrize("rule", ALL_RULES)
def test_every_rule_trains_a_wired_net_on_digits(rule, digits):
    net = WiredNet(WIRING, seed=0)
    res = train(net, rule, digits, epochs=3, lr=1e-2 if rule != "dfa" else 3e-3, seed=0, progress=False)
    assert res.final_test_accuracy > 0.3, res.final_test_accuracy  # chance is 0.1
    for layer in net.layers:  # weights off the mask stay exactly 0
        assert not layer.sparse_storage and not layer.weight[~layer.mask].any()


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_readout_moves_only_the_arcs_into_outputs_even_with_weight_decay(optimizer, digits):
    net = WiredNet(WIRING, seed=0, backend="numba")  # sparse storage: weight_values
    before = {k: v.clone() for k, v in net.state_dict().items()}
    train(net, "readout-only", digits, epochs=1, lr=1e-2, weight_decay=0.1, optimizer=optimizer, seed=0, progress=False)
    outs = set(WIRING.outputs.tolist())
    moved = 0
    for lv, layer in enumerate(net.layers, start=1):
        is_out = torch.tensor([int(v) in outs for v in WIRING.level_nodes[lv]])
        w0 = before[f"layers.{lv - 1}.weight_values"]
        rows = torch.div(layer._structure().flat, layer.in_features, rounding_mode="floor")
        frozen = ~is_out[rows]
        assert torch.equal(layer.weight_values.detach()[frozen], w0[frozen]), f"level {lv}"
        assert torch.equal(layer.bias.detach()[~is_out], before[f"layers.{lv - 1}.bias"][~is_out])
        moved += int((layer.weight_values.detach()[~frozen] != w0[~frozen]).sum())
    assert moved > 0


@pytest.mark.parametrize("rule", ["dfa", "predsim"])
def test_checkpoint_and_resume_are_bit_identical(rule, digits, tmp_path):
    kw = dict(epochs=3, lr=3e-3, seed=1, progress=False)
    full_net = WiredNet(WIRING, seed=0)
    full = train(full_net, rule, digits, out=tmp_path / "full", **kw)
    part = WiredNet(WIRING, seed=0)
    train(part, rule, digits, out=tmp_path / "part", **{**kw, "epochs": 2})
    resumed_net = WiredNet(WIRING, seed=99)  # everything must come from the checkpoint
    resumed = train(resumed_net, rule, digits, out=tmp_path / "part", resume=True, **kw)
    strip = lambda h: [{k: v for k, v in r.items() if k != "time_s"} for r in h]  # noqa: E731
    assert strip(resumed.history) == strip(full.history)
    assert all(torch.equal(v, resumed_net.state_dict()[k]) for k, v in full_net.state_dict().items())
    assert json.loads((tmp_path / "part" / "results.json").read_text())["epochs"] == 3


def test_nan_in_a_local_loss_is_detected(digits):
    def poisoned():
        net = WiredNet(WIRING, seed=0)
        first = int(net.hidden_neurons[0])  # a hidden neuron of the first block
        lv = int(WIRING.levels[first])
        row = int(np.flatnonzero(WIRING.level_nodes[lv] == first)[0])
        with torch.no_grad():
            net.layers[lv - 1].bias[row] = float("nan")
        return net

    learner = apply_rule(poisoned(), "predsim", seed=0)
    learner.step(digits.X_train[:8], digits.y_train[:8])
    assert np.isnan(learner.local_losses()[0]) and len(learner.local_loss_tensors()) == poisoned().n_blocks
    with pytest.raises(TrainingDiverged, match="diverged at epoch 1, batch 0"):
        train(poisoned(), "predsim", digits, epochs=1, seed=0, progress=False)


def test_rules_that_still_need_layers_say_why():
    net = WiredNet(nx.gnm_random_graph(30, 120, seed=0), inputs=6, outputs=3, seed=0)
    with pytest.raises(TypeError, match=r"rule 'dendritic' needs a layered MLP .*runs layer after layer.*use bp, fa"):
        apply_rule(net, "dendritic")
    with pytest.raises(TypeError, match="node-perturbation.*needs a layered MLP"):
        apply_rule(net, "node-perturbation")
    # a DAG whose hidden part is empty: dfa and the local rules say so
    bare = WiredNet(nx.complete_bipartite_graph(3, 2), inputs=[0, 1, 2], outputs=[3, 4], seed=0)
    for rule in ("dfa", "predsim"):
        with pytest.raises(ValueError, match="needs hidden neurons"):
            apply_rule(bare, rule)


def test_layered_rules_unchanged_on_sparse_mlp():
    net = SparseMLP([4, 8, 3], seed=0)
    assert type(apply_rule(net, "dfa", seed=0)).__name__ == "DFALearner"
    assert type(apply_rule(net, "predsim", seed=0)).__name__ == "LocalLearner"
    assert type(apply_rule(net, "readout-only", seed=0)).__name__ == "ReadoutLearner"
