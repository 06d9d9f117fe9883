"""TEMPORARY stand-ins while smallworld generators and analysis metrics are being written.

Deleted once the real functions land; nothing public may depend on this module.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph


def _ours(mod, name):
    import importlib

    try:
        f = getattr(importlib.import_module(mod), name)
    except (ImportError, AttributeError):
        return None
    return f


def watts_strogatz(n, k, p, *, seed=None):
    f = _ours("smallworld", "watts_strogatz")
    try:
        return f(n, k, p, seed=seed)
    except NotImplementedError:
        s = int(np.random.default_rng(seed).integers(2**31)) if not isinstance(seed, int) else seed
        return sp.csr_array(nx.to_scipy_sparse_array(nx.watts_strogatz_graph(n, k, p, seed=s), dtype=bool))


def erdos_renyi(n, *, m, seed=None):
    f = _ours("smallworld", "erdos_renyi")
    try:
        return f(n, m=m, seed=seed)
    except NotImplementedError:
        s = int(np.random.default_rng(seed).integers(2**31)) if not isinstance(seed, int) else seed
        return sp.csr_array(nx.to_scipy_sparse_array(nx.gnm_random_graph(n, m, seed=s), dtype=bool))


def average_clustering(A):
    f = _ours("analysis", "average_clustering")
    if f is not None:
        return f(A)
    A = sp.csr_array(A, dtype=np.float64)
    deg = np.asarray(A.sum(axis=1)).ravel()
    tri = np.asarray((A @ A).multiply(A).sum(axis=1)).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(deg > 1, tri / (deg * (deg - 1)), 0.0)
    return float(c.mean())


def average_path_length(A, disconnected="raise"):
    f = _ours("analysis", "average_path_length")
    if f is not None:
        return f(A, disconnected=disconnected)
    D = csgraph.shortest_path(sp.csr_array(A, dtype=np.float64), unweighted=True, directed=False)
    n = D.shape[0]
    if not np.isfinite(D).all():
        if disconnected == "raise":
            raise ValueError("graph is disconnected")
        _, lab = csgraph.connected_components(A, directed=False)
        big = np.bincount(lab).argmax()
        keep = lab == big
        D = D[np.ix_(keep, keep)]
        n = int(keep.sum())
    return float(D.sum() / (n * (n - 1)))


def celegans():
    f = _ours("smallworld.datasets", "celegans")
    if f is not None:
        return f()
    from pathlib import Path

    e = np.loadtxt(Path("/work/shared/data/celegans_ws_undirected.edgelist"), dtype=np.int64, comments="#")
    _, inv = np.unique(e, return_inverse=True)
    inv = inv.reshape(e.shape)
    from smallworld import as_graph

    return as_graph(inv)
