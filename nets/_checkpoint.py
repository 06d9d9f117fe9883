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


def load_checkpoint(path: str | os.PathLike, device: Any) -> dict:
    """Load a checkpoint written by :func:`save_checkpoint` (tensors mapped to ``device``)."""
    return torch.load(Path(path), map_location=device, weights_only=True)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode())
