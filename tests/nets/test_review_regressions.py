"""Regression tests for defects found in review (each failed before its fix)."""

from __future__ import annotations

import pytest
import torch

from nets import SparseMLP, evaluate


@pytest.mark.parametrize(
    "X, y, kwargs, exc, match",
    [
        (torch.zeros(0, 4), torch.zeros(0, dtype=torch.long), {}, ValueError, r"same number \(>= 1\) of samples"),
        (torch.zeros(3, 4), torch.zeros(2, dtype=torch.long), {}, ValueError, r"same number \(>= 1\) of samples"),
        (torch.zeros(2, 4), torch.zeros(2, dtype=torch.long), {"batch_size": 0}, ValueError, "batch_size"),
        (torch.zeros(2, 4), torch.tensor([0.0, 1.0]), {}, ValueError, "integer class labels"),
        (torch.zeros(2, 4), torch.tensor([0, 7]), {}, ValueError, r"labels in 0..2 .*got labels in 0..7"),
        (torch.zeros(2, 4), torch.tensor([-1, 0]), {}, ValueError, r"got labels in -1..0"),
    ],
)
def test_evaluate_rejects_bad_input_with_clear_errors(X, y, kwargs, exc, match):
    # used to raise ZeroDivisionError, "range() arg 3 must not be zero", IndexError or a torch RuntimeError
    net = SparseMLP([4, 3], seed=0)
    with pytest.raises(exc, match=match):
        evaluate(net, X, y, **kwargs)
    assert net.training  # the model's mode is restored even on error


def test_evaluate_still_scores_valid_input():
    net = SparseMLP([4, 3], seed=0)
    X, y = torch.randn(10, 4), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    loss, acc = evaluate(net, X, y, batch_size=3)
    with torch.no_grad():
        logits = net(X)
    assert loss == pytest.approx(float(torch.nn.functional.cross_entropy(logits, y)), rel=1e-5)
    assert acc == pytest.approx(float((logits.argmax(1) == y).float().mean()))
