"""Placeholder: being written."""

__all__ = ["barabasi_albert","holme_kim","klemm_eguiluz"]


def barabasi_albert(*args, **kwargs):
    raise NotImplementedError


def holme_kim(*args, **kwargs):
    raise NotImplementedError


def klemm_eguiluz(*args, **kwargs):
    raise NotImplementedError
