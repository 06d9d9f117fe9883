"""PyTorch Geometric interop: graphs to and from ``torch_geometric.data.Data``.

PyG is an optional dependency (``pip install "smallworld-nets[pyg]"``); it is
imported only when these functions run, so ``import smallworld`` never needs it.
:func:`smallworld.as_graph` also accepts a ``Data`` object directly.
"""

from __future__ import annotations

from typing import Any

import scipy.sparse as sp

from smallworld._graph import as_graph, to_edge_index

__all__ = ["to_pyg", "from_pyg"]


def _import_data() -> Any:
    try:
        from torch_geometric.data import Data
    except ImportError as exc:  # pragma: no cover - exercised only without PyG
        raise ImportError(
            'to_pyg/from_pyg need PyTorch Geometric: pip install "smallworld-nets[pyg]" (or torch-geometric)'
        ) from exc
    return Data


def to_pyg(g: Any, *, x: Any = None) -> Any:
    """Convert a graph to a PyG ``torch_geometric.data.Data``.

    Parameters
    ----------
    g : graph-like
        Anything :func:`smallworld.as_graph` accepts.
    x : torch.Tensor of shape (n, F), optional
        Node features, stored as ``data.x``.

    Returns
    -------
    torch_geometric.data.Data
        ``edge_index`` (``torch.long``, ``(2, E)``; an undirected edge appears
        in both directions, as PyG expects), ``edge_weight`` (float64, only
        for a weighted graph), ``num_nodes = n`` (isolated nodes kept) and
        ``x`` when given.

    Raises
    ------
    ImportError
        If torch-geometric is not installed.
    ValueError
        If ``x`` does not have one row per node.

    Examples
    --------
    >>> import smallworld as sw
    >>> data = sw.to_pyg(sw.ring_lattice(6, 2))
    >>> data.num_nodes, data.num_edges, data.is_undirected()
    (6, 12, True)
    """
    Data = _import_data()
    A = as_graph(g)
    ei, w = to_edge_index(A, return_weight=True)
    kwargs: dict[str, Any] = {"edge_index": ei, "num_nodes": A.shape[0]}
    if w is not None:
        kwargs["edge_weight"] = w
    if x is not None:
        if getattr(x, "shape", None) is None or len(x.shape) < 1 or x.shape[0] != A.shape[0]:
            raise ValueError(f"x must have one row per node (n={A.shape[0]}), got shape {getattr(x, 'shape', None)}")
        kwargs["x"] = x
    return Data(**kwargs)


def from_pyg(data: Any, *, directed: bool | None = None) -> sp.csr_array:
    """Convert a PyG ``Data`` object to the canonical adjacency.

    Parameters
    ----------
    data : torch_geometric.data.Data
        Reads ``edge_index``, ``edge_weight`` (if present) and ``num_nodes``.
    directed : bool or None
        ``None``: undirected exactly when every arc has its reverse (as
        :func:`smallworld.as_graph` decides); ``False`` symmetrises; ``True``
        keeps arcs.

    Returns
    -------
    scipy.sparse.csr_array
        ``(num_nodes, num_nodes)``; bool, or float64 with ``edge_weight``.

    Raises
    ------
    TypeError
        If ``data`` is not a ``torch_geometric.data.Data``.

    Examples
    --------
    >>> import smallworld as sw
    >>> A = sw.watts_strogatz(20, 4, 0.2, seed=0)
    >>> B = sw.from_pyg(sw.to_pyg(A))
    >>> (A != B).nnz
    0
    """
    Data = _import_data()
    if not isinstance(data, Data):
        raise TypeError(f"data must be a torch_geometric.data.Data, got {type(data).__name__}")
    return as_graph(data, directed=directed)
