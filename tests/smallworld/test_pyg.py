"""smallworld.to_pyg / from_pyg: a real, tested PyTorch Geometric integration (issue 11)."""

import numpy as np
import pytest
import torch

import smallworld as sw

pyg = pytest.importorskip("torch_geometric")
from torch_geometric.data import Data  # noqa: E402
from torch_geometric.utils import to_scipy_sparse_matrix  # noqa: E402


def test_to_pyg_undirected_matches_pyg_own_conversion():
    A = sw.watts_strogatz(50, 6, 0.2, seed=0)
    data = sw.to_pyg(A)
    assert isinstance(data, Data)
    assert data.num_nodes == 50 and data.num_edges == A.nnz == 50 * 6
    assert data.is_undirected() and data.edge_index.dtype == torch.long
    assert "edge_weight" not in data
    B = to_scipy_sparse_matrix(data.edge_index, num_nodes=data.num_nodes).tocsr()  # PyG's own reader
    assert ((B != 0) != A.astype(bool)).nnz == 0


def test_to_pyg_keeps_isolated_nodes_weights_and_features():
    A = sw.as_graph(np.array([[0, 2.5, 0], [0, 0, 0], [0, 0, 0]]), directed=True)
    x = torch.arange(6.0).reshape(3, 2)
    data = sw.to_pyg(A, x=x)
    assert data.num_nodes == 3 and data.edge_index.tolist() == [[0], [1]]
    assert data.edge_weight.tolist() == [2.5] and torch.equal(data.x, x)
    with pytest.raises(ValueError, match=r"x must have one row per node \(n=3\)"):
        sw.to_pyg(A, x=torch.zeros(2, 2))


@pytest.mark.parametrize("directed", [False, True])
def test_round_trip(directed):
    A = sw.barabasi_albert(40, 2, seed=1) if not directed else sw.datasets.celegans_directed()
    B = sw.from_pyg(sw.to_pyg(A))
    assert B.shape == A.shape and B.dtype == A.dtype and (B != A).nnz == 0
    assert sw.is_directed(B) is directed


def test_from_pyg_reads_a_pyg_built_graph():
    ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    A = sw.from_pyg(Data(edge_index=ei, num_nodes=4))  # node 3 isolated
    assert A.shape == (4, 4) and A.nnz == 4 and not sw.is_directed(A)
    assert (sw.as_graph(Data(edge_index=ei, num_nodes=4)) != A).nnz == 0  # as_graph takes Data as well


def test_from_pyg_refuses_other_types():
    with pytest.raises(TypeError, match="data must be a torch_geometric.data.Data, got Tensor"):
        sw.from_pyg(torch.zeros(2, 3, dtype=torch.long))
