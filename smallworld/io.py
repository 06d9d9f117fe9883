"""Placeholder: being written."""

__all__ = ["read", "write"]


def read(*args, **kwargs):
    raise NotImplementedError


def write(*args, **kwargs):
    raise NotImplementedError
