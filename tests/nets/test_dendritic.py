"""Dendritic cortical microcircuits (nets.dendritic): self-prediction, the backprop limit, the
teacher-student task, Euler vs steady state, masks, resume, NaN detection, CLI; digits (slow)."""

from __future__ import annotations

import json
import math

import pytest
import torch

from nets.data import Dataset, load_dataset
from nets.dendritic import DendriticLearner, SoftRectifier, angles_to_backprop
from nets.models import SparseMLP
from nets.rules import apply_rule
from nets.train import TrainingDiverged, train
from nets.wiring import layered_masks

F64 = torch.float64


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def small_digits():
    ds = load_dataset("digits", seed=0)
    return Dataset.from_arrays(ds.X_train[:320], ds.y_train[:320], ds.X_test[:200], ds.y_test[:200], name="digits-small")


def _masks(sizes, seed=0, p=0.5):
    g = torch.Generator().manual_seed(seed)
    masks = [torch.rand(o, i, generator=g) < p for i, o in zip(sizes[:-1], sizes[1:])]
    for m in masks:
        m[:, 0] = True  # no dead rows
        m[0, :] = True  # no dead columns
    return masks


def _learner(net, **kw):
    kw.setdefault("seed", 0)
    return DendriticLearner(net, **kw)


def _cos(a, b):
    a, b = a.reshape(-1).to(F64), b.reshape(-1).to(F64)
    return float(a @ b / (a.norm() * b.norm()))


# ----------------------------------------------------------------------------- self-prediction


def test_self_prediction_emerges_without_a_target():
    """Random W^IP, W^PI, no target: the interneurons learn to predict the layer above and the
    apical potentials fall to ~0 (the self-predicting state); both fall by more than 10x."""
    net = SparseMLP([20, 30, 20, 10], seed=0, activation="tanh", dtype=F64)
    learner = _learner(net, init="random", lr=3e-3, interneuron_lr=1e-2, pi_lr=1e-2)
    g = torch.Generator().manual_seed(0)
    x_eval = torch.rand(256, 20, generator=g, dtype=F64)

    def measure():
        s = learner.settle(x_eval)
        apical = sum(float((v**2).sum()) for v in s.va) / sum(v.numel() for v in s.va)
        mismatch = sum(float(((vi - vb) ** 2).sum()) for vi, vb in zip(s.vi, s.vb[1:])) / sum(v.numel() for v in s.vi)
        return apical, mismatch

    a0, m0 = measure()
    for _ in range(1500):
        learner.step_target(torch.rand(32, 20, generator=g, dtype=F64), None)
    a1, m1 = measure()
    assert a1 < a0 / 10 and m1 < m0 / 10, (a0, a1, m0, m1)
    # the epoch metrics report the same quantities
    metrics = learner.epoch_metrics()
    assert set(metrics) == {"apical_sq", "interneuron_mismatch"} and metrics["apical_sq"] > 0


# ----------------------------------------------------------------------------- the backprop limit


@pytest.mark.parametrize("masked", [False, True])
def test_weak_feedback_limit_follows_the_backprop_gradient(masked):
    """Top-down = W^T, interneurons self-predicting, weak nudging: every layer's update is parallel
    to backprop's negative gradient (cosine > 0.99); fixed random top-down weights are not."""
    sizes = [8, 16, 12, 4]
    net = SparseMLP(sizes, masks=_masks(sizes) if masked else None, seed=1, dtype=F64)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(32, 8, generator=g, dtype=F64), torch.randint(0, 4, (32,), generator=g)
    angles = angles_to_backprop(_learner(net, top_down="symmetric", g_som=1e-3), x, y)
    assert all(math.cos(math.radians(a)) > 0.99 for a in angles), angles
    random = angles_to_backprop(_learner(net, top_down="random", g_som=1e-3), x, y)
    assert math.cos(math.radians(random[0])) < 0.9, random  # the test can fail: no W^T, no exact gradient
    assert math.cos(math.radians(random[-1])) > 0.99  # the output layer's delta rule needs no feedback


# ----------------------------------------------------------------------------- teacher-student


def test_teacher_student_regression_beats_a_shallow_learner():
    """Student 30-50-10, teacher 30-20-10, r_trgt = phi(10 W2 phi(2 W1 r0)), phi(u) = 0.1 log(1 + e^(u-3)),
    fixed random top-down weights; the student learns the teacher's output potentials
    10 W2 phi(2 W1 r0).  Shallow learner: the best output layer on the student's initial hidden
    layer (least squares), i.e. what training the output layer alone can reach at most."""
    phi = SoftRectifier()
    g = torch.Generator().manual_seed(0)
    W1 = torch.rand(20, 30, generator=g, dtype=F64) * 2 - 1
    W2 = torch.rand(10, 20, generator=g, dtype=F64) * 2 - 1

    def teacher(r0):
        return 10 * phi(2 * r0 @ W1.T) @ W2.T

    X, Xt = torch.rand(2000, 30, generator=g, dtype=F64), torch.rand(500, 30, generator=g, dtype=F64)
    Y, Yt = teacher(X), teacher(Xt)
    net = SparseMLP([30, 50, 10], activation=SoftRectifier(), seed=0, dtype=F64)
    with torch.no_grad():
        feats = lambda A: torch.cat([phi(net.layers[0](A)), torch.ones(len(A), 1, dtype=F64)], 1)  # noqa: E731
        shallow = float(((feats(Xt) @ torch.linalg.lstsq(feats(X), Y).solution - Yt) ** 2).mean())
    learner = _learner(net, lr=3e-2, top_down="random")
    for _ in range(3000):
        i = torch.randint(0, 2000, (32,), generator=g)
        learner.step_target(X[i], Y[i])
    with torch.no_grad():
        student = float(((net(Xt) - Yt) ** 2).mean())
    assert student < 0.5 * shallow, (student, shallow)


# ----------------------------------------------------------------------------- the two modes


def test_euler_dynamics_and_steady_state_agree():
    sizes = [6, 10, 8, 3]
    net = SparseMLP(sizes, seed=0, dtype=F64)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(8, 6, generator=g, dtype=F64)
    u_target = torch.randn(8, 3, generator=g, dtype=F64)
    kw = dict(init="random", top_down="random")  # a state far from self-prediction: apical potentials matter
    euler, euler_state = _learner(net, mode="euler", **kw).updates(x, u_target)
    steady, steady_state = _learner(net, mode="steady", iterations=60, **kw).updates(x, u_target)
    # 1,000 steps of 0.1 ms settle onto the fixed point the steady-state sweeps converge to
    for a, b in zip(euler_state.u + euler_state.ui, steady_state.u + steady_state.ui):
        torch.testing.assert_close(a, b, atol=1e-8, rtol=1e-6)
    assert any(float(v.abs().max()) > 0.1 for v in steady_state.va)  # not a trivial agreement
    # the low-pass filtered Euler updates carry the transient of the first milliseconds only
    for a, b in zip(euler, steady):
        if float(b.norm()) > 0:
            assert _cos(a, b) > 0.99 and abs(float(a.norm() / b.norm()) - 1) < 0.05
    # near self-prediction and with small output errors (a network in training), the two-step
    # approximation (one top-down sweep, basal inputs from the free sweep) gives the fixed point's updates
    near = net(x).detach() + 0.1 * u_target
    two_step, _ = _learner(net, iterations=1).updates(x, near)
    fixed, _ = _learner(net, iterations=60).updates(x, near)
    for a, b in zip(two_step[:6], fixed[:6]):  # weights and biases of the three layers
        assert _cos(a, b) > 0.99


# ----------------------------------------------------------------------------- machinery


def _sparse_storage_net(sizes, masks):
    from nets.layers import SparseLinear

    net = SparseMLP(sizes, masks=masks, seed=0)
    for i, (layer, m) in enumerate(zip(net.layers, masks)):
        net.layers[i] = SparseLinear(layer.in_features, layer.out_features, m, sparse_storage=True, seed=i)
    return net


@pytest.mark.parametrize("sparse_storage", [False, True])
@pytest.mark.parametrize("top_down", ["random", "learned", "symmetric"])
def test_masks_are_respected(sparse_storage, top_down):
    sizes = [6, 10, 10, 3]
    masks = _masks(sizes, p=0.4)
    net = _sparse_storage_net(sizes, masks) if sparse_storage else SparseMLP(sizes, masks=masks, seed=0)
    before = [layer.weight.detach().clone() for layer in net.layers]
    learner = DendriticLearner(net, seed=0, lr=1e-2, weight_decay=1e-2, optimizer="adamw", top_down=top_down)
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        learner.step(torch.randn(8, 6, generator=g), torch.randint(0, 3, (8,), generator=g))
    for layer, m, b in zip(net.layers, masks, before):
        w = layer.weight
        assert bool((w[~m] == 0).all())
        assert not torch.equal(w[m], b[m])
    for k, mc in enumerate(learner._circuits()):  # the microcircuit follows the wiring of the layer above
        m = masks[k + 1]
        assert bool((mc.ip_weight[~m] == 0).all()) and bool((mc.pi_weight[~m.t()] == 0).all())
        assert bool((mc.down[~m.t()] == 0).all())


def test_top_down_options():
    sizes = [6, 10, 3]
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(16, 6, generator=g), torch.randint(0, 3, (16,), generator=g)
    fixed = DendriticLearner(SparseMLP(sizes, seed=0), seed=0, lr=1e-2)
    learned = DendriticLearner(SparseMLP(sizes, seed=0), seed=0, lr=1e-2, top_down="learned")
    sym_net = SparseMLP(sizes, seed=0)
    sym = DendriticLearner(sym_net, seed=0, lr=1e-2, top_down="symmetric")
    d_fixed, d_learned = fixed.extra["inter0"].down.clone(), learned.extra["inter0"].down.detach().clone()
    for _ in range(3):
        for L in (fixed, learned, sym):
            L.step(x, y)
    assert torch.equal(fixed.extra["inter0"].down, d_fixed)
    assert "inter0.down" not in dict(fixed.extra.named_parameters())
    assert not torch.equal(learned.extra["inter0"].down.detach(), d_learned)
    sym.settle(x)
    torch.testing.assert_close(sym.extra["inter0"].down, sym_net.layers[1].weight.detach().t())


@pytest.mark.parametrize("mode", ["steady", "euler"])
def test_checkpoint_and_resume_are_bit_identical(mode, small_digits, tmp_path, monkeypatch):
    if mode == "euler":  # a short presentation keeps the test fast; noise exercises the saved RNG
        orig = DendriticLearner.__init__
        monkeypatch.setattr(DendriticLearner, "__init__", lambda self, m, **kw: orig(self, m, **kw, mode="euler", n_steps=20, noise=0.01))
    kw = dict(lr=3e-3, batch_size=64, seed=3, progress=False)
    d = small_digits
    data = d if mode == "steady" else Dataset.from_arrays(d.X_train[:96], d.y_train[:96], d.X_test[:50], d.y_test[:50])
    straight_net = SparseMLP([64, 16, 10], seed=0)
    straight = train(straight_net, "dendritic", data, epochs=3, **kw)
    net = SparseMLP([64, 16, 10], seed=0)
    train(net, "dendritic", data, epochs=2, out=tmp_path, **kw)
    net = SparseMLP([64, 16, 10], seed=0)
    resumed = train(net, "dendritic", data, epochs=3, out=tmp_path, resume=True, **kw)
    strip = lambda h: [{k: v for k, v in r.items() if k != "time_s"} for r in h]  # noqa: E731
    assert strip(straight.history) == strip(resumed.history)
    for (k, p), q in zip(straight_net.state_dict().items(), net.state_dict().values()):
        assert torch.equal(p, q), k
    assert all({"apical_sq", "interneuron_mismatch"} <= set(r) for r in resumed.history)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert "apical_sq" in saved["history"][-1]


def test_history_records_the_angle_to_backprop_on_the_last_batch(small_digits):
    """Each epoch records, per layer, the angle between the update the microcircuit would make on the
    epoch's last batch and backprop's gradient: ~0 at the output (the cross-entropy target makes it the
    gradient), below 90 degrees in the hidden layer once trained; measuring it updates nothing."""
    seen = {}
    orig = DendriticLearner.step

    def spy(self, x, y):
        seen["learner"], seen["batch"] = self, (x, y)
        return orig(self, x, y)

    net = SparseMLP([64, 32, 10], seed=0)
    DendriticLearner.step = spy
    try:
        res = train(net, "dendritic", small_digits, epochs=3, lr=3e-3, seed=0, progress=False)
    finally:
        DendriticLearner.step = orig
    angles = [r["angles_to_bp"] for r in res.history]
    assert all(len(a) == 2 for a in angles)
    assert all(a[1] < 1e-3 for a in angles)  # output layer: the update is the negative gradient
    assert 0 < angles[-1][0] < 90
    before = [p.detach().clone() for p in net.parameters()]
    again = angles_to_backprop(seen["learner"], *seen["batch"])
    assert again == pytest.approx(angles[-1], abs=1e-9)  # same batch, same weights: the same angles
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_nan_is_detected_in_the_model_and_in_the_microcircuit(small_digits, monkeypatch):
    net = SparseMLP([64, 16, 10], seed=0)
    with torch.no_grad():
        net.layers[0].weight[0, 0] = float("nan")
    with pytest.raises(TrainingDiverged, match="rule 'dendritic' diverged at epoch 1, batch 0: the loss is nan"):
        train(net, "dendritic", small_digits, epochs=1, seed=0, progress=False)
    # a NaN in an interneuron weight leaves the logits finite: the local losses catch it
    orig = DendriticLearner.__init__

    def poisoned(self, model, **kw):
        orig(self, model, **kw)
        with torch.no_grad():
            self.extra["inter0"].pi_weight[0, 0] = float("nan")

    monkeypatch.setattr(DendriticLearner, "__init__", poisoned)
    with pytest.raises(TrainingDiverged, match="diverged at epoch 1, batch 0: a local loss is nan"):
        train(SparseMLP([64, 16, 10], seed=0), "dendritic", small_digits, epochs=1, seed=0, progress=False)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"mode": "spiking"}, "mode must be one of"),
        ({"top_down": "tied"}, "top_down must be one of"),
        ({"init": "zeros"}, "init must be one of"),
        ({"target": "mse"}, "target must be one of"),
        ({"iterations": 0}, "iterations must be"),
        ({"g_som": 0}, "g_som must be"),
        ({"noise": -1}, "noise must be"),
        ({"mode": "euler", "dt": 1.0}, "dt must satisfy"),
    ],
)
def test_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _learner(SparseMLP([4, 5, 3], seed=0), **kwargs)


def test_needs_a_hidden_layer():
    with pytest.raises(ValueError, match="rule 'dendritic' needs at least one hidden layer"):
        apply_rule(SparseMLP([4, 3], seed=0), "dendritic")


def test_cli_rule_dendritic_runs(tmp_path, capsys):
    from smallworld.cli import main

    out = tmp_path / "run"
    argv = ["train", "--data", "digits", "--hidden", "16", "--epochs", "1", "--seed", "0", "--threads", "1",
            "--no-progress", "--wiring", "ws", "--rule", "dendritic", "--lr", "0.003", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    assert "rule=dendritic" in capsys.readouterr().out
    res = json.loads((out / "results.json").read_text())
    assert res["rule"] == "dendritic" and {"apical_sq", "interneuron_mismatch"} <= set(res["history"][0])
    assert res["final_test_accuracy"] > 0.15  # one epoch: above chance (0.1); the microcircuit starts slowly


# ----------------------------------------------------------------------------- accuracy (slow)
# python -m pytest -m slow tests/nets/test_dendritic.py -s  (prints the table kept in BENCHMARKS.md)

SLOW_SIZES, SLOW_LR, SLOW_EPOCHS, SLOW_SEEDS = [64, 64, 64, 10], 3e-3, 40, (0, 1, 2)


def _slow_model(wiring, seed):
    masks = None if wiring == "dense" else [*layered_masks(SLOW_SIZES[:-1], wiring, 0.25, sparse_output=True, seed=seed), None]
    return SparseMLP(SLOW_SIZES, masks=masks, seed=seed)


@pytest.fixture(scope="module")
def dendritic_grid():
    runs = {}
    for seed in SLOW_SEEDS:
        ds = load_dataset("digits", seed=seed)
        for wiring in ("dense", "ws"):
            for rule in ("dendritic", "readout-only"):
                res = train(_slow_model(wiring, seed), rule, ds, epochs=SLOW_EPOCHS, lr=SLOW_LR, batch_size=64, seed=seed, progress=False)
                runs[rule, wiring, seed] = res.history
    print("\n| wiring | rule | final test acc. % (seeds 0, 1, 2) | mean |")
    print("|---|---|---|---:|")
    for wiring in ("dense", "ws"):
        for rule in ("dendritic", "readout-only"):
            accs = [100 * runs[rule, wiring, s][-1]["test_accuracy"] for s in SLOW_SEEDS]
            print(f"| {wiring} | {rule} | {', '.join(f'{a:.1f}' for a in accs)} | {sum(accs) / len(accs):.1f} |")
    return runs


@pytest.mark.slow
@pytest.mark.parametrize("wiring", ["dense", "ws"])
@pytest.mark.parametrize("seed", SLOW_SEEDS)
def test_digits_reach_93_percent_and_beat_the_readout_control(dendritic_grid, wiring, seed):
    acc = dendritic_grid["dendritic", wiring, seed][-1]["test_accuracy"]
    control = dendritic_grid["readout-only", wiring, seed][-1]["test_accuracy"]
    assert acc >= 0.93, acc
    assert acc >= control + 0.05, (acc, control)
