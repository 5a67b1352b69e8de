"""Data sets, IDX files, the search order, downloads and their checksums, and the mini-batch helpers."""

import dataclasses
import gzip
import hashlib
import struct
import urllib.error

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import data, datasets
from tinygrad_edu.data import DataLoader

# --------------------------------------------------------------------------- helpers: tiny IDX files


def idx_bytes(arr: np.ndarray) -> bytes:
    """An IDX file written independently of the reader: magic 0 0 code ndim, big-endian dims, big-endian data."""
    codes = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}
    code = codes[arr.dtype.type]
    head = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write_split(folder, split="train", n=5, gz=True, seed=0, names=None):
    """Write images (n, 28, 28) uint8 and labels (n,) into ``folder``; return them."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    prefix = "train" if split == "train" else "t10k"
    folder.mkdir(parents=True, exist_ok=True)
    for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
        name = f"{prefix}-{kind}-ubyte"
        content = idx_bytes(arr)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(content))
        else:
            (folder / name).write_bytes(content)
    return images, labels


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No data-location variables, a private cache, and no system folder for MNIST."""
    for var in ("MNIST_DIR", "FASHION_MNIST_DIR", "TINYGRAD_EDU_DATA"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ds = data.DATASETS["mnist"]
    monkeypatch.setitem(data.DATASETS, "mnist", dataclasses.replace(ds, system_dirs=(str(tmp_path / "system"),)))
    return tmp_path


def no_network(*args, **kwargs):
    raise AssertionError("the network must not be used here")


# --------------------------------------------------------------------------- small data sets


def test_gates_truth_tables():
    X, y = data.gates("xor")
    assert X.shape == (4, 2) and y.shape == (4, 1) and X.dtype == np.float64 and y.dtype == np.float64
    expected = {"xor": np.logical_xor, "and": np.logical_and, "or": np.logical_or}
    for name, fn in expected.items():
        X, y = data.gates(name)
        np.testing.assert_array_equal(y[:, 0], fn(X[:, 0], X[:, 1]).astype(float))
    X, y = data.gates("NAND")
    np.testing.assert_array_equal(y[:, 0], 1 - np.logical_and(X[:, 0], X[:, 1]))


def test_gates_unknown_name():
    with pytest.raises(ValueError, match="unknown gate 'xr'.*xor"):
        data.gates("xr")


def test_load_digits_raw_pixels():
    pytest.importorskip("sklearn", reason="load_digits reads the data shipped with scikit-learn")
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and set(np.unique(y)) == set(range(10))


# --------------------------------------------------------------------------- IDX reading


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_roundtrip(tmp_path, dtype, gz):
    arr = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    if dtype == np.uint8:
        arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    content = idx_bytes(arr)
    path = tmp_path / "a.idx"
    path.write_bytes(gzip.compress(content) if gz else content)
    out = data.read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, arr)


def test_read_idx_rejects_bad_files(tmp_path):
    p = tmp_path / "bad"
    p.write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(p)
    p.write_bytes(idx_bytes(np.zeros((3, 4), np.uint8))[:-1])  # one byte short
    with pytest.raises(ValueError, match=r"shape \(3, 4\).*holds"):
        data.read_idx(p)
    p.write_bytes(bytes([0, 0, 0x42, 1, 0, 0, 0, 1, 7]))
    with pytest.raises(ValueError, match="unknown IDX type code 0x42"):
        data.read_idx(p)
    p.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ValueError, match="broken gzip"):
        data.read_idx(p)


# --------------------------------------------------------------------------- MNIST-style loading


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_from_root(clean_env, monkeypatch, gz):
    monkeypatch.setattr(datasets, "_fetch_url", no_network)
    root = clean_env / "mine"
    images, labels = write_split(root, "train", n=7, gz=gz)
    timages, tlabels = write_split(root, "test", n=3, gz=gz, seed=1)
    X, y = data.load_mnist(root=root, split="train")
    assert X.shape == (7, 784) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X, images.reshape(7, -1) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)
    Xt, yt = data.load_mnist(root=str(root), split="test", flatten=False, scale=False, dtype=np.float64)
    assert Xt.shape == (3, 28, 28) and Xt.dtype == np.float64
    np.testing.assert_array_equal(Xt, timages)
    np.testing.assert_array_equal(yt, tlabels)


def test_load_mnist_bad_split_and_name(clean_env):
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        data.load_mnist(root=clean_env, split="validation")
    with pytest.raises(ValueError, match="unknown data set 'cifar'"):
        data.find_dataset("cifar")


def test_mismatched_images_and_labels(clean_env):
    root = clean_env / "mine"
    write_split(root, "train", n=4)
    (root / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(3, np.uint8))))
    with pytest.raises(ValueError, match=r"\(4, 28, 28\).*\(3,\) do not match"):
        data.load_mnist(root=root)


def test_search_order(clean_env, monkeypatch):
    """root= beats $MNIST_DIR, which beats $TINYGRAD_EDU_DATA/mnist, which beats the cache and the system folder."""
    monkeypatch.setattr(datasets, "_fetch_url", no_network)
    places = {
        "root": clean_env / "root",
        "env": clean_env / "env",
        "shared": clean_env / "shared" / "mnist",
        "cache": clean_env / "cache" / "tinygrad_edu" / "mnist",
        "system": clean_env / "system",
    }
    sizes = {name: i + 2 for i, name in enumerate(places)}
    for name, folder in places.items():
        write_split(folder, n=sizes[name])
    monkeypatch.setenv("MNIST_DIR", str(places["env"]))
    monkeypatch.setenv("TINYGRAD_EDU_DATA", str(clean_env / "shared"))

    def n_loaded(**kw):
        return len(data.load_mnist(verify=False, **kw)[1])

    assert n_loaded(root=places["root"]) == sizes["root"]
    assert n_loaded() == sizes["env"]
    assert data.find_dataset("mnist") == ("$MNIST_DIR", places["env"])
    monkeypatch.delenv("MNIST_DIR")
    assert n_loaded() == sizes["shared"]
    monkeypatch.delenv("TINYGRAD_EDU_DATA")
    assert n_loaded() == sizes["cache"]
    for f in places["cache"].iterdir():
        f.unlink()
    assert n_loaded() == sizes["system"]
    # An environment variable pointing at an empty folder falls through to the next place.
    monkeypatch.setenv("MNIST_DIR", str(clean_env / "empty"))
    assert n_loaded() == sizes["system"]


def test_explicit_root_is_the_only_place_searched(clean_env, monkeypatch):
    monkeypatch.setattr(datasets, "_fetch_url", no_network)
    write_split(clean_env / "cache" / "tinygrad_edu" / "mnist")
    with pytest.raises(data.DatasetNotFoundError) as err:
        data.load_mnist(root=clean_env / "nothing", download=False)
    assert str(clean_env / "nothing") in str(err.value)


def _tiny_published(monkeypatch, folder):
    """Pretend the tiny files in ``folder`` are the published ones: patch the digests to theirs."""
    ds = data.DATASETS["mnist"]
    files = {}
    for key, f in ds.files.items():
        if not (folder / (f.name + ".gz")).exists():
            files[key] = f
            continue
        gz = (folder / (f.name + ".gz")).read_bytes()
        files[key] = dataclasses.replace(
            f, sha256_gz=hashlib.sha256(gz).hexdigest(), sha256_raw=hashlib.sha256(gzip.decompress(gz)).hexdigest()
        )
    monkeypatch.setitem(data.DATASETS, "mnist", dataclasses.replace(ds, files=files, mirrors=("m1/", "m2/")))


def test_download_into_cache_once(clean_env, monkeypatch):
    served = clean_env / "server"
    images, labels = write_split(served, "train", n=6)
    write_split(served, "test", n=2)
    _tiny_published(monkeypatch, served)
    calls = []

    def fake_fetch(url, dest, timeout=30.0):
        calls.append(url)
        if url.startswith("m1/"):
            raise urllib.error.URLError("mirror 1 is down")
        dest.write((served / url[3:]).read_bytes())

    monkeypatch.setattr(datasets, "_fetch_url", fake_fetch)
    X, y = data.load_mnist()
    np.testing.assert_array_equal(y, labels)
    assert calls == [
        "m1/train-images-idx3-ubyte.gz",
        "m2/train-images-idx3-ubyte.gz",
        "m1/train-labels-idx1-ubyte.gz",
        "m2/train-labels-idx1-ubyte.gz",
    ]
    cache = clean_env / "cache" / "tinygrad_edu" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    calls.clear()
    data.load_mnist()  # now found in the cache (and verified there)
    assert calls == []
    assert data.find_dataset("mnist") == ("cache", cache)


def test_download_checksum_mismatch(clean_env, monkeypatch):
    served = clean_env / "server"
    write_split(served, "train", n=6)
    _tiny_published(monkeypatch, served)

    def evil_fetch(url, dest, timeout=30.0):
        dest.write(gzip.compress(b"something else entirely"))

    monkeypatch.setattr(datasets, "_fetch_url", evil_fetch)
    with pytest.raises(data.ChecksumError, match="train-images-idx3-ubyte.gz from m1/: SHA-256 .* differs"):
        data.load_mnist()
    cache = clean_env / "cache" / "tinygrad_edu" / "mnist"
    assert list(cache.iterdir()) == []  # nothing half-written or unverified left behind


def test_cached_files_are_verified(clean_env, monkeypatch):
    """Tiny files in the cache are not the published MNIST: the content digest catches them."""
    monkeypatch.setattr(datasets, "_fetch_url", no_network)
    cache = clean_env / "cache" / "tinygrad_edu" / "mnist"
    write_split(cache, n=3)
    with pytest.raises(data.ChecksumError, match="differs from the published ba891046"):
        data.load_mnist()
    assert len(data.load_mnist(verify=False)[1]) == 3
    # A folder of one's own is only checked on request.
    write_split(clean_env / "mine", n=3)
    assert len(data.load_mnist(root=clean_env / "mine")[1]) == 3
    with pytest.raises(data.ChecksumError):
        data.load_mnist(root=clean_env / "mine", verify=True)


def test_offline_message_says_what_to_put_where(clean_env, monkeypatch):
    def offline(url, dest, timeout=30.0):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(datasets, "_fetch_url", offline)
    with pytest.raises(data.DatasetNotFoundError) as err:
        data.load_mnist(split="test")
    msg = str(err.value)
    cache = clean_env / "cache" / "tinygrad_edu" / "mnist"
    assert f"into {cache}" in msg
    assert "t10k-images-idx3-ubyte.gz" in msg and "t10k-labels-idx1-ubyte.gz" in msg
    assert "train-images" not in msg  # only the files of the split asked for
    assert "$MNIST_DIR" in msg and "name resolution" in msg
    assert data.DATASETS["mnist"].files["test-images"].sha256_gz in msg
    assert not cache.exists() or list(cache.iterdir()) == []


def test_fetch_all_four_files(clean_env, monkeypatch):
    def offline(url, dest, timeout=30.0):
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(datasets, "_fetch_url", offline)
    with pytest.raises(data.DatasetNotFoundError) as err:
        data.fetch("mnist")
    for f in data.DATASETS["mnist"].files.values():
        assert f"{f.name}.gz" in str(err.value)
    write_split(clean_env / "mine", "train")
    write_split(clean_env / "mine", "test")
    monkeypatch.setenv("MNIST_DIR", str(clean_env / "mine"))
    assert data.fetch("mnist") == clean_env / "mine"


def test_download_over_http_with_pooch(clean_env, monkeypatch):
    """The real downloader (pooch's HTTP one) against a server on this machine: no outside network."""
    import functools
    import http.server
    import threading

    pytest.importorskip("pooch", reason="pooch is a dependency of downloads")
    served = clean_env / "server"
    images, labels = write_split(served, "train", n=4)
    _tiny_published(monkeypatch, served)
    agents = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):
            agents.append(self.headers.get("User-Agent"))
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        ds = data.DATASETS["mnist"]
        monkeypatch.setitem(data.DATASETS, "mnist", dataclasses.replace(ds, mirrors=(url,)))
        X, y = data.load_mnist(flatten=False, scale=False)
    finally:
        server.shutdown()
        server.server_close()
    np.testing.assert_array_equal(X, images)
    np.testing.assert_array_equal(y, labels)
    assert agents == ["tinygrad-edu", "tinygrad-edu"]
    cache = clean_env / "cache" / "tinygrad_edu" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]


def test_no_download_means_no_network(clean_env, monkeypatch):
    monkeypatch.setattr(datasets, "_fetch_url", no_network)
    with pytest.raises(data.DatasetNotFoundError, match="download=False"):
        data.load_mnist(download=False)


FASHION = data.find_dataset("fashion-mnist", split="test")


@pytest.mark.skipif(
    FASHION is None,
    reason="Fashion-MNIST files not installed (apt install dataset-fashion-mnist, or $FASHION_MNIST_DIR)",
)
def test_real_fashion_mnist_files():
    Xt, yt = data.load_fashion_mnist(split="test", verify=True)
    assert Xt.shape == (10000, 784) and Xt.dtype == np.float32
    assert 0.0 <= Xt.min() and Xt.max() == 1.0
    np.testing.assert_array_equal(np.bincount(yt), [1000] * 10)
    X, y = data.load_fashion_mnist(split="train", flatten=False, scale=False, dtype=np.uint8, verify=True)
    assert X.shape == (60000, 28, 28) and X.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(y), [6000] * 10)
    assert y[:5].tolist() == [9, 0, 0, 3, 0]  # ankle boot, T-shirt, T-shirt, dress, T-shirt
    assert data.FASHION_CLASSES[9] == "Ankle boot"


# --------------------------------------------------------------------------- preprocessing


def test_one_hot():
    out = data.one_hot([2, 0, 1], 4)
    np.testing.assert_array_equal(out, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    assert data.one_hot(np.array([1, 3])).shape == (2, 4)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        data.one_hot([0, 3], 3)
    with pytest.raises(TypeError, match="integers"):
        data.one_hot([0.5, 1.0])


def test_standardize_fits_on_train_only():
    rng = np.random.default_rng(0)
    train = rng.normal(3.0, 2.0, size=(200, 3))
    train[:, 2] = 5.0  # a constant feature
    test = rng.normal(3.0, 2.0, size=(50, 3))
    tr, te = data.standardize(train, test)
    np.testing.assert_allclose(tr[:, :2].mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(tr[:, :2].std(0), 1, atol=1e-12)
    np.testing.assert_array_equal(tr[:, 2], 0.0)  # no division by zero
    np.testing.assert_allclose(te, (test - train.mean(0)) / np.where(train.std(0) > 0, train.std(0), 1))
    s = data.Standardizer().fit(train)
    np.testing.assert_allclose(s.inverse_transform(s.transform(test)), test)
    assert isinstance(data.standardize(train), np.ndarray)
    with pytest.raises(ValueError, match="features"):
        s.transform(np.zeros((2, 4)))
    with pytest.raises(RuntimeError, match="fit"):
        data.Standardizer().transform(train)


def test_standardize_keeps_float32():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert data.standardize(x).dtype == np.float32


def test_train_val_test_split():
    X = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    X_tr, X_va, X_te, y_tr, y_va, y_te = data.train_val_test_split(X, y, val=0.2, test=0.1, seed=3)
    assert (len(y_tr), len(y_va), len(y_te)) == (35, 10, 5)
    np.testing.assert_array_equal(np.sort(np.concatenate([y_tr, y_va, y_te])), y)  # disjoint, complete
    np.testing.assert_array_equal(X_tr[:, 0] // 2, y_tr)  # rows stay paired
    again = data.train_val_test_split(X, y, val=0.2, test=0.1, seed=3)
    np.testing.assert_array_equal(again[3], y_tr)
    other = data.train_val_test_split(X, y, val=0.2, test=0.1, seed=4)
    assert not np.array_equal(other[3], y_tr)
    counts = data.train_val_test_split(X, y, val=7, test=0, seed=0)
    assert (len(counts[3]), len(counts[4]), len(counts[5])) == (43, 7, 0)


def test_train_val_test_split_stratified():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    X = np.arange(100)
    *_, y_tr, y_va, y_te = data.train_val_test_split(X, y, val=0.1, test=0.2, seed=0, stratify=True)
    np.testing.assert_array_equal(np.bincount(y_te), [12, 6, 2])
    np.testing.assert_array_equal(np.bincount(y_va), [6, 3, 1])


def test_train_val_test_split_errors():
    X, y = np.zeros((10, 2)), np.zeros(10)
    with pytest.raises(ValueError, match="no training samples"):
        data.train_val_test_split(X, y, val=0.5, test=0.5)
    with pytest.raises(ValueError, match="X has 10 samples but y has 9"):
        data.train_val_test_split(X, y[:9])
    with pytest.raises(ValueError, match="test must be a fraction"):
        data.train_val_test_split(X, y, test=-0.1)


# --------------------------------------------------------------------------- DataLoader


def test_dataloader_batches(device):
    X = np.arange(20, dtype=np.float64).reshape(10, 2)
    y = np.arange(10)
    loader = DataLoader(X, y, batch_size=4, shuffle=False, device=device)
    batches = list(loader)
    assert len(loader) == 3 and [len(b[1]) for b in batches] == [4, 4, 2]
    xb, yb = batches[0]
    assert isinstance(xb, tg.Tensor) and xb.device == device and yb.device == device
    assert yb.dtype.kind == "i"  # class indices stay integers
    np.testing.assert_array_equal(xb.detach().numpy(), X[:4])
    loader = DataLoader(X, y, batch_size=4, drop_last=True, seed=0, device=device)
    assert len(loader) == 2 and [len(b[1]) for b in loader] == [4, 4]


def test_dataloader_shuffles_each_epoch_reproducibly():
    X = np.arange(30, dtype=np.float64).reshape(15, 2)
    y = np.arange(15)
    loader = DataLoader(X, y, batch_size=4, seed=1)
    epoch1 = np.concatenate([yb.detach().numpy() for _, yb in loader])
    epoch2 = np.concatenate([yb.detach().numpy() for _, yb in loader])
    np.testing.assert_array_equal(np.sort(epoch1), y)  # every sample exactly once
    assert not np.array_equal(epoch1, epoch2) and not np.array_equal(epoch1, y)
    for xb, yb in loader:
        np.testing.assert_array_equal(xb.detach().numpy()[:, 0], 2 * yb.detach().numpy())  # pairs stay together
    again = DataLoader(X, y, batch_size=4, seed=1)
    np.testing.assert_array_equal(np.concatenate([yb.detach().numpy() for _, yb in again]), epoch1)
    # Without a seed, the global generator decides: manual_seed makes it reproducible.
    tg.manual_seed(5)
    a = [yb.detach().numpy() for _, yb in DataLoader(X, y, batch_size=15)][0]
    tg.manual_seed(5)
    b = [yb.detach().numpy() for _, yb in DataLoader(X, y, batch_size=15)][0]
    np.testing.assert_array_equal(a, b)


def test_dataloader_dtypes():
    X = np.ones((4, 3), dtype=np.float32)
    xb, yb = next(iter(DataLoader(X, np.ones((4, 1)), batch_size=2)))
    assert xb.dtype == np.float64 and yb.dtype == np.float64  # floats follow the default dtype
    tg.set_default_dtype(np.float32)
    xb, _ = next(iter(DataLoader(np.ones((4, 3)), np.zeros(4, dtype=np.int64), batch_size=2)))
    assert xb.dtype == np.float32
    xb = next(iter(DataLoader(tg.Tensor(np.ones((4, 3))), batch_size=3, dtype="float64")))
    assert isinstance(xb, tg.Tensor) and xb.dtype == np.float64 and xb.shape == (3, 3)


def test_dataloader_errors():
    with pytest.raises(ValueError, match="X has 3 samples but y has 2"):
        DataLoader(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(np.zeros((3, 2)), batch_size=0)
    with pytest.raises(ValueError, match="unknown device"):
        DataLoader(np.zeros((3, 2)), device="tpu")
