"""analysis: small-world metrics, null models, coefficients, degree fits and scoring."""

from analysis.clustering import average_clustering, clustering, transitivity
from analysis.coefficients import SmallWorldResult, omega, sigma, small_world_propensity
from analysis.degree_statistics import DegreeStats, degree_stats
from analysis.efficiency import global_efficiency, local_efficiency
from analysis.nulls import (
    AnalyticReference,
    er_reference,
    latticize,
    rewire_degree_preserving,
    rewire_layered,
    ring_lattice_reference,
)
from analysis.paths import PathLength, average_path_length
from analysis.neurons import NeuronGraph, neuron_graph, relational_graph
from analysis.powerlaw import PowerLawComparison, PowerLawFit, fit_power_law
from analysis.report import ScoreReport, score
from analysis.ws_curve import WSCurve, ws_curve

__all__: list[str] = []
__all__ += ["fit_power_law", "PowerLawFit", "PowerLawComparison"]
__all__ += ["neuron_graph", "relational_graph", "NeuronGraph"]
__all__ += ["score", "ScoreReport"]
__all__ += [
    "clustering",
    "average_clustering",
    "transitivity",
    "average_path_length",
    "PathLength",
    "global_efficiency",
    "local_efficiency",
    "degree_stats",
    "DegreeStats",
    "rewire_degree_preserving",
    "latticize",
    "rewire_layered",
    "AnalyticReference",
    "er_reference",
    "ring_lattice_reference",
    "sigma",
    "omega",
    "small_world_propensity",
    "SmallWorldResult",
]
__all__ += ["ws_curve", "WSCurve"]
