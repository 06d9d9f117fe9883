"""Offline data sets: digits, MNIST-1D, IDX folders, Fashion-MNIST, and bad input."""

from __future__ import annotations

import gzip
import shutil
import struct

import numpy as np
import pytest
import torch

from nets.data import FASHION_MNIST_DIR, Dataset, load_dataset, read_idx

MNIST_T10K_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_digits_stratified_split():
    from sklearn.datasets import load_digits

    ds = load_dataset("digits", seed=0)
    full = np.bincount(load_digits().target)
    test_counts = np.bincount(ds.y_test.numpy())
    # stratified: each class contributes round(0.25 * count) to the test split
    np.testing.assert_array_equal(test_counts, np.round(0.25 * full).astype(int))
    np.testing.assert_array_equal(np.bincount(ds.y_train.numpy()) + test_counts, full)
    assert ds.X_train.shape == (1797 - test_counts.sum(), 64) and ds.X_train.dtype == torch.float32
    # standardised on the training split: mean 0, std 1 where the feature varies
    mean, std = ds.X_train.mean(0), ds.X_train.std(0, unbiased=False)
    assert float(mean.abs().max()) < 1e-5
    varying = std > 0
    assert torch.allclose(std[varying], torch.ones(int(varying.sum())), atol=1e-4)


def test_digits_seed_controls_split():
    a, b, c = (load_dataset("digits", seed=s) for s in (1, 1, 2))
    assert torch.equal(a.X_train, b.X_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.y_train, c.y_train)


@pytest.mark.parametrize("normalize, lo, hi", [("unit", 0.0, 1.0), ("none", 0.0, 16.0)])
def test_digits_normalize_options(normalize, lo, hi):
    ds = load_dataset("digits", seed=0, normalize=normalize)
    assert float(ds.X_train.min()) == lo and float(ds.X_train.max()) == hi


def test_mnist1d_matches_official_and_leaves_global_rngs_alone(shared_data):
    import random

    np.random.seed(123)
    random.seed(123)
    ds = load_dataset("mnist1d", normalize="none")
    after_np, after_py = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)
    assert after_np == np.random.random() and after_py == random.random()
    ref = np.load(shared_data / "mnist1d_official.npz")
    assert ds.X_train.shape == (4000, 40) and ds.X_test.shape == (1000, 40)
    assert np.abs(ds.X_train.numpy() - ref["x"]).max() < 1e-12
    assert np.abs(ds.X_test.numpy() - ref["x_test"]).max() < 1e-12
    np.testing.assert_array_equal(ds.y_train.numpy(), ref["y"])
    np.testing.assert_array_equal(ds.y_test.numpy(), ref["y_test"])


def test_read_idx_mnist_t10k(shared_data):
    X = read_idx(shared_data / "mnist_t10k-images-idx3-ubyte.gz")
    y = read_idx(shared_data / "mnist_t10k-labels-idx1-ubyte.gz")
    assert X.shape == (10000, 28, 28) and X.dtype == np.uint8
    assert np.bincount(y).tolist() == MNIST_T10K_COUNTS
    assert y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert round(float(X.mean()), 2) == 33.79


def test_read_idx_raw_equals_gz(shared_data, tmp_path):
    raw = tmp_path / "t10k-labels-idx1-ubyte"
    raw.write_bytes(gzip.decompress((shared_data / "mnist_t10k-labels-idx1-ubyte.gz").read_bytes()))
    np.testing.assert_array_equal(read_idx(raw), read_idx(shared_data / "mnist_t10k-labels-idx1-ubyte.gz"))


def test_idx_folder_with_train_and_test(shared_data, tmp_path):
    # the t10k files stand in for the train split too: checks discovery and the official-split path
    for split in ("train", "t10k"):
        for kind in ("images-idx3", "labels-idx1"):
            shutil.copy(shared_data / f"mnist_t10k-{kind}-ubyte.gz", tmp_path / f"{split}-{kind}-ubyte.gz")
    ds = load_dataset(tmp_path, normalize="unit")
    assert ds.X_train.shape == (10000, 784) and ds.X_test.shape == (10000, 784)
    assert np.bincount(ds.y_test.numpy()).tolist() == MNIST_T10K_COUNTS
    assert abs(float(ds.X_test.mean()) * 255 - 33.79) < 0.01
    with pytest.raises(ValueError, match="official train/t10k split"):
        load_dataset("mnist", root=tmp_path, test_size=0.2)


def test_idx_folder_with_one_split_needs_test_size(shared_data):
    with pytest.raises(ValueError, match="pass test_size"):
        load_dataset("mnist", root=shared_data)
    ds = load_dataset("mnist", root=shared_data, test_size=0.25, seed=0)
    assert ds.y_train.shape[0] + ds.y_test.shape[0] == 10000
    np.testing.assert_array_equal(
        np.bincount(ds.y_test.numpy()), np.round(0.25 * np.array(MNIST_T10K_COUNTS)).astype(int)
    )


needs_fashion = pytest.mark.skipif(not FASHION_MNIST_DIR.is_dir(), reason="dataset-fashion-mnist not installed")


@needs_fashion
def test_fashion_mnist_debian_package_labels():
    y = read_idx(FASHION_MNIST_DIR / "train-labels-idx1-ubyte.gz")
    assert np.bincount(y).tolist() == [6000] * 10
    assert y[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert np.bincount(read_idx(FASHION_MNIST_DIR / "t10k-labels-idx1-ubyte.gz")).tolist() == [1000] * 10


@needs_fashion
@pytest.mark.slow
def test_fashion_mnist_debian_package_full_load():
    ds = load_dataset("fashion-mnist", normalize="unit")
    assert ds.X_train.shape == (60000, 784) and ds.X_test.shape == (10000, 784)
    assert ds.y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert round(float(ds.X_train.double().mean()) * 255, 2) == 72.94


def test_missing_fashion_mnist_gives_install_hint(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        load_dataset("fashion-mnist", root=tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="no IDX files"):
        load_dataset("fashion-mnist", root=tmp_path)


def _write_idx_float(path, arr: np.ndarray) -> None:
    header = bytes([0, 0, 0x0D, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    path.write_bytes(header + arr.astype(">f4").tobytes())


def test_nan_in_data_is_a_clear_error(tmp_path):
    X = np.ones((4, 2, 2), np.float32)
    X[2, 1, 0] = np.nan
    for split in ("train", "t10k"):
        _write_idx_float(tmp_path / f"{split}-images-idx3-ubyte", X)
        (tmp_path / f"{split}-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 4, 0, 1, 0, 1]))
    with pytest.raises(ValueError, match=r"X_train contains NaN or infinite values in 1 sample\(s\) \(first at row 2\)"):
        load_dataset(tmp_path, normalize="none")
    with pytest.raises(ValueError, match="NaN"):
        Dataset.from_arrays(np.array([[np.inf]]), [0], np.array([[0.0]]), [0])


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"name": "cifar"}, ValueError, "name must be one of 'digits', 'mnist1d'"),
        ({"name": 3}, TypeError, "name must be a str or a path"),
        ({"name": "digits", "test_size": 1.5}, ValueError, "test_size must be a real number > 0"),
        ({"name": "digits", "normalize": "zscore"}, ValueError, "normalize must be one of"),
        ({"name": "mnist1d", "test_size": 0.3}, ValueError, "official 4000/1000 split"),
        ({"name": "mnist"}, ValueError, "needs root=DIR"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        load_dataset(**kwargs)


def test_read_idx_rejects_non_idx(tmp_path):
    p = tmp_path / "junk"
    p.write_bytes(b"hello world")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(p)
    p.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))
    with pytest.raises(ValueError, match="payload has 2 bytes"):
        read_idx(p)


def test_from_arrays_validates_shapes():
    with pytest.raises(ValueError, match="one label per sample"):
        Dataset.from_arrays(np.zeros((3, 2)), [0, 1], np.zeros((1, 2)), [0])
    with pytest.raises(ValueError, match="same number of features"):
        Dataset.from_arrays(np.zeros((2, 2)), [0, 1], np.zeros((1, 3)), [0])
    with pytest.raises(ValueError, match="integer class labels"):
        Dataset.from_arrays(np.zeros((2, 2)), [0.0, 1.0], np.zeros((1, 2)), [0])


@pytest.mark.parametrize(
    "bad, name",
    [
        ({"X_train": np.array([["a", "b"], ["c", "d"]])}, "X_train"),
        ({"y_train": np.array(["0", "1"])}, "y_train"),
        ({"X_test": np.ones((1, 2)) * 1j}, "X_test"),
        ({"X_train": torch.ones(2, 2, dtype=torch.complex64)}, "X_train"),
        ({"y_test": np.array([object()], dtype=object)}, "y_test"),
    ],
)
def test_from_arrays_refuses_non_real_dtypes_naming_the_array(bad, name):
    # strings used to escape as torch's "can't convert np.ndarray of type numpy.str_";
    # complex features were silently cast to float32, dropping the imaginary part
    args = {"X_train": np.zeros((2, 2)), "y_train": [0, 1], "X_test": np.zeros((1, 2)), "y_test": [0]}
    args.update(bad)
    with pytest.raises(TypeError, match=name):
        Dataset.from_arrays(args["X_train"], args["y_train"], args["X_test"], args["y_test"])


def test_read_idx_truncated_header_is_a_value_error(tmp_path):
    # used to escape as struct.error "unpack requires a buffer of 12 bytes"
    p = tmp_path / "x-idx3-ubyte"
    p.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 2]))
    with pytest.raises(ValueError, match=r"truncated IDX header \(8 bytes; 3 dimensions need 16\)"):
        read_idx(p)


def test_damaged_gzip_idx_is_a_value_error_naming_the_file(shared_data, tmp_path):
    data = (shared_data / "mnist_t10k-labels-idx1-ubyte.gz").read_bytes()
    cut = tmp_path / "cut-labels-idx1-ubyte.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut-labels-idx1-ubyte.gz: damaged gzip data"):
        read_idx(cut)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    flipped[len(data) // 2 + 1] ^= 0xFF
    bad = tmp_path / "flip-labels-idx1-ubyte.gz"
    bad.write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="flip-labels-idx1-ubyte.gz: damaged gzip data"):
        read_idx(bad)


def _write_idx(path, arr):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">f4"): 0x0D}
    a = np.ascontiguousarray(arr.astype(">f4") if arr.dtype.kind == "f" else arr)
    head = bytes([0, 0, codes[a.dtype], a.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in a.shape)
    path.write_bytes(head + a.tobytes())


def test_idx_nan_is_counted_on_the_raw_data_and_sample_shapes_must_agree(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((40, 4, 4)).astype(np.float32)
    X[3, 1, 2] = np.nan
    y = (np.arange(40) % 2).astype(np.uint8)
    _write_idx(tmp_path / "train-images-idx3-ubyte", X)
    _write_idx(tmp_path / "train-labels-idx1-ubyte", y)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", rng.random((10, 4, 4)).astype(np.float32))
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", y[:10])
    # normalising first spread the NaN to every row ("150 samples, first at row 0")
    with pytest.raises(ValueError, match=r"X_train contains NaN or infinite values in 1 sample\(s\) \(first at row 3\)"):
        load_dataset(tmp_path)
    X[3, 1, 2] = 0.5
    _write_idx(tmp_path / "train-images-idx3-ubyte", X)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", rng.random((10, 5, 3)).astype(np.float32))
    with pytest.raises(ValueError, match=r"train samples have shape \(4, 4\) \(16 features\) but the test samples \(5, 3\)"):
        load_dataset(tmp_path)
