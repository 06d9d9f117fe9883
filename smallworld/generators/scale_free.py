"""Growing scale-free graphs: Barabási–Albert, Holme–Kim and Klemm–Eguíluz.

All three grow one node at a time and attach it to ``m`` distinct earlier
nodes, so they are connected, simple (no self-loops, no multi-edges) and have
an exact number of edges.  The growth loops are compiled (numba) and cost O(E)
expected time, using the repeated-endpoint array of Batagelj & Brandes [1]_
for preferential attachment; the result is the canonical symmetric ``bool``
:class:`scipy.sparse.csr_array`.

References
----------
.. [1] V. Batagelj and U. Brandes, "Efficient generation of large random
   networks", Phys. Rev. E 71, 036113 (2005). doi:10.1103/PhysRevE.71.036113
"""

from __future__ import annotations

import scipy.sparse as sp

from smallworld._validation import SeedLike, check_graph_size, check_int, check_probability, check_random_state
from smallworld.generators._sf_kernels import (
    ba_kernel,
    hk_kernel,
    ke_kernel,
    simple_csr,
    simple_ends_to_csr,
)

__all__ = ["barabasi_albert", "holme_kim", "klemm_eguiluz"]

_MAX_NODES = 2**31 - 2


def _check_n_m(n: object, m: object) -> tuple[int, int]:
    """Validate ``n`` and ``m`` of a growth model: integers with 1 <= m < n."""
    n = check_int(n, "n", min_val=2, max_val=_MAX_NODES)
    m = check_int(m, "m", min_val=1)
    if m >= n:
        raise ValueError(f"m must satisfy 1 <= m < n, got m={m}, n={n}")
    check_graph_size(n, 2 * n * m)
    return n, m


def barabasi_albert(n: int, m: int, *, seed: SeedLike = None) -> sp.csr_array:
    """Barabási–Albert preferential-attachment graph.

    Nodes ``0..m`` start as a star centred on node 0 (the initial condition of
    :func:`networkx.barabasi_albert_graph`).  Each later node ``v = m+1, ...,
    n-1`` then links to ``m`` *distinct* earlier nodes, each drawn with
    probability proportional to its degree before ``v`` arrived (duplicates are
    redrawn).  The degree distribution has a power-law tail with exponent 3 [1]_.

    Parameters
    ----------
    n : int
        Number of nodes, ``n >= 2``.
    m : int
        Edges added per new node, ``1 <= m < n``.
    seed : None, int or numpy.random.Generator
        Source of randomness; the same seed gives the same graph, bit for bit.

    Returns
    -------
    scipy.sparse.csr_array
        Symmetric ``bool`` adjacency of shape ``(n, n)`` with exactly
        ``m * (n - m)`` edges; connected, no self-loops.

    Raises
    ------
    TypeError
        If ``n`` or ``m`` is not an integer, or ``seed`` has a wrong type.
    ValueError
        If ``n < 2`` or not ``1 <= m < n``, or the graph is too large to build
        (more memory than is available; refused before allocating).

    References
    ----------
    .. [1] A.-L. Barabási and R. Albert, "Emergence of scaling in random
       networks", Science 286, 509 (1999). doi:10.1126/science.286.5439.509
    .. [2] V. Batagelj and U. Brandes, "Efficient generation of large random
       networks", Phys. Rev. E 71, 036113 (2005). doi:10.1103/PhysRevE.71.036113

    Examples
    --------
    >>> A = barabasi_albert(1000, 3, seed=1)
    >>> A.shape, A.nnz // 2 == 3 * (1000 - 3)
    ((1000, 1000), True)
    """
    n, m = _check_n_m(n, m)
    rng = check_random_state(seed)
    return simple_ends_to_csr(ba_kernel(n, m, rng), n)


def holme_kim(n: int, m: int, p_triad: float, *, seed: SeedLike = None) -> sp.csr_array:
    """Holme–Kim growth: preferential attachment plus triad formation.

    Starts from the same star of ``m + 1`` nodes as :func:`barabasi_albert`.
    Each new node makes a preferential-attachment (PA) step; each of its
    ``m - 1`` further edges is, with probability ``p_triad``, a triad-formation
    step to a uniformly random neighbour of the most recent PA target (closing
    a triangle), chosen among those not yet linked to the new node; otherwise,
    or when no such neighbour exists, it is another PA step [1]_.  The degree
    tail stays a power law with exponent 3 while the clustering rises with
    ``p_triad``.

    Unlike :func:`networkx.powerlaw_cluster_graph`, which draws all PA targets
    up front and silently loses an edge when a triad step picks one of them,
    PA targets here are drawn as needed and always distinct from the earlier
    ones, so the edge count is exact.

    Parameters
    ----------
    n : int
        Number of nodes, ``n >= 2``.
    m : int
        Edges added per new node, ``1 <= m < n``.
    p_triad : float
        Probability of a triad-formation step after a PA step, in ``[0, 1]``.
        ``0`` gives the Barabási–Albert model.
    seed : None, int or numpy.random.Generator
        Source of randomness; the same seed gives the same graph, bit for bit.

    Returns
    -------
    scipy.sparse.csr_array
        Symmetric ``bool`` adjacency with exactly ``m * (n - m)`` edges;
        connected, no self-loops.

    Raises
    ------
    TypeError
        If an argument has a wrong type.
    ValueError
        If not ``1 <= m < n``, ``p_triad`` is outside ``[0, 1]``, or the graph is too large to build
        (more memory than is available; refused before allocating).

    References
    ----------
    .. [1] P. Holme and B. J. Kim, "Growing scale-free networks with tunable
       clustering", Phys. Rev. E 65, 026107 (2002). doi:10.1103/PhysRevE.65.026107

    Examples
    --------
    >>> A = holme_kim(1000, 3, 0.8, seed=1)
    >>> A.nnz // 2 == 3 * (1000 - 3)
    True
    """
    n, m = _check_n_m(n, m)
    p_triad = check_probability(p_triad, "p_triad")
    rng = check_random_state(seed)
    return simple_csr(*hk_kernel(n, m, p_triad, rng), n)


def klemm_eguiluz(n: int, m: int, mu: float, *, seed: SeedLike = None) -> sp.csr_array:
    """Klemm–Eguíluz graph: highly clustered and scale-free.

    Nodes ``0..m-1`` start as a complete graph and are all *active*.  Each new
    node ``v`` links to every active node, except that each of these links is,
    with probability ``mu``, redirected to a node drawn by preferential
    attachment (probability proportional to degree, among all existing nodes,
    distinct from ``v``'s other targets) [2]_.  Then ``v`` becomes active and
    one of the ``m + 1`` active nodes is deactivated with probability
    proportional to ``1 / k`` [1]_.  ``mu = 0`` gives the original model
    (power-law degrees with exponent 3, clustering near 5/6, long paths);
    small ``mu`` keeps the clustering high and makes paths short (small
    world); ``mu = 1`` is close to Barabási–Albert.  The first new node
    (``v = m``) always links to all ``m`` initial nodes.

    Parameters
    ----------
    n : int
        Number of nodes, ``n >= 2``.
    m : int
        Number of active nodes, which is also the number of edges each new
        node adds; ``1 <= m < n``.
    mu : float
        Probability that a link is redirected by preferential attachment,
        in ``[0, 1]``.
    seed : None, int or numpy.random.Generator
        Source of randomness; the same seed gives the same graph, bit for bit.

    Returns
    -------
    scipy.sparse.csr_array
        Symmetric ``bool`` adjacency with exactly
        ``m * (m - 1) / 2 + m * (n - m)`` edges; connected, no self-loops.

    Raises
    ------
    TypeError
        If an argument has a wrong type.
    ValueError
        If not ``1 <= m < n``, ``mu`` is outside ``[0, 1]``, or the graph is too large to build
        (more memory than is available; refused before allocating).

    References
    ----------
    .. [1] K. Klemm and V. M. Eguíluz, "Highly clustered scale-free networks",
       Phys. Rev. E 65, 036123 (2002). doi:10.1103/PhysRevE.65.036123
    .. [2] K. Klemm and V. M. Eguíluz, "Growing scale-free networks with
       small-world behavior", Phys. Rev. E 65, 057102 (2002).
       doi:10.1103/PhysRevE.65.057102

    Examples
    --------
    >>> A = klemm_eguiluz(1000, 4, 0.1, seed=1)
    >>> A.nnz // 2 == 4 * 3 // 2 + 4 * (1000 - 4)
    True
    """
    n, m = _check_n_m(n, m)
    mu = check_probability(mu, "mu")
    rng = check_random_state(seed)
    return simple_ends_to_csr(ke_kernel(n, m, mu, rng), n)
