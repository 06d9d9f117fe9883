"""Property-based tests over every generator in :mod:`smallworld.generators`.

* Any invalid value of any parameter raises ``ValueError`` or ``TypeError``
  (nothing else) and returns quickly: a watchdog turns a hang into a failure.
* Random valid parameters of the WS, ER, spatial and hierarchical generators
  give canonical graphs with the promised edge counts.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import signal

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

import smallworld.generators as gen

#: A small valid call of every public generator; each property test perturbs one argument.
BASELINES = {
    "ring_lattice": {"n": 20, "k": 4},
    "watts_strogatz": {"n": 20, "k": 4, "p": 0.2, "seed": 0},
    "newman_watts_strogatz": {"n": 20, "k": 4, "p": 0.2, "seed": 0},
    "connected_watts_strogatz": {"n": 20, "k": 4, "p": 0.2, "seed": 0},
    "ws_flex": {"n": 20, "k": 4.5, "p": 0.2, "seed": 0},
    "erdos_renyi": {"n": 20, "m": 30, "seed": 0},
    "barabasi_albert": {"n": 30, "m": 2, "seed": 0},
    "holme_kim": {"n": 30, "m": 2, "p_triad": 0.5, "seed": 0},
    "klemm_eguiluz": {"n": 30, "m": 3, "mu": 0.1, "seed": 0},
    "chung_lu": {"n": 50, "gamma": 2.5, "mean_degree": 4.0, "seed": 0},
    "configuration_power_law": {"n": 50, "gamma": 2.5, "seed": 0},
    "spatial": {"n": 50, "mean_degree": 4.0, "seed": 0},
    "hierarchical_modular": {"n_levels": 3, "module_size": 8, "seed": 0},
    "bipartite": {"n_in": 20, "n_out": 30, "density": 0.1, "seed": 0},
}

WATCHDOG_S = 10


@contextlib.contextmanager
def watchdog(seconds: int = WATCHDOG_S):
    """Fail (instead of hanging) if the body runs longer than ``seconds``."""

    def _alarm(signum, frame):
        raise TimeoutError(f"generator call ran longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def assert_canonical(A, symmetric=True):
    assert isinstance(A, sp.csr_array)
    assert A.dtype == bool and (A.nnz == 0 or A.data.all())
    B = sp.csr_array(A, copy=True)
    B.sum_duplicates()
    B.sort_indices()
    assert B.nnz == A.nnz
    np.testing.assert_array_equal(B.indices, A.indices)
    if symmetric:
        assert A.shape[0] == A.shape[1]
        assert (A != A.T).nnz == 0
        assert A.diagonal().sum() == 0


def test_every_generator_has_a_baseline():
    assert set(BASELINES) == set(gen.__all__)


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_baseline_call_is_valid_and_canonical(name):
    with watchdog():
        A = getattr(gen, name)(**BASELINES[name])
    assert_canonical(A, symmetric=name != "bipartite")


# Values that are invalid for every parameter of every generator (numbers, probabilities,
# counts, seeds, flags and choices alike).  None is left out: it is valid for optional ones.
UNIVERSALLY_INVALID = st.one_of(
    st.text(max_size=5),
    st.lists(st.integers(0, 3), max_size=3),
    st.integers(max_value=-1),
    st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), complex(1, 1), object(), b"3"]),
)

PARAMS = [(name, p) for name in sorted(BASELINES) for p in inspect.signature(getattr(gen, name)).parameters]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(PARAMS), bad=UNIVERSALLY_INVALID)
def test_invalid_values_raise_value_or_type_error(case, bad):
    name, param = case
    kwargs = dict(BASELINES[name], **{param: bad})
    with watchdog(), pytest.raises((ValueError, TypeError)):
        getattr(gen, name)(**kwargs)


@settings(max_examples=150, deadline=None)
@given(case=st.sampled_from(sorted(BASELINES)), flag=st.sampled_from([True, False, np.bool_(True)]))
def test_booleans_are_not_numbers(case, flag):
    # every numeric parameter rejects bools; only genuine flags accept them
    sig = inspect.signature(getattr(gen, case))
    numeric = [p for p in sig.parameters if p not in ("return_positions", "degree")]
    for param in numeric:
        with watchdog(), pytest.raises((ValueError, TypeError)):
            getattr(gen, case)(**dict(BASELINES[case], **{param: flag}))


# --- domain-specific invalid values for the WS / ER / spatial / hierarchical family ---

ws_family = st.sampled_from(["watts_strogatz", "newman_watts_strogatz", "connected_watts_strogatz"])


@settings(max_examples=150, deadline=None)
@given(name=ws_family, n=st.integers(1, 60), k=st.integers(-5, 70), p=st.floats(-1, 2, allow_nan=False))
def test_ws_family_rejects_bad_k_and_p(name, n, k, p):
    bad_k = k % 2 == 1 or not 0 < k < n
    bad_p = not 0 <= p <= 1
    if not (bad_k or bad_p):
        return
    msg = r"k must be even and 0 < k < n" if bad_k else r"p must be a real number >= 0 and <= 1"
    with watchdog(), pytest.raises(ValueError, match=msg):
        getattr(gen, name)(n, k, p, seed=0)
    if bad_k:
        with pytest.raises(ValueError, match=rf"got k={k}, n={n}"):
            gen.ring_lattice(n, k)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(3, 60), k=st.floats(-10, 80, allow_nan=False))
def test_ws_flex_rejects_bad_k(n, k):
    if 2 <= k <= n - 1:
        return
    with watchdog(), pytest.raises(ValueError, match=r"2 <= k <= n - 1"):
        gen.ws_flex(n, k, 0.1, seed=0)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 60), m=st.integers(-100, 3000), p=st.floats(-2, 3, allow_nan=False))
def test_erdos_renyi_rejects_bad_m_and_p(n, m, p):
    N = n * (n - 1) // 2
    if not 0 <= m <= N:
        with watchdog(), pytest.raises(ValueError, match=rf"got m={m}, n={n}"):
            gen.erdos_renyi(n, m=m, seed=0)
    if not 0 <= p <= 1:
        with watchdog(), pytest.raises(ValueError, match=r"p must be a real number >= 0 and <= 1"):
            gen.erdos_renyi(n, p=p, seed=0)
    with pytest.raises(ValueError, match=r"exactly one of m"):
        gen.erdos_renyi(n, m=0, p=0.5, seed=0)


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(2, 60),
    density=st.floats(-1, 3, allow_nan=False),
    degree=st.floats(-5, 100, allow_nan=False),
    dim=st.integers(-2, 6),
)
def test_spatial_rejects_bad_targets(n, density, degree, dim):
    if not 0 < density <= 1:
        with watchdog(), pytest.raises(ValueError, match=r"density must be a real number in \(0, 1\]"):
            gen.spatial(n, density=density, seed=0)
    if not 0 < degree <= n - 1:
        with watchdog(), pytest.raises(ValueError, match=r"0 < mean_degree <= n - 1"):
            gen.spatial(n, mean_degree=degree, seed=0)
    if dim not in (1, 2, 3):
        with watchdog(), pytest.raises(ValueError, match=rf"dim must be 1, 2 or 3, got dim={dim}"):
            gen.spatial(n, dim=dim, density=0.5, seed=0)


@settings(max_examples=100, deadline=None)
@given(p_in=st.floats(-1, 2, allow_nan=False), decay=st.floats(-1, 2, allow_nan=False))
def test_hierarchical_rejects_bad_probabilities(p_in, decay):
    if not 0 < p_in <= 1:
        with watchdog(), pytest.raises(ValueError, match=r"p_in must be a real number"):
            gen.hierarchical_modular(2, 5, p_in=p_in, seed=0)
    if not 0 <= decay <= 1:
        with watchdog(), pytest.raises(ValueError, match=r"decay must be a real number"):
            gen.hierarchical_modular(2, 5, decay=decay, seed=0)


# --- valid parameters give canonical graphs with the promised edge counts ---


@st.composite
def ws_params(draw):
    n = draw(st.integers(3, 80))
    k = 2 * draw(st.integers(1, (n - 1) // 2))
    return n, k, draw(st.floats(0, 1)), draw(st.integers(0, 2**32))


@settings(max_examples=80, deadline=None)
@given(params=ws_params())
def test_ws_valid_parameters(params):
    n, k, p, seed = params
    with watchdog():
        A = gen.watts_strogatz(n, k, p, seed=seed)
        B = gen.newman_watts_strogatz(n, k, p, seed=seed)
    assert_canonical(A)
    assert A.nnz == n * k
    assert_canonical(B)
    L = gen.ring_lattice(n, k)
    assert B.multiply(L).nnz == L.nnz
    assert (gen.watts_strogatz(n, k, p, seed=seed) != A).nnz == 0


@settings(max_examples=40, deadline=None)
@given(params=ws_params())
def test_connected_ws_is_connected_or_says_why(params):
    n, k, p, seed = params
    try:
        with watchdog():
            A = gen.connected_watts_strogatz(n, k, p, tries=20, seed=seed)
    except ValueError as err:
        assert "no connected Watts-Strogatz graph found in tries=20" in str(err)
    else:
        assert_canonical(A)
        assert connected_components(A, directed=False, return_labels=False) == 1


@settings(max_examples=80, deadline=None)
@given(n=st.integers(3, 80), frac=st.floats(0, 1), p=st.floats(0, 1), seed=st.integers(0, 1000))
def test_ws_flex_valid_parameters(n, frac, p, seed):
    k = 2 + frac * (n - 3)
    with watchdog():
        A = gen.ws_flex(n, k, p, seed=seed)
    assert_canonical(A)
    assert A.nnz == 2 * math.floor(n * k / 2 + 0.5)


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 80), frac=st.floats(0, 1), p=st.floats(0, 1), seed=st.integers(0, 1000))
def test_erdos_renyi_valid_parameters(n, frac, p, seed):
    N = n * (n - 1) // 2
    m = int(frac * N)
    with watchdog():
        A = gen.erdos_renyi(n, m=m, seed=seed)
        B = gen.erdos_renyi(n, p=p, seed=seed)
    assert_canonical(A)
    assert A.nnz == 2 * m and A.shape == (n, n)
    assert_canonical(B)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 80),
    dim=st.sampled_from([1, 2, 3]),
    frac=st.floats(0.01, 1),
    lam=st.floats(1e-3, 10),
    use_density=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_spatial_valid_parameters(n, dim, frac, lam, use_density, seed):
    N = n * (n - 1) // 2
    if use_density:
        kw, m = {"density": frac}, math.floor(frac * N + 0.5)
    else:
        kw, m = {"mean_degree": frac * (n - 1)}, math.floor(frac * (n - 1) * n / 2 + 0.5)
    if m == 0:  # a positive density or degree that rounds to no edge is refused, not an empty graph
        with pytest.raises(ValueError, match="= 0 edges"):
            gen.spatial(n, dim=dim, length_scale=lam, seed=seed, **kw)
        return
    with watchdog():
        A, pos = gen.spatial(n, dim=dim, length_scale=lam, seed=seed, return_positions=True, **kw)
    assert_canonical(A)
    assert A.nnz == 2 * m
    assert pos.shape == (n, dim)


@settings(max_examples=60, deadline=None)
@given(
    levels=st.integers(1, 4),
    size=st.integers(2, 10),
    branching=st.integers(2, 3),
    p_in=st.floats(1e-6, 1),
    decay=st.floats(0, 1),
    seed=st.integers(0, 1000),
)
def test_hierarchical_valid_parameters(levels, size, branching, p_in, decay, seed):
    with watchdog():
        A = gen.hierarchical_modular(levels, size, branching=branching, p_in=p_in, decay=decay, seed=seed)
    assert_canonical(A)
    assert A.shape == (size * branching ** (levels - 1),) * 2
