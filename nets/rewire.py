r"""Topology that evolves during training: drop-and-regrow rewiring of SparseLinear masks.

Every ``every`` epochs (or steps) each :class:`~nets.SparseLinear` layer of the
model drops the fraction :math:`\zeta` of its active weights with the smallest
magnitude and regrows exactly as many connections, so every layer's number of
connections (``nnz``) stays exactly constant.  Regrowth policies:

- ``"set"`` (Mocanu et al. 2018 [1]_): uniformly at random among the positions
  that were inactive before the drop.
- ``"rigl"`` (Evci et al. 2020 [2]_): the inactive positions with the largest
  *dense* gradient magnitude ``|delta^T x|``, where ``x`` is the layer's input and
  ``delta`` the error signal that reached the layer's output in the **last
  training step before the rewiring**, as the rule delivers it: the true
  gradient under ``bp``; the error sent down through the fixed random ``B``
  under ``fa``/``usf``/``frsf``; ``(e B_i) * f'`` under ``dfa``; the block's own
  local-loss gradient under ``pred``/``sim``/``predsim`` (and ``-bio``).  So
  RigL grows where *the rule's own update* would move a weight most, which is the
  paper's criterion under backprop only.  Rules whose update does not reach the
  layers through autograd (``node-perturbation``) give no such signal and are
  refused at the first rewiring.  The dense ``(out, in)`` gradient is built one
  layer at a time and freed before the next (never more than one at once).
- ``"smallworld"`` (this toolkit): regrowth that keeps the wiring's clustering
  near its start while keeping paths short, in the spirit of Watts & Strogatz's
  ring-plus-shortcuts (see :class:`Rewiring`).
- ``"static"``: no rewiring; topology is still tracked (the control run).

Mechanism, per layer (:func:`rewire_layer`): the mask buffer, the weight
Parameter and the optimizer state are updated **in place** -- the Parameter
object is kept, so the optimizer built for it keeps working.  Dropped positions
are set to 0; grown connections **start at weight 0** (as in RigL; they grow
from their first gradient); under sparse storage ``weight_values`` is permuted
to the new mask's row-major order.  Every optimizer state tensor shaped like the
Parameter (SGD momentum, Adam/AdamW ``exp_avg``/``exp_avg_sq``) is permuted the
same way and **zeroed at dropped and grown positions** (Adam's scalar ``step``
is shared by all entries and kept: a grown entry's first moments are bias-
corrected with the parameter's step count).  A masked feedback matrix ``B`` is
redrawn on the new mask from its own seed, as :meth:`SparseLinear.set_mask` does
(kept connections keep their ``B`` entry).

References
----------
.. [1] D. C. Mocanu et al., "Scalable training of artificial neural networks with adaptive
   sparse connectivity inspired by network science", Nat. Commun. 9, 2383 (2018).
   doi:10.1038/s41467-018-04316-3
.. [2] U. Evci et al., "Rigging the lottery: making all tickets winners", ICML 2020,
   PMLR 119:2943-2952. arXiv:1911.11134
.. [3] D. J. Watts and S. H. Strogatz, "Collective dynamics of 'small-world' networks",
   Nature 393, 440-442 (1998). doi:10.1038/30918
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Iterable

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from smallworld._validation import check_bool, check_choice, check_int, check_real

from ._topology import topology_metrics
from .layers import SparseLinear

__all__ = ["Rewiring", "Rewirer", "POLICIES", "rewire_layer", "rewirable_layers"]

#: Regrowth policies (``"static"``: no rewiring, topology tracked).
POLICIES = ("set", "rigl", "smallworld", "static")
_UNITS = ("epoch", "step")
_DECAYS = ("none", "cosine")


@dataclass(frozen=True)
class Rewiring:
    r"""How a model is rewired during :func:`nets.train` (``train(..., rewire=Rewiring(...))``).

    Parameters
    ----------
    policy : {"set", "rigl", "smallworld", "static"}
        Regrowth criterion (module docstring).  ``"smallworld"``: a fraction
        ``shortcut`` of the regrown connections are uniform random shortcuts;
        the rest close short cycles of the wiring as it stands after the drop,
        drawn without replacement with probability proportional to how many
        they close (Gumbel top-k): in a square hidden mask of a layered stack
        (the relational graph ``M | M^T`` of the source graph) a new ``i - j``
        closes one triangle per common neighbour of ``i`` and ``j``; in a
        :class:`~nets.WiredNet` level, one per common neighbour of the two
        neurons in the neuron graph (skip arcs make triangles); in a rectangular
        layer of a plain stack, whose neuron graph has no triangles, one 4-cycle
        per path ``i - j' - i' - j`` (``(M M^T M)[i, j]``, bipartite clustering).
        Drops are by magnitude and blind to structure, so they remove triangle
        edges and shortcuts alike; regrowing mostly by triadic closure restores
        clustering (``"set"`` turns a lattice-like mask into an Erdős–Rényi one,
        clustering falling towards ``k/n``), while the ``shortcut`` share keeps
        about that fraction of the edges random, as the rewiring probability
        ``p`` does in a Watts–Strogatz graph [1]_, so path length stays short.
        Where fewer closing positions exist than needed, the rest are random.
    fraction : float in (0, 1)
        :math:`\zeta`, the share of each layer's active weights replaced per rewiring.
    every : int >= 1
        Rewire every ``every`` epochs (``unit="epoch"``) or optimizer steps.
    unit : {"epoch", "step"}
    decay : {"none", "cosine"}
        ``"cosine"``: :math:`\zeta_t = \zeta (1 + \cos(\pi t / T))/2` with ``t``
        the epoch (or step) and ``T = end * total`` (RigL's schedule).
    end : float in (0, 1]
        No rewiring after this fraction of training (RigL uses 0.75).  Never
        after the last epoch: the model returned is the one that was trained.
    shortcut : float in [0, 1]
        ``"smallworld"`` only: share of regrown connections placed at random.
    protect : float >= 0
        ``"smallworld"`` only: how strongly the drop spares connections that
        sit in short cycles.  The ``n`` connections dropped are those with the
        smallest ``|w| (1 + t)^protect``, ``t`` the cycles a connection closes
        (the count the regrowth uses: triangles through it in the neuron or
        relational graph, 4-cycles in a plain bipartite layer).  ``0`` (the
        default) drops by magnitude alone, as SET and RigL do.  Regrowth, as in
        SET, never re-picks a position active before the drop, so with a
        magnitude-only drop the lattice edges a small-world wiring loses are
        the ones it cannot get back, and clustering decays; ``protect = 2``
        keeps it near its start (BENCHMARKS.md, "Rewiring": the demo's
        layered small-world network, 20 epochs of 30% rewiring: C 0.284 ->
        0.25 instead of 0.145, σ stays > 1) at a cost in accuracy on digits
        (about 2 points there), since large weights off the lattice go first.
    seed : int or None
        Seeds the regrowth (``None``: derived from :func:`nets.train`'s seed).
        Same seed, same masks; the generator state is in the checkpoint, so a
        resumed run continues the same schedule.
    track : bool
        Record the topology (:mod:`nets._topology`) in every epoch's history
        record under ``"topology"`` (and the initial one in
        ``config["topology_initial"]``).

    References
    ----------
    .. [1] D. J. Watts and S. H. Strogatz, "Collective dynamics of 'small-world' networks",
       Nature 393, 440-442 (1998). doi:10.1038/30918

    Examples
    --------
    >>> Rewiring("set", 0.3).fraction_at(1, 10)
    0.3
    >>> round(Rewiring("rigl", 0.3, decay="cosine").fraction_at(5, 10), 3)
    0.15
    """

    policy: str = "set"
    fraction: float = 0.3
    every: int = 1
    unit: str = "epoch"
    decay: str = "none"
    end: float = 1.0
    shortcut: float = 0.1
    seed: int | None = None
    track: bool = True
    protect: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.policy, str):
            raise TypeError(f"policy must be a str, one of {POLICIES}, got {type(self.policy).__name__}")
        check_choice(self.policy, "policy", POLICIES)
        check_real(self.fraction, "fraction", min_val=0, max_val=1, include_min=False, include_max=False)
        check_int(self.every, "every", min_val=1)
        if not isinstance(self.unit, str) or not isinstance(self.decay, str):
            raise TypeError("unit and decay must be str")
        check_choice(self.unit, "unit", _UNITS)
        check_choice(self.decay, "decay", _DECAYS)
        check_real(self.end, "end", min_val=0, max_val=1, include_min=False)
        check_real(self.shortcut, "shortcut", min_val=0, max_val=1)
        check_real(self.protect, "protect", min_val=0)
        if self.protect and self.policy != "smallworld":
            raise ValueError(f"protect={self.protect!r} applies to policy='smallworld' only (it spares connections "
                             f"in short cycles), got policy={self.policy!r}")
        if self.seed is not None:
            check_int(self.seed, "seed", min_val=0)
        check_bool(self.track, "track")

    def fraction_at(self, t: int, total: int) -> float:
        """:math:`\\zeta` at epoch (or step) ``t`` of ``total``."""
        if self.decay == "none":
            return float(self.fraction)
        T = self.end * total
        return float(self.fraction) * (1 + math.cos(math.pi * min(t / T, 1.0))) / 2

    def due(self, t: int, total: int) -> bool:
        """Whether a rewiring follows epoch (or step) ``t`` (1-based) of ``total``."""
        return self.policy != "static" and t % self.every == 0 and t < total and t <= self.end * total

    def to_dict(self) -> dict:
        """JSON-safe settings (recorded as ``config["rewire"]``)."""
        return asdict(self)


def rewirable_layers(model: nn.Module) -> list[tuple[str, SparseLinear]]:
    """``(name, layer)`` of every trainable SparseLinear of ``model`` that has room to regrow."""
    out = []
    for name, m in model.named_modules():
        if isinstance(m, SparseLinear) and m._param().requires_grad and 0 < m.nnz < m.mask.numel():
            out.append((name, m))
    return out


# ------------------------------------------------------------------ mechanism


def _states(layer: SparseLinear, optimizers: Iterable[torch.optim.Optimizer]) -> list[torch.Tensor]:
    p = layer._param()
    found = []
    for opt in optimizers:
        st = opt.state.get(p)
        if st:
            found += [v for v in st.values() if isinstance(v, torch.Tensor) and v.shape == p.shape]
    return found


@torch.no_grad()
def rewire_layer(
    layer: SparseLinear,
    n: int,
    grow: Any,
    optimizers: Iterable[torch.optim.Optimizer] = (),
    keep: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Drop the ``n`` smallest-magnitude active weights of ``layer`` and grow ``n`` new ones, in place.

    Parameters
    ----------
    layer : SparseLinear
    n : int
        How many to replace (``0 <= n <= min(nnz, inactive)``).
    grow : callable
        ``grow(layer, after_drop, candidates, n) -> flat indices``: ``after_drop``
        the ``(out, in)`` bool mask once the ``n`` are dropped, ``candidates`` the
        flat indices inactive before the drop; returns ``n`` distinct candidates.
    optimizers : iterable of torch.optim.Optimizer
        Their state for the layer's weight Parameter is permuted and reset (module docstring).
    keep : callable, optional
        ``keep(layer, active) -> factors``: positive weights, one per active flat
        index in ``active`` (ascending), multiplying ``|w|`` in the drop ranking
        (``Rewiring.protect``); ``None`` ranks by magnitude alone.

    Returns
    -------
    (dropped, grown) : ndarray of int64
        Flat row-major indices into the ``(out, in)`` mask.

    Examples
    --------
    >>> lay = SparseLinear(4, 4, torch.eye(4, dtype=torch.bool), seed=0)
    >>> first = lambda layer, after, cand, n: cand[:n]
    >>> d, g = rewire_layer(lay, 2, first)
    >>> lay.nnz, len(set(d) & set(g))
    (4, 0)
    """
    mask = layer.mask
    flat = mask.reshape(-1)
    active = torch.nonzero(flat).reshape(-1)
    nnz = active.numel()
    n = check_int(n, "n", min_val=0, max_val=min(nnz, flat.numel() - nnz))
    if n == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    p = layer._param()
    values = p.detach() if layer.sparse_storage else p.detach().reshape(-1)[active]
    score = values.abs().to("cpu", torch.float64)
    if keep is not None:
        factors = np.asarray(keep(layer, active.cpu().numpy()), dtype=np.float64)
        if factors.shape != (nnz,) or not np.all(np.isfinite(factors)) or np.any(factors <= 0):
            raise RuntimeError(f"keep returned {factors.shape} factors, not {nnz} positive finite ones")
        score = score * torch.from_numpy(factors)
    order = torch.sort(score, stable=True).indices[:n]
    dropped = active.cpu()[order].numpy()
    after = flat.cpu().clone()
    after[torch.from_numpy(dropped)] = False
    candidates = torch.nonzero(~flat.cpu()).reshape(-1).numpy()
    grown = np.asarray(grow(layer, after.view(mask.shape), candidates, n), dtype=np.int64)
    if grown.shape != (n,) or np.unique(grown).size != n or flat.cpu()[torch.from_numpy(grown)].any():
        raise RuntimeError(f"the grow policy returned {grown.size} positions, not {n} distinct inactive ones")
    new = after.clone()
    new[torch.from_numpy(grown)] = True
    states = _states(layer, optimizers)
    dev = flat.device
    if layer.sparse_storage:
        old_pos = torch.cumsum(flat.cpu().to(torch.int64), 0) - 1  # flat index -> index into weight_values
        new_active = torch.nonzero(new).reshape(-1)
        kept = flat.cpu()[new_active]
        src = old_pos[new_active].clamp(min=0).to(dev)
        kept = kept.to(dev)
        for t in (p.data, *states):
            t.copy_(torch.where(kept, t[src], torch.zeros((), dtype=t.dtype, device=dev)))
    else:
        touched = torch.from_numpy(np.concatenate([dropped, grown])).to(dev)
        for t in (p.data, *states):
            t.view(-1)[touched] = 0
    p.grad = None
    flat.copy_(new.to(dev))  # in place: the buffer (and its version-keyed caches) follow
    if not layer.dense_feedback:
        seed = getattr(layer, "_fb_seed", None)
        layer._draw_feedback(layer._feedback_seed() if seed is None else seed)
    return dropped, grown


# --------------------------------------------------------------------- growth


def _take_top(scores: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of the ``k`` largest scores; ties at the threshold broken at random."""
    if k >= scores.size:
        return np.arange(scores.size)
    thr = np.partition(scores, scores.size - k)[scores.size - k]
    above = np.flatnonzero(scores > thr)
    ties = np.flatnonzero(scores == thr)
    return np.concatenate([above, rng.choice(ties, k - above.size, replace=False)])


def _grow_random(candidates: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.choice(candidates, n, replace=False)


def _cycle_graph(M: sp.csr_array, ids: tuple | None, U: Any) -> tuple[sp.csr_array, sp.csr_array, str]:
    """``(S, joined, view)`` of a layer with mask ``M``: ``S[i, j]`` counts the short cycles a connection
    ``i - j`` takes part in, ``joined`` says which pairs are already connected in that view.

    ``view`` is ``"neuron"`` (WiredNet: common neighbours of post ``i`` and pre ``j`` in the neuron graph
    ``U``), ``"relational"`` (square mask of a layered stack: common neighbours in ``M | M^T``) or
    ``"bipartite"`` (``M M^T M``: paths ``i - j' - i' - j``, the 4-cycles of a rectangular layer).
    """
    if ids is not None and U is not None:
        post, pre = ids
        return sp.csr_array(U[post, :] @ U[:, pre]), sp.csr_array(U[post, :][:, pre]), "neuron"
    if M.shape[0] == M.shape[1]:
        G = sp.csr_array(((M + M.T) > 0).astype(np.float64))
        G.setdiag(0)
        G.eliminate_zeros()
        return sp.csr_array(G @ G), G, "relational"
    return sp.csr_array(M @ M.T @ M), M, "bipartite"


def _cycle_counts(layer: SparseLinear, ids: tuple | None, U: Any, active: np.ndarray) -> np.ndarray:
    """Per active connection (flat indices ``active``): the short cycles it is part of in the current wiring
    (``Rewiring.protect``), in the view :func:`_closure_scores` grows by."""
    M = sp.csr_array(layer.mask.detach().cpu().numpy().astype(np.float64))
    S, _, view = _cycle_graph(M, ids, U)
    if view == "bipartite":  # M M^T M at an edge also counts the walks that reuse it: i-j-i'-j and i-j'-i-j
        S = sp.csr_array(S - M.multiply(M.sum(axis=0)[None, :]) - M.multiply(M.sum(axis=1)[:, None]) + M)
    r, c = np.divmod(active, M.shape[1])
    return np.asarray(S.tocsr()[r, c], dtype=np.float64).ravel()


def _closure_scores(layer: SparseLinear, after: torch.Tensor, ids: tuple | None, U: Any) -> sp.csr_array:
    """Per position of the layer: how many short cycles a new connection there would close."""
    M = sp.csr_array(after.numpy().astype(np.float64))
    S, joined, view = _cycle_graph(M, ids, U)
    if view == "bipartite":
        return S
    S = S - S.multiply(joined)  # already-joined pairs close nothing new
    if view == "relational":
        S.setdiag(0)
    S.eliminate_zeros()
    if view == "neuron" and not S.nnz:  # no triangle to close among these neurons: 4-cycles of the layer
        return sp.csr_array(M @ M.T @ M)
    return S


def _grow_smallworld(
    layer: SparseLinear, after: torch.Tensor, candidates: np.ndarray, n: int, rng: np.random.Generator,
    shortcut: float, ids: tuple | None, U: Any,
) -> np.ndarray:  # fmt: skip
    n_short = int(round(shortcut * n))
    n_close = n - n_short
    S = _closure_scores(layer, after, ids, U).tocoo()
    flat = S.row.astype(np.int64) * after.shape[1] + S.col.astype(np.int64)
    open_ = np.zeros(after.numel(), dtype=bool)  # inactive before the drop: O(out*in) bools, no sorting
    open_[candidates] = True
    ok = open_[flat] & (S.data > 0)
    flat, w = flat[ok], S.data[ok]
    if flat.size > n_close:  # Gumbel top-k: n_close draws without replacement, P ~ score
        keys = np.log(w) + rng.gumbel(size=w.size)
        chosen = flat[np.argpartition(-keys, n_close - 1)[:n_close]]
    else:
        chosen = flat
    open_[chosen] = False
    return np.concatenate([chosen, rng.choice(np.flatnonzero(open_), n - chosen.size, replace=False)])


# --------------------------------------------------------------------- the hook


class Rewirer:
    """The hook :func:`nets.train` calls around steps and after each epoch (built by ``train``).

    ``train`` calls :meth:`before_step` / :meth:`after_step` around every
    optimizer step and :meth:`end_epoch` after each epoch's evaluation; the
    returned dict is merged into the epoch's history record.  The regrowth RNG is
    in :meth:`state_dict` (saved in the checkpoint), as are the current masks.

    Parameters
    ----------
    config : Rewiring
    model : nn.Module
    optimizers : dict of str to Optimizer
        The learner's optimizers (their state is reset at dropped/grown entries).
    epochs, n_batches : int
        Training length (for the schedule and cosine decay).
    seed : int
        Used when ``config.seed`` is None.
    """

    def __init__(self, config: Rewiring, model: nn.Module, optimizers: dict, epochs: int, n_batches: int, seed: int) -> None:
        if not isinstance(config, Rewiring):
            raise TypeError(f"rewire must be a nets.Rewiring or None, got {type(config).__name__}")
        self.config, self.model, self.optimizers = config, model, optimizers
        self.epochs, self.n_batches = int(epochs), int(n_batches)
        s = config.seed if config.seed is not None else int(np.random.SeedSequence([seed, 0x5E7]).generate_state(1)[0])
        self.rng = np.random.default_rng(s)
        self.layers = rewirable_layers(model)
        if optimizers:  # only layers the rule trains (readout-only: hidden layers stay as drawn, never rewired)
            owned = {id(p) for o in optimizers.values() for g in o.param_groups for p in g["params"]}
            self.layers = [(n, m) for n, m in self.layers if id(m._param()) in owned]
        if config.policy != "static":
            for _, layer in self.layers:
                # SparseLinear keeps a torch/numpy mask it was given without copying; rewiring writes the
                # buffer in place, so it first gets a private copy (the caller's mask list stays as it was)
                layer.mask = layer.mask.clone()
        if config.policy != "static" and not self.layers:
            raise ValueError(
                f"rewire policy {config.policy!r} needs SparseLinear layers that the rule trains and that have "
                f"room to regrow (0 < nnz < out*in); {type(model).__name__} has none"
            )
        self._hooks: list = []
        self._signal: dict = {}
        self._engine: str | None = None  # a WiredNet's engine while RigL captures a step per level

    # -- schedule ---------------------------------------------------------------
    def _total(self) -> int:
        return self.epochs if self.config.unit == "epoch" else self.epochs * self.n_batches

    def _due_after_step(self, epoch: int, batch: int) -> bool:
        c = self.config
        if c.unit == "step":
            return c.due((epoch - 1) * self.n_batches + batch + 1, self._total())
        return batch == self.n_batches - 1 and c.due(epoch, self._total())

    def before_step(self, epoch: int, batch: int) -> None:
        """Arm the gradient capture of RigL for the step that precedes a rewiring."""
        if self.config.policy == "rigl" and self._due_after_step(epoch, batch):
            self._signal.clear()
            for _, layer in self.layers:
                self._hooks.append(layer.register_forward_hook(self._capture))
            if getattr(self.model, "engine", None) in ("auto", "fused"):
                # a WiredNet's fused engine runs the whole DAG in one kernel and never calls its layers, so the
                # hooks would see nothing: this one step runs per level (same numbers to 1e-6, see nets._dag)
                self._engine = self.model.engine
                self.model.engine = "levels"

    def _capture(self, layer: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        if not isinstance(output, torch.Tensor) or not output.requires_grad:
            return
        x = inputs[0].detach().reshape(-1, layer.in_features)

        def keep(g: torch.Tensor) -> None:
            self._signal[layer] = (x, g.detach().reshape(-1, layer.out_features))

        output.register_hook(keep)

    def after_step(self, epoch: int, batch: int) -> dict | None:
        """Rewire after a step when the schedule says so (``unit="step"``); returns stats or None."""
        for h in self._hooks:
            h.remove()
        self._hooks.clear()
        if self._engine is not None:
            self.model.engine, self._engine = self._engine, None
        if self.config.unit == "step" and self._due_after_step(epoch, batch):
            return self.rewire((epoch - 1) * self.n_batches + batch + 1)
        return None

    def end_epoch(self, epoch: int, step_stats: list) -> dict:
        """Rewire after ``epoch`` if due (``unit="epoch"``); the record entries of the epoch."""
        rec: dict[str, Any] = {}
        stats = list(step_stats)
        if self.config.unit == "epoch" and self.config.due(epoch, self._total()):
            stats.append(self.rewire(epoch))
        if self.config.policy != "static":
            rec["rewired"] = sum(s["replaced"] for s in stats)
            rec["rewire_time_s"] = sum(s["time_s"] for s in stats)
        if self.config.track:
            rec["topology"] = topology_metrics(self.model)
        return rec

    # -- rewiring ---------------------------------------------------------------
    def rewire(self, t: int) -> dict:
        """One rewiring of every layer at epoch (or step) ``t``; returns ``{"replaced", "time_s", "fraction"}``."""
        import time

        t0 = time.perf_counter()
        c = self.config
        zeta = c.fraction_at(t, self._total())
        opts = list(self.optimizers.values())
        ids, U = self._neuron_view() if c.policy == "smallworld" else (None, None)
        replaced = 0
        for i, (name, layer) in enumerate(self.layers):
            n = min(int(round(zeta * layer.nnz)), layer.nnz, layer.mask.numel() - layer.nnz)
            lid = None if ids is None else ids[i]
            grow = self._grower(name, layer, lid, U)
            keep = None
            if c.policy == "smallworld" and c.protect:
                def keep(lay: SparseLinear, active: np.ndarray, lid: tuple | None = lid) -> np.ndarray:
                    return (1.0 + _cycle_counts(lay, lid, U, active)) ** c.protect
            d, _ = rewire_layer(layer, n, grow, opts, keep)
            replaced += d.size
        self._signal.clear()
        return {"replaced": replaced, "time_s": time.perf_counter() - t0, "fraction": zeta}

    def _neuron_view(self) -> tuple[list | None, Any]:
        """WiredNet: per layer (post ids, pre ids) in the neuron graph, and its undirected adjacency."""
        w = getattr(self.model, "wiring", None)
        ng = getattr(self.model, "__neuron_graph__", None)
        if w is None or not callable(ng) or getattr(w, "sources", None) is None:
            return None, None
        layers = list(getattr(self.model, "layers", []))
        pos = {id(m): lv for lv, m in enumerate(layers)}
        ids = [(w.level_nodes[pos[id(m)] + 1], w.sources[pos[id(m)]]) for _, m in self.layers]
        A = sp.csr_array(ng()["adjacency"], dtype=np.float64)
        U = sp.csr_array(((A + A.T) > 0).astype(np.float64))
        return ids, U

    def _grower(self, name: str, layer: SparseLinear, ids: tuple | None, U: Any) -> Any:
        c, rng = self.config, self.rng
        if c.policy == "set":
            return lambda _l, _a, cand, n: _grow_random(cand, n, rng)
        if c.policy == "smallworld":
            return lambda lay, after, cand, n: _grow_smallworld(lay, after, cand, n, rng, c.shortcut, ids, U)

        def rigl(lay: SparseLinear, _after: torch.Tensor, cand: np.ndarray, n: int) -> np.ndarray:
            sig = self._signal.get(lay)
            if sig is None:
                raise ValueError(
                    f"rewire policy 'rigl' found no error signal at layer {name!r} in the last training step: "
                    "the rule's update does not reach this layer's output through autograd (e.g. node-perturbation); "
                    "use policy 'set' or 'smallworld'"
                )
            x, g = sig
            G = (g.t().to(torch.float64) @ x.to(torch.float64)).abs().reshape(-1).cpu().numpy()  # one dense (out, in)
            pick = _take_top(G[cand], n, rng)
            del G
            return cand[pick]

        return rigl

    def topology(self) -> dict:
        """The model's topology record now (:func:`nets._topology.topology_metrics`)."""
        return topology_metrics(self.model)

    # -- state ------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Regrowth RNG state and the current masks (a resumed run reloads them before the model)."""
        return {
            "total": self._total(),
            "rng": self.rng.bit_generator.state,
            "masks": {name: layer.mask.detach().cpu().clone() for name, layer in self.layers},
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore the RNG and put the checkpoint's masks into the layers (same nnz per layer, checked)."""
        if state.get("total") != self._total():
            unit = self.config.unit + "s"
            raise ValueError(
                f"cannot resume: the rewiring schedule was planned for {state.get('total')} {unit}, this run has "
                f"{self._total()}; the schedule depends on the total (no rewiring after the last epoch, cosine decay), "
                "so a rewired run continues only to the length it was started with -- start a new run to train longer"
            )
        masks = state["masks"]
        if set(masks) != {name for name, _ in self.layers}:
            raise ValueError(f"the checkpoint rewired layers {sorted(masks)}, this model has {[n for n, _ in self.layers]}")
        for name, layer in self.layers:
            m = masks[name]
            if tuple(m.shape) != tuple(layer.mask.shape) or int(m.count_nonzero()) != layer.nnz:
                raise ValueError(
                    f"the checkpoint's mask of {name} (shape {tuple(m.shape)}, {int(m.count_nonzero())} connections) "
                    f"cannot come from this model's (shape {tuple(layer.mask.shape)}, {layer.nnz} connections) by rewiring"
                )
            with torch.no_grad():
                layer.mask.copy_(m.to(layer.mask.device))
        self.rng.bit_generator.state = state["rng"]
