"""A linear layer with a fixed sparse connectivity mask and a choice of feedback pathway."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from nets import _backends as K
from nets._utils import TorchSeedLike, resolve_device, seed_int, torch_generator
from nets.feedback import Feedback, FeedbackLike, FeedbackLinearFunction, LinearPlan, as_feedback, feedback_matrix
from smallworld._graph import to_torch_mask
from smallworld._validation import check_bool, check_int

__all__ = ["SparseLinear"]


class SparseLinear(nn.Module):
    r"""``y = x W^T + b`` where ``W`` may only be nonzero inside a fixed boolean mask.

    Shaped like :class:`torch.nn.Linear` (``weight`` is an ``(out, in)``
    Parameter, ``bias`` an ``(out,)`` Parameter, ``device=``/``dtype=``,
    :meth:`reset_parameters`, :meth:`extra_repr`), so optimizers, ``state_dict``
    and :func:`analysis.neuron_graph` treat it like a linear layer.

    Weights outside the mask are exactly zero at all times: they start at
    zero and their gradient is exactly zero in every backend and feedback mode,
    so SGD (momentum, weight decay), Adam/AdamW, RMSprop and any optimizer whose
    update is a function of the gradient and the weight keep them at zero (a
    test runs SGD+momentum+weight decay and AdamW).  Writing into
    ``weight`` by hand is the only way to break this; :meth:`apply_mask`
    repairs it.

    Parameters
    ----------
    in_features, out_features : int
        Layer sizes (>= 1).
    mask : array-like of shape (out_features, in_features), optional
        Connectivity: ``mask[i, j]`` connects input ``j`` to output ``i``.  A
        torch bool or 0/1 tensor (dense or sparse), a numpy bool or 0/1 array,
        or a scipy sparse matrix (its nonzero pattern).  ``None``: all True
        (a dense layer).  Stored as the bool buffer ``mask``.
    bias : bool
        Learn an additive bias.
    backend : {"auto", "dense", "csr", "numba"}
        ``"dense"``: dense matmuls, weight gradient masked (any device/dtype).
        ``"csr"``: ``torch.sparse`` CSR kernels touching only the mask's
        nonzeros (CPU and CUDA).  ``"numba"``: this project's CPU kernels
        (row-parallel CSR products; fastest on CPU).  ``"auto"``: ``"numba"`` at
        density <= :data:`nets._backends.CPU_SPARSE_MAX_DENSITY` on CPU (the
        measured break-even), ``"csr"`` at density <=
        :data:`~nets._backends.CUDA_SPARSE_MAX_DENSITY` on CUDA, else
        ``"dense"``.  The sparse kernels need float32/float64.  All backends
        give the same outputs and gradients up to float rounding.
    feedback : {"bp", "fa", "usf", "frsf"} or Feedback
        The matrix the error is sent down through (see :mod:`nets.feedback`).
    dense_feedback : bool, keyword-only
        Draw the random feedback ``B`` over the full ``(out, in)`` matrix
        instead of only on the mask.
    device, dtype : keyword-only
        As for :class:`torch.nn.Linear`; a device that does not exist raises.
    seed : None, int, numpy.random.Generator or torch.Generator, keyword-only
        Seeds the weights, bias and ``B`` (drawn on the CPU, so the same seed
        gives the same parameters on every device).  ``None``: fresh entropy;
        the global torch RNG is never used.

    Attributes
    ----------
    weight : torch.nn.Parameter
        ``(out_features, in_features)``, zero outside the mask.  Initialised
        like :class:`torch.nn.Linear` but with the fan-in of each row counted
        *on the mask*: ``W[i, j] ~ U(-1/sqrt(k_i), 1/sqrt(k_i))`` with
        ``k_i = mask[i].sum()``, so a sparse layer's pre-activations have the
        same scale as a dense layer's (a dense-fan-in init would shrink them
        by ``sqrt(density)``).  The bias uses the same per-row bound.
    bias : torch.nn.Parameter or None
    mask : torch.Tensor
        Bool buffer ``(out_features, in_features)``.
    feedback_weight : torch.Tensor
        Buffer ``B`` ``(out_features, in_features)``: fixed, random, drawn like
        the weight (zero outside the mask unless ``dense_feedback``; with
        ``dense_feedback`` the bound is ``1/sqrt(in_features)``).  Read by
        ``"fa"`` and ``"frsf"``.
    feedback : Feedback
        The current mode (change with :meth:`set_feedback`).

    Warns
    -----
    UserWarning
        If the mask has dead neurons: outputs with no input (all-False rows;
        they only ever output their bias) or inputs that reach no output
        (all-False columns; ignored).  The message says how many.

    Raises
    ------
    TypeError
        Wrong type for ``mask``, ``dtype``, ``feedback``, ``backend`` or ``seed``.
    ValueError
        Mask of the wrong shape or with values other than 0/1, unknown backend
        or feedback name, a device that is not there.

    Shape
    -----
    - Input: ``(*, in_features)``.
    - Output: ``(*, out_features)``.

    Examples
    --------
    >>> mask = torch.tensor([[1, 0, 1], [0, 1, 0]], dtype=torch.bool)
    >>> layer = SparseLinear(3, 2, mask, seed=0)
    >>> layer
    SparseLinear(in_features=3, out_features=2, bias=True, density=0.5, backend=auto, feedback=bp)
    >>> bool((layer.weight[~mask] == 0).all())
    True
    >>> layer(torch.ones(4, 3)).shape
    torch.Size([4, 2])
    """

    __constants__ = ["in_features", "out_features"]

    def __init__(
        self,
        in_features: int,
        out_features: int,
        mask: Any = None,
        bias: bool = True,
        backend: str = "auto",
        feedback: FeedbackLike = "bp",
        *,
        dense_feedback: bool = False,
        device: Any = None,
        dtype: torch.dtype | None = None,
        seed: TorchSeedLike = None,
    ) -> None:
        super().__init__()
        self.in_features = check_int(in_features, "in_features", min_val=1)
        self.out_features = check_int(out_features, "out_features", min_val=1)
        check_bool(bias, "bias")
        self.backend = _check_backend(backend)
        self.feedback = as_feedback(feedback)
        self.dense_feedback = check_bool(dense_feedback, "dense_feedback")
        dev = resolve_device(device)
        dtype = _check_dtype(dtype)
        self._seed = seed_int(seed)
        m = _coerce_mask(mask, self.out_features, self.in_features, dev)
        self.register_buffer("mask", m)
        self.weight = nn.Parameter(torch.empty((self.out_features, self.in_features), device=dev, dtype=dtype))
        if bias:
            self.bias = nn.Parameter(torch.empty(self.out_features, device=dev, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.register_buffer("feedback_weight", torch.empty_like(self.weight.data))
        self._cache: dict[str, Any] = {}
        _warn_dead(m)
        self.reset_parameters()

    # ------------------------------------------------------------------ init

    def _row_bound(self) -> torch.Tensor:
        fan_in = self.mask.sum(1).to("cpu", torch.float64).clamp_(min=1)
        return fan_in.rsqrt()

    def reset_parameters(self) -> None:
        """Draw the weight and bias (on the mask, per-row mask fan-in) and ``B``.

        Deterministic given the layer's seed: calling it twice gives the same
        parameters.
        """
        g = torch_generator(self._seed)
        bound = self._row_bound()
        mask_cpu = self.mask.cpu()
        w = (torch.rand(self.weight.shape, generator=g, dtype=torch.float64) * 2 - 1) * bound[:, None]
        w.mul_(mask_cpu)
        with torch.no_grad():
            self.weight.copy_(w)
            if self.bias is not None:
                self.bias.copy_((torch.rand(self.out_features, generator=g, dtype=torch.float64) * 2 - 1) * bound)
        self._draw_feedback(self._feedback_seed())

    def _feedback_seed(self) -> int:
        return int(np.random.SeedSequence([self._seed, 1]).generate_state(1, np.uint64)[0] >> 2)

    def _draw_feedback(self, seed: TorchSeedLike) -> None:
        g = torch_generator(seed)
        b = torch.rand(self.weight.shape, generator=g, dtype=torch.float64) * 2 - 1
        if self.dense_feedback:
            b.mul_(1.0 / math.sqrt(self.in_features))
        else:
            b.mul_(self._row_bound()[:, None]).mul_(self.mask.cpu())
        with torch.no_grad():
            self.feedback_weight.copy_(b)

    def set_feedback(self, mode: FeedbackLike, *, dense: bool = False, seed: TorchSeedLike = None) -> SparseLinear:
        """Switch the feedback pathway; returns the layer.

        ``B`` is redrawn when ``dense`` changes or a ``seed`` is given (from
        the layer's own seed when ``seed`` is None), and kept otherwise, so
        switching ``"fa"`` -> ``"bp"`` -> ``"fa"`` keeps the same ``B``.

        Examples
        --------
        >>> SparseLinear(4, 2, seed=0).set_feedback("frsf").feedback
        <Feedback.FRSF: 'frsf'>
        """
        mode = as_feedback(mode, "mode")
        dense = check_bool(dense, "dense")
        if seed is not None:
            seed = seed_int(seed)
        if dense != self.dense_feedback or seed is not None:
            self.dense_feedback = dense
            self._draw_feedback(self._feedback_seed() if seed is None else seed)
        self.feedback = mode
        return self

    def set_mask(self, mask: Any) -> SparseLinear:
        """Replace the mask (same shape); weights and ``B`` outside it become 0.

        Newly connected positions start at weight 0.  Returns the layer.
        """
        m = _coerce_mask(mask, self.out_features, self.in_features, self.mask.device)
        _warn_dead(m)
        with torch.no_grad():
            self.mask.copy_(m)
            self.apply_mask()
        return self

    @torch.no_grad()
    def apply_mask(self) -> None:
        """Zero ``weight`` (and a masked ``B``) outside the mask, after manual edits."""
        self.weight.mul_(self.mask)
        if not self.dense_feedback:
            self.feedback_weight.mul_(self.mask)

    # ------------------------------------------------------------- structure

    def _cached(self, name: str, key: tuple, build: Any) -> Any:
        hit = self._cache.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        value = build()
        self._cache[name] = (key, value)
        return value

    def _mask_key(self) -> tuple:
        return (self.mask.device, self.mask._version, self.mask.data_ptr())

    @property
    def nnz(self) -> int:
        """Number of connections (True entries of the mask)."""
        return self._cached("nnz", self._mask_key(), lambda: int(self.mask.count_nonzero()))

    @property
    def density(self) -> float:
        """Fraction of the ``out x in`` connections present in the mask."""
        return self.nnz / (self.in_features * self.out_features)

    def resolved_backend(self, device: Any = None, dtype: torch.dtype | None = None) -> str:
        """The kernel (``"dense"``, ``"csr"`` or ``"numba"``) a forward pass on ``device`` runs."""
        if self.backend != "auto":
            return self.backend
        dev = self.weight.device if device is None else torch.device(device)
        return K.choose_backend(self.density, dev, self.weight.dtype if dtype is None else dtype)

    def _plan(self) -> LinearPlan:
        kernel = self.resolved_backend()
        K.check_kernel(kernel, self.weight.device, self.weight.dtype)
        key = self._mask_key() + (self.weight.dtype,)
        full = self.nnz == self.mask.numel()
        mask_f = structure = None
        if kernel != "dense":
            structure = self._cached("csr", key, lambda: K.build_structure(self.mask))
        elif not full:
            mask_f = self._cached("mask_f", key, lambda: self.mask.to(self.weight.dtype))
        return LinearPlan(self.feedback, kernel, None if full else self.nnz, mask_f, structure, self.dense_feedback)

    # --------------------------------------------------------------- forward

    def forward(self, input: torch.Tensor) -> torch.Tensor:  # noqa: A002 - torch's name
        if not isinstance(input, torch.Tensor):
            raise TypeError(f"input must be a torch.Tensor, got {type(input).__name__}")
        if input.dim() == 0 or input.shape[-1] != self.in_features:
            raise ValueError(
                f"input must have shape (*, in_features={self.in_features}), got shape {tuple(input.shape)}"
            )
        if input.dtype != self.weight.dtype:
            raise TypeError(
                f"input dtype {input.dtype} does not match the layer's dtype {self.weight.dtype}; "
                "convert one of them (e.g. layer.to(input.dtype))"
            )
        plan = self._plan()
        if plan.kernel == "dense" and plan.nnz is None and plan.mode is Feedback.BP:
            return nn.functional.linear(input, self.weight, self.bias)
        x2 = input.reshape(-1, self.in_features)
        fb = self.feedback_weight if plan.mode.needs_random_matrix else None
        y = FeedbackLinearFunction.apply(x2, self.weight, self.bias, fb, plan)
        return y.reshape(*input.shape[:-1], self.out_features)

    def effective_feedback(self) -> torch.Tensor:
        """The dense ``(out, in)`` matrix ``F`` the error is sent through now
        (``W`` for ``"bp"``); use with :func:`nets.alignment_angle`."""
        fb = self.feedback_weight if self.feedback.needs_random_matrix else None
        nnz = None if self.nnz == self.mask.numel() else self.nnz
        return feedback_matrix(self.feedback, self.weight.detach(), fb, nnz).detach().clone()

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}, "
            f"density={self.density:.4g}, backend={self.backend}, feedback={self.feedback.value}"
            + (", dense_feedback=True" if self.dense_feedback else "")
        )


# ------------------------------------------------------------------- helpers


def _check_backend(backend: Any) -> str:
    if not isinstance(backend, str):
        raise TypeError(f"backend must be a str, one of {K.BACKENDS}, got {backend!r} of type {type(backend).__name__}")
    if backend not in K.BACKENDS:
        allowed = ", ".join(repr(b) for b in K.BACKENDS)
        raise ValueError(f"backend must be one of {allowed}, got backend={backend!r}")
    return backend


def _check_dtype(dtype: Any) -> torch.dtype | None:
    if dtype is None:
        return None
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype (e.g. torch.float32), got dtype={dtype!r}")
    return dtype


def _coerce_mask(mask: Any, n_out: int, n_in: int, device: torch.device) -> torch.Tensor:
    """Any supported mask -> dense bool tensor (n_out, n_in) on ``device``."""
    want = (n_out, n_in)
    if mask is None:
        return torch.ones(want, dtype=torch.bool, device=device)
    if sp.issparse(mask):
        if tuple(mask.shape) != want:
            raise ValueError(f"mask must have shape (out_features, in_features) = {want}, got {tuple(mask.shape)}")
        if mask.dtype.kind not in "biuf":
            raise TypeError(f"mask must hold booleans or 0/1 numbers, got dtype {mask.dtype}")
        return to_torch_mask(sp.csr_array(mask), device=device)
    if isinstance(mask, np.ndarray):
        mask = torch.from_numpy(np.ascontiguousarray(mask)) if mask.dtype.kind in "biuf" else mask
    if not isinstance(mask, torch.Tensor):
        raise TypeError(
            "mask must be None, a torch tensor, a numpy array or a scipy sparse matrix of shape "
            f"(out_features, in_features) = {want}, got {type(mask).__name__}"
        )
    if tuple(mask.shape) != want:
        raise ValueError(f"mask must have shape (out_features, in_features) = {want}, got {tuple(mask.shape)}")
    if mask.layout != torch.strided:
        mask = mask.to_dense()
    if mask.dtype != torch.bool:
        if mask.dtype.is_complex:
            raise TypeError(f"mask must hold booleans or 0/1 numbers, got dtype {mask.dtype}")
        bad = (mask != 0) & (mask != 1)
        if bool(bad.any()):
            raise ValueError(f"mask must hold only 0/1 (or bool) values, found {mask[bad].flatten()[0].item()!r}")
        mask = mask != 0
    return mask.to(device=device).contiguous()


def _warn_dead(mask: torch.Tensor) -> None:
    rows = int((~mask.any(1)).sum())
    cols = int((~mask.any(0)).sum())
    if rows or cols:
        warnings.warn(
            f"mask has dead neurons: {rows} output(s) with no inputs (all-False rows; they output only "
            f"their bias) and {cols} input(s) connected to no output (all-False columns; ignored)",
            UserWarning,
            stacklevel=3,
        )
