"""Placeholder: being written."""

__all__ = ["erdos_renyi"]


def erdos_renyi(*args, **kwargs):
    raise NotImplementedError
