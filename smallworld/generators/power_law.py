"""Placeholder: being written."""

__all__ = ["chung_lu","configuration_power_law"]


def chung_lu(*args, **kwargs):
    raise NotImplementedError


def configuration_power_law(*args, **kwargs):
    raise NotImplementedError
