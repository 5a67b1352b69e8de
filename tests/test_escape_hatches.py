"""No route from a Tensor that requires grad into NumPy silently drops its derivative (issue 14).

Each example of the issue, and the other routes of the same kind: a conversion (``__array__``,
``float``, ``int``, ``tolist``, ``numpy()``), a NumPy ufunc or function called on a Tensor in any
order, the namespace's own functions, index helpers and dtype constructors. Each either
differentiates (checked against the closed form) or raises an error that names the route and
points to ``.detach()``. Under ``no_grad``, and for tensors that do not require grad,
conversions work as before; ``.item()`` always works.
"""

from __future__ import annotations

import numpy
import pytest

import tinygrad_edu.numpy as np
from tinygrad_edu import Tensor, no_grad
from tinygrad_edu.func import elementwise_grad, grad, hessian, jacobian, value_and_grad

DETACH = r"\.detach\(\)"


def _leaf(value=(1.2,)):
    return Tensor(numpy.array(value, dtype=float), requires_grad=True)


def _grad_of(f, x):
    """d sum(f(x)) / dx by the engine."""
    f(x).sum().backward()
    return x.grad.numpy()


# --------------------------------------------------------------------------- the examples


def test_ridge_penalty_through_linalg_norm_keeps_its_gradient():
    rng = numpy.random.default_rng(0)
    X, y, w0, lam = rng.normal(size=(20, 3)), rng.normal(size=20), rng.normal(size=3), 0.7
    loss = lambda w: np.sum((X @ w - y) ** 2) + lam * np.linalg.norm(w) ** 2  # noqa: E731
    expected = 2 * X.T @ (X @ w0 - y) + 2 * lam * w0
    numpy.testing.assert_allclose(grad(loss)(w0), expected, rtol=1e-12)
    # NumPy's own norm on a Tensor dispatches to the same differentiable one
    numpy_loss = lambda w: numpy.sum((X @ w - y) ** 2) + lam * numpy.linalg.norm(w) ** 2  # noqa: E731
    numpy.testing.assert_allclose(grad(numpy_loss)(w0), expected, rtol=1e-12)


def test_norm_at_the_zero_vector_has_gradient_zero_as_in_pytorch():
    numpy.testing.assert_array_equal(grad(lambda w: np.linalg.norm(w))(numpy.zeros(3)), numpy.zeros(3))
    numpy.testing.assert_array_equal(grad(lambda w: np.linalg.norm(w) ** 2)(numpy.zeros(3)), numpy.zeros(3))


@pytest.mark.parametrize("np_module", [np, numpy], ids=["tinygrad_edu.numpy", "numpy"])
def test_linalg_det_and_inv_differentiate_or_refuse(np_module):
    A = numpy.array([[2.0, 1.0], [0.5, 3.0]])
    Ai = numpy.linalg.inv(A)
    # d det(A) / dA = det(A) A^-T;  d sum(A^-1) / dA = -A^-T 1 1^T A^-T
    numpy.testing.assert_allclose(grad(lambda a: np_module.linalg.det(a))(A), numpy.linalg.det(A) * Ai.T)
    expected = -Ai.T @ numpy.ones((2, 2)) @ Ai.T
    numpy.testing.assert_allclose(grad(lambda a: np_module.sum(np_module.linalg.inv(a)))(A), expected)
    with pytest.raises(TypeError, match=rf"linalg.lstsq refuses a Tensor that requires grad.*{DETACH}"):
        grad(lambda a: np_module.sum(np_module.linalg.lstsq(a, numpy.ones(2))[0]))(A)


def test_linspace_differentiates_in_start_and_stop():
    # d/da sum(linspace(a, 3, 5)) = sum(1 - k/4) = 2.5; d/db = sum(k/4) = 2.5
    assert grad(lambda a: np.sum(np.linspace(a, 3.0, 5)))(1.2) == pytest.approx(2.5, abs=1e-14)
    a = _leaf()
    y, w = numpy.linspace(1.2, 3.0, 5), numpy.arange(5) / 4
    numpy.testing.assert_allclose(_grad_of(lambda a: numpy.linspace(a[0], 3.0, 5) ** 2, a), [2 * y @ (1 - w)])
    numpy.testing.assert_allclose(np.linspace(_leaf()[0], 3.0, 5).detach().numpy(), y, rtol=1e-15)


def test_full_differentiates_in_the_fill_value():
    assert grad(lambda a: np.sum(np.full(3, a)))(1.2) == pytest.approx(3.0)
    assert grad(lambda a: np.sum(np.full_like(numpy.zeros((2, 2)), a) ** 2))(1.5) == pytest.approx(12.0)


def test_numpy_full_on_a_tracked_tensor_refuses():
    with pytest.raises((TypeError, RuntimeError), match=DETACH):
        grad(lambda a: numpy.sum(numpy.full(3, a)))(1.2)


def test_float64_constructor_refuses_instead_of_giving_a_wrong_derivative():
    # d(a^2)/da at 1.2 is 2.4; numpy.float64(a) * a used to give 1.2
    with pytest.raises(RuntimeError, match=rf"numpy.float64.*{DETACH}"):
        grad(lambda a: numpy.float64(a) * a)(1.2)
    with pytest.raises(RuntimeError, match=DETACH):
        grad(lambda a: np.float64(a) * a)(1.2)
    assert grad(lambda a: numpy.float64(2.0) * a * a)(1.2) == pytest.approx(4.8)  # a constant is fine


def test_index_helpers_r_and_c_differentiate():
    x = numpy.array([0.5, -1.0])
    jac = jacobian(lambda v: np.r_[v, 2.0, v**2])(x)
    numpy.testing.assert_allclose(jac, numpy.vstack([numpy.eye(2), numpy.zeros((1, 2)), numpy.diag(2 * x)]))
    jac = jacobian(lambda v: np.c_[v, v**3])(x)
    numpy.testing.assert_allclose(jac[:, 1], numpy.diag(3 * x**2))
    with pytest.raises(RuntimeError, match=DETACH):  # NumPy's own r_ converts, which is refused
        grad(lambda v: numpy.sum(numpy.r_[v, 2.0]))(x)
    with pytest.raises(TypeError, match="r_.*no slices"):
        grad(lambda v: np.sum(np.r_[v, 0:3]))(x)


def test_mgrid_with_a_tensor_bound_is_differentiable_arithmetic():
    assert grad(lambda a: numpy.sum(numpy.mgrid[0:a:3j]))(1.2) == pytest.approx(1.5)


def test_ndarray_remainder_tensor_refuses_or_differentiates():
    x = numpy.array([3.5, -2.25])
    m = numpy.array([2.0, 2.0])
    try:
        g = grad(lambda v: numpy.sum(m % v))(x)
    except TypeError as e:
        assert "numpy.remainder refuses" in str(e) and ".detach()" in str(e)
    else:  # d(m mod v)/dv = -floor(m / v)
        numpy.testing.assert_allclose(g, -numpy.floor(m / x))


def test_math_module_and_scipy_ufuncs_refuse():
    import math

    with pytest.raises(RuntimeError, match=rf"float\(\) of a Tensor that requires grad.*{DETACH}"):
        grad(lambda a: math.exp(a))(1.2)
    special = pytest.importorskip("scipy.special", reason="SciPy is optional here")
    with pytest.raises(TypeError, match=rf"the ufunc 'expit' refuses.*{DETACH}"):
        grad(lambda a: special.expit(a))(1.2)


def test_float_int_tolist_inside_a_traced_function_refuse():
    for conv, name in [(float, "float"), (int, "int"), (lambda t: t.tolist(), "tolist")]:
        with pytest.raises(RuntimeError, match=rf"{name}\(\) of a Tensor that requires grad.*{DETACH}.*item\(\)"):
            grad(lambda a, conv=conv: conv(a) * a)(1.2)


@pytest.mark.parametrize(
    "route",
    [numpy.asarray, numpy.array, lambda t: numpy.float64(t), lambda t: numpy.array([t, t]), lambda t: Tensor([t, t])],
    ids=["asarray", "array", "float64", "list", "Tensor(list)"],
)
def test_array_conversions_refuse_while_recording(route):
    with pytest.raises(RuntimeError, match=rf"Conversion to a NumPy array.*{DETACH}"):
        route(_leaf()[0])


# --------------------------------------------------------------------------- NumPy reaching a Tensor


def test_ufuncs_dispatch_to_differentiable_ops_in_any_order():
    x = numpy.array([0.3, -0.7])
    c = numpy.array([2.0, 3.0])
    routes = {
        "numpy.exp": (lambda v: numpy.exp(v), numpy.exp(x)),
        "ndarray + t": (lambda v: c + v * v, 2 * x),
        "t + ndarray": (lambda v: v * v + c, 2 * x),
        "ndarray * t": (lambda v: c * v, c),
        "float64 * t": (lambda v: numpy.float64(2.0) * v * v, 4 * x),
        "ndarray - t": (lambda v: c - v**3, -3 * x**2),
        "ndarray / t": (lambda v: c / (v + 2), -c / (x + 2) ** 2),
        "numpy.multiply(ndarray, t)": (lambda v: numpy.multiply(c, numpy.sin(v)), c * numpy.cos(x)),
        "numpy.maximum": (lambda v: numpy.maximum(v, 0.0), (x > 0).astype(float)),
        "ndarray @ t": (lambda v: numpy.eye(2) @ v, numpy.ones(2)),
    }
    for name, (f, expected) in routes.items():
        numpy.testing.assert_allclose(elementwise_grad(f)(x), expected, rtol=1e-12, err_msg=name)


def test_numpy_functions_dispatch_and_handle_out():
    x = numpy.array([0.3, -0.7, 1.1])
    assert numpy.allclose(grad(lambda v: numpy.sum(v**2))(x), 2 * x)
    assert numpy.allclose(grad(lambda v: numpy.sum(v**2, out=None))(x), 2 * x)
    assert numpy.allclose(grad(lambda v: numpy.mean(numpy.square(v)))(x), 2 * x / 3)
    assert numpy.allclose(grad(lambda v: numpy.dot(numpy.ones(3), numpy.where(v > 0, v, 0.0)))(x), x > 0)
    with pytest.raises(TypeError, match="out="):
        grad(lambda v: numpy.sum(v, out=numpy.zeros(())))(x)
    with pytest.raises(TypeError, match=rf"numpy.histogram refuses.*{DETACH}"):
        grad(lambda v: numpy.sum(numpy.histogram(v)[1]))(x)
    with pytest.raises(TypeError, match=r"numpy.add.reduce refuses"):
        grad(lambda v: numpy.add.reduce(v))(x)


def test_in_place_ndarray_update_with_a_tracked_tensor_refuses():
    def f(v):
        acc = numpy.zeros(2)
        acc += v * v  # NumPy would write the values into acc and drop the derivative
        return np.sum(acc)

    with pytest.raises(TypeError, match=rf"numpy.add refuses.*out=.*{DETACH}"):
        grad(f)(numpy.array([0.3, -0.7]))
    acc = numpy.zeros(2)
    acc += Tensor([1.0, 2.0])  # a constant is added in place, as NumPy does
    numpy.testing.assert_array_equal(acc, [1.0, 2.0])


def test_value_only_numpy_functions_give_plain_results_inside_grad():
    seen = {}

    def f(v):
        seen["argmax"], seen["sign"] = numpy.argmax(v), numpy.sign(v)
        seen["close"], seen["shape"] = numpy.allclose(v, v), numpy.shape(v)
        return np.sum(v * np.sign(v))  # |v| with sign as a constant

    numpy.testing.assert_allclose(grad(f)(numpy.array([0.3, -0.7])), [1.0, -1.0])
    assert seen["argmax"] == 0 and seen["close"] is True and seen["shape"] == (2,)
    assert isinstance(seen["sign"], numpy.ndarray)


# --------------------------------------------------------------------------- what stays allowed


def test_item_reads_a_number_while_recording():
    a = _leaf()
    loss = (a * a).sum()
    assert loss.item() == pytest.approx(1.44) and f"{loss.item():.2f}" == "1.44"


def test_numpy_of_a_tensor_that_requires_grad_raises_as_in_pytorch():
    a = _leaf()
    with pytest.raises(RuntimeError, match=r"numpy\(\) of a Tensor that requires grad.*detach\(\)\.numpy\(\)"):
        a.numpy()
    with no_grad(), pytest.raises(RuntimeError, match=r"numpy\(\)"):
        a.numpy()  # PyTorch refuses under no_grad too
    numpy.testing.assert_array_equal(a.detach().numpy(), [1.2])


def test_conversions_work_under_no_grad_and_for_constants():
    a = _leaf([1.5, 2.0])
    with no_grad():
        assert float(a[0]) == 1.5 and int(a[1]) == 2 and a.tolist() == [1.5, 2.0]
        numpy.testing.assert_array_equal(numpy.asarray(a), [1.5, 2.0])
        assert numpy.histogram(a, bins=1)[0][0] == 2
    c = Tensor([1.5, 2.0])
    assert float(c[0]) == 1.5 and c.tolist() == [1.5, 2.0] and numpy.asarray(c).sum() == 3.5
    numpy.testing.assert_array_equal(numpy.histogram(c, bins=1)[1], [1.5, 2.0])
    assert isinstance(numpy.sum(c), numpy.floating)  # NumPy on the values, as before


# --------------------------------------------------------------------------- integer inputs to func


def test_integer_inputs_are_differentiated_as_float64():
    assert grad(lambda x: x * x)(3) == 6.0 and isinstance(grad(lambda x: x * x)(3), float)
    g = elementwise_grad(lambda x: x**2)(numpy.arange(3))
    assert g.dtype == numpy.float64 and g.tolist() == [0.0, 2.0, 4.0]
    x = numpy.array([[4, 5, 6]]).T  # the lecture's example
    J = jacobian(lambda x: np.sin(x) * x)(x)
    assert J.shape == (3, 1, 3, 1)
    xf = x.ravel().astype(float)
    numpy.testing.assert_allclose(J.reshape(3, 3), numpy.diag(numpy.cos(xf) * xf + numpy.sin(xf)))
    numpy.testing.assert_allclose(hessian(lambda x: np.sum(x**3))(numpy.array([1, 2])), [[6.0, 0.0], [0.0, 12.0]])
    value, g = value_and_grad(lambda x: np.sum(x**2))(numpy.array([1, 2]))
    assert value == 5.0 and g.tolist() == [2.0, 4.0]
    assert grad(lambda x: np.sum(x * x))(Tensor([1, 2])).tolist() == [2.0, 4.0]
    assert grad(lambda P: np.sum(P[0] * P[1]))([numpy.array([1.0, 2.0]), numpy.array([3, 4])])[1].tolist() == [1.0, 2.0]


def test_booleans_and_strings_are_still_refused():
    with pytest.raises(TypeError, match="boolean True"):
        grad(lambda x: x)(True)
    with pytest.raises(TypeError, match="dtype bool"):
        elementwise_grad(lambda x: x)(numpy.array([True]))
    with pytest.raises(TypeError, match="str"):
        grad(lambda x: x)("1.0")
