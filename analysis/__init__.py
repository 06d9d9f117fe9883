"""analysis: small-world metrics, null models, coefficients, degree fits and scoring."""

from analysis.neurons import NeuronGraph, neuron_graph, relational_graph
from analysis.powerlaw import PowerLawComparison, PowerLawFit, fit_power_law

__all__: list[str] = []
__all__ += ["fit_power_law", "PowerLawFit", "PowerLawComparison"]
__all__ += ["neuron_graph", "relational_graph", "NeuronGraph"]
