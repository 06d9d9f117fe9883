"""Seeds and devices for torch code, normalised in one place."""

from __future__ import annotations

import numbers
from typing import Any, Union

import numpy as np
import torch

__all__ = ["TorchSeedLike", "torch_generator", "resolve_device", "seed_int", "apply_function"]

TorchSeedLike = Union[None, int, np.random.Generator, torch.Generator]


def seed_int(seed: Any, name: str = "seed") -> int:
    """Turn ``None | int | numpy.random.Generator | torch.Generator`` into one
    integer seed (fresh entropy for ``None``).

    Examples
    --------
    >>> seed_int(3)
    3
    """
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(seed, torch.Generator):
        return int(torch.randint(0, 2**62, (1,), generator=seed, device=seed.device).item())
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**62))
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{name} must be None, an int, a numpy.random.Generator or a torch.Generator, "
            f"got {seed!r} of type {type(seed).__name__}"
        )
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {name}={seed}")
    return int(seed)


def torch_generator(seed: Any, device: Any = "cpu", name: str = "seed") -> torch.Generator:
    """Return a ``torch.Generator`` on ``device`` for ``seed``.

    A generator on ``device`` is returned as is; one on another device (a CUDA
    generator when the draws happen on the CPU) seeds a new one.  The global
    torch RNG is never touched.

    Examples
    --------
    >>> g1, g2 = torch_generator(0), torch_generator(0)
    >>> bool(torch.equal(torch.rand(3, generator=g1), torch.rand(3, generator=g2)))
    True
    """
    dev = resolve_device(device)
    if isinstance(seed, torch.Generator) and _same_device(seed.device, dev):
        return seed
    g = torch.Generator(device=dev)
    g.manual_seed(seed_int(seed, name))
    return g


def _same_device(a: torch.device, b: torch.device) -> bool:
    if a.type != b.type:
        return False
    if a.type != "cuda":
        return True
    cur = torch.cuda.current_device() if torch.cuda.is_available() else 0
    return (cur if a.index is None else a.index) == (cur if b.index is None else b.index)


def resolve_device(device: Any = None) -> torch.device:
    """Validate a device: ``None`` means cpu; ``"cuda"`` without a GPU is a clear ``ValueError``.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if device is None:
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'mps', got device={device!r}") from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was requested but CUDA is not available on this machine; use 'cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device={device!r} does not exist: this machine has {torch.cuda.device_count()} CUDA device(s)")
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"device={device!r} was requested but MPS is not available on this machine; use 'cpu'")
    elif dev.type != "cpu":
        raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'mps', got device={device!r}")
    return dev


def _direct_apply_parts() -> tuple | None:
    """Private torch names :func:`apply_function` needs (looked up once; None if absent)."""
    try:
        from torch._functorch.utils import unwrap_dead_wrappers
        from torch.autograd.function import _SingleLevelFunction

        return torch._C._are_functorch_transforms_active, unwrap_dead_wrappers, _SingleLevelFunction
    except (ImportError, AttributeError):  # pragma: no cover - other torch versions
        return None


_DIRECT = _direct_apply_parts()


def apply_function(fn: type, *args: Any) -> Any:
    """``fn.apply(*args)`` for an autograd Function with ``setup_context``, minus torch's
    per-call argument binding.

    Once ``setup_context`` is defined, torch's ``Function.apply`` binds the arguments
    through :func:`inspect.signature` on every call (~20-50 us: 40% of a 64-wide
    layer's step).  With positional arguments only there is nothing to bind, so
    outside :mod:`torch.func` transforms and ``torch.compile`` tracing this goes
    straight to the C++ ``apply``, as torch does after binding; otherwise torch's path.
    """
    if not torch.compiler.is_compiling() and _DIRECT is not None and not _DIRECT[0]():
        return super(_DIRECT[2], fn).apply(*_DIRECT[1](args))
    return fn.apply(*args)
