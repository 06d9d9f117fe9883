"""Spatial (distance-dependent) and hierarchical modular generators."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
import scipy.sparse as sp

import smallworld
from smallworld import hierarchical_modular, spatial

# the package attribute ``spatial`` is the function; the module is reached by name
spatial_mod = importlib.import_module("smallworld.generators.spatial")


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


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize(
    "n,kw,m",
    [
        (200, {"mean_degree": 6}, 600),
        (300, {"density": 0.05}, math.floor(0.05 * 300 * 299 / 2 + 0.5)),
        (30, {"density": 1.0}, 435),
        (2000, {"mean_degree": 8.5}, 8500),
    ],
)
@pytest.mark.parametrize("lam", [0.01, 0.1, 2.0])
def test_exact_edge_count_and_canonical(dim, n, kw, m, lam):
    A = spatial(n, dim=dim, length_scale=lam, seed=1, **kw)
    assert_canonical(A, n)
    assert A.nnz == 2 * m


def test_positions_and_determinism():
    A, pos = spatial(500, mean_degree=5, seed=3, return_positions=True)
    B, pos2 = spatial(500, mean_degree=5, seed=3, return_positions=True)
    assert pos.shape == (500, 2) and pos.min() >= 0 and pos.max() < 1
    np.testing.assert_array_equal(pos, pos2)
    np.testing.assert_array_equal(A.indices, B.indices)
    np.testing.assert_array_equal(A.indptr, B.indptr)
    assert (A != spatial(500, mean_degree=5, seed=4)).nnz > 0
    _, pos3 = spatial(100, dim=3, density=0.1, seed=0, return_positions=True)
    assert pos3.shape == (100, 3)


@pytest.mark.parametrize("dim", [1, 2])
def test_edge_lengths_follow_the_decay(dim):
    # far below saturation (m much less than the sum of all weights) the length of an edge has density ~ r^(dim-1) exp(-r/lam): mean dim * lam
    # (slightly less, because nodes near the walls lose their far partners)
    lam = 0.02
    A, pos = spatial(4000, dim=dim, mean_degree=2, length_scale=lam, seed=0, return_positions=True)
    i, j = sp.triu(A).nonzero()
    mean_len = np.linalg.norm(pos[i] - pos[j], axis=1).mean()
    assert 0.85 * dim * lam < mean_len < 1.02 * dim * lam


def test_shorter_length_scale_gives_more_clustering():
    import networkx as nx

    c = [
        nx.transitivity(nx.from_scipy_sparse_array(spatial(1000, mean_degree=8, length_scale=lam, seed=2)))
        for lam in (0.01, 0.1, 10.0)
    ]
    assert c[0] > c[1] > c[2]


def _inclusion_m2(w):
    """Exact inclusion probabilities of each item in 2 successive draws prop. to w."""
    W = w.sum()
    return np.array([w[a] / W + sum(w[b] / W * w[a] / (W - w[b]) for b in range(len(w)) if b != a) for a in range(len(w))])


@pytest.mark.parametrize("plan", ["dense", "cutoff", "all-outside", "tiny-tau"])
def test_sampler_is_exact_whatever_the_cutoff(plan, monkeypatch):
    # the KD-tree cut-off and the thinning beyond it must not change the law of the sample
    pos = np.array([[0.1, 0.1], [0.15, 0.12], [0.5, 0.5], [0.9, 0.2], [0.52, 0.45]])
    lam, n, m = 0.2, 5, 2
    if plan != "dense":
        # (cut-off radius, first key threshold): the threshold is raised until m keys fall below it
        r_c, tau = {"cutoff": (0.1, 1.0), "all-outside": (0.0, 0.5), "tiny-tau": (0.1, 1e-2)}[plan]
        monkeypatch.setattr(spatial_mod, "_plan", lambda *a: (r_c, math.log(tau), 10.0))
    i, j = np.tril_indices(n, -1)
    w = np.exp(-np.linalg.norm(pos[i] - pos[j], axis=1) / lam)
    expected = _inclusion_m2(w)
    rng = np.random.default_rng(0)
    draws = 1500
    counts = np.zeros((n, n))
    for _ in range(draws):
        a, b = spatial_mod._spatial_edges(n, 2, m, lam, rng, pos)
        counts[a, b] += 1
        counts[b, a] += 1
    freq = counts[i, j] / draws
    sd = np.sqrt(expected * (1 - expected) / draws)
    assert np.all(np.abs(freq - expected) < 5 * sd + 1e-3)


def test_refuses_huge_problems_before_allocating():
    with pytest.raises(ValueError, match=r"spatial graph too large: n=1000000, length_scale=0.02"):
        spatial(1_000_000, mean_degree=10, length_scale=0.02, seed=0)


@pytest.mark.parametrize(
    "kw,exc,msg",
    [
        ({"n": 100}, ValueError, r"exactly one of density or mean_degree, got density=None, mean_degree=None"),
        ({"n": 100, "density": 0.1, "mean_degree": 3}, ValueError, r"exactly one of density or mean_degree"),
        ({"n": 100, "density": 0.0}, ValueError, r"density must be a real number in \(0, 1\], got density=0.0"),
        ({"n": 100, "density": 1.5}, ValueError, r"got density=1.5"),
        ({"n": 100, "mean_degree": 100}, ValueError, r"0 < mean_degree <= n - 1, got mean_degree=100.0, n=100"),
        ({"n": 100, "mean_degree": "3"}, TypeError, r"mean_degree must be a real number"),
        ({"n": 100, "mean_degree": 3, "dim": 4}, ValueError, r"dim must be 1, 2 or 3, got dim=4"),
        ({"n": 100, "mean_degree": 3, "length_scale": 0}, ValueError, r"length_scale must be a real number > 0.0"),
        ({"n": 100, "mean_degree": 3, "length_scale": float("nan")}, ValueError, r"length_scale must be a finite"),
        ({"n": 1, "mean_degree": 3}, ValueError, r"n must be an integer >= 2, got n=1"),
        ({"n": 100, "mean_degree": 3, "return_positions": 1}, TypeError, r"return_positions must be True or False"),
    ],
)
def test_spatial_validation(kw, exc, msg):
    with pytest.raises(exc, match=msg):
        spatial(**kw)


def _level_density(A, module_size, branching, level):
    """Observed density of pairs whose smallest common module is at ``level``."""
    n = A.shape[0]
    i, j = sp.triu(A).nonzero()
    lca = np.ones_like(i)
    a, b = i // module_size, j // module_size
    while np.any(a != b):
        step = a != b
        lca[step] += 1
        a, b = a // branching, b // branching
    n_levels = round(math.log(n // module_size, branching)) + 1
    groups = branching ** (n_levels - level)
    if level == 1:
        pairs = groups * module_size * (module_size - 1) // 2
    else:
        child = module_size * branching ** (level - 2)
        pairs = groups * branching * (branching - 1) // 2 * child**2
    return (lca == level).sum() / pairs, pairs


@pytest.mark.parametrize("branching", [2, 3])
def test_hierarchical_level_densities(branching):
    n_levels, s, p_in, decay = 4, 20, 0.6, 0.3
    A = hierarchical_modular(n_levels, s, branching=branching, p_in=p_in, decay=decay, seed=0)
    assert_canonical(A, s * branching ** (n_levels - 1))
    for level in range(1, n_levels + 1):
        dens, pairs = _level_density(A, s, branching, level)
        p = p_in * decay ** (level - 1)
        assert abs(dens - p) < 5 * math.sqrt(p * (1 - p) / pairs) + 1e-12


def test_hierarchical_limits_and_determinism():
    A = hierarchical_modular(3, 10, decay=0.0, seed=1)  # only base modules: block diagonal
    i, j = A.nonzero()
    assert np.all(i // 10 == j // 10)
    full = hierarchical_modular(2, 6, p_in=1.0, decay=1.0, seed=1)
    assert full.nnz == 12 * 11
    one = hierarchical_modular(1, 50, p_in=0.2, seed=5)
    assert one.shape == (50, 50)
    B, C = hierarchical_modular(5, 8, seed=9), hierarchical_modular(5, 8, seed=9)
    np.testing.assert_array_equal(B.indices, C.indices)


@pytest.mark.parametrize(
    "args,kw,exc,msg",
    [
        ((0, 10), {}, ValueError, r"n_levels must be an integer >= 1, got n_levels=0"),
        ((3, 1), {}, ValueError, r"module_size must be an integer >= 2, got module_size=1"),
        ((3, 10), {"branching": 1}, ValueError, r"branching must be an integer >= 2, got branching=1"),
        ((3, 10), {"p_in": 0.0}, ValueError, r"p_in must be a real number > 0.0 and <= 1.0, got p_in=0.0"),
        ((3, 10), {"decay": 1.5}, ValueError, r"decay must be a real number >= 0 and <= 1, got decay=1.5"),
        ((3.0, 10), {}, TypeError, r"n_levels must be an integer"),
        ((40, 1000), {}, ValueError, r"must be below 2\*\*31"),
        ((12, 1000), {"decay": 1.0}, ValueError, r"would generate about .* edges"),
    ],
)
def test_hierarchical_validation(args, kw, exc, msg):
    with pytest.raises(exc, match=msg):
        hierarchical_modular(*args, **kw)
