"""Speed under load: the toolkit's timings on an idle machine and beside busy processes.

For each task the script times, medians of repeats:

- idle; with ``cores - 1`` busy processes; with ``cores`` busy processes
  (busy = ``python -c 'while True: pass'``, started here and always killed);
- under each load, the default thread policy and a single-threaded run
  (``smallworld.thread_limit(1)``; the demo with ``--threads 1``).

Tasks: one epoch of the digits SparseMLP 64-64-64-10 (WS masks at density 0.25,
``nets.layered_masks``) under bp/fa/predsim; the 99%-sparse 4096x4096
``SparseLinear`` forward+backward (batch 256, torch threads as ``nets.train``
sets them); ``analysis.sigma`` (WS n=1000 k=10 p=0.1, niter=100, nrand=10);
exact ``analysis.average_path_length`` (WS n=1e4 k=10); ``smallworld demo
--quick`` in a subprocess writing to a temp folder.

Prints a markdown table with the ratios loaded/idle and loaded/single-threaded
under the same load (the worse of the two loads).  Targets (issue 16):
loaded <= 2x idle, loaded <= 1.5x single-threaded loaded.

    python benchmarks/bench_load.py            # all rows (~5 minutes on 2 cores)
    python benchmarks/bench_load.py --quick    # no demo, fewer repeats (~1 minute)
    python benchmarks/bench_load.py --break-even   # serial vs parallel sparse kernel by work size
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import smallworld  # noqa: E402
from smallworld._threads import usable_cores  # noqa: E402

BUSY = "while True: pass"


class Busy:
    """``n`` spinning processes, always killed on exit (also on SIGTERM/SIGINT)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> "Busy":
        try:
            for _ in range(self.n):
                self.procs.append(subprocess.Popen([sys.executable, "-c", BUSY]))
            time.sleep(0.5 if self.n else 0)  # let them reach the loop
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.procs.clear()

    def __exit__(self, *exc) -> None:
        self.close()


def _terminate(signum, frame):  # SIGTERM unwinds like Ctrl-C so every finally (and Busy) runs
    raise KeyboardInterrupt


# ---------------------------------------------------------------- tasks (setup outside the timing)


def _mlp_epoch(rule: str) -> Callable[[], None]:
    import nets

    data = nets.load_dataset("digits", seed=0)
    masks = nets.layered_masks([64, 64, 64, 10], graph="ws", density=0.25, sparse_output=True, seed=0)

    def run() -> None:
        model = nets.SparseMLP([64, 64, 64, 10], masks, seed=0)
        nets.train(model, rule, data, epochs=1, lr=3e-3, seed=0, progress=False)

    return run


def _layer() -> Callable[[], None]:
    import torch

    import nets
    from nets._backends import torch_threads_for

    g = torch.Generator().manual_seed(0)
    layer = nets.SparseLinear(4096, 4096, torch.rand(4096, 4096, generator=g) < 0.01, seed=0)
    x = torch.randn(256, 4096, generator=g, requires_grad=True)

    def run() -> None:
        with torch_threads_for(layer, 256):
            layer(x).sum().backward()
            x.grad = None
            layer.zero_grad(set_to_none=True)

    return run


def _sigma() -> Callable[[], None]:
    import analysis

    G = smallworld.watts_strogatz(1000, 10, 0.1, seed=0)
    return lambda: analysis.sigma(G, niter=100, nrand=10, seed=0)


def _apl() -> Callable[[], None]:
    import analysis

    G = smallworld.watts_strogatz(10_000, 10, 0.1, seed=0)
    return lambda: analysis.average_path_length(G)


def _demo(single: bool) -> None:
    with tempfile.TemporaryDirectory() as d:
        cmd = [sys.executable, "-m", "smallworld", "demo", "--quick", "--out", str(Path(d) / "r")]
        if single:
            cmd += ["--threads", "1"]
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})


def _time(fn: Callable[[], None], single: bool) -> float:
    t = time.perf_counter()
    if single:
        with smallworld.thread_limit(1):
            fn()
    else:
        fn()
    return time.perf_counter() - t


def measure(tasks: dict[str, tuple[Callable[[bool], Callable[[], None]] | None, int]], loads: list[int]) -> dict:
    """``{task: {(load, single): median seconds}}``; default and single-threaded interleaved per repeat."""
    made = {}
    for name, (make, _) in tasks.items():
        if make is not None:
            fn = make()
            fn()  # warm-up: compile/cache load, first-call allocations
            made[name] = fn
    out: dict[str, dict] = {name: {} for name in tasks}
    for load in loads:
        with Busy(load):
            for name, (make, repeats) in tasks.items():
                times: dict[bool, list[float]] = {False: [], True: []}
                for _ in range(repeats):
                    for single in (False, True):
                        if make is None:  # the demo, in a subprocess
                            t = time.perf_counter()
                            _demo(single)
                            times[single].append(time.perf_counter() - t)
                        else:
                            times[single].append(_time(made[name], single))
                for single in (False, True):
                    out[name][(load, single)] = statistics.median(times[single])
                print(f"  load {load}: {name}: {out[name][(load, False)]:.3f} s (1 thread {out[name][(load, True)]:.3f} s)",
                      file=sys.stderr, flush=True)
    return out


def table(res: dict, loads: list[int]) -> str:
    head = ["task"] + [f"{'idle' if l == 0 else f'{l} busy'} (s)" for l in loads]
    head += [f"1 thread, {'idle' if l == 0 else f'{l} busy'} (s)" for l in loads]
    head += ["loaded / idle", "loaded / 1-thread loaded"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in res.items():
        row = [name] + [f"{r[(l, False)]:.3f}" for l in loads] + [f"{r[(l, True)]:.3f}" for l in loads]
        loaded = [l for l in loads if l > 0]
        worst_idle = max(r[(l, False)] / r[(0, False)] for l in loaded)
        worst_single = max(r[(l, False)] / r[(l, True)] for l in loaded)
        row += [f"{worst_idle:.2f}x", f"{worst_single:.2f}x"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def break_even() -> None:
    """Serial twin vs parallel kernel (``spmm``) by work size, 1% masks: where parallel starts to pay."""
    import numpy as np
    import torch

    from nets import _backends as B

    B._use_workqueue()
    rng = np.random.default_rng(0)
    par, ser = B.SERIAL_TWINS["spmm"]
    print("| n | batch | FMAs | serial ms | parallel ms | serial/parallel |\n|---|---|---|---|---|---|")
    for n, batch in [(512, 32), (1024, 64), (2048, 64), (2048, 128), (4096, 128), (4096, 256)]:
        s = B.build_structure(torch.rand(n, n, generator=torch.Generator().manual_seed(0)) < 0.01)
        args = (s.crow.numpy(), s.col.numpy(), rng.standard_normal(s.nnz, dtype=np.float32),
                np.ascontiguousarray(rng.standard_normal((n, batch), dtype=np.float32)),
                np.empty(0, np.float32), np.empty((batch, n), np.float32))
        res = []
        for k in (ser, par):
            k(*args)
            ts = []
            for _ in range(30):
                t = time.perf_counter()
                k(*args)
                ts.append(time.perf_counter() - t)
            res.append(statistics.median(ts))
        print(f"| {n} | {batch} | {s.nnz * batch:.2e} | {res[0] * 1e3:.3f} | {res[1] * 1e3:.3f} | {res[0] / res[1]:.2f} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="no demo row, fewer repeats (~1 minute)")
    ap.add_argument("--break-even", action="store_true", help="only the serial/parallel kernel break-even table")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    if args.break_even:
        break_even()
        return 0
    cores = usable_cores()
    loads = sorted({0, max(cores - 1, 0), cores})
    r = 3 if args.quick else 5
    tasks: dict = {
        "SparseMLP epoch, bp": (lambda: _mlp_epoch("bp"), r),
        "SparseMLP epoch, fa": (lambda: _mlp_epoch("fa"), r),
        "SparseMLP epoch, predsim": (lambda: _mlp_epoch("predsim"), r),
        "4096² 1% layer fwd+bwd (batch 256)": (_layer, 3 * r),
        "sigma, WS n=1000, niter=100, nrand=10": (_sigma, 3),
        "exact L, WS n=1e4 k=10": (_apl, 3),
    }
    if not args.quick:
        tasks["smallworld demo --quick"] = (None, 1)
    la0 = os.getloadavg()
    t0 = time.perf_counter()
    print(f"bench_load: {platform.processor() or platform.machine()}, usable cores {cores}, loads {loads}, "
          f"load average before {la0[0]:.2f}", file=sys.stderr, flush=True)
    res = measure(tasks, loads)
    la1 = os.getloadavg()
    print(f"Command: `python benchmarks/bench_load.py{' --quick' if args.quick else ''}`; usable cores {cores}; "
          f"load average {la0[0]:.2f} before, {la1[0]:.2f} after (1-minute; includes this script's busy "
          f"processes); {time.perf_counter() - t0:.0f} s in all.\n")
    print(table(res, loads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
