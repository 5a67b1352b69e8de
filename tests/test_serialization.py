"""tinygrad_edu.save / load: .npz round trips, no pickles, atomic writes, clear errors."""

import os
import pickle
import zipfile

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim

RNG = np.random.default_rng(3)


def _model():
    return nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3))


def _train(model, opt, steps=3):
    x = tg.Tensor(RNG.standard_normal((8, 4)))
    y = RNG.integers(0, 3, 8)
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()


def test_model_round_trip(tmp_path):
    model = _model()
    _train(model, optim.SGD(model.parameters(), lr=0.1))
    path = tmp_path / "model.npz"
    tg.save(model.state_dict(), path)
    loaded = tg.load(path)
    assert list(loaded) == list(model.state_dict())
    assert all(isinstance(v, tg.Tensor) for v in loaded.values())
    fresh = _model()
    fresh.load_state_dict(loaded)
    for (k, a), b in zip(model.state_dict().items(), fresh.state_dict().values()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=k)
        assert a.dtype == b.dtype and a.shape == b.shape
    model.eval()
    fresh.eval()
    x = tg.Tensor(RNG.standard_normal((2, 4)))
    np.testing.assert_array_equal(model(x).detach().numpy(), fresh(x).detach().numpy())
    # a model file is a plain .npz that NumPy reads, named by parameter
    with np.load(path) as raw:
        np.testing.assert_array_equal(raw["0.weight"], model[0].weight.detach().numpy())


def test_optimizer_round_trip_continues_identically(tmp_path):
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.95), amsgrad=True)
    _train(model, opt)
    tg.save(
        {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3, "note": "ckpt"}, tmp_path / "c.npz"
    )
    ckpt = tg.load(tmp_path / "c.npz")
    assert ckpt["epoch"] == 3 and ckpt["note"] == "ckpt"
    assert ckpt["optimizer"]["param_groups"][0]["betas"] == (0.8, 0.95)
    assert sorted(ckpt["optimizer"]["state"]) == list(range(6))  # int keys survive
    model2 = _model()
    model2.load_state_dict(ckpt["model"])
    opt2 = optim.Adam(model2.parameters(), lr=1.0)
    opt2.load_state_dict(ckpt["optimizer"])
    state = RNG.bit_generator.state
    _train(model, opt)
    RNG.bit_generator.state = state  # the same batches for the copy
    _train(model2, opt2)
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_nested_values_survive(tmp_path):
    obj = {
        "a": [1, 2.5, None, True, "s", (3, (4, 5))],
        "b": {7: np.arange(6, dtype=np.int32).reshape(2, 3), "x": tg.Tensor(np.float32(2.0))},
        "nan": float("inf"),
        "empty": {},
    }
    tg.save(obj, tmp_path / "o.npz")
    back = tg.load(tmp_path / "o.npz")
    assert back["a"] == [1, 2.5, None, True, "s", (3, (4, 5))]
    assert back["b"][7].dtype == np.int32 and isinstance(back["b"][7], np.ndarray)
    np.testing.assert_array_equal(back["b"][7], obj["b"][7])
    assert isinstance(back["b"]["x"], tg.Tensor) and back["b"]["x"].dtype == np.float32 and back["b"]["x"].shape == ()
    assert back["nan"] == float("inf") and back["empty"] == {}


def test_save_refuses_python_objects(tmp_path):
    with pytest.raises(TypeError, match=r"cannot store a object at 'w'|cannot store a .* at 'w'"):
        tg.save({"w": object()}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dict key"):
        tg.save({(1, 2): 3}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="numeric"):
        tg.save({"w": np.array(["a", "b"])}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)  # nothing half-written


def test_load_refuses_pickles(tmp_path):
    p = tmp_path / "evil.npz"
    np.savez(p, w=np.array([{"a": 1}, None], dtype=object))  # an object array inside an .npz
    with pytest.raises(ValueError, match="pickled Python objects"):
        tg.load(p)
    raw = tmp_path / "model.pt"
    raw.write_bytes(pickle.dumps({"w": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="pickled Python objects"):
        tg.load(raw)


def test_load_reports_truncated_and_corrupt_files(tmp_path):
    p = tmp_path / "m.npz"
    tg.save(_model().state_dict(), p)
    data = p.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        tg.load(cut)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04" + b"\x00" * 50)
    with pytest.raises(ValueError, match="truncated or corrupt"):
        tg.load(junk)
    with pytest.raises(FileNotFoundError, match="no such file"):
        tg.load(tmp_path / "missing.npz")


def test_load_reports_a_damaged_schema(tmp_path):
    p = tmp_path / "s.npz"
    np.savez(p, __schema__=np.array('{"format": "tinygrad_edu.npz/1", "tree": {"tensor": "nope"}}'))
    with pytest.raises(ValueError, match="damaged schema"):
        tg.load(p)


def test_plain_npz_loads_as_tensors(tmp_path):
    p = tmp_path / "plain.npz"
    np.savez(p, w=np.ones((2, 2)), b=np.zeros(2))
    back = tg.load(p)
    assert set(back) == {"w", "b"} and isinstance(back["w"], tg.Tensor)


def test_interrupted_save_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    old = _model()
    tg.save(old.state_dict(), path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut during save")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        tg.save(_model().state_dict(), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]  # the temporary file was removed
    fresh = _model()
    fresh.load_state_dict(tg.load(path))
    np.testing.assert_array_equal(fresh[0].weight.detach().numpy(), old[0].weight.detach().numpy())


def test_crash_inside_the_writer_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    tg.save({"w": np.ones(3)}, path)
    before = path.read_bytes()

    def broken_writer(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_writer)
    with pytest.raises(OSError, match="disk full"):
        tg.save({"w": np.zeros(3)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.npz"]


def test_saved_file_is_a_zip_without_pickles(tmp_path):
    p = tmp_path / "m.npz"
    tg.save({"model": _model().state_dict(), "step": 1}, p)
    with zipfile.ZipFile(p) as z:
        names = z.namelist()
    assert "__schema__.npy" in names and "model/0.weight.npy" in names
    with np.load(p, allow_pickle=False) as raw:  # every member loads without pickle
        for k in raw.files:
            assert raw[k].dtype != object
