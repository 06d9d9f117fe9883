"""
From ring lattice to random graph
=================================

The Watts-Strogatz model rewires each edge of a ring lattice with
probability ``p``.  Clustering stays high while the mean path length
collapses: the small-world regime.  This reproduces the shape of Figure 2 of
Watts & Strogatz (1998) on a small graph.
"""

import matplotlib.pyplot as plt
import numpy as np

import smallworld as sw
import analysis

n, k = 300, 10
ps = np.logspace(-3, 0, 8)
C0 = analysis.average_clustering(sw.watts_strogatz(n, k, 0.0, seed=0))
L0 = analysis.average_path_length(sw.watts_strogatz(n, k, 0.0, seed=0))
C = [analysis.average_clustering(sw.watts_strogatz(n, k, p, seed=0)) / C0 for p in ps]
L = [analysis.average_path_length(sw.connected_watts_strogatz(n, k, p, seed=0)) / L0 for p in ps]

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.semilogx(ps, C, "o-", label="C(p) / C(0)")
ax.semilogx(ps, L, "s-", label="L(p) / L(0)")
ax.set_xlabel("rewiring probability p")
ax.legend()
fig.tight_layout()

# %%
# A sparse network wired from such a graph: the hidden layers follow the
# graph, the output layer stays dense (unless ``sparse_output=True``).
import nets

masks = nets.layered_masks([64, 64, 10], "ws", 0.25, seed=0)
print([f"{m.nnz / np.prod(m.shape):.2f}" for m in masks])
