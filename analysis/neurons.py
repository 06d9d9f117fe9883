"""Neural networks as graphs: the neuron graph and the relational graph.

:func:`neuron_graph` turns a feed-forward torch model into a directed graph
of neurons: one node per input unit and per output unit of every Linear-like
layer, one arc ``pre -> post`` per connection present.  What counts as a
connection:

- ``torch.nn.Linear``: ``weight[o, i] != 0`` (or, after
  ``torch.nn.utils.prune``, the ``weight_mask`` buffer);
- a *masked* layer, any module with a 2-D tensor ``mask`` of shape
  ``(out_features, in_features)`` (e.g. ``nets.SparseLinear``): ``mask[o, i]``,
  regardless of the weight's value (a trained weight may be exactly zero on a
  wired connection);
- a model implementing the **neuron-graph protocol** (below), which
  describes its own wiring.

Modules without weights of their own (activations, dropout, flatten) and
element-wise normalisations are skipped: they do not connect neurons.
Convolutions, recurrent layers, embeddings and attention raise ``TypeError``.

Neuron-graph protocol
---------------------
Any object may define a method ``__neuron_graph__(self) -> dict`` returning::

    {
        "adjacency": scipy.sparse array or matrix, shape (N, N),
                     entry [i, j] != 0 for the arc i -> j (pre -> post),
        "layers":    int array of shape (N,), the layer of every neuron
                     (0 = input layer),
        "inputs":    int array, ids of the input neurons,
        "outputs":   int array, ids of the output neurons,
    }

:func:`neuron_graph` calls it in preference to inspecting the modules, so a
model with a wiring that module order cannot express (skip connections,
a wiring graph mapped onto a network) reports it exactly.  Implementing the
protocol needs no import of :mod:`analysis`.

:func:`relational_graph` gives the view of You et al. (2020): for a stack of
equal-width square layers, node ``i`` is channel ``i`` and the graph joins
channels that exchange messages.

References
----------
.. [1] J. You, J. Leskovec, K. He and S. Xie, "Graph Structure of Neural
   Networks", ICML 2020, arXiv:2007.06559. :doi:`10.48550/arXiv.2007.06559`
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from smallworld._csr import csr_from_edges
from smallworld._graph import as_graph
from smallworld._validation import check_choice

__all__ = ["NeuronGraph", "neuron_graph", "relational_graph"]

_UNSUPPORTED = ("Conv", "RNN", "LSTM", "GRU", "Embedding", "MultiheadAttention", "Transformer", "Bilinear")
_SUPPORTED_TEXT = (
    "neuron_graph supports torch.nn.Linear, masked Linear-like layers exposing a 'mask' buffer of "
    "shape (out_features, in_features), and models implementing __neuron_graph__()"
)


@dataclass(frozen=True)
class NeuronGraph:
    """A network's neurons and connections as a directed graph.

    Attributes
    ----------
    adjacency : scipy.sparse.csr_array of bool, shape (N, N)
        ``adjacency[i, j]`` is true for the arc ``i -> j`` (pre -> post).
    layers : numpy.ndarray of int64, shape (N,)
        Layer of every neuron; 0 is the input layer.
    inputs, outputs : numpy.ndarray of int64
        Ids of the input and output neurons.
    """

    adjacency: sp.csr_array
    layers: np.ndarray
    inputs: np.ndarray
    outputs: np.ndarray

    @property
    def n_neurons(self) -> int:
        """Number of neurons ``N``."""
        return int(self.adjacency.shape[0])

    @property
    def n_arcs(self) -> int:
        """Number of connections (arcs)."""
        return int(self.adjacency.nnz)

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """Neurons per layer, input layer first."""
        return tuple(int(v) for v in np.bincount(self.layers))

    def undirected(self) -> sp.csr_array:
        """The symmetric (undirected) adjacency: ``i -- j`` if either arc exists."""
        return as_graph(self.adjacency, directed=False)

    def __repr__(self) -> str:
        return f"NeuronGraph(n_neurons={self.n_neurons}, n_arcs={self.n_arcs}, layer_sizes={self.layer_sizes})"


def _int_ids(x: Any, name: str, n: int) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype == bool or a.dtype.kind not in "iu":
        raise TypeError(f"__neuron_graph__()['{name}'] must be an integer array, got dtype {a.dtype}")
    a = a.astype(np.int64).ravel()
    if a.size and (a.min() < 0 or a.max() >= n):
        raise ValueError(f"__neuron_graph__()['{name}'] holds ids outside 0..{n - 1}")
    return a


def _from_protocol(model: Any) -> NeuronGraph:
    d = model.__neuron_graph__()
    if not isinstance(d, dict):
        raise TypeError(f"__neuron_graph__() must return a dict, got {type(d).__name__}")
    missing = {"adjacency", "layers", "inputs", "outputs"} - set(d)
    if missing:
        raise ValueError(f"__neuron_graph__() result lacks keys {sorted(missing)}")
    if not sp.issparse(d["adjacency"]):
        raise TypeError(f"__neuron_graph__()['adjacency'] must be a scipy sparse array, got {type(d['adjacency']).__name__}")
    A = as_graph(d["adjacency"]).astype(bool)
    n = A.shape[0]
    layers = _int_ids(d["layers"], "layers", np.iinfo(np.int64).max)
    if layers.shape != (n,):
        raise ValueError(f"__neuron_graph__()['layers'] must have shape ({n},), got {layers.shape}")
    return NeuronGraph(A, layers, _int_ids(d["inputs"], "inputs", n), _int_ids(d["outputs"], "outputs", n))


def _structure(m: Any) -> Any:
    """The (out, in) connection pattern of a Linear-like module, or None if not Linear-like."""
    import torch

    mask = getattr(m, "mask", None)
    if isinstance(mask, torch.Tensor) and mask.dim() == 2:
        w = getattr(m, "weight", None)
        if isinstance(w, torch.Tensor) and tuple(w.shape) != tuple(mask.shape):
            raise ValueError(
                f"{type(m).__name__}.mask must have the weight's shape (out_features, in_features)="
                f"{tuple(w.shape)}, got {tuple(mask.shape)}"
            )
        return mask.detach() != 0
    if isinstance(m, torch.nn.Linear):
        if isinstance(m.weight, torch.nn.parameter.UninitializedParameter):
            raise ValueError(f"{type(m).__name__} is not initialised yet; run one forward pass first")
        wm = getattr(m, "weight_mask", None)
        if isinstance(wm, torch.Tensor) and wm.shape == m.weight.shape:
            return wm.detach() != 0
        return m.weight.detach() != 0
    return None


def _linear_layers(model: Any, input_shape: Sequence[int] | None) -> list[Any]:
    import torch

    found = []
    skip: set[int] = set()
    for name, m in model.named_modules():
        if any(name.startswith(p) for p in skip if p):
            continue
        kind = type(m).__name__
        s = _structure(m)
        if s is not None:
            found.append(m)
            skip.add(name + ".")
            continue
        if any(kind.startswith(u) or u in kind for u in _UNSUPPORTED):
            raise TypeError(f"{_SUPPORTED_TEXT}; got a {kind} layer at {name or '<model>'!r}")
        own = [p for p in m.parameters(recurse=False) if p.dim() >= 2]
        if own:
            raise TypeError(f"{_SUPPORTED_TEXT}; {kind} at {name or '<model>'!r} has weights of another kind")
    if not found:
        raise TypeError(f"{_SUPPORTED_TEXT}; {type(model).__name__} has no Linear-like layer")
    names = {id(m): n for n, m in model.named_modules()}
    if input_shape is not None:
        if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__iter__"):
            raise TypeError(f"input_shape must be a sequence of positive integers, got {input_shape!r}")
        shape = tuple(input_shape)
        if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0 for v in shape):
            raise ValueError(f"input_shape must hold positive integers, got input_shape={shape!r}")
        shape = tuple(int(v) for v in shape)
        order = _trace_chain(model, found, shape, names, guessed=False)
        return [found[k] for k in order]
    # registration order; its sizes must chain before a forward pass can tell more
    pats = [_structure(m) for m in found]
    for k in range(1, len(pats)):
        if pats[k].shape[1] != pats[k - 1].shape[0]:
            raise ValueError(
                f"layers do not chain: layer {k - 1} has {pats[k - 1].shape[0]} outputs but layer {k} has "
                f"{pats[k].shape[1]} inputs; neuron_graph needs Linear-like layers that run in order "
                "(pass input_shape to take the order of a forward pass, or implement __neuron_graph__)"
            )
    order = _trace_chain(model, found, (int(pats[0].shape[1]),), names, guessed=True)
    return [found[k] for k in order]


def _check_not_meta(model: Any) -> None:
    for name, t in [*model.named_parameters(), *model.named_buffers()]:
        if t.device.type == "meta":
            raise ValueError(
                f"{type(model).__name__} is on the meta device ({name!r} has a shape but no values), so it has "
                "no connections to read; materialise it first (model.to_empty(device='cpu'), then load its weights)"
            )


def _trace_chain(model: Any, found: list[Any], shape: tuple[int, ...], names: dict[int, str], guessed: bool) -> list[int]:
    """Run the model once on zeros and follow the data: the order the layers run in, checked to be a chain.

    Each layer's input must be computed from the previous layer's output alone (the first
    layer's from the model's input alone), and the model's output from the last layer's
    alone; the autograd graph of the forward pass tells which layer outputs (or the input)
    each tensor was computed from.  Parallel branches (``a(x) + b(x)``), skip connections
    and merges are refused with what was seen: a chain would misdescribe them.
    """
    import torch

    ids = {id(m): k for k, m in enumerate(found)}
    label = [repr(names.get(id(m)) or type(m).__name__) for m in found]
    order: list[int] = []
    feeds: list[tuple[int, set]] = []
    out_fn: dict[Any, int] = {}
    p = next(iter(model.parameters()), None)
    dtype = p.dtype if p is not None and p.dtype.is_floating_point else torch.get_default_dtype()
    x = torch.zeros((1, *shape), dtype=dtype, device=p.device if p is not None else None, requires_grad=True)

    def sources(t: Any) -> set:
        if not isinstance(t, torch.Tensor):
            return set()
        if t is x:
            return {"input"}
        found_src: set = set()
        seen: set = set()
        stack = [t.grad_fn] if t.grad_fn is not None else []
        while stack:
            fn = stack.pop()
            if fn is None or fn in seen:
                continue
            seen.add(fn)
            if fn in out_fn:
                found_src.add(out_fn[fn])
                continue
            if getattr(fn, "variable", None) is x:
                found_src.add("input")
                continue
            stack.extend(f for f, _ in fn.next_functions)
        return found_src

    def pre(mod: Any, args: tuple) -> None:
        feeds.append((ids[id(mod)], sources(args[0] if args else None)))

    def post(mod: Any, args: tuple, out: Any) -> None:
        order.append(ids[id(mod)])
        if isinstance(out, torch.Tensor) and out.grad_fn is not None:
            out_fn[out.grad_fn] = ids[id(mod)]

    hooks = [m.register_forward_pre_hook(pre) for m in found] + [m.register_forward_hook(post) for m in found]
    # eval mode for the trace: no BatchNorm statistics updated, no dropout draw; restored after
    modes = [(mod, mod.training) for mod in model.modules()]
    model.eval()
    how = "the in_features of its first layer" if guessed else "as given"
    try:
        with torch.enable_grad():
            try:
                out = model(x)
            except (RuntimeError, ValueError, TypeError, NotImplementedError) as exc:
                hint = "; pass input_shape= (the shape of one sample)" if guessed else ""
                raise ValueError(
                    f"neuron_graph could not run the model on zeros of shape {(1, *shape)} with input_shape={shape} "
                    f"({how}), which it does to check that the Linear-like layers form a chain: {exc}{hint}"
                ) from exc
    finally:
        for h in hooks:
            h.remove()
        for mod, mode in modes:
            mod.training = mode
    if sorted(order) != list(range(len(found))):
        raise ValueError(
            "neuron_graph needs every Linear-like layer to run exactly once in a forward pass; "
            f"saw call order {order} for {len(found)} layers"
        )

    def said(src: set) -> str:
        parts = ["the model's input" if s == "input" else f"layer {label[s]}" for s in sorted(src, key=str)]
        return " and ".join(parts) if parts else "nothing the trace could follow (a constant or a detached tensor)"

    why = (
        "; it is not a chain of layers, so a layered neuron graph would misdescribe it (implement "
        "__neuron_graph__ to describe its wiring)"
    )
    for j, (k, src) in enumerate(feeds):
        want = {"input"} if j == 0 else {feeds[j - 1][0]}
        if src != want:
            raise ValueError(f"layer {label[k]} is computed from {said(src)}, not from {said(want)} alone{why}")
    final = out if isinstance(out, torch.Tensor) else next(
        (o for o in (out.values() if isinstance(out, dict) else out if isinstance(out, (list, tuple)) else ())
         if isinstance(o, torch.Tensor)), None)  # fmt: skip
    if final is not None and sources(final) != {order[-1]}:
        raise ValueError(f"the model's output is computed from {said(sources(final))}, not from its last layer "
                         f"{label[order[-1]]} alone{why}")
    return order


def neuron_graph(model: Any, *, input_shape: Sequence[int] | None = None) -> NeuronGraph:
    """The directed graph of a network's neurons (inputs, hidden, outputs).

    Parameters
    ----------
    model : torch.nn.Module or object with ``__neuron_graph__``
        A model whose Linear-like layers run one after another (e.g. a
        ``torch.nn.Sequential``), or any object implementing the neuron-graph
        protocol of this module.
    input_shape : sequence of int, optional
        Shape of one input sample (without the batch dimension).  If given,
        the layer order is taken from a forward pass on zeros (in eval mode,
        so BatchNorm statistics are left untouched; the training flags are
        restored) instead of the modules' registration order.  Without it the
        forward pass that checks the chain uses ``(in_features,)`` of the
        first registered layer.

    Returns
    -------
    NeuronGraph
        ``N = in_features + sum(out_features)`` neurons; the arc ``i -> j``
        exists where layer ``l`` connects its input ``i`` to its output ``j``.

    Raises
    ------
    TypeError
        For convolutions, recurrent layers, embeddings, attention or other
        weighted layers that are not Linear-like, or a model with no
        Linear-like layer.
    ValueError
        If consecutive layers do not chain (``out_features`` of one differs
        from ``in_features`` of the next), a protocol result is malformed, or
        ``input_shape`` is not positive integers or does not fit the model.
        Also if the layers do not *run* as a chain: the model is run once on
        zeros (shape ``(1, *input_shape)``, or ``(1, in_features)`` of the
        first layer) and every layer's input must be computed from the
        previous layer's output alone, the model's output from the last
        layer's; parallel branches (``a(x) + b(x)``), skip connections and
        merges are refused with what the trace saw.  And for a model on the
        meta device (shapes without values).

    Examples
    --------
    >>> import torch
    >>> from analysis import neuron_graph
    >>> g = neuron_graph(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)))
    >>> g.n_neurons, g.n_arcs, g.layer_sizes
    (9, 20, (3, 4, 2))
    """
    if hasattr(model, "__neuron_graph__"):
        return _from_protocol(model)
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{_SUPPORTED_TEXT}; got {type(model).__name__}")
    _check_not_meta(model)
    layers = _linear_layers(model, input_shape)
    pats = [_structure(m).cpu().numpy() for m in layers]
    for k in range(1, len(pats)):
        if pats[k].shape[1] != pats[k - 1].shape[0]:
            raise ValueError(
                f"layers do not chain: layer {k - 1} has {pats[k - 1].shape[0]} outputs but layer {k} has "
                f"{pats[k].shape[1]} inputs; neuron_graph needs Linear-like layers that run in order "
                "(or a model implementing __neuron_graph__)"
            )
    sizes = [pats[0].shape[1]] + [p.shape[0] for p in pats]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    n = int(offsets[-1])
    rows, cols = [], []
    for k, p in enumerate(pats):
        o, i = np.nonzero(p)
        rows.append(i.astype(np.int64) + offsets[k])
        cols.append(o.astype(np.int64) + offsets[k + 1])
    A = csr_from_edges(np.concatenate(rows), np.concatenate(cols), n, symmetric=False)
    layer_of = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    return NeuronGraph(
        A, layer_of, np.arange(offsets[0], offsets[1], dtype=np.int64),
        np.arange(offsets[-2], offsets[-1], dtype=np.int64),
    )


def _is_model(x: Any) -> bool:
    """A torch module, a NeuronGraph or an object implementing the neuron-graph protocol."""
    if isinstance(x, NeuronGraph) or hasattr(x, "__neuron_graph__"):
        return True
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.nn.Module)


def _model_patterns(x: Any, input_shape: Sequence[int] | None) -> list[np.ndarray]:
    """The square (out, in) connection patterns between consecutive layers of a model's neuron graph."""
    name = "the NeuronGraph" if isinstance(x, NeuronGraph) else type(x).__name__
    if isinstance(x, NeuronGraph):
        ng = x
    else:
        try:
            ng = neuron_graph(x, input_shape=input_shape)
        except ValueError as exc:
            raise ValueError(f"relational_graph could not read the layers of {name} in order: {exc}") from exc
    layer = ng.layers
    A = ng.adjacency.tocoo()
    src, dst = A.row.astype(np.int64), A.col.astype(np.int64)
    off = layer[dst] != layer[src] + 1
    if off.any():
        i, j = int(src[off][0]), int(dst[off][0])
        raise ValueError(
            f"relational_graph needs connections only from one layer to the next; {name} has {int(off.sum())} "
            f"that skip or go back (e.g. neuron {i} in layer {int(layer[i])} -> neuron {j} in layer "
            f"{int(layer[j])})"
        )
    # channel index of every neuron: its rank among the neurons of its layer (by id)
    order = np.argsort(layer, kind="stable")
    sizes = np.bincount(layer)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pos = np.empty(layer.size, dtype=np.int64)
    pos[order] = np.arange(layer.size) - np.repeat(starts, sizes)
    mats = []
    for l in range(sizes.size - 1):
        if sizes[l] == sizes[l + 1] and sizes[l] > 0:
            pick = layer[src] == l
            a = np.zeros((int(sizes[l + 1]), int(sizes[l])), dtype=bool)
            a[pos[dst[pick]], pos[src[pick]]] = True
            mats.append(a)
    if not mats:
        raise ValueError(
            f"relational_graph needs square (n x n) layers, i.e. two consecutive layers of equal width; "
            f"{name} has layer widths {tuple(int(v) for v in sizes)}"
        )
    if len({a.shape for a in mats}) != 1:
        raise ValueError(
            f"relational_graph needs its square layers to have one width; {name} has square layers of widths "
            f"{[a.shape[0] for a in mats]} (layer widths {tuple(int(v) for v in sizes)})"
        )
    return mats


def _square_patterns(x: Any, input_shape: Sequence[int] | None) -> list[np.ndarray]:
    if _is_model(x):
        return _model_patterns(x, input_shape)
    if input_shape is not None:
        raise ValueError("input_shape is only used when relational_graph is given a model")
    is_3d = (isinstance(x, np.ndarray) or type(x).__module__.split(".")[0] == "torch") and getattr(x, "ndim", 0) == 3
    if isinstance(x, np.ndarray) and x.ndim == 2 or sp.issparse(x):
        mats = [x]
    elif is_3d or isinstance(x, (list, tuple)):
        mats = list(x)
    else:
        mats = [x]
    out = []
    for k, m in enumerate(mats):
        if type(m).__module__.split(".")[0] == "torch" and hasattr(m, "detach"):
            m = m.detach().cpu().numpy()
        a = m.toarray() if sp.issparse(m) else np.asarray(m)
        if a.dtype == object:
            raise TypeError(
                f"relational_graph takes a torch model, a mask or a sequence of masks; got "
                f"{type(m).__name__}" + (f" as layer {k}" if len(mats) > 1 else "")
            )
        if a.ndim != 2 or a.shape[0] != a.shape[1]:
            raise ValueError(f"relational_graph needs square n x n masks, got shape {a.shape} for layer {k}")
        if a.dtype.kind not in "biuf":
            raise TypeError(f"relational_graph masks must be numeric or boolean, got dtype {a.dtype}")
        out.append(a != 0)
    if not out:
        raise ValueError("relational_graph needs at least one mask, got an empty sequence")
    if len({a.shape for a in out}) != 1:
        raise ValueError(f"relational_graph needs layers of one width, got shapes {sorted({a.shape for a in out})}")
    return out


def relational_graph(x: Any, *, rule: str = "any", input_shape: Sequence[int] | None = None) -> sp.csr_array:
    """The relational graph of a stack of equal-width layers (You et al. 2020).

    Node ``i`` is channel ``i``; channels ``i`` and ``j`` are joined if the
    connection ``i -> j`` or ``j -> i`` is present in the layers (``rule``).
    Self-connections (``i -> i``, which every layer of You et al. has) are
    dropped.

    Parameters
    ----------
    x : torch.nn.Module, NeuronGraph, object with ``__neuron_graph__``, array-like of shape (n, n), or sequence of them
        A model, one mask, or a sequence / 3-D array of masks, each
        ``(out, in) = (n, n)``.  A model is read exactly as
        :func:`neuron_graph` reads it (any ``nn.Module`` whose Linear-like
        layers run one after another, user-defined subclasses included, or
        a model implementing the neuron-graph protocol such as
        ``nets.SparseMLP``); its square layers, those between two
        consecutive layers of equal width, are used, and input and output
        projections of other widths are ignored (as in You et al., where the
        relational graph governs the hidden rounds).  Channel ``i`` of a
        layer is its ``i``-th neuron in id order.
    rule : {"any", "majority"}
        ``"any"``: an edge if some layer has the connection (either
        direction); ``"majority"``: if more than half of the layers do.
    input_shape : sequence of int, optional
        For a model only: passed to :func:`neuron_graph`, which then takes
        the layer order from a forward pass instead of the registration
        order.

    Returns
    -------
    scipy.sparse.csr_array of bool, shape (n, n)
        Symmetric adjacency without self-loops.

    Raises
    ------
    TypeError
        For masks that are not numeric or boolean, or an object that is
        neither a model nor a mask; for a model, as :func:`neuron_graph`
        (e.g. convolutional layers).
    ValueError
        For non-square masks, masks of different widths, an unknown
        ``rule``; for a model whose layers cannot be read in order (they do
        not chain), that has no two consecutive layers of equal width, whose
        square layers differ in width, or whose connections skip layers.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis import relational_graph
    >>> m = np.eye(4, dtype=bool) | np.eye(4, k=1, dtype=bool)   # channel i feeds i and i+1
    >>> relational_graph(m).nnz   # path 0-1-2-3, both directions
    6
    >>> import torch
    >>> class Net(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.a, self.b = torch.nn.Linear(5, 5), torch.nn.Linear(5, 5)
    ...     def forward(self, x):
    ...         return self.b(torch.relu(self.a(x)))
    >>> relational_graph(Net()).nnz   # dense square layers: the complete graph K5
    20
    """
    check_choice(rule, "rule", ("any", "majority"))
    pats = _square_patterns(x, input_shape)
    votes = np.zeros(pats[0].shape, dtype=np.int64)
    for a in pats:
        votes += a | a.T
    keep = votes > (len(pats) / 2 if rule == "majority" else 0)
    np.fill_diagonal(keep, False)
    return sp.csr_array(keep)
