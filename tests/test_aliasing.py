"""One version counter per storage: an in-place change through any alias of a saved tensor
(a view, ``.detach()``, a ``state_dict()`` entry, a tensor made from it) is caught by the
backward pass, as in PyTorch; changes that no backward rule depends on keep working.

Each program runs on this engine and on PyTorch: both must raise, or both must give the same
gradients.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from helpers import assert_close, torch_or_skip


class _TG:
    """The few names the programs use, for this engine."""

    nn = tg.nn
    no_grad = tg.no_grad

    @staticmethod
    def tensor(values, requires_grad=False):
        return tg.Tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)

    @staticmethod
    def grad_of(t):
        return None if t.grad is None else t.grad.numpy()


class _Torch:
    def __init__(self, torch):
        self.torch = torch
        self.nn = torch.nn
        self.no_grad = torch.no_grad

    def tensor(self, values, requires_grad=False):
        return self.torch.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)

    @staticmethod
    def grad_of(t):
        return None if t.grad is None else t.grad.numpy()


# ---------------------------------------------------------------- programs: (lib) -> leaves


def detach_of_saved_input(lib):
    x = lib.tensor([1.0, 2.0, 3.0], True)
    a = lib.tensor([1.0, 1.0, 1.0])
    y = x * a
    a.detach().mul_(10.0)  # the example: gave x.grad = [10, 20, 30]
    y.sum().backward()
    return [x]


def reshape_view_of_saved_input(lib):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], True)
    a = lib.tensor([1.0, 2.0, 3.0, 4.0])
    y = x * a
    a.reshape(2, 2).mul_(3.0)
    y.sum().backward()
    return [x]


def slice_view_of_saved_input(lib):
    x = lib.tensor([1.0, 2.0, 3.0], True)
    a = lib.tensor([1.0, 2.0, 3.0])
    y = (x * a).sum()
    a[1:].add_(5.0)
    y.backward()
    return [x]


def transpose_view_of_saved_input(lib):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], True)
    a = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
    y = (x @ a).sum()
    a.T.mul_(2.0)
    y.backward()
    return [x]


def view_of_saved_output_under_no_grad(lib):
    x = lib.tensor([0.5, -1.0, 2.0], True)
    y = x.exp()  # exp's derivative reads its output
    with lib.no_grad():
        y[:2].mul_(2.0)
    y.sum().backward()
    return [x]


def detach_of_view_of_saved_output(lib):
    x = lib.tensor([[0.5, -1.0], [2.0, 0.1]], True)
    y = x.tanh()
    y.reshape(4).detach()[0:1].zero_()
    y.sum().backward()
    return [x]


def weight_through_state_dict(lib):
    model = lib.nn.Linear(3, 2).double()
    x = lib.tensor([[1.0, 2.0, 3.0]], True)  # so that PyTorch saves the weight too
    loss = (model(x) ** 2).sum()
    model.state_dict()["weight"].mul_(0.5)
    loss.backward()
    return [x, *model.parameters()]


def leaf_grad_then_optimizer_step(lib):
    # in-place updates after backward: the graph is gone, nothing depends on the old values
    x = lib.tensor([1.0, 2.0, 3.0], True)
    a = lib.tensor([2.0, 2.0, 2.0])
    (x * a).sum().backward()
    with lib.no_grad():
        x.sub_(0.1 * x.grad)
    a.detach().mul_(3.0)
    (x * a).sum().backward()
    return [x]


def change_of_unrelated_alias(lib):
    # the detached tensor is cloned before it is changed: no alias of a saved tensor changes
    x = lib.tensor([1.0, 2.0, 3.0], True)
    a = lib.tensor([1.0, 2.0, 3.0])
    y = (x * a).sum()
    b = a.detach().clone()
    b.mul_(7.0)
    y.backward()
    return [x]


def change_before_use(lib):
    # changed through a view before the op used it: the op saved the new value, which is right
    x = lib.tensor([1.0, 2.0, 3.0], True)
    a = lib.tensor([1.0, 2.0, 3.0])
    a[1:].mul_(2.0)
    a.detach().add_(1.0)
    ((x * a).sum() + (x * a.reshape(3)).sum()).backward()
    return [x]


def change_of_inputs_no_rule_reads(lib):
    # sums, slices and constant factors use only their inputs' shapes: PyTorch saves nothing, and
    # neither check raises
    x = lib.tensor([1.0, 2.0, 3.0], True)
    a = lib.tensor([1.0, 1.0, 1.0])
    y = ((x + a) * 2.0 - a[0:2].sum() + x[1:].sum() - x).sum()
    a.detach().mul_(5.0)
    with lib.no_grad():
        x.add_(1.0)
    y.backward()
    return [x]


def input_of_a_layer(lib):
    # dL/dW = dL/dz^T x reads the layer's input
    model = lib.nn.Linear(3, 2).double()
    x = lib.tensor([[1.0, 2.0, 3.0]])
    loss = (model(x) ** 2).sum()
    x.mul_(2.0)
    loss.backward()
    return list(model.parameters())


def numerator_of_a_division(lib):
    # dL/da = -x / a^2 reads the numerator x
    x = lib.tensor([1.0, 2.0, 3.0], True)
    a = lib.tensor([0.5, -1.0, 2.0], True)
    y = (x / a).sum()
    x.detach().mul_(4.0)
    y.backward()
    return [x, a]


def change_of_a_factor_only_its_partners_gradient_reads(lib):
    # x * a with only x requiring grad: dL/dx = a needs a, not x; PyTorch saves only a
    x = lib.tensor([1.0, 2.0, 3.0], True)
    a = lib.tensor([0.5, -1.0, 2.0])
    y = (x * a).sum() + (x / a).sum()
    x.detach().mul_(4.0)
    y.backward()
    return [x]


def first_layer_weight_through_state_dict(lib):
    # the input does not require grad, so the weight's value is not needed (dW = dL/dz^T x)
    model = lib.nn.Linear(3, 2).double()
    x = lib.tensor([[1.0, 2.0, 3.0]])
    loss = (model(x) * lib.tensor([[1.0, -2.0]])).sum()
    model.state_dict()["weight"].mul_(0.5)
    loss.backward()
    return list(model.parameters())


RAISING = [
    detach_of_saved_input,
    reshape_view_of_saved_input,
    slice_view_of_saved_input,
    transpose_view_of_saved_input,
    view_of_saved_output_under_no_grad,
    detach_of_view_of_saved_output,
    weight_through_state_dict,
    numerator_of_a_division,
    input_of_a_layer,
]
WORKING = [
    change_of_a_factor_only_its_partners_gradient_reads,
    first_layer_weight_through_state_dict,
    leaf_grad_then_optimizer_step,
    change_of_unrelated_alias,
    change_before_use,
    change_of_inputs_no_rule_reads,
]


@pytest.mark.parametrize("program", RAISING, ids=lambda p: p.__name__)
def test_change_through_an_alias_is_caught_as_in_torch(program):
    with pytest.raises(RuntimeError, match="modified in place") as info:
        program(_TG)
    msg = str(info.value)
    assert "version" in msg and ("input" in msg or "output" in msg)
    torch = torch_or_skip()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        program(_Torch(torch))


@pytest.mark.parametrize("program", WORKING, ids=lambda p: p.__name__)
def test_changes_nothing_depends_on_keep_working(program):
    ours = [_TG.grad_of(t) for t in program(_TG)]
    torch = torch_or_skip()
    lib = _Torch(torch)
    theirs = [lib.grad_of(t) for t in program(lib)]
    for a, b in zip(ours, theirs):
        assert_close(a, b)


def test_the_message_names_the_op_and_the_tensor():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    a = tg.Tensor([3.0, 4.0], name="scale")
    y = x * a
    a.detach().mul_(2.0)
    with pytest.raises(RuntimeError, match=r"Mul: input 1 \('scale'\) of shape \(2,\).*version 0 -> 1"):
        y.sum().backward()


def test_aliases_share_one_counter():
    a = tg.Tensor(np.arange(6.0))
    aliases = [a.detach(), a.reshape(2, 3), a[1:], a.reshape(3, 2).T, tg.Tensor(a), a.reshape(2, 3).detach()[0]]
    for i, t in enumerate(aliases):
        t._bump()
        assert a._version == i + 1
        assert all(u._version == i + 1 for u in aliases)
    assert a.clone()._version == 0  # a copy has memory, and a counter, of its own
    assert (a * 1.0)._version == 0
    assert a[[0, 1]]._version == 0  # advanced indexing copies


def test_state_dict_entries_share_the_parameters_counter():
    model = tg.nn.Linear(2, 2)
    sd = model.state_dict()
    v = model.weight._version
    sd["weight"].add_(1.0)
    assert model.weight._version == v + 1
    v = sd["bias"]._version
    with tg.no_grad():
        model.bias.sub_(1.0)
    assert sd["bias"]._version == v + 1


def test_view_outputs_keep_their_own_starting_version():
    # a view of a tensor changed before: its op's output check starts from the version then
    x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with tg.no_grad():
        x.mul_(2.0)
        x.mul_(0.5)
    y = x.reshape(3, 1)
    assert y._version == 2
    assert y.grad_fn.output is y
    y.sum().backward()
    assert_close(x.grad, [1.0, 1.0, 1.0])
