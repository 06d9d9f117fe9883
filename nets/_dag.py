"""Fused execution of a :class:`nets.WiredNet`: the whole DAG as one autograd Function.

A WiredNet keeps one :class:`~nets.SparseLinear` per topological level (its
parameters, masks, feedback matrices and checkpoints live there).  Running the
levels one torch call at a time costs a few autograd nodes and kernel launches
per level: with hundreds of small levels that overhead, not arithmetic, was the
step (239 levels: ~22 s per digits epoch).  Here the levels' values are joined
into one CSR matrix over the neurons and the forward and backward run as two
serial numba kernels, neuron by neuron in topological ("position") order.

Positions
    Neurons in the order of ``wiring.level_nodes`` concatenated (roots first).
    The global post-major CSR over positions of level >= 1 is the row-wise
    concatenation of the levels' masks (row ``r`` of level ``l``'s mask is
    position ``offset[l] + r``; its column ``c`` is source
    ``pos[sources[l - 1][c]]``), so the global values are the levels' values
    in their CSR order, concatenated.

Semantics (exactly the per-level path's)
    Roots carry their input value (``h = z = x``) or 0; a neuron of level
    >= 1 computes ``z = b + sum_k w_k h_src(k) (+ x if it is an input)``,
    ``h = act(z)``; outputs are the ``z`` of the output neurons.

Gradient cuts
    One mechanism serves every rule: an arc carries error back iff its two
    neurons are in the same *group* (BP/FA/uSF/frSF: one group; the local
    rules: a group per block, outputs their own; DFA and the readout control:
    no arc carries error).  The weight gradient of every arc is still
    ``<dz_post, h_pre>``; only what is sent down changes.  The error sent down
    an arc is ``F_k dz`` with ``F`` the level's feedback values
    (:func:`nets.feedback.feedback_matrix`: ``W``, ``B``, ``sign(W) s``,
    ``sign(W) |B|``).

The kernels are serial on purpose (``nets._backends`` owns the thread policy);
a step of a few hundred neurons takes tens of microseconds of arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numba as nb
import numpy as np
import torch
from torch import nn

from nets.feedback import Feedback

__all__ = ["CUTS", "act_code", "DAGPlan", "build_plan", "fused_ok", "fused_forward", "levels_forward", "DAGFunction"]

#: Gradient cuts understood by :meth:`nets.WiredNet.propagate`.
CUTS = ("none", "blocks", "all")

_ACT_CODES = {nn.ReLU: 0, nn.Tanh: 1, nn.Sigmoid: 2, nn.GELU: 3, nn.Identity: 4}
_DTYPES = (torch.float32, torch.float64)
_ROOT_GROUP, _OUTPUT_GROUP = -1, -2


def act_code(act: nn.Module) -> int | None:
    """The kernels' code for ``act`` (exact types only: a subclass may change ``forward``), or None."""
    t = type(act)
    if t is nn.GELU and getattr(act, "approximate", "none") != "none":
        return None
    return _ACT_CODES.get(t)


# ------------------------------------------------------------------------- kernels

#: LLVM fast-math flags of the kernels: reassociation (vectorised sums) but no ``nnan``/``ninf``,
#: so a NaN goes through exactly as in torch (``relu(nan)`` is nan; NaN detection relies on it).
_FASTMATH = {"reassoc", "contract", "arcp", "nsz", "afn"}
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


@nb.njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _dag_forward(indptr, src, w, b, drive, xt, code, n0, Z, H):  # pragma: no cover - compiled
    """Z, H (neurons x batch) in position order; see the module docstring."""
    n, nb_ = Z.shape
    for i in range(n0):
        s = drive[i]
        z = Z[i]
        h = H[i]
        if s >= 0:
            xs = xt[s]
            for t in range(nb_):
                z[t] = xs[t]
                h[t] = xs[t]
        else:
            for t in range(nb_):
                z[t] = 0.0
                h[t] = 0.0
    for i in range(n0, n):
        z = Z[i]
        bi = b[i]
        for t in range(nb_):
            z[t] = bi
        for k in range(indptr[i], indptr[i + 1]):
            v = w[k]
            r = H[src[k]]
            for t in range(nb_):
                z[t] += v * r[t]
        s = drive[i]
        if s >= 0:
            xs = xt[s]
            for t in range(nb_):
                z[t] += xs[t]
        h = H[i]
        if code == 0:
            for t in range(nb_):
                h[t] = 0.0 if z[t] <= 0 else z[t]  # nan stays nan, as torch.relu
        elif code == 1:
            for t in range(nb_):
                h[t] = math.tanh(z[t])
        elif code == 2:
            for t in range(nb_):
                h[t] = 1.0 / (1.0 + math.exp(-z[t]))
        elif code == 3:
            for t in range(nb_):
                h[t] = 0.5 * z[t] * (1.0 + math.erf(z[t] * _INV_SQRT2))
        else:
            for t in range(nb_):
                h[t] = z[t]


@nb.njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _dag_backward(indptr, src, f, prop_mode, prop, drive, Z, H, code, n0, DH, DZ, gw, gb, dx, want_dx):  # pragma: no cover - compiled
    """Reverse sweep: ``dz = dh * act'(z) + dz_out``; ``gb = sum dz``; ``gw_k = <dz, h_src>``;
    ``dh_src += F_k dz`` where the arc propagates (``prop_mode`` 0: every arc, 1: ``prop[k]``,
    2: none); input gradients into ``dx`` (inputs x batch) when ``want_dx``."""
    n, nb_ = Z.shape
    dz = np.empty(nb_, dtype=Z.dtype)
    for i in range(n - 1, n0 - 1, -1):
        dh = DH[i]
        ze = DZ[i]
        z = Z[i]
        h = H[i]
        if code == 0:
            for t in range(nb_):
                dz[t] = (dh[t] if z[t] > 0 else 0.0) + ze[t]
        elif code == 1:
            for t in range(nb_):
                dz[t] = dh[t] * (1.0 - h[t] * h[t]) + ze[t]
        elif code == 2:
            for t in range(nb_):
                dz[t] = dh[t] * (1.0 - h[t]) * h[t] + ze[t]
        elif code == 3:
            for t in range(nb_):
                zt = z[t]
                cdf = 0.5 * (1.0 + math.erf(zt * _INV_SQRT2))
                pdf = math.exp(-0.5 * zt * zt) * _INV_SQRT2PI
                dz[t] = dh[t] * (cdf + zt * pdf) + ze[t]
        else:
            for t in range(nb_):
                dz[t] = dh[t] + ze[t]
        acc = 0.0
        for t in range(nb_):
            acc += dz[t]
        gb[i] = acc
        for k in range(indptr[i], indptr[i + 1]):
            j = src[k]
            r = H[j]
            if prop_mode == 0 or (prop_mode == 1 and prop[k] != 0):
                fv = f[k]
                d = DH[j]
                acc = 0.0
                for t in range(nb_):
                    acc += dz[t] * r[t]
                    d[t] += fv * dz[t]
                gw[k] = acc
            else:
                acc = 0.0
                for t in range(nb_):
                    acc += dz[t] * r[t]
                gw[k] = acc
        if want_dx:
            s = drive[i]
            if s >= 0:
                d = dx[s]
                for t in range(nb_):
                    d[t] += dz[t]
    if want_dx:
        for i in range(n0):
            s = drive[i]
            if s >= 0:
                d = dx[s]
                dh = DH[i]
                ze = DZ[i]
                for t in range(nb_):
                    d[t] += dh[t] + ze[t]


# ------------------------------------------------------------------------- plan


@dataclass
class DAGPlan:
    """Index arrays of a WiredNet's current masks, in position order (built by :func:`build_plan`).

    ``key`` identifies the masks and storages it was built for; ``w_gather`` takes
    the concatenated flat weight Parameters (``weight_values`` or ``weight``,
    level by level) to the global CSR order (None: already in it); ``b_gather``
    does the same from the concatenated dense ``B`` buffers.
    """

    key: tuple
    n: int
    n0: int
    indptr: np.ndarray
    src: np.ndarray
    drive: np.ndarray
    out_pos: np.ndarray
    hid_pos: np.ndarray
    w_gather: torch.Tensor | None
    b_gather: torch.Tensor
    w_numel: list
    w_shapes: list
    bias_sizes: list
    arc_level: torch.Tensor
    level_nnz: torch.Tensor
    groups: np.ndarray  # per position: block id >= 0, -1 roots, -2 outputs
    level_rows: list  # (start, stop) positions of each level >= 1
    level_src: list  # per level: source positions (torch int64), as the layer reads them
    held: list = field(default_factory=list)  # the masks the key's ids refer to (kept alive)
    cache: dict = field(default_factory=dict)


def mask_key(layers: list) -> tuple:
    """What the plan depends on: each level's mask (id, version) and storage kind.  The plan
    holds the masks themselves (``DAGPlan.held``), so an id cannot be reused while it lives."""
    return tuple((id(m := l._buffers["mask"]), m._version, "weight" in l._parameters) for l in layers)


def build_plan(net: Any, key: tuple) -> DAGPlan:
    """Build the fused index arrays of ``net`` (a WiredNet) for its current masks."""
    w = net.wiring
    n = w.n_neurons
    level_sizes = [len(v) for v in w.level_nodes]
    offs = np.concatenate([[0], np.cumsum(level_sizes)]).astype(np.int64)
    n0 = int(offs[1])
    rows_all, src_all, wg_all, bg_all, lvl_all = [], [], [], [], []
    w_numel, w_shapes, bias_sizes, level_rows, level_src = [], [], [], [], []
    w_off = b_off = 0
    for lv, layer in enumerate(net.layers, start=1):
        mask = layer.mask.detach().cpu()
        n_out, n_in = mask.shape
        flat = torch.nonzero(mask.reshape(-1), as_tuple=False).reshape(-1).numpy()
        r, c = flat // n_in, flat % n_in
        srcs = getattr(net, f"_src{lv}").cpu().numpy()
        rows_all.append(offs[lv] + r)
        src_all.append(srcs[c])
        p = layer._param()
        wg_all.append(w_off + (np.arange(flat.size) if layer.sparse_storage else flat))
        w_numel.append(p.numel())
        w_shapes.append(tuple(p.shape))
        w_off += p.numel()
        bg_all.append(b_off + flat)
        b_off += n_out * n_in
        lvl_all.append(np.full(flat.size, lv - 1, dtype=np.int64))
        if layer.bias is not None:
            bias_sizes.append(n_out)
        level_rows.append((int(offs[lv]), int(offs[lv + 1])))
        level_src.append(torch.as_tensor(srcs))
    cat = lambda xs: np.concatenate(xs).astype(np.int64) if xs else np.empty(0, np.int64)  # noqa: E731
    rows, src, wg, bg, lvl = cat(rows_all), cat(src_all), cat(wg_all), cat(bg_all), cat(lvl_all)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    pos = np.empty(n, dtype=np.int64)
    pos[np.concatenate(w.level_nodes)] = np.arange(n)
    drive = np.full(n, -1, dtype=np.int64)
    drive[pos[w.inputs]] = np.arange(w.inputs.size)
    groups = np.full(n, _ROOT_GROUP, dtype=np.int64)
    groups[pos] = np.where(net.blocks >= 0, net.blocks, _ROOT_GROUP)
    groups[pos[w.outputs]] = _OUTPUT_GROUP
    identity = np.array_equal(wg, np.arange(wg.size))
    level_nnz = torch.as_tensor(np.bincount(lvl, minlength=len(net.layers)), dtype=torch.float64)
    return DAGPlan(
        key, n, n0, indptr, src, drive, pos[w.outputs], pos[net.hidden_neurons],
        None if identity else torch.as_tensor(wg), torch.as_tensor(bg), w_numel, w_shapes, bias_sizes,
        torch.as_tensor(lvl), level_nnz, groups, level_rows, level_src, [l.mask for l in net.layers],
    )  # fmt: skip


def plan_of(net: Any) -> DAGPlan:
    """The net's plan for its current masks (rebuilt when a mask or a storage changes)."""
    layers = net._level_layers()
    key = mask_key(layers)
    plan = net.__dict__.get("_dag_plan")
    if plan is None or plan.key != key:
        plan = build_plan(net, key)
        net.__dict__["_dag_plan"] = plan
    return plan


def arc_propagates(plan: DAGPlan, cut: str) -> tuple[int, np.ndarray]:
    """``(prop_mode, prop)`` for the backward kernel (see :func:`_dag_backward`)."""
    if cut == "none":
        return 0, np.empty(0, np.uint8)
    if cut == "all":
        return 2, np.empty(0, np.uint8)
    hit = plan.cache.get("prop_blocks")
    if hit is None:
        g = plan.groups
        dst = np.repeat(np.arange(plan.n), np.diff(plan.indptr))
        hit = (g[plan.src] == g[dst]).astype(np.uint8)
        plan.cache["prop_blocks"] = hit
    return 1, hit


# ------------------------------------------------------------------------- feedback values


def _feedback_values(plan: DAGPlan, layers: list, w: torch.Tensor) -> torch.Tensor:
    """The global ``F`` values (``feedback_matrix`` of each level, vectorised)."""
    modes = [l.feedback for l in layers]
    first = modes[0] if modes else Feedback.BP
    same = all(m is first for m in modes)
    if same and first is Feedback.BP:
        return w
    need_b = any(m.needs_random_matrix for m in modes)
    bvals = _b_values(plan, layers) if need_b else None
    if same:
        return _f_of(first, plan, w, bvals)
    code = torch.as_tensor([list(Feedback).index(m) for m in modes])[plan.arc_level]
    out = torch.empty_like(w)
    for i, m in enumerate(Feedback):
        sel = code == i
        if bool(sel.any()):
            out[sel] = _f_of(m, plan, w, bvals)[sel]
    return out


def _f_of(mode: Feedback, plan: DAGPlan, w: torch.Tensor, bvals: torch.Tensor | None) -> torch.Tensor:
    if mode is Feedback.BP:
        return w
    if mode is Feedback.FA:
        return bvals
    if mode is Feedback.FRSF:
        return torch.sign(w) * bvals.abs()
    sq = torch.zeros(plan.level_nnz.numel(), dtype=torch.float64).index_add_(0, plan.arc_level, w.to(torch.float64).square())
    scale = (sq.sqrt() / plan.level_nnz.clamp(min=1).sqrt()).to(w.dtype)
    return torch.sign(w) * scale[plan.arc_level]


def _b_values(plan: DAGPlan, layers: list) -> torch.Tensor:
    bufs = [l._buffers["feedback_weight"] for l in layers]
    key = tuple((id(b), b._version) for b in bufs)
    hit = plan.cache.get("B")
    if hit is not None and hit[0] == key:
        return hit[2]
    vals = torch.cat([b.reshape(-1) for b in bufs])[plan.b_gather].contiguous()
    plan.cache["B"] = (key, bufs, vals)  # bufs kept alive: their ids stay theirs
    return vals


# ------------------------------------------------------------------------- dispatch


def fused_ok(net: Any, x: torch.Tensor) -> bool:
    """True when the fused kernels can run ``net`` on ``x`` (else the per-level path runs)."""
    if x.device.type != "cpu" or x.dtype not in _DTYPES or act_code(net.act) is None:
        return False
    if torch.is_autocast_enabled("cpu") or torch._C._are_functorch_transforms_active():
        return False
    for layer in net._level_layers():
        p = layer._param()
        if p.device.type != "cpu" or p.dtype != x.dtype:
            return False
        if layer.dense_feedback and layer.feedback is Feedback.FA:
            return False  # a dense B sends error along pairs that are not arcs: the per-level path does that
    return True


class DAGFunction(torch.autograd.Function):
    """The whole DAG forward/backward; ``apply(x, ctx_info, *weights, *biases)`` -> ``(out, hidden)``.

    ``ctx_info`` is ``(net, plan, cut, want_hidden)``; ``weights`` are the levels'
    weight Parameters (dense ``weight`` or ``weight_values``), ``biases`` their
    biases (none when the net has no bias).  ``hidden`` is ``(batch, n_hidden)``
    (the activations of ``net.hidden_neurons``) when ``want_hidden``, else empty
    and not differentiable.  Not twice differentiable.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, info: tuple, *params: torch.Tensor) -> tuple:  # type: ignore[override]
        net, plan, cut, want_hidden = info
        layers = net._level_layers()
        L = len(layers)
        weights, biases = params[:L], params[L:]
        flat = torch.cat([p.reshape(-1) for p in weights]) if L else x.new_zeros(0)
        w = (flat if plan.w_gather is None else flat[plan.w_gather]).contiguous()
        b = x.new_zeros(plan.n)
        if biases:
            b[plan.n0 :] = torch.cat(biases)
        xt = x.detach().t().contiguous().numpy()
        nb_ = x.shape[0]
        npdt = xt.dtype
        Z = np.empty((plan.n, nb_), dtype=npdt)
        H = np.empty((plan.n, nb_), dtype=npdt)
        code = act_code(net.act)
        _dag_forward(plan.indptr, plan.src, w.numpy(), b.numpy(), plan.drive, xt, code, plan.n0, Z, H)
        out = torch.from_numpy(np.ascontiguousarray(Z[plan.out_pos].T))
        hid = torch.from_numpy(np.ascontiguousarray(H[plan.hid_pos].T)) if want_hidden else x.new_empty(0)
        if not want_hidden:
            ctx.mark_non_differentiable(hid)
        ctx.set_materialize_grads(False)
        ctx.state = (net, plan, cut, w, Z, H, code, len(biases), x.shape[1], layers)
        return out, hid

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, g_out: torch.Tensor | None, g_hid: torch.Tensor | None) -> tuple:  # type: ignore[override]
        net, plan, cut, w, Z, H, code, n_bias, n_in, layers = ctx.state
        nb_ = Z.shape[1]
        DH = np.zeros_like(Z)
        DZ = np.zeros_like(Z)
        if g_out is not None:
            DZ[plan.out_pos] = g_out.detach().t().numpy()
        if g_hid is not None and g_hid.numel():
            DH[plan.hid_pos] = g_hid.detach().t().numpy()
        mode, prop = arc_propagates(plan, cut)
        f = _feedback_values(plan, layers, w) if mode != 2 else w
        want_dx = bool(ctx.needs_input_grad[0])
        dx = np.zeros((n_in, nb_), dtype=Z.dtype) if want_dx else np.zeros((0, 0), dtype=Z.dtype)
        gw = torch.empty(w.numel(), dtype=w.dtype)
        gb = torch.empty(plan.n, dtype=w.dtype)
        _dag_backward(plan.indptr, plan.src, f.contiguous().numpy(), mode, prop, plan.drive, Z, H, code, plan.n0,
                      DH, DZ, gw.numpy(), gb.numpy(), dx, want_dx)  # fmt: skip
        if plan.w_gather is None:
            g_flat = gw
        else:
            g_flat = gw.new_zeros(sum(plan.w_numel)).index_copy_(0, plan.w_gather, gw)
        g_ws = [g.view(s) for g, s in zip(torch.split(g_flat, plan.w_numel), plan.w_shapes)]
        g_bs = list(torch.split(gb[plan.n0 :], plan.bias_sizes)) if n_bias else []
        gx = torch.from_numpy(dx.T) if want_dx else None
        return (gx, None, *g_ws, *g_bs)


def fused_forward(net: Any, x: torch.Tensor, cut: str, want_hidden: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Run ``net`` on ``x`` through :class:`DAGFunction`; returns ``(logits, hidden or None)``."""
    plan = plan_of(net)
    layers = net._level_layers()
    weights = [l._param() for l in layers]
    biases = [l.bias for l in layers if l.bias is not None]
    out, hid = DAGFunction.apply(x, (net, plan, cut, want_hidden), *weights, *biases)
    return out, (hid if want_hidden else None)


# ------------------------------------------------------------------------- per-level path


def _level_cuts(net: Any, plan: DAGPlan, cut: str) -> list:
    """Per level: None (no cut) or a list of ``(rows, keep)``: rows (bool over the level's
    neurons, None = all) computed from an input whose columns outside ``keep`` (bool over
    its sources, None = none kept) are detached."""
    hit = plan.cache.get(("cuts", cut))
    if hit is not None:
        return hit
    specs = []
    g = plan.groups
    dev = net._out_pos.device
    for (a, b), srcs in zip(plan.level_rows, plan.level_src):
        if cut == "none":
            specs.append(None)
            continue
        if cut == "all":
            specs.append([(None, None)])
            continue
        rg = g[a:b]
        sg = g[srcs.numpy()]
        uniq = np.unique(rg)
        if uniq.size == 1 and np.all(sg == uniq[0]):
            specs.append(None)
            continue
        spec = []
        for grp in uniq:
            rows = None if uniq.size == 1 else torch.as_tensor(rg == grp, device=dev)[None, :]
            keep = sg == grp
            spec.append((rows, torch.as_tensor(keep, device=dev)[None, :] if keep.any() else None))
        specs.append(spec)
    plan.cache[("cuts", cut)] = specs
    return specs


def levels_forward(net: Any, x: torch.Tensor, cut: str, want_hidden: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The per-level torch path (any device, dtype, activation), with the same cuts."""
    plan = plan_of(net)
    cuts = _level_cuts(net, plan, cut)
    n0 = plan.n0
    h0 = x.new_zeros((x.shape[0], n0))
    h0 = h0.index_copy(1, net._lv0_rows, x.index_select(1, net._lv0_cols))
    hs, zs = [h0], [h0]
    for lv, (layer, spec) in enumerate(zip(net.layers, cuts), start=1):
        h_all = torch.cat(hs, 1) if len(hs) > 1 else hs[0]
        inp = h_all.index_select(1, getattr(net, f"_src{lv}"))
        if spec is None:
            z = layer(inp)
        else:
            det = inp.detach()
            z = None
            for rows, keep in spec:
                zi = layer(det if keep is None else torch.where(keep, inp, det))
                z = zi if rows is None or z is None else torch.where(rows, zi, z)
        rows = getattr(net, f"_drv_rows{lv}")
        if rows.numel():
            z = z.index_add(1, rows, x.index_select(1, getattr(net, f"_drv_cols{lv}")))
        zs.append(z)
        hs.append(net.act(z))
    out = torch.cat(zs, 1).index_select(1, net._out_pos)
    if not want_hidden:
        return out, None
    hid = torch.cat(hs, 1).index_select(1, torch.as_tensor(plan.hid_pos, device=x.device))
    return out, hid
