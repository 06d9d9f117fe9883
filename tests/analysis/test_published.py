"""Published and reference values on the real networks of ../shared/data
(see its README.md), and the Watts-Strogatz Fig. 2 curve."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from analysis import average_clustering, average_path_length, transitivity
from smallworld import as_graph, watts_strogatz


def _edgelist(path: Path):
    uv = np.loadtxt(path, dtype=np.int64, comments="#")
    _, ids = np.unique(uv, return_inverse=True)  # relabel to 0..n-1
    return as_graph(ids.reshape(uv.shape))


def _arcs(path: Path, directed: bool):
    rows = [ln.split()[:2] for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    names = np.array(rows, dtype=str)
    _, ids = np.unique(names, return_inverse=True)
    return as_graph(ids.reshape(names.shape), directed=directed)


# (file, C, T, L) from ../shared/data/README.md (undirected, simple, LCC)
UNDIRECTED = [
    ("celegans_ws_undirected.edgelist", 0.2924, 0.1807, 2.4553),
    ("karate.edgelist", 0.5706, 0.2557, 2.4082),
    ("macaque71_young1993.arcs", 0.5033, 0.4418, 2.2447),
    ("cat52_scannell1999.arcs", 0.6642, 0.5850, 1.6357),
    ("macaque_visual30_fvE1991.arcs", 0.6338, 0.5939, 1.5885),
]


def _load(shared_data: Path, name: str):
    path = shared_data / name
    return _edgelist(path) if name.endswith(".edgelist") else _arcs(path, directed=False)


@pytest.mark.parametrize("name,C,T,L", UNDIRECTED)
def test_reference_networks(shared_data, name, C, T, L):
    A = _load(shared_data, name)
    assert average_clustering(A) == pytest.approx(C, abs=5e-5)
    assert transitivity(A) == pytest.approx(T, abs=5e-5)
    assert average_path_length(A) == pytest.approx(L, abs=5e-5)


@pytest.mark.parametrize("name", [u[0] for u in UNDIRECTED])
def test_reference_networks_match_networkx_exactly(shared_data, name):
    A = _load(shared_data, name)
    G = nx.from_scipy_sparse_array(A)
    assert average_clustering(A) == pytest.approx(nx.average_clustering(G), abs=1e-12)
    assert transitivity(A) == pytest.approx(nx.transitivity(G), abs=1e-12)
    assert average_path_length(A) == pytest.approx(nx.average_shortest_path_length(G), abs=1e-12)


def test_celegans_against_watts_strogatz_1998(shared_data):
    A = _load(shared_data, "celegans_ws_undirected.edgelist")
    assert A.shape[0] == 297 and A.nnz // 2 == 2148
    # W&S Table 1: C = 0.28 (this file: 0.292); the file's L (2.455) is not the paper's 2.65
    assert average_clustering(A) == pytest.approx(0.28, abs=0.015)


@pytest.mark.parametrize("name,L", [("cat52_scannell1999.arcs", 1.8081), ("macaque_visual30_fvE1991.arcs", 1.7161)])
def test_directed_cortical_path_lengths(shared_data, name, L):
    D = _arcs(shared_data / name, directed=True)
    assert average_path_length(D) == pytest.approx(L, abs=5e-5)


def test_macaque71_is_not_strongly_connected(shared_data):
    D = _arcs(shared_data / "macaque71_young1993.arcs", directed=True)
    with pytest.raises(ValueError, match="strongly connected"):
        average_path_length(D)
    assert average_path_length(D, disconnected="lcc") > 1


def _ws_curve(ps, seed: int = 0):
    base = watts_strogatz(1000, 10, 0.0, seed=seed)
    c0, l0 = average_clustering(base), average_path_length(base)
    graphs = [watts_strogatz(1000, 10, p, seed=seed + i + 1) for i, p in enumerate(ps)]
    return base, c0, l0, graphs


def _reference_l(G: nx.Graph, by: str) -> float:
    """L of a connected networkx graph by networkx, or by igraph (C speed)."""
    if by == "networkx":
        return nx.average_shortest_path_length(G)
    ig = pytest.importorskip("igraph")
    H = nx.convert_node_labels_to_integers(G)
    return ig.Graph(n=len(H), edges=list(H.edges)).average_path_length()


def _check_curve(ps, by: str):
    base, c0, l0, graphs = _ws_curve(ps)
    G0 = nx.from_scipy_sparse_array(base)
    assert c0 == pytest.approx(nx.average_clustering(G0), abs=1e-12) and c0 == pytest.approx(2 / 3)
    assert l0 == pytest.approx(_reference_l(G0, by), abs=1e-12)
    curve = []
    for p, A in zip(ps, graphs):
        G = nx.from_scipy_sparse_array(A)
        lcc = "lcc" if not nx.is_connected(G) else "raise"
        c, ell = average_clustering(A), average_path_length(A, disconnected=lcc)
        H = G if lcc == "raise" else G.subgraph(max(nx.connected_components(G), key=len))
        assert c / c0 == pytest.approx(nx.average_clustering(G) / c0, abs=1e-12)
        assert ell / l0 == pytest.approx(_reference_l(H, by) / l0, abs=1e-12)
        curve.append((p, c / c0, ell / l0))
    return curve


def test_ws_fig2_curve_small_world_regime():
    # networkx's L takes seconds per graph here; igraph's is checked in the default
    # suite and networkx's on the full grid (slow test below)
    curve = _check_curve([0.001, 0.01, 0.1, 1.0], by="igraph")
    by_p = {p: (c, ell) for p, c, ell in curve}
    # W&S Fig. 2: at p = 0.01 clustering is still high while paths have collapsed
    assert by_p[0.01][0] > 0.9 and by_p[0.01][1] < 0.35
    assert by_p[1.0][0] < 0.05 and by_p[1.0][1] < 0.15
    # Barrat & Weigt: C(p) ~ C(0) (1 - p)^3
    for p, c, _ in curve:
        assert c == pytest.approx((1 - p) ** 3, abs=0.05)


@pytest.mark.slow
def test_ws_fig2_full_log_grid():
    ps = list(np.logspace(-3, 0, 14))
    curve = _check_curve(ps, by="networkx")
    ls = [ell for _, _, ell in curve]
    cs = [c for _, c, _ in curve]
    assert ls[0] > ls[-1] and cs[0] > cs[-1]
