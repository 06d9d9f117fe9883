"""The thread policy: how many cores the toolkit's compiled kernels and torch may use.

One number, the *thread budget*, bounds every parallel region the toolkit opens:
the numba kernels of :mod:`nets` (sparse layer products) and torch's intra-op
threads while :func:`nets.train` runs.  It is, first match wins:

1. the value given to :func:`set_num_threads` (or :func:`thread_limit`, or
   ``smallworld ... --threads N`` on the command line);
2. the environment variable ``SMALLWORLD_NUM_THREADS`` (a positive integer);
3. the cores this process may use (:func:`usable_cores`): its CPU affinity
   (``os.sched_getaffinity``) capped by a cgroup CPU quota (v2 ``cpu.max``, v1
   ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``), rounded down, at least 1.

A budget above :func:`usable_cores` is capped to it: more threads than cores
only adds waiting.

How the budget is spent
-----------------------
- A compiled kernel runs in parallel only when its work (FMAs, or elements
  for memory-bound passes) is above a measured break-even (see
  ``nets._backends``); below it the kernel's serial twin runs, so a small
  layer never opens a parallel region that would wait for a descheduled
  thread on a busy machine.
- torch's intra-op threads and numba's threads take turns: numba kernels run
  on the thread that runs the torch ops, one after the other, and numba's
  ``workqueue`` workers sleep between regions (they do not spin, unlike a second
  OpenMP runtime beside torch's), so at most ``budget`` threads compute at once.
- :func:`nets.train` runs torch with one intra-op thread when the model's
  largest layer is below torch's break-even (the 64-wide MLPs of the demo and
  the README), and with the budget otherwise.

Examples
--------
>>> import smallworld
>>> n = smallworld.get_num_threads()
>>> 1 <= n <= usable_cores()
True
>>> with smallworld.thread_limit(1):
...     smallworld.get_num_threads()
1
>>> smallworld.get_num_threads() == n
True
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "ENV_VAR",
    "usable_cores",
    "get_num_threads",
    "set_num_threads",
    "thread_limit",
    "kernel_threads",
    "torch_threads",
    "parse_threads",
]

#: Environment variable read when no budget was set in Python.
ENV_VAR = "SMALLWORLD_NUM_THREADS"

_CGROUP_ROOT = Path("/sys/fs/cgroup")
_requested: int | None = None  # set_num_threads / thread_limit; None: env var or usable cores
_lock = threading.Lock()


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except (OSError, ValueError):
        return None


def _own_cgroup() -> str:
    """This process's cgroup v2 path (``0::/path`` in ``/proc/self/cgroup``), '' if unknown."""
    text = _read(Path("/proc/self/cgroup")) or ""
    for line in text.splitlines():
        if line.startswith("0::"):
            return line[3:].strip().lstrip("/")
    return ""


def cgroup_cpu_quota() -> float | None:
    """The cgroup CPU quota in cores (e.g. 1.5), or None when there is none or it cannot be read.

    Reads cgroup v2 ``cpu.max`` (``"max 100000"`` means no quota) in this
    process's cgroup, then at the root of ``/sys/fs/cgroup``; then cgroup v1
    ``cpu/cpu.cfs_quota_us`` over ``cpu.cfs_period_us`` (quota -1: none).
    """
    own = _own_cgroup()
    for base in ([_CGROUP_ROOT / own] if own else []) + [_CGROUP_ROOT]:
        text = _read(base / "cpu.max")
        if text is None:
            continue
        parts = text.split()
        if len(parts) >= 2 and parts[0] != "max":
            try:
                quota, period = float(parts[0]), float(parts[1])
            except ValueError:
                return None
            return quota / period if quota > 0 and period > 0 else None
        return None
    for sub in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        q, p = _read(_CGROUP_ROOT / sub / "cpu.cfs_quota_us"), _read(_CGROUP_ROOT / sub / "cpu.cfs_period_us")
        if q is None or p is None:
            continue
        try:
            quota, period = float(q), float(p)
        except ValueError:
            return None
        return quota / period if quota > 0 and period > 0 else None
    return None


def usable_cores() -> int:
    """The cores this process may use: its CPU affinity, capped by a cgroup CPU quota.

    A fractional quota rounds down (1.5 cores -> 1: a second thread would be
    throttled for part of every period), never below 1.

    Examples
    --------
    >>> usable_cores() >= 1
    True
    """
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        n = os.cpu_count() or 1
    quota = cgroup_cpu_quota()
    if quota is not None:
        n = min(n, max(1, math.floor(quota + 1e-9)))
    return max(1, n)


def parse_threads(value: Any, name: str = "n") -> int:
    """A thread count: a positive integer (``bool`` and floats refused).

    Raises
    ------
    TypeError
        If ``value`` is not an integer.
    ValueError
        If ``value < 1``.

    Examples
    --------
    >>> parse_threads(2)
    2
    >>> parse_threads(0)
    Traceback (most recent call last):
    ...
    ValueError: n must be an integer >= 1 (a number of threads), got n=0
    """
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 1 (a number of threads), got {value!r} of type {type(value).__name__}")
    if int(value) < 1:
        raise ValueError(f"{name} must be an integer >= 1 (a number of threads), got {name}={int(value)}")
    return int(value)


def _from_env() -> int | None:
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(
            f"{ENV_VAR} must be an integer >= 1 (a number of threads), got {ENV_VAR}={raw!r}"
        ) from None
    if value < 1:
        raise ValueError(f"{ENV_VAR} must be an integer >= 1 (a number of threads), got {ENV_VAR}={raw!r}")
    return value


def get_num_threads() -> int:
    """The thread budget of the toolkit's kernels and of torch inside :func:`nets.train`.

    The value set by :func:`set_num_threads`, else ``SMALLWORLD_NUM_THREADS``,
    else :func:`usable_cores`; always capped to :func:`usable_cores`.

    Raises
    ------
    ValueError
        If ``SMALLWORLD_NUM_THREADS`` is set to something other than a positive integer.

    Examples
    --------
    >>> get_num_threads() >= 1
    True
    """
    n = _requested if _requested is not None else _from_env()
    cores = usable_cores()
    return cores if n is None else min(n, cores)


def set_num_threads(n: int | None) -> None:
    """Set the thread budget for the whole process (``None``: back to the default).

    Applies to the numba kernels at once and to torch's intra-op threads
    (``torch.set_num_threads``) when torch is loaded; :func:`nets.train`
    applies it to torch again when it starts.

    Parameters
    ----------
    n : int or None
        Threads, >= 1; values above :func:`usable_cores` are capped to it.
        ``None`` returns to ``SMALLWORLD_NUM_THREADS`` or the usable cores.

    Raises
    ------
    TypeError
        If ``n`` is not an integer (``bool`` and floats included).
    ValueError
        If ``n < 1``.

    Examples
    --------
    >>> set_num_threads(1); get_num_threads()
    1
    >>> set_num_threads(None)
    >>> set_num_threads(0)
    Traceback (most recent call last):
    ...
    ValueError: n must be an integer >= 1 (a number of threads), got n=0
    """
    global _requested
    value = None if n is None else parse_threads(n, "n")
    with _lock:
        _requested = value
    _apply_torch(get_num_threads())
    _apply_blas(get_num_threads())


@contextmanager
def thread_limit(n: int | None) -> Iterator[int]:
    """Run a block with thread budget ``n``, then restore the previous budget (and torch's threads).

    Parameters
    ----------
    n : int or None
        As for :func:`set_num_threads`.

    Yields
    ------
    int
        The budget in force inside the block.

    Examples
    --------
    >>> with thread_limit(1) as k:
    ...     k
    1
    """
    global _requested
    value = None if n is None else parse_threads(n, "n")
    torch = sys.modules.get("torch")
    before_torch = torch.get_num_threads() if torch is not None else None
    with _lock:
        before = _requested
        _requested = value
    try:
        budget = get_num_threads()
        _apply_torch(budget)
        _apply_blas(budget)
        yield budget
    finally:
        with _lock:
            _requested = before
        if before_torch is not None:
            torch.set_num_threads(before_torch)
        _apply_blas(get_num_threads())


_blas_threads: int | None = None  # what _apply_blas last set (None: never touched, BLAS at its own default)


def _apply_blas(n: int) -> None:
    """numpy/scipy's BLAS (OpenBLAS, MKL, BLIS) threads follow the budget too, through threadpoolctl.

    BLAS threads are a pool of their own: left at their default they ignore ``--threads 1`` and spin
    against busy cores (a threaded ``ddot`` in ``np.linalg.norm`` took 2.4 ms per call on a loaded 2-core
    machine).  Only called when the budget is set; nothing is changed when threadpoolctl is missing.
    """
    global _blas_threads
    if _blas_threads == n or (_blas_threads is None and _requested is None and _from_env() is None):
        return  # nothing set and nothing to undo: leave BLAS at its own default
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings it
        return
    threadpool_limits(limits=n, user_api="blas")
    _blas_threads = n


def blas_threads() -> int | None:
    """Threads of the first loaded BLAS library (threadpoolctl), or None when none is loaded or it is unknown.

    Examples
    --------
    >>> blas_threads() is None or blas_threads() >= 1
    True
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover
        return None
    info = [d for d in threadpool_info() if d.get("user_api") == "blas"]
    return int(info[0]["num_threads"]) if info else None


def _apply_torch(n: int) -> None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != n:
        torch.set_num_threads(n)


def kernel_threads(work: float, break_even: float) -> int:
    """Threads for one compiled kernel of ``work`` units: 1 below ``break_even`` (or a budget of 1), else the budget.

    Examples
    --------
    >>> kernel_threads(10, 1e6)
    1
    """
    if work < break_even:
        return 1
    return get_num_threads()


@contextmanager
def torch_threads(work: float, break_even: float) -> Iterator[int]:
    """torch intra-op threads for a block whose largest op does ``work`` units: 1 below
    ``break_even``, else the budget; torch's setting is restored afterwards.

    Examples
    --------
    >>> import torch
    >>> with torch_threads(10, 1e6) as k:
    ...     k, torch.get_num_threads()
    (1, 1)
    """
    import torch

    n = kernel_threads(work, break_even)
    before = torch.get_num_threads()
    if before != n:
        torch.set_num_threads(n)
    try:
        yield n
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
