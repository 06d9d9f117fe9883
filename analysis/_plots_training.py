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

from analysis._plotting import COLORS, LINESTYLES, MARKERS, check_path, new_figure, plain_log_ticks, save_png

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
    percent_metrics: Sequence[str] = ("accuracy",),
    title: str | None = None,
    max_cols: int = 4,
    missing: Mapping[str, str] | None = None,
) -> Path:
    """Plot per-epoch metrics of each wiring × learning rule, one panel per rule and metric.

    Every panel of a metric shares one y-axis (rules compare at a glance);
    rules wrap onto further rows of panels after ``max_cols``.  Each wiring
    keeps one colour and one marker in every panel.

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
    percent_metrics : sequence of str, default ("accuracy",)
        Metric keys given as fractions and drawn in percent (``0.95`` -> 95),
        the unit of the demo's tables; their label gets ``(%)``.
    title : str, optional
        Figure title; default "Training curves" with "(mean ± sd over seeds)"
        only when some run has more than one seed ("one seed" otherwise).
    max_cols : int, default 4
        Rule panels per row.
    missing : mapping of str to str, optional
        Rule -> why some wirings are not in its panels (a refusal, a design
        choice), written under the rule's name (keep it to a short line).

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

    from smallworld._validation import check_int

    max_cols = check_int(max_cols, "max_cols", min_val=1)
    metrics = dict(metrics or {"accuracy": "test accuracy", "loss": "training loss"})
    missing = dict(missing or {})
    wirings = list(dict.fromkeys(k[0] for k in histories))
    rules = list(dict.fromkeys(k[1] for k in histories))
    path = check_path(path)
    ncols = min(len(rules), max_cols)
    blocks = -(-len(rules) // ncols)  # rows of rules; each block has one panel row per metric
    nm = len(metrics)
    fig, axes = new_figure(nm * blocks, ncols, figsize=(3.3 * ncols + 2.2, 2.6 * nm * blocks + 0.8), sharex=True)

    def panel(r: int, rule: str) -> Any:
        c = rules.index(rule)
        return axes[(c // ncols) * nm + r, c % ncols]

    seeds = 1
    span = {key: [np.inf, -np.inf] for key in metrics}  # data range per metric (with the sd bands)
    for (wiring, rule), hist in histories.items():
        w = wirings.index(wiring)
        color, marker = COLORS[w % len(COLORS)], MARKERS[w % len(MARKERS)]
        for r, key in enumerate(metrics):
            if key not in hist:
                raise ValueError(f"histories[{(wiring, rule)!r}] has no {key!r} values (has {sorted(hist)!r})")
            mean, sd = _seed_stats(hist[key], f"histories[{(wiring, rule)!r}][{key!r}]")
            seeds = max(seeds, np.asarray(hist[key]).shape[0] if np.ndim(hist[key]) == 2 else 1)
            scale = 100.0 if key in percent_metrics else 1.0
            ep = np.arange(1, mean.size + 1)
            ax = panel(r, rule)
            span[key][0] = min(span[key][0], float(np.min(scale * (mean - sd))))
            span[key][1] = max(span[key][1], float(np.max(scale * (mean + sd))))
            ax.plot(ep, scale * mean, color=color, lw=1.4, marker=marker if mean.size < 30 else None, ms=4,
                    label=str(wiring))
            if sd.any():
                ax.fill_between(ep, scale * (mean - sd), scale * (mean + sd), color=color, alpha=0.15, lw=0)
    for r, (key, label) in enumerate(metrics.items()):
        row_axes = [panel(r, rule) for rule in rules]
        lo, hi = span[key]
        if key in log_metrics:
            positive = [float(np.min(line.get_ydata())) for ax in row_axes for line in ax.get_lines()]
            lo = max(lo, min(positive)) if lo <= 0 else lo  # a band below 0 cannot show on a log axis
            lo, hi = lo / 1.15, hi * 1.15
        else:
            pad = 0.04 * (hi - lo) if hi > lo else 1.0
            lo, hi = lo - pad, hi + pad
        for rule, ax in zip(rules, row_axes):
            if key in log_metrics:
                ax.set_yscale("log")
                plain_log_ticks(ax, "y")
            ax.set_ylim(lo, hi)  # one axis per metric for every rule
            first = rules.index(rule) % ncols == 0
            ax.set_ylabel((label + (" (%)" if key in percent_metrics else "")) if first else "")
            if r == 0:
                ax.set_title(f"rule: {rule}" + (f"\n{missing[rule]}" if rule in missing else ""),
                             fontsize=10 if rule not in missing else 8)
            if r == nm - 1:
                ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(True, alpha=0.3)
    for k in range(len(rules), blocks * ncols):  # empty slots of the last block
        for r in range(nm):
            axes[(k // ncols) * nm + r, k % ncols].set_axis_off()
    handles, labels = [], []
    for ax in axes.flat:  # every wiring once, in first-seen order
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, title="wiring", loc="outside right center", fontsize=8)
    if title is None:
        title = "Training curves " + ("(mean ± sd over seeds)" if seeds > 1 else "(one seed)")
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
