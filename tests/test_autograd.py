"""The backward pass: accumulation, freeing the graph, grad modes, autograd.grad, higher
derivatives, deep graphs, memory release and gradcheck's report."""

from __future__ import annotations

import gc
import math
import weakref

import numpy as np
import pytest

import tinygrad_edu as tg
from helpers import assert_close, torch_or_skip
from tinygrad_edu import Tensor, autograd
from tinygrad_edu.autograd import Function
from tinygrad_edu.gradcheck import GradcheckError

# ------------------------------------------------------------------------------- accumulation


def test_backward_accumulates_into_leaves_like_torch(device):
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True, device=device)
    (x * x).sum().backward()
    assert_close(x.grad, [2.0, -4.0, 6.0])
    x.sin().sum().backward()  # a second, separate graph adds to .grad
    assert_close(x.grad, [2.0, -4.0, 6.0] + np.cos([1.0, -2.0, 3.0]))
    x.zero_grad()
    assert x.grad is None
    (x * 3.0).sum().backward()
    assert_close(x.grad, [3.0, 3.0, 3.0])
    x.grad = None
    (x**3).sum().backward()
    assert_close(x.grad, 3 * np.array([1.0, 4.0, 9.0]))
    torch = torch_or_skip()
    t = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    (t * t).sum().backward()
    t.sin().sum().backward()
    x.grad = None
    (x * x).sum().backward()
    x.sin().sum().backward()
    assert_close(x.grad, t.grad.numpy())


def test_a_tensor_used_many_times_gets_the_sum(device):
    x = Tensor(2.0, requires_grad=True, device=device)
    y = x * x * x + x.exp() * x - x / x
    y.backward()
    assert math.isclose(x.grad.item(), 3 * 4 + math.exp(2) * 3, rel_tol=1e-14)


def test_leaf_gradients_do_not_share_memory(device):
    # x.grad and y.grad get the same incoming gradient from Add; an in-place change of one
    # (an optimizer's weight decay, clipping) must not change the other, nor the caller's array.
    x = Tensor([1.0, 2.0], requires_grad=True, device=device)
    y = Tensor([3.0, 4.0], requires_grad=True, device=device)
    g = Tensor([1.0, 1.0], device=device)
    (x + y).backward(g)
    x.grad.mul_(10.0)
    assert_close(y.grad, [1.0, 1.0])
    assert_close(g, [1.0, 1.0])
    z = Tensor([5.0, 6.0], requires_grad=True, device=device)
    z.reshape(2, 1).backward(Tensor([[1.0], [2.0]], device=device))
    z.backward(g)  # a leaf root: its gradient is the one passed in, copied
    z.grad.mul_(0.0)
    assert_close(g, [1.0, 1.0])


def test_gradient_argument_and_its_checks(device):
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    y = x * x
    y.backward(Tensor([1.0, 0.0, 2.0], device=device), retain_graph=True)
    assert_close(x.grad, [2.0, 0.0, 12.0])
    x.grad = None
    y.backward(np.array([1.0, 1.0, 1.0]) if device == "cpu" else x.xp.ones(3), retain_graph=True)
    assert_close(x.grad, [2.0, 4.0, 6.0])
    with pytest.raises(RuntimeError, match=r"gradient has shape \(2,\) but the output has shape \(3,\)"):
        y.backward(Tensor([1.0, 1.0], device=device))


def test_non_leaf_has_no_grad_and_leaf_flags(device):
    x = Tensor([1.0, 2.0], requires_grad=True, device=device)
    h = x * 2.0
    h.sum().backward()
    assert x.is_leaf and not h.is_leaf
    assert h.grad is None  # only leaves keep gradients, as in PyTorch
    assert h.grad_fn is not None and x.grad_fn is None


# ------------------------------------------------------------------------------- freeing the graph


def test_second_backward_through_a_freed_graph_raises(device):
    x = Tensor([1.0, 2.0], requires_grad=True, device=device)
    loss = (x.tanh() * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"(?s)second time.*retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_backward(device):
    x = Tensor([1.0, 2.0], requires_grad=True, device=device)
    loss = (x.tanh() * x).sum()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    assert_close(x.grad, 2 * first)
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_autograd_grad_frees_unless_retained(device):
    x = Tensor([1.0, 2.0], requires_grad=True, device=device)
    y = (x.exp() * 2.0).sum()
    (g1,) = autograd.grad(y, x, retain_graph=True)
    (g2,) = autograd.grad(y, x)
    assert_close(g1, g2.detach().numpy())
    with pytest.raises(RuntimeError, match="second time"):
        autograd.grad(y, x)


# ------------------------------------------------------------------------------- grad modes


def test_no_grad_records_nothing(device):
    x = Tensor([1.0, 2.0], requires_grad=True, device=device)
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = (x * 2.0).exp().sum()
        z = x[0] + x.matmul(x)
    for t in (y, z):
        assert not t.requires_grad and t.grad_fn is None
    assert tg.is_grad_enabled()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_as_decorator_and_enable_grad_inside(device):
    x = Tensor([1.0, 2.0], requires_grad=True, device=device)

    @tg.no_grad()
    def evaluate(t):
        return t * 2.0

    assert not evaluate(x).requires_grad
    with tg.no_grad():
        with tg.enable_grad():
            assert tg.is_grad_enabled()
            y = (x * x).sum()
        w = x * 3.0
        assert not tg.is_grad_enabled()
    assert y.requires_grad and not w.requires_grad
    y.backward()
    assert_close(x.grad, [2.0, 4.0])

    @tg.enable_grad()
    def record(t):
        return t * t

    with tg.no_grad():
        assert record(x).requires_grad
    with tg.set_grad_enabled(False):
        assert not (x + 1.0).requires_grad
    assert tg.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with tg.no_grad():
            raise ZeroDivisionError
    assert tg.is_grad_enabled()


def test_leaves_without_requires_grad_get_nothing(device):
    x = Tensor([1.0, 2.0], requires_grad=True, device=device)
    c = Tensor([3.0, 4.0], device=device)
    (x * c).sum().backward()
    assert c.grad is None
    assert_close(x.grad, [3.0, 4.0])
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None


# ------------------------------------------------------------------------------- autograd.grad


def test_grad_returns_a_tuple_and_leaves_dot_grad_alone(device):
    x = Tensor([1.0, 2.0], requires_grad=True, device=device)
    w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, device=device)
    loss = ((w @ x).tanh() ** 2).sum()
    gx, gw = autograd.grad(loss, [x, w])
    assert x.grad is None and w.grad is None
    torch = torch_or_skip()
    tx = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    tw = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64, requires_grad=True)
    ex, ew = torch.autograd.grad(((tw @ tx).tanh() ** 2).sum(), [tx, tw])
    assert_close(gx, ex.detach().numpy())
    assert_close(gw, ew.detach().numpy())
    single = autograd.grad((x * x).sum(), x)
    assert isinstance(single, tuple) and len(single) == 1


def test_grad_allow_unused(device):
    x = Tensor([1.0], requires_grad=True, device=device)
    unused = Tensor([2.0], requires_grad=True, device=device)
    y = (x * 3.0).sum()
    with pytest.raises(RuntimeError, match=r"inputs\[1\].*not used.*allow_unused=True"):
        autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = autograd.grad(y, [x, unused], allow_unused=True)
    assert_close(gx, [3.0])
    assert gu is None


def test_grad_outputs_for_non_scalar_outputs(device):
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    y = x * x
    with pytest.raises(RuntimeError, match=r"not a scalar.*gradient=|pass"):
        autograd.grad(y, x, retain_graph=True)
    v = Tensor([1.0, -1.0, 0.5], device=device)
    (g,) = autograd.grad(y, x, grad_outputs=v, retain_graph=True)
    assert_close(g, [2.0, -4.0, 3.0])
    # several outputs with one grad_output each; their contributions add
    z = x.sin()
    (g,) = autograd.grad([y, z], x, grad_outputs=[v, Tensor([1.0, 1.0, 1.0], device=device)])
    assert_close(g, np.array([2.0, -4.0, 3.0]) + np.cos([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="2 outputs but 1 grad_outputs"):
        autograd.grad([x * 2.0, x * 3.0], x, grad_outputs=[v])


def test_grad_with_respect_to_non_leaf_inputs(device):
    x = Tensor([0.5, -1.0], requires_grad=True, device=device)
    h = x * 2.0
    a = h.tanh()
    loss = (a * a).sum()
    gh, ga, gx = autograd.grad(loss, [h, a, x])
    t = np.tanh(np.array([1.0, -2.0]))
    assert_close(ga, 2 * t)
    assert_close(gh, 2 * t * (1 - t**2))
    assert_close(gx, 4 * t * (1 - t**2))
    assert x.grad is None


def test_grad_errors_are_clear(device):
    x = Tensor([1.0], requires_grad=True, device=device)
    const = Tensor([1.0], device=device)
    with pytest.raises(RuntimeError, match=r"inputs\[0\].*does not require grad"):
        autograd.grad((x * 2.0).sum(), const)
    with pytest.raises(TypeError, match=r"inputs\[0\] is a ndarray|inputs\[0\] is a"):
        autograd.grad((x * 2.0).sum(), np.ones(1))
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad(const * 2.0, x)


# ------------------------------------------------------------------------------- higher order


def _nth_derivative(f, x, n):
    """d^n f / dx^n at x by n nested autograd.grad calls with create_graph=True."""
    y = f(x)
    for _ in range(n):
        (y,) = autograd.grad(y.sum(), x, create_graph=True)
    return y


def test_fourth_derivative_of_tanh_closed_form(device):
    xs = np.linspace(-2.5, 2.5, 11)
    x = Tensor(xs, requires_grad=True, device=device)
    t = np.tanh(xs)
    closed = [t, 1 - t**2, -2 * t * (1 - t**2), (1 - t**2) * (6 * t**2 - 2), 8 * t * (1 - t**2) * (2 - 3 * t**2)]
    for n in range(5):
        assert_close(_nth_derivative(lambda v: v.tanh(), x, n), closed[n], rtol=0, atol=1e-10)


def test_fourth_derivative_of_sin_closed_form(device):
    xs = np.linspace(-4.0, 4.0, 13)
    x = Tensor(xs, requires_grad=True, device=device)
    closed = [np.sin(xs), np.cos(xs), -np.sin(xs), -np.cos(xs), np.sin(xs)]
    for n in range(5):
        assert_close(_nth_derivative(lambda v: v.sin(), x, n), closed[n], rtol=0, atol=1e-10)


def test_higher_derivatives_of_sigmoid_and_exp_match_torch(device):
    torch = torch_or_skip()
    xs = np.linspace(-3.0, 3.0, 7)
    for f, tf in (
        (lambda v: v.sigmoid() * v.exp(), lambda v: v.sigmoid() * v.exp()),
        (lambda v: (v * v + 1.0).log() / (v * v + 2.0), lambda v: (v * v + 1).log() / (v * v + 2)),
    ):
        x = Tensor(xs, requires_grad=True, device=device)
        t = torch.tensor(xs, requires_grad=True)
        y, ty = f(x), tf(t)
        for _ in range(3):
            (y,) = autograd.grad(y.sum(), x, create_graph=True)
            (ty,) = torch.autograd.grad(ty.sum(), t, create_graph=True)
            assert_close(y, ty.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_backward_with_create_graph_gives_a_differentiable_grad(device):
    x = Tensor([1.5, -0.5], requires_grad=True, device=device)
    (x.sin() * x**2).sum().backward(create_graph=True)
    g = x.grad  # 2 x sin x + x^2 cos x
    assert g.requires_grad and g.grad_fn is not None
    xs = np.array([1.5, -0.5])
    assert_close(g, 2 * xs * np.sin(xs) + xs**2 * np.cos(xs))
    x.grad = None
    g.sum().backward()
    assert_close(x.grad, 2 * np.sin(xs) + 4 * xs * np.cos(xs) - xs**2 * np.sin(xs), atol=1e-12)


def test_third_derivative_of_sin_x_squared_in_five_lines():
    # the newcomer example: f(x) = sin(x) x^2 to the third order
    x = Tensor(0.7, requires_grad=True)
    (d1,) = autograd.grad(x.sin() * x**2, x, create_graph=True)
    (d2,) = autograd.grad(d1, x, create_graph=True)
    (d3,) = autograd.grad(d2, x)
    v = 0.7
    expected = -(v**2) * math.cos(v) - 6 * v * math.sin(v) + 6 * math.cos(v)
    assert math.isclose(d3.item(), expected, rel_tol=1e-12)
    assert not d3.requires_grad  # create_graph=False on the last step records nothing


def _mlp_loss(theta, X, Y, sizes):
    """The mean squared error of a 2-3-1 tanh network whose weights are slices of theta."""
    (n_in, n_hid, n_out) = sizes
    i = 0
    W1 = theta[i : i + n_hid * n_in].reshape(n_hid, n_in)
    i += n_hid * n_in
    b1 = theta[i : i + n_hid]
    i += n_hid
    W2 = theta[i : i + n_out * n_hid].reshape(n_out, n_hid)
    i += n_out * n_hid
    b2 = theta[i : i + n_out]
    a1 = (X @ W1.T + b1).tanh()
    out = a1 @ W2.T + b2
    return ((out - Y) ** 2).mean()


def _mlp_problem(device):
    rng = np.random.default_rng(7)
    sizes = (2, 3, 1)
    n = sizes[1] * sizes[0] + sizes[1] + sizes[2] * sizes[1] + sizes[2]
    theta0 = rng.standard_normal(n) * 0.7
    X = Tensor(rng.standard_normal((6, 2)), device=device)
    Y = Tensor(rng.standard_normal((6, 1)), device=device)
    return theta0, X, Y, sizes


def _hessian(f, theta0, device):
    theta = Tensor(theta0, requires_grad=True, device=device)
    (g,) = autograd.grad(f(theta), theta, create_graph=True)
    rows = [autograd.grad(g[i], theta, retain_graph=True)[0].detach().numpy() for i in range(theta0.size)]
    return np.array(rows), g.detach().numpy()


def test_hessian_of_an_mlp_loss_against_finite_differences_of_its_gradient(device):
    theta0, X, Y, sizes = _mlp_problem(device)

    def f(t):
        return _mlp_loss(t, X, Y, sizes)

    H, _ = _hessian(f, theta0, device)

    def gradient(th):
        t = Tensor(th, requires_grad=True, device=device)
        return autograd.grad(f(t), t)[0].detach().numpy()

    eps = 1e-5
    H_fd = np.empty_like(H)
    for i in range(theta0.size):
        e = np.zeros_like(theta0)
        e[i] = eps
        H_fd[:, i] = (gradient(theta0 + e) - gradient(theta0 - e)) / (2 * eps)
    np.testing.assert_allclose(H, H_fd, atol=1e-7, rtol=1e-6)
    np.testing.assert_allclose(H, H.T, atol=1e-12)


def test_hessian_of_an_mlp_loss_against_torch(device):
    torch = torch_or_skip()
    theta0, X, Y, sizes = _mlp_problem(device)
    H, g = _hessian(lambda t: _mlp_loss(t, X, Y, sizes), theta0, device)
    tX, tY = torch.tensor(X.detach().numpy()), torch.tensor(Y.detach().numpy())

    def tf(t):
        W1 = t[:6].reshape(3, 2)
        b1, W2, b2 = t[6:9], t[9:12].reshape(1, 3), t[12:13]
        return (((tX @ W1.T + b1).tanh() @ W2.T + b2 - tY) ** 2).mean()

    np.testing.assert_allclose(
        H, torch.autograd.functional.hessian(tf, torch.tensor(theta0)).detach().numpy(), atol=1e-12
    )
    tt = torch.tensor(theta0, requires_grad=True)
    np.testing.assert_allclose(g, torch.autograd.grad(tf(tt), tt)[0].detach().numpy(), atol=1e-13)


GRADGRAD = {
    "tanh*x": (lambda x, y: x.tanh() * y, 2),
    "sigmoid": (lambda x, y: (x * y).sigmoid(), 2),
    "exp-log": (lambda x, y: x.exp() * (y * y + 1.0).log(), 2),
    "div-pow": (lambda x, y: x / (y * y + 1.0) + x**3, 2),
    "matmul-softmax": (lambda x, y: (x @ y.T).softmax(-1), 2),
    "log_softmax-logsumexp": (lambda x, y: (x * y).log_softmax(0) + (x - y).logsumexp(axis=1, keepdims=True), 2),
    "sqrt-abs": (lambda x, y: (x * x + y * y).sqrt() + (x + 3.0).abs(), 2),
    "sin-cos-maximum": (lambda x, y: tg.maximum(x.sin(), y.cos() + 2.0), 2),
    "var-std": (lambda x, y: x.var(axis=1) + (x + y).std(), 2),
    "index-where": (lambda x, y: tg.where(x > 0.0, x * x, y)[[0, 1, 1]], 2),
    "stack-concat-pad": (lambda x, y: tg.stack([x, y * x]).pad(1) ** 2, 2),
    "elu-softplus-gelu": (lambda x, y: (x - 3.0).elu() * y.softplus() + x.gelu(), 2),
}


@pytest.mark.parametrize("name", list(GRADGRAD))
def test_gradgradcheck(name, device):
    fn, _ = GRADGRAD[name]
    rng = np.random.default_rng(8)
    x = Tensor(rng.uniform(-1, 1, (2, 3)), requires_grad=True, device=device)
    y = Tensor(rng.uniform(-1, 1, (2, 3)), requires_grad=True, device=device)
    assert tg.gradcheck(fn, [x, y])
    assert tg.gradgradcheck(fn, [x, y])


# ------------------------------------------------------------------------------- deep graphs and memory


def test_a_200000_op_chain_backpropagates_without_recursion():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(100_000):  # 200,000 ops: negate, add one
        y = -y
        y = y + 1.0
    loss = y.sum()
    loss.backward(retain_graph=True)
    assert_close(x.grad, [1.0, 1.0])  # an even number of negations
    assert_close(y, [1.0, 2.0])
    (g,) = autograd.grad(loss, x)
    assert_close(g, [1.0, 1.0])
    del loss, y  # tearing down a deep retained graph must not overflow the stack either
    gc.collect()


def test_intermediates_are_released_after_backward(device):
    gc.collect()
    gc.disable()  # released by reference counting alone: the graph holds no cycles
    try:
        x = Tensor(np.linspace(-1, 1, 1000), requires_grad=True, device=device)
        h1 = x * 2.0
        h2 = h1.tanh()
        h3 = h2 * x
        loss = h3.sum()
        refs = [weakref.ref(t) for t in (h1, h2, h3)]
        nodes = [weakref.ref(t.grad_fn) for t in (h1, h2, h3)]
        del h1, h2, h3
        assert all(r() is not None for r in refs), "the graph keeps its intermediates until backward"
        loss.backward()
        assert all(r() is None for r in refs), "intermediate tensors outlived backward()"
        assert loss.grad_fn is not None and loss.grad_fn.inputs is None
        del loss
        assert all(r() is None for r in nodes), "graph nodes outlived their outputs"
        assert x.grad is not None
    finally:
        gc.enable()


def test_retain_graph_keeps_intermediates_until_the_output_goes(device):
    gc.collect()
    gc.disable()
    try:
        x = Tensor(np.ones(10), requires_grad=True, device=device)
        h = x.exp()
        loss = (h * h).sum()
        ref = weakref.ref(h)
        del h
        loss.backward(retain_graph=True)
        assert ref() is not None
        del loss
        assert ref() is None
    finally:
        gc.enable()


def test_memory_falls_after_backward():
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        x = Tensor(np.ones(100_000), requires_grad=True)
        y = x
        for _ in range(20):
            y = (y * 1.0001).sin()
        loss = y.sum()
        del y
        with_graph = tracemalloc.get_traced_memory()[0]
        loss.backward()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # 40 saved arrays of 800 kB were held; after backward only x, x.grad and a few remain
    assert with_graph > 30 * 800_000
    assert after < 6 * 800_000, f"{after / 1e6:.1f} MB still held after backward"


# ------------------------------------------------------------------------------- in-place safety


def test_in_place_change_of_a_saved_input_is_caught(device):
    x = Tensor([1.0, 2.0], requires_grad=True, device=device)
    h = x * 1.0
    y = (h * h).sum()
    with tg.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_in_place_on_a_leaf_that_requires_grad_is_refused_while_recording(device):
    x = Tensor([1.0, 2.0], requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="add_.*in place.*no_grad"):
        x.add_(1.0)
    with tg.no_grad():
        x.add_(1.0)  # the optimizer's update
    assert_close(x, [2.0, 3.0])


# ------------------------------------------------------------------------------- gradcheck


class _BadSquare(Function):
    """y = x^2 with a deliberately wrong derivative, x instead of 2x."""

    def forward(self, x):
        return x * x

    def backward(self, g):
        return g * self.inputs[0]


def test_gradcheck_failure_names_input_worst_element_and_both_values(device):
    xs = np.array([[0.5, -1.0, 0.25], [3.0, 1.0, -2.0]])
    good = Tensor(np.ones(2), requires_grad=True, device=device)
    x = Tensor(xs, requires_grad=True, device=device)
    with pytest.raises(GradcheckError) as info:
        tg.gradcheck(lambda a, b: _BadSquare.apply(b) + a.sum(), [good, x])
    msg = str(info.value)
    assert "input 0 (2,): ok" in msg
    assert "input 1 (2, 3): MISMATCH" in msg
    assert "worst element (1, 0)" in msg
    assert "analytic 3" in msg and "numerical 6" in msg
    assert "abs error 3" in msg and "rel error 0.5" in msg
    report = tg.gradcheck_report(lambda a: _BadSquare.apply(a), [x])
    assert not report.passed
    (r,) = report.inputs
    assert r.worst_element == (1, 0) and r.worst_output == 3
    assert math.isclose(r.analytic, 3.0) and math.isclose(r.numerical, 6.0, rel_tol=1e-8)
    assert not tg.gradcheck(lambda a: _BadSquare.apply(a), [x], raise_exception=False)


def test_gradgradcheck_catches_a_wrong_second_derivative(device):
    class FirstOrderOnly(Function):
        """y = x^3 whose derivative 3x^2 is right in value but made of a constant: wrong 2nd order."""

        def forward(self, x):
            return x**3

        def backward(self, g):
            return g * self.const(3.0 * self.inputs[0].data ** 2)

    x = Tensor([0.5, -1.5], requires_grad=True, device=device)
    assert tg.gradcheck(lambda a: FirstOrderOnly.apply(a), [x])
    with pytest.raises(GradcheckError, match="MISMATCH"):
        tg.gradgradcheck(lambda a: FirstOrderOnly.apply(a), [x])


def test_gradcheck_input_checks(device):
    with pytest.raises(ValueError, match="no input requires grad"):
        tg.gradcheck(lambda a: a * 2.0, [Tensor([1.0], device=device)])
    x32 = Tensor(np.ones(2, np.float32), requires_grad=True, device=device)
    with pytest.raises(TypeError, match="float64"):
        tg.gradcheck(lambda a: a * 2.0, [x32])


def test_a_rule_returning_a_gradient_of_the_wrong_shape_is_named(device):
    class AddForgetsToSum(Function):
        def forward(self, x, y):
            return x + y

        def backward(self, g):
            return g, g  # should sum over the broadcast axis for y

    x = Tensor(np.ones((4, 3)), requires_grad=True, device=device)
    b = Tensor(np.zeros(3), requires_grad=True, device=device)
    message = r"AddForgetsToSum.backward returned a gradient of shape \(4, 3\) for input 1"
    with pytest.raises(RuntimeError, match=message):
        AddForgetsToSum.apply(x, b).sum().backward()
    assert b.grad is None


def test_gradcheck_report_of_a_pass_names_the_closest_call_not_a_zero_entry(device):
    # the Jacobian of x**3 is diagonal: its zero entries must not be reported as the worst element
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True, device=device)
    report = tg.gradcheck_report(lambda a: a**3, [x])
    (r,) = report.inputs
    assert report.passed
    assert r.worst_output == r.worst_element[0]
    assert r.analytic == pytest.approx(3 * x.detach().numpy()[r.worst_element[0]] ** 2)
