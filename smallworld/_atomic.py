"""Atomic file writes, in one place for the whole toolkit.

Every file the toolkit writes (graphs, checkpoints, JSON reports, figures)
goes through :func:`atomic_open`: the data are written to a temporary file in
the target's folder, flushed and fsynced, given the usual permissions and
moved over the target with :func:`os.replace`.  A crash or an exception leaves
either the old file or the new one, never half of one, and no temporary file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_open", "atomic_write_text", "atomic_write_bytes", "current_umask", "remove_stale_temporaries"]


def current_umask() -> int:
    """The process umask (read without changing it for longer than one call)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


_SUFFIX = ".tmp"  # temporary files are ".NAME.<random>.tmp" beside NAME


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Delete the temporary files that :func:`atomic_open` writes of ``path`` and that a killed writer (kill -9,
    power loss) could not remove; returns those deleted.  Call it only where no other writer of ``path`` runs.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / ".state.pt.x1y2.tmp").write_bytes(b"half"), (d / ".other.tmp").write_bytes(b"kept")
    >>> [p.name for p in remove_stale_temporaries(d / "state.pt")], sorted(p.name for p in d.iterdir())
    (['.state.pt.x1y2.tmp'], ['.other.tmp'])
    >>> import shutil; shutil.rmtree(d)
    """
    path = Path(path)
    gone = []
    for stale in path.parent.glob(f".{path.name}.*{_SUFFIX}"):
        try:
            stale.unlink()
            gone.append(stale)
        except OSError:  # gone already, or not ours to delete: harmless either way
            pass
    return gone


def _default_mode() -> int:
    return 0o666 & ~current_umask()


@contextmanager
def atomic_open(path: str | os.PathLike, *, binary: bool = True, what: str = "file") -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path``; on success move it over ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The target file.  Its folder must exist.
    binary : bool
        Binary (``"wb"``) or UTF-8 text (``"w"``, ``"\\n"`` line ends).
    what : str
        What is being written, for error messages ("the graph", "--json" ...).

    Raises
    ------
    IsADirectoryError
        If ``path`` is a directory.
    FileNotFoundError
        If the folder of ``path`` does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> with atomic_open(p, binary=False) as fh:
    ...     _ = fh.write("hello")
    >>> p.read_text()
    'hello'
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {what} to {os.fspath(path)!r}: it is a directory")
    if not directory.is_dir():
        raise FileNotFoundError(
            f"cannot write {what} to {os.fspath(path)!r}: directory {os.fspath(directory)!r} does not exist"
        )
    try:
        mode = path.stat().st_mode & 0o777  # keep an existing file's permissions
    except FileNotFoundError:
        mode = _default_mode()  # mkstemp makes 0600; give the usual permissions
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=_SUFFIX)
    try:
        kwargs: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": "\n"}
        with os.fdopen(fd, "wb" if binary else "w", **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable (POSIX); not possible everywhere
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(dfd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dfd)


def atomic_write_text(path: str | os.PathLike, text: str, *, what: str = "file") -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_open(path, binary=False, what=what) as fh:
        fh.write(text)
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, what: str = "file") -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_open(path, binary=True, what=what) as fh:
        fh.write(data)
    return Path(path)
