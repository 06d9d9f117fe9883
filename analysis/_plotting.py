"""Private helpers for :mod:`analysis.plots`: figures without pyplot, atomic PNG writes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from smallworld._atomic import atomic_open

__all__ = ["new_figure", "save_png", "check_path", "plain_log_ticks", "COLORS", "LINESTYLES", "MARKERS"]

#: Colour-blind-safe palette (Okabe & Ito), cycled by series.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
#: Markers cycled with the colours, so series stay apart in print and for colour-blind readers.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
#: Line styles cycled by a second factor (e.g. the learning rule).
LINESTYLES = ("-", "--", ":", "-.")


def check_path(path: Any) -> Path:
    """Validate an output path (str or os.PathLike ending in ``.png``)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {path!r} of type {type(path).__name__}")
    p = Path(path)
    if p.suffix.lower() != ".png":
        raise ValueError(f"path must name a .png file, got path={str(p)!r}")
    if not p.parent.is_dir():
        raise FileNotFoundError(f"the folder of path={str(p)!r} does not exist")
    return p


def new_figure(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] = (6.4, 4.8), **kw: Any):
    """A matplotlib ``Figure`` with an Agg canvas, outside pyplot's global state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def save_png(fig: Any, path: Path, *, dpi: int = 150) -> Path:
    """Write ``fig`` to ``path`` atomically (a temporary file in the same folder, then ``os.replace``), at
    ``dpi`` (default 150: sharp in a report or on a slide; matplotlib's 100 is screen-only)."""
    with atomic_open(path, binary=True, what="the figure") as fh:
        fig.savefig(fh, format="png", dpi=dpi)
    return path


def plain_log_ticks(ax: Any, which: str = "xy") -> None:
    """Label log axes with plain numbers (``20``, ``0.5``) instead of ``2 × 10^1``."""
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _: f"{v:g}")
    for name in which:
        axis = ax.xaxis if name == "x" else ax.yaxis
        if (ax.get_xscale() if name == "x" else ax.get_yscale()) == "log":
            axis.set_major_formatter(fmt)
            axis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:g}"[0] in "235" else ""))
