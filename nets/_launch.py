"""Starting the workers of :mod:`nets.distributed`: :func:`launch` (torch.multiprocessing) and :func:`init_from_env` (torchrun)."""

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

from ._distcore import DATA_MODES, DEFAULT_TIMEOUT_S, LAYER_RULES, MODES, DistributedError, check_mode

__all__ = ["launch", "init_from_env"]


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
        data = payload["data"]
        if callable(data):  # a loader: this worker reads the data itself (nothing large through the pipe)
            data = data()
        result = train(model, payload["rule"], data, distributed=payload["mode"], **kw)
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
        ``data`` may also be a picklable function of no arguments that returns
        the data (``functools.partial(nets.load_dataset, "fashion-mnist", seed=0)``):
        each worker then reads the data set itself instead of receiving a copy.
        Every rank holds the whole training set (each epoch's order is one global
        permutation) and trains on its own slice of every mini-batch.
    mode : {"data", "data-bf16", "layer", "layer-pipelined"}
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
    if mode not in DATA_MODES and rule.value not in LAYER_RULES:
        raise ValueError(
            f"layer-parallel training runs the rules whose blocks need no gradient from above "
            f"({', '.join(LAYER_RULES)}), got rule {rule.value!r}; "
            "use mode='data' (--parallel data) for it"
        )
    if mode in DATA_MODES:
        from ._shmreduce import transport_setting

        transport_setting()  # a bad SMALLWORLD_DATA_TRANSPORT is refused before any worker starts
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
    finally:  # on a failure, Ctrl-C or SIGTERM here, the workers are stopped, not left training
        finished = failure is None and len(reports) == nproc and all(m[1] == "ok" for m in reports.values())
        for p in procs:
            if p.is_alive() and not finished:
                p.terminate()
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
    _, _, res, state = reports[0]
    model.load_state_dict(torch.load(io.BytesIO(state), map_location="cpu", weights_only=True))
    return TrainResult(res["rule"], res["history"], res["config"])
