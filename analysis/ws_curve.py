"""The Watts–Strogatz clustering and path-length curves (Watts & Strogatz 1998, Fig. 2).

For a ring lattice of ``n`` nodes and degree ``k`` rewired with probability
``p``, Watts and Strogatz plotted the mean clustering ``C(p)/C(0)`` and the mean
path length ``L(p)/L(0)`` against ``p`` on a logarithmic axis: ``L`` collapses
at small ``p`` while ``C`` stays high — the small-world regime.
:func:`ws_curve` computes those curves with the toolkit's own generator
(:func:`smallworld.watts_strogatz`) and metrics (:func:`analysis.average_clustering`,
:func:`analysis.average_path_length`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from smallworld._validation import check_int, check_random_state

__all__ = ["WSCurve", "ws_curve", "barrat_weigt", "WS98_PS"]

#: The 14 rewiring probabilities of Watts & Strogatz (1998), Fig. 2: 1e-4 ... 1, log-spaced.
WS98_PS: tuple[float, ...] = tuple(float(p) for p in np.logspace(-4, 0, 14))


@dataclass(frozen=True)
class WSCurve:
    """Result of :func:`ws_curve`: mean and spread of C(p) and L(p) over realisations.

    Attributes
    ----------
    n, k : int
        Nodes and (even) degree of the ring lattice.
    ps : numpy.ndarray
        Rewiring probabilities, shape ``(P,)``.
    C, L : numpy.ndarray
        Raw values, shape ``(P, seeds)``: mean local clustering and mean
        shortest-path length of each realisation.
    C0, L0 : float
        Clustering and path length of the unrewired lattice (``p = 0``).
    """

    n: int
    k: int
    ps: np.ndarray
    C: np.ndarray
    L: np.ndarray
    C0: float
    L0: float
    meta: dict = field(default_factory=dict)

    @property
    def seeds(self) -> int:
        """Number of realisations averaged per ``p``."""
        return int(self.C.shape[1])

    @property
    def C_norm(self) -> np.ndarray:
        """Mean ``C(p)/C(0)`` over realisations, shape ``(P,)``."""
        return self.C.mean(axis=1) / self.C0

    @property
    def L_norm(self) -> np.ndarray:
        """Mean ``L(p)/L(0)`` over realisations, shape ``(P,)``."""
        return self.L.mean(axis=1) / self.L0

    @property
    def C_norm_sd(self) -> np.ndarray:
        """Standard deviation of ``C(p)/C(0)`` over realisations (``ddof=1``; 0 for one seed)."""
        return _sd(self.C) / self.C0

    @property
    def L_norm_sd(self) -> np.ndarray:
        """Standard deviation of ``L(p)/L(0)`` over realisations (``ddof=1``; 0 for one seed)."""
        return _sd(self.L) / self.L0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (plain lists and floats)."""
        return {
            "n": self.n,
            "k": self.k,
            "seeds": self.seeds,
            "p": self.ps.tolist(),
            "C0": self.C0,
            "L0": self.L0,
            "C_over_C0": self.C_norm.tolist(),
            "C_over_C0_sd": self.C_norm_sd.tolist(),
            "L_over_L0": self.L_norm.tolist(),
            "L_over_L0_sd": self.L_norm_sd.tolist(),
            **self.meta,
        }


def _sd(x: np.ndarray) -> np.ndarray:
    return x.std(axis=1, ddof=1) if x.shape[1] > 1 else np.zeros(x.shape[0])


def ws_curve(
    n: int = 1000,
    k: int = 10,
    ps: Sequence[float] | None = None,
    *,
    seeds: int = 20,
    seed: Any = None,
    progress: Callable[[int], Any] | None = None,
) -> WSCurve:
    """Compute the Watts–Strogatz curves ``C(p)/C(0)`` and ``L(p)/L(0)``.

    For each rewiring probability in ``ps``, ``seeds`` independent graphs
    :func:`smallworld.watts_strogatz` ``(n, k, p)`` are drawn and their mean local
    clustering (:func:`analysis.average_clustering`: Watts–Strogatz's ``C``,
    nodes of degree < 2 count as 0) and exact mean shortest-path length
    (:func:`analysis.average_path_length`) are recorded.  ``C(0)`` and ``L(0)``
    come from the unrewired ring lattice.

    Parameters
    ----------
    n : int, default 1000
        Number of nodes (Watts & Strogatz used 1000).
    k : int, default 10
        Even degree of the ring lattice, ``4 <= k < n`` (they used 10; for
        ``k = 2`` the lattice has no triangles, ``C(0) = 0``, and ``C(p)/C(0)``
        is undefined).
    ps : sequence of float, optional
        Rewiring probabilities in ``(0, 1]``, strictly increasing.  Defaults to
        :data:`WS98_PS`, the 14 log-spaced values from 1e-4 to 1.
    seeds : int, default 20
        Realisations averaged per ``p`` (Watts & Strogatz averaged 20).
    seed : None, int or numpy.random.Generator
        Seed of the stream from which every realisation's seed is drawn; the
        same seed gives the same curves bit for bit.
    progress : callable, optional
        Called with ``1`` after each graph (e.g. ``tqdm(...).update``).

    Returns
    -------
    WSCurve
        Raw ``C`` and ``L`` per ``(p, realisation)``, the lattice's ``C0`` and
        ``L0``, and the normalised means and spreads as properties.

    Raises
    ------
    TypeError
        If ``n``, ``k`` or ``seeds`` is not an integer, ``ps`` is not a
        sequence of real numbers or ``progress`` is not callable.
    ValueError
        If ``k`` is odd or not in ``[4, n)``, ``seeds < 1``, or ``ps`` is empty,
        not strictly increasing or outside ``(0, 1]``; also if a rewired graph
        is disconnected (its path length would be undefined: raise ``k``).

    References
    ----------
    .. [1] D. J. Watts and S. H. Strogatz, "Collective dynamics of 'small-world'
       networks", Nature 393, 440–442 (1998). https://doi.org/10.1038/30918
    .. [2] A. Barrat and M. Weigt, "On the properties of small-world network
       models", Eur. Phys. J. B 13, 547–560 (2000).
       https://doi.org/10.1007/s100510050067

    Examples
    --------
    >>> curve = ws_curve(200, 10, [0.01, 0.1, 1.0], seeds=2, seed=0)
    >>> curve.C.shape
    (3, 2)
    >>> bool(curve.C_norm[0] > curve.C_norm[-1]), bool(curve.L_norm[-1] < 0.3)
    (True, True)
    """
    from analysis.clustering import average_clustering
    from analysis.paths import average_path_length
    from smallworld import watts_strogatz

    n = check_int(n, "n", min_val=3)
    k = check_int(k, "k")
    if k % 2 or k < 4 or k >= n:
        raise ValueError(
            f"k must be even and 4 <= k < n (for k=2 the lattice has C(0)=0, so C(p)/C(0) is undefined), "
            f"got k={k}, n={n}"
        )
    seeds = check_int(seeds, "seeds", min_val=1)
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be None or a callable, got {progress!r}")
    ps_arr = _check_ps(WS98_PS if ps is None else ps)
    rng = check_random_state(seed)

    lattice = watts_strogatz(n, k, 0.0, seed=0)
    C0 = float(average_clustering(lattice))
    L0 = float(average_path_length(lattice))
    child_seeds = rng.integers(0, 2**63 - 1, size=(len(ps_arr), seeds))
    C = np.empty((len(ps_arr), seeds))
    L = np.empty((len(ps_arr), seeds))
    for i, p in enumerate(ps_arr):
        for j in range(seeds):
            g = watts_strogatz(n, k, float(p), seed=int(child_seeds[i, j]))
            C[i, j] = average_clustering(g)
            L[i, j] = average_path_length(g)
            if progress is not None:
                progress(1)
    return WSCurve(n=n, k=k, ps=ps_arr, C=C, L=L, C0=C0, L0=L0)


def _check_ps(ps: Any) -> np.ndarray:
    if isinstance(ps, (str, bytes)) or not hasattr(ps, "__len__"):
        raise TypeError(f"ps must be a sequence of real numbers, got {ps!r} of type {type(ps).__name__}")
    try:
        arr = np.asarray(ps, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"ps must be a sequence of real numbers, got ps={ps!r}") from exc
    if arr.size == 0:
        raise ValueError("ps must contain at least one probability, got an empty sequence")
    if not np.all(np.isfinite(arr)) or arr.min() <= 0 or arr.max() > 1:
        raise ValueError(f"ps must lie in (0, 1] (p=0 is the reference lattice), got ps={arr.tolist()}")
    if np.any(np.diff(arr) <= 0):
        raise ValueError(f"ps must be strictly increasing, got ps={arr.tolist()}")
    return arr


def barrat_weigt(ps: Sequence[float] | np.ndarray) -> np.ndarray:
    """Mean-field prediction ``C(p)/C(0) = (1 - p)^3`` of Barrat & Weigt (2000).

    Examples
    --------
    >>> barrat_weigt([0.0, 1.0]).tolist()
    [1.0, 0.0]
    """
    return (1.0 - np.asarray(ps, dtype=np.float64)) ** 3

