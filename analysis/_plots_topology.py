"""The topology trajectory of rewired training: C, L and sigma against the epoch, one line per policy.

Same conventions as :mod:`analysis.plots`: a fresh Agg ``Figure``, written atomically as PNG.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis._plotting import COLORS, MARKERS, check_path, new_figure, save_png

__all__ = ["plot_topology_over_training", "topology_value"]

#: (history key, y-axis label) of the panels, in order.
PANELS = (
    ("C", "neuron-graph clustering C"),
    ("relational_C", "relational C (square masks, mean)"),
    ("L", "path length L (largest component)"),
    ("sigma_er", "σ (vs ER analytic C_r, L_r)"),
)


def topology_value(topo: Mapping[str, Any] | None, key: str) -> float:
    """One number of a topology record: a per-layer list is averaged over its defined entries; missing -> NaN."""
    v = None if topo is None else topo.get(key)
    if isinstance(v, (list, tuple)):
        v = [x for x in v if x is not None]
        v = sum(v) / len(v) if v else None
    return math.nan if v is None else float(v)


def plot_topology_over_training(
    runs: Mapping[str, Mapping[str, Any]],
    path: str | os.PathLike,
    *,
    title: str = "Topology over training",
) -> Path:
    """Plot C, relational C, L and σ per epoch for each run (e.g. one per rewiring policy).

    Parameters
    ----------
    runs : mapping of str to dict
        Label -> a :meth:`nets.TrainResult.to_dict` (``results.json``) of a run with
        ``rewire`` tracking: ``config["topology_initial"]`` is drawn at epoch 0 and
        each history record's ``topology`` at its epoch.
    path : str or os.PathLike
        Output ``.png`` file, replaced atomically.
    title : str

    Returns
    -------
    pathlib.Path

    Raises
    ------
    TypeError, ValueError
        For a non-mapping ``runs``, no runs, or a run without topology records.

    Examples
    --------
    >>> import tempfile, os
    >>> run = {"config": {"topology_initial": {"C": 0.0, "L": 2.0, "sigma_er": 0.0}},
    ...        "history": [{"epoch": 1, "topology": {"C": 0.0, "L": 2.1, "sigma_er": 0.0}}]}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = plot_topology_over_training({"set": run}, os.path.join(d, "t.png"))
    ...     p.name
    't.png'
    """
    if not isinstance(runs, Mapping):
        raise TypeError(f"runs must be a mapping of label to run dict, got {type(runs).__name__}")
    if not runs:
        raise ValueError("runs must hold at least one run")
    p = check_path(path)
    series: dict[str, tuple[list[int], list[dict]]] = {}
    for label, run in runs.items():
        hist = list(run.get("history", []))
        topo = [h["topology"] for h in hist if "topology" in h]
        if not topo:
            raise ValueError(f"run {label!r} has no topology records (train it with rewire=nets.Rewiring(..., track=True))")
        init = run.get("config", {}).get("topology_initial")
        epochs = ([0] if init else []) + [int(h["epoch"]) for h in hist if "topology" in h]
        series[str(label)] = (epochs, ([init] if init else []) + topo)
    panels = [(k, lab) for k, lab in PANELS if any(k in t for _, ts in series.values() for t in ts)]
    fig, axes = new_figure(1, len(panels), figsize=(3.6 * len(panels), 3.4 + 0.25 * (len(series) > 3)))
    for ax, (key, label) in zip(axes[0], panels):
        for i, (name, (epochs, topo)) in enumerate(series.items()):
            ax.plot(epochs, [topology_value(t, key) for t in topo], marker=MARKERS[i % len(MARKERS)], ms=3,
                    color=COLORS[i % len(COLORS)], label=name)
        ax.set_xlabel("epoch (0 = before training)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    # below the panels, so no line hides under it
    fig.legend(*axes[0][0].get_legend_handles_labels(), loc="outside lower center", ncols=min(len(series), 5),
               fontsize="small")
    fig.suptitle(title)
    return save_png(fig, p)
