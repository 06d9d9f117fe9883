"""Tests for ``smallworld score`` (smallworld/cli/_score.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import smallworld as sw
from analysis import average_clustering, average_path_length
from smallworld.cli import main
from smallworld.cli._score import parse_sizes

FAST = ["--niter", "2", "--nrand", "2", "--bootstrap", "10", "--seed", "1"]
ROOT = Path(__file__).resolve().parents[2]


def test_dataset_table_and_json(tmp_path, capsys):
    out = tmp_path / "karate.json"
    assert main(["score", "--dataset", "karate", "--json", str(out), "--no-progress", *FAST]) == 0
    cap = capsys.readouterr()
    assert cap.out.startswith("smallworld score: dataset karate")
    G = sw.datasets.karate()
    d = json.loads(out.read_text())
    assert d["n"] == 34 and d["m"] == 78
    assert d["C"] == average_clustering(G) and d["L"] == average_path_length(G)
    assert f"{d['C']:.4g}" in cap.out
    assert [p.name for p in tmp_path.iterdir()] == ["karate.json"]  # no temporary file left behind
    assert "written to" in cap.err


def test_json_overwrites_atomically_only_with_force(tmp_path, capsys):
    out = tmp_path / "r.json"
    out.write_text("old")
    argv = ["score", "--mlp", "4,3,2", "--json", str(out), "--no-progress", *FAST]
    assert main(argv) == 2 and out.read_text() == "old"  # the CLI's one overwrite policy (issue 11)
    assert "--force" in capsys.readouterr().err
    assert main([*argv, "--force"]) == 0
    assert json.loads(out.read_text())["layer_sizes"] == [4, 3, 2]
    assert len(list(tmp_path.iterdir())) == 1


def test_file_input(tmp_path, capsys):
    path = tmp_path / "ws.edgelist"
    G = sw.watts_strogatz(80, 6, 0.1, seed=3)
    sw.write(G, path)
    assert main(["score", str(path), "--no-progress", *FAST]) == 0
    out = capsys.readouterr().out
    assert f"file {path}" in out and "nodes n" in out
    assert f"{average_clustering(G):.4g}" in out


def test_mlp_has_zero_clustering_and_progress_bar(capsys, monkeypatch):
    import smallworld.cli

    monkeypatch.setattr(smallworld.cli, "_stderr_is_tty", lambda: True)  # bars only on a terminal (issue 11)
    assert main(["score", "--mlp", "20,16,16,10", *FAST]) == 0
    cap = capsys.readouterr()
    rows = {ln.split("  ")[0]: ln for ln in cap.out.splitlines()}
    assert rows["clustering C"].split()[2] == "0" and rows["transitivity T"].split()[2] == "0"
    assert "layers 20-16-16-10" in cap.out and "undirected view" in cap.out
    assert "null ensemble" in cap.err  # the tqdm bar goes to stderr


def test_big_mlp_uses_analytic_references_and_says_so(capsys):
    assert main(["score", "--mlp", "300,100,80", "--no-progress", "--bootstrap", "0", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert "note: m = 38000 > 20000" in out and "analytic" in out


@pytest.mark.parametrize(
    "argv,match",
    [
        ([], "exactly one of"),
        (["--dataset", "karate", "--mlp", "3,2"], "exactly one of"),
        (["--mlp", "3,x"], "comma-separated"),
        (["--mlp", "5"], "at least two"),
        (["--mlp", "5,0"], "at least two"),
        (["--dataset", "nope"], "--dataset must be one of"),
        (["does_not_exist.edgelist"], "does_not_exist"),
        (["--mlp", "3,2", "--nrand", "0"], "--nrand"),
        (["--mlp", "3,2", "--niter", "-1"], "--niter"),
        (["--mlp", "100000,100000,10"], "limit"),
    ],
)
def test_bad_arguments_one_line_exit_2(argv, match, capsys):
    assert main(["score", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("smallworld score: error:")
    assert match in err[0]


def test_json_to_directory_is_refused(tmp_path, capsys):
    assert main(["score", "--mlp", "3,2", "--json", str(tmp_path), *FAST]) == 2
    assert "directory" in capsys.readouterr().err


def test_parse_sizes():
    assert parse_sizes("784, 256,10") == [784, 256, 10]


def test_subprocess_entry_point(tmp_path):
    out = tmp_path / "s.json"
    cmd = [sys.executable, "-m", "smallworld", "score", "--mlp", "6,5,4", "--json", str(out), "--no-progress", *FAST]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "clustering C" in res.stdout and json.loads(out.read_text())["n"] == 15


def test_mlp_power_law_verdict_is_not_assessable(capsys):
    # review: `score --mlp 784,256,256,10` printed "vs exponential -> power_law" from a two-value tail
    assert main(["score", "--mlp", "20,16,16,10", "--no-progress", *FAST]) == 0
    out = capsys.readouterr().out
    rows = [ln for ln in out.splitlines() if ln.startswith("  vs ")]
    assert len(rows) == 2 and all(ln.endswith("-> not_assessable") for ln in rows)
    assert "-> power_law" not in out
    assert "note: power-law fit not assessable: too few distinct values in the tail" in out
