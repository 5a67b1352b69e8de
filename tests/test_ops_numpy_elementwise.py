"""Issue 15's elementwise ops (``expm1`` ... ``logaddexp2``, ``%``, ``abs(t)``): through
``tinygrad_edu.numpy`` and as Tensor methods, forward against NumPy, backward against central
differences in float64 and both against PyTorch, over hypothesis-drawn shapes (broadcasting, empty
and 0-d included); second derivatives with ``gradgradcheck``; the conventions at the points where
a derivative does not exist, against PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
import tinygrad_edu.numpy as tnp
from helpers import SETTINGS, assert_close, check_fd, check_torch, draw, tensors, torch_or_skip
from tinygrad_edu import Tensor

seeds = st.integers(0, 2**32 - 1)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
pair_shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=3)
FEW = settings(SETTINGS, max_examples=max(SETTINGS.max_examples // 2, 5))


def _values(domain: str, shape, rng: np.random.Generator) -> np.ndarray:
    if domain == "gt1":  # arccosh
        return rng.uniform(1.2, 3.0, shape)
    if domain == "divisor":  # away from 0; x / y stays away from the jumps of mod for grid x
        return rng.choice([0.7, -0.7, 1.3, -1.3, 2.9], shape)
    return draw(domain, shape, rng)


def _torch(name: str):
    def call(*ts):
        return getattr(torch_or_skip(), name)(*ts)

    return call


# name: (NumPy function, PyTorch function, Tensor method, input domain)
UNARY = {
    "expm1": (np.expm1, _torch("expm1"), Tensor.expm1, "real"),
    "exp2": (np.exp2, _torch("exp2"), Tensor.exp2, "real"),
    "log2": (np.log2, _torch("log2"), Tensor.log2, "pos"),
    "log10": (np.log10, _torch("log10"), Tensor.log10, "pos"),
    "arcsin": (np.arcsin, _torch("asin"), Tensor.asin, "unit"),
    "arccos": (np.arccos, _torch("acos"), Tensor.acos, "unit"),
    "arctan": (np.arctan, _torch("atan"), Tensor.atan, "real"),
    "sinh": (np.sinh, _torch("sinh"), Tensor.sinh, "real"),
    "cosh": (np.cosh, _torch("cosh"), Tensor.cosh, "real"),
    "arcsinh": (np.arcsinh, _torch("asinh"), Tensor.asinh, "real"),
    "arccosh": (np.arccosh, _torch("acosh"), Tensor.acosh, "gt1"),
    "arctanh": (np.arctanh, _torch("atanh"), Tensor.atanh, "unit"),
    "deg2rad": (np.deg2rad, _torch("deg2rad"), Tensor.deg2rad, "real"),
    "rad2deg": (np.rad2deg, _torch("rad2deg"), Tensor.rad2deg, "real"),
    "radians": (np.radians, _torch("deg2rad"), Tensor.deg2rad, "real"),
    "degrees": (np.degrees, _torch("rad2deg"), Tensor.rad2deg, "real"),
    "sinc": (np.sinc, _torch("sinc"), Tensor.sinc, "real"),
    "fabs": (np.fabs, _torch("abs"), abs, "grid"),
    "nan_to_num": (np.nan_to_num, _torch("nan_to_num"), Tensor.nan_to_num, "real"),
    "square": (np.square, _torch("square"), Tensor.square, "real"),
    "reciprocal": (np.reciprocal, _torch("reciprocal"), Tensor.reciprocal, "pos"),
}

# name: (NumPy function, PyTorch function, Tensor method, domain of x, domain of y)
BINARY = {
    "arctan2": (np.arctan2, _torch("atan2"), Tensor.atan2, "real", "real"),
    "hypot": (np.hypot, _torch("hypot"), Tensor.hypot, "real", "real"),
    "fmax": (np.fmax, _torch("fmax"), Tensor.fmax, "grid", "grid0"),
    "fmin": (np.fmin, _torch("fmin"), Tensor.fmin, "grid", "grid0"),
    "mod": (np.mod, _torch("remainder"), lambda x, y: x % y, "grid", "divisor"),
    "remainder": (np.remainder, _torch("remainder"), Tensor.remainder, "grid", "divisor"),
    "fmod": (np.fmod, _torch("fmod"), Tensor.fmod, "grid", "divisor"),
    "logaddexp": (np.logaddexp, _torch("logaddexp"), Tensor.logaddexp, "real", "real"),
    "logaddexp2": (np.logaddexp2, _torch("logaddexp2"), Tensor.logaddexp2, "real", "real"),
}


@pytest.mark.parametrize("name", list(UNARY))
@FEW
@given(shape=shapes, seed=seeds)
def test_unary(name, shape, seed, device):
    np_fn, torch_fn, method, domain = UNARY[name]
    rng = np.random.default_rng(seed)
    a = _values(domain, shape, rng)
    ours = getattr(tnp, name)
    assert_close(ours(a), np_fn(a), what="NumPy arrays pass through")  # same function on plain arrays
    (x,) = tensors([a], device, requires_grad=False)
    out = ours(x)
    assert isinstance(out, Tensor) and out.dtype == np.float64
    assert_close(out, np_fn(a), rtol=1e-13, atol=1e-13, what="forward")
    assert_close(method(x), np_fn(a), rtol=1e-13, atol=1e-13, what="method")
    check_fd(ours, [a], device, rng)
    check_torch(ours, torch_fn, [a], device, rng)


@pytest.mark.parametrize("name", list(BINARY))
@FEW
@given(shapes=pair_shapes, seed=seeds)
def test_binary(name, shapes, seed, device):
    np_fn, torch_fn, method, dx, dy = BINARY[name]
    rng = np.random.default_rng(seed)
    a, b = _values(dx, shapes.input_shapes[0], rng), _values(dy, shapes.input_shapes[1], rng)
    ours = getattr(tnp, name)
    assert_close(ours(a, b), np_fn(a, b), what="NumPy arrays pass through")
    x, y = tensors([a, b], device, requires_grad=False)
    assert_close(ours(x, y), np_fn(a, b), rtol=1e-13, atol=1e-13, what="forward")
    assert_close(method(x, y), np_fn(a, b), rtol=1e-13, atol=1e-13, what="method")
    # one operand a plain number or array, on either side
    assert_close(ours(x, 0.7), np_fn(a, 0.7), rtol=1e-13, atol=1e-13, what="tensor, number")
    assert_close(ours(a, y), np_fn(a, b), rtol=1e-13, atol=1e-13, what="array, tensor")
    check_fd(ours, [a, b], device, rng)
    check_torch(ours, torch_fn, [a, b], device, rng)


SECOND_ORDER = {
    **{n: (lambda f: lambda x: getattr(tnp, f)(x))(n) for n in UNARY if n not in ("fabs", "nan_to_num")},
    "arccosh": lambda x: tnp.arccosh(x * x + 1.5),
    "log2": lambda x: tnp.log2(x * x + 0.5),
    "log10": lambda x: tnp.log10(x * x + 0.5),
    "reciprocal": lambda x: tnp.reciprocal(x * x + 0.5),
    "arcsin": lambda x: tnp.arcsin(x * 0.5),
    "arccos": lambda x: tnp.arccos(x * 0.5),
    "arctanh": lambda x: tnp.arctanh(x * 0.5),
    **{n: (lambda f: lambda x: getattr(tnp, f)(x, x[::-1] * 0.5 + 1.5))(n) for n in BINARY},
    "mod": lambda x: tnp.mod(x, x.detach() * 0.0 + 1.7) * x,
    "remainder": lambda x: tnp.remainder(x * 3.0, x[::-1] + 2.5),
    "fmod": lambda x: tnp.fmod(x * 3.0, x[::-1] + 2.5),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_gradgradcheck(name, device):
    rng = np.random.default_rng(6)
    x = Tensor(rng.uniform(-0.9, 0.9, (5,)), requires_grad=True, device=device)
    assert tg.gradgradcheck(SECOND_ORDER[name], [x], atol=1e-6, rtol=1e-5)


# ------------------------------------------------------------------------- conventions at the kinks


def _torch_grads(fn, *arrays):
    torch = torch_or_skip()
    ts = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    fn(*ts).sum().backward()
    return [t.grad.numpy() for t in ts]


def _our_grads(fn, *arrays, device="cpu"):
    xs = tensors(arrays, device)
    fn(*xs).sum().backward()
    return [x.grad.numpy() for x in xs]


def test_sinc_at_zero_follows_pytorch(device):
    a = np.array([0.0, 0.5, -1.0, 2.0])
    assert_close(tnp.sinc(Tensor(a, device=device)), np.sinc(a))
    (ours,) = _our_grads(tnp.sinc, a, device=device)
    assert ours[0] == 0.0
    np.testing.assert_allclose(ours, _torch_grads(lambda t: t.sinc(), a)[0], rtol=1e-12, atol=1e-15)
    # away from 0 the second derivative is exact, also when a 0 is in the same tensor
    x = Tensor(np.array([0.0, 0.3, -0.7]), requires_grad=True, device=device)
    (d,) = tg.autograd.grad(x.sinc().sum(), x, create_graph=True)
    (dd,) = tg.autograd.grad(d.sum(), x)
    b = np.array([0.3, -0.7])
    pi = np.pi
    expected = (-(pi**2) * b**2 * np.sin(pi * b) - 2 * pi * b * np.cos(pi * b) + 2 * np.sin(pi * b)) / (pi * b**3)
    np.testing.assert_allclose(dd.detach().numpy()[1:], expected, rtol=1e-10)


def test_nan_to_num_gradient_is_zero_where_replaced(device):
    a = np.array([np.nan, np.inf, -np.inf, 1.5, -2.0])
    x = Tensor(a, requires_grad=True, device=device)
    out = tnp.nan_to_num(x, nan=0.5, posinf=9.0, neginf=-9.0)
    assert_close(out, np.nan_to_num(a, nan=0.5, posinf=9.0, neginf=-9.0))
    assert_close(x.nan_to_num(), np.nan_to_num(a))
    out.sum().backward()
    torch = torch_or_skip()
    t = torch.tensor(a, requires_grad=True)
    torch.nan_to_num(t, nan=0.5, posinf=9.0, neginf=-9.0).sum().backward()
    assert_close(x.grad, t.grad.numpy())
    assert_close(x.grad, [0.0, 0.0, 0.0, 1.0, 1.0])


def test_fmax_fmin_ties_and_nan_follow_pytorch(device):
    a = np.array([1.0, 2.0, np.nan, 3.0, np.nan])
    b = np.array([1.0, 1.0, 4.0, np.nan, np.nan])
    for name, tname in (("fmax", "fmax"), ("fmin", "fmin")):
        x, y = tensors([a, b], device)
        out = getattr(tnp, name)(x, y)
        assert_close(out, getattr(np, name)(a, b))
        out.sum().backward()
        tx, ty = _torch_grads(lambda p, q, f=tname: getattr(torch_or_skip(), f)(p, q), a, b)
        assert_close(x.grad, tx, what=name)
        assert_close(y.grad, ty, what=name)
    assert _our_grads(tnp.fmax, a[:1], b[:1], device=device) == [[1.0], [0.0]]  # a tie goes to x


def test_undefined_derivatives_follow_pytorch(device):
    """Poles give inf and 0/0 gives NaN, as PyTorch's formulas do."""
    cases = {
        "arcsin": (lambda t: t.asin(), [1.0, -1.0]),
        "arccos": (lambda t: t.acos(), [1.0, -1.0]),
        "arctanh": (lambda t: t.atanh(), [1.0, -1.0]),
        "arccosh": (lambda t: t.acosh(), [1.0]),
        "log2": (lambda t: t.log2(), [0.0]),
        "log10": (lambda t: t.log10(), [0.0]),
    }
    for name, (fn, vals) in cases.items():
        a = np.array(vals)
        with np.errstate(divide="ignore", invalid="ignore"):
            (ours,) = _our_grads(getattr(tnp, name), a, device=device)
        np.testing.assert_array_equal(ours, _torch_grads(fn, a)[0], err_msg=name)
    for name, tname, expected in (("hypot", "hypot", np.nan), ("arctan2", "atan2", 0.0)):
        with np.errstate(divide="ignore", invalid="ignore"):
            ours = _our_grads(getattr(tnp, name), np.zeros(1), np.zeros(1), device=device)
        theirs = _torch_grads(lambda p, q, f=tname: getattr(torch_or_skip(), f)(p, q), np.zeros(1), np.zeros(1))
        for o, t in zip(ours, theirs):
            np.testing.assert_array_equal(o, t, err_msg=name)
            np.testing.assert_array_equal(o, [expected], err_msg=name)

    # beside a point at the origin, the other elements keep their exact first and second derivatives
    def d_and_dd(ys, xs):
        y, x = tensors([ys, xs], device)
        dy, dx = tg.autograd.grad(tnp.arctan2(y, x).sum(), [y, x], create_graph=True)
        return [d.detach().numpy() for d in (dy, dx, *tg.autograd.grad((dy * dx).sum(), [y, x]))]

    with_origin, alone = d_and_dd([0.0, 0.3], [0.0, 0.5]), d_and_dd([0.3], [0.5])
    for a, b in zip(with_origin, alone):
        assert a[0] == 0.0
        np.testing.assert_allclose(a[1:], b, rtol=1e-14)


def test_mod_operator_and_python_abs(device):
    rng = np.random.default_rng(3)
    a, b = draw("grid", (3, 4), rng), _values("divisor", (4,), rng)
    x, y = tensors([a, b], device)
    assert_close(x % y, np.mod(a, b))
    assert_close(x % 0.7, np.mod(a, 0.7))
    assert_close(2.5 % y, np.mod(2.5, b))
    assert_close(abs(x), np.abs(a))
    check_torch(lambda p, q: p % q, lambda p, q: p % q, [a, b], device, rng)
    check_torch(lambda p: abs(p), lambda p: abs(p), [a], device, rng)
    check_fd(lambda q: 2.5 % q, [b], device, rng)


def test_sinh_cosh_are_accurate_near_zero(device):
    x = Tensor(np.array([1e-12, -3e-9]), device=device)
    assert_close(tnp.sinh(x), np.sinh(x.detach().numpy()), rtol=1e-15, atol=0)
    assert_close(tnp.expm1(x), np.expm1(x.detach().numpy()), rtol=1e-15, atol=0)


def test_extra_arguments_are_refused_for_tensors():
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match="expm1: extra arguments"):
        tnp.expm1(x, out=np.empty(3))
    with pytest.raises(TypeError, match="hypot: extra arguments"):
        tnp.hypot(x, x, out=np.empty(3))
