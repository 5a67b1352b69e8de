"""What the student wrote is what the graph shows: ``x - 2`` is a subtraction of 2 and ``x / 3`` a
division by 3; an op's parameters are the keyword arguments of ``apply``; arrays handed between
nodes are declared fields, not stray entries of a node's ``__dict__``."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_edu import Tensor, gradcheck, gradgradcheck
from tinygrad_edu.nn import functional as F
from tinygrad_edu.ops import conv
from tinygrad_edu.viz import backward_steps, draw_graph


def op_labels(t):
    return [n.label for n in draw_graph(t).nodes.values() if n.kind == "op"]


def test_subtracting_and_dividing_by_numbers_are_drawn_as_written():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert op_labels(x - 2) == ["SubConst(c=2)"]
    assert op_labels(x / 3) == ["DivConst(c=3)"]
    assert op_labels(x / 0.5) == ["DivConst(c=0.5)"]
    assert op_labels(2 - x) == ["RSubConst(c=2)"]
    assert op_labels(x + 2) == ["AddConst(c=2)"]


def test_the_values_are_the_ones_numpy_computes():
    a = np.array([1.0, 2.0, 7.0, -0.1])
    x = Tensor(a)
    assert np.array_equal((x / 3).detach().numpy(), a / 3), "a true division, not x * 0.333..."
    assert np.array_equal((x - 2).detach().numpy(), a - 2)
    with np.errstate(divide="ignore"):
        assert np.isinf((x / 0).detach().numpy()[0]), "division by the number 0 still gives inf, as NumPy"


def test_their_derivatives_to_second_order():
    x = Tensor(np.array([0.3, -1.2, 2.5]), requires_grad=True)
    for f in (lambda t: (t - 2) ** 3, lambda t: (t / 3) ** 3):
        assert gradcheck(f, x) and gradgradcheck(f, x)
    frames = {f.op: f for f in backward_steps((x / 4).sum())}
    assert frames["DivConst"].local_derivatives == ["1/4"]


def test_against_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is the test oracle")
    a = np.array([0.3, -1.2, 2.5])
    x = Tensor(a, requires_grad=True)
    ((x / 3 - 2) ** 2).sum().backward()
    xt = torch.tensor(a, requires_grad=True)
    ((xt / 3 - 2) ** 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


def test_params_are_the_keyword_arguments_of_apply():
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    assert (x * 2.0).grad_fn.params == {"c": 2.0}
    assert x.sum(axis=1).grad_fn.params == {"axis": 1, "keepdims": False}
    assert op_labels(x.sum(axis=1)) == ["Sum(axis=1)"], "keepdims=False, the default, is not drawn"
    assert x.tanh().grad_fn.params == {}


def test_convolution_columns_travel_in_a_declared_field_and_are_not_kept():
    assert "saved_cols" in vars(conv.Conv2dOp) and "saved_cols" in vars(conv.Conv2dWeightGrad)
    x = Tensor(np.random.default_rng(0).normal(size=(2, 3, 6, 6)), requires_grad=True)
    w = Tensor(np.random.default_rng(1).normal(size=(4, 3, 3, 3)), requires_grad=True)
    z = F.conv2d(x, w)
    node = z.grad_fn
    node_cols = node.saved_cols
    z.sum().backward(retain_graph=True)
    assert node.saved_cols is None, "used once by the backward pass, then dropped"
    assert node_cols is None or node_cols.ndim == 3
    g1 = w.grad.numpy().copy()
    w.grad = None
    z.sum().backward()  # a retained graph recomputes the columns
    np.testing.assert_allclose(w.grad.numpy(), g1, rtol=1e-13)
