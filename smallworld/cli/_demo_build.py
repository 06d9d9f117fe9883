"""The wirings of ``smallworld demo``: one parameter budget, six ways to spend it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from smallworld._validation import check_random_state

__all__ = ["Wiring", "build_wirings"]

#: Graph families of the layered wirings: (name, label, generator, heavy-tailed fan-in of the bipartite layers).
FAMILIES = (
    ("ws", "Watts–Strogatz", "watts_strogatz", "er"),
    ("ba", "Barabási–Albert", "barabasi_albert", "powerlaw_in"),
    ("hk", "Holme–Kim", "holme_kim", "powerlaw_in"),
    ("ke", "Klemm–Eguíluz", "klemm_eguiluz", "powerlaw_in"),
)


@dataclass
class Wiring:
    """One network design: its masks (for the figures), a model factory and where it came from."""

    name: str
    label: str
    kind: str  # "dense" | "layered" | "skip" (layered with skip arcs) | "dag"
    masks: list[np.ndarray]
    factory: Callable[[int], Any]
    source: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def weights(self) -> int:
        """Number of connections (trainable weights; biases not counted)."""
        return int(sum(int(m.sum()) for m in self.masks))

    @property
    def density(self) -> float:
        """Connections over the slots of the masks (for the DAG: over the N(N-1)/2 possible arcs; for the
        layered small-world network: over the arcs possible between its wired layer pairs)."""
        if self.kind == "skip":
            return self.weights / float(self.source["slots"])
        if self.kind == "dag":
            n = self.source["n_neurons"]
            return self.weights / (n * (n - 1) / 2.0)
        return self.weights / float(sum(m.size for m in self.masks))

    def make(self, seed: int) -> Any:
        """A fresh model whose initial weights come from ``seed``."""
        return self.factory(seed)

    def describe(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {"name": self.name, "label": self.label, "kind": self.kind, "weights": self.weights,
                "density": self.density, "mask_shapes": [list(m.shape) for m in self.masks],
                "source": self.source, "note": self.note}


def _dense(m: Any) -> np.ndarray:
    return (m.toarray() if hasattr(m, "toarray") else np.asarray(m)).astype(bool)


def _mlp(sizes: list[int], masks: list[Any] | None) -> Callable[[int], Any]:
    def make(seed: int) -> Any:
        import warnings

        from nets import SparseMLP

        with warnings.catch_warnings():  # dead inputs are expected: a sparse mask need not read every pixel
            warnings.filterwarnings("ignore", message="mask has dead neurons")
            return SparseMLP(sizes, masks, seed=seed)

    return make


def _graph_summary(g: Any) -> dict[str, float]:
    from analysis import average_clustering, average_path_length

    return {"C": float(average_clustering(g)), "L": float(average_path_length(g, disconnected="lcc")),
            "mean_degree": float(g.nnz / g.shape[0])}


def _match_m(gen: Callable[..., Any], params: dict[str, Any], edges: float, seed: int) -> int:
    """The ``m`` whose graph has the edge count closest to ``edges``.

    Growth models add about ``m`` edges per node but start from a seed core,
    so ``m = k / 2`` falls short of mean degree ``k`` on small graphs (BA at
    n=128, m=21 has mean degree 35, not 42); try the ``m`` around the estimate.
    """
    n = params["n"]
    guess = max(1, int(round(edges / n)))
    cands = range(max(1, guess - 2), min(n - 1, int(guess * 1.5) + 3))
    return min(cands, key=lambda m: abs(gen(**{**params, "m": m}, seed=seed).nnz // 2 - edges))


def _layered(family: tuple[str, str, str, str], sizes: list[int], density: float, seed: Any) -> Wiring:
    """Square hidden layers: the family's graph over the H channels plus self-loops
    (:func:`nets.relational_masks`, You et al. 2020); the input and output layers:
    :func:`smallworld.bipartite` at the same density (heavy-tailed fan-in for the scale-free families)."""
    import smallworld as sw
    from nets import relational_masks

    name, label, gen, degree = family
    rng = check_random_state(seed)
    h = sizes[1]
    k = density * h - 1.0  # mean degree without the self-loop
    params: dict[str, Any] = {"n": h}
    if gen == "watts_strogatz":
        params.update(k=int(2 * round(k / 2)), p=0.1)
    else:
        params.update({"holme_kim": {"p_triad": 0.8}, "klemm_eguiluz": {"mu": 0.1}}.get(gen, {}))
        params["m"] = _match_m(getattr(sw, gen), params, k * h / 2, int(rng.integers(2**63 - 1)))
    g = getattr(sw, gen)(seed=rng, **params)
    masks = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        if n_in == n_out == h:
            masks.append(_dense(relational_masks(g, 1)[0]))
        else:
            masks.append(_dense(sw.bipartite(n_in, n_out, density, degree=degree, min_degree=1, seed=rng)))
    src = {"generator": f"smallworld.{gen}", "params": params, "hidden_graph": _graph_summary(g),
           "sizes": sizes, "square_layers": "relational masks (graph + self-loops)",
           "other_layers": f"smallworld.bipartite(degree={degree!r})"}
    return Wiring(name, f"{label} masks", "layered", masks, _mlp(sizes, masks), src)


def _dag(n_in: int, n_out: int, hidden: int, k: int, budget: int, seed: Any) -> Wiring:
    """A WS graph over ``hidden`` neurons plus input->hidden and hidden->output arcs, oriented
    inputs -> hidden (random order) -> outputs by :func:`nets.dag_wiring`, run as a :class:`nets.WiredNet`."""
    import scipy.sparse as sp

    import smallworld as sw
    from nets import dag_wiring

    rng = check_random_state(seed)
    g = sw.watts_strogatz(hidden, k, 0.1, seed=rng)
    rest = budget - g.nnz // 2  # connections left for the input and output arcs, shared pro rata
    d_in = min(1.0, rest * n_in / (n_in + n_out) / (n_in * hidden))
    d_out = min(1.0, rest * n_out / (n_in + n_out) / (n_out * hidden))
    m_in = sw.bipartite(n_in, hidden, d_in, min_degree=1, seed=rng)  # (hidden, n_in)
    m_out = sw.bipartite(hidden, n_out, d_out, min_degree=1, seed=rng)  # (n_out, hidden)
    N = n_in + hidden + n_out
    h_i, i_i = m_in.nonzero()
    o_o, h_o = m_out.nonzero()
    a, b = g.nonzero()
    rows = np.concatenate([i_i, n_in + h_o, n_in + a])
    cols = np.concatenate([n_in + h_i, n_in + hidden + o_o, n_in + b])
    A = sw.as_graph(sp.csr_array((np.ones(rows.size, dtype=bool), (rows, cols)), shape=(N, N)), directed=False)
    order = np.concatenate([np.arange(n_in), n_in + rng.permutation(hidden), np.arange(n_in + hidden, N)])
    inputs, outputs = np.arange(n_in), np.arange(n_in + hidden, N)
    wiring = dag_wiring(A, order, inputs=inputs, outputs=outputs)

    def make(s: int) -> Any:
        from nets import WiredNet

        return WiredNet(wiring, backend="dense", seed=s)  # dozens of small levels: dense kernels are fastest

    src = {"generator": "smallworld.watts_strogatz", "params": {"n": hidden, "k": k, "p": 0.1},
           "hidden_graph": _graph_summary(g), "n_neurons": N, "depth": wiring.depth,
           "input_density": d_in, "output_density": d_out,
           "orientation": "inputs first, hidden neurons in random order, outputs last (nets.dag_wiring)"}
    note = (f"DAG network: {N} neurons ({n_in} inputs, {hidden} hidden, {n_out} outputs); the hidden neurons form a "
            f"Watts–Strogatz graph (k={k}, p=0.1) oriented by a random order, so the network runs "
            f"{wiring.depth} topological levels with skip connections — its neuron graph has triangles.")
    # shown like a layer mask: rows = post-synaptic, columns = pre-synaptic neurons
    return Wiring("dag", "small-world DAG (WiredNet)", "dag", [_dense(wiring.adjacency).T], make, src, note)


def _skip(sizes: list[int], skip: int, p: float, budget: int, seed: Any) -> Wiring:
    """The layered small-world network (:func:`nets.layered_smallworld`): the layers of the sparse
    wirings, skip arcs up to ``skip`` layers back on a ring lattice, WS shortcuts with probability ``p``,
    exactly ``budget`` connections; run as a :class:`nets.WiredNet` whose blocks are its layers."""
    from nets.layered import layer_pairs, layered_smallworld

    slots = sum(sizes[a] * sizes[b] for a, b in layer_pairs(len(sizes), skip))
    wiring = layered_smallworld(sizes, budget / slots, skip=skip, p=p, seed=seed)

    def make(s: int) -> Any:
        from nets import WiredNet

        return WiredNet(wiring, seed=s)

    src = {"generator": "nets.layered_smallworld", "params": {"sizes": sizes, "skip": skip, "p": p},
           "slots": slots, "sizes": sizes, "depth": wiring.depth}
    note = (f"Layered small-world network: the {'-'.join(map(str, sizes))} layers of the sparse wirings, each layer "
            f"reading the {skip} layers before it through a ring lattice (nearby neurons share their sources, so the "
            f"skip arcs close triangles) with Watts–Strogatz shortcuts (p = {p}); layer-wise rules train it layer by "
            "layer (nets.layered_smallworld run as a nets.WiredNet).")
    masks = [_dense(m) for m in wiring.masks]  # one per layer: post × (all earlier layers it reads)
    return Wiring("ws-skip", "layered small-world (skip arcs)", "skip", masks, make, src, note)


def build_wirings(cfg: Any, *, seed: int, n_in: int, n_out: int) -> list[Wiring]:
    """The demo's wirings, all with (nearly) the dense MLP's number of weights ``B``.

    - ``dense``: ``n_in``-H-H-``n_out`` fully connected (H = ``cfg.hidden_dense``); ``B`` = its weights.
    - WS, BA, Holme–Kim, Klemm–Eguíluz: wider layered networks (H = ``cfg.hidden_sparse``)
      at the density that spends ``B`` (see :func:`_layered`).
    - a layered small-world network (skip arcs on a ring lattice, :func:`_skip`) with ``B`` connections;
    - a neuron-level DAG network (:class:`nets.WiredNet`) wired from a Watts–Strogatz
      graph (see :func:`_dag`), with ``B`` connections.
    """
    rng = check_random_state(seed)
    seeds = [int(s) for s in rng.integers(0, 2**63 - 1, size=len(FAMILIES) + 2)]
    hd, hs, nh = cfg.hidden_dense, cfg.hidden_sparse, cfg.n_hidden_layers
    dense_sizes = [n_in] + [hd] * nh + [n_out]
    sparse_sizes = [n_in] + [hs] * nh + [n_out]
    dense_masks = [np.ones((b, a), dtype=bool) for a, b in zip(dense_sizes[:-1], dense_sizes[1:])]
    budget = int(sum(m.size for m in dense_masks))
    out = [Wiring("dense", "dense MLP", "dense", dense_masks, _mlp(dense_sizes, None), {"sizes": dense_sizes})]
    density = budget / float(sum(a * b for a, b in zip(sparse_sizes[:-1], sparse_sizes[1:])))
    for fam, s in zip(FAMILIES, seeds):
        out.append(_layered(fam, sparse_sizes, density, s))
    out.append(_skip(sparse_sizes, cfg.skip, cfg.skip_p, budget, seeds[-1]))
    out.append(_dag(n_in, n_out, cfg.dag_hidden, cfg.dag_k, budget, seeds[-2]))
    return out
