"""Issue 11: omega at a fixed small niter had not converged on real networks (C. elegans read 0.36,
0.45, 0.50, 0.54, 0.56 at niter 5, 10, 20, 50, 100); omega now latticizes until the lattice
clustering settles, or warns with the numbers."""

from __future__ import annotations

import warnings

import pytest

import smallworld as sw
from analysis import omega, score
from analysis.coefficients import OMEGA_NITER_MAX, OMEGA_TOL


@pytest.fixture(scope="module")
def celegans():
    A = sw.datasets.celegans()  # Watts & Strogatz 1998: 297 neurons, 2148 edges
    assert A.shape == (297, 297) and A.nnz == 2 * 2148
    return A


def test_fixed_niter_omega_is_still_rising_on_celegans(celegans):
    # the numbers behind the issue, with this toolkit's lattices (converge=False: networkx's behaviour)
    vals = [omega(celegans, niter=k, nrand=5, seed=0, converge=False).value for k in (5, 10, 40)]
    assert vals[0] < vals[1] < vals[2] and vals[2] - vals[0] > 0.1
    assert vals[1] == pytest.approx(0.45, abs=0.02)


def test_omega_converges_from_any_starting_niter_on_celegans(celegans):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # settles within the cap: no warning
        runs = [omega(celegans, niter=k, nrand=5, seed=0) for k in (5, 10)]
    for r in runs:
        assert r.niter > 10 and r.niter <= OMEGA_NITER_MAX and "settled" in r.null
        assert r.value == pytest.approx(0.57, abs=0.02)  # was 0.36 (niter 5) and 0.45 (niter 10)
    assert abs(runs[0].value - runs[1].value) < 2 * OMEGA_TOL
    # the path is recorded: C_latt rises at each doubling
    path = runs[1].null.split("lattice C_latt ")[1].split(":")[0].split(" -> ")
    c = [float(p.split()[0]) for p in path]
    assert path[0].endswith("(niter 10)") and c == sorted(c) and c[-1] - c[0] > 0.1


def test_omega_warns_with_the_numbers_when_the_cap_is_reached(celegans):
    with pytest.warns(RuntimeWarning, match=r"omega has not converged.*niter_max=20.*C_latt 0\.4\d+, 0\.5\d+, 0\.6\d+") as rec:
        r = omega(celegans, niter=5, nrand=5, seed=0, niter_max=20)
    msg = str(rec[0].message)
    assert "at niter 5, 10, 20" in msg and "lower bound" in msg and f"omega = {r.value:.3f}" in msg
    assert r.niter == 20 and "still rising at niter_max=20" in r.null


def test_converge_false_keeps_niter_and_arguments_are_checked(celegans):
    r = omega(celegans, niter=3, nrand=2, seed=0, converge=False)
    assert r.niter == 3 and "C_latt" not in r.null
    with pytest.raises(ValueError, match="niter_max"):
        omega(celegans, niter=10, niter_max=5)
    with pytest.raises(ValueError, match="tol"):
        omega(celegans, tol=0.0)


def test_score_default_omega_is_converged_on_celegans(celegans):
    rep = score(celegans, seed=0, nrand=3, n_bootstrap=0)
    assert rep.settings["niter"] == 10 and rep.omega.niter > 10
    assert rep.omega.value == pytest.approx(0.57, abs=0.03)  # score() printed ~0.45 before
    assert "settled" in str(rep)
