"""Erdős–Rényi G(n, m) and G(n, p), and the pair-sampling helpers behind them."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import smallworld
from smallworld import erdos_renyi
from smallworld._csr import csr_from_edges
from smallworld.generators._sampling import (
    bernoulli_positions,
    csr_from_pair_indices,
    pair_from_index,
    sample_distinct,
)


def assert_canonical(A, n):
    assert isinstance(A, sp.csr_array)
    assert A.shape == (n, n) and A.dtype == bool
    assert (A != A.T).nnz == 0
    assert A.diagonal().sum() == 0
    B = sp.csr_array(A, copy=True)
    B.sum_duplicates()
    B.sort_indices()
    assert B.nnz == A.nnz
    np.testing.assert_array_equal(B.indices, A.indices)
    assert smallworld.as_graph(A) is A


@pytest.mark.parametrize("n,m", [(1, 0), (2, 1), (10, 0), (10, 45), (10, 23), (100, 250), (1000, 5000), (30, 400)])
def test_gnm_exact_edge_count(n, m):
    A = erdos_renyi(n, m=m, seed=0)
    assert_canonical(A, n)
    assert A.nnz == 2 * m


def test_gnm_is_uniform_over_pairs():
    # every one of the 15 pairs of 6 nodes is in G(6, 5) with probability 5/15
    n, m, draws = 6, 5, 3000
    rng = np.random.default_rng(0)
    counts = np.zeros((n, n))
    for _ in range(draws):
        counts += erdos_renyi(n, m=m, seed=rng).toarray()
    freq = counts[np.tril_indices(n, -1)] / draws
    sd = math.sqrt((1 / 3) * (2 / 3) / draws)
    assert np.all(np.abs(freq - 1 / 3) < 5 * sd)


@pytest.mark.parametrize("n,p", [(500, 0.01), (2000, 0.002), (200, 0.5), (50, 0.9)])
def test_gnp_edge_count_is_binomial(n, p):
    N = n * (n - 1) // 2
    counts = [erdos_renyi(n, p=p, seed=s).nnz // 2 for s in range(10)]
    sd = math.sqrt(N * p * (1 - p) / 10)
    assert abs(np.mean(counts) - N * p) < 5 * sd
    assert_canonical(erdos_renyi(n, p=p, seed=1), n)


def test_gnp_limits():
    assert erdos_renyi(40, p=0.0, seed=0).nnz == 0
    assert erdos_renyi(40, p=1.0, seed=0).nnz == 40 * 39


def test_determinism_by_seed():
    for kw in ({"m": 3000}, {"p": 0.003}):
        A, B = erdos_renyi(2000, seed=3, **kw), erdos_renyi(2000, seed=3, **kw)
        np.testing.assert_array_equal(A.indptr, B.indptr)
        np.testing.assert_array_equal(A.indices, B.indices)
        assert (A != erdos_renyi(2000, seed=4, **kw)).nnz > 0


def test_mean_c_and_l_agree_with_networkx():
    n, m, seeds = 300, 1200, range(8)

    def stats(G):
        return nx.average_clustering(G), nx.average_shortest_path_length(G)

    ours = np.array([stats(nx.from_scipy_sparse_array(erdos_renyi(n, m=m, seed=s))) for s in seeds])
    ref = np.array([stats(nx.gnm_random_graph(n, m, seed=s)) for s in seeds])
    # spread over seeds: C about 0.0036, L about 0.006 (8 seeds: tolerances are > 4 sigma)
    assert abs(ours[:, 0].mean() - ref[:, 0].mean()) < 0.008
    assert abs(ours[:, 1].mean() - ref[:, 1].mean()) < 0.015
    assert abs(ours[:, 0].mean() - 2 * m / n / n) < 0.008  # C of a random graph: <k>/n


def test_large_sparse_graph_is_cheap():
    n, m = 1_000_000, 2_000_000
    A = erdos_renyi(n, m=m, seed=0)
    assert A.nnz == 2 * m and A.indices.dtype == np.int32


@pytest.mark.parametrize(
    "call,exc,msg",
    [
        (lambda: erdos_renyi(10), ValueError, r"exactly one of m .* or p .*got m=None, p=None"),
        (lambda: erdos_renyi(10, m=3, p=0.1), ValueError, r"got m=3, p=0.1"),
        (lambda: erdos_renyi(10, m=46), ValueError, r"0 <= m <= n \(n - 1\) / 2 = 45, got m=46, n=10"),
        (lambda: erdos_renyi(10, m=-1), ValueError, r"got m=-1"),
        (lambda: erdos_renyi(10, m=2.0), TypeError, r"m must be an integer, got 2.0"),
        (lambda: erdos_renyi(10, p=1.01), ValueError, r"p must be a real number >= 0 and <= 1, got p=1.01"),
        (lambda: erdos_renyi(10, p=float("inf")), ValueError, r"p must be a finite real number"),
        (lambda: erdos_renyi(0, p=0.5), ValueError, r"n must be an integer >= 1 and <= 2147483647, got n=0"),
        (lambda: erdos_renyi("10", p=0.5), TypeError, r"n must be an integer"),
        (lambda: erdos_renyi(10, p=0.5, seed=2.5), TypeError, r"seed must be None, an int"),
    ],
)
def test_validation_messages(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


@pytest.mark.parametrize("n", [2, 3, 7, 100, 1001])
def test_pair_from_index_is_a_bijection(n):
    N = n * (n - 1) // 2
    i, j = pair_from_index(np.arange(N))
    assert np.all(j < i) and np.all(j >= 0) and np.all(i < n)
    assert len(set(zip(i.tolist(), j.tolist()))) == N


def test_pair_from_index_huge_indices():
    t = np.array([0, 5 * 10**11, 2**60, 2**61 - 1], dtype=np.int64)
    i, j = pair_from_index(t)
    np.testing.assert_array_equal(i * (i - 1) // 2 + j, t)
    assert np.all((j >= 0) & (j < i))


def test_sample_distinct_and_bernoulli_positions():
    rng = np.random.default_rng(0)
    s = sample_distinct(rng, 10**12, 1000)
    assert s.shape == (1000,) and np.all(np.diff(s) > 0) and s.max() < 10**12
    np.testing.assert_array_equal(sample_distinct(rng, 5, 5), np.arange(5))
    for p in (0.001, 0.1, 0.5):
        pos = bernoulli_positions(rng, 200_000, p)
        assert np.all(np.diff(pos) > 0) and pos.max() < 200_000
        assert abs(pos.size - 200_000 * p) < 5 * math.sqrt(200_000 * p * (1 - p))


@pytest.mark.parametrize("n", [2, 5, 50, 1000])
@pytest.mark.parametrize("frac", [0.0, 0.01, 0.3, 1.0])
def test_csr_from_pair_indices_matches_the_general_builder(n, frac):
    N = n * (n - 1) // 2
    t = sample_distinct(np.random.default_rng(n), N, int(frac * N))
    A = csr_from_pair_indices(t, n)
    B = csr_from_edges(*pair_from_index(t), n)
    np.testing.assert_array_equal(A.indptr, B.indptr)
    np.testing.assert_array_equal(A.indices, B.indices)
    assert A.has_canonical_format
