"""Real networks shipped with smallworld, with their citations and published values.

The C. elegans network of Watts & Strogatz [1]_, Zachary's karate club [2]_ and three
cortical networks analysed as small worlds by Sporns & Zwi [3]_.

Each loader returns the canonical adjacency (a ``scipy.sparse.csr_array``,
nodes ``0..n-1``) and, with ``return_labels=True``, the node names as well.
The returned matrix carries its provenance: ``A.citation`` and ``A.doi``
(the source publication) and ``A.info`` (the whole :class:`DatasetInfo`).
Arithmetic on the matrix returns plain arrays without them; keep ``A.info``
or call :func:`describe` by name.
The files live in the package (``smallworld/data``) and are read with
:mod:`importlib.resources`, so the loaders work from an installed wheel.
:func:`list_datasets` names them and :func:`describe` returns a
:class:`DatasetInfo` with the citation, the size and the reference values
(those from the papers and those computed with networkx on the files).

References
----------
.. [1] D. J. Watts and S. H. Strogatz, "Collective dynamics of 'small-world'
   networks", Nature 393:440-442 (1998). doi:10.1038/30918
.. [2] W. W. Zachary, "An information flow model for conflict and fission in
   small groups", J. Anthropol. Res. 33:452-473 (1977). doi:10.1086/jar.33.4.3629752
.. [3] O. Sporns and J. D. Zwi, "The small world of the cerebral cortex",
   Neuroinformatics 2:145-162 (2004). doi:10.1385/NI:2:2:145
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import scipy.sparse as sp

from smallworld._graph import as_graph
from smallworld._validation import check_bool, check_choice

__all__ = [
    "DatasetInfo",
    "list_datasets",
    "describe",
    "load",
    "celegans",
    "celegans_directed",
    "karate",
    "macaque71",
    "cat52",
    "macaque_visual30",
]


@dataclass(frozen=True)
class DatasetInfo:
    """What a shipped network is, where it comes from and its reference values.

    Attributes
    ----------
    name, title, file : str
        Loader name, one-line description, file in ``smallworld/data``.
    n, m : int
        Nodes and undirected simple edges (of the symmetrised graph).
    arcs : int or None
        Distinct directed arcs, for directed sources.
    reciprocal_pairs : int or None
        Node pairs joined in both directions, for directed sources.
    mean_degree : float
        ``2 m / n`` of the undirected graph.
    citation, doi : str
        The source publication.
    published : dict
        Values stated in the publications (``n``, ``k``, ``C``, ``L`` ...).
    computed : dict
        Values computed with networkx 3.6 on the undirected simple graph
        (``C`` = mean local clustering, ``T`` = transitivity, ``L`` = mean
        shortest path, ``diameter``; ``L_directed`` where strongly connected).
    notes : str
        Caveats (discrepancies, duplicates, conventions).
    """

    name: str
    title: str
    file: str
    n: int
    m: int
    mean_degree: float
    citation: str
    doi: str
    arcs: int | None = None
    reciprocal_pairs: int | None = None
    published: dict[str, float] = field(default_factory=dict)
    computed: dict[str, float] = field(default_factory=dict)
    notes: str = ""


_WS = "D. J. Watts & S. H. Strogatz, Nature 393:440-442 (1998); data: J. G. White et al., Phil. Trans. R. Soc. B 314:1-340 (1986)"
_WS_NOTE = (
    "GML by M. Newman (2006). The web file has 297 nodes, not the paper's 282: C agrees with the paper, "
    "L does not (2.455 vs 2.65). Nodes are numbered in GML file order; labels are Watts' neuron numbers."
)
_BCT = "Brain Connectivity Toolbox (Rubinov & Sporns, NeuroImage 52:1059, 2010); used in Sporns & Zwi, Neuroinformatics 2:145 (2004)"

_INFO: dict[str, DatasetInfo] = {
    "celegans": DatasetInfo(
        "celegans", "C. elegans neural network of Watts & Strogatz, undirected and unweighted",
        "celegans_ws_undirected.edgelist", 297, 2148, 14.46, _WS, "10.1038/30918",
        published={"n": 282, "k": 14, "L": 2.65, "L_random": 2.25, "C": 0.28, "C_random": 0.05},
        computed={"C": 0.2924, "T": 0.1807, "L": 2.4553, "diameter": 5}, notes=_WS_NOTE,
    ),
    "celegans_directed": DatasetInfo(
        "celegans_directed", "C. elegans neural network of Watts & Strogatz, directed, weighted by connection counts",
        "celegansneural.gml", 297, 2148, 14.46, _WS, "10.1038/30918", arcs=2345,
        published={"n": 282, "k": 14, "L": 2.65, "C": 0.28},
        computed={"C": 0.2924, "T": 0.1807, "L": 2.4553, "diameter": 5, "arcs_listed": 2359, "total_weight": 8819},
        notes=_WS_NOTE + " 14 arcs are listed twice; their values are summed (2359 listed, 2345 distinct arcs).",
    ),
    "karate": DatasetInfo(
        "karate", "Zachary's karate club", "karate.edgelist", 34, 78, 4.588,
        "W. W. Zachary, J. Anthropol. Res. 33:452-473 (1977)", "10.1086/jar.33.4.3629752",
        published={"n": 34, "m": 78}, computed={"C": 0.5706, "T": 0.2557, "L": 2.4082, "diameter": 5},
        notes="Copy of networkx.karate_club_graph(); 0-based ids.",
    ),
    "macaque71": DatasetInfo(
        "macaque71", "Macaque cortex, 71 areas", "macaque71_young1993.arcs", 71, 438, 12.34,
        "M. P. Young, Proc. R. Soc. B 252:13-18 (1993); " + _BCT, "10.1098/rspb.1993.0040",
        arcs=746, reciprocal_pairs=308, published={"n": 71, "arcs": 746},
        computed={"C": 0.5033, "T": 0.4418, "L": 2.2447, "diameter": 5},
        notes="Not strongly connected as a directed graph. Areas numbered in order of first appearance.",
    ),
    "cat52": DatasetInfo(
        "cat52", "Cat cortex, 52 cortical areas, connection strength 1-3", "cat52_scannell1999.arcs", 52, 515, 19.81,
        "J. W. Scannell et al., Cereb. Cortex 9:277-299 (1999); " + _BCT, "10.1093/cercor/9.3.277",
        arcs=818, reciprocal_pairs=303, published={"n": 52, "arcs": 820},
        computed={"C": 0.6642, "T": 0.5850, "L": 1.6357, "diameter": 3, "L_directed": 1.8081},
        notes="BCT documents 820 links; the distributed file has 818. Areas numbered in order of first appearance.",
    ),
    "macaque_visual30": DatasetInfo(
        "macaque_visual30", "Macaque visual cortex, 30 areas", "macaque_visual30_fvE1991.arcs", 30, 190, 12.67,
        "D. J. Felleman & D. C. Van Essen, Cereb. Cortex 1:1-47 (1991); " + _BCT, "10.1093/cercor/1.1.1",
        arcs=311, reciprocal_pairs=121, published={"n": 30, "arcs": 311},
        computed={"C": 0.6338, "T": 0.5939, "L": 1.5885, "diameter": 3, "L_directed": 1.7161},
        notes="Areas numbered in order of first appearance.",
    ),
}


def list_datasets() -> list[str]:
    """Names of the shipped networks (each is also a loader function).

    Examples
    --------
    >>> list_datasets()
    ['celegans', 'celegans_directed', 'karate', 'macaque71', 'cat52', 'macaque_visual30']
    """
    return list(_INFO)


def describe(name: str) -> DatasetInfo:
    """Citation, size and reference values of a shipped network.

    Raises
    ------
    ValueError
        If ``name`` is not one of :func:`list_datasets`.

    Examples
    --------
    >>> info = describe("celegans")
    >>> info.n, info.m, info.computed["C"], info.doi
    (297, 2148, 0.2924, '10.1038/30918')
    """
    return _INFO[check_choice(_normalise(name), "name", tuple(_INFO))]


def _normalise(name: Any) -> Any:
    return name.replace("-", "_").lower() if isinstance(name, str) else name


@functools.lru_cache(maxsize=None)
def _read(file: str, directed: bool, relabel: bool) -> tuple[sp.csr_array, tuple[str, ...] | None]:
    from smallworld.io import read_text

    fmt = "gml" if file.endswith(".gml") else "edgelist"
    with resources.files("smallworld.data").joinpath(file).open("r", encoding="utf-8") as fh:
        with warnings.catch_warnings():  # the known duplicates of the C. elegans GML (documented)
            warnings.simplefilter("ignore", UserWarning)
            A, labels = read_text(fh, fmt, f"smallworld/data/{file}", directed=directed, relabel=relabel)
    return A, None if labels is None else tuple(labels)


def _out(A: sp.csr_array, labels: Any, return_labels: bool, name: str) -> Any:
    A = A.copy()
    info = _INFO[name]
    A.info, A.citation, A.doi = info, info.citation, info.doi  # the provenance travels with the data
    return (A, list(labels)) if check_bool(return_labels, "return_labels") else A


def celegans(*, return_labels: bool = False) -> Any:
    """The C. elegans neural network of Watts & Strogatz (1998): undirected, unweighted.

    297 neurons, 2148 edges (synapses or gap junctions, direction and
    multiplicity dropped, as in the paper).  Nodes are numbered in the order of
    ``celegansneural.gml``, so this is the symmetrised pattern of
    :func:`celegans_directed`.

    Parameters
    ----------
    return_labels : bool
        Also return the node labels (Watts' neuron numbers, as strings).

    Returns
    -------
    scipy.sparse.csr_array or (scipy.sparse.csr_array, list of str)
        The adjacency, with attributes ``citation``, ``doi`` and ``info``
        (:class:`DatasetInfo`: published and computed reference values).

    References
    ----------
    .. [1] D. J. Watts and S. H. Strogatz, Nature 393:440-442 (1998). doi:10.1038/30918
    .. [2] J. G. White et al., Phil. Trans. R. Soc. Lond. B 314:1-340 (1986). doi:10.1098/rstb.1986.0056

    Examples
    --------
    >>> A = celegans()
    >>> A.shape, A.nnz // 2
    ((297, 297), 2148)
    >>> A.doi, A.info.published["C"]
    ('10.1038/30918', 0.28)
    """
    B, names = _read(_INFO["celegans"].file, False, True)
    _, order = _read(_INFO["celegans_directed"].file, True, False)
    pos = {lab: i for i, lab in enumerate(names)}
    perm = np.array([pos[lab] for lab in order])
    A = as_graph(B[perm][:, perm])
    return _out(A, order, return_labels, "celegans")


def celegans_directed(*, weighted: bool = True, return_labels: bool = False) -> Any:
    """The C. elegans neural network as directed arcs weighted by connection counts.

    297 neurons, 2345 distinct arcs.  The GML lists 14 arcs twice; their values
    are summed (the file's total of 8819 connections is kept).

    Parameters
    ----------
    weighted : bool
        ``False`` drops the counts (``bool`` adjacency).
    return_labels : bool
        Also return the node labels (Watts' neuron numbers).

    References
    ----------
    .. [1] D. J. Watts and S. H. Strogatz, Nature 393:440-442 (1998). doi:10.1038/30918

    Examples
    --------
    >>> A = celegans_directed()
    >>> A.nnz, int(A.sum())
    (2345, 8819)
    """
    A, labels = _read(_INFO["celegans_directed"].file, True, False)
    if not check_bool(weighted, "weighted"):
        A = A.astype(bool)
    return _out(A, labels, return_labels, "celegans_directed")


def karate(*, return_labels: bool = False) -> Any:
    """Zachary's karate club: 34 members, 78 ties (undirected, unweighted).

    References
    ----------
    .. [1] W. W. Zachary, J. Anthropol. Res. 33:452-473 (1977). doi:10.1086/jar.33.4.3629752

    Examples
    --------
    >>> karate().nnz // 2
    78
    """
    A, _ = _read(_INFO["karate"].file, False, False)
    return _out(A, [str(i) for i in range(A.shape[0])], return_labels, "karate")


def _cortex(name: str, directed: bool, weighted: bool, return_labels: bool) -> Any:
    directed = check_bool(directed, "directed")
    A, labels = _read(_INFO[name].file, True, True)
    if not check_bool(weighted, "weighted"):
        A = A.astype(bool)
    if not directed:
        A = as_graph(A, directed=False)
    return _out(A, labels, return_labels, name)


def macaque71(*, directed: bool = False, return_labels: bool = False) -> Any:
    """Macaque cortex (Young 1993): 71 areas, 746 projections.

    Parameters
    ----------
    directed : bool
        ``False`` (default) symmetrises: 438 undirected edges.
    return_labels : bool
        Also return the area names.

    References
    ----------
    .. [1] M. P. Young, Proc. R. Soc. B 252:13-18 (1993). doi:10.1098/rspb.1993.0040

    Examples
    --------
    >>> macaque71().nnz // 2, macaque71(directed=True).nnz
    (438, 746)
    """
    return _cortex("macaque71", directed, False, return_labels)


def cat52(*, directed: bool = False, weighted: bool = False, return_labels: bool = False) -> Any:
    """Cat cortex (Scannell et al. 1999): 52 cortical areas, 818 projections of strength 1-3.

    Parameters
    ----------
    directed : bool
        ``False`` (default) symmetrises: 515 undirected edges.
    weighted : bool
        Keep the strengths (symmetrised: the larger of the two directions).
    return_labels : bool
        Also return the area names.

    References
    ----------
    .. [1] J. W. Scannell et al., Cereb. Cortex 9:277-299 (1999). doi:10.1093/cercor/9.3.277

    Examples
    --------
    >>> cat52().nnz // 2, cat52(directed=True).nnz
    (515, 818)
    """
    return _cortex("cat52", directed, weighted, return_labels)


def macaque_visual30(*, directed: bool = False, return_labels: bool = False) -> Any:
    """Macaque visual cortex (Felleman & Van Essen 1991): 30 areas, 311 projections.

    Parameters
    ----------
    directed : bool
        ``False`` (default) symmetrises: 190 undirected edges.
    return_labels : bool
        Also return the area names.

    References
    ----------
    .. [1] D. J. Felleman and D. C. Van Essen, Cereb. Cortex 1:1-47 (1991). doi:10.1093/cercor/1.1.1

    Examples
    --------
    >>> A, names = macaque_visual30(return_labels=True)
    >>> A.nnz // 2, names[0]
    (190, 'V1')
    """
    return _cortex("macaque_visual30", directed, False, return_labels)


def load(name: str, **kwargs: Any) -> Any:
    """Load a shipped network by name (``"celegans"``, ``"cat52"`` ...; hyphens allowed).

    Keyword arguments go to the loader.

    Examples
    --------
    >>> load("macaque-visual30", directed=True).nnz
    311
    """
    info = describe(name)
    return _LOADERS[info.name](**kwargs)


_LOADERS = {
    "celegans": celegans,
    "celegans_directed": celegans_directed,
    "karate": karate,
    "macaque71": macaque71,
    "cat52": cat52,
    "macaque_visual30": macaque_visual30,
}
