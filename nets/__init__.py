"""nets: sparse masked torch layers, graph-wired models, learning rules and training."""

__all__: list[str] = []
