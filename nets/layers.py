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
from nets.feedback import Feedback, FeedbackLike, LinearPlan, as_feedback, feedback_linear, feedback_matrix
from smallworld._validation import check_bool, check_int

__all__ = ["SparseLinear", "MAX_MASK_ELEMENTS"]

#: Largest ``out x in`` layer whose dense bool mask buffer is built from a scipy or
#: graph mask (2**31 elements: 2 GiB of mask; raise it deliberately for larger layers).
MAX_MASK_ELEMENTS = 2**31


class SparseLinear(nn.Module):
    r"""``y = x W^T + b`` where ``W`` may only be nonzero inside a fixed boolean mask.

    Shaped like :class:`torch.nn.Linear` (``weight`` ``(out, in)``, ``bias``
    ``(out,)``, ``device=``/``dtype=``, :meth:`reset_parameters`,
    :meth:`extra_repr`), so optimizers, ``state_dict`` and
    :func:`analysis.neuron_graph` treat it like a linear layer.

    Weights outside the mask are exactly zero at all times, by construction:

    - *dense storage* (the layer runs the dense kernel): ``weight`` is an
      ``(out, in)`` Parameter that starts at zero outside the mask and whose
      gradient is exactly zero there in every backend and feedback mode, so
      SGD (momentum, weight decay), Adam/AdamW, RMSprop and any optimizer
      whose update is a function of the gradient and the weight keep those
      entries at zero (tested).  Two things break this: writing into
      ``weight`` by hand, and optimizer state (momentum, Adam moments) built
      *before* :meth:`set_mask` or loading another mask, which keeps moving
      the entries just masked off -- build a new optimizer after changing the
      mask.  :meth:`apply_mask` repairs both.
    - *sparse storage* (the layer runs a sparse kernel): the only Parameter is
      ``weight_values``, the ``nnz`` weights on the mask in row-major order;
      entries outside the mask do not exist.  Gradients and optimizer steps
      cost ``O(nnz)``; ``weight`` is a dense ``(out, in)`` *copy* built from
      ``weight_values`` at each access (differentiable, so penalties on it
      train ``weight_values``; writing into it changes nothing: edit
      ``weight_values`` or load a ``state_dict``), and
      :meth:`dense_weight_grad` gives the gradient in that shape.

    Parameters
    ----------
    in_features, out_features : int
        Layer sizes (>= 1).
    mask : tensor, ndarray or scipy sparse matrix of shape (out_features, in_features), optional
        Connectivity: ``mask[i, j]`` connects input ``j`` to output ``i``.  A
        torch bool or 0/1 tensor (dense or sparse), a numpy bool or 0/1 array,
        or a scipy sparse matrix of bools or 0/1 values (a weighted matrix is
        refused like a weighted array: pass ``A.astype(bool)`` for its
        pattern).  ``None``: all True (a dense layer).  Stored as the bool
        buffer ``mask``; change it with :meth:`set_mask`.
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
    sparse_storage : bool or None, keyword-only
        Store only the mask's values (see above).  ``None``: exactly when the
        backend resolved for the construction device and dtype is sparse
        (``"csr"``/``"numba"``).  Any storage runs with any kernel, and a
        ``state_dict`` of either storage loads into either (one without a
        ``mask``, e.g. a :class:`torch.nn.Linear`'s, loads with
        ``strict=True``: it is pruned to this layer's mask and keeps this
        layer's ``feedback_weight``).  Loading a mask with another ``nnz`` under sparse storage
        re-creates ``weight_values``: build optimizers after loading.
    device, dtype : keyword-only
        As for :class:`torch.nn.Linear`; a device that does not exist raises.
    seed : None, int, numpy.random.Generator or torch.Generator, keyword-only
        Seeds the weights, bias and ``B`` (drawn on the CPU, so the same seed
        gives the same parameters on every device).  ``None``: fresh entropy;
        the global torch RNG is never used.

    Attributes
    ----------
    weight : torch.nn.Parameter or torch.Tensor
        ``(out_features, in_features)``, zero outside the mask (a Parameter
        under dense storage, a copy built from ``weight_values`` otherwise).  Initialised
        like :class:`torch.nn.Linear` but with the fan-in of each row counted
        *on the mask*: ``W[i, j] ~ U(-1/sqrt(k_i), 1/sqrt(k_i))`` with
        ``k_i = mask[i].sum()``, so a sparse layer's pre-activations have the
        same scale as a dense layer's (a dense-fan-in init would shrink them
        by ``sqrt(density)``).  The bias uses the same per-row bound.
    weight_values : torch.nn.Parameter
        Sparse storage only: ``(nnz,)``, the weights at ``mask.nonzero()``.
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
        they only ever output their bias).  The message says how many, and
        how many inputs reach no output (all-False columns).  Inputs that
        reach no output alone do not warn: they are normal in a sparse layer
        and are simply ignored.

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
        sparse_storage: bool | None = None,
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
        self._cache: dict[str, Any] = {}
        if sparse_storage is None:
            eff = dtype if dtype is not None else torch.get_default_dtype()
            kernel = self.backend if self.backend != "auto" else K.choose_backend(self.density, dev, eff)
            sparse_storage = kernel != "dense"
        if check_bool(sparse_storage, "sparse_storage"):
            self.weight_values = nn.Parameter(torch.empty(self.nnz, device=dev, dtype=dtype))
        else:
            self.weight = nn.Parameter(torch.empty((self.out_features, self.in_features), device=dev, dtype=dtype))
        if bias:
            self.bias = nn.Parameter(torch.empty(self.out_features, device=dev, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        p = self._param()
        self.register_buffer(
            "feedback_weight", torch.empty((self.out_features, self.in_features), device=p.device, dtype=p.dtype)
        )
        _warn_dead(m)
        self.reset_parameters()

    # --------------------------------------------------------------- storage

    def _param(self) -> nn.Parameter:
        p = self._parameters.get("weight")
        return p if p is not None else self._parameters["weight_values"]

    @property
    def sparse_storage(self) -> bool:
        """True if only the mask's values are stored (Parameter ``weight_values``)."""
        return "weight_values" in self._parameters

    @property
    def weight(self) -> torch.Tensor:  # type: ignore[override]
        """The ``(out, in)`` weight: the Parameter itself, or (sparse storage) a
        dense tensor built from ``weight_values`` (differentiable, a new tensor
        at each access: in-place edits of it are lost; edit ``weight_values``)."""
        params = self.__dict__.get("_parameters", {})
        p = params.get("weight")
        if p is not None:
            return p
        v = params.get("weight_values")
        if v is None:
            raise AttributeError("weight")
        return K.dense_from_values(v, self._structure())

    def dense_weight_grad(self) -> torch.Tensor | None:
        """The weight gradient as an ``(out, in)`` tensor (zero outside the mask), or None."""
        p = self._param()
        if p.grad is None or not self.sparse_storage:
            return p.grad
        return K.dense_from_values(p.grad, self._structure())

    def _structure(self) -> K.CSRStructure:
        return self._cached("csr", self._mask_key(), lambda: K.build_structure(self.mask))

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args: Any) -> None:
        # accept a checkpoint of either storage: convert weight <-> weight_values through its mask
        mask = state_dict.get(prefix + "mask")
        wk, vk = prefix + "weight", prefix + "weight_values"
        if mask is None and (wk in state_dict or vk in state_dict):
            # a state without a mask (an nn.Linear's): keep this layer's mask and feedback matrix, so
            # load_state_dict(linear.state_dict()) works with strict=True, as for the nn.Linear it replaces
            mask = self.mask
            state_dict[prefix + "mask"] = self.mask
            state_dict.setdefault(prefix + "feedback_weight", self.feedback_weight)
        if mask is not None:
            sel = torch.nonzero(mask.reshape(-1), as_tuple=False).reshape(-1)
            if self.sparse_storage and wk in state_dict and vk not in state_dict:
                w = state_dict.pop(wk)
                state_dict[vk] = w.reshape(-1)[sel.to(w.device)]
            if self.sparse_storage and sel.numel() != self.weight_values.numel() and mask.shape == self.mask.shape:
                # another mask with another nnz: the values Parameter is re-created (build optimizers after loading)
                p = self.weight_values
                self.weight_values = nn.Parameter(torch.empty(sel.numel(), device=p.device, dtype=p.dtype))
            elif not self.sparse_storage and vk in state_dict and wk not in state_dict:
                v = state_dict.pop(vk)
                state_dict[wk] = torch.zeros(mask.shape, dtype=v.dtype, device=v.device).reshape(-1).index_put(
                    (sel.to(v.device),), v
                ).view(mask.shape)
        super()._load_from_state_dict(state_dict, prefix, *args)
        if not self.sparse_storage:
            with torch.no_grad():  # loaded weights are zero outside the (loaded) mask, as always
                self.weight.mul_(self.mask)

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
        shape = (self.out_features, self.in_features)
        w = (torch.rand(shape, generator=g, dtype=torch.float64, device="cpu") * 2 - 1) * bound[:, None]
        w.mul_(mask_cpu)
        with torch.no_grad():
            if self.sparse_storage:
                self.weight_values.copy_(w.reshape(-1)[self._structure().flat.cpu()])
            else:
                self.weight.copy_(w)
            if self.bias is not None:
                self.bias.copy_((torch.rand(self.out_features, generator=g, dtype=torch.float64, device="cpu") * 2 - 1) * bound)
        self._draw_feedback(self._feedback_seed())

    def _feedback_seed(self) -> int:
        return int(np.random.SeedSequence([self._seed, 1]).generate_state(1, np.uint64)[0] >> 2)

    def _draw_feedback(self, seed: int) -> None:
        self._fb_seed = seed
        g = torch_generator(seed)
        b = torch.rand((self.out_features, self.in_features), generator=g, dtype=torch.float64, device="cpu") * 2 - 1
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
        """Replace the mask (same shape); weights outside it become 0.

        Newly connected positions start at weight 0.  A masked ``B`` (the
        default, not ``dense_feedback``) is redrawn on the new mask from the
        same seed, as a new layer with this mask would draw it, so new
        connections get feedback too.  Returns the layer.  Build
        the optimizer after this call: with sparse storage ``weight_values``
        becomes a new Parameter (its length is the new ``nnz``); with dense
        storage an old optimizer's momentum or Adam moments would keep moving
        the entries just masked off away from 0.
        """
        m = _coerce_mask(mask, self.out_features, self.in_features, self.mask.device)
        _warn_dead(m)
        with torch.no_grad():
            old = self.weight.detach().clone() if self.sparse_storage else None
            self.mask.copy_(m)
            if old is not None:
                self.weight_values = nn.Parameter(old.reshape(-1)[self._structure().flat])
            self.apply_mask()
        if not self.dense_feedback:
            seed = getattr(self, "_fb_seed", None)  # None only for a layer pickled before B kept its seed
            self._draw_feedback(self._feedback_seed() if seed is None else seed)  # B on the new mask, same seed
        return self

    @torch.no_grad()
    def apply_mask(self) -> None:
        """Zero ``weight`` (and a masked ``B``) outside the mask, after manual edits
        (a no-op for the weight under sparse storage: it has no entries there)."""
        if not self.sparse_storage:
            self.weight.mul_(self.mask)
        if not self.dense_feedback:
            self.feedback_weight.mul_(self.mask)

    # ------------------------------------------------------------- structure

    def _cached(self, name: str, key: tuple, build: Any) -> Any:
        # the entry holds the mask object it was built for and is valid only for that very
        # object: a mask replaced by assignment (layer.mask = ...) may reuse a freed one's
        # address, so pointer and version alone could match a stale entry
        mask = self.mask
        hit = self._cache.get(name)
        if hit is not None and hit[0] is mask and hit[1] == key:
            return hit[2]
        value = build()
        self._cache[name] = (mask, key, value)
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
        p = self._param()
        dev = p.device if device is None else torch.device(device)
        return K.choose_backend(self.density, dev, p.dtype if dtype is None else dtype)

    def _plan(self) -> LinearPlan:
        # cached: rebuilding it (backend choice, nnz, structure lookups) cost ~25 us a call,
        # a third of a small layer's step; anything it depends on is in the key
        p = self._param()
        key = (self._mask_key(), self.feedback, self.backend, self.dense_feedback, p.device, p.dtype, p.dim())
        return self._cached("plan", key, lambda: self._build_plan(p))

    def _build_plan(self, p: torch.Tensor) -> LinearPlan:
        kernel = self.resolved_backend()
        K.check_kernel(kernel, p.device, p.dtype)
        full = self.nnz == self.mask.numel()
        structure = self._structure() if kernel != "dense" or self.sparse_storage else None
        mask = None if full else self.mask
        return LinearPlan(self.feedback, kernel, None if full else self.nnz, mask, structure, self.dense_feedback)

    # --------------------------------------------------------------- forward

    def forward(self, input: torch.Tensor) -> torch.Tensor:  # noqa: A002 - torch's name
        if not isinstance(input, torch.Tensor):
            raise TypeError(f"input must be a torch.Tensor, got {type(input).__name__}")
        if input.dim() == 0 or input.shape[-1] != self.in_features:
            raise ValueError(
                f"input must have shape (*, in_features={self.in_features}), got shape {tuple(input.shape)}"
            )
        p = self._param()
        amp = torch.is_autocast_enabled(input.device.type)
        if input.dtype != p.dtype and not amp:
            raise TypeError(
                f"input dtype {input.dtype} does not match the layer's dtype {p.dtype}; "
                "convert one of them (e.g. layer.to(input.dtype))"
            )
        plan = self._plan()
        if plan.kernel == "dense" and plan.nnz is None and plan.mode is Feedback.BP and not self.sparse_storage:
            return nn.functional.linear(input, p, self.bias)  # autocast-aware itself
        x2 = input.reshape(-1, self.in_features)
        fb = self.feedback_weight if plan.mode.needs_random_matrix else None
        bias = self.bias
        if amp:
            # torch.autocast: like nn.Linear, the dense kernel runs in the autocast dtype (the
            # sparse kernels, float32/float64 only, in the layer's dtype); the function itself
            # runs with autocast off so its backward sees the dtypes its forward saw
            dt = torch.get_autocast_dtype(input.device.type) if plan.kernel == "dense" else p.dtype
            x2, p = x2.to(dt), p.to(dt)
            bias = bias.to(dt) if bias is not None else None
            fb = fb.to(dt) if fb is not None else None
            with torch.autocast(input.device.type, enabled=False):
                y = feedback_linear(x2, p, bias, fb, plan)
        else:
            y = feedback_linear(x2, p, bias, fb, plan)
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
            + (", sparse_storage=True" if self.sparse_storage else "")
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
    if (mask is None or sp.issparse(mask)) and n_out * n_in > MAX_MASK_ELEMENTS:  # before the buffer is built
        raise ValueError(
            f"a {n_out}x{n_in} layer keeps a dense bool mask of {n_out * n_in} elements, more than "
            f"nets.layers.MAX_MASK_ELEMENTS={MAX_MASK_ELEMENTS}; use narrower layers (or raise that limit)"
        )
    if mask is None:
        return torch.ones(want, dtype=torch.bool, device=device)
    if sp.issparse(mask):
        if tuple(mask.shape) != want:
            raise ValueError(f"mask must have shape (out_features, in_features) = {want}, got {tuple(mask.shape)}")
        if mask.dtype.kind not in "biuf":
            raise TypeError(f"mask must hold booleans or 0/1 numbers, got dtype {mask.dtype}")
        c = sp.csr_array(mask)
        c.sum_duplicates()  # a repeated (i, j) entry is its sum, as scipy reads it
        mask = torch.from_numpy(c.toarray())  # checked for 0/1 below, like a dense mask
    if isinstance(mask, np.ndarray):
        if mask.dtype.kind not in "biuf":
            raise TypeError(
                "mask must be None, a torch tensor, a numpy array or a scipy sparse matrix of shape "
                f"(out_features, in_features) = {want} holding booleans or 0/1 numbers, "
                f"got a numpy array of dtype {mask.dtype}"
            )
        mask = torch.from_numpy(np.ascontiguousarray(mask))
    if not isinstance(mask, torch.Tensor):
        raise TypeError(
            "mask must be None, a torch tensor, a numpy array or a scipy sparse matrix of shape "
            f"(out_features, in_features) = {want}, got {type(mask).__name__}"
            + (" (convert it with numpy.asarray)" if isinstance(mask, (list, tuple)) else "")
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
    # Only outputs with no input are a defect (a unit that can only ever output its bias).  Inputs that
    # reach no output are normal for a sparse layer (a 5% mask over 784 pixels leaves some pixels
    # unread, as a pruned nn.Linear does) and are not warned about; ``(~layer.mask.any(0)).sum()`` counts them.
    rows = int((~mask.any(1)).sum())
    if rows:
        cols = int((~mask.any(0)).sum())
        also = f"; also {cols} input(s) connected to no output (all-False columns; ignored)" if cols else ""
        warnings.warn(
            f"mask has dead neurons: {rows} output(s) with no inputs (all-False rows; they output only "
            f"their bias){also}",
            UserWarning,
            stacklevel=3,
        )
