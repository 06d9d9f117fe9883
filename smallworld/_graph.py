"""The canonical graph type and conversions in and out of it.

Canonical graph: a square :class:`scipy.sparse.csr_array` adjacency over nodes
``0..n-1`` with sorted indices and no stored zeros.  Undirected graphs are
symmetric.  Unweighted graphs have ``bool`` data; weighted graphs ``float64``.
A directed graph is simply a non-symmetric adjacency where ``A[i, j]`` is the
arc ``i -> j``.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from smallworld._csr import csr_from_edges
from smallworld._validation import (
    EDGE_LIST_BYTES_PER_ENTRY,
    MAX_NODES,
    check_choice,
    check_graph_size,
    check_int,
    warn_user,
)

__all__ = [
    "as_graph",
    "to_networkx",
    "to_edge_index",
    "to_torch_mask",
    "is_directed",
    "edge_array",
]

#: Largest dense n*n mask that :func:`to_torch_mask` will allocate by default.
MAX_DENSE_ELEMENTS = 2**31


def _finalize(A: sp.sparray, directed: bool | None, name: str) -> sp.csr_array:
    """Common tail of :func:`as_graph`: validate values, canonicalise dtype,
    symmetrise if asked."""
    if (
        isinstance(A, sp.csr_array)
        and directed is not False
        and A.dtype == bool
        and A.shape[0] == A.shape[1]
        and A.has_canonical_format
        and (A.nnz == 0 or A.data.all())
    ):
        return A  # already canonical: no copy on the hot path
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"{name} must be a square adjacency matrix, got shape {A.shape}")
    if A.dtype.kind == "c":
        raise TypeError(f"{name} must have real weights, got complex dtype {A.dtype}")
    if A.dtype.kind not in "biuf":
        raise TypeError(f"{name} must have boolean or numeric weights, got dtype {A.dtype}")
    if A.dtype != bool and A.dtype != np.float64:
        # widen before any conversion: csr_array(coo) sums repeated entries in the input dtype,
        # and int8 100 + 100 wraps to -56
        A = A.astype(np.float64)
    A = sp.csr_array(A)
    if A.dtype == bool:
        A = A.copy()
        A.sum_duplicates()
        A.eliminate_zeros()
    else:
        data = A.data
        if data.size and not np.all(np.isfinite(data)):
            bad = data[~np.isfinite(data)][0]
            raise ValueError(f"{name} has a non-finite weight ({bad}); weights must be finite numbers")
        A = A.astype(np.float64, copy=True)
        A.sum_duplicates()
        A.eliminate_zeros()
        if A.nnz == 0 or np.all(A.data == 1.0):  # no weights, or all 1: unweighted
            A = A.astype(bool)
    if directed is False:
        A = _symmetrize(A)
    A.sort_indices()
    return A


def _symmetrize(A: sp.csr_array) -> sp.csr_array:
    """Union of A and A.T; for weighted graphs the larger of the two weights."""
    if A.dtype == bool:
        S = (A + A.T).astype(bool)
    else:
        # maximum() alone would drop a negative arc whose reverse is absent
        # (max(w, 0) = 0); such arcs keep their own weight.
        T = sp.csr_array(A.T)
        only_one = (A != 0) != (T != 0)
        S = sp.csr_array(A.maximum(T) + A.minimum(T).multiply(only_one))
        S.eliminate_zeros()
    return sp.csr_array(S)


def merge_edges(
    u: np.ndarray,
    v: np.ndarray,
    w: np.ndarray | None,
    shape: tuple[int, int],
    directed: bool,
    name: str,
    *,
    linenos: np.ndarray | None = None,
    warn_duplicates: bool = False,
) -> sp.csr_array:
    """The one rule that turns a list of edges into an adjacency (used by :func:`as_graph` and
    :func:`smallworld.read`).

    - Weights must be finite.  An edge of weight 0 is dropped with a
      ``UserWarning`` (in the canonical adjacency a zero weight means no
      connection), and so is an edge whose repeated weights sum to 0.
    - A repeated edge is one edge: the same arc ``(u, v)``, or, when
      ``directed`` is False, the same pair ``{u, v}`` in either orientation.
      Unweighted, it is kept once; weighted, its weights are **summed**, as
      parallel edges of a multigraph (scipy's COO format, networkx
      multigraphs).  With ``warn_duplicates`` a ``UserWarning`` says how many
      were merged.
    - Undirected (``directed`` False): every edge is stored in both
      directions.

    Parameters
    ----------
    u, v : numpy.ndarray of int64
        Endpoints, already checked to lie in ``0..shape[0]-1`` and
        ``0..shape[1]-1``.
    w : numpy.ndarray of float64 or None
        One weight per edge; ``None`` for an unweighted (``bool``) result.
    shape : (int, int)
        Shape of the result; square unless ``directed``.
    directed : bool
        Read the edges as arcs ``u -> v``.
    name : str
        The input's name in messages (``"graph"`` or a file name).
    linenos : numpy.ndarray of int, optional
        Line number of each edge, quoted when a zero-weight edge is dropped.
    warn_duplicates : bool
        Warn when repeated edges were merged.

    Returns
    -------
    scipy.sparse.csr_array
        Sorted indices, no stored zeros, ``bool`` or ``float64`` data.
    """
    n_rows, n_cols = shape
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    if w is not None:
        w = np.asarray(w, dtype=np.float64)
        if not np.all(np.isfinite(w)):
            raise ValueError(f"{name} has a non-finite weight; weights must be finite numbers")
        zero = w == 0
        if zero.any():
            where = ""
            if linenos is not None:
                lines = np.asarray(linenos)[zero].tolist()
                more = ", ..." if len(lines) > 5 else ""
                where = f" (line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines[:5]))}{more})"
            warn_user(
                f"{name}: {int(zero.sum())} edge(s) with weight 0 dropped{where} (in the canonical adjacency "
                "a zero weight means no connection)"
            )
            u, v, w = u[~zero], v[~zero], w[~zero]
    if not directed:  # one orientation per edge, so that (u, v) and (v, u) are the same edge
        u, v = np.minimum(u, v), np.maximum(u, v)
    if w is None:
        A = csr_from_edges(u, v, n_rows, symmetric=not directed, n_cols=n_cols)
        n_unique = A.nnz if directed else (A.nnz + int(np.count_nonzero(A.diagonal()))) // 2
    else:
        A = sp.csr_array(sp.coo_array((w, (u, v)), shape=shape).tocsr())  # repeated entries are summed
        A.sum_duplicates()
        n_unique = A.nnz
        cancelled = int(np.count_nonzero(A.data == 0))
        if cancelled:
            warn_user(f"{name}: {cancelled} repeated edge(s) whose weights sum to 0 dropped")
            A.eliminate_zeros()
        if not directed:  # mirror the merged upper triangle
            U = A.tocoo()
            off = U.row != U.col
            A = sp.csr_array(sp.coo_array(
                (np.concatenate([U.data, U.data[off]]),
                 (np.concatenate([U.row, U.col[off]]), np.concatenate([U.col, U.row[off]]))),
                shape=shape,
            ).tocsr())
        A.sort_indices()
    n_dup = u.size - n_unique
    if n_dup and warn_duplicates:
        kind = "arcs" if directed else "edges"
        policy = "weights summed" if w is not None else "kept once"
        warn_user(f"{name}: {n_dup} duplicated {kind} merged ({policy})")
    return A


def _from_edge_arrays(
    u: np.ndarray, v: np.ndarray, w: np.ndarray | None, n: int | None, directed: bool, name: str
) -> sp.csr_array:
    if u.size and (u.min() < 0 or v.min() < 0):
        bad = int(min(u.min(), v.min()))
        raise ValueError(f"{name} has a negative node id ({bad}); node ids must be integers >= 0")
    n_min = int(max(u.max(), v.max())) + 1 if u.size else 0
    if n is None:
        n = n_min
        check_graph_size(n, u.size * (1 if directed else 2), name=f"{name} names node {n_min - 1}, so n",
                         bytes_per_entry=EDGE_LIST_BYTES_PER_ENTRY)
    elif n < n_min:
        raise ValueError(f"n={n} is too small for {name}: it names node {n_min - 1}, so n must be >= {n_min}")
    else:
        check_graph_size(n, u.size * (1 if directed else 2), name="n", bytes_per_entry=EDGE_LIST_BYTES_PER_ENTRY)
    return merge_edges(u, v, w, (n, n), directed, name)


def _too_large_id(node: Any, name: str) -> ValueError:
    # the message of check_graph_size for the same graph, raised before the id is cast (and wraps)
    return ValueError(
        f"{name} names node {node}, so n={node + 1} is too large: a graph has at most MAX_NODES = 2**31 - 1 = "
        f"{MAX_NODES} nodes (node ids must fit an int32)"
    )


def _integral_array(a: np.ndarray, name: str) -> np.ndarray:
    """Node ids as int64, checked *before* the cast (a uint64 2**64-1 or a float 1e30 would wrap)."""
    if a.dtype.kind in "iu":
        if a.size and a.dtype.kind == "u" and a.max() >= MAX_NODES:
            raise _too_large_id(int(a.max()), name)
        return a.astype(np.int64)
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)) or not np.all(a == np.round(a)):
            raise ValueError(f"{name} node ids must be integers, got non-integral values")
        if a.size and a.max() >= MAX_NODES:
            raise _too_large_id(int(a.max()), name)
        return a.astype(np.int64)
    raise TypeError(f"{name} node ids must be integers, got dtype {a.dtype}")


def _from_edge_list(x: Sequence[Any], n: int | None, directed: bool, name: str) -> sp.csr_array:
    lengths = {len(e) if isinstance(e, (tuple, list, np.ndarray)) else -1 for e in x}
    if -1 in lengths:
        raise TypeError(f"{name} as an edge list must hold (u, v) or (u, v, w) tuples")
    if len(lengths) > 1 or (lengths and lengths.pop() not in (2, 3)):
        raise ValueError(
            f"{name} is a ragged edge list (tuple lengths {sorted({len(e) for e in x})}); "
            "every edge must be (u, v) or every edge (u, v, w)"
        )
    if not x:
        return sp.csr_array((n or 0, n or 0), dtype=bool)
    for e in x:
        for node in e[:2]:
            if isinstance(node, (bool, np.bool_)) or not isinstance(node, numbers.Integral):
                raise TypeError(f"{name} node ids must be integers, got {node!r}")
            if node >= MAX_NODES:
                raise _too_large_id(int(node), name)
    if len(x[0]) == 3:
        for e in x:
            if isinstance(e[2], (bool, np.bool_)) or not isinstance(e[2], numbers.Real):
                raise TypeError(f"{name} edge weights must be real numbers, got {e[2]!r} in edge {tuple(e)!r}")
    arr = np.asarray(x, dtype=np.float64 if len(x[0]) == 3 else np.int64)
    u = arr[:, 0].astype(np.int64)
    v = arr[:, 1].astype(np.int64)
    w = arr[:, 2] if arr.shape[1] == 3 else None
    return _from_edge_arrays(u, v, w, n, directed, name)


def _from_networkx(G: Any, directed: bool | None, name: str) -> sp.csr_array:
    import networkx as nx

    nodes = list(G.nodes)
    n = len(nodes)
    if all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in nodes) and set(nodes) == set(
        range(n)
    ):
        index = None
    else:
        index = {v: i for i, v in enumerate(nodes)}
    edges = list(G.edges(data="weight"))
    if isinstance(G, (nx.MultiGraph, nx.MultiDiGraph)):
        edges = [(u, v, w) for u, v, w in edges]
    m = len(edges)
    u = np.empty(m, dtype=np.int64)
    v = np.empty(m, dtype=np.int64)
    w = np.empty(m, dtype=np.float64)
    weighted = False
    for i, (a, b, wt) in enumerate(edges):
        u[i] = a if index is None else index[a]
        v[i] = b if index is None else index[b]
        if wt is None:
            w[i] = 1.0
        elif isinstance(wt, (bool, np.bool_)) or not isinstance(wt, numbers.Real):
            raise TypeError(f"{name} edge weights must be real numbers, got weight={wt!r} on edge ({a!r}, {b!r})")
        else:
            weighted = True
            w[i] = wt
    g_directed = G.is_directed()
    A = _from_edge_arrays(u, v, w if weighted else None, n, g_directed, name)
    return _finalize(A, directed, name)


def as_graph(x: Any, *, directed: bool | None = None, n: int | None = None) -> sp.csr_array:
    """Coerce any supported graph representation to the canonical CSR adjacency.

    Parameters
    ----------
    x : graph-like
        One of

        - ``networkx.Graph`` / ``DiGraph`` (nodes ``0..n-1`` keep their ids,
          other labels are numbered in ``G.nodes`` order; the ``"weight"``
          edge attribute becomes the weight);
        - ``scipy.sparse`` array or matrix, or a square ``numpy`` array
          (adjacency, ``A[i, j]`` = arc ``i -> j``);
        - a non-square ``numpy`` array of shape ``(E, 2)`` or ``(E, 3)``, or a
          list of ``(u, v)`` / ``(u, v, w)`` tuples (an edge list; undirected
          unless ``directed=True``);
        - a ``torch`` tensor: ``int64`` of shape ``(2, E)`` is a PyG
          ``edge_index`` (arcs, as PyG stores them), any other square 2-D
          tensor (dense or sparse) is an adjacency;
        - a ``torch_geometric.data.Data`` (``edge_index``, ``num_nodes`` and an
          optional 1-D ``edge_weight``).
    directed : bool or None
        ``None`` keeps the input's own orientation (edge lists are read as
        undirected); ``False`` symmetrises an adjacency, ``edge_index`` or
        ``DiGraph`` (union of both directions; weighted arcs keep the larger
        weight of the two) and reads edge lists as undirected; ``True`` reads
        edge lists as arcs.

        Repeated edges follow one rule for edge lists, ``edge_index``,
        networkx graphs and :func:`smallworld.read`: unweighted ones merge;
        weighted ones are parallel edges whose weights are **summed** (as
        scipy's COO format and networkx multigraphs do).  A repeated edge is
        the same arc ``(u, v)``, or in an undirected edge list the same pair
        in either orientation, so ``[(0, 1, 2.0), (1, 0, 3.0)]`` is one edge
        of weight 5.  Edges of weight 0 (and repeated edges whose weights
        sum to 0) are dropped with a ``UserWarning`` (a zero weight means no
        connection).
    n : int, optional
        Number of nodes for edge lists and ``edge_index`` input (to include
        isolated nodes at the end).  Defaults to the largest id + 1.  For an
        adjacency or a networkx graph, which fix their own node count, it
        must equal that count.

    Returns
    -------
    scipy.sparse.csr_array
        ``bool`` data for unweighted graphs (also when every weight is 1),
        ``float64`` otherwise; sorted indices; no stored zeros.

    Raises
    ------
    TypeError
        For an unsupported type or non-numeric weights.
    ValueError
        For a non-square matrix, NaN or infinite weights, negative node ids,
        a ragged edge list, or an ``n`` that differs from an adjacency's or
        networkx graph's node count; for an edge list or ``edge_index`` whose
        node count (``n`` or the largest id + 1) exceeds
        ``smallworld._validation.MAX_NODES`` (``2**31 - 1``) or needs more
        memory than is available (refused before allocating).

    Warns
    -----
    UserWarning
        When edges of weight 0 are dropped.

    Examples
    --------
    >>> A = as_graph([(0, 1), (1, 2)])
    >>> A.shape, A.nnz, A.dtype
    ((3, 3), 4, dtype('bool'))
    >>> import networkx as nx
    >>> as_graph(nx.path_graph(3)).nnz
    4
    """
    if directed is not None and not isinstance(directed, (bool, np.bool_)):
        raise TypeError(f"directed must be None, True or False, got {directed!r}")
    if n is not None:
        n = check_int(n, "n", min_val=0)
    name = "graph"

    if sp.issparse(x):
        return _check_n(_finalize(x, directed, name), n)
    if isinstance(x, np.ndarray):
        if x.ndim != 2:
            raise ValueError(f"{name} as a numpy array must be 2-D, got shape {x.shape}")
        if x.shape[0] == x.shape[1]:
            if x.dtype.kind not in "biuf":
                raise TypeError(f"{name} must have boolean or numeric entries, got dtype {x.dtype}")
            return _check_n(_finalize(sp.csr_array(x), directed, name), n)
        if x.shape[1] in (2, 3):
            ids = _integral_array(x[:, :2], name)
            w = x[:, 2].astype(np.float64) if x.shape[1] == 3 else None
            A = _from_edge_arrays(ids[:, 0], ids[:, 1], w, n, bool(directed), name)
            return _finalize(A, directed, name)
        raise ValueError(
            f"{name} as a numpy array must be a square adjacency or an (E, 2)/(E, 3) edge list, got shape {x.shape}"
        )

    mod = type(x).__module__.split(".")[0]
    if mod == "networkx":
        return _check_n(_from_networkx(x, directed, name), n)
    if mod == "torch_geometric":
        if hasattr(x, "edge_index"):
            ei = x.edge_index
            if ei is None:
                raise ValueError(f"{name} as a torch_geometric Data object needs an edge_index, got none")
            ids = _edge_index_ids(ei, name)  # before num_nodes, which reads the ids (and wraps uint64)
            w = getattr(x, "edge_weight", None)
            if w is not None:
                _check_tensor_readable(w, "edge_weight")
            nn_ = n
            if nn_ is None:
                try:
                    nn_ = x.num_nodes
                except NotImplementedError:  # PyG infers it with a reduction torch lacks for uint64
                    nn_ = None
            return _from_torch_edge_index(ids, w, nn_, directed, name)
    if mod == "torch":
        import torch

        if isinstance(x, torch.Tensor):
            _check_tensor_readable(x, name)
            if x.dtype == torch.int64 and x.layout == torch.strided and x.dim() == 2 and x.shape[0] == 2:
                return _from_torch_edge_index(x, None, n, directed, name)
            if x.dim() != 2:
                raise ValueError(f"{name} as a torch tensor must be 2-D, got shape {tuple(x.shape)}")
            if x.layout != torch.strided:
                x = x.to_sparse_coo()
                if x.dtype != torch.bool and not x.dtype.is_complex:
                    x = x.to(torch.float64)  # coalesce sums repeated entries in the tensor's dtype (int8 wraps)
                x = x.coalesce()
                idx = x.indices().cpu().numpy()
                vals = x.values().detach().cpu()
                vals = vals.numpy() if vals.dtype != torch.bfloat16 else vals.float().numpy()
                A = sp.csr_array((vals, (idx[0], idx[1])), shape=tuple(x.shape))
                return _check_n(_finalize(A, directed, name), n)
            arr = x.detach().cpu()
            if arr.dtype in (torch.bfloat16, torch.float16):
                arr = arr.float()
            if arr.shape[0] != arr.shape[1]:
                raise ValueError(
                    f"{name} as a dense torch tensor must be a square adjacency or an int64 (2, E) edge_index, "
                    f"got shape {tuple(arr.shape)} and dtype {x.dtype}"
                )
            return as_graph(arr.numpy(), directed=directed, n=n)
    if isinstance(x, (list, tuple)):
        A = _from_edge_list(list(x), n, bool(directed), name)
        return _finalize(A, directed, name)
    return _bad_type(x)


def _check_n(A: sp.csr_array, n: int | None) -> sp.csr_array:
    """An adjacency or networkx graph fixes its own node count; a different ``n`` is an error, not ignored."""
    if n is not None and A.shape[0] != n:
        raise ValueError(
            f"n={n} does not match the graph's {A.shape[0]} nodes; n only sets the node count of edge lists "
            "and edge_index input (an adjacency matrix or networkx graph has its own)"
        )
    return A


def _bad_type(x: Any) -> sp.csr_array:
    raise TypeError(
        "graph must be a networkx graph, a scipy sparse or numpy adjacency, an edge list, "
        f"a torch tensor or edge_index, or a torch_geometric Data object; got {type(x).__name__}"
    )


def _check_tensor_readable(t: Any, name: str) -> None:
    """A tensor whose values can be read: not on the meta device (shapes only, no data)."""
    import torch

    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor, got {type(t).__name__}")
    if t.device.type == "meta":
        raise ValueError(
            f"{name} is a tensor on the meta device, which has a shape ({tuple(t.shape)}) but no values; "
            "materialise it (e.g. model.to_empty(device='cpu') and load its weights) before reading it as a graph"
        )


def _check_edge_index_tensor(ei: Any) -> None:
    """An ``edge_index`` must be an integer tensor of shape (2, E) with values on a real device."""
    import torch

    _check_tensor_readable(ei, "edge_index")
    if ei.dtype == torch.bool or ei.dtype.is_floating_point or ei.dtype.is_complex:
        raise TypeError(
            f"edge_index must hold integer node ids (torch.int64, as PyG stores them), got dtype {ei.dtype}"
        )
    if ei.dim() != 2 or ei.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, E), got {tuple(ei.shape)}")


def _edge_index_ids(ei: Any, name: str) -> np.ndarray:
    """The node ids of a torch ``edge_index`` as an int64 ``(2, E)`` array, checked before any cast."""
    import torch

    _check_edge_index_tensor(ei)
    t = ei.detach().cpu()
    if t.dtype == torch.uint64:  # numpy reads it, torch's own reductions do not
        arr = t.view(torch.int64).numpy().view(np.uint64)
    else:
        arr = t.numpy()
    return _integral_array(arr, name)


def _from_torch_edge_index(ei: Any, w: Any, n: int | None, directed: bool | None, name: str) -> sp.csr_array:
    ids = ei if isinstance(ei, np.ndarray) else _edge_index_ids(ei, name)
    arr = ids
    weights = None
    if w is not None:
        _check_tensor_readable(w, "edge_weight")
        weights = w.detach().cpu().double().numpy()
        if weights.ndim != 1 or weights.shape[0] != arr.shape[1]:
            raise ValueError(f"edge_weight must have shape ({arr.shape[1]},), got {tuple(weights.shape)}")
    A = _from_edge_arrays(ids[0], ids[1], weights, n, True, name)
    return _finalize(A, directed, name)


def is_directed(g: Any) -> bool:
    """True if the adjacency is not symmetric (pattern or weights).

    Examples
    --------
    >>> is_directed([(0, 1)]), is_directed(as_graph([(0, 1)], directed=True))
    (False, True)
    """
    A = as_graph(g)
    if A.nnz == 0:
        return False
    D = A - A.T if A.dtype != bool else (A != A.T)
    return bool(sp.csr_array(D).count_nonzero() > 0)


def edge_array(g: Any) -> np.ndarray:
    """Return the edges as an ``(m, 2)`` int64 array.

    For a symmetric adjacency each undirected edge appears once with ``u < v``
    (self-loops once, ``u == v``); for a directed one every arc appears.

    Examples
    --------
    >>> edge_array([(0, 1), (1, 2)]).tolist()
    [[0, 1], [1, 2]]
    """
    A = as_graph(g)
    indptr = A.indptr
    rows = np.repeat(np.arange(A.shape[0], dtype=np.int64), np.diff(indptr))
    cols = A.indices.astype(np.int64)
    if not is_directed(A):
        keep = rows <= cols
        rows, cols = rows[keep], cols[keep]
    return np.stack([rows, cols], axis=1)


def to_networkx(g: Any, *, directed: bool | None = None) -> Any:
    """Convert to a ``networkx.Graph`` (symmetric adjacency) or ``DiGraph``.

    Weighted graphs carry a ``"weight"`` edge attribute; unweighted graphs
    carry none, so that ``as_graph(to_networkx(A))`` reproduces ``A`` exactly.

    Parameters
    ----------
    g : graph-like
        Anything :func:`as_graph` accepts.
    directed : bool or None
        Force a ``DiGraph`` (True) or ``Graph`` (False, symmetrises first);
        ``None`` chooses by symmetry.

    Examples
    --------
    >>> G = to_networkx([(0, 1), (1, 2)])
    >>> type(G).__name__, G.number_of_edges()
    ('Graph', 2)
    """
    import networkx as nx

    if directed is not None and not isinstance(directed, (bool, np.bool_)):
        raise TypeError(f"directed must be None, True or False, got {directed!r}")
    A = as_graph(g, directed=False if directed is False else None)
    d = is_directed(A) if directed is None else directed
    G = nx.DiGraph() if d else nx.Graph()
    G.add_nodes_from(range(A.shape[0]))
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    cols = A.indices
    if not d:
        keep = rows <= cols
        rows, cols, data = rows[keep], cols[keep], A.data[keep]
    else:
        data = A.data
    if A.dtype == bool:
        G.add_edges_from(zip(rows.tolist(), cols.tolist()))
    else:
        G.add_weighted_edges_from(zip(rows.tolist(), cols.tolist(), data.tolist()))
    return G


def to_edge_index(g: Any, *, return_weight: bool = False) -> Any:
    """Convert to a PyG ``edge_index`` (``torch.long``, shape ``(2, E)``).

    Undirected edges appear in both directions, as PyG expects.  With
    ``return_weight=True`` a tuple ``(edge_index, edge_weight)`` is returned
    (``edge_weight`` is ``None`` for an unweighted graph).

    Examples
    --------
    >>> to_edge_index([(0, 1)]).tolist()
    [[0, 1], [1, 0]]
    """
    import torch

    A = as_graph(g)
    rows = np.repeat(np.arange(A.shape[0], dtype=np.int64), np.diff(A.indptr))
    ei = torch.from_numpy(np.stack([rows, A.indices.astype(np.int64)]))
    if not return_weight:
        return ei
    w = None if A.dtype == bool else torch.from_numpy(A.data.astype(np.float64))
    return ei, w


def to_torch_mask(
    g: Any,
    *,
    layout: str = "dense",
    device: Any = None,
    max_elements: int = MAX_DENSE_ELEMENTS,
) -> Any:
    """Convert to a boolean torch mask (nonzero pattern of the adjacency).

    Parameters
    ----------
    g : graph-like
        Anything :func:`as_graph` accepts; may also be a rectangular scipy
        sparse matrix (a bipartite layer mask).
    layout : {"dense", "sparse_csr", "sparse_coo"}
        Dense ``torch.bool`` tensor, or a sparse boolean tensor.
    device : torch.device or str, optional
        Where to put the mask.
    max_elements : int
        Refuse a dense mask with more elements than this (checked before
        allocating anything).

    Examples
    --------
    >>> to_torch_mask([(0, 1)]).tolist()
    [[False, True], [True, False]]
    """
    import torch

    check_choice(layout, "layout", ("dense", "sparse_csr", "sparse_coo"))
    device = _torch_device(device)
    if sp.issparse(g) and g.shape[0] != g.shape[1]:
        A = sp.csr_array(g)
        A.eliminate_zeros()
        A.sort_indices()
    else:
        A = as_graph(g)
    rows, cols = A.shape
    if layout == "dense":
        if rows * cols > max_elements:
            raise ValueError(
                f"a dense {rows}x{cols} mask has {rows * cols} elements, more than max_elements={max_elements}; "
                "use layout='sparse_csr' or raise max_elements"
            )
        out = torch.zeros((rows, cols), dtype=torch.bool, device=device)
        r = np.repeat(np.arange(rows, dtype=np.int64), np.diff(A.indptr))
        out[torch.from_numpy(r).to(out.device), torch.from_numpy(A.indices.astype(np.int64)).to(out.device)] = True
        return out
    crow = torch.from_numpy(A.indptr.astype(np.int64))
    col = torch.from_numpy(A.indices.astype(np.int64))
    vals = torch.ones(A.nnz, dtype=torch.bool)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        t = torch.sparse_csr_tensor(crow, col, vals, size=(rows, cols), check_invariants=False)
    if layout == "sparse_coo":
        t = t.to_sparse_coo()
    return t.to(device) if device is not None else t


def _torch_device(device: Any) -> Any:
    """``device`` as a :class:`torch.device` that exists here, or ``None``; one short message otherwise
    (torch's own lists every device type it knows, some 200 characters)."""
    import torch

    if device is None:
        return None
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be a str, a torch.device or None, got {type(device).__name__}")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        raise ValueError(
            f"device={device!r} is not a torch device; use e.g. 'cpu', 'cuda', 'cuda:1' or 'mps'"
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but CUDA is not available here; use device='cpu'")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(f"device={device!r} but this machine has {torch.cuda.device_count()} CUDA device(s)")
    if dev.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ValueError(f"device={device!r} but MPS is not available here; use device='cpu'")
    if dev.type == "meta":
        raise ValueError("device='meta' holds no values; a mask needs a real device such as 'cpu' or 'cuda'")
    return dev
