"""Dendritic cortical microcircuits (Sacramento et al. 2018), rate-based, as a :class:`~nets.Learner`.

Every hidden layer ``k`` of a layered model (``.layers`` + ``.act``, e.g.
:class:`~nets.SparseMLP`) is a population of two-compartment-plus-soma
*pyramidal* neurons, paired with *interneurons* -- one per neuron of the layer
above.  With ``r = phi(u)`` (``phi`` the model's ``act``; the output layer is
linear, its rate is its potential) the dynamics are

.. math::

   \\dot u_k &= -g_{lk} u_k + g_B (v_{B,k} - u_k) + g_A (v_{A,k} - u_k) \\;(+\\,\\sigma\\xi), \\\\
   v_{B,k} &= W^{PP}_{k,k-1} r_{k-1}, \\qquad v_{A,k} = W^{PP}_{k,k+1} r_{k+1} + W^{PI}_k \\phi_{k+1}(u^I_k), \\\\
   \\dot u_N &= -g_{lk} u_N + g_B (v_{B,N} - u_N) + g_{som} (u_{trgt} - u_N)  \\quad\\text{(output, target present)}, \\\\
   \\dot u^I_k &= -g_{lk} u^I_k + g_D (v^I_k - u^I_k) + g_{som} (u_{k+1} - u^I_k), \\qquad v^I_k = W^{IP}_k r_k,

and the plasticity, local to each synapse (``eta`` folded into the optimizer):

.. math::

   \\Delta W^{PP}_{k,k-1} &\\propto (\\phi(u_k) - \\phi(\\hat v_{B,k})) r_{k-1}^\\top, \\quad
   \\hat v_{B,k} = \\tfrac{g_B}{g_{lk} + g_B + g_A} v_{B,k}  \\;(\\text{output: } \\tfrac{g_B}{g_{lk} + g_B}), \\\\
   \\Delta W^{IP}_k &\\propto (\\phi_{k+1}(u^I_k) - \\phi_{k+1}(\\hat v^I_k)) r_k^\\top, \\quad
   \\hat v^I_k = \\tfrac{g_D}{g_{lk} + g_D} v^I_k, \\qquad
   \\Delta W^{PI}_k \\propto -v_{A,k}\\, \\phi_{k+1}(u^I_k)^\\top .

The apical potential ``v_A`` carries the error while the soma keeps carrying the
signal: in the *self-predicting* state (``W^PI`` cancels the top-down input for
every input, ``W^IP`` copies the layer above) ``v_A = 0`` without a target; a
target nudges the output and the mismatch reaches every layer's apical dendrite
at once, with no separate backward phase.

**Parametrisation.**  The forward weights *are* the model's own layers (masks,
small-world wirings and sparse storage apply; off-mask weights stay exactly 0).
A layer's output ``W x + b`` is read as the dendritic prediction ``v̂_B``, i.e.
the paper's ``W^PP`` times the attenuation ``g_B / (g_lk + g_B + g_A)`` (output:
``g_B / (g_lk + g_B)``); likewise ``W^IP x + b^I`` is ``v̂^I``.  So the model's
plain forward pass is exactly the microcircuit's steady state in the
self-predicting state without a target (``v_A = 0``), which is what
:func:`nets.train` evaluates; constant factors of the paper's updates go into the
learning rate.  Layers get biases (the model's own, and ``b^I`` for interneurons),
learned by the same rules with a presynaptic rate of 1.

**Modes.**  ``"steady"`` (default, fast): the potentials solve the fixed-point
equations of the dynamics (``u_k = v̂_{B,k} + g_A/(g_lk+g_B+g_A) v_{A,k}``,
``u_N = (1-λ_N) v̂_{B,N} + λ_N u_trgt`` with ``λ_N = g_som/(g_lk+g_B+g_som)``,
``u^I_k = (1-λ_I) v̂^I_k + λ_I u_{k+1}`` with ``λ_I = g_som/(g_lk+g_D+g_som)``),
computed as one forward sweep (no target: every ``u_k = v̂_{B,k}``) followed by
``iterations`` relaxation sweeps; each sweep takes the basal and interneuron
predictions from the previous sweep's rates and then sets the output, the
interneurons and the pyramidal somata top-down (layer ``k`` sees the new ``u_{k+1}``).
``iterations=1`` is the two-step approximation (a forward sweep, one top-down
sweep); more sweeps converge to the fixed point, which is where the Euler
dynamics settle.  The update uses the state of the last sweep.  ``"euler"``:
the dynamics above integrated from rest (``u = 0``) with step ``dt`` for
``n_steps`` steps, the pattern (and target) held fixed and the weights constant
during the presentation; the plasticity drive of every step is low-pass filtered
with time constant ``tau_w`` (filter state starting at 0 for each pattern) and
the filter output at the end, divided by ``1 - (1 - dt/tau_w)^n_steps`` (so a
constant drive is returned unchanged), is the update.  Noise ``sigma xi``
(white, ``noise`` = sigma) enters the Euler somata only.

**Targets.**  For :func:`nets.train` (labels) the output target is
``target="cross-entropy"`` (default): ``u_trgt = z + (onehot(y) - softmax(z))``
with ``z`` the free output, so the output update is the cross-entropy gradient;
``"one-hot"``: ``u_trgt = onehot(y)``.  :meth:`DendriticLearner.step_target` takes
any output potential target (regression) or none (self-prediction learning).

**Top-down weights** ``W^PP_{k,k+1}`` (``top_down``): ``"random"`` (default; fixed,
feedback-alignment-like), ``"learned"`` (random start; an inverse-model rule
``ΔW^PP_{k,k+1} ∝ (φ(u_k) - φ(W^PP_{k,k+1} r_{k+1})) r_{k+1}^T`` in the spirit of target
propagation) or ``"symmetric"`` (kept equal to ``W_{k+1}^T`` at every step: weight
transport, the backprop limit, for comparisons).  By default the microcircuit
follows the wiring: ``W^IP_k`` uses the mask of layer ``k+1`` (interneuron ``i``
sees what pyramidal ``i`` above sees), ``W^PI_k`` and ``W^PP_{k,k+1}`` its
transpose; ``dense_feedback=True`` makes them dense.  ``init="self-predicting"``
(default) starts ``W^IP = W_{k+1}``, ``b^I = b_{k+1}``, ``W^PI = -W^PP_{k,k+1}``
(a one-off copy standing for the self-prediction pre-training the paper shows to
emerge, see the tests); ``init="random"`` draws them.

**Constants** (:data:`CONSTANTS`): g_lk 0.1, g_A 0.8, g_B 1.0, g_D 1.0, g_som 0.8
(output nudging and interneuron nudging), dt 0.1 ms, 1,000 steps per pattern,
τ_w 30 ms, conductances in 1/ms with unit capacitance.  They follow the list of
public reimplementations given in the project's issue 12; the literature search
tools were not available while this module was written, so none of them could
be checked against the paper's supplement, nor could the top-down learning rule.

References
----------
.. [1] J. Sacramento, R. Ponte Costa, Y. Bengio and W. Senn, "Dendritic cortical microcircuits
   approximate the backpropagation algorithm", NeurIPS 2018. arXiv:1810.11393
.. [2] Y. Bengio, D.-H. Lee, J. Bornschein, T. Mesnard and Z. Lin, "Towards biologically
   plausible deep learning", arXiv:1502.04156 (2015).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from smallworld._validation import check_bool, check_choice, check_int, check_real

from ._learner import Learner, cross_entropy, layered_parts, make_optimizer
from ._utils import seed_int
from .reward import set_masked_grad

__all__ = ["DendriticLearner", "SoftRectifier", "MicrocircuitState", "CONSTANTS", "PI_LR_FACTOR", "angles_to_backprop"]

#: Default learning rate of W^PI relative to ``lr`` (see :class:`DendriticLearner`, ``pi_lr``).
PI_LR_FACTOR = 0.1
#: Default constants (issue 12's list of public reimplementations; not checked against the paper).
CONSTANTS: dict[str, float] = {
    "g_lk": 0.1, "g_A": 0.8, "g_B": 1.0, "g_D": 1.0, "g_som": 0.8, "dt": 0.1, "n_steps": 1000, "tau_w": 30.0,
}  # fmt: skip


class SoftRectifier(nn.Module):
    """``phi(u) = gamma * log(1 + exp(beta * (u - theta)) / beta)``; defaults give the issue's
    ``0.1 log(1 + e^(u - 3))`` (the teacher-student task).

    Examples
    --------
    >>> round(float(SoftRectifier()(torch.tensor(3.0))), 4)
    0.0693
    """

    def __init__(self, gamma: float = 0.1, beta: float = 1.0, theta: float = 3.0) -> None:
        super().__init__()
        self.gamma = check_real(gamma, "gamma", min_val=0, include_min=False)
        self.beta = check_real(beta, "beta", min_val=0, include_min=False)
        self.theta = check_real(theta, "theta")

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.gamma * F.softplus(u - self.theta, beta=self.beta)

    def extra_repr(self) -> str:
        return f"gamma={self.gamma}, beta={self.beta}, theta={self.theta}"


class _Interneurons(nn.Module):
    """Layer k's microcircuit weights: W^IP (n_{k+1} x n_k), b^I, W^PI (n_k x n_{k+1}), top-down W^PP_{k,k+1}."""

    def __init__(self, n_k: int, n_up: int, learned_down: bool, g: torch.Generator, device: Any, dtype: Any) -> None:
        super().__init__()

        def draw(shape: tuple, fan_in: int) -> torch.Tensor:
            w = (torch.rand(shape, generator=g, dtype=torch.float64) * 2 - 1) / math.sqrt(fan_in)
            return w.to(device=device, dtype=dtype)

        self.ip_weight = nn.Parameter(draw((n_up, n_k), n_k))
        self.ip_bias = nn.Parameter(torch.zeros(n_up, device=device, dtype=dtype))
        self.pi_weight = nn.Parameter(draw((n_k, n_up), n_up))
        down = draw((n_k, n_up), n_up)
        if learned_down:
            self.down = nn.Parameter(down)
        else:
            self.register_buffer("down", down)


@dataclass
class MicrocircuitState:
    """The settled state of one presentation (all ``(batch, n)`` tensors, lists over layers).

    ``pre[k]``: the rates feeding layer ``k`` (``pre[0]`` is the input); ``vb[k]``: basal
    prediction ``v̂_B`` of layer ``k``; ``u[k]``: somatic potentials; hidden layers only:
    ``vi[k]`` interneuron prediction ``v̂^I``, ``ui[k]`` interneuron potentials, ``va[k]``
    apical potentials; ``free``: the free (no-target) output of the forward sweep.
    """

    pre: list
    vb: list
    u: list
    vi: list
    ui: list
    va: list
    free: torch.Tensor


class DendriticLearner(Learner):
    """The microcircuit of Sacramento et al. (2018) bound to a layered model (see :mod:`nets.dendritic`).

    Parameters
    ----------
    model : torch.nn.Module
        A layered model with at least one hidden layer (``.layers`` + ``.act``, e.g.
        :class:`~nets.SparseMLP`); its layers are the forward weights ``W^PP_{k,k-1}``.
    optimizer, lr, weight_decay
        As for :func:`nets.apply_rule`; the model's layers use ``lr``, the interneuron
        (``W^IP``, ``b^I``) and learned top-down weights ``interneuron_lr`` (default ``lr``:
        with Adam and ``init="self-predicting"`` the interneurons then track the layer above),
        ``W^PI`` uses ``pi_lr`` (default ``PI_LR_FACTOR * lr`` = ``0.1 * lr``: the W^PI rule also
        learns to cancel the predictable part of the error, so it is kept slow).
    seed : None, int or Generator
        Seeds the microcircuit's random weights and the Euler noise.
    mode : {"steady", "euler"}
        Steady-state sweeps (fast) or Euler integration of the dynamics.
    iterations : int >= 1
        Steady mode: relaxation sweeps after the forward sweep (1: the two-step approximation).
    top_down : {"random", "learned", "symmetric"}
    init : {"self-predicting", "random"}
    target : {"cross-entropy", "one-hot"}
        Output target built from labels in :meth:`step`.
    dense_feedback : bool
        Dense microcircuit weights instead of ones that follow the layers' masks.
    interneuron_lr, pi_lr : float, optional
        See ``optimizer`` above.
    g_lk, g_A, g_B, g_D, g_som, dt, n_steps, tau_w : float
        Conductances (1/ms), Euler step (ms), steps per pattern, weight low-pass (ms);
        defaults :data:`CONSTANTS`.
    noise : float >= 0
        Euler mode: standard deviation of white noise on the somatic potentials.

    Examples
    --------
    >>> from nets import SparseMLP
    >>> net = SparseMLP([4, 8, 3], seed=0)
    >>> learner = DendriticLearner(net, optimizer="adam", lr=1e-3, weight_decay=0.0, seed=0)
    >>> loss, logits = learner.step(torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1]))
    >>> tuple(logits.shape), sorted(learner.epoch_metrics())
    ((5, 3), ['angles_to_bp', 'apical_sq', 'interneuron_mismatch'])
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        optimizer: str = "adam",
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        seed: Any = None,
        mode: str = "steady",
        iterations: int = 1,
        top_down: str = "random",
        init: str = "self-predicting",
        target: str = "cross-entropy",
        dense_feedback: bool = False,
        interneuron_lr: float | None = None,
        pi_lr: float | None = None,
        g_lk: float = CONSTANTS["g_lk"],
        g_A: float = CONSTANTS["g_A"],
        g_B: float = CONSTANTS["g_B"],
        g_D: float = CONSTANTS["g_D"],
        g_som: float = CONSTANTS["g_som"],
        dt: float = CONSTANTS["dt"],
        n_steps: int = int(CONSTANTS["n_steps"]),
        tau_w: float = CONSTANTS["tau_w"],
        noise: float = 0.0,
    ) -> None:
        from .rules import Rule

        self.layers, self.act = layered_parts(model, Rule.DENDRITIC.value)
        if len(self.layers) < 2:
            raise ValueError(f"rule 'dendritic' needs at least one hidden layer, got {len(self.layers)} layer(s)")
        self.mode = check_choice(mode, "mode", ("steady", "euler"))
        self.iterations = check_int(iterations, "iterations", min_val=1)
        self.top_down = check_choice(top_down, "top_down", ("random", "learned", "symmetric"))
        self.init = check_choice(init, "init", ("self-predicting", "random"))
        self.target = check_choice(target, "target", ("cross-entropy", "one-hot"))
        self.dense_feedback = check_bool(dense_feedback, "dense_feedback")
        self.g_lk = check_real(g_lk, "g_lk", min_val=0)
        self.g_A, self.g_B, self.g_D, self.g_som = (
            check_real(v, k, min_val=0, include_min=False) for v, k in ((g_A, "g_A"), (g_B, "g_B"), (g_D, "g_D"), (g_som, "g_som"))
        )
        self.dt = check_real(dt, "dt", min_val=0, include_min=False)
        self.n_steps = check_int(n_steps, "n_steps", min_val=1)
        self.tau_w = check_real(tau_w, "tau_w", min_val=0, include_min=False)
        self.noise = check_real(noise, "noise", min_val=0)
        g_max = max(self.g_lk + self.g_B + self.g_A, self.g_lk + self.g_B + self.g_som, self.g_lk + self.g_D + self.g_som)
        if self.mode == "euler" and (self.dt * g_max >= 1 or self.dt >= self.tau_w):
            raise ValueError(
                f"dt must satisfy dt * (largest total conductance) < 1 and dt < tau_w for a stable Euler step, "
                f"got dt={self.dt}, total conductance {g_max:g}, tau_w={self.tau_w}"
            )
        super().__init__(model, Rule.DENDRITIC)
        s = seed_int(seed)
        self._gen = torch.Generator(device="cpu").manual_seed(s)
        w = self.layers[-1].weight
        device, dtype = w.device, w.dtype
        g = torch.Generator(device="cpu").manual_seed(s)
        for k in range(len(self.layers) - 1):
            n_k, n_up = int(self.layers[k].out_features), int(self.layers[k + 1].out_features)
            self.extra[f"inter{k}"] = _Interneurons(n_k, n_up, self.top_down == "learned", g, device, dtype)
        self.extra["state"] = _State(self._gen.get_state(), device)
        with torch.no_grad():
            for k, mc in enumerate(self._circuits()):
                up = self.layers[k + 1]
                if self.top_down == "symmetric":
                    mc.down.copy_(up.weight.detach().t())
                mc.down.mul_(self._mask(k).t())
                if self.init == "self-predicting":
                    mc.ip_weight.copy_(up.weight.detach())
                    if up.bias is not None:
                        mc.ip_bias.copy_(up.bias.detach())
                    mc.pi_weight.copy_(-mc.down)
                else:
                    mc.ip_weight.mul_(self._mask(k))
                    mc.pi_weight.mul_(self._mask(k).t())
        self.optimizers["model"] = make_optimizer(optimizer, model.parameters(), lr, weight_decay)
        ilr = lr if interneuron_lr is None else check_real(interneuron_lr, "interneuron_lr", min_val=0, include_min=False)
        plr = lr * PI_LR_FACTOR if pi_lr is None else check_real(pi_lr, "pi_lr", min_val=0, include_min=False)
        circuits = self._circuits()
        ip = [p for mc in circuits for p in (mc.ip_weight, mc.ip_bias)] + [mc.down for mc in circuits if isinstance(mc.down, nn.Parameter)]
        self.optimizers["interneurons"] = make_optimizer(optimizer, ip, ilr, weight_decay)
        self.optimizers["apical"] = make_optimizer(optimizer, [mc.pi_weight for mc in circuits], plr, weight_decay)
        self.alpha = self.g_A / (self.g_lk + self.g_B + self.g_A)  # apical share of a hidden soma
        self.lam_out = self.g_som / (self.g_lk + self.g_B + self.g_som)  # output nudging share
        self.lam_inter = self.g_som / (self.g_lk + self.g_D + self.g_som)  # interneuron nudging share
        self._last: list[torch.Tensor] = []
        self._reset_trace()

    # ------------------------------------------------------------------ parts
    def _circuits(self) -> list[_Interneurons]:
        return [self.extra[f"inter{k}"] for k in range(len(self.layers) - 1)]

    def _mask(self, k: int) -> torch.Tensor:
        """Mask of layer k+1 (interneurons of layer k follow it), ones for dense feedback."""
        m = getattr(self.layers[k + 1], "mask", None)
        w = self.layers[k + 1].weight
        if m is None or self.dense_feedback:
            return torch.ones_like(w)
        return m.to(w.dtype)

    def _phi(self, k: int, u: torch.Tensor) -> torch.Tensor:
        """Rate of layer k (0-based over layers); the output layer is linear."""
        return u if k == len(self.layers) - 1 else self.act(u)

    def _weights(self, k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        mc, m = self.extra[f"inter{k}"], self._mask(k)
        if self.top_down == "symmetric":
            mc.down.copy_(self.layers[k + 1].weight.detach().t())
        return mc.ip_weight * m, mc.ip_bias, mc.pi_weight * m.t(), mc.down * m.t()

    def _output_target(self, free: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        onehot = F.one_hot(y, free.shape[1]).to(free.dtype)
        return onehot if self.target == "one-hot" else free + onehot - torch.softmax(free, dim=1)

    # ------------------------------------------------------------------ dynamics
    @torch.no_grad()
    def settle(self, x: torch.Tensor, u_target: torch.Tensor | None = None) -> MicrocircuitState:
        """Settle the microcircuit on inputs ``x`` with output potential target ``u_target`` (or none).

        Returns the :class:`MicrocircuitState` the plasticity reads (steady mode: the last
        sweep; Euler mode: the end of the presentation).  Nothing is updated.
        """
        return self._settle(x, u_target, plasticity=False)[1]

    def _forward_sweep(self, x: torch.Tensor) -> tuple[list, list]:
        """The free forward sweep: rates (input first) and basal predictions (= the model's forward)."""
        pre, vb = [x], []
        for k, layer in enumerate(self.layers):
            vb.append(layer(pre[-1]))
            pre.append(self._phi(k, vb[-1]))
        return pre, vb

    def _settle(self, x: torch.Tensor, u_target: torch.Tensor | None, plasticity: bool, free_sweep: tuple | None = None) -> tuple:
        rates, vb = free_sweep if free_sweep is not None else self._forward_sweep(x)
        if self.mode == "euler":
            state, drives = self._euler(x, u_target, vb[-1], plasticity)
            return drives, state
        for it in range(self.iterations):
            state = self._sweep(rates, u_target, vb[-1], vb if it == 0 else None)
            rates = [x] + [self._phi(k, u) for k, u in enumerate(state.u)]
        return (self._updates(state) if plasticity else None), state

    def _sweep(self, rates: list, u_target: torch.Tensor | None, free: torch.Tensor, vb: list | None = None) -> MicrocircuitState:
        n = len(self.layers)
        pre = rates[:n]
        if vb is None:
            vb = [layer(r) for layer, r in zip(self.layers, pre)]
        ws = [self._weights(k) for k in range(n - 1)]
        vi = [F.linear(rates[k + 1], w_ip, b_ip) for k, (w_ip, b_ip, _, _) in enumerate(ws)]
        u: list = [None] * n
        ui: list = [None] * (n - 1)
        va: list = [None] * (n - 1)
        u[-1] = vb[-1] if u_target is None else (1 - self.lam_out) * vb[-1] + self.lam_out * u_target
        for k in range(n - 2, -1, -1):
            _, _, w_pi, w_down = ws[k]
            ui[k] = (1 - self.lam_inter) * vi[k] + self.lam_inter * u[k + 1]
            va[k] = self._phi(k + 1, u[k + 1]) @ w_down.t() + self._phi(k + 1, ui[k]) @ w_pi.t()
            u[k] = vb[k] + self.alpha * va[k]
        return MicrocircuitState(pre, vb, u, vi, ui, va, free)

    def _euler(self, x: torch.Tensor, u_target: torch.Tensor | None, free: torch.Tensor, plasticity: bool) -> tuple:
        n = len(self.layers)
        dt, a = self.dt, self.dt / self.tau_w
        gb_hid = self.g_B / (self.g_lk + self.g_B + self.g_A)  # v̂_B = gb * v_B
        gb_out = self.g_B / (self.g_lk + self.g_B)
        gd = self.g_D / (self.g_lk + self.g_D)
        u = [torch.zeros_like(v) for v in self._free_shapes(x)]
        ui = [torch.zeros_like(u[k + 1]) for k in range(n - 1)]
        drives = self._zero_updates() if plasticity else None
        for _ in range(self.n_steps):
            state = self._instant(x, u, ui)
            du = []
            for k in range(n):
                if k == n - 1:
                    d = -self.g_lk * u[k] + self.g_B * (state.vb[k] / gb_out - u[k])
                    if u_target is not None:
                        d = d + self.g_som * (u_target - u[k])
                else:
                    d = -self.g_lk * u[k] + self.g_B * (state.vb[k] / gb_hid - u[k]) + self.g_A * (state.va[k] - u[k])
                du.append(d)
            dui = [-self.g_lk * ui[k] + self.g_D * (state.vi[k] / gd - ui[k]) + self.g_som * (u[k + 1] - ui[k]) for k in range(n - 1)]
            if plasticity:
                for d, g in zip(drives, self._updates(state)):
                    d.mul_(1 - a).add_(g, alpha=a)
            for k in range(n):
                u[k] = u[k] + dt * du[k]
                if self.noise > 0:
                    xi = torch.randn(tuple(u[k].shape), generator=self._gen, dtype=torch.float64)
                    u[k] = u[k] + self.noise * math.sqrt(dt) * xi.to(u[k].device, u[k].dtype)
            ui = [ui[k] + dt * dui[k] for k in range(n - 1)]
        state = self._instant(x, u, ui)
        state.free = free
        if plasticity:
            norm = 1 - (1 - a) ** self.n_steps
            drives = [d / norm for d in drives]
        return state, drives

    def _free_shapes(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [x.new_empty((x.shape[0], int(layer.out_features))) for layer in self.layers]

    def _instant(self, x: torch.Tensor, u: list, ui: list) -> MicrocircuitState:
        """Dendritic quantities at the current potentials (no settling)."""
        n = len(self.layers)
        pre = [x] + [self._phi(k, u[k]) for k in range(n - 1)]
        vb = [layer(r) for layer, r in zip(self.layers, pre)]
        ws = [self._weights(k) for k in range(n - 1)]
        vi = [F.linear(pre[k + 1], w_ip, b_ip) for k, (w_ip, b_ip, _, _) in enumerate(ws)]
        va = [self._phi(k + 1, u[k + 1]) @ w_down.t() + self._phi(k + 1, ui[k]) @ w_pi.t() for k, (_, _, w_pi, w_down) in enumerate(ws)]
        return MicrocircuitState(pre, vb, list(u), vi, list(ui), va, vb[-1])

    # ------------------------------------------------------------------ plasticity
    def _zero_updates(self) -> list[torch.Tensor]:
        return [torch.zeros_like(t) for t in self._update_targets()]

    def _update_targets(self) -> list[torch.Tensor]:
        out = []
        for layer in self.layers:
            out.append(layer.weight.detach())
            out.append(layer.bias.detach() if layer.bias is not None else layer.weight.new_zeros(layer.out_features))
        for mc in self._circuits():
            out += [mc.ip_weight.detach(), mc.ip_bias.detach(), mc.pi_weight.detach(), mc.down.detach()]
        return out

    def _updates(self, s: MicrocircuitState) -> list[torch.Tensor]:
        """The paper's weight changes (ascent direction, batch mean), in :meth:`_update_targets` order."""
        n, b = len(self.layers), s.pre[0].shape[0]
        out = []
        for k in range(n):
            e = self._phi(k, s.u[k]) - self._phi(k, s.vb[k])
            out += [e.t() @ s.pre[k] / b, e.sum(0) / b]
        for k in range(n - 1):
            r_k, r_i = s.pre[k + 1], self._phi(k + 1, s.ui[k])
            e_i = r_i - self._phi(k + 1, s.vi[k])
            out += [e_i.t() @ r_k / b, e_i.sum(0) / b, -s.va[k].t() @ r_i / b]
            if self.top_down == "learned":
                r_up = self._phi(k + 1, s.u[k + 1])
                e_d = self._phi(k, s.u[k]) - self._phi(k, r_up @ self.extra[f"inter{k}"].down.t())
                out.append(e_d.t() @ r_up / b)
            else:
                out.append(torch.zeros_like(self.extra[f"inter{k}"].down))
        return out

    @torch.no_grad()
    def updates(self, x: torch.Tensor, u_target: torch.Tensor | None) -> tuple[list[torch.Tensor], MicrocircuitState]:
        """The local weight changes for one presentation (ascent direction, nothing written).

        Returns ``(changes, state)``; ``changes`` holds, per layer, the weight and bias change,
        then per hidden layer ``ΔW^IP, Δb^I, ΔW^PI, ΔW^PP_{k,k+1}`` (zeros unless learned).
        """
        return self._settle(x, u_target, plasticity=True)

    def _write_grads(self, changes: list[torch.Tensor]) -> None:
        n = len(self.layers)
        for k, layer in enumerate(self.layers):
            set_masked_grad(layer, -changes[2 * k], -changes[2 * k + 1] if layer.bias is not None else None)
        for k, mc in enumerate(self._circuits()):
            d_ip, d_bi, d_pi, d_down = changes[2 * n + 4 * k : 2 * n + 4 * k + 4]
            m = self._mask(k)
            mc.ip_weight.grad = -d_ip * m
            mc.ip_bias.grad = -d_bi
            mc.pi_weight.grad = -d_pi * m.t()
            if isinstance(mc.down, nn.Parameter):
                mc.down.grad = -d_down * m.t()

    def step_target(self, x: torch.Tensor, u_target: Any = None) -> torch.Tensor:
        """One presentation with an explicit output potential target (``None``: no target) and one update.

        ``u_target`` may also be a callable that maps the free output to the target.
        Returns the free output (the model's forward pass before the update).
        """
        for opt in self.optimizers.values():
            opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            sweep = self._forward_sweep(x)
            if callable(u_target):
                u_target = u_target(sweep[1][-1])
            changes, state = self._settle(x, u_target, True, sweep)
        self._write_grads(changes)
        for opt in self.optimizers.values():
            opt.step()
        self._record(state)
        return state.free

    def step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.step_target(x, lambda free: self._output_target(free, y))
        self._probe = (x, y)  # the angle to backprop is measured on the epoch's last batch
        return cross_entropy(logits, y).detach(), logits

    # ------------------------------------------------------------------ reporting
    def _record(self, s: MicrocircuitState) -> None:
        apical = torch.stack([(v.to(torch.float64) ** 2).sum() for v in s.va]).sum() / sum(v.numel() for v in s.va)
        mism = torch.stack([((vi - vb).to(torch.float64) ** 2).sum() for vi, vb in zip(s.vi, s.vb[1:])]).sum()
        mism = mism / sum(v.numel() for v in s.vi)
        self._last = [apical, mism]
        b = s.pre[0].shape[0]
        self._sums = [self._sums[0] + apical * b, self._sums[1] + mism * b]
        self._n += b

    def _reset_trace(self) -> None:
        self._sums: list = [0.0, 0.0]
        self._n = 0
        self._probe: tuple | None = None

    def local_loss_tensors(self) -> list[torch.Tensor]:
        """Mean squared apical potential and interneuron mismatch of the last step (NaN detection)."""
        return list(self._last)

    def epoch_metrics(self) -> dict[str, Any]:
        """Means since the last call: ``apical_sq`` (mean ``v_A^2`` over hidden neurons, in the state
        the update used) and ``interneuron_mismatch`` (mean ``(v̂^I_k - v̂_{B,k+1})^2``); after a labelled
        :meth:`step`, ``angles_to_bp``: per layer, the angle (degrees) between the update the microcircuit
        would make now on the last batch and backprop's (:func:`angles_to_backprop`; None where undefined).
        Resets them.  Measuring the angle updates nothing and leaves the noise generator where it was."""
        n = max(self._n, 1)
        out: dict[str, Any] = {"apical_sq": float(self._sums[0]) / n, "interneuron_mismatch": float(self._sums[1]) / n}
        if self._probe is not None:
            rng = self._gen.get_state()
            try:
                out["angles_to_bp"] = angles_to_backprop(self, *self._probe)
            finally:
                self._gen.set_state(rng)
        self._reset_trace()
        return out

    def state_dict(self) -> dict:
        self.extra["state"].rng.copy_(self._gen.get_state().to(self.extra["state"].rng.device))
        return super().state_dict()

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self._gen.set_state(self.extra["state"].rng.detach().cpu().to(torch.uint8))
        self._reset_trace()


class _State(nn.Module):
    """The learner's noise RNG state (saved in checkpoints)."""

    def __init__(self, rng_state: torch.Tensor, device: Any = None) -> None:
        super().__init__()
        self.register_buffer("rng", rng_state.clone().to(device))


def angles_to_backprop(learner: DendriticLearner, x: torch.Tensor, y: torch.Tensor) -> list[float | None]:
    """Angle (degrees) between each layer's microcircuit weight update and backprop's negative
    cross-entropy gradient on the same batch (same targets as :meth:`DendriticLearner.step`;
    nothing is updated).  None where either is all zeros.
    """
    with torch.no_grad():
        free = learner.model(x)
    changes, _ = learner.updates(x, learner._output_target(free, y))
    weights = [layer._param() if hasattr(layer, "_param") else layer.weight for layer in learner.layers]
    with torch.enable_grad():
        loss = cross_entropy(learner.model(x), y)
        grads = torch.autograd.grad(loss, weights)
    out: list[float | None] = []
    for k, (layer, g) in enumerate(zip(learner.layers, grads)):
        if getattr(layer, "sparse_storage", False):
            g = _dense(layer, g)
        mask = getattr(layer, "mask", None)
        change = changes[2 * k] * mask if mask is not None else changes[2 * k]  # what set_masked_grad writes
        a, b = change.reshape(-1).to(torch.float64), -g.reshape(-1).to(torch.float64)
        na, nb = float(a.norm()), float(b.norm())
        out.append(None if na == 0 or nb == 0 else math.degrees(math.acos(max(-1.0, min(1.0, float(a @ b) / (na * nb))))))
    return out


def _dense(layer: nn.Module, values: torch.Tensor) -> torch.Tensor:
    from . import _backends as K

    return K.dense_from_values(values, layer._structure())
