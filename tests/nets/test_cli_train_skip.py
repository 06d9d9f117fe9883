"""``smallworld train --wiring ws-skip``: the layered small-world network from the command line."""

from __future__ import annotations

import json

import pytest
import torch

from smallworld.cli import main


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


BASE = ["train", "--data", "digits", "--hidden", "32,32", "--epochs", "2", "--seed", "0", "--threads", "1", "--no-progress"]


def test_ws_skip_trains_a_layered_wirednet_with_the_asked_budget(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main([*BASE, "--wiring", "ws-skip", "--density", "0.3", "--skip", "2", "--p", "0.2", "--rule", "bp", "--out", str(out)])
    assert rc == 0
    stdout = capsys.readouterr().out
    assert "64-32-32-10 layered WiredNet, wiring=ws-skip density=0.3 skip=2" in stdout
    res = json.loads((out / "results.json").read_text())
    assert res["model"] | {"mask_densities": None} == {
        "sizes": [64, 32, 32, 10], "wiring": "ws-skip", "density": 0.3, "sparse_output": False, "p": 0.2, "skip": 2,
        "mask_densities": None,
    }  # fmt: skip
    assert len(res["model"]["mask_densities"]) == 3  # one level per layer
    assert res["final_test_accuracy"] > 0.2  # two epochs of bp: well above chance (0.1)


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--wiring", "ws-skip", "--skip", "0"], "--skip must be an integer >= 1, got --skip=0"),
        (["--wiring", "er", "--skip", "2"], "--skip applies to --wiring ws-skip, not to er"),
        (["--wiring", "ws-skip", "--sparse-output"], "--sparse-output applies to mask wirings"),
        (["--wiring", "ws-skip", "--density", "0.001"], r"--density 0.001 is too small .* use density >= "),
        (["--wiring", "ba", "--p", "0.2"], "--p is the rewiring probability of --wiring ws, ws_flex or ws-skip"),
    ],
)
def test_ws_skip_errors_are_one_line(extra, message, capsys):
    assert main([*BASE, *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    import re

    assert re.search(message, err), err
