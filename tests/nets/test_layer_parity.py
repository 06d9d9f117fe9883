"""SparseLinear behaves like nn.Linear under autocast, in half precision and under torch.func."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch.func import functional_call, grad, vjp

from nets import SparseLinear
from nets import _backends as K

FEEDBACKS = ["bp", "fa", "usf", "frsf"]


def _mask(seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    m = torch.rand(7, 9, generator=g) < 0.4
    m[torch.arange(7), torch.arange(7)] = True
    m[torch.arange(9) % 7, torch.arange(9)] = True
    return m


def _kernels(device: str) -> list[str]:
    return ["dense", "csr"] + (["numba"] if device == "cpu" else [])


@pytest.mark.parametrize("storage", [False, True], ids=["dense-storage", "sparse-storage"])
@pytest.mark.parametrize("feedback", FEEDBACKS)
def test_autocast_bfloat16_forward_and_backward_match_float32(device, feedback, storage):
    m = _mask()
    x = torch.randn(5, 9, device=device)
    for backend in _kernels(device):
        amp = SparseLinear(9, 7, m, backend=backend, feedback=feedback, sparse_storage=storage, seed=3, device=device)
        ref = SparseLinear(9, 7, m, backend=backend, feedback=feedback, sparse_storage=storage, seed=3, device=device)
        xa, xr = x.clone().requires_grad_(), x.clone().requires_grad_()
        with torch.autocast(device, dtype=torch.bfloat16):
            ya = amp(xa)
        yr = ref(xr)
        # the dense kernel runs in bfloat16 like nn.Linear; the sparse kernels stay in float32
        assert ya.dtype == (torch.bfloat16 if backend == "dense" else torch.float32)
        ya.float().pow(2).sum().backward()
        yr.pow(2).sum().backward()
        pa, pr = amp._param(), ref._param()
        assert pa.grad.dtype == torch.float32 and xa.grad.dtype == torch.float32
        tol = 0.05 if backend == "dense" else 1e-5
        assert torch.allclose(ya.float(), yr, rtol=tol, atol=tol)
        assert torch.allclose(pa.grad, pr.grad, rtol=tol, atol=tol * pr.grad.abs().max().item())
        assert torch.allclose(xa.grad, xr.grad, rtol=tol, atol=tol * xr.grad.abs().max().item())
        if not storage:  # still exactly zero off the mask
            assert (pa.grad[~m.to(device)] == 0).all()


def test_autocast_accepts_low_precision_input_like_nn_linear(device):
    # under autocast a layer may receive another layer's bfloat16 output
    layer = SparseLinear(9, 7, _mask(), backend="dense", feedback="fa", seed=0, device=device)
    with torch.autocast(device, dtype=torch.bfloat16):
        y = layer(torch.randn(4, 9, device=device, dtype=torch.bfloat16))
    assert y.dtype == torch.bfloat16
    with pytest.raises(TypeError, match="does not match the layer's dtype"):  # outside autocast: refused
        layer(torch.randn(4, 9, device=device, dtype=torch.bfloat16))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("feedback", FEEDBACKS)
def test_half_precision_layers_train_with_the_dense_kernel(device, dtype, feedback):
    m = _mask()
    layer = SparseLinear(9, 7, m, feedback=feedback, seed=0, device=device, dtype=dtype)
    assert layer.resolved_backend() == "dense"  # the sparse kernels need float32/float64
    x = torch.randn(6, 9, device=device, dtype=dtype)
    layer(x).float().pow(2).sum().backward()
    g = layer.weight.grad
    assert g.dtype == dtype and torch.isfinite(g).all()
    assert (g[~m.to(device)] == 0).all() and (g[m.to(device)] != 0).any()
    ref = SparseLinear(9, 7, m, feedback=feedback, seed=0, device=device, dtype=torch.float32)
    ref(x.float()).pow(2).sum().backward()
    assert torch.allclose(g.float(), ref.weight.grad, rtol=0.1, atol=0.1 * ref.weight.grad.abs().max().item())


def test_weight_gradient_is_zero_off_the_mask_even_where_it_overflows(device):
    # multiplying by the mask would leave inf * 0 = NaN off the mask
    m = _mask().to(device)
    g = torch.full(m.shape, float("inf"), device=device)
    K.mask_grad_(g, m)
    assert (g[~m] == 0).all() and torch.isinf(g[m]).all()
    g16 = torch.full(m.shape, float("inf"), device=device, dtype=torch.float16)
    K.mask_grad_(g16, m)
    assert (g16[~m] == 0).all()


@pytest.mark.parametrize("dense_feedback", [False, True])
@pytest.mark.parametrize("storage", [False, True], ids=["dense-storage", "sparse-storage"])
@pytest.mark.parametrize("feedback", FEEDBACKS)
def test_torch_func_grad_and_vjp_match_autograd(device, feedback, storage, dense_feedback):
    m = _mask()
    x = torch.randn(4, 9, device=device, dtype=torch.float64)
    for backend in _kernels(device):
        layer = SparseLinear(
            9, 7, m, backend=backend, feedback=feedback, sparse_storage=storage, dense_feedback=dense_feedback,
            seed=1, device=device, dtype=torch.float64,
        )
        params = {k: v.detach() for k, v in layer.named_parameters()}
        g = grad(lambda p: functional_call(layer, p, (x,)).pow(2).sum())(params)
        xr = x.clone().requires_grad_()
        layer(xr).pow(2).sum().backward()
        for name, p in layer.named_parameters():
            assert torch.allclose(g[name], p.grad), (backend, name)
        y, pullback = vjp(layer, x)
        (gx,) = pullback(2 * y)
        assert torch.allclose(gx, xr.grad), backend


def test_vmap_is_refused_with_torchs_message():
    layer = SparseLinear(9, 7, _mask(), backend="dense", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="vmap"):
            torch.func.vmap(layer)(torch.randn(3, 2, 9))


def test_plain_calls_skip_torchs_per_call_signature_binding(monkeypatch):
    # torch binds a setup_context Function's arguments with inspect.signature on every
    # apply (~50 us a layer); ours goes straight to the C++ apply outside torch.func
    import inspect

    from nets import _utils

    assert _utils._DIRECT is not None  # the private names exist in the supported torch range
    layer = SparseLinear(9, 7, _mask(), backend="dense", feedback="fa", seed=0)
    x = torch.randn(4, 9, requires_grad=True)

    def boom(*a, **k):
        raise AssertionError("inspect.signature called")

    monkeypatch.setattr(inspect, "signature", boom)
    layer(x).sum().backward()
    assert x.grad is not None and layer.weight.grad is not None


@pytest.mark.parametrize("backend", ["dense", "numba"])
def test_torch_compile_matches_eager(backend):
    torch._dynamo.reset()
    layer = SparseLinear(9, 7, _mask(), backend=backend, feedback="fa", seed=0)
    compiled = torch.compile(layer, backend="eager")
    x = torch.randn(4, 9, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = compiled(x)
    y.pow(2).sum().backward()
    gx, gw = x.grad.clone(), layer._param().grad.clone()
    x.grad = None
    layer.zero_grad()
    ye = layer(x)
    ye.pow(2).sum().backward()
    assert torch.allclose(y, ye) and torch.allclose(gx, x.grad) and torch.allclose(gw, layer._param().grad)


def test_dfa_output_skips_the_signature_binding_too(monkeypatch):
    import inspect

    from nets.dfa import DFAFeedback, dfa_forward

    layers = [SparseLinear(9, 7, _mask(), seed=0), SparseLinear(7, 3, seed=1)]
    fb = DFAFeedback([7], 3, seed=0)
    monkeypatch.setattr(inspect, "signature", lambda *a, **k: (_ for _ in ()).throw(AssertionError("bound")))
    dfa_forward(layers, torch.relu, fb, torch.randn(4, 9)).sum().backward()
    assert layers[0].weight.grad is not None
