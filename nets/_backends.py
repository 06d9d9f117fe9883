"""Kernels behind :class:`nets.SparseLinear`: a masked dense matmul and a CSR sparse one.

Both kernels compute the same three products of a linear layer ``y = x W^T + b``
with a fixed connectivity mask ``M`` (``W`` is zero wherever ``M`` is False):

- forward ``y = x W^T + b``,
- input gradient ``g_x = g_y F`` for a feedback matrix ``F`` (``W`` for backprop),
- weight gradient ``g_W = (g_y^T x) * M``, exactly zero outside the mask.

The dense kernel runs the products as dense BLAS calls and masks the weight
gradient with one multiply (skipped for a full mask).  The CSR kernel stores
only the mask's ``nnz`` positions: ``y^T = W_csr x^T`` and ``g_x^T = F^T_csr g_y^T``
through ``torch.sparse.mm``, and the weight gradient as a sampled dense-dense
product ``torch.sparse.sampled_addmm`` evaluated at the nonzeros only (never a
dense ``out x in`` product), scattered into a zero dense gradient.

Measured on the project's 2-core CPU (4096x4096, batch 256, forward+backward;
see ``benchmarks/bench_layer.py`` and BENCHMARKS.md) the CSR kernel wins below
:data:`CPU_CSR_MAX_DENSITY`; ``backend="auto"`` uses that break-even.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch

__all__ = [
    "BACKENDS",
    "CPU_CSR_MAX_DENSITY",
    "CUDA_CSR_MAX_DENSITY",
    "CSRStructure",
    "build_structure",
    "choose_backend",
    "dense_forward",
    "dense_input_grad",
    "dense_weight_grad",
    "csr_forward",
    "csr_input_grad",
    "csr_weight_values",
    "csr_weight_grad",
]

#: Backend names accepted by :class:`nets.SparseLinear`.
BACKENDS = ("auto", "dense", "csr")

#: ``auto`` picks the CSR kernel on CPU at or below this density (measured break-even).
CPU_CSR_MAX_DENSITY = 0.15

#: ``auto`` picks the CSR kernel on CUDA at or below this density (conservative: not
#: measured on a GPU by this project yet, cuSPARSE typically breaks even near 5-10%).
CUDA_CSR_MAX_DENSITY = 0.05

_CSR_DTYPES = (torch.float32, torch.float64)


@dataclass(frozen=True)
class CSRStructure:
    """Index arrays of a mask in CSR order (row-major, sorted columns).

    ``flat`` are the positions of the nonzeros in ``W.view(-1)``; ``crow``/``col``
    the CSR of ``W`` (out x in); ``crow_t``/``col_t`` the CSR of ``W^T`` and
    ``perm_t`` the permutation taking values in ``W``'s CSR order to ``W^T``'s.
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
    """CSR index arrays of a dense boolean ``mask`` (on the mask's device)."""
    n_out, n_in = mask.shape
    flat = torch.nonzero(mask.reshape(-1), as_tuple=False).reshape(-1)
    row = torch.div(flat, n_in, rounding_mode="floor")
    col = flat - row * n_in
    crow = torch.zeros(n_out + 1, dtype=torch.int64, device=mask.device)
    crow[1:] = torch.cumsum(torch.bincount(row, minlength=n_out), 0)
    perm_t = torch.argsort(col * n_out + row)
    crow_t = torch.zeros(n_in + 1, dtype=torch.int64, device=mask.device)
    crow_t[1:] = torch.cumsum(torch.bincount(col, minlength=n_in), 0)
    return CSRStructure((n_out, n_in), flat, crow, col, crow_t, row[perm_t].contiguous(), perm_t)


def choose_backend(density: float, device: torch.device, dtype: torch.dtype) -> str:
    """Resolve ``backend="auto"``: ``"csr"`` below the measured break-even density
    for the device (float32/float64 only), ``"dense"`` otherwise."""
    if dtype not in _CSR_DTYPES:
        return "dense"
    limit = CUDA_CSR_MAX_DENSITY if device.type == "cuda" else CPU_CSR_MAX_DENSITY
    if device.type not in ("cpu", "cuda"):
        return "dense"
    return "csr" if density <= limit else "dense"


# --------------------------------------------------------------------------- dense


def dense_forward(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """``x W^T + b`` for 2-D ``x``; ``W`` is already zero outside the mask."""
    return torch.nn.functional.linear(x, weight, bias)


def dense_input_grad(grad_out: torch.Tensor, feedback: torch.Tensor) -> torch.Tensor:
    """``g_y F`` with a dense (out x in) feedback matrix ``F``."""
    return grad_out.mm(feedback)


def dense_weight_grad(grad_out: torch.Tensor, x: torch.Tensor, mask_f: torch.Tensor | None) -> torch.Tensor:
    """``(g_y^T x) * M``; ``mask_f`` is the mask in the weight's dtype (None: full mask)."""
    g = grad_out.t().mm(x)
    if mask_f is not None:
        g.mul_(mask_f)
    return g


# --------------------------------------------------------------------------- csr


def _csr(crow: torch.Tensor, col: torch.Tensor, values: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.sparse_csr_tensor(crow, col, values, size=size, check_invariants=False)


def csr_forward(
    x: torch.Tensor, values: torch.Tensor, s: CSRStructure, bias: torch.Tensor | None
) -> torch.Tensor:
    """``x W^T + b`` with ``W`` given by its ``values`` in CSR order."""
    y = torch.sparse.mm(_csr(s.crow, s.col, values, s.shape), x.t()).t()
    if bias is not None:
        return y + bias
    return y.contiguous()


def csr_input_grad(grad_out: torch.Tensor, values: torch.Tensor, s: CSRStructure) -> torch.Tensor:
    """``g_y F`` with ``F`` given by its ``values`` at the mask positions (CSR order of ``F``)."""
    ft = _csr(s.crow_t, s.col_t, values[s.perm_t], (s.shape[1], s.shape[0]))
    return torch.sparse.mm(ft, grad_out.t()).t().contiguous()


def csr_weight_values(grad_out: torch.Tensor, x: torch.Tensor, s: CSRStructure) -> torch.Tensor:
    """``(g_y^T x)`` at the mask positions only (sampled dense-dense product), CSR order."""
    pattern = _csr(s.crow, s.col, torch.zeros(s.nnz, dtype=x.dtype, device=x.device), s.shape)
    out = torch.sparse.sampled_addmm(pattern, grad_out.t(), x, beta=0.0)
    return out.values()


def csr_weight_grad(grad_out: torch.Tensor, x: torch.Tensor, s: CSRStructure) -> torch.Tensor:
    """Dense (out x in) weight gradient, exactly zero outside the mask."""
    vals = csr_weight_values(grad_out, x, s)
    g = torch.zeros(s.shape[0] * s.shape[1], dtype=x.dtype, device=x.device)
    g[s.flat] = vals
    return g.view(s.shape)
