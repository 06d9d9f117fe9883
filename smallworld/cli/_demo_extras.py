"""The demo's side studies: the six-problems card beside each rule's accuracy, topology under rewiring,
and what the dendritic microcircuit does while it learns.

Kept apart from the main wiring x rule grid (:mod:`smallworld.cli._demo_train`) because each asks its own
question of one network, at a small, fixed cost (a few seconds on 2 cores).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["REWIRE_POLICIES", "REWIRE_NAMES", "card_markdown", "rewiring_study", "rewiring_rows", "rewiring_markdown"]

#: The rewirings the demo compares on its layered small-world network (static: the control): name ->
#: ``nets.Rewiring`` settings besides the fraction.
REWIRE_POLICIES = {
    "static": {"policy": "static"},
    "set": {"policy": "set"},
    "rigl": {"policy": "rigl"},
    "smallworld": {"policy": "smallworld"},
    "smallworld-protect": {"policy": "smallworld", "protect": 2.0},
}
#: How the report names them.
REWIRE_NAMES = {"static": "static (no rewiring)", "set": "SET", "rigl": "RigL", "smallworld": "smallworld regrowth",
                "smallworld-protect": "smallworld, protect = 2"}


def card_markdown(rules: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """The six-problems card (:func:`nets.rule_card`) of the demo's rules, each beside its accuracy.

    ``rows`` are the demo's result rows (``rule``, ``acc_mean``, ``skipped``); a rule's accuracy is
    shown as the range over the wirings that ran it (min–max of the per-wiring means, in %).

    Examples
    --------
    >>> rows = [{"rule": "bp", "acc_mean": 0.97, "skipped": None}, {"rule": "bp", "acc_mean": 0.95, "skipped": None}]
    >>> print(card_markdown(["bp"], rows).splitlines()[2])
    | BP | . | . | . | . | . | . | 95.0–97.0 (2 wirings) |
    >>> print(card_markdown(["bp"], rows[:1]).splitlines()[2])
    | BP | . | . | . | . | . | . | 97.0 (1 wiring) |
    """
    from nets.card import PROBLEMS, rule_card
    from smallworld.cli._demo_report import RULE_NAMES

    card = rule_card("dict")
    head = "| rule | " + " | ".join(f"{k} {v}" for k, v in PROBLEMS.items()) + " | test acc. % over wirings |"
    lines = [head, "|---|" + ":---:|" * len(PROBLEMS) + "---:|"]
    reasons = []
    for rule in rules:
        accs = [float(r["acc_mean"]) for r in rows if r["rule"] == rule and not r.get("skipped")
                and r.get("acc_mean") is not None and math.isfinite(float(r["acc_mean"]))]  # fmt: skip
        if not accs:
            acc = "–"
        elif len(accs) == 1:
            acc = f"{100 * accs[0]:.1f} (1 wiring)"
        else:
            acc = f"{100 * min(accs):.1f}–{100 * max(accs):.1f} ({len(accs)} wirings)"
        removes = card[rule]["removes"]
        name = RULE_NAMES.get(rule, rule)
        lines.append(f"| {name} | " + " | ".join("x" if k in removes else "." for k in PROBLEMS) + f" | {acc} |")
        grouped: dict[str, list[str]] = {}  # one reason given for several problems is said once
        for k, v in removes.items():
            grouped.setdefault(v, []).append(str(k))
        why = "; ".join(f"{', '.join(ks)}: {v}" for v, ks in grouped.items())
        reasons.append(f"- {name}: " + (f"removes {why}. " if why else "removes none. ") + f"Keeps: {card[rule]['note']}.")
    lines += ["", "x: the rule's update does without that signal of backprop (Bengio et al. 2015's six problems); "
              ".: it still needs it. A rule that still needs the label vector does not get problem 6.", "", *reasons]
    return "\n".join(lines)


def rewiring_study(
    wiring: Any,
    data: Any,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    device: str,
    seed: int,
    fraction: float = 0.3,
    policies: Sequence[str] | Mapping[str, Mapping[str, Any]] = REWIRE_POLICIES,
) -> dict[str, dict]:
    """Train ``wiring`` with backprop once per rewiring (one seed, every epoch, ``fraction`` of each
    layer's connections replaced), tracking the topology: name -> ``TrainResult.to_dict()``.

    ``policies``: policy names, or name -> ``nets.Rewiring`` settings (:data:`REWIRE_POLICIES`)."""
    from nets import Rewiring, train

    if not isinstance(policies, Mapping):
        policies = {p: {"policy": p} for p in policies}
    out = {}
    for name, settings in policies.items():
        res = train(wiring.make(seed), "bp", data, epochs=epochs, lr=lr, batch_size=batch_size, device=device,
                    seed=seed, progress=False, rewire=Rewiring(fraction=fraction, **settings))  # fmt: skip
        out[name] = res.to_dict()
    return out


def rewiring_rows(study: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per policy: final test accuracy and C, L, σ (ER proxy) before training and after the last epoch."""
    from analysis._plots_topology import topology_value

    rows = []
    for policy, run in study.items():
        start = run.get("config", {}).get("topology_initial")
        end = next((h["topology"] for h in reversed(run.get("history", [])) if h.get("topology")), None)
        row: dict[str, Any] = {"policy": policy, "accuracy": float(run["history"][-1]["test_accuracy"])}
        for key in ("C", "L", "sigma_er"):
            row[f"{key}_start"], row[f"{key}_end"] = topology_value(start, key), topology_value(end, key)
        rows.append(row)
    return rows


def rewiring_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows of :func:`rewiring_rows` as a markdown table.

    Examples
    --------
    >>> r = {"policy": "set", "accuracy": 0.96, "C_start": 0.28, "C_end": 0.11, "L_start": 2.1, "L_end": 1.9,
    ...      "sigma_er_start": 1.7, "sigma_er_end": 0.7}
    >>> print(rewiring_markdown([r]).splitlines()[2])
    | SET | 96.0 | 0.280 → 0.110 | 2.10 → 1.90 | 1.70 → 0.70 |
    """
    names = REWIRE_NAMES
    lines = ["| policy | test acc. % | C start → end | L start → end | σ (ER proxy) start → end |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {names.get(r['policy'], r['policy'])} | {100 * r['accuracy']:.1f} | {r['C_start']:.3f} → {r['C_end']:.3f} | "
            f"{r['L_start']:.2f} → {r['L_end']:.2f} | {r['sigma_er_start']:.2f} → {r['sigma_er_end']:.2f} |"
        )
    return "\n".join(lines)
