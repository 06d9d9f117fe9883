"""sigma, omega and small-world propensity: agreement with networkx within the
null spread, invariants, reproducibility and refusals."""

from __future__ import annotations

import json
import math

import networkx as nx
import numpy as np
import pytest

from analysis import SmallWorldResult, omega, sigma, small_world_propensity
from smallworld import as_graph


def _sigma_tol(r: SmallWorldResult) -> float:
    """Three single-reference relative spreads of sigma."""
    return 3 * r.value * math.hypot(r.C_rand_std / r.C_rand, r.L_rand_std / r.L_rand)


def _omega_tol(r: SmallWorldResult) -> float:
    return 3 * math.hypot(r.L_rand_std / r.L, r.C * r.C_latt_std / r.C_latt**2)


def test_sigma_agrees_with_networkx_on_karate():
    G = nx.karate_club_graph()
    want = nx.sigma(G, niter=1, nrand=3, seed=0)
    r = sigma(G, niter=5, nrand=30, seed=0)
    assert abs(r.value - want) <= _sigma_tol(r)
    assert r.C == pytest.approx(nx.transitivity(G)) and r.L == pytest.approx(nx.average_shortest_path_length(G))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["karate", "ws60"])
def test_sigma_and_omega_agree_with_networkx(name):
    G = nx.karate_club_graph() if name == "karate" else nx.connected_watts_strogatz_graph(60, 6, 0.1, seed=1)
    s_nx = nx.sigma(G, niter=5, nrand=5, seed=0)
    o_nx = nx.omega(G, niter=5, nrand=5, seed=0)
    s = sigma(G, niter=5, nrand=30, seed=1)
    o = omega(G, niter=5, nrand=30, seed=1, converge=False)  # networkx latticizes exactly niter swaps per edge
    assert abs(s.value - s_nx) <= _sigma_tol(s)
    assert abs(o.value - o_nx) <= _omega_tol(o)


def test_omega_uses_average_clustering_and_is_bounded():
    G = nx.connected_watts_strogatz_graph(100, 6, 0.1, seed=2)
    r = omega(G, niter=3, nrand=4, seed=0)
    assert r.clustering == "average" and r.C == pytest.approx(nx.average_clustering(G))
    assert r.C_latt >= r.C  # C_latt includes the graph itself, so C / C_latt <= 1
    assert r.value == pytest.approx(r.L_rand / r.L - r.C / r.C_latt)
    assert -1.0 <= r.value <= 1.5


@pytest.mark.parametrize("p,lo,hi", [(0.0, -1.0, -0.5), (0.1, -0.5, 0.3), (1.0, 0.5, 1.1)])
def test_omega_moves_from_lattice_to_random(p, lo, hi):
    G = nx.watts_strogatz_graph(200, 8, p, seed=3) if p else nx.watts_strogatz_graph(200, 8, 0, seed=3)
    assert lo <= omega(G, niter=3, nrand=3, seed=1).value <= hi


def test_sigma_clustering_options_and_fields():
    G = nx.connected_watts_strogatz_graph(150, 8, 0.1, seed=4)
    t = sigma(G, niter=5, nrand=4, seed=0)
    a = sigma(G, niter=5, nrand=4, seed=0, clustering="average")
    assert t.clustering == "transitivity" and t.C == pytest.approx(nx.transitivity(G))
    assert a.clustering == "average" and a.C == pytest.approx(nx.average_clustering(G))
    assert t.value == pytest.approx((t.C / t.C_rand) / (t.L / t.L_rand))
    assert t.z_C == pytest.approx((t.C - t.C_rand) / t.C_rand_std) and t.z_C > 3
    assert t.nrand == 4 and t.niter == 5 and t.n == 150 and t.m == G.number_of_edges()
    json.dumps(t.to_dict())
    text = str(t)
    assert "sigma" in text and "random" in text and "transitivity" in text
    assert float(t) == t.value


def test_same_seed_same_result_and_progress():
    G = nx.connected_watts_strogatz_graph(80, 6, 0.2, seed=5)
    calls = []
    a = omega(G, niter=2, nrand=3, seed=9, progress=lambda i, n: calls.append((i, n)))
    b = omega(G, niter=2, nrand=3, seed=9)
    assert a == b
    assert calls == [(i, 6) for i in range(1, 7)]
    with pytest.raises(TypeError, match="progress"):
        sigma(G, nrand=1, progress=3)


def test_analytic_null_is_instant_and_documented():
    G = nx.connected_watts_strogatz_graph(500, 10, 0.1, seed=6)
    r = sigma(G, null="analytic")
    k = 2 * G.number_of_edges() / 500
    assert r.C_rand == pytest.approx(k / 500) and r.L_rand == pytest.approx(np.log(500) / np.log(k))
    assert r.C_rand_std is None and r.z_C is None and r.nrand == 0
    o = omega(G, null="analytic")
    assert o.C_latt == pytest.approx(3 * (k - 2) / (4 * (k - 1)))


def test_small_world_propensity_definition():
    G = nx.connected_watts_strogatz_graph(200, 8, 0.05, seed=7)
    r = small_world_propensity(G, nrand=4, seed=0)
    dc = min(1, max(0, (r.C_latt - r.C) / (r.C_latt - r.C_rand)))
    dl = min(1, max(0, (r.L - r.L_rand) / (r.L_latt - r.L_rand)))
    assert (r.delta_C, r.delta_L) == pytest.approx((dc, dl))
    assert r.value == pytest.approx(1 - math.sqrt((dc**2 + dl**2) / 2))
    assert r.C_latt == pytest.approx(3 * (8 - 2) / (4 * (8 - 1)))  # same n, m: the k=8 ring lattice
    random_graph = nx.connected_watts_strogatz_graph(200, 8, 1.0, seed=7)
    assert small_world_propensity(random_graph, nrand=4, seed=0).value < r.value


@pytest.mark.parametrize("fn", [sigma, omega, small_world_propensity])
def test_refusals(fn):
    with pytest.raises(ValueError, match="connected graph"):
        fn(nx.disjoint_union(nx.cycle_graph(10), nx.cycle_graph(10)), nrand=1)
    with pytest.raises(ValueError, match="undirected graphs only"):
        fn(nx.gnp_random_graph(30, 0.3, seed=1, directed=True), nrand=1)
    with pytest.raises(ValueError, match="complete"):
        fn(nx.complete_graph(8), nrand=1)
    with pytest.raises(ValueError, match="at least 4 nodes"):
        fn(nx.path_graph(3), nrand=1)
    looped = nx.cycle_graph(10)
    looped.add_edge(0, 0)
    with pytest.raises(ValueError, match="self-loop"):
        fn(looped, nrand=1)
    with pytest.raises(ValueError, match="nrand"):
        fn(nx.cycle_graph(10), nrand=0)


def test_lcc_policy_measures_largest_component():
    big = nx.connected_watts_strogatz_graph(60, 6, 0.1, seed=8)
    G = nx.disjoint_union(big, nx.path_graph(3))
    r = sigma(G, niter=2, nrand=2, seed=0, disconnected="lcc")
    assert r.n == 60 and r.L == pytest.approx(nx.average_shortest_path_length(big))


def test_sigma_without_triangles_in_references_raises():
    # a long cycle: its connected degree-preserving references are cycles (no triangle)
    with pytest.raises(ValueError, match="undefined"):
        sigma(as_graph([(i, (i + 1) % 30) for i in range(30)]), niter=2, nrand=2, seed=0)


# --- omega on graphs of mean degree < 2 speaks of the graph, not of an internal k (review regression) ----


@pytest.mark.parametrize("null", ["analytic", "rewire"])
@pytest.mark.parametrize(
    "G,k_text",
    [(nx.path_graph(10), "1.8 (n=10, m=9)"), (nx.balanced_tree(2, 3), "1.867 (n=15, m=14)")],
)
def test_omega_on_a_tree_names_the_graphs_mean_degree(G, k_text, null):
    with pytest.raises(ValueError) as info:
        omega(G, niter=1, nrand=1, seed=0, null=null)
    msg = str(info.value)
    assert msg.startswith(f"omega is undefined for this graph: its mean degree is 2m/n = {k_text}, below 2")
    assert "tree" in msg and "null='rewire'" in msg and "sigma(g, null='analytic')" in msg
    assert "k must be" not in msg and "got k=" not in msg


def test_omega_on_a_tree_component_says_it_measured_the_largest_component():
    G = nx.disjoint_union(nx.path_graph(10), nx.path_graph(3))
    with pytest.raises(ValueError, match=r"for the graph's largest connected component \(disconnected='lcc'\): "
                                         r"its mean degree is 2m/n = 1\.8 \(n=10, m=9\)"):
        omega(G, null="analytic", disconnected="lcc")


def test_omega_analytic_at_mean_degree_two_explains_the_cycle_lattice():
    cycle_msg = r"mean degree 2m/n = 2: the analytic ring lattice of mean degree 2 is a cycle\)$"
    with pytest.raises(ValueError, match=cycle_msg):
        omega(nx.cycle_graph(12), null="analytic")
    G = nx.cycle_graph(10)
    G.add_edge(0, 2)
    G.remove_edge(5, 6)  # mean degree 2 with a triangle: the rewired lattice keeps C_latt >= C > 0
    with pytest.raises(ValueError, match="null='rewire' is defined here"):
        omega(G, null="analytic")
    assert omega(G, niter=2, nrand=2, seed=0).value == pytest.approx(-0.0910344827586207, abs=0.05)


def test_sigma_analytic_on_a_tree_is_zero():
    r = sigma(nx.path_graph(10), null="analytic")  # the alternative the omega message points to
    assert r.value == 0.0 and r.C_rand == pytest.approx(0.18)
