"""Offline data sets for training small networks: digits, MNIST-1D and IDX folders.

Nothing here touches the network.  Every loader returns a :class:`Dataset`
(float32 features flattened to ``(n, d)``, int64 labels) after checking that the
features are finite.

Normalisation (``normalize=``) is computed on the **training** split only and
applied to both splits:

- ``"standard"`` (default): per-feature ``(x - mean) / std``; features with zero
  spread in the training split (the always-blank corner pixels of digits) are
  only centred;
- ``"unit"``: divide by the largest possible raw value (16 for digits, 255 for
  IDX images; MNIST-1D has no fixed range so this is the training max of
  ``|x|``);
- ``"none"``: the raw values in their own dtype (float64 for digits and
  MNIST-1D, so that the official MNIST-1D data can be compared exactly;
  integer IDX images become float32).  :func:`nets.train` casts features to
  the model's dtype.
"""

from __future__ import annotations

import gzip
import os
import random
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from smallworld._validation import check_choice, check_random_state, check_real

__all__ = ["Dataset", "DATASETS", "load_dataset", "read_idx", "FASHION_MNIST_DIR"]

#: Names accepted by :func:`load_dataset` (an existing folder of IDX files is accepted too).
DATASETS = ("digits", "mnist1d", "mnist", "fashion-mnist", "idx")

#: Where the Debian package ``dataset-fashion-mnist`` installs the real Fashion-MNIST.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

_NORMALIZE = ("standard", "unit", "none")
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test split held as torch tensors.

    Compared by identity (``==`` is ``is``): the generated field-wise ``==``
    raised on the tensors.

    Attributes
    ----------
    name : str
        Where the data came from (``"digits"``, ``"mnist1d"``, a folder...).
    X_train, X_test : torch.Tensor
        Features, shape ``(n, d)``, float32 (float64 for raw MNIST-1D).
    y_train, y_test : torch.Tensor
        Integer class labels ``0..n_classes-1``, shape ``(n,)``, int64.

    Examples
    --------
    >>> ds = Dataset.from_arrays(np.eye(4), [0, 1, 0, 1], np.eye(4)[:2], [1, 0])
    >>> ds.n_features, ds.n_classes, len(ds.y_train)
    (4, 2, 4)
    """

    name: str
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor

    @classmethod
    def from_arrays(cls, X_train: Any, y_train: Any, X_test: Any, y_test: Any, *, name: str = "arrays") -> "Dataset":
        """Build a data set from array-likes, flattening features and checking them.

        Raises
        ------
        ValueError
            On NaN or infinite features, mismatched lengths, feature counts that
            differ between splits, or labels that are not integers ``>= 0``.
        TypeError
            If features or labels are not real numbers (strings, objects, complex).
        """
        parts = {}
        for split, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
            Xt = _as_real_tensor(X, f"X_{split}")
            yt = _as_real_tensor(y, f"y_{split}")
            if Xt.ndim < 1 or Xt.shape[0] == 0:
                raise ValueError(f"X_{split} must hold at least one sample, got shape {tuple(Xt.shape)}")
            Xt = Xt.reshape(Xt.shape[0], -1)
            if not Xt.is_floating_point():
                Xt = Xt.to(torch.float32)
            if yt.ndim != 1 or yt.shape[0] != Xt.shape[0]:
                raise ValueError(
                    f"y_{split} must be 1-D with one label per sample, got shape {tuple(yt.shape)} "
                    f"for {Xt.shape[0]} samples"
                )
            if yt.is_floating_point() or yt.dtype == torch.bool:
                raise ValueError(f"y_{split} must hold integer class labels, got dtype {yt.dtype}")
            _refuse_nonfinite((~torch.isfinite(Xt)).any(dim=1).cpu().numpy(), split, name)
            yt = yt.to(torch.int64)
            if int(yt.min()) < 0:
                raise ValueError(f"y_{split} must hold labels >= 0, got min label {int(yt.min())}")
            parts[split] = (Xt.contiguous(), yt.contiguous())
        if parts["train"][0].shape[1] != parts["test"][0].shape[1]:
            raise ValueError(
                f"X_train and X_test must have the same number of features, got "
                f"{parts['train'][0].shape[1]} and {parts['test'][0].shape[1]}"
            )
        return cls(name, parts["train"][0], parts["train"][1], parts["test"][0], parts["test"][1])

    @property
    def n_features(self) -> int:
        """Number of input features ``d``."""
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes (largest label + 1 over both splits)."""
        return int(max(int(self.y_train.max()), int(self.y_test.max()))) + 1

    def to(self, device: Any = None, dtype: torch.dtype | None = None) -> "Dataset":
        """Return a copy with the tensors on ``device`` (features also cast to ``dtype``)."""
        return Dataset(
            self.name,
            self.X_train.to(device=device, dtype=dtype),
            self.y_train.to(device=device),
            self.X_test.to(device=device, dtype=dtype),
            self.y_test.to(device=device),
        )

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, train={tuple(self.X_train.shape)}, test={tuple(self.X_test.shape)}, "
            f"n_classes={self.n_classes})"
        )


def _as_real_tensor(a: Any, name: str) -> torch.Tensor:
    """``a`` as a torch tensor of bool/integer/float dtype; a clear TypeError otherwise."""
    if not torch.is_tensor(a):
        a = np.asarray(a)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers (bool, integer or float), got dtype {a.dtype}")
        a = torch.as_tensor(a)
    elif a.is_complex():
        raise TypeError(f"{name} must hold real numbers (bool, integer or float), got dtype {a.dtype}")
    return a


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (the MNIST format), gzip-compressed or raw.

    Parameters
    ----------
    path : str or path-like
        File such as ``t10k-images-idx3-ubyte.gz``; compression is detected
        from the content, not the name.

    Returns
    -------
    numpy.ndarray
        Array with the shape and dtype stored in the header.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the header is not a valid IDX header or the payload has the wrong size.

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning applied
       to document recognition", Proc. IEEE 86:2278-2324 (1998). doi:10.1109/5.726791

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x-idx1-ubyte")
    >>> _ = open(p, "wb").write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(p).tolist()
    [7, 2, 1]
    """
    path = Path(path)
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
            raise ValueError(f"{path}: damaged gzip data ({exc or type(exc).__name__}); download the file again") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    ndim = raw[3]
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes; {ndim} dimensions need {head})")
    shape = struct.unpack(f">{ndim}I", raw[4:head])
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - head != expected:
        raise ValueError(f"{path}: header says shape {shape} ({expected} bytes) but the payload has {len(raw) - head} bytes")
    return np.frombuffer(raw, dtype=dtype, offset=head).reshape(shape).astype(dtype.newbyteorder("="))


def _find_idx(root: Path, split: str, kind: str) -> Path | None:
    stem = "images-idx3" if kind == "images" else "labels-idx1"
    hits = sorted(p for p in root.glob(f"*{split}-{stem}-ubyte*") if p.is_file())
    gz = [p for p in hits if p.name.endswith(".gz")]
    hits = gz or hits  # prefer the compressed copy when both are there
    if len(hits) > 1:
        raise ValueError(f"more than one {split} {kind} IDX file in {root}: {[p.name for p in hits]}")
    return hits[0] if hits else None


def _stratified_split(y: np.ndarray, test_size: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per class, shuffle and put round(test_size * count) samples in the test split."""
    test_idx = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        test_idx.append(idx[: int(round(test_size * idx.size))])
    test = np.sort(np.concatenate(test_idx))
    train = np.setdiff1d(np.arange(y.size), test)
    if test.size == 0 or train.size == 0:
        empty = "test" if test.size == 0 else "training"
        raise ValueError(
            f"test_size={test_size} leaves the {empty} split empty ({y.size} samples, rounded per class); "
            "choose a test_size further from 0 and 1"
        )
    return rng.permutation(train), rng.permutation(test)


def _normalize(Xtr: np.ndarray, Xte: np.ndarray, how: str, unit_max: float | None) -> tuple[np.ndarray, np.ndarray]:
    if how == "none":
        return Xtr, Xte
    Xtr = Xtr.astype(np.float64)
    Xte = Xte.astype(np.float64)
    if how == "unit":
        scale = unit_max if unit_max is not None else float(np.abs(Xtr).max()) or 1.0
        return (Xtr / scale).astype(np.float32), (Xte / scale).astype(np.float32)
    mean = Xtr.mean(axis=0)
    std = Xtr.std(axis=0)
    std[std == 0] = 1.0
    return ((Xtr - mean) / std).astype(np.float32), ((Xte - mean) / std).astype(np.float32)


def _load_mnist1d() -> tuple[np.ndarray, ...]:
    from mnist1d.data import get_dataset_args, make_dataset

    # make_dataset seeds the *global* random and numpy RNGs: restore them afterwards.
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        d = make_dataset(get_dataset_args())
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
    return d["x"], d["y"], d["x_test"], d["y_test"]


def _load_idx_dir(root: Path, test_size: float | None, rng_seed: Any, missing_hint: str) -> tuple[np.ndarray, ...]:
    if not root.is_dir():
        raise FileNotFoundError(f"IDX data folder {str(root)!r} does not exist; {missing_hint}")
    found = {(s, k): _find_idx(root, s, k) for s in ("train", "t10k") for k in ("images", "labels")}
    have_train = found["train", "images"] is not None and found["train", "labels"] is not None
    have_test = found["t10k", "images"] is not None and found["t10k", "labels"] is not None
    if have_train and have_test:
        if test_size is not None:
            raise ValueError(
                f"test_size must be None for {str(root)!r}: it holds the official train/t10k split, got test_size={test_size}"
            )
        Xtr, ytr = read_idx(found["train", "images"]), read_idx(found["train", "labels"])
        Xte, yte = read_idx(found["t10k", "images"]), read_idx(found["t10k", "labels"])
    elif have_train or have_test:
        split = "train" if have_train else "t10k"
        if test_size is None:
            raise ValueError(
                f"{str(root)!r} holds only the {split} IDX files; pass test_size (e.g. 0.25) to split them, "
                f"or add the missing files; {missing_hint}"
            )
        X, y = read_idx(found[split, "images"]), read_idx(found[split, "labels"])
        if X.shape[0] != y.shape[0]:
            raise ValueError(f"{str(root)!r}: {X.shape[0]} images but {y.shape[0]} labels")
        tr, te = _stratified_split(y, test_size, check_random_state(rng_seed))
        Xtr, ytr, Xte, yte = X[tr], y[tr], X[te], y[te]
    else:
        raise FileNotFoundError(
            f"no IDX files (*train-images-idx3-ubyte[.gz], *t10k-images-idx3-ubyte[.gz] and labels) in {str(root)!r}; "
            f"{missing_hint}"
        )
    for split, X, y in (("train", Xtr, ytr), ("test", Xte, yte)):
        if X.shape[0] != y.shape[0]:
            raise ValueError(f"{str(root)!r}: the {split} split has {X.shape[0]} images but {y.shape[0]} labels")
    return Xtr, ytr, Xte, yte


def load_dataset(
    name: str | os.PathLike,
    *,
    seed: Any = None,
    test_size: float | None = None,
    normalize: str = "standard",
    root: str | os.PathLike | None = None,
) -> Dataset:
    """Load a classification data set offline.

    Parameters
    ----------
    name : str or path-like
        ``"digits"`` (scikit-learn's bundled 8x8 digits, 1797 samples, stratified
        split), ``"mnist1d"`` (generated with ``mnist1d.data.make_dataset`` from the
        official arguments -- never downloaded -- giving the official 4000/1000
        split), ``"fashion-mnist"`` (the Debian package ``dataset-fashion-mnist``,
        or ``root``), ``"mnist"`` / ``"idx"`` (a folder of IDX files given by
        ``root``), or directly the path of a folder of IDX files.
    seed : None, int or numpy.random.Generator
        Seed of the stratified split; only used where a split is drawn (digits,
        or an IDX folder holding a single split).
    test_size : float in (0, 1), optional
        Fraction of each class put in the test split.  Default 0.25 for digits;
        must stay ``None`` for sets with an official split (MNIST-1D, full IDX folders).
    normalize : {"standard", "unit", "none"}
        See the module docstring; statistics come from the training split.
    root : str or path-like, optional
        Folder with IDX files (``*train-images-idx3-ubyte[.gz]``,
        ``*t10k-labels-idx1-ubyte[.gz]``, any prefix).

    Returns
    -------
    Dataset

    Raises
    ------
    FileNotFoundError
        If the files of an IDX set are missing (the message says how to get them).
    ValueError
        For an unknown name, a bad ``test_size`` or ``normalize``, or NaN/infinite data.

    References
    ----------
    .. [1] S. Greydanus and D. Kobak, "Scaling down deep learning with MNIST-1D", ICML 2024.
       arXiv:2011.14439
    .. [2] H. Xiao, K. Rasul and R. Vollgraf, "Fashion-MNIST", arXiv:1708.07747 (2017).

    Examples
    --------
    >>> ds = load_dataset("digits", seed=0)
    >>> tuple(ds.X_train.shape), tuple(ds.X_test.shape), ds.n_classes
    ((1347, 64), (450, 64), 10)
    """
    check_choice(normalize, "normalize", _NORMALIZE)
    if test_size is not None:
        test_size = check_real(test_size, "test_size", min_val=0, max_val=1, include_min=False, include_max=False)
    key = os.fspath(name) if isinstance(name, (str, os.PathLike)) else None
    if key is None:
        raise TypeError(f"name must be a str or a path, got {name!r} of type {type(name).__name__}")
    if key not in DATASETS and Path(key).is_dir():
        root, key = Path(key), "idx"
    if key not in DATASETS:
        listed = ", ".join(repr(d) for d in DATASETS)
        raise ValueError(f"name must be one of {listed} or a folder of IDX files, got name={key!r}")
    unit_max: float | None = None
    if key == "digits":
        from sklearn.datasets import load_digits

        d = load_digits()
        tr, te = _stratified_split(d.target, 0.25 if test_size is None else test_size, check_random_state(seed))
        Xtr, ytr, Xte, yte = d.data[tr], d.target[tr], d.data[te], d.target[te]
        unit_max = 16.0
    elif key == "mnist1d":
        if test_size is not None:
            raise ValueError(f"test_size does not apply to 'mnist1d' (official 4000/1000 split), got test_size={test_size}")
        Xtr, ytr, Xte, yte = _load_mnist1d()
    else:
        if key == "fashion-mnist":
            folder = Path(root) if root is not None else FASHION_MNIST_DIR
            hint = "install the real Fashion-MNIST with `apt-get install dataset-fashion-mnist` or pass root=DIR"
        else:
            if root is None:
                raise ValueError(
                    f"name={key!r} needs root=DIR, a folder of IDX files (no package ships MNIST; "
                    f"download the four IDX files once and point root at them)"
                )
            folder = Path(root)
            hint = "expected the four IDX files (train/t10k images and labels)"
        Xtr, ytr, Xte, yte = _load_idx_dir(folder, test_size, seed, hint)
        unit_max = 255.0 if np.issubdtype(Xtr.dtype, np.integer) else None
        key = str(folder) if key == "idx" else key
    _check_raw(Xtr, Xte, key)  # before normalising: the mean of a column with a NaN is NaN everywhere
    Xtr, Xte = _normalize(Xtr, Xte, normalize, unit_max)
    return Dataset.from_arrays(Xtr, ytr, Xte, yte, name=key)


def _check_raw(Xtr: np.ndarray, Xte: np.ndarray, name: str) -> None:
    """Feature counts and finiteness of the raw splits, in the data's own terms."""
    ftr = int(np.prod(Xtr.shape[1:], dtype=np.int64))
    fte = int(np.prod(Xte.shape[1:], dtype=np.int64))
    if ftr != fte:
        raise ValueError(
            f"data set {name!r}: the train samples have shape {Xtr.shape[1:]} ({ftr} features) but the test samples "
            f"{Xte.shape[1:]} ({fte} features); both splits must have the same sample shape"
        )
    for split, X in (("train", Xtr), ("test", Xte)):
        if X.shape[0] == 0:
            raise ValueError(f"data set {name!r}: the {split} split is empty")
        if np.issubdtype(X.dtype, np.floating):
            _refuse_nonfinite(~np.isfinite(X.reshape(X.shape[0], -1)).all(axis=1), split, name)


def _refuse_nonfinite(bad_rows: np.ndarray, split: str, name: str) -> None:
    """ValueError naming how many samples hold NaN/inf and the first one (``bad_rows``: one bool per sample)."""
    if bad_rows.any():
        raise ValueError(
            f"data set {name!r}: X_{split} contains NaN or infinite values in {int(bad_rows.sum())} sample(s) "
            f"(first at row {int(np.flatnonzero(bad_rows)[0])}); clean the data before training"
        )
