"""Report folders for ``smallworld demo`` and ``smallworld reproduce``: staged, atomic, never overwritten silently.

A report is written into a hidden staging folder -- beside a new destination,
inside an existing one (so the moves never cross filesystems, e.g. onto a mount
point) -- and moved into place only when every file is complete, so an
interrupted (Ctrl-C or SIGTERM) run leaves no half-written report behind.  An existing, non-empty destination is
refused unless ``force`` is given; then each file replaces its old version
atomically (``os.replace``).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from smallworld._atomic import atomic_write_text, current_umask
from smallworld.cli import CLIError

__all__ = ["report_folder", "write_text", "write_json", "json_ready"]


def _check_destination(out: Path, force: bool, ignore: Path | None = None) -> None:
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {str(out)!r} exists and is not a folder")
    if out.is_dir() and any(p != ignore for p in out.iterdir()) and not force:
        raise CLIError(f"--out {str(out)!r} already holds an earlier report; pass --force to overwrite it, "
                       "or choose another --out")


@contextmanager
def report_folder(out: str | os.PathLike, *, force: bool = False) -> Iterator[Path]:
    """Yield a staging folder; on success its files become ``out``'s, on error it is removed.

    Raises
    ------
    CLIError
        If ``out`` is a file, or a non-empty folder and ``force`` is false (checked
        before any work and again before the files are moved into place).
    """
    out = Path(os.path.abspath(out))  # "." and "" name the current folder, whose parent may be elsewhere
    _check_destination(out, force)
    # An existing folder (possibly a mount point, or "."): stage inside it, so the final moves
    # stay on its filesystem; a new one: stage beside it and rename the whole folder into place.
    inside = out.is_dir()
    created = [d for d in (out.parent, *out.parent.parents) if not d.exists()]  # removed again on failure
    try:
        if not inside:
            out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out if inside else out.parent))
    except OSError as exc:  # checked before any work: an unwritable --out is found now, not after the run
        reason = exc.strerror or str(exc)
        raise CLIError(f"--out {str(out)!r} cannot be written: {reason}"
                       + (f" ({exc.filename})" if exc.filename and str(exc.filename) != str(out) else "")) from None
    done = False
    try:
        yield staging
        _check_destination(out, force, ignore=staging)
        if not out.exists():
            os.chmod(staging, 0o777 & ~current_umask())  # mkdtemp makes 0700
            os.replace(staging, out)  # the whole report appears at once
            done = True
            return
        for src in sorted(staging.rglob("*")):  # same filesystem: each file replaces its old version atomically
            dst = out / src.relative_to(staging)
            if src.is_dir():
                dst.mkdir(exist_ok=True)
            else:
                os.replace(src, dst)
        done = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not done:  # an interrupted or failed run leaves no empty folders it made on the way
            for d in created:  # deepest first
                try:
                    d.rmdir()
                except OSError:
                    break


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temporary file in the same folder, then ``os.replace``)."""
    return atomic_write_text(path, text, what="the report")


def json_ready(x: Any) -> Any:
    """Convert numpy scalars/arrays and tuples to JSON types; a NaN or infinity is an error, never written."""
    if isinstance(x, dict):
        return {str(k): json_ready(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_ready(v) for v in x]
    if hasattr(x, "tolist") and not isinstance(x, (str, bytes)):
        return json_ready(x.tolist())
    if isinstance(x, float) and not math.isfinite(x):
        raise ValueError(f"refusing to write a non-finite number ({x}) to JSON")
    return x


def write_json(path: Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically; NaN/inf raise instead of being written."""
    return write_text(path, json.dumps(json_ready(obj), indent=2, allow_nan=False) + "\n")
