"""SparseLinear as a drop-in for nn.Linear (issue 11): state dicts and the dead-neuron warning."""

import warnings

import pytest
import torch
from torch import nn

import smallworld as sw
from nets import SparseLinear, SparseMLP


@pytest.mark.parametrize("sparse_storage", [False, True])
def test_load_linear_state_dict_strict(sparse_storage):
    lin = nn.Linear(6, 4)
    torch.manual_seed(0)
    mask = torch.rand(4, 6) < 0.5
    mask[:, 0] = True
    layer = SparseLinear(6, 4, mask, sparse_storage=sparse_storage, seed=1)
    B = layer.feedback_weight.clone()
    result = layer.load_state_dict(lin.state_dict(), strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert torch.equal(layer.weight.detach(), lin.weight.detach() * mask)  # pruned to the mask
    assert torch.equal(layer.bias.detach(), lin.bias.detach())
    assert torch.equal(layer.mask, mask) and torch.equal(layer.feedback_weight, B)
    assert set(lin.state_dict()) == {"weight", "bias"}  # the caller's dict is left alone


def test_dense_layer_round_trips_linear_state_dict():
    lin = nn.Linear(5, 3)
    layer = SparseLinear(5, 3, seed=0)  # no mask: a dense layer
    layer.load_state_dict(lin.state_dict())
    x = torch.randn(2, 5)
    assert torch.allclose(layer(x), lin(x))
    back = nn.Linear(5, 3)
    back.load_state_dict({k: v for k, v in layer.state_dict().items() if k in ("weight", "bias")})
    assert torch.equal(back.weight, lin.weight) and torch.equal(back.bias, lin.bias)


def test_linear_state_dict_inside_a_model_strict():
    dense = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    net = nn.Sequential(SparseLinear(4, 8, seed=0), nn.ReLU(), SparseLinear(8, 2, seed=0))
    net.load_state_dict(dense.state_dict(), strict=True)
    x = torch.randn(3, 4)
    assert torch.allclose(net(x), dense(x))


def test_no_warning_for_unread_inputs_only():
    m = torch.ones(4, 5, dtype=torch.bool)
    m[:, 4] = False  # one input reaches no output: normal for a sparse layer
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SparseLinear(5, 4, m, seed=0)
        SparseLinear(784, 256, sw.bipartite(784, 256, 0.05, degree="powerlaw_in", seed=0), seed=0)


def test_dead_outputs_still_warn_without_zero_counts():
    m = torch.ones(4, 5, dtype=torch.bool)
    m[2] = False
    with pytest.warns(UserWarning, match=r"1 output\(s\) with no inputs") as rec:
        SparseLinear(5, 4, m, seed=0)
    assert "0 " not in str(rec[0].message) and "input(s) connected" not in str(rec[0].message)


def test_readme_masks_build_without_warnings():
    import nets

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        masks = nets.layered_masks([64, 64, 64, 10], graph="ws", density=0.25, seed=0)
        SparseMLP([64, 64, 64, 10], masks, seed=0)


def test_layered_masks_default_readout_is_dense_like_the_cli():
    import nets

    sizes = [64, 64, 64, 10]
    dense_out = nets.layered_masks(sizes, "ws", 0.25, seed=0)
    sparse_out = nets.layered_masks(sizes, "ws", 0.25, sparse_output=True, seed=0)
    assert dense_out[-1].shape == (10, 64) and dense_out[-1].nnz == 640  # all-True readout
    assert sparse_out[-1].nnz < 640
    for a, b in zip(dense_out[:-1], sparse_out[:-1]):  # the hidden masks are the same draw either way
        assert (a != b).nnz == 0
