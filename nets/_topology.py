"""Cheap topology metrics of a masked model, computed inside :mod:`nets` (which never imports :mod:`analysis`).

Used by :class:`nets.rewire.Rewirer` to record, per epoch, what rewiring does to the
network's wiring.  Two views (DESIGN.md, "Definitions"):

- the **neuron graph**: neurons as nodes, one undirected edge per mask nonzero
  (read from the model's ``__neuron_graph__()``).  ``C`` is the networkx average
  clustering (degree < 2 counts as 0), from exact triangle counts
  (``diag(A^3) / 2`` with scipy sparse products).  ``L`` is the mean shortest-path
  length over ordered pairs **inside the largest connected component**, estimated
  by BFS from a fixed sample of sources (``L_sources``; all nodes when the
  component is smaller), with ``lcc_fraction`` saying how much of the graph that
  component is.  ``sigma_er`` is the cheap proxy ``(C/C_r)/(L/L_r)`` against the
  analytic Erdős–Rényi values ``C_r = k/n``, ``L_r = ln n / ln k`` (``k`` the mean
  degree); the null-ensemble sigma lives in :func:`analysis.sigma`.  A plain stack
  of bipartite layers has no triangles, so ``C = 0`` and ``sigma_er = 0``.
- the **relational view** (You et al. 2020): each square ``(n, n)`` mask of a
  layered stack read as a graph on ``n`` nodes (``M | M^T`` without the diagonal);
  ``relational_C`` is its average clustering, one value per square layer.

Plus ``density`` (mask nonzeros over mask positions, all layers) and
``degree_cv`` (standard deviation over mean of the neuron graph's degrees).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

__all__ = ["average_clustering", "topology_metrics", "L_SOURCES", "MAX_EDGES"]

#: Above this many neuron-graph edges the per-epoch C/L are skipped (``None``, with ``"skipped"`` saying
#: why): triangle counts grow like the sum of squared degrees (a dense 784-1000-1000-1000 stack: minutes).
MAX_EDGES = 1_000_000

#: Number of BFS sources of the sampled path length (fixed seed: the same sources every epoch).
L_SOURCES = 64


def _undirected(A: Any) -> sp.csr_array:
    A = sp.csr_array(A, dtype=bool)
    U = sp.csr_array((A + A.T).astype(bool))
    U.setdiag(False)
    U.eliminate_zeros()
    return sp.csr_array(U, dtype=np.float64)


def average_clustering(A: Any) -> float:
    """networkx-style average clustering of the undirected graph ``A | A^T`` (no self-loops).

    Examples
    --------
    >>> import numpy as np
    >>> average_clustering(np.ones((3, 3)) - np.eye(3))
    1.0
    """
    U = _undirected(A)
    n = U.shape[0]
    if n == 0:
        return 0.0
    k = np.asarray(U.sum(axis=1)).ravel()
    tri = np.asarray((U @ U).multiply(U).sum(axis=1)).ravel() / 2.0
    denom = k * (k - 1)
    c = np.divide(2.0 * tri, denom, out=np.zeros(n), where=denom > 0)
    return float(c.mean())


def _path_length(U: sp.csr_array, n_sources: int) -> tuple[float, float]:
    n = U.shape[0]
    _, labels = csgraph.connected_components(U, directed=False)
    sizes = np.bincount(labels)
    big = int(sizes.argmax())
    nodes = np.flatnonzero(labels == big)
    if nodes.size < 2:
        return math.nan, nodes.size / max(n, 1)
    rng = np.random.default_rng(0)  # fixed: the trajectory compares the same sources each epoch
    src = nodes if nodes.size <= n_sources else np.sort(rng.choice(nodes, n_sources, replace=False))
    d = csgraph.shortest_path(U, method="D", unweighted=True, indices=src)[:, nodes]
    d = d[np.isfinite(d) & (d > 0)]
    return float(d.mean()), nodes.size / n


def topology_metrics(model: Any, n_sources: int = L_SOURCES) -> dict:
    """The per-epoch topology record of a model of SparseLinear layers (see the module docstring).

    Examples
    --------
    >>> from nets import SparseMLP
    >>> m = topology_metrics(SparseMLP([4, 4, 2], seed=0))
    >>> m["C"], m["density"], m["sigma_er"]
    (0.0, 1.0, 0.0)
    """
    layers = [m for m in model.modules() if hasattr(m, "mask") and hasattr(m, "set_mask")]
    nnz = sum(int(m.mask.count_nonzero()) for m in layers)
    total = sum(m.mask.numel() for m in layers)
    out: dict[str, Any] = {"density": nnz / total if total else math.nan}
    ng = getattr(model, "__neuron_graph__", None)
    if callable(ng) and nnz > MAX_EDGES:
        out.update(C=None, L=None, sigma_er=None, skipped=f"{nnz} edges > nets._topology.MAX_EDGES={MAX_EDGES}")
    elif callable(ng):
        U = _undirected(ng()["adjacency"])
        n = U.shape[0]
        deg = np.asarray(U.sum(axis=1)).ravel()
        C = average_clustering(U)
        L, lcc = _path_length(U, n_sources)
        kbar = float(deg.mean()) if n else 0.0
        sig = math.nan
        if n > 1 and kbar > 1 and math.isfinite(L) and L > 0:
            sig = (C / (kbar / n)) / (L / (math.log(n) / math.log(kbar)))
        out.update(
            C=C, L=L, lcc_fraction=lcc, sigma_er=sig,
            degree_cv=float(deg.std() / deg.mean()) if deg.mean() > 0 else math.nan,
        )  # fmt: skip
    if getattr(model, "sizes", None) is not None:  # a layered stack: square masks are relational graphs
        out["relational_C"] = [
            average_clustering(sp.csr_array(m.mask.detach().cpu().numpy())) if m.nnz <= MAX_EDGES // 4 else None
            for m in layers
            if m.mask.shape[0] == m.mask.shape[1]
        ]
    return out
