"""``smallworld train``: a short run end to end, resume, and one-line errors with exit status 2."""

from __future__ import annotations

import json

import pytest
import torch

from smallworld.cli import main


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)  # the command sets --threads for its process; restore for other tests


BASE = ["train", "--data", "digits", "--hidden", "32", "--epochs", "2", "--seed", "0", "--threads", "1", "--no-progress"]


def test_train_writes_results_and_prints_a_table(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main([*BASE, "--wiring", "ws", "--density", "0.25", "--rule", "predsim", "--out", str(out)])
    assert rc == 0
    stdout = capsys.readouterr().out
    assert "| epoch | train loss | train acc | test loss | test acc | time (s) |" in stdout
    assert "final test accuracy" in stdout
    res = json.loads((out / "results.json").read_text())
    assert res["rule"] == "predsim" and res["epochs"] == 2 and len(res["history"]) == 2
    assert res["model"]["sizes"] == [64, 32, 10] and res["model"]["wiring"] == "ws"
    densities = res["model"]["mask_densities"]
    assert 0.2 < densities[0] < 0.3 and densities[1] == 1.0  # wired hidden layer, dense readout
    assert (out / "checkpoint.pt").is_file()


def test_sparse_output_wires_the_readout(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*BASE, "--wiring", "er", "--density", "0.5", "--sparse-output", "--out", str(out)]) == 0
    capsys.readouterr()
    densities = json.loads((out / "results.json").read_text())["model"]["mask_densities"]
    assert densities == [0.5, 0.5]


def test_resume_continues_to_the_same_result(tmp_path, capsys):
    main([*BASE, "--rule", "fa", "--wiring", "er", "--out", str(tmp_path / "full"), "--epochs", "3"])
    main([*BASE, "--rule", "fa", "--wiring", "er", "--out", str(tmp_path / "part")])
    rc = main([*BASE, "--rule", "fa", "--wiring", "er", "--out", str(tmp_path / "part"), "--epochs", "3", "--resume"])
    assert rc == 0
    capsys.readouterr()
    full = json.loads((tmp_path / "full" / "results.json").read_text())
    part = json.loads((tmp_path / "part" / "results.json").read_text())
    assert part["final_test_accuracy"] == full["final_test_accuracy"]
    assert [h["train_loss"] for h in part["history"]] == [h["train_loss"] for h in full["history"]]


def _exit_status(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse reports bad values itself (still one line, status 2)
        return int(exc.code)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--rule", "hebb"], "rule must be one of"),
        (["--device", "cuda:9"], "device="),
        (["--hidden", "a,b"], "--hidden must be comma-separated integers"),
        (["--density", "0"], "--density must be a real number > 0"),
        (["--epochs", "x"], "invalid int value"),
        (["--wiring", "lattice"], "--wiring must be one of"),
        (["--resume"], "--resume needs --out DIR"),
        (["--data", "cifar"], "name must be one of"),
        (["--optimizer", "lbfgs"], "optimizer must be one of"),
    ],
)
def test_bad_arguments_are_one_line_exit_2(args, message, capsys):
    assert _exit_status(["train", "--epochs", "1", "--no-progress", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_existing_run_without_resume_is_refused(tmp_path, capsys):
    assert main([*BASE, "--epochs", "1", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main([*BASE, "--epochs", "1", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already exists; pass resume=True" in err[0]
