"""Null models: invariants, reproducibility, bounds and refusals."""

from __future__ import annotations

import time
import warnings

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from analysis import (
    average_clustering,
    er_reference,
    latticize,
    rewire_degree_preserving,
    rewire_layered,
    ring_lattice_reference,
)
from smallworld import as_graph


def _ring(n: int, k: int) -> sp.csr_array:
    return as_graph([(i, (i + d) % n) for i in range(n) for d in range(1, k // 2 + 1)])


def _degrees(A: sp.csr_array) -> np.ndarray:
    return np.diff(A.indptr)


@pytest.mark.parametrize("connected", [False, True])
def test_rewiring_keeps_degrees_and_simplicity(connected):
    A = as_graph(nx.connected_watts_strogatz_graph(200, 6, 0.1, seed=1))
    R = rewire_degree_preserving(A, 10, connected=connected, seed=3)
    assert R.dtype == bool and R.nnz == A.nnz  # no multi-edge collapsed
    assert (_degrees(R) == _degrees(A)).all()
    assert (R != R.T).nnz == 0 and R.diagonal().sum() == 0
    assert (R != A).nnz > 0.8 * A.nnz  # most edges moved


def test_rewiring_randomises_clustering():
    A = _ring(300, 10)  # C = 2/3
    R = rewire_degree_preserving(A, 20, seed=0)
    assert average_clustering(R) < 0.1


def test_rewiring_same_seed_same_graph():
    A = _ring(100, 6)
    a = rewire_degree_preserving(A, 5, seed=7)
    b = rewire_degree_preserving(A, 5, seed=np.random.default_rng(7))
    c = rewire_degree_preserving(A, 5, seed=8)
    assert (a != b).nnz == 0 and (a != c).nnz > 0


def test_connected_option_preserves_connectivity():
    G = nx.barabasi_albert_graph(300, 1, seed=2)  # a tree: most swaps disconnect it
    G.add_edges_from([(0, 150), (10, 250), (20, 299), (5, 77)])
    A = as_graph(G)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        R = rewire_degree_preserving(A, 5, connected=True, seed=1)
    assert nx.is_connected(nx.from_scipy_sparse_array(R))
    assert (_degrees(R) == _degrees(A)).all()


def test_n_swaps_overrides_niter():
    A = _ring(50, 4)
    R = rewire_degree_preserving(A, niter=0, n_swaps=0, seed=1)
    assert (R != A).nnz == 0
    R = rewire_degree_preserving(A, niter=0, n_swaps=5, seed=1)
    assert 0 < (R != A).nnz <= 8 * 5  # a swap changes 2 edges out, 2 in (8 stored entries)


def test_directed_rewiring_keeps_in_and_out_degrees():
    D = as_graph(nx.gnp_random_graph(120, 0.05, seed=4, directed=True))
    R = rewire_degree_preserving(D, 5, seed=2)
    assert (R.sum(axis=0) == D.sum(axis=0)).all() and (R.sum(axis=1) == D.sum(axis=1)).all()
    assert R.nnz == D.nnz and R.diagonal().sum() == 0 and (R != D).nnz > 0


@pytest.mark.parametrize(
    "g,match",
    [
        (nx.complete_graph(7), "complete"),
        (nx.path_graph(3), "at least 4 nodes"),
        (nx.star_graph(12), "no degree-preserving swap succeeded"),
        (nx.complement(nx.Graph([(0, 1)] + [(i, i) for i in range(2, 9)])), "no degree-preserving swap"),
    ],
)
def test_impossible_rewiring_is_refused_quickly(g, match):
    t = time.perf_counter()
    with pytest.raises(ValueError, match=match):
        rewire_degree_preserving(g, 10, seed=0)
    assert time.perf_counter() - t < 5


def test_too_few_swaps_warns():
    with pytest.warns(RuntimeWarning, match="only .* swaps succeeded"):
        rewire_degree_preserving(_ring(60, 4), n_swaps=1000, max_tries=50, seed=0)


def test_self_loops_and_connectivity_refusals():
    G = nx.cycle_graph(8)
    G.add_edge(2, 2)
    with pytest.raises(ValueError, match="self-loop"):
        rewire_degree_preserving(G, seed=0)
    two = nx.disjoint_union(nx.cycle_graph(5), nx.cycle_graph(5))
    with pytest.raises(ValueError, match="connected graph"):
        rewire_degree_preserving(two, connected=True, seed=0)
    with pytest.raises(ValueError, match="only available for undirected"):
        rewire_degree_preserving(nx.gnp_random_graph(20, 0.3, directed=True, seed=1), connected=True)


@pytest.mark.parametrize("kwargs,exc", [({"niter": -1}, ValueError), ({"niter": 1.5}, TypeError),
                                        ({"max_tries": 0}, ValueError), ({"seed": "x"}, TypeError),
                                        ({"connected": 1}, TypeError)])  # fmt: skip
def test_argument_validation(kwargs, exc):
    with pytest.raises(exc):
        rewire_degree_preserving(_ring(20, 4), **kwargs)


def _ring_cost(A: sp.csr_array) -> int:
    n = A.shape[0]
    r, c = A.nonzero()
    d = np.abs(r - c)
    return int(np.minimum(d, n - d).sum())


def test_latticize_moves_edges_to_the_ring():
    G = nx.gnm_random_graph(100, 400, seed=3)
    A = as_graph(G)
    L = latticize(A, 10, seed=1)
    assert (_degrees(L) == _degrees(A)).all() and L.nnz == A.nnz
    assert _ring_cost(L) < 0.5 * _ring_cost(A)
    assert average_clustering(L) > 3 * average_clustering(A)


def test_latticize_connected_and_reproducible():
    A = as_graph(nx.connected_watts_strogatz_graph(80, 4, 0.5, seed=2))
    L1 = latticize(A, 5, connected=True, seed=4)
    L2 = latticize(A, 5, connected=True, seed=4)
    assert (L1 != L2).nnz == 0
    assert nx.is_connected(nx.from_scipy_sparse_array(L1))


def test_latticize_rejects_directed():
    with pytest.raises(ValueError, match="undirected"):
        latticize(nx.gnp_random_graph(20, 0.3, directed=True, seed=1))


def _mlp_like(sizes, p, seed):
    rng = np.random.default_rng(seed)
    n = sum(sizes)
    layers = np.repeat(np.arange(len(sizes)), sizes)
    A = np.zeros((n, n), dtype=bool)
    offs = np.concatenate([[0], np.cumsum(sizes)])
    for i in range(len(sizes) - 1):
        A[offs[i] : offs[i + 1], offs[i + 1] : offs[i + 2]] = rng.random((sizes[i], sizes[i + 1])) < p
    return A, layers


def test_layered_null_keeps_layers_degrees_and_dag():
    A, layers = _mlp_like([30, 40, 40, 10], 0.3, seed=0)
    A[:30, 70:80] = np.random.default_rng(1).random((30, 40))[:, :10] < 0.1  # a skip connection block
    R = rewire_layered(A, layers, 10, seed=5).toarray()
    assert (R.sum(0) == A.sum(0)).all() and (R.sum(1) == A.sum(1)).all()
    for a in range(4):
        for b in range(4):
            blk = np.ix_(layers == a, layers == b)
            assert R[blk].sum() == A[blk].sum()
    assert nx.is_directed_acyclic_graph(nx.DiGraph(R))
    assert (R != A).sum() > 0.5 * A.sum()


def test_layered_null_refuses_dense_mlp_and_bad_labels():
    A, layers = _mlp_like([5, 6, 3], 1.0, seed=0)  # dense MLP: every layer pair complete
    with pytest.raises(ValueError, match="too small or too dense"):
        rewire_layered(A, layers, seed=0)
    A, layers = _mlp_like([5, 6, 3], 0.5, seed=0)
    with pytest.raises(ValueError, match="one label per node"):
        rewire_layered(A, layers[:-1])
    with pytest.raises(TypeError, match="integer layer labels"):
        rewire_layered(A, layers + 0.5)
    with pytest.raises(ValueError, match="needs a directed graph"):
        rewire_layered(nx.cycle_graph(6), np.zeros(6, dtype=int))


def test_analytic_references():
    er = er_reference(1000, 10)
    assert er.C == pytest.approx(0.01) and er.L == pytest.approx(np.log(1000) / np.log(10))
    rl = ring_lattice_reference(1000, 10)
    assert rl.C == pytest.approx(2 / 3) and rl.L == pytest.approx(50.0)
    assert rl.to_dict()["kind"] == "lattice"
    # the ring-lattice clustering formula is exact
    assert average_clustering(_ring(100, 8)) == pytest.approx(ring_lattice_reference(100, 8).C)
    with pytest.raises(ValueError, match=r"k must be > 1 and < n, got k=1, n=100: .*needs a mean degree k above 1"):
        er_reference(100, 1)
    with pytest.raises(ValueError, match=r"k must be >= 2 and < n, got k=1.5, n=100: .*mean degree k of at least 2"):
        ring_lattice_reference(100, 1.5)
    with pytest.raises(ValueError, match=r"k must be >= 2 and < n, got k=100, n=100"):
        ring_lattice_reference(100, 100)
    with pytest.raises(TypeError, match="k must be a real number"):
        er_reference(100, "10")
