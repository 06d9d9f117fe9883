"""Scoring of the demo's networks: the neuron graph's C, L, σ, ω and degree fit, via :mod:`analysis`."""

from __future__ import annotations

from typing import Any

import numpy as np

from smallworld._validation import check_random_state

__all__ = ["score_model"]


#: Fewest swaps per edge of omega's lattice references: with 1 (the quick run's half of 2) the
#: lattice keeps C_latt 0.40 for the DAG against 0.66 converged, and omega reads 0.05 instead of 0.42.
OMEGA_MIN_NITER = 5


def omega_niter(niter: int) -> int:
    """Swaps per edge of omega's lattice references for a run with ``niter`` (sigma's)."""
    return max(OMEGA_MIN_NITER, niter // 2)


def score_model(
    model: Any, *, niter: int, nrand: int, n_bootstrap: int, seed: int
) -> tuple[dict[str, Any], Any, np.ndarray]:
    """Score one network as a graph of neurons.

    Every metric is the toolkit's own (:func:`analysis.neuron_graph`,
    :func:`analysis.average_clustering`, :func:`analysis.transitivity`,
    :func:`analysis.average_path_length`, :func:`analysis.sigma`,
    :func:`analysis.omega`, :func:`analysis.fit_power_law`) on the undirected
    neuron graph; disconnected neurons (e.g. input pixels that no mask reads)
    are left out by measuring the largest connected component, and their
    number is reported.  σ uses the mean local clustering, so that it matches
    the ``C`` column.

    Returns
    -------
    (dict, PowerLawFit or None, numpy.ndarray)
        JSON-ready scores, the degree fit (``None`` when the degrees are too
        uniform to fit) and the neurons' degrees in the undirected graph.
    """
    from analysis import (
        average_clustering,
        average_path_length,
        fit_power_law,
        omega,
        sigma,
        transitivity,
    )
    from analysis.neurons import neuron_graph
    from scipy.sparse.csgraph import connected_components

    ng = neuron_graph(model)
    g = ng.undirected()
    n_comp, labels = connected_components(g, directed=False)
    sizes = np.bincount(labels)
    rng = check_random_state(seed)
    s_sigma, s_omega, s_fit = (int(x) for x in rng.integers(0, 2**63 - 1, size=3))
    sig = sigma(g, niter=niter, nrand=nrand, seed=s_sigma, clustering="average", disconnected="lcc")
    om = omega(g, niter=omega_niter(niter), nrand=nrand, seed=s_omega, disconnected="lcc")
    deg = np.asarray(g.sum(axis=1)).ravel().astype(np.int64)
    fit = None
    fit_error = None
    try:
        fit = fit_power_law(deg, n_bootstrap=n_bootstrap, seed=s_fit)
    except ValueError as exc:  # too few distinct degrees (a dense layer): say so instead of a number
        fit_error = str(exc)
    scores = {
        "n": ng.n_neurons,
        "m": int(g.nnz // 2),
        "arcs": ng.n_arcs,
        "layer_sizes": list(ng.layer_sizes),
        "isolated_or_detached_neurons": int(g.shape[0] - sizes.max()),
        "components": int(n_comp),
        "C": float(average_clustering(g)),
        "T": float(transitivity(g)),
        "L": float(average_path_length(g, disconnected="lcc")),
        "sigma": float(sig.value),
        "omega": float(om.value),
        "sigma_detail": sig.to_dict(),
        "omega_detail": om.to_dict(),
        "degree_fit": fit.to_dict() if fit is not None else None,
        "degree_fit_error": fit_error,
        "mean_degree": float(deg.mean()),
        "max_degree": int(deg.max()),
    }
    return scores, fit, deg
