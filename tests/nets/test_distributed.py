"""nets.distributed: data-parallel and layer-parallel training on 2 gloo processes equal one process.

One pair of worker processes (spawned once per module, with a timeout) runs every
scenario; the parent trains the single-process references and compares weights.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import functools
import io
import json
import os
import queue as queue_mod
import socket
import time
import traceback

import pytest
import torch

from nets import SparseMLP, load_dataset, train
from nets._shmreduce import ENV_VAR
from nets.distributed import DistributedError, comm_bytes_per_batch, launch, layer_partition

WORLD = 2
TIMEOUT_S = 240

_SIZES = [64, 24, 24, 16, 10]


def _ds():
    return load_dataset("digits", seed=0)


def _net(seed=0):
    return SparseMLP(_SIZES, seed=seed, dtype=torch.float64)


def _state_bytes(model):
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, buf)
    return buf.getvalue()


# rule, mode, epochs, batch size: equal to single-process training
EXACT = [
    ("bp", "data", 2, 64),
    ("dfa", "data", 2, 50),  # 1347 = 26 * 50 + 47: uneven slices in every batch and a short last batch
    ("fa", "data", 1, 64),
    ("predsim", "layer", 2, 64),
    ("predsim-bio", "layer-pipelined", 2, 64),
    ("sim", "layer-pipelined", 1, 100),
    ("usf", "data", 1, 64),
    ("readout-only", "data", 1, 64),
    ("pred", "layer", 1, 64),
    ("dfa", "layer", 2, 50),
    ("dfa", "layer-pipelined", 2, 64),
    ("dag-bp", "data", 1, 64),  # a WiredNet (a DAG, its own learners)
    ("dag-dfa", "data", 1, 50),
]


def _model(rule: str):
    """The model and rule of an EXACT entry: ``dag-RULE`` is RULE on a WiredNet."""
    if not rule.startswith("dag-"):
        return _net(), rule
    from nets import WiredNet, layered_smallworld

    return WiredNet(layered_smallworld([64, 24, 24, 10], 0.5, seed=0), seed=0, dtype=torch.float64), rule[4:]
# one epoch on 2 ranks, checkpointed by rank 0, resumed in one process (dfa: one optimizer, its state split by layer)
CKPT = [("data", "bp"), ("layer", "predsim"), ("layer-pipelined", "dfa")]
# rules whose updates are written by the rule itself: the ranks must agree
AGREE = [("node-perturbation", "data"), ("agrel", "data"), ("dendritic", "data"), ("predsim", "data")]


def _scenarios(rank: int, world: int, tmp: str) -> dict:
    ds = _ds()
    out = {}
    for name, mode, epochs, bs in EXACT:
        net, rule = _model(name)
        res = train(net, rule, ds, epochs=epochs, batch_size=bs, seed=3, progress=False, distributed=mode, lr=3e-3)
        if rank == 0:
            out[(name, mode)] = (_state_bytes(net), res.to_dict())
    for rule, mode in AGREE:
        net = SparseMLP([64, 16, 10], seed=1)
        train(net, rule, ds, epochs=1, batch_size=64, seed=3, progress=False, distributed=mode, lr=1e-3)
        flat = torch.cat([p.detach().reshape(-1).double() for p in net.parameters()])
        gathered = [torch.zeros_like(flat) for _ in range(world)]
        torch.distributed.all_gather(gathered, flat)
        if rank == 0:
            out[("agree", rule)] = float(max((g - flat).abs().max() for g in gathered))
    # through gloo instead of shared memory: gradients in many small buckets (some all-reduced while backward still
    # runs), and both transports compressed to bfloat16
    import nets.distributed as nd

    size, nd.BUCKET_BYTES = nd.BUCKET_BYTES, 3000
    os.environ[ENV_VAR] = "backend"
    try:
        for rule in ("bp", "dfa"):
            net = _net()
            train(net, rule, ds, epochs=1, batch_size=64, seed=3, progress=False, distributed="data", lr=3e-3)
            if rank == 0:
                out[("buckets", rule)] = _state_bytes(net)
    finally:
        nd.BUCKET_BYTES = size
        del os.environ[ENV_VAR]
    for transport in ("shm", "backend"):
        os.environ[ENV_VAR] = transport
        try:
            net = _net()
            res = train(net, "bp", ds, epochs=2, batch_size=64, seed=3, progress=False, distributed="data-bf16", lr=3e-3)
        finally:
            del os.environ[ENV_VAR]
        flat = torch.cat([p.detach().reshape(-1) for p in net.parameters()])
        gathered = [torch.zeros_like(flat) for _ in range(world)]
        torch.distributed.all_gather(gathered, flat)
        if rank == 0:
            out[("bf16", transport)] = (_state_bytes(net), res.to_dict(), float(max((g - flat).abs().max() for g in gathered)))
    out.update(_shm_scenarios(rank, world))
    # checkpoints: rank 0 alone writes one epoch of each mode (every write counted); the parent resumes them
    import sys

    nets_train = sys.modules["nets.train"]  # (nets.train the attribute is the function)

    writes: list = []
    saved = nets_train.save_checkpoint, nets_train.write_json
    nets_train.save_checkpoint = lambda path, state: (writes.append(os.path.basename(path)), saved[0](path, state))[1]
    nets_train.write_json = lambda path, obj: (writes.append(os.path.basename(path)), saved[1](path, obj))[1]
    try:
        for mode, rule in CKPT:
            net = _net()
            train(net, rule, ds, epochs=1, batch_size=64, seed=3, progress=False, distributed=mode, lr=3e-3,
                  out=os.path.join(tmp, f"ckpt-{mode}"))  # fmt: skip
    finally:
        nets_train.save_checkpoint, nets_train.write_json = saved
    every = [None] * world
    torch.distributed.all_gather_object(every, writes)
    if rank == 0:
        out["writes"] = every
    # the same run resumed on 2 ranks from a one-process checkpoint
    net = _net()
    train(net, "bp", ds, epochs=2, batch_size=64, seed=3, progress=False, distributed="data", lr=3e-3,
          out=os.path.join(tmp, "ckpt-single"), resume=True)  # fmt: skip
    if rank == 0:
        out["resumed-on-2"] = _state_bytes(net)
    return out


@contextlib.contextmanager
def _patched(obj, name: str, value, when: bool = True):
    """``obj.name = value`` inside the block (when ``when``), restored after it."""
    saved = getattr(obj, name)
    if when:
        setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, saved)


def _open_error(sr) -> str:
    """The message of a shared-memory set-up that must succeed but fails ("no error" when it succeeds)."""
    try:
        sr.SharedReducer.open(10, torch.float32, on_cpu=True, required=True).close()
        return "no error"
    except RuntimeError as exc:
        return str(exc)


def _shm_scenarios(rank: int, world: int) -> dict:
    """The shared-memory reducer on its own: sums, the transport each setting picks, and its refusals."""
    import warnings

    import nets._shmreduce as sr
    from nets import apply_rule
    from nets.distributed import DataParallel

    out: dict = {}
    shapes = [(3, 5), (7,), (2, 2, 2)]
    red = sr.SharedReducer.open(40, torch.float64, on_cpu=True, required=True)
    for step in range(3):  # reused: each step's result must not mix with the previous one's
        grads = [torch.full(sh, float(10 * step + rank + 1), dtype=torch.float64) for sh in shapes]
        grads[1][0] = -rank
        weight = 0.25 if rank == 0 else 0.75
        nbytes = red.all_reduce(grads, weight)
        if rank == 0:
            out[("shm-sum", step)] = ([g.tolist() for g in grads], nbytes)
    try:  # rank 1 has one gradient fewer (a parameter unused on its slice): both ranks refuse, neither sums
        red.all_reduce([torch.ones(3, dtype=torch.float64)] * (2 - rank), 0.5)
        out[("sizes", "differ", rank)] = "no error"
    except RuntimeError as exc:
        out[("sizes", "differ", rank)] = str(exc)
    red.close()
    import tempfile

    with _patched(sr, "_DIRS", ("/nonexistent-smallworld-dir", tempfile.gettempdir())):  # no /dev/shm (macOS)
        red = sr.SharedReducer.open(4, torch.float32, on_cpu=True, required=True)
        g = [torch.full((4,), float(rank + 1))]
        red.all_reduce(g, 0.5)
        red.close()
        out[("tmpdir", "sum", rank)] = g[0].tolist()
    for setting in ("auto", "shm", "backend"):
        os.environ[ENV_VAR] = setting
        try:
            par = DataParallel(apply_rule(_net(), "bp", seed=0))
            out[("transport", setting, rank)] = (par.transport, par._shm is not None, len(par._buckets) > 0)
            par.close()
        finally:
            del os.environ[ENV_VAR]
    with _patched(sr, "_DIRS", ("/nonexistent-smallworld-dir",)), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out[("no-shm", "auto", rank)] = sr.SharedReducer.open(10, torch.float32, on_cpu=True, required=False)
        out[("no-shm", "shm", rank)] = _open_error(sr)
        out[("no-shm", "cpu", rank)] = sr.SharedReducer.open(10, torch.float32, on_cpu=False, required=False)
    out[("no-shm", "warned", rank)] = len(caught)
    refuse = lambda *a, **k: (_ for _ in ()).throw(OSError("mapping refused"))  # noqa: E731
    with _patched(torch, "from_file", refuse, rank == 1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # rank 1 cannot map the file that rank 0 created and mapped
        out[("map-fails", "auto", rank)] = sr.SharedReducer.open(10, torch.float32, on_cpu=True, required=False)
    out[("map-fails", "warned", rank)] = [str(w.message) for w in caught]
    with _patched(sr.os.path, "isfile", lambda path: False, rank == 1):  # as on another machine: no file there
        out[("elsewhere", "shm", rank)] = _open_error(sr)
    private = functools.partial(torch.from_file, shared=False)  # as on another machine: rank 1's writes stay its own
    with _patched(torch, "from_file", lambda path, shared, size, dtype: private(path, size=size, dtype=dtype), rank == 1):
        out[("private", "shm", rank)] = _open_error(sr)
    import gc

    gc.collect()  # every reducer above (and those of the trainings before) is closed: none may stay mapped
    with open("/proc/self/maps") as f:
        out[("maps", "left", rank)] = [line for line in f if "smallworld-dp-" in line]
    gathered: list = [None] * world
    torch.distributed.all_gather_object(gathered, {k: v for k, v in out.items() if len(k) == 3})
    if rank == 0:
        for d in gathered:
            out.update(d)
    return out if rank == 0 else {}


def _entry(rank: int, world: int, port: int, q, fn_name: str, tmp: str) -> None:
    try:
        torch.set_num_threads(1)
        torch.distributed.init_process_group(
            "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world,
            timeout=datetime.timedelta(seconds=60),
        )  # fmt: skip
        q.put((rank, "ok", globals()[fn_name](rank, world, tmp)))
    except BaseException as exc:  # noqa: BLE001
        q.put((rank, "error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
    finally:
        if torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def _spawn(fn_name: str, tmp: str, timeout: float = TIMEOUT_S) -> dict:
    import torch.multiprocessing as mp

    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = [ctx.Process(target=_entry, args=(r, WORLD, port, q, fn_name, tmp), daemon=True) for r in range(WORLD)]
    for p in procs:
        p.start()
    got: dict = {}
    deadline = time.monotonic() + timeout
    try:
        while len(got) < WORLD:  # a rank that died without a report is recorded as "died"
            try:
                rank, status, value = q.get(timeout=0.5)
                got[rank] = (status, value)
                continue
            except queue_mod.Empty:
                pass
            for r, p in enumerate(procs):
                if r not in got and not p.is_alive() and q.empty():
                    got[r] = ("died", p.exitcode)
            if time.monotonic() > deadline:
                pytest.fail(f"distributed workers did not finish within {timeout} s: got {sorted(got)}")
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
    return got


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("dist"))
    single = os.path.join(tmp, "ckpt-single")
    train(_net(), "bp", _ds(), epochs=1, batch_size=64, seed=3, progress=False, lr=3e-3, out=single)
    got = _spawn("_scenarios", tmp)
    errors = [v for s, v in got.values() if s != "ok"]
    assert not errors, errors[0]
    return got[0][1], tmp


def _load(blob):
    return torch.load(io.BytesIO(blob), weights_only=True)


def _max_diff(a: dict, b: dict) -> float:
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a if a[k].is_floating_point())


@pytest.mark.parametrize("rule,mode,epochs,bs", EXACT)
def test_parallel_equals_single_process(results, rule, mode, epochs, bs):
    out, _ = results
    ref, name = _model(rule)
    r1 = train(ref, name, _ds(), epochs=epochs, batch_size=bs, seed=3, progress=False, lr=3e-3)
    blob, res = out[(rule, mode)]
    assert _max_diff(ref.state_dict(), _load(blob)) < 1e-6
    for h1, h2 in zip(r1.history, res["history"]):
        assert h2["train_loss"] == pytest.approx(h1["train_loss"], abs=1e-6)
        assert h2["train_accuracy"] == pytest.approx(h1["train_accuracy"], abs=1e-9)
        assert h2["test_accuracy"] == h1["test_accuracy"]


@pytest.mark.parametrize("rule", ["bp", "dfa"])
def test_gradient_buckets_equal_single_process(results, rule):
    """3,000-byte buckets: the float64 model's 4 layers make 3 buckets, the first two reduced during the backward pass."""
    import nets.distributed as nd

    params = list(_net().parameters())
    buckets = nd._buckets(params, 3000)
    assert [p for b in buckets for p in b] == params[::-1] and len(buckets) == 3
    assert all(sum(p.numel() * 8 for p in b[:-1]) < 3000 <= sum(p.numel() * 8 for p in b) for b in buckets[:-1])
    out, _ = results
    ref = _net()
    train(ref, rule, _ds(), epochs=1, batch_size=64, seed=3, progress=False, lr=3e-3)
    assert _max_diff(ref.state_dict(), _load(out[("buckets", rule)])) < 1e-6


@pytest.mark.parametrize("transport", ["shm", "backend"])
def test_bf16_gradients_stay_close_to_single_process(results, transport):
    """data-bf16 rounds each averaged gradient to 8 significant bits on the wire: the ranks still agree exactly,
    the weights differ from one process by Adam-step-sized amounts, not more, and the accuracy holds."""
    out, _ = results
    ref = _net()
    r1 = train(ref, "bp", _ds(), epochs=2, batch_size=64, seed=3, progress=False, lr=3e-3)
    blob, res, rank_gap = out[("bf16", transport)]
    assert rank_gap == 0.0
    diff = _max_diff(ref.state_dict(), _load(blob))
    assert 1e-9 < diff < 0.05  # compressed (not bit-equal), yet within a few steps of lr 3e-3
    assert abs(res["history"][-1]["test_accuracy"] - r1.history[-1]["test_accuracy"]) <= 0.02
    net = SparseMLP([784, 1024, 10], seed=0)
    assert comm_bytes_per_batch(net, "bp", "data-bf16", 256, 2) * 2 == comm_bytes_per_batch(net, "bp", "data", 256, 2)


def test_shared_memory_reducer_sums_weighted_gradients(results):
    """Rank r holds 10 step + r + 1 everywhere (but -r in one element), weighted 1/4 and 3/4: the weighted sums,
    three steps in a row through the same buffers, and the bytes this rank wrote (30 float64 values)."""
    out, _ = results
    for step in range(3):
        grads, nbytes = out[("shm-sum", step)]
        v = 0.25 * (10 * step + 1) + 0.75 * (10 * step + 2)
        assert grads[0] == [[v] * 5] * 3 and grads[2] == [[[v] * 2] * 2] * 2
        assert grads[1] == [0.25 * 0 + 0.75 * -1] + [v] * 6
        assert nbytes == 30 * 8


def test_transport_setting_picks_shared_memory_or_the_backend(results):
    """auto and shm take shared memory on one machine (and then skip gloo's buckets), backend takes gloo and its
    buckets; where shared memory cannot be set up, auto falls back on every rank with a warning from rank 0, shm
    refuses on every rank with the reason, and CUDA parameters never use it."""
    out, _ = results
    for rank in range(WORLD):
        assert out[("transport", "auto", rank)] == ("shm", True, False)
        assert out[("transport", "shm", rank)] == ("shm", True, False)
        assert out[("transport", "backend", rank)] == ("gloo", False, True)
        assert out[("no-shm", "auto", rank)] is None and out[("no-shm", "cpu", rank)] is None
        assert "SMALLWORLD_DATA_TRANSPORT=shm: shared memory cannot serve the data-parallel ranks: " in out[("no-shm", "shm", rank)]
        assert "none of /nonexistent-smallworld-dir is a writable folder" in out[("no-shm", "shm", rank)]
        assert out[("map-fails", "auto", rank)] is None
        assert "data-parallel ranks disagree on the gradients to average: [6, 3] elements on ranks 0..1" in out[
            ("sizes", "differ", rank)
        ]
        assert out[("maps", "left", rank)] == []  # closed reducers are unmapped, not kept alive by a view
        assert out[("tmpdir", "sum", rank)] == [1.5] * 4  # (1 + 2) / 2 through a file in the temporary folder
        assert "rank 1 could not map /dev/shm/smallworld-dp-" in out[("elsewhere", "shm", rank)]
        assert out[("elsewhere", "shm", rank)].endswith("-byte file there (this rank runs on another machine)")
        assert "rank 0 does not see the other ranks' writes (they run on another machine)" in out[("private", "shm", rank)]
    assert out[("no-shm", "warned", 0)] == 0  # nothing was mapped: the set-up never looked possible
    assert out[("map-fails", "warned", 1)] == []  # rank 0 alone tells the user
    (msg,) = out[("map-fails", "warned", 0)]
    assert msg.startswith("data-parallel gradients fall back to gloo's all-reduce: rank 1 could not map /dev/shm/")
    assert msg.endswith("mapping refused")


def test_transport_setting_refuses_bad_values(monkeypatch):
    from nets._shmreduce import transport_setting

    monkeypatch.setenv(ENV_VAR, " SHM ")
    assert transport_setting() == "shm"
    monkeypatch.setenv(ENV_VAR, "tcp")
    with pytest.raises(ValueError, match="SMALLWORLD_DATA_TRANSPORT must be one of 'auto', 'shm', 'backend', got SMALLWORLD_DATA_TRANSPORT='tcp'"):
        transport_setting()
    with pytest.raises(ValueError, match="SMALLWORLD_DATA_TRANSPORT must be one of"):  # before any worker starts
        launch(2, _net(), "bp", _ds(), mode="data", epochs=1)


@pytest.mark.parametrize("rule", [r for r, _ in AGREE])
def test_data_parallel_ranks_agree_for_rules_with_own_updates(results, rule):
    out, _ = results
    assert out[("agree", rule)] == 0.0


@pytest.mark.parametrize("mode,rule", CKPT)
def test_rank0_checkpoint_resumes_on_one_process(results, mode, rule):
    _, tmp = results
    folder = os.path.join(tmp, f"ckpt-{mode}")
    assert json.load(open(os.path.join(folder, "results.json")))["epochs"] == 1
    resumed = _net()
    train(resumed, rule, _ds(), epochs=2, batch_size=64, seed=3, progress=False, lr=3e-3, out=folder, resume=True)
    ref = _net()
    train(ref, rule, _ds(), epochs=2, batch_size=64, seed=3, progress=False, lr=3e-3)
    assert _max_diff(ref.state_dict(), resumed.state_dict()) < 1e-6


def test_rank0_alone_writes(results):
    out, _ = results
    assert out["writes"] == [["checkpoint.pt", "results.json"] * len(CKPT), []]


def test_one_process_checkpoint_resumes_on_two_ranks(results):
    out, _ = results
    ref = _net()
    train(ref, "bp", _ds(), epochs=2, batch_size=64, seed=3, progress=False, lr=3e-3)
    assert _max_diff(ref.state_dict(), _load(out["resumed-on-2"])) < 1e-6


class _Faulty(SparseMLP):
    """Rank 1 dies (``"die"``) or stalls (``"stall"``) at its 4th forward pass (the 1st is train's probe)."""

    def __init__(self, fault: str) -> None:
        super().__init__(_SIZES, seed=0, dtype=torch.float64)
        self.fault, self.calls = fault, 0

    def forward(self, x):
        self.calls += 1
        if self.calls == 4 and torch.distributed.is_initialized() and torch.distributed.get_rank() == 1:
            if self.fault == "die":
                os._exit(3)  # dies without a word
            time.sleep(120)  # alive but silent: the others must time out, not hang
        return super().forward(x)


def test_dead_rank_stops_the_others_with_a_message():
    t0 = time.monotonic()
    with pytest.raises(DistributedError, match=r"rank 1 died \(exit code 3\) without a report; the other ranks were stopped"):
        launch(2, _Faulty("die"), "bp", _ds(), mode="data", epochs=1, batch_size=64, progress=False, timeout_s=60)
    assert time.monotonic() - t0 < 50  # noticed at once, not after the 60 s timeout


def test_stalled_rank_times_out_with_a_message():
    t0 = time.monotonic()
    with pytest.raises(DistributedError, match="rank 0 lost contact with the other ranks during the gradient all-reduce"):
        launch(2, _Faulty("stall"), "bp", _ds(), mode="data", epochs=1, batch_size=64, progress=False, timeout_s=3)
    assert time.monotonic() - t0 < 60  # the 3 s timeout, not the 120 s stall


def test_launch_reraises_a_workers_bad_argument():
    with pytest.raises(ValueError, match="at least 2 samples in every mini-batch"):
        launch(2, _net(), "bp", _ds(), mode="data", epochs=1, batch_size=1, progress=False, timeout_s=60)


def test_bad_inputs_are_refused_before_any_process_starts():
    with pytest.raises(ValueError, match="distributed must be one of"):
        train(_net(), "bp", _ds(), epochs=1, distributed="model")
    with pytest.raises(ValueError, match="initialized torch.distributed process group"):
        train(_net(), "bp", _ds(), epochs=1, progress=False, distributed="data")
    with pytest.raises(ValueError, match="layer-parallel training runs the rules whose blocks need no gradient from above"):
        launch(2, _net(), "bp", _ds(), mode="layer")
    with pytest.raises(ValueError, match="nproc must be"):
        launch(0, _net(), "bp", _ds())
    with pytest.raises(ValueError, match="at most one rank per block"):
        layer_partition([1, 1], 3)


def test_layer_partition_and_comm_bytes():
    assert layer_partition([4, 4, 4, 1], 2) == [0, 0, 1, 1]
    assert layer_partition([10, 1, 1, 1], 2) == [0, 1, 1, 1]
    net = SparseMLP([784, 1024, 1024, 1024, 1024, 10], seed=0)
    n = sum(p.numel() for p in net.parameters())
    assert comm_bytes_per_batch(net, "bp", "data", 256, 2) == n * 4
    assert comm_bytes_per_batch(net, "predsim", "layer", 128, 2) == 128 * 1024 * 4
