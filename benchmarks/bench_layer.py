"""SparseLinear forward+backward vs dense torch.nn.Linear, over densities and backends.

Usage::

    python benchmarks/bench_layer.py [--n 4096] [--batch 256] [--repeats 7]
        [--densities 1,0.5,0.25,0.1,0.05,0.01,0.001] [--device cpu] [--feedback bp]
        [--threads N] [--sparse-max-density 0.5]

For each density it times one forward+backward pass (input requiring grad, so
the input gradient is computed too) of ``nn.Linear`` and of ``SparseLinear``
with every backend, interleaving the variants repeat by repeat so that machine
noise hits them alike, and prints a markdown table of medians (ms) and speed-ups
over ``nn.Linear`` (> 1 is faster).  ``auto`` must never fall below 1/1.05.
The explicit sparse backends are skipped above ``--sparse-max-density`` (they
only lose there, slowly).  ``--threads`` sets torch's and numba's thread count.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numba
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nets import SparseLinear  # noqa: E402

BACKENDS = ("dense", "csr", "numba", "auto")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _step(layer: torch.nn.Module, x: torch.Tensor, g: torch.Tensor) -> None:
    layer.zero_grad(set_to_none=True)
    x.grad = None
    layer(x).backward(g)


def bench(
    n: int, batch: int, densities: list[float], repeats: int, device: str, feedback: str, sparse_max: float
) -> list[dict]:
    dev = torch.device(device)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, n, generator=gen).to(dev).requires_grad_()
    g = torch.randn(batch, n, generator=gen).to(dev)
    ref = torch.nn.Linear(n, n, device=dev)
    rows = []
    for d in densities:
        mask = torch.rand(n, n, generator=gen) < d
        variants: dict[str, torch.nn.Module] = {"nn.Linear": ref}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for b in BACKENDS:
                if b != "auto" and b != "dense" and d > sparse_max:
                    continue
                if b == "numba" and dev.type != "cpu":
                    continue
                variants[b] = SparseLinear(n, n, mask, backend=b, feedback=feedback, device=dev, seed=0)
        times: dict[str, list[float]] = {k: [] for k in variants}
        for k, layer in variants.items():  # warm-up (builds CSR structures, caches)
            _step(layer, x, g)
        for _ in range(repeats):
            for k, layer in variants.items():
                _sync(dev)
                t0 = time.perf_counter()
                _step(layer, x, g)
                _sync(dev)
                times[k].append(time.perf_counter() - t0)
        med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        rows.append({"density": d, "auto_is": variants["auto"].resolved_backend(), **med})
        print(f"  density {d:g}: " + ", ".join(f"{k} {v:.1f} ms" for k, v in med.items()), file=sys.stderr, flush=True)
    return rows


def table(rows: list[dict]) -> str:
    head = "| density | nn.Linear ms | " + " | ".join(f"{b} ms (x)" for b in BACKENDS) + " | auto picks |"
    sep = "|---:|---:|" + "---:|" * len(BACKENDS) + "---|"
    lines = [head, sep]
    for r in rows:
        base = r["nn.Linear"]
        cells = " | ".join(f"{r[b]:.1f} ({base / r[b]:.2f}x)" if b in r else "-" for b in BACKENDS)
        lines.append(f"| {r['density']:g} | {base:.1f} | {cells} | {r['auto_is']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=4096)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--densities", default="1,0.5,0.25,0.1,0.05,0.01,0.001")
    p.add_argument("--device", default="cpu")
    p.add_argument("--feedback", default="bp")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--sparse-max-density", type=float, default=0.5)
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
        numba.set_num_threads(a.threads)
    dens = [float(s) for s in a.densities.split(",")]
    rows = bench(a.n, a.batch, dens, a.repeats, a.device, a.feedback, a.sparse_max_density)
    print(
        f"SparseLinear {a.n}x{a.n}, batch {a.batch}, forward+backward, feedback={a.feedback}, "
        f"device={a.device}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
        f"median of {a.repeats}; (x) = speed-up over nn.Linear"
    )
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
