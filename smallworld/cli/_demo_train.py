"""Training runs of ``smallworld demo``: every wiring × rule × seed through :func:`nets.train`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["train_all", "aggregate", "estimate_costs", "RULE_COST"]

#: Relative step cost of a rule against backprop on the same net (BENCHMARKS.md, bench_rules.py:
#: fa 1.03, dfa 0.83, predsim 2.5); the reward rules run one forward and a cheap update (~1),
#: the readout-only control a forward and the last layer's backward; the dendritic microcircuit settles
#: a free and a nudged sweep and measures its angle to backprop (~4).
RULE_COST = {"predsim": 2.5, "dfa": 0.85, "readout-only": 0.6, "dendritic": 4.0}

#: The per-epoch records of the dendritic microcircuit kept for its figure (``analysis.plots.plot_dendritic_trace``).
DENDRITIC_KEYS = ("epoch", "apical_sq", "interneuron_mismatch", "angles_to_bp")


def _plan(wirings: Sequence[Any], rules: Sequence[str] | Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Rules per wiring name: ``rules`` itself when it is a mapping, else the same rules for every wiring."""
    if isinstance(rules, Mapping):
        return {w.name: tuple(rules[w.name]) for w in wirings}
    return {w.name: tuple(rules) for w in wirings}


def estimate_costs(wirings: Sequence[Any], rules: Sequence[str] | Mapping[str, Sequence[str]], data: Any, *, epochs: int, batch_size: int,
                   device: str, seed: int) -> dict[tuple[str, str], float]:
    """Estimated seconds of one training run per ``(wiring, rule)``, from a timed probe step.

    Each wiring's model runs one forward+backward on a batch (after one
    untimed warm-up), times the batches per epoch, the epochs and
    :data:`RULE_COST`.  ``rules``: the same for every wiring, or wiring name
    -> its rules.  Runs differ by 30x here (the neuron-level DAG steps
    through ~70 topological levels), so a progress bar counting runs would show
    an ETA far too short while the fast nets train; weighting each run by its
    estimate keeps the ETA honest whatever the order.  The probes take well
    under a second in all.
    """
    import time

    import torch

    from nets._backends import torch_threads_for

    xb, yb = data.X_train[:batch_size].to(device), data.y_train[:batch_size].to(device)
    n_batches = -(-int(data.y_train.shape[0]) // batch_size)
    costs = {}
    plan = _plan(wirings, rules)
    for w in wirings:
        model = w.make(seed).to(device)
        best = float("inf")
        with torch_threads_for(model, batch_size):  # timed under the thread policy nets.train will use
            for i in range(3):
                t = time.perf_counter()
                torch.nn.functional.cross_entropy(model(xb), yb).backward()
                if i:
                    best = min(best, time.perf_counter() - t)
        for rule in plan[w.name]:
            # the step's optimizer update and the per-epoch evaluation add about a third
            costs[(w.name, rule)] = 1.3 * best * n_batches * epochs * RULE_COST.get(rule, 1.0)
    return costs


def train_all(
    wirings: Sequence[Any],
    rules: Sequence[str] | Mapping[str, Sequence[str]],
    seeds: Sequence[int],
    data: Any,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    device: str,
    bar: Any = None,
    costs: dict[tuple[str, str], float] | None = None,
) -> dict[tuple[str, str], dict[str, Any]]:
    """Train every wiring with every rule for every seed; one :func:`nets.train` call per run.

    The seed sets both the model's initial weights and the run (batch order,
    feedback matrices), so the rules of one seed start from the same weights.
    A rule a model cannot run (``TypeError`` from :func:`nets.train`) is
    recorded as skipped with the reason, not hidden.  With ``costs``
    (:func:`estimate_costs`), ``bar`` advances by each run's estimate instead
    of by 1, so its ETA weighs slow runs as what they are.  ``rules``: the
    same for every wiring, or wiring name -> its rules.

    Returns
    -------
    dict
        ``(wiring, rule)`` -> ``{"accuracies", "times", "histories", "skipped"}``.
    """
    from nets import train

    runs: dict[tuple[str, str], dict[str, Any]] = {}
    plan = _plan(wirings, rules)
    for w in wirings:
        for rule in plan[w.name]:
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
                    bar.update(1 if costs is None else costs[(w.name, rule)])
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
    """Mean and sd (ddof=1) of the test accuracy and train time; per-epoch curves, FA angles and the
    dendritic microcircuit's per-epoch records."""
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
            # the dendritic microcircuit's own records (apical error, self-prediction, angle to backprop)
            "dendritic": [[{k: h.get(k) for k in DENDRITIC_KEYS} for h in hist] for hist in rec["histories"]]
            if key[1] == "dendritic" else None,
        }
    return out
