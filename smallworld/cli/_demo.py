"""``smallworld demo``: from a brain-like graph to a trained network, with a report.

Builds wirings of one parameter budget for an MLP on the digits data set
(dense; layered sparse masks drawn from Watts–Strogatz, Barabási–Albert,
Holme–Kim and Klemm–Eguíluz graphs; and a neuron-level DAG network wired from a
small-world graph), scores each as a graph of neurons, trains each with
backprop, feedback alignment and local losses (predsim), prints one table and a
summary computed from the numbers, and writes a report folder.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

__all__ = ["HELP", "DESCRIPTION", "add_arguments", "run", "DemoConfig", "DEFAULT", "QUICK"]

HELP = "the main job: wire brain-like graphs into MLPs, score them, train them with every learning rule, write a report"
DESCRIPTION = """\
From a brain-like graph to a trained network, with a report (offline, CPU by default).

1. builds wirings of equal parameter budget for an MLP on scikit-learn's digits: dense, layered sparse
   masks from Watts-Strogatz, Barabasi-Albert, Holme-Kim and Klemm-Eguiluz graphs, a layered small-world
   network (skip arcs on a ring lattice, nets.layered_smallworld) and a neuron-level DAG network wired
   from a small-world graph;
2. scores each as a graph of neurons (C, L, sigma, omega, degree fit) next to the dense MLP;
3. trains them over several seeds: the dense MLP and the two small-world networks with every rule -
   backprop (BP), feedback alignment (FA), direct feedback alignment (DFA), local losses (predsim),
   reward-only learning (AGREL, node perturbation), dendritic microcircuits and a readout-only control -
   and the four layered families (C = 0 by construction) with BP, FA and predsim;
4. prints one table (wiring x rule: density, C, L, sigma, test accuracy mean +- sd, train time) and a
   summary of what the numbers say;
5. rewires the layered small-world network while it learns (static, SET, RigL, smallworld regrowth with
   and without a triangle-sparing drop) and tracks its C, L and sigma per epoch;
6. writes --out (default ./smallworld-report/): report.md (with each rule's six-problems card beside its
   accuracy), results.json and PNG figures (Watts-Strogatz Fig. 2, degree distributions with power-law
   fits, masks, training curves, FA alignment angles, topology over training, the dendritic microcircuit).

The default takes about 1 min 30 s on 2 idle CPU cores (about 2 minutes beside one other busy process);
--quick (1 seed, 4 epochs) about 20 s.
An earlier report is never overwritten unless --force is given.
"""


@dataclass(frozen=True)
class DemoConfig:
    """Sizes and budgets of a demo run (``DEFAULT`` or ``QUICK``)."""

    epochs: int
    seeds: int
    hidden_dense: int = 64
    hidden_sparse: int = 128
    dag_hidden: int = 256
    dag_k: int = 50
    n_hidden_layers: int = 2
    skip: int = 2
    skip_p: float = 0.1
    rules: tuple[str, ...] = ("bp", "fa", "dfa", "predsim", "agrel", "node-perturbation", "dendritic", "readout-only")
    #: Rules of the four layered families, whose neuron graphs have C = 0 whatever drew their masks: the
    #: three that show how far a rule's locality costs; the full set runs on the dense MLP and the
    #: small-world networks (it would add ~40% to the run for rows that say the same thing).
    layered_rules: tuple[str, ...] = ("bp", "fa", "predsim")
    rewire_fraction: float = 0.3
    lr: float = 3e-3
    batch_size: int = 64
    ws_points: int = 14
    ws_seeds: int = 10
    niter: int = 10
    nrand: int = 5
    n_bootstrap: int = 200


DEFAULT = DemoConfig(epochs=20, seeds=3)
#: Most training seeds per wiring x rule (each adds a full set of training runs).
MAX_SEEDS = 100
#: Training seconds one epoch of every run of one seed adds (2026-12-04, 2 CPU cores: 68 s of training for 20
#: epochs x 3 seeds idle, 83 s beside one busy process).
EPOCH_SEED_S = 1.2
#: Most training epochs (1000 epochs x 3 seeds ~ 1 hour).
MAX_EPOCHS = 1000
QUICK = DemoConfig(epochs=4, seeds=1, ws_points=7, ws_seeds=2, niter=2, nrand=2, n_bootstrap=20)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("smallworld-report"),
                        help="report folder (default ./smallworld-report/)")
    parser.add_argument("--quick", action="store_true", help="a sub-minute version: 1 seed, 4 epochs, smaller ensembles")
    parser.add_argument("--seed", type=int, default=0, help="seed of the wirings, the data split and the runs (default 0)")
    parser.add_argument("--seeds", type=int, default=None, help="training seeds per wiring x rule (default 3; quick: 1)")
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default 20; quick: 4)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    parser.add_argument("--force", action="store_true", help="overwrite an earlier report in --out")
    parser.add_argument("--allow-long", action="store_true",
                        help=f"accept --epochs above {MAX_EPOCHS} or --seeds above {MAX_SEEDS} (refused by default with "
                             "an estimate of the time they would take)")


def _command(args: argparse.Namespace, seed: int) -> str:
    """The command line that reproduces this report (every flag that changes it)."""
    parts = ["smallworld demo"] + (["--quick"] if args.quick else []) + [f"--seed {seed}"]
    if args.seeds is not None:
        parts.append(f"--seeds {args.seeds}")
    if args.epochs is not None:
        parts.append(f"--epochs {args.epochs}")
    if args.device != "cpu":
        parts.append(f"--device {args.device}")
    if getattr(args, "allow_long", False):
        parts.append("--allow-long")
    return " ".join(parts)


def _config(args: argparse.Namespace) -> DemoConfig:
    from smallworld._validation import check_int

    cfg = QUICK if args.quick else DEFAULT
    allow = bool(getattr(args, "allow_long", False))
    if args.seeds is not None:  # capped: a seed list is built before any work
        seeds = check_int(args.seeds, "--seeds", min_val=1, max_val=None if allow else MAX_SEEDS)
        cfg = replace(cfg, seeds=seeds)
    if args.epochs is not None:  # capped: 20 epochs x 3 seeds take about 70 s of training here
        epochs = check_int(args.epochs, "--epochs", min_val=1)
        if epochs > MAX_EPOCHS and not allow:
            days = epochs * cfg.seeds * EPOCH_SEED_S / 86400
            raise ValueError(
                f"--epochs must be an integer >= 1 and <= {MAX_EPOCHS}, got --epochs={epochs} (about "
                f"{days:.3g} days of training at ~{EPOCH_SEED_S} s per epoch and seed on 2 CPU cores); pass --allow-long to "
                "run it"
            )
        cfg = replace(cfg, epochs=epochs)
    if allow and (cfg.epochs > MAX_EPOCHS or cfg.seeds > MAX_SEEDS):
        print(f"warning: --allow-long: {cfg.epochs} epochs x {cfg.seeds} seeds, about "
              f"{cfg.epochs * cfg.seeds * EPOCH_SEED_S / 3600:.3g} hours of training on 2 CPU cores", file=sys.stderr)
    return cfg


def run(args: argparse.Namespace) -> int:
    from smallworld.cli._demo_files import check_destination

    check_destination(args.out, args.force)  # refuse in milliseconds, before torch and the analysis imports
    import numpy as np
    from tqdm.auto import tqdm

    from smallworld.cli import progress_enabled

    from analysis.ws_curve import WS98_PS, ws_curve
    from nets import load_dataset
    from nets._utils import resolve_device
    from smallworld._validation import check_int
    from smallworld.cli._demo_build import build_wirings
    from smallworld.cli._demo_extras import card_markdown, rewiring_markdown, rewiring_rows, rewiring_study
    from smallworld.cli._demo_files import report_folder, write_json, write_text
    from smallworld.cli._demo_figures import write_figures
    from nets.card import rule_card
    from smallworld.cli._demo_report import RULE_NAMES, column_notes, report_markdown, results_table, score_table, summary
    from smallworld.cli._demo_score import omega_niter, score_model
    from smallworld.cli._demo_train import aggregate, estimate_costs, train_all

    t0 = time.perf_counter()
    seed = check_int(args.seed, "--seed", min_val=0)
    cfg = _config(args)
    device = str(resolve_device(args.device))
    seeds = [seed + i for i in range(cfg.seeds)]
    with report_folder(args.out, force=args.force) as stage:  # threads: nets.train's policy per model
        data = load_dataset("digits", seed=seed)
        wirings = build_wirings(cfg, seed=seed, n_in=data.n_features, n_out=data.n_classes)
        labels = {w.name: w.label for w in wirings}

        scores, fits, degrees = {}, {}, {}
        for w in tqdm(wirings, desc="scoring neuron graphs", unit="net", leave=False, disable=not progress_enabled()):
            scores[w.name], fits[w.name], degrees[w.name] = score_model(w.make(seed), niter=cfg.niter, nrand=cfg.nrand,
                                                       n_bootstrap=cfg.n_bootstrap, seed=seed)

        # the bar counts estimated seconds, not runs: the DAG's runs cost ~30x a layered net's (ETA honest)
        plan = {w.name: cfg.layered_rules if w.kind == "layered" else cfg.rules for w in wirings}
        n_runs = sum(len(r) for r in plan.values()) * len(seeds)
        costs = estimate_costs(wirings, plan, data, epochs=cfg.epochs, batch_size=cfg.batch_size,
                               device=device, seed=seed)
        total = sum(costs.values()) * len(seeds)
        with tqdm(total=total, desc=f"training {n_runs} runs", unit="s",
                  unit_scale=False, leave=False, disable=not progress_enabled(),
                  bar_format="{l_bar}{bar}| est. {n:.0f}/{total:.0f} s [{elapsed}<{remaining}{postfix}]") as bar:
            runs = aggregate(train_all(wirings, plan, seeds, data, epochs=cfg.epochs, lr=cfg.lr,
                                       batch_size=cfg.batch_size, device=device, bar=bar, costs=costs))

        # topology while it learns: the layered small-world network rewired by each policy (BP, first seed)
        skip_net = next((w for w in wirings if w.kind == "skip"), None)
        study = {}
        if skip_net is not None:
            with tqdm(total=1, desc="rewiring study", leave=False, disable=not progress_enabled()) as bar:
                study = rewiring_study(skip_net, data, epochs=cfg.epochs, lr=cfg.lr, batch_size=cfg.batch_size,
                                       device=device, seed=seed, fraction=cfg.rewire_fraction)
                bar.update(1)
        rewired = rewiring_rows(study)

        ps = WS98_PS if cfg.ws_points == len(WS98_PS) else tuple(np.logspace(-4, 0, cfg.ws_points))
        with tqdm(total=len(ps) * cfg.ws_seeds, desc="WS Fig. 2", unit="graph", leave=False, disable=not progress_enabled()) as bar:
            curve = ws_curve(1000, 10, ps, seeds=cfg.ws_seeds, seed=seed, progress=bar.update)

        rows = []
        for w in wirings:
            for rule in plan[w.name]:
                r = runs[(w.name, rule)]
                if "acc_mean" not in r:
                    continue
                s = scores[w.name]
                rows.append({"wiring": w.name, "label": w.label, "rule": rule, "weights": w.weights,
                             "density": w.density, "C": s["C"], "L": s["L"], "sigma": s["sigma"], **r})
        skipped = {f"{labels[w]} · {rule}": r["skipped"] for (w, rule), r in runs.items() if r.get("skipped")}
        dag = next((w.name for w in wirings if w.kind == "dag"), "")
        table = results_table(rows)
        text = summary(rows, scores, labels, dag=dag, small_world=[w.name for w in wirings if w.kind in ("skip", "dag")])
        figures = write_figures(stage, wirings=wirings, degrees=degrees, fits=fits, runs=runs, curve=curve, labels=labels,
                                study=study, skip_label=skip_net.label if skip_net is not None else "")
        notes = [f"{k}: skipped — {v}" for k, v in skipped.items()]
        notes += [w.note for w in wirings if w.note]
        layered = [w.label for w in wirings if w.kind == "layered"]
        if layered and set(cfg.layered_rules) != set(cfg.rules):
            notes.append(f"The layered families ({', '.join(layered)}) train with "
                         f"{', '.join(RULE_NAMES.get(r, r) for r in cfg.layered_rules)} only: their neuron graphs have "
                         "C = 0 whatever drew the masks, so the other rules run on the dense MLP and the small-world "
                         "networks, where they answer a different question.")
        notes.append("C = mean local clustering of the undirected neuron graph (nodes of degree < 2 count as 0); "
                     "L = mean shortest path on its largest component; σ = (C/C_rand)/(L/L_rand) with C the mean "
                     f"local clustering and degree-preserving random references ({cfg.nrand} graphs, {cfg.niter} "
                     f"swaps per edge); ω = L_rand/L − C/C_latt (Telesford et al. 2011), lattice references with "
                     f"{omega_niter(cfg.niter)} swaps per edge.")
        setup = (f"Data: scikit-learn digits (8×8, 10 classes), stratified 75/25 split (seed {seed}). "
                 f"Budget: {wirings[0].weights:,} weights (the dense MLP's). {cfg.epochs} epoch{'' if cfg.epochs == 1 else 's'}, Adam lr {cfg.lr}, "
                 f"batch {cfg.batch_size}, seeds {seeds}, device {device}. Command: `{_command(args, seed)}`.")
        sections = [("Columns", column_notes(nrand=cfg.nrand, niter=cfg.niter, omega_niter=omega_niter(cfg.niter),
                                             dag=next(((w.density, w.source["n_neurons"]) for w in wirings
                                                       if w.kind == "dag"), None))),
                    ("Backprop's six problems: what each rule removes, beside its accuracy",
                     card_markdown([r for r in cfg.rules if any(x["rule"] == r for x in rows)], rows))]
        if rewired:
            sections.append((f"Topology while it learns: the {skip_net.label} network rewired during training",
                             f"BP, seed {seed}, {cfg.epochs} epochs; after each epoch the {100 * cfg.rewire_fraction:.0f}% "
                             "weakest connections of each layer are dropped and as many regrown (SET: at random; "
                             "RigL: where the dense gradient is largest; smallworld: 90% where they close triangles, "
                             "10% random shortcuts), so the budget stays constant; with protect = 2 the drop spares "
                             "connections in triangles (it ranks by |w|·(1 + triangles)²). C: mean local clustering of the "
                             "neuron graph; L: mean shortest path in its largest component (BFS from a sample of "
                             "sources); σ here against Erdős–Rényi analytic references (C_r = k/n, L_r = ln n / ln k, "
                             "k the mean degree), a per-epoch proxy of the report's σ.\n\n" + rewiring_markdown(rewired)))
        md = report_markdown(title="smallworld demo: brain-like wiring and learning on digits", setup=setup,
                             table=table, scores_md=score_table(scores, labels, {w.name: w.source.get("hidden_graph", {}).get("C") for w in wirings}), summary_text=text,
                             figures=figures, notes=notes, sections=sections)
        write_text(stage / "report.md", md)
        write_json(stage / "results.json", {
            "config": {**asdict(cfg), "seed": seed, "seeds": seeds, "device": device, "quick": bool(args.quick)},
            "wirings": [w.describe() for w in wirings],
            "scores": scores,
            "results": [{k: v for k, v in r.items() if k not in ("curves", "label")} for r in rows],
            "curves": {f"{w}/{rule}": r.get("curves") for (w, rule), r in runs.items() if "curves" in r},
            "skipped": skipped,
            "rule_card": {r: card for r, card in rule_card("dict").items() if r in cfg.rules},
            "rewiring": {"wiring": skip_net.name if skip_net is not None else None, "rows": rewired,
                         "topology": {p: [run["config"].get("topology_initial")] + [h.get("topology") for h in run["history"]]
                                      for p, run in study.items()}},
            "ws_curve": curve.to_dict(),
            "summary": text,
            "figures": [name for name, _ in figures],
            "elapsed_s": time.perf_counter() - t0,
        })
    print(table)
    print()
    print(text)
    for n in notes[: len(skipped)]:
        print(f"note: {n}")
    print(f"\nreport: {args.out}/ (report.md, results.json, {len(figures)} figures) "
          f"in {time.perf_counter() - t0:.0f} s", file=sys.stdout)
    return 0
