"""Feedback pathways for a linear layer's backward pass, and alignment metrics.

A linear layer ``y = x W^T + b`` sends its error ``g_y`` back to its input as
``g_x = g_y F``.  Backprop uses ``F = W``.  The biologically motivated rules
replace ``W`` by a matrix that needs no weight transport:

===========  ================================================================
``"bp"``     ``F = W`` (backpropagation).
``"fa"``     ``F = B``, a fixed random matrix drawn once (feedback alignment,
             Lillicrap et al. 2016 [1]_).
``"usf"``    ``F = sign(W) * s`` with one scale ``s = ||W||_F / sqrt(nnz)``
             (the RMS of the weights on the mask), so that ``||F||_F = ||W||_F``
             on a full-sign layer: uniform sign-concordant feedback
             (Liao, Leibo & Poggio 2016 [2]_; Moskovitz et al. 2018 [3]_).
``"frsf"``   ``F = sign(W) * |B|``: fixed random magnitude, sign-concordant
             feedback [2]_.
===========  ================================================================

In every mode the weight gradient is the usual ``g_y^T x`` restricted to the
mask, so only the error sent *down* changes.  The rule is one
:class:`torch.autograd.Function` (:class:`FeedbackLinearFunction`)
parametrised by :class:`Feedback`, not one copy per rule.

References
----------
.. [1] T. P. Lillicrap, D. Cownden, D. B. Tweed and C. J. Akerman, "Random
   synaptic feedback weights support error backpropagation for deep learning",
   Nature Communications 7, 13276 (2016). doi:10.1038/ncomms13276
.. [2] Q. Liao, J. Z. Leibo and T. Poggio, "How important is weight symmetry in
   backpropagation?", AAAI 2016. arXiv:1510.05067
.. [3] T. Moskovitz, A. Litwin-Kumar and L. F. Abbott, "Feedback alignment in
   deep convolutional networks", 2018. arXiv:1812.06488
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Union

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from nets import _backends as K
from nets._utils import apply_function

__all__ = [
    "Feedback",
    "FeedbackLike",
    "as_feedback",
    "feedback_matrix",
    "LinearPlan",
    "FeedbackLinearFunction",
    "feedback_linear",
    "alignment_angle",
    "update_angle",
]


class Feedback(str, Enum):
    """How a layer sends its error to its input (see the module docstring).

    Examples
    --------
    >>> Feedback("fa"), Feedback.FA.needs_random_matrix
    (<Feedback.FA: 'fa'>, True)
    """

    BP = "bp"
    FA = "fa"
    USF = "usf"
    FRSF = "frsf"

    @property
    def needs_random_matrix(self) -> bool:
        """True for the modes that read the fixed random matrix ``B``."""
        return self in (Feedback.FA, Feedback.FRSF)


FeedbackLike = Union[Feedback, str]


def as_feedback(value: Any, name: str = "feedback") -> Feedback:
    """Validate a feedback mode given as a :class:`Feedback` or its name (any case).

    Raises
    ------
    TypeError
        If ``value`` is neither a :class:`Feedback` nor a string.
    ValueError
        For an unknown name.

    Examples
    --------
    >>> as_feedback("FRSF")
    <Feedback.FRSF: 'frsf'>
    >>> as_feedback("dfa")
    Traceback (most recent call last):
    ...
    ValueError: feedback must be one of 'bp', 'fa', 'usf', 'frsf', got feedback='dfa'
    """
    if isinstance(value, Feedback):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a Feedback or one of its names (str), got {value!r} of type {type(value).__name__}")
    try:
        return Feedback(value.lower())
    except ValueError:
        allowed = ", ".join(repr(f.value) for f in Feedback)
        raise ValueError(f"{name} must be one of {allowed}, got {name}={value!r}") from None


def feedback_matrix(
    mode: FeedbackLike, weight: torch.Tensor, feedback_weight: torch.Tensor | None = None, nnz: int | None = None
) -> torch.Tensor:
    """The matrix ``F`` a layer sends its error through (``g_x = g_y F``).

    Works elementwise, so ``weight``/``feedback_weight`` may be dense
    ``(out, in)`` matrices or the vectors of their values on the mask.

    Parameters
    ----------
    mode : Feedback or str
    weight : torch.Tensor
        ``W`` (zero outside the mask).
    feedback_weight : torch.Tensor, optional
        The fixed random ``B``; required for ``"fa"`` and ``"frsf"``.
    nnz : int, optional
        Number of mask entries, for the ``"usf"`` scale; defaults to
        ``weight.numel()`` (a full mask).

    Returns
    -------
    torch.Tensor
        Same shape as ``weight``; a new tensor except for ``"bp"``/``"fa"``.

    Examples
    --------
    >>> W = torch.tensor([[3.0, -4.0]])
    >>> feedback_matrix("usf", W)  # sign(W) * ||W|| / sqrt(2)
    tensor([[ 3.5355, -3.5355]])
    """
    mode = as_feedback(mode, "mode")
    if mode is Feedback.BP:
        return weight
    if mode.needs_random_matrix and feedback_weight is None:
        raise ValueError(f"feedback mode {mode.value!r} needs feedback_weight (the fixed random matrix B), got None")
    if mode is Feedback.FA:
        return feedback_weight
    if mode is Feedback.FRSF:
        return torch.sign(weight) * feedback_weight.abs()
    n = weight.numel() if nnz is None else nnz
    scale = torch.linalg.vector_norm(weight) / math.sqrt(max(n, 1))
    return torch.sign(weight) * scale


@dataclass(frozen=True)
class LinearPlan:
    """How :class:`FeedbackLinearFunction` runs one layer (built by the layer).

    Attributes
    ----------
    mode : Feedback
        The feedback pathway.
    kernel : {"dense", "csr", "numba"}
        Which kernel of :mod:`nets._backends` runs the products.
    nnz : int or None
        Number of mask entries (``None``: a full mask), for the ``"usf"`` scale.
    mask : torch.Tensor or None
        The bool mask, for the dense kernel's weight gradient (``None``: full).
    structure : CSRStructure or None
        The mask's CSR index arrays, for the CSR kernel.
    dense_feedback : bool
        ``B`` is not restricted to the mask (the CSR kernel then runs the
        feedback product densely).
    """

    mode: Feedback = Feedback.BP
    kernel: str = "dense"
    nnz: int | None = None
    mask: torch.Tensor | None = None
    structure: K.CSRStructure | None = None
    dense_feedback: bool = False


def _saves_inputs(plan: LinearPlan, values: bool) -> tuple[bool, bool]:
    """Whether the backward's ``saved`` is ``x`` itself (every kernel but numba's,
    which keeps ``x^T``) and its ``w`` is ``weight`` itself (the dense kernel on a
    dense ``W``, a sparse kernel on the values)."""
    return plan.kernel != "numba", (plan.kernel == "dense") != values


class FeedbackLinearFunction(torch.autograd.Function):
    """``y = x W^T + b`` whose backward sends ``g_y F`` down (``F`` by :class:`Feedback`).

    Call it through :func:`feedback_linear` (which returns ``y``).
    ``FeedbackLinearFunction.apply(x, weight, bias, feedback_weight, plan)``
    itself returns ``(y, saved, w)``: the last two are non-differentiable
    intermediates kept for the backward (the forward/``setup_context`` split
    that :mod:`torch.func` transforms need).  ``x`` is (batch, in);
    ``weight`` either the dense ``(out, in)`` ``W`` or, for a layer that stores
    only its mask's values, the ``(nnz,)`` values in CSR order
    (``plan.structure`` then required); ``bias`` (out,) or None;
    ``feedback_weight`` the dense ``B`` (out, in) or None (not needed by
    ``"bp"``/``"usf"``); and a :class:`LinearPlan`.

    Gradients: ``g_x = g_y F``; for ``weight`` ``g_y^T x`` on the mask (dense
    ``W``: exactly 0 elsewhere; values: the ``nnz`` entries); ``g_b = sum_batch g_y``.
    Not twice differentiable.  Works under :func:`torch.func.grad` /
    :func:`torch.func.vjp` (not :func:`torch.func.vmap`).
    """

    @staticmethod
    def forward(  # type: ignore[override]
        x: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        feedback_weight: torch.Tensor | None,
        plan: LinearPlan,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        s = plan.structure
        values = weight.dim() == 1
        if plan.kernel == "dense":
            w = K.dense_from_values(weight, s) if values else weight
        else:
            w = weight if values else weight.reshape(-1)[s.flat]
        y, saved = K.forward(plan.kernel, x, w, bias, s)
        # new intermediates go out as (non-differentiable) outputs; where one is
        # an input itself (see _saves_inputs) an empty placeholder stands for it
        saved_is_x, w_is_weight = _saves_inputs(plan, values)
        empty = x.new_empty(0)
        return y, (empty if saved_is_x else saved), (empty if w_is_weight else w)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: tuple) -> None:
        x, weight, bias, feedback_weight, plan = inputs
        _, saved, w = output
        ctx.mark_non_differentiable(saved, w)
        ctx.set_materialize_grads(False)  # no zero-filled gradients for the two intermediates
        ctx.plan = plan
        ctx.has_bias = bias is not None
        ctx.values = weight.dim() == 1
        saved_is_x, w_is_weight = _saves_inputs(plan, ctx.values)
        ctx.save_for_backward(x if saved_is_x else saved, weight if w_is_weight else w, feedback_weight)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_out: torch.Tensor, _g_saved: Any = None, _g_w: Any = None) -> tuple:  # type: ignore[override]
        saved, w, fb = ctx.saved_tensors
        plan: LinearPlan = ctx.plan
        s = plan.structure
        if plan.kernel != "dense" and not K.plain(grad_out):
            return _reference_backward(ctx, grad_out, saved, w, fb)
        gx = gw = gb = None
        fused = (
            plan.kernel == "numba"
            and ctx.needs_input_grad[0]
            and ctx.needs_input_grad[1]
            and not (plan.mode is Feedback.FA and plan.dense_feedback)
        )
        if fused:  # one sweep computes both gradients at the nonzeros
            b = fb.reshape(-1)[s.flat] if fb is not None else None
            gx, gw = K.fused_backward(grad_out, feedback_matrix(plan.mode, w, b, s.nnz), saved, s)
            if not ctx.values:
                gw = K.dense_from_values(gw, s)
        elif ctx.needs_input_grad[0]:
            if plan.kernel == "dense":
                gx = K.input_grad("dense", grad_out, feedback_matrix(plan.mode, w, fb, plan.nnz), None)
            elif plan.mode is Feedback.FA and plan.dense_feedback:
                gx = K.input_grad("dense", grad_out, fb, None)
            else:
                b = fb.reshape(-1)[s.flat] if fb is not None else None
                gx = K.input_grad(plan.kernel, grad_out, feedback_matrix(plan.mode, w, b, s.nnz), s)
        if ctx.needs_input_grad[1] and not fused:
            if ctx.values:
                gw = K.weight_values_grad(plan.kernel, grad_out, saved, s)
            else:
                gw = K.weight_grad(plan.kernel, grad_out, saved, s, plan.mask)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = grad_out.sum(0)
        return gx, gw, gb, None, None


def _reference_backward(ctx: Any, grad_out: torch.Tensor, saved: torch.Tensor, w: torch.Tensor, fb: Any) -> tuple:
    """The sparse kernels' gradients in dense torch ops, for tensors a :mod:`torch.func`
    transform wraps (numba and ``torch.sparse`` cannot read those)."""
    plan: LinearPlan = ctx.plan
    s = plan.structure
    x = saved.t() if plan.kernel == "numba" else saved
    gx = gw = gb = None
    if ctx.needs_input_grad[0]:
        gx = grad_out.mm(feedback_matrix(plan.mode, K.dense_from_values(w, s), fb, s.nnz))
    if ctx.needs_input_grad[1]:
        gw = grad_out.t().mm(x).reshape(-1)[s.flat]
        if not ctx.values:
            gw = K.dense_from_values(gw, s)
    if ctx.has_bias and ctx.needs_input_grad[2]:
        gb = grad_out.sum(0)
    return gx, gw, gb, None, None


def feedback_linear(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    feedback_weight: torch.Tensor | None,
    plan: LinearPlan,
) -> torch.Tensor:
    """``y = x W^T + b`` with the backward of ``plan`` (see :class:`FeedbackLinearFunction`).

    Examples
    --------
    >>> x = torch.ones(1, 2, requires_grad=True)
    >>> W, B = torch.tensor([[1.0, 2.0]], requires_grad=True), torch.tensor([[5.0, 7.0]])
    >>> y = feedback_linear(x, W, None, B, LinearPlan(Feedback.FA))
    >>> y.sum().backward()
    >>> x.grad.tolist(), W.grad.tolist()
    ([[5.0, 7.0]], [[1.0, 1.0]])
    """
    return apply_function(FeedbackLinearFunction, x, weight, bias, feedback_weight, plan)[0]


def _flat64(x: Any, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().to("cpu", torch.float64).reshape(-1).numpy()
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
        return x.astype(np.float64).reshape(-1)
    if isinstance(x, Sequence) and not isinstance(x, str):
        if not x:
            raise ValueError(f"{name} is an empty sequence; give at least one tensor")
        return np.concatenate([_flat64(t, name) for t in x])
    raise TypeError(f"{name} must be a torch.Tensor, a numpy array or a sequence of them, got {type(x).__name__}")


def _angle(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> float:
    if a.shape != b.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same number of elements, got {a.size} and {b.size}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError(f"{names[0]} and {names[1]} must be finite; found NaN or inf")
    units = []
    for v, nm in ((a, names[0]), (b, names[1])):
        top = float(np.max(np.abs(v))) if v.size else 0.0
        if top == 0:
            raise ValueError(f"the angle is undefined: {nm} is all zeros")
        v = v / top  # rescale first: the norm of 1e200s overflows, of 1e-300s underflows
        units.append(v / _norm(v))
    ua, ub = units  # Kahan's formula: accurate near 0 and 180 degrees, unlike acos
    return math.degrees(2.0 * math.atan2(_norm(ua - ub), _norm(ua + ub)))


def _norm(v: np.ndarray) -> float:
    """Euclidean norm without BLAS: ``np.linalg.norm`` calls a threaded ``ddot`` whose threads, outside
    the thread policy, spin against a busy core (measured: 2.4 ms per call on a loaded 2-core machine for
    16k elements, 16% of an FA epoch of the demo's nets); a pairwise-summed ``v * v`` costs microseconds."""
    return math.sqrt(float(np.sum(v * v)))


def alignment_angle(weight: Any, feedback: Any) -> float:
    """Angle in degrees between a weight matrix ``W`` and its feedback ``B``
    (both flattened): 0 means ``B`` is ``W`` up to scale, 90 unrelated.

    Feedback alignment works because ``W`` turns towards ``B`` during
    training; the angle drops below 90 degrees (Lillicrap et al. 2016).

    Parameters
    ----------
    weight, feedback : torch.Tensor or numpy.ndarray
        Same number of elements.

    Returns
    -------
    float
        In ``[0, 180]``.

    Raises
    ------
    ValueError
        If either is all zeros (the angle is undefined), shapes differ, or
        values are not finite.

    Examples
    --------
    >>> round(alignment_angle(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 1.0]])), 6)
    45.0
    """
    return _angle(_flat64(weight, "weight"), _flat64(feedback, "feedback"), ("weight", "feedback"))


def update_angle(update: Any, true_grad: Any) -> float:
    """Angle in degrees between a rule's update (its gradient) and the true
    backprop gradient.

    Parameters
    ----------
    update, true_grad : torch.Tensor, numpy.ndarray, or a sequence of them
        Sequences (e.g. one gradient per layer) are concatenated in order.

    Returns
    -------
    float
        In ``[0, 180]``; below 90 means the rule still descends the loss.

    Raises
    ------
    ValueError
        If either is all zeros, the sizes differ, or values are not finite.

    Examples
    --------
    >>> update_angle([torch.ones(2)], [torch.tensor([1.0, -1.0])])
    90.0
    """
    return _angle(_flat64(update, "update"), _flat64(true_grad, "true_grad"), ("update", "true_grad"))
