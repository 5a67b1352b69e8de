"""PyTorch's conventions at the edges, checked against PyTorch 2.13 in float64: exact kinks (relu,
abs, leaky_relu and elu at 0, clip at its bounds, ties of max/min and maximum/minimum, also with
a number), NaN inputs (a NaN in one element never makes the gradients of the finite ones NaN),
zero spread in ``std``/``var``, and second derivatives through piecewise-linear ops, which are
zeros (the first derivative carries the graph, as PyTorch's ``threshold_backward`` does).

The other op tests draw their inputs away from kinks; these tests sit exactly on them.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import Tensor, autograd, nn, physics

nan = float("nan")


def _torch():
    return pytest.importorskip("torch", reason="PyTorch 2.13 is the oracle of these tests; pip install torch")


def _tf(torch, name):
    return getattr(torch.nn.functional, name)


# name: (engine f(x), torch f(torch, x), the input, exactly on the kinks and with NaN)
KINKS = {
    "relu": (lambda x: x.relu(), lambda t, x: x.relu(), [-1.0, 0.0, nan, 2.0, -0.0]),
    "abs": (lambda x: x.abs(), lambda t, x: x.abs(), [-1.0, 0.0, nan, 2.0, -0.0]),
    "leaky_relu": (lambda x: x.leaky_relu(0.1), lambda t, x: _tf(t, "leaky_relu")(x, 0.1), [-1.0, 0.0, nan, 2.0]),
    "leaky_relu_steep": (lambda x: x.leaky_relu(2.5), lambda t, x: _tf(t, "leaky_relu")(x, 2.5), [-1.0, 0.0, nan, 2.0]),
    "elu": (lambda x: x.elu(0.7), lambda t, x: _tf(t, "elu")(x, 0.7), [-1.0, 0.0, nan, 2.0]),
    "clip": (lambda x: x.clip(-1.0, 1.0), lambda t, x: x.clamp(-1.0, 1.0), [-1.0, 1.0, 0.0, nan, 2.0, -2.0]),
    "clip_low": (lambda x: x.clip(min=-1.0), lambda t, x: x.clamp(min=-1.0), [-1.0, 1.0, nan, -2.0]),
    "clip_high": (lambda x: x.clip(max=1.0), lambda t, x: x.clamp(max=1.0), [-1.0, 1.0, nan, 2.0]),
    "clip_equal_bounds": (lambda x: x.clip(0.5, 0.5), lambda t, x: x.clamp(0.5, 0.5), [0.5, 0.0, 1.0]),
    "maximum_scalar": (
        lambda x: x.maximum(1.0),
        lambda t, x: t.maximum(x, t.tensor(1.0, dtype=t.float64)),
        [1.0, 0.0, 2.0, nan],
    ),
    "minimum_scalar": (
        lambda x: tg.minimum(x, 1.0),
        lambda t, x: t.minimum(x, t.tensor(1.0, dtype=t.float64)),
        [1.0, 0.0, 2.0, nan],
    ),
    "maximum_self": (lambda x: x.maximum(x), lambda t, x: t.maximum(x, x), [1.0, -2.0, nan]),
    "minimum_self": (lambda x: x.minimum(x * 1.0), lambda t, x: t.minimum(x, x * 1.0), [1.0, -2.0, nan]),
    "max_all_tie": (lambda x: x.max(), lambda t, x: x.max(), [3.0, 1.0, 3.0, 3.0]),
    "max_all_nan": (lambda x: x.max(), lambda t, x: x.max(), [1.0, nan, 3.0]),
    "max_all_two_nans": (lambda x: x.max(), lambda t, x: x.max(), [nan, 1.0, nan]),
    "min_all_tie": (lambda x: x.min(), lambda t, x: x.min(), [-3.0, 1.0, -3.0]),
    "min_all_nan": (lambda x: x.min(), lambda t, x: x.min(), [1.0, nan, -3.0]),
    "max_axis_tie": (
        lambda x: x.max(axis=1),
        lambda t, x: x.amax(dim=1),
        [[3.0, 1.0, 3.0], [2.0, 2.0, 2.0], [0.0, 1.0, -1.0]],
    ),
    "min_axis_tie_keepdims": (
        lambda x: x.min(axis=0, keepdims=True),
        lambda t, x: x.amin(dim=0, keepdim=True),
        [[3.0, 1.0, -3.0], [3.0, 2.0, -3.0]],
    ),
    # one NaN per row: PyTorch's max(dim) sends the gradient to it (its amax would give the whole row NaN)
    "max_axis_nan": (
        lambda x: x.max(axis=1),
        lambda t, x: x.max(dim=1).values,
        [[1.0, nan, 3.0], [1.0, 2.0, 3.0]],
    ),
    "min_axis_nan": (
        lambda x: x.min(dim=0),
        lambda t, x: x.min(dim=0).values,
        [[1.0, nan, 3.0], [2.0, 0.0, 4.0]],
    ),
    "softplus_at_threshold": (
        lambda x: x.softplus(threshold=1.0) + x.softplus(beta=2.0, threshold=1.0),
        lambda t, x: _tf(t, "softplus")(x, threshold=1.0) + _tf(t, "softplus")(x, beta=2.0, threshold=1.0),
        [1.0, 0.5, 2.0, nan],
    ),
    "pow_zero_base": (
        lambda x: x ** Tensor([-1.5, 0.0, 2.0, -1.0, 0.0]),
        lambda t, x: x ** t.tensor([-1.5, 0.0, 2.0, -1.0, 0.0], dtype=t.float64),
        [0.0, 0.0, 0.0, 2.0, 3.0],
    ),
    "pow_exponent_at_zero_base": (
        lambda x: Tensor([0.0, 0.0, 0.0, 2.0, 3.0]) ** x,
        lambda t, x: t.tensor([0.0, 0.0, 0.0, 2.0, 3.0], dtype=t.float64) ** x,
        [-1.5, 0.0, 2.0, -1.0, 0.0],
    ),
    "std_equal": (lambda x: x.std(), lambda t, x: x.std(correction=0), [1.5, 1.5, 1.5]),
    "std_equal_ddof1": (lambda x: x.std(ddof=1), lambda t, x: x.std(), [1.5, 1.5, 1.5]),
    "std_one_element": (lambda x: x.std(), lambda t, x: x.std(correction=0), [2.0]),
    "std_rows": (
        lambda x: x.std(axis=1, keepdims=True, ddof=1),
        lambda t, x: x.std(dim=1, keepdim=True),
        [[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]],
    ),
    "var_equal": (lambda x: x.var(axis=0), lambda t, x: x.var(dim=0, correction=0), [[1.0, 2.0], [1.0, 3.0]]),
    # a mask of 0 meets an infinite gradient: PyTorch's rules select, so 0 rather than inf * 0 = NaN
    "log_relu": (lambda x: x.relu().log(), lambda t, x: x.relu().log(), [-1.0, 2.0, 0.5]),
    "log_clip": (lambda x: x.clip(0.0, 1.0).log(), lambda t, x: x.clamp(0.0, 1.0).log(), [-1.0, 0.5, 2.0]),
    "log_where": (
        lambda x: tg.where(x.detach() > 0, x, 0.0).log(),
        lambda t, x: t.where(x > 0, x, t.tensor(0.0, dtype=t.float64)).log(),
        [-1.0, 0.5],
    ),
    "log_where_other": (
        lambda x: tg.where(x.detach() <= 0, 0.0, x).log(),
        lambda t, x: t.where(x <= 0, t.tensor(0.0, dtype=t.float64), x).log(),
        [-1.0, 0.5],
    ),
    "log_maximum": (
        lambda x: x.maximum(0.0).log(),
        lambda t, x: t.maximum(x, t.tensor(0.0, dtype=t.float64)).log(),
        [-1.0, 0.5],
    ),
    "log_max_rows": (
        lambda x: (x - x.max(axis=1, keepdims=True).detach()).max(axis=1).log(),
        lambda t, x: (x - x.amax(dim=1, keepdim=True).detach()).max(dim=1).values.log(),  # no tie: max(dim)
        [[1.0, 2.0], [0.5, -1.0]],
    ),
}


def _weights(shape):
    return np.random.default_rng(7).uniform(0.5, 1.5, shape)  # distinct positive weights: no cancellation


def _engine_grad(f, x):
    xt = Tensor(np.array(x, dtype=np.float64), requires_grad=True)
    with np.errstate(all="ignore"):
        y = f(xt)
        loss = (y * Tensor(_weights(y.shape))).sum()
        (g,) = autograd.grad(loss, xt)
    return y.detach().numpy(), g.detach().numpy()


def _torch_grad(torch, f, x):
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = f(torch, xt)
    loss = (y * torch.from_numpy(_weights(tuple(y.shape)))).sum()
    (g,) = torch.autograd.grad(loss, xt)
    return y.detach().numpy(), g.detach().numpy()


@pytest.mark.parametrize("name", sorted(KINKS))
def test_kinks_and_nan_follow_pytorch(name):
    """Value and gradient exactly at the kinks, ties, NaN and zero spread: as PyTorch, bit for bit
    up to rounding (NaN where PyTorch has NaN and nowhere else)."""
    torch = _torch()
    f, tf, x = KINKS[name]
    value, grad = _engine_grad(f, x)
    t_value, t_grad = _torch_grad(torch, tf, x)
    np.testing.assert_allclose(value, t_value, rtol=1e-14, atol=0, err_msg=f"{name}: value")
    np.testing.assert_allclose(grad, t_grad, rtol=1e-14, atol=1e-300, err_msg=f"{name}: gradient")


@pytest.mark.parametrize("create_graph", [False, True])
def test_relu_gives_zero_where_x_is_not_positive_whatever_the_upstream_gradient(create_graph):
    """relu's rule where x <= 0 is 0 even for an infinite or NaN upstream gradient, and g where
    x > 0 or x is NaN, as PyTorch's (whose zeros are +0 where ours are -0 for a negative g)."""
    torch = _torch()
    x = np.array([-1.0, 0.0, -0.0, 2.0, nan, -2.0, -3.0])
    g = np.array([-3.0, np.inf, nan, -3.0, -3.0, -np.inf, 5.0])
    t = Tensor(x.copy(), requires_grad=True)
    (ours,) = autograd.grad(t.relu(), [t], grad_outputs=[Tensor(g)], create_graph=create_graph)
    xt = torch.tensor(x, requires_grad=True)
    (theirs,) = torch.autograd.grad(torch.relu(xt), [xt], grad_outputs=[torch.tensor(g)])
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.numpy())


def test_a_nan_leaves_the_other_gradients_finite():
    """A NaN in one element changes its own gradient only, through every piecewise op and reduction."""
    x = np.array([[0.5, nan, -1.25], [2.0, -0.5, 1.0]])
    for name, f in {
        "relu": lambda t: t.relu(),
        "abs": lambda t: t.abs(),
        "leaky_relu": lambda t: t.leaky_relu(0.2),
        "elu": lambda t: t.elu(),
        "clip": lambda t: t.clip(-1.0, 1.0),
        "maximum": lambda t: t.maximum(Tensor(np.full(3, 0.25))),
        "max": lambda t: t.max(),
        "max_axis": lambda t: t.max(axis=1),
        "min_axis0": lambda t: t.min(axis=0),
    }.items():
        _, g = _engine_grad(f, x)
        finite = np.isfinite(x)
        assert np.isfinite(g[finite]).all(), f"{name}: a NaN input made other gradients {g}"


# --------------------------------------------------------------------------------- second derivatives

# piecewise-linear ops (and ops with a piecewise-constant part): f(x) with x of shape (2, 3)
PIECEWISE = {
    "relu": lambda x: x.relu(),
    "leaky_relu": lambda x: x.leaky_relu(0.1),
    "abs": lambda x: x.abs(),
    "clip": lambda x: x.clip(-0.5, 0.5),
    "clip_low": lambda x: x.clip(min=0.0),
    "maximum": lambda x: x.maximum(Tensor(np.full(3, 0.1))),
    "minimum": lambda x: tg.minimum(0.1, x),
    "maximum_two_inputs": lambda x: x.maximum(x * -1.0),
    "max": lambda x: x.max(),
    "max_axis": lambda x: x.max(axis=0),
    "min_axis": lambda x: x.min(axis=1, keepdims=True),
    "max_pool2d": lambda x: F.max_pool2d(x.reshape(1, 1, 2, 3), (2, 2), stride=1),
    "relu_then_max": lambda x: x.relu().max(axis=1),
    "l1_loss": lambda x: F.l1_loss(x, Tensor(np.zeros((2, 3)))),
    "fmax": lambda x: x.fmax(Tensor(np.full(3, 0.1))),
    "fmin": lambda x: Tensor(np.full(3, 0.1)).fmin(x),
    "nan_to_num": lambda x: (x + Tensor(np.array([[0.0, np.inf, 0.0], [-np.inf, 0.0, 0.0]]))).nan_to_num(
        posinf=5.0, neginf=-5.0
    ),
}

_X = np.array([[0.5, -1.25, 0.75], [-0.3, 2.0, 0.0]])


@pytest.mark.parametrize("name", sorted(PIECEWISE))
def test_second_derivative_through_piecewise_linear_ops_is_zero(name):
    """grad(grad(f)) is zeros, not the error "does not require grad": the first derivative, taken
    with create_graph=True, depends on x (as PyTorch's threshold_backward takes x)."""
    x = Tensor(_X.copy(), requires_grad=True)
    y = PIECEWISE[name](x)
    (g,) = autograd.grad((y * Tensor(_weights(y.shape))).sum(), x, create_graph=True)
    assert g.requires_grad, f"{name}: the first derivative does not carry the graph"
    (h,) = autograd.grad((g * Tensor(_weights(g.shape))).sum(), x)
    np.testing.assert_array_equal(h.detach().numpy(), np.zeros_like(_X))
    (plain,) = autograd.grad((PIECEWISE[name](x) * Tensor(_weights(y.shape))).sum(), x)
    np.testing.assert_array_equal(g.detach().numpy(), plain.detach().numpy())  # the same value either way


def test_second_derivatives_through_kinks_match_pytorch():
    """Where PyTorch's first derivative carries the graph, the second derivative (exactly on the
    kinks and at NaN too) is PyTorch's: 0 for relu/abs/leaky_relu, alpha e^x left of 0 for elu."""
    torch = _torch()
    x = [-1.0, 0.0, nan, 2.0]
    for name, f, tf in [
        ("relu", lambda t: t.relu(), lambda t: t.relu()),
        ("abs", lambda t: t.abs(), lambda t: t.abs()),
        ("leaky_relu", lambda t: t.leaky_relu(0.1), lambda t: torch.nn.functional.leaky_relu(t, 0.1)),
        ("elu", lambda t: t.elu(0.7), lambda t: torch.nn.functional.elu(t, 0.7)),
        ("std", lambda t: (t * 0.0 + 1.0).std(), lambda t: (t * 0.0 + 1.0).std(correction=0)),
    ]:
        xe = Tensor(np.array(x), requires_grad=True)
        (g,) = autograd.grad(f(xe).sum(), xe, create_graph=True)
        (h,) = autograd.grad(g.sum(), xe)
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        (tg_,) = torch.autograd.grad(tf(xt).sum(), xt, create_graph=True)
        (th,) = torch.autograd.grad(tg_.sum(), xt)
        np.testing.assert_allclose(g.detach().numpy(), tg_.detach().numpy(), rtol=1e-14, err_msg=name)
        np.testing.assert_allclose(
            h.detach().numpy(), th.numpy(force=True), rtol=1e-14, err_msg=name
        )  # force: lazy zeros


def test_laplacian_of_a_relu_network_is_zero():
    """The physics student's case: the Laplacian of a ReLU (or max-pooled) network, by hand with
    autograd.grad and by physics.laplacian, is 0 everywhere."""
    tg.manual_seed(3)
    net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.LeakyReLU(0.05), nn.Linear(16, 1))
    x = Tensor(np.random.default_rng(1).standard_normal((7, 2)), requires_grad=True)
    u = net(x)
    (g,) = autograd.grad(u.sum(), x, create_graph=True)
    lap = 0.0
    for i in range(2):
        (h,) = autograd.grad(g[:, i].sum(), x, retain_graph=True)
        lap = lap + h.detach().numpy()[:, i]
    np.testing.assert_array_equal(lap, np.zeros(7))
    np.testing.assert_array_equal(physics.laplacian(net(x), x).detach().numpy(), np.zeros(7))


def test_third_derivative_through_relu_keeps_working():
    """The second derivative of x^3 relu(x) is 6 x relu'(x) and carries the graph again: the third
    derivative is 6 relu'(x) (the rule's own rule passes x along)."""
    x = Tensor(np.array([-1.5, 0.5, 2.0]), requires_grad=True)
    d = x**3 * 1.0
    d = d.relu()
    for _ in range(3):
        (d,) = autograd.grad(d.sum(), x, create_graph=True)
    np.testing.assert_allclose(d.detach().numpy(), [0.0, 6.0, 6.0], rtol=1e-14)


# ----------------------------------------------------------------------------------------- pins


def test_clip_passes_the_gradient_at_exactly_its_bounds():
    """PyTorch's clamp: low <= x <= high passes the gradient, bounds included."""
    x = Tensor([-1.0, -0.5, 1.0, 1.5, -2.0], requires_grad=True)
    (x.clip(-1.0, 1.0) * Tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0, 0.0, 0.0])
    x = Tensor([0.0, -1e-300], requires_grad=True)
    x.clip(min=0.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0])


def test_maximum_and_minimum_split_ties_with_a_number():
    """A tie with a number gives half the gradient to the tensor, as PyTorch's maximum with a
    0-d tensor; a tie between two tensors gives half to each."""
    x = Tensor([0.0, 1.0, -1.0], requires_grad=True)
    (x.maximum(0.0) + tg.minimum(x, 1.0) * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5 + 2.0, 1.0 + 1.0, 0.0 + 2.0])
    a, b = Tensor([2.0, 3.0], requires_grad=True), Tensor([2.0, 1.0], requires_grad=True)
    (tg.maximum(a, b) * Tensor([4.0, 8.0])).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 8.0])
    np.testing.assert_array_equal(b.grad.numpy(), [2.0, 0.0])


def test_std_of_equal_values_has_zero_gradient():
    """std at zero spread is 0 with gradient 0 (PyTorch), not NaN; the rows that do spread keep
    the usual gradient (x - mean) / (n s)."""
    x = Tensor([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]], requires_grad=True)
    x.std(axis=1).sum().backward()
    s = np.std([1.0, 2.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.0, 0.0], [-1 / (3 * s), 0.0, 1 / (3 * s)]], rtol=1e-14)
    one = Tensor([4.0], requires_grad=True)
    one.std().backward()
    assert one.grad.numpy().tolist() == [0.0]


def test_norm_at_zero_has_zero_gradient_as_pytorch():
    """The 2-norm of the zero vector (zero spread's twin): gradient 0 as torch.linalg.vector_norm's."""
    torch = _torch()
    import tinygrad_edu.numpy as tnp

    for value in ([0.0, 0.0, 0.0], [[0.0, 0.0], [3.0, 4.0]]):
        x = Tensor(np.array(value), requires_grad=True)
        axis = None if x.ndim == 1 else 1
        (tnp.linalg.norm(x, axis=axis) * 1.5).sum().backward()
        xt = torch.tensor(value, dtype=torch.float64, requires_grad=True)
        (torch.linalg.vector_norm(xt, dim=axis) * 1.5).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-14, atol=0)


def test_the_rule_of_the_slope_rule_keeps_x():
    """The mixed derivative d/dw <d/dx sum(relu(x) w), v> = [x > 0] v is made by the slope rule's own
    rule; it still depends on x, so one more derivative in x is zeros (not "does not require grad")."""
    x = Tensor(np.array([-1.0, 0.5, 2.0]), requires_grad=True)
    w = Tensor(np.array([0.3, -0.7, 1.1]), requires_grad=True)
    for f in (lambda t: t.relu(), lambda t: t.abs(), lambda t: t.clip(-1.0, 1.0), lambda t: t.maximum(0.25)):
        (gx,) = autograd.grad((f(x) * w).sum(), x, create_graph=True)
        (gw,) = autograd.grad((gx * Tensor([1.0, 2.0, 3.0])).sum(), w, create_graph=True)
        assert gw.requires_grad
        (h,) = autograd.grad(gw.sum(), x)
        np.testing.assert_array_equal(h.numpy(), np.zeros(3))
