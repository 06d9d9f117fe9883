"""Placeholder: being written."""

__all__ = ["spatial","hierarchical_modular"]


def spatial(*args, **kwargs):
    raise NotImplementedError


def hierarchical_modular(*args, **kwargs):
    raise NotImplementedError
