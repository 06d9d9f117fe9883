"""Hostile inputs for analysis (issue 10): models the neuron graph would misdescribe, and meta models."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from analysis import neuron_graph, relational_graph


class Parallel(nn.Module):
    """Two Linear layers side by side: a(x) + b(x)."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(3, 3), nn.Linear(3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.a(x) + self.b(x)


class Skip(nn.Module):
    """A residual connection around the first layer."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(3, 3), nn.Linear(3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.relu(self.a(x)) + x)


class OutputSkip(nn.Module):
    """The output adds the first layer's output to the last layer's."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(3, 3), nn.Linear(3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.a(x)
        return self.b(h) + h


class Ignores(nn.Module):
    """The second layer reads the input, not the first layer's output."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(3, 3), nn.Linear(3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.a(x)
        return self.b(x)


@pytest.mark.parametrize(
    "model, match",
    [
        (Parallel(), "layer 'b' is computed from the model's input, not from layer 'a' alone; it is not a chain"),
        (Skip(), "layer 'b' is computed from layer 'a' and the model's input, not from layer 'a' alone"),
        (OutputSkip(), "the model's output is computed from layer 'a' and layer 'b', not from its last layer 'b'"),
        (Ignores(), "layer 'b' is computed from the model's input, not from layer 'a' alone"),
    ],
)
@pytest.mark.parametrize("input_shape", [None, (3,)])
def test_models_that_are_not_chains_are_refused(model, match, input_shape):
    with pytest.raises(ValueError, match=match):
        neuron_graph(model, input_shape=input_shape)


def test_relational_graph_of_parallel_layers_is_refused():
    with pytest.raises(ValueError, match="could not read the layers of Parallel in order.*not a chain"):
        relational_graph(Parallel())


def test_chains_with_normalisation_and_activations_still_read():
    m = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 2))
    assert neuron_graph(m).layer_sizes == (3, 4, 2)


def test_meta_model_says_what_is_wrong():
    with torch.device("meta"):
        m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    with pytest.raises(ValueError, match=r"Sequential is on the meta device \('0.weight' has a shape but no values\)"):
        neuron_graph(m)


def test_model_whose_forward_needs_another_shape_asks_for_input_shape():
    class Image(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(x.reshape(x.shape[0], 2, 2).flatten(1))

    assert neuron_graph(Image(), input_shape=(2, 2)).layer_sizes == (4, 2)
    assert neuron_graph(Image()).layer_sizes == (4, 2)
