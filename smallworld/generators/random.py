"""Erdős–Rényi random graphs, G(n, m) and G(n, p)."""

from __future__ import annotations

import scipy.sparse as sp

from smallworld._validation import SeedLike, check_graph_size, check_int, check_probability, check_random_state
from smallworld.generators._sampling import bernoulli_positions, csr_from_pair_indices, sample_distinct

__all__ = ["erdos_renyi"]


def erdos_renyi(
    n: int, *, m: int | None = None, p: float | None = None, seed: SeedLike = None
) -> sp.csr_array:
    """Erdős–Rényi random graph with a fixed edge count (G(n, m)) or edge probability (G(n, p)).

    Give exactly one of ``m`` and ``p``.

    * ``m``: a uniformly random set of exactly ``m`` of the ``n (n - 1) / 2``
      node pairs (Erdős & Rényi 1959 [1]_).
    * ``p``: every pair independently with probability ``p`` (Gilbert 1959
      [2]_), drawn by skipping geometrically distributed runs of absent pairs
      (Batagelj & Brandes 2005 [3]_).

    Pairs are drawn as sorted indices into the strict lower triangle (O(m)
    memory and time, vectorised), and the sorted indices are turned into the
    CSR adjacency in one compiled pass without any sort, so sparse graphs with
    millions of nodes are cheap.

    Parameters
    ----------
    n : int
        Number of nodes, ``1 <= n < 2**31``.
    m : int, optional
        Number of edges, ``0 <= m <= n (n - 1) / 2``.
    p : float, optional
        Edge probability in ``[0, 1]``.
    seed : None, int or numpy.random.Generator
        Randomness; the same seed gives the same graph bit for bit.

    Returns
    -------
    scipy.sparse.csr_array
        Boolean symmetric adjacency with sorted indices and no self-loops.

    Raises
    ------
    TypeError
        If n or m is not an integer, p not a real number, or seed of a wrong type.
    ValueError
        If both or neither of m and p are given, a value is out of range, or
        the graph would need more memory than is available (refused before
        allocating; see :func:`smallworld._validation.check_graph_size`).

    References
    ----------
    .. [1] P. Erdős and A. Rényi, "On random graphs I", Publ. Math. Debrecen 6,
       290–297 (1959). doi:10.5486/PMD.1959.6.3-4.12
    .. [2] E. N. Gilbert, "Random graphs", Ann. Math. Statist. 30, 1141–1144
       (1959). doi:10.1214/aoms/1177706098
    .. [3] V. Batagelj and U. Brandes, "Efficient generation of large random
       networks", Phys. Rev. E 71, 036113 (2005). doi:10.1103/PhysRevE.71.036113

    Examples
    --------
    >>> A = erdos_renyi(100, m=250, seed=0)
    >>> A.shape, A.nnz // 2, int(A.diagonal().sum())
    ((100, 100), 250, 0)
    >>> B = erdos_renyi(1000, p=0.01, seed=0)
    >>> 4000 < B.nnz // 2 < 6000
    True
    """
    n = check_int(n, "n", min_val=1, max_val=2**31 - 1)
    if (m is None) == (p is None):
        raise ValueError(f"give exactly one of m (edge count) or p (edge probability), got m={m!r}, p={p!r}")
    N = n * (n - 1) // 2
    if m is not None:
        m = check_int(m, "m")
        if not 0 <= m <= N:
            raise ValueError(f"m must be an integer with 0 <= m <= n (n - 1) / 2 = {N}, got m={m}, n={n}")
    else:
        p = check_probability(p, "p")
    check_graph_size(n, 2.0 * (m if m is not None else p * N))
    rng = check_random_state(seed)
    if m is not None:
        t = sample_distinct(rng, N, m)
    else:
        t = bernoulli_positions(rng, N, p)
    return csr_from_pair_indices(t, n)
