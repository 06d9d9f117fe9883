"""A small, tolerant GML reader and writer (private helper of :mod:`smallworld.io`).

GML (Himsolt 1997) is a nested list of ``key value`` pairs; a value is an
integer, a real, a ``"string"`` or a ``[ ... ]`` list.  Only what a graph
needs is interpreted: ``graph [ directed 0|1 node [ id label ] edge [ source
target weight|value ] ]``; every other key is skipped.  Node ids are mapped to
``0..n-1`` in file order and the ``label`` (or, without one, the id) is kept.
Unlike ``networkx.read_gml`` this reader accepts duplicated edges (the W&S
C. elegans file has 14); the caller decides what to do with them.  A file
holds one graph: a second ``graph [ ... ]`` block is an error, not ignored.
The writer gives every node a ``label`` (the given label, else the id as a
string), so ``networkx.read_gml(path)`` with its default ``label="label"``
reads our files too.
"""

from __future__ import annotations

import bisect
import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import scipy.sparse as sp

from smallworld._validation import clip

__all__ = ["ParsedGML", "parse_gml", "format_gml"]

_TOKEN = re.compile(r'"[^"]*"|\[|\]|#[^\n]*|[^\s\[\]"#]+|"')
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass
class ParsedGML:
    """Edges and node labels of the ``graph`` in a GML file."""

    rows: np.ndarray
    cols: np.ndarray
    weights: np.ndarray | None
    n: int
    directed: bool
    labels: list[str]


class _Lines:
    """Maps a character offset to a 1-based line number (only used for messages)."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def __call__(self, pos: int) -> int:
        return bisect.bisect_right(self._starts, pos)


def _value(tok: str, pos: int, source: str, line: _Lines) -> Any:
    if tok.startswith('"'):
        if len(tok) < 2 or not tok.endswith('"'):
            raise ValueError(f"{source}:{line(pos)}: unterminated string")
        return html.unescape(tok[1:-1])
    try:
        return int(tok)
    except ValueError:
        pass
    try:
        return float(tok)
    except ValueError:
        raise ValueError(f"{source}:{line(pos)}: expected a number, a \"string\" or '[', got {clip(tok)}") from None


def _parse_tree(text: str, source: str) -> tuple[list, _Lines]:
    """Parse GML text into nested lists of ``(key, value, pos)`` triples."""
    line = _Lines(text)
    root: list = []
    stack: list[tuple[list, int]] = []  # enclosing lists and the position of their '['
    current = root
    key: tuple[str, int] | None = None
    for m in _TOKEN.finditer(text):
        tok, pos = m.group(), m.start()
        if tok.startswith("#"):
            continue
        if key is None:
            if tok == "]":
                if not stack:
                    raise ValueError(f"{source}:{line(pos)}: ']' without a matching '['")
                current, _ = stack.pop()
                continue
            if not _KEY.match(tok):
                raise ValueError(f"{source}:{line(pos)}: expected a key, got {clip(tok)}")
            key = (tok, pos)
            continue
        if tok == "[":
            child: list = []
            current.append((key[0], child, key[1]))
            stack.append((current, pos))
            current = child
        elif tok == "]":
            raise ValueError(f"{source}:{line(pos)}: key {clip(key[0])} has no value")
        else:
            current.append((key[0], _value(tok, pos, source, line), key[1]))
        key = None
    if key is not None:
        raise ValueError(f"{source}:{line(key[1])}: key {clip(key[0])} has no value (file ends)")
    if stack:
        raise ValueError(f"{source}:{line(stack[-1][1])}: '[' is never closed")
    return root, line


# Fast path for the plain blocks that GML writers emit (ours, networkx's, Newman's):
# ``node [ id I label "L" ]`` and ``edge [ source S target T weight|value W ]``.
# It is taken only where it provably reads what the general parser reads: the file must be
# a head of plain ``key value`` pairs that opens the one ``graph [``, then nothing but these
# blocks and whitespace (each match starts where the previous one ended), then the closing
# ``]``.  Inside such a body no block can hide in a string, a nested list or a nested graph:
# every character belongs to a block at the graph's own level.
_INT = r"-?[0-9]+"
_BLOCK_FAST = re.compile(
    r"\s*(?:node\s*\[\s*id\s+(" + _INT + r')\s+(?:label\s+"([^"]*)"\s*)?\]'
    r"|edge\s*\[\s*source\s+(" + _INT + r")\s+target\s+(" + _INT + r")\s+"
    r"(?:(?:weight|value)\s+([^\s\]\[\"#]+)\s+)?\])"
)
_SCALAR = r'[A-Za-z_][A-Za-z0-9_]*\s+(?:"[^"]*"|[^\s\[\]"#]+)\s+'
_HEAD_FAST = re.compile(r"\s*(?:" + _SCALAR + r")*graph\s*\[\s*(?:" + _SCALAR + r")*")
_TAIL_FAST = re.compile(r"\s*\]\s*\Z")


def _parse_fast(text: str, source: str) -> ParsedGML | None:
    """Vectorised parse of a file made only of plain node/edge blocks; ``None`` if it is not one
    (or has any error, which the general parser then reports with its line number)."""
    if "#" in text:
        return None
    head = _HEAD_FAST.match(text)
    if head is None:
        return None
    nodes: list[tuple[str, str | None]] = []
    edges: list[tuple[str, str, str]] = []
    pos = head.end()
    for m in _BLOCK_FAST.finditer(text, pos):
        if m.start() != pos:  # something that is not a plain block: general parser
            return None
        pos = m.end()
        i, lab, s, t, w = m.groups()
        if i is not None:
            nodes.append((i, lab))
        else:
            edges.append((s, t, w or ""))
    if _TAIL_FAST.match(text, pos) is None:
        return None
    try:
        root, _ = _parse_tree(text[: head.end()] + "]", source)
    except ValueError:
        return None
    graphs = [v for k, v, _ in root if k == "graph"]
    if len(graphs) != 1 or not isinstance(graphs[0], list):
        return None
    directed = 0
    for key, val, _ in graphs[0]:  # as the general parser: every 'directed' is checked, the last one counts
        if key == "directed":
            if isinstance(val, (str, list)) or val not in (0, 1):
                return None
            directed = val
    try:
        ids = np.array([nd[0] for nd in nodes], dtype=np.int64)
    except OverflowError:  # ids beyond int64: the general parser maps them by value
        return None
    n = ids.size
    if n and np.unique(ids).size != n:
        return None
    if not edges:
        src = dst = np.empty(0, dtype=np.int64)
        wtxt: list[str] = []
    else:
        src_s, dst_s, wtxt = (list(col) for col in zip(*edges))
        try:
            src, dst = np.array(src_s, dtype=np.int64), np.array(dst_s, dtype=np.int64)
        except OverflowError:
            return None
    if n and np.array_equal(ids, np.arange(n)):
        rows, cols = src, dst
        if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
            return None
    else:
        order = np.argsort(ids)
        sorted_ids = ids[order]
        rows = np.searchsorted(sorted_ids, src)
        cols = np.searchsorted(sorted_ids, dst)
        if src.size and (
            n == 0 or rows.max() >= n or cols.max() >= n
            or not (np.array_equal(sorted_ids[rows], src) and np.array_equal(sorted_ids[cols], dst))
        ):
            return None
        rows, cols = order[rows], order[cols]
    weights = None
    if any(w != "" for w in wtxt):
        vals = []
        for w in set(wtxt) - {""}:  # the general parser's reading of each distinct token
            try:
                vals.append((w, float(_value(w, 0, source, _Lines(""))) if w else 1.0))
            except ValueError:
                return None
        table = dict(vals)
        weights = np.array([table[w] if w else 1.0 for w in wtxt], dtype=np.float64)
        if not np.all(np.isfinite(weights)):
            return None
    labels = [html.unescape(lab) if lab is not None else str(int(i)) for (i, lab) in nodes]
    return ParsedGML(rows.astype(np.int64), cols.astype(np.int64), weights, n, bool(directed), labels)


def parse_gml(text: str, source: str) -> ParsedGML:
    """Parse the one ``graph [...]`` of a GML document (a second one is an error)."""
    fast = _parse_fast(text, source)
    if fast is not None:
        return fast
    return _parse_general(text, source)


def _parse_general(text: str, source: str) -> ParsedGML:
    """The general parser: every GML file, every error with its line number."""
    root, line = _parse_tree(text, source)
    graphs = [(v, pos) for k, v, pos in root if k == "graph" and isinstance(v, list)]
    if not graphs:
        raise ValueError(f"{source}: no 'graph [ ... ]' block found")
    if len(graphs) > 1:
        raise ValueError(
            f"{source}:{line(graphs[1][1])}: a second 'graph [ ... ]' block (the first starts on line "
            f"{line(graphs[0][1])}); a GML file must hold exactly one graph"
        )
    graph = graphs[0][0]
    directed = False
    index: dict[int, int] = {}
    labels: list[str] = []
    edges: list[tuple[int, int, float | None]] = []
    edge_pos: list[int] = []
    for key, val, pos in graph:
        if key == "directed":
            if val not in (0, 1):
                raise ValueError(f"{source}:{line(pos)}: directed must be 0 or 1, got {clip(val) if isinstance(val, str) else repr(val)}")
            directed = bool(val)
        elif key == "node" and isinstance(val, list):
            attrs = {k: (v, p) for k, v, p in reversed(val)}  # first occurrence wins
            if "id" not in attrs or not isinstance(attrs["id"][0], int):
                raise ValueError(f"{source}:{line(pos)}: node without an integer 'id'")
            nid = attrs["id"][0]
            if nid in index:
                raise ValueError(f"{source}:{line(pos)}: node id {nid} is defined twice")
            index[nid] = len(labels)
            labels.append(str(attrs["label"][0]) if "label" in attrs else str(nid))
        elif key == "edge" and isinstance(val, list):
            attrs = {k: v for k, v, _ in reversed(val)}
            s, t = attrs.get("source"), attrs.get("target")
            if not isinstance(s, int) or not isinstance(t, int):
                raise ValueError(f"{source}:{line(pos)}: edge without integer 'source' and 'target'")
            w = attrs.get("weight", attrs.get("value"))
            if w is not None:
                if isinstance(w, str) or not math.isfinite(w):
                    raise ValueError(f"{source}:{line(pos)}: edge weight {clip(w) if isinstance(w, str) else repr(w)} is not a finite number")
                w = float(w)
            edges.append((s, t, w))
            edge_pos.append(pos)
    rows = np.empty(len(edges), dtype=np.int64)
    cols = np.empty(len(edges), dtype=np.int64)
    weighted = any(e[2] is not None for e in edges)
    weights = np.ones(len(edges), dtype=np.float64) if weighted else None
    for i, (s, t, w) in enumerate(edges):
        for end in (s, t):
            if end not in index:
                raise ValueError(f"{source}:{line(edge_pos[i])}: edge refers to node id {end}, which is not defined")
        rows[i], cols[i] = index[s], index[t]
        if weights is not None and w is not None:
            weights[i] = w
    return ParsedGML(rows, cols, weights, len(labels), directed, labels)


def _quote(label: str) -> str:
    out = html.escape(label, quote=True)
    return '"' + out.encode("ascii", "xmlcharrefreplace").decode("ascii") + '"'


def format_gml(A: sp.csr_array, directed: bool, labels: Sequence[str] | None, fh: IO[str], creator: str) -> None:
    """Write a square canonical adjacency as GML to the text stream ``fh``."""
    n = A.shape[0]
    if labels is not None:
        labels = [str(lab) for lab in labels]
        if len(labels) != n:
            raise ValueError(f"labels must give one label per node: got {len(labels)} labels for n={n} nodes")
    fh.write(f"Creator {_quote(creator)}\ngraph\n[\n  directed {int(directed)}\n")
    # every node gets a label (its id when none is given), so that networkx.read_gml's
    # default label="label" reads the file back; our reader keeps the labels as written
    names = [_quote(lab) for lab in labels] if labels is not None else [f'"{i}"' for i in range(n)]
    for start in range(0, n, 100_000):
        fh.write("".join(
            f"  node\n  [\n    id {i}\n    label {names[i]}\n  ]\n" for i in range(start, min(n, start + 100_000))
        ))
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(A.indptr))
    cols = A.indices.astype(np.int64)
    data = A.data
    if not directed:
        keep = rows <= cols
        rows, cols, data = rows[keep], cols[keep], data[keep]
    weighted = A.dtype != bool
    chunk = 100_000
    for start in range(0, rows.size, chunk):
        r = rows[start:start + chunk].tolist()
        c = cols[start:start + chunk].tolist()
        if weighted:
            w = data[start:start + chunk].tolist()
            fh.write("".join(
                f"  edge\n  [\n    source {a}\n    target {b}\n    weight {x!r}\n  ]\n" for a, b, x in zip(r, c, w)
            ))
        else:
            fh.write("".join(f"  edge\n  [\n    source {a}\n    target {b}\n  ]\n" for a, b in zip(r, c)))
    fh.write("]\n")
