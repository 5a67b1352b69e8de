"""``tinygrad_edu.numpy``'s complex-number functions on real values, ``gradient`` and the
``fft`` shifts: against NumPy, central differences, second derivatives, and ``torch.gradient``."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_edu as tg
import tinygrad_edu.numpy as np
from helpers import check_fd, check_torch, tensors, torch_or_skip
from tinygrad_edu import Tensor

A = numpy.random.default_rng(3).normal(size=(4, 5))

GRADIENT_CASES = [
    ((), {}),
    ((0.5,), {"axis": 1}),
    ((0.5, 2.0), {}),
    ((), {"axis": (0,)}),
    ((0.25,), {"axis": -1}),
]


@pytest.mark.parametrize(("varargs", "kw"), GRADIENT_CASES)
def test_gradient_vs_numpy_finite_differences_and_second_order(varargs, kw, device):
    def f(x):
        out = np.gradient(x**2, *varargs, **kw)
        return np.stack(out) if isinstance(out, list) else out

    expected = numpy.gradient(A**2, *varargs, **kw)
    got = f(Tensor(A, device=device))
    numpy.testing.assert_allclose(
        got.detach().numpy(), numpy.stack(expected) if isinstance(expected, list) else expected
    )
    rng = numpy.random.default_rng(0)
    check_fd(f, [A], device, rng)
    assert tg.gradgradcheck(f, tensors([A[:3, :3]], device))


def test_gradient_vs_torch(device):
    torch = torch_or_skip()
    rng = numpy.random.default_rng(1)
    check_torch(
        lambda x: np.gradient(x, 0.5, axis=1), lambda t: torch.gradient(t, spacing=0.5, dim=1)[0], [A], device, rng
    )


def test_gradient_refuses_what_it_does_not_differentiate():
    x = Tensor(A, requires_grad=True)
    with pytest.raises(TypeError, match="edge_order=2 or sample coordinates refuses"):
        np.gradient(x, edge_order=2)
    with pytest.raises(TypeError, match="edge_order=2 or sample coordinates refuses"):
        np.gradient(x, numpy.arange(4.0), axis=0)
    with pytest.raises(ValueError, match="gradient: axis 0 has 1 sample"):
        np.gradient(Tensor(numpy.ones((1, 3))), axis=0)


def test_complex_functions_of_real_tensors():
    x = Tensor(A, requires_grad=True)
    for name in ("real", "conj", "conjugate", "real_if_close"):
        y = getattr(np, name)(x)
        numpy.testing.assert_array_equal(y.detach().numpy(), getattr(numpy, name)(A))
        (g,) = tg.autograd.grad(y.sum(), x)
        numpy.testing.assert_array_equal(g.detach().numpy(), numpy.ones_like(A))
    y = np.imag(x) + x
    numpy.testing.assert_array_equal(np.imag(x).detach().numpy(), numpy.imag(A))
    (g,) = tg.autograd.grad(y.sum(), x)
    numpy.testing.assert_array_equal(g.detach().numpy(), numpy.ones_like(A))
    numpy.testing.assert_array_equal(np.angle(x), numpy.angle(A))  # value-only: 0 or pi


def test_fft_shifts_and_complex_transforms():
    x = Tensor(A, requires_grad=True)
    for name in ("fftshift", "ifftshift"):
        for axes in (None, 1, (0,)):
            numpy.testing.assert_array_equal(
                getattr(np.fft, name)(x, axes).detach().numpy(), getattr(numpy.fft, name)(A, axes)
            )
    assert tg.gradcheck(lambda t: np.fft.fftshift(t) * numpy.arange(20.0).reshape(4, 5), [x])
    with pytest.raises(TypeError, match="complex numbers"):
        np.fft.fft(x)
