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
