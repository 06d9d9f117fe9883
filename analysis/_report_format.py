"""Formatting of :class:`analysis.report.ScoreReport` (private): JSON conversion and the text table."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = ["jsonable", "render_table"]


def jsonable(obj: Any, path: str, reasons: dict[str, str]) -> Any:
    """Plain JSON types; a non-finite float becomes None and ``reasons[path]`` says why."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v, f"{path}.{k}" if path else str(k), reasons) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        seq = obj.tolist() if isinstance(obj, np.ndarray) else obj
        return [jsonable(v, f"{path}[{i}]", reasons) for i, v in enumerate(seq)]
    if obj is None or isinstance(obj, (str, bool, np.bool_)):
        return bool(obj) if isinstance(obj, np.bool_) else obj
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        v = float(obj)
        if not math.isfinite(v):
            reasons.setdefault(path, f"not a finite number ({v})")
            return None
        return v
    return str(obj)


def _f(x: float | None, digits: int = 4) -> str:
    if x is None:
        return "-"
    if isinstance(x, numbers.Integral):
        return str(int(x))
    return f"{x:.{digits}g}"


def _pm(mean: float | None, std: float | None) -> str:
    if mean is None:
        return "-"
    return _f(mean) if std is None else f"{_f(mean)} ± {_f(std, 2)}"


def _coef_rows(name: str, label: str, r: Any, reason: str | None) -> list[tuple[str, str, str]]:
    if r is None:
        return [(label, "n/a", (reason or "")[:90])]
    kind = {"transitivity": "transitivity", "average": "mean local clustering"}.get(r.clustering, r.clustering)
    rows = [(label, _f(r.value), f"C = {kind}; null: {r.null}; nrand={r.nrand}, niter={r.niter}")]
    if r.C_rand is not None or r.L_rand is not None:
        rows.append(
            (f"  {name}: random C, L", f"{_pm(r.C_rand, r.C_rand_std)}, {_pm(r.L_rand, r.L_rand_std)}",
             f"z_C = {_f(r.z_C, 3)}, z_L = {_f(r.z_L, 3)}")
        )  # fmt: skip
    if r.C_latt is not None or r.L_latt is not None:
        rows.append((f"  {name}: lattice C, L", f"{_pm(r.C_latt, r.C_latt_std)}, {_pm(r.L_latt, r.L_latt_std)}", ""))
    if r.delta_C is not None:
        rows.append((f"  {name}: delta C, L", f"{_f(r.delta_C)}, {_f(r.delta_L)}", ""))
    return rows


def render_table(rep: Any) -> str:
    """The report as an aligned three-column table (quantity, value, detail)."""
    d = rep.degree
    rows: list[tuple[str, str, str]] = [
        ("nodes n", str(rep.n), "layers " + "-".join(map(str, rep.layer_sizes)) if rep.layer_sizes else ""),
        ("edges m", str(rep.m), ""),
        ("density", _f(rep.density), "2m / (n(n-1))"),
        ("degree mean ± std", f"{_f(d.mean)} ± {_f(d.std, 3)}", f"min {d.min}, max {d.max}"),
    ]
    pl = rep.power_law
    if pl is None:
        rows.append(("power-law alpha", "n/a", rep.reasons.get("power_law", "")[:90]))
    elif not pl.assessable:
        # an exponent over a tail too narrow (or too few values) to mean anything is not shown (issue 11)
        rows.append(("power-law alpha", "withheld", f"xmin {pl.xmin:g}, n_tail {pl.n_tail}: {pl.verdict_reason}"))
        for c in pl.comparisons:
            rows.append((f"  vs {c.distribution}", f"R = {c.R:+.3f}", f"p = {c.p_value:.3g} -> {c.preferred}"))
    else:
        p = f"{pl.p_value:.3f}" if pl.p_value is not None else "not computed"
        rows.append(("power-law alpha", f"{pl.alpha:.3f} ± {pl.alpha_se:.3f}",
                     f"xmin {pl.xmin:g} (tail x_max/xmin {pl.tail_span:.3g}), n_tail {pl.n_tail}, KS {pl.ks:.3f}, "
                     f"GoF p {p}"))  # fmt: skip
        for c in pl.comparisons:  # the likelihood-ratio verdicts, beside every exponent shown
            flag = ""
            if c.degenerate:
                flag = f" (lognormal fit degenerate: mu = {c.params['mu']:.3g}, sigma = {c.params['sigma']:.3g})"
            elif c.at_bound:
                flag = " (fit at its search bound)"
            rows.append((f"  vs {c.distribution}", f"R = {c.R:+.3f}", f"p = {c.p_value:.3g} -> {c.preferred}{flag}"))
    rows += [
        ("clustering C", _f(rep.C), "mean local clustering (degree < 2 counts 0)"),
        ("transitivity T", _f(rep.T), "3 triangles / connected triples"),
        ("path length L", _f(rep.L), f"disconnected policy: {rep.L_policy}"),
        ("global efficiency", _f(rep.efficiency), "mean 1/d over ordered pairs"),
    ]
    rows += _coef_rows("sigma", "sigma (Humphries-Gurney)", rep.sigma, rep.reasons.get("sigma"))
    rows += _coef_rows("omega", "omega (Telesford)", rep.omega, rep.reasons.get("omega"))
    rows += _coef_rows("SWP", "SWP phi (Muldoon)", rep.swp, rep.reasons.get("swp"))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    head = [f"smallworld score: {rep.source}", f"view: {rep.view}", "-" * (w0 + w1 + 40)]
    body = [f"{a:<{w0}}  {b:<{w1}}  {c}".rstrip() for a, b, c in rows]
    tail = [f"note: {s}" for s in rep.notes]
    return "\n".join(head + body + tail)
