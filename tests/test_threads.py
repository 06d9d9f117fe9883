"""The thread policy (smallworld._threads), the serial/parallel kernel dispatch and ``--threads``.

No timings here: speed is measured in benchmarks/bench_load.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import smallworld
from nets import _backends as B
from smallworld import _threads as T
from smallworld.cli import COMMANDS, build_parser, main


@pytest.fixture
def four_cores(monkeypatch, tmp_path):
    """A process with affinity {0,1,2,3}, an empty cgroup tree under tmp_path and no env var or budget set."""
    monkeypatch.setattr(T.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(T, "_CGROUP_ROOT", tmp_path)
    monkeypatch.setattr(T, "_own_cgroup", lambda: "")
    monkeypatch.delenv(T.ENV_VAR, raising=False)
    monkeypatch.setattr(T, "_requested", None)
    return tmp_path


def test_affinity_bounds_the_budget(four_cores):
    assert T.usable_cores() == 4
    assert smallworld.get_num_threads() == 4


@pytest.mark.parametrize(
    "text, expected", [("150000 100000", 1), ("200000 100000", 2), ("max 100000", 4), ("800000 100000", 4), ("50000 100000", 1)]
)
def test_cgroup_v2_quota(four_cores, text, expected):
    (four_cores / "cpu.max").write_text(text + "\n")
    assert T.usable_cores() == expected


def test_cgroup_v2_own_group_first(four_cores, monkeypatch):
    (four_cores / "cpu.max").write_text("max 100000\n")
    (four_cores / "user.slice").mkdir()
    (four_cores / "user.slice" / "cpu.max").write_text("100000 100000\n")
    monkeypatch.setattr(T, "_own_cgroup", lambda: "user.slice")
    assert T.usable_cores() == 1


@pytest.mark.parametrize("quota, expected", [("200000", 2), ("-1", 4), ("350000", 3)])
def test_cgroup_v1_quota(four_cores, quota, expected):
    (four_cores / "cpu").mkdir()
    (four_cores / "cpu" / "cpu.cfs_quota_us").write_text(quota + "\n")
    (four_cores / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert T.usable_cores() == expected


def test_unreadable_quota_is_no_quota(four_cores):
    (four_cores / "cpu.max").write_text("garbage here\n")
    assert T.usable_cores() == 4


def test_env_var(four_cores, monkeypatch):
    monkeypatch.setenv(T.ENV_VAR, "3")
    assert smallworld.get_num_threads() == 3
    monkeypatch.setenv(T.ENV_VAR, "64")  # capped to the usable cores
    assert smallworld.get_num_threads() == 4
    monkeypatch.setenv(T.ENV_VAR, "")
    assert smallworld.get_num_threads() == 4


@pytest.mark.parametrize("bad", ["0", "-2", "two", "1.5"])
def test_env_var_rejects_bad_values(four_cores, monkeypatch, bad):
    monkeypatch.setenv(T.ENV_VAR, bad)
    with pytest.raises(ValueError, match=rf"SMALLWORLD_NUM_THREADS must be an integer >= 1.*{bad!r}"):
        smallworld.get_num_threads()


def test_set_num_threads_wins_over_env_and_resets(four_cores, monkeypatch):
    monkeypatch.setenv(T.ENV_VAR, "3")
    before = torch.get_num_threads()
    try:
        smallworld.set_num_threads(2)
        assert smallworld.get_num_threads() == 2
        assert torch.get_num_threads() == 2  # torch follows the budget
        smallworld.set_num_threads(None)
        assert smallworld.get_num_threads() == 3
    finally:
        T._requested = None
        torch.set_num_threads(before)


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError), ("2", TypeError)])
def test_set_num_threads_validates(bad, exc):
    with pytest.raises(exc, match="n must be an integer >= 1"):
        smallworld.set_num_threads(bad)
    with pytest.raises(exc, match="n must be an integer >= 1"):
        with smallworld.thread_limit(bad):
            pass


def test_thread_limit_restores_budget_and_torch(four_cores):
    torch_before = torch.get_num_threads()
    with smallworld.thread_limit(1) as n:
        assert n == 1 and smallworld.get_num_threads() == 1 and torch.get_num_threads() == 1
    assert smallworld.get_num_threads() == 4
    assert torch.get_num_threads() == torch_before


def test_blas_threads_follow_the_budget():
    """numpy's BLAS pool obeys the budget too (a threaded ddot spun against busy cores under load)."""
    np.linalg.norm(np.ones(10))  # BLAS is loaded with numpy
    assert T.blas_threads() is not None
    with smallworld.thread_limit(1):
        assert T.blas_threads() == 1
    assert T.blas_threads() == T.get_num_threads()
    smallworld.set_num_threads(1)
    try:
        assert T.blas_threads() == 1
    finally:
        smallworld.set_num_threads(None)
    assert T.blas_threads() == T.get_num_threads()


# ---------------------------------------------------------------- kernels: serial twins == parallel


def _case(n_out=70, n_in=50, batch=9, density=0.2, dtype=np.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    mask = torch.rand(n_out, n_in, generator=g) < density
    s = B.build_structure(mask)
    rng = np.random.default_rng(seed)
    return mask, s, rng, batch, dtype


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_serial_and_parallel_kernels_agree(dtype, tol):
    mask, s, rng, batch, _ = _case(dtype=dtype)
    n_out, n_in = s.shape
    crow, col, crow_t, col_t, perm_t = (a.numpy() for a in (s.crow, s.col, s.crow_t, s.col_t, s.perm_t))
    vals = rng.standard_normal(s.nnz).astype(dtype)
    xt = rng.standard_normal((n_in, batch)).astype(dtype)
    gt = rng.standard_normal((n_out, batch)).astype(dtype)
    bias = rng.standard_normal(n_out).astype(dtype)
    cases = {
        "spmm": lambda: ((crow, col, vals, xt, bias), np.empty((batch, n_out), dtype)),
        "sddmm": lambda: ((crow, col, gt, xt), np.empty(s.nnz, dtype)),
        "scatter_dense": lambda: ((crow, col, vals), np.full((n_out, n_in), 7.0, dtype)),
        "zero_outside": lambda: ((), rng.standard_normal((n_out, n_in)).astype(dtype)),
    }
    for name, make in cases.items():
        par, ser = B.SERIAL_TWINS[name]
        args, out = make()
        out_p = out.copy()
        if name == "zero_outside":
            m = mask.numpy().view(np.uint8)
            par(out_p, m)
            ser(out, m)
        else:
            par(*args, out_p)
            ser(*args, out)
        np.testing.assert_allclose(out, out_p, rtol=tol, atol=tol, err_msg=name)
    par, ser = B.SERIAL_TWINS["backward"]
    outs = []
    for k in (par, ser):
        gx, gw = np.empty((batch, n_in), dtype), np.empty(s.nnz, dtype)
        k(crow_t, col_t, perm_t, vals[s.perm_t.numpy()].copy(), gt, xt, gx, gw)
        outs.append((gx, gw))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=tol, atol=tol)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=tol, atol=tol)


@pytest.fixture
def recorded(monkeypatch):
    """Replace every kernel pair by recorders; returns the list of (name, 'parallel'|'serial') calls."""
    calls: list[tuple[str, str]] = []
    fake = {}
    for name, (par, ser, unit) in B._KERNELS.items():
        fake[name] = ((lambda *a, _n=name: calls.append((_n, "parallel"))),
                      (lambda *a, _n=name: calls.append((_n, "serial"))), unit)
    monkeypatch.setattr(B, "_KERNELS", fake)
    monkeypatch.setattr(B.nb, "set_num_threads", lambda n: None)
    monkeypatch.setattr(B.nb, "get_num_threads", lambda: 2)
    monkeypatch.setattr(B.nb.config, "NUMBA_NUM_THREADS", 2)
    return calls


def test_dispatch_picks_serial_below_break_even(recorded, four_cores):
    B.run_kernel("spmm", B.PARALLEL_MIN_FMAS - 1)
    B.run_kernel("zero_outside", B.PARALLEL_MIN_ELEMENTS - 1)
    B.run_kernel("spmm", B.PARALLEL_MIN_FMAS)
    B.run_kernel("zero_outside", B.PARALLEL_MIN_ELEMENTS)
    assert recorded == [("spmm", "serial"), ("zero_outside", "serial"), ("spmm", "parallel"), ("zero_outside", "parallel")]


def test_dispatch_serial_with_a_budget_of_one(recorded, four_cores):
    with smallworld.thread_limit(1):
        B.run_kernel("backward", 100 * B.PARALLEL_MIN_FMAS)
    assert recorded == [("backward", "serial")]


def test_dispatch_serial_when_the_pool_is_busy(recorded, four_cores):
    with B._PARALLEL_LOCK:  # another Python thread is in a parallel kernel
        B.run_kernel("spmm", 100 * B.PARALLEL_MIN_FMAS)
    assert recorded == [("spmm", "serial")]


def test_small_layer_runs_serial_kernels(recorded):
    from nets import SparseLinear

    mask = torch.rand(32, 16, generator=torch.Generator().manual_seed(1)) < 0.05
    layer = SparseLinear(16, 32, mask, backend="numba", dtype=torch.float64, seed=0)
    x = torch.randn(8, 16, dtype=torch.float64, requires_grad=True)
    layer(x).sum().backward()
    assert recorded and all(mode == "serial" for _, mode in recorded)


def test_small_layer_numbers_match_dense():
    from nets import SparseLinear

    g = torch.Generator().manual_seed(2)
    mask = torch.rand(40, 30, generator=g) < 0.3
    sp = SparseLinear(30, 40, mask, backend="numba", dtype=torch.float64, seed=0)
    de = SparseLinear(30, 40, mask, backend="dense", dtype=torch.float64, seed=0)
    de.load_state_dict(sp.state_dict())
    x = torch.randn(5, 30, dtype=torch.float64, generator=g)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    sp(x1).square().sum().backward()
    de(x2).square().sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad)


def test_torch_threads_for_small_and_numba_models():
    from nets import SparseLinear

    before = torch.get_num_threads()
    with B.torch_threads_for(torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.Linear(64, 10)), 64) as n:
        assert n == 1 and torch.get_num_threads() == 1
    mask = torch.rand(4096, 4096, generator=torch.Generator().manual_seed(0)) < 0.01
    with B.torch_threads_for(SparseLinear(4096, 4096, mask, seed=0), 256) as n:
        assert n == 1  # the numba kernels take the budget
    with B.torch_threads_for(torch.nn.Linear(4096, 4096), 256) as n:
        assert n == smallworld.get_num_threads()
    assert torch.get_num_threads() == before


# ---------------------------------------------------------------- --threads on every subcommand


def _subparsers():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sub.choices


def test_every_subcommand_takes_threads():
    choices = _subparsers()
    assert set(choices) == set(COMMANDS)
    for name, p in choices.items():
        action = p._option_string_actions.get("--threads")
        assert action is not None, name
        assert action.type("3") == 3


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5"])
def test_threads_rejects_bad_values(command, bad, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, f"--threads={bad}"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--threads" in err and "integer >= 1" in err, err


def test_threads_applies_for_the_command_and_is_restored(tmp_path, capsys):
    budget, torch_before = smallworld.get_num_threads(), torch.get_num_threads()
    out = tmp_path / "g.npz"
    assert main(["generate", "--threads", "2", "watts_strogatz", "--n", "50", "--k", "4", "--p", "0.1", "--seed", "0",
                 "--out", str(out), "--threads", "1"]) == 0
    assert out.exists()
    assert smallworld.get_num_threads() == budget and torch.get_num_threads() == torch_before


# ---------------------------------------------------------------- numba cache from a read-only install


def test_cache_dir_fallback_when_install_and_home_are_read_only(monkeypatch, tmp_path):
    import numba

    from smallworld import _numba_cache as C

    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    monkeypatch.setattr(C.tempfile, "gettempdir", lambda: str(tmp_path))
    real = C._writable
    monkeypatch.setattr(C, "_writable", lambda folder: str(folder).startswith(str(tmp_path)) and real(folder))
    folder = C.ensure_cache_dir()
    assert folder is not None and folder.startswith(str(tmp_path)) and numba.config.CACHE_DIR == folder


def test_cache_dir_left_alone_when_set_or_writable(monkeypatch, tmp_path):
    import numba

    from smallworld import _numba_cache as C

    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    assert C.ensure_cache_dir() is None and numba.config.CACHE_DIR == str(tmp_path)
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    monkeypatch.setattr(C, "_writable", lambda folder: True)
    assert C.ensure_cache_dir() is None and numba.config.CACHE_DIR == ""
