"""Functional transforms (tinygrad_edu.func) and the NumPy-like namespace (tinygrad_edu.numpy).

Closed forms first, then PyTorch's ``torch.func`` as the oracle where it has a twin, central
finite differences elsewhere, and a port of the course's HIPS-autograd ODE and PDE code.
"""

from __future__ import annotations

import math

import numpy
import pytest
from scipy.optimize import rosen, rosen_hess

import tinygrad_edu as tg
import tinygrad_edu.numpy as np
import tinygrad_edu.numpy.random as npr
from conftest import to_numpy
from helpers import torch_or_skip
from tinygrad_edu import Tensor
from tinygrad_edu.func import elementwise_grad, grad, hessian, hvp, jacobian, jvp, value_and_grad


def f_sin(x):
    """x**2 sin x, elementwise."""
    return np.sin(x) * x**2


def df_sin(x):
    return 2 * numpy.sin(x) * x + x**2 * numpy.cos(x)


def d2f_sin(x):
    return 2 * numpy.sin(x) + 4 * x * numpy.cos(x) - x**2 * numpy.sin(x)


def d3f_sin(x):
    return (6 - x**2) * numpy.cos(x) - 6 * x * numpy.sin(x)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


X = numpy.array([0.3, -1.1, 0.7, 1.9])


def central_diff(f, x, eps=1e-6):
    """d f / d x by central differences, of shape f(x).shape + x.shape (float64)."""
    x = numpy.asarray(x, dtype=float)
    y0 = numpy.asarray(f(x))
    out = numpy.zeros(y0.shape + x.shape)
    for i in numpy.ndindex(x.shape):
        e = numpy.zeros_like(x)
        e[i] = eps
        out[(...,) + i] = (numpy.asarray(f(x + e)) - numpy.asarray(f(x - e))) / (2 * eps)
    return out


# --------------------------------------------------------------------------- closed forms


def test_grad_of_a_scalar_function_float_in_float_out():
    g = grad(lambda x: np.sin(x) * x**2)(1.3)
    assert type(g) is float
    assert g == pytest.approx(df_sin(1.3), abs=1e-14)


def test_nested_grad_to_third_and_fourth_order():
    f3 = grad(grad(grad(lambda x: np.sin(x) * x**2)))
    for x in (-2.0, 0.4, 1.7):
        assert f3(x) == pytest.approx(d3f_sin(x), abs=1e-12)
    f4 = grad(grad(grad(grad(np.tanh))))
    t = math.tanh(0.6)
    s = 1 - t * t  # sech^2; tanh'''' = 16 t s^2 - 8 t^3 s
    assert f4(0.6) == pytest.approx(16 * t * s * s - 8 * t**3 * s, abs=1e-10)


def test_elementwise_grad_nested_matches_closed_forms():
    d1 = elementwise_grad(f_sin)
    d3 = elementwise_grad(elementwise_grad(d1))
    numpy.testing.assert_allclose(d1(X), df_sin(X), atol=1e-13)
    numpy.testing.assert_allclose(elementwise_grad(d1)(X), d2f_sin(X), atol=1e-12)
    numpy.testing.assert_allclose(d3(X), d3f_sin(X), atol=1e-12)


def test_value_and_grad():
    value, g = value_and_grad(lambda x: np.sum(f_sin(x)))(X)
    assert value == pytest.approx(float(numpy.sum(numpy.sin(X) * X**2)), abs=1e-14)
    numpy.testing.assert_allclose(g, df_sin(X), atol=1e-13)


def test_jacobian_of_elementwise_function_is_diagonal():
    J = jacobian(f_sin)(X)
    assert J.shape == (4, 4)
    numpy.testing.assert_allclose(J, numpy.diag(df_sin(X)), atol=1e-13)


def test_jacobian_of_a_linear_map_is_its_matrix():
    A = numpy.random.default_rng(1).normal(size=(3, 4))
    J = jacobian(lambda x: np.dot(A, x))(X)
    numpy.testing.assert_allclose(J, A, atol=1e-14)


def test_jacobian_shape_is_output_shape_plus_input_shape():
    w = numpy.array([1.5, -0.5])
    Xm = numpy.random.default_rng(2).normal(size=(3, 2))
    J = jacobian(lambda M: np.tanh(np.matmul(M, w)))(Xm)  # R^{3x2} -> R^3
    assert J.shape == (3, 3, 2)
    numpy.testing.assert_allclose(J, central_diff(lambda M: numpy.tanh(M @ w), Xm), atol=1e-8)


def test_hessian_of_sum_sin_x_x2_is_diagonal():
    H = hessian(lambda x: np.sum(f_sin(x)))(X)
    numpy.testing.assert_allclose(H, numpy.diag(d2f_sin(X)), atol=1e-12)


def test_hessian_of_rosenbrock_matches_closed_form():
    x = numpy.array([0.5, 1.2, -0.3, 0.8, 1.1])
    assert rosenbrock(x) == pytest.approx(rosen(x), rel=1e-14)
    H = hessian(rosenbrock)(x)
    numpy.testing.assert_allclose(H, rosen_hess(x), rtol=1e-12, atol=1e-10)
    numpy.testing.assert_allclose(H, H.T, atol=1e-12)


def test_hvp_equals_hessian_times_v():
    x = numpy.array([0.5, 1.2, -0.3, 0.8, 1.1])
    v = numpy.array([1.0, -2.0, 0.5, 0.0, 3.0])
    numpy.testing.assert_allclose(hvp(rosenbrock)(x, v), rosen_hess(x) @ v, rtol=1e-12, atol=1e-9)


def test_jvp_equals_jacobian_times_v():
    A = numpy.random.default_rng(3).normal(size=(3, 4))

    def f(x):
        return np.tanh(np.dot(A, x)) * np.sum(x**2)

    v = numpy.array([0.2, -1.0, 0.5, 2.0])
    y, jv = jvp(f)(X, v)
    numpy.testing.assert_allclose(y, numpy.tanh(A @ X) * numpy.sum(X**2), atol=1e-14)
    numpy.testing.assert_allclose(jv, jacobian(f)(X) @ v, atol=1e-12)
    numpy.testing.assert_allclose(jv, central_diff(lambda x: numpy.tanh(A @ x) * numpy.sum(x**2), X) @ v, atol=1e-7)


def test_function_independent_of_its_argument_has_zero_derivatives():
    assert grad(lambda x: 3.0)(2.0) == 0.0
    numpy.testing.assert_array_equal(jacobian(lambda x, y: y * 2.0, 0)(X, X), numpy.zeros((4, 4)))
    y, jv = jvp(lambda x: np.ones(3))(X, X)
    numpy.testing.assert_array_equal(jv, numpy.zeros(3))
    numpy.testing.assert_array_equal(hvp(lambda x: np.sum(3.0 * x))(X, X), numpy.zeros(4))


# --------------------------------------------------------------------------- types in and out


def test_numpy_in_numpy_out_and_dtype_kept():
    x32 = X.astype(numpy.float32)
    for out in (grad(lambda x: np.sum(f_sin(x)))(x32), elementwise_grad(f_sin)(x32), hessian(rosenbrock)(x32)):
        assert isinstance(out, numpy.ndarray) and out.dtype == numpy.float32
    v, g = value_and_grad(lambda x: np.sum(x))(X)
    assert isinstance(v, numpy.floating) and isinstance(g, numpy.ndarray)
    g += 1.0  # the gradient is the caller's to modify (not a read-only broadcast view)
    numpy.testing.assert_array_equal(g, numpy.full(4, 2.0))


def test_tensor_in_tensor_out(device):
    x = Tensor(X, device=device)
    g = grad(lambda x: (x.sin() * x**2).sum())(x)
    assert isinstance(g, Tensor) and g.device == device and not g.requires_grad
    numpy.testing.assert_allclose(to_numpy(g), df_sin(X), atol=1e-13)
    H = hessian(lambda x: (x.sin() * x**2).sum())(x)
    assert isinstance(H, Tensor) and H.shape == (4, 4)
    numpy.testing.assert_allclose(to_numpy(H), numpy.diag(d2f_sin(X)), atol=1e-12)
    y, jv = jvp(lambda x: x.sin() * x**2)(x, Tensor(numpy.ones(4), device=device))
    assert isinstance(y, Tensor) and isinstance(jv, Tensor)
    numpy.testing.assert_allclose(to_numpy(jv), df_sin(X), atol=1e-13)


def test_transforms_work_under_no_grad_and_restore_the_mode():
    with tg.no_grad():
        assert grad(grad(lambda x: x**3))(2.0) == pytest.approx(12.0)
        assert not tg.is_grad_enabled()


def test_module_doctest_runs():
    import doctest

    import tinygrad_edu.func

    result = doctest.testmod(tinygrad_edu.func)
    assert result.attempted >= 4 and result.failed == 0


def test_returned_function_has_a_readable_name():
    assert grad(rosenbrock).__name__ == "grad_of_rosenbrock"
    assert "argument 1" in hessian(rosenbrock, 1).__doc__


# --------------------------------------------------------------------------- several arrays


def _mlp_loss(P, x, t):
    """Mean squared error of a 1-hidden-layer tanh network with weights P = [W1, b1, W2, b2]."""
    W1, b1, W2, b2 = P
    a = np.tanh(np.matmul(x, W1) + b1)
    return np.mean((np.matmul(a, W2) + b2 - t) ** 2)


def _mlp_data():
    rng = numpy.random.default_rng(4)
    P = [rng.normal(size=(2, 5)), rng.normal(size=5), rng.normal(size=(5, 1)), rng.normal(size=1)]
    return P, rng.normal(size=(7, 2)), rng.normal(size=(7, 1))


def test_grad_with_respect_to_a_list_of_weights_vs_torch():
    torch = torch_or_skip()
    P, x, t = _mlp_data()
    g = grad(_mlp_loss, 0)(P, x, t)
    assert isinstance(g, list) and [a.shape for a in g] == [p.shape for p in P]
    tP = [torch.tensor(p, requires_grad=True) for p in P]
    tx, tt = torch.tensor(x), torch.tensor(t)
    loss = ((torch.tanh(tx @ tP[0] + tP[1]) @ tP[2] + tP[3] - tt) ** 2).mean()
    for ours, theirs in zip(g, torch.autograd.grad(loss, tP)):
        numpy.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_grad_with_respect_to_a_dict_and_to_several_argnums():
    P, x, t = _mlp_data()
    named = dict(zip(("W1", "b1", "W2", "b2"), P))
    g_dict = grad(lambda d, x, t: _mlp_loss([d["W1"], d["b1"], d["W2"], d["b2"]], x, t))(named, x, t)
    g_list = grad(_mlp_loss)(P, x, t)
    assert list(g_dict) == ["W1", "b1", "W2", "b2"]
    for a, b in zip(g_dict.values(), g_list):
        numpy.testing.assert_allclose(a, b, atol=1e-15)
    gx, gt = grad(_mlp_loss, (1, 2))(P, x, t)
    numpy.testing.assert_allclose(gt, central_diff(lambda t_: _mlp_loss(P, x, t_), t), atol=1e-8)
    numpy.testing.assert_allclose(gx, central_diff(lambda x_: _mlp_loss(P, x_, t), x), atol=1e-8)


def test_hvp_and_jvp_with_a_list_argument():
    P, x, t = _mlp_data()
    V = [numpy.full_like(p, 0.1) for p in P]
    hv = hvp(_mlp_loss)(P, x, t, V)
    eps = 1e-6  # H v = d/de grad(P + e V) at e = 0

    def g_at(e):
        return grad(_mlp_loss)([p + e * v for p, v in zip(P, V)], x, t)

    for ours, plus, minus in zip(hv, g_at(eps), g_at(-eps)):
        numpy.testing.assert_allclose(ours, (plus - minus) / (2 * eps), atol=1e-7)
    _, jv = jvp(_mlp_loss)(P, x, t, V)
    assert float(jv) == pytest.approx(sum(float(numpy.sum(g * v)) for g, v in zip(grad(_mlp_loss)(P, x, t), V)))


# --------------------------------------------------------------------------- against torch.func


def test_jacobian_hessian_hvp_jvp_vs_torch_func():
    torch = torch_or_skip()
    from torch.func import hessian as t_hessian
    from torch.func import jacrev
    from torch.func import jvp as t_jvp
    from torch.func import vjp as t_vjp

    A = numpy.random.default_rng(5).normal(size=(3, 4))
    tA = torch.tensor(A)

    def ours(x):
        return np.tanh(np.dot(A, x)) * np.exp(-np.sum(x**2) / 4)

    def theirs(x):
        return torch.tanh(tA @ x) * torch.exp(-(x**2).sum() / 4)

    tX = torch.tensor(X)
    v = numpy.array([1.0, 0.5, -0.5, 2.0])
    numpy.testing.assert_allclose(jacobian(ours)(X), jacrev(theirs)(tX).detach().numpy(), rtol=1e-12, atol=1e-14)
    numpy.testing.assert_allclose(
        hessian(lambda x: np.sum(ours(x)))(X), t_hessian(lambda x: theirs(x).sum())(tX).detach().numpy(), atol=1e-12
    )
    numpy.testing.assert_allclose(
        jvp(ours)(X, v)[1], t_jvp(theirs, (tX,), (torch.tensor(v),))[1].detach().numpy(), atol=1e-13
    )
    _, hv_torch = t_jvp(torch.func.grad(lambda x: theirs(x).sum()), (tX,), (torch.tensor(v),))
    numpy.testing.assert_allclose(hvp(lambda x: np.sum(ours(x)))(X, v), hv_torch.detach().numpy(), atol=1e-12)
    _, pullback = t_vjp(theirs, tX)
    numpy.testing.assert_allclose(elementwise_grad(ours)(X), pullback(torch.ones(3))[0].detach().numpy(), atol=1e-13)


# --------------------------------------------------------------------------- nesting


def test_no_perturbation_confusion():
    # d/dx [ x * d/dy (x + y) at y = x ] = d/dx [x * 1] = 1; confusing the two variables gives 2
    assert grad(lambda x: x * grad(lambda y: x + y)(x))(1.0) == pytest.approx(1.0)
    # d/dx [ x * d/dy (x * y) ] = d/dx x**2 = 2 x, with y bound to a constant
    assert grad(lambda x: x * grad(lambda y: x * y)(2.0))(3.0) == pytest.approx(6.0)


def test_inner_transform_over_weights_in_a_closure_stays_differentiable():
    # a physics-informed loss: du/dx of u(x) = tanh(w x) at grid points, then d loss / d w
    torch = torch_or_skip()
    xs = numpy.linspace(-1, 1, 5)
    w = Tensor(numpy.array(0.7), requires_grad=True)
    du = elementwise_grad(lambda x: np.tanh(w * x))(xs)
    assert isinstance(du, Tensor) and du.requires_grad
    loss = ((du - 1.0) ** 2).sum()
    loss.backward()
    tw = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    tx = torch.tensor(xs, requires_grad=True)
    (tdu,) = torch.autograd.grad(torch.tanh(tw * tx).sum(), tx, create_graph=True)
    ((tdu - 1.0) ** 2).sum().backward()
    assert float(w.grad.item()) == pytest.approx(tw.grad.item(), rel=1e-12)


def test_tensor_that_requires_grad_gives_a_differentiable_result():
    x = Tensor(X, requires_grad=True)
    g = grad(lambda x: np.sum(f_sin(x)))(x)
    assert g.requires_grad
    g.sum().backward()  # d/dx sum(f'(x)) = f''(x)
    numpy.testing.assert_allclose(x.grad.numpy(), d2f_sin(X), atol=1e-12)


def test_nested_results_are_numpy_when_nothing_outer_needs_them():
    # the inner transform's leaves do not make the outer result look nested
    def cost(P, x):
        return np.sum(elementwise_grad(lambda x_, P_: np.tanh(P_[0] * x_), 0)(x, P) ** 2)

    g = grad(cost)([numpy.array(0.5)], numpy.linspace(0, 1, 4))
    assert isinstance(g[0], numpy.ndarray | numpy.floating)


# --------------------------------------------------------------------------- the course's code, ported


def _course_ode():
    """The course's trial-solution solver for g' = -gamma g, g(0) = g0 (autograd code, import lines changed)."""

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def neural_network(params, x):
        N_hidden = np.size(params) - 1
        num_values = np.size(x)
        x = x.reshape(-1, num_values)
        x_prev = x
        for l in range(N_hidden):
            x_prev = np.concatenate((np.ones((1, num_values)), x_prev), axis=0)
            x_prev = sigmoid(np.matmul(params[l], x_prev))
        x_prev = np.concatenate((np.ones((1, num_values)), x_prev), axis=0)
        return np.matmul(params[-1], x_prev)

    def g_trial(x, params, g0=10):
        return g0 + x * neural_network(params, x)

    def cost_function(P, x, gamma=2):
        g_t = g_trial(x, P)
        d_g_t = elementwise_grad(g_trial, 0)(x, P)
        err_sqr = (d_g_t - (-gamma * g_t)) ** 2
        return np.sum(err_sqr) / np.size(err_sqr)

    return g_trial, cost_function


def test_course_ode_solver_port_vs_torch():
    torch = torch_or_skip()
    g_trial, cost_function = _course_ode()
    npr.seed(15)
    P = [npr.randn(10, 2), npr.randn(1, 11)]
    x = np.linspace(0, 1, 10)
    g = grad(cost_function, 0)(P, x)
    assert [type(a) for a in g] == [numpy.ndarray, numpy.ndarray]

    tP = [torch.tensor(p, requires_grad=True) for p in P]
    tx = torch.tensor(x, requires_grad=True)
    ones = torch.ones(1, 10, dtype=torch.float64)
    N = tP[1] @ torch.cat([ones, torch.sigmoid(tP[0] @ torch.cat([ones, tx.reshape(1, -1)]))])
    g_t = 10 + tx * N
    (d_g_t,) = torch.autograd.grad(g_t.sum(), tx, create_graph=True)
    cost = ((d_g_t + 2 * g_t) ** 2).mean()
    assert float(cost_function(P, x)) == pytest.approx(cost.item(), rel=1e-12)
    for ours, theirs in zip(g, torch.autograd.grad(cost, tP)):
        numpy.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_course_ode_solver_port_trains():
    g_trial, cost_function = _course_ode()
    npr.seed(15)
    P = [npr.randn(10, 2), npr.randn(1, 11)]
    x = np.linspace(0, 1, 10)
    cost_grad = grad(cost_function, 0)
    before = cost_function(P, x)
    for _ in range(100):
        P = [p - 0.001 * dp for p, dp in zip(P, cost_grad(P, x))]
    assert isinstance(P[0], numpy.ndarray)
    assert cost_function(P, x) < 0.5 * before


def test_course_pde_snippet_jacobian_and_hessian_at_points():
    """The course's diffusion-equation cost: jacobian and hessian of g_trial at single points."""

    def deep_neural_network(deep_params, x):
        num_coordinates = np.size(x, 0)
        x = x.reshape(num_coordinates, -1)
        num_points = np.size(x, 1)
        x_prev = x
        for l in range(np.size(deep_params) - 1):
            x_prev = np.concatenate((np.ones((1, num_points)), x_prev), axis=0)
            x_prev = 1 / (1 + np.exp(-np.matmul(deep_params[l], x_prev)))
        x_prev = np.concatenate((np.ones((1, num_points)), x_prev), axis=0)
        return np.matmul(deep_params[-1], x_prev)[0][0]

    def g_trial(point, P):
        x, t = point
        return (1 - t) * np.sin(np.pi * x) + x * (1 - x) * t * deep_neural_network(P, point)

    def cost_function(P, x, t):
        cost_sum = 0
        for x_ in x:
            for t_ in t:
                point = np.array([x_, t_])
                g_t_dt = jacobian(g_trial)(point, P)[1]
                g_t_d2x = hessian(g_trial)(point, P)[0][0]
                cost_sum += (g_t_dt - g_t_d2x) ** 2
        return cost_sum / (np.size(x) * np.size(t))

    npr.seed(15)
    P = [npr.randn(4, 3), npr.randn(1, 5)]
    point = numpy.array([0.3, 0.6])
    numpy.testing.assert_allclose(jacobian(g_trial)(point, P), central_diff(lambda p: g_trial(p, P), point), atol=1e-8)
    numpy.testing.assert_allclose(
        hessian(g_trial)(point, P), central_diff(lambda p: jacobian(g_trial)(p, P), point), atol=1e-7
    )
    xs, ts = numpy.array([0.25, 0.75]), numpy.array([0.5])
    g = grad(cost_function)(P, xs, ts)
    for i in range(2):

        def c(p_i, i=i):
            return cost_function([p_i if j == i else P[j] for j in range(2)], xs, ts)

        numpy.testing.assert_allclose(g[i], central_diff(c, P[i]), atol=1e-6)


# --------------------------------------------------------------------------- errors


def test_grad_of_non_scalar_says_what_to_use():
    with pytest.raises(TypeError, match=r"grad: .*shape \(4,\).*elementwise_grad.*jacobian"):
        grad(f_sin)(X)
    with pytest.raises(TypeError, match="hvp"):
        hvp(f_sin)(X, X)


def test_argnum_out_of_range():
    with pytest.raises(ValueError, match=r"argnum=2 is out of range.*2 positional"):
        grad(lambda x, y: x * y, 2)(1.0, 2.0)
    with pytest.raises(ValueError, match="argnum"):
        jacobian(f_sin, -3)(X, X)


def test_non_numeric_inputs_are_refused():
    # integers are differentiated as float64 (tests/test_escape_hatches.py)
    with pytest.raises(TypeError, match="str"):
        grad(lambda x: x)("1.0")
    with pytest.raises(TypeError, match=r"array 1.*dtype <U1"):
        grad(lambda P: np.sum(P[0]))([X, numpy.array(["a", "b"])])


def test_other_misuse_is_explained():
    with pytest.raises(ValueError, match=r"v has shape \(3,\).*\(4,\)"):
        hvp(rosenbrock)(X, numpy.ones(3))
    with pytest.raises(TypeError, match="call it as jvp"):
        jvp(f_sin)(X)
    with pytest.raises(TypeError, match="must return one array"):
        grad(lambda x: [x, x])(X)
    with pytest.raises(TypeError, match="hessian: argument 0 must be a single array"):
        hessian(lambda P: np.sum(P[0] ** 2))([X])


# --------------------------------------------------------------------------- the NumPy namespace


def test_namespace_is_plain_numpy_on_arrays():
    a = numpy.random.default_rng(6).normal(size=(3, 4))
    b = numpy.random.default_rng(7).normal(size=(4, 2))
    assert isinstance(np.exp(a), numpy.ndarray)
    numpy.testing.assert_array_equal(np.dot(a, b), a @ b)
    numpy.testing.assert_array_equal(np.sum(a, axis=1, keepdims=True), a.sum(axis=1, keepdims=True))
    numpy.testing.assert_array_equal(np.std(a, axis=0, ddof=1), a.std(axis=0, ddof=1))
    numpy.testing.assert_array_equal(np.where(a > 0, a, 0.0), numpy.where(a > 0, a, 0.0))
    assert np.pi == math.pi and np.newaxis is None and np.float64 is numpy.float64
    assert np.allclose(a, a) and np.random.randn(2).shape == (2,)
    numpy.testing.assert_array_equal(np.linalg.inv(a[:, :3]), numpy.linalg.inv(a[:, :3]))


_NS_CASES = [
    ("exp", lambda x: np.exp(x)),
    ("log", lambda x: np.log(np.abs(x) + 1.0)),
    ("log1p", lambda x: np.log1p(np.square(x))),
    ("log10/log2", lambda x: np.log10(x**2 + 1) + np.log2(x**2 + 2)),
    ("sqrt", lambda x: np.sqrt(x**2 + 1)),
    ("trig", lambda x: np.sin(x) + np.cos(x) + np.tan(x / 4)),
    ("hyperbolic", lambda x: np.tanh(x) + np.sinh(x) + np.cosh(x)),
    ("power", lambda x: np.power(np.abs(x) + 1, 1.5) + np.power(2.0, x)),
    ("arith", lambda x: np.divide(np.multiply(x, 3.0), np.add(np.square(x), 1.0)) - np.negative(x)),
    ("reductions", lambda x: np.mean(x) * np.max(x) + np.min(x) + np.var(x) + np.std(x, ddof=1)),
    ("max-min", lambda x: np.maximum(x, 0.1) + np.minimum(x, 0.2) + np.clip(x, -0.5, 0.5)),
    ("where", lambda x: np.where(x > 0, x**2, -x)),
    ("shapes", lambda x: np.transpose(np.reshape(x, (2, 2))) @ np.ravel(np.expand_dims(x[:2], 0))),
    ("dot/outer", lambda x: np.dot(x, x) + np.sum(np.outer(x, x[:2])) + np.matmul(x, np.ones(4))),
    ("join", lambda x: np.concatenate([x, np.ones(2), x * 2]) * np.hstack([x, x, x[:2]])),
    ("stack", lambda x: np.sum(np.stack([x, x**2], axis=1) * np.vstack([x, x]).T)),
    ("array of tensors", lambda x: np.array([x[0] * x[1], x[2], 3.0]) ** 2),
]


@pytest.mark.parametrize("name,f", _NS_CASES, ids=[c[0] for c in _NS_CASES])
def test_namespace_functions_differentiate(name, f):
    x = numpy.array([0.3, -0.8, 0.55, 1.2])
    value = f(x)  # plain NumPy
    assert isinstance(value, numpy.ndarray | numpy.floating)
    with_tensor = f(Tensor(x))
    assert isinstance(with_tensor, Tensor)
    numpy.testing.assert_allclose(with_tensor.detach().numpy(), value, rtol=1e-13, atol=1e-14)
    numpy.testing.assert_allclose(jacobian(f)(x), central_diff(f, x), atol=1e-7)


def test_namespace_dot_of_nd_arrays_matches_numpy():
    rng = numpy.random.default_rng(8)
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(5, 4, 2))
    numpy.testing.assert_allclose(np.dot(Tensor(a), Tensor(b)).detach().numpy(), numpy.dot(a, b), atol=1e-13)
    with pytest.raises(ValueError, match="not aligned"):
        np.dot(Tensor(a), Tensor(rng.normal(size=(3, 2, 2))))


def test_namespace_size_of_a_list_of_weight_matrices():
    P = [numpy.zeros((10, 2)), numpy.zeros((1, 11))]
    assert np.size(P) == 2  # NumPy < 1.24 and HIPS autograd: a 1-D array of 2 objects
    assert np.size([numpy.zeros(3), numpy.zeros(3)]) == 6
    assert np.size([Tensor(numpy.zeros((2, 2))), numpy.zeros((3, 1))]) == 2
    assert np.size(Tensor(numpy.zeros((2, 5))), 1) == 5 and np.size(numpy.zeros((2, 5))) == 10


def test_namespace_refuses_to_drop_a_derivative():
    x = Tensor(X, requires_grad=True)
    with pytest.raises(TypeError, match=r"unwrap refuses a Tensor that requires grad"):
        np.unwrap(x)
    numpy.testing.assert_array_equal(np.unwrap(x.detach()), numpy.unwrap(X))  # constants are fine
    with pytest.raises(AttributeError, match="no attribute 'not_a_numpy_name'"):
        np.not_a_numpy_name  # noqa: B018


def test_namespace_like_functions_give_constants():
    x = Tensor(X, requires_grad=True)
    z = np.zeros_like(x)
    assert isinstance(z, numpy.ndarray) and z.shape == (4,)
    assert npr.randn(3, 2).shape == (3, 2)
