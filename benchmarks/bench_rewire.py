"""Rewiring cost per epoch vs an epoch of training, side by side (SET / RigL / smallworld).

The issue's setting: MLP 784-1000-1000-1000-10, every layer at 2% density (ER masks),
rewired once per epoch with zeta = 0.3.  The data are random (cost does not depend on
content); an epoch is timed on ``--n-train`` samples (default 12,000: a fifth of
Fashion-MNIST's 60,000, to fit a 2-core machine) and scaled linearly to 60,000.  A
rewiring is timed as ``nets.train`` runs it (``rewire_time_s`` of the epoch record; RigL's
includes building each layer's dense gradient from the captured signal).

    python benchmarks/bench_rewire.py --threads 2
    python benchmarks/bench_rewire.py --threads 2 --accuracy   # the reduced accuracy table

``--accuracy``: the issue's Fashion-MNIST comparison, reduced to fit a 2-core machine
(Fashion-MNIST is not installed here): the MNIST test set of ``../shared/data``
(10,000 images, split 8,000 train / 2,000 test by seed 0) instead of Fashion-MNIST's
60,000/10,000; same MLP 784-1000-1000-1000-10 with the three hidden-layer masks at 2%
(ER) and a dense readout; 10 epochs, Adam lr 1e-3, batch 128, zeta 0.3 every epoch;
static ER, SET, RigL, smallworld and dense, 3 seeds; each run's final neuron-graph C,
L, sigma proxy and relational C of the two square masks.
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from nets import Rewiring, SparseMLP, layered_masks, train


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-train", type=int, default=12000)
    ap.add_argument("--density", type=float, default=0.02)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--accuracy", action="store_true")
    ap.add_argument("--topology", action="store_true")
    ap.add_argument("--data", default=None,
                    help="--accuracy data: fashion-mnist (default where the Debian package is installed) or mnist-t10k")
    ap.add_argument("--seeds", type=int, default=3, help="--accuracy seeds")
    ap.add_argument("--acc-epochs", type=int, default=10, help="--accuracy epochs")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.accuracy:
        return accuracy(args)
    if args.topology:
        return topology()
    sizes = [784, 1000, 1000, 1000, 10]
    g = torch.Generator().manual_seed(0)
    X = torch.rand(args.n_train, 784, generator=g)
    y = torch.randint(0, 10, (args.n_train,), generator=g)
    data = (X, y, X[:1000], y[:1000])
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, {args.threads} threads, "
          f"{'-'.join(map(str, sizes))} at density {args.density}, {args.n_train} samples/epoch, batch 128, bp, adam")  # fmt: skip
    print("| policy | epoch (s) | rewiring (s) | rewiring / epoch | rewiring / 60k-sample epoch |")
    print("|---|---:|---:|---:|---:|")
    warm = SparseMLP(sizes, layered_masks(sizes, "er", args.density, sparse_output=True, seed=0), seed=0)
    train(warm, "bp", (X[:256], y[:256], X[:64], y[:64]), epochs=1, progress=False)  # numba JIT, not timed
    for policy in ("static", "set", "rigl", "smallworld"):
        net = SparseMLP(sizes, layered_masks(sizes, "er", args.density, sparse_output=True, seed=0), seed=0)
        t0 = time.perf_counter()
        res = train(net, "bp", data, epochs=args.epochs, batch_size=128, seed=0, progress=False,
                    rewire=Rewiring(policy, 0.3, track=False))  # fmt: skip
        wall = time.perf_counter() - t0
        hist = res.history[: args.epochs - 1]  # the last epoch does not rewire
        ep = sum(h["time_s"] for h in hist) / len(hist)
        rw = sum(h.get("rewire_time_s", 0.0) for h in hist) / len(hist)
        scaled = rw / (ep * 60000 / args.n_train)
        print(f"| {policy} | {ep:.2f} | {rw:.3f} | {100 * rw / ep:.1f}% | {100 * scaled:.1f}% |  (wall {wall:.1f} s)")


def accuracy(args: argparse.Namespace) -> None:
    import statistics
    import warnings

    from nets import load_dataset

    warnings.simplefilter("ignore")  # ER masks at 2% leave a few dead inputs (border pixels): expected
    sizes = [784, 1000, 1000, 1000, 10]
    from nets.data import FASHION_MNIST_DIR

    name = args.data or ("fashion-mnist" if FASHION_MNIST_DIR.is_dir() else "mnist-t10k")
    if name == "fashion-mnist":
        ds, what = load_dataset("fashion-mnist", seed=0), "Fashion-MNIST"
    else:
        ds, what = load_dataset("../shared/data", test_size=0.2, seed=0), "MNIST t10k split"
    epochs, seeds = args.acc_epochs, range(args.seeds)
    print(f"# {what} {len(ds.y_train)}/{len(ds.y_test)}, {'-'.join(map(str, sizes))}, hidden masks "
          f"{args.density} ER, dense readout, {epochs} epochs, bp, adam 1e-3, batch 128, zeta 0.3 every epoch, "
          f"{len(seeds)} seeds, {args.threads} threads")  # fmt: skip
    print(f"| run | test accuracy (mean ± sd, {len(seeds)} seeds) | C | L | sigma (ER proxy) | relational C | s/run |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for policy in ("static", "set", "rigl", "smallworld", "dense"):
        accs, topo, secs = [], [], []
        for seed in seeds:
            masks = None if policy == "dense" else [*layered_masks(sizes[:-1], "er", args.density, sparse_output=True, seed=seed), None]
            net = SparseMLP(sizes, masks, seed=seed)
            t0 = time.perf_counter()
            res = train(net, "bp", ds, epochs=epochs, lr=1e-3, batch_size=128, seed=seed, progress=False,
                        rewire=None if policy == "dense" else Rewiring(policy, 0.3))  # fmt: skip
            secs.append(time.perf_counter() - t0)
            accs.append(res.final_test_accuracy)
            topo.append(res.history[-1].get("topology"))
        if policy == "dense":  # a dense stack: C = 0 by construction; triangle counts on 2.8M edges are not cheap
            print(f"| dense | {statistics.mean(accs):.4f} ± {statistics.stdev(accs):.4f} | 0 | - | 0 | 1 | "
                  f"{statistics.mean(secs):.0f} |", flush=True)  # fmt: skip
            continue
        m = lambda k: statistics.mean(t[k] for t in topo)  # noqa: E731
        rel = statistics.mean(statistics.mean(t["relational_C"]) for t in topo)
        print(f"| {policy} | {statistics.mean(accs):.4f} ± {statistics.stdev(accs):.4f} | {m('C'):.3f} | {m('L'):.3f} | "
              f"{m('sigma_er'):.3f} | {rel:.4f} | {statistics.mean(secs):.0f} |", flush=True)  # fmt: skip


def topology() -> None:
    """What each policy does to a small-world topology: digits, the layered small-world WiredNet
    (64-64-64-64-10, density 0.2, skip 2: neuron-graph C > 0) and a WS-wired SparseMLP (64-64-64-10,
    density 0.2, p 0.1: relational C of its square mask), 15 epochs, zeta 0.3 every epoch, 3 seeds."""
    import statistics
    import warnings

    from nets import WiredNet, layered_smallworld, load_dataset

    warnings.simplefilter("ignore")
    ds = load_dataset("digits", seed=0)
    print("| model | policy | test acc | C start -> end | L start -> end | sigma_er start -> end | relational C start -> end |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for kind in ("ws-skip WiredNet", "ws SparseMLP"):
        for policy in ("static", "set", "rigl", "smallworld"):
            rows = []
            for seed in range(3):
                if kind.startswith("ws-skip"):
                    net = WiredNet(layered_smallworld([64, 64, 64, 64, 10], 0.2, skip=2, seed=seed), seed=seed)
                else:
                    sz = [64, 64, 64, 10]
                    net = SparseMLP(sz, [*layered_masks(sz[:-1], "ws", 0.2, p=0.1, sparse_output=True, seed=seed), None], seed=seed)
                res = train(net, "bp", ds, epochs=15, lr=3e-3, seed=seed, progress=False, rewire=Rewiring(policy, 0.3))
                a, b = res.config["topology_initial"], res.history[-1]["topology"]
                rel = lambda t: statistics.mean(t["relational_C"]) if t.get("relational_C") else float("nan")  # noqa: E731
                rows.append([res.final_test_accuracy, a["C"], b["C"], a["L"], b["L"], a["sigma_er"], b["sigma_er"], rel(a), rel(b)])
            m = [statistics.mean(r[i] for r in rows) for i in range(9)]
            print(f"| {kind} | {policy} | {m[0]:.3f} | {m[1]:.3f} -> {m[2]:.3f} | {m[3]:.2f} -> {m[4]:.2f} | "
                  f"{m[5]:.2f} -> {m[6]:.2f} | {m[7]:.3f} -> {m[8]:.3f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
