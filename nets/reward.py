"""Reward-modulated (three-factor) learning: node perturbation and AGREL / Q-AGREL.

Both rules learn from a **scalar** per trial (one trial = one sample) that is
broadcast to every synapse, like dopamine; neither sends a per-output error
vector into the network.

**Node perturbation** (:class:`NodePerturbationLearner`, ``"node-perturbation"``;
Fiete & Seung 2006, Werfel et al. 2005, Dalm et al. 2023).  A *noisy* forward
pass adds Gaussian noise ``xi_l ~ N(0, sigma^2)`` to every layer's
pre-activations; each synapse keeps the eligibility ``xi_l h_{l-1}^T`` (its
post-synaptic noise times its pre-synaptic activity in that pass); the
performance error ``L(xi) - Lbar`` -- one number per trial -- arrives and

.. math::  \\Delta W_l = -\\eta\\, (L(\\xi) - \\bar L)\\, \\xi_l\\, h_{l-1}^\\top / \\sigma^2

(the same for biases, with ``h = 1``).  ``L`` is the per-sample output
cross-entropy, computed by the "critic" outside the network.  To first order
in ``sigma``, ``E[(L(xi) - L(0)) xi_l] = sigma^2 dL/da_l``, so the expected
update is the negative gradient (no backward pass, no derivatives, no weights
transported).  Two baselines ``Lbar`` (the *predicted* performance):

- ``"clean"`` (default): ``Lbar`` is the loss of a clean (noise-free) forward
  pass on the same sample -- two forward passes, no backward pass.  Chosen
  as the default because the per-sample prediction removes the loss's
  sample-to-sample spread from the signal: its variance does not grow as
  ``sigma`` shrinks, whereas with a scalar running baseline the term
  ``(L(0) - Lbar) xi / sigma^2`` has a standard deviation ``~ 1/sigma``.
- ``"running"``: ``Lbar`` is a running (exponential, decay 0.99) average of
  the batch-mean noisy loss, kept in the learner's state (a buffer saved in
  checkpoints); one forward pass per trial, much noisier.

The running average is tracked in both modes (it is the learner's "prediction"
reported in checkpoints).  The decorrelated variant (Dalm et al. 2023) is not
offered: it needs an extra learned decorrelation matrix per layer.

**AGREL / Q-AGREL** (:class:`AgrelLearner`, ``"agrel"``; Roelfsema & van
Ooyen 2005; Pozzi, Bohté & Roelfsema 2020).  The outputs are action values
``Q`` (the logits).  Per trial the network *chooses* one class ``a``: the
argmax of ``Q`` with epsilon-greedy exploration (probability ``epsilon``,
default 0.05, a uniformly random class instead), or a Boltzmann draw from
``softmax(Q / T)``.  The environment answers with reward ``r = 1`` if ``a`` is
the label, else ``0`` -- that bit is all the network learns from.  The reward
prediction error ``delta = r - Q_a`` is broadcast as a global neuromodulator.
Only the chosen output unit sends *attentional feedback* back through the
network: ``g_L = onehot(a)``, ``g_{l-1} = f'(a_{l-1}) \\odot (W_l^T g_l)``;
each synapse holds the tag ``g_l h_{l-1}^T`` (feedback at its post-synaptic
side times its pre-synaptic activity), and

.. math::  \\Delta W_l = \\eta\\, \\delta\\, g_l\\, h_{l-1}^\\top ,

which is ``-eta d/dW [ (r - Q_a)^2 / 2 ]``: exactly the backprop gradient of the
chosen unit's squared error, and in expectation over the exploration
``sum_a pi(a|x) (r_a - Q_a)^2 / 2`` (Pozzi et al.'s result).  Reading of the
paper as implemented here (from the issue text, not re-checked against the
paper): episodes of one step (no discount, no future value), output units
linear, feedback through ``W^T`` -- the paper's assumption that feedback
weights equal the forward weights (kept equal there because both are changed
by the same local rule) -- so AGREL here does **not** remove weight
transport.  Because the feedback pass is linear in its seed, ``delta`` times
the feedback of ``onehot(a)`` equals the feedback of ``delta * onehot(a)``;
the implementation sends the latter through the model's own autograd (masks,
sparse storage and every model with ``bp`` feedback work unchanged).

Both learners write their update into ``.grad`` (only on the mask; under sparse
storage into ``weight_values``) and let the optimizer step, so Adam/SGD,
weight decay, checkpoints and resume work as for every rule.  Their random
draws (noise, exploration) come from their own generator on the CPU (same seed,
same draws on every device), whose state is saved in checkpoints.  Per epoch
they report :meth:`epoch_metrics` -- the "dopamine trace": ``rpe`` (mean
``delta``, for node perturbation ``L(xi) - Lbar``), ``rpe_abs`` (mean
``|delta|``) and, for AGREL, ``reward`` (mean reward).  The loss they return to
:func:`nets.train` (its ``train_loss``) is the output cross-entropy of the clean
pass, as for every rule, for comparison only: it plays no part in the update.

References
----------
.. [1] I. R. Fiete and H. S. Seung, "Gradient learning in spiking neural networks by dynamic
   perturbation of conductances", Phys. Rev. Lett. 97:048104 (2006). doi:10.1103/PhysRevLett.97.048104
.. [2] J. Werfel, X. Xie and H. S. Seung, "Learning curves for stochastic gradient descent in
   linear feedforward networks", Neural Comput. 17(12):2699-2718 (2005). doi:10.1162/089976605774320539
.. [3] S. Dalm, M. van Gerven and N. Ahmad, "Effective learning with node perturbation in deep
   neural networks", arXiv:2310.00965 (2023).
.. [4] P. R. Roelfsema and A. van Ooyen, "Attention-gated reinforcement learning of internal
   representations for classification", Neural Comput. 17(10):2176-2214 (2005).
   doi:10.1162/0899766054615699
.. [5] I. Pozzi, S. Bohté and P. Roelfsema, "Attention-gated brain propagation: how the brain can
   implement reward-based error backpropagation", NeurIPS 2020. arXiv:1811.01768
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from smallworld._validation import check_choice, check_int, check_real

from ._learner import Learner, cross_entropy, layered_parts, make_optimizer
from ._utils import seed_int

__all__ = [
    "NodePerturbationLearner",
    "AgrelLearner",
    "NP_SIGMA",
    "AGREL_EPSILON",
    "set_masked_grad",
]

#: Default noise standard deviation of node perturbation (pre-activations have scale ~1 at init).
NP_SIGMA = 1e-2
#: Default exploration rate of AGREL's epsilon-greedy action choice.
AGREL_EPSILON = 0.05


def set_masked_grad(layer: nn.Module, grad_w: torch.Tensor, grad_b: torch.Tensor | None) -> None:
    """Write a dense ``(out, in)`` weight update into the layer's ``.grad``, only on its mask.

    Dense storage: ``weight.grad = grad_w * mask``; sparse storage
    (:class:`~nets.SparseLinear` with ``weight_values``): the values of
    ``grad_w`` at the mask's nonzeros, in the same row-major order.  A layer
    without a ``mask`` (e.g. :class:`torch.nn.Linear`) gets ``grad_w`` as is.
    The bias (if any) gets ``grad_b``.

    Examples
    --------
    >>> from nets import SparseLinear
    >>> layer = SparseLinear(2, 2, torch.tensor([[1, 0], [1, 1]]), seed=0)
    >>> set_masked_grad(layer, torch.ones(2, 2), torch.zeros(2))
    >>> layer.weight.grad.tolist()
    [[1.0, 0.0], [1.0, 1.0]]
    """
    if getattr(layer, "sparse_storage", False):
        p = layer.weight_values
        g = grad_w.reshape(-1)[layer._structure().flat.to(grad_w.device)]
    else:
        p = layer.weight
        mask = getattr(layer, "mask", None)
        g = grad_w * mask if mask is not None else grad_w
    p.grad = g.to(p.dtype).reshape(p.shape)
    if getattr(layer, "bias", None) is not None and grad_b is not None:
        layer.bias.grad = grad_b.to(layer.bias.dtype)


class _RewardState(nn.Module):
    """Buffers saved in checkpoints: the running baseline and the learner's RNG state."""

    def __init__(self, rng_state: torch.Tensor, device: Any = None) -> None:
        super().__init__()
        self.register_buffer("baseline", torch.zeros((), dtype=torch.float64, device=device))
        self.register_buffer("n_updates", torch.zeros((), dtype=torch.int64, device=device))
        self.register_buffer("rng", rng_state.clone().to(device))


class _RewardLearner(Learner):
    """Shared parts: a CPU generator saved with the state, one optimizer, the dopamine trace."""

    def __init__(self, model: nn.Module, rule: Any, *, optimizer: str, lr: float, weight_decay: float, seed: Any) -> None:
        super().__init__(model, rule)
        self._gen = torch.Generator(device="cpu").manual_seed(seed_int(seed))
        device = next((p.device for p in model.parameters()), None)
        self.extra["state"] = _RewardState(self._gen.get_state(), device)  # beside the model, like DFA's B
        self.optimizers["model"] = make_optimizer(optimizer, model.parameters(), lr, weight_decay)
        self._reset_trace()

    def _reset_trace(self) -> None:
        self._trace: dict[str, Any] = {}
        self._trace_n = 0

    def _accumulate(self, **values: torch.Tensor) -> None:
        """Add per-trial values (1-d tensors, one entry per sample) to the epoch's sums (no host sync)."""
        for k, v in values.items():
            s = v.detach().to(torch.float64).sum()
            self._trace[k] = self._trace[k] + s if k in self._trace else s
        self._trace_n += int(next(iter(values.values())).shape[0])

    def epoch_metrics(self) -> dict[str, float]:
        """Means over the trials since the last call (the epoch's dopamine trace); resets the sums.

        ``nets.train`` merges them into each epoch's history record.
        """
        n = max(self._trace_n, 1)
        out = {k: float(v) / n for k, v in self._trace.items()}
        self._reset_trace()
        return out

    def _randn(self, shape: tuple, like: torch.Tensor) -> torch.Tensor:
        return torch.randn(shape, generator=self._gen, dtype=torch.float64, device="cpu").to(like.device, like.dtype)

    def state_dict(self) -> dict:
        self.extra["state"].rng.copy_(self._gen.get_state().to(self.extra["state"].rng.device))
        return super().state_dict()

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self._gen.set_state(self.extra["state"].rng.detach().cpu().to(torch.uint8))
        self._reset_trace()


class NodePerturbationLearner(_RewardLearner):
    """Node perturbation bound to a layered model (``.layers`` + ``.act``, e.g. :class:`~nets.SparseMLP`).

    Parameters
    ----------
    model : torch.nn.Module
        A layered model; :class:`~nets.WiredNet` is refused (``TypeError``).
    optimizer, lr, weight_decay
        As for :func:`nets.apply_rule`.
    seed : None, int or Generator
        Seeds the noise.
    sigma : float > 0
        Standard deviation of the noise on every pre-activation (default :data:`NP_SIGMA`).
    baseline : {"clean", "running"}
        The prediction ``Lbar`` subtracted from the noisy loss (see :mod:`nets.reward`).
    baseline_decay : float in [0, 1)
        Decay of the running average of the loss.

    Examples
    --------
    >>> from nets import SparseMLP
    >>> net = SparseMLP([4, 8, 3], seed=0)
    >>> learner = NodePerturbationLearner(net, optimizer="adam", lr=1e-3, weight_decay=0.0, seed=0)
    >>> loss, logits = learner.step(torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1]))
    >>> tuple(logits.shape), sorted(learner.epoch_metrics())
    ((5, 3), ['rpe', 'rpe_abs'])
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        optimizer: str,
        lr: float,
        weight_decay: float,
        seed: Any,
        sigma: float = NP_SIGMA,
        baseline: str = "clean",
        baseline_decay: float = 0.99,
    ) -> None:
        from .models import WiredNet
        from .rules import Rule

        if isinstance(model, WiredNet):  # checked here too, whatever layered_parts learns about DAGs
            raise TypeError(
                "rule 'node-perturbation' needs a layered MLP (nets.SparseMLP): it perturbs each layer of a chain; "
                "a WiredNet's levels read all earlier levels, which is not implemented (use agrel, bp, fa, usf or frsf)"
            )
        self.layers, self.act = layered_parts(model, Rule.NODE_PERTURBATION.value)
        self.sigma = check_real(sigma, "sigma", min_val=0, include_min=False)
        self.baseline = check_choice(baseline, "baseline", ("clean", "running"))
        self.baseline_decay = check_real(baseline_decay, "baseline_decay", min_val=0, max_val=1, include_max=False)
        super().__init__(model, Rule.NODE_PERTURBATION, optimizer=optimizer, lr=lr, weight_decay=weight_decay, seed=seed)

    def _forward(self, x: torch.Tensor, noisy: bool) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        h, pres, noises = x, [], []
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            a = layer(h)
            if noisy:
                xi = self._randn(tuple(a.shape), a) * self.sigma
                pres.append(h)
                noises.append(xi)
                a = a + xi
            h = self.act(a) if i < last else a
        return h, pres, noises

    def step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        opt = self.optimizers["model"]
        opt.zero_grad(set_to_none=True)
        delta, logits = self.perturb(x, y)
        opt.step()
        self._accumulate(rpe=delta, rpe_abs=delta.abs())
        return cross_entropy(logits, y).detach(), logits

    @torch.no_grad()
    def perturb(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One trial per sample: write the node-perturbation update into ``.grad`` (no optimizer step).

        Returns ``delta = L(xi) - Lbar`` per sample and the logits (clean pass;
        the noisy pass for ``baseline="running"``).  Updates the running baseline.
        """
        state = self.extra["state"]
        noisy_logits, pres, noises = self._forward(x, noisy=True)
        loss_noisy = F.cross_entropy(noisy_logits, y, reduction="none")  # the critic: one number per trial
        if self.baseline == "clean":
            logits, _, _ = self._forward(x, noisy=False)
            predicted = F.cross_entropy(logits, y, reduction="none")
        else:
            logits = noisy_logits
            first = bool(state.n_updates == 0)
            predicted = (loss_noisy.mean() if first else state.baseline).to(loss_noisy.dtype).expand_as(loss_noisy)
        delta = loss_noisy - predicted  # the only signal that reaches the synapses
        m = loss_noisy.detach().mean().to(torch.float64)
        d = self.baseline_decay
        state.baseline.copy_(torch.where(state.n_updates == 0, m, d * state.baseline + (1 - d) * m))
        state.n_updates += 1
        coef = delta / (self.sigma**2 * x.shape[0])
        for layer, h, xi in zip(self.layers, pres, noises):
            e = xi * coef[:, None]  # post-synaptic eligibility times the broadcast scalar
            set_masked_grad(layer, e.t() @ h.reshape(h.shape[0], -1), e.sum(0))
        return delta, logits


class AgrelLearner(_RewardLearner):
    """AGREL / Q-AGREL: learn from a 0/1 reward for one chosen class (see :mod:`nets.reward`).

    Works with any model whose backward is plain backprop (``SparseMLP``,
    ``WiredNet``, torch modules): the feedback of the chosen unit travels
    through the model's own backward.

    Parameters
    ----------
    model : torch.nn.Module
        Returns action values ``Q`` ``(batch, n_outputs)``.
    optimizer, lr, weight_decay
        As for :func:`nets.apply_rule`.
    seed : None, int or Generator
        Seeds the exploration.
    n_classes : int, optional
        Actions are classes ``0..n_classes-1`` (default: every output).
    exploration : {"epsilon", "boltzmann"}
        Epsilon-greedy (default) or a draw from ``softmax(Q / temperature)``.
    epsilon : float in [0, 1]
        Exploration rate of epsilon-greedy (default :data:`AGREL_EPSILON`).
    temperature : float > 0
        Temperature of Boltzmann exploration.

    Examples
    --------
    >>> from nets import SparseMLP
    >>> net = SparseMLP([4, 8, 3], seed=0)
    >>> learner = AgrelLearner(net, optimizer="adam", lr=1e-3, weight_decay=0.0, seed=0)
    >>> loss, q = learner.step(torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1]))
    >>> sorted(learner.epoch_metrics())
    ['reward', 'rpe', 'rpe_abs']
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        optimizer: str,
        lr: float,
        weight_decay: float,
        seed: Any,
        n_classes: int | None = None,
        exploration: str = "epsilon",
        epsilon: float = AGREL_EPSILON,
        temperature: float = 0.1,
    ) -> None:
        from .rules import Rule

        self.n_classes = None if n_classes is None else check_int(n_classes, "n_classes", min_val=2)
        self.exploration = check_choice(exploration, "exploration", ("epsilon", "boltzmann"))
        self.epsilon = check_real(epsilon, "epsilon", min_val=0, max_val=1)
        self.temperature = check_real(temperature, "temperature", min_val=0, include_min=False)
        super().__init__(model, Rule.AGREL, optimizer=optimizer, lr=lr, weight_decay=weight_decay, seed=seed)
        self.last_actions: torch.Tensor | None = None

    def policy(self, q: torch.Tensor) -> torch.Tensor:
        """Choice probabilities ``pi(a | x)`` ``(batch, n_classes)`` for action values ``q``.

        Epsilon-greedy: ``(1 - epsilon)`` on the argmax (the first one on ties) plus
        ``epsilon / n_classes`` on every class; Boltzmann: ``softmax(q / temperature)``.
        """
        q = q.detach()[:, : self.n_classes or q.shape[1]].to(torch.float64)
        k = q.shape[1]
        if self.exploration == "boltzmann":
            return torch.softmax(q / self.temperature, dim=1)
        greedy = F.one_hot(q.argmax(1), k).to(torch.float64)
        return (1 - self.epsilon) * greedy + self.epsilon / k

    def choose(self, q: torch.Tensor) -> torch.Tensor:
        """Draw one action per trial from :meth:`policy` (the learner's own generator)."""
        q = q.detach()[:, : self.n_classes or q.shape[1]]
        b, k = q.shape
        if self.exploration == "boltzmann":
            p = torch.softmax(q.to(torch.float64) / self.temperature, dim=1).cpu()
            return torch.multinomial(p, 1, generator=self._gen).reshape(-1).to(q.device)
        explore = torch.rand(b, generator=self._gen, dtype=torch.float64) < self.epsilon
        random = torch.randint(0, k, (b,), generator=self._gen)
        return torch.where(explore.to(q.device), random.to(q.device), q.argmax(1))

    def reinforce(self, q: torch.Tensor, actions: torch.Tensor, rewards: torch.Tensor) -> torch.Tensor:
        """One update from the chosen ``actions`` and their ``rewards`` (no labels); returns ``delta``.

        ``q`` must be the model's output with its autograd graph; ``delta = r - q_a``
        is broadcast and only the chosen unit's feedback reaches the synapses.
        """
        q_a = q.detach().gather(1, actions[:, None]).squeeze(1)
        delta = rewards.to(q_a.dtype) - q_a
        seed = torch.zeros_like(q).scatter_(1, actions[:, None], (-delta / q.shape[0])[:, None])  # d/dQ of (r-Q_a)^2/2
        opt = self.optimizers["model"]
        opt.zero_grad(set_to_none=True)
        q.backward(seed)
        opt.step()
        return delta

    def step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        q = self.model(x)
        with torch.no_grad():
            actions = self.choose(q)
            rewards = (actions == y).to(q.dtype)  # the environment: the label is used here only
        self.last_actions = actions
        delta = self.reinforce(q, actions, rewards)
        self._accumulate(rpe=delta, rpe_abs=delta.abs(), reward=rewards)
        q = q.detach()
        return cross_entropy(q, y), q
