"""``smallworld train``: wire a graph into an MLP and train it with a learning rule."""

from __future__ import annotations

import argparse
from typing import Any

HELP = "train a graph-wired sparse MLP with BP, FA, DFA or local losses"
DESCRIPTION = """\
Wire a graph family into the masks of an MLP, train it on an offline data set with
a learning rule, and print a results table.

  smallworld train --wiring ws --density 0.25 --rule predsim --data digits \\
      --hidden 64,64 --epochs 30 --seed 0 --out runs/ws-predsim

The graph wires the hidden layers (--sparse-output wires the output layer too).
With --out, a checkpoint is written atomically after every epoch and results.json
at the end; --resume continues an interrupted run to the same final result.
Rules: bp, fa, usf, frsf, dfa, pred, sim, predsim, pred-bio, sim-bio, predsim-bio,
node-perturbation, agrel, dendritic, readout-only (--list-rules prints which of backprop's six
problems each one removes).  Data: digits, mnist1d, fashion-mnist, or a folder of IDX files.

--nproc N starts N worker processes (torch.multiprocessing, gloo on --device cpu, nccl
on --device cuda: one GPU per rank) and trains them as one run (nets.distributed);
the results folder and results.json are those of a one-process run:

  smallworld train --rule predsim --hidden 1024,1024 --nproc 2 --parallel layer

--parallel data (the default) splits every mini-batch over the ranks and all-reduces
the updates (every rule; equals one process for rules whose loss is a mean over the
batch; data-bf16 sends the gradients as bfloat16, half the bytes, close to but not
equal to one process; on one machine the ranks sum gradients through shared memory,
SMALLWORLD_DATA_TRANSPORT=backend makes them use gloo); --parallel layer gives each rank a contiguous group of blocks of a local rule
(pred, sim, predsim and -bio) or of dfa (equals one process), and layer-pipelined
overlaps the hand-over of activations with compute (the same result for these rules).
"""

WIRINGS = ("dense", "er", "ws", "ws_flex", "ba", "hk", "ke", "powerlaw_in", "powerlaw_out", "ws-skip")
#: Wirings with a rewiring probability (--p).
_P_WIRINGS = ("ws", "ws_flex", "ws-skip")
DEFAULT_SKIP = 2
DEFAULT_DENSITY = 0.25
DEFAULT_P = 0.1


def _hidden(text: str) -> list[int]:
    items = [v.strip() for v in text.split(",")]
    # plain digits only: int() would also take "16_0" (160), "+64" and " 64 "; an empty item is a typo
    if not items or not all(v.isascii() and v.isdigit() for v in items):
        raise argparse.ArgumentTypeError(f"--hidden must be comma-separated integers like 64,64, got {text!r}")
    sizes = [int(v) for v in items]
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"--hidden must list widths >= 1, got {text!r}")
    return sizes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wiring", default="ws", metavar="GRAPH",
        help=f"mask family: {', '.join(WIRINGS)} (default ws); ws-skip is a layered network with skip arcs on a "
        "ring lattice plus shortcuts (nets.layered_smallworld), whose neuron graph is small-world",
    )  # fmt: skip
    parser.add_argument(
        "--skip", type=int, default=None,
        help=f"ws-skip only: how many layers back a layer reads (default {DEFAULT_SKIP}; 1 = no skip arcs)",
    )  # fmt: skip
    parser.add_argument(
        "--density", type=float, default=None,
        help=f"fraction of connections per wired layer (default {DEFAULT_DENSITY}; not for --wiring dense)",
    )  # fmt: skip
    parser.add_argument(
        "--p", type=float, default=None, help=f"rewiring probability, ws and ws_flex only (default {DEFAULT_P})"
    )
    parser.add_argument(
        "--sparse-output", action="store_true",
        help="wire the output layer too (default: hidden layers wired, output layer dense)",
    )  # fmt: skip
    parser.add_argument("--rule", default="bp", help="learning rule (default bp)")
    parser.add_argument("--data", default="digits", help="digits, mnist1d, fashion-mnist or an IDX folder (default digits)")
    parser.add_argument(
        "--test-size", type=float, default=None, metavar="F",
        help="fraction held out for testing where the data has no official split (digits: default 0.25; "
        "an IDX folder with only one split needs it)",
    )  # fmt: skip
    parser.add_argument("--hidden", type=_hidden, default=[64, 64], metavar="W1,W2,...", help="hidden widths (default 64,64)")
    parser.add_argument("--epochs", type=int, default=20, help="number of epochs (default 20)")
    parser.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 1e-3)")
    parser.add_argument("--batch-size", type=int, default=64, help="mini-batch size (default 64)")
    parser.add_argument("--optimizer", default="adam", help="adam, adamw or sgd (default adam)")
    parser.add_argument("--weight-decay", type=float, default=0.0, help="weight decay (default 0)")
    parser.add_argument("--dense-feedback", action="store_true", help="FA/uSF/frSF: a dense B instead of a masked one")
    parser.add_argument("--beta", type=float, default=0.99,
                        help="pred/sim/predsim (and -bio): weight of the similarity term, (1-beta) pred + beta sim "
                             "(default 0.99, Nokland & Eidnes; 0.9 suits narrow nets, BENCHMARKS.md)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    parser.add_argument("--seed", type=int, default=0, help="seed of masks, weights, split and batch order (default 0)")
    parser.add_argument("--out", default=None, metavar="DIR", help="folder for checkpoint.pt and results.json")
    parser.add_argument("--resume", action="store_true", help="continue the run checkpointed in --out")
    parser.add_argument(
        "--allow-unsigned-checkpoint", action="store_true",
        help="with --resume: accept a checkpoint without a SHA-256 digest (written by an older version)",
    )  # fmt: skip
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--rewire", default=None, metavar="POLICY",
        help="evolve the masks during training (nets.rewire): set, rigl, smallworld, or static (no rewiring, "
        "topology tracked); each epoch records the topology, and --out gets topology_over_training.png",
    )  # fmt: skip
    parser.add_argument(
        "--rewire-fraction", type=float, default=None, metavar="Z",
        help="with --rewire: share of each layer's connections replaced per rewiring (default 0.3)",
    )  # fmt: skip
    parser.add_argument(
        "--rewire-every", type=int, default=None, metavar="K", help="with --rewire: rewire every K epochs (default 1)"
    )
    parser.add_argument(
        "--rewire-protect", type=float, default=None, metavar="G",
        help="with --rewire smallworld: drop by |w|(1+triangles)^G, sparing connections in short cycles so "
        "clustering stays near its start (default 0: by magnitude, as SET/RigL; 2 keeps it, at some accuracy)",
    )  # fmt: skip
    parser.add_argument(
        "--nproc", type=int, default=None, metavar="N",
        help="train on N worker processes started here (default: this one process); see --parallel",
    )  # fmt: skip
    parser.add_argument(
        "--parallel", default=None, metavar="MODE",
        help="with --nproc: data (default; every rule), data-bf16 (gradients sent as bfloat16), layer or "
        "layer-pipelined (local rules and dfa on an MLP)",
    )  # fmt: skip
    parser.add_argument(
        "--list-rules", action="store_true",
        help="print which of backprop's six biological problems each rule removes (nets.rule_card) and exit",
    )  # fmt: skip


_FLAGS = {"lr": "--lr", "optimizer": "--optimizer", "rule": "--rule", "weight_decay": "--weight-decay", "device": "--device",
          "beta": "--beta"}


def _as_flags(message: str, flags: dict[str, str] = _FLAGS) -> str:
    """``lr must be ..., got lr=-1`` -> ``--lr must be ..., got --lr -1``: the CLI's one translation layer
    (:func:`smallworld.cli.as_flags`) with this command's renamed arguments."""
    from smallworld.cli import as_flags

    return as_flags(message, flags)


def _table(history: list[dict]) -> str:
    has_angle = any("angles" in h for h in history)
    head = ["epoch", "train loss", "train acc", "test loss", "test acc", "time (s)"] + (["angle out (deg)"] if has_angle else [])
    rows = []
    for h in history:
        row = [str(h["epoch"]), f"{h['train_loss']:.4f}", f"{h['train_accuracy']:.4f}", f"{h['test_loss']:.4f}",
               f"{h['test_accuracy']:.4f}", f"{h['time_s']:.2f}"]  # fmt: skip
        if has_angle:
            angle = list(h.get("angles", {}).values())[-1:] or [None]
            row.append("-" if angle[0] is None else f"{angle[0]:.1f}")
        rows.append(row)
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(head)]
    line = lambda cells: "| " + " | ".join(c.rjust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(head), "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|", *map(line, rows)])


def run(args: Any) -> int:
    if getattr(args, "list_rules", False):  # the six-problems card, nothing trained
        from nets.card import rule_card

        print(rule_card())
        return 0
    from smallworld._validation import check_choice, check_int, check_real

    from pathlib import Path

    check_choice(args.wiring, "--wiring", WIRINGS)
    # a setting that would have no effect is refused, not recorded as if it had one
    if args.wiring == "dense" and args.density is not None:
        raise ValueError(f"--density applies to sparse wirings; --wiring dense has every connection (got --density {args.density:g})")
    if args.p is not None and args.wiring not in _P_WIRINGS:
        raise ValueError(
            f"--p is the rewiring probability of --wiring ws, ws_flex or ws-skip, not of {args.wiring} (got --p {args.p:g})"
        )
    skipping = args.wiring == "ws-skip"
    if args.skip is not None and not skipping:
        raise ValueError(f"--skip applies to --wiring ws-skip, not to {args.wiring} (got --skip {args.skip})")
    if skipping and args.sparse_output:
        raise ValueError("--sparse-output applies to mask wirings; --wiring ws-skip wires every layer, the output layer included")
    skip = check_int(DEFAULT_SKIP if args.skip is None else args.skip, "--skip", min_val=1)
    density = 1.0 if args.wiring == "dense" else (DEFAULT_DENSITY if args.density is None else args.density)
    p = DEFAULT_P if args.p is None else args.p
    check_real(density, "--density", min_val=0, max_val=1, include_min=False)
    check_real(p, "--p", min_val=0, max_val=1)
    check_real(getattr(args, "beta", 0.99), "--beta", min_val=0, max_val=1)
    check_int(args.epochs, "--epochs", min_val=1)
    check_int(args.batch_size, "--batch-size", min_val=1)
    check_int(args.seed, "--seed", min_val=0)
    if args.test_size is not None:
        check_real(args.test_size, "--test-size", min_val=0, max_val=1, include_min=False, include_max=False)
    if args.out is not None and not args.out.strip():
        raise ValueError("--out must name a folder, got an empty path")
    if args.resume and args.out is None:
        raise ValueError("--resume needs --out DIR, the folder of the run to continue")
    if getattr(args, "allow_unsigned_checkpoint", False) and not args.resume:
        raise ValueError("--allow-unsigned-checkpoint only applies with --resume")
    out = Path(args.out) if args.out is not None else None
    rewire = _rewiring(args)
    if args.data in ("mnist", "idx"):
        raise ValueError(f"--data {args.data} needs the folder of IDX files itself: --data DIR")
    parallel = _parallel(args, rewire)

    from nets._checkpoint import CHECKPOINT_NAME, RESULTS_NAME, write_json
    from nets._learner import check_optimizer
    from nets._utils import resolve_device
    from nets.data import load_dataset
    from nets.layered import layered_smallworld
    from nets.models import SparseMLP, WiredNet
    from nets.rules import as_rule
    from nets.train import existing_run_file, train
    from nets.wiring import layered_masks

    # before any work, in the user's flags (the library's own check says resume=True)
    found = existing_run_file(out) if out is not None and not args.resume else None
    if found is not None:
        raise FileExistsError(
            f"{found} already exists: pass --resume to continue that run, or choose another --out"
            if found.name == CHECKPOINT_NAME
            else f"{found} already exists (another run's results): choose another --out"
        )

    try:  # the library names its arguments (lr=...); the user typed flags (--lr ...)
        rule = as_rule(args.rule)
        check_optimizer(args.optimizer, args.lr, args.weight_decay)
        device = resolve_device(args.device)
    except (ValueError, TypeError) as exc:
        raise type(exc)(_as_flags(str(exc))) from None
    try:
        data = load_dataset(args.data, seed=args.seed, test_size=args.test_size)
    except ValueError as exc:  # the library names its argument; here it is a flag
        msg = str(exc).replace("pass test_size", "pass --test-size")
        msg = msg.replace("'mnist', ", "").replace(", 'idx' or a folder", " or a folder")  # names that need a folder here
        raise ValueError(_as_flags(msg, {"name": "--data", "test_size": "--test-size"})) from None
    sizes = [data.n_features, *args.hidden, data.n_classes]
    # The graph wires the hidden layers; the output layer is dense unless --sparse-output (with a
    # sparse readout each class sees only density x width units, which starves the local rules).
    if skipping:
        masks = None
    elif args.sparse_output:
        masks = layered_masks(sizes, args.wiring, density, p=p, sparse_output=True, seed=args.seed)
    elif len(sizes) > 2:  # the library's default (a dense readout), with None for the dense layer
        masks = [*layered_masks(sizes, args.wiring, density, p=p, seed=args.seed)[:-1], None]
    else:
        masks = [None]
    if skipping:
        try:
            wiring = layered_smallworld(sizes, density, skip=skip, p=p, seed=args.seed)
        except ValueError as exc:
            raise ValueError(_as_flags(str(exc), {"density": "--density"})) from None
        model = WiredNet(wiring, seed=args.seed, device=device)
    else:
        model = SparseMLP(sizes, masks=masks, seed=args.seed, device=device)
    print(
        f"smallworld train: {'-'.join(map(str, sizes))} {'layered WiredNet' if skipping else 'MLP'}, "
        f"wiring={args.wiring} density={density:g}{f' skip={skip}' if skipping else ''}, "
        f"rule={rule.value}, data={data.name} ({len(data.y_train)} train / {len(data.y_test)} test), device={device}",
        flush=True,
    )
    built = {"sizes": sizes, "wiring": args.wiring, "density": density, "sparse_output": args.sparse_output}
    if args.wiring in _P_WIRINGS:
        built["p"] = p
    if skipping:
        built["skip"] = skip
    kwargs = dict(
        epochs=args.epochs, lr=args.lr, optimizer=args.optimizer, batch_size=args.batch_size,
        weight_decay=args.weight_decay, device=device, seed=args.seed, out=args.out, resume=args.resume,
        progress=not args.no_progress, dense_feedback=args.dense_feedback, metadata=built, beta=args.beta,
        allow_unsigned_checkpoint=getattr(args, "allow_unsigned_checkpoint", False),
    )  # fmt: skip
    if parallel is None:
        result = train(model, rule, data, rewire=rewire, **kwargs)
    else:
        import functools

        from nets.distributed import DATA_MODES, DistributedError, launch

        if skipping and parallel not in DATA_MODES:
            raise ValueError(
                f"--parallel {parallel} needs a chain of layers; --wiring ws-skip builds a WiredNet (a DAG): use --parallel data"
            )
        print(f"smallworld train: {args.nproc} worker processes, --parallel {parallel}", flush=True)
        try:
            # each worker reads the data set itself (the same call as above), instead of a pickled copy
            loader = functools.partial(load_dataset, args.data, seed=args.seed, test_size=args.test_size)
            result = launch(args.nproc, model, rule, loader, mode=parallel, **kwargs)
        except DistributedError as exc:  # a worker died or stalled: not the user's input, but still one line
            import sys

            print(f"smallworld train: error: {exc}", file=sys.stderr)
            return 1
    print(_table(result.history))
    densities = [layer.density for layer in model.layers]
    print(f"final test accuracy {result.final_test_accuracy:.4f} (rule {rule.value}, wiring {args.wiring}, seed {args.seed})")
    if out is not None:
        summary = result.to_dict()
        summary["model"] = {**built, "mask_densities": densities}
        write_json(out / RESULTS_NAME, summary)
        print(f"results written to {out / RESULTS_NAME}")
        if rewire is not None:
            from analysis.plots import plot_topology_over_training

            fig = plot_topology_over_training({rewire.policy: summary}, out / "topology_over_training.png")
            print(f"topology figure written to {fig}")
    return 0


def _parallel(args: Any, rewire: Any) -> str | None:
    """``--nproc N --parallel MODE`` -> the mode of :func:`nets.distributed.launch` (None: one process)."""
    from smallworld._validation import check_choice, check_int

    nproc, parallel = getattr(args, "nproc", None), getattr(args, "parallel", None)
    if nproc is None:
        if parallel is not None:
            raise ValueError(f"--parallel {parallel} applies with --nproc N, the number of worker processes")
        return None
    check_int(nproc, "nproc", min_val=1)  # the CLI says it in flags: --nproc must be ...
    from nets.distributed import DATA_MODES, LAYER_RULES, MODES
    from nets.rules import as_rule

    parallel = "data" if parallel is None else parallel
    check_choice(parallel, "parallel", MODES)
    try:
        rule = as_rule(args.rule).value
    except (ValueError, TypeError):
        return parallel  # the rule's own check says what is wrong with it
    if parallel not in DATA_MODES and rule not in LAYER_RULES:
        raise ValueError(
            f"--parallel {parallel} runs the rules whose blocks need no gradient from above "
            f"({', '.join(LAYER_RULES)}); --rule {rule} needs one: use --parallel data"
        )
    if rewire is not None:
        raise ValueError("--rewire cannot be combined with --nproc (each rank would rewire its own masks)")
    return parallel


def _rewiring(args: Any) -> Any:
    """``--rewire POLICY --rewire-fraction Z --rewire-every K --rewire-protect G`` -> a ``nets.Rewiring`` (or
    None), errors in flags."""
    policy = getattr(args, "rewire", None)
    fraction, every = getattr(args, "rewire_fraction", None), getattr(args, "rewire_every", None)
    protect = getattr(args, "rewire_protect", None)
    if policy is None:
        if fraction is not None or every is not None or protect is not None:
            raise ValueError("--rewire-fraction, --rewire-every and --rewire-protect apply with --rewire POLICY "
                             "(set, rigl, smallworld, static)")
        return None
    from nets.rewire import Rewiring

    try:
        return Rewiring(policy, 0.3 if fraction is None else fraction, 1 if every is None else every,
                        protect=0.0 if protect is None else protect)
    except (ValueError, TypeError) as exc:
        flags = {"policy": "--rewire", "fraction": "--rewire-fraction", "every": "--rewire-every",
                 "protect": "--rewire-protect"}
        raise type(exc)(_as_flags(str(exc), flags)) from None
