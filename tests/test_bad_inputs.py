"""A catalogue of bad inputs across the public API: each gets a clear error, never garbage.

Every case asserts the error TYPE and, with a regular expression, that the message names the
problem (the op, the shapes or the argument). A case that returned a value, crashed, or raised the
wrong type would fail. The cases where a check was missing when this catalogue was written are
marked "(was: ...)".
"""

from __future__ import annotations

import io
import json
import pickle
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import Tensor, autograd, nn, no_grad, optim
from tinygrad_edu.data import DataLoader
from tinygrad_edu.train import fit


@dataclass
class Case:
    name: str
    call: Callable[[Path], object]
    error: type[BaseException]
    match: str


def t(*shape: int, grad: bool = False) -> Tensor:
    return Tensor(np.arange(float(np.prod(shape))).reshape(shape) + 1.0, requires_grad=grad)


def _backward_twice(_):
    y = (t(3, grad=True) ** 2).sum()
    y.backward()
    y.backward()


def _modified_input(_):
    x, a = t(3, grad=True), t(3)
    y = x * a
    a.mul_(2.0)  # Mul's backward needs the old a
    y.sum().backward()


def _modified_by_setitem(_):
    x, a = t(2, 2, grad=True), t(2, 2)
    y = x @ a
    a[0, 0] = 7.0
    y.sum().backward()


def _modified_output(_):
    x = t(3, grad=True)
    y = x.exp()
    with no_grad():
        y.fill_(0.0)  # Exp's backward reads its output (was: a silently wrong gradient)
    y.sum().backward()


def _mixed_devices(_):
    other = t(3)
    other.device = "cuda"  # a tensor that claims to live on the GPU, whatever this machine has
    return t(3) + other


def _linear_model() -> nn.Module:
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


def _fit(X, y, **kw):
    model = _linear_model()
    return fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=1, progress=False, **kw)


def _labels(n=6):
    return np.arange(n) % 2


def _saved(tmp: Path) -> Path:
    path = tmp / "model.npz"
    tg.save(_linear_model().state_dict(), path)
    return path


def _truncated(tmp: Path):
    path = _saved(tmp)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return tg.load(path)


def _tampered_bytes(tmp: Path):
    path = _saved(tmp)
    data = bytearray(path.read_bytes())
    start = data.index(b"0.weight") + 200  # inside the stored weight array: the zip CRC no longer matches
    data[start : start + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    return tg.load(path)


def _tampered_schema(tmp: Path):
    path = _saved(tmp)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    schema = json.loads(str(np.load(io.BytesIO(members["__schema__.npy"]))[()]))
    schema["tree"] = {"dict": [["s", "0.weight", [{"tensor": "no-such-member"}]]]}
    buf = io.BytesIO()
    np.save(buf, np.array(json.dumps(schema)))
    members["__schema__.npy"] = buf.getvalue()
    with zipfile.ZipFile(path, "w") as z:
        for name, blob in members.items():
            z.writestr(name, blob)
    return tg.load(path)


def _pickled_npz(tmp: Path):
    path = tmp / "evil.npz"
    np.savez(path, weights=np.array([{"a": 1}], dtype=object))  # an object array is stored pickled
    return tg.load(path)


def _pickle_file(tmp: Path):
    path = tmp / "evil.npz"
    path.write_bytes(pickle.dumps({"weight": [1.0, 2.0]}))
    return tg.load(path)


def _wrong_shapes(_):
    state = _linear_model().state_dict()
    state["0.weight"] = np.zeros((5, 3))
    return _linear_model().load_state_dict(state)


def _nan_X(_):
    X = np.ones((6, 3))
    X[4, 2] = np.nan
    return _fit(X, _labels())


CASES = [
    # --- shapes, in every op family
    Case("add", lambda _: t(2, 3) + t(4), ValueError, r"Add.*\(2, 3\).*\(4,\)"),
    Case("mul", lambda _: t(2, 3) * t(3, 2), ValueError, r"Mul.*\(2, 3\) and \(3, 2\)"),
    Case("sub", lambda _: t(2) - t(3), ValueError, r"Sub.*\(2,\) and \(3,\)"),
    Case("div", lambda _: t(4, 1, 2) / t(3, 3), ValueError, r"Div.*\(4, 1, 2\) and \(3, 3\)"),
    Case("pow", lambda _: t(2) ** t(3), ValueError, r"Pow.*\(2,\) and \(3,\)"),
    Case("maximum", lambda _: tg.maximum(t(2, 2), t(3)), ValueError, r"Maximum.*\(2, 2\) and \(3,\)"),
    Case("matmul", lambda _: t(2, 3) @ t(2, 3), ValueError, r"matmul: shapes \(2, 3\) and \(2, 3\) do not align"),
    Case("matmul 0-d", lambda _: t(3) @ Tensor(2.0), ValueError, r"matmul.*at least one axis"),
    Case("matmul batch", lambda _: t(2, 3, 4) @ t(3, 4, 5), ValueError, r"MatMul.*\(2, 3, 4\) and \(3, 4, 5\)"),
    Case("concatenate", lambda _: tg.concatenate([t(2, 3), t(2, 4)]), ValueError, r"tensor 1 has shape \(2, 4\)"),
    Case("concatenate axis", lambda _: tg.cat([t(2), t(2)], axis=1), ValueError, r"axis 1 out of range"),
    Case("concatenate none", lambda _: tg.concatenate([]), ValueError, r"at least one tensor"),
    Case("stack", lambda _: tg.stack([t(2, 3), t(3, 2)]), ValueError, r"stack: tensor 1 has shape \(3, 2\)"),
    Case("reshape", lambda _: t(2, 3).reshape(4), ValueError, r"reshape.*\(2, 3\).*6 elements.*\(4,\)"),
    Case("reshape -1", lambda _: t(2, 3).reshape(-1, -1), ValueError, r"only one axis may be -1"),
    Case("expand", lambda _: t(2, 3).expand(4, 3), ValueError, r"expand: cannot broadcast shape \(2, 3\) to \(4, 3\)"),
    Case("permute", lambda _: t(2, 3).permute(0, 0), ValueError, r"\(0, 0\) is not a permutation"),
    Case("where", lambda _: tg.where(t(2) > 1, t(3), t(4)), ValueError, r"where: condition \(2,\).*do not broadcast"),
    Case("where cond", lambda _: tg.where(t(2), t(2), t(2)), TypeError, r"condition must be a boolean"),
    Case("sum axis", lambda _: t(2, 3).sum(axis=2), ValueError, r"sum: axis 2 is out of range.*2 axes"),
    Case("mean axis", lambda _: t(2, 3).mean(dim=-3), ValueError, r"mean: axis -3 is out of range"),
    Case("softmax axis", lambda _: t(2, 3).softmax(5), ValueError, r"softmax: axis 5 is out of range"),
    Case("max of nothing", lambda _: t(0, 3).max(axis=0), ValueError, r"max.*reduced axes.*\(0, 3\).*empty"),
    Case("getitem", lambda _: t(2, 3)[5], IndexError, r"GetItem: index 5 is out of bounds.*size 2"),
    Case("getitem axes", lambda _: t(2)[0, 1], IndexError, r"GetItem: too many indices"),
    Case("getitem array", lambda _: t(3)[np.array([0, 7])], IndexError, r"index 7 is out of bounds"),
    Case("pad axes", lambda _: t(2, 3).pad(((1, 1),) * 3), ValueError, r"pad: pad_width .* per axis of 2"),
    Case("pad negative", lambda _: t(2, 3).pad(((1, -1), (0, 0))), ValueError, r"pad: pad_width .*>= 0"),
    Case("split", lambda _: t(2, 3).split([1, 1], 1), ValueError, r"split: sizes \[1, 1\] add up to 2, not 3"),
    Case("linear layer", lambda _: nn.Linear(3, 2)(t(4, 5)), ValueError, r"nn.Linear\): input of shape \(4, 5\)"),
    # --- autograd
    Case(
        "backward non-scalar",
        lambda _: (t(2, 3, grad=True) * 2).backward(),
        RuntimeError,
        r"shape \(2, 3\), not a scalar",
    ),
    Case(
        "backward gradient shape",
        lambda _: (t(3, grad=True) * 2).backward(t(2)),
        RuntimeError,
        r"gradient has shape \(2,\).*\(3,\)",
    ),
    Case("backward no grad", lambda _: t(3).sum().backward(), RuntimeError, r"does not require grad"),
    Case("backward twice", _backward_twice, RuntimeError, r"backward through the graph a second time"),
    Case("int requires grad", lambda _: Tensor([1, 2], requires_grad=True), TypeError, r"only floating-point.*int64"),
    Case("int requires_grad_", lambda _: tg.arange(3).requires_grad_(), TypeError, r"only floating-point"),
    Case("grad of unused", lambda _: autograd.grad(t(2, grad=True).sum(), t(2, grad=True)), RuntimeError, r"not used"),
    Case("in place, leaf", lambda _: t(3, grad=True).add_(1.0), RuntimeError, r"add_: a tensor that requires grad"),
    Case("in place, saved input", _modified_input, RuntimeError, r"Mul: input 1 of shape \(3,\) was modified in place"),
    Case("in place, setitem", _modified_by_setitem, RuntimeError, r"MatMul: input 1 .* modified in place"),
    Case("in place, saved output", _modified_output, RuntimeError, r"Exp: its output .* modified in place"),
    # --- devices
    Case("unknown device", lambda _: Tensor([1.0], device="tpu"), ValueError, r"unknown device 'tpu'"),
    Case("mixed devices", _mixed_devices, RuntimeError, r"Add: tensors on different devices \(cpu and cuda\)"),
    # --- losses and data
    Case(
        "label too big", lambda _: F.cross_entropy(t(4, 3), np.array([0, 1, 2, 3])), IndexError, r"in \[0, 3\).*got 3"
    ),
    Case("label negative", lambda _: F.nll_loss(t(2, 3), np.array([0, -2])), IndexError, r"in \[0, 3\).*got -2"),
    Case("float labels", lambda _: F.cross_entropy(t(2, 3), np.array([0.0, 1.5])), TypeError, r"must be integers"),
    Case("label count", lambda _: F.cross_entropy(t(4, 3), np.array([0, 1])), ValueError, r"2 targets for 4 samples"),
    Case(
        "mse shapes", lambda _: F.mse_loss(t(4, 3), np.zeros(4)), ValueError, r"target shape \(4,\) differs.*\(4, 3\)"
    ),
    Case(
        "empty batch CE", lambda _: F.cross_entropy(t(0, 3), np.zeros(0, int)), ValueError, r"batch is empty.*\(0, 3\)"
    ),
    Case("empty batch MSE", lambda _: F.mse_loss(t(0, 2), np.zeros((0, 2))), ValueError, r"batch is empty"),
    Case("empty data fit", lambda _: _fit(np.zeros((0, 3)), np.zeros(0, int)), ValueError, r"no batches"),
    Case("NaN in X", _nan_X, ValueError, r"train_data X holds 1 NaN.*\(4, 2\)"),
    Case(
        "X/y lengths", lambda _: DataLoader(np.zeros((4, 3)), np.zeros(5)), ValueError, r"X has 4 samples but y has 5"
    ),
    Case(
        "batch size", lambda _: DataLoader(np.zeros((4, 3)), batch_size=0), ValueError, r"batch_size must be a positive"
    ),
    Case("one_hot range", lambda _: tg.one_hot(np.array([0, 3]), 3), ValueError, r"labels must lie in \[0, 3\)"),
    Case("string data", lambda _: Tensor(["a", "b"]), TypeError, r"cannot make a tensor"),
    # --- optimizers and models
    Case("negative lr", lambda _: optim.SGD([t(2, grad=True)], lr=-0.1), ValueError, r"lr.*-0.1"),
    Case("NaN lr", lambda _: optim.Adam([t(2, grad=True)], lr=float("nan")), ValueError, r"lr.*nan"),
    Case("beta", lambda _: optim.Adam([t(2, grad=True)], betas=(1.5, 0.9)), ValueError, r"beta.*1.5.*\[0, 1\)"),
    Case("state dict shapes", _wrong_shapes, RuntimeError, r"size mismatch for 0.weight.*\(5, 3\).*\(4, 3\)"),
    Case("state dict keys", lambda _: _linear_model().load_state_dict({}), RuntimeError, r"missing key.*0.weight"),
    # --- files
    Case("truncated npz", _truncated, ValueError, r"truncated or corrupt"),
    Case("tampered npz", _tampered_bytes, ValueError, r"truncated or corrupt|damaged"),
    Case("tampered schema", _tampered_schema, ValueError, r"damaged schema"),
    Case("pickled object array", _pickled_npz, ValueError, r"pickled Python objects"),
    Case("pickle file", _pickle_file, ValueError, r"pickled Python objects"),
    Case("missing file", lambda tmp: tg.load(tmp / "nope.npz"), FileNotFoundError, r"nope.npz"),
    Case(
        "save a module", lambda tmp: tg.save({"m": nn.Linear(2, 2)}, tmp / "m.npz"), TypeError, r"cannot store a Linear"
    ),
]


def test_catalogue_is_large_enough():
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES), "case names must be unique"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, tmp_path):
    with np.errstate(all="ignore"), pytest.raises(case.error, match=case.match):
        case.call(tmp_path)


def test_cuda_unavailable_says_so():
    if tg.cuda_available():
        pytest.skip("a GPU is present here; the message for a missing one cannot be shown")
    for make in (lambda: Tensor([1.0], device="cuda"), lambda: tg.zeros(2, device="cuda"), lambda: t(2).cuda()):
        with pytest.raises(RuntimeError, match=r"device 'cuda' requested but"):
            make()


def test_failed_save_leaves_the_old_file(tmp_path):
    path = _saved(tmp_path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        tg.save({"ok": np.zeros(3), "bad": object()}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"], "no temporary file may be left behind"


def test_model_still_usable_after_a_bad_call():
    """A failed call changes nothing: the model trains on afterwards."""
    model = _linear_model()
    before = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError):
        model(t(2, 5))
    with pytest.raises(RuntimeError):
        model.load_state_dict({"0.weight": np.zeros((9, 9))})
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy(), before[k])
    loss = F.cross_entropy(model(t(2, 3)), np.array([0, 1]))
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


# --- the command line: unknown names exit with status 2 and say what was wrong (argparse's convention)


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["train", "no-such-data"], r"invalid choice: 'no-such-data'"),
        (["train", "xor", "--no-such-option"], r"unrecognized arguments: --no-such-option"),
        (["teach", "xor"], r"invalid choice: 'teach'"),
        (["train", "xor", "--optimizer", "adamm"], r"invalid choice: 'adamm'"),
        (["train", "xor", "--lr", "-0.1"], r"--lr must be positive"),
        (["train", "xor", "--epochs", "many"], r"--epochs.*'many'"),
    ],
)
def test_cli_rejects_unknown_names(argv, expected, capsys):
    from tinygrad_edu.cli import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert re.search(expected, capsys.readouterr().err)
