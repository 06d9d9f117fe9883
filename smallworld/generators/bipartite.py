"""Placeholder: being written."""

__all__ = ["bipartite"]


def bipartite(*args, **kwargs):
    raise NotImplementedError
