"""Clustering, average clustering and transitivity against networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from analysis import average_clustering, clustering, transitivity
from smallworld import as_graph
from tests.analysis._graphs import DIRECTED, UNDIRECTED


def _weighted(G: nx.Graph, seed: int) -> nx.Graph:
    rng = np.random.default_rng(seed)
    G = G.copy()
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.uniform(0.1, 5.0))
    return G


def _vec(d: dict, n: int) -> np.ndarray:
    return np.array([d[i] for i in range(n)])


@pytest.mark.parametrize("name,make", UNDIRECTED)
def test_undirected_matches_networkx(name, make):
    G = nx.Graph(make())
    A = as_graph(nx.to_scipy_sparse_array(G, weight=None))
    n = len(G)
    np.testing.assert_allclose(clustering(A), _vec(nx.clustering(G), n), rtol=0, atol=1e-12)
    assert average_clustering(A) == pytest.approx(nx.average_clustering(G), abs=1e-12)
    assert transitivity(A) == pytest.approx(nx.transitivity(G), abs=1e-12)


@pytest.mark.parametrize("name,make", UNDIRECTED + DIRECTED)
def test_weighted_onnela_matches_networkx(name, make):
    G = _weighted(make(), seed=1)
    A = as_graph(G)
    got = clustering(A, weight="weight")
    np.testing.assert_allclose(got, _vec(nx.clustering(G, weight="weight"), len(G)), rtol=0, atol=1e-12)


@pytest.mark.parametrize("name,make", DIRECTED)
def test_directed_fagiolo_matches_networkx(name, make):
    G = make()
    G.remove_edges_from(nx.selfloop_edges(G))
    A = as_graph(G)
    np.testing.assert_allclose(clustering(A), _vec(nx.clustering(G), len(G)), rtol=0, atol=1e-12)
    assert average_clustering(A) == pytest.approx(nx.average_clustering(G), abs=1e-12)


def test_directed_definition_reduces_to_undirected_on_symmetric_graph():
    A = as_graph(nx.karate_club_graph())
    np.testing.assert_allclose(clustering(A, directed=True), clustering(A), atol=1e-14)


def test_directed_false_symmetrises():
    D = nx.gnp_random_graph(60, 0.1, seed=2, directed=True)
    U = nx.Graph(D)
    np.testing.assert_allclose(clustering(D, directed=False), _vec(nx.clustering(U), 60), atol=1e-12)


def test_count_zeros_policy():
    # triangle with a pendant and an isolated node: degrees 2, 2, 3, 1, 0
    A = as_graph([(0, 1), (1, 2), (2, 0), (2, 3)], n=5)
    c = clustering(A)
    assert c.tolist() == pytest.approx([1, 1, 1 / 3, 0, 0])
    assert average_clustering(A) == pytest.approx(c.mean())
    assert average_clustering(A, count_zeros=False) == pytest.approx((1 + 1 + 1 / 3) / 3)


def test_count_zeros_false_keeps_defined_zeros_like_igraph():
    ig = pytest.importorskip("igraph")
    G = nx.gnp_random_graph(80, 0.04, seed=11)
    A = as_graph(nx.to_scipy_sparse_array(G))
    expected = ig.Graph(n=80, edges=list(G.edges)).transitivity_avglocal_undirected(mode="nan")
    assert average_clustering(A, count_zeros=False) == pytest.approx(expected, abs=1e-12)


def test_self_loops_are_ignored():
    G = nx.karate_club_graph()
    H = G.copy()
    H.add_edges_from([(0, 0), (5, 5)])
    assert average_clustering(as_graph(H)) == pytest.approx(nx.average_clustering(G), abs=1e-12)
    assert transitivity(as_graph(H)) == pytest.approx(nx.transitivity(G), abs=1e-12)


def test_ring_lattice_formula():
    n, k = 40, 6
    A = as_graph([(i, (i + d) % n) for i in range(n) for d in range(1, k // 2 + 1)])
    assert average_clustering(A) == pytest.approx(3 * (k - 2) / (4 * (k - 1)))


def test_empty_graph_raises():
    with pytest.raises(ValueError, match="at least 1 node"):
        average_clustering(sp.csr_array((0, 0), dtype=bool))
    with pytest.raises(ValueError, match="at least 1 node"):
        transitivity(sp.csr_array((0, 0), dtype=bool))


def test_single_node_and_no_triples():
    one = sp.csr_array((1, 1), dtype=bool)
    assert average_clustering(one) == 0.0
    assert transitivity(one) == 0.0
    with pytest.raises(ValueError, match="no node has degree >= 2"):
        average_clustering(one, count_zeros=False)


def test_transitivity_rejects_directed():
    with pytest.raises(ValueError, match="undirected graphs only"):
        transitivity(as_graph([(0, 1), (1, 2)], directed=True))


def test_negative_weights_rejected():
    A = sp.csr_array(np.array([[0, -1.0, 2], [-1.0, 0, 1], [2, 1, 0]]))
    with pytest.raises(ValueError, match="non-negative weights"):
        clustering(A, weight="weight")


def test_nan_weight_rejected_at_the_door():
    A = np.array([[0, np.nan], [np.nan, 0]])
    with pytest.raises(ValueError, match="non-finite"):
        clustering(A)


@pytest.mark.parametrize("bad,exc", [("w", ValueError), (1, TypeError)])
def test_bad_weight_argument(bad, exc):
    with pytest.raises(exc, match="weight must be"):
        clustering([(0, 1)], weight=bad)


def test_bad_count_zeros_type():
    with pytest.raises(TypeError, match="count_zeros"):
        average_clustering([(0, 1)], count_zeros="yes")
