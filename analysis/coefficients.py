"""Small-world coefficients: sigma, omega and small-world propensity.

Each compares a graph's clustering ``C`` and path length ``L`` with those of
reference graphs and returns a :class:`SmallWorldResult` holding the value,
the references' means and spreads and the z-scores, not a bare float.
References are, by default, ensembles of degree-preserving nulls that stay
connected (so that ``L`` is defined), as networkx does; ``null="analytic"``
uses the closed-form ER / ring-lattice values instead (instant, cruder).
The binary pattern is used: weights are ignored.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from analysis._adjacency import index_arrays, is_connected, largest_component, require_undirected
from analysis._nullstate import pattern, swap_budget, undirected_state
from analysis._nullstate import UndirectedState, run_undirected
from analysis._swresult import SmallWorldResult, ensemble, measure, spread, zscore
from analysis.clustering import average_clustering_arrays
from analysis.nulls import er_reference, ring_lattice_reference
from smallworld._validation import check_bool, check_choice, check_int, check_random_state, check_real

__all__ = ["sigma", "omega", "small_world_propensity", "SmallWorldResult", "OMEGA_NITER_MAX", "OMEGA_TOL"]

#: Default cap on the lattice references' swaps per edge when omega continues latticizing.
OMEGA_NITER_MAX = 320
#: Omega has settled when doubling the lattice swaps moves its ``C / C_latt`` term by less than this.
OMEGA_TOL = 0.01

Progress = Callable[[int, int], Any]


def _prepare(g: Any, disconnected: str, what: str) -> tuple[sp.csr_array, bool]:
    """(pattern to measure, whether it is the largest component of a disconnected graph)."""
    check_choice(disconnected, "disconnected", ("raise", "lcc"))
    A = pattern(g)
    require_undirected(A, what)
    if A.shape[0] and not is_connected(A, False):
        if disconnected == "raise":
            raise ValueError(
                f"{what} needs a connected graph (L is undefined otherwise); "
                "pass disconnected='lcc' to measure the largest connected component"
            )
        keep = largest_component(A, False)
        A = A[keep][:, keep]
        reduced = True
    else:
        reduced = False
    undirected_state(A, what)  # size, self-loop and density checks
    return A, reduced


def _check_omega_defined(n: int, m: int, scope: str) -> None:
    """Refuse, in the graph's terms, the graphs whose lattice reference has no triangle.

    ``A`` is connected here (after ``_prepare``), so mean degree ``2m/n < 2``
    means ``m = n - 1``: a tree, whose degree-preserving connected rewirings
    are trees too, so ``C_latt = 0`` for every null.
    """
    k = 2 * m / n
    if m < n:
        raise ValueError(
            f"omega is undefined for {scope}: its mean degree is 2m/n = {k:.4g} (n={n}, m={m}), below 2, "
            "so it is a tree (connected, m = n - 1) with no cycle and no triangle; the analytic ring-lattice "
            "reference needs mean degree >= 2, and every lattice reference with the graph's degrees "
            "(null='rewire') is a tree too, so C_latt = 0 for either null. sigma(g, null='analytic') is "
            "defined (0 for a graph without triangles)"
        )


def _ticker(progress: Progress | None, total: int) -> Callable[[], None]:
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be None or a callable (done, total), got {progress!r}")
    count = [0]

    def tick() -> None:
        count[0] += 1
        if progress is not None:
            progress(count[0], total)

    return tick


def _nonzero(x: float, name: str, what: str, why: str = "the graph is too sparse") -> float:
    if x == 0 or not math.isfinite(x):
        # only sigma has a clustering= choice; omega's C_latt = 0 means no lattice has a triangle
        hint = "; try clustering='average', more nrand, or null='analytic'" if what == "sigma" else ""
        raise ValueError(
            f"{what} is undefined: the reference value {name} = {x}; the references have no triangles "
            f"({why}){hint}"
        )
    return x


def _lattices(
    base: UndirectedState, nrand: int, niter: int, niter_max: int, tol: float | None, C: float,
    rng: np.random.Generator, tick: Callable[[], None],
) -> tuple[np.ndarray, np.ndarray, int, list[tuple[int, float]], bool]:
    """Lattice references, latticized further (swaps per edge doubled) while they still gain clustering.

    Returns (C of each, L of each, swaps per edge done, [(niter, C_latt)] per stage, settled).
    ``C_latt`` is omega's (the largest of the references' and the graph's); the references have
    settled when a doubling moves ``C / C_latt`` by less than ``tol`` (``tol=None``: one stage).
    """
    n, m = base.n, base.m
    states = []
    for _ in range(nrand):
        st = base.copy()
        t, tr = swap_budget(niter, None, None, n, m, per_swap_min=1)
        run_undirected(st, t, tr, rng, lattice=True, connected=True, what="omega")
        states.append(st)
        tick()

    def c_latt() -> tuple[np.ndarray, float]:
        cs = np.array([average_clustering_arrays(st.indptr, st.adj) for st in states])
        return cs, float(max(C, cs.max()))

    cs, cl = c_latt()
    done, history, settled = niter, [(niter, cl)], tol is None or niter == 0
    while not settled and done < niter_max:
        extra = min(done, niter_max - done)
        for st in states:
            t, tr = swap_budget(extra, None, None, n, m, per_swap_min=1)
            run_undirected(st, t, tr, rng, lattice=True, connected=True, what="omega")
        done += extra
        cs, cl_new = c_latt()
        history.append((done, cl_new))
        if cl == 0.0 or cl_new == 0.0:  # no triangle yet: settled only if none appeared
            settled = cl_new == cl
        else:
            settled = C / cl - C / cl_new < tol  # type: ignore[operator]
        cl = cl_new
    ls = np.empty(nrand)
    for i, st in enumerate(states):
        ls[i] = measure(st.indptr, st.adj, "average")[1]
    return cs, ls, done, history, bool(settled)


def sigma(
    g: Any,
    niter: int = 100,
    nrand: int = 10,
    *,
    seed: Any = None,
    clustering: str = "transitivity",
    null: str = "rewire",
    disconnected: str = "raise",
    progress: Progress | None = None,
) -> SmallWorldResult:
    """Small-world coefficient ``sigma = (C / C_rand) / (L / L_rand)``
    (Humphries & Gurney 2008 [1]_); ``sigma > 1`` suggests a small world.

    Clustering: **transitivity** by default (``C^Delta`` of [1]_, and what
    networkx's ``sigma`` computes although its docstring says "average
    clustering"); ``clustering="average"`` uses the mean local clustering.

    Parameters
    ----------
    g : graph-like
        Undirected, connected (see ``disconnected``), no self-loops.
    niter : int
        Swaps per edge for each random reference (networkx's default 100).
    nrand : int
        Random references (>= 1).
    seed : None, int or numpy.random.Generator
        Randomness; the same seed gives the same result.
    clustering : {"transitivity", "average"}
        Which clustering ``C`` means.
    null : {"rewire", "analytic"}
        ``"rewire"``: degree-preserving, connectivity-preserving rewiring
        (Maslov–Sneppen, as networkx's ``random_reference``).  ``"analytic"``:
        ``C_rand = k/n``, ``L_rand = ln n / ln k`` (no spread).
    disconnected : {"raise", "lcc"}
        Refuse a disconnected graph, or measure its largest component.
    progress : callable, optional
        Called as ``progress(done, total)`` after each reference graph (for
        a progress bar, e.g. ``bar = tqdm(total=nrand)`` and
        ``progress=lambda i, t: bar.update(1)``).

    Returns
    -------
    SmallWorldResult

    Raises
    ------
    ValueError
        For a directed or disconnected graph, self-loops, a graph too small
        or too dense to rewire, or ``C_rand = 0``.

    References
    ----------
    .. [1] M. D. Humphries and K. Gurney, "Network 'small-world-ness': a
       quantitative method for determining canonical network equivalence",
       PLoS ONE 3, e0002051 (2008), doi:10.1371/journal.pone.0002051.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.connected_watts_strogatz_graph(200, 8, 0.1, seed=1)
    >>> r = sigma(G, niter=10, nrand=5, seed=0)
    >>> bool(r.value > 2), r.clustering, r.nrand
    (True, 'transitivity', 5)
    """
    check_choice(clustering, "clustering", ("transitivity", "average"))
    check_choice(null, "null", ("rewire", "analytic"))
    nrand = check_int(nrand, "nrand", min_val=1)
    niter = check_int(niter, "niter", min_val=0)
    A, _ = _prepare(g, disconnected, "sigma")
    rng = check_random_state(seed)
    ip, ix = index_arrays(A)
    C, L = measure(ip, ix, clustering)
    n, m = A.shape[0], A.nnz // 2
    if null == "analytic":
        ref = er_reference(n, 2 * m / n)
        cr, crs, lr, lrs = ref.C, None, ref.L, None
        desc = "analytic Erdős–Rényi (C = k/n, L = ln n / ln k)"
        nr, ni = 0, 0
    else:
        base = undirected_state(A, "sigma")
        target, tries = swap_budget(niter, None, None, n, m)
        cs, ls = ensemble(
            base, nrand, target, tries, rng, lattice=False, clustering=clustering, what="sigma",
            tick=_ticker(progress, nrand),
        )  # fmt: skip
        (cr, crs), (lr, lrs) = spread(cs), spread(ls)
        desc = "degree-preserving rewiring, connected (Maslov–Sneppen)"
        nr, ni = nrand, check_int(niter, "niter", min_val=0)
    value = (C / _nonzero(cr, "C_rand", "sigma")) / (L / lr)
    return SmallWorldResult(
        "sigma", float(value), C, L, clustering, desc, nr, ni, n, m,
        C_rand=cr, C_rand_std=crs, L_rand=lr, L_rand_std=lrs, z_C=zscore(C, cr, crs), z_L=zscore(L, lr, lrs),
    )  # fmt: skip


def omega(
    g: Any,
    niter: int = 5,
    nrand: int = 10,
    *,
    seed: Any = None,
    null: str = "rewire",
    disconnected: str = "raise",
    progress: Progress | None = None,
    converge: bool = True,
    niter_max: int = OMEGA_NITER_MAX,
    tol: float = OMEGA_TOL,
) -> SmallWorldResult:
    """Small-world coefficient ``omega = L_rand / L - C / C_latt`` (Telesford
    et al. 2011 [1]_): near 0 small-world, near -1 lattice-like, near +1
    random-like.

    Clustering: **average** (mean local clustering), as in [1]_ and networkx.

    As networkx's ``omega``: the random references get ``2 * niter`` swaps
    per edge and the lattice references ``niter``; ``C_latt`` is the largest
    clustering among the lattice references and the graph itself (so
    ``C / C_latt <= 1``); ``C_latt_std`` reports the lattices' spread.  The
    lattice references use the BCT acceptance rule (see
    :func:`analysis.latticize`), which latticizes more than networkx's.

    Convergence: a few swaps per edge do not make a lattice of a real
    network.  On the C. elegans network of Watts & Strogatz
    (:func:`smallworld.datasets.celegans`, seed 0) ``C_latt`` reads 0.48, 0.56,
    0.63, 0.69, 0.71, 0.73 and omega 0.36, 0.45, 0.50, 0.54, 0.56, 0.57 at
    niter 5, 10, 20, 50, 100, 200: an under-latticized reference has too low
    a clustering, so omega comes out too *low*.  With ``converge=True`` (the
    default) the same lattice references are latticized further, the swaps
    per edge doubled each time, until a doubling moves ``C / C_latt`` (hence
    omega) by less than ``tol``, or ``niter_max`` swaps per edge are done;
    in that case a ``RuntimeWarning`` gives the numbers, and omega is a lower
    bound.  ``niter`` of the result is the lattices' final swaps per edge, and
    ``null`` records the path (``"C_latt 0.56 (niter 10) -> ..."``).
    ``converge=False`` gives networkx's fixed-``niter`` behaviour.

    Parameters
    ----------
    g : graph-like
        Undirected, connected (see ``disconnected``), no self-loops.
    niter : int
        Swaps per edge (lattice; random gets twice as many).
    nrand : int
        Random references and lattice references (each).
    seed : None, int or numpy.random.Generator
        Randomness.
    null : {"rewire", "analytic"}
        ``"analytic"``: ``L_rand = ln n / ln k`` and ring-lattice
        ``C_latt = 3(k-2) / (4(k-1))``, with ``k = 2m/n`` the graph's mean
        degree; needs ``k > 2`` (at ``k = 2`` the ring lattice is a cycle).
    disconnected : {"raise", "lcc"}
        As in :func:`sigma`.
    progress : callable, optional
        ``progress(done, total)`` after each of the ``2 * nrand`` references.
    converge : bool, default True
        Continue latticizing until the lattice clustering settles (see
        Convergence above); ``False``: exactly ``niter`` swaps per edge.
    niter_max : int, default 320
        Cap on the lattices' swaps per edge when ``converge``.
    tol : float, default 0.01
        The largest change of ``C / C_latt`` over a doubling of the swaps
        that counts as settled.

    Returns
    -------
    SmallWorldResult

    Warns
    -----
    RuntimeWarning
        When ``converge`` and the lattice clustering was still rising at
        ``niter_max`` (the message gives ``C_latt`` and omega at each stage).

    Raises
    ------
    ValueError
        As :func:`sigma`; also when ``C_latt = 0``: for a tree (mean
        degree ``2m/n < 2``; no lattice reference with its degrees has a
        triangle, whatever ``null``; the message gives the mean degree), and
        for mean degree exactly 2 with ``null="analytic"``.

    References
    ----------
    .. [1] Q. K. Telesford, K. E. Joyce, S. Hayasaka, J. H. Burdette and
       P. J. Laurienti, "The ubiquity of small-world networks", Brain
       Connectivity 1, 367-375 (2011), doi:10.1089/brain.2011.0038.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.connected_watts_strogatz_graph(200, 8, 0.1, seed=1)
    >>> r = omega(G, nrand=5, seed=0)
    >>> bool(-0.5 < r.value < 0.5), r.clustering
    (True, 'average')
    """
    check_choice(null, "null", ("rewire", "analytic"))
    nrand = check_int(nrand, "nrand", min_val=1)
    niter = check_int(niter, "niter", min_val=0)
    converge = check_bool(converge, "converge")
    niter_max = check_int(niter_max, "niter_max", min_val=niter)
    tol = check_real(tol, "tol", min_val=0.0, include_min=False)
    A, reduced = _prepare(g, disconnected, "omega")
    rng = check_random_state(seed)
    n, m = A.shape[0], A.nnz // 2
    scope = "the graph's largest connected component (disconnected='lcc')" if reduced else "this graph"
    _check_omega_defined(n, m, scope)
    ip, ix = index_arrays(A)
    C, L = measure(ip, ix, "average")
    if null == "analytic":
        k = 2 * m / n
        lr, lrs = er_reference(n, k).L, None
        cl, cls_ = ring_lattice_reference(n, k).C, None
        why = f"mean degree 2m/n = {k:.4g}: the analytic ring lattice of mean degree 2 is a cycle" + (
            "; null='rewire' is defined here, as the graph itself has triangles" if C > 0 else ""
        )
        cr = crs = ll = lls = None
        desc = "analytic (L_rand = ln n / ln k, C_latt = 3(k-2)/(4(k-1)))"
        nr = 0
    else:
        base = undirected_state(A, "omega")
        tick = _ticker(progress, 2 * nrand)
        t_r, tries_r = swap_budget(2 * niter, None, None, n, m)
        crs_, lrs_ = ensemble(
            base, nrand, t_r, tries_r, rng, lattice=False, clustering="average", what="omega", tick=tick
        )
        cls_arr, lls_arr, niter_l, history, settled = _lattices(
            base, nrand, niter, niter_max, tol if converge else None, C, rng, tick
        )
        (cr, crs), (lr, lrs) = spread(crs_), spread(lrs_)
        (_, cls_), (ll, lls) = spread(cls_arr), spread(lls_arr)
        cl = float(max(C, cls_arr.max()))
        why = "the graph is too sparse"
        desc = "random: degree-preserving rewiring; lattice: latticization (both connected)"
        if len(history) > 1:
            path = " -> ".join(f"{c:.4g} (niter {k})" for k, c in history)
            desc += f"; lattice C_latt {path}: " + ("settled" if settled else f"still rising at niter_max={niter_max}")
        if not settled and cl > 0:
            omegas = ", ".join(f"{lr / L - C / c:.3f}" for _, c in history)
            warnings.warn(
                f"omega has not converged: the lattice references' clustering was still rising at "
                f"niter_max={niter_max} swaps per edge (C_latt {', '.join(f'{c:.4f}' for _, c in history)} and "
                f"omega {omegas} at niter {', '.join(str(k) for k, _ in history)}); omega = "
                f"{lr / L - C / cl:.3f} is a lower bound. Raise niter_max to latticize further",
                RuntimeWarning,
                stacklevel=2,
            )
        niter = niter_l
        nr = nrand
    value = lr / L - C / _nonzero(cl, "C_latt", "omega", why)
    return SmallWorldResult(
        "omega", float(value), C, L, "average", desc, nr, niter, n, m,
        C_rand=cr, C_rand_std=crs, L_rand=lr, L_rand_std=lrs, C_latt=cl, C_latt_std=cls_, L_latt=ll,
        L_latt_std=lls, z_C=zscore(C, cr, crs), z_L=zscore(L, lr, lrs),
    )  # fmt: skip


def _ring_lattice_same_m(n: int, m: int) -> sp.csr_array:
    """Ring lattice on n nodes with exactly m edges, nearest distances first."""
    from smallworld._csr import csr_from_edges

    us, vs = [], []
    left, d = m, 1
    while left > 0:
        i = np.arange(n if 2 * d != n else n // 2)
        take = i[:left]
        us.append(take)
        vs.append((take + d) % n)
        left -= take.shape[0]
        d += 1
    return csr_from_edges(np.concatenate(us), np.concatenate(vs), n)


def small_world_propensity(
    g: Any,
    nrand: int = 10,
    niter: int = 10,
    *,
    seed: Any = None,
    disconnected: str = "raise",
    progress: Progress | None = None,
) -> SmallWorldResult:
    """Small-world propensity ``phi = 1 - sqrt((dC^2 + dL^2) / 2)``
    (Muldoon, Bridgeford & Bassett 2016 [1]_), with
    ``dC = (C_latt - C) / (C_latt - C_rand)`` and
    ``dL = (L - L_rand) / (L_latt - L_rand)`` clipped to [0, 1].

    Clustering: **average** (mean local clustering), as in [1]_ for binary
    graphs (weighted graphs are measured on their binary pattern).  Lattice
    reference: the ring lattice with the same n and m (edges placed at the
    shortest ring distances first, Muldoon's construction; deterministic, no
    spread).  Random references: ``nrand`` degree-preserving, connected
    rewirings with ``niter`` swaps per edge (Muldoon shuffle the upper
    triangle instead, which does not keep degrees).

    Parameters
    ----------
    g : graph-like
        Undirected, connected (see ``disconnected``), no self-loops.
    nrand : int
        Random references.
    niter : int
        Swaps per edge per random reference.
    seed : None, int or numpy.random.Generator
        Randomness.
    disconnected : {"raise", "lcc"}
        As in :func:`sigma`.
    progress : callable, optional
        ``progress(done, total)`` after each random reference.

    Returns
    -------
    SmallWorldResult
        ``value`` is phi in [0, 1]; ``delta_C`` and ``delta_L`` are filled.

    Raises
    ------
    ValueError
        As :func:`sigma`; also when ``C_latt == C_rand`` or
        ``L_latt == L_rand`` (phi undefined).

    References
    ----------
    .. [1] S. F. Muldoon, E. W. Bridgeford and D. S. Bassett, "Small-world
       propensity and weighted brain networks", Sci. Rep. 6, 22057 (2016),
       doi:10.1038/srep22057.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.connected_watts_strogatz_graph(200, 8, 0.1, seed=1)
    >>> r = small_world_propensity(G, nrand=5, seed=0)
    >>> bool(r.value > 0.6), r.delta_C is not None
    (True, True)
    """
    nrand = check_int(nrand, "nrand", min_val=1)
    niter = check_int(niter, "niter", min_val=0)
    A, _ = _prepare(g, disconnected, "small_world_propensity")
    rng = check_random_state(seed)
    ip, ix = index_arrays(A)
    C, L = measure(ip, ix, "average")
    n, m = A.shape[0], A.nnz // 2
    lip, lix = index_arrays(_ring_lattice_same_m(n, m))
    cl, ll = measure(lip, lix, "average")
    base = undirected_state(A, "small_world_propensity")
    target, tries = swap_budget(niter, None, None, n, m)
    cs, ls = ensemble(
        base, nrand, target, tries, rng, lattice=False, clustering="average", what="small_world_propensity",
        tick=_ticker(progress, nrand),
    )  # fmt: skip
    (cr, crs), (lr, lrs) = spread(cs), spread(ls)
    if cl == cr or ll == lr:
        raise ValueError(
            "small_world_propensity is undefined: the lattice and random references have the same "
            f"clustering or path length (C_latt={cl:.4g}, C_rand={cr:.4g}, L_latt={ll:.4g}, L_rand={lr:.4g})"
        )
    dc = float(np.clip((cl - C) / (cl - cr), 0.0, 1.0))
    dl = float(np.clip((L - lr) / (ll - lr), 0.0, 1.0))
    phi = 1.0 - math.sqrt((dc**2 + dl**2) / 2.0)
    return SmallWorldResult(
        "small_world_propensity", phi, C, L, "average",
        "random: degree-preserving rewiring (connected); lattice: ring lattice with the same n and m",
        nrand, niter, n, m, C_rand=cr, C_rand_std=crs, L_rand=lr, L_rand_std=lrs, C_latt=cl, L_latt=ll,
        z_C=zscore(C, cr, crs), z_L=zscore(L, lr, lrs), delta_C=dc, delta_L=dl,
    )  # fmt: skip
