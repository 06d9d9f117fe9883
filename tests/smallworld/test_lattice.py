"""Ring lattice and the Watts–Strogatz family: invariants, statistics, agreement with networkx."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

import smallworld
from smallworld import (
    connected_watts_strogatz,
    newman_watts_strogatz,
    ring_lattice,
    watts_strogatz,
    ws_flex,
)


def assert_canonical(A, n):
    """Boolean symmetric csr_array, sorted unique indices, no self-loops."""
    assert isinstance(A, sp.csr_array)
    assert A.shape == (n, n)
    assert A.dtype == bool
    assert A.nnz == 0 or A.data.all()
    assert (A != A.T).nnz == 0
    assert A.diagonal().sum() == 0
    B = sp.csr_array(A, copy=True)
    B.sum_duplicates()
    B.sort_indices()
    assert B.nnz == A.nnz
    np.testing.assert_array_equal(B.indices, A.indices)
    assert smallworld.as_graph(A) is A  # already canonical: no copy


def same_graph(A, B):
    return A.shape == B.shape and (A != B).nnz == 0


def avg_clustering(A):
    return nx.average_clustering(nx.from_scipy_sparse_array(A))


@pytest.mark.parametrize("n,k", [(3, 2), (5, 4), (10, 2), (10, 6), (11, 10), (1000, 10)])
def test_ring_lattice_matches_networkx(n, k):
    A = ring_lattice(n, k)
    assert_canonical(A, n)
    assert A.nnz == n * k
    np.testing.assert_array_equal(A.sum(axis=1), np.full(n, k))
    ref = nx.to_scipy_sparse_array(nx.watts_strogatz_graph(n, k, 0.0), nodelist=range(n))
    assert same_graph(A, ref.astype(bool))


def test_ring_lattice_rows_are_the_nearest_neighbours():
    A = ring_lattice(12, 4)
    assert A[[0], :].indices.tolist() == [1, 2, 10, 11]
    assert A[[6], :].indices.tolist() == [4, 5, 7, 8]


@pytest.mark.parametrize("n,k,p", [(20, 2, 0.5), (100, 4, 0.1), (101, 10, 0.9), (1000, 10, 0.3), (50, 6, 1.0), (9, 8, 0.7)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ws_invariants(n, k, p, seed):
    A = watts_strogatz(n, k, p, seed=seed)
    assert_canonical(A, n)
    assert A.nnz == n * k  # exactly n k / 2 edges


def test_ws_p0_is_the_lattice():
    for n, k in [(10, 2), (100, 8), (1001, 10)]:
        assert same_graph(watts_strogatz(n, k, 0.0, seed=3), ring_lattice(n, k))


def test_ws_complete_graph_cannot_rewire():
    # k = n - 1: every node already linked to all others; rewiring must leave it intact
    A = watts_strogatz(7, 6, 1.0, seed=0)
    assert A.nnz == 42


def test_ws_p1_keeps_edge_count_on_tiny_dense_graphs():
    for seed in range(20):
        A = watts_strogatz(6, 4, 1.0, seed=seed)
        assert_canonical(A, 6)
        assert A.nnz == 24


@pytest.mark.parametrize("gen", [watts_strogatz, newman_watts_strogatz, connected_watts_strogatz])
def test_determinism_by_seed(gen):
    A = gen(500, 6, 0.2, seed=7)
    B = gen(500, 6, 0.2, seed=7)
    np.testing.assert_array_equal(A.indptr, B.indptr)
    np.testing.assert_array_equal(A.indices, B.indices)
    C = gen(500, 6, 0.2, seed=8)
    assert not same_graph(A, C)
    rng1, rng2 = np.random.default_rng(5), np.random.default_rng(5)
    assert same_graph(gen(200, 4, 0.3, seed=rng1), gen(200, 4, 0.3, seed=rng2))


def test_ws_rewired_fraction_is_p():
    n, k, p = 20000, 10, 0.3
    A = watts_strogatz(n, k, p, seed=11)
    kept = A.multiply(ring_lattice(n, k)).nnz // 2
    m = n * k // 2
    rewired = m - kept
    # a rewired edge lands back on a lattice pair with probability ~k/n: negligible
    assert abs(rewired - p * m) < 5 * math.sqrt(m * p * (1 - p)) + m * k / n


@pytest.mark.parametrize("p", [0.0, 0.05, 0.1, 0.2, 0.4])
def test_ws_clustering_follows_barrat_weigt(p):
    n, k = 1000, 10
    c0 = 3 * (k - 2) / (4 * (k - 1))
    c = np.mean([avg_clustering(watts_strogatz(n, k, p, seed=s)) for s in range(3)])
    assert abs(c - c0 * (1 - p) ** 3) < 0.03


def test_ws_mean_c_and_l_agree_with_networkx():
    n, k, p, seeds = 300, 6, 0.1, range(8)

    def stats(G):
        return nx.average_clustering(G), nx.average_shortest_path_length(G)

    ours = np.array([stats(nx.from_scipy_sparse_array(connected_watts_strogatz(n, k, p, seed=s))) for s in seeds])
    ref = np.array([stats(nx.connected_watts_strogatz_graph(n, k, p, seed=s)) for s in seeds])
    # seed-to-seed spread here: C about 0.011, L about 0.09 (8 seeds: tolerances are > 4 sigma)
    assert abs(ours[:, 0].mean() - ref[:, 0].mean()) < 0.025
    assert abs(ours[:, 1].mean() - ref[:, 1].mean()) < 0.2


def test_nws_contains_the_lattice_and_adds_shortcuts():
    n, k, p = 5000, 6, 0.2
    A = newman_watts_strogatz(n, k, p, seed=2)
    assert_canonical(A, n)
    L = ring_lattice(n, k)
    assert A.multiply(L).nnz == L.nnz
    extra = (A.nnz - L.nnz) // 2
    m = n * k // 2
    assert abs(extra - p * m) < 5 * math.sqrt(m * p * (1 - p))
    assert connected_components(A, directed=False, return_labels=False) == 1
    ref = np.mean([nx.newman_watts_strogatz_graph(n, k, p, seed=s).number_of_edges() for s in range(3)])
    assert abs(A.nnz // 2 - ref) < 5 * math.sqrt(m * p)


def test_nws_p0_and_dense_limit():
    assert same_graph(newman_watts_strogatz(30, 4, 0.0, seed=1), ring_lattice(30, 4))
    A = newman_watts_strogatz(8, 6, 1.0, seed=1)  # saturates at the complete graph at most
    assert_canonical(A, 8)
    assert 48 <= A.nnz <= 56


def test_connected_ws_is_connected():
    for seed in range(5):
        A = connected_watts_strogatz(200, 2, 0.3, seed=seed)
        assert_canonical(A, 200)
        assert A.nnz == 400
        assert connected_components(A, directed=False, return_labels=False) == 1


def test_connected_ws_gives_up_with_a_clear_error():
    # k = 2, p = 1 on 500 nodes: a random graph of mean degree 2, never connected in practice
    with pytest.raises(ValueError, match=r"no connected Watts-Strogatz graph found in tries=2 draws"):
        connected_watts_strogatz(500, 2, 1.0, tries=2, seed=0)


@pytest.mark.parametrize("n,k", [(50, 2.0), (64, 4.5), (100, 3.3), (10, 8.6), (11, 10.0), (12, 11.0), (1000, 7.25)])
@pytest.mark.parametrize("p", [0.0, 0.3])
def test_ws_flex_mean_degree(n, k, p):
    A = ws_flex(n, k, p, seed=4)
    assert_canonical(A, n)
    m = math.floor(n * k / 2 + 0.5)
    assert A.nnz == 2 * m
    if p == 0.0:
        deg = A.sum(axis=1)
        base = m // n
        assert deg.min() >= 2 * base and deg.max() <= 2 * base + 2


def test_ws_flex_integer_even_k_is_ws():
    assert same_graph(ws_flex(40, 6, 0.0, seed=0), ring_lattice(40, 6))
    assert same_graph(ws_flex(40, 6.0, 0.3, seed=9), ws_flex(40, 6.0, 0.3, seed=9))


def test_ws_flex_clustering_decreases_with_p():
    c = [avg_clustering(ws_flex(500, 5.5, p, seed=1)) for p in (0.0, 0.2, 0.8)]
    assert c[0] > c[1] > c[2]


@pytest.mark.parametrize(
    "call,exc,msg",
    [
        (lambda: ring_lattice(5, 7), ValueError, r"k must be even and 0 < k < n, got k=7, n=5"),
        (lambda: ring_lattice(10, 3), ValueError, r"got k=3, n=10"),
        (lambda: ring_lattice(10, 0), ValueError, r"got k=0, n=10"),
        (lambda: ring_lattice(10, 10), ValueError, r"got k=10, n=10"),
        (lambda: ring_lattice(10.0, 2), TypeError, r"n must be an integer, got 10.0"),
        (lambda: ring_lattice(0, 2), ValueError, r"n must be an integer >= 1, got n=0"),
        (lambda: watts_strogatz(10, 2, 1.5), ValueError, r"p must be a real number >= 0 and <= 1, got p=1.5"),
        (lambda: watts_strogatz(10, 2, -0.1), ValueError, r"got p=-0.1"),
        (lambda: watts_strogatz(10, 2, float("nan")), ValueError, r"p must be a finite real number"),
        (lambda: watts_strogatz(10, 2, "0.1"), TypeError, r"p must be a real number"),
        (lambda: watts_strogatz(10, 2, 0.1, seed="x"), TypeError, r"seed must be None, an int"),
        (lambda: watts_strogatz(10, 2, 0.1, seed=-1), ValueError, r"seed must be a non-negative integer"),
        (lambda: newman_watts_strogatz(10, 12, 0.1), ValueError, r"got k=12, n=10"),
        (lambda: connected_watts_strogatz(10, 2, 0.1, tries=0), ValueError, r"tries must be an integer >= 1, got tries=0"),
        (lambda: ws_flex(10, 1.5, 0.1), ValueError, r"2 <= k <= n - 1, got k=1.5, n=10"),
        (lambda: ws_flex(10, 9.5, 0.1), ValueError, r"got k=9.5, n=10"),
        (lambda: ws_flex(10, "4", 0.1), TypeError, r"k must be a real number"),
    ],
)
def test_validation_messages(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_large_ws_has_int32_indices_and_exact_count():
    A = watts_strogatz(200_000, 10, 0.1, seed=0)
    assert A.nnz == 2_000_000
    assert A.indices.dtype == np.int32 and A.indptr.dtype == np.int32
    assert A.diagonal().sum() == 0
    assert (A != A.T).nnz == 0


@pytest.mark.slow
@pytest.mark.parametrize("gen_pair", ["ws", "nws"])
def test_statistics_match_networkx_over_many_seeds(gen_pair):
    # 40 seeds each: mean C, transitivity and L within 4 standard errors of networkx's generator
    n, k, p, seeds = 300, 6, 0.1, range(40)
    ours_fn, ref_fn = {
        "ws": (connected_watts_strogatz, nx.connected_watts_strogatz_graph),
        "nws": (newman_watts_strogatz, nx.newman_watts_strogatz_graph),
    }[gen_pair]

    def stats(G):
        return nx.average_clustering(G), nx.transitivity(G), nx.average_shortest_path_length(G)

    ours = np.array([stats(nx.from_scipy_sparse_array(ours_fn(n, k, p, seed=s))) for s in seeds])
    ref = np.array([stats(ref_fn(n, k, p, seed=s)) for s in seeds])
    se = np.sqrt(ours.var(axis=0, ddof=1) / len(seeds) + ref.var(axis=0, ddof=1) / len(seeds))
    assert np.all(np.abs(ours.mean(axis=0) - ref.mean(axis=0)) < 4 * se)
