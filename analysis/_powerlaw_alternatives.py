"""Alternative tail distributions for the likelihood-ratio tests (private).

All functions work on a tail histogram: sorted unique values ``u`` (each
``>= xmin``) with counts ``c``.  Each ``*_logpmf`` returns the log
probability (mass for discrete data, density for continuous data) of every
unique value under the model truncated to ``x >= xmin``.

Discrete variants:

- exponential: the geometric law ``p(x) = (1 - e^-lam) e^(-lam (x - xmin))``,
  whose MLE is closed form, ``lam = log(1 + 1 / mean(x - xmin))``;
- lognormal: a lognormal variable rounded to the nearest integer and
  truncated at ``xmin``, ``p(x) = [F(x + 1/2) - F(x - 1/2)] / [1 - F(xmin - 1/2)]``
  with ``F`` the lognormal CDF, fitted by numerical maximum likelihood.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special

#: Search box of the lognormal fit; a fit on its edge did not converge to a maximum.
LOGNORMAL_BOUNDS = {"mu": (-100.0, 100.0), "sigma": (0.01, 100.0)}

__all__ = ["powerlaw_logpmf", "fit_exponential", "fit_lognormal", "vuong"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def powerlaw_logpmf(u: np.ndarray, alpha: float, xmin: float, discrete: bool) -> np.ndarray:
    """Log pmf (discrete, Hurwitz-zeta normalised) or log pdf of the power law."""
    if discrete:
        return -alpha * np.log(u) - math.log(special.zeta(alpha, xmin))
    return math.log((alpha - 1.0) / xmin) - alpha * np.log(u / xmin)


def fit_exponential(u: np.ndarray, c: np.ndarray, xmin: float, discrete: bool) -> tuple[dict, np.ndarray]:
    """MLE of the exponential (geometric when discrete) above xmin."""
    mean_excess = float(np.dot(c, u - xmin) / c.sum())
    if discrete:
        lam = math.log1p(1.0 / mean_excess)
        logp = math.log(-math.expm1(-lam)) - lam * (u - xmin)
    else:
        lam = 1.0 / mean_excess
        logp = math.log(lam) - lam * (u - xmin)
    return {"lambda": lam}, logp


def _log_diff_ndtr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(Phi(b) - Phi(a)) for a < b, accurate in both tails."""
    out = np.empty_like(a)
    right = a > 0
    # right tail: Phi(b) - Phi(a) = Phi(-a) - Phi(-b)
    hi = np.where(right, special.log_ndtr(-a), special.log_ndtr(b))
    lo = np.where(right, special.log_ndtr(-b), special.log_ndtr(a))
    with np.errstate(divide="ignore"):
        out[:] = hi + np.log(-np.expm1(lo - hi))
    return out


def _lognormal_terms(u: np.ndarray, mu: float, sigma: float, xmin: float, discrete: bool):
    """Log pmf/pdf of the truncated lognormal and its gradient in (mu, log sigma)."""
    z0 = ((math.log(xmin - 0.5) if discrete else math.log(xmin)) - mu) / sigma
    log_s0 = float(special.log_ndtr(-z0))
    h0 = math.exp(-0.5 * z0 * z0 - _LOG_SQRT_2PI - log_s0)  # phi(z0) / (1 - Phi(z0))
    if discrete:
        a = (np.log(u - 0.5) - mu) / sigma
        b = (np.log(u + 0.5) - mu) / sigma
        log_d = _log_diff_ndtr(a, b)
        ra = np.exp(-0.5 * a * a - _LOG_SQRT_2PI - log_d)
        rb = np.exp(-0.5 * b * b - _LOG_SQRT_2PI - log_d)
        logp = log_d - log_s0
        g_mu = (ra - rb - h0) / sigma
        g_tau = a * ra - b * rb - z0 * h0
    else:
        z = (np.log(u) - mu) / sigma
        logp = -np.log(u) - math.log(sigma) - _LOG_SQRT_2PI - 0.5 * z * z - log_s0
        g_mu = (z - h0) / sigma
        g_tau = z * z - 1.0 - z0 * h0
    return logp, g_mu, g_tau


def fit_lognormal(u: np.ndarray, c: np.ndarray, xmin: float, discrete: bool) -> tuple[dict, np.ndarray]:
    """Numerical MLE of the (rounded, when discrete) lognormal truncated at xmin.

    L-BFGS-B on ``(mu, log sigma)`` with the analytic gradient; ``mu`` is
    searched in [-100, 100] and ``sigma`` in [0.01, 100] (a very negative
    ``mu`` with a large ``sigma`` is how a lognormal imitates a power law, so
    the bounds are wide).
    """
    w = c / c.sum()
    lu = np.log(u)
    m0 = float(np.dot(w, lu))
    s0 = max(math.sqrt(max(float(np.dot(w, (lu - m0) ** 2)), 0.0)), 0.1)

    def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
        logp, gm, gt = _lognormal_terms(u, theta[0], math.exp(theta[1]), xmin, discrete)
        val = -float(np.dot(w, logp))
        if not math.isfinite(val):
            return 1e300, np.zeros(2)
        return val, -np.array([np.dot(w, gm), np.dot(w, gt)])

    best = None
    for start in ((m0, math.log(s0)), (m0 - 2.0 * s0, math.log(2.0 * s0))):
        res = optimize.minimize(
            nll, np.array(start), jac=True, method="L-BFGS-B",
            bounds=[LOGNORMAL_BOUNDS["mu"], tuple(math.log(b) for b in LOGNORMAL_BOUNDS["sigma"])],
        )
        if best is None or res.fun < best.fun:
            best = res
    mu, sigma = float(best.x[0]), float(math.exp(best.x[1]))
    return {"mu": mu, "sigma": sigma}, _lognormal_terms(u, mu, sigma, xmin, discrete)[0]


def vuong(logp1: np.ndarray, logp2: np.ndarray, c: np.ndarray) -> tuple[float, float, float]:
    """Vuong's test on a histogram: (raw log-likelihood ratio, normalised R, two-sided p).

    Positive values favour model 1.  The normalised ratio is
    ``R / (sqrt(n) * sd)`` with ``sd`` the standard deviation of the
    pointwise log-ratios; ``p = erfc(|R_norm| / sqrt 2)``.
    """
    d = logp1 - logp2
    n = float(c.sum())
    raw = float(np.dot(c, d))
    mean = raw / n
    var = float(np.dot(c, (d - mean) ** 2)) / n
    if var <= 0.0:
        # identical pointwise ratios: the test has no power; report "no preference"
        return raw, 0.0, 1.0
    r = raw / math.sqrt(n * var)
    return raw, r, float(special.erfc(abs(r) / math.sqrt(2.0)))
