"""Regression tests for defects found in review (one test per defect)."""

from __future__ import annotations

import pytest

import analysis
from analysis import ws_curve


def test_ws_curve_refuses_k2_instead_of_nan():
    # k=2: the ring lattice has no triangles, C(0) = 0, so C(p)/C(0) would be NaN.
    with pytest.raises(ValueError, match=r"k must be even and 4 <= k < n.*got k=2, n=30"):
        ws_curve(30, 2, [1e-4], seeds=1, seed=0)


def test_ws_curve_progress_checked_at_the_door():
    with pytest.raises(TypeError, match="progress must be None or a callable, got 3"):
        ws_curve(30, 4, [0.1], seeds=1, seed=0, progress=3)


def test_fit_power_law_refuses_a_graph_instead_of_fitting_its_node_ids():
    import networkx as nx

    from analysis import fit_power_law

    # np.asarray(nx.Graph) is the array of node ids 0..n-1: it was silently fitted as "degrees".
    with pytest.raises(TypeError, match=r"got a graph \(Graph\); pass its degree sequence"):
        fit_power_law(nx.karate_club_graph(), n_bootstrap=0)


def _bn_model():
    torch = pytest.importorskip("torch")

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = torch.nn.BatchNorm1d(3)
            self.lin = torch.nn.Linear(5, 2)

        def forward(self, x):
            return self.lin(self.bn(x))

    return M()


def test_neuron_graph_trace_leaves_batchnorm_statistics_alone():
    from analysis import neuron_graph

    m = _bn_model()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    neuron_graph(m, input_shape=(3, 5))
    after = m.state_dict()
    assert all(bool((before[k] == after[k]).all()) for k in before)  # num_batches_tracked was 0 -> 1
    assert m.training and m.bn.training


def test_neuron_graph_trace_works_with_batchnorm_after_linear():
    torch = pytest.importorskip("torch")
    from analysis import neuron_graph

    m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    # a batch of one in training mode made BatchNorm raise "Expected more than 1 value per channel"
    assert neuron_graph(m, input_shape=(3,)).layer_sizes == (3, 4, 2)
    assert m.training


@pytest.mark.parametrize(
    "input_shape, exc, match",
    [
        ((5,), ValueError, r"could not run the model .* input_shape=\(5,\)"),
        ((-3,), ValueError, r"input_shape must hold positive integers, got input_shape=\(-3,\)"),
        ("3", TypeError, "input_shape must be a sequence of positive integers"),
    ],
)
def test_neuron_graph_bad_input_shape(input_shape, exc, match):
    torch = pytest.importorskip("torch")
    from analysis import neuron_graph

    with pytest.raises(exc, match=match):
        neuron_graph(torch.nn.Sequential(torch.nn.Linear(3, 4)), input_shape=input_shape)


def test_sigma_checks_niter_also_with_analytic_null():
    import networkx as nx

    from analysis import sigma

    G = nx.connected_watts_strogatz_graph(40, 4, 0.1, seed=1)
    with pytest.raises(ValueError, match="niter must be an integer >= 0, got niter=-3"):
        sigma(G, niter=-3, null="analytic")
    with pytest.raises(TypeError, match="niter must be an integer"):
        sigma(G, niter=2.5, null="analytic")


@pytest.mark.parametrize("null", ["rewire", "analytic"])
def test_omega_undefined_message_names_no_clustering_argument(null):
    import networkx as nx

    from analysis import omega

    # a ring with k=2 has no triangles, so C_latt = 0; omega has no clustering= parameter to suggest
    with pytest.raises(ValueError, match=r"omega is undefined: the reference value C_latt = 0") as info:
        omega(nx.cycle_graph(12), niter=1, nrand=1, seed=0, null=null)
    assert "clustering=" not in str(info.value)


def test_plot_degree_ccdf_all_zero_series_is_a_clear_error(tmp_path):
    from analysis.plots import plot_degree_ccdf

    # matplotlib raised "Data cannot be log-scaled because all values are <= 0" at save time
    with pytest.raises(ValueError, match=r"degrees\['a'\] has no positive degree"):
        plot_degree_ccdf({"a": [0, 0, 0]}, tmp_path / "d.png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "max_cols, exc, match",
    [(0, ValueError, "max_cols must be an integer >= 1, got max_cols=0"), (2.5, TypeError, "max_cols must be an integer")],
)
def test_plot_masks_checks_max_cols(tmp_path, max_cols, exc, match):
    import numpy as np

    from analysis.plots import plot_masks

    # max_cols=0 failed inside matplotlib ("Number of columns must be a positive integer, not 0")
    with pytest.raises(exc, match=match):
        plot_masks({"a": [np.eye(3)]}, tmp_path / "m.png", max_cols=max_cols)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n_sources": -5}, ValueError, "n_sources must be an integer >= 2"),
        ({"n_sources": 2.5}, TypeError, "n_sources must be an integer"),
        ({"seed": "x"}, TypeError, "seed must be None, an int or a numpy.random.Generator"),
    ],
)
def test_average_path_length_checks_sampling_arguments_for_every_method(kwargs, exc, match):
    # method="exact" (the default) used to accept and ignore these
    with pytest.raises(exc, match=match):
        analysis.average_path_length([(0, 1), (1, 2)], **kwargs)
