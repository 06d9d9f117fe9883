"""Read and write graphs: edge lists, GML and ``.npz``.

Three formats, chosen from the file suffix or by ``format=``:

``"edgelist"`` (``.edgelist``, ``.edges``, ``.el``, ``.txt``, ``.arcs``)
    One edge per line, ``u v`` or ``u v w``; ``#`` starts a comment; blank
    lines are skipped.  :func:`write` adds a header comment (shape, direction,
    weights, node labels) so that a round trip is exact.
``"gml"`` (``.gml``)
    Graph Modelling Language, read by a small tolerant parser of our own
    (``networkx.read_gml`` refuses files with duplicated edges, such as the
    Watts-Strogatz C. elegans file).  One graph per file: a second
    ``graph [ ... ]`` block is an error.  :func:`write` gives every node a
    ``label`` (the id as a string unless ``labels`` are given), so
    ``networkx.read_gml`` reads our files with its defaults.
``"npz"`` (``.npz``)
    :func:`scipy.sparse.save_npz` of the canonical adjacency.

Text files are UTF-8 (ASCII included); a leading byte-order mark is skipped,
and a file that is not UTF-8 is refused with a ``ValueError`` naming the file
and the line of the first undecodable byte.

Duplicated edges (the same arc, or for an undirected graph the same pair
``{u, v}``, listed more than once) are treated as parallel edges of a
multigraph and merged by **summing their weights** (unweighted graphs simply
keep the edge); a :class:`UserWarning` names how many were merged.  Summing
keeps the total weight of the file, which for connection counts (the
C. elegans ``value``) is the number of synapses between the two neurons.
Edges of weight 0 are dropped with a :class:`UserWarning` that names their
lines.  This is the rule of :func:`smallworld.as_graph` for edge lists too
(both go through one helper), so a file and the same edges in memory give
the same graph.

Every write is atomic: the data go to a temporary file in the target's
directory, which is flushed, ``fsync``-ed and renamed over the target with
:func:`os.replace`, so a crash never leaves a half-written file.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Literal, overload

import numpy as np
import scipy.sparse as sp

from smallworld._atomic import atomic_open
from smallworld._graph import as_graph, is_directed, merge_edges
from smallworld._io_edgelist import format_edgelist, parse_edgelist
from smallworld._io_gml import format_gml, parse_gml
from smallworld._validation import (
    EDGE_LIST_BYTES_PER_ENTRY,
    MAX_NODES,
    TEXT_BYTES_PER_BYTE,
    check_bool,
    check_choice,
    check_graph_size,
    check_memory,
)

__all__ = ["read", "write", "FORMATS", "infer_format"]

#: Supported formats and the suffixes that select them.
FORMATS: dict[str, tuple[str, ...]] = {
    "edgelist": (".edgelist", ".edges", ".el", ".txt", ".arcs"),
    "gml": (".gml",),
    "npz": (".npz",),
}

PathLike = str | os.PathLike


def infer_format(path: PathLike, format: str | None = None) -> str:
    """Return the format for ``path``: ``format`` if given, else from the suffix.

    Raises
    ------
    ValueError
        If ``format`` is unknown, or it is ``None`` and the suffix is not one
        of :data:`FORMATS`.

    Examples
    --------
    >>> infer_format("ws.edgelist"), infer_format("net.GML"), infer_format("x.dat", "npz")
    ('edgelist', 'gml', 'npz')
    """
    if format is not None:
        if not isinstance(format, str):
            raise TypeError(f"format must be a string or None, got {format!r}")
        return check_choice(format.lower(), "format", tuple(FORMATS))
    suffix = Path(os.fspath(path)).suffix.lower()
    for name, suffixes in FORMATS.items():
        if suffix in suffixes:
            return name
    known = ", ".join(s for sfx in FORMATS.values() for s in sfx)
    raise ValueError(
        f"cannot infer the format of {os.fspath(path)!r} from its suffix {suffix!r}; "
        f"use one of {known} or pass format='edgelist', 'gml' or 'npz'"
    )


def _check_path(path: Any, name: str = "path") -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike, got {type(path).__name__}")
    return Path(os.fspath(path))


def _canonical(graph: Any, directed: bool | None) -> sp.csr_array:
    """``as_graph`` for square input; rectangular sparse input stays a layer mask."""
    if sp.issparse(graph) and graph.shape[0] != graph.shape[1]:
        A = sp.csr_array(graph)
        if A.dtype == bool:
            A = A.copy()
        else:
            if A.dtype.kind not in "biuf":
                raise TypeError(f"graph must have boolean or numeric weights, got dtype {A.dtype}")
            if A.nnz and not np.all(np.isfinite(A.data)):
                raise ValueError("graph has a non-finite weight; weights must be finite numbers")
            A = A.astype(np.float64, copy=True)
        A.sum_duplicates()
        A.eliminate_zeros()
        if A.dtype != bool and A.nnz and np.all(A.data == 1.0):
            A = A.astype(bool)
        A.sort_indices()
        return A
    return as_graph(graph, directed=directed)


@overload
def read(
    path: PathLike, *, format: str | None = ..., directed: bool | None = ..., relabel: bool | None = ...,
    return_labels: Literal[False] = ...,
) -> sp.csr_array: ...


@overload
def read(
    path: PathLike, *, format: str | None = ..., directed: bool | None = ..., relabel: bool | None = ...,
    return_labels: Literal[True],
) -> tuple[sp.csr_array, list[str] | None]: ...


def read(
    path: PathLike,
    *,
    format: str | None = None,
    directed: bool | None = None,
    relabel: bool | None = None,
    return_labels: bool = False,
) -> sp.csr_array | tuple[sp.csr_array, list[str] | None]:
    """Read a graph file into the canonical adjacency.

    Parameters
    ----------
    path : str or os.PathLike
        The file.  Its suffix selects the format unless ``format`` is given
        (see :data:`FORMATS`).
    format : {"edgelist", "gml", "npz"}, optional
        Overrides the suffix.
    directed : bool or None
        ``None`` keeps the file's own orientation (the GML ``directed`` flag,
        the header written by :func:`write`, the stored matrix of an ``.npz``;
        a plain edge list is undirected).  ``True`` reads the edges as arcs
        ``u -> v``; ``False`` symmetrises (weighted: the larger weight of
        the two directions).
    relabel : bool or None
        Edge lists only.  ``False``: node tokens are integer ids ``0..n-1``
        (``n`` = largest id + 1 unless the header says more).  ``True``: node
        tokens are names, numbered ``0..n-1`` in order of first appearance
        (or in the order of the ``# smallworld-nodes:`` header).  ``None``
        (default): ``True`` if the file has that header, else ``False``.
        GML nodes are always numbered ``0..n-1`` in file order.
    return_labels : bool
        Also return the node labels: the GML ``label`` (or ``id``) of each
        node, or the edge-list names; ``None`` for integer edge lists and
        ``.npz`` files.

    Returns
    -------
    scipy.sparse.csr_array or (scipy.sparse.csr_array, list of str or None)
        The canonical adjacency (``bool`` unweighted, ``float64`` weighted).
        An edge list written from a rectangular layer mask comes back with its
        ``(rows, cols)`` shape.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        For an unknown format or a malformed file; the message gives the path
        and, for text formats, the line number
        (``"ws.edgelist:17: expected 'u v [w]', got 'a b c d'"``).  Also for
        a text file that is not UTF-8, a GML file with more than one
        ``graph``, and a graph too large to build (a node id of
        ``2**31 - 1`` or more, or more memory than is available; see
        :func:`smallworld._validation.check_graph_size`), refused before
        allocating.

    Warns
    -----
    UserWarning
        When duplicated edges are merged (their weights are summed), and
        when edges of weight 0 are dropped (with their line numbers).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import smallworld as sw
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> sw.write([(0, 1, 1.0), (1, 2, 2.5)], d / "g.gml")
    >>> A = sw.read(d / "g.gml")
    >>> A.shape, A.dtype, float(A[1, 2])
    ((3, 3), dtype('float64'), 2.5)
    """
    p = _check_path(path)
    fmt = infer_format(p, format)
    if directed is not None:
        directed = check_bool(directed, "directed")
    if relabel is not None:
        relabel = check_bool(relabel, "relabel")
    return_labels = check_bool(return_labels, "return_labels")
    if fmt == "npz":
        A, labels = _read_npz(p, directed), None
    else:
        with open(p, "rb") as fh:
            A, labels = read_text(fh, fmt, str(p), directed=directed, relabel=relabel)
    return (A, labels) if return_labels else A


#: Text files are read in blocks of this many bytes, each checked before the next is read.
_READ_BLOCK = 16 * 2**20


def read_bounded(fh: IO[bytes], source: str) -> bytes:
    """All bytes of a text graph file, refused before they cannot fit.

    A regular file's size is checked before reading (``TEXT_BYTES_PER_BYTE``
    per byte, the measured peak of parsing); anything else (a pipe, a device
    such as ``/dev/zero``) is read in blocks and checked as it grows.  A NUL
    byte is refused at once: it never occurs in a text graph file, and it is
    all ``/dev/zero`` gives.
    """
    try:
        st = os.fstat(fh.fileno())
        size = st.st_size if stat.S_ISREG(st.st_mode) else None
    except (AttributeError, OSError, io.UnsupportedOperation):
        size = None
    if size is not None:
        _check_text_size(size, source)
    blocks: list[bytes] = []
    total = 0
    while True:
        block = fh.read(_READ_BLOCK)
        if not block:
            break
        nul = block.find(b"\0")
        if nul >= 0:
            decode_text(b"".join(blocks) + block[:nul], source)  # a bad byte before it is named first
            offset = total + nul
            line = sum(b.count(b"\n") for b in blocks) + block.count(b"\n", 0, nul) + 1
            raise ValueError(
                f"{source}:{line}: a NUL byte at byte offset {offset}; this is binary data, not a text graph file"
            )
        blocks.append(block)
        total += len(block)
        if size is None:
            _check_text_size(total, source, growing=True)
    return b"".join(blocks)


def _check_text_size(n_bytes: int, source: str, growing: bool = False) -> None:
    more = " so far (it is not a regular file and is still growing)" if growing else ""
    check_memory(
        TEXT_BYTES_PER_BYTE * float(n_bytes), f"{source} ({n_bytes} bytes{more})",
        f"{TEXT_BYTES_PER_BYTE} bytes per byte of text, the measured peak of parsing it",
    )


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 text of a file's bytes, without a leading byte-order mark.

    Raises
    ------
    ValueError
        If ``data`` is not UTF-8; the message names ``source``, the line and
        the byte offset of the first undecodable byte.

    Examples
    --------
    >>> decode_text(b"\\xef\\xbb\\xbf0 1\\n", "g.edgelist")
    '0 1\\n'
    >>> decode_text(b"0 1\\n\\x80 2\\n", "g.edgelist")
    Traceback (most recent call last):
    ...
    ValueError: g.edgelist:2: not UTF-8 text (byte 0x80 at byte offset 4 cannot be decoded); graph text files must be UTF-8 or ASCII
    """
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        line = data.count(b"\n", 0, offset) + 1
        raise ValueError(
            f"{source}:{line}: not UTF-8 text (byte 0x{data[offset]:02x} at byte offset {offset} cannot be decoded); "
            "graph text files must be UTF-8 or ASCII"
        ) from None


def read_text(
    fh: IO[str] | IO[bytes], fmt: str, source: str, *, directed: bool | None = None, relabel: bool | None = None
) -> tuple[sp.csr_array, list[str] | None]:
    """Parse an open stream (``fmt`` is ``"edgelist"`` or ``"gml"``); used by :func:`read` and the datasets.

    A binary stream is decoded with :func:`decode_text`; a leading byte-order
    mark is skipped in either kind of stream.
    """
    raw = read_bounded(fh, source) if _is_binary(fh) else fh.read()
    text = decode_text(raw, source) if isinstance(raw, bytes) else raw.removeprefix("\ufeff")
    linenos = None
    if fmt == "gml":
        g = parse_gml(text, source)
        file_directed, labels = g.directed, g.labels
        rows, cols, weights, shape = g.rows, g.cols, g.weights, (g.n, g.n)
    else:
        e = parse_edgelist(text, source, relabel=relabel)
        file_directed, labels, linenos = bool(e.directed), e.labels, e.linenos
        rows, cols, weights = e.rows, e.cols, e.weights
        if e.shape is not None:
            shape = e.shape
        else:
            n = len(labels) if labels is not None else (int(max(rows.max(), cols.max())) + 1 if rows.size else 0)
            shape = (n, n)
    # merge duplicates in the file's own orientation (or as arcs when asked);
    # directed=False then symmetrises like as_graph (larger weight wins)
    as_arcs = True if directed else file_directed
    if shape[0] != shape[1]:
        as_arcs = True  # a rectangular layer mask has no "other direction"
    check_graph_size(shape[0], rows.size * (1 if as_arcs else 2), name=f"{source}: n",
                     bytes_per_entry=EDGE_LIST_BYTES_PER_ENTRY)
    A = merge_edges(rows, cols, weights, shape, as_arcs, source, linenos=linenos, warn_duplicates=True)
    if A.dtype != bool and A.nnz and np.all(A.data == 1.0):
        A = A.astype(bool)
    if shape[0] == shape[1]:
        A = as_graph(A, directed=False if directed is False else None)
    return A, labels


def _is_binary(fh: Any) -> bool:
    return isinstance(fh, (io.RawIOBase, io.BufferedIOBase)) or "b" in getattr(fh, "mode", "")


def _read_npz(p: Path, directed: bool | None) -> sp.csr_array:
    if not p.exists():
        raise FileNotFoundError(f"no such file: {os.fspath(p)!r}")
    try:
        with np.load(p, allow_pickle=False) as z:
            M = _npz_matrix(z, os.fspath(p))
    except _NpzError:
        raise
    except Exception as exc:  # zipfile.BadZipFile, OSError, pickle refused ...
        raise ValueError(f"{os.fspath(p)}: not a scipy.sparse .npz file ({type(exc).__name__}: {exc})") from None
    return _canonical(M, False if directed is False else None)


class _NpzError(ValueError):
    """A malformed sparse archive, found by :func:`_npz_matrix` (other errors of reading it are wrapped)."""


def _npz_matrix(z: Any, source: str) -> sp.csr_array:
    """The sparse matrix of a ``scipy.sparse.save_npz`` archive, its structure checked *before* scipy sees it.

    scipy trusts a stored CSR: a non-monotone ``indptr`` corrupted the heap
    (``corrupted size vs. prev_size``, SIGABRT), and a 1 kB file claiming shape
    ``(10**12, 10**12)`` asked for terabytes.  Here the shape is checked against
    the node limit and the memory, and every index array against the shape.
    """
    def arr(key: str, kinds: str) -> np.ndarray:
        if key not in z.files:
            raise _NpzError(f"{source}: not a scipy.sparse .npz file (no {key!r} array; it holds {sorted(z.files)})")
        a = z[key]
        if a.dtype.kind not in kinds or (a.ndim != 1 and key != "format"):
            raise _NpzError(f"{source}: {key!r} must be a 1-D array of {'integers' if kinds == 'iu' else 'numbers'}, "
                             f"got dtype {a.dtype} and shape {a.shape}")
        return a

    fmt_a = z["format"] if "format" in z.files else None
    fmt = fmt_a.item() if fmt_a is not None and fmt_a.size == 1 else None
    fmt = fmt.decode("ascii", "replace") if isinstance(fmt, bytes) else fmt
    if fmt not in ("csr", "csc", "coo"):
        raise _NpzError(f"{source}: unsupported or missing sparse format {fmt!r}; expected 'csr', 'csc' or 'coo'")
    shape = arr("shape", "iu")
    if shape.size != 2 or shape.min() < 0:
        raise _NpzError(f"{source}: 'shape' must be two non-negative integers, got {shape.tolist()}")
    n_rows, n_cols = (int(v) for v in shape)
    data = arr("data", "biuf")
    for size, what in ((n_rows, "rows"), (n_cols, "cols")):
        if size > MAX_NODES:
            raise _NpzError(f"{source}: shape {what}={size} is too large: a graph has at most MAX_NODES = "
                             f"2**31 - 1 = {MAX_NODES} nodes")
    try:
        check_graph_size(max(n_rows, n_cols), data.size, name=f"{source}: n",
                         bytes_per_entry=EDGE_LIST_BYTES_PER_ENTRY)
    except ValueError as exc:
        raise _NpzError(str(exc)) from None
    if fmt == "coo":
        row, col = arr("row", "iu"), arr("col", "iu")
        if not (row.size == col.size == data.size):
            raise _NpzError(f"{source}: COO arrays of different lengths (row {row.size}, col {col.size}, "
                             f"data {data.size})")
        for idx, lim, what in ((row, n_rows, "row"), (col, n_cols, "col")):
            if idx.size and (idx.min() < 0 or idx.max() >= lim):
                raise _NpzError(f"{source}: {what} index {int(idx.max() if idx.max() >= lim else idx.min())} is "
                                 f"out of range for shape {(n_rows, n_cols)}")
        return sp.coo_array((data, (row.astype(np.int64), col.astype(np.int64))), shape=(n_rows, n_cols))
    major, minor = (n_rows, n_cols) if fmt == "csr" else (n_cols, n_rows)
    indptr, indices = arr("indptr", "iu"), arr("indices", "iu")
    if indptr.size != major + 1:
        raise _NpzError(f"{source}: {fmt.upper()} indptr has {indptr.size} entries, expected {major + 1} for shape "
                         f"{(n_rows, n_cols)}")
    if indptr[0] != 0 or np.any(np.diff(indptr.astype(np.int64)) < 0):
        bad = int(np.flatnonzero(np.diff(indptr.astype(np.int64)) < 0)[0]) + 1 if indptr[0] == 0 else 0
        raise _NpzError(f"{source}: {fmt.upper()} indptr must start at 0 and never decrease, got indptr[{bad}]="
                         f"{int(indptr[bad])} after {int(indptr[bad - 1]) if bad else 'the start'}")
    if int(indptr[-1]) != indices.size or indices.size != data.size:
        raise _NpzError(f"{source}: {fmt.upper()} arrays disagree: indptr ends at {int(indptr[-1])}, indices has "
                         f"{indices.size} entries, data {data.size}")
    if indices.size and (indices.min() < 0 or indices.max() >= minor):
        raise _NpzError(f"{source}: {fmt.upper()} index {int(indices.max() if indices.max() >= minor else indices.min())}"
                         f" is out of range for shape {(n_rows, n_cols)}")
    cls = sp.csr_array if fmt == "csr" else sp.csc_array
    return cls((data, indices.astype(np.int64), indptr.astype(np.int64)), shape=(n_rows, n_cols))


def _atomic(path: Path, binary: bool):
    """Atomic write of a graph file (see :mod:`smallworld._atomic`)."""
    return atomic_open(path, binary=binary, what="the graph")


def write(graph: Any, path: PathLike, *, format: str | None = None, labels: Sequence[str] | None = None) -> None:
    """Write a graph to a file, atomically.

    Parameters
    ----------
    graph : graph-like
        Anything :func:`smallworld.as_graph` accepts, or a rectangular
        ``scipy.sparse`` layer mask (edge list and ``.npz`` only).
    path : str or os.PathLike
        Target file; its suffix selects the format unless ``format`` is given.
        An existing file is replaced only once the new one is complete.  A
        symbolic link is followed: the file it points to is replaced (atomically,
        in the target's folder) and the link stays a link.
    format : {"edgelist", "gml", "npz"}, optional
        Overrides the suffix.
    labels : sequence of str, optional
        One name per node, stored in the file (edge list: used as the node
        tokens, so they may not contain spaces or ``#``; GML: ``label``,
        which without ``labels`` is the node id as a string).  Not
        supported by ``.npz``.

    Raises
    ------
    ValueError
        For an unknown format, labels of the wrong length, or a rectangular
        matrix written as GML.
    FileNotFoundError
        If the target's directory does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import smallworld as sw
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ring.edgelist"
    >>> sw.write([(0, 1), (1, 2), (2, 0)], path)
    >>> print(path.read_text(), end="")
    # smallworld-edgelist rows=3 cols=3 directed=0 weighted=0
    0 1
    0 2
    1 2
    >>> (sw.read(path) != sw.as_graph([(0, 1), (1, 2), (2, 0)])).nnz
    0
    """
    p = _check_path(path)
    fmt = infer_format(p, format)
    if p.is_symlink():  # follow the link, as cp, shell redirection and numpy do: its target gets the graph
        p = Path(os.path.realpath(p))
    A = _canonical(graph, None)
    square = A.shape[0] == A.shape[1]
    directed = is_directed(A) if square else True
    if labels is not None:
        if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence):
            raise TypeError(f"labels must be a sequence of str, one per node, got {type(labels).__name__}")
        if fmt == "npz":
            raise ValueError("labels cannot be stored in a .npz file; use an edge list or GML")
    if fmt == "npz":
        with _atomic(p, binary=True) as fh:
            sp.save_npz(fh, A, compressed=True)
        return
    with _atomic(p, binary=False) as fh:
        write_text(A, fh, fmt, labels=labels, directed=directed)


def write_text(A: sp.csr_array, fh: IO[str], fmt: str, *, labels: Sequence[str] | None = None,
               directed: bool | None = None) -> None:
    """Write a canonical adjacency in a text format to an open stream (used by :func:`write` and the CLI)."""
    if directed is None:
        directed = is_directed(A) if A.shape[0] == A.shape[1] else True
    if fmt == "gml":
        from smallworld import __version__

        if A.shape[0] != A.shape[1]:
            raise ValueError(
                f"GML needs a square adjacency, got shape {A.shape}; write a layer mask as .edgelist or .npz"
            )

        format_gml(A, directed, labels, fh, creator=f"smallworld {__version__}")
    else:
        format_edgelist(A, directed, labels, fh)
