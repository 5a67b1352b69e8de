"""Corners of the backward loop that only a wrong result reveals: sums that may or may not be
added into in place, gradients that reach several leaves or the caller, repeated outputs.

Each test fails when one line of the loop is broken (see the names of the mutations in the
comments); the expected values come from PyTorch or from the formula.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from helpers import assert_close, torch_or_skip
from tinygrad_edu import Tensor, autograd


def test_a_sum_handed_to_a_rule_is_never_added_into():
    # t's adjoint is a sum (t is used twice), handed to Add, which gives the same array to x and
    # y; x's second gradient (from 3*x) must not be added into it in place, or y gets it too
    # (y.grad = [11, 15] when Adjoints.pop keeps the sum "owned").
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([3.0, 4.0], requires_grad=True)
    t = x + y
    (t * t + 3.0 * x).sum().backward()
    assert_close(y.grad, [8.0, 12.0])  # 2t
    assert_close(x.grad, [11.0, 15.0])  # 2t + 3
    torch = torch_or_skip()
    tx = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    ty = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    tt = tx + ty
    (tt * tt + 3.0 * tx).sum().backward()
    assert_close(y.grad, ty.grad.numpy())
    assert_close(x.grad, tx.grad.numpy())


def test_same_pattern_through_autograd_grad_and_a_chain():
    x = Tensor([1.0, -2.0], requires_grad=True)
    y = Tensor([0.5, 3.0], requires_grad=True)
    t = x * 2.0 + y
    u = t * t + t.exp()
    gx, gy = autograd.grad((u + 3.0 * x + y * y).sum(), [x, y])
    tv = 2.0 * np.array([1.0, -2.0]) + np.array([0.5, 3.0])
    du = 2 * tv + np.exp(tv)
    assert_close(gx, 2.0 * du + 3.0)
    assert_close(gy, du + 2.0 * np.array([0.5, 3.0]))


def test_the_same_output_twice_sums_its_grad_outputs():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    a, b = Tensor([1.0, 0.5, 0.0]), Tensor([10.0, 20.0, 30.0])
    (g,) = autograd.grad([y, y], x, grad_outputs=[a, b])
    assert_close(g, 2.0 * np.array([1.0, 2.0, 3.0]) * (a.detach().numpy() + b.detach().numpy()))
    torch = torch_or_skip()
    tx = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    ty = tx * tx
    (tg_,) = torch.autograd.grad(
        [ty, ty], tx, grad_outputs=[torch.tensor(a.detach().numpy()), torch.tensor(b.detach().numpy())]
    )
    assert_close(g, tg_.detach().numpy())
    y2 = x * x  # and through backward(): the root is one tensor reached twice
    autograd.run_backward([y2, y2], [a, b])
    assert_close(x.grad, tg_.detach().numpy())


def test_a_broadcast_gradient_becomes_a_writable_grad():
    # Sum's rule hands back a read-only broadcast of dL/dy: .grad must be an array of its own
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.sum().backward()
    x.grad.mul_(2.0)  # weight decay or clipping in place
    assert_close(x.grad, [2.0, 2.0, 2.0])


def test_a_view_gradient_does_not_share_memory_with_another_leaf():
    # w gets dL/dz; x gets a reshape (a view) of the same array
    x = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    w = Tensor([[0.0, 0.0], [0.0, 0.0]], requires_grad=True)
    (x.reshape(2, 2) + w).backward(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    x.grad.mul_(10.0)
    assert_close(w.grad, [[1.0, 2.0], [3.0, 4.0]])
    assert_close(x.grad, [10.0, 20.0, 30.0, 40.0])


def test_the_callers_gradient_array_is_never_a_leafs_grad():
    g = Tensor([1.0, 2.0])
    x = Tensor([5.0, 6.0], requires_grad=True)
    x.backward(g)  # the root is the leaf itself
    x.grad.mul_(3.0)
    assert_close(g, [1.0, 2.0])
    y = Tensor([[5.0, 6.0]], requires_grad=True)
    (y.reshape(2) + 0.0).backward(g)  # a view of the caller's array
    y.grad.mul_(3.0)
    assert_close(g, [1.0, 2.0])
    (gy,) = autograd.grad(y.reshape(2) * 1.0, y, grad_outputs=g)
    gy.mul_(3.0)
    assert_close(g, [1.0, 2.0])


def test_create_graph_grads_of_two_leaves_are_separate_writable_tensors():
    # as PyTorch's AccumulateGrad, which clones a gradient it cannot steal
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([3.0, 4.0], requires_grad=True)
    (x + y * 1.0).sum().backward(create_graph=True)
    assert x.grad is not y.grad
    with tg.no_grad():
        x.grad.mul_(10.0)
    assert_close(y.grad, [1.0, 1.0])
    assert_close(x.grad, [10.0, 10.0])
    z = Tensor([1.0, 2.0], requires_grad=True)
    (z * z).sum().backward(create_graph=True)
    (h,) = autograd.grad(z.grad.sum(), z)  # the leaf's .grad still carries the graph
    assert_close(h, [2.0, 2.0])


def test_gradients_accumulate_into_grad_across_passes_without_aliasing():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([0.0, 0.0], requires_grad=True)
    (x + y).sum().backward()
    first = x.grad
    (x * 3.0 + y).sum().backward()
    assert_close(x.grad, [4.0, 4.0])
    assert_close(y.grad, [2.0, 2.0])
    assert_close(first, [1.0, 1.0])  # the earlier .grad tensor is not changed in place


def test_version_counter_follows_views_of_memory_not_owned_by_an_array():
    # np.frombuffer: the array does not own its memory, so a view's .base is that array, not the
    # buffer; the storage is found by following .base to the end
    a = Tensor(np.frombuffer(bytearray(32), dtype=np.float64))
    x = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x * a.reshape(4)
    a.reshape(2, 2)[0].add_(1.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()


def test_a_leaf_switched_off_after_the_forward_pass_gets_no_grad():
    """As PyTorch's AccumulateGrad: the flag is read when the gradient is delivered."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    w.requires_grad_(False)
    y.backward()
    assert w.grad is None
    assert x.grad.detach().numpy().tolist() == [3.0, 4.0]
