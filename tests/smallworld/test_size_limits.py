"""Work that cannot fit is refused with a ValueError before allocating, never a MemoryError.

Two limits (smallworld._validation.check_graph_size): n <= MAX_NODES = 2**31 - 1, and the
estimated peak memory of building the graph must not exceed the available memory.  Tests that
depend on the memory limit pin ``available_memory`` so that they behave the same on any machine.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import smallworld as sw
import smallworld._validation as val
from smallworld.cli import main

GIB = 2**30


@pytest.fixture
def small_machine(monkeypatch):
    """Pretend 8 GiB are available, whatever this machine has."""
    monkeypatch.setattr(val, "available_memory", lambda: 8 * GIB)


def test_max_nodes_is_the_int32_limit():
    assert val.MAX_NODES == 2**31 - 1 == np.iinfo(np.int32).max


def test_available_memory_is_a_positive_byte_count_on_this_system():
    avail = val.available_memory()
    assert avail is None or (isinstance(avail, int) and avail > 0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: sw.ring_lattice(10**10, 2), r"^n=10000000000 is too large: a graph has at most MAX_NODES"),
        (lambda: sw.watts_strogatz(10**11, 4, 0.1, seed=0), r"^n=100000000000 is too large"),
        (lambda: sw.newman_watts_strogatz(10**11, 4, 0.1, seed=0), r"^n=100000000000 is too large"),
        (lambda: sw.ws_flex(10**11, 4.0, 0.1, seed=0), r"^n=100000000000 is too large"),
        (lambda: sw.spatial(10**11, mean_degree=4, length_scale=0.1, seed=0), r"^n=100000000000 is too large"),
        (lambda: sw.as_graph([(0, 10**11)]),
         (r"^graph names node 100000000000, so n=100000000001 is too large: a graph has at most MAX_NODES = "
          r"2\*\*31 - 1 = 2147483647 nodes")),
        (lambda: sw.as_graph(np.array([[0, 10**11]])), r"graph names node 100000000000"),
        (lambda: sw.as_graph([(0, 1)], n=10**10), r"^n=10000000000 is too large"),
    ],
)
def test_too_many_nodes_is_a_value_error_on_any_machine(call, match):
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=match):
        call()
    assert time.perf_counter() - t0 < 5  # refused at the door, nothing built


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: sw.erdos_renyi(2**31 - 1, m=1), r"^n=2147483647 is too large for this machine"),
        (lambda: sw.chung_lu(2**31 - 2, 2.5, 3.0), r"^n=2147483646 is too large for this machine"),
        (lambda: sw.ring_lattice(2**31 - 1, 2), r"^n=2147483647 is too large for this machine"),
        (lambda: sw.barabasi_albert(2**31 - 2, 3, seed=0), r"^n=2147483646 is too large for this machine"),
        (lambda: sw.configuration_power_law(2**31 - 2, 2.5, seed=0), r"^n=2147483646 is too large"),
        (lambda: sw.bipartite(10**6, 10**6, 0.01, seed=0),
         r"^a mask of n_out x n_in = 1000000 x 1000000 at density=0.01 \(10000000000 connections\) is too large for"),
        (lambda: sw.as_graph([(0, 2**31 - 2)]), r"^graph names node 2147483646, so n=2147483647 is too large for"),
    ],
)
def test_graph_larger_than_the_available_memory_is_refused_before_allocating(small_machine, call, match):
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=match) as exc:
        call()
    assert time.perf_counter() - t0 < 5
    assert "GiB" in str(exc.value) and "but only 8.0 GiB of memory is available" in str(exc.value)


def test_small_graphs_never_consult_the_memory(monkeypatch):
    def boom():
        raise AssertionError("available_memory consulted for a small graph")

    monkeypatch.setattr(val, "available_memory", boom)
    assert sw.watts_strogatz(1000, 10, 0.1, seed=0).nnz == 10_000


def test_the_memory_limit_is_what_refuses(monkeypatch):
    # 1e6 nodes, k=10: a lower bound of 8 MB + 80 MB; refused with 70 MiB, built with plenty
    monkeypatch.setattr(val, "available_memory", lambda: 70 * 2**20)
    with pytest.raises(ValueError, match=r"n=1000000 is too large for this machine.*only 0.1 GiB"):
        sw.ring_lattice(10**6, 10)
    monkeypatch.setattr(val, "available_memory", lambda: None)  # unknown: only MAX_NODES applies
    assert sw.ring_lattice(10**6, 10).nnz == 10**7


def test_read_refuses_a_huge_node_id_naming_file_and_line(tmp_path):
    path = tmp_path / "f.edgelist"
    path.write_text("0 1\n# a comment\n0 99999999999\n")
    with pytest.raises(ValueError, match=rf"^{path}:3: node id 99999999999 is too large: a graph has at most"):
        sw.read(path)
    path.write_text("0 99999999999\n")  # the vectorised path
    with pytest.raises(ValueError, match=rf"^{path}:1: node id 99999999999 is too large"):
        sw.read(path)
    path.write_text("# smallworld-edgelist rows=100000000000 cols=100000000000 directed=0 weighted=0\n0 1\n")
    with pytest.raises(ValueError, match=rf"^{path}: header rows=100000000000 is too large"):
        sw.read(path)


def test_read_refuses_a_graph_larger_than_the_memory(small_machine, tmp_path):
    path = tmp_path / "g.edgelist"
    path.write_text("0 2147483646\n")
    with pytest.raises(ValueError, match=rf"^{path}: n=2147483647 is too large for this machine"):
        sw.read(path)


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_cli_score_of_a_file_with_a_huge_id_is_one_line_exit_2(tmp_path, capsys):
    path = tmp_path / "f.edgelist"
    path.write_text("0 99999999999\n")
    assert main(["score", str(path)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"smallworld score: error: {path}:1: node id 99999999999 is too large")


def test_cli_generate_a_huge_graph_is_one_line_exit_2(tmp_path, capsys):
    out = tmp_path / "x.edgelist"
    rc = main(["generate", "watts_strogatz", "--n", "100000000000", "--k", "4", "--p", "0.1", "--out", str(out)])
    assert rc == 2 and not out.exists()
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("smallworld generate: error: --n 100000000000 is too large: a graph has at most MAX_NODES")


@pytest.mark.parametrize("exc", [
    MemoryError("Unable to allocate 745. GiB for an array with shape (100000000000,) and data type int64"),
    MemoryError(),
])
def test_cli_catches_a_memory_error_as_a_last_resort(tmp_path, capsys, monkeypatch, exc):
    path = tmp_path / "ok.edgelist"
    path.write_text("0 1\n")

    def oom(*args, **kwargs):
        raise exc

    monkeypatch.setattr(sw, "read", oom)
    assert main(["score", str(path)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("smallworld score: error: out of memory")
    assert line.endswith("the input or the requested graph is too large for this machine")
    if str(exc):
        assert "Unable to allocate 745. GiB" in line


def test_the_estimate_bounds_the_measured_peak_closely(monkeypatch):
    # watts_strogatz(5e6, 10): 463-466 MiB peak (tracemalloc); the estimate must hold it (an 8-byte-per-node
    # bound let as_graph([(0, 1)], n=2**31 - 1) pass and run out of memory) without turning away graphs
    # that fit (an earlier estimate was 1.6 GiB)
    est = val.BYTES_PER_NODE * 5e6 + val.BYTES_PER_ENTRY * 5e7
    assert 466 * 2**20 <= est < 1.1 * 466 * 2**20


def test_cgroup_page_cache_counts_as_room(monkeypatch, tmp_path):
    files = {
        "/sys/fs/cgroup/memory.max": 16 * 2**30,
        "/sys/fs/cgroup/memory.current": int(15.5 * 2**30),
    }
    monkeypatch.setattr(val, "_read_int", lambda path: None)
    host = val.available_memory()  # no cgroup: the host's MemAvailable
    monkeypatch.setattr(val, "_read_int", lambda path: files.get(path))
    monkeypatch.setattr(val, "_read_stat", lambda path, key: 12 * 2**30 if key == "inactive_file" else None)
    # 16 GiB limit - (15.5 GiB charged - 12 GiB reclaimable file cache) = 12.5 GiB, unless the host has less
    assert val.available_memory() == min(host, int(12.5 * 2**30))
    monkeypatch.setattr(val, "_read_stat", lambda path, key: None)
    assert val.available_memory() == min(host, int(0.5 * 2**30))


def test_spatial_refuses_a_density_that_rounds_to_no_edges_and_suggests_one_that_works():
    with pytest.raises(ValueError, match=r"density=0.001 gives round\(0.001 \* 45 node pairs\) = 0 edges for n=10; use density >= 0.0112"):
        sw.spatial(10, density=0.001, seed=0)
    assert sw.spatial(10, density=0.0112, seed=0).nnz == 2  # the suggestion itself works: one edge
    with pytest.raises(ValueError, match=r"mean_degree=0.05 gives .* = 0 edges for n=10; use mean_degree >= 0.1"):
        sw.spatial(10, mean_degree=0.05, seed=0)
    assert sw.spatial(10, mean_degree=0.1, seed=0).nnz == 2
