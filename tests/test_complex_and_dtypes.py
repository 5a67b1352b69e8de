"""Complex values are refused by every route into the graph (the engine does not implement
PyTorch's conjugate-Wirtinger convention), and a gradient has the dtype of its tensor, as in
PyTorch (a float32 leaf used with float64 values gets a float32 ``.grad``)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from helpers import torch_or_skip
from tinygrad_edu import Tensor, autograd, nn

# ----------------------------------------------------------------------------------- complex


def test_the_issues_example_is_refused_instead_of_a_wrong_gradient():
    # |z^2| at 1+2j: the engine gave -4.4-0.8j (PyTorch: 2+4j)
    with pytest.raises(TypeError, match="complex128.*does not differentiate complex"):
        Tensor(np.array([1 + 2j]), requires_grad=True)


@pytest.mark.parametrize(
    "route",
    [
        lambda: Tensor([1 + 2j], requires_grad=True),
        lambda: Tensor(np.array([1 + 2j], dtype=np.complex64)).requires_grad_(),
        lambda: nn.Parameter(Tensor(np.array([1j, 2.0]))),
    ],
    ids=["constructor", "requires_grad_", "Parameter"],
)
def test_a_complex_leaf_cannot_require_grad(route):
    with pytest.raises(TypeError, match="requires_grad.*complex.*does not differentiate"):
        route()


@pytest.mark.parametrize(
    "route",
    [
        lambda x: x * 1j,
        lambda x: 1j + x,
        lambda x: x * np.complex128(2 - 1j),
        lambda x: x - np.array([1j, 0.0]),
        lambda x: x * Tensor(np.array([1j, 1.0])),
        lambda x: x.to(dtype=np.complex128),
        lambda x: x.astype("complex64"),
        lambda x: (x.exp() * 1j).sum(),
    ],
    ids=["mul-scalar", "radd", "numpy-scalar", "array", "tensor", "cast", "astype", "inside"],
)
def test_ops_making_complex_from_values_that_require_grad_are_refused(route):
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"(Mul|Add|Sub|Cast): its result would be complex.*require grad"):
        route(x)


def test_complex_values_without_grad_still_work():
    x = Tensor([1.0, 2.0], requires_grad=True)
    z = x.detach() * 1j
    assert z.dtype == np.complex128 and not z.requires_grad
    with tg.no_grad():
        assert (x * 1j).dtype == np.complex128
    w = Tensor(np.array([1 + 1j]))
    np.testing.assert_array_equal((w * w).detach().numpy(), [2j])


# ------------------------------------------------------------------------ dtype of gradients


def _torch_pair(torch, x_values, w_values):
    x = torch.tensor(x_values, dtype=torch.float32, requires_grad=True)
    w = torch.tensor(w_values, dtype=torch.float64)
    return x, w


def test_float32_leaf_with_float64_partner_gets_float32_grad_as_torch():
    xv = np.array([0.3, -1.2, 2.5], dtype=np.float32)
    wv = np.array([1.0 / 3.0, 2.0, -0.7])
    x = Tensor(xv, requires_grad=True)
    w = Tensor(wv)
    t = (x * 3.0).tanh()  # float32 on the way, float64 after the product with w
    ((t * w).sum() + (x * w).sum()).backward()
    assert x.grad.dtype == np.float32
    torch = torch_or_skip()
    tx, tw = _torch_pair(torch, xv, wv)
    tt = (tx * 3.0).tanh()
    ((tt * tw).sum() + (tx * tw).sum()).backward()
    assert tx.grad.dtype == torch.float32
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=2e-6, atol=0)  # a few float32 ulps


def test_autograd_grad_results_have_the_inputs_dtype():
    x = Tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    w = Tensor([2.0, -1.0])
    y = (x * x * w).sum()
    (gx,) = autograd.grad(y, x, create_graph=True)
    assert gx.dtype == np.float32
    np.testing.assert_allclose(gx.detach().numpy(), [2.0, -3.0], rtol=1e-7)
    (hx,) = autograd.grad(gx.sum(), x)  # the cast is recorded, so second derivatives go through it
    assert hx.dtype == np.float32
    np.testing.assert_allclose(hx.detach().numpy(), [4.0, -2.0], rtol=1e-7)
    h = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    (gh,) = autograd.grad((h.double() * 3.0).sum(), h)  # a non-leaf in float64 on the way
    assert gh.dtype == np.float32


def test_float64_leaf_keeps_float64_grad_from_float32_partner():
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor(np.array([0.1, 0.2], dtype=np.float32))
    (x * w).sum().backward()  # NumPy promotes the product to float64; the gradient stays float64
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), np.array([0.1, 0.2], dtype=np.float32).astype(np.float64))
