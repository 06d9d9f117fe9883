"""Parallel training on ``torch.distributed``: data-parallel for every rule, layer-parallel for local rules and DFA.

Both modes wrap the one training loop (:func:`nets.train` with ``distributed=``);
no rule has a second loop.

**Data-parallel** (``distributed="data"``, every rule, layered models and DAGs):
every rank holds the whole model; each global mini-batch (the same random order
on every rank, ``batch_size`` samples) is split into ``world_size`` contiguous
slices and rank ``r`` trains on slice ``r``.  Before *every* optimizer step
(a ``register_step_pre_hook`` on each of the learner's optimizers) the ranks
all-reduce the gradients weighted by their slice's share of the batch, so the
update is that of the whole batch.  Because every rule in :mod:`nets` writes its
update into ``.grad`` and lets an optimizer apply it (BP, FA/uSF/frSF, DFA's
projected errors, the local heads of pred/sim/predsim, the reward rules, the
dendritic microcircuit), this covers the updates that are not plain autograd
gradients too.

How the gradients travel (environment variable ``SMALLWORLD_DATA_TRANSPORT``,
read when training starts): ``auto`` (the default) sums them through shared
memory when every rank runs on this machine's CPUs and through the process
group's all-reduce otherwise; ``shm`` insists on shared memory (an error says
why it cannot serve); ``backend`` always uses the process group (gloo, nccl).
*Shared memory* (:mod:`nets._shmreduce`): each rank writes its weighted
gradients into its own slot of one file in ``/dev/shm`` (unlinked once every
rank has mapped it), rank ``r`` sums slice ``r`` of all slots, and each rank
copies the sum back, between two process-group barriers (so timeouts still
apply): 7 ms for BP's 15.9 MB of gradients on 2 ranks, against 19-27 ms for
gloo's loopback all-reduce, whose socket copies take CPU from the ranks'
compute.  *Through the process group*, gradients travel in buckets of
:data:`BUCKET_BYTES` (one gloo call per bucket rather than per tensor: fewer,
larger messages; 4 MiB gave 1.09x the samples/s of per-tensor all-reduces and
1.15x one 16 MB bucket, BP on 2 ranks).  For BP, FA, uSF, frSF and DFA, whose
``.grad`` is final once autograd accumulates it, a bucket is all-reduced
asynchronously as soon as autograd has filled it (post-accumulate hooks, as DDP
does), overlapping communication with the rest of the backward pass; the
pre-step hook then only waits.  Both transports sum the same weighted
gradients, so they agree to float rounding (tested against one process, 1e-6).

For losses that are means over the batch (BP, FA, DFA, pred)
the result equals single-process training up to float rounding; losses that
couple samples (sim's similarity matrix, reward baselines) see each rank's
slice.  ``distributed="data-bf16"`` sends the averaged gradients as bfloat16
(half the bytes, on the wire or in shared memory; as DDP's
``bf16_compress_hook``): each gradient is rounded to 8 significant bits before
the optimizer sees it, so the result is close to, not
equal to, one process's (tested: the ranks still agree exactly); it pays where
communication is the bottleneck.  Non-trained buffers that a rule updates itself (reward baselines) are
taken from rank 0 at the end of every epoch.  Rank 0 alone writes the
checkpoint (atomically, :mod:`nets._checkpoint`) and ``results.json``; since
the checkpoint holds the whole state and the batch order does not depend on
the number of ranks, a run resumes with the same or another number of ranks.

**Layer-parallel** (``distributed="layer"`` or ``"layer-pipelined"``; rules
pred, sim, predsim and their ``-bio`` variants on a layered model): the
blocks (hidden layer + local head) and the output layer are split into
``world_size`` contiguous groups balanced by weight count; rank ``r`` runs its
group on every mini-batch, receives the detached input activations from rank
``r - 1`` and sends its last block's output to rank ``r + 1`` right after the
forward pass, before its own backward and update.  Nothing flows backward, so
the ranks can train different mini-batches at the same time.  Both schedules
compute exactly what single-process local training computes (each block's
input is the previous block's output *before* that block's update, in one
process as here), so the weights agree to float rounding (a test checks 1e-6):

- ``"layer"`` (synchronous): blocking sends and receives: a rank posts the
  receive of mini-batch ``t`` only when it is done with ``t - 1``, and a
  blocking send may wait until the next rank takes the data, so the ranks
  advance nearly in lock step, one hand-over apart.
- ``"layer-pipelined"`` (throughput): non-blocking sends (at most one in
  flight) and the receive of the next mini-batch posted before the current one
  is trained, so rank ``r`` trains ``t`` while rank ``r + 1`` trains ``t - 1``
  and communication overlaps compute (bench_parallel, 2 processes on 2 cores:
  1.2-1.9x the synchronous schedule's samples/s over three runs).  How the result differs: for pred,
  sim and predsim (and ``-bio``) it does not -- a block's update never waits
  for a signal from another rank, and its input is the previous block's
  output of the same mini-batch computed before that block's update, in one
  process as here; only the moments at which ranks wait change (tested to
  1e-6 like the synchronous schedule; on digits, 3 seeds, the accuracies are
  identical).

**DFA** runs layer-parallel too (``rule="dfa"`` on a layered model): its one
signal from above is the output error ``e`` (mini-batch x classes), which the
last rank sends to every other rank once it has the logits; each rank then
puts ``e B_i`` on its own hidden layers and steps its own parameters (the one
optimizer's state lives, per layer, on the owner, and is merged for a
checkpoint).  A rank applies the error of mini-batch ``t`` before it forwards
``t + 1``, as one process does, so both schedules again equal single-process
DFA to rounding (tested); synchronous sends ``e`` by broadcast, pipelined by
non-blocking sends, so the last rank's own backward and update overlap the
lower ranks' update and next forward.  The lower ranks wait for the forward
of the ranks above on every mini-batch, so DFA gains less than the local
rules (at best the upper ranks' backward).  A schedule that let the lower
ranks run ahead would apply each error a mini-batch or more late (stale
updates, a different result); it is not offered.

At the end of each epoch the ranks exchange the blocks' weights (and, when a
checkpoint is written, the optimizer states) so that every rank evaluates the
whole model and rank 0 writes a checkpoint like a single-process run's.

**Launching**: :func:`launch` (and ``smallworld train --nproc N --parallel
{data,data-bf16,layer,layer-pipelined}``) starts the workers with
``torch.multiprocessing`` (spawn), gloo on CPU or nccl on CUDA, a free TCP port
on 127.0.0.1 and a timeout.  Under
``torchrun`` call :func:`init_from_env` in each worker and then
``nets.train(..., distributed="data")`` (every rank loads the data set, or
receives it, and trains on its slice of each mini-batch).  A rank that dies or raises makes
:func:`launch` stop the others and raise :class:`DistributedError` naming the
rank and its error; a rank left waiting on a dead peer gives up after
``timeout_s`` with a :class:`DistributedError` instead of hanging (under
``torchrun``, where no launcher stops them, that is how the survivors of a
rank's error end).
"""

from __future__ import annotations

import functools
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from smallworld._validation import check_int

from ._distcore import (  # noqa: F401 - re-exported
    DATA_MODES, DEFAULT_TIMEOUT_S, LAYER_RULES, MODES, DistributedError, _comm, _group_info, check_mode,
)  # fmt: skip
from ._launch import init_from_env, launch
from ._learner import Learner
from ._shmreduce import SharedReducer, transport_setting

#: Bytes of gradients per all-reduce of data-parallel training (the bucket): fewer, larger messages cost gloo
#: less than one per tensor (bench_parallel); a model with more gradient bytes than this overlaps its first
#: buckets' all-reduces with the rest of the backward pass.
BUCKET_BYTES = 4 * 2**20

__all__ = [
    "BUCKET_BYTES", "MODES", "DATA_MODES", "LAYER_RULES", "DistributedError", "launch", "init_from_env", "check_mode",
    "comm_bytes_per_batch", "layer_partition", "make_parallel",
]  # fmt: skip

# -- data-parallel --------------------------------------------------------------------------------


class DataParallel:
    """The data-parallel hook of :func:`nets.train` (see the module docstring).

    Attributes
    ----------
    rank, world_size : int
    bytes_per_step : int
        Bytes this rank sent into all-reduces (or wrote into shared memory) during the last step.
    transport : str
        How the gradients travel: ``"shm"`` (shared memory, one machine) or the process group's backend.
    """

    def __init__(self, learner: Learner, grad_dtype: torch.dtype | None = None) -> None:
        self.rank, self.world_size = _group_info()
        self.grad_dtype = grad_dtype  # None: all-reduce in the gradients' own dtype
        self.learner = learner
        self.weight = 1.0 / self.world_size
        self.bytes_per_step = 0
        self.writer = self.rank == 0
        self.need_state = False
        self._sync_state(initial=True)
        self._hooks = [opt.register_step_pre_hook(self._pre_step) for opt in learner.optimizers.values()]
        self._buckets: list[list[torch.Tensor]] = []
        self._bucket_of: dict[int, int] = {}  # id(param) -> its bucket
        self._ready: list[int] = []  # per bucket, how many of its gradients autograd has finished this step
        self._inflight: list[tuple[int, torch.Tensor, Any]] = []  # (bucket, flat gradients, async all-reduce)
        self._reduced: set[int] = set()  # id(param) of the gradients already averaged this step
        params = [p for opt in learner.optimizers.values() for g in opt.param_groups for p in g["params"]]
        self._shm: SharedReducer | None = None
        setting = transport_setting()
        if setting != "backend" and self.world_size > 1 and params:
            dtype = grad_dtype or functools.reduce(torch.promote_types, [p.dtype for p in params])
            on_cpu = all(p.device.type == "cpu" for p in params)
            numel = sum(p.numel() for p in params)
            self._shm = SharedReducer.open(numel, dtype, on_cpu=on_cpu, required=setting == "shm")
        self.transport = "shm" if self._shm is not None else dist.get_backend()
        if self._shm is None and _overlaps(learner):  # as DDP: reduce each bucket as soon as autograd has filled it
            self._buckets = _buckets(params, BUCKET_BYTES)
            self._bucket_of = {id(p): b for b, ps in enumerate(self._buckets) for p in ps}
            self._ready = [0] * len(self._buckets)
            self._hooks += [p.register_post_accumulate_grad_hook(self._on_grad) for p in params]

    def _on_grad(self, p: torch.Tensor) -> None:
        b = self._bucket_of[id(p)]
        self._ready[b] += 1
        if self._ready[b] == len(self._buckets[b]):  # the bucket is full: one all-reduce for all its gradients
            flat = self._flat([q.grad for q in self._buckets[b]])
            self._inflight.append((b, flat, _comm("the gradient all-reduce", dist.all_reduce, flat, async_op=True)))
            self.bytes_per_step += flat.numel() * flat.element_size()

    def _flat(self, grads: list[torch.Tensor]) -> torch.Tensor:
        """The gradients in one vector, weighted by this rank's share of the batch, in the all-reduce's dtype."""
        flat = torch.cat([g.reshape(-1) for g in grads]).mul_(self.weight)
        return flat if self.grad_dtype is None else flat.to(self.grad_dtype)

    def _finish_buckets(self) -> None:
        """Wait for the buckets reduced during the backward pass; each gradient becomes a view of its average."""
        for b, flat, work in self._inflight:
            _comm("the gradient all-reduce", work.wait)
            self._unflat(self._buckets[b], flat)
        self._inflight.clear()

    def _unflat(self, params: list[torch.Tensor], flat: torch.Tensor) -> None:
        """Each parameter's gradient becomes its slice of the averaged vector (a view unless the dtypes differ)."""
        i = 0
        for p in params:
            p.grad = flat[i : i + p.numel()].view_as(p).to(p.dtype)
            i += p.numel()
            self._reduced.add(id(p))

    def check_batches(self, n: int, batch_size: int) -> None:
        """Every rank must get at least one sample of every mini-batch, the last one included."""
        last = n % batch_size or batch_size
        if min(batch_size, last, n) < self.world_size:
            raise ValueError(
                f"data-parallel training on {self.world_size} ranks needs at least {self.world_size} samples in every "
                f"mini-batch, got batch_size={batch_size} with a last batch of {min(last, n)} ({n} training samples); "
                "choose a batch_size >= the number of ranks whose remainder is 0 or >= the number of ranks"
            )

    def shard(self, xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """This rank's contiguous slice of a global mini-batch; sets the gradient weight n_r / n."""
        n = int(yb.shape[0])
        lo, hi = n * self.rank // self.world_size, n * (self.rank + 1) // self.world_size
        self.weight = (hi - lo) / n
        self.bytes_per_step = 0
        self._inflight.clear()
        self._reduced.clear()
        self._ready = [0] * len(self._buckets)
        return xb[lo:hi], yb[lo:hi]

    def _pre_step(self, opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        self._finish_buckets()
        params = [p for g in opt.param_groups for p in g["params"] if p.grad is not None and id(p) not in self._reduced]
        if not params:
            return
        if self._shm is not None:
            self.bytes_per_step += self._shm.all_reduce([p.grad for p in params], self.weight)
            return
        flat = self._flat([p.grad for p in params])
        _comm("the gradient all-reduce", dist.all_reduce, flat)
        self.bytes_per_step += flat.numel() * flat.element_size()
        self._unflat(params, flat)

    def _sync_state(self, initial: bool) -> None:
        """Rank 0's parameters (first call) and float buffers (model and rule) on every rank."""
        tensors = []
        for mod in (self.learner.model, self.learner.extra):
            if initial:
                tensors += [p.data for p in mod.parameters()]
            tensors += [b for b in mod.buffers() if initial or b.is_floating_point()]
        for t in tensors:
            _comm("the state broadcast", dist.broadcast, t, 0)

    def end_epoch(self, loss_sum: torch.Tensor, correct: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Sum the epoch's loss and correct counts over ranks; take rank 0's rule buffers."""
        stats = torch.stack([loss_sum.to(torch.float64), correct.to(torch.float64)])
        _comm("the epoch statistics all-reduce", dist.all_reduce, stats)
        self._sync_state(initial=False)
        return stats[0], stats[1].round().to(torch.int64)

    def close(self) -> None:
        for h in self._hooks:
            h.remove()
        self._hooks = []
        if self._shm is not None:
            self._shm.close()
            self._shm = None


def _buckets(params: list[torch.Tensor], size: int) -> list[list[torch.Tensor]]:
    """Consecutive groups of at least ``size`` bytes (the last may be smaller), from the last parameter to the first:
    the order in which a backward pass through a feed-forward model finishes their gradients."""
    out: list[list[torch.Tensor]] = [[]]
    nbytes = 0
    for p in reversed(params):
        if nbytes >= size:
            out.append([])
            nbytes = 0
        out[-1].append(p)
        nbytes += p.numel() * p.element_size()
    return [b for b in out if b]


def _overlaps(learner: Learner) -> bool:
    """The learners whose ``.grad`` is final once autograd accumulates it (nothing rewrites it before the
    optimizer step), so it can be all-reduced during the backward pass; every other rule is reduced, whole,
    just before its optimizer steps."""
    from .dfa import DAGDFALearner, DFALearner
    from .rules import GlobalLearner

    return type(learner) in (GlobalLearner, DFALearner, DAGDFALearner)


# -- layer-parallel -------------------------------------------------------------------------------


def _layer_cost(layer: nn.Module) -> int:
    mask = getattr(layer, "mask", None)
    if isinstance(mask, torch.Tensor):
        return int(mask.count_nonzero()) + int(layer.weight.shape[0])
    return sum(p.numel() for p in layer.parameters())


def layer_partition(costs: list[int], world_size: int) -> list[int]:
    """Owner rank of each unit: contiguous groups, one unit at least per rank, balanced by cost.

    Examples
    --------
    >>> layer_partition([4, 4, 4, 1], 2)
    [0, 0, 1, 1]
    """
    world_size = check_int(world_size, "world_size", min_val=1)
    n = len(costs)
    if world_size > n:
        raise ValueError(
            f"layer-parallel training needs at most one rank per block: the model has {n} blocks (hidden layers and "
            f"the output layer), got {world_size} ranks"
        )
    # exact minimal-bottleneck contiguous split (n and world_size are small)
    from functools import lru_cache

    pre = [0]
    for c in costs:
        pre.append(pre[-1] + c)

    @lru_cache(maxsize=None)
    def best(i: int, k: int) -> tuple[int, tuple[int, ...]]:
        if k == 1:
            return pre[n] - pre[i], (n,)
        out = None
        for j in range(i + 1, n - k + 2):
            rest, cuts = best(j, k - 1)
            cand = (max(pre[j] - pre[i], rest), (j, *cuts))
            if out is None or cand[0] < out[0]:
                out = cand
        return out

    cuts = best(0, world_size)[1]
    owners, start = [], 0
    for r, end in enumerate(cuts):
        owners += [r] * (end - start)
        start = end
    return owners


class LayerParallel(Learner):
    """A local-loss learner whose blocks are spread over the ranks (see the module docstring)."""

    def __init__(self, inner: Learner, pipelined: bool) -> None:
        from .dfa import DFALearner
        from .local import LocalLearner

        rule = getattr(inner.rule, "value", str(inner.rule))
        if not isinstance(inner, (LocalLearner, DFALearner)):
            kind = "a WiredNet (DAG)" if rule in LAYER_RULES else f"rule {rule!r}"
            raise ValueError(
                f"layer-parallel training runs the rules whose blocks need no gradient from above "
                f"({', '.join(LAYER_RULES)}) on a layered model (nets.SparseMLP), got {kind}; "
                "use distributed='data' for every other rule and model"
            )
        super().__init__(inner.model, inner.rule)
        self.inner = inner
        self.dfa = isinstance(inner, DFALearner)
        self.rank, self.world_size = _group_info()
        self.pipelined = pipelined
        self.optimizers = inner.optimizers
        self.extra = inner.extra
        self.layers, self.act = inner.layers, inner.act
        self.heads = list(inner.extra["heads"]) if not self.dfa else []
        costs = [_layer_cost(layer) + (sum(p.numel() for p in self.heads[i].parameters()) if i < len(self.heads) else 0)
                 for i, layer in enumerate(self.layers)]  # fmt: skip
        self.owners = layer_partition(costs, self.world_size)
        self.mine = [i for i, o in enumerate(self.owners) if o == self.rank]
        self.writer = self.rank == 0
        self.need_state = False
        self.last = self.rank == self.world_size - 1
        self._pending_send: Any = None
        self._pending_recv: Any = None
        self._recv_buf: torch.Tensor | None = None
        self._local: list[torch.Tensor] = []
        self.bytes_per_step = 0
        self._n_out = int(self.layers[-1].weight.shape[0])
        self._error_sends: list = []  # DFA, pipelined: the output error's sends still in flight

    def check_batches(self, n: int, batch_size: int) -> None:
        """Remember the epoch's batch sizes (pipelined receives are posted one batch ahead)."""
        self._n, self._bs, self._b = n, batch_size, 0

    def shard(self, xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return xb, yb  # every rank sees the whole mini-batch (labels for its heads); only rank 0 reads x

    def local_loss_tensors(self) -> list[torch.Tensor]:
        return list(self._local)

    def _recv(self, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
        src = self.rank - 1
        if self._pending_recv is not None:
            buf, work = self._pending_recv
            self._pending_recv = None
            _comm("a receive of activations", work.wait)
            return buf
        buf = torch.empty(shape, dtype=like.dtype, device=like.device)
        _comm("a receive of activations", dist.recv, buf, src)
        return buf

    def _send(self, h: torch.Tensor) -> None:
        h = h.contiguous()
        self.bytes_per_step += h.numel() * h.element_size()
        if self.pipelined:
            if self._pending_send is not None:
                _comm("a send of activations", self._pending_send[1].wait)
            self._pending_send = (h, _comm("a send of activations", dist.isend, h, self.rank + 1))
        else:
            _comm("a send of activations", dist.send, h, self.rank + 1)

    def step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.dfa:
            return self._dfa_step(x, y)
        from .local import block_update, output_update

        inner, heads = self.inner, self.heads
        self.bytes_per_step = 0
        first = self.mine[0]
        if first == 0:
            h = x
        else:
            width = int(self.layers[first].weight.shape[1])
            h = self._recv((int(y.shape[0]), width), self.layers[first].weight)
        b, self._b = self._b, self._b + 1
        if self.pipelined and first != 0 and (b + 1) * self._bs < self._n:  # post the next batch's receive now
            nxt = min(self._bs, self._n - (b + 1) * self._bs)
            buf = torch.empty((nxt, int(h.shape[1])), dtype=h.dtype, device=h.device)
            self._pending_recv = (buf, _comm("a receive of activations", dist.irecv, buf, self.rank - 1))
        self._local = []
        for i in self.mine:
            if i == len(self.layers) - 1:
                return output_update(self.layers[-1], inner.optimizers["output"], h, y)
            # the last block of this rank hands its output over before its own backward and update
            h, loss = block_update(self.layers[i], self.act, heads[i], inner.optimizers[f"block{i}"], h, y,
                                   handoff=self._send if i == self.mine[-1] else None)
            self._local.append(loss)
        # not the output's rank: the loop's loss and accuracy come from the last rank at the end of the epoch
        return torch.zeros((), dtype=x.dtype, device=x.device), torch.zeros((int(y.shape[0]), self._n_out), device=x.device)

    def _dfa_step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """DFA: forward through the ranks, the output error ``e`` from the last rank to all, each rank's own update.

        Synchronous: ``e`` by broadcast.  Pipelined: ``e`` by non-blocking sends, so the last rank goes
        on with its backward and update while the lower ranks apply ``e`` and forward the next mini-batch.
        Either way a rank applies the error of mini-batch ``t`` before it forwards ``t + 1``, as in one
        process (the same weights to rounding).
        """
        from ._learner import cross_entropy

        last_layer = len(self.layers) - 1
        feedback = self.extra["feedback"].matrices()
        opt = self.optimizers["model"]
        opt.zero_grad(set_to_none=True)
        first, n = self.mine[0], int(y.shape[0])
        w = self.layers[first].weight
        h = x if first == 0 else self._recv((n, int(w.shape[1])), w)
        hidden, logits = [], None
        for i in self.mine:
            if i == last_layer:
                logits = self.layers[i](h)
            else:
                out = self.act(self.layers[i](h))
                hidden.append((i, out))
                h = out.detach()
        if not self.last:
            self._send(h)
        src = self.world_size - 1
        if self.last:
            lg = logits.detach().requires_grad_(True)
            loss = cross_entropy(lg, y)
            (e,) = torch.autograd.grad(loss, lg)
        else:
            e = torch.empty((n, self._n_out), dtype=w.dtype, device=w.device)
        if not self.pipelined:
            _comm("the output-error broadcast", dist.broadcast, e, src)
        elif self.last:
            for work in self._error_sends:
                _comm("a send of the output error", work.wait)
            self._error_sends = [_comm("a send of the output error", dist.isend, e, r) for r in range(src)]
            self._error_keep = e  # alive until the sends complete
        else:
            _comm("a receive of the output error", dist.recv, e, src)
        self.bytes_per_step += e.numel() * e.element_size() * (src if self.last else 0)
        tensors = [out for _, out in hidden]
        grads = [e.mm(feedback[i].to(e.dtype)).to(out.dtype) for i, out in hidden]  # as nets.dfa.DFAOutput
        if self.last:
            tensors.append(logits)
            grads.append(e)
        torch.autograd.backward(tensors, grads)
        opt.step()
        if self.last:
            return loss.detach(), logits.detach()
        return torch.zeros((), dtype=x.dtype, device=x.device), torch.zeros((n, self._n_out), device=x.device)

    def _share_optimizer_states(self) -> None:
        """Every rank's optimizer states, whole (a checkpoint holds them all)."""
        if not self.dfa:  # one optimizer per block, stepped by its owner alone
            for i, owner in enumerate(self.owners):
                name = "output" if i == len(self.layers) - 1 else f"block{i}"
                box = [self.optimizers[name].state_dict() if owner == self.rank else None]
                _comm("the optimizer-state exchange", dist.broadcast_object_list, box, owner)
                if owner != self.rank:
                    self.optimizers[name].load_state_dict(box[0])
            return
        opt = self.optimizers["model"]  # DFA: one optimizer; each rank holds the state of its own layers
        state = opt.state_dict()
        index = {id(p): k for k, p in enumerate(p for g in opt.param_groups for p in g["params"])}
        own = {index[id(p)] for i in self.mine for p in self.layers[i].parameters()}
        boxes: list = [None] * self.world_size
        _comm("the optimizer-state exchange", dist.all_gather_object, boxes,
              {k: v for k, v in state["state"].items() if k in own})  # fmt: skip
        state["state"] = {k: v for box in boxes for k, v in box.items()}
        opt.load_state_dict(state)

    def end_epoch(self, loss_sum: torch.Tensor, correct: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Finish sends; share weights (and optimizer states when a checkpoint follows); the last rank's statistics."""
        if self._pending_send is not None:
            _comm("a send of activations", self._pending_send[1].wait)
            self._pending_send = None
        for work in self._error_sends:
            _comm("a send of the output error", work.wait)
        self._error_sends = []
        self._b = 0
        heads = self.heads
        for i, owner in enumerate(self.owners):
            tensors = list(self.layers[i].parameters()) + (list(heads[i].parameters()) if i < len(heads) else [])
            for t in tensors:
                _comm("the weight exchange", dist.broadcast, t.data, owner)
        if self.need_state:
            self._share_optimizer_states()
        stats = torch.stack([loss_sum.to(torch.float64), correct.to(torch.float64)])
        _comm("the epoch statistics broadcast", dist.broadcast, stats, self.world_size - 1)
        return stats[0], stats[1].round().to(torch.int64)

    def close(self) -> None:
        pass


def make_parallel(mode: str, learner: Learner) -> DataParallel | LayerParallel:
    """The hook object :func:`nets.train` uses for ``distributed=mode``.

    Starts with a barrier: every rank has checked its ``out`` folder and read any
    checkpoint before rank 0 can write one (a rank still checking would otherwise
    find rank 0's fresh checkpoint and refuse to overwrite it).
    """
    _group_info()
    _comm("the start barrier", dist.barrier)
    if mode in DATA_MODES:
        return DataParallel(learner, grad_dtype=torch.bfloat16 if mode == "data-bf16" else None)
    return LayerParallel(learner, pipelined=mode == "layer-pipelined")


def comm_bytes_per_batch(model: nn.Module, rule: str, mode: str, batch_size: int, world_size: int) -> int:
    """Bytes one mini-batch puts on the wire (paper model, float32): all-reduced gradients or forwarded activations.

    Data-parallel: the gradient vector of every trained parameter (a ring all-reduce
    moves ``2 (w - 1) / w`` of it per rank).  Layer-parallel: one activation matrix
    ``batch x width`` at each of the ``w - 1`` cuts.
    """
    mode = check_mode(mode)
    elem = next(model.parameters()).element_size()
    if mode in DATA_MODES:
        elem = 2 if mode == "data-bf16" else elem
        n = sum(p.numel() for p in model.parameters() if p.requires_grad)
        return int(2 * (world_size - 1) / world_size * n * elem)
    layers = list(model.layers)
    owners = layer_partition([_layer_cost(layer) for layer in layers], world_size)
    cuts = [i for i in range(len(layers) - 1) if owners[i] != owners[i + 1]]
    return sum(batch_size * int(layers[i].weight.shape[0]) * elem for i in cuts)
