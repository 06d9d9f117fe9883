"""Edge-list text format (private helper of :mod:`smallworld.io`).

One edge per line, ``u v`` or ``u v w``; ``#`` starts a comment; blank lines
are skipped.  Files written by :func:`smallworld.write` start with a header
comment that records what the edges alone cannot say::

    # smallworld-edgelist rows=5 cols=5 directed=0 weighted=1
    # smallworld-nodes: a b c d e        (only when node labels were given)

so that a round trip reproduces the graph exactly (isolated nodes, direction,
node order).  Files without the header are read as undirected with
``n = largest id + 1`` (or the number of distinct labels).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import scipy.sparse as sp

from smallworld._validation import MAX_NODES, clip

__all__ = ["ParsedEdges", "parse_edgelist", "format_edgelist", "HEADER", "NODES"]

HEADER = "# smallworld-edgelist"
NODES = "# smallworld-nodes:"
_HEADER_KEYS = {"rows", "cols", "directed", "weighted"}
_LABEL_RE = re.compile(r"^[^\s#]+$")


@dataclass
class ParsedEdges:
    """The raw content of an edge-list file, before it becomes a matrix."""

    rows: np.ndarray
    cols: np.ndarray
    weights: np.ndarray | None
    shape: tuple[int, int] | None  # from the header
    directed: bool | None  # from the header
    labels: list[str] | None
    linenos: np.ndarray | None = None  # line of each edge; only when known (zero weights, slow path)


def _parse_header(text: str, where: str) -> dict[str, int]:
    fields: dict[str, int] = {}
    for item in text[len(HEADER):].split():
        key, sep, value = item.partition("=")
        if not sep or key not in _HEADER_KEYS or not (value.isascii() and value.isdigit()):  # '²'.isdigit() is True
            raise ValueError(
                f"{where}: malformed header field {clip(item)}; expected rows=N cols=N directed=0|1 weighted=0|1 "
                "(N in ASCII digits)"
            )
        fields[key] = int(value)
    if fields.get("directed", 0) > 1 or fields.get("weighted", 0) > 1:
        raise ValueError(f"{where}: directed and weighted must be 0 or 1 in the header, got {clip(text.strip())}")
    return fields


def _first_bad_id(tokens: Sequence[str], linenos: Sequence[int], source: str) -> ValueError:
    """Locate the first node token that is not a non-negative integer."""
    for tok, ln in zip(tokens, linenos):
        try:
            ok = tok.isascii() and int(tok) >= 0
        except ValueError:
            ok = False
        if not ok:
            return ValueError(
                f"{source}:{ln}: node id {clip(tok)} is not a non-negative integer "
                "(for named nodes read with relabel=True)"
            )
    return ValueError(f"{source}: node ids could not be read as integers")  # pragma: no cover


def _leading_comments(text: str, source: str) -> tuple[dict[str, int], list[str] | None, int]:
    """Header fields, node labels and the offset of the first data line."""
    header: dict[str, int] = {}
    labels_line: list[str] | None = None
    pos, ln = 0, 0
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = text[pos:end].strip()
        ln += 1
        if line and not line.startswith("#"):
            break
        if line.startswith(HEADER):
            header = _parse_header(line, f"{source}:{ln}")
        elif line.startswith(NODES):
            labels_line = line[len(NODES):].split()
        pos = end + 1
    return header, labels_line, pos


def _fast_body(
    body: str, first_line: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None] | None:
    """Vectorised parse of integer ids (and weights) without comments; ``None`` on anything
    unusual, which the line-by-line parser then reports with its line number.  ``body``
    starts on line ``first_line``; the line numbers of the edges are returned only when a
    weight is 0 (the warning names them)."""
    if "#" in body:
        return None
    lines = body.split("\n")
    counts = np.fromiter(map(len, map(str.split, lines)), dtype=np.int64, count=len(lines))
    used = counts[counts > 0]
    if used.size == 0 or used[0] not in (2, 3) or np.any(used != used[0]):
        return None
    ncols = int(used[0])
    try:
        if ncols == 2:
            ids = np.array(body.split(), dtype=np.int64).reshape(-1, 2)
            rows, cols, weights = ids[:, 0], ids[:, 1], None
        else:
            toks = np.array(body.split()).reshape(-1, 3)
            rows = toks[:, 0].astype(np.int64)
            cols = toks[:, 1].astype(np.int64)
            weights = toks[:, 2].astype(np.float64)
    except (ValueError, OverflowError):
        return None
    if rows.size and (rows.min() < 0 or cols.min() < 0):
        return None
    if weights is not None and not np.all(np.isfinite(weights)):
        return None
    linenos = None
    if weights is not None and not weights.all():
        linenos = np.flatnonzero(counts > 0) + first_line
    return rows, cols, weights, linenos


def parse_edgelist(text: str, source: str, *, relabel: bool | None) -> ParsedEdges:
    """Parse edge-list text; every error names ``source`` and the line number."""
    header, labels_line, start = _leading_comments(text, source)
    if relabel is None:
        relabel = labels_line is not None
    fast = None if relabel else _fast_body(text[start:], text.count("\n", 0, start) + 1)
    if fast is not None:
        rows, cols, weights, linenos = fast
        try:
            return _finish(rows, cols, weights, header, None, linenos, source)
        except ValueError:
            pass  # re-parsed below, to report the line number
    header, labels, rows, cols, weights, linenos = _parse_lines(text, source, relabel)
    return _finish(rows, cols, weights, header, labels, linenos, source)


def _parse_lines(text: str, source: str, relabel: bool) -> tuple[Any, ...]:
    """Line-by-line parse (named nodes, comments inside the data, and every error)."""
    us: list[str] = []
    vs: list[str] = []
    ws: list[str] = []
    linenos: list[int] = []
    header: dict[str, int] = {}
    labels_line: list[str] | None = None
    ncols = 0
    first_line = 0
    for ln, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if not linenos and line.startswith(HEADER):
                header = _parse_header(line, f"{source}:{ln}")
            elif not linenos and line.startswith(NODES):
                labels_line = line[len(NODES):].split()
            continue
        if "#" in line:
            line = line.split("#", 1)[0].strip()
        parts = line.split()
        if len(parts) not in (2, 3):
            raise ValueError(f"{source}:{ln}: expected 'u v [w]', got {clip(line)}")
        if not ncols:
            ncols, first_line = len(parts), ln
        elif len(parts) != ncols:
            want = "'u v w'" if ncols == 3 else "'u v'"
            raise ValueError(
                f"{source}:{ln}: expected {want} ({ncols} columns, as on line {first_line}), got {clip(line)}"
            )
        us.append(parts[0])
        vs.append(parts[1])
        if ncols == 3:
            ws.append(parts[2])
        linenos.append(ln)

    labels: list[str] | None = None
    if relabel:
        index: dict[str, int] = {}
        for lab in labels_line or ():
            if lab in index:
                raise ValueError(f"{source}: node label {clip(lab)} is listed twice in the nodes header")
            index[lab] = len(index)
        for a, b in zip(us, vs):
            if a not in index:
                index[a] = len(index)
            if b not in index:
                index[b] = len(index)
        labels = list(index)
        rows = np.fromiter((index[a] for a in us), dtype=np.int64, count=len(us))
        cols = np.fromiter((index[b] for b in vs), dtype=np.int64, count=len(vs))
    else:
        try:
            rows = np.array(us, dtype=np.int64)
            cols = np.array(vs, dtype=np.int64)
        except (ValueError, OverflowError):
            raise _first_bad_id(us + vs, linenos + linenos, source) from None
        bad = np.flatnonzero((rows < 0) | (cols < 0))
        if bad.size:
            i = int(bad[0])
            tok = us[i] if rows[i] < 0 else vs[i]
            raise ValueError(f"{source}:{linenos[i]}: node id {clip(tok)} is negative; node ids must be integers >= 0")

    weights = None
    if ncols == 3:
        try:
            weights = np.array(ws, dtype=np.float64)
        except ValueError:
            for tok, ln in zip(ws, linenos):
                try:
                    float(tok)
                except ValueError:
                    raise ValueError(f"{source}:{ln}: weight {clip(tok)} is not a number") from None
            raise  # pragma: no cover
        bad = np.flatnonzero(~np.isfinite(weights))
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"{source}:{linenos[i]}: weight {clip(ws[i])} is not finite; weights must be finite numbers")

    return header, labels, rows, cols, weights, np.asarray(linenos, dtype=np.int64)


def _finish(
    rows: np.ndarray, cols: np.ndarray, weights: np.ndarray | None, header: dict[str, int],
    labels: list[str] | None, linenos: np.ndarray | None, source: str,
) -> ParsedEdges:
    """Check the edges against the header and the node limit, and package them."""
    for arr in (rows, cols):
        if arr.size and int(arr.max()) >= MAX_NODES:
            i = int(np.argmax(arr))
            where = f"{source}:{linenos[i]}" if linenos is not None else source
            raise ValueError(
                f"{where}: node id {int(arr[i])} is too large: a graph has at most MAX_NODES = 2**31 - 1 = "
                f"{MAX_NODES} nodes, so ids must be < {MAX_NODES}"
            )
    shape = None
    if header:
        if "rows" not in header or "cols" not in header:
            raise ValueError(f"{source}: the smallworld-edgelist header must give rows= and cols=")
        shape = (header["rows"], header["cols"])
        for size, what in ((shape[0], "rows"), (shape[1], "cols")):
            if size > MAX_NODES:
                raise ValueError(
                    f"{source}: header {what}={size} is too large: a graph has at most "
                    f"MAX_NODES = 2**31 - 1 = {MAX_NODES} nodes"
                )
        for arr, lim, what in ((rows, shape[0], "rows"), (cols, shape[1], "cols")):
            if arr.size and int(arr.max()) >= lim:
                i = int(np.argmax(arr))
                where = f"{source}:{linenos[i]}" if linenos is not None else source
                raise ValueError(f"{where}: node {int(arr[i])} is out of range for header {what}={lim}")
        if labels is not None and len(labels) != shape[0]:
            raise ValueError(f"{source}: the header says rows={shape[0]} but the file names {len(labels)} nodes")
    directed = bool(header["directed"]) if "directed" in header else None
    return ParsedEdges(rows, cols, weights, shape, directed, labels, linenos)


def _check_labels(labels: Sequence[str], n: int) -> list[str]:
    labels = [str(lab) for lab in labels]
    if len(labels) != n:
        raise ValueError(f"labels must give one label per node: got {len(labels)} labels for n={n} nodes")
    for lab in labels:
        if not _LABEL_RE.match(lab):
            raise ValueError(f"labels for an edge list must be non-empty and free of spaces and '#', got {clip(lab)}")
    if len(set(labels)) != n:
        raise ValueError("labels must be unique")
    return labels


def format_edgelist(
    A: sp.csr_array, directed: bool, labels: Sequence[str] | None, fh: IO[str], chunk: int = 200_000
) -> None:
    """Write ``A`` as an edge list with a smallworld header to the text stream ``fh``."""
    n_rows, n_cols = A.shape
    weighted = A.dtype != bool
    names = None if labels is None else _check_labels(labels, n_rows)
    fh.write(f"{HEADER} rows={n_rows} cols={n_cols} directed={int(directed)} weighted={int(weighted)}\n")
    if names is not None:
        fh.write(f"{NODES} {' '.join(names)}\n")
    for block in _edge_lines(A, directed, names, chunk):
        fh.write(block)


def _edge_lines(A: sp.csr_array, directed: bool, names: list[str] | None, chunk: int) -> Iterator[str]:
    rows = np.repeat(np.arange(A.shape[0], dtype=np.int64), np.diff(A.indptr))
    cols = A.indices.astype(np.int64)
    data = A.data
    if not directed:
        keep = rows <= cols
        rows, cols, data = rows[keep], cols[keep], data[keep]
    for start in range(0, rows.size, chunk):
        r = rows[start:start + chunk].tolist()
        c = cols[start:start + chunk].tolist()
        if names is not None:
            r = [names[i] for i in r]
            c = [names[j] for j in c]
        if A.dtype == bool:
            yield "".join(f"{a} {b}\n" for a, b in zip(r, c))
        else:
            w = data[start:start + chunk].tolist()
            yield "".join(f"{a} {b} {x!r}\n" for a, b, x in zip(r, c, w))
