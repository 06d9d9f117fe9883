"""Tests of analysis.plots and analysis.ws_curve: values of the WS curves, valid PNG files of the expected size."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest

from analysis.plots import (plot_alignment, plot_degree_ccdf, plot_dendritic_trace, plot_masks,
                            plot_topology_over_training, plot_training_curves, plot_ws_curve)
from analysis.ws_curve import WS98_PS, WSCurve, barrat_weigt, ws_curve

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; fails unless the file is a PNG."""
    data = open(path, "rb").read()
    assert data[:8] == PNG_MAGIC, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    assert data.endswith(b"IEND\xaeB`\x82"), f"{path} is truncated"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def curve() -> WSCurve:
    # The Watts-Strogatz setting itself (n=1000, k=10), a subset of their p grid, 3 seeds.
    return ws_curve(1000, 10, [1e-3, 1e-2, 1e-1, 1.0], seeds=3, seed=1)


def test_ws_curve_lattice_reference(curve):
    # Ring lattice: C(0) = 3(k-2)/(4(k-1)) exactly; L(0) = n/(2k) asymptotically (exact: 50.45 at n=1000, k=10).
    assert curve.C0 == pytest.approx(3 * 8 / (4 * 9), abs=1e-12)
    assert curve.L0 == pytest.approx(1000 / 20, rel=0.01)


def test_ws_curve_shape_of_small_world_regime(curve):
    c, l = curve.C_norm, curve.L_norm
    assert curve.C.shape == curve.L.shape == (4, 3)
    assert np.all(c <= 1.0 + 1e-12) and np.all(l <= 1.0 + 1e-12)
    assert np.all(np.diff(c) < 0) and np.all(np.diff(l) < 0)  # both fall with p
    assert c[1] > 0.9 and l[1] < 0.5  # p = 0.01: clustering kept, paths collapsed (W&S Fig. 2)
    # C(p)/C(0) follows Barrat & Weigt's (1 - p)^3 within 0.03 (issue 2's tolerance)
    np.testing.assert_allclose(c, barrat_weigt(curve.ps), atol=0.03)
    # p = 1: a random graph, L ~ ln n / ln k = 3.0 -> L/L0 ~ 0.06; C ~ k/n = 0.01
    assert curve.L[-1].mean() == pytest.approx(np.log(1000) / np.log(10), rel=0.1)
    assert curve.C[-1].mean() == pytest.approx(10 / 1000, abs=0.005)


def test_ws_curve_is_deterministic_by_seed():
    a = ws_curve(120, 4, [0.05, 0.5], seeds=2, seed=7)
    b = ws_curve(120, 4, [0.05, 0.5], seeds=2, seed=7)
    np.testing.assert_array_equal(a.C, b.C)
    np.testing.assert_array_equal(a.L, b.L)


def test_ws_curve_to_dict_is_json_ready(curve):
    import json

    d = json.loads(json.dumps(curve.to_dict()))
    assert d["n"] == 1000 and d["k"] == 10 and d["seeds"] == 3
    assert d["C_over_C0"] == pytest.approx(curve.C_norm.tolist())
    assert len(d["p"]) == len(d["L_over_L0_sd"]) == 4


def test_ws98_grid():
    assert len(WS98_PS) == 14 and WS98_PS[0] == pytest.approx(1e-4) and WS98_PS[-1] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"n": 100, "k": 5}, ValueError, "k must be even"),
        ({"n": 10, "k": 10}, ValueError, "k must be even"),
        ({"n": 10.0, "k": 2}, TypeError, "n must be an integer"),
        ({"ps": [0.0, 0.1]}, ValueError, r"ps must lie in \(0, 1\]"),
        ({"ps": [0.1, 0.01]}, ValueError, "strictly increasing"),
        ({"ps": []}, ValueError, "at least one"),
        ({"ps": "0.1"}, TypeError, "ps must be a sequence"),
        ({"seeds": 0}, ValueError, "seeds must be an integer >= 1"),
    ],
)
def test_ws_curve_bad_input(kwargs, exc, match):
    kw = {"n": 50, "k": 4, "ps": [0.1], "seeds": 1, **kwargs}
    with pytest.raises(exc, match=match):
        ws_curve(**kw)


def test_plot_ws_curve_png(curve, tmp_path):
    out = plot_ws_curve(curve, tmp_path / "ws.png")
    assert out == tmp_path / "ws.png"
    assert png_size(out) == (960, 720)  # 6.4 x 4.8 in at 150 dpi
    assert [p.name for p in tmp_path.iterdir()] == ["ws.png"]  # no temporary file left behind


def test_plot_replaces_atomically(curve, tmp_path):
    target = tmp_path / "ws.png"
    target.write_bytes(b"old")
    plot_ws_curve(curve, target)
    assert png_size(target) == (960, 720)


def test_plot_degree_ccdf_png(tmp_path):
    rng = np.random.default_rng(0)
    deg = np.floor(3 * (1 - rng.random(2000)) ** (-1 / 1.5)).astype(int)  # power law, alpha ~ 2.5
    out = plot_degree_ccdf({"power law": deg, "regular": np.full(100, 10), "with zeros": [0, 1, 2]},
                           tmp_path / "deg.png", fits={"power law": {"alpha": 2.5, "xmin": 3}})
    assert png_size(out) == (1350, 810)


def test_plot_masks_png(tmp_path):
    import scipy.sparse as sp
    import torch

    masks = {"dense": [np.ones((8, 4)), np.ones((2, 8))],
             "sparse": [sp.random(8, 4, density=0.5, random_state=0), torch.eye(8)[:2]]}
    out = plot_masks(masks, tmp_path / "m.png")
    w, h = png_size(out)
    # one cell size per row: the all-dense row's tallest panel is capped at 1.6 in (8 rows x 0.2 in), the
    # sparse row's cells fill the width (4 + 8 input columns in 6 - 2 x 0.9 in: 0.35 in per cell)
    assert (w, h) == (int(150 * (2.7 * 2 + 0.6)), round(150 * ((0.2 * 8 + 0.9) + (0.35 * 8 + 0.9) + 0.5)))


def test_plot_training_curves_png(tmp_path):
    h = {(w, r): {"accuracy": [[0.5, 0.8, 0.9], [0.4, 0.7, 0.9]], "loss": [1.0, 0.5, 0.3]}
         for w in ("dense", "ws") for r in ("bp", "fa")}
    out = plot_training_curves(h, tmp_path / "t.png")
    assert png_size(out) == (int(150 * (3.3 * 2 + 2.2)), int(150 * (2.6 * 2 + 0.8)))
    # five rules wrap onto a second block of panel rows (4 per row by default)
    h5 = {("dense", r): {"accuracy": [0.5, 0.8], "loss": [1.0, 0.5]} for r in ("bp", "fa", "dfa", "predsim", "agrel")}
    out = plot_training_curves(h5, tmp_path / "t5.png", missing={"agrel": "not run: WS"})
    assert png_size(out) == (int(150 * (3.3 * 4 + 2.2)), int(150 * (2.6 * 2 * 2 + 0.8)))


def test_plot_alignment_png(tmp_path):
    out = plot_alignment({"dense": [[90, 90], [70, 80]], "ws": [90, 60]}, tmp_path / "a.png",
                         epochs=[0, 1], layer_names=["hidden 1", "output"])
    assert png_size(out) == (int(150 * (3.8 * 2 + 0.4)), int(150 * (3.2 + 0.6)))


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda p: plot_ws_curve({"C": 1}, p), TypeError, "curve must be a WSCurve"),
        (lambda p: plot_degree_ccdf([1, 2], p), TypeError, "degrees must be a mapping"),
        (lambda p: plot_degree_ccdf({}, p), ValueError, "at least one series"),
        (lambda p: plot_degree_ccdf({"a": [-1, 2]}, p), ValueError, "non-negative"),
        (lambda p: plot_degree_ccdf({"a": [1, 2]}, p, fits={"b": {"alpha": 2, "xmin": 1}}), ValueError, "not in degrees"),
        (lambda p: plot_degree_ccdf({"a": [1, 2]}, p, fits={"a": {"alpha": 2}}), TypeError, "'alpha' and 'xmin'"),
        (lambda p: plot_masks({"a": [np.ones(3)]}, p), ValueError, "must be 2-D"),
        (lambda p: plot_masks({"a": []}, p), ValueError, "at least one mask"),
        (lambda p: plot_training_curves({"dense": {"accuracy": [1]}}, p), TypeError, r"\(wiring, rule\) tuples"),
        (lambda p: plot_training_curves({("d", "bp"): {"loss": [1]}}, p), ValueError, "no 'accuracy'"),
        (lambda p: plot_training_curves({("d", "bp"): {"accuracy": [np.nan], "loss": [1]}}, p), ValueError, "NaN"),
        (lambda p: plot_alignment({"a": [200.0]}, p), ValueError, r"\[0, 180\]"),
        (lambda p: plot_alignment({"a": [90.0, 80.0]}, p, epochs=[0]), ValueError, "epochs must have 2"),
        (lambda p: plot_dendritic_trace([], p), TypeError, "mapping of label"),
        (lambda p: plot_dendritic_trace({}, p), ValueError, "at least one run"),
        (lambda p: plot_dendritic_trace({"d": [[{"epoch": 1, "apical_sq": 1.0}]]}, p), ValueError,
         "no dendritic records"),
    ],
)
def test_plot_bad_input(tmp_path, call, exc, match):
    with pytest.raises(exc, match=match):
        call(tmp_path / "x.png")
    assert not any(tmp_path.iterdir())  # nothing half-written


@pytest.mark.parametrize("path, exc, match", [(3, TypeError, "path must be a str"),
                                              ("x.jpg", ValueError, "must name a .png"),
                                              (os.path.join("no", "such", "dir", "x.png"), FileNotFoundError, "does not exist")])
def test_plot_bad_path(path, exc, match):
    with pytest.raises(exc, match=match):
        plot_alignment({"a": [90.0]}, path)


def test_plot_dendritic_trace_png(tmp_path):
    """The microcircuit's three panels: one line per label, one angle line per hidden layer."""
    hist = [{"epoch": e, "apical_sq": 1e-2 / e, "interneuron_mismatch": 1e-4 * e, "angles_to_bp": [80.0, 60.0, 0.0]}
            for e in (1, 2, 3)]
    out = plot_dendritic_trace({"dense": [hist, hist], "ws": [hist]}, tmp_path / "d.png")
    assert png_size(out) == (int(150 * 11.0), int(150 * 3.4))


def test_plot_topology_over_training_panels_follow_the_records(tmp_path):
    """One panel per recorded quantity (no relational C here: three), the legend below them."""
    def run(c):
        topo = lambda x: {"C": x, "L": 2.0, "sigma_er": 1.2}  # noqa: E731
        return {"config": {"topology_initial": topo(0.3)}, "history": [{"epoch": e, "topology": topo(c)} for e in (1, 2)]}

    out = plot_topology_over_training({f"p{i}": run(0.1 * i) for i in range(5)}, tmp_path / "t.png")
    assert png_size(out) == (round(150 * 3.6 * 3), int(150 * (3.4 + 0.25)))
    with pytest.raises(ValueError):
        plot_topology_over_training({}, tmp_path / "u.png")
