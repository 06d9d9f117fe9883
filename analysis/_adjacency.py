"""Private helpers shared by the metric modules: coercion, structural checks
and raw index arrays for the numba kernels."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from smallworld import as_graph, is_directed

__all__ = [
    "adjacency",
    "index_arrays",
    "is_symmetric",
    "n_self_loops",
    "strip_diagonal",
    "require_nodes",
    "require_undirected",
    "undirected_index_arrays",
    "require_no_self_loops",
    "check_weight",
    "weights_of",
    "largest_component",
    "is_connected",
]


def adjacency(g: Any, directed: bool | None = None) -> sp.csr_array:
    """``as_graph`` with the ``directed`` convention of the metric functions:
    ``False`` symmetrises, ``None`` and ``True`` keep the orientation."""
    if directed is not None and not isinstance(directed, (bool, np.bool_)):
        raise TypeError(f"directed must be None, True or False, got {directed!r}")
    return as_graph(g, directed=False if directed is False else None)


def index_arrays(A: sp.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """Contiguous ``indptr``/``indices`` with one integer dtype (int32 where it fits)."""
    dt = np.int32 if A.nnz < 2**31 - 1 and A.shape[0] < 2**31 - 1 else np.int64
    return np.ascontiguousarray(A.indptr, dtype=dt), np.ascontiguousarray(A.indices, dtype=dt)


def is_symmetric(A: sp.csr_array, *, weighted: bool = True) -> bool:
    """``not smallworld.is_directed`` of the graph a metric measures.

    :func:`smallworld.is_directed` is the one definition of directedness: an
    adjacency is directed unless it equals its transpose, weights included.
    A metric that uses the weights asks about ``A`` itself
    (``weighted=True``); one that ignores them measures the nonzero pattern
    (``weighted=False``).  The two differ only for a weighted graph whose
    every arc has a reverse arc of another weight: directed for weighted
    distances and clustering, undirected for hop counts, unweighted
    clustering and triangles, whose values on it are the same either way.
    """
    if not weighted and A.dtype != bool:
        A = sp.csr_array((np.ones(A.nnz, dtype=bool), A.indices, A.indptr), shape=A.shape)
    return not is_directed(A)


def n_self_loops(A: sp.csr_array) -> int:
    """Number of nonzero diagonal entries."""
    return int(np.count_nonzero(A.diagonal()))


def strip_diagonal(A: sp.csr_array) -> sp.csr_array:
    """The adjacency without self-loops (the input itself when it has none)."""
    if n_self_loops(A) == 0:
        return A
    n = A.shape[0]
    rows = np.repeat(np.arange(n), np.diff(A.indptr))
    keep = rows != A.indices
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[keep], minlength=n))])
    B = sp.csr_array((A.data[keep], A.indices[keep], indptr), shape=A.shape)
    B.has_sorted_indices = True
    return B


def require_nodes(A: sp.csr_array, minimum: int, what: str) -> None:
    """ValueError unless the graph has at least ``minimum`` nodes."""
    n = A.shape[0]
    if n < minimum:
        raise ValueError(f"{what} needs a graph with at least {minimum} node(s), got a graph with n={n}")


def require_undirected(A: sp.csr_array, what: str) -> None:
    """ValueError for a directed adjacency, with the fix.

    For the metrics that ignore weights: the nonzero pattern must be
    symmetric (see :func:`is_symmetric` with ``weighted=False``)."""
    if not is_symmetric(A, weighted=False):
        raise ValueError(
            f"{what} is defined here for undirected graphs only, got a directed (non-symmetric) graph; "
            "symmetrise it with smallworld.as_graph(g, directed=False)"
        )


def undirected_index_arrays(g: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """CSR index arrays of ``g``'s undirected pattern without self-loops, for the
    unweighted kernels; ValueError for an empty or directed graph."""
    A = strip_diagonal(adjacency(g))
    require_nodes(A, 1, what)
    require_undirected(A, what)
    return index_arrays(A)


def require_no_self_loops(A: sp.csr_array, what: str) -> None:
    """ValueError if the graph has self-loops."""
    k = n_self_loops(A)
    if k:
        raise ValueError(
            f"{what} needs a graph without self-loops, got {k} self-loop(s); "
            "remove them first (e.g. A.setdiag(0); A.eliminate_zeros())"
        )


def check_weight(weight: Any) -> str | None:
    """Validate the ``weight`` argument (None or the string ``"weight"``)."""
    if weight is None:
        return None
    if not isinstance(weight, str):
        raise TypeError(f"weight must be None or 'weight', got {weight!r} of type {type(weight).__name__}")
    if weight != "weight":
        raise ValueError(
            f"weight must be None (ignore weights) or 'weight' (the adjacency's values), got weight={weight!r}"
        )
    return weight


def weights_of(A: sp.csr_array, what: str) -> sp.csr_array:
    """Float64 copy of a weighted adjacency; ValueError for negative weights."""
    W = A.astype(np.float64, copy=True)
    if W.nnz and W.data.min() < 0:
        raise ValueError(f"{what} needs non-negative weights, got a weight of {W.data.min()!r}")
    return W


def largest_component(A: sp.csr_array, directed: bool) -> np.ndarray:
    """Sorted node ids of the largest connected (strongly connected if
    ``directed``) component; ties go to the component holding the smallest id.

    SciPy's component labels follow no node order for strong components, so
    the tie is broken on node ids, not on labels."""
    ncomp, labels = connected_components(A, directed=directed, connection="strong")
    if ncomp == 1:
        return np.arange(A.shape[0])
    sizes = np.bincount(labels)
    in_largest = sizes[labels] == sizes.max()  # per node: is its component one of the largest?
    label = labels[int(np.argmax(in_largest))]  # the component of the smallest such node
    return np.flatnonzero(labels == label)


def is_connected(A: sp.csr_array, directed: bool) -> bool:
    """Connected (strongly, if ``directed``); the empty graph is not."""
    if A.shape[0] == 0:
        return False
    return connected_components(A, directed=directed, connection="strong", return_labels=False) == 1
