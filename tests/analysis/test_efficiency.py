"""Global and local efficiency, and degree statistics, against networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from analysis import degree_stats, global_efficiency, local_efficiency
from smallworld import as_graph
from tests.analysis._graphs import DIRECTED, UNDIRECTED


@pytest.mark.parametrize("name,make", UNDIRECTED)
def test_efficiency_matches_networkx(name, make):
    G = nx.Graph(make())
    A = as_graph(nx.to_scipy_sparse_array(G, weight=None))
    assert global_efficiency(A) == pytest.approx(nx.global_efficiency(G), abs=1e-12)
    assert local_efficiency(A) == pytest.approx(nx.local_efficiency(G), abs=1e-12)


def test_global_efficiency_tolerates_disconnection():
    G = nx.disjoint_union(nx.karate_club_graph(), nx.path_graph(4))
    assert global_efficiency(G) == pytest.approx(nx.global_efficiency(G), abs=1e-12)
    assert global_efficiency(sp.csr_array((3, 3), dtype=bool)) == 0.0


def test_global_efficiency_directed_and_weighted():
    D = nx.gnp_random_graph(50, 0.05, seed=3, directed=True)
    d = dict(nx.all_pairs_shortest_path_length(D))
    want = sum(1 / x for u in d for v, x in d[u].items() if u != v) / (50 * 49)
    assert global_efficiency(D) == pytest.approx(want, abs=1e-12)
    G = nx.cycle_graph(6)
    for u, v in G.edges:
        G[u][v]["weight"] = 2.0 + u
    dw = dict(nx.all_pairs_dijkstra_path_length(G))
    want_w = sum(1 / x for u in dw for v, x in dw[u].items() if u != v) / 30
    assert global_efficiency(G, weight="weight") == pytest.approx(want_w, abs=1e-12)


def test_efficiency_errors():
    with pytest.raises(ValueError, match="at least 2 node"):
        global_efficiency(sp.csr_array((1, 1), dtype=bool))
    with pytest.raises(ValueError, match="at least 1 node"):
        local_efficiency(sp.csr_array((0, 0), dtype=bool))
    with pytest.raises(ValueError, match="undirected graphs only"):
        local_efficiency(as_graph([(0, 1), (1, 2)], directed=True))


@pytest.mark.parametrize("name,make", UNDIRECTED + DIRECTED)
def test_degree_stats_match_networkx(name, make):
    G = make()
    if G.is_directed():
        G = nx.DiGraph(G)
    d = degree_stats(G)
    deg = np.array([x for _, x in G.degree()])
    assert (d.mean, d.std, d.min, d.max) == pytest.approx((deg.mean(), deg.std(), deg.min(), deg.max()))
    assert d.n == len(G) and d.m == G.number_of_edges()
    assert d.directed == G.is_directed()
    if G.is_directed():
        ind = np.array([x for _, x in G.in_degree()])
        outd = np.array([x for _, x in G.out_degree()])
        assert (d.in_mean, d.in_max, d.out_min, d.out_std) == pytest.approx(
            (ind.mean(), ind.max(), outd.min(), outd.std())
        )
    assert d.to_dict()["mean"] == d.mean and "degree: mean" in str(d)


def test_degree_stats_self_loop_counts_twice_like_networkx():
    G = nx.path_graph(3)
    G.add_edge(1, 1)
    d = degree_stats(G)
    assert d.max == G.degree(1) == 4 and d.m == 3


def test_degree_stats_empty():
    with pytest.raises(ValueError, match="at least 1 node"):
        degree_stats(sp.csr_array((0, 0), dtype=bool))
