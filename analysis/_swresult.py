"""Result object of the small-world coefficients, and the null-ensemble loop."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from analysis._bfs import bfs_sums
from analysis._nullstate import UndirectedState, run_undirected
from analysis.clustering import average_clustering_arrays, transitivity_arrays

__all__ = ["SmallWorldResult", "ensemble", "measure", "spread", "zscore"]


@dataclass(frozen=True)
class SmallWorldResult:
    """A small-world coefficient with the reference values behind it.

    Attributes
    ----------
    coefficient : str
        ``"sigma"``, ``"omega"`` or ``"small_world_propensity"``.
    value : float
        The coefficient.
    C, L : float
        Clustering (of the kind named by ``clustering``) and average path
        length of the graph.
    clustering : str
        ``"transitivity"`` or ``"average"`` (mean local clustering).
    C_rand, C_rand_std, L_rand, L_rand_std : float or None
        Mean and standard deviation (ddof=1) over the random references
        (std is None for a single or analytic reference).
    C_latt, C_latt_std, L_latt, L_latt_std : float or None
        The same for the lattice references (omega, small-world propensity).
    z_C, z_L : float or None
        ``(C - C_rand) / C_rand_std`` and ``(L - L_rand) / L_rand_std``;
        None where the spread is zero or unknown (never NaN).
    delta_C, delta_L : float or None
        Small-world propensity's clipped deviations.
    nrand, niter : int
        Reference graphs per ensemble and swaps per edge.
    null : str
        How the references were made.
    n, m : int
        Nodes and edges of the graph measured.
    """

    coefficient: str
    value: float
    C: float
    L: float
    clustering: str
    null: str
    nrand: int
    niter: int
    n: int
    m: int
    C_rand: float | None = None
    C_rand_std: float | None = None
    L_rand: float | None = None
    L_rand_std: float | None = None
    C_latt: float | None = None
    C_latt_std: float | None = None
    L_latt: float | None = None
    L_latt_std: float | None = None
    z_C: float | None = None
    z_L: float | None = None
    delta_C: float | None = None
    delta_L: float | None = None

    def __float__(self) -> float:
        return float(self.value)

    def to_dict(self) -> dict[str, Any]:
        """Plain ``dict`` of the fields (JSON-serialisable)."""
        return asdict(self)

    def __str__(self) -> str:
        def f(x: float | None) -> str:
            return "-" if x is None else f"{x:.4g}"

        def pm(mean: float | None, std: float | None) -> str:
            return f(mean) if std is None else f"{f(mean)} ± {f(std)}"

        rows = [
            f"{self.coefficient} = {self.value:.4g}  (n={self.n}, m={self.m}; clustering: {self.clustering})",
            f"  graph:  C = {f(self.C)}, L = {f(self.L)}",
        ]
        if self.C_rand is not None or self.L_rand is not None:
            rows.append(
                f"  random: C = {pm(self.C_rand, self.C_rand_std)}, L = {pm(self.L_rand, self.L_rand_std)}"
                f"  (z_C = {f(self.z_C)}, z_L = {f(self.z_L)})"
            )
        if self.C_latt is not None or self.L_latt is not None:
            rows.append(f"  lattice: C = {pm(self.C_latt, self.C_latt_std)}, L = {pm(self.L_latt, self.L_latt_std)}")
        if self.delta_C is not None:
            rows.append(f"  delta_C = {f(self.delta_C)}, delta_L = {f(self.delta_L)}")
        rows.append(f"  null: {self.null} (nrand={self.nrand}, niter={self.niter})")
        return "\n".join(rows)


def measure(indptr: np.ndarray, adj: np.ndarray, clustering: str) -> tuple[float, float]:
    """(C, L) of a connected, symmetric, loop-free graph given as CSR arrays."""
    n = indptr.shape[0] - 1
    c = transitivity_arrays(indptr, adj) if clustering == "transitivity" else average_clustering_arrays(indptr, adj)
    src = np.arange(n, dtype=np.int64)
    sd, _, _, _, _ = bfs_sums(indptr, adj, src, int(max(1, min(4, -(-n // 64)))), False)
    return c, float(sd) / (n * (n - 1))


def ensemble(
    base: UndirectedState,
    nrand: int,
    target: int,
    tries: int,
    rng: np.random.Generator,
    *,
    lattice: bool,
    clustering: str,
    what: str,
    tick: Callable[[], None],
) -> tuple[np.ndarray, np.ndarray]:
    """C and L of ``nrand`` connected references made from ``base``."""
    cs = np.empty(nrand)
    ls = np.empty(nrand)
    for i in range(nrand):
        st = base.copy()
        run_undirected(st, target, tries, rng, lattice=lattice, connected=True, what=what)
        cs[i], ls[i] = measure(st.indptr, st.adj, clustering)
        tick()
    return cs, ls


def spread(x: np.ndarray) -> tuple[float, float | None]:
    """Mean and ddof=1 standard deviation (None for fewer than 2 values)."""
    return float(x.mean()), (float(x.std(ddof=1)) if x.shape[0] > 1 else None)


def zscore(x: float, mean: float | None, std: float | None) -> float | None:
    """``(x - mean) / std``, or None when undefined."""
    if mean is None or std is None or std == 0 or not math.isfinite(std):
        return None
    return (x - mean) / std
