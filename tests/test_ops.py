"""The elementwise, arithmetic and matrix ops, ``where``, comparisons and ``one_hot``: forward
against NumPy, backward against central differences in float64, and both against PyTorch where
it has a twin. Reductions are in ``test_ops_reduce.py``, shape ops and indexing in
``test_ops_shape.py``; second derivatives of every kind of op are at the end of this file.

Shapes come from hypothesis, broadcasting and size-1 axes included; values are drawn away from
kinks so that finite differences are valid (see ``helpers.draw``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special

import tinygrad_edu as tg
from helpers import SETTINGS, assert_close, check_fd, check_forward, check_torch, draw, tensors, torch_or_skip
from tinygrad_edu import Tensor

seeds = st.integers(0, 2**32 - 1)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
pair_shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4)


def _tf(name):
    """A PyTorch function by dotted name, looked up only when torch is there."""

    def call(*xs, **kw):
        obj = torch_or_skip()
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj(*xs, **kw)

    return call


def _np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


# name: (tinygrad_edu fn, NumPy fn, PyTorch fn, input domain)
UNARY = {
    "neg": (lambda x: -x, np.negative, lambda t: -t, "real"),
    "neg-method": (lambda x: x.neg(), np.negative, lambda t: t.neg(), "real"),
    "exp": (lambda x: x.exp(), np.exp, lambda t: t.exp(), "real"),
    "log": (lambda x: x.log(), np.log, lambda t: t.log(), "pos"),
    "log1p": (lambda x: x.log1p(), np.log1p, lambda t: t.log1p(), "gt-1"),
    "sqrt": (lambda x: x.sqrt(), np.sqrt, lambda t: t.sqrt(), "pos"),
    "abs": (lambda x: x.abs(), np.abs, lambda t: t.abs(), "grid"),
    "sin": (lambda x: x.sin(), np.sin, lambda t: t.sin(), "real"),
    "cos": (lambda x: x.cos(), np.cos, lambda t: t.cos(), "real"),
    "tanh": (lambda x: x.tanh(), np.tanh, lambda t: t.tanh(), "real"),
    "sigmoid": (lambda x: x.sigmoid(), _np_sigmoid, lambda t: t.sigmoid(), "real"),
    "relu": (lambda x: x.relu(), lambda a: np.maximum(a, 0), lambda t: t.relu(), "grid"),
    "leaky_relu": (
        lambda x: x.leaky_relu(0.1),
        lambda a: np.where(a > 0, a, 0.1 * a),
        lambda t: _tf("nn.functional.leaky_relu")(t, 0.1),
        "grid",
    ),
    "leaky_relu-default": (
        lambda x: x.leaky_relu(),
        lambda a: np.where(a > 0, a, 0.01 * a),
        lambda t: _tf("nn.functional.leaky_relu")(t),
        "grid",
    ),
    "elu": (
        lambda x: x.elu(0.7),
        lambda a: np.where(a > 0, a, 0.7 * np.expm1(a)),
        lambda t: _tf("nn.functional.elu")(t, 0.7),
        "grid",
    ),
    "softplus": (lambda x: x.softplus(), lambda a: np.log1p(np.exp(a)), _tf("nn.functional.softplus"), "real"),
    "softplus-beta": (
        lambda x: x.softplus(beta=2.0),
        lambda a: np.log1p(np.exp(2 * a)) / 2,
        lambda t: _tf("nn.functional.softplus")(t, 2.0),
        "real",
    ),
    "gelu": (
        lambda x: x.gelu(),
        lambda a: 0.5 * a * (1 + special.erf(a / math.sqrt(2))),
        _tf("nn.functional.gelu"),
        "real",
    ),
    "gelu-tanh": (
        lambda x: x.gelu(approximate="tanh"),
        _np_gelu_tanh,
        lambda t: _tf("nn.functional.gelu")(t, approximate="tanh"),
        "real",
    ),
    "erf": (lambda x: x.erf(), special.erf, lambda t: t.erf(), "real"),
    "square": (lambda x: x.square(), np.square, lambda t: t.square(), "real"),
    "reciprocal": (lambda x: x.reciprocal(), np.reciprocal, lambda t: t.reciprocal(), "grid"),
    "pow2": (lambda x: x**2, lambda a: a**2, lambda t: t**2, "real"),
    "pow3": (lambda x: x**3, lambda a: a**3, lambda t: t**3, "real"),
    "pow2.5": (lambda x: x**2.5, lambda a: a**2.5, lambda t: t**2.5, "pos"),
    "pow-1.5": (lambda x: x**-1.5, lambda a: a**-1.5, lambda t: t**-1.5, "pos"),
    "pow0": (lambda x: x**0, lambda a: a**0, lambda t: t**0, "real"),
    "pow1": (lambda x: x**1, lambda a: a**1, lambda t: t**1, "real"),
    "pow-method": (lambda x: x.pow(3), lambda a: a**3, lambda t: t.pow(3), "real"),
    # Python scalars on either side (the reflected forms)
    "add-scalar": (lambda x: x + 2.5, lambda a: a + 2.5, lambda t: t + 2.5, "real"),
    "radd-scalar": (lambda x: 2.5 + x, lambda a: 2.5 + a, lambda t: 2.5 + t, "real"),
    "radd-int": (lambda x: 2 + x, lambda a: 2 + a, lambda t: 2 + t, "real"),
    "sub-scalar": (lambda x: x - 1.5, lambda a: a - 1.5, lambda t: t - 1.5, "real"),
    "rsub-scalar": (lambda x: 1.5 - x, lambda a: 1.5 - a, lambda t: 1.5 - t, "real"),
    "rsub-int": (lambda x: 3 - x, lambda a: 3 - a, lambda t: 3 - t, "real"),
    "mul-scalar": (lambda x: x * 3.0, lambda a: a * 3.0, lambda t: t * 3.0, "real"),
    "rmul-scalar": (lambda x: -0.5 * x, lambda a: -0.5 * a, lambda t: -0.5 * t, "real"),
    "div-scalar": (lambda x: x / 4.0, lambda a: a / 4.0, lambda t: t / 4.0, "real"),
    "rdiv-scalar": (lambda x: 4.0 / x, lambda a: 4.0 / a, lambda t: 4.0 / t, "grid"),
    "rpow-scalar": (lambda x: 2.0**x, lambda a: 2.0**a, lambda t: 2.0**t, "real"),
    "rmul-ndarray": (lambda x: np.float64(1.5) * x, lambda a: 1.5 * a, lambda t: 1.5 * t, "real"),
    # clip against bounds that are multiples of 1/4 ("grid" values are never on them)
    "clip": (lambda x: x.clip(-0.5, 0.75), lambda a: np.clip(a, -0.5, 0.75), lambda t: t.clamp(-0.5, 0.75), "grid"),
    "clip-min": (lambda x: x.clip(min=0.25), lambda a: np.maximum(a, 0.25), lambda t: t.clamp(min=0.25), "grid"),
    "clip-max": (lambda x: x.clamp(max=-0.25), lambda a: np.minimum(a, -0.25), lambda t: t.clamp(max=-0.25), "grid"),
    "maximum-scalar": (lambda x: x.maximum(0.5), lambda a: np.maximum(a, 0.5), lambda t: t.clamp(min=0.5), "grid"),
    "minimum-scalar": (
        lambda x: tg.minimum(x, -0.5),
        lambda a: np.minimum(a, -0.5),
        lambda t: t.clamp(max=-0.5),
        "grid",
    ),
}


@pytest.mark.parametrize("name", list(UNARY))
@SETTINGS
@given(shape=shapes, seed=seeds)
def test_unary_against_numpy_and_finite_differences(name, shape, seed, device):
    fn, np_fn, _, domain = UNARY[name]
    rng = np.random.default_rng(seed)
    x = draw(domain, shape, rng)
    check_forward(fn, np_fn, [x], device)
    check_fd(fn, [x], device, rng)


@pytest.mark.parametrize("name", list(UNARY))
@SETTINGS
@given(shape=shapes, seed=seeds)
def test_unary_against_torch(name, shape, seed, device):
    fn, _, torch_fn, domain = UNARY[name]
    rng = np.random.default_rng(seed)
    check_torch(fn, torch_fn, [draw(domain, shape, rng)], device, rng)


# name: (tinygrad_edu fn, NumPy fn, PyTorch fn, domains of x and y)
BINARY = {
    "add": (lambda x, y: x + y, np.add, lambda a, b: a + b, ("real", "real")),
    "sub": (lambda x, y: x - y, np.subtract, lambda a, b: a - b, ("real", "real")),
    "mul": (lambda x, y: x * y, np.multiply, lambda a, b: a * b, ("real", "real")),
    "div": (lambda x, y: x / y, np.divide, lambda a, b: a / b, ("real", "grid")),
    "pow": (lambda x, y: x**y, np.power, lambda a, b: a**b, ("pos", "real")),
    "add-method": (lambda x, y: x.add(y), np.add, lambda a, b: a.add(b), ("real", "real")),
    "sub-method": (lambda x, y: x.sub(y), np.subtract, lambda a, b: a.sub(b), ("real", "real")),
    "mul-method": (lambda x, y: x.mul(y), np.multiply, lambda a, b: a.mul(b), ("real", "real")),
    "div-method": (lambda x, y: x.div(y), np.divide, lambda a, b: a.div(b), ("real", "grid")),
    "maximum": (tg.maximum, np.maximum, _tf("maximum"), ("grid", "grid0")),
    "minimum": (tg.minimum, np.minimum, _tf("minimum"), ("grid", "grid0")),
    "maximum-method": (lambda x, y: x.maximum(y), np.maximum, _tf("maximum"), ("grid0", "grid")),
    "minimum-method": (lambda x, y: x.minimum(y), np.minimum, _tf("minimum"), ("grid0", "grid")),
    "same-input-twice": (
        lambda x, y: x * x + y * x,
        lambda a, b: a * a + b * a,
        lambda a, b: a * a + b * a,
        ("real", "real"),
    ),
}


@pytest.mark.parametrize("name", list(BINARY))
@SETTINGS
@given(shapes=pair_shapes, seed=seeds)
def test_binary_against_numpy_and_finite_differences(name, shapes, seed, device):
    fn, np_fn, _, domains = BINARY[name]
    rng = np.random.default_rng(seed)
    arrays = [draw(d, s, rng) for d, s in zip(domains, shapes.input_shapes)]
    out = check_forward(fn, np_fn, arrays, device)
    assert out.shape == shapes.result_shape
    check_fd(fn, arrays, device, rng)


@pytest.mark.parametrize("name", list(BINARY))
@SETTINGS
@given(shapes=pair_shapes, seed=seeds)
def test_binary_against_torch(name, shapes, seed, device):
    fn, _, torch_fn, domains = BINARY[name]
    rng = np.random.default_rng(seed)
    arrays = [draw(d, s, rng) for d, s in zip(domains, shapes.input_shapes)]
    check_torch(fn, torch_fn, arrays, device, rng)


def test_pow_with_a_zero_base_matches_torch(device):
    # d(x^y)/dy = x^y log x is 0 at x = 0 (not 0 * -inf = nan), as in PyTorch
    xs, ys = np.array([0.0, 1.0, 2.0, 0.0]), np.array([2.0, 3.0, 0.5, 1.0])
    x, y = tensors([xs, ys], device)
    (x**y).sum().backward()
    assert_close(x.grad, ys * xs ** (ys - 1))
    assert_close(y.grad, [0.0, 0.0, 2.0**0.5 * math.log(2.0), 0.0])
    w = Tensor([2.0, 0.5], requires_grad=True, device=device)
    (0.0**w).sum().backward()
    assert_close(w.grad, [0.0, 0.0])
    check_torch(lambda a, b: a**b, lambda a, b: a**b, [xs, ys], device, np.random.default_rng(0))


def test_maximum_minimum_split_ties_evenly(device):
    x, y = tensors([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], device)
    tg.maximum(x, y).sum().backward()
    assert_close(x.grad, [0.0, 0.5, 1.0])
    assert_close(y.grad, [1.0, 0.5, 0.0])
    x.grad = y.grad = None
    tg.minimum(x, y).sum().backward()
    assert_close(x.grad, [1.0, 0.5, 0.0])
    assert_close(y.grad, [0.0, 0.5, 1.0])


def test_float32_stays_float32_with_python_scalars(device):
    x = Tensor(np.array([0.5, 1.0, 2.0], np.float32), requires_grad=True, device=device)
    outs = [
        x + 1.5,
        1.5 + x,
        x - 2,
        2 - x,
        x * 2.0,
        2.0 * x,
        x / 3.0,
        3.0 / x,
        x**2,
        x**2.5,
        2.0**x,
        -x,
        x.maximum(0.5),
        x.clip(0.0, 1.0),
        x.exp(),
        x.sigmoid(),
        x.gelu(),
        x.softmax(),
        x.logsumexp(),
        x.mean(),
        x.var(),
        x.std(),
    ]
    for i, o in enumerate(outs):
        assert o.dtype == np.float32, f"output {i} is {o.dtype}"
    sum(o.sum() for o in outs).backward()
    assert x.grad.dtype == np.float32


def test_ndarray_on_the_left_gives_a_tensor(device):
    x = Tensor([1.0, 2.0], requires_grad=True, device=device)
    a = np.array([3.0, 4.0]) if device == "cpu" else x.xp.asarray([3.0, 4.0])
    for out in (a * x, a + x, a - x, a / x):
        assert isinstance(out, Tensor) and out.requires_grad
    (a * x).sum().backward()
    assert_close(x.grad, [3.0, 4.0])


def test_sigmoid_is_accurate_in_the_tails(device):
    xs = np.array([-700.0, -100.0, -40.0, -20.0, -5.0, 0.0, 5.0, 20.0, 40.0, 100.0, 745.0])
    with np.errstate(over="ignore", invalid="ignore"):  # the branch not taken
        exact = np.where(xs < 0, np.exp(xs) / (1.0 + np.exp(xs)), 1.0 / (1.0 + np.exp(-xs)))
    x = Tensor(xs, requires_grad=True, device=device)
    y = x.sigmoid()
    assert_close(y, exact, rtol=1e-14, atol=0)
    # log(sigmoid(x)) stays finite far into the tail (logistic regression's loss)
    assert_close(Tensor([-40.0], device=device).sigmoid().log(), [-40.0 - math.log1p(math.exp(-40.0))], rtol=1e-14)
    y.sum().backward()
    assert_close(x.grad, exact * (1 - exact), rtol=1e-12, atol=0)
    torch = torch_or_skip()
    assert_close(y, torch.sigmoid(torch.tensor(xs)).detach().numpy(), rtol=1e-14, atol=0)


# ------------------------------------------------------------------------------- matmul

MATMUL_SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((1, 3), (3, 1)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((2, 1, 2, 3), (4, 3, 2)),
    ((5, 2, 3), (3,)),
    ((3,), (5, 3, 2)),
    ((1, 2, 3), (6, 3, 1)),
]


@pytest.mark.parametrize(("sa", "sb"), MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_matmul(sa, sb, device):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(sa), rng.standard_normal(sb)]
    for fn in (lambda a, b: a @ b, lambda a, b: a.matmul(b)):
        check_forward(fn, np.matmul, arrays, device)
    check_fd(lambda a, b: a @ b, arrays, device, rng)


def test_dot_is_torch_dot_of_two_vectors(device):
    """Tensor.dot as torch.dot: the inner product of two 1-D tensors, differentiable; matrices and
    vectors of different lengths are refused with a message that names the shapes."""
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(4), rng.standard_normal(4)
    check_forward(lambda x, y: x.dot(y), np.dot, [a, b], device)
    check_fd(lambda x, y: x.dot(y), [a, b], device, rng)
    x = Tensor(np.ones((2, 3)), device=device)
    with pytest.raises(RuntimeError, match=r"dot: 1-D tensors expected, got shapes \(2, 3\) and \(3, 4\)"):
        x.dot(Tensor(np.ones((3, 4)), device=device))
    with pytest.raises(RuntimeError, match="lengths 3 and 2"):
        Tensor(np.ones(3), device=device).dot(Tensor(np.ones(2), device=device))


@pytest.mark.parametrize(("sa", "sb"), MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_matmul_against_torch(sa, sb, device):
    rng = np.random.default_rng(2)
    check_torch(lambda a, b: a @ b, lambda a, b: a @ b, [rng.standard_normal(sa), rng.standard_normal(sb)], device, rng)


@SETTINGS
@given(batch=pair_shapes, n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3), seed=seeds)
def test_matmul_batched_broadcasting(batch, n, k, m, seed, device):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(batch.input_shapes[0] + (n, k)), rng.standard_normal(batch.input_shapes[1] + (k, m))]
    out = check_forward(lambda a, b: a @ b, np.matmul, arrays, device)
    assert out.shape == batch.result_shape + (n, m)
    check_fd(lambda a, b: a @ b, arrays, device, rng)


def test_rmatmul_with_ndarray(device):
    w = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True, device=device)
    a = np.ones((1, 3)) if device == "cpu" else w.xp.ones((1, 3))
    out = a @ w
    assert isinstance(out, Tensor)
    assert_close(out, [[6.0, 9.0]])


def test_matmul_errors_name_op_and_both_shapes(device):
    a = Tensor(np.ones((2, 3)), device=device)
    with pytest.raises(ValueError, match=r"(?s)matmul.*\(2, 3\).*\(4,\)"):
        a @ Tensor(np.ones(4), device=device)
    with pytest.raises(ValueError, match=r"(?s)matmul.*\(2, 3\).*\(2, 3\)"):
        a @ a
    with pytest.raises(ValueError, match="matmul"):
        a @ Tensor(2.0, device=device)


# ------------------------------------------------------------------------------- where


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3), seed=seeds)
def test_where(shapes, seed, device):
    rng = np.random.default_rng(seed)
    sc, sx, sy = shapes.input_shapes
    cond = rng.random(sc) < 0.5
    c = Tensor(cond, device=device)
    arrays = [rng.standard_normal(sx), rng.standard_normal(sy)]
    out = check_forward(lambda x, y: tg.where(c, x, y), lambda x, y: np.where(cond, x, y), arrays, device)
    assert out.shape == shapes.result_shape
    check_fd(lambda x, y: tg.where(c, x, y), arrays, device, rng)
    check_fd(lambda x, y: x.where(c, y), arrays, device, rng)
    torch = torch_or_skip()
    tc = torch.tensor(cond)
    check_torch(lambda x, y: tg.where(c, x, y), lambda x, y: torch.where(tc, x, y), arrays, device, rng)


def test_where_with_scalars_and_errors(device):
    x = Tensor([-1.0, 2.0, -3.0], requires_grad=True, device=device)
    out = tg.where(x > 0, x, 0.0)
    assert_close(out, [0.0, 2.0, 0.0])
    out.sum().backward()
    assert_close(x.grad, [0.0, 1.0, 0.0])
    assert_close(tg.where(x > 0, 1.0, x), [-1.0, 1.0, -3.0])
    with pytest.raises(TypeError, match="where.*bool"):
        tg.where(Tensor([1.0, 0.0, 1.0], device=device), x, x)
    with pytest.raises(ValueError, match=r"where.*\(2,\).*\(3,\)"):
        tg.where(Tensor([True, False], device=device), x, x)


# ------------------------------------------------------------------------------- comparisons, one_hot

COMPARISONS = {
    "==": (lambda a, b: a == b, np.equal),
    "!=": (lambda a, b: a != b, np.not_equal),
    "<": (lambda a, b: a < b, np.less),
    "<=": (lambda a, b: a <= b, np.less_equal),
    ">": (lambda a, b: a > b, np.greater),
    ">=": (lambda a, b: a >= b, np.greater_equal),
}


@pytest.mark.parametrize("op", list(COMPARISONS))
@SETTINGS
@given(shapes=pair_shapes, seed=seeds)
def test_comparisons_are_bool_and_not_differentiable(op, shapes, seed, device):
    fn, np_fn = COMPARISONS[op]
    rng = np.random.default_rng(seed)
    a = rng.integers(-2, 3, shapes.input_shapes[0]).astype(np.float64)  # small integers: ties happen
    b = rng.integers(-2, 3, shapes.input_shapes[1]).astype(np.float64)
    x, y = tensors([a, b], device)
    for out, expected in ((fn(x, y), np_fn(a, b)), (fn(x, 1.0), np_fn(a, 1.0)), (fn(x, y.detach()), np_fn(a, b))):
        assert out.dtype == np.bool_
        assert not out.requires_grad and out.grad_fn is None
        assert_close(out, expected)
        with pytest.raises(TypeError):
            out.requires_grad_()
    # a mask made from a comparison does not break the backward pass
    (x * (fn(x, y) & (x > -5))).sum().backward()
    mask = np.broadcast_to(np_fn(a, b), shapes.result_shape) * 1.0
    assert_close(x.grad, _sum_to(mask, a.shape))


def _sum_to(arr, shape):
    lead = arr.ndim - len(shape)
    arr = arr.sum(axis=tuple(range(lead))) if lead else arr
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and arr.shape[i] != 1)
    return arr.sum(axis=axes, keepdims=True) if axes else arr


def test_logical_ops(device):
    x = Tensor([-1.0, 0.0, 2.0], device=device)
    assert_close((x > 0) | (x < 0), [True, False, True])
    assert_close((x > -2) & (x < 1), [True, True, False])
    assert_close(~(x > 0), [True, True, False])


def test_one_hot(device):
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 4, (3, 5))
    t = Tensor(labels, device=device)
    out = tg.one_hot(t, 6)
    assert out.dtype == np.float64 and out.shape == (3, 5, 6)
    assert_close(out, np.eye(6)[labels])
    assert_close(t.one_hot(), np.eye(labels.max() + 1)[labels])
    assert_close(tg.one_hot(Tensor([2, 0], device=device)), [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    torch = torch_or_skip()
    assert_close(out, torch.nn.functional.one_hot(torch.tensor(labels), 6).double().detach().numpy())
    with pytest.raises(ValueError, match=r"one_hot: labels must lie in \[0, 3\)"):
        tg.one_hot(Tensor([0, 3], device=device), 3)
    with pytest.raises(TypeError, match="one_hot: labels must be integers"):
        tg.one_hot(Tensor([0.0, 1.0], device=device), 3)


def test_one_hot_follows_default_dtype(device):
    tg.set_default_dtype("float32")
    assert tg.one_hot(Tensor([0, 1], device=device), 2).dtype == np.float32


# ------------------------------------------------------------------------------- second order per op

SECOND_ORDER = {
    "exp": lambda x: x.exp(),
    "log": lambda x: (x * x + 1.0).log(),
    "sqrt": lambda x: (x * x + 1.0).sqrt(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "sin-cos": lambda x: x.sin() * x.cos(),
    "softplus": lambda x: x.softplus(),
    "elu": lambda x: (x - 5.0).elu(),
    "gelu": lambda x: x.gelu(),
    "div": lambda x: x / (x * x + 1.0),
    "pow": lambda x: (x * x + 1.0) ** x,
    "softmax": lambda x: x.softmax(-1),
    "log_softmax": lambda x: x.log_softmax(0),
    "logsumexp": lambda x: x.logsumexp(axis=1),
    "var": lambda x: x.var(axis=0),
    "matmul": lambda x: x @ x.T,
    "getitem": lambda x: x[[0, 0, 1]] ** 2,
    "pad-concat": lambda x: tg.concatenate([x.pad(1), x.pad(1) ** 2], axis=0),
    "max": lambda x: (x * x).max(axis=1) ** 2,
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_gradgradcheck_per_op(name, device):
    rng = np.random.default_rng(6)
    x = Tensor(rng.uniform(-1, 1, (2, 3)), requires_grad=True, device=device)
    assert tg.gradgradcheck(SECOND_ORDER[name], [x], atol=1e-6, rtol=1e-5)
