"""Regression tests for defects found in review (one test per defect)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import smallworld as sw


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: np.eye(3, k=1), id="numpy"),
        pytest.param(lambda: sp.csr_array(np.eye(3, k=1)), id="scipy"),
        pytest.param(lambda: nx.path_graph(3), id="networkx"),
    ],
)
def test_as_graph_refuses_an_n_it_would_ignore(make):
    # n=5 on a 3-node adjacency was silently ignored (a 3x3 result, no isolated nodes added)
    with pytest.raises(ValueError, match=r"n=5 does not match the graph's 3 nodes"):
        sw.as_graph(make(), n=5)
    assert sw.as_graph(make(), n=3).shape == (3, 3)
