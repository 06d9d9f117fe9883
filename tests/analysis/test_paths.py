"""Average path length: exact BFS/Dijkstra vs networkx, policies, sampling."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from analysis import PathLength, average_path_length
from smallworld import as_graph
from tests.analysis._graphs import UNDIRECTED


@pytest.mark.parametrize("name,make", UNDIRECTED)
def test_exact_matches_networkx(name, make):
    G = nx.Graph(make())
    A = as_graph(nx.to_scipy_sparse_array(G, weight=None))
    assert average_path_length(A) == pytest.approx(nx.average_shortest_path_length(G), abs=1e-12)


@pytest.mark.parametrize("n", [63, 64, 65, 300, 600])
def test_batch_boundaries(n):
    # sources straddle the 64-bit words and 256-source batches
    G = nx.connected_watts_strogatz_graph(n, 4, 0.1, seed=n)
    assert average_path_length(G) == pytest.approx(nx.average_shortest_path_length(G), abs=1e-12)


def test_weighted_matches_networkx():
    G = nx.connected_watts_strogatz_graph(150, 6, 0.2, seed=1)
    rng = np.random.default_rng(0)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.uniform(0.5, 3.0))
    A = as_graph(G)
    want = nx.average_shortest_path_length(G, weight="weight")
    assert average_path_length(A, weight="weight") == pytest.approx(want, abs=1e-12)
    # weight=None uses hop counts
    assert average_path_length(A) == pytest.approx(nx.average_shortest_path_length(G), abs=1e-12)


def test_directed_follows_arcs():
    D = nx.gnp_random_graph(90, 0.08, seed=4, directed=True)
    assert nx.is_strongly_connected(D)
    assert average_path_length(D) == pytest.approx(nx.average_shortest_path_length(D), abs=1e-12)
    U = nx.Graph(D)
    assert average_path_length(D, directed=False) == pytest.approx(nx.average_shortest_path_length(U), abs=1e-12)


def test_disconnected_policies():
    G = nx.disjoint_union(nx.path_graph(5), nx.cycle_graph(3))
    with pytest.raises(ValueError, match="not connected"):
        average_path_length(G)
    assert average_path_length(G, disconnected="lcc") == pytest.approx(nx.average_shortest_path_length(nx.path_graph(5)))
    d = dict(nx.all_pairs_shortest_path_length(G))
    finite = [d[u][v] for u in d for v in d[u] if u != v]
    assert average_path_length(G, disconnected="reachable") == pytest.approx(np.mean(finite))
    n = len(G)
    assert average_path_length(G, disconnected="harmonic") == pytest.approx(1 / nx.global_efficiency(G))
    assert average_path_length(G, disconnected="harmonic") == pytest.approx(n * (n - 1) / sum(1 / x for x in finite))


def test_directed_not_strongly_connected_raises():
    with pytest.raises(ValueError, match="strongly connected"):
        average_path_length(as_graph([(0, 1), (1, 2)], directed=True))


def test_self_loops_ignored():
    G = nx.cycle_graph(7)
    H = G.copy()
    H.add_edge(3, 3)
    assert average_path_length(H) == pytest.approx(nx.average_shortest_path_length(G))


def test_sample_estimate_covers_exact_value():
    G = nx.connected_watts_strogatz_graph(2000, 6, 0.1, seed=2)
    A = as_graph(G)
    exact = average_path_length(A)
    r = average_path_length(A, method="sample", n_sources=300, seed=1, return_ci=True)
    assert isinstance(r, PathLength) and r.method == "sample" and r.n_sources == 300
    assert r.ci_low < r.value < r.ci_high
    assert r.ci_low <= exact <= r.ci_high
    assert r.ci_high - r.ci_low < 0.05 * exact
    again = average_path_length(A, method="sample", n_sources=300, seed=1)
    assert again == r.value


def test_sample_with_all_sources_is_exact():
    G = nx.karate_club_graph()
    r = average_path_length(G, method="sample", n_sources=100, seed=0, return_ci=True)
    assert r.method == "exact" and r.value == pytest.approx(2.4082, abs=1e-4)
    assert r.to_dict()["ci_low"] == r.value


def test_sample_rejects_other_policies():
    with pytest.raises(ValueError, match="method='sample' supports"):
        average_path_length(nx.path_graph(5), method="sample", disconnected="harmonic")


@pytest.mark.parametrize(
    "g,match",
    [
        (sp.csr_array((0, 0), dtype=bool), "at least 2 node"),
        (sp.csr_array((1, 1), dtype=bool), "at least 2 node"),
    ],
)
def test_too_small(g, match):
    with pytest.raises(ValueError, match=match):
        average_path_length(g)


def test_no_edges_with_reachable_policy_raises():
    with pytest.raises(ValueError, match="no pair of distinct nodes"):
        average_path_length(sp.csr_array((3, 3), dtype=bool), disconnected="reachable")


def test_negative_weights_rejected():
    A = sp.csr_array(np.array([[0, -1.0], [-1.0, 0]]))
    with pytest.raises(ValueError, match="non-negative"):
        average_path_length(A, weight="weight")


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"disconnected": "ignore"}, ValueError, "disconnected must be one of"),
        ({"method": "approx"}, ValueError, "method must be one of"),
        ({"method": "sample", "n_sources": 1}, ValueError, "n_sources"),
        ({"confidence": 1.0}, ValueError, "confidence"),
        ({"return_ci": 1}, TypeError, "return_ci"),
        ({"directed": "yes"}, TypeError, "directed"),
    ],
)
def test_argument_validation(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        average_path_length(nx.path_graph(4), **kwargs)
