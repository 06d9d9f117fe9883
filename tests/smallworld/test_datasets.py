"""Tests of smallworld.datasets against the published and computed values of shared/data/README.md."""

from __future__ import annotations

import filecmp
from importlib import resources

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import smallworld as sw
from smallworld import datasets

CORTEX = {
    # name: (n, arcs, m, reciprocal pairs, C, T, L, diameter)
    "macaque71": (71, 746, 438, 308, 0.5033, 0.4418, 2.2447, 5),
    "cat52": (52, 818, 515, 303, 0.6642, 0.5850, 1.6357, 3),
    "macaque_visual30": (30, 311, 190, 121, 0.6338, 0.5939, 1.5885, 3),
}


def _m(A: sp.csr_array) -> int:
    return A.nnz // 2


def test_list_and_describe():
    names = datasets.list_datasets()
    assert names == ["celegans", "celegans_directed", "karate", "macaque71", "cat52", "macaque_visual30"]
    for name in names:
        info = datasets.describe(name)
        assert info.name == name and info.citation and info.doi.startswith("10.")
        A = datasets.load(name)
        assert A.shape == (info.n, info.n)
        U = sw.as_graph(A, directed=False)
        assert _m(U) == info.m
        assert round(2 * info.m / info.n, 2) == round(info.mean_degree, 2)
        if info.arcs is not None and name != "celegans_directed":
            assert getattr(datasets, name)(directed=True).nnz == info.arcs


def test_describe_rejects_unknown_names():
    with pytest.raises(ValueError, match="name must be one of 'celegans'.*got name='mouse'"):
        datasets.describe("mouse")
    with pytest.raises(ValueError, match="name must be one of"):
        datasets.load("mouse")
    assert datasets.describe("macaque-visual30").name == "macaque_visual30"


def test_packaged_files_are_the_reference_files(shared_data):
    pkg = resources.files("smallworld.data")
    for name in datasets.list_datasets():
        fname = datasets.describe(name).file
        with resources.as_file(pkg / fname) as path:
            assert filecmp.cmp(path, shared_data / fname, shallow=False), fname
    assert (pkg / "README.md").is_file()


def test_celegans_published_and_computed_values():
    A = datasets.celegans()
    assert A.shape == (297, 297) and A.dtype == bool and _m(A) == 2148
    assert not sw.is_directed(A) and A.diagonal().sum() == 0
    assert round(A.nnz / 297, 2) == 14.46
    G = sw.to_networkx(A)
    assert nx.average_clustering(G) == pytest.approx(0.2924, abs=5e-5)
    assert nx.transitivity(G) == pytest.approx(0.1807, abs=5e-5)
    assert nx.average_shortest_path_length(G) == pytest.approx(2.4553, abs=5e-5)
    info = datasets.describe("celegans")
    assert info.published["C"] == 0.28 and info.published["n"] == 282
    # C agrees with the paper within 0.02 (L does not: see the notes)
    assert abs(nx.average_clustering(G) - info.published["C"]) < 0.02


def test_celegans_directed_and_undirected_share_node_order():
    D, labels = datasets.celegans_directed(return_labels=True)
    A, labels_u = datasets.celegans(return_labels=True)
    assert labels == labels_u and labels[:3] == ["1", "51", "72"] and len(set(labels)) == 297
    assert D.dtype == np.float64 and D.nnz == 2345 and D.sum() == 8819.0 and sw.is_directed(D)
    assert (sw.as_graph(D, directed=False).astype(bool) != A).nnz == 0
    B = datasets.celegans_directed(weighted=False)
    assert B.dtype == bool and (B != D.astype(bool)).nnz == 0


def test_celegans_matches_edgelist_file(shared_data):
    # node i of celegans() is the neuron whose Watts number is labels[i]
    A, labels = datasets.celegans(return_labels=True)
    edges = np.loadtxt(shared_data / "celegans_ws_undirected.edgelist", dtype=np.int64, comments="#")
    pos = {int(lab): i for i, lab in enumerate(labels)}
    ref = sw.as_graph([(pos[u], pos[v]) for u, v in edges.tolist()], n=297)
    assert (ref != A).nnz == 0


def test_karate_values():
    A = datasets.karate()
    assert A.shape == (34, 34) and _m(A) == 78
    G = sw.to_networkx(A)
    assert sorted(map(tuple, sw.edge_array(A).tolist())) == sorted(
        tuple(sorted(e)) for e in nx.karate_club_graph().edges()
    )
    assert nx.average_clustering(G) == pytest.approx(0.5706, abs=5e-5)
    assert nx.average_shortest_path_length(G) == pytest.approx(2.4082, abs=5e-5)
    assert datasets.karate(return_labels=True)[1][:2] == ["0", "1"]


@pytest.mark.parametrize("name", list(CORTEX))
def test_cortical_table(name):
    n, arcs, m, recip, C, T, L, diam = CORTEX[name]
    loader = getattr(datasets, name)
    D, labels = loader(directed=True, return_labels=True)
    assert D.shape == (n, n) and D.nnz == arcs and len(labels) == len(set(labels)) == n
    assert D.multiply(D.T).nnz // 2 == recip
    assert D.diagonal().sum() == 0
    A = loader()
    assert not sw.is_directed(A) and A.dtype == bool and _m(A) == m
    G = sw.to_networkx(A)
    assert nx.average_clustering(G) == pytest.approx(C, abs=5e-5)
    assert nx.transitivity(G) == pytest.approx(T, abs=5e-5)
    assert nx.average_shortest_path_length(G) == pytest.approx(L, abs=5e-5)
    assert nx.diameter(G) == diam
    info = datasets.describe(name)
    assert (info.n, info.arcs, info.m, info.reciprocal_pairs) == (n, arcs, m, recip)
    assert (info.computed["C"], info.computed["L"]) == (C, L)


@pytest.mark.parametrize("name, L_dir", [("cat52", 1.8081), ("macaque_visual30", 1.7161)])
def test_directed_path_length(name, L_dir):
    G = sw.to_networkx(getattr(datasets, name)(directed=True))
    assert nx.is_strongly_connected(G)
    assert nx.average_shortest_path_length(G) == pytest.approx(L_dir, abs=5e-5)


def test_macaque71_not_strongly_connected():
    G = sw.to_networkx(datasets.macaque71(directed=True))
    assert isinstance(G, nx.DiGraph) and not nx.is_strongly_connected(G)


def test_area_names_follow_the_file(shared_data):
    D, labels = datasets.macaque_visual30(directed=True, return_labels=True)
    first = (shared_data / "macaque_visual30_fvE1991.arcs").read_text().splitlines()[1].split()
    assert labels[0] == first[0] == "V1" and labels[1] == first[1]
    assert D[0, 1]


def test_cat52_weights():
    W = datasets.cat52(directed=True, weighted=True)
    assert W.dtype == np.float64 and W.nnz == 818 and set(np.unique(W.data)) == {1.0, 2.0, 3.0}
    U = datasets.cat52(weighted=True)
    assert not sw.is_directed(U) and _m(U) == 515
    assert (U.toarray() == np.maximum(W.toarray(), W.toarray().T)).all()


def test_loaders_return_independent_copies():
    A = datasets.karate()
    A.data[:] = False
    assert datasets.karate().nnz == 156 and datasets.karate().data.all()


@pytest.mark.parametrize("kwargs", [{"directed": "yes"}, {"return_labels": 1}])
def test_loader_argument_types(kwargs):
    with pytest.raises(TypeError, match="must be True or False"):
        datasets.macaque71(**kwargs)
