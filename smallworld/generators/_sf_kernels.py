"""Compiled kernels of the sequential growth models (BA, Holme–Kim, Klemm–Eguíluz).

All three kernels share one data structure, the *repeated-endpoint array* of
Batagelj & Brandes (2005): edge ``e`` is stored as ``ends[2e], ends[2e + 1]``,
so every node appears in ``ends`` exactly as often as its degree, and drawing
a uniform position of ``ends[:2e]`` picks a node with probability proportional
to its degree, in O(1).  The array is also the output: sources are
``ends[0::2]``, targets ``ends[1::2]``.  Distinct targets for one new node are
obtained by rejection against a per-node stamp (``mark[t] == v`` means ``t`` is
already a target of ``v``), so each new node costs O(m) expected draws.

Node ids are stored as ``int32`` (callers keep ``n < 2**31``): half the
memory traffic of ``int64`` in the random reads that dominate the run time.

Random numbers come from the caller's :class:`numpy.random.Generator`, passed
into the compiled code (numba supports it), so results are reproducible bit for
bit from the seed.  Integers are drawn as ``int(rng.random() * k)``: one 53-bit
double per draw, about 10x cheaper than ``rng.integers`` inside numba, with a
bias below 2**-21 for every ``k < 2**32``.

Holme–Kim needs a uniformly random neighbour of a node of the growing graph.
For that it keeps growable adjacency lists in one pool (``start``, ``deg``,
``cap`` per node, packed in one row of ``meta``; a full list moves to the end
of the pool with twice the capacity), which makes the triad step O(1)
amortised; at the end the pool is compacted into the CSR arrays directly.

Each new node's targets are written sorted, so a CSR row is the node's birth
targets (all smaller) followed by later arrivals in increasing order: rows
come out sorted and :func:`ends_to_csr` needs no sort (it checks, and sorts
only the seed graph's rows).
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp

__all__: list[str] = []  # private module


@numba.njit(cache=True, nogil=True)
def _pa_pick(ends, total, mark, stamp, rng):  # pragma: no cover - compiled
    """A node drawn with probability proportional to its degree among the first
    ``total`` endpoints, rejecting nodes already stamped for ``stamp``."""
    while True:
        t = ends[int(rng.random() * total)]
        if mark[t] != stamp:
            return t


@numba.njit(cache=True, nogil=True)
def ba_kernel(n, m, rng):  # pragma: no cover - compiled
    """Barabási–Albert growth from a star: returns the repeated-endpoint array.

    Nodes ``0..m`` form a star centred on node 0 (``m`` edges); each node
    ``v = m+1 .. n-1`` then attaches to ``m`` distinct existing nodes drawn by
    degree (the degrees *before* ``v`` arrived).  ``m * (n - m)`` edges.
    """
    n_edges = m * (n - m)
    ends = np.empty(2 * n_edges, dtype=np.int32)
    for i in range(m):
        ends[2 * i] = 0
        ends[2 * i + 1] = i + 1
    mark = np.full(n, -1, dtype=np.int32)
    targets = np.empty(m, dtype=np.int64)
    e = m
    for v in range(m + 1, n):
        total = 2 * e
        for j in range(m):
            t = _pa_pick(ends, total, mark, v, rng)
            mark[t] = v
            targets[j] = t
        _sort_small(targets)
        for j in range(m):
            ends[2 * (e + j)] = v
            ends[2 * (e + j) + 1] = targets[j]
        e += m
    return ends


@numba.njit(cache=True, nogil=True)
def _pool_append(pool, meta, top, node, value):  # pragma: no cover - compiled
    """Append ``value`` to ``node``'s list (``meta[node] = start, deg, cap``);
    the pool must have room for a relocation.  Returns the new pool top."""
    d = meta[node, 1]
    if d == meta[node, 2]:
        c = meta[node, 2]
        s = meta[node, 0]
        for k in range(d):
            pool[top + k] = pool[s + k]
        meta[node, 0] = top
        meta[node, 2] = 2 * c if c > 0 else 4
        top += meta[node, 2]
    pool[meta[node, 0] + d] = value
    meta[node, 1] = d + 1
    return top


@numba.njit(cache=True, nogil=True)
def _scan_free_neighbour(pool, s, d, mark, stamp, rng):  # pragma: no cover - compiled
    """A uniformly random entry of ``pool[s:s+d]`` not stamped ``stamp``, or -1
    (the exhaustive fallback after a few rejection tries; together they are
    exactly uniform over the eligible neighbours)."""
    free = 0
    for k in range(d):
        if mark[pool[s + k]] != stamp:
            free += 1
    if free == 0:
        return -1
    r = int(rng.random() * free)
    for k in range(d):
        w = pool[s + k]
        if mark[w] != stamp:
            if r == 0:
                return w
            r -= 1
    return -1  # unreachable


@numba.njit(cache=True, nogil=True)
def hk_kernel(n, m, p_triad, rng):  # pragma: no cover - compiled
    """Holme–Kim growth from the same star as :func:`ba_kernel`.

    Each new node makes one preferential-attachment (PA) step, then each of its
    ``m - 1`` further edges is, with probability ``p_triad``, a triad-formation
    step to a uniformly random neighbour of the most recent PA target that is
    not yet linked to the new node; otherwise (or if there is no such
    neighbour) another PA step.  ``m * (n - m)`` edges.

    Returns the CSR arrays ``(indptr, indices)`` compacted from the adjacency
    pool, rows sorted.
    """
    n_edges = m * (n - m)
    ends = np.empty(2 * n_edges, dtype=np.int32)
    meta = np.zeros((n, 4), dtype=np.int64)  # start, deg, cap, (pad to 32 bytes)
    pool = np.empty(3 * 2 * n_edges + 8 * (m + 1), dtype=np.int32)  # node ids; callers keep n < 2**31
    top = 0
    for i in range(m):
        ends[2 * i] = 0
        ends[2 * i + 1] = i + 1
        top = _pool_append(pool, meta, top, 0, i + 1)
        top = _pool_append(pool, meta, top, i + 1, 0)
    mark = np.full(n, -1, dtype=np.int32)
    targets = np.empty(m, dtype=np.int64)
    e = m
    for v in range(m + 1, n):
        total = 2 * e
        last_pa = _pa_pick(ends, total, mark, v, rng)
        mark[last_pa] = v
        targets[0] = last_pa
        count = 1
        while count < m:
            w = -1
            if p_triad > 0.0 and rng.random() < p_triad:
                # uniformly random neighbour of last_pa not yet linked to v:
                # a few rejection tries, then an exhaustive scan
                s0 = meta[last_pa, 0]
                d0 = meta[last_pa, 1]
                for _ in range(4):
                    w = pool[s0 + int(rng.random() * d0)]
                    if mark[w] != v:
                        break
                    w = -1
                if w < 0:
                    w = _scan_free_neighbour(pool, s0, d0, mark, v, rng)
            if w < 0:
                w = _pa_pick(ends, total, mark, v, rng)
                last_pa = w
            mark[w] = v
            targets[count] = w
            count += 1
        _sort_small(targets)
        # room for v's list and for every target's possible relocation
        need = m
        for j in range(m):
            t = targets[j]
            if meta[t, 1] == meta[t, 2]:
                need += 2 * meta[t, 2] + 4
        if top + need > pool.shape[0]:
            grown = np.empty(2 * pool.shape[0] + need, dtype=pool.dtype)
            grown[:top] = pool[:top]
            pool = grown
        meta[v, 0] = top
        meta[v, 2] = m
        top += m
        for j in range(m):
            t = targets[j]
            ends[2 * (e + j)] = v
            ends[2 * (e + j) + 1] = t
            pool[meta[v, 0] + j] = t
            top = _pool_append(pool, meta, top, t, v)
        meta[v, 1] = m
        e += m
    indptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        indptr[i + 1] = indptr[i] + meta[i, 1]
    indices = np.empty(indptr[n], dtype=np.int32)
    for i in range(n):
        s = meta[i, 0]
        b = indptr[i]
        for k in range(meta[i, 1]):
            indices[b + k] = pool[s + k]
    _sort_rows(indptr, indices)
    return indptr, indices


@numba.njit(cache=True, nogil=True)
def ke_kernel(n, m, mu, rng):  # pragma: no cover - compiled
    """Klemm–Eguíluz growth from a complete graph on the ``m`` active nodes ``0..m-1``.

    Each new node ``v`` links to every active node, except that (for ``v > m``)
    each link is, with probability ``mu``, redirected to a node drawn by degree
    among all existing nodes (distinct from the other targets).  Then ``v`` is
    activated and one of the ``m + 1`` active nodes is deactivated with
    probability proportional to ``1 / k``.  ``m (m - 1) / 2 + m (n - m)`` edges.
    """
    n_edges = m * (m - 1) // 2 + m * (n - m)
    ends = np.empty(2 * n_edges, dtype=np.int32)
    deg = np.zeros(n, dtype=np.int64)
    e = 0
    for i in range(m):
        for j in range(i + 1, m):
            ends[2 * e] = i
            ends[2 * e + 1] = j
            e += 1
        deg[i] = m - 1
    active = np.empty(m + 1, dtype=np.int64)
    for i in range(m):
        active[i] = i
    mark = np.full(n, -1, dtype=np.int32)
    targets = np.empty(m, dtype=np.int64)
    for v in range(m, n):
        total = 2 * e
        count = 0
        redirected = 0
        for j in range(m):
            a = active[j]
            if v > m and mu > 0.0 and rng.random() < mu:
                redirected += 1
            else:
                mark[a] = v
                targets[count] = a
                count += 1
        for _ in range(redirected):
            t = _pa_pick(ends, total, mark, v, rng)
            mark[t] = v
            targets[count] = t
            count += 1
        _sort_small(targets)
        for j in range(m):
            t = targets[j]
            ends[2 * (e + j)] = v
            ends[2 * (e + j) + 1] = t
            deg[t] += 1
        deg[v] = m
        e += m
        # activate v, then deactivate one of the m + 1 active nodes, P ~ 1/k
        active[m] = v
        norm = 0.0
        for j in range(m + 1):
            norm += 1.0 / deg[active[j]]
        r = rng.random() * norm
        out = m
        acc = 0.0
        for j in range(m + 1):
            acc += 1.0 / deg[active[j]]
            if r < acc:
                out = j
                break
        active[out] = active[m]
    return ends


@numba.njit(cache=True, nogil=True)
def _sort_small(a):  # pragma: no cover - compiled
    """Insertion sort of a short array in place."""
    for j in range(1, a.shape[0]):
        key = a[j]
        k = j - 1
        while k >= 0 and a[k] > key:
            a[k + 1] = a[k]
            k -= 1
        a[k + 1] = key


@numba.njit(cache=True, nogil=True)
def _sort_rows(indptr, indices):  # pragma: no cover - compiled
    """Sort each row in place: a cheap scan, and an insertion sort only for
    rows that are not sorted already.

    The growth kernels write each new node's targets sorted, so a row is its
    birth targets (all smaller than the node) followed by later arrivals in
    increasing order: already sorted, except for the seed graph's rows.
    """
    for i in range(indptr.shape[0] - 1):
        a = indptr[i]
        b = indptr[i + 1]
        ordered = True
        for j in range(a + 1, b):
            if indices[j] < indices[j - 1]:
                ordered = False
                break
        if ordered:
            continue
        for j in range(a + 1, b):
            key = indices[j]
            k = j - 1
            while k >= a and indices[k] > key:
                indices[k + 1] = indices[k]
                k -= 1
            indices[k + 1] = key


@numba.njit(cache=True, nogil=True)
def ends_to_csr(ends, n):  # pragma: no cover - compiled
    """Symmetric CSR arrays ``(indptr, indices)`` of a *simple* edge list.

    ``ends`` holds edge ``e`` at ``ends[2e], ends[2e + 1]``; the caller
    guarantees no self-loops and no duplicate edges (true of the growth models
    by construction), so no de-duplication pass is needed.  One counting pass,
    one placement pass in edge order, then a near-linear row sort.
    """
    indptr = np.zeros(n + 1, dtype=np.int64)
    for x in range(ends.shape[0]):
        indptr[ends[x] + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    fill = indptr[:-1].copy()
    indices = np.empty(ends.shape[0], dtype=np.int32)
    for e in range(ends.shape[0] // 2):
        u = ends[2 * e]
        v = ends[2 * e + 1]
        indices[fill[u]] = v
        fill[u] += 1
        indices[fill[v]] = u
        fill[v] += 1
    _sort_rows(indptr, indices)
    return indptr, indices


def simple_csr(indptr: np.ndarray, indices: np.ndarray, n: int) -> sp.csr_array:
    """Wrap symmetric CSR arrays as the canonical ``bool`` adjacency: the same
    arrays :func:`smallworld._csr.csr_from_edges` builds (tested), without its
    de-duplication pass."""
    idx_dtype = np.int32 if indices.shape[0] < 2**31 - 1 else np.int64
    A = sp.csr_array(
        (np.ones(indices.shape[0], dtype=bool), indices.astype(idx_dtype, copy=False), indptr.astype(idx_dtype)),
        shape=(n, n),
    )
    A.has_sorted_indices = True
    return A


def simple_ends_to_csr(ends: np.ndarray, n: int) -> sp.csr_array:
    """Canonical adjacency of a repeated-endpoint array known to be simple."""
    return simple_csr(*ends_to_csr(ends, n), n)
