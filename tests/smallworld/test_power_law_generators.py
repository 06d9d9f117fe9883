"""Chung–Lu and the erased power-law configuration model: invariants, expected
degrees, exponents, agreement with networkx's expected_degree_graph."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from smallworld import chung_lu, configuration_power_law
from smallworld._validation import check_random_state
from smallworld.generators._pl_kernels import apportion, chung_lu_weights, discrete_power_law
from smallworld.generators.power_law import _degree_sequence
from tests.smallworld.test_scale_free import assert_canonical, degrees, discrete_power_law_mle


# ------------------------------------------------------------------ Chung–Lu


@pytest.mark.parametrize("n, gamma, d", [(2, 2.5, 0.5), (50, 3.0, 4.0), (3000, 2.1, 6.0), (3000, 4.0, 20.0)])
def test_chung_lu_invariants_and_determinism(n, gamma, d):
    A = chung_lu(n, gamma, d, seed=4)
    assert_canonical(A, n)
    B = chung_lu(n, gamma, d, seed=4)
    np.testing.assert_array_equal(A.indices, B.indices)
    np.testing.assert_array_equal(A.indptr, B.indptr)


@pytest.mark.parametrize("n, gamma, d, kmax", [(1000, 2.5, 8.0, None), (100_000, 2.2, 10.0, 3000.0), (500, 3.5, 2.0, 499.0)])
def test_chung_lu_weights_hit_mean_and_max_exactly(n, gamma, d, kmax):
    kmax = math.sqrt(n * d) if kmax is None else kmax
    w = chung_lu_weights(n, gamma, d, kmax)
    assert w.mean() == pytest.approx(d, rel=1e-12)
    assert w[0] == pytest.approx(kmax, rel=1e-9)
    assert (np.diff(w) < 0).all()


def test_chung_lu_mean_degree_matches_target():
    n, d = 100_000, 10.0
    for seed in range(2):
        A = chung_lu(n, 2.5, d, seed=seed)
        # default max_degree = sqrt(n d): nothing capped, deficit only from the
        # excluded self-loops (sum w^2 / S / n, tiny here)
        assert A.nnz / n == pytest.approx(d, rel=0.01)


def test_chung_lu_hub_degrees_match_their_expectations():
    n, d, gamma = 50_000, 8.0, 2.5
    w = chung_lu_weights(n, gamma, d, math.sqrt(n * d))
    S = w.sum()
    top = 30
    expected = np.array([np.minimum(1.0, w[i] * w / S).sum() - min(1.0, w[i] ** 2 / S) for i in range(top)])
    z = []
    for seed in range(3):
        k = degrees(chung_lu(n, gamma, d, seed=seed))[:top]
        z.append((k - expected) / np.sqrt(expected))  # Poisson-binomial sd <= sqrt(mean)
    z = np.concatenate(z)
    assert np.abs(z).max() < 5
    assert abs(z.mean()) < 4 / math.sqrt(z.size)


@pytest.mark.parametrize("gamma", [2.5, 3.0])
def test_chung_lu_degree_exponent(gamma):
    d = degrees(chung_lu(100_000, gamma, 10.0, seed=1, max_degree=5000.0))
    assert abs(discrete_power_law_mle(d, 40) - gamma) < 0.12


def test_chung_lu_agrees_with_networkx_expected_degree_graph():
    n, gamma, d = 2000, 2.5, 6.0
    w = chung_lu_weights(n, gamma, d, math.sqrt(n * d))
    ours = [chung_lu(n, gamma, d, seed=s) for s in range(6)]
    theirs = [nx.expected_degree_graph(w.tolist(), seed=s, selfloops=False) for s in range(6)]
    mean_ours = np.mean([A.nnz / n for A in ours])
    mean_nx = np.mean([2 * G.number_of_edges() / n for G in theirs])
    assert mean_ours == pytest.approx(mean_nx, rel=0.03)
    hub_ours = np.mean([degrees(A)[0] for A in ours])
    hub_nx = np.mean([G.degree(0) for G in theirs])
    assert hub_ours == pytest.approx(hub_nx, rel=0.1)
    c_ours = np.mean([nx.average_clustering(nx.from_scipy_sparse_array(A)) for A in ours])
    c_nx = np.mean([nx.average_clustering(G) for G in theirs])
    assert c_ours == pytest.approx(c_nx, abs=0.006)


# ------------------------------------------------------ configuration model


@pytest.mark.parametrize("n, gamma, k_min, k_max", [(2, 2.5, 1, 1), (100, 2.5, 1, None), (5000, 2.2, 2, None), (5000, 3.0, 3, 50)])
def test_configuration_invariants(n, gamma, k_min, k_max):
    A = configuration_power_law(n, gamma, k_min=k_min, k_max=k_max, seed=9)
    assert_canonical(A, n)
    B = configuration_power_law(n, gamma, k_min=k_min, k_max=k_max, seed=9)
    assert (A != B).nnz == 0


@pytest.mark.parametrize("gamma, k_max", [(2.5, None), (3.0, 316)])
def test_configuration_erasure_only_lowers_degrees(gamma, k_max):
    n, k_min, seed = 100_000, 2, 5
    A = configuration_power_law(n, gamma, k_min=k_min, k_max=k_max, seed=seed)
    drawn = _degree_sequence(n, gamma, k_min, n - 1 if k_max is None else k_max, check_random_state(seed))
    assert drawn.sum() % 2 == 0
    got = degrees(A)
    assert (got <= drawn).all()
    lost = 1 - got.sum() / drawn.sum()
    assert 0 <= lost < (0.01 if k_max else 0.03)


@pytest.mark.parametrize("gamma", [2.2, 2.5, 3.0])
def test_configuration_degree_exponent(gamma):
    d = degrees(configuration_power_law(100_000, gamma, k_min=2, seed=1))
    assert abs(discrete_power_law_mle(d, 2) - gamma) < 0.05


def test_configuration_regular_case():
    A = configuration_power_law(1001, 2.5, k_min=4, k_max=4, seed=0)
    d = degrees(A)
    assert d.max() == 4 and d.mean() > 3.95


def test_discrete_power_law_sampler_is_exact():
    rng = np.random.default_rng(0)
    k_min, k_max, gamma, size = 2, 6, 2.0, 200_000
    x = discrete_power_law(size, gamma, k_min, k_max, rng)
    assert x.min() >= k_min and x.max() <= k_max
    k = np.arange(k_min, k_max + 1)
    pmf = k**-gamma / np.sum(k**-gamma)
    freq = np.bincount(x - k_min, minlength=k.size) / size
    np.testing.assert_allclose(freq, pmf, atol=5 * np.sqrt(pmf.max() / size))


@pytest.mark.parametrize(
    "weights, total, lo, hi",
    [([1.0, 2.0, 3.0, 100.0], 20, 1, 8), ([1.0] * 7, 10, 0, 5), ([5.0, 1.0, 1.0], 3, 1, 3), ([0.1, 9.0], 4, 0, 2)],
)
def test_apportion_exact_total_within_bounds(weights, total, lo, hi):
    w = np.array(weights)
    d = apportion(w, total, lo, hi)
    assert d.sum() == total
    assert d.min() >= lo and d.max() <= hi
    uncapped = d < hi
    # proportional where not capped: each count is the ideal real share
    # s * w_i rounded down or up, s fixed by the uncapped total
    if uncapped.any():
        s = (d[uncapped] - lo).sum() / w[uncapped].sum()
        assert np.abs(d[uncapped] - lo - s * w[uncapped]).max() < 1


BAD = [
    (chung_lu, (100, 2.0, 5.0), {}, ValueError, r"gamma must be a real number > 2, got gamma=2.0"),
    (chung_lu, (100, 1.5, 5.0), {}, ValueError, r"gamma=1.5"),
    (chung_lu, (100, 2.5, 0.0), {}, ValueError, r"mean_degree must be a real number > 0 and < 99, got mean_degree=0.0"),
    (chung_lu, (100, 2.5, 99.0), {}, ValueError, r"mean_degree=99.0"),
    (chung_lu, (100, 2.5, 5.0), {"max_degree": 4.0}, ValueError, r"mean_degree < max_degree <= n - 1, got max_degree=4.0"),
    (chung_lu, (100, 2.5, 5.0), {"max_degree": 100}, ValueError, r"max_degree=100"),
    (chung_lu, (100.5, 2.5, 5.0), {}, TypeError, r"n must be an integer, got 100.5"),
    (chung_lu, (100, "2.5", 5.0), {}, TypeError, r"gamma must be a real number"),
    (chung_lu, (100, 2.5, float("inf")), {}, ValueError, r"mean_degree must be a finite real number"),
    (configuration_power_law, (100, 1.0), {}, ValueError, r"gamma must be a real number > 1, got gamma=1.0"),
    (configuration_power_law, (100, 2.5), {"k_min": 0}, ValueError, r"k_min must be an integer >= 1 and <= 99, got k_min=0"),
    (configuration_power_law, (100, 2.5), {"k_min": 5, "k_max": 4}, ValueError, r"k_max=4, k_min=5, n=100"),
    (configuration_power_law, (100, 2.5), {"k_max": 100}, ValueError, r"k_max=100"),
    (configuration_power_law, (101, 2.5), {"k_min": 3, "k_max": 3}, ValueError, r"n=101 nodes all of odd degree"),
    (configuration_power_law, (100, 2.5), {"k_max": 5.0}, TypeError, r"k_max must be an integer, got 5.0"),
    (configuration_power_law, (1, 2.5), {}, ValueError, r"n must be an integer >= 2"),
]


@pytest.mark.parametrize("gen, args, kwargs, exc, match", BAD)
def test_invalid_parameters(gen, args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        gen(*args, **kwargs)
