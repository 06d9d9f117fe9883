"""Every Python block of README.md runs on its own and prints what the README says (issue 11).

Each ```python block is run in a fresh namespace in a temporary folder (blocks write files); its stdout
is compared with the values the README quotes in its comments.  All blocks together take ~16 s on
2 cores (the training block ~6 s), so all run in the default suite.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(lang: str) -> dict[str, str]:
    """{heading: code} for each fenced block of ``lang`` (the nearest heading above it names it)."""
    out: dict[str, str] = {}
    heading = ""
    lines = README.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.strip() == f"```{lang}":
            j = lines.index("```", i + 1)
            key = heading if heading not in out else f"{heading} ({sum(k.startswith(heading) for k in out) + 1})"
            out[key] = "\n".join(lines[i + 1 : j])
            i = j
        i += 1
    return out


PY = _blocks("python")


def test_readme_has_the_blocks_this_test_checks():
    assert list(PY) == ["Graphs (`smallworld`)", "Scores (`analysis`)", "Networks (`nets`)"]


def _run(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, list[str]]:
    monkeypatch.chdir(tmp_path)
    ns: dict = {"__name__": "__readme__"}
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, str(README), "exec"), ns)  # noqa: S102 - the README's own code
    return ns, buf.getvalue().splitlines()


def _quoted(block: str, text: str) -> None:
    assert f"# {text}" in block, f"the README block should quote {text!r} in a comment"


def test_graphs_block(tmp_path, monkeypatch):
    block = PY["Graphs (`smallworld`)"]
    ns, out = _run(block, tmp_path, monkeypatch)
    A = ns["A"]
    assert A.shape == (1000, 1000) and A.nnz == 1000 * 10
    assert ns["M"].shape == (256, 784) and ns["M"].nnz == round(0.05 * 784 * 256)
    for other in ("A2", "A3", "A4"):
        assert (ns[other] != A).nnz == 0, other
    assert type(ns["data"]).__name__ == "Data" and ns["data"].num_nodes == 1000
    assert (tmp_path / "ws.edgelist").exists()
    assert out[0].startswith("D. J. Watts & S. H. Strogatz, Nature 393:440-442 (1998); ")
    _quoted(block, "D. J. Watts & S. H. Strogatz, Nature 393:440-442 (1998); ...")
    assert out[1] == "10.1038/30918 0.28"
    _quoted(block, out[1])


def test_scores_block(tmp_path, monkeypatch):
    block = PY["Scores (`analysis`)"]
    ns, out = _run(block, tmp_path, monkeypatch)
    c, l = (float(x) for x in out[0].split())
    assert round(c, 4) == 0.2924 and round(l, 4) == 2.4553
    _quoted(block, "0.2924..., 2.4553...")
    assert "1.526" in out[1] and "(1.526)" in block  # sigma's value, as quoted
    text = "\n".join(out)
    assert "NeuronGraph(n_neurons=1050, n_arcs=203264" in text
    _quoted(block, "NeuronGraph(n_neurons=1050, n_arcs=203264, ...)")


def test_networks_block(tmp_path, monkeypatch):
    block = PY["Networks (`nets`)"]
    ns, out = _run(block, tmp_path, monkeypatch)
    assert ns["masks"][-1].nnz == 64 * 10  # the output layer is dense by default, as in the CLI
    assert out[0].startswith("0.9333") and out[1].startswith("0.9466")
    _quoted(block, "0.9333...")
    _quoted(block, "0.9466...")


def test_install_commands_install_torch_first_and_name_the_cpu_index():
    text = README.read_text(encoding="utf-8")
    bash = _blocks("bash")
    setup = [code for code in bash.values() if "pip install -e" in code]
    assert len(setup) == 2
    for code in setup:
        assert re.search(r"pip install torch==2\.13\.0 && pip install -e (\.|\"\.\[test\]\")", code)
    assert "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in text
    assert "/opt/" not in text and "/work/" not in text  # no machine-specific paths
