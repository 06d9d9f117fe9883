"""Training figures: accuracy/loss curves per wiring and rule, and feedback-alignment angles.

Split from :mod:`analysis.plots` (which re-exports both functions); same
conventions: a fresh Agg ``Figure``, written atomically as PNG.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analysis._plotting import COLORS, LINESTYLES, check_path, new_figure, plain_log_ticks, save_png

__all__ = ["plot_training_curves", "plot_alignment"]

PathLike = str | os.PathLike


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
                plain_log_ticks(ax, "y")
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
