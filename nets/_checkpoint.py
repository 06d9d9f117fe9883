"""Atomic files for training runs: checkpoints (torch) and results (JSON).

Every write goes to a temporary file in the target folder, is flushed and
fsynced, then moved over the target with :func:`os.replace` -- a crash leaves
either the old file or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
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


#: Key of the SHA-256 of a checkpoint's contents, stored beside them (torch.load checks no checksum).
DIGEST_KEY = "sha256"


def _digest(obj: Any) -> str:
    """SHA-256 over a nested state (dicts by key order, lists, tensors by dtype, shape and bytes)."""
    h = hashlib.sha256()

    def feed(o: Any) -> None:
        if isinstance(o, torch.Tensor):
            t = o.detach().cpu().contiguous()
            h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
        elif isinstance(o, dict):
            h.update(b"D%d" % len(o))
            for k in sorted(o, key=repr):
                h.update(repr(k).encode())
                feed(o[k])
        elif isinstance(o, (list, tuple)):
            h.update(b"L%d" % len(o))
            for v in o:
                feed(v)
        else:
            h.update(repr(o).encode())

    feed(obj)
    return h.hexdigest()


def save_checkpoint(path: str | os.PathLike, state: dict) -> None:
    """``torch.save`` ``state`` to ``path`` atomically, with a SHA-256 of its contents."""
    stamped = {**state, DIGEST_KEY: _digest(state)}
    _atomic(Path(path), lambda fh: torch.save(stamped, fh))


#: What a training checkpoint holds (checked on load).
CHECKPOINT_KEYS = {"config": dict, "model": dict, "learner": dict, "rng": torch.Tensor, "history": list}


def load_checkpoint(path: str | os.PathLike, device: Any, *, allow_unsigned: bool = False) -> dict:
    """Load a checkpoint written by :func:`save_checkpoint` (tensors mapped to ``device``).

    The check fails closed: a checkpoint whose SHA-256 is missing (a bit flip
    in the key's name is enough to lose it) or malformed is refused like one
    whose contents do not match it.  ``allow_unsigned=True`` loads a
    checkpoint *without* a digest, as versions before the digest wrote them
    (``smallworld train --resume --allow-unsigned-checkpoint``); a digest that
    is present must still match.

    Raises
    ------
    ValueError
        If the file cannot be read as a checkpoint (truncated, damaged, another
        kind of file), lacks the parts a training run writes, has no valid
        digest (unless ``allow_unsigned``) or one its contents do not match;
        the message names the file.
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
    stored = state.pop(DIGEST_KEY, None)
    if stored is None:
        if not allow_unsigned:
            extra = sorted(set(state) - set(CHECKPOINT_KEYS))
            seen = f" (unknown keys {extra}: a damaged key name?)" if extra else ""
            raise ValueError(
                f"{path} has no SHA-256 digest{seen}, so its contents cannot be checked; if it is an older, "
                "unsigned checkpoint you trust, load it with allow_unsigned_checkpoint=True "
                "(smallworld train --allow-unsigned-checkpoint), else resume from a copy or remove it to start over"
            )
        return state
    if not isinstance(stored, str) or stored != _digest(state):
        raise ValueError(
            f"{path} is damaged: its contents no longer match the SHA-256 written with them; resume from a "
            "copy, or remove it to start over"
        )
    return state


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode())
