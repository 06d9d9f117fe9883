"""Feedback pathways (BP, FA, uSF, frSF) in the layer's backward, and alignment angles."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nets import Feedback, SparseLinear, alignment_angle, as_feedback, feedback_matrix, update_angle

BACKENDS = ["dense", "csr", "numba"]


def _mask(n_out, n_in, density, seed=0):
    g = torch.Generator().manual_seed(seed)
    m = torch.rand(n_out, n_in, generator=g) < density
    m[torch.arange(n_out), torch.arange(n_out) % n_in] = True
    m[torch.arange(n_in) % n_out, torch.arange(n_in)] = True
    return m


def _run(layer, device, dtype=torch.float64):
    gen = torch.Generator().manual_seed(7)
    x = torch.randn(9, layer.in_features, generator=gen, dtype=dtype).to(device).requires_grad_()
    g = torch.randn(9, layer.out_features, generator=gen, dtype=dtype).to(device)
    layer(x).backward(g)
    return x.detach().cpu(), g.cpu(), x.grad.cpu()


def _expected_matrix(mode, layer):
    W, B, m = layer.weight.detach().cpu(), layer.feedback_weight.cpu(), layer.mask.cpu()
    if mode == "bp":
        return W
    if mode == "fa":
        return B
    if mode == "frsf":
        return torch.sign(W) * B.abs()
    rms = math.sqrt(float((W[m] ** 2).sum()) / int(m.sum()))
    return torch.sign(W) * rms


@pytest.mark.parametrize("mode", ["bp", "fa", "usf", "frsf"])
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("density", [1.0, 0.2])
@pytest.mark.parametrize("storage", [False, True], ids=["dense-storage", "sparse-storage"])
def test_input_gradient_is_grad_out_times_feedback_matrix(device, mode, backend, density, storage):
    if backend == "numba" and device != "cpu":
        pytest.skip("numba kernel is CPU-only")
    m = _mask(13, 21, density)
    layer = SparseLinear(
        21, 13, m, backend=backend, feedback=mode, seed=2, dtype=torch.float64, device=device, sparse_storage=storage
    )
    x, g, gx = _run(layer, device)
    F = _expected_matrix(mode, layer)
    torch.testing.assert_close(gx, g @ F, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(layer.effective_feedback().cpu(), F)
    # the weight gradient is the usual masked g^T x in every mode
    torch.testing.assert_close(layer.dense_weight_grad().cpu(), (g.T @ x) * m, rtol=1e-12, atol=1e-12)
    if mode != "bp":
        assert not torch.allclose(gx, g @ layer.weight.detach().cpu())


@pytest.mark.parametrize("backend", BACKENDS)
def test_dense_feedback_with_sparse_weights(backend):
    m = _mask(10, 15, 0.2)
    layer = SparseLinear(15, 10, m, backend=backend, feedback="fa", dense_feedback=True, seed=0, dtype=torch.float64)
    B = layer.feedback_weight
    assert torch.count_nonzero(B) == B.numel()
    x, g, gx = _run(layer, "cpu")
    torch.testing.assert_close(gx, g @ B, rtol=1e-12, atol=1e-12)
    # frSF takes |B| only where sign(W) is nonzero, i.e. on the mask
    layer.set_feedback("frsf", dense=True)
    x, g, gx = _run(layer, "cpu")
    torch.testing.assert_close(gx, g @ (torch.sign(layer.weight.detach()) * B.abs()), rtol=1e-12, atol=1e-12)


def test_set_feedback_keeps_B_and_redraws_on_seed_or_density_change():
    layer = SparseLinear(8, 6, _mask(6, 8, 0.5), feedback="fa", seed=0)
    B0 = layer.feedback_weight.clone()
    layer.set_feedback("bp").set_feedback("fa")
    assert torch.equal(layer.feedback_weight, B0) and layer.feedback is Feedback.FA
    layer.set_feedback("fa", seed=1)
    B1 = layer.feedback_weight.clone()
    assert not torch.equal(B1, B0)
    layer.set_feedback("fa", seed=1)
    assert torch.equal(layer.feedback_weight, B1)
    layer.set_feedback("fa", dense=True)
    assert layer.dense_feedback and torch.count_nonzero(layer.feedback_weight) == 48
    layer.set_feedback("fa", dense=False)
    assert torch.equal(layer.feedback_weight, B0)  # same derived seed as at construction
    with pytest.raises(ValueError, match="mode must be one of"):
        layer.set_feedback("sign")


def test_fa_learns_a_linear_map_and_aligns():
    """Feedback alignment trains a 2-layer linear net and W2 turns towards B2 (Lillicrap et al. 2016)."""
    gen = torch.Generator().manual_seed(0)
    T = torch.randn(5, 20, generator=gen) / 4
    l1 = SparseLinear(20, 30, feedback="fa", seed=1, bias=False)
    l2 = SparseLinear(30, 5, feedback="fa", seed=2, bias=False)
    opt = torch.optim.SGD([*l1.parameters(), *l2.parameters()], lr=0.05)
    angle0 = alignment_angle(l2.weight, l2.feedback_weight)
    losses = []
    for _ in range(300):
        x = torch.randn(64, 20, generator=gen)
        loss = (l2(l1(x)) - x @ T.T).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert 80 < angle0 < 100
    assert alignment_angle(l2.weight, l2.feedback_weight) < 70  # from ~90 at init
    assert np.mean(losses[-20:]) < 0.2 * np.mean(losses[:20])


def test_as_feedback_validation():
    assert as_feedback("USF") is Feedback.USF and as_feedback(Feedback.BP) is Feedback.BP
    with pytest.raises(ValueError, match="feedback must be one of 'bp', 'fa', 'usf', 'frsf', got feedback='kp'"):
        as_feedback("kp")
    with pytest.raises(TypeError, match="feedback must be a Feedback or one of its names"):
        as_feedback(None)
    with pytest.raises(ValueError, match="needs feedback_weight"):
        feedback_matrix("fa", torch.ones(2, 2))


def test_usf_of_zero_weights_is_zero_not_nan():
    assert torch.equal(feedback_matrix("usf", torch.zeros(2, 3)), torch.zeros(2, 3))


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ([[1.0, 2.0], [3.0, 4.0]], [[2.0, 4.0], [6.0, 8.0]], 0.0),
        ([[1.0, 2.0]], [[-1.0, -2.0]], 180.0),
        ([[1.0, 0.0]], [[0.0, 3.0]], 90.0),
        ([[1.0, 0.0]], [[1.0, 1.0]], 45.0),
        ([[1.0, 1.0, 1.0]], [[1.0, 0.0, 0.0]], math.degrees(math.acos(1 / math.sqrt(3)))),
    ],
)
def test_alignment_angle_values(a, b, expected):
    assert alignment_angle(torch.tensor(a), torch.tensor(b)) == pytest.approx(expected, abs=1e-6)
    assert alignment_angle(np.array(a), np.array(b)) == pytest.approx(expected, abs=1e-6)


def test_update_angle_concatenates_layers():
    u = [torch.tensor([1.0, 0.0]), torch.tensor([[0.0]])]
    t = [torch.tensor([1.0, 0.0]), torch.tensor([[1.0]])]
    assert update_angle(u, t) == pytest.approx(45.0)
    with pytest.raises(ValueError, match="same number of elements, got 3 and 2"):
        update_angle(u, [torch.ones(2)])


@pytest.mark.parametrize(
    "a, b, exc, match",
    [
        (torch.zeros(2), torch.ones(2), ValueError, "undefined: weight is all zeros"),
        (torch.ones(2), torch.tensor([float("nan"), 1.0]), ValueError, "must be finite"),
        ("w", torch.ones(2), TypeError, "weight must be a torch.Tensor"),
        ([], torch.ones(2), ValueError, "empty sequence"),
    ],
)
def test_alignment_angle_bad_input(a, b, exc, match):
    with pytest.raises(exc, match=match):
        alignment_angle(a, b)


@pytest.mark.parametrize("scale", [1e200, 1e-300, 1.0])
def test_angles_are_scale_free_at_float64_extremes(scale):
    a = torch.tensor([1.0, 0.0], dtype=torch.float64) * scale
    b = torch.tensor([1.0, 1.0], dtype=torch.float64) * scale
    assert alignment_angle(a, b) == pytest.approx(45.0, abs=1e-9)
    assert update_angle([a], [-a]) == pytest.approx(180.0, abs=1e-9)
