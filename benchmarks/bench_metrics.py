"""Metric and small-world-coefficient speed of ``analysis`` against networkx, igraph and networkit.

Run: ``cd /work/main && PYTHONPATH=. python3 benchmarks/bench_metrics.py [--repeats 5] [--nx-full-L]``.
Prints one markdown table: median seconds per implementation, the ratio (fastest peer) / smallworld,
and the target of issue 3.

What is timed, all on the same graphs in one run:

- average clustering, Watts-Strogatz n=1e4, k=10, p=0.1 (smallworld from its canonical CSR; each peer on
  its own native graph object);
- exact average path length on the same graph (networkx's takes ~45 s: it is run once only with
  ``--nx-full-L``, else extrapolated from 500 BFS sources and marked "extrap."); networkit has no exact
  all-pairs mean besides a dense n x n APSP, which is left out;
- sigma with niter=100, nrand=10 and omega with niter=5, nrand=10 (networkx's defaults) on WS n=1000,
  k=10, p=0.1 (m=5000).  networkx would take hours, so its time is **extrapolated**: every accepted
  swap of its ``random_reference``/``lattice_reference`` runs one ``local_edge_connectivity`` (a max
  flow), which dominates; that call is timed on 20 non-adjacent pairs and multiplied by the swaps
  ``nx.sigma`` (nrand * niter * m) and ``nx.omega`` (nrand * (2 niter + niter) * m, counting every lattice
  iteration as accepted) make, plus one timed evaluation of its metrics per reference.
  igraph and networkit have no sigma or omega.

Compiled code is warmed up first.
"""

from __future__ import annotations

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np

from analysis import average_clustering, average_path_length, omega, sigma
from smallworld import watts_strogatz


def _median(fn: Callable[[], Any], repeats: int) -> float:
    fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def _once(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _nx_swap_cost(H: nx.Graph, calls: int = 20) -> float:
    """Seconds per accepted swap of networkx's random/lattice_reference: each accepted swap runs one
    ``local_edge_connectivity(G, a, b)`` (a max-flow), which dominates its cost; timed on pairs (a, b)
    that were just disconnected by a swap, i.e. non-adjacent pairs."""
    rng = np.random.default_rng(0)
    nodes = list(H)
    pairs = []
    while len(pairs) < calls:
        a, b = rng.choice(nodes, 2, replace=False)
        if not H.has_edge(a, b):
            pairs.append((a, b))
    t = time.perf_counter()
    for a, b in pairs:
        nx.connectivity.local_edge_connectivity(H, a, b)
    return (time.perf_counter() - t) / calls


def _nk_avg_clustering(nk: Any, gk: Any) -> float:
    """networkit's exact local clustering (degree < 2 -> 0), averaged."""
    return float(np.mean(nk.centrality.LocalClusteringCoefficient(gk, turbo=True).run().scores()))


def _fmt(t: float | None, note: str = "") -> str:
    if t is None:
        return "–"
    s = f"{t:.4f}" if t < 0.1 else (f"{t:.3f}" if t < 100 else f"{t:,.0f}")
    return s + (f" ({note})" if note else "")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--nx-full-L", action="store_true", help="time networkx's exact L in full (~45 s)")
    args = ap.parse_args(argv)
    rows: list[tuple[str, float, dict[str, tuple[float | None, str]], str]] = []

    import igraph as ig
    import networkit as nk

    A = watts_strogatz(10_000, 10, 0.1, seed=1)
    G = nx.from_scipy_sparse_array(A)
    gi = ig.Graph(n=10_000, edges=list(G.edges))
    gk = nk.nxadapter.nx2nk(G)

    ours = _median(lambda: average_clustering(A), args.repeats * 4)
    peers = {
        "networkx": (_median(lambda: nx.average_clustering(G), 1), ""),
        "igraph": (_median(lambda: gi.transitivity_avglocal_undirected(mode="zero"), args.repeats * 4), ""),
        "networkit": (_median(lambda: _nk_avg_clustering(nk, gk), args.repeats * 4), ""),
    }
    rows.append(("average clustering, WS n=1e4 k=10", ours, peers, "≤ igraph"))

    ours = _median(lambda: average_path_length(A), args.repeats)
    if args.nx_full_L:
        nxL = (_once(lambda: nx.average_shortest_path_length(G)), "")
    else:
        src = list(range(0, 10_000, 20))
        t = _once(lambda: [nx.single_source_shortest_path_length(G, s) for s in src])
        nxL = (t * 10_000 / len(src), "extrap.")
    peers = {"networkx": nxL, "igraph": (_median(gi.average_path_length, max(1, args.repeats // 2)), "")}
    rows.append(("exact L, WS n=1e4 k=10", ours, peers, "≤ igraph / 2"))

    B = watts_strogatz(1000, 10, 0.1, seed=2)
    H = nx.from_scipy_sparse_array(B)
    assert nx.is_connected(H) and H.number_of_edges() == 5000
    ours = _median(lambda: sigma(B, niter=100, nrand=10, seed=0), args.repeats)
    t_conn = _nx_swap_cost(H)
    t_metrics = _once(lambda: (nx.transitivity(H), nx.average_shortest_path_length(H)))
    nx_sigma = 10 * (100 * 5000 * t_conn + t_metrics) + t_metrics
    rows.append(("σ, n=1000 m=5000, niter=100 nrand=10", ours, {"networkx": (nx_sigma, "extrap.")}, "≤ 0.5 s"))

    ours = _median(lambda: omega(B, niter=5, nrand=10, seed=0), args.repeats)
    t_m2 = _once(lambda: (nx.average_clustering(H), nx.average_shortest_path_length(H)))
    nx_omega = 10 * ((10 + 5) * 5000 * t_conn + t_m2) + t_m2
    rows.append(("ω, n=1000 m=5000, niter=5 nrand=10", ours, {"networkx": (nx_omega, "extrap.")}, "≤ 1 s"))

    impls = ["networkx", "igraph", "networkit"]
    print("| task | smallworld | " + " | ".join(impls) + " | best peer / smallworld | target |")
    print("|---|---|" + "---|" * len(impls) + "---|---|")
    for task, t_ours, peers, target in rows:
        cells = [_fmt(*peers[i]) if i in peers else "–" for i in impls]
        best = min(t for t, _ in peers.values() if t is not None)
        print(f"| {task} | {_fmt(t_ours)} | " + " | ".join(cells) + f" | {best / t_ours:.1f}× | {target} |")


if __name__ == "__main__":
    main()
