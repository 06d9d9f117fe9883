"""Generators of small-world, scale-free, spatial and layered connectivity.

Every generator returns the canonical graph type (a ``scipy.sparse.csr_array``
adjacency, symmetric for undirected graphs, ``bool`` data) and takes
``seed=None | int | numpy.random.Generator``.
"""

from smallworld.generators.bipartite import bipartite
from smallworld.generators.lattice import (
    connected_watts_strogatz,
    newman_watts_strogatz,
    ring_lattice,
    watts_strogatz,
    ws_flex,
)
from smallworld.generators.power_law import chung_lu, configuration_power_law
from smallworld.generators.random import erdos_renyi
from smallworld.generators.scale_free import barabasi_albert, holme_kim, klemm_eguiluz
from smallworld.generators.spatial import hierarchical_modular, spatial

__all__ = [
    "ring_lattice",
    "watts_strogatz",
    "newman_watts_strogatz",
    "connected_watts_strogatz",
    "ws_flex",
    "erdos_renyi",
    "barabasi_albert",
    "holme_kim",
    "klemm_eguiluz",
    "chung_lu",
    "configuration_power_law",
    "spatial",
    "hierarchical_modular",
    "bipartite",
]
