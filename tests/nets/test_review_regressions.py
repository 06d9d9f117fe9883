"""Regression tests for defects found in review (each failed before its fix)."""

from __future__ import annotations

import pytest
import torch

from nets import SparseMLP, evaluate, load_dataset


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


@pytest.mark.parametrize(
    "model, match",
    [
        (lambda: torch.nn.Sequential(torch.nn.Linear(64, 5)), r"the model has 5 outputs but data set .* has 10 classes"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(10, 10)), r"cannot take data set .*64 features.*shape \(1, 64\)"),
    ],
)
def test_train_refuses_a_plain_model_that_does_not_fit_the_data(model, match):
    # a generic nn.Module (no .sizes/.n_inputs) used to fail inside the first step with
    # IndexError "Target 6 is out of bounds" or RuntimeError "mat1 and mat2 shapes cannot be multiplied"
    from nets import load_dataset, train

    ds = load_dataset("digits", seed=0)
    with pytest.raises(ValueError, match=match):
        train(model(), "bp", ds, epochs=1, progress=False, seed=0)


def test_train_probe_leaves_plain_model_training_deterministic():
    from nets import load_dataset, train

    ds = load_dataset("digits", seed=0)

    def run():
        with torch.random.fork_rng():  # test-side only: nn.Linear draws its init from the global RNG
            torch.manual_seed(0)
            net = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10))
        r = train(net, "bp", ds, epochs=1, progress=False, seed=3)
        assert net.training
        return r.history[0]["train_loss"], r.history[0]["test_accuracy"]

    assert run() == run()


def test_set_mask_then_fresh_optimizer_keeps_masked_off_weights_zero():
    # documents the contract stated in SparseLinear/set_mask: an optimizer built *before*
    # set_mask carries Adam moments that move masked-off entries; a fresh one does not,
    # and apply_mask repairs the stale case
    from nets import SparseLinear

    layer = SparseLinear(6, 4, seed=0, backend="dense")
    opt = torch.optim.Adam(layer.parameters(), lr=0.1)
    g = torch.Generator().manual_seed(0)
    for _ in range(3):
        layer(torch.randn(5, 6, generator=g)).pow(2).sum().backward()
        opt.step()
        opt.zero_grad()
    m = torch.rand(4, 6, generator=torch.Generator().manual_seed(1)) < 0.5
    layer.set_mask(m)
    fresh, stale = torch.optim.Adam(layer.parameters(), lr=0.1), opt
    layer(torch.randn(5, 6, generator=g)).pow(2).sum().backward()
    fresh.step()
    assert bool((layer.weight[~m] == 0).all())
    layer(torch.randn(5, 6, generator=g)).pow(2).sum().backward()
    stale.step()  # the stale optimizer breaks it, as documented ...
    assert not bool((layer.weight[~m] == 0).all())
    layer.apply_mask()  # ... and apply_mask repairs it
    assert bool((layer.weight[~m] == 0).all())


def test_dataset_equality_does_not_raise():
    # the dataclass-generated __eq__ compared the tensors and raised
    # "Boolean value of Tensor with more than one value is ambiguous" (also for `ds in list`)
    import numpy as np

    from nets import Dataset

    a = Dataset.from_arrays(np.eye(4), [0, 1, 0, 1], np.eye(4)[:2], [1, 0])
    b = Dataset.from_arrays(np.eye(4), [0, 1, 0, 1], np.eye(4)[:2], [1, 0])
    assert a == a and a in [a]
    assert not (a == b) and a not in [b]
    assert len({a, b}) == 2


def test_dag_wiring_equality_does_not_raise():
    # the dataclass-generated __eq__ compared numpy arrays and raised "truth value ... is ambiguous"
    import networkx as nx

    from nets import dag_wiring

    a = dag_wiring(nx.cycle_graph(5), inputs=2, outputs=1)
    b = dag_wiring(nx.cycle_graph(5), inputs=2, outputs=1)
    assert a == a and a in [a]
    assert not (a == b) and a not in [b]


def test_resume_with_another_model_is_refused(tmp_path):
    # resuming a dense-mask run with a sparse-mask model (sparse storage) used to load the
    # checkpoint's mask, re-create weight_values and leave the optimizer updating orphaned
    # Parameters: the "resumed" epochs silently changed no weight; other shapes raised a RuntimeError
    from nets import SparseMLP, layered_masks, load_dataset, train

    ds = load_dataset("digits", seed=0)
    train(SparseMLP([64, 32, 10], seed=0), "bp", ds, epochs=1, progress=False, seed=0, out=tmp_path)
    sparse = SparseMLP([64, 32, 10], layered_masks([64, 32, 10], "er", 0.05, sparse_output=True, seed=0), seed=0)
    with pytest.raises(ValueError, match=r"cannot resume: the checkpoint's layers.0.mask .*2048 connections"):
        train(sparse, "bp", ds, epochs=2, progress=False, seed=0, out=tmp_path, resume=True)
    with pytest.raises(ValueError, match="cannot resume: the checkpoint does not fit this model"):
        train(SparseMLP([64, 32, 10], bias=False, seed=0), "bp", ds, epochs=2, progress=False, seed=0, out=tmp_path, resume=True)
    with pytest.raises(ValueError, match=r"cannot resume: the checkpoint's layers.1.mask \(shape \(10, 32\)"):
        train(SparseMLP([64, 32, 16, 10], seed=0), "bp", ds, epochs=2, progress=False, seed=0, out=tmp_path, resume=True)
    # the same model still resumes
    r = train(SparseMLP([64, 32, 10], seed=0), "bp", ds, epochs=2, progress=False, seed=0, out=tmp_path, resume=True)
    assert r.epochs == 2


@pytest.mark.parametrize(("test_size", "empty"), [(0.999, "training"), (0.001, "test")])
def test_a_split_that_leaves_one_side_empty_names_test_size(test_size, empty):
    # it used to fail later with "X_train must hold at least one sample" (and NaN warnings from the scaling)
    with pytest.raises(ValueError, match=rf"test_size={test_size} leaves the {empty} split empty"):
        load_dataset("digits", test_size=test_size)
