"""Bit-parallel multi-source breadth-first search (numba).

Up to ``64 * W`` sources run at once: every node holds ``W`` ``uint64``
words, bit *b* of word *w* standing for source ``64 * w + b``.  One BFS level
is a *pull* over all not-yet-finished nodes: ``new[v] = OR_{u -> v}
frontier[u] & ~visited[v]``.  A level costs one pass over the arcs for
``64 * W`` sources, so all-pairs BFS costs about ``n * levels * m / 64`` word
operations instead of ``n * m``.  Nodes that every source has reached are
skipped, so late levels are cheap.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["bfs_sums", "local_efficiency_kernel"]

_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@numba.njit(cache=True, nogil=True, inline="always")
def _popcount(x):  # pragma: no cover - compiled
    x = x - ((x >> np.uint64(1)) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return np.int64((x * _H01) >> np.uint64(56))


@numba.njit(cache=True, nogil=True)
def bfs_sums(in_ptr, in_idx, sources, words, per_source):  # pragma: no cover - compiled
    """BFS from every node in ``sources`` along arcs (``in_ptr``/``in_idx``
    list the *in*-neighbours of each node; for an undirected graph that is
    the adjacency itself).

    Returns ``(sum_d, sum_inv, reach, psum, preach)``: the sum of distances,
    the sum of inverse distances and the number of reachable ordered pairs
    (source excluded), and, when ``per_source``, the distance sum and reach
    of each source (else empty arrays).
    """
    n = in_ptr.shape[0] - 1
    ns = sources.shape[0]
    W = words
    visited = np.zeros((n, W), dtype=np.uint64)
    front = np.zeros((n, W), dtype=np.uint64)
    nxt = np.zeros((n, W), dtype=np.uint64)
    done = np.zeros(n, dtype=np.bool_)
    full = np.zeros(W, dtype=np.uint64)
    acc = np.zeros(W, dtype=np.uint64)
    psum = np.zeros(ns if per_source else 0, dtype=np.int64)
    preach = np.zeros(ns if per_source else 0, dtype=np.int64)
    sum_d = np.int64(0)
    sum_inv = 0.0
    reach = np.int64(0)
    one = np.uint64(1)
    zero = np.uint64(0)
    batch = 64 * W
    for start in range(0, ns, batch):
        stop = min(ns, start + batch)
        visited[:, :] = zero
        front[:, :] = zero
        nxt[:, :] = zero
        done[:] = False
        full[:] = zero
        for k in range(start, stop):
            s = sources[k]
            w = (k - start) // 64
            bit = one << np.uint64((k - start) % 64)
            visited[s, w] |= bit
            front[s, w] |= bit
            full[w] |= bit
        level = 0
        while True:
            level += 1
            cnt = np.int64(0)
            for v in range(n):
                if done[v]:
                    for w in range(W):
                        nxt[v, w] = zero
                    continue
                for w in range(W):
                    acc[w] = zero
                for p in range(in_ptr[v], in_ptr[v + 1]):
                    u = in_idx[p]
                    for w in range(W):
                        acc[w] |= front[u, w]
                finished = True
                for w in range(W):
                    new = acc[w] & ~visited[v, w]
                    nxt[v, w] = new
                    if new != zero:
                        visited[v, w] |= new
                        cnt += _popcount(new)
                        if per_source:
                            x = new
                            while x != zero:
                                low = x & (~x + one)
                                b = _popcount(low - one)
                                k = start + 64 * w + b
                                psum[k] += level
                                preach[k] += 1
                                x ^= low
                    if visited[v, w] != full[w]:
                        finished = False
                done[v] = finished
            if cnt == 0:
                break
            sum_d += level * cnt
            sum_inv += cnt / level
            reach += cnt
            front, nxt = nxt, front
    return sum_d, sum_inv, reach, psum, preach


@numba.njit(cache=True, nogil=True)
def local_efficiency_kernel(indptr, indices):  # pragma: no cover - compiled
    """Efficiency of each node's neighbourhood subgraph (undirected, loop-free)."""
    n = indptr.shape[0] - 1
    out = np.zeros(n, dtype=np.float64)
    local = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        k = indptr[i + 1] - indptr[i]
        if k < 2:
            continue
        nb = indices[indptr[i] : indptr[i + 1]]
        for a in range(k):
            local[nb[a]] = a
        # subgraph CSR over local ids
        sptr = np.zeros(k + 1, dtype=np.int64)
        for a in range(k):
            c = 0
            j = nb[a]
            for p in range(indptr[j], indptr[j + 1]):
                if local[indices[p]] >= 0:
                    c += 1
            sptr[a + 1] = sptr[a] + c
        sidx = np.empty(sptr[k], dtype=np.int64)
        for a in range(k):
            q = sptr[a]
            j = nb[a]
            for p in range(indptr[j], indptr[j + 1]):
                loc = local[indices[p]]
                if loc >= 0:
                    sidx[q] = loc
                    q += 1
        dist = np.empty(k, dtype=np.int64)
        queue = np.empty(k, dtype=np.int64)
        total = 0.0
        for s in range(k):
            dist[:] = -1
            dist[s] = 0
            queue[0] = s
            head = 0
            tail = 1
            while head < tail:
                u = queue[head]
                head += 1
                for p in range(sptr[u], sptr[u + 1]):
                    x = sidx[p]
                    if dist[x] < 0:
                        dist[x] = dist[u] + 1
                        total += 1.0 / dist[x]
                        queue[tail] = x
                        tail += 1
        out[i] = total / (k * (k - 1))
        for a in range(k):
            local[nb[a]] = -1
    return out
