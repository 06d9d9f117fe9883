"""Reward-modulated rules: node perturbation and AGREL against autograd, masks, labels, resume, CLI."""

from __future__ import annotations

import copy
import json

import pytest
import torch
from torch.nn import functional as F

from nets.data import Dataset, load_dataset
from nets.models import SparseMLP, WiredNet
from nets.reward import AgrelLearner, NodePerturbationLearner
from nets.rules import apply_rule
from nets.train import TrainingDiverged, train


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


def _agrel(net, seed=0, **kw):
    return AgrelLearner(net, optimizer="sgd", lr=1e-3, weight_decay=0.0, seed=seed, **kw)


# ----------------------------------------------------------------------------- AGREL


@pytest.mark.parametrize("masked", [False, True])
def test_agrel_update_is_the_backprop_gradient_of_the_chosen_units_squared_error(masked):
    sizes = [3, 5, 4, 3]
    net = SparseMLP(sizes, masks=_masks(sizes) if masked else None, seed=1, dtype=torch.float64)
    ref = copy.deepcopy(net)
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    actions = torch.tensor([0, 2, 1, 1, 0, 2])
    rewards = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 0.0], dtype=torch.float64)
    delta = _agrel(net).reinforce(net(x), actions, rewards)
    q = ref(x)
    q_a = q.gather(1, actions[:, None]).squeeze(1)
    (0.5 * (rewards - q_a) ** 2).mean().backward()
    torch.testing.assert_close(delta, (rewards - q_a).detach())
    for mine, theirs in zip(net.layers, ref.layers):
        torch.testing.assert_close(mine.weight.grad, theirs.weight.grad)
        torch.testing.assert_close(mine.bias.grad, theirs.bias.grad)
    # the feedback is gated by the chosen unit only: unchosen output rows get no update
    unchosen = torch.ones(3, dtype=torch.bool)
    unchosen[actions] = False
    assert not unchosen.any() or bool((net.layers[-1].weight.grad[unchosen] == 0).all())


@pytest.mark.parametrize("exploration", ["epsilon", "boltzmann"])
def test_agrel_expected_update_over_the_exploration_is_a_backprop_gradient(exploration):
    """E_a[update] (enumerating every choice, weighted by the policy) equals the backprop gradient
    of sum_a pi(a|x) (r_a - Q_a)^2 / 2, and the learner draws its choices from that policy."""
    sizes = [4, 6, 3]
    net = SparseMLP(sizes, seed=2, dtype=torch.float64)
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    y = torch.tensor([0, 2, 1])
    kw = dict(exploration=exploration, epsilon=0.2, temperature=0.5)
    pi = _agrel(net, **kw).policy(net(x))  # (3, 3)
    expected = [torch.zeros_like(layer.weight) for layer in net.layers]
    for n in range(3):
        for a in range(3):
            trial = copy.deepcopy(net)
            _agrel(trial, **kw).reinforce(trial(x[n : n + 1]), torch.tensor([a]), (torch.tensor([a]) == y[n]).double())
            for e, layer in zip(expected, trial.layers):
                e += pi[n, a] * layer.weight.grad / 3
    ref = copy.deepcopy(net)
    q = ref(x)
    r = F.one_hot(y, 3).double()
    (0.5 * (pi * (r - q) ** 2).sum(1)).mean().backward()
    for e, layer in zip(expected, ref.layers):
        torch.testing.assert_close(e, layer.weight.grad)
    # the choices follow the policy (Monte Carlo, 20000 draws per sample)
    learner = _agrel(net, **kw)
    q = net(x).detach().repeat(20000, 1)
    counts = F.one_hot(learner.choose(q), 3).double().reshape(20000, 3, 3).mean(0)
    torch.testing.assert_close(counts, pi, atol=0.015, rtol=0)


def test_no_label_vector_enters_the_agrel_update():
    """Labels that differ but give the same rewards give bit-identical weights; backprop differs."""
    sizes = [8, 10, 4]
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(16, 8, generator=g), torch.randint(0, 4, (16,), generator=g)) for _ in range(5)]
    net_a = SparseMLP(sizes, seed=3)
    learner_a = apply_rule(net_a, "agrel", seed=7, lr=1e-2)
    other_labels = []
    for x, y in batches:
        learner_a.step(x, y)
        a = learner_a.last_actions
        # a wrong label stays wrong (another wrong class), a right one stays right
        shifted = (y + 1) % 4
        shifted = torch.where(shifted == a, (y + 2) % 4, shifted)
        other_labels.append(torch.where(a == y, y, shifted))
    assert sum(int((y != y2).sum()) for (_, y), y2 in zip(batches, other_labels)) > 30
    net_b = SparseMLP(sizes, seed=3)
    learner_b = apply_rule(net_b, "agrel", seed=7, lr=1e-2)
    for (x, _), y2 in zip(batches, other_labels):
        learner_b.step(x, y2)
    for p, q in zip(net_a.parameters(), net_b.parameters()):
        assert torch.equal(p, q)
    # the test can fail: a rule that reads the label vector ends elsewhere
    nets = []
    for labels in ([y for _, y in batches], other_labels):
        net = SparseMLP(sizes, seed=3)
        learner = apply_rule(net, "bp", seed=7, lr=1e-2)
        for (x, _), y in zip(batches, labels):
            learner.step(x, y)
        nets.append(net)
    assert not torch.equal(nets[0].layers[0].weight, nets[1].layers[0].weight)


def test_agrel_runs_on_a_wired_dag():
    import networkx as nx

    net = WiredNet(nx.gnm_random_graph(30, 120, seed=0), inputs=6, outputs=3, seed=0)
    before = [p.detach().clone() for p in net.parameters()]
    learner = apply_rule(net, "agrel", seed=0, lr=1e-2)
    loss, q = learner.step(torch.randn(8, 6), torch.randint(0, 3, (8,)))
    assert q.shape == (8, 3) and bool(torch.isfinite(loss))
    assert any(not torch.equal(b, p) for b, p in zip(before, net.parameters()))


# ----------------------------------------------------------------------------- node perturbation


def test_node_perturbation_expected_update_follows_the_negative_gradient():
    sizes = [5, 8, 6, 3]
    net = SparseMLP(sizes, seed=4, dtype=torch.float64)
    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(16, 5, generator=g, dtype=torch.float64), torch.randint(0, 3, (16,), generator=g)
    ref = copy.deepcopy(net)
    F.cross_entropy(ref(x), y).backward()
    true = [layer.weight.grad.flatten() for layer in ref.layers]
    learner = NodePerturbationLearner(net, optimizer="sgd", lr=1e-3, weight_decay=0.0, seed=0)
    total = [torch.zeros_like(t) for t in true]
    single = []
    for _ in range(1500):
        learner.perturb(x, y)  # .grad only, no step: the weights stay put
        est = [layer.weight.grad.flatten() for layer in net.layers]
        for t, e in zip(total, est):
            t += e
        single.append(F.cosine_similarity(torch.cat(est), torch.cat(true), dim=0))
    for t, tr in zip(total, true):
        assert float(F.cosine_similarity(t, tr, dim=0)) > 0.5
    assert float(F.cosine_similarity(torch.cat(total), torch.cat(true), dim=0)) > 0.9
    assert float(torch.stack(single).mean()) > 0.0  # a single trial is noisy but unbiased in direction


def test_node_perturbation_running_baseline_is_learner_state():
    net = SparseMLP([4, 6, 3], seed=0)
    learner = NodePerturbationLearner(net, optimizer="adam", lr=1e-3, weight_decay=0.0, seed=0, baseline="running")
    for _ in range(3):
        learner.step(torch.randn(8, 4), torch.randint(0, 3, (8,)))
    state = learner.state_dict()["extra"]
    assert int(state["state.n_updates"]) == 3 and float(state["state.baseline"]) > 0


def test_node_perturbation_refuses_a_wired_dag():
    import networkx as nx

    net = WiredNet(nx.gnm_random_graph(30, 120, seed=0), inputs=6, outputs=3, seed=0)
    with pytest.raises(TypeError, match="rule 'node-perturbation' needs a layered MLP"):
        apply_rule(net, "node-perturbation")


@pytest.mark.parametrize(
    "kwargs, match",
    [({"sigma": 0}, "sigma must be"), ({"baseline": "ema"}, "baseline must be one of"), ({"baseline_decay": 1}, "baseline_decay")],
)
def test_node_perturbation_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NodePerturbationLearner(SparseMLP([4, 3], seed=0), optimizer="adam", lr=1e-3, weight_decay=0.0, seed=0, **kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"epsilon": 1.5}, "epsilon must be"), ({"exploration": "ucb"}, "exploration must be one of"), ({"temperature": 0}, "temperature")],
)
def test_agrel_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _agrel(SparseMLP([4, 3], seed=0), **kwargs)


# ----------------------------------------------------------------------------- both rules


@pytest.mark.parametrize("rule", ["node-perturbation", "agrel"])
@pytest.mark.parametrize("sparse_storage", [False, True])
def test_masks_are_respected(rule, sparse_storage):
    sizes = [6, 10, 10, 3]
    masks = _masks(sizes, p=0.4)
    net = SparseMLP(sizes, masks=masks, seed=0) if not sparse_storage else _sparse_storage_net(sizes, masks)
    before = [layer.weight.detach().clone() for layer in net.layers]
    learner = apply_rule(net, rule, seed=0, lr=1e-2, weight_decay=1e-2, optimizer="adamw")
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        learner.step(torch.randn(8, 6, generator=g), torch.randint(0, 3, (8,), generator=g))
    for layer, m, b in zip(net.layers, masks, before):
        assert layer.sparse_storage is sparse_storage
        w = layer.weight
        assert bool((w[~m] == 0).all())
        assert not torch.equal(w[m], b[m])


def _sparse_storage_net(sizes, masks):
    from nets.layers import SparseLinear

    net = SparseMLP(sizes, masks=masks, seed=0)
    for i, (layer, m) in enumerate(zip(net.layers, masks)):
        sl = SparseLinear(layer.in_features, layer.out_features, m, sparse_storage=True, seed=i)
        net.layers[i] = sl
    return net


@pytest.mark.parametrize("rule", ["node-perturbation", "agrel"])
def test_checkpoint_and_resume_are_bit_identical(rule, small_digits, tmp_path):
    kw = dict(lr=3e-3, batch_size=32, seed=3, progress=False)
    straight_net = SparseMLP([64, 16, 10], seed=0)
    straight = train(straight_net, rule, small_digits, epochs=3, **kw)
    net = SparseMLP([64, 16, 10], seed=0)
    train(net, rule, small_digits, epochs=2, out=tmp_path, **kw)
    net = SparseMLP([64, 16, 10], seed=0)
    resumed = train(net, rule, small_digits, epochs=3, out=tmp_path, resume=True, **kw)
    strip = lambda h: [{k: v for k, v in r.items() if k != "time_s"} for r in h]  # noqa: E731
    assert strip(straight.history) == strip(resumed.history)
    for (k, p), q in zip(straight_net.state_dict().items(), net.state_dict().values()):
        assert torch.equal(p, q), k
    # the dopamine trace is in every record
    keys = {"rpe", "rpe_abs"} | ({"reward"} if rule == "agrel" else set())
    assert all(keys <= set(r) for r in resumed.history)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert keys <= set(saved["history"][-1])


@pytest.mark.parametrize("rule", ["node-perturbation", "agrel"])
def test_nan_is_detected(rule, small_digits):
    net = SparseMLP([64, 16, 10], seed=0)
    with torch.no_grad():
        net.layers[0].weight[0, 0] = float("nan")
    with pytest.raises(TrainingDiverged, match=f"rule '{rule}' diverged at epoch 1, batch 0: the loss is nan"):
        train(net, rule, small_digits, epochs=1, seed=0, progress=False)


def test_agrel_reward_rises_and_surprise_falls(small_digits):
    res = train(SparseMLP([64, 32, 10], seed=0), "agrel", small_digits, epochs=6, lr=1e-2, batch_size=32, seed=0, progress=False)
    first, last = res.history[0], res.history[-1]
    assert last["reward"] > first["reward"] + 0.3
    assert last["rpe_abs"] < first["rpe_abs"]
    assert res.final_test_accuracy > 0.7


def test_cli_rule_agrel_runs(tmp_path, capsys):
    from smallworld.cli import main

    out = tmp_path / "run"
    argv = ["train", "--data", "digits", "--hidden", "16", "--epochs", "1", "--seed", "0", "--threads", "1",
            "--no-progress", "--wiring", "dense", "--rule", "agrel", "--lr", "0.01", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    assert "rule=agrel" in capsys.readouterr().out
    res = json.loads((out / "results.json").read_text())
    assert res["rule"] == "agrel" and {"rpe", "reward"} <= set(res["history"][0])


# ----------------------------------------------------------------------------- accuracy (slow)
# python -m pytest -m slow tests/nets/test_reward.py -s  (prints the table kept in BENCHMARKS.md)

SLOW_SIZES, SLOW_LR, SLOW_EPOCHS, SLOW_SEEDS = [64, 64, 64, 10], 3e-3, 20, (0, 1, 2)
SLOW_RULES = ("bp", "fa", "dfa", "predsim", "agrel", "node-perturbation", "readout-only")


def _epochs_to(history, level):
    return next((h["epoch"] for h in history if h["test_accuracy"] >= level), None)


@pytest.fixture(scope="module")
def reward_grid():
    runs = {}
    for seed in SLOW_SEEDS:
        ds = load_dataset("digits", seed=seed)
        for rule in SLOW_RULES:
            net = SparseMLP(SLOW_SIZES, seed=seed)
            res = train(net, rule, ds, epochs=SLOW_EPOCHS, lr=SLOW_LR, batch_size=64, seed=seed, progress=False)
            runs[rule, seed] = res.history
    print("\n| rule | epochs to 95% (seeds 0, 1, 2) | epochs to 94% | final test acc. % (mean, min) |")
    print("|---|---|---|---:|")
    for rule in SLOW_RULES:
        hs = [runs[rule, s] for s in SLOW_SEEDS]
        e95 = ", ".join(str(_epochs_to(h, 0.95) or f">{SLOW_EPOCHS}") for h in hs)
        e94 = ", ".join(str(_epochs_to(h, 0.94) or f">{SLOW_EPOCHS}") for h in hs)
        final = [100 * h[-1]["test_accuracy"] for h in hs]
        print(f"| {rule} | {e95} | {e94} | {sum(final) / len(final):.1f} ({min(final):.1f}) |")
    return runs


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_SEEDS)
def test_agrel_reaches_94_percent_within_3x_the_epochs_bp_needs_for_95(reward_grid, seed):
    bp = _epochs_to(reward_grid["bp", seed], 0.95)
    assert bp is not None
    agrel = _epochs_to(reward_grid["agrel", seed], 0.94)
    assert agrel is not None and agrel <= 3 * bp, (agrel, bp)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_SEEDS)
def test_node_perturbation_beats_the_readout_control_by_3_points(reward_grid, seed):
    np_acc = reward_grid["node-perturbation", seed][-1]["test_accuracy"]
    control = reward_grid["readout-only", seed][-1]["test_accuracy"]
    assert np_acc >= control + 0.03, (np_acc, control)


@pytest.mark.parametrize("rule", ["node-perturbation", "agrel"])
def test_rules_run_on_every_device(rule, device):
    net = SparseMLP([6, 8, 3], masks=_masks([6, 8, 3]), seed=0, device=device)
    learner = apply_rule(net, rule, seed=0, lr=1e-2)
    if rule == "node-perturbation":
        learner.baseline = "running"  # the running baseline lives in a buffer beside the model
    g = torch.Generator().manual_seed(0)
    for _ in range(3):
        loss, logits = learner.step(torch.randn(8, 6, generator=g).to(device), torch.randint(0, 3, (8,), generator=g).to(device))
    assert logits.device.type == device and bool(torch.isfinite(loss))
    assert all(v.device.type == device for v in learner.extra.buffers())
    assert set(learner.epoch_metrics()) >= {"rpe", "rpe_abs"}
