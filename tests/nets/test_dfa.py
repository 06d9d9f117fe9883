"""Direct feedback alignment: the autograd Function against a hand computation."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from nets.dfa import DFAFeedback, DFAOutput, dfa_forward
from nets.models import SparseMLP
from nets.rules import apply_rule


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_dfa_gradients_match_hand_computation():
    torch.manual_seed(0)  # only for the test's inputs; the library never uses the global RNG
    net = SparseMLP([3, 4, 5, 2], seed=1, dtype=torch.float64)
    fb = DFAFeedback([4, 5], 2, seed=2, dtype=torch.float64)
    x = torch.randn(6, 3, dtype=torch.float64)
    y = torch.tensor([0, 1, 1, 0, 1, 0])
    W1, W2, W3 = (layer.weight.detach().clone() for layer in net.layers)
    b1, b2, b3 = (layer.bias.detach().clone() for layer in net.layers)
    B1, B2 = fb.matrices()

    logits = dfa_forward(net.layers, net.act, fb, x)
    F.cross_entropy(logits, y).backward()

    # by hand: e = dL/dy; hidden deltas from e through B_i, gated by relu'
    a1 = x @ W1.T + b1
    h1 = a1.clamp(min=0)
    a2 = h1 @ W2.T + b2
    h2 = a2.clamp(min=0)
    out = h2 @ W3.T + b3
    e = (out.softmax(1) - F.one_hot(y, 2).double()) / x.shape[0]
    d2 = (e @ B2) * (a2 > 0)
    d1 = (e @ B1) * (a1 > 0)
    expected = [(d1.T @ x, d1.sum(0)), (d2.T @ h1, d2.sum(0)), (e.T @ h2, e.sum(0))]
    torch.testing.assert_close(logits.detach(), out)
    for layer, (gW, gb) in zip(net.layers, expected):
        torch.testing.assert_close(layer.weight.grad, gW)
        torch.testing.assert_close(layer.bias.grad, gb)
    # and it is not backprop: the true gradient of W1 differs
    d1_bp = (((e @ W3) * (a2 > 0)) @ W2) * (a1 > 0)
    assert not torch.allclose(d1_bp.T @ x, expected[0][0])


def test_dfa_output_function_passes_error_through():
    y = torch.randn(2, 3, requires_grad=True)
    h = torch.randn(2, 4, requires_grad=True)
    B = torch.randn(3, 4)
    g = torch.randn(2, 3)
    DFAOutput.apply(y, [B], h).backward(g)
    torch.testing.assert_close(y.grad, g)
    torch.testing.assert_close(h.grad, g @ B)
    with pytest.raises(ValueError, match="one feedback matrix per hidden tensor"):
        DFAOutput.apply(y, [B, B], h)


def test_dfa_forward_equals_plain_forward():
    net = SparseMLP([8, 6, 6, 3], seed=0)
    fb = DFAFeedback([6, 6], 3, seed=0)
    x = torch.randn(5, 8)
    torch.testing.assert_close(dfa_forward(net.layers, net.act, fb, x), net(x))


def test_dfa_feedback_is_seeded_and_saved():
    a, b, c = DFAFeedback([4, 5], 3, seed=7), DFAFeedback([4, 5], 3, seed=7), DFAFeedback([4, 5], 3, seed=8)
    assert all(torch.equal(p, q) for p, q in zip(a.matrices(), b.matrices()))
    assert not torch.equal(a.B0, c.B0)
    assert set(a.state_dict()) == {"B0", "B1"}
    assert float(a.B0.abs().max()) <= 1 / 3**0.5


def test_dfa_learner_keeps_masked_weights_zero_and_trains_every_layer():
    masks = [torch.rand(16, 8, generator=torch.Generator().manual_seed(i)) < 0.5 for i in range(1)]
    net = SparseMLP([8, 16, 16, 3], masks=[masks[0], None, None], seed=0)
    before = [layer.weight.detach().clone() for layer in net.layers]
    learner = apply_rule(net, "dfa", seed=0)
    x, y = torch.randn(10, 8), torch.randint(0, 3, (10,))
    for _ in range(3):
        learner.step(x, y)
    assert bool((net.layers[0].weight[~masks[0]] == 0).all())
    assert all(not torch.equal(b, layer.weight) for b, layer in zip(before, net.layers))
    assert set(learner.extra["feedback"].state_dict()) == {"B0", "B1"}


def test_dfa_needs_a_hidden_layer_and_a_layered_model():
    with pytest.raises(ValueError, match="at least one hidden layer"):
        apply_rule(SparseMLP([4, 3], seed=0), "dfa")
    with pytest.raises(TypeError, match="needs a layered model"):
        apply_rule(torch.nn.Linear(4, 3), "dfa")
