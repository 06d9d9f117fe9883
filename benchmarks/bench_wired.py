"""WiredNet (a small-world DAG) against a layered SparseMLP with the same neurons and nonzero weights.

Usage::

    python benchmarks/bench_wired.py [--sizes 330 1000 10000] [--repeats 30] [--epochs 3]

For each size ``N``: a Watts-Strogatz graph (k = 20, p = 0.1) oriented by a random
order into a :class:`nets.WiredNet` with 64 inputs and 10 outputs (``N * 10``
arcs), and a ``SparseMLP([64, N - 74, 10])`` with Erdős–Rényi masks of the same
total number of weights.  Digits, batch 64, CPU, one thread
(``torch.set_num_threads(1)``, ``NUMBA_NUM_THREADS=1``).  Reported, BP and FA:

- median forward + backward of one batch (gradients cleared outside the timing),
  for the fused DAG kernels and for the per-level path they replaced
  (``engine="levels"``, at most 3 repeats above 1,000 neurons);
- median epoch time of ``nets.train`` (Adam, the whole loop: step, optimizer,
  evaluation) over ``--epochs`` epochs.

Prints a markdown table (ratios are WiredNet / SparseMLP).
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import torch  # noqa: E402

import smallworld as sw  # noqa: E402
from nets import SparseMLP, WiredNet, layered_masks, load_dataset, train  # noqa: E402


def models(n: int, seed: int = 0, engine: str = "auto") -> tuple[WiredNet, SparseMLP]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wired = WiredNet(sw.watts_strogatz(n, 20, 0.1, seed=seed), inputs=64, outputs=10, order="random", seed=seed,
                         engine=engine)  # fmt: skip
        nnz = sum(l.nnz for l in wired.layers)
        h = n - 74
        mlp = SparseMLP([64, h, 10], layered_masks([64, h, 10], "er", nnz / (74 * h), sparse_output=True, seed=seed), seed=seed)
    return wired, mlp


def fwd_bwd_ms(model: torch.nn.Module, x: torch.Tensor, repeats: int) -> float:
    params = list(model.parameters())
    times = []
    for r in range(repeats + 2):
        for p in params:
            p.grad = None
        t = time.perf_counter()
        model(x).sum().backward()
        if r >= 2:  # two warm-up calls (numba compilation and caches)
            times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)


def epoch_s(model: torch.nn.Module, rule: str, ds, epochs: int) -> float:
    res = train(model, rule, ds, epochs=epochs, lr=3e-3, batch_size=64, seed=0, progress=False)
    return statistics.median(h["time_s"] for h in res.history)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[330, 1000, 10000])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    ds = load_dataset("digits", seed=0)
    x = ds.X_train[:64]
    print(f"torch threads {torch.get_num_threads()}, NUMBA_NUM_THREADS={os.environ['NUMBA_NUM_THREADS']}, "
          f"load average {os.getloadavg()[0]:.2f} at start")  # fmt: skip
    print()
    print("| neurons | levels | nnz (DAG / MLP) | rule | MLP fwd+bwd ms | DAG fused ms | ratio | DAG per-level ms "
          "| MLP epoch s | DAG epoch s | ratio |")  # fmt: skip
    print("|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        for rule in ("bp", "fa"):
            wired, mlp = models(n)
            levels, _ = models(n, engine="levels")
            for m in (wired, mlp, levels):
                m.set_feedback(rule)
            nnz_w, nnz_m = sum(l.nnz for l in wired.layers), sum(l.nnz for l in mlp.layers)
            t_m = fwd_bwd_ms(mlp, x, args.repeats)
            t_w = fwd_bwd_ms(wired, x, args.repeats)
            t_l = fwd_bwd_ms(levels, x, args.repeats if n <= 1000 else 3)
            e_m = epoch_s(mlp, rule, ds, args.epochs)
            e_w = epoch_s(wired, rule, ds, args.epochs)
            print(f"| {n:,} | {wired.wiring.depth} | {nnz_w:,} / {nnz_m:,} | {rule} | {t_m:.2f} | {t_w:.2f} | "
                  f"{t_w / t_m:.1f}x | {t_l:.1f} | {e_m:.2f} | {e_w:.2f} | {e_w / e_m:.1f}x |", flush=True)  # fmt: skip
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
