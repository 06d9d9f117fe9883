"""``smallworld train --nproc N --parallel MODE``: the same results folder as one process, one-line errors."""

from __future__ import annotations

import json
import time

import pytest
import torch

from smallworld.cli import main


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


BASE = ["train", "--data", "digits", "--hidden", "32,32", "--epochs", "2", "--seed", "0", "--threads", "2", "--no-progress"]


def _keys(d, prefix=""):
    out = set()
    for k, v in d.items():
        out.add(prefix + k)
        if isinstance(v, dict) and k not in ("angles",):
            out |= _keys(v, prefix + k + ".")
    return out


@pytest.mark.parametrize(
    "rule, parallel",
    [("bp", "data"), ("predsim", "layer")],
)
def test_nproc_2_writes_what_one_process_writes(rule, parallel, tmp_path, capsys):
    one, two = tmp_path / "one", tmp_path / "two"
    assert main([*BASE, "--rule", rule, "--wiring", "er", "--out", str(one)]) == 0
    t0 = time.monotonic()
    assert main([*BASE, "--rule", rule, "--wiring", "er", "--out", str(two), "--nproc", "2", "--parallel", parallel]) == 0
    assert time.monotonic() - t0 < 60
    stdout = capsys.readouterr().out
    assert "2 worker processes, --parallel " + parallel in stdout and "final test accuracy" in stdout
    assert sorted(p.name for p in one.iterdir()) == sorted(p.name for p in two.iterdir()) == ["checkpoint.pt", "results.json"]
    r1, r2 = (json.loads((d / "results.json").read_text()) for d in (one, two))
    assert _keys(r1) == _keys(r2)
    assert r2["model"] == r1["model"] and r2["config"] == r1["config"]
    assert r2["final_test_accuracy"] == r1["final_test_accuracy"]
    for h1, h2 in zip(r1["history"], r2["history"]):  # float32 sums in another order: rounding only
        assert h2["train_loss"] == pytest.approx(h1["train_loss"], abs=1e-5)
        assert h2["test_loss"] == pytest.approx(h1["test_loss"], abs=1e-5)
    # the checkpoint rank 0 wrote resumes in one process
    assert main([*BASE, "--rule", rule, "--wiring", "er", "--out", str(two), "--epochs", "3", "--resume"]) == 0
    assert json.loads((two / "results.json").read_text())["epochs"] == 3


def _exit_status(argv):
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--nproc", "0"], "--nproc must be an integer >= 1, got --nproc 0"),
        (["--nproc", "x"], "invalid int value"),
        (["--nproc", "2", "--parallel", "model"], "--parallel must be one of 'data', 'data-bf16', 'layer', 'layer-pipelined', got --parallel model"),
        (["--parallel", "data"], "--parallel data applies with --nproc N"),
        (["--nproc", "2", "--parallel", "layer", "--rule", "bp"], "--parallel layer runs the rules whose blocks need no gradient from above"),
        (["--nproc", "2", "--parallel", "layer-pipelined", "--rule", "fa"], "--rule fa needs one: use --parallel data"),
        (["--nproc", "2", "--rewire", "set"], "--rewire cannot be combined with --nproc"),
        (["--nproc", "2", "--parallel", "layer", "--rule", "predsim", "--wiring", "ws-skip"], "use --parallel data"),
        (["--nproc", "2", "--device", "cuda:9"], "--device cuda:9"),
    ],
)
def test_bad_parallel_arguments_are_one_line_exit_2(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _exit_status(["train", "--epochs", "1", "--no-progress", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert list(tmp_path.iterdir()) == []


def test_a_dead_worker_is_one_line_exit_1(tmp_path, capsys, monkeypatch):
    import nets.distributed as nd

    def dies(*args, **kwargs):
        raise nd.DistributedError("rank 1 died (exit code -9) without a report; the other ranks were stopped")

    monkeypatch.setattr(nd, "launch", dies)
    assert main([*BASE, "--epochs", "1", "--nproc", "2", "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["smallworld train: error: rank 1 died (exit code -9) without a report; the other ranks were stopped"]
