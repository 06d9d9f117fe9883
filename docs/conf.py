"""Sphinx configuration of the smallworld API reference (built from the numpydoc docstrings)."""

import os
import re
import sys
import warnings
from pathlib import Path

# the repository root (docs/build.py builds a mirror of docs/ and points back with SMALLWORLD_ROOT)
ROOT = Path(os.environ.get("SMALLWORLD_ROOT", Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")
# numpydoc's autodoc-process-signature handler parses each raw docstring again, only to look for a
# signature on its first line, and warns about the layers' "Shape" section on the way.  The section itself
# is rendered (render_shape_section below, checked by tests/test_docs.py); any other unknown section
# still warns, and tests/test_docs.py fails on it.
warnings.filterwarnings("ignore", message="Unknown section Shape in the docstring of ", module=r"numpydoc\.docscrape")

project = "smallworld"
author = "smallworld developers"
copyright = "2026, smallworld developers (MIT licence)"  # noqa: A001 - Sphinx's name
release = version = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.extlinks",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "README.md", "examples"]  # sphinx-gallery reads examples/
root_doc = "index"
html_theme = "alabaster"
html_static_path: list[str] = []

autodoc_default_options = {"members": True, "show-inheritance": True}  # e.g. SparseLinear: torch.nn.Module
autodoc_member_order = "bysource"
autodoc_inherit_docstrings = False  # torch.autograd.Function's own forward/setup_context docs cite torch's labels
extlinks = {"doi": ("https://doi.org/%s", "doi:%s")}  # the :doi: role of the references
autodoc_typehints = "none"  # the numpydoc Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_",  # every example runs at build time
    "download_all_examples": False,
    "remove_config_comments": True,
    "plot_gallery": "True",
    "show_memory": False,
    "capture_repr": ("_repr_html_", "__repr__"),
    "reset_modules_order": "before",
}


_HEADER = re.compile(r"^-{3,}$")


def _is_header(lines: list[str], i: int) -> bool:
    return i + 1 < len(lines) and lines[i].strip() != "" and bool(_HEADER.match(lines[i + 1].strip()))


def render_shape_section(app, what, name, obj, options, lines: list[str]) -> None:
    """Render a layer's torch-style ``Shape`` section (DESIGN.md: "Layers add Shape: sections").

    numpydoc knows a fixed set of sections and drops any other one (with an
    "Unknown section" warning), so the tensor shapes would vanish from the
    reference.  Before numpydoc parses the docstring, move the section's body
    to the end of the extended summary, under a ``Shape`` rubric, where numpydoc
    passes it through as reStructuredText.
    """
    starts = [i for i in range(len(lines)) if lines[i].strip() == "Shape" and _is_header(lines, i)]
    if not starts:
        return
    i = starts[0]
    j = next((k for k in range(i + 2, len(lines)) if _is_header(lines, k)), len(lines))
    body = lines[i + 2 : j]
    del lines[i:j]
    while body and not body[0].strip():
        body.pop(0)
    while body and not body[-1].strip():
        body.pop()
    first = next((k for k in range(len(lines)) if _is_header(lines, k)), len(lines))
    lines[first:first] = [".. rubric:: Shape", "", *body, ""]


def setup(app):
    app.connect("autodoc-process-docstring", render_shape_section, priority=100)  # before numpydoc's (500)
