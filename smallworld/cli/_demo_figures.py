"""The PNG figures of ``smallworld demo``, drawn with :mod:`analysis.plots`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["write_figures"]

#: Short names of the demo's wirings for figure captions that must stay on one line.
SHORT = {"dense": "dense", "ws": "WS", "ba": "BA", "hk": "HK", "ke": "KE", "ws-skip": "skip arcs", "dag": "DAG"}


def write_figures(
    folder: Path,
    *,
    wirings: Sequence[Any],
    degrees: Mapping[str, Any],
    fits: Mapping[str, Any],
    runs: Mapping[tuple[str, str], Mapping[str, Any]],
    curve: Any,
    labels: Mapping[str, str],
    study: Mapping[str, Any] | None = None,
    skip_label: str = "",
) -> list[tuple[str, str]]:
    """Write every figure into ``folder``; return ``(file name, caption)`` pairs in report order.

    ``study``: the rewiring study (policy -> ``TrainResult.to_dict()``) of the network ``skip_label``."""
    from analysis.plots import (plot_alignment, plot_degree_ccdf, plot_dendritic_trace, plot_masks,
                                plot_topology_over_training, plot_training_curves, plot_ws_curve)
    from smallworld.cli._demo_report import RULE_NAMES

    out: list[tuple[str, str]] = []
    plot_ws_curve(curve, folder / "ws_fig2.png")
    out.append(("ws_fig2.png", f"Watts–Strogatz Fig. 2: C(p)/C(0) and L(p)/L(0), n={curve.n}, k={curve.k}, "
                               f"{curve.seeds} graphs per p"))

    deg = {labels[k]: v for k, v in degrees.items()}
    # every fit goes in: a withheld one (not assessable: narrow tail) is named in the legend and gets no line
    fit_map = {labels[k]: f for k, f in fits.items() if f is not None}
    plot_degree_ccdf(deg, folder / "degree_ccdf.png", fits=fit_map,
                     title="Degree distributions of the neuron graphs (undirected), with power-law fits where assessable",
                     xlabel="neuron degree k (in + out connections)")
    out.append(("degree_ccdf.png", "Degree distributions of the neuron graphs (log-log CCDF) with the "
                                   "Clauset–Shalizi–Newman power-law fits; a fit whose tail spans less than a decade "
                                   "(or has fewer than 5 distinct degrees) is withheld, as in the score table"))

    plot_masks({w.label: w.masks for w in wirings}, folder / "masks.png",
               title="Connectivity masks (rows: output units, columns: input units; black = connection)",
               panel_titles={w.label: [f"all neurons (post × pre)\ndensity {w.density:.3f} = "
                                       "arcs / the N(N−1)/2 a DAG can have"]
                             for w in wirings if w.kind == "dag"})
    out.append(("masks.png", "Connectivity masks of each wiring, layer by layer (the DAG network: its "
                             "neuron-to-neuron adjacency)"))

    hist = {(labels[w], RULE_NAMES.get(rule, rule)): r["curves"] for (w, rule), r in runs.items() if r.get("curves")}
    if hist:
        missing = {}  # why a wiring is absent from a rule's panels (the report's notes give the reasons)
        short = {x.name: SHORT.get(x.name, x.label) for x in wirings}
        for rule in dict.fromkeys(rule for _, rule in runs):
            refused = [short[w] for (w, r2), rec in runs.items() if r2 == rule and rec.get("skipped")]
            not_run = [short[x.name] for x in wirings if (x.name, rule) not in runs]
            why = ([f"not run: {', '.join(not_run)}"] if not_run else []) + (
                [f"refused: {', '.join(refused)}"] if refused else [])
            if why:
                missing[RULE_NAMES.get(rule, rule)] = "; ".join(why)
        seeds = max(len(r["curves"]["accuracy"]) for r in runs.values() if r.get("curves"))
        plot_training_curves(hist, folder / "training_curves.png",
                             metrics={"accuracy": "test accuracy", "loss": "training loss (cross-entropy)"},
                             title="Training curves on digits " + (f"(mean ± sd over {seeds} seeds)" if seeds > 1
                                                                   else "(one seed)"),
                             missing=missing)
        out.append(("training_curves.png", "Test accuracy (%) and training loss per epoch, one panel per rule, "
                                           "one axis per metric for all rules"))

    angles, names = {}, {}
    for (w, rule), r in runs.items():
        if rule == "fa" and r.get("angles") is not None:
            raw, angles[labels[w]] = r["angles"]
            word = "level" if any(x.kind == "dag" and x.name == w for x in wirings) else "layer"
            names[labels[w]] = [f"{word} {int(n.rsplit('.', 1)[-1]) + 1}" if n.rsplit(".", 1)[-1].isdigit() else n
                                for n in raw]
    if angles:
        first = next(iter(angles.values()))
        plot_alignment(angles, folder / "fa_alignment.png", epochs=list(range(1, len(first) + 1)),
                       layer_names=names, title="Feedback alignment: angle between W and the fixed feedback B "
                                                "per layer (mean over seeds)")
        out.append(("fa_alignment.png", "FA alignment angle between forward weights W and feedback B over training "
                                        "(the first layer's B sends its error nowhere, so it has no reason to align)"))

    if study:
        from smallworld.cli._demo_extras import REWIRE_NAMES as names

        plot_topology_over_training({names.get(k, k): v for k, v in study.items()}, folder / "topology_over_training.png",
                                    title=f"Topology of the {skip_label} network while it learns (BP), per rewiring policy")
        out.append(("topology_over_training.png", f"C, L and σ (Erdős–Rényi proxy) of the {skip_label} network's "
                                                  "neuron graph per epoch under each rewiring policy (epoch 0: before training)"))

    dend = {labels[w]: r["dendritic"] for (w, rule), r in runs.items() if rule == "dendritic" and r.get("dendritic")}
    if dend:
        plot_dendritic_trace(dend, folder / "dendritic.png",
                             title="Dendritic microcircuit on digits (mean over seeds)")
        out.append(("dendritic.png", "Dendritic microcircuit while it learns: apical error (mean v_A² of the hidden "
                                     "neurons), interneuron mismatch (0 = self-predicting) and the angle between each "
                                     "hidden layer's update and backprop's gradient (90° = unrelated); with ReLU the interneurons "
                                     "track the layer above only approximately, so the mismatch grows (BENCHMARKS.md: "
                                     "tanh keeps it near 1e-5)"))
    return out
