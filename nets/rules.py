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

On a DAG (:class:`~nets.WiredNet`) every rule but ``NODE_PERTURBATION`` and
``DENDRITIC`` (which run layer after layer) has a path; they differ only in
which arcs carry error back (:meth:`~nets.WiredNet.propagate`'s ``cut``):

- BP, FA, uSF, frSF: every arc, through each level's feedback matrix;
- DFA: no arc; each hidden neuron gets its own fixed random projection of the
  output error (:class:`nets.dfa.DAGDFALearner`);
- pred, sim, predsim: a *block* is a run of whole topological levels
  (``model.blocks``) with its own local head; error flows only along arcs
  inside a block, through ``W`` -- or, for the ``-bio`` variants, through the
  fixed random ``B`` of FA (the levels are set to FA), never ``W``
  (:class:`nets.local.DAGLocalLearner`); the output neurons are trained by
  the output cross-entropy on their detached inputs;
- READOUT: no arc; only the arcs into output neurons and the output neurons'
  biases train (:class:`DAGReadoutLearner`; weight decay too touches only them).

Rules are picked by enum or by their string value (``"predsim"``, ``"pred-bio"``);
underscores and case are accepted (``"PREDSIM_BIO"``).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import torch
from torch import nn

from ._learner import Learner, check_optimizer, cross_entropy, is_dag, layered_parts, make_optimizer
from smallworld._validation import check_bool, check_int, check_real

from ._utils import seed_int

__all__ = ["Rule", "as_rule", "apply_rule", "feedback_layers", "DAGReadoutLearner"]


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


class DAGReadoutLearner(Learner):
    """Readout control on a :class:`~nets.WiredNet`: only the arcs into output neurons and their biases train.

    The forward is the model's own with no error along any arc
    (``propagate(cut="all")``), so hidden neurons get exactly zero gradient; the
    optimizer ``"readout"`` holds the levels that contain output neurons and runs
    without weight decay of its own: ``weight_decay`` is applied here to the
    trainable entries only (added to the gradient for ``"adam"``/``"sgd"``,
    decoupled for ``"adamw"``, as torch does), so frozen weights never move.
    """

    def __init__(self, model: nn.Module, rule: Rule, optimizer: str, lr: float, weight_decay: float) -> None:
        super().__init__(model, rule)
        w = model.wiring
        outs = set(w.outputs.tolist())
        self._levels = []  # (layer, bool rows of output neurons)
        for lv, layer in enumerate(model.layers, start=1):
            rows = torch.as_tensor([int(v) in outs for v in w.level_nodes[lv]], device=layer.mask.device)
            if bool(rows.any()):
                self._levels.append((layer, rows))
        if not self._levels:
            raise ValueError(
                "rule 'readout-only' trains the arcs into output neurons, but every output neuron of this WiredNet "
                "is a root (no incoming arc): there is nothing to train"
            )
        self._decay = (optimizer, float(weight_decay))
        params = [p for layer, _ in self._levels for p in layer.parameters()]
        self.optimizers["readout"] = make_optimizer(optimizer, params, lr, 0.0)

    def _trainable(self, layer: nn.Module, rows: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        if p is layer.bias:
            return rows
        if p.dim() == 2:
            return rows[:, None].expand_as(p)
        s = layer._structure()  # weight_values: the row of each value, in CSR order
        return rows[torch.div(s.flat, layer.in_features, rounding_mode="floor")]

    @torch.no_grad()
    def _weight_decay(self) -> None:
        name, wd = self._decay
        if wd == 0:
            return
        lr = float(self.optimizers["readout"].param_groups[0]["lr"])
        for layer, rows in self._levels:
            for p in layer.parameters():
                keep = self._trainable(layer, rows, p).to(p.dtype)
                if name == "adamw":
                    p.mul_(1 - lr * wd * keep)
                elif p.grad is not None:
                    p.grad.add_(p * keep, alpha=wd)

    def step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        opt = self.optimizers["readout"]
        opt.zero_grad(set_to_none=True)
        logits = self.model.propagate(x, cut="all")
        loss = cross_entropy(logits, y)
        loss.backward()
        self._weight_decay()
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
        ``.act``, e.g. :class:`~nets.SparseMLP`) or a :class:`~nets.WiredNet`
        (see the module docstring for what each rule does on a DAG).
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
    dag = is_dag(model)
    # Every rule first puts the layers back to exact backprop: rules never stack.  On a DAG the
    # bio local rules send error inside a block through FA's fixed B, never through W.
    mode = rule.value if rule.is_feedback else ("fa" if dag and rule.is_local and rule.is_bio else "bp")
    _configure_feedback(model, mode, dense_feedback, s)
    if rule in (Rule.BP, Rule.FA, Rule.USF, Rule.FRSF):
        return GlobalLearner(model, rule, optimizer, lr, weight_decay)
    if rule is Rule.READOUT:
        return (DAGReadoutLearner if dag else ReadoutLearner)(model, rule, optimizer, lr, weight_decay)
    if rule in (Rule.NODE_PERTURBATION, Rule.AGREL):  # reward-modulated rules: nets.reward
        from .reward import AgrelLearner, NodePerturbationLearner

        kw = dict(optimizer=optimizer, lr=lr, weight_decay=weight_decay, seed=s)
        return NodePerturbationLearner(model, **kw) if rule is Rule.NODE_PERTURBATION else AgrelLearner(model, n_classes=n_classes, **kw)
    if rule is Rule.DENDRITIC:  # Sacramento et al. 2018 microcircuit: nets.dendritic
        from .dendritic import DendriticLearner

        return DendriticLearner(model, optimizer=optimizer, lr=lr, weight_decay=weight_decay, seed=s, dense_feedback=dense_feedback)
    if rule is Rule.DFA:
        from .dfa import DAGDFALearner, DFALearner

        return (DAGDFALearner if dag else DFALearner)(model, optimizer=optimizer, lr=lr, weight_decay=weight_decay, seed=s)
    from .local import DAGLocalLearner, LocalLearner

    return (DAGLocalLearner if dag else LocalLearner)(
        model, rule, optimizer=optimizer, lr=lr, weight_decay=weight_decay, seed=s, n_classes=n_classes, beta=beta
    )
