"""
Is the C. elegans network a small world?
========================================

Watts & Strogatz (1998) showed that the neural network of *C. elegans* has a
clustering far above, and a path length close to, those of a random graph
with the same size and mean degree.  This example loads the shipped network
(which carries its citation), measures it, and computes the small-world
coefficient sigma against a degree-preserving null.
"""

import analysis
import smallworld as sw

A = sw.datasets.celegans()
print(A.citation)
print("published:", A.info.published)

# %%
# Two clusterings
# ---------------
# The paper's ``C`` is the *mean local* clustering; the *transitivity* (the
# share of closed triples) weighs hubs more and is lower here.  Say which one
# you mean: :func:`analysis.sigma` uses transitivity unless told otherwise.
print(f"mean local clustering C = {analysis.average_clustering(A):.4f}")
print(f"transitivity            T = {analysis.transitivity(A):.4f}")
print(f"mean path length        L = {analysis.average_path_length(A):.4f}")

# %%
# sigma, with either clustering
# -----------------------------
# ``sigma = (C / C_random) / (L / L_random)``, the random references drawn by
# degree-preserving rewiring; above 1 suggests a small world.  A few small
# references keep the example fast; use the defaults for a real measurement.
for clustering in ("transitivity", "average"):
    print(analysis.sigma(A, niter=10, nrand=5, seed=0, clustering=clustering))
    print()
