"""Local losses (Nøkland & Eidnes 2019): similarity matrix, heads, block-wise training."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from nets.feedback import Feedback
from nets.local import BIO_TARGET_DIM, LocalHead, similarity_matrix
from nets.models import SparseMLP
from nets.rules import apply_rule

LOCAL_RULES = ["pred", "sim", "predsim", "pred-bio", "sim-bio", "predsim-bio"]


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_similarity_matrix_is_cosine_of_row_centred_rows():
    h = torch.randn(7, 5, dtype=torch.float64)
    S = similarity_matrix(h)
    hc = h - h.mean(1, keepdim=True)
    expected = F.cosine_similarity(hc[:, None, :], hc[None, :, :], dim=2)
    torch.testing.assert_close(S, expected)
    torch.testing.assert_close(torch.diagonal(S), torch.ones(7, dtype=torch.float64))
    # invariant to a per-row shift and a positive per-row scale
    torch.testing.assert_close(similarity_matrix(3.0 * h + torch.randn(7, 1, dtype=torch.float64)), S)


def test_similarity_of_one_hot_labels():
    Y = F.one_hot(torch.tensor([0, 1, 0, 2]), 3).double()
    S = similarity_matrix(Y)
    # same class -> 1, different class -> -1/(C-1)
    assert S[0, 2] == pytest.approx(1.0) and S[0, 1] == pytest.approx(-0.5) and S[1, 3] == pytest.approx(-0.5)


def test_constant_rows_give_zero_similarity_not_nan():
    S = similarity_matrix(torch.ones(3, 4))
    assert bool(torch.isfinite(S).all()) and float(S.abs().max()) == 0.0


def _heads(kind, bio=False, beta=0.99):
    return LocalHead(6, 3, kind=kind, bio=bio, beta=beta, seed=0, dtype=torch.float64)


def test_pred_sim_predsim_losses_by_definition():
    h = torch.randn(8, 6, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    pred, sim, ps = _heads("pred"), _heads("sim"), _heads("predsim", beta=0.9)
    torch.testing.assert_close(pred(h, y), F.cross_entropy(pred.pred(h), y))
    Sy = similarity_matrix(F.one_hot(y, 3).double())
    torch.testing.assert_close(sim(h, y), F.mse_loss(similarity_matrix(sim.sim_map(h)), Sy))
    # predsim's heads are seeded like the single-loss heads, so the mix can be checked term by term
    l_pred = F.cross_entropy(ps.pred(h), y)
    l_sim = F.mse_loss(similarity_matrix(ps.sim_map(h)), Sy)
    torch.testing.assert_close(ps(h, y), 0.1 * l_pred + 0.9 * l_sim)


def test_bio_variants_by_definition():
    h = torch.randn(8, 6, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    pred, sim = _heads("pred", bio=True), _heads("sim", bio=True)
    assert pred.projection.shape == (3, BIO_TARGET_DIM) and not hasattr(sim, "sim_map")
    assert pred.pred.feedback is Feedback.FA  # the head is trained with feedback alignment
    code = (F.one_hot(y, 3).double() @ pred.projection > 0).double()
    torch.testing.assert_close(pred(h, y), F.binary_cross_entropy_with_logits(pred.pred(h), code))
    Sy = similarity_matrix(F.one_hot(y, 3).double() @ sim.projection)
    torch.testing.assert_close(sim(h, y), F.mse_loss(similarity_matrix(h), Sy))


def test_bio_pred_sends_error_through_fixed_random_matrix():
    head = _heads("pred", bio=True)
    h = torch.randn(5, 6, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 1, 2, 0, 1])
    head(h, y).backward()
    out = head.pred(h.detach())
    code = (F.one_hot(y, 3).double() @ head.projection > 0).double()
    e = (out.sigmoid() - code) / out.numel()
    torch.testing.assert_close(h.grad, e @ head.pred.feedback_weight)


def test_local_head_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of 'pred', 'sim', 'predsim'"):
        LocalHead(4, 2, kind="simpred")


@pytest.mark.parametrize("rule", LOCAL_RULES)
def test_no_gradient_crosses_blocks(rule):
    """Block 0's update does not depend on anything above it: change layer 1, same block-0 step."""
    x, y = torch.randn(12, 8), torch.randint(0, 3, (12,))
    results = []
    for w_scale in (1.0, -3.0):
        net = SparseMLP([8, 10, 10, 3], seed=0)
        with torch.no_grad():
            net.layers[1].weight.mul_(w_scale)
            net.layers[2].weight.mul_(w_scale)
        learner = apply_rule(net, rule, seed=0)
        learner.step(x, y)
        results.append(net.layers[0].weight.detach().clone())
    torch.testing.assert_close(results[0], results[1], rtol=0, atol=0)


@pytest.mark.parametrize("rule", LOCAL_RULES)
def test_local_learner_structure_and_freed_gradients(rule):
    net = SparseMLP([8, 10, 9, 3], seed=0)
    learner = apply_rule(net, rule, seed=0)
    assert sorted(learner.optimizers) == ["block0", "block1", "output"]
    heads = learner.extra["heads"]
    assert len(heads) == 2 and heads[1].kind == rule.split("-")[0] and heads[1].bio == rule.endswith("bio")
    # block i's optimizer owns exactly layer i and head i
    owned = {id(p) for g in learner.optimizers["block1"].param_groups for p in g["params"]}
    assert owned == {id(p) for p in [*net.layers[1].parameters(), *heads[1].parameters()]}
    before = [p.detach().clone() for p in net.parameters()]
    loss, logits = learner.step(torch.randn(6, 8), torch.tensor([0, 1, 2, 0, 1, 2]))
    assert logits.shape == (6, 3) and loss.ndim == 0 and len(learner.local_losses()) == 2
    # block by block: every gradient was freed after its block's step
    assert all(p.grad is None for p in [*net.parameters(), *heads.parameters()])
    assert all(not torch.equal(b, p) for b, p in zip(before, net.parameters()))


def test_local_rule_validation():
    with pytest.raises(ValueError, match="beta must be a real number >= 0 and <= 1"):
        apply_rule(SparseMLP([4, 5, 3], seed=0), "predsim", beta=1.5)
    with pytest.raises(ValueError, match="at least one hidden layer"):
        apply_rule(SparseMLP([4, 3], seed=0), "pred")


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(beta=5.0), ValueError, "beta"),
        (dict(beta="x"), TypeError, "beta"),
        (dict(n_classes=1), ValueError, "n_classes must be an integer >= 2"),
    ],
)
def test_local_head_validates_beta_and_n_classes(kwargs, exc, match):
    # beta=5 was accepted (a negative pred weight), beta="x" raised float()'s message,
    # n_classes=0 was reported as "out_features"
    from nets.local import LocalHead

    args = dict(n_features=4, n_classes=3)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        LocalHead(args.pop("n_features"), args.pop("n_classes"), **args)
