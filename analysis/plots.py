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

from analysis._plotting import COLORS, LINESTYLES, check_path, new_figure, save_png
from analysis.ws_curve import WSCurve, barrat_weigt

__all__ = ["plot_ws_curve", "plot_degree_ccdf", "plot_masks", "plot_training_curves", "plot_alignment"]

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


def _plain_log_ticks(ax: Any, which: str = "xy") -> None:
    """Label log axes with plain numbers (``20``, ``0.5``) instead of ``2 × 10^1``."""
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _: f"{v:g}")
    for name in which:
        axis = ax.xaxis if name == "x" else ax.yaxis
        if (ax.get_xscale() if name == "x" else ax.get_yscale()) == "log":
            axis.set_major_formatter(fmt)
            axis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:g}"[0] in "235" else ""))


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
        Output ``.png`` file (900 x 540 pixels), replaced atomically.
    fits : mapping of str to fit result, optional
        Per series, an object or mapping with ``alpha``, ``xmin`` and optionally
        ``discrete`` (default true) — e.g. the :class:`analysis.powerlaw.PowerLawFit`
        of :func:`analysis.fit_power_law`; series without a fit get no line.
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
        If ``degrees`` is empty, a sequence is empty, negative or not integral,
        or a fit names a series that is not plotted.

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
        x, tail = _ccdf(d)
        keep = x > 0
        color = COLORS[i % len(COLORS)]
        ax.plot(x[keep], tail[keep], "o", ms=3.5, color=color, alpha=0.85, label=str(label))
        if label in fits:
            alpha, xmin, discrete, pval = _fit_params(fits[label], str(label))
            grid = np.geomspace(max(xmin, 1), max(d.max(), xmin + 1), 100)
            grid = np.unique(np.round(grid)) if discrete else grid
            frac = np.mean(d >= xmin)
            ax.plot(grid, frac * _fit_ccdf(alpha, xmin, discrete, grid), "--", lw=1.5, color=color,
                    label=f"  power-law fit: α = {alpha:.2f}, k_min = {xmin:g}"
                    + ("" if pval is None else f", GoF p = {pval:.2f}"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("P(K ≥ k)")
    _plain_log_ticks(ax, "x")
    ax.set_title(title, fontsize=11)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
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
        If it is empty, a wiring has no masks or a mask is not 2-D.

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
    ncols = min(max(len(v) for v in rows.values()), max_cols)
    path = check_path(path)
    fig, axes = new_figure(len(rows), ncols, figsize=(2.7 * ncols + 0.6, 2.5 * len(rows) + 0.5))
    for r, (label, ms) in enumerate(rows.items()):
        for c in range(ncols):
            ax = axes[r, c]
            if c >= len(ms):
                ax.set_axis_off()
                continue
            m = ms[c]
            ax.imshow(m, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest", aspect="auto")
            more = f" (+{len(ms) - ncols} more)" if c == ncols - 1 and len(ms) > ncols else ""
            names = (panel_titles or {}).get(label)
            name = names[c] if names is not None and c < len(names) else f"layer {c + 1}"
            ax.set_title(f"{label} · {name}{more}\n{m.shape[0]}×{m.shape[1]}, density {m.mean():.1%}", fontsize=8)
            ax.set_xlabel("input unit", fontsize=8)
            ax.set_ylabel("output unit", fontsize=8)
            ax.tick_params(labelsize=7)
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


def _seed_stats(v: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd over seeds of a ``(epochs,)`` or ``(seeds, epochs)`` array."""
    a = np.asarray(v, dtype=np.float64)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.shape[1] == 0:
        raise ValueError(f"{name} must have shape (epochs,) or (seeds, epochs), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values")
    sd = a.std(axis=0, ddof=1) if a.shape[0] > 1 else np.zeros(a.shape[1])
    return a.mean(axis=0), sd


def plot_training_curves(
    histories: Mapping[tuple[str, str], Mapping[str, Any]],
    path: PathLike,
    *,
    metrics: Mapping[str, str] | None = None,
    log_metrics: Sequence[str] = ("loss",),
    title: str = "Training curves (mean ± sd over seeds)",
) -> Path:
    """Plot per-epoch metrics of each wiring × learning rule, one column per rule.

    Parameters
    ----------
    histories : mapping of (wiring, rule) to mapping of str to array_like
        Per run, metric name -> values of shape ``(epochs,)`` or
        ``(seeds, epochs)`` (mean ± sd drawn as a line and a band); epoch 1
        is the first value.
    path : str or os.PathLike
        Output ``.png`` file, replaced atomically.
    metrics : mapping of str to str, optional
        Metric key -> y-axis label, one row of panels each.  Default
        ``{"accuracy": "test accuracy", "loss": "training loss"}``.
    log_metrics : sequence of str, default ("loss",)
        Metric keys drawn on a log y-axis.
    title : str
        Figure title.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    TypeError
        If ``histories`` is not a mapping keyed by ``(wiring, rule)`` tuples.
    ValueError
        If it is empty, a run lacks a metric, or values are NaN/infinite or misshapen.

    Examples
    --------
    >>> import tempfile, os
    >>> h = {("dense", "bp"): {"accuracy": [0.5, 0.8], "loss": [1.0, 0.4]}}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     plot_training_curves(h, os.path.join(d, "t.png")).exists()
    True
    """
    if not isinstance(histories, Mapping):
        raise TypeError(f"histories must be a mapping of (wiring, rule) -> metrics, got {type(histories).__name__}")
    if not histories:
        raise ValueError("histories must contain at least one run, got an empty mapping")
    for key in histories:
        if not (isinstance(key, tuple) and len(key) == 2):
            raise TypeError(f"histories keys must be (wiring, rule) tuples, got {key!r}")
    from matplotlib.ticker import MaxNLocator

    metrics = dict(metrics or {"accuracy": "test accuracy", "loss": "training loss"})
    wirings = list(dict.fromkeys(k[0] for k in histories))
    rules = list(dict.fromkeys(k[1] for k in histories))
    path = check_path(path)
    fig, axes = new_figure(len(metrics), len(rules), figsize=(3.6 * len(rules) + 1.8, 3.0 * len(metrics) + 0.6),
                           sharex=True)
    for (wiring, rule), hist in histories.items():
        c = rules.index(rule)
        color = COLORS[wirings.index(wiring) % len(COLORS)]
        for r, (key, label) in enumerate(metrics.items()):
            if key not in hist:
                raise ValueError(f"histories[{(wiring, rule)!r}] has no {key!r} values (has {sorted(hist)!r})")
            mean, sd = _seed_stats(hist[key], f"histories[{(wiring, rule)!r}][{key!r}]")
            ep = np.arange(1, mean.size + 1)
            ax = axes[r, c]
            ax.plot(ep, mean, color=color, lw=1.5, marker="." if mean.size < 30 else None, label=str(wiring))
            if sd.any():
                ax.fill_between(ep, mean - sd, mean + sd, color=color, alpha=0.15, lw=0)
    for r, (key, label) in enumerate(metrics.items()):
        for c, rule in enumerate(rules):
            ax = axes[r, c]
            if key in log_metrics:
                ax.set_yscale("log")
                _plain_log_ticks(ax, "y")
            ax.set_ylabel(label if c == 0 else "")
            if r == 0:
                ax.set_title(f"rule: {rule}", fontsize=10)
            if r == len(metrics) - 1:
                ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(True, alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    for ax in axes.flat:  # wirings missing from the first panel
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, title="wiring", loc="outside right center", fontsize=8)
    fig.suptitle(title, fontsize=11)
    return save_png(fig, path)


def plot_alignment(
    angles: Mapping[str, Any],
    path: PathLike,
    *,
    epochs: Sequence[float] | None = None,
    layer_names: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    title: str = "Feedback alignment: angle between forward W and feedback B",
    ylabel: str = "angle(W, B) [degrees]",
    max_layers: int = 8,
) -> Path:
    """Plot feedback-alignment angles per layer over training, one panel per series.

    An angle of 90° means the forward weights ``W`` are unrelated to the fixed
    feedback ``B``; below 90° they have aligned, so ``B`` carries useful
    error information (Lillicrap et al. 2016).  A dotted line marks 90°.

    Parameters
    ----------
    angles : mapping of str to array_like
        Per series (e.g. a wiring), angles in degrees of shape
        ``(T, layers)`` — ``T`` records over training, one column per layer —
        or ``(T,)`` for one layer.
    path : str or os.PathLike
        Output ``.png`` file, replaced atomically.
    epochs : sequence of float, optional
        x-values of the ``T`` records; default ``0, 1, ..., T - 1`` (0 = before training).
    layer_names : sequence of str, or mapping of str to sequence of str, optional
        Legend labels of the layers (one list for every series, or one per
        series label); default ``layer 1``, ``layer 2``, ...
    title, ylabel : str
        Title and y-axis label.
    max_layers : int, default 8
        A series with more layers is drawn as the median over its layers with
        a band from the smallest to the largest angle, instead of one line each.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    TypeError
        If ``angles`` is not a mapping.
    ValueError
        If it is empty, or an array is misshapen, NaN, or outside [0, 180] degrees.

    References
    ----------
    .. [1] T. P. Lillicrap, D. Cownden, D. B. Tweed and C. J. Akerman, "Random synaptic
       feedback weights support error backpropagation for deep learning", Nat. Commun. 7,
       13276 (2016). https://doi.org/10.1038/ncomms13276

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     plot_alignment({"dense": [[90, 89], [60, 75], [45, 70]]}, os.path.join(d, "a.png")).exists()
    True
    """
    if not isinstance(angles, Mapping):
        raise TypeError(f"angles must be a mapping of label -> angle array, got {type(angles).__name__}")
    if not angles:
        raise ValueError("angles must contain at least one series, got an empty mapping")
    from matplotlib.ticker import MaxNLocator

    arrays = {}
    for label, v in angles.items():
        a = np.asarray(v, dtype=np.float64)
        a = a[:, None] if a.ndim == 1 else a
        if a.ndim != 2 or a.shape[0] == 0:
            raise ValueError(f"angles[{label!r}] must have shape (T, layers) or (T,), got shape {a.shape}")
        if not np.all(np.isfinite(a)) or a.min() < 0 or a.max() > 180:
            raise ValueError(f"angles[{label!r}] must be finite angles in [0, 180] degrees")
        arrays[str(label)] = a
    path = check_path(path)
    n = len(arrays)
    ncols = min(n, 3)
    nrows = -(-n // ncols)
    fig, axes = new_figure(nrows, ncols, figsize=(3.8 * ncols + 0.4, 3.2 * nrows + 0.6), sharey=True)
    for i, (label, a) in enumerate(arrays.items()):
        ax = axes[i // ncols, i % ncols]
        x = np.arange(a.shape[0]) if epochs is None else np.asarray(epochs, dtype=np.float64)
        if x.shape != (a.shape[0],):
            raise ValueError(f"epochs must have {a.shape[0]} values to match angles[{label!r}], got {x.size}")
        names = layer_names.get(label) if isinstance(layer_names, Mapping) else layer_names
        if a.shape[1] > max_layers:  # too many for a legend: the spread over layers
            ax.fill_between(x, a.min(axis=1), a.max(axis=1), color=COLORS[0], alpha=0.2, lw=0,
                            label=f"range over {a.shape[1]} layers")
            ax.plot(x, np.median(a, axis=1), color=COLORS[0], marker="." if a.shape[0] < 30 else None,
                    label=f"median of {a.shape[1]} layers")
        for j in range(a.shape[1] if a.shape[1] <= max_layers else 0):
            name = names[j] if names is not None and j < len(names) else f"layer {j + 1}"
            ax.plot(x, a[:, j], color=COLORS[j % len(COLORS)], ls=LINESTYLES[j // len(COLORS) % 4],
                    marker="." if a.shape[0] < 30 else None, label=name)
        ax.axhline(90, color="gray", ls=":", lw=1, label="90° (no alignment)")
        ax.set_ylim(0, 100)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if i % ncols == 0:
            ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
    for j in range(n, nrows * ncols):
        axes[j // ncols, j % ncols].set_axis_off()
    fig.suptitle(title, fontsize=11)
    return save_png(fig, path)
