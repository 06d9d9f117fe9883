"""What a dendritic microcircuit does while it learns: apical error, self-prediction and the angle
between its update and backprop's, against the epoch (Sacramento et al. 2018; ``nets.dendritic``).

Same conventions as :mod:`analysis.plots`: a fresh Agg ``Figure``, written atomically as PNG.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis._plotting import COLORS, LINESTYLES, check_path, new_figure, save_png

__all__ = ["plot_dendritic_trace"]


def _mean(values: Sequence[float | None]) -> float:
    v = [float(x) for x in values if x is not None and math.isfinite(float(x))]
    return sum(v) / len(v) if v else math.nan


def plot_dendritic_trace(
    runs: Mapping[str, Sequence[Sequence[Mapping[str, Any]]]],
    path: str | os.PathLike,
    *,
    title: str = "Dendritic microcircuit during training",
) -> Path:
    """Three panels against the epoch, one line per run label (mean over its seeds).

    1. mean squared apical potential ``v_A^2`` of the hidden neurons (the error the apical dendrites carry);
    2. the interneuron mismatch ``(v̂^I - v̂_B)^2`` (0 in the self-predicting state);
    3. the angle (degrees) between each hidden layer's microcircuit update and backprop's gradient
       (90 = unrelated; one line style per hidden layer).

    Parameters
    ----------
    runs : mapping of str to list of histories
        Label (e.g. the wiring) -> one ``nets.train`` history per seed; each epoch record holds
        ``apical_sq``, ``interneuron_mismatch`` and ``angles_to_bp`` (rule ``"dendritic"``).
    path : str or os.PathLike
        Output ``.png`` file, replaced atomically.
    title : str

    Returns
    -------
    pathlib.Path

    Raises
    ------
    TypeError, ValueError
        For a non-mapping ``runs``, no runs, or a run without the dendritic records.

    Examples
    --------
    >>> import tempfile, os
    >>> h = [{"epoch": e, "apical_sq": 1e-2 / e, "interneuron_mismatch": 1e-4, "angles_to_bp": [60.0, 0.0]}
    ...      for e in (1, 2)]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     plot_dendritic_trace({"dense": [h]}, os.path.join(d, "t.png")).name
    't.png'
    """
    if not isinstance(runs, Mapping):
        raise TypeError(f"runs must be a mapping of label to a list of histories, got {type(runs).__name__}")
    if not runs:
        raise ValueError("runs must hold at least one run")
    p = check_path(path)
    keys = ("apical_sq", "interneuron_mismatch", "angles_to_bp")
    for label, hists in runs.items():
        if not hists or not all(hist and all(k in rec for k in keys for rec in hist) for hist in hists):
            raise ValueError(f"run {label!r} has no dendritic records ({', '.join(keys)}); train it with rule 'dendritic'")
    fig, axes = new_figure(1, 3, figsize=(11.0, 3.4))
    ax_a, ax_m, ax_g = axes[0]
    for i, (label, hists) in enumerate(runs.items()):
        color = COLORS[i % len(COLORS)]
        n = min(len(h) for h in hists)
        epochs = [int(hists[0][e]["epoch"]) for e in range(n)]
        ax_a.plot(epochs, [_mean([h[e]["apical_sq"] for h in hists]) for e in range(n)], color=color, label=label)
        ax_m.plot(epochs, [_mean([h[e]["interneuron_mismatch"] for h in hists]) for e in range(n)], color=color, label=label)
        n_hidden = len(hists[0][0]["angles_to_bp"]) - 1  # the last entry is the output layer (0 by construction)
        for k in range(n_hidden):
            ys = [_mean([h[e]["angles_to_bp"][k] for h in hists]) for e in range(n)]
            ax_g.plot(epochs, ys, color=color, linestyle=LINESTYLES[k % len(LINESTYLES)],
                      label=f"{label}, hidden layer {k + 1}")  # fmt: skip
    ax_a.set_ylabel("mean apical potential² (hidden)")
    ax_m.set_ylabel("interneuron mismatch (self-prediction)")
    ax_g.set_ylabel("angle to backprop's update (°)")
    ax_g.axhline(90, color="0.6", lw=0.8)
    ax_g.set_ylim(0, 100)
    for ax in (ax_a, ax_m):
        ax.set_yscale("log")
    for ax in (ax_a, ax_m, ax_g):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    ax_a.legend(fontsize="small")
    ax_g.legend(fontsize="x-small")
    fig.suptitle(title)
    return save_png(fig, p)
