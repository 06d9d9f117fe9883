"""Models built from masks and wirings: :class:`SparseMLP` and :class:`WiredNet`.

Both describe their own wiring through the neuron-graph protocol read by
:func:`analysis.neuron_graph` (without importing :mod:`analysis`): a method
``__neuron_graph__()`` returning ``{"adjacency", "layers", "inputs", "outputs"}``
where ``adjacency`` is an ``(N, N)`` scipy CSR array of the arcs pre -> post
that the model actually has (the nonzeros of its masks).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from nets._utils import TorchSeedLike, resolve_device, seed_int
from nets.feedback import FeedbackLike, as_feedback
from nets.layers import SparseLinear
from nets.wiring import DAGWiring, _check_sizes, dag_wiring
from smallworld._validation import check_bool

__all__ = ["SparseMLP", "WiredNet"]

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU, "identity": nn.Identity}


def _activation(activation: Any) -> nn.Module:
    if isinstance(activation, nn.Module):
        return activation
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            allowed = ", ".join(repr(a) for a in _ACTIVATIONS)
            raise ValueError(f"activation must be one of {allowed} or an nn.Module, got activation={activation!r}")
        return _ACTIVATIONS[activation]()
    raise TypeError(f"activation must be a str or an nn.Module, got {type(activation).__name__}")


def _layer_seeds(seed: TorchSeedLike, n: int) -> list[int]:
    base = seed_int(seed)
    return [int(s >> 2) for s in np.random.SeedSequence(base).generate_state(n, np.uint64)]


def _mask_coo(mask: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    idx = torch.nonzero(mask.detach().cpu(), as_tuple=True)
    return idx[0].numpy().astype(np.int64), idx[1].numpy().astype(np.int64)


class _FeedbackMixin:
    def set_feedback(self, mode: FeedbackLike, *, dense: bool = False, seed: TorchSeedLike = None) -> Any:
        """Switch every layer's feedback pathway (see :meth:`SparseLinear.set_feedback`); returns the model."""
        mode = as_feedback(mode, "mode")
        layers = list(self.layers)
        seeds = _layer_seeds(seed, len(layers)) if seed is not None else [None] * len(layers)
        for layer, s in zip(layers, seeds):
            layer.set_feedback(mode, dense=dense, seed=s)
        return self


class SparseMLP(_FeedbackMixin, nn.Module):
    """A multilayer perceptron of :class:`SparseLinear` layers.

    ``forward`` applies ``act`` after every layer but the last, which returns
    logits.

    Parameters
    ----------
    sizes : sequence of int
        Widths ``[n_in, h_1, ..., n_out]``.
    masks : None, "dense" or sequence
        ``None``/``"dense"``: dense layers; otherwise one mask per layer, each
        anything :class:`SparseLinear` accepts, of shape
        ``(sizes[l + 1], sizes[l])`` (e.g. from :func:`nets.layered_masks`).
    activation : {"relu", "tanh", "sigmoid", "gelu", "identity"} or nn.Module
    bias, backend, feedback, device, dtype
        Passed to every :class:`SparseLinear`.
    seed : None, int, numpy.random.Generator or torch.Generator
        One seed for the whole model (each layer gets its own derived seed).

    Attributes
    ----------
    layers : nn.ModuleList of SparseLinear
    act : nn.Module

    Shape
    -----
    - Input: ``(*, sizes[0])``; output ``(*, sizes[-1])``.

    Examples
    --------
    >>> from nets.wiring import layered_masks
    >>> net = SparseMLP([64, 32, 10], layered_masks([64, 32, 10], "er", 0.25, seed=0), seed=0)
    >>> net(torch.zeros(5, 64)).shape
    torch.Size([5, 10])
    >>> g = net.__neuron_graph__()
    >>> g["adjacency"].shape, g["adjacency"].nnz == sum(l.nnz for l in net.layers)
    ((106, 106), True)
    """

    def __init__(
        self,
        sizes: Sequence[int],
        masks: Any = None,
        *,
        activation: Any = "relu",
        bias: bool = True,
        backend: str = "auto",
        feedback: FeedbackLike = "bp",
        device: Any = None,
        dtype: torch.dtype | None = None,
        seed: TorchSeedLike = None,
    ) -> None:
        super().__init__()
        self.sizes = _check_sizes(sizes)
        n_layers = len(self.sizes) - 1
        if masks is None or (isinstance(masks, str) and masks == "dense"):
            masks = [None] * n_layers
        elif isinstance(masks, str):
            raise ValueError(f"masks must be None, 'dense' or a list of masks, got masks={masks!r}")
        elif not isinstance(masks, Sequence):
            raise TypeError(f"masks must be None, 'dense' or a sequence of masks, got {type(masks).__name__}")
        elif len(masks) != n_layers:
            raise ValueError(f"masks must hold one mask per layer ({n_layers} for sizes={self.sizes}), got {len(masks)}")
        self.act = _activation(activation)
        seeds = _layer_seeds(seed, n_layers)
        layers = []
        for i, (n_in, n_out, m, s) in enumerate(zip(self.sizes[:-1], self.sizes[1:], masks, seeds)):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                layers.append(SparseLinear(n_in, n_out, m, bias, backend, feedback, device=device, dtype=dtype, seed=s))
            for w in caught:  # say which layer, and point at the caller's line
                warnings.warn(f"layer {i} ({n_in} -> {n_out}): {w.message}", w.category, stacklevel=2)
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < last:
                x = self.act(x)
        return x

    def __neuron_graph__(self) -> dict:
        """Neurons numbered layer by layer (inputs first); arcs = mask nonzeros."""
        offsets = np.concatenate([[0], np.cumsum(self.sizes)])
        rows, cols = [], []
        for l, layer in enumerate(self.layers):
            r, c = _mask_coo(layer.mask)
            rows.append(c + offsets[l])  # pre: input j of layer l
            cols.append(r + offsets[l + 1])  # post: output i
        n = int(offsets[-1])
        src, dst = np.concatenate(rows), np.concatenate(cols)
        A = sp.csr_array((np.ones(src.size, dtype=bool), (src, dst)), shape=(n, n))
        A.sort_indices()
        layers = np.repeat(np.arange(len(self.sizes), dtype=np.int64), self.sizes)
        return {
            "adjacency": A,
            "layers": layers,
            "inputs": np.arange(self.sizes[0], dtype=np.int64),
            "outputs": np.arange(offsets[-2], offsets[-1], dtype=np.int64),
        }


class WiredNet(_FeedbackMixin, nn.Module):
    """A feed-forward network whose neuron graph is a given graph (see :func:`nets.dag_wiring`).

    Level ``l >= 1`` of the oriented graph runs as one :class:`SparseLinear`
    from the activations of the neurons feeding it to the neurons of the
    level; input neurons add their external value to their pre-activation
    (input neurons without incoming arcs simply carry it); the outputs are the
    pre-activations of the output neurons.

    Parameters
    ----------
    graph : graph-like or DAGWiring
        Anything :func:`smallworld.as_graph` accepts, or a ready
        :class:`~nets.wiring.DAGWiring` (then ``order``/``inputs``/``outputs``
        must be left out).
    inputs, outputs, order : keyword-only
        As for :func:`nets.dag_wiring`; ``x[:, k]`` drives ``inputs[k]`` and
        output ``k`` is ``outputs[k]``.
    activation, bias, backend, feedback, device, dtype, seed
        As for :class:`SparseMLP` (``seed`` also draws ``order="random"``).

    Attributes
    ----------
    wiring : DAGWiring
    layers : nn.ModuleList of SparseLinear
        One per level ``1..depth``.
    act : nn.Module

    Warns
    -----
    UserWarning
        If some neurons have no incoming arc and are not inputs (they carry 0).

    Examples
    --------
    >>> import networkx as nx
    >>> net = WiredNet(nx.cycle_graph(5), inputs=2, outputs=1, seed=0)
    >>> net(torch.ones(3, 2)).shape, net.wiring.depth
    (torch.Size([3, 1]), 4)
    """

    def __init__(
        self,
        graph: Any,
        *,
        inputs: Any = None,
        outputs: Any = None,
        order: Any = None,
        activation: Any = "relu",
        bias: bool = True,
        backend: str = "auto",
        feedback: FeedbackLike = "bp",
        device: Any = None,
        dtype: torch.dtype | None = None,
        seed: TorchSeedLike = None,
    ) -> None:
        super().__init__()
        check_bool(bias, "bias")
        if isinstance(graph, DAGWiring):
            if inputs is not None or outputs is not None or order is not None:
                raise ValueError("give order/inputs/outputs to dag_wiring, not to WiredNet, when graph is a DAGWiring")
            w = graph
        else:
            order_seed = np.random.default_rng(seed_int(seed)) if isinstance(order, str) else None
            w = dag_wiring(graph, order, inputs=inputs, outputs=outputs, seed=order_seed)
        self.wiring = w
        self.act = _activation(activation)
        dev = resolve_device(device)
        n = w.n_neurons
        dead = np.setdiff1d(w.level_nodes[0], w.inputs)
        if dead.size:
            warnings.warn(
                f"{dead.size} neuron(s) have no incoming arc and are not inputs; they carry 0 "
                f"(e.g. neuron {int(dead[0])})",
                UserWarning,
                stacklevel=2,
            )
        # positions of neurons in the running concatenation of level activations
        cat_order = np.concatenate(w.level_nodes)
        pos = np.empty(n, dtype=np.int64)
        pos[cat_order] = np.arange(n)
        input_slot = np.full(n, -1, dtype=np.int64)
        input_slot[w.inputs] = np.arange(w.inputs.size)
        seeds = _layer_seeds(seed, max(w.depth, 1))
        layers = []
        for lv in range(1, w.depth + 1):
            M = w.masks[lv - 1]
            layers.append(
                SparseLinear(M.shape[1], M.shape[0], M, bias, backend, feedback, device=dev, dtype=dtype, seed=seeds[lv - 1])
            )
            nodes = w.level_nodes[lv]
            self.register_buffer(f"_src{lv}", torch.as_tensor(pos[w.sources[lv - 1]], device=dev), persistent=False)
            drive = input_slot[nodes]
            self.register_buffer(f"_drv_rows{lv}", torch.as_tensor(np.flatnonzero(drive >= 0), device=dev), persistent=False)
            self.register_buffer(f"_drv_cols{lv}", torch.as_tensor(drive[drive >= 0], device=dev), persistent=False)
        self.layers = nn.ModuleList(layers)
        lv0 = input_slot[w.level_nodes[0]]
        self.register_buffer("_lv0_rows", torch.as_tensor(np.flatnonzero(lv0 >= 0), device=dev), persistent=False)
        self.register_buffer("_lv0_cols", torch.as_tensor(lv0[lv0 >= 0], device=dev), persistent=False)
        self.register_buffer("_out_pos", torch.as_tensor(pos[w.outputs], device=dev), persistent=False)
        self.n_inputs = int(w.inputs.size)
        self.n_outputs = int(w.outputs.size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.n_inputs:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"input must be a (batch, {self.n_inputs}) tensor, got {shape}")
        n0 = len(self.wiring.level_nodes[0])
        h0 = x.new_zeros((x.shape[0], n0))
        h0 = h0.index_copy(1, self._lv0_rows, x.index_select(1, self._lv0_cols))
        hs, zs = [h0], [h0]
        for lv, layer in enumerate(self.layers, start=1):
            h_all = torch.cat(hs, 1) if len(hs) > 1 else hs[0]
            z = layer(h_all.index_select(1, getattr(self, f"_src{lv}")))
            rows = getattr(self, f"_drv_rows{lv}")
            if rows.numel():
                z = z.index_add(1, rows, x.index_select(1, getattr(self, f"_drv_cols{lv}")))
            zs.append(z)
            hs.append(self.act(z))
        return torch.cat(zs, 1).index_select(1, self._out_pos)

    def __neuron_graph__(self) -> dict:
        """The graph's own neuron ids; arcs rebuilt from the layers' masks."""
        w = self.wiring
        src_all, dst_all = [], []
        for lv, layer in enumerate(self.layers, start=1):
            r, c = _mask_coo(layer.mask)
            src_all.append(w.sources[lv - 1][c])
            dst_all.append(w.level_nodes[lv][r])
        n = w.n_neurons
        src = np.concatenate(src_all) if src_all else np.empty(0, np.int64)
        dst = np.concatenate(dst_all) if dst_all else np.empty(0, np.int64)
        A = sp.csr_array((np.ones(src.size, dtype=bool), (src, dst)), shape=(n, n))
        A.sort_indices()
        return {"adjacency": A, "layers": w.levels.copy(), "inputs": w.inputs.copy(), "outputs": w.outputs.copy()}
