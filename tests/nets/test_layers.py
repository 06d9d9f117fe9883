"""SparseLinear: backends agree, masked weights stay exactly zero, init, seeds, masks, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch import nn

from nets import SparseLinear
from nets import _backends as K

BACKENDS = ["dense", "csr", "numba", "auto"]


def _backends_for(device: str) -> list[str]:
    return [b for b in BACKENDS if not (b == "numba" and device != "cpu")]


def _mask(n_out: int, n_in: int, density: float, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    m = torch.rand(n_out, n_in, generator=g) < density
    m[torch.arange(n_out), torch.arange(n_out) % n_in] = True  # no dead rows
    m[torch.arange(n_in) % n_out, torch.arange(n_in)] = True  # no dead columns
    return m


def _reference(x, W, b, g):
    """Hand-computed forward/backward of a masked linear layer under backprop."""
    y = x @ W.T + b
    return y, g @ W, g.T @ x, g.sum(0)


@pytest.mark.parametrize("storage", [False, True], ids=["dense-storage", "sparse-storage"])
@pytest.mark.parametrize("density", [1.0, 0.3, 0.02])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_backends_agree_with_hand_computation(device, density, dtype, storage):
    m = _mask(23, 31, density)
    gen = torch.Generator().manual_seed(1)
    x0 = torch.randn(2, 5, 31, generator=gen, dtype=dtype)
    g = torch.randn(2, 5, 23, generator=gen, dtype=dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-12, atol=1e-12)
    for backend in _backends_for(device):
        layer = SparseLinear(31, 23, m, backend=backend, seed=3, dtype=dtype, device=device, sparse_storage=storage)
        assert layer.sparse_storage is storage
        x = x0.clone().to(device).requires_grad_()
        y = layer(x)
        y.backward(g.to(device))
        W, b = layer.weight.detach().cpu(), layer.bias.detach().cpu()
        ry, rgx, rgw, rgb = _reference(x0.reshape(-1, 31), W, b, g.reshape(-1, 23))
        assert y.shape == (2, 5, 23)
        torch.testing.assert_close(y.detach().cpu().reshape(-1, 23), ry, **tol)
        torch.testing.assert_close(x.grad.cpu().reshape(-1, 31), rgx, **tol)
        torch.testing.assert_close(layer.dense_weight_grad().cpu(), rgw * m, **tol)
        torch.testing.assert_close(layer.bias.grad.cpu(), rgb, **tol)
        assert torch.count_nonzero(layer.dense_weight_grad().cpu()[~m]) == 0, backend


def test_full_mask_bp_matches_nn_linear_exactly():
    ref = torch.nn.Linear(17, 9)
    layer = SparseLinear(17, 9, backend="dense", seed=0)
    with torch.no_grad():
        layer.weight.copy_(ref.weight)
        layer.bias.copy_(ref.bias)
    x1 = torch.randn(6, 17, requires_grad=True)
    x2 = x1.detach().clone().requires_grad_()
    ref(x1).square().sum().backward()
    layer(x2).square().sum().backward()
    assert torch.equal(x1.grad, x2.grad)
    assert torch.equal(ref.weight.grad, layer.dense_weight_grad())
    assert torch.equal(ref.bias.grad, layer.bias.grad)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "make_opt",
    [
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True),
        lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.5),
        lambda p: torch.optim.Adam(p, lr=0.05, weight_decay=0.1, amsgrad=True),
        lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, weight_decay=0.1),
    ],
    ids=["sgd-momentum-wd", "adamw", "adam-amsgrad-l2", "rmsprop"],
)
def test_weights_outside_mask_stay_exactly_zero_after_optimizer_steps(backend, make_opt):
    m = _mask(12, 20, 0.2)
    layer = SparseLinear(20, 12, m, backend=backend, feedback="fa", seed=0)
    opt = make_opt(layer.parameters())
    gen = torch.Generator().manual_seed(0)
    for _ in range(5):
        opt.zero_grad()
        x = torch.randn(8, 20, generator=gen, requires_grad=True)
        layer(x).square().mean().backward()
        opt.step()
    assert torch.count_nonzero(layer.weight.detach()[~m]) == 0
    assert torch.count_nonzero(layer.weight.detach()[m]) == int(m.sum())  # the mask's weights did move and are live


def test_init_uses_fan_in_of_each_mask_row():
    m = torch.zeros(3, 400, dtype=torch.bool)
    m[0, :4] = True
    m[1, :100] = True
    m[2, :] = True
    layer = SparseLinear(400, 3, m, seed=0)
    W = layer.weight.detach()
    assert torch.count_nonzero(W[~m]) == 0
    for i, k in enumerate([4, 100, 400]):
        bound = 1 / math.sqrt(k)
        row = W[i, m[i]]
        assert row.abs().max() <= bound
        assert row.abs().max() > 0.5 * bound  # the full bound is used, not the dense 1/sqrt(400)
        assert abs(float(layer.bias.detach()[i])) <= bound
    # uniform on (-b, b): variance b^2 / 3 for the 400-wide row
    assert abs(float(W[2].var()) - (1 / 400) / 3) < 0.25 * (1 / 400) / 3


def test_feedback_matrix_follows_mask_and_init_scale():
    m = _mask(30, 50, 0.3)
    layer = SparseLinear(50, 30, m, feedback="fa", seed=0)
    B = layer.feedback_weight
    assert torch.count_nonzero(B[~m]) == 0 and torch.count_nonzero(B[m]) == int(m.sum())
    bound = m.sum(1).float().rsqrt()
    assert bool((B.abs() <= bound[:, None]).all())
    assert not torch.equal(B, layer.weight.detach())
    dense = SparseLinear(50, 30, m, feedback="fa", dense_feedback=True, seed=0)
    assert torch.count_nonzero(dense.feedback_weight) == 50 * 30
    assert float(dense.feedback_weight.abs().max()) <= 1 / math.sqrt(50)


def test_same_seed_same_parameters_and_different_seed_differs():
    m = _mask(8, 8, 0.5)
    a, b, c = (SparseLinear(8, 8, m, seed=s) for s in (5, 5, 6))
    assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)
    assert torch.equal(a.feedback_weight, b.feedback_weight)
    assert not torch.equal(a.weight, c.weight)
    w0 = a.weight.detach().clone()
    with torch.no_grad():
        a.weight.mul_(3)
    a.reset_parameters()
    assert torch.equal(a.weight.detach(), w0)
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    assert torch.equal(SparseLinear(8, 8, m, seed=g1).weight, SparseLinear(8, 8, m, seed=g2).weight)
    r1, r2 = np.random.default_rng(2), np.random.default_rng(2)
    assert torch.equal(SparseLinear(8, 8, m, seed=r1).weight, SparseLinear(8, 8, m, seed=r2).weight)


def test_same_seed_same_parameters_across_devices(device):
    m = _mask(8, 8, 0.5)
    a = SparseLinear(8, 8, m, seed=4)
    b = SparseLinear(8, 8, m, seed=4, device=device)
    assert torch.equal(a.weight, b.weight.cpu())


@pytest.mark.parametrize(
    "convert",
    [
        lambda m: m,
        lambda m: m.numpy(),
        lambda m: m.numpy().astype(np.int8),
        lambda m: m.float(),
        lambda m: m.to_sparse(),
        lambda m: m.to_sparse_csr(),
        lambda m: sp.csr_array(m.numpy()),
        lambda m: sp.coo_matrix(m.numpy().astype(float)),
    ],
    ids=["torch-bool", "numpy-bool", "numpy-int8", "torch-float", "torch-coo", "torch-csr", "scipy-csr", "scipy-coo"],
)
def test_mask_formats(convert):
    m = _mask(6, 9, 0.4)
    layer = SparseLinear(9, 6, convert(m), seed=0)
    assert layer.mask.dtype == torch.bool and torch.equal(layer.mask, m)
    assert layer.nnz == int(m.sum()) and layer.density == pytest.approx(int(m.sum()) / 54)


def test_dead_neurons_warn_with_counts():
    m = torch.ones(4, 5, dtype=torch.bool)
    m[1] = False
    m[:, 3] = False
    m[:, 4] = False
    with pytest.warns(UserWarning, match=r"1 output\(s\) with no inputs.*2 input\(s\) connected to no output"):
        layer = SparseLinear(5, 4, m, seed=0)
    y = layer(torch.randn(3, 5))
    assert torch.equal(y[:, 1], layer.bias[1].detach().expand(3))


def test_no_warning_without_dead_neurons():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SparseLinear(5, 4, _mask(4, 5, 0.3), seed=0)


def test_repr_density_and_resolved_backend():
    m = _mask(100, 100, 0.01)
    layer = SparseLinear(100, 100, m, feedback="fa", seed=0)
    assert f"density={layer.density:.4g}" in repr(layer) and "backend=auto" in repr(layer) and "feedback=fa" in repr(layer)
    assert layer.resolved_backend() == "numba"
    assert SparseLinear(10, 10, seed=0).resolved_backend() == "dense"
    assert K.choose_backend(0.01, torch.device("cuda"), torch.float32) == "csr"
    assert K.choose_backend(0.01, torch.device("cpu"), torch.float16) == "dense"


@pytest.mark.parametrize("backend", BACKENDS)
def test_state_dict_round_trip_and_new_mask_is_used(backend):
    a = SparseLinear(10, 7, _mask(7, 10, 0.3, seed=0), backend=backend, seed=0)
    b = SparseLinear(10, 7, _mask(7, 10, 0.3, seed=1), backend=backend, seed=1)
    x = torch.randn(4, 10)
    b(x)  # build b's caches for its old mask
    b.load_state_dict(a.state_dict())
    assert torch.equal(b.mask, a.mask)
    torch.testing.assert_close(b(x), a(x))
    w_key = "weight_values" if a.sparse_storage else "weight"
    assert set(a.state_dict()) == {w_key, "bias", "mask", "feedback_weight"}


def test_storages_load_each_others_checkpoints_and_sparse_storage_has_nnz_parameters():
    m = _mask(9, 12, 0.1)
    dense = SparseLinear(12, 9, m, backend="numba", sparse_storage=False, seed=0)
    sparse = SparseLinear(12, 9, m, backend="numba", sparse_storage=True, seed=1)
    assert sparse.weight_values.shape == (int(m.sum()),) and "sparse_storage=True" in repr(sparse)
    assert [n for n, _ in sparse.named_parameters()] == ["weight_values", "bias"]
    x = torch.randn(3, 12)
    sparse.load_state_dict(dense.state_dict())
    torch.testing.assert_close(sparse(x), dense(x))
    assert torch.equal(sparse.weight, dense.weight.detach())
    dense2 = SparseLinear(12, 9, backend="dense", sparse_storage=False, seed=2)
    dense2.load_state_dict(sparse.state_dict())
    torch.testing.assert_close(dense2(x), dense(x))
    # auto chooses the storage with the kernel
    assert SparseLinear(100, 100, _mask(100, 100, 0.01), seed=0).sparse_storage
    assert not SparseLinear(100, 100, _mask(100, 100, 0.5), seed=0).sparse_storage


def test_to_double_and_bias_false():
    m = _mask(5, 6, 0.5)
    layer = SparseLinear(6, 5, m, bias=False, backend="numba", seed=0).double()
    assert layer.bias is None and "bias=False" in repr(layer)
    x = torch.randn(3, 6, dtype=torch.float64)
    torch.testing.assert_close(layer(x), x @ layer.weight.detach().T)


def test_set_mask_zeroes_weights_outside_new_mask():
    layer = SparseLinear(6, 5, seed=0)
    m = _mask(5, 6, 0.4)
    layer.set_mask(m)
    assert torch.count_nonzero(layer.weight.detach()[~m]) == 0
    assert torch.count_nonzero(layer.feedback_weight[~m]) == 0
    assert layer.nnz == int(m.sum())


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(mask=torch.ones(4, 3, dtype=torch.bool)), ValueError, r"mask must have shape .* \(3, 4\), got \(4, 3\)"),
        (dict(mask=torch.full((3, 4), 2.0)), ValueError, "mask must hold only 0/1"),
        (dict(mask=np.array([["a"] * 4] * 3)), TypeError, "mask must be None, a torch tensor"),
        (dict(mask=[[1, 0, 1, 0]] * 3), TypeError, "mask must be None, a torch tensor"),
        (dict(backend="cuSPARSE"), ValueError, "backend must be one of 'auto', 'dense', 'csr', 'numba', got backend='cuSPARSE'"),
        (dict(backend=1), TypeError, "backend must be a str"),
        (dict(feedback="dfa"), ValueError, "feedback must be one of 'bp', 'fa', 'usf', 'frsf', got feedback='dfa'"),
        (dict(feedback=2), TypeError, "feedback must be a Feedback"),
        (dict(device="tpu"), ValueError, "device"),
        (dict(device="cuda:99"), ValueError, "cuda:99"),
        (dict(dtype=torch.int32), TypeError, "dtype must be a floating torch.dtype"),
        (dict(bias=1), TypeError, "bias must be True or False"),
        (dict(seed=-1), ValueError, "seed must be a non-negative integer"),
        (dict(seed=1.5), TypeError, "seed must be None, an int"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        SparseLinear(4, 3, **kwargs)


def test_bad_sizes_and_inputs():
    with pytest.raises(ValueError, match="in_features must be an integer >= 1, got in_features=0"):
        SparseLinear(0, 3)
    layer = SparseLinear(4, 3, seed=0)
    with pytest.raises(ValueError, match=r"input must have shape \(\*, in_features=4\), got shape \(2, 5\)"):
        layer(torch.zeros(2, 5))
    with pytest.raises(TypeError, match="input dtype torch.float64 does not match"):
        layer(torch.zeros(2, 4, dtype=torch.float64))
    with pytest.raises(TypeError, match="backend='csr' needs float32 or float64"):
        SparseLinear(4, 3, backend="csr", dtype=torch.bfloat16, seed=0)(torch.zeros(1, 4, dtype=torch.bfloat16))


def test_numba_backend_refuses_cuda(device):
    if device == "cpu":
        with pytest.raises(ValueError, match="runs on CPU only"):
            K.check_kernel("numba", torch.device("cuda"), torch.float32)
    else:
        layer = SparseLinear(4, 3, backend="numba", device=device, seed=0)
        with pytest.raises(ValueError, match="runs on CPU only"):
            layer(torch.zeros(1, 4, device=device))


@pytest.mark.parametrize("mask", [np.array([["a"] * 4] * 3), np.ones((3, 4), dtype=object)])
def test_numpy_mask_of_wrong_dtype_names_the_dtype(mask):
    # a numpy array *is* an accepted type: the error must say its dtype is the problem, not "got ndarray"
    with pytest.raises(TypeError, match=rf"holding booleans or 0/1 numbers, got a numpy array of dtype {mask.dtype}"):
        SparseLinear(4, 3, mask)


@pytest.mark.parametrize("sparse_storage", [False, True])
@pytest.mark.parametrize("backend", ["dense", "numba"])
def test_loading_a_plain_linear_state_dict_prunes_it_to_the_mask(sparse_storage, backend):
    # a state without "mask" (nn.Linear's) used to load unmasked under dense storage (nonzeros
    # outside the mask; the dense kernel then used them, the sparse ones did not) and be silently
    # ignored under sparse storage (weight left as an unexpected key, the random init kept)
    m = torch.rand(4, 6, generator=torch.Generator().manual_seed(0)) < 0.3
    with torch.random.fork_rng():
        torch.manual_seed(0)
        lin = nn.Linear(6, 4)
    layer = SparseLinear(6, 4, m, seed=0, sparse_storage=sparse_storage, backend=backend)
    result = layer.load_state_dict(lin.state_dict(), strict=False)
    assert result.unexpected_keys == []
    assert bool((layer.weight[~m] == 0).all())
    x = torch.randn(3, 6, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(layer(x), nn.functional.linear(x, lin.weight.detach() * m, lin.bias.detach()))


def test_scipy_masks_are_checked_for_0_1_values_like_dense_ones():
    for bad in (0.5, -1.0, 2.0):
        with pytest.raises(ValueError, match="only 0/1"):
            SparseLinear(2, 2, sp.csr_array(np.array([[bad, 1.0], [1.0, 1.0]])))
    with pytest.raises(ValueError, match="only 0/1"):
        SparseLinear(2, 2, sp.csr_array(np.array([[np.nan, 1.0], [1.0, 1.0]])))
    # explicit zeros are not connections; duplicates are summed as scipy reads them
    m = sp.csr_array((np.array([1.0, 0.0, 1.0]), (np.array([0, 0, 1]), np.array([0, 1, 1]))), shape=(2, 2))
    layer = SparseLinear(2, 2, m)
    assert layer.mask.tolist() == [[True, False], [False, True]]


def test_set_mask_gives_new_connections_random_feedback():
    m = torch.tensor([[1, 0, 1], [0, 1, 1]], dtype=torch.bool)
    layer = SparseLinear(3, 2, m, feedback="fa", seed=0)
    fresh = SparseLinear(3, 2, torch.ones(2, 3, dtype=torch.bool), feedback="fa", seed=0)
    layer.set_mask(torch.ones(2, 3, dtype=torch.bool))
    assert (layer.feedback_weight != 0).all()
    # B is what a new layer with this mask and seed draws
    assert torch.equal(layer.feedback_weight, fresh.feedback_weight)
    layer.set_mask(m)
    assert (layer.feedback_weight[~m] == 0).all() and (layer.feedback_weight[m] != 0).all()
    # a B drawn from an explicit seed keeps that seed across set_mask
    layer.set_feedback("fa", seed=5)
    b5 = layer.feedback_weight.clone()
    layer.set_mask(m)
    assert torch.equal(layer.feedback_weight, b5)


def test_a_generator_on_the_device_seeds_layers_like_its_integer_seed(device):
    from nets._utils import seed_int

    g = torch.Generator(device).manual_seed(0)
    s = seed_int(g)
    assert s == seed_int(torch.Generator(device).manual_seed(0))  # deterministic, any device
    a = SparseLinear(5, 4, seed=torch.Generator(device).manual_seed(0), device=device)
    b = SparseLinear(5, 4, seed=s, device=device)
    assert torch.equal(a.weight, b.weight) and torch.equal(a.feedback_weight, b.feedback_weight)


def test_a_layer_too_large_for_a_dense_mask_is_refused_before_allocating(monkeypatch):
    import nets.layers as L

    monkeypatch.setattr(L, "MAX_MASK_ELEMENTS", 100)
    with pytest.raises(ValueError, match=r"a 11x10 layer keeps a dense bool mask of 110 elements, more than"):
        SparseLinear(10, 11, sp.random_array((11, 10), density=0.1, random_state=0))
    with pytest.raises(ValueError, match="narrower layers"):
        SparseLinear(10, 11)
    assert SparseLinear(10, 10).nnz == 100


def test_seed_zero_feedback_survives_set_mask():
    m = torch.tensor([[1, 0, 1], [0, 1, 1]], dtype=torch.bool)
    layer = SparseLinear(3, 2, m, feedback="fa", seed=3)
    layer.set_feedback("fa", seed=0)
    b0 = layer.feedback_weight.clone()
    layer.set_mask(m)  # same mask: B drawn from seed 0 again, unchanged
    assert torch.equal(layer.feedback_weight, b0)


def test_a_mask_replaced_by_assignment_is_never_served_a_stale_plan(monkeypatch):
    # a freed mask's address can be reused by the next one, so (device, version, pointer) can
    # repeat across different masks; force that collision: the caches must key on the object
    n = 16
    layer = SparseLinear(n, n, backend="dense", feedback="fa", seed=1)
    monkeypatch.setattr(SparseLinear, "_mask_key", lambda self: ("same", 0, 0))
    x = torch.randn(4, n)
    layer(x)  # caches a plan for the full mask (nnz None)
    layer.mask = torch.eye(n, dtype=torch.bool)
    assert layer.nnz == n and layer._plan().nnz == n
    layer.apply_mask()
    layer(x).sum().backward()
    assert (layer.weight.grad[~layer.mask] == 0).all()
