"""Tests of ``smallworld generate``: introspected options, output files, one-line errors with exit status 2."""

from __future__ import annotations

import argparse
import inspect
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Optional

import numpy as np
import pytest

import smallworld as sw
from smallworld.cli import CLIError, main
from smallworld.cli._generate import model_specs, run, spec_from_function

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smallworld", *args], capture_output=True, text=True, cwd=cwd or ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120,
    )


# ------------------------------------------------------------ introspection

def test_every_registered_model_has_a_subcommand_with_its_parameters(capsys):
    specs = model_specs()
    assert list(specs) == list(sw.generators.__all__)
    with pytest.raises(SystemExit) as exc:
        main(["generate", "--help"])
    assert exc.value.code == 0
    listing = capsys.readouterr().out
    for name, spec in specs.items():
        assert name in listing
        params = [
            p.name for p in inspect.signature(spec.func).parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name != "seed"
        ]
        assert [p.name for p in spec.params] == params
        with pytest.raises(SystemExit) as exc:
            main(["generate", name, "--help"])
        assert exc.value.code == 0
        text = capsys.readouterr().out
        for prm in spec.params:  # a return_* option changes only what Python gets back: not offered (issue 11)
            assert (("--" + prm.name.replace("_", "-")) in text) != prm.name.startswith("return_"), (name, prm.name)
        assert ("--seed" in text) == spec.takes_seed  # deterministic models take no seed
        assert "--out" in text and "--format" in text


def _fake(
    n: int,
    k: float,
    p_triad: int | float,
    *,
    mode: Literal["er", "power_law"] = "er",
    sizes: Sequence[int] = (2, 3),
    m: Optional[int] = None,
    directed: bool = False,
    scale=1.5,
    label="x",
    seed=None,
):
    """Fake model for introspection tests.

    Parameters
    ----------
    n : int
        Number of nodes. More text that is not shown.
    k : float
        Mean degree
        over two lines.
    p_triad, m : float
        Shared description.
    mode : str
        How.
    """
    return dict(n=n, k=k, p_triad=p_triad, mode=mode, sizes=sizes, m=m, directed=directed, scale=scale,
                label=label, seed=seed)


def _parse(argv: list[str]) -> dict:
    spec = spec_from_function("fake", _fake)
    from smallworld.cli._generate import _add_model, _ModelParser

    parser = argparse.ArgumentParser(prog="t")
    sub = parser.add_subparsers(dest="model", parser_class=_ModelParser)

    _add_model(sub, spec)
    args = parser.parse_args(["fake", *argv])
    return {p.name: getattr(args, f"param_{p.name}") for p in spec.params} | {"seed": args.seed}


def test_spec_from_function_types_defaults_and_docs():
    spec = spec_from_function("fake", _fake)
    assert spec.takes_seed and spec.summary == "Fake model for introspection tests"
    by = {p.name: p for p in spec.params}
    assert [n for n, p in by.items() if p.required] == ["n", "k", "p_triad"]
    assert by["n"].help == "Number of nodes." and by["k"].help == "Mean degree over two lines."
    assert by["m"].help == "Shared description." and by["p_triad"].flags == ["--p-triad", "--p_triad"]
    assert by["mode"].choices == ("er", "power_law") and by["sizes"].nargs == "+"
    assert by["directed"].convert is None  # --directed / --no-directed
    got = _parse(["--n", "10", "--k", "2.5", "--p_triad", "3", "--mode", "power_law", "--sizes", "4", "5",
                  "--m", "7", "--directed", "--scale", "2", "--label", "abc", "--seed", "3"])
    assert got == {"n": 10, "k": 2.5, "p_triad": 3, "mode": "power_law", "sizes": [4, 5], "m": 7,
                   "directed": True, "scale": 2.0, "label": "abc", "seed": 3}
    assert isinstance(got["n"], int) and isinstance(got["k"], float) and isinstance(got["scale"], float)
    assert _parse(["--n", "1", "--k", "1", "--p-triad", "0.5"])["p_triad"] == 0.5
    left_out = _parse(["--n", "1", "--k", "1", "--p-triad", "1"])
    assert left_out["mode"] is None and left_out["m"] is None and left_out["directed"] is None  # generator defaults


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--n", "ten", "--k", "1", "--p-triad", "1"], "argument --n: expected an integer, got 'ten'"),
        (["--n", "1", "--k", "x", "--p-triad", "1"], "argument --k: expected a number, got 'x'"),
        (["--n", "1", "--k", "1", "--p-triad", "1", "--mode", "ba"], "invalid choice: 'ba'"),
        (["--n", "1", "--k", "1", "--p-triad", "1", "--seed", "-4"], "expected a non-negative integer, got '-4'"),
        (["--n", "1"], "the following arguments are required: --k, --p-triad"),
    ],
)
def test_option_errors_are_one_line(argv, match, capsys):
    with pytest.raises(SystemExit) as exc:
        _parse(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1 and "Traceback" not in err


def test_unimplemented_model_is_a_clean_error():
    def placeholder(*args, **kwargs):
        raise NotImplementedError

    spec = spec_from_function("placeholder", placeholder)
    with pytest.raises(CLIError, match="'placeholder' is not implemented"):
        run(argparse.Namespace(_model=spec, out=None, seed=None, format=None))


# ------------------------------------------------------------ running models (in process)

@pytest.mark.parametrize("model", ["watts_strogatz", "watts-strogatz", "ws"])
def test_generate_writes_the_generators_graph(model, tmp_path, capsys):
    out = tmp_path / "ws.edgelist"
    rc = main(["generate", model, "--n", "200", "--k", "6", "--p", "0.1", "--seed", "1", "--out", str(out)])
    assert rc == 0
    line = capsys.readouterr().out
    assert line.count("\n") == 1
    assert f"watts_strogatz: n=200 m=600 mean degree 6.00, seed=1 -> {out} (edgelist)" in line
    A = sw.read(out)
    assert (A != sw.watts_strogatz(200, 6, 0.1, seed=1)).nnz == 0


@pytest.mark.parametrize("suffix, fmt", [(".gml", "gml"), (".npz", "npz"), (".txt", "edgelist")])
def test_generate_formats(suffix, fmt, tmp_path, capsys):
    out = tmp_path / f"g{suffix}"
    assert main(["generate", "erdos_renyi", "--n", "50", "--m", "100", "--seed", "5", "--out", str(out)]) == 0
    assert f"({fmt})" in capsys.readouterr().out
    A = sw.read(out)
    assert A.shape == (50, 50) and A.nnz == 200
    assert (A != sw.erdos_renyi(50, m=100, seed=5)).nnz == 0


def test_format_option_overrides_suffix(tmp_path):
    out = tmp_path / "graph.dat"
    assert main(["generate", "ring_lattice", "--n", "12", "--k", "4", "--out", str(out), "--format", "gml"]) == 0
    assert (sw.read(out, format="gml") != sw.ring_lattice(12, 4)).nnz == 0


def test_no_out_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "ring-lattice", "--n", "10", "--k", "2"]) == 0
    out = capsys.readouterr().out
    assert "ring_lattice: n=10 m=10 mean degree 2.00" in out and "no file written" in out
    assert "seed=" not in out  # deterministic model: no seed to report
    assert list(tmp_path.iterdir()) == []


def test_seed_for_a_deterministic_model_is_refused_not_ignored(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc = main(["generate", "ring_lattice", "--n", "10", "--k", "2", "--seed", "1", "--out", "r.edgelist"])
    cap = capsys.readouterr()
    assert rc == 2 and cap.out == ""
    assert cap.err.strip() == (
        "smallworld generate: error: ring_lattice is deterministic and takes no seed; drop --seed 1"
    )
    assert list(tmp_path.iterdir()) == []  # nothing written
    with pytest.raises(SystemExit):
        main(["generate", "ring_lattice", "--help"])
    assert "--seed" not in capsys.readouterr().out  # not offered for a deterministic model


def test_out_dash_writes_edge_list_to_stdout(capsys, tmp_path):
    assert main(["generate", "ws", "--n", "30", "--k", "4", "--p", "0.2", "--seed", "9", "--out", "-"]) == 0
    cap = capsys.readouterr()
    assert "-> stdout (edgelist)" in cap.err
    path = tmp_path / "s.edgelist"
    path.write_text(cap.out)
    assert (sw.read(path) != sw.watts_strogatz(30, 4, 0.2, seed=9)).nnz == 0


def test_same_seed_same_file(tmp_path):
    files = []
    for i in range(2):
        files.append(tmp_path / f"{i}.edgelist")
        assert main(["generate", "ws", "--n", "300", "--k", "8", "--p", "0.3", "--seed", "11", "--out", str(files[-1])]) == 0
    assert files[0].read_bytes() == files[1].read_bytes()


@pytest.mark.parametrize(
    "argv, match",
    [
        (["ws", "--n", "20", "--k", "5", "--p", "0.1"], "--k must be even and 0 < k < n, got --k 5, --n 20"),
        (["ws", "--n", "20", "--k", "4", "--p", "1.5"], "--p must be a real number >= 0 and <= 1, got --p 1.5"),
        (["erdos_renyi", "--n", "10"], "give exactly one of m"),
        (["ws", "--n", "20", "--k", "4", "--p", "0.1", "--out", "x.foo"], "pass --format"),
        (["ws", "--n", "20", "--k", "4", "--p", "0.1", "--out", "/nonexistent/dir/x.edgelist"], "does not exist"),
        (["ws", "--n", "20", "--k", "4", "--p", "0.1", "--out", "-", "--format", "npz"], ".npz is binary"),
    ],
)
def test_bad_parameters_return_2_with_one_line(argv, match, capsys):
    assert main(["generate", *argv]) == 2
    cap = capsys.readouterr()
    assert cap.err.startswith("smallworld generate: error: ") and match in cap.err
    assert cap.err.count("\n") == 1 and cap.out == ""


@pytest.mark.parametrize(
    "argv, match",
    [
        (["wattz", "--n", "3"], "unknown model 'wattz' (did you mean watts_strogatz?); models: ring_lattice"),
        ([], "the following arguments are required: MODEL"),
        (["ws", "--n", "x"], "argument --n: expected an integer, got 'x'"),
        (["ws", "--n", "10", "--k", "2", "--p", "0.1", "--bogus", "1"], "unrecognized arguments: --bogus 1"),
    ],
)
def test_argument_errors_exit_2_with_one_line(argv, match, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["generate", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1


# ------------------------------------------------------------ as a real process

def test_subprocess_success_and_file(tmp_path):
    res = _cli("generate", "watts_strogatz", "--n", "1000", "--k", "10", "--p", "0.1", "--seed", "1",
               "--out", "ws.edgelist", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "watts_strogatz: n=1000 m=5000 mean degree 10.00, seed=1 -> ws.edgelist (edgelist)"
    A = sw.read(tmp_path / "ws.edgelist")
    assert A.nnz == 10_000 and not sw.is_directed(A)
    assert np.array_equal(np.diff(A.indptr).sum(), 10_000)


@pytest.mark.parametrize(
    "argv",
    [
        ["generate", "ws", "--n", "20", "--k", "5", "--p", "0.1"],  # ValueError from the generator
        ["generate", "ws", "--n", "abc"],  # argument parsing
    ],
)
def test_subprocess_errors_are_one_line_exit_2(argv):
    res = _cli(*argv)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert "error:" in res.stderr and res.stdout == ""
