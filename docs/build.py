"""Build the documentation site: ``python docs/build.py`` (HTML in ``docs/_build/html``).

Sphinx-gallery writes the gallery's generated pages (``auto_examples/``,
``sg_execution_times.rst``) into the Sphinx *source* folder, so building
``docs/`` in place would litter the repository.  This script mirrors ``docs/``
into ``<build-dir>/src`` and builds that copy with warnings as errors
(``-W --keep-going``); nothing outside ``<build-dir>`` (default ``docs/_build``,
gitignored) is written.  The gallery's generated files stay in the mirror
between runs, so an unchanged example is not run again.

Usage::

    python docs/build.py                      # docs/_build/html
    python docs/build.py --build-dir DIR      # DIR/html (the test suite builds in a temporary folder)
    python docs/build.py -- -E                # anything after "--" goes to sphinx-build (-E: from scratch)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# written by the build into the source folder; kept in the mirror, never copied from docs/
GENERATED = ("auto_examples", "sg_execution_times.rst")
SKIP = ("_build", "build.py", "__pycache__", ".gitignore", *GENERATED)


def mirror(src: Path, dst: Path) -> None:
    """Make ``dst`` a copy of ``src`` (minus :data:`SKIP`), keeping ``dst``'s generated files.

    Files are copied with their modification times, so Sphinx rebuilds only the
    pages whose sources changed; files deleted from ``src`` are deleted from ``dst``.
    """
    dst.mkdir(parents=True, exist_ok=True)
    wanted = {p.name for p in src.iterdir() if p.name not in SKIP}
    for p in dst.iterdir():
        if p.name not in wanted and p.name not in GENERATED:
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
    for name in sorted(wanted):
        s, d = src / name, dst / name
        if s.is_dir():
            if d.exists() and not d.is_dir():
                d.unlink()
            mirror(s, d)
        else:
            if d.is_dir():
                shutil.rmtree(d)
            if not d.exists() or d.stat().st_mtime_ns != s.stat().st_mtime_ns or d.stat().st_size != s.stat().st_size:
                shutil.copy2(s, d)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", type=Path, default=DOCS / "_build", help="where the mirror, doctrees and html go (default: docs/_build)")
    parser.add_argument("sphinx_args", nargs="*", help="extra sphinx-build arguments, after '--'")
    args = parser.parse_args(argv)
    build = args.build_dir.resolve()
    if build == DOCS or (DOCS in build.parents and build.relative_to(DOCS).parts[0] != "_build"):
        parser.error(f"--build-dir must not be inside docs/ (except docs/_build), got {args.build_dir}")
    src = build / "src"
    mirror(DOCS, src)
    os.environ["SMALLWORLD_ROOT"] = str(ROOT)  # conf.py, now in the mirror, finds the packages through it
    os.environ.setdefault("MPLBACKEND", "Agg")
    from sphinx.cmd.build import build_main

    return build_main(["-W", "--keep-going", "-b", "html", "-d", str(build / "doctrees"), *args.sphinx_args, str(src), str(build / "html")])


if __name__ == "__main__":
    sys.exit(main())
