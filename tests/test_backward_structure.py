"""The backward pass reads like the lecture: a short loop, one job per helper, anomaly detection
in its own module, and public names where they always were."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, anomaly, autograd

PACKAGE = Path(tg.__file__).resolve().parent
BACKWARD_MODULES = ["autograd.py", "anomaly.py"]


@pytest.mark.parametrize("name", BACKWARD_MODULES)
def test_no_function_of_the_backward_pass_is_over_60_lines(name):
    tree = ast.parse((PACKAGE / name).read_text())
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 60
    ]
    assert not long, f"{name}: {long}"


def test_the_backward_loop_is_short_and_says_the_chain_rule():
    """The loop tutorial 11 prints: pop the adjoint, call the rule, accumulate."""
    fn = ast.parse(inspect.getsource(autograd.run_backward)).body[0]
    body = fn.body[1:]  # without the docstring
    lines = body[-1].end_lineno - body[0].lineno + 1
    assert lines <= 30, f"run_backward's body is {lines} lines"
    src = inspect.getsource(autograd.run_backward)
    for step in ("adjoints.pop()", "_call_rule(fn, g", "adjoints.add(x, gx)", "fn.release("):
        assert step in src, step


def test_anomaly_names_are_where_they_were():
    assert autograd.AnomalyError is anomaly.AnomalyError
    assert autograd.detect_anomaly is anomaly.detect_anomaly is tg.detect_anomaly
    assert issubclass(anomaly.AnomalyError, FloatingPointError)


def test_adjoints_sum_in_place_only_into_their_own_buffers():
    a = Tensor([1.0, 2.0])
    b = Tensor([10.0, 20.0])
    adj = autograd.Adjoints(create_graph=False)
    key = Tensor(0.0)
    adj.add(key, a)
    assert adj.grads[key] is a, "the first gradient is kept as it is, not copied"
    adj.add(key, b)
    total = adj.grads[key]
    assert total is not a and a.detach().numpy().tolist() == [1.0, 2.0], "a rule's array is never added into"
    adj.add(key, b)
    assert adj.grads[key] is total, "the pass's own sum is added into in place"
    assert total.detach().numpy().tolist() == [21.0, 42.0]
    assert not adj.waiting, "a leaf waits for no rule"
    assert adj.grads.pop(key) is total


def test_adjoints_hand_out_the_highest_node_first():
    """Every node is visited after all the nodes that used its output: by decreasing height."""
    x = Tensor(2.0, requires_grad=True)
    a = x * 3.0  # height 0
    b = a.exp()  # height 1
    c = a + b  # height 2: uses a directly and through b
    assert (a.grad_fn.height, b.grad_fn.height, c.grad_fn.height) == (0, 1, 2)
    adj = autograd.Adjoints(create_graph=False)
    for t in (a, c, b):  # arrival order does not matter
        adj.add(t, Tensor(1.0))
    assert [adj.pop()[0] for _ in range(3)] == [c, b, a]
    sum_owned = autograd.Adjoints(create_graph=False)
    sum_owned.add(a, Tensor(1.0))
    sum_owned.add(a, Tensor(2.0))
    t, g = sum_owned.pop()
    assert t is a and g.item() == 3.0 and g not in sum_owned.owned, "a finished adjoint may be shared: not owned"


def test_wanted_inputs_prune_to_the_targets():
    x = Tensor(1.0, requires_grad=True)
    y = Tensor(2.0, requires_grad=True)
    u = x * 2.0
    v = y * 3.0
    out = u + v
    wanted = autograd._wanted_inputs([out], {x})
    assert wanted(out.grad_fn) == [True, False], "v does not lead to x: not walked"
    assert autograd._wanted_inputs([out], None) is None, "backward() takes what each node recorded"
    assert out.grad_fn.requires == (True, True)
