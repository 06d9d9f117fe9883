"""Layer masks: exact entry count and shape, the nn.Linear layout, degree
modes, the no-empty-row/column guarantee, uniformity of the ER mask."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from smallworld import bipartite
from tests.smallworld.test_scale_free import discrete_power_law_mle

MODES = ["er", "powerlaw_in", "powerlaw_out"]
SIZES = [(1, 1, 1.0), (784, 300, 0.1), (100, 50, 0.05), (10, 1000, 0.5), (1000, 10, 0.37), (50, 40, 1.0), (30, 20, 0.9)]


def assert_mask(M, n_in: int, n_out: int, total: int) -> None:
    assert isinstance(M, sp.csr_array)
    assert M.shape == (n_out, n_in)
    assert M.dtype == bool
    assert M.nnz == total and M.data.all()
    B = sp.csr_array(M, copy=True)
    B.sum_duplicates()
    B.sort_indices()
    assert B.nnz == total
    np.testing.assert_array_equal(B.indices, M.indices)
    assert M.has_sorted_indices


@pytest.mark.parametrize("min_degree", [0, 1])
@pytest.mark.parametrize("degree", MODES)
@pytest.mark.parametrize("n_in, n_out, density", SIZES)
def test_exact_count_shape_and_layout(n_in, n_out, density, degree, min_degree):
    total = round(density * n_in * n_out)
    M = bipartite(n_in, n_out, density, degree=degree, min_degree=min_degree, seed=2)
    assert_mask(M, n_in, n_out, total)
    if min_degree:
        assert (M.sum(axis=1) >= 1).all() and (M.sum(axis=0) >= 1).all()


@pytest.mark.parametrize("degree", MODES)
def test_determinism(degree):
    A = bipartite(300, 200, 0.05, degree=degree, seed=5)
    B = bipartite(300, 200, 0.05, degree=degree, seed=5)
    C = bipartite(300, 200, 0.05, degree=degree, seed=6)
    assert (A != B).nnz == 0 and (A != C).nnz > 0


def test_mask_works_as_linear_weight_mask():
    """mask[i, j] = input j -> output i: W * mask zeroes exactly the absent arcs,
    and y = (W * mask) @ x only mixes the listed inputs into each output."""
    M = bipartite(6, 4, 0.5, seed=0)
    W = np.arange(1, 25, dtype=float).reshape(4, 6)
    x = np.zeros(6)
    j = int(M.indices[0])  # an input feeding output 0
    x[j] = 1.0
    y = (W * M.toarray()) @ x
    assert y[0] == W[0, j]
    np.testing.assert_array_equal(y != 0, M.toarray()[:, j])


def test_density_one_is_dense():
    M = bipartite(7, 3, 1.0, degree="powerlaw_in", seed=0)
    assert (M.toarray() == np.ones((3, 7), dtype=bool)).all()


def test_er_is_uniform_over_positions():
    """Every position is present with probability K / (n_in n_out)."""
    n_in, n_out, density, reps = 5, 4, 0.35, 3000
    total = round(density * n_in * n_out)
    rng = np.random.default_rng(0)
    freq = sum(bipartite(n_in, n_out, density, seed=rng).toarray().astype(int) for _ in range(reps)) / reps
    p = total / (n_in * n_out)
    assert np.abs(freq - p).max() < 5 * np.sqrt(p * (1 - p) / reps)


def test_er_row_counts_are_hypergeometric():
    n_in, n_out, density = 40, 2000, 0.25
    M = bipartite(n_in, n_out, density, seed=1)
    rows = np.diff(M.indptr)
    N, K = n_in * n_out, round(density * n_in * n_out)
    mean = n_in * K / N
    var = n_in * (K / N) * (1 - K / N) * (N - n_in) / (N - 1)
    assert rows.mean() == pytest.approx(mean)
    assert rows.var() == pytest.approx(var, rel=0.15)


@pytest.mark.parametrize("degree, axis", [("powerlaw_in", 1), ("powerlaw_out", 0)])
def test_powerlaw_side_is_heavy_tailed_other_side_is_not(degree, axis):
    """powerlaw_in: fan-in (row counts) heavy-tailed; powerlaw_out: fan-out (columns)."""
    n = 20_000
    M = bipartite(n, n, 0.0015, degree=degree, gamma=2.5, seed=3)
    heavy = np.asarray(M.sum(axis=axis)).ravel()
    light = np.asarray(M.sum(axis=1 - axis)).ravel()
    assert heavy.mean() == pytest.approx(light.mean())
    assert heavy.max() > 10 * heavy.mean()
    assert light.max() < 3 * light.mean()
    # the heavy side keeps the power law (MLE well inside the tail, capped
    # full rows/columns left out; ~1400 tail samples: sd ~0.04; seeds 0-4
    # read 2.46-2.60)
    assert abs(discrete_power_law_mle(heavy[heavy < n], 60) - 2.5) < 0.2


def test_min_degree_one_with_barely_enough_entries():
    # K = max(n_in, n_out) exactly: every row and column has one entry... or more
    M = bipartite(50, 20, 0.05, min_degree=1, degree="powerlaw_out", seed=0)
    assert M.nnz == 50
    assert (np.asarray(M.sum(axis=0)) == 1).all()


BAD = [
    ((10, 10, 0.0), {}, ValueError, r"density must be a real number > 0 and <= 1, got density=0.0"),
    ((10, 10, 1.5), {}, ValueError, r"density=1.5"),
    ((10, 10, -0.1), {}, ValueError, r"density=-0.1"),
    ((10, 10, float("nan")), {}, ValueError, r"density must be a finite real number"),
    ((10, 10, 0.001), {}, ValueError, r"density=0.001 gives round\(density \* n_in \* n_out\) = 0"),
    ((10, 10, 0.05), {"min_degree": 1}, ValueError, r"min_degree=1 needs at least max\(n_in, n_out\) = 10 connections"),
    ((10, 10, 0.5), {"min_degree": 2}, ValueError, r"min_degree must be 0 or 1, got min_degree=2"),
    ((10, 10, 0.5), {"degree": "scale_free"}, ValueError, r"degree must be one of 'er', 'powerlaw_in', 'powerlaw_out', got degree='scale_free'"),
    ((10, 10, 0.5), {"degree": "powerlaw_in", "gamma": 1.0}, ValueError, r"gamma must be a real number > 1, got gamma=1.0"),
    ((0, 10, 0.5), {}, ValueError, r"n_in must be an integer >= 1.*got n_in=0"),
    ((10, 2.0, 0.5), {}, TypeError, r"n_out must be an integer, got 2.0"),
    ((10, 10, "0.5"), {}, TypeError, r"density must be a real number"),
    ((10, 10, 0.5), {"min_degree": True}, TypeError, r"min_degree must be an integer"),
]


@pytest.mark.parametrize("args, kwargs, exc, match", BAD)
def test_invalid_parameters(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        bipartite(*args, **kwargs)


@pytest.mark.parametrize("density", [2e-5, 0.9999])
def test_huge_grid_row_counts(density):
    """Above numpy's 1e9-cell limit for hypergeometric marginals the row counts
    come from a sampled subset (or its complement): exact total, right spread."""
    from smallworld.generators.bipartite import _uniform_row_counts

    n_rows, per_row = 40_000, 40_000
    k = round(density * n_rows * per_row)
    c = _uniform_row_counts(n_rows, per_row, k, np.random.default_rng(0))
    assert c.sum() == k and c.min() >= 0 and c.max() <= per_row
    q = k / (n_rows * per_row)
    assert c.var() == pytest.approx(per_row * q * (1 - q), rel=0.1)


def test_huge_mask_end_to_end():
    M = bipartite(100_000, 100_000, 1e-4, min_degree=1, seed=0)
    assert_mask(M, 100_000, 100_000, 1_000_000)
    assert (np.diff(M.indptr) >= 1).all()


def test_huge_sparse_er_direct_path_is_uniform_in_rows():
    n = 60_000  # 3.6e9 cells: the direct sampled-cells path
    M = bipartite(n, n, 5e-5, seed=1)
    assert_mask(M, n, n, round(5e-5 * n * n))
    rows = np.diff(M.indptr)
    assert rows.var() == pytest.approx(rows.mean(), rel=0.1)  # ~binomial with tiny p


@pytest.mark.parametrize("n_in, n_out, density", [(7, 3, 0.01), (1, 1, 0.1), (1000, 1000, 1e-9), (3, 7, 0.02)])
def test_suggested_minimum_density_actually_works(n_in, n_out, density):
    # the hint was 0.5 / (n_in n_out) rounded to nearest: "0.0238" for 7 x 3, which gives 0 connections too
    import re

    with pytest.raises(ValueError, match=r"gives round\(density \* n_in \* n_out\) = 0 connections") as exc:
        bipartite(n_in, n_out, density, seed=0)
    least = float(re.search(r"use a density of at least (\S+)$", str(exc.value)).group(1))
    assert bipartite(n_in, n_out, least, seed=0).nnz == 1
    assert round(least * n_in * n_out) == 1 and least <= 1
    assert float(f"{least:.3g}") == least  # at most 3 significant digits: a value a person can type


def test_suggested_minimum_density_for_7x3_rounds_up():
    with pytest.raises(ValueError, match=r"use a density of at least 0\.0239$"):
        bipartite(7, 3, 0.01)
