"""Placeholder: being written."""

__all__ = ["ring_lattice","watts_strogatz","newman_watts_strogatz","connected_watts_strogatz","ws_flex"]


def ring_lattice(*args, **kwargs):
    raise NotImplementedError


def watts_strogatz(*args, **kwargs):
    raise NotImplementedError


def newman_watts_strogatz(*args, **kwargs):
    raise NotImplementedError


def connected_watts_strogatz(*args, **kwargs):
    raise NotImplementedError


def ws_flex(*args, **kwargs):
    raise NotImplementedError
