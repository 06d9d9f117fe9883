"""Power-law fit: analysis.fit_power_law vs the `powerlaw` package (2.0), side by side.

Rows, on 1e5 degrees (a Barabasi-Albert graph, n=1e5, m=3, and an exact discrete
power-law sample with alpha=2.5, xmin=1):

- "fit": xmin scan + alpha.  Ours: exact discrete MLE (Hurwitz zeta).  powerlaw:
  ``estimate_discrete=False`` (its exact, numerical mode) and its default
  (``estimate_discrete=None``, which picks the (xmin - 1/2) approximation for
  xmin >= 10 only).
- "GoF 1000": the bootstrap goodness-of-fit p-value with 1,000 semi-parametric
  replicates (Clauset et al. 2009, sec. 4.1).  powerlaw has no built-in bootstrap;
  the peer time is the same procedure written with its API (synthetic tail from
  ``generate_random``, body resampled, ``Fit`` in exact mode), measured on a few
  replicates and extrapolated to 1,000 (marked).

Continuous rows (``--part continuous``), on the cities (19,447 values) and quakes (19,302)
data of Clauset et al. 2009 as shipped with the powerlaw package, and 2e4 lognormal draws:
"fit" (xmin scan, two-sided KS) and "GoF 1000" (1,000 semi-parametric replicates; the peer
with ``powerlaw.Fit(discrete=False)``, extrapolated from a few replicates).

Run:  python benchmarks/bench_powerlaw.py [--repeats 3] [--peer-replicates 3] [--part all|discrete|continuous]
Prints a markdown table (medians over repeats; ratio = peer / ours).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import smallworld as sw  # noqa: E402
from analysis import fit_power_law  # noqa: E402


def timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def discrete_sample(alpha: float, n: int, seed: int) -> np.ndarray:
    from scipy import special

    x = np.arange(1, 10**6, dtype=np.float64)
    cdf = np.cumsum(x ** (-alpha) / special.zeta(alpha, 1))
    return 1 + np.searchsorted(cdf, np.random.default_rng(seed).random(n) * cdf[-1])


def peer_bootstrap(deg: np.ndarray, k: int) -> float:
    """Seconds per semi-parametric replicate with the powerlaw package (exact mode)."""
    import powerlaw

    fit = powerlaw.Fit(deg, discrete=True, estimate_discrete=False, verbose=0)
    xmin = fit.xmin
    body = deg[deg < xmin]
    n, n_tail = deg.size, int((deg >= xmin).sum())
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    for _ in range(k):
        m = rng.binomial(n, n_tail / n)
        tail = fit.power_law.generate_random(m, estimate_discrete=False)
        syn = np.concatenate([rng.choice(body, n - m), np.asarray(tail, dtype=np.int64)]) if body.size else tail
        powerlaw.Fit(syn, discrete=True, estimate_discrete=False, verbose=0).power_law.D  # noqa: B018
    return (time.perf_counter() - t) / k


def peer_bootstrap_continuous(x: np.ndarray, k: int) -> float:
    """Seconds per semi-parametric replicate with the powerlaw package (continuous)."""
    import powerlaw

    fit = powerlaw.Fit(x, discrete=False, verbose=0)
    xmin = fit.xmin
    body = x[x < xmin]
    n, n_tail = x.size, int((x >= xmin).sum())
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    for _ in range(k):
        m = rng.binomial(n, n_tail / n)
        tail = np.asarray(fit.power_law.generate_random(m), dtype=np.float64)
        syn = np.concatenate([rng.choice(body, n - m), tail]) if body.size else tail
        powerlaw.Fit(syn, discrete=False, verbose=0).power_law.D  # noqa: B018
    return (time.perf_counter() - t) / k


def continuous(args: argparse.Namespace) -> None:
    import os

    import powerlaw

    ref = Path(powerlaw.__file__).parent / "reference_data"
    data = {
        "cities (19,447)": np.loadtxt(ref / "cities.txt"),
        "quakes (19,302)": np.loadtxt(ref / "quakes.txt"),
        "lognormal s=2 (2e4)": np.exp(np.random.default_rng(0).normal(0.0, 2.0, 20_000)),
    }
    fit_power_law(data["cities (19,447)"][:500], discrete=False, n_bootstrap=2, seed=0)  # compile
    print(f"\nContinuous data (load average {os.getloadavg()[0]:.1f}):\n")
    print("| data | task | ours (s) | powerlaw (s) | ratio powerlaw/ours | xmin, alpha ours / powerlaw; p |")
    print("|---|---|---:|---:|---:|---|")
    for name, x in data.items():
        t_ours, f = timed(lambda d=x: fit_power_law(d, discrete=False, n_bootstrap=0, compare=()), args.repeats)
        t_pl, pf = timed(lambda d=x: powerlaw.Fit(d, discrete=False, verbose=0), args.repeats)
        print(f"| {name} | fit (xmin scan) | {t_ours:.3f} | {t_pl:.3f} | {t_pl / t_ours:.0f}x | "
              f"{f.xmin:g}, {f.alpha:.3f} / {pf.xmin:g}, {pf.power_law.alpha:.3f} |")  # fmt: skip
        t_boot, fb = timed(
            lambda d=x: fit_power_law(d, discrete=False, n_bootstrap=1000, compare=(), seed=0), args.repeats
        )
        per = peer_bootstrap_continuous(x, args.peer_replicates)
        print(f"| {name} | GoF 1000 replicates | {t_boot:.2f} | {1000 * per:.0f} (extrapolated from "
              f"{args.peer_replicates}) | {1000 * per / t_boot:.0f}x | p = {fb.p_value:.3f} |")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peer-replicates", type=int, default=3)
    ap.add_argument("--part", choices=("all", "discrete", "continuous"), default="all")
    args = ap.parse_args()
    import powerlaw

    if args.part == "continuous":
        print(f"python {sys.version.split()[0]}, numpy {np.__version__}, powerlaw {powerlaw.__version__}")
        continuous(args)
        return

    warnings.filterwarnings("ignore")
    data = {
        "BA n=1e5 m=3": np.diff(sw.barabasi_albert(100_000, 3, seed=1).indptr).astype(np.int64),
        "discrete PL a=2.5 n=1e5": discrete_sample(2.5, 100_000, 1),
    }
    fit_power_law(data["BA n=1e5 m=3"][:2000], n_bootstrap=5, seed=0)  # compile the kernels once
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, powerlaw {powerlaw.__version__}\n")
    print("| data | task | ours (s) | powerlaw exact (s) | powerlaw default (s) | ratio exact/ours | alpha ours / exact / default |")
    print("|---|---|---:|---:|---:|---:|---|")
    for name, deg in data.items():
        t_ours, f = timed(lambda d=deg: fit_power_law(d, n_bootstrap=0, compare=()), args.repeats)
        t_ex, pe = timed(lambda d=deg: powerlaw.Fit(d, discrete=True, estimate_discrete=False, verbose=0), args.repeats)
        t_df, pd = timed(lambda d=deg: powerlaw.Fit(d, discrete=True, verbose=0), args.repeats)
        print(f"| {name} | fit (xmin scan) | {t_ours:.4f} | {t_ex:.3f} | {t_df:.3f} | {t_ex / t_ours:.0f}x | "
              f"{f.alpha:.4f} (xmin {f.xmin:g}) / {pe.power_law.alpha:.4f} (xmin {pe.xmin:g}) / "
              f"{pd.power_law.alpha:.4f} (xmin {pd.xmin:g}) |")  # fmt: skip
        t_boot, fb = timed(lambda d=deg: fit_power_law(d, n_bootstrap=1000, compare=(), seed=0), args.repeats)
        per = peer_bootstrap(deg, args.peer_replicates)
        print(f"| {name} | GoF 1000 replicates | {t_boot:.2f} | {1000 * per:.0f} (extrapolated from "
              f"{args.peer_replicates}) | - | {1000 * per / t_boot:.0f}x | p = {fb.p_value:.3f} |")  # fmt: skip
    print("\nAccuracy at a fixed small xmin (true alpha = 2.5; the (xmin - 1/2) shortcut, powerlaw issue #104):\n")
    print("| xmin | ours (exact) | powerlaw exact | powerlaw estimate_discrete=True |")
    print("|---:|---:|---:|---:|")
    sample = data["discrete PL a=2.5 n=1e5"]
    for xmin in (1, 2, 3, 6):
        ours = fit_power_law(sample, xmin=xmin, n_bootstrap=0, compare=()).alpha
        ex = powerlaw.Fit(sample, discrete=True, estimate_discrete=False, xmin=xmin, verbose=0).power_law.alpha
        ap_ = powerlaw.Fit(sample, discrete=True, estimate_discrete=True, xmin=xmin, verbose=0).power_law.alpha
        print(f"| {xmin} | {ours:.4f} | {ex:.4f} | {ap_:.4f} |")
    if args.part == "all":
        continuous(args)


if __name__ == "__main__":
    main()
