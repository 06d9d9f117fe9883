"""nets.layered_smallworld: layered wirings whose neuron graph has triangles and short paths."""

from __future__ import annotations

import numpy as np
import pytest

import analysis
from nets import WiredNet
from nets.layered import layer_pairs, layered_smallworld

DEMO_SIZES = [64, 128, 128, 10]
DEMO_BUDGET = 8832  # the dense 64-64-64-10 MLP's weights


def _slots(sizes, skip):
    return sum(sizes[a] * sizes[b] for a, b in layer_pairs(len(sizes), skip))


def _arcs(w):
    A = w.adjacency.tocoo()
    return np.asarray(A.row, np.int64), np.asarray(A.col, np.int64)


@pytest.mark.parametrize("sizes,density,skip", [([16, 32, 32, 4], 0.3, 2), ([10, 20, 30, 20, 5], 0.2, 3), ([8, 8], 0.5, 2)])
def test_exact_budget_levels_are_layers_and_every_neuron_reads_the_layer_before(sizes, density, skip):
    w = layered_smallworld(sizes, density, skip=skip, seed=1)
    assert w.adjacency.nnz == round(density * _slots(sizes, skip))
    assert w.depth == len(sizes) - 1
    np.testing.assert_array_equal(w.levels, w.layers)
    np.testing.assert_array_equal(w.layers, np.repeat(np.arange(len(sizes)), sizes))
    np.testing.assert_array_equal(w.inputs, np.arange(sizes[0]))
    np.testing.assert_array_equal(w.outputs, np.arange(sum(sizes) - sizes[-1], sum(sizes)))
    src, dst = _arcs(w)
    gap = w.layers[dst] - w.layers[src]
    assert gap.min() >= 1 and gap.max() <= skip  # only forward arcs, at most `skip` layers back
    for b in range(1, len(sizes)):
        targets = np.flatnonzero(w.layers == b)
        from_prev = np.bincount(dst[gap == 1], minlength=w.n_neurons)[targets]
        assert from_prev.min() >= 1


def test_pairs_share_the_budget_evenly_and_fan_in_differs_by_at_most_one():
    sizes, density = [20, 40, 40, 10], 0.25
    w = layered_smallworld(sizes, density, skip=2, p=0.3, seed=3)
    src, dst = _arcs(w)
    la, lb = w.layers[src], w.layers[dst]
    for a, b in layer_pairs(len(sizes), 2):
        sel = (la == a) & (lb == b)
        assert abs(sel.sum() - density * sizes[a] * sizes[b]) <= 1
        fan = np.bincount(dst[sel], minlength=w.n_neurons)[w.layers == b]
        assert fan.max() - fan.min() <= 1


def test_same_seed_same_wiring_and_p0_is_the_seed_free_lattice():
    a = layered_smallworld([16, 32, 32, 4], 0.3, seed=5)
    b = layered_smallworld([16, 32, 32, 4], 0.3, seed=5)
    assert (a.adjacency != b.adjacency).nnz == 0
    l0 = layered_smallworld([16, 32, 32, 4], 0.3, p=0.0, seed=1)
    l1 = layered_smallworld([16, 32, 32, 4], 0.3, p=0.0, seed=2)
    assert (l0.adjacency != l1.adjacency).nnz == 0
    c = layered_smallworld([16, 32, 32, 4], 0.3, p=0.5, seed=6)
    assert (a.adjacency != c.adjacency).nnz > 0


def test_lattice_reads_the_nearest_sources_on_the_ring():
    # p = 0: target j of a layer as wide as its source layer reads the k sources around position j
    w = layered_smallworld([12, 12], 3 / 12, p=0.0)
    src, dst = _arcs(w)
    for j in range(12):
        got = sorted(src[dst == 12 + j].tolist())
        assert got == sorted([(j - 1) % 12, j, (j + 1) % 12])


def _undirected(w):
    return analysis.neuron_graph(WiredNet(w, seed=0)).undirected()


def test_skip_arcs_make_triangles_a_plain_stack_has_none():
    plain = _undirected(layered_smallworld([16, 32, 32, 4], 0.3, skip=1, seed=0))
    skipped = _undirected(layered_smallworld([16, 32, 32, 4], 0.3, skip=2, seed=0))
    assert analysis.average_clustering(plain) == 0.0
    assert analysis.average_clustering(skipped) > 0.2


def test_demo_budget_is_small_world():
    density = DEMO_BUDGET / _slots(DEMO_SIZES, 2)
    w = layered_smallworld(DEMO_SIZES, density, seed=0)
    assert w.adjacency.nnz == DEMO_BUDGET
    g = _undirected(w)
    s = analysis.sigma(g, niter=5, nrand=3, seed=0, clustering="average", disconnected="lcc")
    assert s.value > 1.5
    # the shortcuts matter: without them the paths are longer
    lat = _undirected(layered_smallworld(DEMO_SIZES, density, p=0.0, seed=0))
    assert analysis.average_path_length(g) < analysis.average_path_length(lat)


def test_too_small_density_names_one_that_works():
    with pytest.raises(ValueError, match=r"density=0\.01 is too small .* use density >= ([0-9.]+)") as err:
        layered_smallworld([16, 32, 32, 4], 0.01, seed=0)
    suggested = float(err.value.args[0].rsplit(">= ", 1)[1])
    layered_smallworld([16, 32, 32, 4], suggested, seed=0)  # the suggestion itself works


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"density": 0.0}, ValueError, "density"),
        ({"density": 1.5}, ValueError, "density"),
        ({"skip": 0}, ValueError, "skip"),
        ({"skip": 1.5}, TypeError, "skip"),
        ({"p": -0.1}, ValueError, "p"),
        ({"sizes": [16]}, ValueError, "sizes"),
        ({"sizes": [16, 0, 4]}, ValueError, "sizes"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    args = {"sizes": [16, 32, 4], "density": 0.3, **kwargs}
    with pytest.raises(exc, match=match):
        layered_smallworld(args.pop("sizes"), args.pop("density"), **args)
