"""Sparse layer masks: directed bipartite graphs between two layers of units.

A mask connects ``n_in`` input units to ``n_out`` output units.  It is
returned in the layout of a :class:`torch.nn.Linear` weight: a
``scipy.sparse.csr_array`` of shape ``(n_out, n_in)`` where ``mask[i, j]`` is
True when input ``j`` feeds output ``i``.  So row ``i`` lists the inputs of
output ``i`` (its *in-degree*, or fan-in, is the row count) and column ``j``
the outputs that input ``j`` reaches (its *out-degree*, or fan-out, is the
column count).  Edges always point from the input layer to the output layer.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp

from smallworld._validation import (
    BYTES_PER_ENTRY,
    BYTES_PER_NODE,
    SeedLike,
    check_choice,
    check_int,
    check_memory,
    check_random_state,
    check_real,
    round_up,
)
from smallworld.generators._pl_kernels import apportion, fill_rows

__all__ = ["bipartite"]

_DEGREE_MODES = ("er", "powerlaw_in", "powerlaw_out")


def bipartite(
    n_in: int,
    n_out: int,
    density: float,
    *,
    degree: Literal["er", "powerlaw_in", "powerlaw_out"] = "er",
    gamma: float = 2.5,
    min_degree: int = 0,
    seed: SeedLike = None,
) -> sp.csr_array:
    """Random sparse mask between two layers, at an exact density.

    The mask has exactly ``K = round(density * n_in * n_out)`` connections
    (Python's :func:`round`).  How they are spread depends on ``degree``:

    ``"er"``
        Erdős–Rényi: a uniformly random set of ``K`` input–output pairs (the
        initial mask of Sparse Evolutionary Training [1]_).  Drawn as
        multivariate-hypergeometric row counts, then uniform distinct columns
        per row, which is exactly uniform over all masks with ``K`` entries.
    ``"powerlaw_in"``
        The in-degrees (fan-in, row counts) of the output units follow a power
        law: weights ``x_i`` drawn i.i.d. from a Pareto law with density
        ``~ x ** -gamma`` (``x >= 1``) are turned into integer counts
        proportional to them that sum to ``K`` exactly and lie in
        ``[min_degree, n_in]`` (counts that would exceed ``n_in`` are capped and
        the excess is spread over the others).  Each output then draws its
        inputs uniformly without replacement.
    ``"powerlaw_out"``
        The same for the out-degrees (fan-out, column counts) of the inputs.

    With ``min_degree=1`` no row and no column is empty (every output has an
    input and every input an output): rows get at least one entry (for
    ``"er"`` the row counts are ``1 +`` a hypergeometric share of the rest),
    and columns are covered by first giving each column one entry placed on a
    uniformly random free slot among the ``K``; the remaining entries are
    uniform.  That needs ``K >= max(n_in, n_out)``.  The result is then not
    exactly uniform over all covering masks, only close to it.

    Parameters
    ----------
    n_in : int
        Number of input units (columns), ``>= 1``.
    n_out : int
        Number of output units (rows), ``>= 1``.
    density : float
        Fraction of the ``n_in * n_out`` possible connections, in ``(0, 1]``.
    degree : {"er", "powerlaw_in", "powerlaw_out"}, default "er"
        ``"er"``: uniform; ``"powerlaw_in"``: power-law fan-in (row
        counts); ``"powerlaw_out"``: power-law fan-out (column counts).
    gamma : float, default 2.5
        Power-law exponent of the degree weights, ``gamma > 1``; ignored for
        ``"er"``.
    min_degree : {0, 1}, default 0
        ``1`` guarantees no empty row or column.
    seed : None, int or numpy.random.Generator
        Source of randomness; the same seed gives the same mask, bit for bit.

    Returns
    -------
    scipy.sparse.csr_array
        ``bool`` mask of shape ``(n_out, n_in)`` with exactly ``K`` stored
        entries, sorted indices, no duplicates.

    Raises
    ------
    TypeError
        If an argument has a wrong type.
    ValueError
        If ``density`` is outside ``(0, 1]`` or gives ``K == 0`` (the message
        suggests the smallest density, rounded up, that gives a connection),
        ``degree`` is unknown, ``gamma <= 1``, ``min_degree`` is not 0 or 1,
        ``min_degree=1`` while ``K < max(n_in, n_out)``, or the mask would
        need more memory than is available (refused before allocating).

    References
    ----------
    .. [1] D. C. Mocanu, E. Mocanu, P. Stone, P. H. Nguyen, M. Gibescu and
       A. Liotta, "Scalable training of artificial neural networks with
       adaptive sparse connectivity inspired by network science",
       Nat. Commun. 9, 2383 (2018). doi:10.1038/s41467-018-04316-3

    Examples
    --------
    >>> M = bipartite(784, 300, 0.1, seed=0)
    >>> M.shape, M.nnz == round(0.1 * 784 * 300), M.dtype
    ((300, 784), True, dtype('bool'))
    >>> M = bipartite(100, 50, 0.05, degree="powerlaw_in", min_degree=1, seed=0)
    >>> int(M.sum(axis=1).min()) >= 1 and int(M.sum(axis=0).min()) >= 1
    True
    """
    n_in = check_int(n_in, "n_in", min_val=1, max_val=2**31 - 2)
    n_out = check_int(n_out, "n_out", min_val=1, max_val=2**31 - 2)
    density = check_real(density, "density", min_val=0, max_val=1, include_min=False)
    check_choice(degree, "degree", _DEGREE_MODES)
    gamma = check_real(gamma, "gamma", min_val=1, include_min=False)
    min_degree = check_int(min_degree, "min_degree")
    if min_degree not in (0, 1):
        raise ValueError(f"min_degree must be 0 or 1, got min_degree={min_degree}")
    total = round(density * n_in * n_out)
    if total == 0:
        cells = n_in * n_out
        least = round_up(0.5 / cells, lambda d: round(d * cells) >= 1)
        raise ValueError(
            f"density={density} gives round(density * n_in * n_out) = 0 connections for "
            f"n_in={n_in}, n_out={n_out}; use a density of at least {least!r}"
        )
    if min_degree == 1 and total < max(n_in, n_out):
        raise ValueError(
            f"min_degree=1 needs at least max(n_in, n_out) = {max(n_in, n_out)} connections, "
            f"but density={density} gives {total} for n_in={n_in}, n_out={n_out}"
        )
    check_memory(  # per unit: row counts and pointers; per connection: index and sort scratch
        BYTES_PER_NODE * (n_in + n_out) + BYTES_PER_ENTRY * total,
        f"a mask of n_out x n_in = {n_out} x {n_in} at density={density} ({total} connections)",
    )
    rng = check_random_state(seed)
    if degree == "powerlaw_out":
        # build the transpose (rows = inputs, power-law row counts), then flip
        indptr, indices = _fill(n_in, n_out, total, "powerlaw", gamma, min_degree, rng)
        mask = sp.csc_array((np.ones(indices.shape[0], dtype=bool), indices, indptr), shape=(n_out, n_in)).tocsr()
    else:
        mode = "er" if degree == "er" else "powerlaw"
        indptr, indices = _fill(n_out, n_in, total, mode, gamma, min_degree, rng)
        mask = sp.csr_array((np.ones(indices.shape[0], dtype=bool), indices, indptr), shape=(n_out, n_in))
    mask.has_sorted_indices = True
    return mask


def _uniform_cells(population: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random ``k``-subset of ``0..population-1``, sorted.

    Cells are drawn i.i.d. until enough are distinct (their set is a uniform
    subset of its size), then a uniform ``k``-subset of those is kept.  Meant
    for ``k`` well below ``population``.
    """
    cells = np.empty(0, dtype=np.int64)
    while cells.size < k:
        extra = rng.integers(0, population, size=int(1.05 * (k - cells.size)) + 16)
        cells = np.sort(np.concatenate([cells, extra]))
        cells = cells[np.concatenate(([True], cells[1:] != cells[:-1]))]  # (np.unique hashes: 10x slower)
    if cells.size > k:
        cells = np.sort(rng.choice(cells, size=k, replace=False))
    return cells


def _uniform_row_counts(n_rows: int, per_row: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Row counts of a uniformly random ``k``-subset of an ``n_rows x per_row``
    grid (multivariate hypergeometric)."""
    population = n_rows * per_row
    if population < 10**9:  # numpy's limit for the marginals method
        return rng.multivariate_hypergeometric(np.full(n_rows, per_row, dtype=np.int64), k, method="marginals")
    # large grids: count a sampled subset, or its complement for dense grids
    complement = k > population // 2
    cells = _uniform_cells(population, population - k if complement else k, rng)
    counts = np.bincount(cells // per_row, minlength=n_rows)
    return per_row - counts if complement else counts


def _fill(
    n_rows: int, n_cols: int, total: int, mode: str, gamma: float, min_degree: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """CSR arrays of an ``n_rows x n_cols`` mask with ``total`` entries."""
    lo = min_degree
    idx_dtype = np.int32 if total < 2**31 - 1 else np.int64
    if mode == "er" and lo == 0 and n_rows * n_cols >= 10**9 and 2 * total <= n_rows * n_cols:
        # large sparse grid: the sorted cells are the mask, row-major
        cells = _uniform_cells(n_rows * n_cols, total, rng)
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(cells // n_cols, minlength=n_rows), out=indptr[1:])
        return indptr.astype(idx_dtype), (cells % n_cols).astype(idx_dtype)
    if mode == "er":
        row_deg = lo + _uniform_row_counts(n_rows, n_cols - lo, total - lo * n_rows, rng)
    else:
        weights = (1.0 - rng.random(n_rows)) ** (-1.0 / (gamma - 1.0))  # Pareto, density ~ x**-gamma
        row_deg = apportion(weights, total, lo, n_cols)
    row_deg = row_deg.astype(np.int64)
    if min_degree:
        # cover every column once: column perm[k] goes to the k-th of n_cols
        # distinct random slots among the total slots (row i owns row_deg[i])
        slots = np.sort(rng.choice(total, size=n_cols, replace=False))
        owners = np.searchsorted(np.cumsum(row_deg), slots, side="right")
        pre_cols = rng.permutation(n_cols).astype(np.int64)
        pre_indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(owners, minlength=n_rows), out=pre_indptr[1:])
    else:
        pre_cols = np.empty(0, dtype=np.int64)
        pre_indptr = np.zeros(n_rows + 1, dtype=np.int64)
    indptr, indices = fill_rows(row_deg, n_cols, pre_indptr, pre_cols, rng)
    return indptr.astype(idx_dtype), indices.astype(idx_dtype, copy=False)
