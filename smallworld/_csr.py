"""Fast construction of canonical CSR adjacency from edge arrays.

This is the hot path of every generator: a counting sort by row (O(E)) followed
by a per-row sort and de-duplication, compiled with numba.  It avoids both
networkx and ``scipy.sparse.coo_array.tocsr`` (which sorts with an
O(E log E) general-purpose algorithm and sums duplicates).
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp

__all__ = ["csr_from_edges"]


@numba.njit(cache=True, nogil=True)
def _count_sort_rows(rows, cols, n, symmetric):  # pragma: no cover - compiled
    m = rows.shape[0]
    counts = np.zeros(n + 1, dtype=np.int64)
    for e in range(m):
        counts[rows[e] + 1] += 1
        if symmetric:
            counts[cols[e] + 1] += 1
    for i in range(n):
        counts[i + 1] += counts[i]
    total = counts[n]
    indices = np.empty(total, dtype=np.int64)
    order = np.empty(total, dtype=np.int64)  # original edge id of each slot
    fill = counts[:-1].copy()
    for e in range(m):
        r = rows[e]
        indices[fill[r]] = cols[e]
        order[fill[r]] = e
        fill[r] += 1
        if symmetric:
            c = cols[e]
            indices[fill[c]] = r
            order[fill[c]] = e
            fill[c] += 1
    return counts, indices, order


@numba.njit(cache=True, nogil=True)
def _sort_dedupe(indptr, indices, order, n):  # pragma: no cover - compiled
    """Sort each row's column indices (insertion sort for short rows, else
    np.argsort) and drop duplicate columns.  Returns the new indptr and a
    keep-array of slot positions in the sorted, de-duplicated layout."""
    new_indptr = np.zeros(n + 1, dtype=np.int64)
    out_idx = np.empty(indices.shape[0], dtype=np.int64)
    out_ord = np.empty(indices.shape[0], dtype=np.int64)
    pos = 0
    for i in range(n):
        a = indptr[i]
        b = indptr[i + 1]
        length = b - a
        if length <= 32:
            # insertion sort, in place
            for j in range(a + 1, b):
                key = indices[j]
                ko = order[j]
                k = j - 1
                while k >= a and indices[k] > key:
                    indices[k + 1] = indices[k]
                    order[k + 1] = order[k]
                    k -= 1
                indices[k + 1] = key
                order[k + 1] = ko
        else:
            perm = np.argsort(indices[a:b], kind="mergesort")
            seg_i = indices[a:b][perm].copy()
            seg_o = order[a:b][perm].copy()
            indices[a:b] = seg_i
            order[a:b] = seg_o
        last = -1
        for j in range(a, b):
            if indices[j] != last:
                out_idx[pos] = indices[j]
                out_ord[pos] = order[j]
                pos += 1
                last = indices[j]
        new_indptr[i + 1] = pos
    return new_indptr, out_idx[:pos], out_ord[:pos]


def csr_from_edges(
    rows: np.ndarray,
    cols: np.ndarray,
    n: int,
    *,
    weights: np.ndarray | None = None,
    symmetric: bool = True,
    n_cols: int | None = None,
) -> sp.csr_array:
    """Build a canonical CSR adjacency from edge endpoint arrays.

    Parameters
    ----------
    rows, cols : numpy.ndarray of int
        Edge endpoints, already validated to lie in ``0..n-1``.
    n : int
        Number of nodes (rows).
    weights : numpy.ndarray of float, optional
        One weight per edge.  Duplicated edges keep the weight of their first
        occurrence.  ``None`` gives a boolean (unweighted) adjacency.
    symmetric : bool
        If True, each edge is stored in both directions (undirected graph).
    n_cols : int, optional
        Number of columns of a rectangular (non-symmetric) result, with
        ``cols`` already in ``0..n_cols-1``; default ``n``.

    Returns
    -------
    scipy.sparse.csr_array
        Sorted indices, no duplicates, ``int32`` index arrays where they fit.

    Examples
    --------
    >>> import numpy as np
    >>> A = csr_from_edges(np.array([0, 1, 1]), np.array([1, 2, 2]), 3)
    >>> A.toarray().astype(int).tolist()
    [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    """
    n_cols = int(n) if n_cols is None else int(n_cols)
    if symmetric and n_cols != int(n):
        raise ValueError(f"a symmetric adjacency must be square, got n={n}, n_cols={n_cols}")
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    indptr, indices, order = _count_sort_rows(rows, cols, int(n), bool(symmetric))
    indptr, indices, order = _sort_dedupe(indptr, indices, order, int(n))
    if weights is None:
        data = np.ones(indices.shape[0], dtype=bool)
    else:
        data = np.asarray(weights, dtype=np.float64)[order]
    idx_dtype = np.int32 if max(int(n), n_cols, indices.shape[0]) < 2**31 - 1 else np.int64
    A = sp.csr_array(
        (data, indices.astype(idx_dtype, copy=False), indptr.astype(idx_dtype, copy=False)),
        shape=(int(n), n_cols),
    )
    A.has_sorted_indices = True
    return A
