"""The shared-memory gradient all-reduce of data-parallel training when every rank runs on one machine's CPUs.

gloo all-reduces through loopback TCP: on a machine whose cores all compute, its
copies and socket threads take CPU from the ranks' forward and backward passes
(a 2-rank all-reduce of 15.9 MB took 19-27 ms here, a fifth of a training step).
Ranks that share a machine can instead share memory: each writes its weighted
gradients into its own slot of one mapped file, and rank ``r`` sums slice ``r``
of all slots into the result, which every rank then copies back.  Two
``torch.distributed`` barriers order the writes and reads (so a dead or stalled
rank still ends in a timeout, not a hang), and no byte crosses a socket:
measured 7.0 ms for the same 15.9 MB.

Layout of the file (in ``/dev/shm``, else the temporary folder; unlinked as soon as every rank has mapped
it, so nothing is left behind even if a rank is killed):
``world`` int64 words (the set-up's check, then each rank's element count of the step), then ``world``
slots of ``n`` elements, then the ``n``-element result, each part aligned to 64 bytes.

Orders that keep the ranks from reading what another is writing: rank ``r``
writes slot ``r`` before barrier 1 of a step and nobody reads it after barrier
2; the result is written between barriers 1 and 2 and read after barrier 2,
and the next step's writes come after the next barrier 1, which no rank passes
before it has finished reading.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import warnings
from typing import Any

import torch
import torch.distributed as dist

from smallworld._validation import check_choice

from ._distcore import _comm

__all__ = ["ENV_VAR", "TRANSPORTS", "SharedReducer", "transport_setting"]

#: Environment variable that chooses how data-parallel gradients travel (read when training starts).
ENV_VAR = "SMALLWORLD_DATA_TRANSPORT"
#: ``auto``: shared memory when every rank is on this machine and its parameters are on the CPU, else the
#: process group's all-reduce; ``shm``: shared memory or an error saying why not; ``backend``: always the
#: process group's all-reduce (gloo or nccl).
TRANSPORTS = ("auto", "shm", "backend")
_ALIGN = 64  # bytes: each part of the file starts on its own cache line
#: Where the file goes: the first writable of these (memory-backed /dev/shm on Linux; elsewhere the temporary
#: folder, whose pages a shared mapping keeps in memory too, written back to disk now and then).
_DIRS = ("/dev/shm", tempfile.gettempdir())


def transport_setting() -> str:
    """The value of ``SMALLWORLD_DATA_TRANSPORT`` (default ``auto``), checked."""
    return check_choice(os.environ.get(ENV_VAR, "auto").strip().lower() or "auto", ENV_VAR, TRANSPORTS)


def _layout(numel: int, dtype: torch.dtype, world: int) -> tuple[int, int, int]:
    """Bytes of the header, of one slot (both rounded up to :data:`_ALIGN`) and of the whole file."""
    up = lambda nbytes: -(-nbytes // _ALIGN) * _ALIGN  # noqa: E731
    head, slot = up(8 * world), up(numel * dtype.itemsize)
    return head, slot, head + (world + 1) * slot


class SharedReducer:
    """Sum-reduces flat gradient vectors of up to ``numel`` elements of ``dtype`` through shared memory.

    Make one with :meth:`open` (a collective: every rank calls it); it returns
    None where shared memory cannot serve every rank.
    """

    def __init__(self, buf: torch.Tensor, numel: int, dtype: torch.dtype, rank: int, world: int) -> None:
        self.rank, self.world, self.numel, self.dtype = rank, world, numel, dtype
        head, slot, _ = _layout(numel, dtype, world)
        part = lambda k: buf[head + k * slot : head + k * slot + numel * dtype.itemsize].view(dtype)  # noqa: E731
        self._buf = buf  # uint8 view of the whole mapping; keeps it alive
        self._sizes = buf[: 8 * world].view(torch.int64)  # (after the set-up's check) each rank's element count
        self.slots = [part(k) for k in range(world)]
        self.out = part(world)

    @classmethod
    def open(cls, numel: int, dtype: torch.dtype, on_cpu: bool, required: bool) -> SharedReducer | None:
        """Map one file into every rank and check, with a token each rank writes and every rank reads, that the
        ranks really share it.  Returns None (or raises :class:`RuntimeError` when ``required``) on any rank's
        failure, the same on every rank."""
        rank, world = dist.get_rank(), dist.get_world_size()
        why = ""
        if dist.get_backend() != "gloo":
            why = f"the process group's backend is {dist.get_backend()!r}, not gloo"
        elif not on_cpu:
            why = "the model's parameters are not all on the CPU"
        size = _layout(numel, dtype, world)[2]
        path = None
        if rank == 0 and not why:
            path, why = _create(size)
        token = secrets.randbits(62)
        box: list[Any] = [path, token, why]
        _comm("the shared-memory set-up", dist.broadcast_object_list, box, 0)
        path, token, why0 = box
        why = why or why0
        buf = None
        try:
            if not why:
                try:  # (from_file would create a missing file: a rank on another machine must not leave one behind)
                    if not os.path.isfile(path) or os.path.getsize(path) != size:
                        raise OSError(f"no {size}-byte file there (this rank runs on another machine)")
                    buf = torch.from_file(path, shared=True, size=size, dtype=torch.uint8)
                    buf[: 8 * world].view(torch.int64)[rank] = token + rank
                except (OSError, RuntimeError) as exc:
                    why = f"rank {rank} could not map {path}: {exc}"
            reasons: list[Any] = [None] * world  # (also the barrier between the writes and the reads)
            _comm("the shared-memory set-up", dist.all_gather_object, reasons, why)
            if not any(reasons):
                seen = buf[: 8 * world].view(torch.int64).tolist()
                if seen != [token + k for k in range(world)]:
                    why = f"rank {rank} does not see the other ranks' writes (they run on another machine)"
                _comm("the shared-memory set-up", dist.all_gather_object, reasons, why)
        finally:
            if rank == 0 and path is not None:
                try:
                    os.unlink(path)
                except OSError:
                    pass
        why = next((r for r in reasons if r), "")
        if why:
            if required:
                raise RuntimeError(f"{ENV_VAR}=shm: shared memory cannot serve the data-parallel ranks: {why}")
            if buf is not None and rank == 0:  # it looked possible and failed: say why training runs slower
                warnings.warn(f"data-parallel gradients fall back to {dist.get_backend()}'s all-reduce: {why}", stacklevel=3)
            return None
        return cls(buf, numel, dtype, rank, world)

    def all_reduce(self, grads: list[torch.Tensor], weight: float) -> int:
        """Replace every tensor of ``grads`` (the same shapes in the same order on every rank) by the sum over
        ranks of ``weight * tensor``.  Returns the bytes this rank wrote for the others."""
        m = sum(g.numel() for g in grads)
        if m > self.numel:
            raise RuntimeError(f"internal: {m} gradient elements for a shared buffer of {self.numel}")
        slot, i = self.slots[self.rank], 0
        for g in grads:
            n = g.numel()
            torch.mul(g.reshape(-1), weight, out=slot[i : i + n])
            i += n
        self._sizes[self.rank] = m
        _comm("the gradient all-reduce (shared memory)", dist.barrier)
        sizes = self._sizes.tolist()  # the same on every rank: all raise or none
        if len(set(sizes)) > 1:
            raise RuntimeError(
                f"data-parallel ranks disagree on the gradients to average: {sizes} elements on ranks 0..{self.world - 1} "
                "(a parameter has a gradient on some ranks only); every rank must compute the same parameters' gradients"
            )
        lo = (m * self.rank // self.world) // 16 * 16
        hi = m if self.rank == self.world - 1 else (m * (self.rank + 1) // self.world) // 16 * 16
        if hi > lo:
            _sum_into([s[lo:hi] for s in self.slots], self.out[lo:hi])
        _comm("the gradient all-reduce (shared memory)", dist.barrier)
        i = 0
        for g in grads:
            n = g.numel()
            g.copy_(self.out[i : i + n].view_as(g))
            i += n
        return m * self.out.element_size()

    def close(self) -> None:
        """Drop every view of the mapping, so that it is unmapped (the file is already unlinked)."""
        self.slots, self.out = [], torch.empty(0, dtype=self.dtype)
        self._buf, self._sizes = torch.empty(0, dtype=torch.uint8), torch.empty(0, dtype=torch.int64)


def _sum_into(parts: list[torch.Tensor], out: torch.Tensor) -> None:
    """``out = parts[0] + parts[1] + ...``, left to right."""
    if len(parts) == 1:
        out.copy_(parts[0])
        return
    torch.add(parts[0], parts[1], out=out)
    for p in parts[2:]:
        out.add_(p)


def _create(size: int) -> tuple[str | None, str]:
    """Rank 0: a new file of ``size`` bytes, its blocks reserved (a full tmpfs fails here with ENOSPC rather than
    with SIGBUS at the first write)."""
    folder = next((d for d in _DIRS if os.path.isdir(d) and os.access(d, os.W_OK)), None)
    if folder is None:
        return None, f"none of {', '.join(_DIRS)} is a writable folder"
    path = os.path.join(folder, f"smallworld-dp-{os.getpid()}-{secrets.token_hex(6)}")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        return None, f"cannot create {path}: {exc}"
    try:
        if hasattr(os, "posix_fallocate"):
            os.posix_fallocate(fd, 0, size)
        else:  # (macOS: no reservation; a full disk would show at the first write)
            os.ftruncate(fd, size)
    except OSError as exc:
        os.close(fd)
        os.unlink(path)
        return None, f"cannot reserve {size} bytes in {folder}: {exc}"
    os.close(fd)
    return path, ""
