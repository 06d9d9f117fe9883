"""analysis: small-world metrics, null models, coefficients, degree fits and scoring."""

from analysis.powerlaw import PowerLawComparison, PowerLawFit, fit_power_law

__all__: list[str] = []
__all__ += ["fit_power_law", "PowerLawFit", "PowerLawComparison"]
