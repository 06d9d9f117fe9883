"""Local error signals (Nøkland & Eidnes 2019): pred, sim, predsim and their backprop-free variants.

Each hidden *block* is one layer of the model plus its activation, with a loss of
its own computed by a :class:`LocalHead`:

- **pred**: cross-entropy of a linear classifier on the block's output ``h``;
- **sim**: mean squared error between ``S(h W_s)`` -- the similarity matrix of
  the batch after a learned linear map ``W_s`` -- and ``S(Y)`` of the one-hot
  labels, where ``S`` is the cosine similarity of **row-centred** rows
  (:func:`similarity_matrix`);
- **predsim**: ``(1 - beta) * pred + beta * sim`` with ``beta = 0.99``.

The *bio* variants implement the paper's backprop-free version as this toolkit
states it: the targets are a fixed random projection ``Y P`` of the one-hot
labels (``P`` is ``n_classes x 128``, standard normal, a buffer); **pred-bio**
trains its linear head with feedback alignment (the error reaches ``h`` through a
fixed random matrix, not the head's transpose) on a sum of binary
cross-entropies against the binary code ``Y P > 0``; **sim-bio** drops the
learned map and matches ``S(h)`` to ``S(Y P)``.  No error is ever transported
through a forward weight, inside or across blocks.

Training (:class:`LocalLearner`) is block by block: forward block ``i`` on the
*detached* output of block ``i-1``, its loss, backward, its own optimizer's step,
free its gradients, move on; the output layer is trained with cross-entropy on
its detached input.  Only one block's activations and gradients are alive at a
time, which is where the memory saving over backprop comes from.

On a DAG (:class:`nets.WiredNet`, :class:`DAGLocalLearner`) a block is a run of
whole topological levels (``model.blocks``): its head reads the activations of
the block's neurons, error flows along the arcs *inside* the block through each
level's feedback mode (``W`` for pred/sim/predsim, the fixed random ``B`` of FA
for the bio variants, so a bio block never reads a forward weight), and inputs
from other blocks act as detached values (``propagate(cut="blocks")``).  The
output neurons form their own group, trained by the output cross-entropy on
their (detached) inputs.  All blocks run in one forward/backward: since no
gradient crosses blocks, the sum of the losses gives each parameter exactly its
own block's gradient, and Adam/AdamW/SGD update elementwise, so one optimizer
over all blocks makes the same updates as one per block.

References
----------
.. [1] A. Nøkland and L. H. Eidnes, "Training neural networks with local error signals",
   ICML 2019, PMLR 97:4839-4850. arXiv:1901.06656
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from smallworld._validation import check_int, check_real

from ._learner import Learner, cross_entropy, layered_parts, make_optimizer
from ._utils import torch_generator
from .layers import SparseLinear  # heads are dense SparseLinear layers: seeded init, FA feedback for bio

__all__ = ["similarity_matrix", "LocalHead", "LocalLearner", "DAGLocalLearner", "BIO_TARGET_DIM"]

#: Width of the random label projection ``P`` of the bio variants.
BIO_TARGET_DIM = 128

_KINDS = ("pred", "sim", "predsim")


def similarity_matrix(h: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Cosine similarity of the row-centred rows of ``h`` (batch x batch), clamped to [-1, 1].

    Each row (one sample) has its mean over features subtracted, is scaled to
    unit norm (``eps`` guards all-constant rows, which map to zero rows), and
    ``S = Hn Hn^T``.

    Examples
    --------
    >>> S = similarity_matrix(torch.eye(3))
    >>> [round(v, 4) for v in S[0].tolist()]
    [1.0, -0.5, -0.5]
    """
    h = h.reshape(h.shape[0], -1)
    hc = h - h.mean(dim=1, keepdim=True)
    hn = hc / (hc.norm(dim=1, keepdim=True) + eps)
    return (hn @ hn.t()).clamp(-1.0, 1.0)


class LocalHead(nn.Module):
    """The local loss of one block (pred, sim or predsim; optionally the bio variant).

    Parameters
    ----------
    n_features : int
        Width of the block's output.
    n_classes : int
        Number of classes.
    kind : {"pred", "sim", "predsim"}
    bio : bool
        The backprop-free variant (see the module docstring).
    beta : float in [0, 1]
        Weight of sim in predsim.
    seed : None, int or Generator
        Initial head weights and, for bio, the projection ``P`` and the FA matrix.
    device, dtype : optional
        Where and in which floating dtype the head's parameters and ``P`` live
        (default: cpu, the default dtype).

    Examples
    --------
    >>> head = LocalHead(8, 3, kind="predsim", seed=0)
    >>> loss = head(torch.randn(5, 8), torch.tensor([0, 1, 2, 0, 1]))
    >>> loss.ndim, bool(loss > 0)
    (0, True)
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        *,
        kind: str = "predsim",
        bio: bool = False,
        beta: float = 0.99,
        seed: Any = None,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {', '.join(map(repr, _KINDS))}, got kind={kind!r}")
        n_classes = check_int(n_classes, "n_classes", min_val=2)
        beta = check_real(beta, "beta", min_val=0, max_val=1)
        self.kind, self.bio, self.beta, self.n_classes = kind, bool(bio), float(beta), int(n_classes)
        g = torch_generator(seed)
        sub = [int(torch.randint(0, 2**62, (1,), generator=g, device="cpu")) for _ in range(3)]
        kw = dict(device=device, dtype=dtype)
        if kind in ("pred", "predsim"):
            n_pred = BIO_TARGET_DIM if bio else n_classes
            self.pred = SparseLinear(n_features, n_pred, feedback="fa" if bio else "bp", seed=sub[0], **kw)
        if kind in ("sim", "predsim") and not bio:
            self.sim_map = SparseLinear(n_features, n_features, bias=False, seed=sub[1], **kw)
        if bio:
            P = torch.randn(n_classes, BIO_TARGET_DIM, generator=torch_generator(sub[2]), dtype=torch.float64, device="cpu")
            self.register_buffer("projection", P.to(device=device, dtype=dtype or torch.get_default_dtype()))

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}, bio={self.bio}, beta={self.beta}, n_classes={self.n_classes}"

    def _pred_loss(self, h: torch.Tensor, y: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        out = self.pred(h)
        if self.bio:
            return F.binary_cross_entropy_with_logits(out, (target > 0).to(out.dtype))
        return F.cross_entropy(out, y)

    def _sim_loss(self, h: torch.Tensor, y: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        if self.bio:
            Sh, Sy = similarity_matrix(h), similarity_matrix(target)
        else:
            Sh = similarity_matrix(self.sim_map(h))
            Sy = similarity_matrix(F.one_hot(y, self.n_classes).to(h.dtype))
        return F.mse_loss(Sh, Sy)

    def forward(self, h: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The block's scalar local loss for features ``h`` (batch x n_features) and labels ``y``."""
        target = F.one_hot(y, self.n_classes).to(h.dtype) @ self.projection if self.bio else None
        if self.kind == "pred":
            return self._pred_loss(h, y, target)
        if self.kind == "sim":
            return self._sim_loss(h, y, target)
        return (1.0 - self.beta) * self._pred_loss(h, y, target) + self.beta * self._sim_loss(h, y, target)


class LocalLearner(Learner):
    """A local-loss rule bound to a layered model: one head and one optimizer per hidden block.

    ``extra["heads"]`` holds the :class:`LocalHead` of each hidden layer; the
    optimizers are ``"block0"``, ``"block1"``, ... (layer + head) and ``"output"``.
    """

    def __init__(
        self,
        model: nn.Module,
        rule: Any,
        *,
        optimizer: str,
        lr: float,
        weight_decay: float,
        seed: Any,
        n_classes: int | None = None,
        beta: float = 0.99,
    ) -> None:
        super().__init__(model, rule)
        self.layers, self.act = layered_parts(model, rule.value)
        if len(self.layers) < 2:
            raise ValueError(f"rule {rule.value!r} needs at least one hidden layer, got {len(self.layers)} layer(s)")
        out_w = self.layers[-1].weight
        n_classes = int(out_w.shape[0]) if n_classes is None else check_int(n_classes, "n_classes", min_val=2)
        beta = check_real(beta, "beta", min_val=0, max_val=1)
        kind = rule.value.split("-")[0]
        g = torch_generator(seed)
        heads = []
        for layer in self.layers[:-1]:
            heads.append(
                LocalHead(
                    int(layer.weight.shape[0]),
                    n_classes,
                    kind=kind,
                    bio=rule.is_bio,
                    beta=beta,
                    seed=int(torch.randint(0, 2**62, (1,), generator=g, device="cpu")),
                    device=out_w.device,
                    dtype=out_w.dtype,
                )
            )
        self.extra["heads"] = nn.ModuleList(heads)
        for i, (layer, head) in enumerate(zip(self.layers[:-1], heads)):
            params = list(layer.parameters()) + list(head.parameters())
            self.optimizers[f"block{i}"] = make_optimizer(optimizer, params, lr, weight_decay)
        self.optimizers["output"] = make_optimizer(optimizer, self.layers[-1].parameters(), lr, weight_decay)
        self._local: list[torch.Tensor] = []

    def local_loss_tensors(self) -> list[torch.Tensor]:
        """The hidden blocks' local losses at the last step (detached 0-d tensors)."""
        return list(self._local)

    def step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        heads = self.extra["heads"]
        h = x
        self._local = []
        for i, layer in enumerate(self.layers[:-1]):
            h, loss = block_update(layer, self.act, heads[i], self.optimizers[f"block{i}"], h, y)
            self._local.append(loss)
        return output_update(self.layers[-1], self.optimizers["output"], h, y)


def block_update(
    layer: nn.Module, act: Any, head: nn.Module, opt: torch.optim.Optimizer, h: torch.Tensor, y: torch.Tensor,
    handoff: Any = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One block of a local-loss network learns from its own head: forward, loss, backward, step.

    ``h`` is detached, so nothing flows back to earlier blocks; the block's
    gradients are freed before the next block runs.  ``handoff(out)``, if
    given, receives the detached output before the backward pass (layer-parallel
    training sends it to the next rank there).  Returns ``(out, loss)``, both
    detached.
    """
    out = act(layer(h))
    if handoff is not None:
        handoff(out.detach())
    loss = head(out, y)
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    return out.detach(), loss.detach()


def output_update(
    layer: nn.Module, opt: torch.optim.Optimizer, h: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The output layer's cross-entropy update on detached ``h``; returns ``(loss, logits)``, detached."""
    logits = layer(h)
    loss = cross_entropy(logits, y)
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    return loss.detach(), logits.detach()


class DAGLocalLearner(Learner):
    """A local-loss rule bound to a :class:`nets.WiredNet`: one :class:`LocalHead` per block.

    ``extra["heads"]`` holds the head of each block (on the block's hidden
    neurons, ``model.block_columns()``); one optimizer ``"model"`` trains the
    network and the heads (see the module docstring for why one is the same as
    one per block).  The caller configures the feedback of the levels (the bio
    variants: FA, by :func:`nets.apply_rule`).

    Examples
    --------
    >>> import networkx as nx
    >>> from nets import WiredNet, Rule
    >>> net = WiredNet(nx.path_graph(8), inputs=1, outputs=1, blocks=2, seed=0)
    >>> learner = DAGLocalLearner(net, Rule.PRED, optimizer="adam", lr=1e-2, weight_decay=0.0, seed=0, n_classes=2)
    >>> len(learner.extra["heads"]), learner.extra["heads"][0].pred.in_features
    (2, 3)
    """

    def __init__(
        self,
        model: nn.Module,
        rule: Any,
        *,
        optimizer: str,
        lr: float,
        weight_decay: float,
        seed: Any,
        n_classes: int | None = None,
        beta: float = 0.99,
    ) -> None:
        super().__init__(model, rule)
        if model.n_blocks == 0:
            raise ValueError(
                f"rule {rule.value!r} needs hidden neurons to put local heads on (neurons with incoming arcs that "
                "are not outputs); this WiredNet has none (use bp)"
            )
        n_classes = int(model.n_outputs) if n_classes is None else check_int(n_classes, "n_classes", min_val=2)
        beta = check_real(beta, "beta", min_val=0, max_val=1)
        kind = rule.value.split("-")[0]
        p = next(model.parameters())
        g = torch_generator(seed)
        self._columns = [torch.as_tensor(c, device=p.device) for c in model.block_columns()]
        heads = [
            LocalHead(
                int(c.numel()), n_classes, kind=kind, bio=rule.is_bio, beta=beta,
                seed=int(torch.randint(0, 2**62, (1,), generator=g, device="cpu")), device=p.device, dtype=p.dtype,
            )  # fmt: skip
            for c in self._columns
        ]
        self.extra["heads"] = nn.ModuleList(heads)
        params = list(model.parameters()) + [q for h in heads for q in h.parameters()]
        self.optimizers["model"] = make_optimizer(optimizer, params, lr, weight_decay)
        self._local: list[torch.Tensor] = []

    def to(self, device: Any) -> "DAGLocalLearner":
        super().to(device)
        self._columns = [c.to(device) for c in self._columns]
        return self

    def local_loss_tensors(self) -> list[torch.Tensor]:
        """The blocks' local losses at the last step (detached 0-d tensors)."""
        return list(self._local)

    def step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        opt = self.optimizers["model"]
        opt.zero_grad(set_to_none=True)
        logits, hidden = self.model.propagate(x, cut="blocks", hidden=True)
        cols = self._columns
        if cols and cols[0].device != hidden.device:
            cols = self._columns = [c.to(hidden.device) for c in cols]
        local = [head(hidden.index_select(1, c), y) for head, c in zip(self.extra["heads"], cols)]
        loss = cross_entropy(logits, y)
        (loss + torch.stack(local).sum()).backward()
        opt.step()
        self._local = [v.detach() for v in local]
        return loss.detach(), logits.detach()
