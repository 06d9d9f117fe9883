"""Shared fixtures: the reference data folder and a device fixture (cpu, and cuda where present)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("SMALLWORLD_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def _devices() -> list:
    params = ["cpu"]
    try:
        import torch

        cuda = torch.cuda.is_available()
    except ImportError:  # pragma: no cover
        cuda = False
    params.append(pytest.param("cuda", marks=pytest.mark.skipif(not cuda, reason="CUDA not available")))
    return params


@pytest.fixture(params=_devices())
def device(request):
    """Parametrises a test over cpu and cuda; the cuda case skips without a GPU."""
    return request.param


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data (the real reference networks); skips if absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data folder not found: {SHARED_DATA}")
    return SHARED_DATA
