"""Report folders for ``smallworld demo`` and ``smallworld reproduce``: staged, atomic, never overwritten silently.

A report is written into a hidden staging folder -- beside a new destination,
inside an existing one (so the moves never cross filesystems, e.g. onto a mount
point) -- and moved into place only when every file is complete, so an
interrupted (Ctrl-C or SIGTERM) run leaves no half-written report behind.  An existing, non-empty destination is
refused unless ``force`` is given; then the folder is replaced as one step: the
new report is staged beside it, the old folder is renamed aside, the new one
renamed in (both renames with SIGINT/SIGTERM held back), and the old one removed,
so an interrupted ``--force`` leaves either the old report whole or the new one.
Only where the folder itself cannot be renamed (a mount point, or the current
folder) do its files get replaced one by one.

Staging folders are named ``.NAME.PID.XXXXXXXX.partial`` (the old report set
aside: ``.NAME.PID.XXXXXXXX.old``).  A run killed with ``kill -9`` leaves them
behind; the next run for the same ``--out`` removes the ones whose process is
gone (and puts a set-aside report back if the new one never arrived) -- only
folders of that name and pattern, and only when their process no longer runs.
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

__all__ = ["report_folder", "check_destination", "write_text", "write_json", "json_ready"]


def _check_destination(out: Path, force: bool, ignore: Path | None = None) -> None:
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {str(out)!r} exists and is not a folder")
    if out.is_dir() and any(p != ignore for p in out.iterdir()) and not force:
        raise CLIError(f"--out {str(out)!r} already holds an earlier report; pass --force to overwrite it, "
                       "or choose another --out")


def check_destination(out: str | os.PathLike, force: bool) -> None:
    """Refuse an ``--out`` that holds an earlier report (unless ``force``), before any heavy import or work;
    :func:`report_folder` checks again when it writes."""
    _check_destination(Path(out), force)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's live process
    return True


def _clean_stale(out: Path) -> None:
    """Remove staging folders of ``out`` left by killed runs (their pid is dead); restore a set-aside report."""
    for where in {out.parent, out} if out.is_dir() else {out.parent}:
        try:
            entries = list(where.glob(f".{glob_escape(out.name)}.*"))
        except OSError:
            continue
        for d in sorted(entries, key=lambda q: q.suffix == ".partial"):  # restore .old before removing .partial
            parts = d.name[len(out.name) + 2:].split(".")
            if len(parts) != 3 or not parts[0].isdigit() or parts[2] not in ("partial", "old") or not d.is_dir():
                continue
            if int(parts[0]) == os.getpid() or _pid_alive(int(parts[0])):
                continue
            if parts[2] == "old" and where == out.parent and not out.exists():
                os.replace(d, out)  # killed between the two renames: the old report comes back
            else:
                shutil.rmtree(d, ignore_errors=True)


def glob_escape(name: str) -> str:
    import glob

    return glob.escape(name)


def _renamable(out: Path) -> bool:
    """A folder that can be renamed aside as a whole (not a mount point, not the current folder)."""
    try:
        return not os.path.ismount(out) and os.path.realpath(out) != os.path.realpath(os.getcwd())
    except OSError:
        return False


def _swap(staging: Path, out: Path) -> None:
    """Replace the folder ``out`` with ``staging`` as one step: old aside, new in, old removed."""
    import signal
    import threading

    aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".old", dir=out.parent))
    block = threading.current_thread() is threading.main_thread() and hasattr(signal, "pthread_sigmask")
    held = {signal.SIGINT, signal.SIGTERM}
    if block:
        signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        os.replace(out, aside)  # an empty aside folder is replaced by the old report
        try:
            os.replace(staging, out)
        except BaseException:
            os.replace(aside, out)  # the old report back where it was
            raise
    finally:
        if block:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, held)
    shutil.rmtree(aside, ignore_errors=True)


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
    if out.parent.is_dir():
        _clean_stale(out)  # first: a report a killed --force set aside comes back before the check
    _check_destination(out, force)
    # An existing folder (possibly a mount point, or "."): stage inside it, so the final moves
    # stay on its filesystem; a new one: stage beside it and rename the whole folder into place.
    # An earlier report (a non-empty folder, with --force) that can be renamed is replaced as a whole,
    # staged beside it; an empty existing folder (a mount point, ".") is staged inside.
    inside = out.is_dir() and (not any(out.iterdir()) or not _renamable(out))
    created = [d for d in (out.parent, *out.parent.parents) if not d.exists()]  # removed again on failure
    try:
        if not inside:
            out.parent.mkdir(parents=True, exist_ok=True)
        try:
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".partial",
                                            dir=out if inside else out.parent))
        except PermissionError:
            if inside or not out.is_dir():
                raise
            inside = True  # a parent we may not write: stage inside, replace file by file
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".partial", dir=out))
    except OSError as exc:  # checked before any work: an unwritable --out is found now, not after the run
        reason = exc.strerror or str(exc)
        raise CLIError(f"--out {str(out)!r} cannot be written: {reason}"
                       + (f" ({exc.filename})" if exc.filename and str(exc.filename) != str(out) else "")) from None
    done = False
    try:
        yield staging
        _check_destination(out, force, ignore=staging)
        if not inside:
            os.chmod(staging, 0o777 & ~current_umask())  # mkdtemp makes 0700
            if out.exists():
                _swap(staging, out)  # --force over an earlier report: one step
            else:
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
