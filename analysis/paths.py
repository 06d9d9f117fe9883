"""Characteristic path length ``L`` (mean shortest-path length over ordered pairs).

Exact values come from a bit-parallel multi-source BFS (unweighted graphs)
or blocked Dijkstra (weighted graphs); graphs too large for all pairs get a
sampled estimate with a confidence interval.  A disconnected graph never
yields a silent subset or NaN: the ``disconnected`` policy says what to do.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from analysis._adjacency import (
    adjacency,
    check_weight,
    is_connected,
    is_symmetric,
    largest_component,
    require_nodes,
    strip_diagonal,
    weights_of,
)
from analysis._distances import distance_sums
from smallworld._validation import check_bool, check_choice, check_int, check_random_state, check_real

__all__ = ["average_path_length", "PathLength"]

_POLICIES = ("raise", "lcc", "harmonic", "reachable")


@dataclass(frozen=True)
class PathLength:
    """An average path length with its confidence interval.

    Attributes
    ----------
    value : float
        ``L`` (exact, or the sample mean for ``method="sample"``).
    ci_low, ci_high : float
        Confidence interval (both equal ``value`` for an exact result).
    confidence : float
        Level of the interval.
    method : str
        ``"exact"`` or ``"sample"``.
    n_sources : int
        BFS/Dijkstra sources used.
    n_nodes : int
        Nodes of the graph measured (the component's size for ``"lcc"``).
    disconnected : str
        The policy applied.
    """

    value: float
    ci_low: float
    ci_high: float
    confidence: float
    method: str
    n_sources: int
    n_nodes: int
    disconnected: str

    def to_dict(self) -> dict[str, Any]:
        """Plain ``dict`` of the fields (JSON-serialisable)."""
        return asdict(self)

    def __str__(self) -> str:
        if self.method == "exact":
            return f"L = {self.value:.6g} (exact, n={self.n_nodes})"
        return (
            f"L = {self.value:.6g} [{self.ci_low:.6g}, {self.ci_high:.6g}] "
            f"({self.confidence:.0%} CI, {self.n_sources} sampled sources, n={self.n_nodes})"
        )


def average_path_length(
    g: Any,
    *,
    weight: str | None = None,
    directed: bool | None = None,
    disconnected: str = "raise",
    method: str = "exact",
    n_sources: int = 1000,
    confidence: float = 0.95,
    seed: Any = None,
    return_ci: bool = False,
) -> float | PathLength:
    """Average shortest-path length ``L`` over ordered pairs of distinct nodes.

    Parameters
    ----------
    g : graph-like
        Anything :func:`smallworld.as_graph` accepts.  Self-loops are ignored.
    weight : None or "weight"
        ``None``: hop counts (bit-parallel BFS).  ``"weight"``: the adjacency's
        values are arc lengths (Dijkstra; they must be non-negative).
    directed : bool or None
        ``None`` follows the graph: paths run along arcs if it is directed in
        the sense of :func:`smallworld.is_directed` (not symmetric, weights
        included) when ``weight="weight"``, or if its nonzero pattern is not
        symmetric when ``weight=None`` (hop counts ignore weights; reciprocal
        arcs that differ only in weight give the same hop counts either way).
        ``False`` symmetrises first (the larger weight of two reciprocal
        arcs), ``True`` follows arcs.
    disconnected : {"raise", "lcc", "harmonic", "reachable"}
        What to do when some pair has no path (for directed graphs: when the
        graph is not strongly connected).  ``"raise"``: ValueError.
        ``"lcc"``: measure the largest (strongly) connected component; ties
        go to the component holding the smallest node id.
        ``"harmonic"``: always (connected or not) the harmonic mean
        ``n(n-1) / sum 1/d`` (unreachable pairs add 0; the inverse of global
        efficiency, Marchiori & Latora 2000 [1]_).  ``"reachable"``: mean over reachable pairs only (igraph's
        ``unconn=True``).
    method : {"exact", "sample"}
        ``"exact"``: all sources.  ``"sample"``: ``n_sources`` sources drawn
        without replacement; the estimate is the mean of the per-source means
        with a Student-t interval (with finite-population correction).
        Recommended from n ~ 1e5 on.  Supports ``"raise"`` and ``"lcc"``.
    n_sources : int
        Sources for ``method="sample"`` (at least 2; capped at n).
    confidence : float
        Level of the interval, in (0, 1).
    seed : None, int or numpy.random.Generator
        Randomness for the sampled sources.
    return_ci : bool
        Return a :class:`PathLength` (value and interval) instead of a float.

    Returns
    -------
    float or PathLength

    Raises
    ------
    ValueError
        For fewer than 2 nodes, an unknown policy, a disconnected graph with
        ``disconnected="raise"``, a graph with no reachable pair, or negative
        weights.

    References
    ----------
    .. [1] M. Marchiori and V. Latora, "Harmony in the small-world", Physica
       A 285, 539-546 (2000), doi:10.1016/S0378-4371(00)00311-3.
    .. [2] D. J. Watts and S. H. Strogatz, "Collective dynamics of
       'small-world' networks", Nature 393, 440-442 (1998), doi:10.1038/30918.

    Examples
    --------
    >>> average_path_length([(0, 1), (1, 2), (2, 3)])
    1.6666666666666667
    >>> average_path_length([(0, 1), (2, 3)], disconnected="lcc")
    1.0
    >>> print(average_path_length([(0, 1), (1, 2)], return_ci=True))
    L = 1.33333 (exact, n=3)
    """
    weight = check_weight(weight)
    check_choice(disconnected, "disconnected", _POLICIES)
    check_choice(method, "method", ("exact", "sample"))
    confidence = check_real(confidence, "confidence", min_val=0, max_val=1, include_min=False, include_max=False)
    return_ci = check_bool(return_ci, "return_ci")
    n_sources = check_int(n_sources, "n_sources", min_val=2)  # checked for every method, not only "sample"
    rng = check_random_state(seed)
    A = strip_diagonal(adjacency(g, directed))
    require_nodes(A, 2, "average_path_length")
    weighted = weight is not None and A.dtype != bool
    use_directed = directed is True or (directed is None and not is_symmetric(A, weighted=weighted))
    if weighted:
        A = weights_of(A, "average_path_length")
    if method == "sample":
        if disconnected not in ("raise", "lcc"):
            raise ValueError(
                f"method='sample' supports disconnected='raise' or 'lcc', got disconnected={disconnected!r}"
            )
    if not is_connected(A, use_directed):
        if disconnected == "raise":
            kind = "strongly connected" if use_directed else "connected"
            raise ValueError(
                f"average_path_length is undefined: the graph is not {kind} (some pairs have no path); "
                "choose disconnected='lcc', 'harmonic' or 'reachable'"
            )
        if disconnected == "lcc":
            keep = largest_component(A, use_directed)
            A = A[keep][:, keep]
            if A.shape[0] < 2:
                raise ValueError("average_path_length: the largest component has a single node; L is undefined")
    n = A.shape[0]
    pairs = n * (n - 1)
    if method == "sample" and n_sources < n:
        src = np.sort(rng.choice(n, size=n_sources, replace=False))
        ds = distance_sums(A, directed=use_directed, weighted=weighted, sources=src, per_source=True)
        per = ds.per_source_sum / (n - 1)
        k = per.shape[0]
        value = float(per.mean())
        half = float(stats.t.ppf(0.5 + confidence / 2, k - 1) * per.std(ddof=1) / math.sqrt(k))
        half *= math.sqrt((n - k) / (n - 1))
        res = PathLength(value, value - half, value + half, confidence, "sample", k, n, disconnected)
        return res if return_ci else value
    ds = distance_sums(A, directed=use_directed, weighted=weighted)
    if ds.reach == 0:
        raise ValueError("average_path_length is undefined: no pair of distinct nodes is connected")
    if disconnected == "harmonic":
        value = pairs / ds.sum_inv
    elif disconnected == "reachable":
        value = ds.sum_d / ds.reach
    else:
        value = ds.sum_d / pairs
    res = PathLength(value, value, value, confidence, "exact", n, n, disconnected)
    return res if return_ci else value
