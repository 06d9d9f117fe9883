"""Brain-like generators: spatially embedded and hierarchical modular graphs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from smallworld._csr import csr_from_edges
from smallworld._validation import (
    SeedLike,
    check_bool,
    check_graph_size,
    check_int,
    check_probability,
    check_random_state,
    check_real,
    round_up,
)
from smallworld.generators._sampling import pair_from_index, sample_distinct

__all__ = ["spatial", "hierarchical_modular"]

#: Most candidate node pairs (about 32 bytes each) :func:`spatial` will hold at once.
MAX_CANDIDATE_PAIRS = 20_000_000
#: Most edges (expected) :func:`hierarchical_modular` will generate.
MAX_EDGES = 50_000_000

# surface of the unit sphere in d dimensions times (d - 1)!: sum of exp(-r/l) over
# an unbounded space is N * _SHELL[d] * l**d for uniformly spread pairs
_SHELL = {1: 2.0, 2: 2.0 * math.pi, 3: 8.0 * math.pi}
_BALL = {1: 2.0, 2: math.pi, 3: 4.0 * math.pi / 3.0}


def _target_edges(n: int, density: Any, mean_degree: Any) -> int:
    N = n * (n - 1) // 2
    if (density is None) == (mean_degree is None):
        raise ValueError(
            f"give exactly one of density or mean_degree, got density={density!r}, mean_degree={mean_degree!r}"
        )
    if density is not None:
        density = check_real(density, "density")
        if not 0.0 < density <= 1.0:
            raise ValueError(f"density must be a real number in (0, 1], got density={density}")
        m = int(math.floor(density * N + 0.5))
        if m == 0:  # a positive density must not silently give an empty graph
            least = round_up(0.5 / N, lambda d: math.floor(d * N + 0.5) >= 1)
            raise ValueError(
                f"density={density} gives round({density} * {N} node pairs) = 0 edges for n={n}; "
                f"use density >= {least:g}"
            )
        return m
    mean_degree = check_real(mean_degree, "mean_degree")
    if not 0.0 < mean_degree <= n - 1:
        raise ValueError(
            f"mean_degree must be a real number with 0 < mean_degree <= n - 1, got mean_degree={mean_degree}, n={n}"
        )
    m = int(math.floor(mean_degree * n / 2.0 + 0.5))
    if m == 0:
        least = round_up(1.0 / n, lambda k: math.floor(k * n / 2.0 + 0.5) >= 1)
        raise ValueError(
            f"mean_degree={mean_degree} gives round({mean_degree} * {n} / 2) = 0 edges for n={n}; "
            f"use mean_degree >= {least:g}"
        )
    return m


def _distances(pos: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    diff = pos[i] - pos[j]
    return np.sqrt(np.einsum("ij,ij->i", diff, diff))


def _truncated_exp(rng: np.random.Generator, size: int, lo: float, width: float) -> np.ndarray:
    """Exp(1) variates conditioned on lying in [lo, lo + width)."""
    u = rng.random(size)
    return lo - np.log1p(-u * -np.expm1(-width))


def _plan(
    n: int, dim: int, m: int, lam: float, rng: np.random.Generator, pos: np.ndarray
) -> tuple[float, float, float]:
    """Cut-off radius, log of the first key threshold and expected candidate count (minimised)."""
    N = n * (n - 1) // 2
    # mean weight over pairs: a sample of pairs, with the unbounded-space value as a floor
    s = min(N, 20000)
    a, b = pair_from_index(rng.integers(0, N, size=s, dtype=np.int64))
    # _SHELL >= 2, so the floor is 0.25 for every lam >= 1; min(lam, 1) keeps lam**dim finite (1e300**2 overflowed)
    mean_w = max(float(np.exp(-_distances(pos, a, b) / lam).mean()), 0.25 * min(1.0, _SHELL[dim] * min(lam, 1.0) ** dim),
                 1e-300)
    log_tau = math.log(1.3 * m) - math.log(N * mean_w)
    diam = math.sqrt(dim)
    radii = np.concatenate([[0.0], lam * np.linspace(0.1, 40.0, 400)])
    radii = radii[radii < diam]
    inside = N * np.minimum(1.0, _BALL[dim] * radii**dim)
    outside = N * np.exp(np.minimum(log_tau - radii / lam, 0.0))
    cost = inside + outside
    best = int(np.argmin(cost))
    if cost[best] >= N:  # nothing beats enumerating every pair
        return math.inf, log_tau, float(N)
    return float(radii[best]), log_tau, float(cost[best])


def _spatial_edges(
    n: int, dim: int, m: int, lam: float, rng: np.random.Generator, pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Endpoints of the m edges: the m smallest keys log E + d / lam over all pairs, found exactly."""
    N = n * (n - 1) // 2
    if m == N:
        return pair_from_index(np.arange(N, dtype=np.int64))
    r_c, log_tau, work = _plan(n, dim, m, lam, rng, pos)
    if max(work, m) > MAX_CANDIDATE_PAIRS:
        raise ValueError(
            f"spatial graph too large: n={n}, length_scale={lam} and {m} edges would need about "
            f"{max(work, m):.3g} candidate pairs (limit {MAX_CANDIDATE_PAIRS}); lower n or the density, "
            "or make length_scale much larger (towards random wiring) or much smaller"
        )
    # inside pairs (distance <= r_c): every key computed
    if math.isinf(r_c):
        ii, jj = pair_from_index(np.arange(N, dtype=np.int64))
    elif r_c > 0.0:
        pairs = cKDTree(pos).query_pairs(r_c * (1.0 + 1e-9), output_type="ndarray").astype(np.int64)
        ii, jj = np.maximum(pairs[:, 0], pairs[:, 1]), np.minimum(pairs[:, 0], pairs[:, 1])
    else:
        ii = jj = np.empty(0, dtype=np.int64)
    d_in = _distances(pos, ii, jj)
    keep = d_in <= r_c
    ii, jj, d_in = ii[keep], jj[keep], d_in[keep]
    if ii.shape[0] > MAX_CANDIDATE_PAIRS:
        raise ValueError(
            f"spatial graph too large: n={n}, length_scale={lam} gives {ii.shape[0]} pairs within the "
            f"cut-off (limit {MAX_CANDIDATE_PAIRS}); lower n or the length_scale"
        )
    # keys on a log scale (log E + d / lam) so that tiny weights cannot overflow
    with np.errstate(divide="ignore"):
        key_in = np.log(rng.standard_exponential(ii.shape[0])) + d_in / lam
    # outside pairs: a pair's key E * exp(d / lam) can be below tau only if E < tau * exp(-r_c / lam),
    # so the candidates are a binomial thinning of all pairs; raising tau thins again (memoryless E)
    out_t = np.empty(0, dtype=np.int64)
    out_key = np.empty(0)
    a = 0.0
    every_pair_seen = math.isinf(r_c)
    while True:
        if not every_pair_seen:
            a_new = math.exp(min(log_tau - r_c / lam, 700.0))
            q = -math.expm1(-(a_new - a))  # P(E < a_new | E >= a)
            every_pair_seen = q >= 1.0
            cnt = int(rng.binomial(N, q))
            if cnt + out_t.shape[0] + ii.shape[0] > MAX_CANDIDATE_PAIRS:
                raise ValueError(
                    f"spatial graph too large: n={n}, length_scale={lam}, {m} edges need more than "
                    f"{MAX_CANDIDATE_PAIRS} candidate pairs; lower n, the density or the length_scale"
                )
            t = sample_distinct(rng, N, cnt)
            ti, tj = pair_from_index(t)
            d = _distances(pos, ti, tj)
            new = (d > r_c) & ~np.isin(t, out_t, assume_unique=True)
            e = _truncated_exp(rng, int(new.sum()), a, a_new - a)
            out_t = np.concatenate([out_t, t[new]])
            with np.errstate(divide="ignore"):
                out_key = np.concatenate([out_key, np.log(e) + d[new] / lam])
            a = a_new
        n_valid = int((key_in < log_tau).sum() + (out_key < log_tau).sum())
        if n_valid >= m or every_pair_seen:
            break
        log_tau += math.log(max(1.5, 1.3 * m / max(n_valid, 1)))
    oi, oj = pair_from_index(out_t)
    all_i = np.concatenate([ii, oi])
    all_j = np.concatenate([jj, oj])
    keys = np.concatenate([key_in, out_key])
    pick = np.argpartition(keys, m - 1)[:m] if m < keys.shape[0] else np.arange(keys.shape[0])
    return all_i[pick], all_j[pick]


def spatial(
    n: int,
    *,
    dim: int = 2,
    density: float | None = None,
    mean_degree: float | None = None,
    length_scale: float = 0.1,
    seed: SeedLike = None,
    return_positions: bool = False,
) -> sp.csr_array | tuple[sp.csr_array, np.ndarray]:
    """Spatially embedded graph with distance-dependent wiring (exact edge count).

    Nodes are placed uniformly at random in the unit square (``dim=2``), cube
    (``dim=3``) or interval (``dim=1``).  Then exactly ``m`` edges are drawn
    one after another *without replacement*, each draw picking one of the
    remaining node pairs with probability proportional to
    ``exp(-d / length_scale)``, d the Euclidean distance — the exponential
    decay of connection probability with distance measured in cortex [1]_ [2]_.
    ``m`` is set by the target ``density`` (``m = round(density n (n-1)/2)``)
    or ``mean_degree`` (``m = round(mean_degree n / 2)``); give exactly one.

    The draws are made exactly, with the keys of Efraimidis & Spirakis [3]_
    (``E / w`` with ``E ~ Exp(1)``; the m smallest keys win).  Only pairs that
    can win are ever looked at: every pair within a cut-off radius (found with
    a KD-tree) and, beyond it, a binomial thinning of all pairs — so no n×n
    matrix is built and the sample is exact, not truncated.  A problem that
    would need more than ``MAX_CANDIDATE_PAIRS`` pairs is refused before any
    large allocation.

    Parameters
    ----------
    n : int
        Number of nodes, ``n >= 2``.
    dim : int
        Dimension of the embedding space: 1, 2 or 3.
    density : float, optional
        Fraction of node pairs linked, in ``(0, 1]``.
    mean_degree : float, optional
        Mean degree, in ``(0, n - 1]``.
    length_scale : float
        Decay length λ of the wiring probability, in units of the box side, ``> 0``.
    seed : None, int or numpy.random.Generator
        Randomness; the same seed gives the same graph and positions bit for bit.
    return_positions : bool
        Also return the node positions.

    Returns
    -------
    scipy.sparse.csr_array or (scipy.sparse.csr_array, numpy.ndarray)
        Boolean symmetric adjacency with exactly m edges; with
        ``return_positions`` also the ``(n, dim)`` positions.

    Raises
    ------
    TypeError
        If a parameter has a wrong type.
    ValueError
        If a value is out of range, both or neither of density and mean_degree
        are given, the target rounds to no edge at all (the message gives the
        smallest value that yields one), or the graph would need too much memory.

    Notes
    -----
    The work is the number of candidate pairs: about every pair within a few
    ``length_scale`` of each other, plus a thinned share of all pairs.  It is
    small when ``length_scale`` is long (towards random wiring) or when the
    graph is sparse next to the total weight; it is large in between at big n.
    Measured on 2 cores at mean degree 10: n = 1e4 works for every
    ``length_scale`` from 0.002 to 1 (0.05–0.8 s); n = 1e5 works for
    ``length_scale >= 0.1`` (0.2–5 s) and ``<= 0.002`` and is refused for
    0.005–0.05 (20–60 million candidate pairs).

    References
    ----------
    .. [1] M. Kaiser and C. C. Hilgetag, "Spatial growth of real-world networks",
       Phys. Rev. E 69, 036103 (2004). doi:10.1103/PhysRevE.69.036103
    .. [2] M. Ercsey-Ravasz et al., "A predictive network model of cerebral
       cortical connectivity based on a distance rule", Neuron 80, 184–197
       (2013). doi:10.1016/j.neuron.2013.07.036
    .. [3] P. S. Efraimidis and P. G. Spirakis, "Weighted random sampling with a
       reservoir", Inf. Process. Lett. 97, 181–185 (2006).
       doi:10.1016/j.ipl.2005.11.003

    Examples
    --------
    >>> A, xy = spatial(200, mean_degree=6, length_scale=0.05, seed=0, return_positions=True)
    >>> A.nnz // 2, xy.shape
    (600, (200, 2))
    """
    n = check_int(n, "n", min_val=2)
    dim = check_int(dim, "dim")
    if dim not in (1, 2, 3):
        raise ValueError(f"dim must be 1, 2 or 3, got dim={dim}")
    m = _target_edges(n, density, mean_degree)
    lam = check_real(length_scale, "length_scale", min_val=0.0, include_min=False)
    check_graph_size(n, 2 * m + dim * n / 4)  # + the n x dim float64 positions
    rng = check_random_state(seed)
    return_positions = check_bool(return_positions, "return_positions")
    pos = rng.random((n, dim))
    if m == 0:
        rows = cols = np.empty(0, dtype=np.int64)
    else:
        rows, cols = _spatial_edges(n, dim, m, lam, rng, pos)
    A = csr_from_edges(rows, cols, n)
    return (A, pos) if return_positions else A


def hierarchical_modular(
    n_levels: int,
    module_size: int,
    *,
    branching: int = 2,
    p_in: float = 0.5,
    decay: float = 0.25,
    seed: SeedLike = None,
) -> sp.csr_array:
    """Hierarchical modular graph: modules within modules, sparser at each level up.

    The ``n = module_size * branching ** (n_levels - 1)`` nodes are split into
    base modules of ``module_size`` consecutive nodes; ``branching`` modules of
    one level form one module of the next, up to a single module at level
    ``n_levels`` holding every node.  Two nodes whose smallest common module is
    at level ``l`` (1 = the same base module) are linked independently with
    probability ``p_in * decay ** (l - 1)``.  This is the stochastic
    hierarchical-modular model used for cortical networks by Kaiser & Hilgetag
    [1]_ and, with a fixed degree split across levels, by Arenas et al. [2]_;
    Ravasz & Barabási [3]_ give a deterministic relative.

    Parameters
    ----------
    n_levels : int
        Levels of the hierarchy, ``>= 1`` (1 gives one Erdős–Rényi module).
    module_size : int
        Nodes per base module, ``>= 2``.
    branching : int
        Modules of one level per module of the next level, ``>= 2``.
    p_in : float
        Link probability inside a base module, in ``(0, 1]``.
    decay : float
        Factor by which the probability drops per level, in ``[0, 1]``.
    seed : None, int or numpy.random.Generator
        Randomness; the same seed gives the same graph bit for bit.

    Returns
    -------
    scipy.sparse.csr_array
        Boolean symmetric adjacency; node ``i`` is in base module ``i // module_size``.

    Raises
    ------
    TypeError
        If a parameter has a wrong type.
    ValueError
        If a value is out of range, more than ``MAX_EDGES`` edges are expected,
        or the graph would need more memory than is available (refused
        before allocating).

    References
    ----------
    .. [1] M. Kaiser and C. C. Hilgetag, "Optimal hierarchical modular
       topologies for producing limited sustained activation of neural
       networks", Front. Neuroinform. 4, 8 (2010). doi:10.3389/fninf.2010.00008
    .. [2] A. Arenas, A. Díaz-Guilera and C. J. Pérez-Vicente, "Synchronization
       reveals topological scales in complex networks", Phys. Rev. Lett. 96,
       114102 (2006). doi:10.1103/PhysRevLett.96.114102
    .. [3] E. Ravasz and A.-L. Barabási, "Hierarchical organization in complex
       networks", Phys. Rev. E 67, 026112 (2003). doi:10.1103/PhysRevE.67.026112

    Examples
    --------
    >>> A = hierarchical_modular(3, 16, p_in=0.5, decay=0.1, seed=0)
    >>> A.shape
    (64, 64)
    >>> inside = A[:16, :16].nnz / (16 * 15)
    >>> across = A[:32, 32:].nnz / (32 * 32)
    >>> bool(inside > 0.3 and across < 0.05)
    True
    """
    n_levels = check_int(n_levels, "n_levels", min_val=1)
    module_size = check_int(module_size, "module_size", min_val=2)
    branching = check_int(branching, "branching", min_val=2)
    p_in = check_real(p_in, "p_in", min_val=0.0, max_val=1.0, include_min=False)
    decay = check_probability(decay, "decay")
    rng = check_random_state(seed)
    if n_levels - 1 > 64 or module_size * branching ** (n_levels - 1) > 2**31 - 1:
        raise ValueError(
            f"n = module_size * branching ** (n_levels - 1) must be below 2**31, got module_size={module_size}, "
            f"branching={branching}, n_levels={n_levels}"
        )
    n = module_size * branching ** (n_levels - 1)
    # pairs whose smallest common module is at each level, and their probability
    plan = []
    for level in range(1, n_levels + 1):
        groups = branching ** (n_levels - level)
        child = module_size * branching ** (level - 2) if level > 1 else 0
        per_group = module_size * (module_size - 1) // 2 if level == 1 else branching * (branching - 1) // 2 * child**2
        plan.append((level, groups, child, per_group, p_in * decay ** (level - 1)))
    expected = sum(g * pg * p for _, g, _, pg, p in plan)
    if expected > MAX_EDGES:
        raise ValueError(
            f"hierarchical_modular would generate about {expected:.3g} edges (limit {MAX_EDGES}); "
            f"lower n_levels={n_levels}, module_size={module_size}, p_in={p_in} or decay={decay}"
        )
    check_graph_size(n, 2 * expected, name="n = module_size * branching ** (n_levels - 1)")
    rows, cols = [], []
    for level, groups, child, per_group, prob in plan:
        total = groups * per_group
        t = sample_distinct(rng, total, int(rng.binomial(total, prob)))
        g, r = np.divmod(t, per_group)
        if level == 1:
            a, b = pair_from_index(r)
            base = g * module_size
            rows.append(base + a)
            cols.append(base + b)
        else:
            cp, rr = np.divmod(r, child * child)
            x, y = np.divmod(rr, child)
            c1, c2 = pair_from_index(cp)
            base = g * (child * branching)
            rows.append(base + c1 * child + x)
            cols.append(base + c2 * child + y)
    return csr_from_edges(np.concatenate(rows), np.concatenate(cols), n)
