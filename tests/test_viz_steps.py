"""backward_steps: frames recorded from the engine's own backward pass."""

import inspect

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, autograd
from tinygrad_edu.autograd import Function
from tinygrad_edu.viz import backward_steps, draw_graph, format_steps


def neuron(device="cpu"):
    w = Tensor(0.5, requires_grad=True, name="w", device=device)
    x = Tensor(2.0, name="x", device=device)
    b = Tensor(-0.3, requires_grad=True, name="b", device=device)
    z = w * x + b
    z.name = "z"
    y = z.tanh()
    y.name = "y"
    return w, x, b, z, y


def val(t):
    return t.detach().numpy().astype(float)


def test_neuron_frames_follow_the_chain_rule(device):
    w, x, b, z, y = neuron(device)
    frames = backward_steps(y)
    assert [f.op for f in frames] == ["TanhOp", "Add", "Mul"]
    g = draw_graph(y)
    assert [f.op_id for f in frames] == [g.node_id(y._ctx), g.node_id(z._ctx), g.node_id(z._ctx.inputs[0]._ctx)]
    tanh, add, mul = frames
    dz = 1 - np.tanh(0.7) ** 2
    assert val(tanh.grad_output) == 1.0 and tanh.grad_output_parts == []
    assert tanh.local_derivatives == ["1 - y^2"]
    assert tanh.chain_rule == ["dL/dz = dL/dy * (1 - y^2)"]
    np.testing.assert_allclose(val(tanh.input_grads[0]), dz)
    np.testing.assert_allclose(val(add.grad_output), dz)
    assert add.output_name == "z" and add.input_names[1] == "b"
    np.testing.assert_allclose(val(add.input_grads[1]), dz)
    wx = mul.output_name
    assert mul.local_derivatives == ["x", None]  # x is a constant: no gradient is wanted for it
    assert mul.chain_rule == [f"dL/dw = dL/d{wx} * x", None]
    assert mul.input_grads[1] is None
    np.testing.assert_allclose(val(mul.input_grads[0]), 2.0 * dz)
    # adjoints accumulated so far: w appears only at the last step
    wid, bid = g.node_id(w), g.node_id(b)
    assert wid not in add.adjoints and bid in add.adjoints
    np.testing.assert_allclose(val(mul.adjoints[wid]), 2.0 * dz)
    assert set(mul.adjoints) == {g.node_id(t) for t in (y, z, b, w, z._ctx.inputs[0])}


def test_graph_is_kept_and_no_grad_is_written():
    w, x, b, z, y = neuron()
    frames = backward_steps(y)
    assert w.grad is None and b.grad is None
    y.backward()  # the graph was not freed by the recording pass
    np.testing.assert_allclose(val(w.grad), val(frames[-1].adjoints[frames[-1].input_ids[0]]))


def test_order_is_the_engines_and_fan_out_adjoints_are_sums():
    x = Tensor(1.5, requires_grad=True, name="x")
    a = x * 3.0
    a.name = "a"
    y = a * a + a.sin()  # a feeds two ops: its adjoint is the sum of two contributions
    y.name = "y"
    seen = []
    autograd.run_backward(
        [y], [Tensor(1.0)], targets=[x], retain_graph=True, observer=lambda t, g, fn, gs: seen.append(fn)
    )
    frames = backward_steps(y)
    assert [f.fn for f in frames] == seen
    fa = next(f for f in frames if f.output_name == "a")
    # three contributions: two from a * a (a is both its inputs) and one from sin(a)
    assert [op for op, _ in fa.grad_output_parts].count(fa.grad_output_parts[0][0]) == 2
    assert len(fa.grad_output_parts) == 3
    total = sum(val(g) for _, g in fa.grad_output_parts)
    np.testing.assert_allclose(val(fa.grad_output), total)
    np.testing.assert_allclose(val(fa.grad_output), 2 * 4.5 + np.cos(4.5))
    xid = fa.input_ids[0]
    np.testing.assert_allclose(val(frames[-1].adjoints[xid]), 3 * (2 * 4.5 + np.cos(4.5)))
    assert "summed from" in str(fa)


def test_matrix_rules_and_broadcast_are_described():
    tg.manual_seed(0)
    X = tg.randn(4, 3)
    W = tg.randn(3, 2, requires_grad=True)
    bias = tg.zeros(2, requires_grad=True)
    L = (X @ W + bias).relu().sum()
    frames = backward_steps(L, params={"W": W, "b": bias})
    by_op = {f.op: f for f in frames}
    mm = by_op["MatMul"]
    assert mm.chain_rule[1] == f"dL/dW = {mm.input_names[0]}^T @ dL/d{mm.output_name}"
    add = by_op["Add"]
    assert add.chain_rule[1] == f"dL/db = dL/d{add.output_name}, summed to shape (2,)"
    assert by_op["ReLUOp"].local_derivatives[0] == f"[{by_op['ReLUOp'].input_names[0]} > 0]"
    assert by_op["Sum"].chain_rule[0].endswith("copied along the summed axes")
    L.backward()
    np.testing.assert_allclose(val(frames[-1].adjoints[mm.input_ids[1]]), val(W.grad))


def test_a_new_op_is_explained_from_its_local_declaration():
    class Triple(Function):
        """y = 3 x."""

        local = "dy/dx = 3"

        def forward(self, x):
            return 3 * x

        def backward(self, g):
            return g * 3.0

    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = Triple.apply(x * 2.0).sum()
    f = next(f for f in backward_steps(y) if f.op == "Triple")
    (name,) = f.input_names
    assert f.local_derivatives == ["3"]
    assert f.chain_rule == [f"dL/d{name} = dL/d{f.output_name} * 3"]
    np.testing.assert_allclose(val(f.input_grads[0]), [3.0, 3.0])
    assert "dy/dx = 3" in inspect.getdoc(Triple), "the docs show the declaration"


def test_an_op_without_a_declaration_still_steps():
    class Triple(Function):
        def forward(self, x):
            return 3 * x

        def backward(self, g):
            return g * 3.0

    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    f = next(f for f in backward_steps(Triple.apply(x).sum()) if f.op == "Triple")
    assert f.local_derivatives == [None]
    assert f.chain_rule == ["dL/dx = by Triple's backward rule (it declares no local derivative)"]
    np.testing.assert_allclose(val(f.input_grads[0]), [3.0, 3.0])


def test_symbols_become_names_and_parameters_values():
    a = Tensor([1.0, 2.0], requires_grad=True, name="a")
    w = Tensor([3.0, 4.0], requires_grad=True, name="w")
    z = a * w
    z.name = "z"
    y = (z * 0.5).sum()
    frames = {f.op: f for f in backward_steps(y)}
    assert frames["Mul"].local_derivatives == ["w", "a"], "x and y of 'dz/dx = y' are renamed at once"
    assert frames["Mul"].chain_rule == ["dL/da = dL/dz * w", "dL/dw = dL/dz * a"]
    const = next(f for f in frames.values() if f.op not in ("Mul", "Sum"))
    assert const.local_derivatives == ["0.5"], "the parameter c is shown by its value"


def test_malformed_declaration_fails_when_the_op_is_defined():
    with pytest.raises(TypeError, match=r"Bad\.local: 'cos x' is not a derivative declaration"):

        class Bad(Function):
            local = "cos x"


def test_higher_order_passes_can_be_stepped():
    x = Tensor(2.0, requires_grad=True, name="x")
    y = x * x * x
    frames = backward_steps(y, create_graph=True)
    dydx = frames[-1].adjoints[draw_graph(y).node_id(x)]
    assert dydx.requires_grad  # the recorded pass is itself differentiable
    np.testing.assert_allclose(val(dydx), 12.0)
    (d2,) = autograd.grad(dydx, x)
    np.testing.assert_allclose(val(d2), 12.0)  # d2/dx2 x^3 = 6x
    # stepping through the graph of a first derivative gives the second
    (g,) = autograd.grad(x * x * x, x, create_graph=True)
    frames2 = backward_steps(g)
    assert len(frames2) > 3 and x.grad is None
    np.testing.assert_allclose(val(frames2[-1].adjoints[draw_graph(g).node_id(x)]), 12.0)


def test_non_scalar_losses_need_a_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = x * x
    with pytest.raises(RuntimeError, match="not a scalar"):
        backward_steps(y)
    frames = backward_steps(y, gradient=Tensor([1.0, 10.0]))
    np.testing.assert_allclose(val(frames[-1].adjoints[frames[-1].input_ids[0]]), [2.0, 40.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        backward_steps(Tensor(1.0) * 2.0)
    with pytest.raises(TypeError, match="must be a Tensor"):
        backward_steps(1.0)


def test_format_steps_reads_like_the_lecture():
    *_, y = neuron()
    text = format_steps(backward_steps(y))
    assert text.splitlines()[0] == "step 1: TanhOp (f2) -> y (t5)"  # step 1 everywhere: player, print, tables
    assert "dL/dz = dL/dy * (1 - y^2) = 0.6347" in text
    assert "local derivative dy/dz = 1 - y^2" in text


def test_a_number_put_in_for_a_power_is_simplified():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    frames = {f.op: f for f in backward_steps((x**2).sum() + (x**3).sum())}
    locals_ = sorted(f.local_derivatives[0] for f in backward_steps((x**2).sum()) if f.op == "PowConst")
    assert locals_ == ["2 x"]
    assert any(f.local_derivatives == ["3 x^2"] for f in backward_steps((x**3).sum()) if f.op == "PowConst")
    assert "PowConst" in frames
