"""The Rule enum and apply_rule: validation, in-place configuration, no model copies."""

from __future__ import annotations

import pytest
import torch

from nets.feedback import Feedback
from nets.models import SparseMLP
from nets.rules import Rule, apply_rule, as_rule

ALL_RULES = [r.value for r in Rule]


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.parametrize(
    "name, expected",
    [("predsim", Rule.PREDSIM), ("PREDSIM_BIO", Rule.PREDSIM_BIO), (" Fa ", Rule.FA), ("readout", Rule.READOUT),
     ("sim-bio", Rule.SIM_BIO), (Rule.DFA, Rule.DFA)],
)  # fmt: skip
def test_as_rule_accepts_names(name, expected):
    assert as_rule(name) is expected


def test_unknown_rule_lists_allowed_values():
    with pytest.raises(ValueError, match=r"rule must be one of 'bp', 'fa', .*'readout-only', got rule='hebb'"):
        as_rule("hebb")
    with pytest.raises(TypeError, match="rule must be a nets.Rule or a str"):
        as_rule(3)


def test_rule_families():
    assert {r for r in Rule if r.is_feedback} == {Rule.FA, Rule.USF, Rule.FRSF}
    assert {r for r in Rule if r.is_local} == {
        Rule.PRED, Rule.SIM, Rule.PREDSIM, Rule.PRED_BIO, Rule.SIM_BIO, Rule.PREDSIM_BIO
    }
    assert {r for r in Rule if r.is_bio} == {Rule.PRED_BIO, Rule.SIM_BIO, Rule.PREDSIM_BIO}
    assert str(Rule.PREDSIM) == "predsim"


@pytest.mark.parametrize("rule", ALL_RULES)
def test_apply_rule_configures_in_place_without_copying(rule):
    net = SparseMLP([6, 8, 8, 3], seed=0)
    ids = [id(p) for p in net.parameters()]
    learner = apply_rule(net, rule, seed=0)
    assert learner.model is net and [id(p) for p in net.parameters()] == ids
    expected = Feedback(rule) if Rule(rule).is_feedback else Feedback.BP
    assert all(layer.feedback is expected for layer in net.layers)
    # every optimized model parameter IS a parameter of the model (no copies)
    model_ids = set(ids)
    extra_ids = {id(p) for p in learner.extra.parameters()}
    for opt in learner.optimizers.values():
        for group in opt.param_groups:
            assert all(id(p) in model_ids or id(p) in extra_ids for p in group["params"])


def test_rules_do_not_stack():
    net = SparseMLP([6, 8, 3], seed=0)
    apply_rule(net, "fa", seed=0)
    apply_rule(net, "predsim", seed=0)
    assert all(layer.feedback is Feedback.BP for layer in net.layers)


@pytest.mark.parametrize("dense", [False, True])
def test_dense_feedback_option(dense):
    mask = torch.zeros(8, 6, dtype=torch.bool)
    mask[:, :3] = True
    net = SparseMLP([6, 8, 3], masks=[mask, torch.ones(3, 8, dtype=torch.bool)], seed=0)  # unread inputs: no warning
    apply_rule(net, "fa", seed=0, dense_feedback=dense)
    B = net.layers[0].feedback_weight
    assert bool((B[~mask] != 0).any()) is dense


@pytest.mark.parametrize("rule", ALL_RULES)
def test_masked_weights_stay_zero(rule):
    g = torch.Generator().manual_seed(0)
    masks = [torch.rand(10, 6, generator=g) < 0.4, torch.rand(10, 10, generator=g) < 0.4, torch.rand(3, 10, generator=g) < 0.6]
    for m in masks:  # no dead rows
        m[:, 0] = True
    net = SparseMLP([6, 10, 10, 3], masks=masks, seed=0)
    learner = apply_rule(net, rule, seed=0, weight_decay=1e-2, optimizer="adamw")
    for _ in range(3):
        learner.step(torch.randn(8, 6), torch.randint(0, 3, (8,)))
    for layer, m in zip(net.layers, masks):
        assert bool((layer.weight[~m] == 0).all())


def test_readout_only_trains_the_output_layer_alone():
    net = SparseMLP([6, 8, 8, 3], seed=0)
    before = [layer.weight.detach().clone() for layer in net.layers]
    learner = apply_rule(net, "readout-only", seed=0)
    learner.step(torch.randn(8, 6), torch.randint(0, 3, (8,)))
    assert torch.equal(before[0], net.layers[0].weight) and torch.equal(before[1], net.layers[1].weight)
    assert not torch.equal(before[2], net.layers[2].weight)


def test_fa_step_differs_from_bp_and_is_seeded():
    x, y = torch.randn(8, 6), torch.randint(0, 3, (8,))
    out = {}
    for rule, seed in (("bp", 0), ("fa", 0), ("fa", 0), ("fa", 1)):
        net = SparseMLP([6, 8, 3], seed=0)
        apply_rule(net, rule, seed=seed, optimizer="sgd", lr=0.1).step(x, y)
        out.setdefault((rule, seed), []).append(net.layers[0].weight.detach().clone())
    assert torch.equal(*out["fa", 0])
    assert not torch.equal(out["fa", 0][0], out["bp", 0][0]) and not torch.equal(out["fa", 0][0], out["fa", 1][0])


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"rule": "bp", "optimizer": "rmsprop"}, ValueError, "optimizer must be one of 'adam', 'adamw', 'sgd'"),
        ({"rule": "bp", "lr": 0}, ValueError, "lr must be a real number > 0"),
        ({"rule": "bp", "weight_decay": -1}, ValueError, "weight_decay must be a real number >= 0"),
        ({"rule": "fa", "dense_feedback": 1}, TypeError, "dense_feedback must be True or False"),
        ({"rule": "pred", "n_classes": 1}, ValueError, "n_classes must be an integer >= 2"),
        ({"rule": "bogus"}, ValueError, "rule must be one of"),
    ],
)
def test_apply_rule_bad_arguments_change_nothing(kwargs, exc, match):
    net = SparseMLP([6, 8, 3], seed=0)
    net.layers[0].set_feedback("usf")
    with pytest.raises(exc, match=match):
        apply_rule(net, **kwargs)
    assert net.layers[0].feedback is Feedback.USF


def test_feedback_rules_need_feedback_layers():
    with pytest.raises(TypeError, match="needs layers with set_feedback"):
        apply_rule(torch.nn.Sequential(torch.nn.Linear(4, 3)), "fa")
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        apply_rule("net", "bp")
    # backprop works for any module
    learner = apply_rule(torch.nn.Sequential(torch.nn.Linear(4, 3)), "bp", seed=0)
    loss, _ = learner.step(torch.randn(5, 4), torch.randint(0, 3, (5,)))
    assert bool(torch.isfinite(loss))


@pytest.mark.parametrize("rule", ["dfa", "predsim", "readout-only"])
def test_block_rules_bind_to_a_wired_dag(rule):
    # issue 9: a WiredNet has DAG paths for these rules (tests/nets/test_dag_rules.py tests them in depth)
    import networkx as nx

    from nets.models import WiredNet

    net = WiredNet(nx.gnm_random_graph(30, 120, seed=0), inputs=6, outputs=3, seed=0)
    loss, logits = apply_rule(net, rule, seed=0).step(torch.randn(4, 6), torch.tensor([0, 1, 2, 0]))
    assert logits.shape == (4, 3) and bool(torch.isfinite(loss))
