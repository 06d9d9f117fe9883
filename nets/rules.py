"""Learning rules: the :class:`Rule` enum and :func:`apply_rule`, which binds a rule to a model.

Applying a rule *configures* the model in place -- it never copies it:

- ``BP``, ``FA``, ``USF``, ``FRSF``: every :class:`~nets.SparseLinear` gets
  ``set_feedback(mode)``; the layer's own ``autograd.Function`` then sends the
  error back through ``W`` (BP), a fixed random ``B`` (FA, Lillicrap et al. 2016),
  ``sign(W)`` scaled (uSF) or ``sign(W) * |R|`` for a fixed random ``R`` (frSF,
  Liao et al. 2016; Moskovitz et al. 2018).  One optimizer, the output cross-entropy.
- ``DFA`` (Nøkland 2016): see :mod:`nets.dfa`.
- ``PRED``, ``SIM``, ``PREDSIM`` and their ``*_BIO`` variants (Nøkland & Eidnes
  2019): see :mod:`nets.local`.
- ``DENDRITIC`` (Sacramento et al. 2018): see :mod:`nets.dendritic`.
- ``READOUT``: a control -- the hidden layers stay at their initial random
  weights and only the output layer is trained (backprop into it alone).

Rules are picked by enum or by their string value (``"predsim"``, ``"pred-bio"``);
underscores and case are accepted (``"PREDSIM_BIO"``).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import torch
from torch import nn

from ._learner import Learner, check_optimizer, cross_entropy, layered_parts, make_optimizer
from smallworld._validation import check_bool, check_int, check_real

from ._utils import seed_int

__all__ = ["Rule", "as_rule", "apply_rule", "feedback_layers"]


class Rule(str, Enum):
    """Learning rules understood by :func:`apply_rule` and :func:`nets.train`.

    Examples
    --------
    >>> Rule("predsim") is Rule.PREDSIM
    True
    >>> as_rule("PREDSIM_BIO")
    <Rule.PREDSIM_BIO: 'predsim-bio'>
    >>> Rule.FA.is_feedback, Rule.PRED.is_local
    (True, True)
    """

    BP = "bp"
    FA = "fa"
    USF = "usf"
    FRSF = "frsf"
    DFA = "dfa"
    PRED = "pred"
    SIM = "sim"
    PREDSIM = "predsim"
    PRED_BIO = "pred-bio"
    SIM_BIO = "sim-bio"
    PREDSIM_BIO = "predsim-bio"
    NODE_PERTURBATION = "node-perturbation"
    AGREL = "agrel"
    DENDRITIC = "dendritic"
    READOUT = "readout-only"

    def __str__(self) -> str:
        return self.value

    @property
    def is_feedback(self) -> bool:
        """True for the layer-wise feedback rules FA, uSF and frSF (a ``B`` per layer)."""
        return self in (Rule.FA, Rule.USF, Rule.FRSF)

    @property
    def is_local(self) -> bool:
        """True for the local-loss rules (pred, sim, predsim and their bio variants)."""
        return self.value.split("-")[0] in ("pred", "sim", "predsim")

    @property
    def is_bio(self) -> bool:
        """True for the backprop-free ("bio") local-loss variants."""
        return self.value.endswith("-bio")


def as_rule(rule: Any) -> Rule:
    """Coerce a :class:`Rule` or its name to a :class:`Rule`.

    Raises
    ------
    TypeError
        If ``rule`` is neither a Rule nor a str.
    ValueError
        For an unknown name; the message lists the allowed values.

    Examples
    --------
    >>> as_rule("fa")
    <Rule.FA: 'fa'>
    >>> as_rule("backprop")
    Traceback (most recent call last):
    ...
    ValueError: rule must be one of 'bp', 'fa', 'usf', 'frsf', 'dfa', 'pred', 'sim', 'predsim', 'pred-bio', 'sim-bio', 'predsim-bio', 'node-perturbation', 'agrel', 'dendritic', 'readout-only', got rule='backprop'
    """
    if isinstance(rule, Rule):
        return rule
    if not isinstance(rule, str):
        raise TypeError(f"rule must be a nets.Rule or a str, got {rule!r} of type {type(rule).__name__}")
    key = rule.strip().lower().replace("_", "-")
    if key == "readout":
        key = "readout-only"
    try:
        return Rule(key)
    except ValueError:
        listed = ", ".join(repr(r.value) for r in Rule)
        raise ValueError(f"rule must be one of {listed}, got rule={rule!r}") from None


def feedback_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(name, layer)`` for every submodule with ``set_feedback`` and a ``weight`` (SparseLinear)."""
    return [
        (name, m)
        for name, m in model.named_modules()
        if callable(getattr(m, "set_feedback", None)) and isinstance(getattr(m, "weight", None), torch.Tensor)
    ]


def _configure_feedback(model: nn.Module, mode: str, dense: bool, seed: int) -> None:
    layers = feedback_layers(model)
    if not layers and mode != "bp":
        raise TypeError(
            f"rule {mode!r} needs layers with set_feedback (nets.SparseLinear); {type(model).__name__} has none"
        )
    ss = torch.Generator().manual_seed(seed)
    for _, layer in layers:
        layer.set_feedback(mode, dense=dense, seed=int(torch.randint(0, 2**62, (1,), generator=ss, device="cpu")))


class GlobalLearner(Learner):
    """BP, FA, uSF, frSF: the model's own forward, output cross-entropy, one optimizer."""

    def __init__(self, model: nn.Module, rule: Rule, optimizer: str, lr: float, weight_decay: float) -> None:
        super().__init__(model, rule)
        self.optimizers["model"] = make_optimizer(optimizer, model.parameters(), lr, weight_decay)

    def step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        opt = self.optimizers["model"]
        opt.zero_grad(set_to_none=True)
        logits = self.model(x)
        loss = cross_entropy(logits, y)
        loss.backward()
        opt.step()
        return loss.detach(), logits.detach()


class ReadoutLearner(Learner):
    """Control: hidden layers frozen at initialisation, the output layer trained alone."""

    def __init__(self, model: nn.Module, rule: Rule, optimizer: str, lr: float, weight_decay: float) -> None:
        super().__init__(model, rule)
        self.layers, self.act = layered_parts(model, rule.value)
        self.optimizers["readout"] = make_optimizer(optimizer, self.layers[-1].parameters(), lr, weight_decay)

    def step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            h = x
            for layer in self.layers[:-1]:
                h = self.act(layer(h))
        opt = self.optimizers["readout"]
        opt.zero_grad(set_to_none=True)
        logits = self.layers[-1](h)
        loss = cross_entropy(logits, y)
        loss.backward()
        opt.step()
        return loss.detach(), logits.detach()


def apply_rule(
    model: nn.Module,
    rule: Rule | str,
    *,
    optimizer: str = "adam",
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    seed: Any = None,
    dense_feedback: bool = False,
    n_classes: int | None = None,
    beta: float = 0.99,
) -> Learner:
    """Configure ``model`` for ``rule`` (in place) and return the learner that trains it.

    Parameters
    ----------
    model : torch.nn.Module
        The network.  FA-type rules need :class:`~nets.SparseLinear` layers; DFA,
        the local rules and ``READOUT`` need a layered model (``.layers`` and
        ``.act``, e.g. :class:`~nets.SparseMLP`).
    rule : Rule or str
        See :class:`Rule`.
    optimizer : {"adam", "adamw", "sgd"}
        Optimizer of every trained part (local rules: one per block, plus the output layer).
    lr, weight_decay : float
        Learning rate (> 0) and weight decay (>= 0).
    seed : None, int, numpy.random.Generator or torch.Generator
        Seeds the rule's fixed random matrices (B of FA/frSF/DFA, bio targets) and
        the initial weights of local heads.
    dense_feedback : bool
        FA/uSF/frSF: a dense ``B`` instead of one that follows the layer's mask.
    n_classes : int, optional
        Number of classes (local rules; default: the output layer's width).
    beta : float in [0, 1]
        Weight of the sim loss in predsim, ``(1 - beta) * pred + beta * sim``.

    Returns
    -------
    Learner
        ``learner.step(x, y)`` performs one update and returns ``(loss, logits)``.

    Raises
    ------
    TypeError, ValueError
        For an unknown rule or optimizer, bad ``lr``, or a model the rule cannot drive.

    References
    ----------
    .. [1] T. P. Lillicrap, D. Cownden, D. B. Tweed and C. J. Akerman, "Random synaptic feedback
       weights support error backpropagation for deep learning", Nat. Commun. 7:13276 (2016).
       doi:10.1038/ncomms13276
    .. [2] A. Nøkland, "Direct feedback alignment provides learning in deep neural networks",
       NeurIPS 2016. arXiv:1609.01596
    .. [3] A. Nøkland and L. H. Eidnes, "Training neural networks with local error signals",
       ICML 2019. arXiv:1901.06656
    .. [4] Q. Liao, J. Z. Leibo and T. Poggio, "How important is weight symmetry in backpropagation?",
       AAAI 2016. doi:10.1609/aaai.v30i1.10279

    Examples
    --------
    >>> from nets import SparseMLP
    >>> net = SparseMLP([4, 8, 3], seed=0)
    >>> learner = apply_rule(net, "fa", seed=0)
    >>> loss, logits = learner.step(torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1]))
    >>> tuple(logits.shape), bool(loss > 0)
    ((5, 3), True)
    """
    rule = as_rule(rule)
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    check_optimizer(optimizer, lr, weight_decay)  # before anything changes
    check_bool(dense_feedback, "dense_feedback")
    beta = check_real(beta, "beta", min_val=0, max_val=1)
    if n_classes is not None:
        n_classes = check_int(n_classes, "n_classes", min_val=2)
    s = seed_int(seed)
    # Every rule first puts the layers back to exact backprop: rules never stack.
    mode = rule.value if rule.is_feedback else "bp"
    _configure_feedback(model, mode, dense_feedback, s)
    if rule in (Rule.BP, Rule.FA, Rule.USF, Rule.FRSF):
        return GlobalLearner(model, rule, optimizer, lr, weight_decay)
    if rule is Rule.READOUT:
        return ReadoutLearner(model, rule, optimizer, lr, weight_decay)
    if rule in (Rule.NODE_PERTURBATION, Rule.AGREL):  # reward-modulated rules: nets.reward
        from .reward import AgrelLearner, NodePerturbationLearner

        kw = dict(optimizer=optimizer, lr=lr, weight_decay=weight_decay, seed=s)
        return NodePerturbationLearner(model, **kw) if rule is Rule.NODE_PERTURBATION else AgrelLearner(model, n_classes=n_classes, **kw)
    if rule is Rule.DENDRITIC:  # Sacramento et al. 2018 microcircuit: nets.dendritic
        from .dendritic import DendriticLearner

        return DendriticLearner(model, optimizer=optimizer, lr=lr, weight_decay=weight_decay, seed=s, dense_feedback=dense_feedback)
    if rule is Rule.DFA:
        from .dfa import DFALearner

        return DFALearner(model, optimizer=optimizer, lr=lr, weight_decay=weight_decay, seed=s)
    from .local import LocalLearner

    return LocalLearner(
        model, rule, optimizer=optimizer, lr=lr, weight_decay=weight_decay, seed=s, n_classes=n_classes, beta=beta
    )
