"""Tests for analysis.score and ScoreReport."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch import nn

import smallworld as sw
from analysis import (
    ScoreReport,
    average_clustering,
    average_path_length,
    global_efficiency,
    omega,
    score,
    sigma,
    transitivity,
)
from analysis import report as report_mod
from analysis._report_format import jsonable

FAST = dict(niter=2, nrand=3, n_bootstrap=0)


@pytest.fixture(scope="module")
def ws_report() -> tuple[sp.csr_array, ScoreReport]:
    G = sw.watts_strogatz(300, 8, 0.1, seed=2)
    return G, score(G, seed=5, **FAST)


def test_values_are_the_toolkits_own(ws_report):
    G, r = ws_report
    assert r.n == 300 and r.m == 1200
    assert r.density == pytest.approx(2 * 1200 / (300 * 299))
    assert r.C == average_clustering(G) and r.T == transitivity(G)
    assert r.L == average_path_length(G) and r.efficiency == global_efficiency(G)
    assert r.degree.mean == 8.0
    # the same generator threaded through sigma then omega reproduces them exactly
    rng = np.random.default_rng(5)
    s = sigma(G, niter=2, nrand=3, seed=rng)
    o = omega(G, niter=2, nrand=3, seed=rng)
    assert r.sigma.value == s.value and r.sigma.C_rand_std == s.C_rand_std
    assert r.omega.value == o.value
    assert r.sigma.value > 1 and r.swp.value > 0.5
    assert r.settings == {"niter": 2, "nrand": 3, "null": "rewire", "n_bootstrap": 0, "seed": 5}


def test_same_seed_same_report():
    G = sw.watts_strogatz(120, 6, 0.2, seed=1)
    a = score(G, seed=3, niter=2, nrand=2, n_bootstrap=20)
    b = score(G, seed=3, niter=2, nrand=2, n_bootstrap=20)
    assert a.to_json() == b.to_json()


def test_celegans_published_values():
    r = score(sw.datasets.celegans(), seed=0, **FAST)
    assert round(r.C, 3) == 0.292 and round(r.L, 3) == 2.455  # Watts & Strogatz 1998, released file
    assert r.n == 297 and r.m == 2148
    assert r.power_law is not None and r.power_law.xmin >= 1


def test_dense_mlp_scores_zero_clustering():
    model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 10))
    r = score(model, seed=0, **FAST)
    assert r.C == 0.0 and r.T == 0.0
    assert r.layer_sizes == (20, 16, 16, 10) and r.n == 62 and r.m == 20 * 16 + 16 * 16 + 16 * 10
    assert "undirected view" in r.view and any("neuron graph" in s for s in r.notes)
    assert r.sigma.value == 0.0  # C = 0 against random references with triangles
    assert "layers 20-16-16-10" in str(r)


def test_directed_input_is_symmetrised_or_refused():
    D = sp.csr_array(np.triu(np.ones((6, 6), dtype=bool), 1))
    r = score(D, seed=0, **FAST)
    assert r.m == 15 and any("symmetrised" in s for s in r.notes)
    with pytest.raises(ValueError, match="directed"):
        score(D, directed_policy="raise", **FAST)


def test_disconnected_policy():
    G = sp.block_diag([sw.watts_strogatz(40, 4, 0.1, seed=1), sw.watts_strogatz(30, 4, 0.1, seed=2)], format="csr")
    r = score(G, seed=0, **FAST)
    assert r.L == average_path_length(G, disconnected="lcc")
    assert r.sigma.n == 40 and any("2 connected components" in s for s in r.notes)
    assert r.L_policy == "lcc"
    h = score(G, seed=0, disconnected="harmonic", **FAST)
    assert h.L == average_path_length(G, disconnected="harmonic")
    with pytest.raises(ValueError, match="disconnected"):
        score(G, disconnected="raise", **FAST)


def test_weights_and_self_loops_are_noted():
    A = sw.watts_strogatz(50, 4, 0.1, seed=1).astype(float) * 2.5
    A = sp.csr_array(A + sp.diags_array(np.r_[1.0, np.zeros(49)]))
    r = score(A, seed=0, **FAST)
    assert r.m == 100
    assert any("weights ignored" in s for s in r.notes) and any("1 self-loop" in s for s in r.notes)


def test_regular_graph_fit_is_none_with_reason_and_json_is_strict():
    r = score(sw.ring_lattice(30, 4), seed=0, **FAST)
    assert r.power_law is None and "distinct" in r.reasons["power_law"]
    d = json.loads(r.to_json())
    assert d["power_law"] is None and "distinct" in d["reasons"]["power_law"]
    assert "n/a" in str(r)


def test_json_never_carries_nan():
    reasons: dict[str, str] = {}
    out = jsonable({"a": np.float64("nan"), "b": [np.int32(3), np.inf], "c": np.array([1.5]), "d": np.bool_(True)},
                   "", reasons)  # fmt: skip
    assert out == {"a": None, "b": [3, None], "c": [1.5], "d": True}
    assert set(reasons) == {"a", "b[1]"} and "nan" in reasons["a"]
    json.dumps(out, allow_nan=False)


def test_table_is_aligned(ws_report):
    _, r = ws_report
    lines = str(r).splitlines()
    assert lines[0].startswith("smallworld score: graph")
    body = [ln for ln in lines[3:] if not ln.startswith("note:")]
    starts = {len(ln) - len(ln[ln.index("  ", 2):].lstrip()) for ln in body if not ln.startswith("  ")}
    assert len(starts) == 1  # every top-level row's value starts in the same column
    assert any(ln.startswith("sigma (Humphries-Gurney)") and f"{r.sigma.value:.4g}" in ln for ln in lines)


def test_auto_null_switches_to_analytic_above_the_limit(monkeypatch):
    monkeypatch.setattr(report_mod, "REWIRE_LIMIT", 100)
    r = score(sw.watts_strogatz(100, 6, 0.1, seed=1), seed=0, **FAST)
    assert r.settings["null"] == "analytic" and r.swp is None and "analytic" in r.reasons["swp"]
    assert "analytic" in r.sigma.null and r.sigma.C_rand_std is None
    assert any("m = 300 > 100" in s for s in r.notes)


def test_progress_callable_counts_references():
    calls = []
    G = sw.watts_strogatz(60, 4, 0.1, seed=1)
    score(G, seed=0, progress=lambda d, t: calls.append((d, t)), **{**FAST, "n_bootstrap": 5})
    assert calls == [(i, 12) for i in range(1, 13)]  # sigma 3 + omega 6 + swp 3; the bootstrap is not counted


def test_name_is_shown():
    r = score(sw.watts_strogatz(30, 4, 0.1, seed=1), seed=0, name="toy", **FAST)
    assert r.source.startswith("toy: graph")


@pytest.mark.parametrize(
    "x,kwargs,exc,match",
    [
        (sp.csr_array((2, 2), dtype=bool), {}, ValueError, "at least 3 nodes"),
        (sp.csr_array((5, 5), dtype=bool), {}, ValueError, "1 edge"),
        ("graph", {}, TypeError, "graph must be"),
        (None, {"niter": -1}, ValueError, "niter"),
        (None, {"nrand": 0}, ValueError, "nrand"),
        (None, {"null": "er"}, ValueError, "null"),
        (None, {"directed_policy": "drop"}, ValueError, "directed_policy"),
        (None, {"disconnected": "ignore"}, ValueError, "disconnected"),
        (None, {"progress": 3}, TypeError, "progress"),
        (None, {"name": 3}, TypeError, "name"),
        (nn.Conv2d(1, 1, 3), {}, TypeError, "supports torch.nn.Linear"),
    ],
)
def test_bad_input(x, kwargs, exc, match):
    if x is None:
        x = sw.watts_strogatz(20, 4, 0.1, seed=1)
    with pytest.raises(exc, match=match):
        score(x, **{**FAST, **kwargs})


def test_report_dict_has_every_section(ws_report):
    _, r = ws_report
    d = r.to_dict()
    for key in ("n", "m", "density", "degree", "power_law", "C", "T", "L", "L_policy", "efficiency",
                "sigma", "omega", "swp", "settings", "notes", "reasons"):  # fmt: skip
        assert key in d
    assert d["sigma"]["z_C"] == r.sigma.z_C and math.isfinite(d["sigma"]["C_rand"])
    assert torch is not None  # torch imported: model detection goes through sys.modules


def test_dense_mlp_power_law_verdict_is_not_assessable():
    # review: a dense MLP's degree tail has two or three values; no "-> power_law" may be printed
    model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 10))
    r = score(model, seed=0, niter=2, nrand=3, n_bootstrap=20)
    pl = r.power_law
    assert pl is not None and not pl.assessable and pl.n_tail_distinct < 5 and pl.p_value is None
    assert [c.preferred for c in pl.comparisons] == ["not_assessable", "not_assessable"]
    note = next(s for s in r.notes if s.startswith("power-law fit not assessable"))
    assert "too few distinct values in the tail" in note and "no goodness-of-fit p" in note
    text = str(r)
    # issue 11: no exponent and no likelihood-ratio rows for a withheld fit, only the reason
    assert any(line.split()[:3] == ["power-law", "alpha", "withheld"] for line in text.splitlines())
    assert "-> not_assessable" in text and "-> power_law" not in text and "-> neither" not in text
    d = json.loads(r.to_json())
    assert d["power_law"]["assessable"] is False
    assert {c["preferred"] for c in d["power_law"]["comparisons"]} == {"not_assessable"}


def test_power_law_notes_flag_a_lognormal_at_its_bound():
    from analysis.powerlaw import fit_power_law

    fit = fit_power_law(np.array([10] * 1000 + [11] * 10 + [12, 13, 14]), xmin=10, n_bootstrap=0)
    # the tail 10..14 spans less than a decade: every verdict is withheld first (issue 11)
    want = [
        "power-law fit not assessable: the tail spans less than a decade (x from 10 to 14, x_max / xmin = 1.4 "
        "< 10): too narrow for a power law to mean anything; no goodness-of-fit p and no likelihood-ratio "
        "verdict are given",
        "power law vs lognormal: the lognormal fit stopped at its search bound (mu = -100), short of its "
        "maximum likelihood; verdict withheld",
    ]
    assert report_mod._power_law_notes(fit) == want
    mlp = fit_power_law(np.array([256] * 794 + [1040] * 256 + [266] * 256), n_bootstrap=0)
    notes = report_mod._power_law_notes(mlp)
    assert len(notes) == 2 and notes[0].startswith("power-law fit not assessable: too few distinct values")
    assert notes[1].endswith("(mu = -100), short of its maximum likelihood; verdict withheld")
