"""Parallel training on ``torch.distributed``: data-parallel for every rule, layer-parallel for local rules.

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
gradients too.  For BP, FA, uSF, frSF and DFA, whose ``.grad`` is final once
autograd accumulates it, each gradient is all-reduced asynchronously as soon as
it is ready (a post-accumulate hook, as DDP does), overlapping communication with
the rest of the backward pass; the pre-step hook then only waits.  For losses that are means over the batch (BP, FA, DFA, pred)
the result equals single-process training up to float rounding; losses that
couple samples (sim's similarity matrix, reward baselines) see each rank's
slice.  Non-trained buffers that a rule updates itself (reward baselines) are
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
the ranks can train different mini-batches at the same time.  Both schedules compute exactly what single-process local training
computes (each block's input is the previous block's output *before* that
block's update, in one process as here), so the weights agree to float
rounding (a test checks 1e-6):

- ``"layer"`` (synchronous): blocking sends and receives.  On gloo a blocking
  send returns once the next rank has taken the data, so rank ``r`` hands
  mini-batch ``t`` over only when rank ``r + 1`` has finished ``t - 1``: the
  ranks advance in lock step, one hand-over apart.
- ``"layer-pipelined"`` (throughput): non-blocking sends (at most one in
  flight) and the receive of the next mini-batch posted before the current one
  is trained, so rank ``r`` trains ``t`` while rank ``r + 1`` trains ``t - 1``
  and communication overlaps compute (bench_parallel: 1.9x the synchronous
  schedule's samples/s on 2 processes).  How the result differs: for pred,
  sim and predsim (and ``-bio``) it does not -- a block's update never waits
  for a signal from another rank, and its input is the previous block's
  output of the same mini-batch computed before that block's update, in one
  process as here; only the moments at which ranks wait change (tested to
  1e-6 like the synchronous schedule; on digits, 3 seeds, the accuracies are
  identical).  A rule with a signal from above would differ: DFA's output
  error would reach the lower blocks a mini-batch or more late (stale
  updates), which is why DFA is not offered layer-parallel here; use
  ``"data"`` for it.

At the end of each epoch the ranks exchange the blocks' weights (and, when a
checkpoint is written, the optimizer states) so that every rank evaluates the
whole model and rank 0 writes a checkpoint like a single-process run's.

**Launching**: :func:`launch` (and ``smallworld train --nproc N --parallel
{data,layer}``) starts the workers with ``torch.multiprocessing`` (spawn), gloo
on CPU or nccl on CUDA, a free TCP port on 127.0.0.1 and a timeout.  Under
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

import datetime
import io
import os
import socket
import time
import traceback
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from smallworld._validation import check_choice, check_int, check_real

from ._learner import Learner

__all__ = [
    "MODES", "DistributedError", "launch", "init_from_env", "check_mode", "comm_bytes_per_batch", "layer_partition",
]  # fmt: skip

#: Values of ``distributed=`` in :func:`nets.train` (``None``: one process).
MODES = ("data", "layer", "layer-pipelined")
#: The rules that run layer-parallel (no gradient from above into a block).
LAYER_RULES = ("pred", "sim", "predsim", "pred-bio", "sim-bio", "predsim-bio")
DEFAULT_TIMEOUT_S = 300.0


class DistributedError(RuntimeError):
    """A rank failed, died or lost contact with the others; the message names the rank and the cause."""


def check_mode(mode: Any) -> str | None:
    """Validate ``distributed=``: None or one of :data:`MODES`."""
    if mode is None:
        return None
    if not isinstance(mode, str):
        raise TypeError(f"distributed must be None or a str, one of {MODES}, got {type(mode).__name__}")
    check_choice(mode, "distributed", MODES)
    return mode


def _group_info() -> tuple[int, int]:
    if not dist.is_available() or not dist.is_initialized():
        raise ValueError(
            "distributed training needs an initialized torch.distributed process group: start the workers with "
            "nets.distributed.launch(...) or `smallworld train --nproc N`, or under torchrun call "
            "nets.distributed.init_from_env() first"
        )
    return dist.get_rank(), dist.get_world_size()


def _comm(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one collective; a dead or stalled peer becomes a DistributedError that says so."""
    try:
        return fn(*args, **kwargs)
    except (RuntimeError, dist.DistBackendError) as exc:
        rank = dist.get_rank() if dist.is_initialized() else "?"
        raise DistributedError(
            f"rank {rank} lost contact with the other ranks during {what}: another rank died, raised or stalled "
            f"past the timeout ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
        ) from exc


# -- data-parallel --------------------------------------------------------------------------------


class DataParallel:
    """The data-parallel hook of :func:`nets.train` (see the module docstring).

    Attributes
    ----------
    rank, world_size : int
    bytes_per_step : int
        Bytes this rank sent into all-reduces during the last step.
    """

    def __init__(self, learner: Learner) -> None:
        self.rank, self.world_size = _group_info()
        self.learner = learner
        self.weight = 1.0 / self.world_size
        self.bytes_per_step = 0
        self.writer = self.rank == 0
        self.need_state = False
        self._sync_state(initial=True)
        self._hooks = [opt.register_step_pre_hook(self._pre_step) for opt in learner.optimizers.values()]
        self._inflight: dict[int, Any] = {}  # id(param) -> async all-reduce started during backward
        if _overlaps(learner):  # as DDP does: reduce each gradient as soon as autograd has accumulated it
            params = [p for opt in learner.optimizers.values() for g in opt.param_groups for p in g["params"]]
            self._hooks += [p.register_post_accumulate_grad_hook(self._on_grad) for p in params]

    def _on_grad(self, p: torch.Tensor) -> None:
        g = p.grad.mul_(self.weight)
        self._inflight[id(p)] = _comm("the gradient all-reduce", dist.all_reduce, g, async_op=True)
        self.bytes_per_step += g.numel() * g.element_size()

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
        return xb[lo:hi], yb[lo:hi]

    def _pre_step(self, opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        grads = []
        for g in opt.param_groups:
            for p in g["params"]:
                work = self._inflight.pop(id(p), None)
                if work is not None:  # reduced while backward ran: wait for it
                    _comm("the gradient all-reduce", work.wait)
                elif p.grad is not None:
                    grads.append(p.grad)
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads]).mul_(self.weight)
        _comm("the gradient all-reduce", dist.all_reduce, flat)
        self.bytes_per_step += flat.numel() * flat.element_size()
        i = 0
        for g in grads:
            g.copy_(flat[i : i + g.numel()].view_as(g))
            i += g.numel()

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
        from .local import LocalLearner

        rule = getattr(inner.rule, "value", str(inner.rule))
        if not isinstance(inner, LocalLearner):
            kind = "a WiredNet (DAG)" if rule in LAYER_RULES else f"rule {rule!r}"
            raise ValueError(
                f"layer-parallel training runs the local rules ({', '.join(LAYER_RULES)}) on a layered model "
                f"(nets.SparseMLP), got {kind}; use distributed='data' for every other rule and model"
            )
        super().__init__(inner.model, inner.rule)
        self.inner = inner
        self.rank, self.world_size = _group_info()
        self.pipelined = pipelined
        self.optimizers = inner.optimizers
        self.extra = inner.extra
        self.layers, self.act = inner.layers, inner.act
        heads = inner.extra["heads"]
        costs = [_layer_cost(layer) + (sum(p.numel() for p in heads[i].parameters()) if i < len(heads) else 0)
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
        from ._learner import cross_entropy

        inner, heads = self.inner, self.extra["heads"]
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
                opt = inner.optimizers["output"]
                logits = self.layers[-1](h)
                loss = cross_entropy(logits, y)
                loss.backward()
                opt.step()
                opt.zero_grad(set_to_none=True)
                return loss.detach(), logits.detach()
            opt = inner.optimizers[f"block{i}"]
            out = self.act(self.layers[i](h))
            if i == self.mine[-1]:
                self._send(out.detach())  # hand over before this block's backward and update
            loss = heads[i](out, y)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            self._local.append(loss.detach())
            h = out.detach()
            del out, loss
        # not the output's rank: the loop's loss and accuracy come from the last rank at the end of the epoch
        return torch.zeros((), dtype=x.dtype, device=x.device), torch.zeros((int(y.shape[0]), self._n_out), device=x.device)

    def end_epoch(self, loss_sum: torch.Tensor, correct: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Finish sends; share weights (and optimizer states when a checkpoint follows); the last rank's statistics."""
        if self._pending_send is not None:
            _comm("a send of activations", self._pending_send[1].wait)
            self._pending_send = None
        self._b = 0
        heads = self.extra["heads"]
        for i, owner in enumerate(self.owners):
            tensors = list(self.layers[i].parameters()) + (list(heads[i].parameters()) if i < len(heads) else [])
            for t in tensors:
                _comm("the weight exchange", dist.broadcast, t.data, owner)
        if self.need_state:
            for i, owner in enumerate(self.owners):
                name = "output" if i == len(self.layers) - 1 else f"block{i}"
                box = [self.optimizers[name].state_dict() if owner == self.rank else None]
                _comm("the optimizer-state exchange", dist.broadcast_object_list, box, owner)
                if owner != self.rank:
                    self.optimizers[name].load_state_dict(box[0])
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
    if mode == "data":
        return DataParallel(learner)
    return LayerParallel(learner, pipelined=mode == "layer-pipelined")


def comm_bytes_per_batch(model: nn.Module, rule: str, mode: str, batch_size: int, world_size: int) -> int:
    """Bytes one mini-batch puts on the wire (paper model, float32): all-reduced gradients or forwarded activations.

    Data-parallel: the gradient vector of every trained parameter (a ring all-reduce
    moves ``2 (w - 1) / w`` of it per rank).  Layer-parallel: one activation matrix
    ``batch x width`` at each of the ``w - 1`` cuts.
    """
    mode = check_mode(mode)
    elem = next(model.parameters()).element_size()
    if mode == "data":
        n = sum(p.numel() for p in model.parameters() if p.requires_grad)
        return int(2 * (world_size - 1) / world_size * n * elem)
    layers = list(model.layers)
    owners = layer_partition([_layer_cost(layer) for layer in layers], world_size)
    cuts = [i for i in range(len(layers) - 1) if owners[i] != owners[i + 1]]
    return sum(batch_size * int(layers[i].weight.shape[0]) * elem for i in cuts)


# -- launching ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def init_from_env(backend: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> tuple[int, int]:
    """Join the process group described by torchrun's environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``...).

    Returns ``(rank, world_size)``.  ``backend``: ``"gloo"`` (CPU) or ``"nccl"``
    (CUDA); default nccl when CUDA is there, else gloo.  With nccl, put each
    rank's model on ``cuda:LOCAL_RANK`` and pass that ``device`` to :func:`nets.train`.

    Examples
    --------
    A script ``run.py`` started with ``torchrun --nproc-per-node 2 run.py``::

        from nets import SparseMLP, train
        from nets.distributed import init_from_env

        rank, world = init_from_env("gloo")
        net = SparseMLP([64, 256, 256, 10], seed=0)
        train(net, "predsim", "digits", epochs=10, seed=0, distributed="layer-pipelined", out="runs/ps")
    """
    timeout_s = check_real(timeout_s, "timeout_s", min_val=0, include_min=False)
    if backend is None:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    check_choice(backend, "backend", ("gloo", "nccl"))
    if not dist.is_initialized():
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout_s))
    return dist.get_rank(), dist.get_world_size()


def _worker(rank: int, world: int, port: int, backend: str, timeout_s: float, threads: int, payload: dict, queue: Any) -> None:
    # the thread policy (smallworld._threads): this worker's share of the cores, for torch and the numba kernels
    os.environ["SMALLWORLD_NUM_THREADS"] = str(threads)
    torch.set_num_threads(threads)
    try:
        from smallworld._threads import set_num_threads

        set_num_threads(threads)
        from .train import train

        dist.init_process_group(
            backend, init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world,
            timeout=datetime.timedelta(seconds=timeout_s),
        )  # fmt: skip
        kw = dict(payload["kwargs"])
        if backend == "nccl":
            torch.cuda.set_device(rank % torch.cuda.device_count())
            kw["device"] = f"cuda:{rank % torch.cuda.device_count()}"
        kw["progress"] = bool(kw.get("progress", False)) and rank == 0
        if rank != 0:
            kw["callback"] = None
        # the model travels as bytes: a pickled tensor would be shared memory, updated by every rank at once
        model = torch.load(io.BytesIO(payload["model"]), map_location="cpu", weights_only=False)
        result = train(model, payload["rule"], payload["data"], distributed=payload["mode"], **kw)
        state = None
        if rank == 0:  # as bytes: shared-memory tensors would vanish with this process
            buf = io.BytesIO()
            torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, buf)
            state = buf.getvalue()
        queue.put((rank, "ok", result.to_dict() if rank == 0 else None, state))
    except BaseException as exc:  # noqa: BLE001 - reported to the launcher, which raises
        queue.put((rank, "error", type(exc).__name__, str(exc), traceback.format_exc()))
    finally:
        if dist.is_initialized():
            try:
                dist.destroy_process_group()
            except Exception:  # noqa: BLE001
                pass


def _raise_cause(failure: tuple, reports: dict, procs: list, queue: Any) -> None:
    """Raise the error that explains a failed run: a worker's own error (a bad argument is re-raised as its
    type), else a rank that died, else the first lost-contact report (a stalled rank)."""
    deadline = time.monotonic() + 2.0  # the other ranks' reports may still be on the way
    while time.monotonic() < deadline and any(p.is_alive() for r, p in enumerate(procs) if r not in reports):
        while not queue.empty():
            msg = queue.get()
            reports[msg[0]] = msg
        time.sleep(0.05)
    while not queue.empty():
        msg = queue.get()
        reports[msg[0]] = msg
    own = sorted((m for m in reports.values() if m[1] == "error" and m[2] != "DistributedError"), key=lambda m: m[0])
    if own:
        rank, _, name, text, _tb = own[0]
        exc_type = _REraise.get(name)
        if exc_type is not None:
            raise exc_type(text)
        raise DistributedError(f"rank {rank} failed with {name}: {text}; the other ranks were stopped")
    dead = [(r, p.exitcode) for r, p in enumerate(procs) if r not in reports and not p.is_alive()]
    if failure[1] == "died" or dead:
        rank, code = (failure[0], failure[2]) if failure[1] == "died" else (dead[0][0], f"exit code {dead[0][1]}")
        raise DistributedError(f"rank {rank} died ({code}) without a report; the other ranks were stopped")
    raise DistributedError(failure[3])


_REraise = {"ValueError": ValueError, "TypeError": TypeError, "FileExistsError": FileExistsError,
            "FileNotFoundError": FileNotFoundError, "NotADirectoryError": NotADirectoryError,
            "TrainingDiverged": ValueError}  # fmt: skip


def launch(
    nproc: int,
    model: nn.Module,
    rule: Any,
    data: Any,
    *,
    mode: str = "data",
    timeout_s: float = DEFAULT_TIMEOUT_S,
    backend: str | None = None,
    threads: int | None = None,
    **train_kwargs: Any,
) -> Any:
    """Train ``model`` on ``nproc`` worker processes; returns rank 0's :class:`nets.TrainResult`.

    Parameters
    ----------
    nproc : int
        Number of worker processes (ranks), >= 1.
    model, rule, data, **train_kwargs
        As for :func:`nets.train` (``out``, ``resume``, ``epochs``...); the model is
        sent to every worker and, at the end, loaded with the trained weights.
    mode : {"data", "layer", "layer-pipelined"}
        See the module docstring.
    timeout_s : float
        A rank that waits longer than this on a peer gives up (dead rank).
    backend : {"gloo", "nccl"}, optional
        Default: the run's device decides (``device=`` in ``train_kwargs``, else
        the model's): nccl with one GPU per rank for CUDA, gloo for the CPU.
    threads : int, optional
        Torch threads per worker (default: the usable cores divided by ``nproc``, at least 1).

    Raises
    ------
    DistributedError
        When a rank dies or fails with an error other than a bad argument; names the rank.
    ValueError, TypeError, FileExistsError...
        A bad argument found by a worker, re-raised with the rank's message.
    """
    import torch.multiprocessing as mp

    from .rules import as_rule
    from .train import TrainResult

    nproc = check_int(nproc, "nproc", min_val=1)
    mode = check_mode(mode)
    timeout_s = check_real(timeout_s, "timeout_s", min_val=0, include_min=False)
    if mode is None:
        raise ValueError(f"mode must be one of {MODES}, got None")
    rule = as_rule(rule)
    if mode != "data" and rule.value not in LAYER_RULES:
        raise ValueError(
            f"layer-parallel training runs the local rules ({', '.join(LAYER_RULES)}), got rule {rule.value!r}; "
            "use mode='data' (--parallel data) for it"
        )
    if backend is None:  # follow the run's device: CPU (gloo) unless it asks for CUDA
        from ._utils import resolve_device

        dev = train_kwargs.get("device")
        dev = resolve_device(dev) if dev is not None else next((p.device for p in model.parameters()), torch.device("cpu"))
        backend = "nccl" if dev.type == "cuda" else "gloo"
    check_choice(backend, "backend", ("gloo", "nccl"))
    if backend == "nccl" and torch.cuda.device_count() < nproc:
        raise ValueError(
            f"nproc={nproc} CUDA workers need one GPU each, found {torch.cuda.device_count()}; "
            "lower nproc or train on the CPU (gloo)"
        )
    if threads is None:
        from smallworld._threads import get_num_threads

        threads = max(1, get_num_threads() // nproc)
    threads = check_int(threads, "threads", min_val=1)
    for k in ("distributed",):
        if k in train_kwargs:
            raise TypeError(f"launch() sets {k}= itself (mode=...), do not pass it")
    blob = io.BytesIO()
    torch.save(model, blob)
    payload = {"model": blob.getvalue(), "rule": rule.value, "data": data, "mode": mode, "kwargs": train_kwargs}
    ctx = mp.get_context("spawn")
    queue = ctx.SimpleQueue()
    port = _free_port()
    procs = [
        ctx.Process(target=_worker, args=(r, nproc, port, backend, timeout_s, threads, payload, queue), daemon=True)
        for r in range(nproc)
    ]
    for p in procs:
        p.start()
    reports: dict[int, tuple] = {}
    failure = None
    try:
        while len(reports) < nproc:
            while not queue.empty():
                msg = queue.get()
                reports[msg[0]] = msg
                if msg[1] == "error" and failure is None:
                    failure = msg
            if failure is not None:
                break
            for r, p in enumerate(procs):
                if r not in reports and not p.is_alive() and queue.empty():
                    time.sleep(0.2)  # its report may still be on the way
                    if queue.empty() and r not in reports:
                        failure = (r, "died", f"exit code {p.exitcode}")
                        break
            if failure is not None:
                break
            time.sleep(0.02)
        if failure is not None:
            _raise_cause(failure, reports, procs, queue)
    finally:
        for p in procs:
            if p.is_alive() and failure is not None:
                p.terminate()
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
    _, _, res, state = reports[0]
    model.load_state_dict(torch.load(io.BytesIO(state), map_location="cpu", weights_only=True))
    return TrainResult(res["rule"], res["history"], res["config"])
