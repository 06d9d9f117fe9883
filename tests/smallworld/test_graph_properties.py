"""Property-based round trips of the canonical graph type (hypothesis).

For random small graphs -- directed or not, weighted or not, with isolated
nodes -- every conversion out of the canonical CSR and back, and every file
format, must reproduce the adjacency exactly (pattern, weights and dtype).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smallworld as sw

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def graphs(draw):
    """A canonical adjacency: n in 1..25, random arcs, optional float weights."""
    n = draw(st.integers(1, 25))
    directed = draw(st.booleans())
    weighted = draw(st.booleans())
    m = draw(st.integers(0, 3 * n))
    u = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    v = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    keep = u != v  # no self-loops: networkx and PyG treat them alike, but keep the property simple
    u, v = u[keep], v[keep]
    if weighted:
        w = np.array(
            draw(st.lists(st.floats(0.25, 8.0, allow_nan=False), min_size=u.size, max_size=u.size)), dtype=float
        )
        w = np.round(w, 3) + 0.5  # never exactly 1 everywhere (that reads back as unweighted)
        A = sp.csr_array((w, (u, v)), shape=(n, n))
        A.sum_duplicates()
        if not directed:
            A = A.maximum(A.T)
    else:
        A = sp.csr_array((np.ones(u.size, dtype=bool), (u, v)), shape=(n, n))
        A.sum_duplicates()
        if not directed:
            A = (A + A.T).astype(bool)
    return sw.as_graph(A)


def _same(a: sp.csr_array, b: sp.csr_array) -> bool:
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data, b.data)
    )


@SETTINGS
@given(graphs())
def test_as_graph_is_idempotent_and_canonical(A):
    B = sw.as_graph(A)
    assert _same(A, B)
    assert A.has_sorted_indices and A.dtype in (np.bool_, np.float64)
    assert A.nnz == 0 or np.all(A.data != 0)


@SETTINGS
@given(graphs())
def test_networkx_round_trip_is_exact(A):
    G = sw.to_networkx(A)
    assert G.number_of_nodes() == A.shape[0]
    assert isinstance(G, nx.DiGraph) == sw.is_directed(A)
    assert _same(sw.as_graph(G), A)


@SETTINGS
@given(graphs())
def test_edge_index_round_trip_is_exact(A):
    ei, w = sw.to_edge_index(A, return_weight=True)
    assert ei.shape == (2, A.nnz)
    B = sw.as_graph(ei if w is None else list(zip(*ei.tolist(), w.tolist())), n=A.shape[0], directed=True)
    assert _same(B, A)


@SETTINGS
@given(graphs())
def test_torch_masks_carry_the_pattern(A):
    pattern = A.astype(bool)
    for layout in ("dense", "sparse_csr", "sparse_coo"):
        t = sw.to_torch_mask(A, layout=layout)
        dense = t.to_dense() if layout != "dense" else t
        assert np.array_equal(dense.numpy(), pattern.toarray())


@SETTINGS
@given(graphs(), st.sampled_from(["edgelist", "gml", "npz"]))
def test_file_round_trip_is_exact(A, fmt):
    suffix = {"edgelist": ".edgelist", "gml": ".gml", "npz": ".npz"}[fmt]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"g{suffix}"
        sw.write(A, path)
        B = sw.read(path)
    assert _same(B, A)
