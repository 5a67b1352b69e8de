"""The bad-input catalogue, files: permissions, atomic writes, forged archives and IDX files.

Each case is what a careless or hostile user might do to a file the package reads or writes; each
gets a clear error naming the file (or the right behaviour), and nothing is left half-written.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import stat
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import data, datasets, nn, optim
from tinygrad_edu.callbacks import ModelCheckpoint
from tinygrad_edu.fileio import atomic_write
from tinygrad_edu.train import History, fit


@pytest.fixture
def umask022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def _history() -> History:
    h = History()
    h.append(0, {"loss": 1.0, "accuracy": 0.5})
    h.append(1, {"loss": 0.5, "accuracy": 0.75})
    return h


def _write_checkpoint(p: Path) -> None:
    model = nn.Linear(2, 1)
    cb = ModelCheckpoint(p, monitor="loss", save_best_only=False)
    X, y = np.zeros((4, 2)), np.zeros((4, 1))
    fit(model, "mse", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=1, callbacks=[cb], progress=False)


def _draw_dot(p: Path) -> None:
    from tinygrad_edu.viz import draw_graph

    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    draw_graph((x * x).sum()).save(p, format="dot")


WRITERS = {
    "save": lambda p: tg.save({"w": np.ones(3)}, p),
    "history csv": lambda p: _history().to_csv(p),
    "history json": lambda p: _history().to_json(p),
    "checkpoint": _write_checkpoint,
    "graph dot": _draw_dot,
    "atomic_write text": lambda p: atomic_write(p, "text"),
}


@pytest.mark.parametrize("name", list(WRITERS))
def test_files_get_the_umask_mode_not_0600(name, tmp_path, umask022):
    """(was: 0600, from tempfile.mkstemp) a TA must be able to read a student's run folder."""
    p = tmp_path / "out.file"
    WRITERS[name](p)
    assert _mode(p) == 0o644
    assert os.listdir(tmp_path) == ["out.file"]  # no temporary left behind


def test_history_plot_is_written_with_the_umask(tmp_path, umask022):
    pytest.importorskip("matplotlib", reason="History.plot needs matplotlib (the [viz] extra)")
    p = tmp_path / "h.png"
    _history().plot(p)
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and _mode(p) == 0o644


def test_a_strict_umask_is_respected(tmp_path):
    old = os.umask(0o077)
    try:
        tg.save({"w": np.ones(2)}, tmp_path / "private.npz")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "private.npz") == 0o600


def test_a_replaced_file_keeps_its_mode(tmp_path, umask022):
    p = tmp_path / "secret.npz"
    tg.save({"w": np.ones(2)}, p)
    p.chmod(0o600)
    tg.save({"w": np.zeros(2)}, p)
    assert _mode(p) == 0o600 and np.sum(tg.load(p)["w"]) == 0


def test_downloaded_data_get_the_umask_mode(tmp_path, monkeypatch, umask022):
    payload = gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07")
    f = datasets._File("x-idx1-ubyte", __import__("hashlib").sha256(payload).hexdigest(), "")
    ds = datasets._Dataset("x", "X_DIR", ("m/",), {"k": f})
    monkeypatch.setattr(datasets, "_fetch_url", lambda url, dest, timeout=30.0: dest.write(payload))
    target = datasets._download(ds, f, tmp_path)
    assert target.read_bytes() == payload and _mode(target) == 0o644


def test_a_failed_write_keeps_the_old_file(tmp_path):
    p = tmp_path / "model.npz"
    tg.save({"w": np.ones(3)}, p)

    def crash(f):
        f.write(b"half")
        raise KeyboardInterrupt  # Ctrl-C mid-write

    with pytest.raises(KeyboardInterrupt):
        atomic_write(p, crash)
    np.testing.assert_array_equal(tg.load(p)["w"], np.ones(3))
    assert os.listdir(tmp_path) == ["model.npz"]


def test_save_errors_name_the_target_not_the_temporary(tmp_path):
    target = tmp_path / "missing-folder" / "model.npz"
    with pytest.raises(FileNotFoundError, match=r"missing-folder.*does not exist") as e:
        tg.save({"w": np.ones(2)}, target)
    assert ".part" not in str(e.value) and e.value.filename == str(target)


def test_save_onto_a_folder_says_so(tmp_path):
    (tmp_path / "model.npz").mkdir()
    with pytest.raises(IsADirectoryError, match=r"folder, not a file.*model.npz"):
        tg.save({"w": np.ones(2)}, tmp_path / "model.npz")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user")
def test_save_into_a_read_only_folder_names_the_target(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match=r"Permission denied: .*ro/model.npz'") as e:
            tg.save({"w": np.ones(2)}, ro / "model.npz")
        assert ".part" not in str(e.value)
    finally:
        ro.chmod(0o700)


def test_load_of_an_empty_file(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty.npz' is not a readable .npz archive \(truncated or corrupt\?\)"):
        tg.load(tmp_path / "empty.npz")


def test_atomic_write_to_an_empty_path():
    with pytest.raises(ValueError, match="the path is empty"):
        atomic_write("", "text")


def test_model_checkpoint_with_a_bad_epoch_format_fails_at_once(tmp_path):
    """(was: a ValueError from format() at the end of the first epoch of training)"""
    with pytest.raises(ValueError, match=r"ModelCheckpoint: path .* has a bad \{epoch\} format"):
        ModelCheckpoint(tmp_path / "w-{epoch:q}.npz")


def test_model_checkpoint_into_a_missing_folder_fails_before_training(tmp_path):
    model = nn.Linear(2, 1)
    w = model.weight.detach().numpy().copy()
    cb = ModelCheckpoint(tmp_path / "nope" / "w.npz", monitor="loss", save_best_only=False)
    X, y = np.zeros((4, 2)), np.ones((4, 1))
    with pytest.raises(FileNotFoundError, match=r"ModelCheckpoint: the folder .*nope' .* does not exist"):
        fit(model, "mse", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=3, callbacks=[cb], progress=False)
    np.testing.assert_array_equal(model.weight.detach().numpy(), w)  # not one step was trained


def test_load_of_a_folder_says_it_is_a_folder(tmp_path):
    """(was: IsADirectoryError from NumPy, '[Errno 21] Is a directory')"""
    with pytest.raises(IsADirectoryError, match=r"load: .* is a folder; pass the path of an .npz file"):
        tg.load(tmp_path)


def test_model_checkpoint_with_braces_in_the_folder_name(tmp_path):
    """(was: KeyError: '1' from str.format on the whole path)"""
    folder = tmp_path / "run{1}"
    folder.mkdir()
    model = nn.Linear(2, 1)
    cb = ModelCheckpoint(folder / "w-{epoch:02d}.npz", monitor="loss", save_best_only=False)
    X, y = np.zeros((4, 2)), np.zeros((4, 1))
    fit(model, "mse", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2, callbacks=[cb], progress=False)
    assert sorted(os.listdir(folder)) == ["w-00.npz", "w-01.npz"]
    assert set(tg.load(folder / "w-01.npz")) == {"weight", "bias"}


# ----------------------------------------------------------------------------- forged .npz archives


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _zip(path: Path, members: dict[str, bytes], compress: bool = False) -> Path:
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
    return path


def test_npz_decompression_bomb_is_refused_before_allocating(tmp_path):
    """(was: a small compressed .npz made load() allocate hundreds of MiB)"""
    n = 1 << 24  # 128 MiB of float64 zeros, compressed to about 130 KiB
    p = tmp_path / "bomb.npz"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("w.npy", "w", force_zip64=True) as m:
        m.write(_npy_header((n,)))
        zeros = bytes(1 << 20)
        for _ in range(n * 8 // len(zeros)):
            m.write(zeros)
    assert p.stat().st_size < 1 << 20
    with pytest.raises(ValueError, match=r"expand from .* KiB on disk to 128.0 MiB.*decompression bomb"):
        tg.load(p)


def test_npz_header_announcing_75_gib_is_a_clear_error(tmp_path):
    """(was: a raw MemoryError, or 75 GiB allocated on an overcommitting system)"""
    shape = (75 * (1 << 30) // 8,)
    p = _zip(tmp_path / "forged.npz", {"w.npy": _npy_header(shape) + bytes(16)})
    with pytest.raises(ValueError, match=r"announces shape .*75.0 GiB.* but holds 16 bytes: truncated or forged"):
        tg.load(p)


def test_npz_header_whose_dimensions_overflow_int64(tmp_path):
    p = _zip(tmp_path / "forged.npz", {"w.npy": _npy_header((1 << 40, 1 << 40, 1 << 40)) + bytes(8)})
    with pytest.raises(ValueError, match=r"announces shape \(1099511627776, .*truncated or forged"):
        tg.load(p)


def test_npz_object_header_is_refused_as_pickle(tmp_path):
    p = _zip(tmp_path / "evil.npz", {"w.npy": _npy_header((2,), "|O") + b"\x80\x04N."})
    with pytest.raises(ValueError, match="pickled Python objects"):
        tg.load(p)


def test_deeply_nested_schema_is_a_clear_error(tmp_path):
    """(was: RecursionError from the JSON parser)"""
    tree = '{"list": [[' * 100_000 + '{"value": 1}' + "]]}" * 100_000
    schema = json.dumps({"format": "tinygrad_edu.npz/1", "tree": 0}).replace("0}", tree + "}")
    buf = io.BytesIO()
    np.save(buf, np.array(schema))
    p = _zip(tmp_path / "deep.npz", {"__schema__.npy": buf.getvalue()})
    with pytest.raises(ValueError, match="schema nested too deeply"):
        tg.load(p)


def test_saving_a_deeply_nested_object_is_refused(tmp_path):
    obj: list = [1.0]
    for _ in range(500):
        obj = [obj]
    with pytest.raises(ValueError, match=r"nested more than 100 levels"):
        tg.save(obj, tmp_path / "deep.npz")
    assert os.listdir(tmp_path) == []


def test_saving_a_dict_that_contains_itself_is_refused_not_a_hang(tmp_path):
    d: dict = {"w": np.ones(2)}
    d["self"] = d
    with pytest.raises(ValueError, match=r"contains itself"):
        tg.save(d, tmp_path / "cycle.npz")


def test_a_state_dict_just_under_the_depth_limit_round_trips(tmp_path):
    obj: dict = {"w": np.arange(3.0)}
    for i in range(99):
        obj = {f"k{i}": obj}
    tg.save(obj, tmp_path / "deep.npz")
    back = tg.load(tmp_path / "deep.npz")
    for i in reversed(range(99)):
        back = back[f"k{i}"]
    np.testing.assert_array_equal(back["w"], np.arange(3.0))


def test_a_large_honest_compressed_npz_loads_with_max_bytes(tmp_path):
    p = tmp_path / "zeros.npz"
    np.savez_compressed(p, w=np.zeros(1 << 24))
    with pytest.raises(ValueError, match="decompression bomb"):
        tg.load(p)
    assert tg.load(p, max_bytes=1 << 28)["w"].shape == (1 << 24,)


# ----------------------------------------------------------------------------- forged IDX files


def _idx_head(code: int, shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def test_gzipped_idx_bomb_is_refused_before_allocating(tmp_path):
    """(was: gzip.decompress of the whole file, then two copies: a 1 GiB peak from 0.5 MiB)"""
    n = 1 << 27  # 128 MiB of zero pixels
    p = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(p, "wb", compresslevel=9) as f:
        f.write(_idx_head(0x08, (n // 784, 28, 28)))
        zeros = bytes(1 << 20)
        for _ in range(n // 784 * 784 // len(zeros)):
            f.write(zeros)
        f.write(bytes(n // 784 * 784 % len(zeros)))
    assert p.stat().st_size < 1 << 20
    with pytest.raises(ValueError, match=r"announces shape \(171196, 28, 28\) .*decompression bomb"):
        data.read_idx(p)


def test_idx_header_announcing_75_gib(tmp_path):
    p = tmp_path / "forged-idx3-ubyte"
    p.write_bytes(_idx_head(0x0E, (75 << 17, 1 << 10)) + bytes(64))
    with pytest.raises(ValueError, match=r"announces shape \(9830400, 1024\) \(80530636812 bytes\).*holds 76 bytes"):
        data.read_idx(p)
    gz = tmp_path / "forged-idx3-ubyte.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    with pytest.raises(ValueError, match=r"75.0 GiB.*over the limit"):
        data.read_idx(gz)


def test_idx_dimensions_that_overflow_int64_are_refused(tmp_path):
    """(was: np.prod in int64 wrapped around, so a forged header could announce a small size)"""
    p = tmp_path / "forged-idx3-ubyte"
    # 2^32-1 cubed times 8 bytes overflows int64; the wrapped product must not be believed
    p.write_bytes(_idx_head(0x0E, (0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)) + bytes(8))
    with pytest.raises(ValueError, match=r"announces shape \(4294967295, 4294967295, 4294967295\)"):
        data.read_idx(p)


def test_gzipped_idx_holding_more_than_announced(tmp_path):
    p = tmp_path / "x-idx1-ubyte.gz"
    p.write_bytes(gzip.compress(_idx_head(0x08, (3,)) + bytes(10)))
    with pytest.raises(ValueError, match=r"announces shape \(3,\) .* holds more"):
        data.read_idx(p)


def test_read_idx_of_a_folder(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder, not an IDX file"):
        data.read_idx(tmp_path)


def test_honest_gzipped_idx_still_reads(tmp_path):
    arr = np.arange(24, dtype=">i4").reshape(2, 3, 4)
    p = tmp_path / "ok-idx3-ubyte.gz"
    p.write_bytes(gzip.compress(_idx_head(0x0C, arr.shape) + arr.tobytes()))
    out = data.read_idx(p)
    assert out.dtype == np.int32 and out.dtype.isnative
    np.testing.assert_array_equal(out, arr)
