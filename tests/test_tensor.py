"""The Tensor itself: construction and dtype rules, attributes, display, factories, random
seeds, devices and the errors a user meets first."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from helpers import assert_close
from tinygrad_edu import Tensor, autograd, backend

# ------------------------------------------------------------------------------- dtype rules


def test_python_numbers_take_numpy_dtypes_with_float64_default(device):
    assert Tensor(1.5, device=device).dtype == np.float64
    assert Tensor([1.0, 2.0], device=device).dtype == np.float64
    assert Tensor([[1, 2.5]], device=device).dtype == np.float64
    assert Tensor([1, 2], device=device).dtype == np.int64
    assert Tensor(3, device=device).dtype == np.int64
    assert Tensor([True, False], device=device).dtype == np.bool_
    assert tg.get_default_dtype() == np.float64


def test_numpy_arrays_keep_their_dtype(device):
    for dt in (np.float32, np.float64, np.int32, np.int64, np.bool_, np.float16):
        t = Tensor(np.zeros(3, dtype=dt), device=device)
        assert t.dtype == dt, dt
    assert Tensor(np.float32(2.0), device=device).dtype == np.float32


def test_explicit_dtype_wins(device):
    assert Tensor([1, 2], dtype="float32", device=device).dtype == np.float32
    assert Tensor(np.ones(2), dtype=np.float32, device=device).dtype == np.float32
    assert Tensor([1.7, 2.2], dtype="int64", device=device).dtype == np.int64


def test_set_default_dtype_changes_python_floats_only(device):
    tg.set_default_dtype("float32")
    assert tg.get_default_dtype() == np.float32
    assert Tensor([1.0, 2.0], device=device).dtype == np.float32
    assert Tensor(0.5, device=device).dtype == np.float32
    assert Tensor([1, 2], device=device).dtype == np.int64  # integers stay integers
    assert Tensor(np.ones(2), device=device).dtype == np.float64  # arrays keep their dtype
    assert tg.zeros(2, device=device).dtype == np.float32
    assert tg.randn(2, device=device).dtype == np.float32
    assert tg.arange(0.0, 2.0, device=device).dtype == np.float32
    tg.set_default_dtype(np.float64)
    assert Tensor([1.0], device=device).dtype == np.float64
    with pytest.raises(TypeError, match="floating dtype"):
        tg.set_default_dtype("int32")


def test_integer_and_bool_tensors_cannot_require_grad(device):
    for data in ([1, 2], [True, False], np.arange(3, dtype=np.int32)):
        t = Tensor(data, device=device)
        assert not t.requires_grad
        with pytest.raises(TypeError, match=r"only floating-point tensors can require grad.*(int|bool)"):
            Tensor(data, requires_grad=True, device=device)
        with pytest.raises(TypeError, match="floating-point"):
            t.requires_grad_()
    with pytest.raises(TypeError, match="floating-point"):
        tg.zeros(2, dtype="int64", requires_grad=True, device=device)
    with pytest.raises(TypeError, match="floating-point"):
        tg.arange(3, requires_grad=True, device=device)
    # an integer tensor converts to float and then can
    t = Tensor([1, 2], device=device).to(dtype="float64").requires_grad_()
    assert t.requires_grad


def test_bad_data_is_refused_plainly():
    with pytest.raises(TypeError, match="cannot make a tensor"):
        Tensor(["a", "b"])
    with pytest.raises(TypeError, match="cannot make a tensor"):
        Tensor({"a": 1})


def test_float32_stays_float32(device):
    x = Tensor(np.array([0.5, 1.5], np.float32), requires_grad=True, device=device)
    y = ((x * 2.0 + 1) / 3.0 - 0.5) ** 2 + 2.0**x + (1.0 - x).exp() + x.tanh() * x.sigmoid()
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    # NumPy's float64 scalars behave like Python floats here, as in PyTorch
    for out in (x * np.float64(2.0), x + np.float64(1.0), np.float64(3.0) * x, x / np.float64(4.0), x - np.float64(1)):
        assert out.dtype == np.float32, out.dtype
    # a float64 tensor meeting a float32 one promotes, as NumPy and PyTorch do
    assert (x * Tensor([1.0, 1.0], device=device)).dtype == np.float64


def test_to_dtype_is_differentiable(device):
    x = Tensor([1.0, 2.0], requires_grad=True, device=device)
    y = x.to(dtype="float32")
    assert y.dtype == np.float32 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    assert_close(x.grad, [2.0, 4.0])
    assert x.float().dtype == np.float32 and x.float().double().dtype == np.float64
    assert x.astype("float32").dtype == np.float32


# ------------------------------------------------------------------------------- attributes


def test_attributes(device):
    x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True, device=device)
    assert backend.is_array(x.data) and x.data.shape == (2, 3)
    assert x.grad is None and x.requires_grad
    assert x.shape == (2, 3) and isinstance(x.shape, tuple)
    assert x.ndim == 2 and x.size == 6 and x.numel() == 6 and len(x) == 2
    assert x.dtype == np.float64
    assert x.device == device
    assert x.T.shape == (3, 2)
    assert_close(x.T, np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).T)
    arr = x.detach().numpy()
    assert isinstance(arr, np.ndarray) and arr.shape == (2, 3)
    assert x.detach().tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert x[1, 2].item() == 6.0 and isinstance(x[1, 2].item(), float)
    assert isinstance(Tensor(3, device=device).item(), int)
    assert float(Tensor([2.5], device=device)) == 2.5 and int(Tensor(7, device=device)) == 7
    with pytest.raises(ValueError, match=r"item\(\): only one-element tensors.*\(2, 3\)"):
        x.item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)
    assert [r.shape for r in x] == [(3,), (3,)]


def test_numpy_shares_memory_on_the_cpu():
    x = Tensor([1.0, 2.0])
    assert np.shares_memory(x.detach().numpy(), x.data)
    assert np.asarray(x).tolist() == [1.0, 2.0]


def test_detach_shares_values_and_cuts_the_graph(device):
    x = Tensor([1.0, 2.0], requires_grad=True, device=device)
    y = x * 2.0
    d = y.detach()
    assert d.grad_fn is None and not d.requires_grad
    assert d.data is y.data
    z = (d * x).sum()
    z.backward()
    assert_close(x.grad, [2.0, 4.0])  # no gradient flowed through d


def test_requires_grad_and_zero_grad(device):
    x = Tensor([1.0, 2.0], device=device)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    x.requires_grad_(True)
    (x * x).sum().backward()
    assert x.grad is not None
    x.zero_grad()
    assert x.grad is None
    y = x * 2.0
    with pytest.raises(RuntimeError, match="non-leaf.*detach"):
        y.requires_grad_(False)


def test_repr_shows_data_dtype_and_grad_fn(device):
    x = Tensor([1.0, 2.5], requires_grad=True, device=device)
    r = repr(x)
    assert r.startswith("Tensor(") and "1." in r and "2.5" in r
    assert "dtype=float64" in r and "requires_grad=True" in r
    y = x * x
    assert "grad_fn=<Mul>" in repr(y) and "dtype=float64" in repr(y)
    assert "grad_fn=<TanhOp>" in repr(x.tanh())
    z = Tensor(np.array([1, 2], dtype=np.int32), device=device)
    assert "dtype=int32" in repr(z) and "grad_fn" not in repr(z)
    with tg.no_grad():
        assert "grad_fn" not in repr(x * x)
    assert "3." in repr(Tensor(3.0, device=device))


# ------------------------------------------------------------------------------- factories


def test_factories(device):
    cases = [
        (tg.zeros(2, 3, device=device), np.zeros((2, 3))),
        (tg.zeros((2, 3), device=device), np.zeros((2, 3))),
        (tg.ones(4, device=device), np.ones(4)),
        (tg.ones((1, 2), device=device), np.ones((1, 2))),
        (tg.full((2, 2), 3.5, device=device), np.full((2, 2), 3.5)),
        (tg.full(3, -1.0, device=device), np.full(3, -1.0)),
        (tg.arange(0.0, 1.0, 0.25, device=device), np.arange(0.0, 1.0, 0.25)),
        (tg.linspace(-1, 1, 5, device=device), np.linspace(-1, 1, 5)),
        (tg.eye(3, device=device), np.eye(3)),
        (tg.eye(2, 4, device=device), np.eye(2, 4)),
    ]
    for t, expected in cases:
        assert t.device == device
        assert t.dtype == np.float64
        assert_close(t, expected)
    assert tg.arange(5, device=device).dtype == np.int64
    assert_close(tg.arange(5, device=device), np.arange(5))
    assert_close(tg.arange(2, 8, 3, device=device), [2, 5])
    x = Tensor(np.ones((2, 3), np.float32), device=device)
    for t, v in ((tg.zeros_like(x), 0.0), (tg.ones_like(x), 1.0)):
        assert t.shape == (2, 3) and t.dtype == np.float32 and t.device == device
        assert (t.detach().numpy() == v).all()
    assert tg.zeros_like(x, dtype="float64").dtype == np.float64
    w = tg.randn(3, 2, requires_grad=True, device=device)
    assert w.requires_grad and w.is_leaf and w.shape == (3, 2)
    assert tg.ones(2, dtype="float32", device=device).dtype == np.float32
    assert_close(tg.tensor([1.0, 2.0], device=device), [1.0, 2.0])


def test_factory_errors():
    with pytest.raises(ValueError, match="step must not be zero"):
        tg.arange(0, 3, 0)
    with pytest.raises(ValueError, match="linspace: num must be >= 0"):
        tg.linspace(0, 1, -1)


def test_random_numbers(device):
    r = tg.rand(10_000, device=device).detach().numpy()
    assert r.min() >= 0.0 and r.max() < 1.0
    assert abs(r.mean() - 0.5) < 0.02
    n = tg.randn(100, 100, device=device).detach().numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1.0) < 0.05
    i = tg.randint(0, 5, (1000,), device=device)
    assert i.dtype.kind == "i" and set(np.unique(i.detach().numpy())) == {0, 1, 2, 3, 4}


def test_manual_seed_reproducibility(device):
    tg.manual_seed(123)
    a = [
        tg.randn(3, 2, device=device).detach().numpy(),
        tg.rand(4, device=device).detach().numpy(),
        tg.randint(0, 100, 5, device=device).detach().numpy(),
    ]
    tg.manual_seed(123)
    b = [
        tg.randn(3, 2, device=device).detach().numpy(),
        tg.rand(4, device=device).detach().numpy(),
        tg.randint(0, 100, 5, device=device).detach().numpy(),
    ]
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    tg.manual_seed(124)
    assert not np.array_equal(tg.randn(3, 2, device=device).detach().numpy(), a[0])
    tg.manual_seed(123)
    tg.randn(3, 2, device=device)
    np.testing.assert_array_equal(tg.rand(4, device=device).detach().numpy(), a[1])  # the stream continues


# ------------------------------------------------------------------------------- devices


@pytest.mark.skipif(backend.cuda_available(), reason="this machine has a GPU: the no-GPU message cannot show")
def test_asking_for_cuda_without_cupy_or_gpu_says_so():
    x = Tensor([1.0, 2.0])
    expected = r"device 'cuda' requested but (CuPy is not installed.*pip install|CuPy is installed but no CUDA GPU)"
    for make in (
        lambda: x.to("cuda"),
        x.cuda,
        lambda: Tensor([1.0], device="cuda"),
        lambda: tg.zeros(2, device="cuda"),
        lambda: tg.randn(2, device="cuda:0"),
    ):
        with pytest.raises(RuntimeError, match=expected):
            make()
    assert not tg.cuda_available()


def test_unknown_device_and_cpu_no_op():
    with pytest.raises(ValueError, match="unknown device 'tpu'.*'cpu' or 'cuda'"):
        Tensor([1.0], device="tpu")
    x = Tensor([1.0])
    assert x.to("cpu") is x and x.cpu() is x and x.device == "cpu"


@pytest.mark.skipif(not backend.cuda_available(), reason="needs CuPy and a CUDA GPU")
def test_moving_between_devices_and_mixing_them():
    x = Tensor([1.0, 2.0], requires_grad=True)
    g = x.to("cuda")
    assert g.device == "cuda" and g.requires_grad
    (g * g).sum().backward()
    assert x.grad.device == "cpu"
    assert_close(x.grad, [2.0, 4.0])
    with pytest.raises(RuntimeError, match=r"different devices \((cpu and cuda|cuda and cpu)\)"):
        x + g


# ------------------------------------------------------------------------------- errors


def test_shape_mismatch_names_op_and_both_shapes(device):
    a = Tensor(np.ones((2, 3)), device=device)
    b = Tensor(np.ones(4), device=device)
    for op, name in (
        (lambda: a + b, "Add"),
        (lambda: a * b, "Mul"),
        (lambda: a - b, "Sub"),
        (lambda: a / b, "Div"),
        (lambda: a.maximum(b), "Maximum"),
    ):
        with pytest.raises(ValueError, match=rf"(?s){name}.*\(2, 3\).*\(4,\)"):
            op()
    with pytest.raises(ValueError, match=r"(?s)matmul.*\(2, 3\).*\(4,\)"):
        a @ b


def test_backward_on_a_non_scalar_says_what_to_pass(device):
    x = Tensor([1.0, 2.0], requires_grad=True, device=device)
    y = x * 2.0
    with pytest.raises(RuntimeError, match=r"(?s)shape \(2,\), not a scalar.*sum\(\)\.backward\(\).*gradient="):
        y.backward()


def test_grad_of_a_tensor_that_does_not_require_grad_says_so(device):
    c = Tensor([1.0, 2.0], device=device)
    with pytest.raises(RuntimeError, match=r"does not require grad.*requires_grad=True"):
        (c * 2.0).sum().backward()
    x = Tensor([1.0], requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match=r"inputs\[0\].*does not require grad"):
        autograd.grad((x * 2.0).sum(), c)
    i = Tensor([1, 2], device=device)
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad((x * 2.0).sum(), i)
    with tg.no_grad():
        y = x * 2.0
    with pytest.raises(RuntimeError, match=r"does not require grad.*no_grad"):
        y.sum().backward()
