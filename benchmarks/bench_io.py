"""Read/write speed of smallworld.io against networkx, side by side, on one WS graph.

Run: ``cd /work/main && PYTHONPATH=. python3 benchmarks/bench_io.py [n]`` (default n = 100000, k = 10:
500k edges).  Prints a markdown table of medians (smallworld: 3 repeats; networkx: 1, it is slow).
networkx's edge-list read includes the conversion to a scipy sparse array.
"""

from __future__ import annotations

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import pathlib
import statistics
import sys
import tempfile
import time

import networkx as nx

import smallworld as sw


def _median(f, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    A = sw.watts_strogatz(n, 10, 0.1, seed=1)
    G = sw.to_networkx(A)
    d = pathlib.Path(tempfile.mkdtemp())
    print(f"WS n={n} k=10: {A.nnz // 2} edges\n")
    print("| format | smallworld write (s) | smallworld read (s) | networkx write (s) | networkx read (s) | read ratio |")
    print("|---|---|---|---|---|---|")
    for fmt, suffix in (("edgelist", ".edgelist"), ("gml", ".gml"), ("npz", ".npz")):
        p = d / f"g{suffix}"
        w = _median(lambda: sw.write(A, p), 3)
        r = _median(lambda: sw.read(p), 3)
        if fmt == "edgelist":
            q = d / "nx.edgelist"
            nw = _median(lambda: nx.write_edgelist(G, q, data=False), 1)
            nr = _median(lambda: nx.to_scipy_sparse_array(nx.read_edgelist(q, nodetype=int)), 1)
        elif fmt == "gml":
            q = d / "nx.gml"
            nw = _median(lambda: nx.write_gml(G, q), 1)
            nr = _median(lambda: nx.read_gml(q), 1)
        else:
            print(f"| {fmt} | {w:.3f} | {r:.3f} | – | – | – |")
            continue
        print(f"| {fmt} | {w:.3f} | {r:.3f} | {nw:.3f} | {nr:.3f} | {nr / r:.1f}x |")


if __name__ == "__main__":
    main()
