"""Training runs of ``smallworld demo``: every wiring × rule × seed through :func:`nets.train`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["train_all", "aggregate"]


def train_all(
    wirings: Sequence[Any],
    rules: Sequence[str],
    seeds: Sequence[int],
    data: Any,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    device: str,
    bar: Any = None,
) -> dict[tuple[str, str], dict[str, Any]]:
    """Train every wiring with every rule for every seed; one :func:`nets.train` call per run.

    The seed sets both the model's initial weights and the run (batch order,
    feedback matrices), so the rules of one seed start from the same weights.
    A rule a model cannot run (``TypeError`` from :func:`nets.train`) is
    recorded as skipped with the reason, not hidden.

    Returns
    -------
    dict
        ``(wiring, rule)`` -> ``{"accuracies", "times", "histories", "skipped"}``.
    """
    from nets import train

    runs: dict[tuple[str, str], dict[str, Any]] = {}
    for w in wirings:
        for rule in rules:
            rec: dict[str, Any] = {"accuracies": [], "times": [], "histories": [], "skipped": None}
            runs[(w.name, rule)] = rec
            for s in seeds:
                if bar is not None:
                    bar.set_postfix_str(f"{w.name} · {rule} · seed {s}", refresh=False)
                if rec["skipped"] is None:
                    model = w.make(s)
                    try:
                        res = train(model, rule, data, epochs=epochs, lr=lr, batch_size=batch_size,
                                    device=device, seed=s, progress=False)
                    except TypeError as exc:  # the rule cannot drive this kind of model
                        rec["skipped"] = str(exc)
                    else:
                        rec["accuracies"].append(res.final_test_accuracy)
                        rec["times"].append(float(sum(h["time_s"] for h in res.history)))
                        rec["histories"].append(res.history)
                if bar is not None:
                    bar.update(1)
    return runs


def _curve(histories: list[list[dict]], key: str) -> list[list[float]]:
    return [[float(h[key]) for h in hist] for hist in histories]


def _angles(histories: list[list[dict]]) -> tuple[list[str], list[list[float]]] | None:
    """Mean over seeds of the per-epoch FA angles, shape (epochs, layers); None if not recorded."""
    first = [h.get("angles") for h in histories[0]] if histories else []
    if not first or any(a is None for a in first):
        return None
    names = list(first[0])
    arr = np.array([[[math.nan if h["angles"].get(k) is None else h["angles"][k] for k in names] for h in hist]
                    for hist in histories], dtype=np.float64)
    if np.isnan(arr).any():  # an undefined angle (all-zero W or B) is left out of the figure, never plotted as NaN
        return None
    return names, arr.mean(axis=0).tolist()


def aggregate(runs: dict[tuple[str, str], dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Mean and sd (ddof=1) of the test accuracy and train time; per-epoch curves and FA angles."""
    out = {}
    for key, rec in runs.items():
        accs = rec["accuracies"]
        if not accs:
            out[key] = {"skipped": rec["skipped"]}
            continue
        out[key] = {
            "accuracies": accs,
            "acc_mean": float(np.mean(accs)),
            "acc_sd": float(np.std(accs, ddof=1)) if len(accs) > 1 else None,
            "time_mean": float(np.mean(rec["times"])),
            "curves": {"accuracy": _curve(rec["histories"], "test_accuracy"),
                       "loss": _curve(rec["histories"], "train_loss")},
            "angles": _angles(rec["histories"]),
            "skipped": rec["skipped"],
        }
    return out
