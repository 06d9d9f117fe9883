"""smallworld: brain-like sparse neural networks.

Generate small-world and scale-free graphs, wire them into torch networks
(:mod:`nets`), and score any graph or model for small-world-ness
(:mod:`analysis`).  The canonical graph type is a ``scipy.sparse.csr_array``
adjacency over nodes ``0..n-1``; :func:`as_graph` converts anything into it.
"""

from smallworld._numba_cache import ensure_cache_dir as _ensure_cache_dir

_ensure_cache_dir()  # before any kernel: a read-only install with no writable HOME still caches

from smallworld import datasets  # noqa: E402
from smallworld._threads import get_num_threads, set_num_threads, thread_limit
from smallworld._graph import as_graph, edge_array, is_directed, to_edge_index, to_networkx, to_torch_mask
from smallworld.generators import (
    barabasi_albert,
    bipartite,
    chung_lu,
    configuration_power_law,
    connected_watts_strogatz,
    erdos_renyi,
    hierarchical_modular,
    holme_kim,
    klemm_eguiluz,
    newman_watts_strogatz,
    ring_lattice,
    spatial,
    watts_strogatz,
    ws_flex,
)
from smallworld.io import read, write
from smallworld._pyg import from_pyg, to_pyg

__version__ = "0.1.0"

__all__ = [
    "as_graph",
    "to_networkx",
    "to_edge_index",
    "to_torch_mask",
    "to_pyg",
    "from_pyg",
    "is_directed",
    "edge_array",
    "read",
    "write",
    "datasets",
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
    "get_num_threads",
    "set_num_threads",
    "thread_limit",
]
