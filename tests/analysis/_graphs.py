"""Random test graphs shared by the analysis metric tests (networkx objects)."""

from __future__ import annotations

import networkx as nx

#: (name, factory) pairs of small undirected graphs, connected unless noted.
UNDIRECTED = [
    ("karate", lambda: nx.karate_club_graph()),
    ("ws", lambda: nx.connected_watts_strogatz_graph(120, 6, 0.2, seed=3)),
    ("ba", lambda: nx.barabasi_albert_graph(150, 3, seed=4)),
    ("gnp", lambda: nx.gnp_random_graph(100, 0.08, seed=5)),
    ("lollipop", lambda: nx.lollipop_graph(6, 5)),
]

DIRECTED = [
    ("dgnp", lambda: nx.gnp_random_graph(80, 0.1, seed=6, directed=True)),
    ("dscale", lambda: nx.DiGraph(nx.scale_free_graph(100, seed=7))),
]
