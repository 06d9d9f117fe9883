"""nets.train: every rule learns, determinism, checkpoints, resume, divergence, bad input."""

from __future__ import annotations

import json
import math

import pytest
import torch

from nets.data import load_dataset
from nets.models import SparseMLP
from nets.wiring import layered_masks
from nets.rules import Rule
from nets.train import TrainingDiverged, TrainResult, train

ALL_RULES = [r.value for r in Rule]


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", seed=0)


def _net(seed=0, hidden=(32,)):
    return SparseMLP([64, *hidden, 10], seed=seed)


@pytest.mark.parametrize("rule", ALL_RULES)
def test_every_rule_learns_digits(rule, digits):
    res = train(_net(), rule, digits, epochs=3, lr=3e-3, batch_size=32, seed=0, progress=False)
    # chance is 10%; three epochs on a 64-32-10 net reach far more with every rule
    # (node perturbation estimates the gradient from a scalar per trial: slower, see tests/nets/test_reward.py)
    floor = 0.5 if rule in ("readout-only", "node-perturbation") else 0.8
    assert res.final_test_accuracy > floor, res.history
    assert [h["epoch"] for h in res.history] == [1, 2, 3]
    assert res.history[-1]["train_loss"] < res.history[0]["train_loss"] or rule == "readout-only"
    if Rule(rule).is_feedback:
        angles = res.history[-1]["angles"]
        assert set(angles) == {"layers.0", "layers.1"} and all(0 <= a <= 180 for a in angles.values())
    else:
        assert "angles" not in res.history[-1]


@pytest.mark.parametrize("rule", ["fa", "dfa", "predsim"])
def test_same_seed_is_bit_identical(rule, digits):
    runs = []
    for _ in range(2):
        net = _net()
        res = train(net, rule, digits, epochs=2, batch_size=64, seed=5, progress=False)
        runs.append((res, net.state_dict()))
    (a, sa), (b, sb) = runs
    strip = lambda h: [{k: v for k, v in r.items() if k != "time_s"} for r in h]  # noqa: E731
    assert strip(a.history) == strip(b.history)
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    c = train(_net(), rule, digits, epochs=2, batch_size=64, seed=6, progress=False)
    assert strip(c.history) != strip(a.history)


@pytest.mark.parametrize("rule", ["fa", "dfa", "predsim"])
def test_resume_gives_the_uninterrupted_result(rule, digits, tmp_path):
    full_net = _net()
    full = train(full_net, rule, digits, epochs=4, batch_size=64, seed=1, out=tmp_path / "full", progress=False)
    part_net = _net()
    train(part_net, rule, digits, epochs=2, batch_size=64, seed=1, out=tmp_path / "part", progress=False)
    resumed_net = _net(seed=99)  # different init: everything must come from the checkpoint
    resumed = train(resumed_net, rule, digits, epochs=4, batch_size=64, out=tmp_path / "part", resume=True, progress=False)
    strip = lambda h: [{k: v for k, v in r.items() if k != "time_s"} for r in h]  # noqa: E731
    assert strip(resumed.history) == strip(full.history)
    assert all(torch.equal(v, resumed_net.state_dict()[k]) for k, v in full_net.state_dict().items())
    saved = json.loads((tmp_path / "part" / "results.json").read_text())
    assert saved["final_test_accuracy"] == full.final_test_accuracy and saved["epochs"] == 4
    assert sorted(p.name for p in (tmp_path / "part").iterdir()) == ["checkpoint.pt", "results.json"]


def test_resume_removes_what_a_killed_writer_left_half_written(digits, tmp_path):
    """kill -9 during an atomic write leaves its temporary file; the resumed run deletes such files, and only those."""
    train(_net(), "bp", digits, epochs=1, seed=0, out=tmp_path, progress=False)
    stale = [tmp_path / ".checkpoint.pt.k9x2.tmp", tmp_path / ".results.json.a1b2.tmp"]
    keep = [tmp_path / ".notes.tmp", tmp_path / "checkpoint.pt.tmp", tmp_path / ".checkpoint.pt.k9x2.bak"]
    for p in stale + keep:
        p.write_bytes(b"half")
    train(_net(), "bp", digits, epochs=2, seed=0, out=tmp_path, resume=True, progress=False)
    assert not any(p.exists() for p in stale)
    assert all(p.read_bytes() == b"half" for p in keep)


def test_resume_checks(digits, tmp_path):
    train(_net(), "bp", digits, epochs=1, seed=0, out=tmp_path, progress=False)
    with pytest.raises(FileExistsError, match="pass resume=True"):
        train(_net(), "bp", digits, epochs=2, seed=0, out=tmp_path, progress=False)
    with pytest.raises(ValueError, match="checkpoint was written with rule='bp', this run has rule='fa'"):
        train(_net(), "fa", digits, epochs=2, seed=0, out=tmp_path, resume=True, progress=False)
    with pytest.raises(ValueError, match="checkpoint was written with lr="):
        train(_net(), "bp", digits, epochs=2, lr=0.5, seed=0, out=tmp_path, resume=True, progress=False)
    with pytest.raises(FileNotFoundError, match="no checkpoint to resume from"):
        train(_net(), "bp", digits, epochs=2, seed=0, out=tmp_path / "empty", resume=True, progress=False)
    with pytest.raises(ValueError, match="resume=True needs out=DIR"):
        train(_net(), "bp", digits, epochs=2, resume=True, progress=False)


def test_nan_stops_with_epoch_and_batch_and_writes_nothing(digits, tmp_path):
    net = _net()
    with torch.no_grad():
        net.layers[0].weight[0, 0] = float("nan")
    with pytest.raises(TrainingDiverged, match=r"diverged at epoch 1, batch 0: the loss is nan.*nothing was written") as info:
        train(net, "bp", digits, epochs=2, seed=0, out=tmp_path / "run", progress=False)
    assert (info.value.epoch, info.value.batch) == (1, 0) and isinstance(info.value, ValueError)
    assert not (tmp_path / "run").exists() or not any((tmp_path / "run").iterdir())


def test_divergence_in_a_later_epoch_keeps_the_last_good_checkpoint(digits, tmp_path):
    net = _net()

    def poison(record):
        if record["epoch"] == 1:
            with torch.no_grad():
                net.layers[1].weight.fill_(float("inf"))

    with pytest.raises(TrainingDiverged, match="epoch 2, batch 0.*checkpoint of epoch 1 is kept"):
        train(net, "predsim", digits, epochs=3, seed=0, out=tmp_path, callback=poison, progress=False)
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert len(state["history"]) == 1 and not (tmp_path / "results.json").exists()
    assert all(bool(torch.isfinite(v).all()) for v in state["model"].values() if v.is_floating_point())


def test_blow_up_is_divergence(digits):
    with pytest.raises(TrainingDiverged, match="diverged at epoch"):
        train(_net(), "bp", digits, epochs=5, lr=1e6, optimizer="sgd", seed=0, progress=False)


def test_result_and_callback(digits, capsys):
    seen = []
    res = train(_net(), "fa", digits, epochs=2, seed=0, callback=seen.append, progress=True)
    assert [r["epoch"] for r in seen] == [1, 2]
    assert isinstance(res, TrainResult) and res.epochs == 2 and res.rule == "fa"
    d = json.loads(json.dumps(res.to_dict()))
    assert d["final_test_accuracy"] == res.final_test_accuracy == res.history[-1]["test_accuracy"]
    assert set(d["history"][0]) == {"epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "time_s", "angles"}
    assert d["config"]["seed"] == 0 and d["config"]["rule"] == "fa"
    assert "train fa" in capsys.readouterr().err  # the tqdm bar


def test_data_by_name_and_tuple(digits):
    a = train(_net(), "bp", "digits", epochs=1, seed=3, progress=False)
    ds3 = load_dataset("digits", seed=3)
    b = train(_net(), "bp", (ds3.X_train, ds3.y_train, ds3.X_test, ds3.y_test), epochs=1, seed=3, progress=False)
    assert a.final_test_accuracy == b.final_test_accuracy


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"epochs": 0}, ValueError, "epochs must be an integer >= 1"),
        ({"batch_size": 2.5}, TypeError, "batch_size must be an integer"),
        ({"lr": -1.0}, ValueError, "lr must be a real number > 0"),
        ({"device": "cuda:7"}, ValueError, "device="),
        ({"device": "tpu"}, ValueError, "device must be"),
        ({"callback": 3}, TypeError, "callback must be callable"),
        ({"progress": "yes"}, TypeError, "progress must be True or False"),
        ({"rule": "backprop"}, ValueError, "rule must be one of"),
        ({"data": 42}, TypeError, "data must be a nets.Dataset"),
        ({"model": SparseMLP([40, 8, 10], seed=0)}, ValueError, "takes 40 input features but data set 'digits' has 64"),
        ({"model": SparseMLP([64, 8, 5], seed=0)}, ValueError, "has 5 outputs but data set 'digits' has 10 classes"),
    ],
)
def test_bad_arguments(kwargs, exc, match, digits):
    args = {"model": _net(), "rule": "bp", "data": digits, "epochs": 1, "progress": False} | kwargs
    with pytest.raises(exc, match=match):
        train(**args)


def test_no_epoch_result_is_nan():
    assert math.isnan(TrainResult("bp").final_test_accuracy)


@pytest.mark.parametrize("rule", ["bp", "fa"])
def test_wired_dag_trains_with_layerwise_feedback(rule, digits):
    import warnings

    import networkx as nx

    from nets.models import WiredNet

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # neurons without inputs in a random DAG
        net = WiredNet(nx.gnm_random_graph(120, 1200, seed=0), inputs=64, outputs=10, backend="dense", seed=0)
    res = train(net, rule, digits, epochs=2, lr=3e-3, seed=0, progress=False)
    assert res.final_test_accuracy > 0.3  # chance is 0.1
    small = (torch.zeros(4, 40), torch.tensor([0, 1, 0, 1]), torch.zeros(2, 40), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="takes 64 input features but data set 'arrays' has 40"):
        train(net, rule, small, epochs=1, progress=False)


@pytest.mark.parametrize("rule", ["bp", "fa", "dfa", "predsim"])
def test_train_on_a_device_then_resume_on_cpu(device, rule, tmp_path):
    # every rule through the sparse CSR kernel on `device`, then the run continues on the CPU
    ds = load_dataset("digits", seed=0)
    masks = layered_masks([64, 32, 10], "er", 0.3, sparse_output=True, seed=0)
    net = SparseMLP([64, 32, 10], masks, backend="csr", seed=0, device=device)
    first = train(net, rule, ds, epochs=2, lr=3e-3, seed=0, out=tmp_path, progress=False)  # device=None: the model's
    assert {p.device.type for p in net.parameters()} == {device}
    assert first.config["device"].startswith(device)
    later = SparseMLP([64, 32, 10], masks, backend="csr", seed=0)
    resumed = train(later, rule, ds, epochs=3, lr=3e-3, seed=0, out=tmp_path, resume=True, device="cpu", progress=False)
    assert resumed.epochs == 3
    strip = [{k: v for k, v in r.items() if k != "time_s"} for r in resumed.history[:2]]
    assert strip == [{k: v for k, v in r.items() if k != "time_s"} for r in first.history]
    # learning, not just running: the loss falls and accuracy is well above chance (0.1)
    assert resumed.history[-1]["train_loss"] < resumed.history[0]["train_loss"]
    assert resumed.final_test_accuracy > 0.3
    if device == "cpu":  # on the CPU the resumed run is the uninterrupted one, bit for bit
        whole = train(SparseMLP([64, 32, 10], masks, backend="csr", seed=0), rule, ds, epochs=3, lr=3e-3, seed=0,
                      progress=False)  # fmt: skip
        assert [r["test_loss"] for r in whole.history] == [r["test_loss"] for r in resumed.history]


def test_divergence_checked_in_batches_off_the_cpu_still_names_the_first_bad_batch(monkeypatch):
    # the GPU path reads losses back once per CHECK_EVERY_GPU batches; emulate it on the CPU
    import importlib

    T = importlib.import_module("nets.train")  # the module (nets.train the attribute is the function)

    ds = load_dataset("digits", seed=0)
    calls = []
    real = T._check_losses

    def spy(pending, *a):
        calls.append(len(pending))
        return real(pending, *a)

    monkeypatch.setattr(T, "_check_losses", spy)
    monkeypatch.setattr(T, "CHECK_EVERY_GPU", 5)
    net = SparseMLP([64, 32, 10], seed=0)
    res = train(net, "bp", ds, epochs=1, lr=1e-3, seed=0, progress=False)
    assert res.epochs == 1 and all(c == 1 for c in calls)  # CPU: every batch
    pending = [(b, torch.tensor(1.0), [torch.tensor(0.5)]) for b in range(4)]
    pending[2] = (2, torch.tensor(2e4), [torch.tensor(0.5)])
    pending[3] = (3, torch.tensor(float("nan")), [torch.tensor(0.5)])
    with pytest.raises(TrainingDiverged, match=r"epoch 7, batch 2: the loss 20000 exceeds") as exc:
        real(pending, Rule.BP, 7, T.apply_rule(SparseMLP([4, 3], seed=0), "bp"), None)
    assert (exc.value.epoch, exc.value.batch) == (7, 2)
    pending[2] = (2, torch.tensor(1.0), [torch.tensor(float("inf"))])
    with pytest.raises(TrainingDiverged, match=r"batch 2: a local loss is inf"):
        real(pending, Rule.BP, 7, T.apply_rule(SparseMLP([4, 3], seed=0), "bp"), None)


@pytest.mark.parametrize("damage", ["truncated", "text", "empty", "other-dict", "list"])
def test_a_damaged_checkpoint_is_one_clear_error_naming_the_file(damage, digits, tmp_path):
    train(_net(), "bp", digits, epochs=1, seed=0, out=tmp_path, progress=False)
    ckpt = tmp_path / "checkpoint.pt"
    data = ckpt.read_bytes()
    if damage == "truncated":
        ckpt.write_bytes(data[: len(data) // 3])
    elif damage == "text":
        ckpt.write_text("hello\n")
    elif damage == "empty":
        ckpt.write_bytes(b"")
    elif damage == "other-dict":
        torch.save({"a": torch.zeros(2)}, ckpt)
    else:
        torch.save([1, 2], ckpt)
    with pytest.raises(ValueError, match=r"checkpoint\.pt is not a (readable )?training checkpoint"):
        train(_net(), "bp", digits, epochs=2, seed=0, out=tmp_path, resume=True, progress=False)


def test_resume_refuses_fewer_epochs_and_says_when_there_is_nothing_to_do(digits, tmp_path):
    train(_net(), "bp", digits, epochs=2, seed=0, out=tmp_path, progress=False)
    with pytest.raises(ValueError, match="already holds 2 epochs, more than epochs=1; pass epochs >= 2"):
        train(_net(), "bp", digits, epochs=1, seed=0, out=tmp_path, resume=True, progress=False)
    with pytest.warns(UserWarning, match="nothing to train: .* already holds all 2 epochs"):
        res = train(_net(), "bp", digits, epochs=2, seed=0, out=tmp_path, resume=True, progress=False)
    assert res.epochs == 2


def test_out_must_name_a_folder_and_other_runs_results_are_not_overwritten(digits, tmp_path):
    for bad in ("", "  "):
        with pytest.raises(ValueError, match="out must name a folder"):
            train(_net(), "bp", digits, epochs=1, seed=0, out=bad, progress=False)
    (tmp_path / "results.json").write_text('{"precious": 1}\n')
    with pytest.raises(FileExistsError, match="results.json already exists"):
        train(_net(), "bp", digits, epochs=1, seed=0, out=tmp_path, progress=False)
    assert (tmp_path / "results.json").read_text() == '{"precious": 1}\n'
    assert not (tmp_path / "checkpoint.pt").exists()


def test_metadata_is_kept_and_must_match_on_resume(digits, tmp_path):
    res = train(_net(), "bp", digits, epochs=1, seed=0, out=tmp_path, progress=False, metadata={"wiring": "ws", "p": 0.1})
    assert res.config["metadata"] == {"wiring": "ws", "p": 0.1}
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["config"]["metadata"] == {"wiring": "ws", "p": 0.1}
    with pytest.raises(ValueError, match=r"cannot resume: the checkpoint was written with metadata=\{'wiring': 'ws', 'p': 0.1\}"):
        train(_net(), "bp", digits, epochs=2, seed=0, out=tmp_path, resume=True, progress=False, metadata={"wiring": "er"})
    with pytest.raises(TypeError, match="metadata must be JSON-serialisable"):
        train(_net(), "bp", digits, epochs=1, seed=0, progress=False, metadata={"x": object()})
    again = train(_net(), "bp", digits, epochs=2, seed=0, out=tmp_path, resume=True, progress=False,
                  metadata={"wiring": "ws", "p": 0.1})  # fmt: skip
    assert again.epochs == 2


def test_a_checkpoint_with_a_flipped_tensor_byte_is_refused(digits, tmp_path):
    # torch.load checks no checksum: a damaged weight would load silently and training go on from it
    import io
    import struct
    import zipfile

    train(_net(), "bp", digits, epochs=1, seed=0, out=tmp_path, progress=False)
    ckpt = tmp_path / "checkpoint.pt"
    data = bytearray(ckpt.read_bytes())
    info = next(i for i in zipfile.ZipFile(io.BytesIO(bytes(data))).infolist() if "/data/" in i.filename)
    name_len, extra_len = struct.unpack("<HH", bytes(data[info.header_offset + 26 : info.header_offset + 30]))
    data[info.header_offset + 30 + name_len + extra_len + 5] ^= 0xFF  # one byte of the first tensor
    ckpt.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checkpoint.pt is damaged: its contents no longer match the SHA-256"):
        train(_net(), "bp", digits, epochs=2, seed=0, out=tmp_path, resume=True, progress=False)
