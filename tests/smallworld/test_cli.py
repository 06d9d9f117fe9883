"""The dispatcher: help, version, and user errors as one line on stderr with exit status 2."""

from __future__ import annotations

import pytest

from smallworld.cli import COMMANDS, main


def test_help_lists_every_command(capsys):
    assert main([]) == 2  # no subcommand is a usage error (issue 11); the usage goes to stderr
    out = capsys.readouterr().err
    for name in COMMANDS:
        assert name in out


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("smallworld ")


def test_missing_file_is_one_clean_line(capsys, tmp_path):
    missing = tmp_path / "nope.edgelist"
    assert main(["score", str(missing), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"smallworld score: error: No such file or directory: {missing}"]


def test_value_error_is_one_line_naming_the_parameter(capsys):
    assert main(["generate", "watts_strogatz", "--n", "10", "--k", "7", "--p", "0.1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--k must be even" in err[0] and "--k 7" in err[0]
