"""Ring lattices and the Watts–Strogatz family of small-world graphs.

All generators here start from a ring lattice in which node ``i`` is linked to
its nearest neighbours ``i ± 1, …, i ± k/2`` (indices modulo n) and then rewire
or add edges with probability ``p``.  The rewiring runs in compiled code
(numba) on random numbers drawn from one NumPy ``Generator``, and the CSR
adjacency is written row by row without a general sort, so a graph with a
million nodes takes well under a second.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from smallworld._validation import (
    SeedLike,
    check_graph_size,
    check_int,
    check_probability,
    check_random_state,
    check_real,
)
from smallworld.generators._sampling import bernoulli_positions, sample_distinct
from smallworld.generators._ws_kernels import assemble_csr, rewire

__all__ = ["ring_lattice", "watts_strogatz", "newman_watts_strogatz", "connected_watts_strogatz", "ws_flex"]


def _check_n_k(n: Any, k: Any) -> tuple[int, int]:
    """Validate n and k; refuse a lattice too large to build (before allocating it)."""
    n = check_int(n, "n", min_val=1)
    k = check_int(k, "k")
    if k % 2 or not 0 < k < n:
        raise ValueError(f"k must be even and 0 < k < n, got k={k}, n={n}")
    check_graph_size(n, n * k)
    return n, k


def _build(
    n: int, fwd: np.ndarray, jmax: int, p: float, rng: np.random.Generator | None, keep_lattice: bool
) -> sp.csr_array:
    """Lattice given by forward offsets ``fwd``, rewired (or augmented) with probability p."""
    if rng is None or p == 0.0:
        positions = np.empty(0, dtype=np.int64)
    else:
        positions = bernoulli_positions(rng, n * jmax, p)
    r = positions.shape[0]
    if r:
        # rejections happen with probability ~ degree / n per draw
        n_cand = int(r * (1.0 + 4.0 * (jmax + 1) / n) + 4.0 * math.sqrt(r) + 16)
        cand = rng.integers(0, n, size=n_cand, dtype=np.int64)
    else:
        cand = np.empty(0, dtype=np.int64)
    while True:
        alive, deg, eu, ev, n_extra, used = rewire(n, jmax, fwd, positions, cand, keep_lattice)
        if used >= 0:
            break
        # ran out of candidates (tiny dense graphs): extend the same stream and redo
        cand = np.concatenate([cand, rng.integers(0, n, size=cand.shape[0] + 64, dtype=np.int64)])
    nnz = int(deg.sum())
    idx_dtype = np.int32 if max(n, nnz) < 2**31 - 1 else np.int64
    indptr, indices = assemble_csr(n, jmax, fwd, alive, deg, eu, ev, n_extra, idx_dtype)
    A = sp.csr_array((np.ones(indices.shape[0], dtype=bool), indices, indptr), shape=(n, n))
    A.has_canonical_format = True
    return A


def ring_lattice(n: int, k: int) -> sp.csr_array:
    """Ring lattice: every node linked to its k nearest neighbours (k/2 per side).

    Parameters
    ----------
    n : int
        Number of nodes, ``n >= 3``.
    k : int
        Degree of every node: even, ``0 < k < n``.

    Returns
    -------
    scipy.sparse.csr_array
        Boolean symmetric adjacency with ``n * k / 2`` edges and sorted indices.

    Raises
    ------
    TypeError
        If n or k is not an integer.
    ValueError
        If k is odd or not in ``0 < k < n``, or the graph is too large to
        build (``n > 2**31 - 1`` or more memory than is available; refused
        before allocating).

    References
    ----------
    .. [1] D. J. Watts and S. H. Strogatz, "Collective dynamics of 'small-world'
       networks", Nature 393, 440–442 (1998). doi:10.1038/30918

    Examples
    --------
    >>> A = ring_lattice(6, 2)
    >>> A.nnz // 2, A[[0], :].indices.tolist()
    (6, [1, 5])
    """
    n, k = _check_n_k(n, k)
    h = k // 2
    return _build(n, np.full(n, h, dtype=np.int64), h, 0.0, None, False)


def watts_strogatz(n: int, k: int, p: float, *, seed: SeedLike = None) -> sp.csr_array:
    """Watts–Strogatz small-world graph (rewiring model of 1998).

    Start from :func:`ring_lattice` ``(n, k)``.  For ``j = 1 … k/2`` and for every
    node ``i`` in turn, the lattice edge ``(i, i + j)`` is rewired with
    probability ``p``: its far end is replaced by a node ``w`` drawn uniformly
    from all nodes that are neither ``i`` nor already linked to ``i``.  Nodes
    already linked to every other node are left alone.  There are no self-loops
    or multi-edges, the edge count stays exactly ``n k / 2`` and ``p = 0``
    returns the ring lattice itself.

    Parameters
    ----------
    n : int
        Number of nodes.
    k : int
        Lattice degree: even, ``0 < k < n``.
    p : float
        Rewiring probability in ``[0, 1]``.
    seed : None, int or numpy.random.Generator
        Randomness; the same seed gives the same graph bit for bit.

    Returns
    -------
    scipy.sparse.csr_array
        Boolean symmetric adjacency with sorted indices.

    Raises
    ------
    TypeError
        If n or k is not an integer, p not a real number, or seed of a wrong type.
    ValueError
        If k is odd or not in ``0 < k < n``, p is outside ``[0, 1]``, or the
        graph is too large to build (refused before allocating).

    See Also
    --------
    newman_watts_strogatz, connected_watts_strogatz, ws_flex

    Notes
    -----
    The average clustering follows ``C(p) ≈ C(0) (1 - p)^3`` with
    ``C(0) = 3 (k - 2) / (4 (k - 1))`` [2]_.

    References
    ----------
    .. [1] D. J. Watts and S. H. Strogatz, "Collective dynamics of 'small-world'
       networks", Nature 393, 440–442 (1998). doi:10.1038/30918
    .. [2] A. Barrat and M. Weigt, "On the properties of small-world network
       models", Eur. Phys. J. B 13, 547–560 (2000). doi:10.1007/s100510050067

    Examples
    --------
    >>> A = watts_strogatz(100, 4, 0.1, seed=1)
    >>> A.shape, A.nnz // 2, bool((A != A.T).nnz == 0)
    ((100, 100), 200, True)
    >>> (watts_strogatz(100, 4, 0.0) != ring_lattice(100, 4)).nnz
    0
    """
    n, k = _check_n_k(n, k)
    p = check_probability(p, "p")
    rng = check_random_state(seed)
    h = k // 2
    return _build(n, np.full(n, h, dtype=np.int64), h, p, rng, False)


def newman_watts_strogatz(n: int, k: int, p: float, *, seed: SeedLike = None) -> sp.csr_array:
    """Newman–Watts small-world graph: shortcuts added to a ring lattice.

    For every lattice edge ``(i, i + j)`` of :func:`ring_lattice` ``(n, k)``, with
    probability ``p`` a shortcut ``(i, w)`` is added, ``w`` drawn uniformly from
    the nodes not yet linked to ``i``.  The lattice is kept, so the graph is
    connected and has ``n k / 2`` plus about ``p n k / 2`` edges.

    Parameters
    ----------
    n : int
        Number of nodes.
    k : int
        Lattice degree: even, ``0 < k < n``.
    p : float
        Probability of a shortcut per lattice edge, in ``[0, 1]``.
    seed : None, int or numpy.random.Generator
        Randomness; the same seed gives the same graph bit for bit.

    Returns
    -------
    scipy.sparse.csr_array
        Boolean symmetric adjacency with sorted indices.

    Raises
    ------
    TypeError
        If n or k is not an integer, p not a real number, or seed of a wrong type.
    ValueError
        If k is odd or not in ``0 < k < n``, p is outside ``[0, 1]``, or the
        graph is too large to build (refused before allocating).

    References
    ----------
    .. [1] M. E. J. Newman and D. J. Watts, "Renormalization group analysis of
       the small-world network model", Phys. Lett. A 263, 341–346 (1999).
       doi:10.1016/S0375-9601(99)00757-4

    Examples
    --------
    >>> A = newman_watts_strogatz(100, 4, 0.1, seed=1)
    >>> bool(A.nnz // 2 >= 200), bool((A - A.multiply(ring_lattice(100, 4))).nnz < A.nnz)
    (True, True)
    """
    n, k = _check_n_k(n, k)
    p = check_probability(p, "p")
    check_graph_size(n, n * k * (1.0 + p))  # the lattice plus about p n k / 2 shortcuts
    rng = check_random_state(seed)
    h = k // 2
    return _build(n, np.full(n, h, dtype=np.int64), h, p, rng, True)


def connected_watts_strogatz(
    n: int, k: int, p: float, *, tries: int = 100, seed: SeedLike = None
) -> sp.csr_array:
    """Watts–Strogatz graph, redrawn until it is connected.

    Draws :func:`watts_strogatz` ``(n, k, p)`` up to ``tries`` times from the
    same random stream and returns the first connected one.

    Parameters
    ----------
    n, k, p : int, int, float
        As in :func:`watts_strogatz`.
    tries : int
        Maximum number of draws, ``>= 1``.
    seed : None, int or numpy.random.Generator
        Randomness; the same seed gives the same graph bit for bit.

    Returns
    -------
    scipy.sparse.csr_array
        A connected Watts–Strogatz graph.

    Raises
    ------
    TypeError
        If a parameter has a wrong type.
    ValueError
        If a parameter is out of range, the graph is too large to build
        (refused before allocating), or no connected graph was found in
        ``tries`` draws (the message says what to change).

    References
    ----------
    .. [1] D. J. Watts and S. H. Strogatz, "Collective dynamics of 'small-world'
       networks", Nature 393, 440–442 (1998). doi:10.1038/30918

    Examples
    --------
    >>> from scipy.sparse.csgraph import connected_components
    >>> A = connected_watts_strogatz(50, 2, 0.5, seed=3)
    >>> connected_components(A, directed=False, return_labels=False)
    1
    """
    n, k = _check_n_k(n, k)
    p = check_probability(p, "p")
    tries = check_int(tries, "tries", min_val=1)
    rng = check_random_state(seed)
    h = k // 2
    fwd = np.full(n, h, dtype=np.int64)
    for _ in range(tries):
        A = _build(n, fwd, h, p, rng, False)
        if connected_components(A, directed=False, return_labels=False) == 1:
            return A
    raise ValueError(
        f"no connected Watts-Strogatz graph found in tries={tries} draws for n={n}, k={k}, p={p}; "
        "increase tries or k, or lower p"
    )


def _flex_offsets(n: int, k: float, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Forward offsets of the WS-flex lattice: round(n k / 2) edges in all."""
    m = int(math.floor(n * k / 2.0 + 0.5))
    base, r = divmod(m, n)
    fwd = np.full(n, base, dtype=np.int64)
    if r:
        if n % 2 == 0 and base + 1 == n // 2:
            # the extra edge is a diameter (i, i + n/2): pick distinct diameters
            classes = sample_distinct(rng, n // 2, r)
            nodes = classes + (n // 2) * rng.integers(0, 2, size=r)
        else:
            nodes = sample_distinct(rng, n, r)
        fwd[nodes] += 1
    return fwd, base + (1 if r else 0)


def ws_flex(n: int, k: float, p: float, *, seed: SeedLike = None) -> sp.csr_array:
    """WS-flex graph: Watts–Strogatz rewiring with a real-valued mean degree.

    Following You et al. [1]_: the graph has ``e = round(n k / 2)`` edges, so the
    mean degree is ``2 e / n ≈ k`` for any real k.  Each node is linked to its
    ``floor(e / n)`` next neighbours clockwise, ``e mod n`` nodes chosen
    uniformly at random get one neighbour more, and every one of these lattice
    edges is then rewired as in :func:`watts_strogatz` with probability ``p``.
    Before rewiring every degree lies in ``2 floor(e/n) … 2 floor(e/n) + 2``.

    Parameters
    ----------
    n : int
        Number of nodes, ``n >= 3``.
    k : float
        Target mean degree, ``2 <= k <= n - 1``.
    p : float
        Rewiring probability in ``[0, 1]``.
    seed : None, int or numpy.random.Generator
        Randomness; the same seed gives the same graph bit for bit.

    Returns
    -------
    scipy.sparse.csr_array
        Boolean symmetric adjacency with exactly ``round(n k / 2)`` edges.

    Raises
    ------
    TypeError
        If n is not an integer or k, p not real numbers.
    ValueError
        If k is outside ``[2, n - 1]``, p outside ``[0, 1]``, or the graph is
        too large to build (refused before allocating).

    References
    ----------
    .. [1] J. You, J. Leskovec, K. He and S. Xie, "Graph Structure of Neural
       Networks", Proc. 37th ICML, PMLR 119, 10881–10891 (2020).
       arXiv:2007.06559

    Examples
    --------
    >>> A = ws_flex(64, 4.5, 0.2, seed=0)
    >>> A.nnz // 2, A.nnz / 64
    (144, 4.5)
    """
    n = check_int(n, "n", min_val=1)
    k = check_real(k, "k")
    if not 2.0 <= k <= n - 1:
        raise ValueError(f"k must be a real number with 2 <= k <= n - 1, got k={k}, n={n}")
    p = check_probability(p, "p")
    check_graph_size(n, n * k)
    rng = check_random_state(seed)
    fwd, jmax = _flex_offsets(n, k, rng)
    return _build(n, fwd, jmax, p, rng, False)
