"""Learning rules on CPU: step time of FA (and friends) vs BP, and peak step memory of local losses vs BP.

Targets (issue 4, section 7):

- FA step / BP step <= 1.05 on a dense 784-1024-1024-10 MLP, batch 128;
- predsim's peak memory <= 0.35 x BP's on an MLP with 8 hidden layers.

Time: one "step" is ``learner.step(x, y)`` (forward, loss, backward, optimizer
step with Adam), the median over ``--repeats`` blocks of ``--steps`` steps,
rules interleaved within each repeat so that machine noise hits all alike.  A
plain ``torch.nn.Linear`` MLP trained with backprop is the peer baseline.

Memory: the peak of the bytes allocated by the CPU allocator *during one
training step*, above what is resident before it (parameters, buffers, the
optimizers' state).  Measured with ``torch.profiler`` (``profile_memory=True``):
the allocator's ``[memory]`` events of the step are summed in time order and the
running maximum is taken.  Gradients are freed (``zero_grad(set_to_none=True)``)
so they count as step memory for every rule.

Run:  python benchmarks/bench_rules.py [--threads 1] [--repeats 7] [--steps 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nets import SparseMLP, apply_rule  # noqa: E402


def _plain_bp(sizes: list[int]):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, fused=True)

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()

    return step


def time_steps(rules: list[str], sizes: list[int], batch: int, steps: int, repeats: int) -> dict[str, float]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, sizes[0], generator=g)
    y = torch.randint(0, sizes[-1], (batch,), generator=g)
    fns = {"nn.Linear BP (peer)": _plain_bp(sizes)}
    for rule in rules:
        fns[rule] = apply_rule(SparseMLP(sizes, seed=0), rule, seed=0).step
    for fn in fns.values():  # warm-up: optimizer state, kernels
        for _ in range(3):
            fn(x, y)
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(steps):
                fn(x, y)
            samples[name].append((time.perf_counter() - t0) / steps)
    return {k: statistics.median(v) for k, v in samples.items()}


def peak_step_memory(rule: str, sizes: list[int], batch: int) -> float:
    """Peak bytes allocated during one step above the resident state (see the module docstring)."""
    from torch.profiler import ProfilerActivity, profile

    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, sizes[0], generator=g)
    y = torch.randint(0, sizes[-1], (batch,), generator=g)
    learner = apply_rule(SparseMLP(sizes, seed=0), rule, seed=0)
    learner.step(x, y)  # optimizer state now exists and is resident
    for opt in learner.optimizers.values():
        opt.zero_grad(set_to_none=True)
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        learner.step(x, y)
    events = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    events.sort(key=lambda e: e.start_ns())
    cur = peak = 0
    for e in events:
        cur += e.nbytes()
        peak = max(peak, cur)
    return float(peak)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--mem-width", type=int, default=1024)
    ap.add_argument("--mem-batch", type=int, default=128)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)\n")

    sizes = [784, 1024, 1024, 10]
    rules = ["bp", "fa", "usf", "frsf", "dfa", "predsim"]
    t = time_steps(rules, sizes, 128, args.steps, args.repeats)
    print(f"### Step time, dense {'-'.join(map(str, sizes))}, batch 128, Adam (median of {args.repeats} x {args.steps} steps)\n")
    print("| rule | ms / step | ratio to SparseMLP BP |")
    print("|---|---:|---:|")
    for name, v in t.items():
        print(f"| {name} | {v * 1e3:.2f} | {v / t['bp']:.3f} |")
    print(f"\nFA step / BP step = {t['fa'] / t['bp']:.3f} (target <= 1.05)\n")

    msizes = [784] + [args.mem_width] * 8 + [10]
    mem_rules = ["bp", "fa", "dfa", "pred", "sim", "predsim", "predsim-bio"]
    peaks = {r: peak_step_memory(r, msizes, args.mem_batch) for r in mem_rules}
    print(f"### Peak step memory, 784-{args.mem_width}x8-10, batch {args.mem_batch} (torch.profiler allocator events)\n")
    print("| rule | peak MiB above resident state | ratio to BP |")
    print("|---|---:|---:|")
    for r, v in peaks.items():
        print(f"| {r} | {v / 2**20:.1f} | {v / peaks['bp']:.3f} |")
    print(f"\npredsim peak / BP peak = {peaks['predsim'] / peaks['bp']:.3f} (target <= 0.35)")


if __name__ == "__main__":
    main()
