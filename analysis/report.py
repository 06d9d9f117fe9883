"""One call that scores a graph or a neural network for small-world-ness.

:func:`score` measures everything the toolkit knows about a graph — size,
density, degrees and their power-law fit, clustering, transitivity, path
length, efficiency, and the small-world coefficients sigma, omega and the
small-world propensity with their null ensembles — and returns a
:class:`ScoreReport` that prints as an aligned table and serialises to JSON.

A torch model (or anything with ``__neuron_graph__``) is scored through its
neuron graph (:func:`analysis.neuron_graph`), in its *undirected view*: the
arc ``i -> j`` becomes the edge ``i -- j``.  The report says so.
"""

from __future__ import annotations

import json
import numbers
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from analysis._report_format import jsonable, render_table
from analysis.clustering import average_clustering, transitivity
from analysis.coefficients import SmallWorldResult, omega, sigma, small_world_propensity
from analysis.degree_statistics import DegreeStats, degree_stats
from analysis.efficiency import global_efficiency
from analysis.neurons import NeuronGraph, neuron_graph
from analysis.paths import average_path_length
from analysis.powerlaw import PowerLawFit, _bound_hit, fit_power_law
from smallworld._graph import as_graph, is_directed
from smallworld._validation import check_choice, check_int, check_random_state

__all__ = ["score", "ScoreReport", "REWIRE_LIMIT"]

#: Above this many edges, ``null="auto"`` switches sigma and omega to the
#: analytic references and skips the small-world propensity: connectivity-
#: preserving rewiring costs about ``m`` times a BFS per reference there.
REWIRE_LIMIT = 20_000


@dataclass(frozen=True)
class ScoreReport:
    """Everything :func:`score` measured.  ``str()`` is a table, ``to_json()`` JSON.

    Attributes
    ----------
    source : str
        What was scored.
    view : str
        Which graph the metrics describe (e.g. the undirected view of a
        neuron graph, or the largest component for L).
    n, m : int
        Nodes and (undirected) edges scored.
    density : float
        ``2 m / (n (n - 1))``.
    degree : DegreeStats
        Degree statistics of the scored graph.
    power_law : PowerLawFit or None
        Fit of the degree distribution (``None``: see ``reasons["power_law"]``);
        ``power_law.assessable`` is false, and every comparison's verdict
        ``"not_assessable"``, when the tail has too few distinct degrees.
    C, T : float
        Average clustering (degree < 2 nodes count 0) and transitivity.
    L : float or None
        Average shortest-path length under ``L_policy``.
    L_policy : str
        The ``disconnected`` policy used for ``L`` (``"lcc"``, ``"raise"`` or
        ``"harmonic"``) and whether it applied.
    efficiency : float
        Global efficiency (mean of ``1/d`` over ordered pairs).
    sigma, omega, swp : SmallWorldResult or None
        The coefficients with their reference means, spreads and z-scores.
    layer_sizes : tuple of int or None
        Neurons per layer when a model was scored.
    settings : dict
        ``niter``, ``nrand``, ``null``, ``n_bootstrap``, ``seed``.
    notes : tuple of str
        Every choice made on the user's behalf (symmetrisation, dropped
        self-loops, reduced null ensembles, ...) and every withheld or
        flagged power-law verdict.
    reasons : dict
        Why a value is ``None``, keyed by the field name.
    """

    source: str
    view: str
    n: int
    m: int
    density: float
    degree: DegreeStats
    power_law: PowerLawFit | None
    C: float
    T: float
    L: float | None
    L_policy: str
    efficiency: float
    sigma: SmallWorldResult | None
    omega: SmallWorldResult | None
    swp: SmallWorldResult | None
    layer_sizes: tuple[int, ...] | None = None
    settings: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    reasons: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary: numpy types become Python numbers; a
        non-finite number becomes ``None`` with its reason in ``reasons``."""
        raw = {
            "source": self.source, "view": self.view, "n": self.n, "m": self.m, "density": self.density,
            "layer_sizes": list(self.layer_sizes) if self.layer_sizes is not None else None,
            "degree": self.degree.to_dict(),
            "power_law": self.power_law.to_dict() if self.power_law is not None else None,
            "C": self.C, "T": self.T, "L": self.L, "L_policy": self.L_policy, "efficiency": self.efficiency,
            "sigma": self.sigma.to_dict() if self.sigma is not None else None,
            "omega": self.omega.to_dict() if self.omega is not None else None,
            "swp": self.swp.to_dict() if self.swp is not None else None,
            "settings": dict(self.settings), "notes": list(self.notes),
        }  # fmt: skip
        reasons = dict(self.reasons)
        out = jsonable(raw, "", reasons)
        out["reasons"] = reasons
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """The report as a JSON string (strict JSON: no NaN or Infinity)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def __str__(self) -> str:
        return render_table(self)


def _coerce(x: Any, directed_policy: str, notes: list[str]) -> tuple[sp.csr_array, str, str, tuple[int, ...] | None]:
    """(undirected binary adjacency, source, view, layer_sizes)."""
    torch = sys.modules.get("torch")
    is_model = isinstance(x, NeuronGraph) or hasattr(x, "__neuron_graph__") or (
        torch is not None and isinstance(x, torch.nn.Module)
    )
    if is_model:
        ng = x if isinstance(x, NeuronGraph) else neuron_graph(x)
        name = "NeuronGraph" if isinstance(x, NeuronGraph) else type(x).__name__
        source = f"neural network {name}: neuron graph, {ng.n_neurons} neurons, {ng.n_arcs} connections"
        view = "undirected view of the directed neuron graph (arc i->j scored as edge i--j)"
        notes.append("a model is scored through its neuron graph in its undirected view")
        return ng.undirected(), source, view, ng.layer_sizes
    A = as_graph(x)
    source = f"graph ({type(x).__name__})"
    view = "the graph as given"
    if is_directed(A):
        if directed_policy == "raise":
            raise ValueError(
                "score needs an undirected graph and got a directed one; pass directed_policy='symmetrize' "
                "to score its undirected view (an edge wherever an arc exists)"
            )
        A = as_graph(A, directed=False)
        view = "undirected view of a directed graph (an edge wherever an arc exists)"
        notes.append("directed input symmetrised (directed_policy='symmetrize')")
    return A, source, view, None


def _binary_simple(A: sp.csr_array, notes: list[str]) -> sp.csr_array:
    if A.dtype != bool:
        notes.append("weights ignored: the binary pattern is scored")
        A = A.astype(bool)
    loops = int(A.diagonal().sum())
    if loops:
        A = A.tolil()
        A.setdiag(False)
        A = sp.csr_array(A)
        A.eliminate_zeros()
        notes.append(f"{loops} self-loop(s) ignored")
    return A


def _attempt(fn: Callable[[], Any], key: str, reasons: dict) -> Any:
    try:
        return fn()
    except ValueError as exc:
        reasons[key] = str(exc)
        return None


def _power_law_notes(fit: PowerLawFit) -> list[str]:
    """Why the power-law verdicts are withheld or flagged, in the report's words."""
    out = []
    if fit.verdict_reason is not None:
        out.append(
            f"power-law fit not assessable: {fit.verdict_reason}; no goodness-of-fit p and no "
            "likelihood-ratio verdict are given"
        )
    for c in fit.comparisons:
        if c.at_bound:
            what = "verdict withheld" if not c.assessable else f"{c.distribution} preferred even so"
            out.append(
                f"power law vs {c.distribution}: the {c.distribution} fit stopped at its search bound "
                f"({_bound_hit(c.distribution, c.params)}), short of its maximum likelihood; {what}"
            )
    return out


def score(
    x: Any,
    *,
    niter: int = 10,
    nrand: int = 10,
    seed: int | np.random.Generator | None = None,
    progress: bool | Callable[[int, int], Any] = False,
    directed_policy: str = "symmetrize",
    disconnected: str = "lcc",
    null: str = "auto",
    n_bootstrap: int = 1000,
    name: str | None = None,
) -> ScoreReport:
    """Score a graph or a neural network for small-world-ness.

    Parameters
    ----------
    x : graph-like, torch.nn.Module, NeuronGraph or object with ``__neuron_graph__``
        Anything :func:`smallworld.as_graph` accepts, or a model (scored
        through :func:`analysis.neuron_graph`, undirected view).
    niter : int, default 10
        Swaps per edge for each rewired reference (omega gives its random
        references twice as many, as networkx does).  10 mixes a
        degree-preserving null well; networkx's ``sigma`` default is 100.
    nrand : int, default 10
        Reference graphs per ensemble.
    seed : None, int or numpy.random.Generator
        Randomness of the null ensembles and the power-law bootstrap.
    progress : bool or callable, default False
        ``True``: tqdm bars over the null ensemble and the power-law
        bootstrap; a callable is called as ``progress(done, total)`` after
        each reference graph of the null ensemble.
    directed_policy : {"symmetrize", "raise"}
        What to do with a directed graph: score its undirected view (noted
        in the report) or refuse.  Models are always scored undirected.
    disconnected : {"lcc", "raise", "harmonic"}
        Policy for ``L`` on a disconnected graph (see
        :func:`analysis.average_path_length`); the coefficients use the
        largest component unless ``"raise"``.
    null : {"auto", "rewire", "analytic"}
        References: ``"rewire"`` ensembles, ``"analytic"`` ER / ring-lattice
        formulas (sigma and omega only; the propensity is then skipped), or
        ``"auto"``: rewire up to :data:`REWIRE_LIMIT` edges, analytic above
        (noted in the report).
    n_bootstrap : int, default 1000
        Bootstrap replicates of the power-law goodness of fit (0: skip).
        A tail with fewer than :data:`analysis.powerlaw.MIN_TAIL_DISTINCT`
        distinct degrees (a dense MLP's) gets no goodness of fit and no
        likelihood-ratio verdict (``"not_assessable"``), and an alternative
        fit that stops at its search bound is flagged; the notes say so.
    name : str, optional
        What is scored, shown first in the report's ``source``.

    Returns
    -------
    ScoreReport

    Raises
    ------
    TypeError
        For input that is neither a graph nor a supported model.
    ValueError
        For fewer than 3 nodes or no edge, a directed graph with
        ``directed_policy="raise"``, a disconnected graph with
        ``disconnected="raise"``, or a bad argument value.

    Examples
    --------
    >>> import smallworld as sw
    >>> from analysis import score
    >>> r = score(sw.watts_strogatz(200, 8, 0.1, seed=1), niter=2, nrand=3, seed=0, n_bootstrap=0)
    >>> bool(r.sigma.value > 1), r.n, r.m
    (True, 200, 800)
    """
    niter = check_int(niter, "niter", min_val=0)
    nrand = check_int(nrand, "nrand", min_val=1)
    n_bootstrap = check_int(n_bootstrap, "n_bootstrap", min_val=0)
    check_choice(directed_policy, "directed_policy", ("symmetrize", "raise"))
    check_choice(disconnected, "disconnected", ("lcc", "raise", "harmonic"))
    check_choice(null, "null", ("auto", "rewire", "analytic"))
    if not (progress is True or progress is False or callable(progress)):
        raise TypeError(f"progress must be True, False or a callable (done, total), got {progress!r}")
    rng = check_random_state(seed)

    notes: list[str] = []
    reasons: dict[str, str] = {}
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a string or None, got {type(name).__name__}")
    A, source, view, layer_sizes = _coerce(x, directed_policy, notes)
    if name:
        source = f"{name}: {source}"
    A = _binary_simple(A, notes)
    n, m = A.shape[0], A.nnz // 2
    if n < 3 or m == 0:
        raise ValueError(f"score needs a graph with at least 3 nodes and 1 edge, got n={n}, m={m}")

    null_used = null
    if null == "auto":
        null_used = "rewire" if m <= REWIRE_LIMIT else "analytic"
        if null_used == "analytic":
            notes.append(
                f"m = {m} > {REWIRE_LIMIT}: sigma and omega use analytic ER / ring-lattice references "
                "(no spread) and the small-world propensity is skipped; pass null='rewire' to force ensembles"
            )
    coef_policy = "raise" if disconnected == "raise" else "lcc"

    deg = np.diff(A.indptr)
    fit = _attempt(
        lambda: fit_power_law(deg, n_bootstrap=n_bootstrap, seed=rng, progress=progress is True), "power_law", reasons
    )

    if fit is not None:
        notes.extend(_power_law_notes(fit))

    L_res = average_path_length(A, disconnected=disconnected)
    ncomp = csgraph.connected_components(A, directed=False)[0]
    policy_txt = disconnected if ncomp > 1 else f"{disconnected} (graph connected: not needed)"
    if ncomp > 1:
        notes.append(f"graph has {ncomp} connected components; L uses disconnected='{disconnected}'")

    n_refs = (nrand + 2 * nrand + nrand) if null_used == "rewire" else 0
    bar = None
    if n_refs and progress is True:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_refs, desc="null ensemble", unit="graph")
    done = [0]

    def tick(_i: int, _t: int) -> None:
        done[0] += 1
        if bar is not None:
            bar.update(1)
        elif callable(progress):
            progress(done[0], n_refs)

    try:
        common = dict(seed=rng, null=null_used, disconnected=coef_policy, progress=tick)
        s = _attempt(lambda: sigma(A, niter=niter, nrand=nrand, **common), "sigma", reasons)
        o = _attempt(lambda: omega(A, niter=niter, nrand=nrand, **common), "omega", reasons)
        if null_used == "rewire":
            w = _attempt(
                lambda: small_world_propensity(A, nrand=nrand, niter=niter, seed=rng, disconnected=coef_policy,
                                               progress=tick), "swp", reasons)  # fmt: skip
        else:
            w = None
            reasons["swp"] = "small-world propensity needs rewired random references (null='analytic' in use)"
    finally:
        if bar is not None:
            bar.close()

    return ScoreReport(
        source=source, view=view, n=n, m=m, density=2.0 * m / (n * (n - 1)), degree=degree_stats(A),
        power_law=fit, C=float(average_clustering(A)), T=float(transitivity(A)), L=float(L_res),
        L_policy=policy_txt, efficiency=float(global_efficiency(A)), sigma=s, omega=o, swp=w,
        layer_sizes=layer_sizes,
        settings={"niter": niter, "nrand": nrand, "null": null_used, "n_bootstrap": n_bootstrap,
                  "seed": int(seed) if isinstance(seed, numbers.Integral) else None if seed is None else repr(seed)},
        notes=tuple(notes), reasons=reasons,
    )  # fmt: skip

