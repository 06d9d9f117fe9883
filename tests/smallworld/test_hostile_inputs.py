"""Hostile inputs (issue 10): each case once gave a silent wrong number, a traceback or no limit.

Every case asserts the exception type and its message, or the exact right value.
"""

from __future__ import annotations

import warnings

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
        (torch.tensor([[0, 2**64 - 1], [1, 2]], dtype=torch.uint64), ValueError, "node 18446744073709551615.*too large"),
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
        ([(0, 2**63)], "node 9223372036854775808, which is too large"),
        ([(0, 2**31 - 1)], "node 2147483647, which is too large"),
        (np.array([[0.0, 1e30]]), "which is too large"),
        (np.array([[0, 2**64 - 1]], dtype=np.uint64), "node 18446744073709551615, which is too large"),
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
