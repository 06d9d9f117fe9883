"""Kernels behind :class:`nets.SparseLinear`.

Every kernel computes the three products of a linear layer ``y = x W^T + b``
whose weight ``W`` is zero outside a fixed boolean mask ``M``:

- forward ``y = x W^T + b``;
- input gradient ``g_x = g_y F`` for a feedback matrix ``F`` (``W`` for backprop);
- weight gradient ``g_W = (g_y^T x) * M``, exactly zero outside the mask.

Kernels
-------
``"dense"``
    Dense BLAS matmuls; the weight gradient is zeroed outside the mask in one
    in-place pass (:func:`mask_grad_`; skipped for a full mask).  Any device
    and dtype.
``"csr"``
    ``torch.sparse.mm`` on a CSR view of the mask's ``nnz`` values (int32
    indices, so MKL/cuSPARSE need no index conversion); the weight gradient is
    the sampled dense-dense product ``torch.sparse.sampled_addmm`` at the
    nonzeros only.  CPU and CUDA, float32/float64.
``"numba"``
    This project's CPU kernels (numba, row-parallel): CSR times a transposed
    dense matrix writing the row-major result directly, and the sampled product
    ``vals[k] = <g_y[:, i], x[:, j]>`` over the nonzeros ``(i, j)`` of each row.
    The forward keeps ``x^T`` for the backward so no transpose is repeated.
    CPU, float32/float64.

A layer stores either the dense ``(out, in)`` weight (then the sparse kernels
return a dense gradient that is zero outside the mask, an ``O(out * in)`` write)
or only the ``nnz`` values on the mask (then every product is ``O(nnz * batch)``
and the gradient and optimizer step are ``O(nnz)``); see :class:`nets.SparseLinear`.

Threads
-------
Every numba kernel here has a serial twin (same source, ``parallel=False``,
its own cache entry); :func:`run_kernel` runs the parallel one only when the
call's work reaches :data:`PARALLEL_MIN_FMAS` / :data:`PARALLEL_MIN_ELEMENTS`
and the thread budget (:func:`smallworld.get_num_threads`) is above 1.  A
parallel region costs ~0.1 ms to wake and join here, and on a busy machine it
waits for its slowest thread: a 64-wide layer's microsecond kernels lost 3-38x
that way, so they now run serially.

Threading layer: ``workqueue`` (unless ``NUMBA_THREADING_LAYER`` says
otherwise), chosen by measurement and by how it waits.  numba's ``omp`` layer
links the system ``libgomp`` while torch ships its own, so a process gets two
OpenMP runtimes whose workers both spin after each region: on this 2-core
machine with other jobs running, the 4096x4096 1% layer fwd+bwd took 11 ms or
70-80 ms (bimodal) with ``omp`` against a steady 16-22 ms with ``workqueue``
and torch on one thread (serial: 24 ms).  ``tbb`` is not installed here.
``workqueue`` workers sleep between regions; its static split cannot move
work to a free core, but a split of a large kernel costs at most its serial
time under full load, and the break-even keeps small kernels off it.  It may
not be entered from two threads at once, so a second Python thread finding the
pool busy runs the serial twin.

``backend="auto"`` (:func:`choose_backend`) uses the measured break-even
densities :data:`CPU_SPARSE_MAX_DENSITY` / :data:`CUDA_SPARSE_MAX_DENSITY`
(see ``benchmarks/bench_layer.py`` and BENCHMARKS.md).
"""

from __future__ import annotations

import threading
import types
import warnings
from dataclasses import dataclass

import numba as nb
import numpy as np
import torch

from smallworld import _threads

__all__ = [
    "BACKENDS",
    "CPU_SPARSE_MAX_DENSITY",
    "CUDA_SPARSE_MAX_DENSITY",
    "CSRStructure",
    "build_structure",
    "choose_backend",
    "check_kernel",
    "dense_from_values",
    "forward",
    "input_grad",
    "weight_values_grad",
    "fused_backward",
    "weight_grad",
    "mask_grad_",
    "PARALLEL_MIN_FMAS",
    "PARALLEL_MIN_ELEMENTS",
    "SERIAL_TWINS",
    "run_kernel",
    "TORCH_PARALLEL_MIN_FMAS",
    "torch_threads_for",
]

#: Backend names accepted by :class:`nets.SparseLinear`.
BACKENDS = ("auto", "dense", "csr", "numba")

#: ``auto`` runs the ``"numba"`` kernel on CPU at or below this density.  Measured
#: (4096x4096, batch 256, fwd+bwd, 1-2 threads): sparse wins 1.4-1.8x at 0.05, breaks
#: even near 0.10 (0.93-1.12x, load-dependent) and loses at 0.15 (0.6x); 0.07 keeps
#: ``auto`` clear of the noisy break-even.
CPU_SPARSE_MAX_DENSITY = 0.07

#: ``auto`` runs the ``"csr"`` kernel on CUDA at or below this density.  Not yet
#: measured on a GPU by this project, so deliberately conservative: at 1% the
#: sparse products do 1/100 of the dense flops, a margin cuSPARSE's SpMM/SDDMM
#: overheads should not eat; between 1% and 5% cuBLAS may well still win.
#: ``benchmarks/device_check.sh`` measures the break-even to set it from.
CUDA_SPARSE_MAX_DENSITY = 0.01

_SPARSE_DTYPES = (torch.float32, torch.float64)


@dataclass(frozen=True)
class CSRStructure:
    """Index arrays of a mask, in CSR order (row-major, sorted columns).

    ``flat``: positions of the nonzeros in ``W.view(-1)`` (int64).
    ``crow``/``col``: CSR of ``W`` (out x in); ``crow_t``/``col_t``: CSR of
    ``W^T``; ``perm_t``: takes values in ``W``'s CSR order to ``W^T``'s.
    Index arrays are int32 when they fit (what MKL and cuSPARSE use natively).
    """

    shape: tuple[int, int]
    flat: torch.Tensor
    crow: torch.Tensor
    col: torch.Tensor
    crow_t: torch.Tensor
    col_t: torch.Tensor
    perm_t: torch.Tensor

    @property
    def nnz(self) -> int:
        return int(self.flat.numel())


def build_structure(mask: torch.Tensor) -> CSRStructure:
    """CSR index arrays of a dense boolean ``mask``, on the mask's device."""
    n_out, n_in = mask.shape
    flat = torch.nonzero(mask.reshape(-1), as_tuple=False).reshape(-1)
    row = torch.div(flat, n_in, rounding_mode="floor")
    col = flat - row * n_in
    perm_t = torch.argsort(col * n_out + row)
    idx = torch.int32 if max(flat.numel(), n_out, n_in) < 2**31 - 1 else torch.int64

    def crow_of(keys: torch.Tensor, n: int) -> torch.Tensor:
        c = torch.zeros(n + 1, dtype=torch.int64, device=mask.device)
        c[1:] = torch.cumsum(torch.bincount(keys, minlength=n), 0)
        return c.to(idx)

    return CSRStructure(
        (n_out, n_in), flat, crow_of(row, n_out), col.to(idx), crow_of(col, n_in), row[perm_t].to(idx), perm_t
    )


def choose_backend(density: float, device: torch.device, dtype: torch.dtype) -> str:
    """Resolve ``backend="auto"`` for a layer of this density on ``device``.

    Examples
    --------
    >>> choose_backend(0.01, torch.device("cpu"), torch.float32), choose_backend(0.5, torch.device("cpu"), torch.float32)
    ('numba', 'dense')
    """
    if dtype not in _SPARSE_DTYPES:
        return "dense"
    if device.type == "cpu":
        return "numba" if density <= CPU_SPARSE_MAX_DENSITY else "dense"
    if device.type == "cuda":
        return "csr" if density <= CUDA_SPARSE_MAX_DENSITY else "dense"
    return "dense"


def check_kernel(kernel: str, device: torch.device, dtype: torch.dtype) -> None:
    """Raise a clear error when ``kernel`` cannot run on ``device``/``dtype``."""
    if kernel in ("csr", "numba") and dtype not in _SPARSE_DTYPES:
        raise TypeError(f"backend={kernel!r} needs float32 or float64 weights, got dtype={dtype}")
    if kernel == "numba" and device.type != "cpu":
        raise ValueError(f"backend='numba' runs on CPU only, but the layer is on {device}; use 'csr' or 'auto'")


# ---------------------------------------------------------------- numba kernels


_ROWS = 16  # rows accumulated together before one transposed write (measured: 16-32 best)


@nb.njit(parallel=True, fastmath=True, cache=True, nogil=True)
def _nb_spmm(crow, col, vals, xt, bias, out):  # pragma: no cover - compiled
    """out[:, i] = bias[i] + sum_k vals[k] * xt[col[k], :] for each row i (xt: in x batch).

    Rows are processed in blocks of ``_ROWS``: each accumulates contiguous
    batch vectors, then the block is written into the row-major ``out`` at once
    (a column-at-a-time strided write costs ~40% more).
    """
    n_rows = crow.shape[0] - 1
    nb_ = xt.shape[1]
    n_blocks = (n_rows + _ROWS - 1) // _ROWS
    for blk in nb.prange(n_blocks):
        i0 = blk * _ROWS
        i1 = min(n_rows, i0 + _ROWS)
        acc = np.zeros((_ROWS, nb_), dtype=xt.dtype)
        for i in range(i0, i1):
            a = acc[i - i0]
            for k in range(crow[i], crow[i + 1]):
                v = vals[k]
                r = xt[col[k]]
                for b in range(nb_):
                    a[b] += v * r[b]
            if bias.shape[0]:
                bi = bias[i]
                for b in range(nb_):
                    a[b] += bi
        for b in range(nb_):
            for i in range(i0, i1):
                out[b, i] = acc[i - i0, b]


@nb.njit(parallel=True, fastmath=True, cache=True, nogil=True)
def _nb_sddmm(crow, col, gt, xt, out):  # pragma: no cover - compiled
    """out[k] = <gt[i, :], xt[col[k], :]> for every nonzero k of row i."""
    n_rows = crow.shape[0] - 1
    nb_ = xt.shape[1]
    for i in nb.prange(n_rows):
        g = gt[i]
        zero = np.zeros(1, dtype=out.dtype)[0]
        for k in range(crow[i], crow[i + 1]):
            r = xt[col[k]]
            s = zero
            for b in range(nb_):
                s += g[b] * r[b]
            out[k] = s


@nb.njit(parallel=True, fastmath=True, cache=True, nogil=True)
def _nb_backward(crow_t, col_t, perm_t, fvals_t, gt, xt, gx, gw):  # pragma: no cover - compiled
    """Input and weight gradients in one sweep over the nonzeros of ``W^T``.

    For input ``j`` (a row of ``W^T``) and each of its nonzeros ``(i, j)``:
    ``gx[:, j] += F[i, j] * g[:, i]`` and ``gw[(i, j)] = <g[:, i], x[:, j]>`` —
    the batch vector ``g[:, i]`` is loaded once for both products.
    """
    n_in = crow_t.shape[0] - 1
    nb_ = gt.shape[1]
    n_blocks = (n_in + _ROWS - 1) // _ROWS
    for blk in nb.prange(n_blocks):
        j0 = blk * _ROWS
        j1 = min(n_in, j0 + _ROWS)
        acc = np.zeros((_ROWS, nb_), dtype=gt.dtype)
        zero = np.zeros(1, dtype=gw.dtype)[0]
        for j in range(j0, j1):
            a = acc[j - j0]
            xr = xt[j]
            for t in range(crow_t[j], crow_t[j + 1]):
                gr = gt[col_t[t]]
                f = fvals_t[t]
                s = zero
                for b in range(nb_):
                    s += gr[b] * xr[b]
                    a[b] += f * gr[b]
                gw[perm_t[t]] = s
        for b in range(nb_):
            for j in range(j0, j1):
                gx[b, j] = acc[j - j0, b]


@nb.njit(parallel=True, cache=True, nogil=True)
def _nb_scatter_dense(crow, col, vals, out):  # pragma: no cover - compiled
    """out[i, :] = 0 then out[i, col[k]] = vals[k]: the dense gradient in one pass."""
    n_rows = crow.shape[0] - 1
    for i in nb.prange(n_rows):
        row = out[i]
        row[:] = 0
        for k in range(crow[i], crow[i + 1]):
            row[col[k]] = vals[k]


@nb.njit(parallel=True, cache=True, nogil=True)
def _nb_zero_outside(g, mask):  # pragma: no cover - compiled
    """g[i, j] = 0 wherever mask[i, j] == 0, in place (mask as uint8)."""
    for i in nb.prange(g.shape[0]):
        gi = g[i]
        mi = mask[i]
        for j in range(gi.shape[0]):
            if mi[j] == 0:
                gi[j] = 0


# ---------------------------------------------------------------- serial twins and dispatch by work size

#: A product kernel runs in parallel only at or above this many multiply-adds
#: (``nnz x batch``; twice that for the fused backward).  Measured here (2 cores,
#: ``workqueue``, 1% masks; ``benchmarks/bench_load.py --break-even``): a parallel
#: region costs ~0.08-0.1 ms to wake and join, so 2 threads lose below ~5e6 FMAs
#: (0.8 ms serial: 0.81x) and win above ~1e7 (2.1x at 2e7); with one busy
#: process beside them they only tie (0.98x at 2e7 and 4e7), and a region can
#: wait a scheduler slice for a descheduled worker.  1e7 (~1.7 ms serial) keeps
#: every kernel that cannot gain ~2x serial.
PARALLEL_MIN_FMAS = 10_000_000

#: The memory-bound passes (zeroing the gradient outside the mask, scattering
#: values into a dense gradient) run in parallel only at or above this many
#: elements: they gain little from a second core on this machine (1.0-1.5x at
#: 4096x4096, 0.7-0.9x at 2048x2048), so only 4096x4096 and larger go parallel.
PARALLEL_MIN_ELEMENTS = 16_000_000

#: torch runs with the thread budget inside :func:`nets.train` only when the
#: model's largest dense product per batch reaches this many FMAs (~2 ms of
#: one-core BLAS); smaller models, and models whose sparse layers run on the
#: numba kernels (those take the budget themselves), run torch on one thread.
TORCH_PARALLEL_MIN_FMAS = 50_000_000

_PARALLEL_LOCK = threading.Lock()  # the workqueue layer must not be entered from two threads at once


def _serial_twin(par: "nb.core.dispatcher.Dispatcher") -> "nb.core.dispatcher.Dispatcher":
    """The same source compiled with ``parallel=False`` (``prange`` becomes ``range``).

    The copy gets its own qualified name, so its on-disk cache entries never
    collide with the parallel kernel's.
    """
    f = par.py_func
    g = types.FunctionType(f.__code__, f.__globals__, f.__name__ + "_serial", f.__defaults__, f.__closure__)
    g.__qualname__ = f.__qualname__ + "_serial"
    g.__doc__ = f.__doc__
    opts = {k: v for k, v in par.targetoptions.items() if k in ("fastmath", "nogil")}
    return nb.njit(parallel=False, cache=True, **opts)(g)


def _use_workqueue() -> None:
    """Pick numba's ``workqueue`` threading layer before the first parallel launch
    (unless the user chose one with ``NUMBA_THREADING_LAYER``); see the module notes."""
    import os

    from numba.np.ufunc import parallel as _par

    if not _par._is_initialized and not os.environ.get("NUMBA_THREADING_LAYER"):
        nb.config.THREADING_LAYER = "workqueue"


def run_kernel(name: str, work: float, *args) -> None:
    """Run kernel ``name`` on ``args``: serially below its break-even (see
    :data:`PARALLEL_MIN_FMAS`) or with a budget of one thread
    (:func:`smallworld.get_num_threads`), in parallel otherwise.

    A second Python thread that finds the parallel pool busy runs the serial
    twin instead of waiting (or tripping the workqueue layer's re-entry abort).
    """
    par, ser, unit = _KERNELS[name]
    n = _threads.kernel_threads(work, PARALLEL_MIN_FMAS if unit == "fma" else PARALLEL_MIN_ELEMENTS)
    if n > 1:
        n = min(n, nb.config.NUMBA_NUM_THREADS)
    if n <= 1 or not _PARALLEL_LOCK.acquire(blocking=False):
        ser(*args)
        return
    try:
        _use_workqueue()
        if nb.get_num_threads() != n:
            nb.set_num_threads(n)
        par(*args)
    finally:
        _PARALLEL_LOCK.release()


_KERNELS = {
    "spmm": (_nb_spmm, _serial_twin(_nb_spmm), "fma"),
    "sddmm": (_nb_sddmm, _serial_twin(_nb_sddmm), "fma"),
    "backward": (_nb_backward, _serial_twin(_nb_backward), "fma"),
    "scatter_dense": (_nb_scatter_dense, _serial_twin(_nb_scatter_dense), "element"),
    "zero_outside": (_nb_zero_outside, _serial_twin(_nb_zero_outside), "element"),
}

#: name -> (parallel kernel, serial twin, work unit) of every parallel kernel here.
SERIAL_TWINS = {k: (v[0], v[1]) for k, v in _KERNELS.items()}


def mask_grad_(g: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Zero ``g`` outside the bool ``mask`` in place: one parallel pass on CPU
    (reads the 1-byte mask; ~30% cheaper than multiplying by a float mask and
    no float copy of the mask is kept), ``mul_`` elsewhere."""
    if g.device.type == "cpu" and g.dtype in _SPARSE_DTYPES and g.is_contiguous() and mask.is_contiguous() and plain(g):
        run_kernel("zero_outside", g.numel(), _np(g), _np(mask.view(torch.uint8)))
        return g
    return g.masked_fill_(~mask, 0)  # not mul_: inf * 0 would leave NaN outside the mask


def plain(t: torch.Tensor) -> bool:
    """False for a tensor wrapped by a :mod:`torch.func` transform (no storage numpy can read)."""
    return not _is_functorch_wrapped(t)


_is_functorch_wrapped = getattr(torch._C._functorch, "is_functorch_wrapped_tensor", lambda t: False)


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy()


# ---------------------------------------------------------------- dispatch


def _csr(crow: torch.Tensor, col: torch.Tensor, values: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.sparse_csr_tensor(crow, col, values, size=size, check_invariants=False)


def dense_from_values(values: torch.Tensor, s: CSRStructure) -> torch.Tensor:
    """The dense ``(out, in)`` matrix with ``values`` at the mask positions (differentiable)."""
    flat = torch.zeros(s.shape[0] * s.shape[1], dtype=values.dtype, device=values.device)
    return flat.index_put((s.flat,), values).view(s.shape)


def forward(
    kernel: str, x: torch.Tensor, w: torch.Tensor, bias: torch.Tensor | None, s: CSRStructure | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``y = x W^T + b`` for 2-D ``x``; ``w`` is the dense ``(out, in)`` ``W`` for the
    dense kernel, its values in CSR order otherwise.  Returns ``(y, saved)`` where
    ``saved`` is what the weight gradient needs (``x``, or ``x^T`` for numba)."""
    if kernel == "dense":
        return torch.nn.functional.linear(x, w, bias), x
    if kernel == "csr":
        y = torch.sparse.mm(_csr(s.crow, s.col, w, s.shape), x.t()).t()
        return (y + bias if bias is not None else y.contiguous()), x
    xt = x.t().contiguous()
    y = torch.empty((x.shape[0], s.shape[0]), dtype=x.dtype, device="cpu")
    b = _np(bias) if bias is not None else np.empty(0, dtype=_np(xt).dtype)
    run_kernel("spmm", s.nnz * x.shape[0], _np(s.crow), _np(s.col), _np(w.contiguous()), _np(xt), b, _np(y))
    return y, xt


def input_grad(
    kernel: str, grad_out: torch.Tensor, feedback: torch.Tensor, s: CSRStructure | None
) -> torch.Tensor:
    """``g_y F``; ``feedback`` is the dense ``(out, in)`` ``F`` for the dense
    kernel, its values at the mask positions (``W``'s CSR order) otherwise."""
    if kernel == "dense":
        return grad_out.mm(feedback)
    vt = feedback[s.perm_t]
    if kernel == "csr":
        ft = _csr(s.crow_t, s.col_t, vt, (s.shape[1], s.shape[0]))
        return torch.sparse.mm(ft, grad_out.t()).t().contiguous()
    gt = grad_out.t().contiguous()
    gx = torch.empty((grad_out.shape[0], s.shape[1]), dtype=grad_out.dtype, device="cpu")
    run_kernel("spmm", s.nnz * grad_out.shape[0], _np(s.crow_t), _np(s.col_t), _np(vt.contiguous()), _np(gt),
               np.empty(0, dtype=_np(gt).dtype), _np(gx))
    return gx


def fused_backward(
    grad_out: torch.Tensor, feedback: torch.Tensor, saved: torch.Tensor, s: CSRStructure
) -> tuple[torch.Tensor, torch.Tensor]:
    """numba kernel: ``(g_y F, (g_y^T x) at the nonzeros)`` in one sweep (see
    :func:`_nb_backward`); ``feedback`` are ``F``'s values in ``W``'s CSR order,
    ``saved`` is ``x^T`` from :func:`forward`."""
    gt = grad_out.t().contiguous()
    gx = torch.empty((grad_out.shape[0], s.shape[1]), dtype=grad_out.dtype, device="cpu")
    gw = torch.empty(s.nnz, dtype=grad_out.dtype, device="cpu")
    ft = feedback[s.perm_t].contiguous()
    run_kernel("backward", 2 * s.nnz * grad_out.shape[0], _np(s.crow_t), _np(s.col_t), _np(s.perm_t), _np(ft), _np(gt),
               _np(saved), _np(gx), _np(gw))
    return gx, gw


def weight_values_grad(kernel: str, grad_out: torch.Tensor, saved: torch.Tensor, s: CSRStructure) -> torch.Tensor:
    """``(g_y^T x)`` at the mask positions only, in CSR order (``nnz`` values).

    The sparse kernels never form the dense product: ``"csr"`` uses
    ``torch.sparse.sampled_addmm``, ``"numba"`` one dot product per nonzero.
    """
    if kernel == "dense":
        return grad_out.t().mm(saved).reshape(-1)[s.flat]
    if kernel == "csr":
        pattern = _csr(s.crow, s.col, torch.zeros(s.nnz, dtype=saved.dtype, device=saved.device), s.shape)
        return torch.sparse.sampled_addmm(pattern, grad_out.t(), saved, beta=0.0).values()
    gt = grad_out.t().contiguous()
    vals = torch.empty(s.nnz, dtype=saved.dtype, device="cpu")
    run_kernel("sddmm", s.nnz * grad_out.shape[0], _np(s.crow), _np(s.col), _np(gt), _np(saved), _np(vals))
    return vals


def weight_grad(
    kernel: str, grad_out: torch.Tensor, saved: torch.Tensor, s: CSRStructure | None, mask: torch.Tensor | None
) -> torch.Tensor:
    """Dense ``(out, in)`` weight gradient ``g_y^T x``, exactly zero outside the mask.

    ``saved`` is the second value returned by :func:`forward`; ``mask`` is the
    bool mask for the dense kernel (None: a full mask).
    """
    if kernel == "dense":
        g = grad_out.t().mm(saved)
        if mask is not None:
            mask_grad_(g, mask)
        return g
    vals = weight_values_grad(kernel, grad_out, saved, s)
    if kernel == "csr":
        g = torch.zeros(s.shape[0] * s.shape[1], dtype=saved.dtype, device=saved.device)
        g[s.flat] = vals
        return g.view(s.shape)
    g = torch.empty(s.shape, dtype=saved.dtype, device="cpu")
    run_kernel("scatter_dense", s.shape[0] * s.shape[1], _np(s.crow), _np(s.col), _np(vals), _np(g))
    return g


def torch_threads_for(model: torch.nn.Module, batch_size: int):
    """The torch intra-op thread scope of a training run (a context manager).

    One thread when the model's largest dense product per batch is below
    :data:`TORCH_PARALLEL_MIN_FMAS` or when any of its sparse layers runs the
    numba kernels (they take the thread budget; torch's own pool beside them
    would make ``budget + 1`` busy threads), the budget
    (:func:`smallworld.get_num_threads`) otherwise.  torch's setting is
    restored on exit.

    Examples
    --------
    >>> with torch_threads_for(torch.nn.Linear(64, 64), 64) as n:
    ...     n, torch.get_num_threads()
    (1, 1)
    """
    largest = 0
    uses_numba = False
    for m in model.modules():
        if isinstance(m, torch.nn.Linear):
            largest = max(largest, m.in_features * m.out_features)
        elif callable(getattr(m, "resolved_backend", None)) and hasattr(m, "in_features"):
            try:
                kernel = m.resolved_backend()
            except (RuntimeError, TypeError, ValueError):  # a layer that cannot say: count it as dense
                kernel = "dense"
            uses_numba |= kernel == "numba"
            if kernel == "dense":
                largest = max(largest, m.in_features * m.out_features)
    work = 0 if uses_numba else largest * batch_size
    return _threads.torch_threads(work, TORCH_PARALLEL_MIN_FMAS)
