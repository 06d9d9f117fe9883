"""Degree statistics (mean, spread, extremes; in and out for directed graphs)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from analysis._adjacency import adjacency, is_symmetric, require_nodes

__all__ = ["degree_stats", "DegreeStats"]


@dataclass(frozen=True)
class DegreeStats:
    """Summary of a degree sequence.

    ``mean``/``std``/``min``/``max`` describe the total degree (for a
    directed graph in + out, as networkx's ``DiGraph.degree``); the ``in_*``
    and ``out_*`` fields describe in- and out-degrees (equal to the total
    degree's for an undirected graph).  ``std`` is the population standard
    deviation (ddof=0).  A self-loop adds 2 to an undirected node's degree,
    as in networkx.
    """

    n: int
    m: int
    directed: bool
    mean: float
    std: float
    min: int
    max: int
    in_mean: float
    in_std: float
    in_min: int
    in_max: int
    out_mean: float
    out_std: float
    out_min: int
    out_max: int

    def to_dict(self) -> dict[str, Any]:
        """Plain ``dict`` of the fields (JSON-serialisable)."""
        return asdict(self)

    def __str__(self) -> str:
        s = f"degree: mean {self.mean:.4g}, std {self.std:.4g}, min {self.min}, max {self.max} (n={self.n}, m={self.m})"
        if self.directed:
            s += (
                f"; in: mean {self.in_mean:.4g}, std {self.in_std:.4g}, range {self.in_min}..{self.in_max}"
                f"; out: mean {self.out_mean:.4g}, std {self.out_std:.4g}, range {self.out_min}..{self.out_max}"
            )
        return s


def degree_stats(g: Any) -> DegreeStats:
    """Mean, standard deviation, minimum and maximum degree.

    Parameters
    ----------
    g : graph-like
        Anything :func:`smallworld.as_graph` accepts.  Degrees ignore weights,
        but whether the graph is directed follows
        :func:`smallworld.is_directed` (weights included), as
        :func:`smallworld.to_networkx` does: a weighted adjacency whose every
        arc has a reverse arc of another weight is a directed graph, one arc
        per nonzero entry, with total degree in + out.

    Returns
    -------
    DegreeStats
        ``m`` counts undirected edges (self-loops once) or arcs;
        ``directed`` is ``smallworld.is_directed(g)``.

    Raises
    ------
    ValueError
        For a graph without nodes.

    Examples
    --------
    >>> d = degree_stats([(0, 1), (1, 2), (2, 0), (2, 3)])
    >>> d.mean, d.max, d.min, d.m
    (2.0, 3, 1, 4)
    """
    A = adjacency(g)
    require_nodes(A, 1, "degree_stats")
    directed = not is_symmetric(A, weighted=True)  # the graph's own orientation, weights included
    loops = (A.diagonal() != 0).astype(np.int64)
    out_deg = np.diff(A.indptr).astype(np.int64)
    in_deg = np.diff(sp.csc_array(A).indptr).astype(np.int64)
    if directed:
        total = in_deg + out_deg
        m = int(A.nnz)
    else:
        total = out_deg + loops
        in_deg = out_deg = total
        m = int((A.nnz + loops.sum()) // 2)

    def _s(d: np.ndarray) -> tuple[float, float, int, int]:
        return float(d.mean()), float(d.std()), int(d.min()), int(d.max())

    t, i, o = _s(total), _s(in_deg), _s(out_deg)
    return DegreeStats(A.shape[0], m, directed, *t, *i, *o)
