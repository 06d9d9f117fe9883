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
from nets import _dag
from nets.feedback import FeedbackLike, as_feedback
from nets.layers import SparseLinear
from nets.wiring import DAGWiring, _check_sizes, dag_wiring
from smallworld._validation import check_bool

__all__ = ["SparseMLP", "WiredNet", "default_n_blocks"]

_ENGINES = ("auto", "fused", "levels")

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

    Each neuron ``v`` of level ``l >= 1`` computes ``z_v = b_v + sum_{u -> v}
    W_uv h_u`` (plus ``x_v`` when ``v`` is an input neuron) and ``h_v =
    act(z_v)``; roots carry their input value (``h = z = x``; 0 for a root that
    is not an input); the outputs are the ``z`` of the output neurons.  The
    weights of level ``l`` live in one :class:`SparseLinear` (``layers[l - 1]``:
    its mask, storage, feedback matrix and ``state_dict`` keys).

    Execution: on CPU in float32/float64 with a built-in activation (relu,
    tanh, sigmoid, exact gelu, identity) the whole DAG runs as one autograd
    Function over two serial numba kernels, neuron by neuron in topological
    order (:mod:`nets._dag`): one call per step instead of a few per level.
    Anything else (another device or dtype, an arbitrary ``nn.Module``
    activation, autocast, :mod:`torch.func` transforms, FA with a dense ``B``)
    runs the levels one :class:`SparseLinear` at a time.  Both give the same
    outputs and gradients up to float rounding (tested to 1e-6 in float64).

    **Blocks** (the local-loss rules): the *hidden* neurons -- those with an
    incoming arc that are not outputs, listed in :attr:`hidden_neurons` -- are
    partitioned into blocks, each a run of whole topological levels.  Under
    pred/sim/predsim each block has its own local head on its neurons'
    activations and error flows only along arcs inside a block (arcs from other
    blocks act as detached inputs); the output neurons form their own group,
    trained by the output cross-entropy.  See :meth:`propagate` and
    :mod:`nets.rules`.

    Parameters
    ----------
    graph : graph-like or DAGWiring
        Anything :func:`smallworld.as_graph` accepts, or a ready
        :class:`~nets.wiring.DAGWiring` (then ``order``/``inputs``/``outputs``
        must be left out).
    inputs, outputs, order : keyword-only
        As for :func:`nets.dag_wiring`; ``x[:, k]`` drives ``inputs[k]`` and
        output ``k`` is ``outputs[k]``.
    blocks : None, int or sequence of int, keyword-only
        The blocks of the local-loss rules.  ``None``: the wiring's ``layers``
        when it has them (:func:`nets.layered_smallworld`: one block per hidden
        layer), else :func:`default_n_blocks` blocks.  An int ``K``: ``K``
        contiguous runs of whole levels holding about equal numbers of hidden
        neurons (``1 <= K <=`` the number of levels with hidden neurons).  A
        sequence: one id per neuron (``N`` ints, by neuron id; the entries of
        roots and outputs are ignored), hidden neurons' ids ``>= 0``, all
        hidden neurons of a level in one block (so the per-level path can cut
        gradients with one detach per level).
    activation, bias, backend, feedback, device, dtype, seed
        As for :class:`SparseMLP` (``seed`` also draws ``order="random"``).
    engine : {"auto", "fused", "levels"}, keyword-only
        ``"auto"``: the fused kernels where they apply (see above), the
        per-level path otherwise; ``"fused"``: the fused kernels or a
        ``ValueError`` saying why not; ``"levels"``: always the per-level path.

    Attributes
    ----------
    wiring : DAGWiring
    layers : nn.ModuleList of SparseLinear
        One per level ``1..depth``.
    act : nn.Module
    hidden_neurons : numpy.ndarray
        Ids of the hidden neurons in topological (position) order: the columns
        of the ``hidden`` activations :meth:`propagate` returns.
    blocks : numpy.ndarray
        ``(N,)`` block of each neuron, ``0..n_blocks-1`` in topological order
        of the blocks; ``-1`` for roots and outputs.
    n_blocks : int

    Warns
    -----
    UserWarning
        If some neurons have no incoming arc and are not inputs (they carry 0).

    Raises
    ------
    TypeError, ValueError
        Bad wiring arguments, ``blocks`` or ``engine`` (the message names the
        offending value, e.g. the level split across blocks).

    Examples
    --------
    >>> import networkx as nx
    >>> net = WiredNet(nx.cycle_graph(5), inputs=2, outputs=1, seed=0)
    >>> net(torch.ones(3, 2)).shape, net.wiring.depth
    (torch.Size([3, 1]), 4)
    >>> net.hidden_neurons.tolist(), net.blocks.tolist(), net.n_blocks
    ([1, 2, 3], [-1, 0, 0, 0, -1], 1)
    >>> logits, hidden = net.propagate(torch.ones(3, 2), cut="blocks", hidden=True)
    >>> tuple(hidden.shape)
    (3, 3)
    """

    def __init__(
        self,
        graph: Any,
        *,
        inputs: Any = None,
        outputs: Any = None,
        order: Any = None,
        blocks: Any = None,
        activation: Any = "relu",
        bias: bool = True,
        backend: str = "auto",
        feedback: FeedbackLike = "bp",
        device: Any = None,
        dtype: torch.dtype | None = None,
        seed: TorchSeedLike = None,
        engine: str = "auto",
    ) -> None:
        super().__init__()
        check_bool(bias, "bias")
        if not isinstance(engine, str) or engine not in _ENGINES:
            raise ValueError(f"engine must be one of {', '.join(map(repr, _ENGINES))}, got engine={engine!r}")
        self.engine = engine
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
        hidden = cat_order[(w.levels[cat_order] >= 1) & ~np.isin(cat_order, w.outputs)]
        self.hidden_neurons = hidden.astype(np.int64)
        self.blocks = _blocks(blocks, w, self.hidden_neurons)
        self.n_blocks = int(self.blocks.max()) + 1 if self.hidden_neurons.size else 0
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

    def _level_layers(self) -> tuple:
        return tuple(self.layers._modules.values())

    def block_columns(self) -> list[np.ndarray]:
        """For each block, the columns of :meth:`propagate`'s ``hidden`` that hold its neurons.

        Examples
        --------
        >>> import networkx as nx
        >>> net = WiredNet(nx.path_graph(6), inputs=1, outputs=1, blocks=2, seed=0)
        >>> [c.tolist() for c in net.block_columns()]
        [[0, 1], [2, 3]]
        """
        b = self.blocks[self.hidden_neurons]
        return [np.flatnonzero(b == k) for k in range(self.n_blocks)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.propagate(x)

    def propagate(self, x: torch.Tensor, *, cut: str = "none", hidden: bool = False) -> Any:
        """The forward pass with the gradient cuts of a learning rule.

        Parameters
        ----------
        x : torch.Tensor
            ``(batch, n_inputs)``.
        cut : {"none", "blocks", "all"}
            Which arcs carry error back (the forward values never change):
            ``"none"`` every arc (BP, FA, uSF, frSF: each level's feedback
            mode); ``"blocks"`` only arcs between two hidden neurons of the same
            block or between two output neurons (the local-loss rules);
            ``"all"`` none (DFA, the readout control).  The weight gradient of
            every arc is ``<dz_post, h_pre>`` whatever the cut.
        hidden : bool
            Also return the hidden activations ``(batch, len(hidden_neurons))``
            (columns in :attr:`hidden_neurons` order), differentiable: a
            gradient on them enters the backward at those neurons.

        Returns
        -------
        torch.Tensor or (torch.Tensor, torch.Tensor)
            The logits ``(batch, n_outputs)``, and the hidden activations if asked.
        """
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.n_inputs:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"input must be a (batch, {self.n_inputs}) tensor, got {shape}")
        if cut not in _dag.CUTS:
            raise ValueError(f"cut must be one of {', '.join(map(repr, _dag.CUTS))}, got cut={cut!r}")
        use = self.engine != "levels" and _dag.fused_ok(self, x)
        if self.engine == "fused" and not use:
            raise ValueError(
                "engine='fused' needs a CPU float32/float64 input matching the parameters' dtype, an activation "
                f"among relu/tanh/sigmoid/gelu(exact)/identity (got {type(self.act).__name__}), no autocast or "
                "torch.func transform, and no FA layer with a dense B; use engine='auto'"
            )
        fn = _dag.fused_forward if use else _dag.levels_forward
        out, hid = fn(self, x, cut, hidden)
        return (out, hid) if hidden else out

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


#: Hidden neurons per block aimed at by :func:`default_n_blocks`.
BLOCK_NEURONS = 64
#: Most blocks :func:`default_n_blocks` makes.
MAX_DEFAULT_BLOCKS = 4


def default_n_blocks(n_hidden: int, n_levels: int) -> int:
    """The default number of local-learning blocks of a DAG with ``n_hidden`` hidden
    neurons spread over ``n_levels`` levels.

    ``clip(n_hidden // BLOCK_NEURONS, 1, MAX_DEFAULT_BLOCKS)`` (and at most
    ``n_levels``): a block of about 64 neurons is as wide as a hidden layer of
    the demo's MLPs (64-64-64-10), wide enough for its linear local head to
    read a class out of, and four blocks mirror that MLP's depth -- more, thinner
    blocks would cut the error paths of a deep random DAG into pieces too
    short to learn features (Nøkland & Eidnes 2019 use one block per layer of
    hundreds of units).

    Examples
    --------
    >>> default_n_blocks(256, 30), default_n_blocks(40, 10), default_n_blocks(10_000, 80)
    (4, 1, 4)
    """
    if n_hidden <= 0 or n_levels <= 0:
        return 0
    return int(max(1, min(n_hidden // BLOCK_NEURONS, MAX_DEFAULT_BLOCKS, n_levels)))


def _blocks(spec: Any, w: DAGWiring, hidden: np.ndarray) -> np.ndarray:
    """Per-neuron block ids (see WiredNet's ``blocks``), renumbered 0.. in topological order."""
    n = w.n_neurons
    out = np.full(n, -1, dtype=np.int64)
    lv = w.levels[hidden]
    uniq_lv, first, counts = np.unique(lv, return_index=True, return_counts=True)
    m = uniq_lv.size
    if spec is None:
        layers = getattr(w, "layers", None)
        if layers is not None:
            spec = np.asarray(layers)
        else:
            spec = default_n_blocks(hidden.size, m)
            if spec == 0:
                return out
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, (bool, np.bool_)):
        if hidden.size == 0:
            raise ValueError(f"blocks={int(spec)} but the network has no hidden neurons to split into blocks")
        k = int(spec)
        if not 1 <= k <= m:
            raise ValueError(
                f"blocks must be between 1 and {m} (the number of levels holding hidden neurons: a block is a run "
                f"of whole levels), got blocks={k}"
            )
        cum = np.cumsum(counts)
        cuts, prev = [], 0
        for j in range(1, k):
            lo, hi = prev + 1, m - (k - j)  # cut after level index c - 1: c in [lo, hi]
            cand = np.arange(lo, hi + 1)
            c = int(cand[np.argmin(np.abs(cum[cand - 1] - j * hidden.size / k))])
            cuts.append(c)
            prev = c
        level_block = np.zeros(m, dtype=np.int64)
        for c in cuts:
            level_block[c:] += 1
        out[hidden] = level_block[np.searchsorted(uniq_lv, lv)]
        return out
    if isinstance(spec, (str, bytes)) or not isinstance(spec, (Sequence, np.ndarray, torch.Tensor)):
        raise TypeError(f"blocks must be None, an int or a sequence of per-neuron block ids, got {type(spec).__name__}")
    arr = np.asarray(spec.cpu() if isinstance(spec, torch.Tensor) else spec)
    if arr.ndim != 1 or arr.shape[0] != n or (arr.size and arr.dtype.kind not in "iu"):
        raise ValueError(f"blocks must hold one integer block id per neuron ({n}), got an array of shape {arr.shape} and dtype {arr.dtype}")
    ids = arr[hidden].astype(np.int64)
    if ids.size and ids.min() < 0:
        bad = int(hidden[np.argmin(ids)])
        raise ValueError(f"blocks must give every hidden neuron an id >= 0, got blocks[{bad}]={int(arr[bad])}")
    for j in range(m):
        seg = ids[first[j] : first[j] + counts[j]]
        if seg.size and (seg != seg[0]).any():
            other = int(seg[seg != seg[0]][0])
            raise ValueError(
                f"blocks must put all hidden neurons of a level in one block, but level {int(uniq_lv[j])} has "
                f"neurons in blocks {int(seg[0])} and {other}"
            )
    _, first_seen, inverse = np.unique(ids, return_index=True, return_inverse=True)
    rank = np.empty(first_seen.size, dtype=np.int64)
    rank[np.argsort(first_seen, kind="stable")] = np.arange(first_seen.size)
    out[hidden] = rank[inverse]
    return out
