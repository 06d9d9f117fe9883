"""End-to-end test of ``smallworld demo --quick``: the table, results.json, report.md and every PNG."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
from contextlib import redirect_stdout

import pytest

from smallworld.cli import main

WIRINGS = ("dense", "ws", "ba", "hk", "ke", "ws-skip", "dag")
RULES = ("bp", "fa", "dfa", "predsim", "agrel", "node-perturbation", "dendritic", "readout-only")
#: The four layered families (C = 0 by construction) train with these only (a note in the report says why).
LAYERED = ("ws", "ba", "hk", "ke")
LAYERED_RULES = ("bp", "fa", "predsim")
#: Pairs a rule refuses, with the reason shown in the report (both need a chain of layers).
REFUSED = {(w, r) for w in ("ws-skip", "dag") for r in ("node-perturbation", "dendritic")}
FIGURES = ("ws_fig2.png", "degree_ccdf.png", "masks.png", "training_curves.png", "fa_alignment.png",
           "topology_over_training.png", "dendritic.png")
POLICIES = ("static", "set", "rigl", "smallworld", "smallworld-protect")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "report"
    buf = io.StringIO()
    with redirect_stdout(buf):
        rc = main(["demo", "--quick", "--epochs", "2", "--out", str(out), "--seed", "1"])
    return rc, buf.getvalue(), out, json.loads((out / "results.json").read_text())


def test_demo_exit_status_and_files(demo):
    rc, _, out, res = demo
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(["report.md", "results.json", *FIGURES])
    assert sorted(res["figures"]) == sorted(FIGURES)


@pytest.mark.parametrize("name", FIGURES)
def test_demo_figures_are_pngs(demo, name):
    data = (demo[2] / name).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data.endswith(b"IEND\xaeB`\x82")
    w, h = struct.unpack(">II", data[16:24])
    assert w >= 600 and h >= 400
    assert f"]({name})" in (demo[2] / "report.md").read_text()


def test_demo_budget_is_equal(demo):
    res = demo[3]
    weights = {w["name"]: w["weights"] for w in res["wirings"]}
    assert set(weights) == set(WIRINGS)
    budget = weights["dense"]
    assert budget == 64 * 64 + 64 * 64 + 64 * 10
    for name, w in weights.items():
        assert abs(w - budget) <= 0.02 * budget, (name, w, budget)
    assert weights["ws-skip"] == budget  # the layered small-world network spends the budget exactly


def test_demo_scores_tell_the_story(demo):
    scores = demo[3]["scores"]
    # A layered network has no triangles: C = 0 whatever wired its masks (dense or sparse).
    for name in ("dense", "ws", "ba", "hk", "ke"):
        assert scores[name]["C"] == 0.0 and scores[name]["sigma"] == 0.0
    # The DAG network wired from a WS graph is small-world at the neuron level, and so is the layered
    # network with skip arcs on a ring lattice (issue 9: sigma > 1.5 at the dense MLP's budget).
    assert scores["dag"]["C"] > 0.2 and scores["dag"]["sigma"] > 1.0
    assert scores["ws-skip"]["C"] > 0.2 and scores["ws-skip"]["sigma"] > 1.5
    assert scores["ws-skip"]["layer_sizes"] == [64, 128, 128, 10]
    assert scores["dag"]["L"] < scores["ws"]["L"]
    assert scores["dense"]["layer_sizes"] == [64, 64, 64, 10]
    assert scores["dense"]["L"] > 1.0


def test_demo_results_rows(demo):
    res = demo[3]
    rows = {(r["wiring"], r["rule"]): r for r in res["results"]}
    # every rule runs on every wiring where it applies; a refusal is shown with its reason, not hidden
    expected = {(w, r) for w in WIRINGS for r in (LAYERED_RULES if w in LAYERED else RULES)} - REFUSED
    assert set(rows) == expected
    assert any("train with BP, FA, predsim only" in n for n in [(demo[2] / "report.md").read_text()])
    labels = {w["name"]: w["label"] for w in res["wirings"]}
    assert set(res["skipped"]) == {f"{labels[w]} · {r}" for w, r in REFUSED}
    assert all("WiredNet" in why for why in res["skipped"].values())
    for r in rows.values():
        assert len(r["accuracies"]) == 1 and 0.0 <= r["acc_mean"] <= 1.0 and r["time_mean"] > 0
        assert r["acc_sd"] is None  # one seed: no spread claimed
    assert rows[("dense", "bp")]["acc_mean"] > 0.8  # 2 epochs of digits at lr 3e-3
    assert len(res["curves"]["dense/bp"]["accuracy"][0]) == 2
    assert res["ws_curve"]["n"] == 1000 and res["ws_curve"]["k"] == 10
    assert res["config"]["quick"] is True and res["config"]["seed"] == 1


def test_demo_six_problems_card_beside_accuracy(demo):
    """Issue 13: the report shows each rule's card (from nets.rule_card) beside its accuracy."""
    from nets import rule_card

    res, md = demo[3], (demo[2] / "report.md").read_text()
    card = rule_card("dict")
    assert set(res["rule_card"]) == set(RULES)  # JSON keys: the problem numbers as strings
    assert res["rule_card"]["agrel"]["removes"] == {str(k): v for k, v in card["agrel"]["removes"].items()}
    section = md.split("## Backprop's six problems")[1].split("\n## ")[0]
    table = [line for line in section.splitlines() if line.startswith("| ")][1:]  # rows after the head
    assert len(table) == len(RULES)
    names = {"bp": "BP", "agrel": "AGREL", "node-perturbation": "node perturbation", "dendritic": "dendritic microcircuit"}
    for rule, name in names.items():
        line = next(t for t in table if t.startswith(f"| {name} |"))
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert [k for k in range(1, 7) if cells[k] == "x"] == sorted(card[rule]["removes"]), rule
        accs = [r["acc_mean"] for r in res["results"] if r["rule"] == rule]
        lo, hi = 100 * min(accs), 100 * max(accs)
        assert cells[7].startswith(f"{lo:.1f}" if len(accs) == 1 else f"{lo:.1f}–{hi:.1f}"), (rule, cells[7])
    # honest: a rule that still needs the label vector does not get problem 6
    assert 6 not in card["bp"]["removes"] and 6 in card["agrel"]["removes"]


def test_demo_rewiring_study_tracks_topology(demo):
    """Issue 15: the layered small-world network rewired by each policy, its C/L/σ per epoch in the report."""
    res = demo[3]
    rw = res["rewiring"]
    assert rw["wiring"] == "ws-skip" and [r["policy"] for r in rw["rows"]] == list(POLICIES)
    rows = {r["policy"]: r for r in rw["rows"]}
    start_c = res["scores"]["ws-skip"]["C"]
    for policy in POLICIES:
        topo = rw["topology"][policy]
        assert len(topo) == 1 + 2  # before training, then each of the 2 epochs
        assert abs(topo[0]["C"] - start_c) < 1e-9 and rows[policy]["C_start"] == topo[0]["C"]
        assert rows[policy]["C_end"] == topo[-1]["C"] and 0.0 < rows[policy]["accuracy"] <= 1.0
    assert rows["static"]["C_end"] == rows["static"]["C_start"]  # no rewiring, no change
    assert rows["set"]["C_end"] < rows["set"]["C_start"]  # random regrowth destroys triangles
    assert rows["smallworld-protect"]["C_end"] > rows["set"]["C_end"]  # the triangle-sparing drop keeps more
    md = (demo[2] / "report.md").read_text()
    assert "## Topology while it learns" in md and f"{start_c:.3f} → {rows['set']['C_end']:.3f}" in md


def test_demo_dendritic_records(demo):
    """Issue 12: the dendritic microcircuit's apical error, self-prediction and angle to BP reach the report."""
    row = next(r for r in demo[3]["results"] if r["wiring"] == "dense" and r["rule"] == "dendritic")
    (hist,) = row["dendritic"]  # one seed
    assert [h["epoch"] for h in hist] == [1, 2]
    for h in hist:
        assert h["apical_sq"] > 0 and h["interneuron_mismatch"] >= 0
        assert len(h["angles_to_bp"]) == 3 and all(0 <= a <= 180 for a in h["angles_to_bp"])


def test_demo_printed_table_and_summary(demo):
    _, text, _, res = demo
    assert "| wiring" in text and "test acc. % (mean ± sd)" in text
    for label in ("dense MLP", "Watts–Strogatz masks", "Barabási–Albert masks", "Holme–Kim masks",
                  "Klemm–Eguíluz masks", "layered small-world (skip arcs)", "small-world DAG (WiredNet)"):
        assert label in text
    # the summary is computed: it quotes the numbers of results.json
    dense_bp = next(r for r in res["results"] if r["wiring"] == "dense" and r["rule"] == "bp")
    assert f"{100 * dense_bp['acc_mean']:.1f}%" in res["summary"]
    assert f"σ = {res['scores']['dag']['sigma']:.2f}" in res["summary"]
    assert f"σ = {res['scores']['ws-skip']['sigma']:.2f}" in res["summary"]
    # one seed: the summary compares with dense BP rule by rule but claims no gain or cost
    assert "one seed, so no spread to tell a difference from noise" in res["summary"]
    assert "a gain" not in res["summary"] and "a cost" not in res["summary"]
    assert res["summary"] in text


def test_demo_refuses_to_overwrite(demo, capsys):
    out = demo[2]
    before = (out / "results.json").read_bytes()
    assert main(["demo", "--quick", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--force" in err and "already holds an earlier report" in err
    assert (out / "results.json").read_bytes() == before


@pytest.mark.parametrize("argv, match", [(["--seeds", "0"], "--seeds must be an integer >= 1"),
                                         (["--epochs", "0"], "--epochs must be an integer >= 1"),
                                         (["--device", "tpu"], "device must be"),
                                         (["--seed", "-3"], "--seed must be an integer >= 0")])
def test_demo_bad_arguments(tmp_path, capsys, argv, match):
    assert main(["demo", "--quick", "--out", str(tmp_path / "r"), *argv]) == 2
    assert match in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_import_smallworld_does_not_import_torch():
    code = "import sys, smallworld, smallworld.cli; smallworld.cli.build_parser(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_demo_report_command_reproduces_the_run(demo):
    _, _, out, _ = demo
    assert "Command: `smallworld demo --quick --seed 1 --epochs 2`" in (out / "report.md").read_text()


def test_demo_refuses_absurd_seed_counts_before_any_work(tmp_path, capsys):
    assert main(["demo", "--quick", "--out", str(tmp_path / "r"), "--seeds", "1000000000000"]) == 2
    assert "--seeds must be an integer >= 1 and <= 100" in capsys.readouterr().err


def _staged_report(tmp_path, out, **kw):
    from smallworld.cli._demo_files import report_folder, write_text

    with report_folder(out, **kw) as stage:
        write_text(stage / "report.md", "hello\n")
        return stage


def test_report_folder_in_an_existing_empty_folder_and_the_current_one(tmp_path, monkeypatch):
    # an existing folder (a mount point, ".") is staged inside, so the final moves stay on its filesystem
    out = tmp_path / "existing"
    out.mkdir()
    stage = _staged_report(tmp_path, out)
    assert stage.parent == out and not stage.exists()
    assert sorted(p.name for p in out.iterdir()) == ["report.md"]
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    _staged_report(tmp_path, ".")  # '--out .' in an empty folder used to refuse itself at the end
    assert sorted(p.name for p in here.iterdir()) == ["report.md"]


def test_report_folder_refuses_an_unwritable_destination_up_front(tmp_path):
    from smallworld.cli import CLIError
    from smallworld.cli._demo_files import report_folder

    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(CLIError, match=r"--out '.*afile/sub' cannot be written"):
        with report_folder(afile / "sub"):
            raise AssertionError("no work may start")


def test_sigterm_is_unwound_like_ctrl_c_and_leaves_nothing(tmp_path):
    # `timeout` and job schedulers send SIGTERM: exit 143, no staging folder left behind
    import os
    import signal
    import time

    code = (
        "import sys, time; from smallworld.cli import main, _demo_files as f\n"
        "from smallworld.cli import _demo\n"
        "def slow(args):\n"
        "    with f.report_folder(args.out) as stage:\n"
        "        (stage / 'part.txt').write_text('half')\n"
        "        print('staged', flush=True); time.sleep(30)\n"
        "_demo.run = slow\n"
        "sys.exit(main(['demo', '--out', sys.argv[1]]))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "rep")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=os.getcwd())  # fmt: skip
    assert proc.stdout.readline().strip() == "staged"
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143 and "terminated" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["demo", "--seeds", "1.5"], ["demo", "--epochs", "nan"], ["score", "--bogus"],
                                  ["nosuch"]])
def test_argument_errors_are_one_line_with_status_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ": error: " in err[0], err


def test_a_failed_report_into_a_nested_path_leaves_no_empty_folders(tmp_path):
    from smallworld.cli._demo_files import report_folder

    with pytest.raises(KeyboardInterrupt):
        with report_folder(tmp_path / "x" / "y" / "z") as stage:
            (stage / "half.txt").write_text("half")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def _row(wiring, rule, accs):
    import statistics

    return {"wiring": wiring, "label": wiring, "rule": rule, "weights": 100, "accuracies": accs,
            "acc_mean": statistics.mean(accs), "acc_sd": statistics.stdev(accs) if len(accs) > 1 else None}


@pytest.mark.parametrize(
    "accs, verdict",
    [((0.960, 0.970, 0.950), "within the seed spread"),  # -0.4 points with sd 1: noise, not a win or a loss
     ((0.900, 0.905, 0.895), "a cost"),
     ((0.995, 0.990, 1.000), "a gain")],
)
def test_summary_weighs_differences_against_the_seed_spread(accs, verdict):
    from smallworld.cli._demo_report import summary

    rows = [_row("dense", "bp", [0.962, 0.968, 0.958]), _row("sw", "fa", list(accs))]
    scores = {"dense": {"C": 0.0, "sigma": 0.0, "L": 2.0}, "sw": {"C": 0.3, "sigma": 1.6, "L": 1.9}}
    text = summary(rows, scores, {"dense": "dense", "sw": "sw"}, dag="", small_world=["sw"])
    assert f"FA {100 * sum(accs) / 3:.1f} ±" in text and verdict in text
    others = {"within the seed spread", "a cost", "a gain"} - {verdict}
    assert not any(o in text for o in others)
