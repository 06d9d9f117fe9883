"""The documentation site (docs/: Sphinx + numpydoc + sphinx-gallery) builds with warnings as errors (issue 11).

The build runs ``docs/build.py`` (the command the README gives) into a temporary folder, so nothing is
written into the repository; ~25 s on 2 cores from a cold start (the gallery's two examples run).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

pytest.importorskip("sphinx")
pytest.importorskip("numpydoc")
pytest.importorskip("sphinx_gallery")


def _source_files() -> dict[str, int]:
    """docs/ as it is in the repository (outside the gitignored docs/_build): path -> modification time."""
    return {
        str(p.relative_to(DOCS)): p.stat().st_mtime_ns
        for p in DOCS.rglob("*")
        if p.is_file() and p.relative_to(DOCS).parts[0] != "_build" and "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    before = _source_files()
    build = tmp_path_factory.mktemp("docs")
    env = {**os.environ, "MPLBACKEND": "Agg", "SMALLWORLD_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, str(DOCS / "build.py"), "--build-dir", str(build), "--", "-q"],
        capture_output=True, text=True, env=env, timeout=300, cwd=ROOT,
    )
    assert proc.returncode == 0, f"sphinx-build -W failed:\n{proc.stdout}\n{proc.stderr}"
    # -q leaves only warnings and errors on stderr; Python warnings raised while numpydoc parses a docstring
    # ("Unknown section ...", whose content numpydoc then drops) are not Sphinx warnings, so -W misses them
    assert proc.stderr.strip() == "", f"the build wrote warnings:\n{proc.stderr}"
    assert _source_files() == before, "the build wrote into docs/"
    return build / "html"


def _page(built: Path, name: str) -> str:
    return (built / name).read_text(encoding="utf-8")


def test_reference_documents_every_public_name(built):
    import analysis
    import nets
    import smallworld

    for mod in (smallworld, nets, analysis):
        page = _page(built, f"api/{mod.__name__}.html")
        missing = [name for name in mod.__all__ if name != "datasets" and f'id="{mod.__name__}.{name}"' not in page]
        assert not missing, f"{mod.__name__}: not in the reference: {missing}"
    for name in ("smallworld.watts_strogatz", "smallworld.datasets.celegans", "nets.SparseLinear", "nets.train",
                 "analysis.sigma", "analysis.score"):
        module = name.split(".")[0]
        assert f'id="{name}"' in _page(built, f"api/{module}.html"), name


def test_numpydoc_sections_are_rendered(built):
    page = _page(built, "api/nets.html")
    start = page.index('id="nets.SparseLinear"')
    entry = page[start : page.index('id="nets.', start + 1)]
    assert 'class="field-odd">Parameters' in entry and "Raises" in entry
    # the layers' torch-style Shape section (numpydoc alone drops it): conf.render_shape_section
    assert '<p class="rubric">Shape</p>' in entry and "in_features)" in entry
    sigma = _page(built, "api/analysis.html")
    start = sigma.index('id="analysis.sigma"')
    entry = sigma[start : sigma.index('id="analysis.', start + 1)]
    assert "Humphries" in entry and "doi:10.1371/journal.pone.0002051" in entry  # its References section
    assert "&gt;&gt;&gt;" in entry or "doctest" in entry  # its Examples


def test_gallery_examples_ran_and_show_their_output(built):
    index = _page(built, "auto_examples/index.html")
    for name in ("plot_celegans_sigma", "plot_ws_curve"):
        assert f"{name}.html" in index
        assert (built / "_images" / f"sphx_glr_{name}_thumb.png").stat().st_size > 1000
    page = _page(built, "auto_examples/plot_celegans_sigma.html")
    assert "Strogatz, Nature 393:440-442 (1998)" in page  # the dataset's citation, printed by the example
    assert "mean local clustering C = 0.2924" in page and "sigma = " in page
    page = _page(built, "auto_examples/plot_ws_curve.html")
    assert "sphx_glr_plot_ws_curve_001.png" in page
    assert (built / "_images" / "sphx_glr_plot_ws_curve_001.png").stat().st_size > 10_000  # its figure


def test_getting_started_is_linked_and_its_code_runs(built):
    assert "getting_started.html" in _page(built, "index.html")
    text = (DOCS / "getting_started.rst").read_text(encoding="utf-8")
    blocks = re.findall(r"^\.\. code-block:: python\n\n((?:   .*\n|\n)+)", text, flags=re.M)
    assert len(blocks) >= 3
    for block in blocks:  # each block on its own, as the page promises
        code = "\n".join(line[3:] for line in block.splitlines())
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                              env={**os.environ, "MPLBACKEND": "Agg", "SMALLWORLD_NUM_THREADS": "1"})
        assert proc.returncode == 0, f"{code}\n---\n{proc.stderr}"
