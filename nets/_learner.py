"""The learner protocol shared by every rule: one training step, evaluation, state.

A *learner* binds a rule to a model **without copying it**: it holds a reference
to the model, the optimizer(s) and whatever the rule adds (DFA feedback
matrices, local-loss heads) as modules of its own.  :func:`nets.train` only
talks to this interface.
"""

from __future__ import annotations

from typing import Any, Iterable

import torch
from torch import nn

from smallworld._validation import check_choice, check_real

__all__ = [
    "Learner", "OPTIMIZERS", "check_optimizer", "make_optimizer", "layered_parts", "is_dag", "TrainingDiverged", "cross_entropy",
]  # fmt: skip

#: The rules that run on a :class:`nets.WiredNet` (a DAG) as well as on a layered model.
DAG_RULES = "bp, fa, usf, frsf, dfa, pred, sim, predsim (and -bio), readout-only or agrel"

#: Optimizer names accepted by :func:`nets.train` (``"sgd"`` uses momentum 0.9).
OPTIMIZERS = ("adam", "adamw", "sgd")


class TrainingDiverged(ValueError):
    """Training stopped because the loss (or a parameter) became NaN/infinite or blew up.

    Attributes
    ----------
    epoch, batch : int
        Where it happened (1-based epoch, 0-based batch index within the epoch).
    """

    def __init__(self, message: str, epoch: int, batch: int) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.batch = batch


def check_optimizer(name: str, lr: float, weight_decay: float) -> tuple[str, float, float]:
    """Validate an optimizer name, learning rate (> 0) and weight decay (>= 0)."""
    if not isinstance(name, str):
        raise TypeError(f"optimizer must be a str, one of {OPTIMIZERS}, got {name!r} of type {type(name).__name__}")
    check_choice(name, "optimizer", OPTIMIZERS)
    lr = check_real(lr, "lr", min_val=0, include_min=False)
    weight_decay = check_real(weight_decay, "weight_decay", min_val=0)
    return name, lr, weight_decay


def make_optimizer(name: str, params: Iterable[nn.Parameter], lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """Build one optimizer; ``name`` in :data:`OPTIMIZERS` (``"sgd"``: momentum 0.9)."""
    name, lr, weight_decay = check_optimizer(name, lr, weight_decay)
    params = [p for p in params if p.requires_grad]
    # The fused kernels update in place without per-parameter temporaries (less peak memory,
    # same math); they need floating parameters on cpu or cuda.
    fused = bool(params) and all(p.device.type in ("cpu", "cuda") and p.is_floating_point() for p in params)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=fused or None)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=fused or None)
    return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)


def layered_parts(model: nn.Module, rule: str) -> tuple[list[nn.Module], Any]:
    """Return ``(layers, act)`` of a layered MLP: ``.layers`` chained in order and ``.act``.

    ``forward`` must be ``act`` after every layer but the last (as in
    :class:`nets.SparseMLP`).  :class:`nets.WiredNet` is refused: its levels read
    the activations of *all* earlier levels, so there is no chain of layers.  The
    rules with a DAG path (:data:`DAG_RULES`) never call this for a WiredNet
    (:func:`nets.apply_rule` sends it to their DAG learners); the ones that still
    do (dendritic, node-perturbation) need a chain of layers.

    Raises
    ------
    TypeError
        If the model is not such a layered MLP.
    """
    from .models import WiredNet

    layers = getattr(model, "layers", None)
    act = getattr(model, "act", None)
    hint = "use bp, fa, usf or frsf" if callable(getattr(model, "set_feedback", None)) else "use bp"
    if isinstance(model, WiredNet):
        raise TypeError(
            f"rule {rule!r} needs a layered MLP (nets.SparseMLP): it runs layer after layer, and a WiredNet's "
            f"levels read all earlier activations, so it has no chain of layers (on a WiredNet use {DAG_RULES})"
        )
    if not isinstance(layers, (nn.ModuleList, nn.Sequential, list, tuple)) or len(layers) < 1 or not callable(act):
        raise TypeError(
            f"rule {rule!r} needs a layered model with .layers (a ModuleList of linear layers) and .act "
            f"(e.g. nets.SparseMLP), got {type(model).__name__} ({hint})"
        )
    for i in range(1, len(layers)):
        n_prev, n_in = getattr(layers[i - 1], "out_features", None), getattr(layers[i], "in_features", None)
        if n_prev is None or n_prev != n_in:
            raise TypeError(
                f"rule {rule!r} needs .layers chained in order, but layer {i} takes {n_in} inputs "
                f"and layer {i - 1} gives {n_prev}"
            )
    return list(layers), act


def is_dag(model: nn.Module) -> bool:
    """True for a :class:`nets.WiredNet` (its rules run through ``model.propagate`` with gradient cuts)."""
    from .models import WiredNet

    return isinstance(model, WiredNet)


class Learner:
    """Base class: a rule bound to a model.

    Subclasses set :attr:`optimizers` (name -> optimizer), may add modules to
    :attr:`extra` (saved in checkpoints) and implement :meth:`step`.
    """

    def __init__(self, model: nn.Module, rule: Any) -> None:
        self.model = model
        self.rule = rule
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.extra = nn.ModuleDict()

    # -- training ------------------------------------------------------------------------
    def step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One update on a batch; returns the detached output cross-entropy and the logits."""
        raise NotImplementedError

    def local_losses(self) -> list[float]:
        """Losses of the local heads at the last step (empty for global rules)."""
        return [float(v) for v in self.local_loss_tensors()]

    def local_loss_tensors(self) -> list[torch.Tensor]:  # pragma: no cover - overridden by local learners
        """The same as detached 0-d tensors on the model's device (reading them needs no GPU sync)."""
        return []

    def train(self, mode: bool = True) -> "Learner":
        self.model.train(mode)
        self.extra.train(mode)
        return self

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of the model in eval mode (the plain forward: every rule shares it)."""
        was = self.model.training
        self.model.eval()
        try:
            return self.model(x)
        finally:
            self.model.train(was)

    # -- state ---------------------------------------------------------------------------
    def to(self, device: Any) -> "Learner":
        self.extra.to(device)
        return self

    def state_dict(self) -> dict:
        """Optimizer states and the rule's own modules (the model is saved separately)."""
        return {
            "extra": self.extra.state_dict(),
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
        }

    def load_state_dict(self, state: dict) -> None:
        self.extra.load_state_dict(state["extra"])
        if set(state["optimizers"]) != set(self.optimizers):
            raise ValueError(
                f"checkpoint holds optimizers {sorted(state['optimizers'])} but rule {self.rule!s} "
                f"uses {sorted(self.optimizers)}"
            )
        for k, o in self.optimizers.items():
            o.load_state_dict(state["optimizers"][k])


def cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy (one place, so every rule reports the same train loss)."""
    return nn.functional.cross_entropy(logits, y)
