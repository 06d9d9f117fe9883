"""Tests of smallworld.read / smallworld.write: formats, exact round trips, errors with line numbers, atomicity."""

from __future__ import annotations

import os
import stat
import warnings

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import smallworld as sw
import smallworld.io as swio

FORMATS = [("edgelist", ".edgelist"), ("gml", ".gml"), ("npz", ".npz")]


def _same(A: sp.csr_array, B: sp.csr_array) -> bool:
    """Exactly equal: shape, dtype, pattern, values."""
    return (
        A.shape == B.shape
        and A.dtype == B.dtype
        and np.array_equal(A.indptr, B.indptr)
        and np.array_equal(A.indices, B.indices)
        and np.array_equal(A.data, B.data)
    )


def _graphs() -> dict[str, sp.csr_array]:
    rng = np.random.default_rng(7)
    und = sw.as_graph(nx.gnm_random_graph(40, 90, seed=3))
    und = sp.csr_array(sp.block_diag([und, sp.csr_array((3, 3), dtype=bool)], format="csr"))  # isolated tail nodes
    und = sw.as_graph(und)
    arcs = sw.as_graph(nx.gnm_random_graph(30, 80, seed=4, directed=True))
    w_und = und.astype(np.float64)
    upper = sp.triu(w_und, format="csr")
    upper.data = rng.uniform(-3.0, 5.0, upper.nnz) + 1e-3  # awkward floats, some negative
    w_und = sw.as_graph(upper + upper.T)
    w_dir = arcs.astype(np.float64)
    w_dir.data = rng.standard_normal(w_dir.nnz) * 1e-7 + 0.1 / 3
    loops = sw.as_graph([(0, 0), (0, 1), (2, 2), (1, 3)])
    return {
        "bool-undirected": und,
        "bool-directed": arcs,
        "weighted-undirected": w_und,
        "weighted-directed": sw.as_graph(w_dir),
        "self-loops": loops,
        "empty": sp.csr_array((5, 5), dtype=bool),
    }


GRAPHS = _graphs()


@pytest.mark.parametrize("fmt, suffix", FORMATS)
@pytest.mark.parametrize("name", list(GRAPHS))
def test_round_trip_exact(tmp_path, fmt, suffix, name):
    A = GRAPHS[name]
    path = tmp_path / f"g{suffix}"
    sw.write(A, path)
    B = sw.read(path)
    assert _same(A, B)
    assert sw.is_directed(B) == sw.is_directed(A)


@pytest.mark.parametrize("fmt, suffix", [("edgelist", ".edgelist"), ("gml", ".gml")])
def test_round_trip_with_labels(tmp_path, fmt, suffix):
    A = GRAPHS["weighted-directed"]
    labels = [f"n{i:03d}" for i in range(A.shape[0])][::-1]
    path = tmp_path / f"g{suffix}"
    sw.write(A, path, labels=labels)
    B, got = sw.read(path, return_labels=True)
    assert _same(A, B)
    assert got == labels


def test_gml_label_escaping_round_trip(tmp_path):
    labels = ['a "quoted" & odd', "Zürich", "plain"]
    sw.write([(0, 1), (1, 2)], tmp_path / "x.gml", labels=labels)
    _, got = sw.read(tmp_path / "x.gml", return_labels=True)
    assert got == labels


def test_format_overrides_suffix(tmp_path):
    A = GRAPHS["bool-undirected"]
    path = tmp_path / "graph.dat"
    sw.write(A, path, format="gml")
    assert path.read_text().startswith("Creator")
    assert _same(sw.read(path, format="gml"), A)
    with pytest.raises(ValueError, match=r"cannot infer the format of .*graph\.dat"):
        sw.read(path)
    with pytest.raises(ValueError, match="format must be one of"):
        sw.read(path, format="graphml")


@pytest.mark.parametrize("suffix", [".txt", ".edges", ".el", ".EDGELIST"])
def test_edgelist_suffixes(tmp_path, suffix):
    path = tmp_path / f"g{suffix}"
    sw.write([(0, 1), (1, 2)], path)
    assert sw.read(path).nnz == 4


def test_plain_edgelist_comments_blank_lines_weights(tmp_path):
    path = tmp_path / "w.edgelist"
    path.write_text("# a comment\n\n0 1 2.5\n  1 2 -1e-3   # trailing comment\n\n4 4 7\n")
    A = sw.read(path)
    assert A.shape == (5, 5) and A.dtype == np.float64
    assert A[0, 1] == A[1, 0] == 2.5 and A[2, 1] == -1e-3 and A[4, 4] == 7.0
    assert not sw.is_directed(A)
    D = sw.read(path, directed=True)
    assert D[0, 1] == 2.5 and D[1, 0] == 0 and sw.is_directed(D)


def test_directed_false_symmetrises(tmp_path):
    path = tmp_path / "d.gml"
    sw.write(sw.as_graph([(0, 1, 2.0), (1, 0, 5.0), (1, 2, 1.5)], directed=True), path)
    A = sw.read(path, directed=False)
    assert not sw.is_directed(A)
    assert A[0, 1] == 5.0 and A[2, 1] == 1.5  # the larger weight of the two directions


def test_edgelist_relabel_first_appearance(tmp_path):
    path = tmp_path / "names.arcs"
    path.write_text("V1 V2\nV2 MT\nMT V1\nV4 V1\n")
    A, labels = sw.read(path, relabel=True, directed=True, return_labels=True)
    assert labels == ["V1", "V2", "MT", "V4"]
    assert sorted(map(tuple, sw.edge_array(A).tolist())) == [(0, 1), (1, 2), (2, 0), (3, 0)]
    with pytest.raises(ValueError, match=r"names\.arcs:1: node id 'V1' is not a non-negative integer.*relabel=True"):
        sw.read(path)


def test_integer_edgelist_has_no_labels(tmp_path):
    path = tmp_path / "g.edgelist"
    sw.write([(0, 1)], path)
    assert sw.read(path, return_labels=True)[1] is None


def test_rectangular_layer_mask(tmp_path):
    M = sp.random_array((6, 9), density=0.3, random_state=1, format="csr").astype(bool)
    for suffix in (".edgelist", ".npz"):
        sw.write(M, tmp_path / f"m{suffix}")
        B = sw.read(tmp_path / f"m{suffix}")
        assert B.shape == (6, 9) and (B != M).nnz == 0
    with pytest.raises(ValueError, match="GML needs a square adjacency"):
        sw.write(M, tmp_path / "m.gml")


@pytest.mark.parametrize(
    "text, match",
    [
        ("0 1\n1 2\n# c\n\na b c d\n", r"bad\.edgelist:5: expected 'u v \[w\]', got 'a b c d'"),
        ("0 1\n7\n", r"bad\.edgelist:2: expected 'u v \[w\]', got '7'"),
        ("0 1 1.0\n1 2\n", r"bad\.edgelist:2: expected 'u v w' \(3 columns, as on line 1\), got '1 2'"),
        ("0 1\n1 2.5\n", r"bad\.edgelist:2: node id '2\.5' is not a non-negative integer"),
        ("0 1\n\n1 -2\n", r"bad\.edgelist:3: node id '-2' is negative"),
        ("0 1 x\n", r"bad\.edgelist:1: weight 'x' is not a number"),
        ("0 1 1\n1 2 nan\n", r"bad\.edgelist:2: weight 'nan' is not finite"),
        ("0 1 inf\n", r"bad\.edgelist:1: weight 'inf' is not finite"),
        ("# smallworld-edgelist rows=2 cols=2 directed=0 weighted=0\n0 5\n", r"bad\.edgelist:2: node 5 is out of range"),
        ("# smallworld-edgelist rows=x\n0 1\n", r"bad\.edgelist:1: malformed header field 'rows=x'"),
    ],
)
def test_malformed_edgelist_names_path_and_line(tmp_path, text, match):
    path = tmp_path / "bad.edgelist"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        sw.read(path)


@pytest.mark.parametrize(
    "text, match",
    [
        ('graph [\n node [ id 0 ]\n edge [ source 0 target 1 ]\n]\n', r"bad\.gml:3: edge refers to node id 1"),
        ('graph [\n node [ id 0 ]\n node [ id 0 ]\n]\n', r"bad\.gml:3: node id 0 is defined twice"),
        ('graph [\n node [ id 0 ]\n', r"bad\.gml:1: '\[' is never closed"),
        ('graph [\n node [ label "x" ]\n]\n', r"bad\.gml:2: node without an integer 'id'"),
        ('graph [\n node [ id 0 ]\n]\n]\n', r"bad\.gml:4: '\]' without a matching"),
        ('graph [\n node [ id 0 label x ]\n]\n', r"bad\.gml:2: expected a number, a \"string\" or '\[', got 'x'"),
        ('graph [\n node [ id 0 ]\n edge [ source 0 target 0 weight nan ]\n]\n', r"bad\.gml:3: edge weight nan"),
        ('graph [\n directed 2\n]\n', r"bad\.gml:2: directed must be 0 or 1"),
        ('Creator "x"\n', r"bad\.gml: no 'graph \[ \.\.\. \]' block"),
        ('graph [\n node [ id 0 label "open ]\n]\n', r"bad\.gml:2: unterminated string"),
    ],
)
def test_malformed_gml_names_path_and_line(tmp_path, text, match):
    path = tmp_path / "bad.gml"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        sw.read(path)


def test_gml_tolerates_comments_unknown_keys_and_value_weights(tmp_path):
    path = tmp_path / "ok.gml"
    path.write_text(
        '# leading comment\nCreator "someone"\ngraph [\n  comment "x"\n  directed 1\n'
        '  node [ id 10 label "a" graphics [ x 1.0 y 2.0 ] ]\n  node [ id 3 ]\n  node [ id 7 label "c" ]\n'
        "  edge [ source 10 target 3 value 4 ]\n  edge [ source 3 target 7 ]\n]\n"
    )
    A, labels = sw.read(path, return_labels=True)
    assert labels == ["a", "3", "c"]  # ids mapped to 0..n-1 in file order; label, else the id
    assert A.dtype == np.float64 and A[0, 1] == 4.0 and A[1, 2] == 1.0 and A.nnz == 2


def test_duplicates_warn_and_sum(tmp_path):
    path = tmp_path / "dup.edgelist"
    path.write_text("0 1 2\n1 0 3\n1 2 1.5\n")
    with pytest.warns(UserWarning, match=r"dup\.edgelist: 1 duplicated edges merged \(weights summed\)"):
        A = sw.read(path)
    assert A[0, 1] == A[1, 0] == 5.0 and A[1, 2] == 1.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        D = sw.read(path, directed=True)  # as arcs nothing is duplicated
    assert D[0, 1] == 2.0 and D[1, 0] == 3.0


def test_celegans_gml_loads_where_networkx_fails(shared_data):
    path = shared_data / "celegansneural.gml"
    with pytest.raises(nx.NetworkXError, match="duplicated"):
        nx.read_gml(path)
    with pytest.warns(UserWarning, match=r"14 duplicated arcs merged \(weights summed\)"):
        A, labels = sw.read(path, return_labels=True)
    assert A.shape == (297, 297) and A.nnz == 2345 and sw.is_directed(A)
    assert labels[:3] == ["1", "51", "72"]
    # agree with igraph, which reads the same file as a multigraph
    igraph = pytest.importorskip("igraph")
    g = igraph.Graph.Read_GML(str(path))
    assert g.vcount() == 297 and g.ecount() == 2359
    rows, cols = zip(*g.get_edgelist())
    ref = sp.coo_array((np.asarray(g.es["value"], dtype=float), (rows, cols)), shape=(297, 297)).tocsr()
    assert abs(A - ref).max() == 0.0
    assert A.sum() == 8819.0


def test_npz_is_scipy_format(tmp_path):
    A = GRAPHS["weighted-undirected"]
    sw.write(A, tmp_path / "a.npz")
    assert _same(sp.csr_array(sp.load_npz(tmp_path / "a.npz")), A)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"bad\.npz: not a scipy\.sparse \.npz file"):
        sw.read(tmp_path / "bad.npz")
    with pytest.raises(ValueError, match="labels cannot be stored in a .npz"):
        sw.write(A, tmp_path / "b.npz", labels=[str(i) for i in range(A.shape[0])])


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "g.edgelist"
    sw.write([(0, 1)], path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(swio, "format_edgelist", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        sw.write(GRAPHS["bool-undirected"], path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.edgelist"]  # no temp file left behind


def test_atomic_write_fsyncs_and_replaces(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    path = tmp_path / "g.gml"
    sw.write([(0, 1)], path)
    assert calls[:2] == ["fsync", "replace"]  # data durable before the rename
    # the new file gets the usual permissions, not mkstemp's private 0o600
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda d: sw.write([(0, 1)], d / "missing" / "g.edgelist"), FileNotFoundError, "does not exist"),
        (lambda d: sw.write([(0, 1)], (d / "dir.edgelist").mkdir() or d / "dir.edgelist"), IsADirectoryError, "is a directory"),
        (lambda d: sw.write([(0, 1)], 5), TypeError, "path must be a str or os.PathLike"),
        (lambda d: sw.write([(0, 1)], d / "g.edgelist", labels=["a"]), ValueError, "one label per node"),
        (lambda d: sw.write([(0, 1)], d / "g.edgelist", labels=["a b", "c"]), ValueError, "free of spaces"),
        (lambda d: sw.write([(0, 1)], d / "g.edgelist", labels="ab"), TypeError, "labels must be a sequence"),
        (lambda d: sw.read(d / "nope.edgelist"), FileNotFoundError, "nope"),
        (lambda d: sw.read(d / "nope.npz"), FileNotFoundError, "nope"),
        (lambda d: sw.read(d / "x.gml", directed=1), TypeError, "directed must be True or False"),
    ],
)
def test_bad_arguments(tmp_path, call, exc, match):
    with pytest.raises(exc, match=match):
        call(tmp_path)


def test_large_round_trip_is_fast_enough(tmp_path):
    rng = np.random.default_rng(0)
    n, m = 20_000, 100_000
    A = sw.as_graph(np.stack([rng.integers(0, n, m), rng.integers(0, n, m)], axis=1), n=n)
    path = tmp_path / "big.edgelist"
    sw.write(A, path)
    assert _same(sw.read(path), A)


def test_gml_fast_path_agrees_with_general_parser(shared_data):
    from smallworld import _io_gml

    text = (shared_data / "celegansneural.gml").read_text()
    fast = _io_gml._parse_fast(text, "c.gml")
    assert fast is not None  # plain node/edge blocks take the vectorised path
    slow = _io_gml.parse_gml("# force the general parser\n" + text, "c.gml")
    assert fast.n == slow.n == 297 and fast.labels == slow.labels and fast.directed == slow.directed
    assert np.array_equal(fast.rows, slow.rows) and np.array_equal(fast.cols, slow.cols)
    assert np.array_equal(fast.weights, slow.weights)
    # a node block with extra attributes falls back to the general parser
    assert _io_gml._parse_fast('graph [ node [ id 0 x 1 ] ]', "x.gml") is None


@pytest.mark.parametrize("weighted", [False, True])
def test_edgelist_fast_path_agrees_with_line_parser(tmp_path, weighted):
    rng = np.random.default_rng(5)
    edges = rng.integers(0, 300, size=(2000, 2))
    cols = [edges[:, 0].astype(str), edges[:, 1].astype(str)]
    if weighted:
        cols.append(rng.uniform(-2, 2, 2000).astype(str))
    lines = [" ".join(t) for t in zip(*cols)]
    plain, commented = tmp_path / "a.edgelist", tmp_path / "b.edgelist"
    plain.write_text("\n".join(lines) + "\n\n")
    commented.write_text("\n".join(lines[:1000] + ["# a comment inside the data"] + lines[1000:]) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # random pairs repeat
        A, B = sw.read(plain), sw.read(commented)
    assert _same(A, B)


# --- review: text encodings, zero weights, one graph per GML file, GML that networkx reads -------


@pytest.mark.parametrize("suffix", [".edgelist", ".gml"])
def test_binary_file_is_refused_naming_file_and_line(tmp_path, suffix):
    path = tmp_path / f"bin{suffix}"
    path.write_bytes(b"0 1\n1 2\n\x80\x81\x00\xff\n")
    with pytest.raises(ValueError, match=rf"^{path}:3: not UTF-8 text \(byte 0x80 at byte offset 8 cannot be decoded\)"):
        sw.read(path)
    path.write_bytes(b"\x80PNG\x00\x00")
    with pytest.raises(ValueError, match=rf"^{path}:1: not UTF-8 text \(byte 0x80 at byte offset 0"):
        sw.read(path)


def test_cli_score_of_a_binary_file_is_one_line_naming_it(tmp_path, capsys):
    from smallworld.cli import main

    path = tmp_path / "bin.edgelist"
    path.write_bytes(b"\x80\x81\x82")
    assert main(["score", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path}:1: not UTF-8 text" in err


@pytest.mark.parametrize("text", [
    "0 1\n1 2\n",
    "# smallworld-edgelist rows=4 cols=4 directed=1 weighted=0\n0 1\n1 2\n",
    "# a comment\n0 1 # trailing\n1 2\n",  # the line-by-line parser
])
def test_utf8_bom_is_accepted(tmp_path, text):
    plain, bom = tmp_path / "plain.edgelist", tmp_path / "bom.edgelist"
    plain.write_text(text, encoding="utf-8")
    bom.write_text(text, encoding="utf-8-sig")
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    assert _same(sw.read(bom), sw.read(plain))
    if "directed=1" in text:  # the header after the BOM is still recognised
        assert sw.read(bom).shape == (4, 4) and sw.is_directed(sw.read(bom))


def test_utf8_bom_is_accepted_in_gml(tmp_path):
    plain, bom = tmp_path / "plain.gml", tmp_path / "bom.gml"
    sw.write([(0, 1), (1, 2)], plain)
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert _same(sw.read(bom), sw.read(plain))


def test_bom_in_a_text_stream_is_skipped():
    import io

    A, _ = swio.read_text(io.StringIO("\ufeff0 1\n"), "edgelist", "<stream>")
    assert A.shape == (2, 2) and A.nnz == 2


@pytest.mark.parametrize("text, line", [
    ("0 1 0\n1 2 1.5\n", "line 1"),  # vectorised parser
    ("# header comment\n\n0 1 2\n1 2 0.0 # gone\n", "line 4"),  # line-by-line parser
    ("0 1 0\n1 2 0\n2 3 1\n", "lines 1, 2"),
])
def test_read_warns_on_a_dropped_zero_weight_line_like_as_graph(tmp_path, text, line):
    path = tmp_path / "z.edgelist"
    path.write_text(text)
    with pytest.warns(UserWarning, match=rf"^{path}: \d edge\(s\) with weight 0 dropped \({line}\)"):
        A = sw.read(path)
    edges = [tuple(float(t) if i == 2 else int(t) for i, t in enumerate(ln.split("#")[0].split()))
             for ln in text.splitlines() if ln.split("#")[0].strip()]
    with pytest.warns(UserWarning, match=r"^graph: \d edge\(s\) with weight 0 dropped"):
        B = sw.as_graph(edges, n=A.shape[0])
    assert _same(A, B)


def test_zero_weight_warning_points_at_the_callers_line(tmp_path):
    path = tmp_path / "z.edgelist"
    path.write_text("0 1 0\n1 2 1\n")
    with pytest.warns(UserWarning) as rec:
        sw.read(path)
    assert rec[0].filename == __file__
    with pytest.warns(UserWarning) as rec:
        sw.as_graph(np.array([[0, 1, 0.0], [1, 2, 1.0]]))
    assert rec[0].filename == __file__


TWO_GRAPHS = """graph [
  node [ id 0 ]
  node [ id 1 ]
  edge [ source 0 target 1 ]
]
graph [
  node [ id 0 ]
]
"""


@pytest.mark.parametrize("prefix", ["", "# comment: the general parser\n"])
def test_gml_with_two_graph_blocks_is_refused(tmp_path, prefix):
    path = tmp_path / "two.gml"
    path.write_text(prefix + TWO_GRAPHS)
    first, second = (1, 6) if not prefix else (2, 7)
    with pytest.raises(ValueError, match=rf"^{path}:{second}: a second 'graph \[ ... \]' block \(the first starts on "
                                         rf"line {first}\); a GML file must hold exactly one graph"):
        sw.read(path)


@pytest.mark.parametrize("edges", [[(0, 1), (1, 2), (0, 3)], [(0, 1, 2.5), (1, 2, 1.0), (3, 3, 4.0)]])
@pytest.mark.parametrize("directed", [False, True])
def test_gml_without_labels_is_read_by_networkx_defaults(tmp_path, edges, directed):
    A = sw.as_graph(edges, directed=directed, n=5)  # node 4 isolated
    path = tmp_path / "g.gml"
    sw.write(A, path)
    G = nx.read_gml(path)  # label="label": fails on nodes without a label
    assert list(G.nodes) == [str(i) for i in range(5)]
    assert G.is_directed() == directed
    assert np.array_equal(nx.to_numpy_array(G, weight="weight" if A.dtype != bool else None), A.toarray())
    B, labels = sw.read(path, return_labels=True)
    assert _same(A, B) and labels == [str(i) for i in range(5)]


def test_gml_with_given_labels_keeps_them_for_networkx_and_us(tmp_path):
    path = tmp_path / "named.gml"
    sw.write([(0, 1), (1, 2)], path, labels=["a", "b", "c"])
    assert sorted(nx.read_gml(path).edges) == [("a", "b"), ("b", "c")]
    assert sw.read(path, return_labels=True)[1] == ["a", "b", "c"]
