"""Signals and kill -9 during real runs (issue 10): checkpoints stay intact, no stray partial folders.

Slow (real subprocesses, tens of seconds): ``python -m pytest -m slow tests/test_hostile_slow.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TRAIN = [sys.executable, "-m", "smallworld", "train", "--data", "digits", "--hidden", "32", "--seed", "0",
         "--threads", "1", "--no-progress"]


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    t0 = time.monotonic()
    while not path.exists():
        if proc.poll() is not None or time.monotonic() - t0 > timeout:
            raise AssertionError(f"{path} never appeared (exit {proc.returncode})")
        time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_train_interrupted_then_resumed(tmp_path, sig):
    from nets._checkpoint import load_checkpoint

    out = tmp_path / "run"
    proc = subprocess.Popen([*TRAIN, "--epochs", "30", "--out", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    _wait_for(out / "checkpoint.pt", proc)
    time.sleep(0.3)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    state = load_checkpoint(out / "checkpoint.pt", "cpu")  # intact: the digest matches
    done = len(state["history"])
    assert 1 <= done <= 30
    left = [p.name for p in out.iterdir() if p.name.startswith(".")]
    if sig == signal.SIGKILL:  # killed inside an atomic write, the run could not remove its temporary file
        assert all(n.startswith((".checkpoint.pt.", ".results.json.")) and n.endswith(".tmp") for n in left), left
    else:
        assert not left  # unwound: no temporary file left
    rc = subprocess.run([*TRAIN, "--epochs", str(done + 1), "--out", str(out), "--resume"], capture_output=True,
                        text=True, timeout=120)
    assert rc.returncode == 0, rc.stderr
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # the resumed run removed any


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_demo_killed_then_rerun_leaves_no_partial_folders(tmp_path, sig):
    out = tmp_path / "report"
    cmd = [sys.executable, "-m", "smallworld", "demo", "--quick", "--seed", "0", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while not list(tmp_path.glob(".report.*.partial")) and proc.poll() is None and time.monotonic() - t0 < 60:
        time.sleep(0.05)
    time.sleep(2.0)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    assert not out.exists()  # nothing half-written in place
    if sig != signal.SIGKILL:
        assert not list(tmp_path.glob(".report.*"))  # unwound: staging removed
    rc = subprocess.run([*cmd, "--epochs", "1"], capture_output=True, text=True, timeout=600)
    assert rc.returncode == 0, rc.stderr
    assert (out / "report.md").is_file()
    assert not list(tmp_path.glob(".report.*"))  # the killed run's staging folder is gone too
