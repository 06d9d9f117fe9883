"""Hostile inputs (issue 10): each case once gave a silent wrong number, a traceback or no limit.

Every case asserts the exception type and its message, or the exact right value.
"""

from __future__ import annotations

import warnings
import json

import numpy as np
import pytest
import scipy.sparse as sp
import torch

import smallworld as sw


def _pyg_data(**kw):
    pyg = pytest.importorskip("torch_geometric.data")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyg.Data(**kw)


# --- silent wrong numbers -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype, w", [(np.int8, 100), (np.int16, 20_000), (np.int32, 2**30)])
def test_coo_duplicates_merge_in_a_wide_type(dtype, w):
    A = sp.coo_array((np.array([w, w], dtype=dtype), (np.array([0, 0]), np.array([1, 1]))), shape=(2, 2))
    G = sw.as_graph(A)
    assert G.dtype == np.float64 and G[0, 1] == 2.0 * w


def test_torch_sparse_int8_duplicates_merge_in_a_wide_type():
    t = torch.sparse_coo_tensor([[0, 0], [1, 1]], torch.tensor([100, 100], dtype=torch.int8), (2, 2))
    assert sw.as_graph(t)[0, 1] == 200.0


@pytest.mark.parametrize(
    "edge_index, exc, match",
    [
        (torch.tensor([[0.0, 1.5], [1.0, 2.0]]), TypeError, "edge_index must hold integer node ids.*float32"),
        (torch.tensor([[0.0, 1.0], [1.0, 2.0]]), TypeError, "edge_index must hold integer node ids.*float32"),
        (torch.tensor([[0, 2**64 - 1], [1, 2]], dtype=torch.uint64), ValueError, "names node 18446744073709551615, so n=18446744073709551616 is too large"),
        (torch.tensor([[True], [False]]), TypeError, "integer node ids.*torch.bool"),
    ],
)
def test_pyg_data_edge_index_ids_are_checked(edge_index, exc, match):
    with pytest.raises(exc, match=match):
        sw.as_graph(_pyg_data(edge_index=edge_index))


def test_pyg_data_uint64_small_ids_read_right():
    A = sw.as_graph(_pyg_data(edge_index=torch.tensor([[0, 5], [1, 2]], dtype=torch.uint64)))
    assert A.shape == (6, 6) and A[0, 1] and A[5, 2] and A.nnz == 2


# --- crashes and tracebacks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, match",
    [
        ([(0, 2**63)], r"^graph names node 9223372036854775808, so n=9223372036854775809 is too large: a graph has "
                       r"at most MAX_NODES"),
        (np.array([[0.0, 1e30]]), "names node 1000000000000000019884624838656, so n=.* is too large"),
        (np.array([[0, 2**64 - 1]], dtype=np.uint64), "names node 18446744073709551615, so n=.* is too large"),
    ],
)
def test_huge_node_ids_are_a_clear_error(x, match):
    with pytest.raises(ValueError, match=match):
        sw.as_graph(x)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: torch.zeros(2, 3, dtype=torch.long, device="meta"), "graph is a tensor on the meta device"),
        (lambda: torch.zeros(3, 3, device="meta"), "graph is a tensor on the meta device"),
        (lambda: _pyg_data(edge_index=torch.zeros(2, 3, dtype=torch.long, device="meta")), "edge_index is a tensor on the meta"),
    ],
)
def test_meta_tensors_say_what_is_wrong(make, match):
    with pytest.raises(ValueError, match=match):
        sw.as_graph(make())


@pytest.mark.parametrize(
    "device, exc, match",
    [
        ("tpu", ValueError, r"device='tpu' is not a torch device; use e.g. 'cpu'"),
        ("meta", ValueError, "device='meta' holds no values"),
        (3.5, TypeError, "device must be a str, a torch.device or None, got float"),
    ],
)
def test_to_torch_mask_device_message_is_short(device, exc, match):
    with pytest.raises(exc, match=match) as info:
        sw.to_torch_mask([(0, 1)], device=device)
    assert len(str(info.value)) < 120


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_to_torch_mask_absent_cuda():
    with pytest.raises(ValueError, match="device='cuda' but CUDA is not available here"):
        sw.to_torch_mask([(0, 1)], device="cuda")


@pytest.mark.parametrize("directed", ["x", 1, "True"])
def test_to_networkx_directed_is_validated(directed):
    with pytest.raises(TypeError, match=f"directed must be None, True or False, got {directed!r}"):
        sw.to_networkx([(0, 1)], directed=directed)


# --- GML: one reading, whichever parser runs ------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from smallworld._io_gml import _parse_fast, _parse_general, parse_gml  # noqa: E402

_GML_TRAPS = {
    # an edge inside a quoted string, a nested list and a nested graph is not an edge
    "quoted": 'graph [ node [ id 0 ] node [ id 1 ] node [ id 2 ] note "edge [ source 0 target 2 ]" '
              "edge [ source 0 target 1 ] ]",
    "nested_list": "graph [ node [ id 0 ] node [ id 1 ] node [ id 2 ] data [ edge [ source 0 target 2 ] ] "
                   "edge [ source 0 target 1 ] ]",
    "nested_graph": "graph [ node [ id 0 ] node [ id 1 ] sub [ graph [ node [ id 7 ] ] ] "
                    "edge [ source 0 target 1 ] ]",
    # a node outside the graph must not join it and shift every index
    "node_outside": "node [ id 9 ] graph [ node [ id 0 ] node [ id 1 ] node [ id 2 ] edge [ source 0 target 1 ] ]",
    "after_graph": "graph [ node [ id 0 ] node [ id 1 ] edge [ source 0 target 1 ] ] extra [ node [ id 9 ] ]",
}


@pytest.mark.parametrize("name", sorted(_GML_TRAPS))
def test_gml_blocks_outside_the_graph_level_are_not_read(name):
    g = parse_gml(_GML_TRAPS[name], name)
    ref = _parse_general(_GML_TRAPS[name], name)
    assert (g.n, g.rows.tolist(), g.cols.tolist(), g.labels) == (ref.n, ref.rows.tolist(), ref.cols.tolist(), ref.labels)
    assert g.rows.tolist() == [0] and g.cols.tolist() == [1]
    assert "9" not in g.labels and "7" not in g.labels


def test_gml_node_id_beyond_int64_reads_like_networkx(tmp_path):
    big = 10**30
    p = tmp_path / "big.gml"
    p.write_text(f'graph [ node [ id {big} label "a" ] node [ id 1 label "b" ] edge [ source {big} target 1 ] ]')
    A, labels = sw.read(p, return_labels=True)
    assert A.shape == (2, 2) and A[0, 1] and labels == ["a", "b"]


def test_gml_empty_label_is_kept():
    assert parse_gml('graph [ node [ id 3 label "" ] ]', "x").labels == [""]


_tok = st.sampled_from(["0", "1", "2", "3", "-1", "07", "1.5", "1e3", "1_0", "nan", "+2", "x", '"s"', '"edge [ source 0 target 1 ]"', '""'])
_ws = st.sampled_from([" ", "\n", "  ", "\t", "\n  "])


@st.composite
def _gml(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["node", "edge", "edge", "scalar", "list", "graph", "dir"] if depth < 2 else ["node", "edge", "scalar"]))
        w = draw(_ws)
        if kind == "node":
            lab = draw(st.sampled_from(["", ' label "a"', ' label ""', ' label "&amp;"', " label 5", ' label "x" label "y"']))
            parts.append(f"node [ id {draw(st.sampled_from(['0', '1', '2', '3', '07', '-1', '1000000000000000000000']))}{lab} ]")
        elif kind == "edge":
            wt = draw(st.sampled_from(["", " weight 2", " value 0.5", " weight 1e400", " weight nan", " weight 1_0",
                                       ' weight "3"', " weight 2 value 3", " weight -0"]))
            parts.append(f"edge [ source {draw(_tok)} target {draw(_tok)}{wt} ]")
        elif kind == "scalar":
            parts.append(f"k{draw(st.integers(0, 3))} {draw(_tok)}")
        elif kind == "dir":
            parts.append("directed " + draw(st.sampled_from(["0", "1", "2", "1.0", '"1"'])))
        else:
            inner = draw(_gml(depth + 1))
            parts.append(f"{'graph' if kind == 'graph' else 'data'} [{w}{inner}{w}]")
    return draw(_ws).join(parts)


@st.composite
def _gml_file(draw):
    head = draw(st.sampled_from(["", 'Creator "me" ', 'Creator "a]b" ', "node [ id 9 ] ", "version 1 "]))
    body = draw(_gml())
    tail = draw(st.sampled_from(["", "\n", " extra 1", " graph [ ]", " x [ edge [ source 0 target 1 ] ]"]))
    return f"{head}graph [{draw(_ws)}{body}{draw(_ws)}]{tail}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_gml_file())
def test_gml_fast_path_agrees_with_the_general_parser(text):
    fast = _parse_fast(text, "g.gml")
    try:
        ref = _parse_general(text, "g.gml")
    except ValueError:
        assert fast is None  # the fast path never reads a file the general parser refuses
        return
    if fast is not None:
        assert fast.n == ref.n and fast.directed == ref.directed and fast.labels == ref.labels
        assert fast.rows.tolist() == ref.rows.tolist() and fast.cols.tolist() == ref.cols.tolist()
        if ref.weights is None:
            assert fast.weights is None
        else:
            assert fast.weights.tolist() == ref.weights.tolist()


def test_gml_fast_path_is_taken_for_plain_files(tmp_path):
    text = 'Creator "x"\ngraph\n[\n  directed 0\n  node\n  [\n    id 0\n    label "0"\n  ]\n  node\n  [\n    id 1\n' \
           '    label "1"\n  ]\n  edge\n  [\n    source 0\n    target 1\n    weight 2.5\n  ]\n]\n'
    assert _parse_fast(text, "x") is not None


# --- readers: structure, size and text checked before anything trusts them ------------------------

import os  # noqa: E402

import smallworld._validation as val  # noqa: E402
from smallworld.cli import main  # noqa: E402


def _npz(path, **arrays):
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    "arrays, match",
    [
        (dict(format=np.array(b"csr"), shape=np.array([3, 3]), indptr=np.array([0, 5, 2, 3]), indices=np.array([1, 0, 1]),
              data=np.array([1.0, 1.0, 1.0])), r"CSR indptr must start at 0 and never decrease, got indptr\[2\]=2 after 5"),
        (dict(format=np.array(b"csr"), shape=np.array([3, 3]), indptr=np.array([0, 1, 2]), indices=np.array([1, 0]),
              data=np.array([1.0, 1.0])), "CSR indptr has 3 entries, expected 4"),
        (dict(format=np.array(b"csr"), shape=np.array([2, 2]), indptr=np.array([0, 1, 2]), indices=np.array([1, 7]),
              data=np.array([1.0, 1.0])), r"CSR index 7 is out of range for shape \(2, 2\)"),
        (dict(format=np.array(b"csr"), shape=np.array([2, 2]), indptr=np.array([0, 1, 3]), indices=np.array([1, 0]),
              data=np.array([1.0, 1.0])), "CSR arrays disagree: indptr ends at 3, indices has 2 entries"),
        (dict(format=np.array(b"coo"), shape=np.array([10**12, 10**12]), row=np.array([0]), col=np.array([1]),
              data=np.array([1.0])), "shape rows=1000000000000 is too large"),
        (dict(format=np.array(b"coo"), shape=np.array([3, 3]), row=np.array([0, 1]), col=np.array([1]),
              data=np.array([1.0, 1.0])), "COO arrays of different lengths"),
        (dict(format=np.array(b"coo"), shape=np.array([3, 3]), row=np.array([-1]), col=np.array([1]),
              data=np.array([1.0])), r"row index -1 is out of range"),
        (dict(format=np.array(b"dia"), shape=np.array([3, 3]), data=np.array([1.0])), "unsupported or missing sparse format 'dia'"),
        (dict(format=np.array(b"csr"), shape=np.array([2, 2]), indptr=np.array([0.0, 1, 2]), indices=np.array([1, 0]),
              data=np.array([1.0, 1.0])), "'indptr' must be a 1-D array of integers, got dtype float64"),
    ],
)
def test_npz_structure_is_checked_before_scipy_sees_it(tmp_path, arrays, match):
    path = _npz(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=match):
        sw.read(path)


def test_cli_score_of_a_corrupt_csr_is_one_line(tmp_path, capsys):
    # this file corrupted the heap: a RuntimeError traceback, then SIGABRT
    path = _npz(tmp_path / "bad.npz", format=np.array(b"csr"), shape=np.array([3, 3]), indptr=np.array([0, 5, 2, 3]),
                indices=np.array([1, 0, 1]), data=np.array([1.0, 1.0, 1.0]))
    assert main(["score", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "indptr must start at 0 and never decrease" in err[0]


def test_npz_shape_is_checked_against_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(val, "available_memory", lambda: 2**30)
    path = _npz(tmp_path / "wide.npz", format=np.array(b"coo"), shape=np.array([2**28, 2**28]), row=np.array([0]),
                col=np.array([1]), data=np.array([1.0]))
    with pytest.raises(ValueError, match=r"wide.npz: n=268435456 is too large for this machine"):
        sw.read(path)


def test_as_graph_size_check_bounds_the_real_peak(monkeypatch):
    # the 8-bytes-per-node estimate (512 MiB) passed here and the build then peaked at ~1.1 GiB
    monkeypatch.setattr(val, "available_memory", lambda: int(1.2 * 2**30))
    with pytest.raises(ValueError, match=r"^n=67108864 is too large for this machine: building it needs about 1.5 GiB"):
        sw.as_graph([(0, 1)], n=2**26)


def test_edge_list_naming_a_far_node_is_checked_by_the_real_peak(tmp_path, monkeypatch):
    monkeypatch.setattr(val, "available_memory", lambda: 2**30)
    path = tmp_path / "far.edgelist"
    path.write_text("0 60000000\n")
    with pytest.raises(ValueError, match="far.edgelist: n=60000001 is too large for this machine"):
        sw.read(path)


def test_text_file_size_is_checked_before_parsing(tmp_path, monkeypatch):
    path = tmp_path / "big.edgelist"
    path.write_bytes(b"0 1\n" * 750_000)  # 3 MB: ~90 MiB to parse
    monkeypatch.setattr(val, "available_memory", lambda: 80 * 2**20)
    with pytest.raises(ValueError, match=r"big.edgelist \(3000000 bytes\) is too large for this machine.*32 bytes per byte"):
        sw.read(path)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_is_not_read_without_limit():
    with pytest.raises(ValueError, match=r"^/dev/zero:1: a NUL byte at byte offset 0; this is binary data"):
        sw.read("/dev/zero", format="edgelist")


def test_header_with_non_ascii_digits_names_file_line_and_field(tmp_path):
    path = tmp_path / "a.edgelist"
    path.write_text("# smallworld-edgelist rows=\u00b2 cols=3 directed=0 weighted=0\n0 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"a.edgelist:1: malformed header field 'rows=\u00b2'"):
        sw.read(path)


@pytest.mark.parametrize(
    "suffix, text, match",
    [
        (".edgelist", "0 1\n" + "x" * 400_000 + "\n", r":2: expected 'u v \[w\]', got 'x{80}'\.\.\. \(400000 characters\)$"),
        (".edgelist", "0 1\n" + "7" * 400_000 + " 1\n", r":2: node id '7{80}'\.\.\. \(400000 characters\) is not"),
        (".gml", "graph [ " + "k" * 400_000 + " ]", r":1: key 'k{80}'\.\.\. \(400000 characters\) has no value"),
    ],
)
def test_over_long_lines_are_cut_in_messages(tmp_path, suffix, text, match):
    path = tmp_path / f"long{suffix}"
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as info:
        sw.read(path)
    assert len(str(info.value)) < 300


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("length_scale", [1e300, 1.7e308])
def test_spatial_huge_length_scale_is_random_wiring_not_an_overflow(dim, length_scale):
    A = sw.spatial(50, mean_degree=4, length_scale=length_scale, dim=dim, seed=0)
    assert A.nnz == 200


def test_cli_generate_spatial_huge_length_scale(tmp_path, capsys):
    out = tmp_path / "s.edgelist"
    assert main(["generate", "spatial", "--n", "50", "--mean-degree", "4", "--length-scale", "1e300", "--seed", "0",
                 "--out", str(out)]) == 0
    assert sw.read(out).nnz == 200


def test_cli_score_gml_with_a_huge_node_id(tmp_path, capsys):
    path = tmp_path / "big.gml"
    big = 10**30
    path.write_text(f"graph [ node [ id {big} ] node [ id 1 ] node [ id 2 ] edge [ source {big} target 1 ] "
                    f"edge [ source 1 target 2 ] edge [ source 2 target {big} ] ]")
    assert main(["score", str(path), "--nrand", "2", "--seed", "0", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "nodes n                   3" in out and "edges m                   3" in out


# --- report folders: --force replaces as one step; killed runs leave nothing for good -------------

import subprocess  # noqa: E402
import sys  # noqa: E402

from smallworld.cli import CLIError  # noqa: E402
from smallworld.cli import _demo_files  # noqa: E402


def _old_report(out):
    out.mkdir()
    for name in ("a.md", "b.json", "c.png", "stale.txt"):
        (out / name).write_text(f"old {name}")
    return {p.name: p.read_text() for p in out.iterdir()}


def _write_new(stage):
    for name in ("a.md", "b.json", "c.png"):
        (stage / name).write_text(f"new {name}")


def test_force_replaces_the_folder_as_one_step(tmp_path):
    out = tmp_path / "report"
    _old_report(out)
    with _demo_files.report_folder(out, force=True) as stage:
        _write_new(stage)
    assert {p.name: p.read_text() for p in out.iterdir()} == {n: f"new {n}" for n in ("a.md", "b.json", "c.png")}
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # nothing set aside is left


def test_force_interrupted_in_the_swap_leaves_the_old_report_whole(tmp_path, monkeypatch):
    out = tmp_path / "report"
    before = _old_report(out)
    real, calls = os.replace, []

    def flaky(src, dst):  # a signal between two moves
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(_demo_files.os, "replace", flaky)
    with pytest.raises(KeyboardInterrupt):
        with _demo_files.report_folder(out, force=True) as stage:
            _write_new(stage)
    monkeypatch.setattr(_demo_files.os, "replace", real)
    assert {p.name: p.read_text() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_partial_folders_of_killed_runs_are_removed_and_only_those(tmp_path):
    out = tmp_path / "report"
    dead = _dead_pid()
    stale = tmp_path / f".report.{dead}.abcd1234.partial"
    live = tmp_path / f".report.{os.getppid()}.abcd1234.partial"  # a run still going
    other = tmp_path / f".other.{dead}.abcd1234.partial"  # another report's
    for d in (stale, live, other):
        d.mkdir()
        (d / "x").write_text("x")
    with _demo_files.report_folder(out) as stage:
        _write_new(stage)
    assert not stale.exists() and live.exists() and other.exists()


def test_report_set_aside_by_a_killed_force_comes_back(tmp_path):
    out = tmp_path / "report"
    aside = tmp_path / f".report.{_dead_pid()}.abcd1234.old"  # kill -9 between the two renames
    before = _old_report(aside)
    with pytest.raises(CLIError, match="already holds an earlier report"):
        with _demo_files.report_folder(out) as stage:
            _write_new(stage)
    assert {p.name: p.read_text() for p in out.iterdir()} == before and not aside.exists()


# --- unbounded work and symlinks ------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, match",
    [
        (["demo", "--quick", "--epochs", str(10**15)], r"--epochs must be an integer >= 1 and <= 1000, got "
                                                       r"--epochs=1000000000000000 \(about 1.39e\+10 days"),
        (["reproduce", "ws98", "--nrand", str(10**9)], r"--nrand must be an integer >= 2 and <= 10000, got "
                                                       r"--nrand=1000000000 \(about 2.78e\+04 hours.*--allow-long"),
        (["reproduce", "ws98", "--realisations", str(10**6)], r"--realisations must be an integer >= 1 and <= 10000, "
                                                              r"got --realisations=1000000 \(about 22.2 hours"),
    ],
)
def test_absurd_amounts_of_work_are_refused_with_an_estimate(tmp_path, capsys, argv, match):
    import re

    assert main([*argv, "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(match, err[0]) and not (tmp_path / "r").exists()


def test_allow_long_lifts_the_caps_with_a_warning(tmp_path, capsys, monkeypatch):
    """The caps are a guard, not a ceiling: --allow-long runs past them and says how long it will take."""
    import argparse

    from smallworld.cli import _demo, _reproduce

    args = argparse.Namespace(quick=True, seeds=None, epochs=5000, allow_long=True)
    assert _demo._config(args).epochs == 5000
    assert "--allow-long: 5000 epochs x 1 seeds, about 1.67 hours" in capsys.readouterr().err
    args.allow_long = False
    with pytest.raises(ValueError, match="pass --allow-long to run it"):
        _demo._config(args)
    monkeypatch.setattr(_reproduce, "MAX_NRAND", 3)  # a cap small enough to pass in a test
    out = tmp_path / "r"
    argv = ["reproduce", "ws98", "--nrand", "4", "--realisations", "1", "--out", str(out)]
    assert main(argv) == 2 and not out.exists()
    assert main([*argv, "--allow-long"]) == 0
    assert json.loads((out / "results.json").read_text())["computed"]["nrand"] == 4


@pytest.mark.parametrize("suffix", [".edgelist", ".gml", ".npz"])
def test_write_through_a_symlink_follows_it(tmp_path, suffix):
    target = tmp_path / f"real{suffix}"
    link = tmp_path / f"link{suffix}"
    sw.write([(0, 1)], target)
    link.symlink_to(target)
    sw.write([(0, 1), (1, 2)], link)
    assert link.is_symlink() and sw.read(target).nnz == 4


def test_cli_generate_out_through_a_symlink_follows_it(tmp_path, capsys):
    target = tmp_path / "real.edgelist"
    target.write_text("0 1\n")
    link = tmp_path / "link.edgelist"
    link.symlink_to(target)
    argv = ["generate", "watts_strogatz", "--n", "20", "--k", "4", "--p", "0", "--seed", "0", "--out", str(link)]
    assert main(argv) == 2  # an existing output (through the link) is refused unless --force (issue 11)
    assert "already exists; pass --force" in capsys.readouterr().err and target.read_text() == "0 1\n"
    assert main([*argv, "--force"]) == 0
    assert link.is_symlink() and sw.read(target).nnz == 80
