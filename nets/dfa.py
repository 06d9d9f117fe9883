"""Direct feedback alignment (Nøkland 2016) as one ``torch.autograd.Function``.

In DFA every hidden layer ``i`` receives the **output error** ``e = dL/dy``
through its own fixed random matrix ``B_i`` (shape ``n_out x n_i``) instead of
the error backpropagated through the layers above:

.. math::  \\delta a_i = (e B_i) \\odot f'(a_i), \\qquad \\Delta W_i \\propto -\\delta a_i^\\top h_{i-1}.

Implementation (no hooks): the forward runs the layers as usual but feeds each
layer a *detached* copy of the previous activation, so no gradient crosses
layers.  The logits then pass through :class:`DFAOutput`, an identity whose
backward receives ``e`` and returns, in the same pass, ``e`` for the logits
and ``e @ B_i`` for every hidden activation ``h_i``; autograd carries that
through ``f'`` and into each layer's own (masked) weight gradient.

On a DAG (:class:`nets.WiredNet`, :class:`DAGDFALearner`) every *hidden
neuron* -- one with incoming arcs that is not an output -- gets its own column
of one fixed random ``B`` (``n_out x n_hidden``): ``dh_j = (e B)_j``, and no
error travels along any arc (``propagate(cut="all")``); the output neurons
receive ``e`` itself.  That is the layered rule with each neuron its own layer.

References
----------
.. [1] A. Nøkland, "Direct feedback alignment provides learning in deep neural networks",
   NeurIPS 2016. arXiv:1609.01596
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

from ._learner import Learner, cross_entropy, layered_parts, make_optimizer
from ._utils import apply_function, torch_generator

__all__ = ["DFAOutput", "DFAFeedback", "dfa_forward", "DFALearner", "DAGDFALearner"]


class DFAOutput(torch.autograd.Function):
    """Identity on the logits whose backward broadcasts the output error to hidden layers.

    ``DFAOutput.apply(logits, feedback, *hidden)`` returns ``logits``; in backward,
    with ``e`` the gradient of the loss w.r.t. the logits, it returns ``e`` for the
    logits and ``e @ feedback[i]`` for ``hidden[i]``.

    Examples
    --------
    >>> y = torch.zeros(2, 3, requires_grad=True)
    >>> h = torch.zeros(2, 4, requires_grad=True)
    >>> B = [torch.ones(3, 4)]
    >>> DFAOutput.apply(y, B, h).sum().backward()
    >>> h.grad.tolist()
    [[3.0, 3.0, 3.0, 3.0], [3.0, 3.0, 3.0, 3.0]]
    """

    @staticmethod
    def forward(logits: torch.Tensor, feedback: Sequence[torch.Tensor], *hidden: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if len(feedback) != len(hidden):
            raise ValueError(f"DFAOutput needs one feedback matrix per hidden tensor, got {len(feedback)} and {len(hidden)}")
        return logits.view_as(logits)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: torch.Tensor) -> None:
        ctx.feedback = tuple(inputs[1])
        ctx.dtypes = tuple(h.dtype for h in inputs[2:])

    @staticmethod
    def backward(ctx: Any, e: torch.Tensor) -> tuple:  # type: ignore[override]
        # e @ B_i in e's dtype (under autocast e may be float16/bfloat16 while B_i is not)
        grads = tuple(e.mm(B.to(e.dtype)).to(dt) for B, dt in zip(ctx.feedback, ctx.dtypes))
        return (e, None, *grads)


class DFAFeedback(nn.Module):
    """The fixed random feedback matrices ``B_i`` (buffers ``B0, B1, ...``, shape ``n_out x n_i``).

    Entries are uniform in ``[-1/sqrt(n_out), 1/sqrt(n_out)]`` so that ``e @ B_i`` has the
    scale of ``e``; they are never trained.

    Examples
    --------
    >>> fb = DFAFeedback([8, 6], 3, seed=0)
    >>> [tuple(b.shape) for b in fb.matrices()]
    [(3, 8), (3, 6)]
    """

    def __init__(
        self,
        hidden_sizes: Sequence[int],
        n_out: int,
        *,
        seed: Any = None,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        g = torch_generator(seed)
        bound = 1.0 / float(n_out) ** 0.5
        self.n_hidden = len(hidden_sizes)
        for i, n in enumerate(hidden_sizes):
            B = (torch.rand(n_out, int(n), generator=g, dtype=torch.float64, device="cpu") * 2 - 1) * bound
            self.register_buffer(f"B{i}", B.to(device=device, dtype=dtype or torch.get_default_dtype()))

    def matrices(self) -> list[torch.Tensor]:
        """The ``B_i`` in layer order."""
        return [getattr(self, f"B{i}") for i in range(self.n_hidden)]


def dfa_forward(layers: Sequence[nn.Module], act: Any, feedback: DFAFeedback, x: torch.Tensor) -> torch.Tensor:
    """Forward pass for DFA training: detached layer inputs, logits through :class:`DFAOutput`.

    The returned logits equal the model's plain forward; only the backward differs.
    """
    hidden = []
    h = x
    for layer in layers[:-1]:
        h = act(layer(h))
        hidden.append(h)
        h = h.detach()
    logits = layers[-1](h)
    return apply_function(DFAOutput, logits, feedback.matrices(), *hidden)


class DFALearner(Learner):
    """DFA bound to a layered model (``.layers``, ``.act``); the ``B_i`` live in ``extra["feedback"]``."""

    def __init__(self, model: nn.Module, *, optimizer: str, lr: float, weight_decay: float, seed: Any) -> None:
        from .rules import Rule

        super().__init__(model, Rule.DFA)
        self.layers, self.act = layered_parts(model, "dfa")
        if len(self.layers) < 2:
            raise ValueError(f"rule 'dfa' needs at least one hidden layer, got {len(self.layers)} layer(s)")
        w = self.layers[-1].weight
        self.extra["feedback"] = DFAFeedback(
            [int(layer.weight.shape[0]) for layer in self.layers[:-1]],
            int(w.shape[0]),
            seed=seed,
            device=w.device,
            dtype=w.dtype,
        )
        self.optimizers["model"] = make_optimizer(optimizer, model.parameters(), lr, weight_decay)

    def step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        opt = self.optimizers["model"]
        opt.zero_grad(set_to_none=True)
        logits = dfa_forward(self.layers, self.act, self.extra["feedback"], x)
        loss = cross_entropy(logits, y)
        loss.backward()
        opt.step()
        return loss.detach(), logits.detach()


class DAGDFALearner(Learner):
    """DFA bound to a :class:`nets.WiredNet`: one ``B`` column per hidden neuron, no error along arcs.

    ``extra["feedback"]`` holds ``B`` (``n_outputs x len(model.hidden_neurons)``,
    the same draw as :class:`DFAFeedback`); one optimizer ``"model"``.  The
    forward is the model's own (``propagate(cut="all", hidden=True)``); the
    logits pass through :class:`DFAOutput`, whose backward puts ``e B`` on the
    hidden activations, and the fused kernel carries it through ``f'`` into each
    neuron's incoming weights and bias.

    Examples
    --------
    >>> import networkx as nx
    >>> from nets import WiredNet
    >>> net = WiredNet(nx.cycle_graph(8), inputs=2, outputs=2, seed=0)
    >>> learner = DAGDFALearner(net, optimizer="adam", lr=1e-2, weight_decay=0.0, seed=0)
    >>> tuple(learner.extra["feedback"].B0.shape), net.hidden_neurons.tolist()  # neuron 1 is an input with an in-arc
    ((2, 5), [1, 2, 3, 4, 5])
    """

    def __init__(self, model: nn.Module, *, optimizer: str, lr: float, weight_decay: float, seed: Any) -> None:
        from .rules import Rule

        super().__init__(model, Rule.DFA)
        n_hidden = int(model.hidden_neurons.size)
        if n_hidden == 0:
            raise ValueError(
                "rule 'dfa' needs hidden neurons (neurons with incoming arcs that are not outputs); this WiredNet "
                "has none, so the output error has nowhere to go but the outputs (use bp)"
            )
        p = next(model.parameters())
        self.extra["feedback"] = DFAFeedback([n_hidden], int(model.n_outputs), seed=seed, device=p.device, dtype=p.dtype)
        self.optimizers["model"] = make_optimizer(optimizer, model.parameters(), lr, weight_decay)

    def step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        opt = self.optimizers["model"]
        opt.zero_grad(set_to_none=True)
        logits, hidden = self.model.propagate(x, cut="all", hidden=True)
        logits = apply_function(DFAOutput, logits, self.extra["feedback"].matrices(), hidden)
        loss = cross_entropy(logits, y)
        loss.backward()
        opt.step()
        return loss.detach(), logits.detach()
