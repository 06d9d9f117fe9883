"""The shared basics of :mod:`nets.distributed`: modes, the error type, and the one wrapper of every collective."""

from __future__ import annotations

from typing import Any

import torch.distributed as dist

from smallworld._validation import check_choice

__all__ = ["MODES", "DATA_MODES", "LAYER_RULES", "DEFAULT_TIMEOUT_S", "DistributedError", "check_mode"]

#: Values of ``distributed=`` in :func:`nets.train` (``None``: one process).
MODES = ("data", "data-bf16", "layer", "layer-pipelined")
#: The data-parallel modes: gradients all-reduced in their own dtype, or compressed to bfloat16 on the wire.
DATA_MODES = ("data", "data-bf16")
#: The rules that run layer-parallel (no gradient from above into a block).
LAYER_RULES = ("pred", "sim", "predsim", "pred-bio", "sim-bio", "predsim-bio", "dfa")
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
