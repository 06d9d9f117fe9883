"""``smallworld score FILE | --dataset NAME | --mlp SIZES``: the small-world report of a graph or an MLP."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["HELP", "DESCRIPTION", "add_arguments", "run", "parse_sizes"]

HELP = "score a graph file, a shipped dataset or a dense MLP for small-world-ness"
DESCRIPTION = """\
Measure n, m, density, degrees and their power-law fit (Clauset et al. 2009),
clustering, transitivity, path length, global efficiency, and the small-world
coefficients sigma, omega and the small-world propensity with their null
ensembles.  Prints a table; --json writes the full report.

  smallworld score graph.edgelist --seed 1
  smallworld score --dataset celegans --json celegans.json
  smallworld score --mlp 784,256,256,10

A model (--mlp) is scored through its neuron graph in its undirected view.
Graphs with more than 20,000 edges (e.g. the 784,256,256,10 MLP: 268,800)
get the analytic ER / ring-lattice references for sigma and omega and no
propensity unless --null rewire is given; the report says so.
"""


def parse_sizes(text: str) -> list[int]:
    """``"784,256,10"`` -> ``[784, 256, 10]`` (at least two positive sizes)."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        sizes = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"--mlp must be comma-separated layer sizes like 784,256,10, got {text!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"--mlp needs at least two positive layer sizes (inputs, ..., outputs), got {text!r}")
    return sizes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``score`` options to ``parser``."""
    parser.add_argument("file", nargs="?", metavar="FILE", help="graph file (.edgelist, .gml, .npz)")
    parser.add_argument("--dataset", metavar="NAME", help="a shipped network: celegans, karate, macaque71, cat52, ...")
    parser.add_argument("--mlp", metavar="SIZES", help="a dense MLP with these layer sizes, e.g. 784,256,256,10")
    parser.add_argument("--niter", type=int, default=10, help="swaps per edge per rewired reference (default 10)")
    parser.add_argument("--nrand", type=int, default=10, help="reference graphs per ensemble (default 10)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the null ensembles and the bootstrap (default 0, as every subcommand)")
    parser.add_argument("--null", choices=("auto", "rewire", "analytic"), default="auto",
                        help="reference graphs (default auto: rewiring up to 20,000 edges, analytic above)")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="B",
                        help="bootstrap replicates of the power-law goodness of fit (default 1000; 0 skips)")
    parser.add_argument("--disconnected", choices=("lcc", "raise", "harmonic"), default="lcc",
                        help="policy for L on a disconnected graph (default lcc)")
    parser.add_argument("--relabel", action="store_true",
                        help="FILE is an edge list with named nodes: number them 0..n-1 in order of first "
                             "appearance (the JSON keeps the names as node_labels)")
    parser.add_argument("--json", metavar="OUT", help="also write the report as JSON to OUT (written atomically)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing --json file")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _write_atomic(path: Path, text: str) -> None:
    from smallworld._atomic import atomic_write_text

    atomic_write_text(path, text + "\n", what="--json")


def _dense_mlp(sizes: list[int]) -> Any:
    import torch

    layers: list[Any] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        # skip_init + fill: every connection present, and no random number drawn
        lin = torch.nn.utils.skip_init(torch.nn.Linear, a, b)
        with torch.no_grad():
            lin.weight.fill_(1.0)
            lin.bias.zero_()
        layers += [lin, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def _load(args: argparse.Namespace) -> tuple[Any, str, list[str] | None]:
    given = [x for x in (args.file, args.dataset, args.mlp) if x is not None]
    if len(given) != 1:
        raise ValueError("give exactly one of FILE, --dataset NAME or --mlp SIZES")
    if args.file is not None:
        import smallworld

        A, labels = smallworld.read(args.file, relabel=True if args.relabel else None, return_labels=True)
        return A, f"file {args.file}", labels
    if args.dataset is not None:
        from smallworld import datasets

        info = datasets.describe(args.dataset)
        return datasets.load(info.name), f"dataset {info.name}", None
    sizes = parse_sizes(args.mlp)
    total = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    if total > 50_000_000:
        raise ValueError(f"--mlp {args.mlp} has {total} connections; the limit is 50,000,000")
    return _dense_mlp(sizes), f"dense MLP {','.join(map(str, sizes))}", None


def run(args: argparse.Namespace) -> int:
    """Score the input, print the table, write JSON on request."""
    from smallworld._validation import check_int

    check_int(args.niter, "--niter", min_val=0)
    check_int(args.nrand, "--nrand", min_val=1)
    check_int(args.bootstrap, "--bootstrap", min_val=0)
    if args.seed is not None:
        check_int(args.seed, "--seed", min_val=0)
    from smallworld.cli import refuse_existing

    if args.relabel and args.file is None:
        raise ValueError("--relabel applies to a graph FILE only")
    refuse_existing(args.json, "--json", args.force)  # before the work, not after it
    x, label, labels = _load(args)

    from analysis.report import score

    report = score(
        x, niter=args.niter, nrand=args.nrand, seed=args.seed, progress=not args.no_progress,
        null=args.null, n_bootstrap=args.bootstrap, disconnected=args.disconnected, name=label,
    )  # fmt: skip
    from smallworld.cli import _flag_names, as_flags, build_parser

    print(as_flags(str(report), _flag_names(build_parser(), "score")))  # notes name flags, not arguments
    if args.json is not None:
        text = report.to_json()
        if labels is not None:  # the names behind node ids 0..n-1
            import json

            text = json.dumps({**json.loads(text), "node_labels": labels}, indent=2)
        _write_atomic(Path(args.json), text)
        print(f"JSON report written to {args.json}", file=sys.stderr)
    return 0
