"""Atomic files for training runs: checkpoints (torch) and results (JSON).

Every write goes to a temporary file in the target folder, is flushed and
fsynced, then moved over the target with :func:`os.replace` -- a crash leaves
either the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from smallworld._atomic import atomic_open

__all__ = ["CHECKPOINT_NAME", "RESULTS_NAME", "atomic_write_bytes", "save_checkpoint", "load_checkpoint", "write_json"]

CHECKPOINT_NAME = "checkpoint.pt"
RESULTS_NAME = "results.json"


def _atomic(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, binary=True, what="the training state") as fh:
        write(fh)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file + ``os.replace``)."""
    _atomic(Path(path), lambda fh: fh.write(data))


def save_checkpoint(path: str | os.PathLike, state: dict) -> None:
    """``torch.save`` ``state`` to ``path`` atomically."""
    _atomic(Path(path), lambda fh: torch.save(state, fh))


#: What a training checkpoint holds (checked on load).
CHECKPOINT_KEYS = {"config": dict, "model": dict, "learner": dict, "rng": torch.Tensor, "history": list}


def load_checkpoint(path: str | os.PathLike, device: Any) -> dict:
    """Load a checkpoint written by :func:`save_checkpoint` (tensors mapped to ``device``).

    Raises
    ------
    ValueError
        If the file cannot be read as a checkpoint (truncated, damaged, another
        kind of file) or lacks the parts a training run writes; the message
        names the file.
    """
    path = Path(path)
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except Exception as exc:  # truncated zip, garbage, unpickling errors: one message, no traceback
        raise ValueError(
            f"{path} is not a readable training checkpoint ({type(exc).__name__}: {str(exc)[:200]}); it may be "
            "truncated or damaged -- resume from a copy, or remove it to start over"
        ) from None
    if not isinstance(state, dict) or any(not isinstance(state.get(k), t) for k, t in CHECKPOINT_KEYS.items()):
        got = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise ValueError(
            f"{path} is not a training checkpoint of this library: expected a dict with "
            f"{', '.join(CHECKPOINT_KEYS)}, got {got}"
        )
    return state


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode())
