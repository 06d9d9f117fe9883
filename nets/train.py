"""``nets.train``: one training loop for every learning rule, with checkpoints and resume."""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from smallworld._atomic import remove_stale_temporaries
from smallworld._validation import check_bool, check_int, check_real

from ._checkpoint import CHECKPOINT_NAME, RESULTS_NAME, load_checkpoint, save_checkpoint, write_json
from ._learner import Learner, TrainingDiverged
from ._utils import resolve_device, seed_int
from .data import Dataset, load_dataset
from .rules import Rule, apply_rule, as_rule, feedback_layers
from .rewire import Rewirer, Rewiring

__all__ = ["train", "TrainResult", "TrainingDiverged", "evaluate", "DIVERGENCE_LOSS"]

#: A batch loss above this (in nats; chance level is ``ln(n_classes)``) counts as divergence.
DIVERGENCE_LOSS = 1e4

#: Off the CPU, batch losses are read back (and checked) once per this many batches.
CHECK_EVERY_GPU = 32

_EVAL_BATCH = 4096
# Keys of the run configuration that a resumed run must share with its checkpoint.
_RESUME_KEYS = ("rule", "optimizer", "lr", "weight_decay", "batch_size", "seed", "dense_feedback", "beta", "data", "n_train")


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    rule : str
        The rule's value (``"predsim"``...).
    history : list of dict
        One record per epoch: ``epoch`` (1-based), ``train_loss`` (mean output
        cross-entropy over the epoch's batches), ``train_accuracy`` (running,
        on the batches as they were trained), ``test_loss``, ``test_accuracy``
        (after the epoch), ``time_s`` (wall time of the epoch) and, for FA, uSF
        and frSF, ``angles``: layer name -> angle(W, F) in degrees (None where
        ``W`` or ``F`` is all zeros and the angle is undefined); plus whatever the
        learner's ``epoch_metrics()`` returns (reward rules: ``rpe``, ``rpe_abs``, ``reward``).
    config : dict
        The run's settings (seed included, so the run can be repeated).

    Examples
    --------
    >>> r = TrainResult("bp", [{"epoch": 1, "train_accuracy": 0.5, "test_accuracy": 0.4}], {})
    >>> r.final_test_accuracy
    0.4
    """

    rule: str
    history: list[dict] = field(default_factory=list)
    config: dict = field(default_factory=dict)

    @property
    def final_test_accuracy(self) -> float:
        """Test accuracy after the last epoch (NaN when no epoch ran)."""
        return float(self.history[-1]["test_accuracy"]) if self.history else math.nan

    @property
    def final_train_accuracy(self) -> float:
        """Running training accuracy of the last epoch (NaN when no epoch ran)."""
        return float(self.history[-1]["train_accuracy"]) if self.history else math.nan

    @property
    def epochs(self) -> int:
        """Number of epochs trained."""
        return len(self.history)

    def to_dict(self) -> dict:
        """A JSON-serialisable dict (what ``results.json`` holds)."""
        return {
            "rule": self.rule,
            "epochs": self.epochs,
            "final_test_accuracy": self.final_test_accuracy,
            "final_train_accuracy": self.final_train_accuracy,
            "config": dict(self.config),
            "history": [dict(h) for h in self.history],
        }


@torch.no_grad()
def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int = _EVAL_BATCH) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``(X, y)`` in eval mode.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits ``(n, n_classes)``.
    X : torch.Tensor
        Inputs ``(n, ...)`` with ``n >= 1``, on the model's device and dtype.
    y : torch.Tensor
        Integer labels ``(n,)`` in ``0..n_classes-1``.
    batch_size : int
        Samples per forward pass (>= 1).

    Returns
    -------
    (float, float)
        Mean cross-entropy (nats) and accuracy in ``[0, 1]``.

    Raises
    ------
    TypeError, ValueError
        For non-tensor inputs, integer-free labels, lengths that differ or are
        zero, a bad ``batch_size``, or labels outside the model's outputs.

    Examples
    --------
    >>> net = nn.Linear(2, 2)
    >>> loss, acc = evaluate(net, torch.randn(8, 2), torch.zeros(8, dtype=torch.long))
    >>> 0.0 <= acc <= 1.0
    True
    """
    batch_size = check_int(batch_size, "batch_size", min_val=1)
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"X and y must be torch tensors, got {type(X).__name__} and {type(y).__name__}")
    if y.dim() != 1 or y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise ValueError(f"y must be a 1-D tensor of integer class labels, got shape {tuple(y.shape)} and dtype {y.dtype}")
    if X.dim() < 1 or X.shape[0] != y.shape[0] or y.shape[0] == 0:
        raise ValueError(
            f"X and y must hold the same number (>= 1) of samples, got X of shape {tuple(X.shape)} and y of shape {tuple(y.shape)}"
        )
    was = model.training
    model.eval()
    total, correct, n = 0.0, 0, int(y.shape[0])
    try:
        for i in range(0, n, batch_size):
            logits = model(X[i : i + batch_size])
            if i == 0:
                lo, hi = int(y.min()), int(y.max())
                if lo < 0 or hi >= logits.shape[-1]:
                    raise ValueError(
                        f"y must hold labels in 0..{logits.shape[-1] - 1} (the model has {logits.shape[-1]} outputs), "
                        f"got labels in {lo}..{hi}"
                    )
            total += float(nn.functional.cross_entropy(logits, y[i : i + batch_size], reduction="sum"))
            correct += int((logits.argmax(1) == y[i : i + batch_size]).sum())
    finally:
        model.train(was)
    return total / n, correct / n


def _as_dataset(data: Any, seed: int) -> Dataset:
    if isinstance(data, Dataset):
        return data
    if isinstance(data, (str, os.PathLike)):
        return load_dataset(data, seed=seed)
    if isinstance(data, (tuple, list)) and len(data) == 4:
        return Dataset.from_arrays(*data)
    raise TypeError(
        "data must be a nets.Dataset, a data set name (see nets.load_dataset) or a tuple "
        f"(X_train, y_train, X_test, y_test), got {type(data).__name__}"
    )


def _angles(model: nn.Module) -> dict[str, float]:
    from .feedback import alignment_angle

    out = {}
    for name, layer in feedback_layers(model):
        try:
            out[name] = alignment_angle(layer.weight, layer.effective_feedback())
        except ValueError:  # all-zero W or B: the angle is undefined, say so explicitly
            out[name] = None
    return out


def _check_model(model: nn.Module, ds: Dataset) -> None:
    params = list(model.parameters())
    if not params:
        raise ValueError(f"model {type(model).__name__} has no parameters to train")
    n_in, n_out = getattr(model, "n_inputs", None), getattr(model, "n_outputs", None)  # WiredNet
    sizes = getattr(model, "sizes", None)  # SparseMLP
    if n_in is None and isinstance(sizes, (list, tuple)) and len(sizes) >= 2:
        n_in, n_out = int(sizes[0]), int(sizes[-1])
    if n_in is not None and int(n_in) != ds.n_features:
        raise ValueError(f"the model takes {n_in} input features but data set {ds.name!r} has {ds.n_features}")
    if n_out is not None and int(n_out) < ds.n_classes:
        raise ValueError(f"the model has {n_out} outputs but data set {ds.name!r} has {ds.n_classes} classes")


def _probe_model(model: nn.Module, ds: Dataset) -> None:
    """One eval-mode forward on one training sample: a model that cannot take the data
    (feature count, too few outputs) is refused here with one message, not deep in a step."""
    x = ds.X_train[:1]
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(x)
    except (RuntimeError, ValueError, TypeError, IndexError) as exc:
        raise ValueError(
            f"model {type(model).__name__} cannot take data set {ds.name!r} ({ds.n_features} features): "
            f"a forward pass on one sample of shape {tuple(x.shape)} failed with: {exc}"
        ) from exc
    finally:
        model.train(was)
    if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[0] != 1:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"model {type(model).__name__} must return logits of shape (batch, n_classes), got {got} for a batch of 1")
    if out.shape[1] < ds.n_classes:
        raise ValueError(
            f"the model has {out.shape[1]} outputs but data set {ds.name!r} has {ds.n_classes} classes (labels 0..{ds.n_classes - 1})"
        )


def train(
    model: nn.Module,
    rule: Rule | str,
    data: Any,
    *,
    epochs: int = 20,
    lr: float = 1e-3,
    optimizer: str = "adam",
    batch_size: int = 64,
    weight_decay: float = 0.0,
    device: Any = None,
    seed: Any = None,
    out: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = True,
    callback: Callable[[dict], Any] | None = None,
    dense_feedback: bool = False,
    beta: float = 0.99,
    metadata: dict | None = None,
    allow_unsigned_checkpoint: bool = False,
    rewire: Rewiring | None = None,
    distributed: str | None = None,
) -> TrainResult:
    """Train ``model`` with a learning rule; one loop for every rule.

    Parameters
    ----------
    model : torch.nn.Module
        Trained in place (moved to ``device``).  See :func:`nets.apply_rule` for
        what each rule needs of the model.
    rule : Rule or str
        ``"bp"``, ``"fa"``, ``"usf"``, ``"frsf"``, ``"dfa"``, ``"pred"``, ``"sim"``,
        ``"predsim"``, their ``"-bio"`` variants, or ``"readout-only"`` (control:
        hidden layers frozen at initialisation, only the output layer trained).
    data : Dataset, str or tuple
        A :class:`nets.Dataset`, a name for :func:`nets.load_dataset` (split by
        ``seed``), or ``(X_train, y_train, X_test, y_test)``.
    epochs : int
        Total number of epochs (a resumed run continues up to this number).
    lr, optimizer, weight_decay
        See :func:`nets.apply_rule`.
    batch_size : int
        Mini-batch size; each epoch visits the training set in a fresh random order.
    device : str, torch.device or None
        ``"cpu"``, ``"cuda"``...; a device that is not there raises ``ValueError``.
        ``None``: the device the model's parameters are on (a model on the GPU
        stays there).
    seed : None, int, numpy.random.Generator or torch.Generator
        Seeds the batch order and the rule's random matrices/heads (the model's
        own initial weights come from the model's seed).  Same seed, same model
        and same data on CPU give a bit-identical result.
    out : str or path-like, optional
        Folder for ``checkpoint.pt`` (written atomically after every epoch: model,
        optimizers, the rule's modules, RNG state, history) and ``results.json``
        (at the end).
    resume : bool
        Continue from ``out/checkpoint.pt``; the result equals that of an
        uninterrupted run.  Without ``resume`` an existing checkpoint is an error.
        Temporary files that a killed run's atomic writes left in ``out``
        (``.checkpoint.pt.*.tmp``, ``.results.json.*.tmp``) are deleted.
    progress : bool
        Show a tqdm progress bar.
    callback : callable, optional
        Called with each epoch's record (a dict) after the checkpoint is written.
    dense_feedback, beta
        See :func:`nets.apply_rule`.
    metadata : dict, optional
        JSON-serialisable facts about how the model was built (widths, wiring,
        density...), kept as ``config["metadata"]`` in the checkpoint and the
        results; resuming with different metadata is refused, so a run cannot
        silently change what it describes.
    allow_unsigned_checkpoint : bool
        With ``resume``: accept a checkpoint without a SHA-256 digest (written
        before checkpoints carried one).  By default such a checkpoint is
        refused, since a damaged digest key looks the same.
    rewire : nets.Rewiring, optional
        Evolve the masks during training (SET, RigL, small-world-keeping
        regrowth; see :mod:`nets.rewire`): a hook this loop calls around every
        step and after every epoch.  Each epoch's record then holds ``rewired``
        (connections replaced), ``rewire_time_s`` and ``topology`` (density,
        degree spread, the neuron graph's C, L and a sigma proxy, the relational
        C of square masks); ``config["rewire"]`` the settings and
        ``config["topology_initial"]`` the topology before training.  The
        regrowth RNG and the current masks are in the checkpoint, so a resumed
        run continues the same schedule.
    distributed : {None, "data", "data-bf16", "layer", "layer-pipelined"}
        Train as one rank of an initialized ``torch.distributed`` process group
        (see :mod:`nets.distributed`, which also launches the workers):
        ``"data"`` splits every mini-batch over the ranks and all-reduces the
        updates of any rule (``"data-bf16"``: sent as bfloat16, half the
        bytes); ``"layer"`` / ``"layer-pipelined"`` give each rank a group of
        blocks of a local rule (pred/sim/predsim, ``-bio``) or of DFA.  Rank 0
        alone shows progress, calls ``callback`` and writes ``out``.

    Resuming checks the data too: the checkpoint records a SHA-256 of the
    training and test tensors (bytes, shapes, dtypes) as
    ``config["data_sha256"]``, and a run with other data is refused (an older
    checkpoint without it resumes with a warning).  A ``callback`` that raises
    stops the run with a :class:`RuntimeError` naming the callback and the
    epoch; the checkpoint of that epoch is already written and stays intact.

    Returns
    -------
    TrainResult

    Raises
    ------
    TrainingDiverged
        (a ``ValueError``) when a batch loss is NaN/infinite or above
        :data:`DIVERGENCE_LOSS`, or a parameter becomes non-finite; the message
        names the epoch and batch.  The checkpoint of the last good epoch is kept
        and nothing else is written.
    TypeError, ValueError, FileNotFoundError, FileExistsError
        For bad arguments, a model that does not fit the data, a missing
        checkpoint with ``resume=True`` or an existing one without it.

    Examples
    --------
    >>> from nets import SparseMLP, load_dataset
    >>> ds = load_dataset("digits", seed=0)
    >>> net = SparseMLP([64, 32, 10], seed=0)
    >>> res = train(net, "bp", ds, epochs=2, lr=3e-3, seed=0, progress=False)
    >>> res.epochs, res.final_test_accuracy > 0.8
    (2, True)
    """
    rule = as_rule(rule)
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    epochs = check_int(epochs, "epochs", min_val=1)
    batch_size = check_int(batch_size, "batch_size", min_val=1)
    lr = check_real(lr, "lr", min_val=0, include_min=False)
    weight_decay = check_real(weight_decay, "weight_decay", min_val=0)
    beta = check_real(beta, "beta", min_val=0, max_val=1)
    resume, progress = check_bool(resume, "resume"), check_bool(progress, "progress")
    dense_feedback = check_bool(dense_feedback, "dense_feedback")
    allow_unsigned_checkpoint = check_bool(allow_unsigned_checkpoint, "allow_unsigned_checkpoint")
    from .distributed import check_mode, make_parallel

    distributed = check_mode(distributed)
    if distributed is not None and rewire is not None:
        raise ValueError(f"rewire cannot be combined with distributed={distributed!r} (masks would differ across ranks)")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict or None, got {type(metadata).__name__}")
    try:
        metadata = json.loads(json.dumps(metadata))  # JSON-safe, and compared as it is stored
    except (TypeError, ValueError) as exc:
        raise TypeError(f"metadata must be JSON-serialisable: {exc}") from None
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
    if rewire is not None and not isinstance(rewire, Rewiring):
        raise TypeError(f"rewire must be a nets.Rewiring or None, got {type(rewire).__name__}")
    if device is None:
        device = next((p.device for p in model.parameters()), None)
    dev = resolve_device(device)
    if out is not None and not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"out must be a folder path (str or path-like) or None, got {type(out).__name__}")
    if out is not None and not os.fspath(out).strip():
        raise ValueError(f"out must name a folder, got an empty path out={out!r}")
    out_dir = Path(out) if out is not None else None
    ckpt_path = out_dir / CHECKPOINT_NAME if out_dir is not None else None
    if resume and ckpt_path is None:
        raise ValueError("resume=True needs out=DIR, the folder holding checkpoint.pt")
    state = None
    if ckpt_path is not None:
        if out_dir.exists() and not out_dir.is_dir():
            raise NotADirectoryError(f"out={str(out_dir)!r} exists and is not a folder")
        if resume:
            if not ckpt_path.is_file():
                raise FileNotFoundError(f"resume=True but there is no checkpoint to resume from: {ckpt_path}")
            state = load_checkpoint(ckpt_path, dev, allow_unsigned=allow_unsigned_checkpoint)
        elif (found := existing_run_file(out_dir)) is not None:
            raise FileExistsError(
                f"{found} already exists; pass resume=True to continue that run or choose another out folder"
                if found.name == CHECKPOINT_NAME
                else f"{found} already exists (another run's results); choose another out folder or remove it"
            )
    if state is not None and seed is None:
        seed = state["config"]["seed"]
    s = seed_int(seed)
    ds = _as_dataset(data, s)
    data_sha256 = data_fingerprint(ds)
    _check_model(model, ds)
    model.to(dev)
    dtype = next(model.parameters()).dtype
    ds = ds.to(dev, dtype)
    _probe_model(model, ds)

    rule_seed, shuffle_seed = (int(v) >> 2 for v in np.random.SeedSequence(s).generate_state(2, np.uint64))
    config = {
        "rule": rule.value, "optimizer": optimizer, "lr": lr, "weight_decay": weight_decay, "batch_size": batch_size,
        "seed": s, "dense_feedback": dense_feedback, "beta": beta, "data": ds.name, "n_train": int(ds.y_train.shape[0]),
        "epochs": epochs, "device": str(dev), "metadata": metadata, "data_sha256": data_sha256,
    }  # fmt: skip
    learner = apply_rule(
        model, rule, optimizer=optimizer, lr=lr, weight_decay=weight_decay, seed=rule_seed,
        dense_feedback=dense_feedback, n_classes=ds.n_classes, beta=beta,
    )  # fmt: skip
    gen = torch.Generator().manual_seed(shuffle_seed)
    history: list[dict] = []
    rewirer = None  # the rewiring hook (nets.rewire), called by _run_epochs
    if rewire is not None:
        config["rewire"] = rewire.to_dict()
        rewirer = Rewirer(rewire, model, learner.optimizers, epochs, -(-int(ds.y_train.shape[0]) // batch_size), s)
    if state is not None:
        missing = [k for k in _RESUME_KEYS if k not in state["config"]]
        if missing:
            raise ValueError(f"cannot resume: {ckpt_path} has no {', '.join(missing)} in its config")
        done = len(state["history"])
        if done > epochs:
            raise ValueError(
                f"cannot resume: {ckpt_path} already holds {done} epochs, more than epochs={epochs}; "
                f"pass epochs >= {done} (the total, not the number still to run)"
            )
        if done == epochs:
            warnings.warn(
                f"nothing to train: {ckpt_path} already holds all {epochs} epochs; pass a larger epochs to continue",
                UserWarning, stacklevel=2,
            )  # fmt: skip
        if "metadata" in state["config"] and state["config"]["metadata"] != metadata:  # older checkpoints have none
            raise ValueError(
                f"cannot resume: the checkpoint was written with metadata={state['config'].get('metadata', {})!r}, "
                f"this run has metadata={metadata!r}"
            )
        _check_same_data(state["config"].get("data_sha256"), data_sha256, ckpt_path)
        for k in _RESUME_KEYS:
            if state["config"][k] != config[k]:
                raise ValueError(
                    f"cannot resume: the checkpoint was written with {k}={state['config'][k]!r}, this run has {k}={config[k]!r}"
                )
        if state["config"].get("rewire") != config.get("rewire"):
            raise ValueError(
                f"cannot resume: the checkpoint was written with rewire={state['config'].get('rewire')!r}, "
                f"this run has rewire={config.get('rewire')!r}"
            )
        if rewirer is not None:  # the checkpoint's masks are the rewired ones: put them in first
            rewirer.load_state_dict(state["rewire"])
        _load_resumed_model(model, state["model"])
        try:
            learner.load_state_dict(state["learner"])
            gen.set_state(state["rng"].cpu())
        except (RuntimeError, KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"cannot resume: the learner state in {ckpt_path} does not fit this run: {exc}") from None
        history = list(state["history"])
    if rewirer is not None and rewire.track:
        config["topology_initial"] = state["config"]["topology_initial"] if state is not None else rewirer.topology()
    result = TrainResult(rule.value, history, config)
    from nets._backends import torch_threads_for  # the thread policy (smallworld._threads)

    par = make_parallel(distributed, learner) if distributed is not None else None  # nets.distributed
    if par is not None:
        par.check_batches(int(ds.y_train.shape[0]), batch_size)
        par.need_state = ckpt_path is not None  # the same on every rank: optimizer states are exchanged for it
        progress, callback = progress and par.writer, callback if par.writer else None
        ckpt_path = ckpt_path if par.writer else None
    if resume and ckpt_path is not None:  # the writer, resuming: what a killed writer left half-written goes
        for name in (CHECKPOINT_NAME, RESULTS_NAME):
            remove_stale_temporaries(out_dir / name)
    try:
        with torch_threads_for(model, batch_size):
            stepper = par if isinstance(par, Learner) else learner  # layer-parallel wraps the learner
            _run_epochs(stepper, ds, result, gen, epochs, batch_size, ckpt_path, progress, callback, rewirer, par)
    finally:
        if par is not None:
            par.close()
    if out_dir is not None and (par is None or par.writer):
        write_json(out_dir / RESULTS_NAME, result.to_dict())
    return result


def data_fingerprint(ds: Dataset) -> str:
    """SHA-256 of a data set's four tensors (dtype, shape and bytes of each, in order), as stored in checkpoints."""
    h = hashlib.sha256()
    for t in (ds.X_train, ds.y_train, ds.X_test, ds.y_test):
        t = t.detach().cpu().contiguous()
        h.update(f"{t.dtype}{tuple(t.shape)};".encode())
        if t.numel():
            h.update(t.reshape(-1).view(torch.uint8).numpy().data)
    return h.hexdigest()


def _check_same_data(saved: str | None, mine: str, ckpt_path: Path | None) -> None:
    """A resumed run must train on the data its checkpoint was trained on."""
    if saved is None:  # written before checkpoints recorded their data
        warnings.warn(
            f"{ckpt_path} does not record which data it was trained on (an older checkpoint), so resuming cannot "
            "check that the data is the same; make sure it is",
            UserWarning, stacklevel=3,
        )  # fmt: skip
    elif saved != mine:
        raise ValueError(
            f"cannot resume: {ckpt_path} was trained on other data (data SHA-256 {saved[:12]}..., this run's "
            f"{mine[:12]}...); resume with the same data set, split and seed, or start a new run in another folder"
        )


def existing_run_file(out_dir: Path) -> Path | None:
    """The checkpoint (first) or results file an earlier run left in ``out_dir``, or None."""
    for name in (CHECKPOINT_NAME, RESULTS_NAME):
        if (out_dir / name).exists():
            return out_dir / name
    return None


def _load_resumed_model(model: nn.Module, saved: dict) -> None:
    """Load the checkpoint's model state; a model with other masks or shapes is refused.

    Loading another mask would silently rewire the model (and, under sparse storage,
    re-create ``weight_values`` so the optimizer built for it updates orphans)."""
    current = model.state_dict()
    for key, value in saved.items():
        if key.rsplit(".", 1)[-1] == "mask" and key in current:
            mine = current[key]
            if mine.shape != value.shape or not torch.equal(mine, value.to(mine.device)):
                raise ValueError(
                    f"cannot resume: the checkpoint's {key} (shape {tuple(value.shape)}, {int(value.count_nonzero())} "
                    f"connections) differs from this model's (shape {tuple(mine.shape)}, {int(mine.count_nonzero())} "
                    "connections); resume with the model the run started with"
                )
    try:
        model.load_state_dict(saved)
    except RuntimeError as exc:
        raise ValueError(f"cannot resume: the checkpoint does not fit this model: {exc}") from exc


def _run_epochs(
    learner: Learner,
    ds: Dataset,
    result: TrainResult,
    gen: torch.Generator,
    epochs: int,
    batch_size: int,
    ckpt_path: Path | None,
    progress: bool,
    callback: Callable[[dict], Any] | None,
    rewirer: Rewirer | None = None,
    par: Any = None,
) -> None:
    from tqdm.auto import tqdm

    model, rule = learner.model, as_rule(result.rule)
    n = int(ds.y_train.shape[0])
    n_batches = -(-n // batch_size)
    start = len(result.history)
    bar = tqdm(
        total=epochs * n_batches, initial=min(start, epochs) * n_batches, disable=not progress,
        desc=f"train {rule.value}", unit="batch", leave=True, dynamic_ncols=True,
    )  # fmt: skip
    # Losses are checked every batch on CPU (free there) and every CHECK_EVERY_GPU
    # batches elsewhere: reading a loss back waits for the GPU, and one wait per
    # batch stalls small models; the message still names the first bad batch.
    check_every = 1 if ds.X_train.device.type == "cpu" else CHECK_EVERY_GPU
    pending: list = []
    try:
        for epoch in range(start + 1, epochs + 1):
            t0 = time.perf_counter()
            learner.train(True)
            perm = torch.randperm(n, generator=gen, device="cpu").to(ds.X_train.device)
            loss_sum = torch.zeros((), dtype=torch.float64, device=ds.X_train.device)
            correct = torch.zeros((), dtype=torch.int64, device=ds.X_train.device)
            rewired: list[dict] = []
            for b in range(n_batches):
                idx = perm[b * batch_size : (b + 1) * batch_size]
                xb, yb = ds.X_train[idx], ds.y_train[idx]
                if par is not None:  # nets.distributed: this rank's slice of the batch
                    xb, yb = par.shard(xb, yb)
                if rewirer is not None:
                    rewirer.before_step(epoch, b)
                loss, logits = learner.step(xb, yb)
                if rewirer is not None and (stats := rewirer.after_step(epoch, b)) is not None:
                    rewired.append(stats)
                if check_every == 1:  # CPU: plain floats, no stacking (0.4 us against ~10)
                    _check_losses([(b, float(loss), learner.local_losses())], rule, epoch, learner, ckpt_path)
                else:
                    pending.append((b, loss.detach(), learner.local_loss_tensors()))
                    if len(pending) >= check_every or b == n_batches - 1:
                        _check_losses(pending, rule, epoch, learner, ckpt_path)  # one host sync
                        pending.clear()
                loss_sum += loss.to(torch.float64) * yb.shape[0]
                correct += (logits.argmax(1) == yb).sum()
                bar.update(1)
            if par is not None:  # sum over ranks; share state so every rank evaluates the same model
                loss_sum, correct = par.end_epoch(loss_sum, correct)
            for name, p in model.named_parameters():
                if not bool(torch.isfinite(p).all()):
                    raise TrainingDiverged(
                        f"training with rule {rule.value!r} diverged at epoch {epoch}, batch {n_batches - 1}: "
                        f"parameter {name!r} holds NaN or inf", epoch, n_batches - 1,
                    )  # fmt: skip
            test_loss, test_acc = evaluate(model, ds.X_test, ds.y_test)
            record = {
                "epoch": epoch,
                "train_loss": float(loss_sum) / n,
                "train_accuracy": int(correct) / n,
                "test_loss": test_loss,
                "test_accuracy": test_acc,
                "time_s": time.perf_counter() - t0,
            }
            if rule.is_feedback:
                record["angles"] = _angles(model)
            if callable(getattr(learner, "epoch_metrics", None)):  # a rule's own per-epoch trace (reward rules: rpe)
                record.update(learner.epoch_metrics())
            if rewirer is not None:  # rewire after the epoch (if due) and record the topology
                record.update(rewirer.end_epoch(epoch, rewired))
            result.history.append(record)
            bar.set_postfix(loss=f"{record['train_loss']:.4f}", test_acc=f"{test_acc:.4f}", refresh=False)
            if ckpt_path is not None:
                save_checkpoint(
                    ckpt_path,
                    {
                        "config": result.config, "model": model.state_dict(), "learner": learner.state_dict(),
                        "rng": gen.get_state(), "history": result.history,
                        **({"rewire": rewirer.state_dict()} if rewirer is not None else {}),
                    },
                )  # fmt: skip
            if callback is not None:
                try:
                    callback(dict(record))
                except Exception as exc:
                    kept = f"; the checkpoint of epoch {epoch} in {ckpt_path} is intact" if ckpt_path else ""
                    raise RuntimeError(
                        f"the callback {getattr(callback, '__qualname__', type(callback).__name__)} raised "
                        f"{type(exc).__name__} after epoch {epoch}: {exc}{kept}"
                    ) from exc
    finally:
        bar.close()


def _check_losses(pending: list, rule: Rule, epoch: int, learner: Learner, ckpt_path: Path | None) -> None:
    """Raise :class:`TrainingDiverged` at the first of the ``(batch, loss, local
    losses)`` entries (0-d tensors, read back in one sync, or floats) whose loss is
    not finite or above :data:`DIVERGENCE_LOSS`, or whose local loss is not finite."""
    flat = [t for _, loss, local in pending for t in (loss, *local)]
    if all(isinstance(t, float) for t in flat):
        values = flat
    else:
        values = torch.stack([torch.as_tensor(t).reshape(()).to(torch.float64) for t in flat]).cpu().tolist()
    i = 0
    for b, _, local in pending:
        lv, locs = values[i], values[i + 1 : i + 1 + len(local)]
        i += 1 + len(local)
        bad_local = [v for v in locs if not math.isfinite(v)]
        if math.isfinite(lv) and not bad_local and lv <= DIVERGENCE_LOSS:
            continue
        if not math.isfinite(lv):
            what = f"the loss is {lv}"
        elif bad_local:
            what = f"a local loss is {bad_local[0]}"
        else:
            what = f"the loss {lv:g} exceeds {DIVERGENCE_LOSS:g}"
        kept = f"the checkpoint of epoch {epoch - 1} is kept" if ckpt_path and epoch > 1 else "nothing was written"
        raise TrainingDiverged(
            f"training with rule {rule.value!r} diverged at epoch {epoch}, batch {b}: {what}; "
            f"lower lr (now {_learner_lr(learner):g}) or check the data ({kept})",
            epoch, b,
        )  # fmt: skip


def _learner_lr(learner: Learner) -> float:
    """The learning rate of the learner's first optimizer (for messages)."""
    opt = next(iter(learner.optimizers.values()))
    return float(opt.param_groups[0]["lr"])
