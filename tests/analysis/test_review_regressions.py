"""Regression tests for defects found in review (one test per defect)."""

from __future__ import annotations

import pytest

from analysis import ws_curve


def test_ws_curve_refuses_k2_instead_of_nan():
    # k=2: the ring lattice has no triangles, C(0) = 0, so C(p)/C(0) would be NaN.
    with pytest.raises(ValueError, match=r"k must be even and 4 <= k < n.*got k=2, n=30"):
        ws_curve(30, 2, [1e-4], seeds=1, seed=0)


def test_ws_curve_progress_checked_at_the_door():
    with pytest.raises(TypeError, match="progress must be None or a callable, got 3"):
        ws_curve(30, 4, [0.1], seeds=1, seed=0, progress=3)


def test_fit_power_law_refuses_a_graph_instead_of_fitting_its_node_ids():
    import networkx as nx

    from analysis import fit_power_law

    # np.asarray(nx.Graph) is the array of node ids 0..n-1: it was silently fitted as "degrees".
    with pytest.raises(TypeError, match=r"got a graph \(Graph\); pass its degree sequence"):
        fit_power_law(nx.karate_club_graph(), n_bootstrap=0)
