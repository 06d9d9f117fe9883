"""Figures of the toolkit, written as PNG files.

Every function draws on a fresh matplotlib ``Figure`` with the Agg canvas
(never pyplot's global state, so it is safe in threads and headless runs),
writes it atomically (temporary file in the same folder, then ``os.replace``)
and returns the path.  matplotlib is imported inside the functions, so
``import analysis`` stays light.

- :func:`plot_ws_curve` — Watts & Strogatz (1998) Fig. 2 from :func:`analysis.ws_curve`;
- :func:`plot_degree_ccdf` — log-log degree CCDFs with the power-law fits;
- :func:`plot_masks` — connectivity masks as images;
- :func:`plot_training_curves` — accuracy and loss per epoch, one column per learning rule;
- :func:`plot_alignment` — feedback-alignment angles per layer over training.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analysis._plotting import COLORS, MARKERS, check_path, new_figure, plain_log_ticks, save_png
from analysis._plots_dendritic import plot_dendritic_trace
from analysis._plots_topology import plot_topology_over_training
from analysis._plots_training import plot_alignment, plot_training_curves
from analysis.ws_curve import WSCurve, barrat_weigt
from smallworld._validation import check_int

__all__ = [
    "plot_ws_curve", "plot_degree_ccdf", "plot_masks", "plot_training_curves", "plot_alignment", "plot_topology_over_training",
    "plot_dendritic_trace",
]  # fmt: skip

PathLike = str | os.PathLike


def plot_ws_curve(curve: WSCurve, path: PathLike, *, title: str | None = None, theory: bool = True) -> Path:
    """Plot ``C(p)/C(0)`` and ``L(p)/L(0)`` against ``p`` on a log axis (Watts & Strogatz 1998, Fig. 2).

    Parameters
    ----------
    curve : WSCurve
        Result of :func:`analysis.ws_curve`.
    path : str or os.PathLike
        Output ``.png`` file; its folder must exist.  Replaced atomically.
    title : str, optional
        Figure title; by default it states ``n``, ``k`` and the number of realisations.
    theory : bool, default True
        Also draw the mean-field clustering ``(1 - p)^3`` of Barrat & Weigt (2000).

    Returns
    -------
    pathlib.Path
        ``path``; a 640 x 480 PNG.

    Raises
    ------
    TypeError
        If ``curve`` is not a :class:`WSCurve` or ``path`` is not path-like.
    ValueError
        If ``path`` does not end in ``.png``.

    References
    ----------
    .. [1] D. J. Watts and S. H. Strogatz, Nature 393, 440–442 (1998). https://doi.org/10.1038/30918

    Examples
    --------
    >>> import tempfile, os
    >>> from analysis.ws_curve import ws_curve
    >>> c = ws_curve(100, 6, [0.01, 0.1, 1.0], seeds=1, seed=0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = plot_ws_curve(c, os.path.join(d, "ws.png"))
    ...     out.read_bytes()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    if not isinstance(curve, WSCurve):
        raise TypeError(f"curve must be a WSCurve (from analysis.ws_curve), got {type(curve).__name__}")
    path = check_path(path)
    fig, axes = new_figure()
    ax = axes[0, 0]
    ps = curve.ps
    ax.errorbar(ps, curve.C_norm, yerr=curve.C_norm_sd, fmt="s", color=COLORS[0], ms=6, capsize=2,
                mfc="none", label="C(p) / C(0)  (mean clustering ± sd)")
    ax.errorbar(ps, curve.L_norm, yerr=curve.L_norm_sd, fmt="o", color=COLORS[1], ms=6, capsize=2,
                label="L(p) / L(0)  (mean path length ± sd)")
    if theory:
        grid = np.logspace(np.log10(ps.min()), np.log10(ps.max()), 200)
        ax.plot(grid, barrat_weigt(grid), ls="--", lw=1, color=COLORS[0], alpha=0.7,
                label="(1 − p)³  (Barrat & Weigt 2000)")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.08)
    ax.set_xlabel("rewiring probability p")
    ax.set_ylabel("value relative to the ring lattice (p = 0)")
    ax.set_title(title or f"Watts–Strogatz small-world regime (n={curve.n}, k={curve.k}, "
                 f"mean of {curve.seeds} graph{'s' if curve.seeds > 1 else ''} per p)", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower left", fontsize=9)
    return save_png(fig, path)


def _ccdf(deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Empirical ``P(K >= k)`` at each distinct positive degree."""
    x, counts = np.unique(deg, return_counts=True)
    tail = np.cumsum(counts[::-1])[::-1] / deg.size
    return x, tail


def _fit_params(fit: Any, name: str) -> tuple[float, float, bool, float | None]:
    """``(alpha, xmin, discrete, p_value)`` from a power-law fit result (a PowerLawFit or a mapping)."""
    get = fit.get if isinstance(fit, Mapping) else lambda k, d=None: getattr(fit, k, d)
    alpha, xmin = get("alpha"), get("xmin")
    if alpha is None or xmin is None:
        raise TypeError(f"fits[{name!r}] must have 'alpha' and 'xmin' (a fit_power_law result), got {fit!r}")
    return float(alpha), float(xmin), bool(get("discrete", True)), get("p_value")


def _fit_ccdf(alpha: float, xmin: float, discrete: bool, x: np.ndarray) -> np.ndarray:
    """``P(X >= x | X >= xmin)`` of the fitted power law (discrete: Hurwitz zeta; continuous: (x/xmin)^(1-alpha))."""
    from scipy.special import zeta

    if discrete:
        return zeta(alpha, x) / zeta(alpha, xmin)
    return (x / xmin) ** (1.0 - alpha)


def plot_degree_ccdf(
    degrees: Mapping[str, Any],
    path: PathLike,
    *,
    fits: Mapping[str, Any] | None = None,
    title: str = "Degree distributions (complementary CDF)",
    xlabel: str = "degree k",
) -> Path:
    """Plot log-log degree CCDFs ``P(K >= k)`` with their discrete power-law fits.

    The fitted line of a discrete power law with exponent ``alpha`` above
    ``xmin`` is ``P(K >= k) = f * zeta(alpha, k) / zeta(alpha, xmin)``, where
    ``zeta`` is the Hurwitz zeta function and ``f`` the fraction of degrees
    ``>= xmin`` (Clauset, Shalizi & Newman 2009, eq. 2.7), drawn dashed in the
    series' colour from ``xmin`` to the largest degree (a continuous fit,
    ``discrete=False``, is drawn as ``f * (k / xmin)^(1 - alpha)``).

    Parameters
    ----------
    degrees : mapping of str to array_like of int
        One degree sequence per series (legend label).  Zero degrees cannot
        appear on a log axis; they are left out of the curve (the CCDF is still
        normalised by the full sequence length).
    path : str or os.PathLike
        Output ``.png`` file (1350 x 810 pixels), replaced atomically.
    fits : mapping of str to fit result, optional
        Per series, an object or mapping with ``alpha``, ``xmin`` and optionally
        ``discrete`` (default true) — e.g. the :class:`analysis.powerlaw.PowerLawFit`
        of :func:`analysis.fit_power_law`; series without a fit get no line, and
        neither does a fit that is not ``assessable`` (its exponent is withheld,
        e.g. a tail spanning less than a decade): the legend says so instead.
    title, xlabel : str
        Title and x-axis label.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    TypeError
        If ``degrees`` is not a mapping or a fit lacks ``alpha``/``xmin``.
    ValueError
        If ``degrees`` is empty, a sequence is empty, negative, not integral or
        has no positive degree, or a fit names a series that is not plotted.

    References
    ----------
    .. [1] A. Clauset, C. R. Shalizi and M. E. J. Newman, "Power-law distributions in
       empirical data", SIAM Review 51, 661–703 (2009). https://doi.org/10.1137/070710111

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = plot_degree_ccdf({"toy": [1, 1, 2, 3, 8]}, os.path.join(d, "deg.png"),
    ...                            fits={"toy": {"alpha": 2.5, "xmin": 1}})
    ...     out.stat().st_size > 0
    True
    """
    if not isinstance(degrees, Mapping):
        raise TypeError(f"degrees must be a mapping of label -> degree sequence, got {type(degrees).__name__}")
    if not degrees:
        raise ValueError("degrees must contain at least one series, got an empty mapping")
    fits = dict(fits or {})
    unknown = set(fits) - set(degrees)
    if unknown:
        raise ValueError(f"fits names series not in degrees: {sorted(unknown)!r}")
    path = check_path(path)
    fig, axes = new_figure(figsize=(9.0, 5.4))
    ax = axes[0, 0]
    for i, (label, deg) in enumerate(degrees.items()):
        d = np.asarray(deg)
        if d.ndim != 1 or d.size == 0 or d.dtype.kind not in "iub" and not np.all(np.mod(d, 1) == 0):
            raise ValueError(f"degrees[{label!r}] must be a non-empty 1-D sequence of integers")
        d = d.astype(np.int64)
        if d.min() < 0:
            raise ValueError(f"degrees[{label!r}] must be non-negative, got min {d.min()}")
        if d.max() == 0:
            raise ValueError(f"degrees[{label!r}] has no positive degree: nothing to draw on a log axis")
        x, tail = _ccdf(d)
        keep = x > 0
        color, marker = COLORS[i % len(COLORS)], MARKERS[i % len(MARKERS)]
        fit = fits.get(label)
        get = (fit.get if isinstance(fit, Mapping) else lambda k, default=None: getattr(fit, k, default))
        shown = fit is not None and bool(get("assessable", True))
        withheld = "" if fit is None or shown else " (power-law fit withheld)"
        ax.plot(x[keep], tail[keep], marker, ls="none", ms=3.2, color=color, alpha=0.8, mfc="none" if i % 2 else color,
                label=f"{label}{withheld}")
        if shown:
            alpha, xmin, discrete, pval = _fit_params(fit, str(label))
            grid = np.geomspace(max(xmin, 1), max(d.max(), xmin + 1), 100)
            grid = np.unique(np.round(grid)) if discrete else grid
            frac = np.mean(d >= xmin)
            ax.plot(grid, frac * _fit_ccdf(alpha, xmin, discrete, grid), "--", lw=1.5, color=color,
                    label=f"  fit α = {alpha:.2f}, k_min = {xmin:g}" + ("" if pval is None else f", p = {pval:.2f}"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("P(K ≥ k)")
    plain_log_ticks(ax, "x")
    ax.set_title(title, fontsize=11)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left", framealpha=0.85)  # inside the axes: the plot keeps its width
    return save_png(fig, path)


def plot_masks(
    masks: Mapping[str, Sequence[Any]],
    path: PathLike,
    *,
    title: str = "Connectivity masks (black = connection)",
    max_cols: int = 4,
    panel_titles: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """Draw connectivity masks as images: one row per wiring, one panel per layer.

    Cells are square and of one size across a row, so every panel keeps its
    mask's true shape (a 10 x 128 readout is a strip beside a 128 x 128
    layer); a row whose masks are all fully connected is drawn at half height.

    Parameters
    ----------
    masks : mapping of str to sequence of 2-D array_like
        Per wiring (row label), its masks in layer order, each of shape
        ``(out_features, in_features)`` (the ``torch.nn.Linear`` weight layout;
        numpy, scipy sparse or torch).  Nonzero = connection.
    path : str or os.PathLike
        Output ``.png`` file, replaced atomically.
    title : str
        Figure title.
    max_cols : int, default 4
        Panels per row; further layers are left out (the panel title says so).
    panel_titles : mapping of str to sequence of str, optional
        Per wiring, a name for each panel instead of ``layer 1``, ``layer 2``, ...

    Returns
    -------
    pathlib.Path

    Raises
    ------
    TypeError
        If ``masks`` is not a mapping.
    ValueError
        If it is empty, a wiring has no masks, a mask is not 2-D, or
        ``max_cols < 1``.

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = plot_masks({"eye": [np.eye(4), np.ones((2, 4))]}, os.path.join(d, "m.png"))
    ...     out.exists()
    True
    """
    if not isinstance(masks, Mapping):
        raise TypeError(f"masks must be a mapping of label -> sequence of masks, got {type(masks).__name__}")
    if not masks:
        raise ValueError("masks must contain at least one wiring, got an empty mapping")
    rows = {str(k): [_dense_bool(m, f"masks[{k!r}][{j}]") for j, m in enumerate(v)] for k, v in masks.items()}
    for k, v in rows.items():
        if not v:
            raise ValueError(f"masks[{k!r}] must hold at least one mask")
    max_cols = check_int(max_cols, "max_cols", min_val=1)
    ncols = min(max(len(v) for v in rows.values()), max_cols)
    path = check_path(path)
    # Square cells of one size across a row (panel widths follow the masks' input counts), so a 10 x 128
    # readout is the thin strip it is beside its 128 x 128 hidden layer; the tallest panel of a row is at
    # most 3.2 in, and a row of all-connected masks (a dense MLP: nothing to see) at most 1.6 in.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    width = 2.7 * ncols + 0.6
    plan = []
    for label, ms in rows.items():
        shown = ms[:ncols]
        cols = [m.shape[1] for m in shown]
        tallest = max(m.shape[0] for m in shown)
        cell = min((width - 0.9 * len(shown)) / sum(cols), (1.6 if all(m.all() for m in ms) else 3.2) / tallest)
        plan.append((label, ms, cols, cell * tallest + 0.9))
    fig = Figure(figsize=(width, sum(h for *_, h in plan) + 0.5), layout="constrained")
    FigureCanvasAgg(fig)
    subfigs = fig.subfigures(len(plan), 1, height_ratios=[h for *_, h in plan], squeeze=False)[:, 0]
    for sub, (label, ms, cols, _) in zip(subfigs, plan):
        ratios = cols + [max(cols) * 0.25] * (ncols - len(cols))  # empty slots stay narrow
        axes = sub.subplots(1, ncols, width_ratios=ratios, squeeze=False)[0]
        sub.suptitle(label, fontsize=9, fontweight="bold")
        for c in range(ncols):
            ax = axes[c]
            if c >= len(ms):
                ax.set_axis_off()
                continue
            m = ms[c]
            ax.imshow(m, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest", aspect="equal")
            more = f" (+{len(ms) - ncols} more)" if c == ncols - 1 and len(ms) > ncols else ""
            names = (panel_titles or {}).get(label)
            name = names[c] if names is not None and c < len(names) else f"layer {c + 1}"
            ax.set_title(f"{name}{more}\n{m.shape[0]}×{m.shape[1]}, {m.mean():.1%} of the cells", fontsize=8)
            ax.set_xlabel("input unit", fontsize=8)
            ax.set_ylabel("output unit", fontsize=8)
            ax.tick_params(labelsize=7)
            if m.shape[0] <= 16:
                ax.set_yticks([0, m.shape[0] - 1])
    fig.suptitle(title, fontsize=11)
    return save_png(fig, path)


def _dense_bool(m: Any, name: str) -> np.ndarray:
    if hasattr(m, "toarray"):
        m = m.toarray()
    elif type(m).__module__.split(".")[0] == "torch":
        import torch

        m = m.detach().cpu()
        m = (m if m.layout == torch.strided else m.to_dense()).numpy()
    arr = np.asarray(m)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (out_features, in_features), got shape {arr.shape}")
    return arr != 0
