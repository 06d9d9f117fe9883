"""analysis: small-world metrics, null models, coefficients, degree fits and scoring."""

__all__: list[str] = []
