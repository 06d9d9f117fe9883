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

Run:  python benchmarks/bench_powerlaw.py [--repeats 3] [--peer-replicates 3]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peer-replicates", type=int, default=3)
    args = ap.parse_args()
    import powerlaw

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


if __name__ == "__main__":
    main()
