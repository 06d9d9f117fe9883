"""The CLI behaves the same way in every subcommand (issue 11, "CLI consistency")."""

from __future__ import annotations

import json

import pytest

from smallworld.cli import as_flags, main


def _err(capsys) -> str:
    return capsys.readouterr().err


# --- one translation layer: errors name the flags the user typed ---------------------------------


@pytest.mark.parametrize(
    "argv, expected, absent",
    [
        (["score", "--dataset", "foo"], "got --dataset foo", "name="),
        (["generate", "spatial", "--n", "50"], "give exactly one of --density or --mean-degree", "mean_degree"),
    ],
)
def test_library_errors_name_flags(capsys, argv, expected, absent):
    assert main(argv) == 2
    err = _err(capsys)
    assert expected in err and absent not in err


def test_resume_without_checkpoint_names_the_flag(capsys, tmp_path):
    assert main(["train", "--resume", "--out", str(tmp_path / "run"), "--epochs", "1", "--no-progress"]) == 2
    err = _err(capsys)
    assert "--resume but there is no checkpoint" in err and "resume=True" not in err


@pytest.mark.parametrize(
    "message, flags, expected",
    [
        ("sigma ...; pass null='rewire' to force ensembles", {"null": "--null"}, "pass --null rewire to force"),
        ("install it or pass root=DIR", {"root": "--data-root"}, "or pass --data-root DIR"),
        ("resume=True but there is no checkpoint", {"resume": "--resume"}, "--resume but there is no checkpoint"),
        ("lr must be > 0, got lr=-1", {"lr": "--lr"}, "--lr must be > 0, got --lr -1"),
        ("density of the layer is 0.3", {"density": "--density"}, "density of the layer is 0.3"),  # prose left alone
    ],
)
def test_as_flags(message, flags, expected):
    assert expected in as_flags(message, flags)


# --- graph files with named nodes -------------------------------------------------------------------


def test_score_relabel_reads_named_nodes_and_keeps_the_names(capsys, tmp_path):
    f = tmp_path / "named.edgelist"
    f.write_text("a b\nb c\nc a\nc d\n")
    assert main(["score", str(f), "--bootstrap", "0", "--nrand", "1", "--niter", "1"]) == 2
    err = _err(capsys)
    assert "with --relabel" in err and "relabel=True" not in err
    out = tmp_path / "r.json"
    assert main(["score", str(f), "--relabel", "--bootstrap", "0", "--nrand", "1", "--niter", "1",
                 "--json", str(out), "--no-progress"]) == 0  # fmt: skip
    assert json.loads(out.read_text())["node_labels"] == ["a", "b", "c", "d"]


# --- one overwrite policy -----------------------------------------------------------------------------


def test_generate_out_refuses_an_existing_file_unless_force(capsys, tmp_path):
    out = tmp_path / "g.edgelist"
    out.write_text("old\n")
    argv = ["generate", "ws", "--n", "20", "--k", "4", "--p", "0.1", "--seed", "0", "--out", str(out)]
    assert main(argv) == 2
    assert "already exists; pass --force" in _err(capsys)
    assert out.read_text() == "old\n"
    assert main([*argv, "--force"]) == 0
    assert out.read_text() != "old\n"


def test_score_json_refuses_an_existing_file_before_the_work(capsys, tmp_path):
    out = tmp_path / "k.json"
    out.write_text("{}")
    assert main(["score", "--dataset", "karate", "--json", str(out)]) == 2
    assert "--json" in _err(capsys) and out.read_text() == "{}"


# --- defaults -------------------------------------------------------------------------------------------


def test_score_seed_defaults_to_zero():
    from smallworld.cli import build_parser

    assert build_parser().parse_args(["score", "--dataset", "karate"]).seed == 0


def test_no_subcommand_exits_nonzero_with_usage(capsys):
    assert main([]) != 0
    assert "usage: smallworld" in _err(capsys)


def test_progress_bars_off_when_stderr_is_not_a_terminal(monkeypatch, capsys):
    import smallworld.cli as cli

    seen = {}
    monkeypatch.setattr(cli, "_stderr_is_tty", lambda: False)
    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["score"].set_defaults(
        _run=lambda a: seen.setdefault("no_progress", a.no_progress) and 0)
    assert main(["score", "--dataset", "karate"]) == 0
    assert seen["no_progress"] is True


# --- help -----------------------------------------------------------------------------------------------


def test_generate_help_has_no_return_options_nor_duplicate_spellings(capsys):
    with pytest.raises(SystemExit):
        main(["generate", "spatial", "--help"])
    out = capsys.readouterr().out
    assert "--return-positions" not in out and "--mean_degree" not in out and "--mean-degree" in out
    assert main(["generate", "spatial", "--n", "30", "--mean_degree", "4", "--seed", "0"]) == 0  # still accepted


# --- report folders -------------------------------------------------------------------------------------


def _isolated(code: str, cwd) -> list[str]:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60)
    return done.stdout.split() + [done.stderr]


def test_demo_refuses_an_earlier_report_before_heavy_imports(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "report.md").write_text("x")
    rc, torch_loaded, analysis_loaded, err = _isolated(
        "import sys; from smallworld.cli import main; rc = main(['demo', '--out', 'old']); "
        "print(rc, 'torch' in sys.modules, 'analysis.ws_curve' in sys.modules)", tmp_path)
    assert (rc, torch_loaded, analysis_loaded) == ("2", "False", "False")
    assert "already holds an earlier report" in err


def test_reproduce_and_demo_have_their_own_default_folders(tmp_path):
    from smallworld.cli import build_parser
    from smallworld.cli._reproduce import DEFAULT_OUT

    demo_default = build_parser().parse_args(["demo"]).out
    assert DEFAULT_OUT != demo_default and demo_default not in (DEFAULT_OUT / "ws98").parents
    earlier = tmp_path / "smallworld-reproduce" / "ws98"
    earlier.mkdir(parents=True)
    (earlier / "table.md").write_text("x")
    rc, analysis_loaded, err = _isolated(
        "import sys; from smallworld.cli import main; rc = main(['reproduce', 'ws98']); "
        "print(rc, 'analysis.ws_curve' in sys.modules)", tmp_path)
    assert (rc, analysis_loaded) == ("2", "False") and "smallworld-reproduce/ws98" in err


# --- which clustering and which null each sigma uses -----------------------------------------------------


def test_score_says_which_clustering_and_null_sigma_uses(capsys):
    assert main(["score", "--dataset", "karate", "--bootstrap", "0", "--nrand", "2", "--niter", "1",
                 "--no-progress"]) == 0  # fmt: skip
    sigma_row = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("sigma"))
    assert "C = transitivity" in sigma_row and "null: degree-preserving rewiring" in sigma_row


def test_reproduce_table_says_which_clustering_and_null_sigma_uses():
    from smallworld.cli._reproduce import format_table

    c = {"n": 279, "m": 2287, "mean_degree": 16.4, "C_actual": 0.34, "L_actual": 2.4, "C_random": 0.06,
         "C_random_sd": 0.001, "L_random": 2.3, "L_random_sd": 0.01, "C_random_analytic": 0.059,
         "L_random_analytic": 2.0, "sigma": 5.96, "nrand": 2}  # fmt: skip
    assert "C = mean local clustering, null = G(n, m)" in format_table(c)


# --- warnings ---------------------------------------------------------------------------------------------


def test_warnings_are_one_line_in_flags_without_a_source_line(monkeypatch, capsys):
    import warnings

    import smallworld.cli as cli

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)

    def warn_then_fail(args):
        warnings.warn("the checkpoint predates resume=True checks", UserWarning, stacklevel=1)
        raise ValueError("cannot resume: the checkpoint was written with another rule")

    parser._subparsers._group_actions[0].choices["train"].set_defaults(_run=warn_then_fail)
    assert main(["train", "--resume", "--out", "x"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["smallworld train: warning: the checkpoint predates --resume checks",
                   "smallworld train: error: cannot resume: the checkpoint was written with another rule"]


def test_one_progress_policy_for_every_subcommand(monkeypatch):
    import argparse
    import inspect

    import smallworld.cli as cli
    from smallworld.cli import _demo, _reproduce

    monkeypatch.setattr(cli, "_stderr_is_tty", lambda: True)
    assert cli.progress_enabled() and not cli.progress_enabled(argparse.Namespace(no_progress=True))
    monkeypatch.setattr(cli, "_stderr_is_tty", lambda: False)
    assert not cli.progress_enabled()
    for mod in (_demo, _reproduce):  # their bars follow the same policy, not tqdm's own guess
        src = inspect.getsource(mod.run)
        assert "disable=None" not in src and src.count("disable=not progress_enabled()") >= 2
