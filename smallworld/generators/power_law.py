"""Random graphs with power-law degrees: Chung–Lu and a simple configuration model.

Both are static models (no growth): Chung–Lu fixes the *expected* degrees,
the configuration model a *drawn* degree sequence.  Both return the canonical
symmetric ``bool`` :class:`scipy.sparse.csr_array` without self-loops or
multi-edges, in O(n + E) time with no per-edge Python loop.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from smallworld._csr import csr_from_edges
from smallworld._validation import SeedLike, check_graph_size, check_int, check_random_state, check_real
from smallworld.generators._pl_kernels import chung_lu_kernel, chung_lu_weights, discrete_power_law
from smallworld.generators._sf_kernels import simple_ends_to_csr

__all__ = ["chung_lu", "configuration_power_law"]


def chung_lu(
    n: int,
    gamma: float,
    mean_degree: float,
    *,
    seed: SeedLike = None,
    max_degree: float | None = None,
) -> sp.csr_array:
    """Chung–Lu expected-degree random graph with power-law weights.

    Node ``i`` gets the weight (expected degree)
    ``w_i = c (i + i0) ** (-1 / (gamma - 1))`` [1]_, so the weights are
    decreasing in ``i`` (node 0 is the largest hub) and their distribution has
    a power-law tail ``P(w) ~ w ** -gamma``.  ``c`` makes the mean weight
    exactly ``mean_degree`` and ``i0`` makes the largest weight exactly
    ``max_degree``.  Each pair ``{u, v}``, ``u != v``, is an edge independently
    with probability ``min(1, w_u w_v / S)``, ``S = sum(w)``.  Pairs are
    visited with the skipping algorithm of Miller & Hagberg [2]_ (compiled;
    expected O(n + E), not O(n**2)).

    Without self-loops the expected degree of node ``i`` is
    ``w_i (1 - w_i / S)``, and pairs with ``w_u w_v > S`` are capped at
    probability 1, so hubs fall short of their weight when ``max_degree``
    exceeds the structural cutoff ``sqrt(S) = sqrt(n * mean_degree)``.  The
    default ``max_degree`` *is* that cutoff, so no pair is capped and the
    realised mean degree matches ``mean_degree`` up to a relative
    ``O(max_degree / n)``.

    Parameters
    ----------
    n : int
        Number of nodes, ``n >= 2``.
    gamma : float
        Power-law exponent of the weight distribution, ``gamma > 2`` (the mean
        of a power law with ``gamma <= 2`` diverges).
    mean_degree : float
        Target mean degree, ``0 < mean_degree < n - 1``.
    seed : None, int or numpy.random.Generator
        Source of randomness; the same seed gives the same graph, bit for bit.
    max_degree : float, optional
        Largest weight ``w_0``, with ``mean_degree < max_degree <= n - 1``.
        Defaults to ``min(sqrt(n * mean_degree), n - 1)``.

    Returns
    -------
    scipy.sparse.csr_array
        Symmetric ``bool`` adjacency of shape ``(n, n)``; not necessarily
        connected (low-weight nodes may be isolated).

    Raises
    ------
    TypeError
        If an argument has a wrong type.
    ValueError
        If ``gamma <= 2``, ``mean_degree`` is outside ``(0, n - 1)`` or
        ``max_degree`` is outside ``(mean_degree, n - 1]``, or the graph is
        too large to build (more memory than is available; refused before
        allocating).

    See Also
    --------
    configuration_power_law : fixed (not expected) degree sequence.

    References
    ----------
    .. [1] F. Chung and L. Lu, "The average distances in random graphs with
       given expected degrees", PNAS 99, 15879 (2002).
       doi:10.1073/pnas.252631999
    .. [2] J. C. Miller and A. Hagberg, "Efficient generation of networks with
       given expected degrees", WAW 2011, LNCS 6732, 115 (2011).
       doi:10.1007/978-3-642-21286-4_10

    Examples
    --------
    >>> A = chung_lu(10_000, 2.5, 8.0, seed=0)
    >>> A.shape
    (10000, 10000)
    >>> bool(abs(A.nnz / 10_000 - 8.0) < 0.3)
    True
    """
    n = check_int(n, "n", min_val=2, max_val=2**31 - 2)
    gamma = check_real(gamma, "gamma", min_val=2, include_min=False)
    mean_degree = check_real(mean_degree, "mean_degree", min_val=0, max_val=n - 1, include_min=False, include_max=False)
    check_graph_size(n, n * mean_degree)
    if max_degree is None:
        max_degree = min(math.sqrt(n * mean_degree), n - 1)
        if max_degree <= mean_degree:  # very dense graphs: no room for a tail
            max_degree = float(n - 1)
    else:
        max_degree = check_real(max_degree, "max_degree")
        if not mean_degree < max_degree <= n - 1:
            raise ValueError(
                f"max_degree must satisfy mean_degree < max_degree <= n - 1, "
                f"got max_degree={max_degree}, mean_degree={mean_degree}, n={n}"
            )
    rng = check_random_state(seed)
    w = chung_lu_weights(n, gamma, mean_degree, max_degree)
    # pairs are visited once each with u < v: the edge list is simple already
    return simple_ends_to_csr(chung_lu_kernel(w, rng), n)


def configuration_power_law(
    n: int,
    gamma: float,
    *,
    k_min: int = 1,
    k_max: int | None = None,
    seed: SeedLike = None,
) -> sp.csr_array:
    """Erased configuration model with a power-law degree sequence.

    Draws ``n`` degrees independently from ``P(k) ~ k ** -gamma`` on the
    integers ``k_min..k_max`` (exact inverse-CDF sampling); if their sum is
    odd, one randomly chosen degree is moved by one (up, or down when it is
    already ``k_max``).  The stubs are then paired uniformly at random [1]_
    and the resulting multigraph is made simple by *erasing* self-loops and
    merging multi-edges (the erased configuration model [2]_).

    Erasure only ever lowers degrees: the realised degree of each node is at
    most its drawn degree, and the loss concentrates on hubs.  The expected
    number of self-loops and multi-edges stays bounded when ``gamma > 3``, so
    the sequence is kept almost exactly; for ``2 < gamma < 3`` with the default
    ``k_max = n - 1`` the hubs lose a fraction of their stubs (vanishing as
    ``n`` grows [2]_), which slightly steepens the empirical tail.  Pass
    ``k_max = int(sqrt(n * mean_degree))`` (the structural cutoff) to keep
    the loss negligible.

    Parameters
    ----------
    n : int
        Number of nodes, ``n >= 2``.
    gamma : float
        Power-law exponent of the degree distribution, ``gamma > 1`` (the
        distribution is truncated at ``k_max``, so it is normalisable).
    k_min : int, default 1
        Smallest degree, ``1 <= k_min``.
    k_max : int, optional
        Largest degree, ``k_min <= k_max <= n - 1``; default ``n - 1``.
    seed : None, int or numpy.random.Generator
        Source of randomness; the same seed gives the same graph, bit for bit.

    Returns
    -------
    scipy.sparse.csr_array
        Symmetric ``bool`` adjacency of shape ``(n, n)``, simple; not
        necessarily connected.

    Raises
    ------
    TypeError
        If an argument has a wrong type.
    ValueError
        If ``gamma <= 1``, ``k_min`` or ``k_max`` is out of range, or
        ``k_min == k_max`` is odd while ``n`` is odd (no graph has an odd
        degree sum), or the graph is too large to build (refused before
        allocating).

    References
    ----------
    .. [1] M. E. J. Newman, S. H. Strogatz and D. J. Watts, "Random graphs
       with arbitrary degree distributions and their applications",
       Phys. Rev. E 64, 026118 (2001). doi:10.1103/PhysRevE.64.026118
    .. [2] T. Britton, M. Deijfen and A. Martin-Löf, "Generating simple random
       graphs with prescribed degree distribution", J. Stat. Phys. 124, 1377
       (2006). doi:10.1007/s10955-006-9168-x

    Examples
    --------
    >>> A = configuration_power_law(10_000, 2.5, k_min=2, seed=0)
    >>> A.shape, bool((A.diagonal() == 0).all())
    ((10000, 10000), True)
    """
    n = check_int(n, "n", min_val=2, max_val=2**31 - 2)
    gamma = check_real(gamma, "gamma", min_val=1, include_min=False)
    k_min = check_int(k_min, "k_min", min_val=1, max_val=n - 1)
    if k_max is None:
        k_max = n - 1
    else:
        k_max = check_int(k_max, "k_max")
        if not k_min <= k_max <= n - 1:
            raise ValueError(f"k_max must satisfy k_min <= k_max <= n - 1, got k_max={k_max}, k_min={k_min}, n={n}")
    if k_min == k_max and k_min % 2 == 1 and n % 2 == 1:
        raise ValueError(
            f"no graph has n={n} nodes all of odd degree k_min=k_max={k_min}: the degree sum must be even"
        )
    check_graph_size(n, n * k_min)  # every node has at least k_min stubs
    rng = check_random_state(seed)
    deg = _degree_sequence(n, gamma, k_min, k_max, rng)
    stubs = np.repeat(np.arange(n, dtype=np.int64), deg)
    rng.shuffle(stubs)
    u, v = stubs[0::2], stubs[1::2]
    keep = u != v
    return csr_from_edges(u[keep], v[keep], n)


def _degree_sequence(n: int, gamma: float, k_min: int, k_max: int, rng: np.random.Generator) -> np.ndarray:
    """The drawn degree sequence of :func:`configuration_power_law` (even sum);
    arguments already validated.  Exposed privately for tests."""
    deg = discrete_power_law(n, gamma, k_min, k_max, rng)
    if int(deg.sum()) % 2:
        i = int(rng.integers(n))
        deg[i] += 1 if deg[i] < k_max else -1
    return deg
