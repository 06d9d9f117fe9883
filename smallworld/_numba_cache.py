"""Keep numba's on-disk cache working from a read-only install.

numba caches compiled kernels next to their source (``__pycache__``); when the
install is not writable (site-packages owned by root) it falls back to
``~/.cache/numba``; when that is not writable either (``HOME=/nonexistent``
in CI and services) a ``cache=True`` kernel raises ``RuntimeError: cannot
cache function ... no locator available`` at import.  :func:`ensure_cache_dir`
runs before any kernel is defined and, only in that last case, points
``numba.config.CACHE_DIR`` at a per-user folder in the temp directory.
``NUMBA_CACHE_DIR`` set by the user always wins.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["ensure_cache_dir"]


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def ensure_cache_dir() -> str | None:
    """Set a fallback numba cache folder when neither the install nor the user cache is writable.

    Returns the folder set, or None when numba's own locations work (or the
    user chose ``NUMBA_CACHE_DIR``).
    """
    import numba

    if numba.config.CACHE_DIR:
        return None
    if _writable(Path(__file__).resolve().parent / "__pycache__"):
        return None
    try:
        from numba.misc.appdirs import AppDirs

        if _writable(Path(AppDirs(appname="numba", appauthor=False).user_cache_dir)):
            return None
    except (ImportError, OSError, KeyError, RuntimeError):
        pass
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    folder = Path(tempfile.gettempdir()) / f"smallworld-numba-cache-{uid}"
    if not _writable(folder):
        return None  # nowhere to write: numba will say so
    numba.config.CACHE_DIR = str(folder)
    return str(folder)
