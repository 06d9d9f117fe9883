"""Rewiring during training (nets.rewire): exact nnz, in-place updates, optimizer state, RNG, resume, policies."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch

from nets import SparseLinear, SparseMLP, WiredNet, layered_masks, layered_smallworld, load_dataset, train
from nets._topology import average_clustering
from nets.rewire import Rewirer, Rewiring, rewire_layer
from smallworld.cli import main

SIZES = [64, 48, 48, 10]


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", seed=0)


def _net(backend: str = "auto", seed: int = 0) -> SparseMLP:
    return SparseMLP(SIZES, layered_masks(SIZES, "ws", 0.2, sparse_output=True, seed=seed), backend=backend, seed=seed)


def _snapshots(net):
    masks, weights = [], []

    def cb(_rec):
        masks.append([l.mask.clone() for l in net.layers])
        weights.append([l.weight.detach().clone() for l in net.layers])

    return masks, weights, cb


@pytest.mark.parametrize("backend", ["dense", "csr"])
@pytest.mark.parametrize("policy", ["set", "rigl", "smallworld"])
def test_nnz_constant_masks_change_weights_zero_off_mask(digits, backend, policy):
    net = _net(backend)
    nnz0 = [l.nnz for l in net.layers]
    params0 = [id(l._param()) for l in net.layers]
    masks, weights, cb = _snapshots(net)
    res = train(net, "bp", digits, epochs=4, lr=3e-3, seed=0, progress=False, callback=cb, rewire=Rewiring(policy, 0.3))
    for e, (ms, ws) in enumerate(zip(masks, weights)):
        assert [int(m.sum()) for m in ms] == nnz0
        for m, w in zip(ms, ws):
            assert bool((w[~m] == 0).all())
        if 0 < e < 3:  # every rewiring changes every layer's mask (none after the last epoch)
            assert all(not torch.equal(a, b) for a, b in zip(masks[e - 1], ms))
    assert all(torch.equal(a, b) for a, b in zip(masks[2], masks[3]))
    assert [id(l._param()) for l in net.layers] == params0  # Parameters kept: the optimizer still owns them
    assert [h["rewired"] for h in res.history] == [sum(round(0.3 * n) for n in nnz0)] * 3 + [0]  # none after the last epoch
    assert res.history[-1]["topology"]["C"] == 0.0  # a plain stack has no triangles
    assert len(res.history[-1]["topology"]["relational_C"]) == 1  # one square hidden mask


@pytest.mark.parametrize("sparse", [False, True])
def test_optimizer_state_reset_for_dropped_and_grown_entries(sparse):
    torch.manual_seed(0)
    mask = torch.rand(6, 5) < 0.5
    layer = SparseLinear(5, 6, mask.clone(), sparse_storage=sparse, seed=0)
    opt = torch.optim.Adam(layer.parameters(), lr=0.1)
    layer(torch.randn(4, 5)).pow(2).sum().backward()
    opt.step()
    dense_before = {k: _dense(layer, v) for k, v in opt.state[layer._param()].items() if k != "step"}
    w_before = layer.weight.detach().clone()
    inactive = torch.nonzero(~mask.reshape(-1)).reshape(-1).numpy()
    dropped, grown = rewire_layer(layer, 3, lambda _l, _a, cand, n: cand[:n], [opt])
    assert list(grown) == list(inactive[:3])
    assert layer.nnz == int(mask.sum())
    st = opt.state[layer._param()]
    for k, before in dense_before.items():
        now = _dense(layer, st[k]).reshape(-1)
        assert bool((now[torch.from_numpy(np.concatenate([dropped, grown]))] == 0).all())
        kept = layer.mask.reshape(-1).clone()
        kept[torch.from_numpy(grown)] = False
        assert torch.equal(now[kept], before.reshape(-1)[kept])  # the rest moved with their weights
    w = layer.weight.detach().reshape(-1)
    assert bool((w[torch.from_numpy(grown)] == 0).all()) and bool((w[~layer.mask.reshape(-1)] == 0).all())
    kept = layer.mask.reshape(-1) & mask.reshape(-1)
    assert torch.equal(w[kept], w_before.reshape(-1)[kept])
    layer(torch.randn(4, 5)).sum().backward()  # the old optimizer keeps working on the same Parameter
    opt.step()
    assert bool((layer.weight.detach()[~layer.mask] == 0).all())


def _dense(layer: SparseLinear, t: torch.Tensor) -> torch.Tensor:
    if not layer.sparse_storage:
        return t.detach().clone()
    out = torch.zeros(layer.mask.numel(), dtype=t.dtype)
    out[layer.mask.reshape(-1)] = t.detach()
    return out.view(layer.mask.shape)


def test_same_seed_same_masks(digits):
    runs = []
    for _ in range(2):
        net = _net()
        train(net, "bp", digits, epochs=3, seed=1, progress=False, rewire=Rewiring("set", 0.3, seed=7))
        runs.append([l.mask.clone() for l in net.layers])
    assert all(torch.equal(a, b) for a, b in zip(*runs))
    net = _net()
    train(net, "bp", digits, epochs=3, seed=1, progress=False, rewire=Rewiring("set", 0.3, seed=8))
    assert not all(torch.equal(a, l.mask) for a, l in zip(runs[0], net.layers))


class _Stop(Exception):
    pass


def _interrupt_after(n: int):
    def cb(rec):
        if rec["epoch"] == n:
            raise _Stop  # a killed run: the checkpoint of epoch n is written and intact
    return cb


@pytest.mark.parametrize("policy,backend", [("set", "csr"), ("rigl", "dense"), ("smallworld", "auto")])
def test_resume_equals_uninterrupted(digits, tmp_path, policy, backend):
    rw = Rewiring(policy, 0.3)
    full = _net(backend)
    train(full, "bp", digits, epochs=4, seed=0, progress=False, out=tmp_path / "full", rewire=rw)
    with pytest.raises(RuntimeError, match="after epoch 2"):
        train(_net(backend), "bp", digits, epochs=4, seed=0, progress=False, out=tmp_path / "part", rewire=rw,
              callback=_interrupt_after(2))  # fmt: skip
    part = _net(backend)  # a fresh process: the model as built, the masks come from the checkpoint
    train(part, "bp", digits, epochs=4, seed=0, progress=False, out=tmp_path / "part", resume=True, rewire=rw)
    for a, b in zip(full.layers, part.layers):
        assert torch.equal(a.mask, b.mask)
        assert torch.equal(a.weight, b.weight)
    r1 = json.loads((tmp_path / "full" / "results.json").read_text())
    r2 = json.loads((tmp_path / "part" / "results.json").read_text())
    assert [h["train_loss"] for h in r1["history"]] == [h["train_loss"] for h in r2["history"]]
    assert [h["topology"] for h in r1["history"]] == [h["topology"] for h in r2["history"]]


def test_resume_refuses_another_schedule(digits, tmp_path):
    rw = Rewiring("set", 0.3)
    train(_net(), "bp", digits, epochs=2, seed=0, progress=False, out=tmp_path / "r", rewire=rw)
    with pytest.raises(ValueError, match="rewire="), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "nothing to train" comes first: the run is complete
        train(_net(), "bp", digits, epochs=2, seed=0, progress=False, out=tmp_path / "r", resume=True,
              rewire=Rewiring("set", 0.2))  # fmt: skip
    with pytest.raises(ValueError, match="planned for 2 epochs, this run has 4"):
        train(_net(), "bp", digits, epochs=4, seed=0, progress=False, out=tmp_path / "r", resume=True, rewire=rw)


def test_rigl_grows_the_largest_gradient_inactive_positions():
    mask = torch.tensor([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], dtype=torch.bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # input 3 feeds no output: fine here
        layer = SparseLinear(4, 3, mask.clone(), seed=0)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[0.1, 0, 0, 0], [0, 0.5, 0, 0], [0, 0, 0.9, 0]]))
    model = torch.nn.Sequential(layer)
    rw = Rewirer(Rewiring("rigl", 0.5), model, {}, epochs=3, n_batches=1, seed=0)
    x = torch.tensor([[1.0, 2.0, 3.0, 5.0]])
    g = torch.tensor([[1.0, 0.0, -2.0]])  # the rule's output error; dense gradient G = g^T x
    rw._signal[layer] = (x, g)
    rw.rewire(1)
    # |G| on inactive positions: row 0 -> 2, 3, 5; row 1 -> 0; row 2 -> 2, 4, 10.  Two replaced (round(0.5 * 3)):
    # the smallest weights 0.1 at (0, 0) and 0.5 at (1, 1) go; the two largest |G|, (2, 3) and (0, 3), grow
    assert set(map(tuple, torch.nonzero(layer.mask & ~mask).tolist())) == {(2, 3), (0, 3)}
    assert layer.nnz == 3 and not layer.mask[0, 0] and not layer.mask[1, 1]


def test_rigl_without_a_gradient_signal_is_refused():
    layer = SparseLinear(4, 4, torch.eye(4, dtype=torch.bool), seed=0)
    rw = Rewirer(Rewiring("rigl", 0.5), torch.nn.Sequential(layer), {}, epochs=3, n_batches=1, seed=0)
    with pytest.raises(ValueError, match="no error signal.*use policy 'set' or 'smallworld'"):
        rw.rewire(1)


def _ws_layer(seed: int) -> SparseLinear:
    m = layered_masks([200, 200], "ws", 0.05, p=0.05, sparse_output=True, seed=seed)[0]
    layer = SparseLinear(200, 200, m, seed=seed)
    return layer


def test_smallworld_keeps_clustering_better_than_set():
    c = {"set": [], "smallworld": []}
    for seed in range(3):
        for policy in c:
            layer = _ws_layer(seed)
            c0 = average_clustering(layer.mask.numpy())
            rw = Rewirer(Rewiring(policy, 0.3, seed=seed), SparseMLP([200, 200], [layer.mask], seed=seed), {}, 10, 1, 0)
            for t in range(1, 6):
                rw.rewire(t)
            c[policy].append(average_clustering(rw.layers[0][1].mask.numpy()) / c0)
    assert np.mean(c["smallworld"]) > np.mean(c["set"]) + 0.2, c
    assert np.mean(c["smallworld"]) > 0.5, c  # stays near its start; set falls towards ER (k/n)


def test_cycle_counts_match_brute_force():
    """The drop's cycle counts (Rewiring.protect): 4-cycles through each edge of a bipartite layer and
    triangles through each edge of a square mask's relational graph, counted by hand."""
    from itertools import product

    from nets.rewire import _cycle_counts

    rng = np.random.default_rng(0)
    M = rng.random((7, 9)) < 0.4
    lay = SparseLinear(9, 7, torch.from_numpy(M), seed=0)
    active = np.flatnonzero(M.ravel())
    want = [sum(M[i, j2] and M[i2, j2] and M[i2, j] for i2, j2 in product(range(7), range(9)) if i2 != i and j2 != j)
            for i, j in (divmod(a, 9) for a in active)]
    assert _cycle_counts(lay, None, None, active).tolist() == want
    Q = rng.random((8, 8)) < 0.4
    np.fill_diagonal(Q, False)
    G = Q | Q.T
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a random mask may leave a neuron without inputs
        lay = SparseLinear(8, 8, torch.from_numpy(Q), seed=0)
    active = np.flatnonzero(Q.ravel())
    want = [sum(G[i, k] and G[k, j] for k in range(8)) for i, j in (divmod(a, 8) for a in active)]
    assert _cycle_counts(lay, None, None, active).tolist() == want


def test_protect_keeps_a_wirednets_clustering():
    """protect=2 spares the lattice edges a magnitude-only drop loses for good: the neuron graph's C stays
    nearer its start over five 30% rewirings than with protect=0 (after 20 epochs of training on digits:
    0.88 vs 0.51 of the start, BENCHMARKS.md)."""
    from nets._topology import topology_metrics

    c = {}
    for protect in (0.0, 2.0):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net = WiredNet(layered_smallworld([64, 64, 64, 10], 0.25, skip=2, seed=0), seed=0)
        c0 = topology_metrics(net)["C"]
        rw = Rewirer(Rewiring("smallworld", 0.3, seed=0, protect=protect), net, {}, 10, 1, 0)
        nnz0 = [lay.nnz for _, lay in rw.layers]
        for t in range(1, 6):
            rw.rewire(t)
        assert [lay.nnz for _, lay in rw.layers] == nnz0
        c[protect] = topology_metrics(net)["C"] / c0
    assert c[2.0] > 0.7 and c[2.0] > c[0.0] + 0.1, c  # measured 0.77 vs 0.63 (untrained weights)


def test_rewire_layer_keep_factors_spare_what_they_weigh():
    lay = SparseLinear(6, 6, torch.ones(6, 6, dtype=torch.bool) & ~torch.eye(6, dtype=torch.bool), seed=0)
    with torch.no_grad():
        lay.weight.fill_(1.0)
    first = lambda layer, after, cand, n: cand[:n]  # noqa: E731
    active = torch.nonzero(lay.mask.reshape(-1)).reshape(-1).numpy()
    spared = set(active[:10].tolist())
    keep = lambda layer, act: np.where(np.isin(act, list(spared)), 100.0, 1.0)  # noqa: E731
    dropped, _ = rewire_layer(lay, 5, first, keep=keep)
    assert not spared & set(dropped.tolist())
    with pytest.raises(RuntimeError, match="positive finite"):
        rewire_layer(lay, 2, first, keep=lambda layer, act: np.zeros(act.size))


@pytest.mark.parametrize("rule", ["bp", "fa", "dfa", "predsim"])
@pytest.mark.parametrize("policy", ["set", "rigl", "smallworld"])
def test_every_rule(digits, rule, policy):
    net = _net()
    nnz0 = [l.nnz for l in net.layers]
    res = train(net, rule, digits, epochs=2, lr=3e-3, seed=0, progress=False, rewire=Rewiring(policy, 0.3))
    assert [l.nnz for l in net.layers] == nnz0
    assert res.history[0]["rewired"] > 0 and np.isfinite(res.final_test_accuracy)


def test_step_unit_and_cosine_decay(digits):
    net = _net()
    res = train(net, "bp", digits, epochs=2, batch_size=256, seed=0, progress=False,
                rewire=Rewiring("set", 0.3, every=2, unit="step", decay="cosine"))  # fmt: skip
    assert res.history[0]["rewired"] > 0 and res.history[1]["rewired"] > 0
    assert Rewiring("set", 0.4, decay="cosine").fraction_at(10, 10) == 0.0


def test_wirednet_levels_rewire_within_their_sources(digits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = WiredNet(layered_smallworld([64, 32, 32, 10], 0.3, skip=2, seed=0), seed=0)
    nnz0 = [l.nnz for l in net.layers]
    res = train(net, "bp", digits, epochs=2, seed=0, progress=False, rewire=Rewiring("smallworld", 0.3))
    assert [l.nnz for l in net.layers] == nnz0
    assert res.config["topology_initial"]["C"] > 0 and res.history[-1]["topology"]["C"] > 0  # skip arcs: triangles


@pytest.mark.parametrize("engine", ["auto", "fused"])
def test_rigl_on_a_fused_wirednet(digits, engine):
    """The fused engine never calls a WiredNet's layers, so RigL's capture step runs per level (it raised
    'found no error signal' before); the engine is restored afterwards and the grown arcs are where the
    captured dense gradient is largest."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = WiredNet(layered_smallworld([64, 32, 32, 10], 0.3, skip=2, seed=0), seed=0, engine=engine)
    masks0 = [l.mask.clone() for l in net.layers]
    nnz0 = [l.nnz for l in net.layers]
    train(net, "bp", digits, epochs=2, seed=0, progress=False, rewire=Rewiring("rigl", 0.3))
    assert net.engine == engine
    assert [l.nnz for l in net.layers] == nnz0
    assert all(not torch.equal(m, l.mask) for m, l in zip(masks0, net.layers))


def test_static_tracks_without_rewiring(digits):
    net = _net()
    before = [l.mask.clone() for l in net.layers]
    res = train(net, "bp", digits, epochs=2, seed=0, progress=False, rewire=Rewiring("static"))
    assert all(torch.equal(a, l.mask) for a, l in zip(before, net.layers))
    assert "topology" in res.history[0] and "rewired" not in res.history[0]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"policy": "random"}, "policy must be one of"),
        ({"fraction": 0.0}, "fraction must be"),
        ({"every": 0}, "every must be"),
        ({"unit": "batch"}, "unit must be one of"),
        ({"decay": "linear"}, "decay must be one of"),
        ({"policy": "smallworld", "protect": -1.0}, "protect must be"),
        ({"policy": "set", "protect": 2.0}, "protect=2.0 applies to policy='smallworld' only"),
    ],
)
def test_rewiring_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Rewiring(**kwargs)


def test_only_layers_the_rule_trains_are_rewired(digits):
    net = SparseMLP([64, 32, 10], layered_masks([64, 32, 10], "er", 0.3, sparse_output=True, seed=0), seed=0)
    hidden = net.layers[0].mask.clone()
    train(net, "readout-only", digits, epochs=2, seed=0, progress=False, rewire=Rewiring("set", 0.3))
    assert torch.equal(net.layers[0].mask, hidden)  # frozen at its initial weights: not rewired
    with pytest.raises(ValueError, match="needs SparseLinear layers that the rule trains"):
        Rewirer(Rewiring("set"), SparseMLP([4, 2], seed=0), {}, 2, 1, 0)  # a dense layer: no room to regrow


def test_train_refuses_a_non_rewiring(digits):
    with pytest.raises(TypeError, match="rewire must be a nets.Rewiring"):
        train(_net(), "bp", digits, epochs=1, progress=False, rewire="set")


# ------------------------------------------------------------------------ CLI

CLI = ["train", "--data", "digits", "--hidden", "32,32", "--epochs", "2", "--threads", "1", "--no-progress"]


def _cli_results(tmp_path, capsys, *args: str) -> dict:
    """Run ``smallworld train`` with ``args`` (torch's thread count restored) and read its results.json."""
    n = torch.get_num_threads()
    try:
        assert main([*CLI, *args, "--out", str(tmp_path / "r")]) == 0
    finally:
        torch.set_num_threads(n)
    capsys.readouterr()
    return json.loads((tmp_path / "r" / "results.json").read_text())


def test_cli_rewire_writes_topology_and_figure(tmp_path, capsys):
    res = _cli_results(tmp_path, capsys, "--rewire", "rigl", "--rewire-fraction", "0.2")
    assert res["config"]["rewire"]["policy"] == "rigl" and res["config"]["rewire"]["fraction"] == 0.2
    assert "topology" in res["history"][0] and (tmp_path / "r" / "topology_over_training.png").is_file()


def test_cli_rewire_protect_reaches_the_config(tmp_path, capsys):
    rw = _cli_results(tmp_path, capsys, "--rewire", "smallworld", "--rewire-protect", "2")["config"]["rewire"]
    assert rw["policy"] == "smallworld" and rw["protect"] == 2.0


@pytest.mark.parametrize(
    "extra,msg",
    [
        (["--rewire", "foo"], "--rewire must be one of 'set', 'rigl', 'smallworld', 'static', got --rewire foo"),
        (["--rewire", "set", "--rewire-fraction", "1.5"], "--rewire-fraction must be"),
        (["--rewire", "set", "--rewire-every", "0"], "--rewire-every must be an integer >= 1"),
        (["--rewire-every", "2"], "--rewire-fraction, --rewire-every and --rewire-protect apply with --rewire POLICY"),
        (["--rewire-protect", "2"], "apply with --rewire POLICY"),
        (["--rewire", "set", "--rewire-protect", "2"], "--rewire-protect 2.0 applies to --rewire smallworld only"),
        (["--rewire", "smallworld", "--rewire-protect", "-1"], "--rewire-protect must be"),
    ],
)
def test_cli_rewire_flags_one_line_errors(extra, msg, capsys):
    assert main([*CLI, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert msg in err and len(err.splitlines()) == 1


# ----------------------------------------------------------------------- slow


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["set", "rigl", "smallworld"])
def test_digits_rewiring_slow(digits, tmp_path, policy):
    """Digits 64-64-64-10 at 10%, every layer wired, 12 epochs, rewired every epoch (zeta 0.3):
    every rewiring changes every mask, nnz exact, zero off the mask; resume at epoch 5 gives the same masks."""
    sizes = [64, 64, 64, 10]
    make = lambda: SparseMLP(sizes, layered_masks(sizes, "er", 0.1, sparse_output=True, seed=3), seed=3)  # noqa: E731
    rw = Rewiring(policy, 0.3, seed=11)
    net = make()
    nnz0 = [l.nnz for l in net.layers]
    masks, weights, cb = _snapshots(net)
    res = train(net, "bp", digits, epochs=12, lr=3e-3, seed=0, progress=False, callback=cb, out=tmp_path / "full",
                rewire=rw)  # fmt: skip
    for e in range(12):
        assert [int(m.sum()) for m in masks[e]] == nnz0
        assert all(bool((w[~m] == 0).all()) for m, w in zip(masks[e], weights[e]))
        if 0 < e < 11:  # masks[e] is after epoch e+1's rewiring; none follows the last epoch
            assert all(not torch.equal(a, b) for a, b in zip(masks[e - 1], masks[e]))
    assert res.final_test_accuracy > 0.8
    with pytest.raises(RuntimeError, match="after epoch 5"):  # killed after epoch 5
        train(make(), "bp", digits, epochs=12, lr=3e-3, seed=0, progress=False, out=tmp_path / "part", rewire=rw,
              callback=_interrupt_after(5))  # fmt: skip
    part = make()
    train(part, "bp", digits, epochs=12, lr=3e-3, seed=0, progress=False, out=tmp_path / "part", resume=True, rewire=rw)
    assert all(torch.equal(a.mask, b.mask) and torch.equal(a.weight, b.weight) for a, b in zip(net.layers, part.layers))
