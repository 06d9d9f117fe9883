"""One place for validating user input and normalising seeds.

Every public function of the toolkit validates its arguments through these
helpers, so that error messages have one shape: they name the parameter, quote
the value received and say what is allowed.  ``TypeError`` is raised for a
wrong type and ``ValueError`` for a wrong value.

Size limits (:func:`check_graph_size`): work that cannot fit is refused with a
``ValueError`` *before* anything is allocated, never left to a ``MemoryError``
half-way.  Two limits apply to a graph of ``n`` nodes and ``nnz`` stored
entries (an undirected edge is stored twice):

- ``n <= MAX_NODES = 2**31 - 1``: node ids must fit an ``int32``, which is
  what :mod:`scipy.sparse.csgraph` (connected components, shortest paths)
  uses for node labels, and the compact CSR index type of the generators;
- the measured peak of building it, ``bytes_per_node * n + bytes_per_entry *
  nnz``, must not exceed :func:`available_memory`.  The constants are upper
  bounds of peaks measured with :mod:`tracemalloc` (command in
  ``BENCHMARKS.md``, "Reliability"): per node ``BYTES_PER_NODE = 24``
  (``as_graph`` of one edge with ``n = 2**23``: 17.7 B; ``watts_strogatz``
  with ``k = 2``: ~23 B besides its entries -- the CSR's ``indptr`` plus the
  row counts and scratch); per stored entry ``BYTES_PER_ENTRY = 8`` for
  the generators (``watts_strogatz``, ``k = 40``: 7.2 B; ``n = 5e6``, ``k = 10``: 466 MiB
  in all, against 496 MiB estimated) and
  ``EDGE_LIST_BYTES_PER_ENTRY = 64`` for edge lists and ``edge_index``
  turned into a graph by :func:`smallworld.as_graph` and the readers
  (undirected 48 B, directed 64 B: ids, sort keys, COO and CSR copies).  An
  earlier 8-byte-per-node lower bound passed ``as_graph([(0, 1)],
  n=2**31 - 1)``, whose peak is twice that, and the process ran out of
  memory.  Text files are also checked before they are parsed:
  ``TEXT_BYTES_PER_BYTE = 32`` per byte of file (edge lists measured 24-30,
  GML 7-20).  The estimate is only compared when it exceeds 64 MiB, so
  small graphs never look at the system.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import warnings
from collections.abc import Callable, Iterable
from typing import Any, Union

import numpy as np

__all__ = [
    "SeedLike",
    "check_random_state",
    "check_int",
    "check_real",
    "check_probability",
    "check_choice",
    "check_bool",
    "MAX_NODES",
    "available_memory",
    "check_graph_size",
    "check_memory",
    "clip",
    "warn_user",
]

SeedLike = Union[None, int, np.random.Generator]


def check_random_state(seed: Any, name: str = "seed") -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``seed``.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        ``None`` gives fresh OS entropy, an ``int`` a reproducible stream and a
        ``Generator`` is returned as is (so that a caller can thread one
        generator through several calls).  The global NumPy RNG is never used.
    name : str
        Parameter name used in error messages.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    TypeError
        If ``seed`` is of another type (``bool`` and ``float`` included).
    ValueError
        If ``seed`` is a negative integer.

    Examples
    --------
    >>> rng = check_random_state(42)
    >>> int(rng.integers(100)) == int(check_random_state(42).integers(100))
    True
    """
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.random.RandomState):
        # Derive a Generator deterministically from a legacy RandomState.
        return np.random.default_rng(seed.randint(0, 2**31 - 1))
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{name} must be None, an int or a numpy.random.Generator, "
            f"got {seed!r} of type {type(seed).__name__}"
        )
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {name}={seed}")
    return np.random.default_rng(int(seed))


def _bounds_text(lo: float | None, hi: float | None, lo_incl: bool, hi_incl: bool) -> str:
    parts = []
    if lo is not None:
        parts.append(f"{'>=' if lo_incl else '>'} {lo}")
    if hi is not None:
        parts.append(f"{'<=' if hi_incl else '<'} {hi}")
    return " and ".join(parts)


def check_int(
    value: Any,
    name: str,
    *,
    min_val: int | None = None,
    max_val: int | None = None,
    include_min: bool = True,
    include_max: bool = True,
) -> int:
    """Validate an integer parameter and return it as a Python ``int``.

    ``bool`` and floats (even ``10.0``) are rejected with ``TypeError``.

    Examples
    --------
    >>> check_int(5, "n", min_val=1)
    5
    >>> check_int(0, "n", min_val=1)
    Traceback (most recent call last):
    ...
    ValueError: n must be an integer >= 1, got n=0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    value = int(value)
    ok = True
    if min_val is not None:
        ok &= value >= min_val if include_min else value > min_val
    if max_val is not None:
        ok &= value <= max_val if include_max else value < max_val
    if not ok:
        raise ValueError(
            f"{name} must be an integer {_bounds_text(min_val, max_val, include_min, include_max)}, "
            f"got {name}={value}"
        )
    return value


def check_real(
    value: Any,
    name: str,
    *,
    min_val: float | None = None,
    max_val: float | None = None,
    include_min: bool = True,
    include_max: bool = True,
) -> float:
    """Validate a finite real parameter and return it as a Python ``float``.

    Examples
    --------
    >>> check_real(0.5, "p", min_val=0, max_val=1)
    0.5
    >>> check_real(float("nan"), "p")
    Traceback (most recent call last):
    ...
    ValueError: p must be a finite real number, got p=nan
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {name}={value}")
    ok = True
    if min_val is not None:
        ok &= value >= min_val if include_min else value > min_val
    if max_val is not None:
        ok &= value <= max_val if include_max else value < max_val
    if not ok:
        raise ValueError(
            f"{name} must be a real number {_bounds_text(min_val, max_val, include_min, include_max)}, "
            f"got {name}={value}"
        )
    return value


def check_probability(value: Any, name: str = "p") -> float:
    """Validate a probability in the closed interval [0, 1].

    Examples
    --------
    >>> check_probability(1.5, "p")
    Traceback (most recent call last):
    ...
    ValueError: p must be a real number >= 0 and <= 1, got p=1.5
    """
    return check_real(value, name, min_val=0, max_val=1)


def check_choice(value: Any, name: str, allowed: Iterable[Any]) -> Any:
    """Validate that ``value`` is one of ``allowed``.

    Examples
    --------
    >>> check_choice("lcc", "disconnected", ("raise", "lcc"))
    'lcc'
    >>> check_choice("x", "disconnected", ("raise", "lcc"))
    Traceback (most recent call last):
    ...
    ValueError: disconnected must be one of 'raise', 'lcc', got disconnected='x'
    """
    allowed = tuple(allowed)
    try:
        found = value in allowed
    except TypeError:  # unhashable or incomparable
        found = False
    if not found:
        listed = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {listed}, got {name}={value!r}")
    return value


def check_bool(value: Any, name: str) -> bool:
    """Validate a boolean flag (``bool`` or ``numpy.bool_``)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} of type {type(value).__name__}")
    return bool(value)


#: Largest node count of a graph: node ids must fit an ``int32`` (the label type of
#: :mod:`scipy.sparse.csgraph` and the compact CSR index type).
MAX_NODES = 2**31 - 1

#: Upper bounds of the measured peak bytes of building a graph, per node and per stored entry
#: (generators; edge lists and edge_index have their own per-entry cost): see the module docstring.
BYTES_PER_NODE = 24
BYTES_PER_ENTRY = 8
EDGE_LIST_BYTES_PER_ENTRY = 64
#: Peak bytes of parsing a text graph file, per byte of the file.
TEXT_BYTES_PER_BYTE = 32

#: Estimates below this many bytes are not compared with the available memory.
_MEMORY_CHECK_FLOOR = 64 * 2**20


def _read_int(path: str) -> int | None:
    try:
        with open(path) as fh:
            text = fh.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def available_memory() -> int | None:
    """Bytes of memory this process can still allocate, or ``None`` if unknown.

    ``MemAvailable`` of ``/proc/meminfo`` (free plus reclaimable memory),
    lowered to the room left under a cgroup memory limit (v2 ``memory.max``
    minus ``memory.current``, or v1 ``memory.limit_in_bytes`` minus
    ``memory.usage_in_bytes``, each usage less its reclaimable inactive file
    cache from ``memory.stat``) when the process runs in a container.  On
    systems without ``/proc`` the total physical memory is used.
    """
    avail: int | None = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        avail = None
    if avail is None:
        try:
            avail = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = None
    for limit_file, usage_file, stat_file, cache_key in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current", "/sys/fs/cgroup/memory.stat", "inactive_file"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes",
            "/sys/fs/cgroup/memory/memory.stat", "total_inactive_file",
        ),
    ):  # fmt: skip
        limit, usage = _read_int(limit_file), _read_int(usage_file)
        if limit is not None and usage is not None and limit < 2**60:  # v1 reports "no limit" as ~2**63
            # the usage counts page cache the kernel reclaims on demand: inactive file pages are room
            usage -= min(_read_stat(stat_file, cache_key) or 0, usage)
            room = max(limit - usage, 0)
            avail = room if avail is None else min(avail, room)
            break
    return avail


def _read_stat(path: str, key: str) -> int | None:
    """One ``key value`` line of a cgroup ``memory.stat`` file."""
    try:
        with open(path) as fh:
            for line in fh:
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
    except (OSError, ValueError):
        return None
    return None


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.1f} GiB"


def check_graph_size(
    n: int, nnz: float = 0, *, name: str = "n", bytes_per_entry: float = BYTES_PER_ENTRY
) -> None:
    """Refuse a graph too large to build, before anything is allocated.

    Parameters
    ----------
    n : int
        Number of nodes (rows of the adjacency), already validated as an int.
    nnz : float
        Number of stored entries, exact or expected (``2 m`` for ``m``
        undirected edges).
    name : str
        What the message blames, as ``{name}={n}``: a parameter name
        (``"n"``), or a file and what it implies (``"ws.edgelist: n"``).
    bytes_per_entry : float
        Peak bytes per stored entry of the path that builds the graph
        (``BYTES_PER_ENTRY`` for generators, ``EDGE_LIST_BYTES_PER_ENTRY``
        for edge lists).

    Raises
    ------
    ValueError
        If ``n > MAX_NODES``, or the estimated peak memory
        ``BYTES_PER_NODE * n + bytes_per_entry * nnz`` exceeds
        :func:`available_memory`.

    Examples
    --------
    >>> check_graph_size(1000, 10_000)
    >>> check_graph_size(10**10)
    Traceback (most recent call last):
    ...
    ValueError: n=10000000000 is too large: a graph has at most MAX_NODES = 2**31 - 1 = 2147483647 nodes (node ids must fit an int32)
    """
    shown = f"{name}={n}"
    if n > MAX_NODES:
        raise ValueError(
            f"{shown} is too large: a graph has at most MAX_NODES = 2**31 - 1 = {MAX_NODES} nodes "
            "(node ids must fit an int32)"
        )
    check_memory(
        BYTES_PER_NODE * float(n) + bytes_per_entry * float(nnz),
        shown,
        f"{n} nodes, about {float(nnz):.3g} stored entries; {BYTES_PER_NODE} bytes per node + "
        f"{bytes_per_entry:g} per entry",
    )


def clip(text: str, limit: int = 80) -> str:
    """``repr`` of ``text`` for an error message, cut to its first ``limit`` characters with its length.

    A 10 MB line quoted whole made a 10-million-character message.

    Examples
    --------
    >>> clip("a b c")
    "'a b c'"
    >>> clip("x" * 100, 5)
    "'xxxxx'... (100 characters)"
    """
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


def check_memory(need: float, what: str, detail: str = "") -> None:
    """Refuse work whose estimated memory ``need`` (bytes) exceeds :func:`available_memory`.

    Estimates up to 64 MiB are accepted without looking at the system, and
    so is everything when the available memory is unknown.

    Parameters
    ----------
    need : float
        Estimated peak bytes.
    what : str
        What is refused, as the message's subject (``"n=2147483647"``).
    detail : str
        How ``need`` was estimated, shown in parentheses.

    Raises
    ------
    ValueError
        ``"{what} is too large for this machine: building it needs about
        64.0 GiB (...), but only 8.0 GiB of memory is available"``.
    """
    if need <= _MEMORY_CHECK_FLOOR:
        return
    avail = available_memory()
    if avail is not None and need > avail:
        how = f" ({detail})" if detail else ""
        raise ValueError(
            f"{what} is too large for this machine: building it needs about {_gib(need)}{how}, "
            f"but only {_gib(avail)} of memory is available"
        )


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` attributed to the first caller outside the ``smallworld`` package.

    A fixed ``stacklevel`` points at the wrong line as soon as the same
    helper is reached along paths of different depth (``as_graph`` on a list,
    an array or a networkx graph; ``smallworld.read``); this walks the stack
    instead, so the warning names the user's own call.
    """
    frame = sys._getframe(1)
    level = 2  # stacklevel 1 is this function, 2 the frame above
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


def round_up(x: float, works: Callable[[float], bool], digits: int = 3) -> float:
    """The smallest number with ``digits`` significant digits that is ``>= x`` and ``works``.

    For suggestions in messages: a bound such as ``0.5 / cells`` printed
    rounded to nearest can fall just below the bound and fail the same way
    (``0.0238 * 21`` rounds to 0 connections), so round up and check.

    Examples
    --------
    >>> round_up(0.5 / 21, lambda d: round(d * 21) >= 1)
    0.0239
    >>> round_up(0.5, lambda d: round(d) >= 1)  # round(0.5) == 0: one step more
    0.501
    """
    exp = math.floor(math.log10(x)) - (digits - 1)
    k = math.ceil(x / 10.0**exp)
    while True:
        d = float(f"{k}e{exp}")
        if d >= x and works(d):
            return d
        k += 1
