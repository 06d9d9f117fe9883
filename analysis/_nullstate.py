"""Private set-up of the swap kernels: edge tables, budgets, checks."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from analysis._adjacency import index_arrays, is_symmetric, require_no_self_loops
from analysis._rewire import is_connected_arrays, seed_state, swap_undirected
from smallworld import as_graph
from smallworld._validation import check_int

__all__ = ["UndirectedState", "undirected_state", "run_undirected", "swap_budget", "pattern"]


def pattern(g: Any) -> sp.csr_array:
    """Unweighted adjacency of ``g`` (weights dropped)."""
    A = as_graph(g)
    if A.dtype != bool:
        A = sp.csr_array((np.ones(A.nnz, dtype=bool), A.indices, A.indptr), shape=A.shape)
    return A


@dataclass
class UndirectedState:
    """Working arrays of an undirected graph for :func:`swap_undirected`."""

    indptr: np.ndarray
    adj: np.ndarray
    eu: np.ndarray
    ev: np.ndarray
    pu: np.ndarray
    pv: np.ndarray

    @property
    def n(self) -> int:
        return self.indptr.shape[0] - 1

    @property
    def m(self) -> int:
        return self.eu.shape[0]

    def copy(self) -> UndirectedState:
        return UndirectedState(
            self.indptr, self.adj.copy(), self.eu.copy(), self.ev.copy(), self.pu.copy(), self.pv.copy()
        )

    def to_csr(self) -> sp.csr_array:
        from smallworld._csr import csr_from_edges

        return csr_from_edges(self.eu, self.ev, self.n)


def undirected_state(A: sp.csr_array, what: str) -> UndirectedState:
    """Edge table of a symmetric, loop-free pattern; ValueError when no
    double-edge swap can exist (fewer than 4 nodes or 2 edges, complete graph)."""
    require_no_self_loops(A, what)
    n = A.shape[0]
    if not is_symmetric(A):
        raise ValueError(f"{what} needs an undirected graph here, got a directed one")
    m = A.nnz // 2
    if n < 4 or m < 2:
        raise ValueError(f"{what} needs at least 4 nodes and 2 edges, got n={n}, m={m}")
    if m == n * (n - 1) // 2:
        raise ValueError(f"{what}: the graph is complete (n={n}, m={m}); no degree-preserving swap exists")
    indptr, indices = index_arrays(A)
    rows = np.repeat(np.arange(n, dtype=indices.dtype), np.diff(indptr))
    rev = np.empty(A.nnz, dtype=np.int64)
    rev[np.lexsort((rows, indices))] = np.arange(A.nnz)
    upper = np.flatnonzero(rows < indices)
    return UndirectedState(
        indptr,
        indices.copy(),
        rows[upper].astype(np.int64),
        indices[upper].astype(np.int64),
        upper.astype(np.int64),
        rev[upper],
    )


def swap_budget(
    niter: Any, n_swaps: Any, max_tries: Any, n: int, m: int, *, per_swap_min: int = 10
) -> tuple[int, int]:
    """Target swaps and attempt bound: when ``max_tries`` is None,
    ``max(per_swap_min, floor(2m/(n-1)))`` attempts per swap (the second
    term is networkx's and BCT's per-swap budget)."""
    if n_swaps is None:
        target = check_int(niter, "niter", min_val=0) * m
    else:
        target = check_int(n_swaps, "n_swaps", min_val=0)
    if max_tries is None:
        tries = target * max(per_swap_min, int(2 * m / max(1, n - 1)))
        tries = max(tries, 100) if target else 0
    else:
        tries = check_int(max_tries, "max_tries", min_val=1)
    return target, tries


def run_undirected(
    st: UndirectedState,
    target: int,
    tries: int,
    rng: np.random.Generator,
    *,
    lattice: bool,
    connected: bool,
    what: str,
) -> int:
    """Run the swap kernel in place; errors/warnings for too few swaps."""
    if connected and not is_connected_arrays(st.indptr, st.adj):
        raise ValueError(f"{what} with connected=True needs a connected graph, got a disconnected one")
    if target == 0:
        return 0
    done, _ = swap_undirected(
        st.indptr, st.adj, st.eu, st.ev, st.pu, st.pv, target, tries, seed_state(rng), lattice, connected
    )
    if lattice:
        return int(done)  # latticization stops when no swap gets closer to the ring: expected
    if done == 0:
        raise ValueError(
            f"{what}: no degree-preserving swap succeeded in {tries} attempts; the graph is too dense "
            "or too constrained (e.g. a star) to randomise"
        )
    if done < target:
        warnings.warn(
            f"{what}: only {done} of {target} swaps succeeded within max_tries={tries} attempts; "
            "the graph is dense or constrained and the null may be under-randomised",
            RuntimeWarning,
            stacklevel=3,
        )
    return int(done)
