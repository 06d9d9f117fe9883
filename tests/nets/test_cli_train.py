"""``smallworld train``: a short run end to end, resume, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import re

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
    assert res["config"]["beta"] == 0.99  # predsim's similarity weight, default


def test_beta_reaches_the_run_and_changes_it(tmp_path, capsys):
    """--beta is predsim's similarity weight: recorded in the config, and a different weight trains differently."""
    accs = {}
    for beta in ("0.99", "0.0"):
        out = tmp_path / beta
        assert main([*BASE, "--rule", "predsim", "--beta", beta, "--out", str(out)]) == 0
        res = json.loads((out / "results.json").read_text())
        assert res["config"]["beta"] == float(beta)
        accs[beta] = res["history"][-1]["train_loss"]
    capsys.readouterr()
    assert accs["0.99"] != accs["0.0"]


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
        (["--device", "cuda:9"], "--device cuda:9"),
        (["--hidden", "a,b"], "--hidden must be comma-separated integers"),
        (["--density", "0"], "--density must be a real number > 0"),
        (["--epochs", "x"], "invalid int value"),
        (["--wiring", "lattice"], "--wiring must be one of"),
        (["--resume"], "--resume needs --out DIR"),
        (["--data", "cifar"], "--data must be one of"),
        (["--optimizer", "lbfgs"], "optimizer must be one of"),
        (["--rule", "predsim", "--beta", "1.5"], "--beta must be a real number >= 0 and <= 1"),
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
    assert len(err) == 1 and "checkpoint.pt already exists: pass --resume to continue that run" in err[0]


@pytest.mark.parametrize(("args", "message"), [
    (["--out", ""], "--out must name a folder"),
    (["--hidden", "64,,64"], "--hidden must be comma-separated integers"),
    (["--hidden", "16_0"], "--hidden must be comma-separated integers"),
    (["--wiring", "dense", "--density", "0.1"], "--density applies to sparse wirings"),
    (["--wiring", "er", "--p", "0.3"], "--p is the rewiring probability of --wiring ws, ws_flex or ws-skip, not of er"),
    (["--data", "mnist"], "--data mnist needs the folder of IDX files itself: --data DIR"),
    (["--test-size", "1.5"], "--test-size must be"),
    (["--hidden", "1,1"], "too narrow for graph='ws' at any density"),
])  # fmt: skip
def test_cli_settings_that_cannot_work_or_would_be_ignored_are_refused(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        rc = main([*BASE, "--epochs", "1", *args])
    except SystemExit as exc:  # argparse's own type errors exit from the parser
        rc = exc.code
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_cli_resume_with_another_wiring_is_refused_even_when_the_masks_coincide(tmp_path, capsys):
    # one hidden layer, --sparse-output off: the only wired layer is 64 -> W, so er and ws masks differ,
    # but --p changes nothing on a ws run whose rewiring happens to coincide; the recorded settings must match
    out = tmp_path / "run"
    assert main([*BASE, "--epochs", "1", "--wiring", "ws", "--p", "0.1", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main([*BASE, "--epochs", "2", "--wiring", "ws", "--p", "0.3", "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "cannot resume: the checkpoint was written with metadata=" in err and "'p': 0.1" in err
    results = json.loads((out / "results.json").read_text())
    assert results["model"]["p"] == 0.1 and results["config"]["metadata"]["p"] == 0.1


def test_cli_idx_folder_with_one_split_uses_test_size(shared_data, tmp_path, capsys):
    cmd = ["train", "--data", str(shared_data), "--hidden", "16", "--epochs", "1", "--no-progress", "--threads", "1"]
    assert main(cmd) == 2
    assert "pass --test-size (e.g. 0.25)" in capsys.readouterr().err
    assert main([*cmd, "--test-size", "0.25"]) == 0
    n_train, n_test = map(int, re.search(r"\((\d+) train / (\d+) test\)", capsys.readouterr().out).groups())
    assert n_train + n_test == 10000 and abs(n_test - 2500) <= 5  # stratified: rounded per class


@pytest.mark.parametrize(("args", "message"), [
    (["--lr", "-1"], "--lr must be a real number > 0, got --lr -1.0"),
    (["--optimizer", "foo"], "--optimizer must be one of"),
    (["--rule", "xx"], "--rule must be one of"),
    (["--weight-decay", "-1"], "--weight-decay must be a real number >= 0"),
])  # fmt: skip
def test_cli_errors_name_the_flags_the_user_typed(args, message, capsys):
    assert main([*BASE, *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "lr=" not in err


def test_cli_resumes_a_checkpoint_written_before_metadata_was_stored(tmp_path, capsys):
    from nets._checkpoint import load_checkpoint, save_checkpoint

    out = tmp_path / "run"
    assert main([*BASE, "--epochs", "1", "--out", str(out)]) == 0
    state = load_checkpoint(out / "checkpoint.pt", "cpu")
    del state["config"]["metadata"]  # what an older version wrote
    save_checkpoint(out / "checkpoint.pt", state)
    capsys.readouterr()
    assert main([*BASE, "--epochs", "2", "--out", str(out), "--resume"]) == 0
    assert json.loads((out / "results.json").read_text())["epochs"] == 2
