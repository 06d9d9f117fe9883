"""Generation speed of smallworld's generators against networkx, igraph and networkit, side by side.

Run: ``cd /work/main && PYTHONPATH=. python3 benchmarks/bench_generators.py [--sizes 1e3,1e4,1e5,1e6]
[--models BA,HK] [--budget 1.0]``.  Prints one markdown table per model: median seconds per
implementation and size, and the ratio (fastest peer) / smallworld.

What is timed: smallworld from parameters to the canonical ``scipy.sparse.csr_array`` (conversion
included); each peer to its own native graph object, which favours the peers (networkit's own conversion,
``nk.algebraic.adjacencyMatrix``, costs 0.7 s at n = 1e4, so it is left out).  Each cell is the median of repeats until about
``--budget`` seconds are spent (at least 1, at most 7); compiled code is warmed up first.  A peer is
skipped (``skip``) above its ``max_n``, where one call would take minutes.

Registry: every generator family appends its rows with :func:`register` (one row per implementation
of one model); the table for a model has one column per registered implementation, in order.
"""

from __future__ import annotations

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np


@dataclass(frozen=True)
class Row:
    """One implementation of one model: ``build(n, seed)`` makes a graph of ``n`` nodes."""

    model: str
    impl: str
    build: Callable[[int, int], Any]
    max_n: int | None = None
    ours: bool = False


REGISTRY: list[Row] = []


def register(model: str, impl: str, build: Callable[[int, int], Any], *, max_n: int | None = None, ours: bool = False) -> None:
    """Add one implementation row for ``model`` (``ours=True`` marks smallworld's)."""
    REGISTRY.append(Row(model, impl, build, max_n, ours))


def _time(build: Callable[[int, int], Any], n: int, budget: float) -> float:
    times: list[float] = []
    while len(times) < 7 and (not times or sum(times) < budget):
        t = time.perf_counter()
        build(n, len(times))
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _fmt(t: float | None) -> str:
    return "skip" if t is None else (f"{t:.4f}" if t < 0.1 else f"{t:.3f}")


def run(models: list[str], sizes: list[int], budget: float) -> None:
    for model in models:
        rows = [r for r in REGISTRY if r.model == model]
        for r in rows:  # warm-up (numba compilation, imports)
            r.build(1000, 0)
        print(f"\n### {model}\n")
        print("| n | " + " | ".join(f"{r.impl} (s)" for r in rows) + " | fastest peer / smallworld |")
        print("|---" * (len(rows) + 2) + "|")
        for n in sizes:
            cells: dict[str, float | None] = {}
            for r in rows:
                cells[r.impl] = None if (r.max_n is not None and n > r.max_n) else _time(r.build, n, budget)
            ours = [cells[r.impl] for r in rows if r.ours and cells[r.impl] is not None]
            peers = [(cells[r.impl], r.impl) for r in rows if not r.ours and cells[r.impl] is not None]
            ratio = f"{min(peers)[0] / ours[0]:.1f}x ({min(peers)[1]})" if ours and peers else "no peer"
            print(f"| {n:.0e} | " + " | ".join(_fmt(cells[r.impl]) for r in rows) + f" | {ratio} |")


# ------------------------------------------------------------------ rows --
# Scale-free family, power-law graphs and layer masks (smallworld.generators.scale_free,
# .power_law, .bipartite).  Parameters: m = 5 (mean degree 10), p_triad = 0.5, mu = 0.1,
# gamma = 2.5, mean degree 10; masks are n x n at mean fan-in 10 (density 10 / n).


def _register_scale_free() -> None:
    import igraph as ig
    import networkit as nk

    import smallworld as sw
    from smallworld.generators._pl_kernels import chung_lu_weights, discrete_power_law

    m, p, mu, gamma, d = 5, 0.5, 0.1, 2.5, 10.0
    nk.setNumberOfThreads(1)  # the sequential generator; keep runs comparable on a shared box

    ba = f"BA (m={m})"
    register(ba, "smallworld", lambda n, s: sw.barabasi_albert(n, m, seed=s), ours=True)
    register(ba, "networkx", lambda n, s: nx.barabasi_albert_graph(n, m, seed=s), max_n=100_000)
    register(ba, "igraph", lambda n, s: ig.Graph.Barabasi(n, m))
    register(ba, "networkit", lambda n, s: nk.generators.BarabasiAlbertGenerator(m, n).generate())

    hk = f"Holme–Kim (m={m}, p_triad={p})"
    register(hk, "smallworld", lambda n, s: sw.holme_kim(n, m, p, seed=s), ours=True)
    register(hk, "networkx powerlaw_cluster_graph", lambda n, s: nx.powerlaw_cluster_graph(n, m, p, seed=s), max_n=100_000)

    ke = f"Klemm–Eguíluz (m={m}, mu={mu})"
    register(ke, "smallworld", lambda n, s: sw.klemm_eguiluz(n, m, mu, seed=s), ours=True)

    cl = f"Chung–Lu (gamma={gamma}, mean degree {d:g})"
    register(cl, "smallworld", lambda n, s: sw.chung_lu(n, gamma, d, seed=s), ours=True)
    register(
        cl,
        "networkx expected_degree_graph",
        lambda n, s: nx.expected_degree_graph(chung_lu_weights(n, gamma, d, (n * d) ** 0.5).tolist(), seed=s, selfloops=False),
        max_n=100_000,
    )
    register(
        cl,
        "networkit ChungLuGenerator",
        lambda n, s: nk.generators.ChungLuGenerator(
            np.rint(chung_lu_weights(n, gamma, d, (n * d) ** 0.5)).astype(int).tolist()
        ).generate(),
    )
    register(cl, "igraph Static_Power_Law", lambda n, s: ig.Graph.Static_Power_Law(n, int(n * d / 2), gamma))

    cf = f"configuration, erased (gamma={gamma}, k_min=2)"

    def _degrees(n: int, s: int) -> list[int]:
        k = discrete_power_law(n, gamma, 2, n - 1, np.random.default_rng(s))
        k[0] += int(k.sum()) % 2
        return k.tolist()

    register(cf, "smallworld", lambda n, s: sw.configuration_power_law(n, gamma, k_min=2, seed=s), ours=True)

    def _nx_cf(n: int, s: int) -> nx.Graph:
        G = nx.Graph(nx.configuration_model(_degrees(n, s), seed=s))
        G.remove_edges_from(nx.selfloop_edges(G))
        return G

    register(cf, "networkx", _nx_cf, max_n=100_000)
    register(cf, "igraph", lambda n, s: ig.Graph.Degree_Sequence(_degrees(n, s), method="configuration").simplify())

    bp = "bipartite mask n x n, ER, fan-in 10"
    register(bp, "smallworld", lambda n, s: sw.bipartite(n, n, 10 / n, seed=s), ours=True)
    register(
        bp,
        "scipy.sparse.random",
        lambda n, s: sp_random(n, n, density=10 / n, format="csr", rng=np.random.default_rng(s)).astype(bool),
    )
    bpl = "bipartite mask n x n, powerlaw_in, fan-in 10"
    register(bpl, "smallworld", lambda n, s: sw.bipartite(n, n, 10 / n, degree="powerlaw_in", seed=s), ours=True)


def _register_small_world() -> None:
    """WS family, Erdős–Rényi and spatial rows (smallworld.generators.lattice, .random, .spatial).

    Parameters: k = 10 (mean degree 10), p = 0.1; ER with m = 5 n (mean degree 10) or p = 10 / (n - 1).
    The networkx + to_scipy_sparse_array row shows what conversion to the canonical type adds.
    """
    import igraph as ig
    import networkit as nk

    import smallworld as sw

    k, p = 10, 0.1
    nk.setNumberOfThreads(1)

    ws = f"WS (k={k}, p={p})"
    register(ws, "smallworld", lambda n, s: sw.watts_strogatz(n, k, p, seed=s), ours=True)
    register(ws, "networkx", lambda n, s: nx.watts_strogatz_graph(n, k, p, seed=s), max_n=100_000)
    register(
        ws,
        "networkx + to_scipy_sparse_array",
        lambda n, s: nx.to_scipy_sparse_array(nx.watts_strogatz_graph(n, k, p, seed=s)),
        max_n=100_000,
    )
    register(ws, "igraph", lambda n, s: ig.Graph.Watts_Strogatz(1, n, k // 2, p))
    register(ws, "networkit", lambda n, s: nk.generators.WattsStrogatzGenerator(n, k // 2, p).generate())

    nws = f"Newman–Watts (k={k}, p={p})"
    register(nws, "smallworld", lambda n, s: sw.newman_watts_strogatz(n, k, p, seed=s), ours=True)
    register(nws, "networkx", lambda n, s: nx.newman_watts_strogatz_graph(n, k, p, seed=s), max_n=100_000)

    gnm = "ER G(n, m), m = 5 n"
    register(gnm, "smallworld", lambda n, s: sw.erdos_renyi(n, m=5 * n, seed=s), ours=True)
    register(gnm, "networkx gnm_random_graph", lambda n, s: nx.gnm_random_graph(n, 5 * n, seed=s), max_n=100_000)
    register(gnm, "igraph", lambda n, s: ig.Graph.Erdos_Renyi(n, m=5 * n))

    gnp = "ER G(n, p), p = 10 / (n - 1)"
    register(gnp, "smallworld", lambda n, s: sw.erdos_renyi(n, p=10 / (n - 1), seed=s), ours=True)
    register(gnp, "networkx fast_gnp_random_graph", lambda n, s: nx.fast_gnp_random_graph(n, 10 / (n - 1), seed=s), max_n=100_000)
    register(gnp, "igraph", lambda n, s: ig.Graph.Erdos_Renyi(n, p=10 / (n - 1)))
    register(gnp, "networkit", lambda n, s: nk.generators.ErdosRenyiGenerator(n, 10 / (n - 1)).generate())

    spa = "spatial 2-D (mean degree 10, length_scale 0.3)"
    # refused above n = 1e5 at this length scale (too many candidate pairs): no peer has this model
    register(spa, "smallworld", lambda n, s: sw.spatial(n, mean_degree=10, length_scale=0.3, seed=s), ours=True, max_n=100_000)


def sp_random(*args: Any, **kwargs: Any) -> Any:
    import scipy.sparse as sp

    try:
        return sp.random_array((args[0], args[1]), **{k: v for k, v in kwargs.items()})
    except (AttributeError, TypeError):  # older scipy
        kwargs["random_state"] = kwargs.pop("rng")
        return sp.random(*args, **kwargs)


_register_small_world()
_register_scale_free()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1e3,1e4,1e5,1e6", help="comma-separated node counts")
    parser.add_argument("--models", default="", help="comma-separated prefixes of model names (default: all)")
    parser.add_argument("--budget", type=float, default=1.0, help="seconds of repeats per cell (median)")
    args = parser.parse_args()
    sizes = [int(float(x)) for x in args.sizes.split(",")]
    names = list(dict.fromkeys(r.model for r in REGISTRY))
    if args.models:
        prefixes = [p.strip() for p in args.models.split(",")]
        names = [m for m in names if any(m.startswith(p) for p in prefixes)]
    import platform

    print(f"python {platform.python_version()}, numpy {np.__version__}, networkx {nx.__version__}")
    run(names, sizes, args.budget)


if __name__ == "__main__":
    main()
