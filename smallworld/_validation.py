"""One place for validating user input and normalising seeds.

Every public function of the toolkit validates its arguments through these
helpers, so that error messages have one shape: they name the parameter, quote
the value received and say what is allowed.  ``TypeError`` is raised for a
wrong type and ``ValueError`` for a wrong value.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import warnings
from collections.abc import Iterable
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
