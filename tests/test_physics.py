"""Input derivatives, collocation points, trial solutions and curvature (tinygrad_edu.physics),
and small versions of the differential-equation examples.

Derivatives are checked against closed forms, against central finite differences in float64
and, where PyTorch is installed, against torch.autograd.grad(create_graph=True).
"""

from __future__ import annotations

import importlib.util
import math
import pathlib
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, backend, func, physics

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def to_numpy(x):
    return x.detach().numpy() if isinstance(x, Tensor) else backend.to_numpy(x)


def load_example(name: str):
    """Import examples/<name>.py as a module (examples are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class MLP:
    """A small tanh network on plain tensors: the derivative tests need no tinygrad_edu.nn."""

    def __init__(self, sizes, device="cpu", seed=0):
        rng = np.random.default_rng(seed)
        self.params = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            self.params.append(Tensor(rng.normal(0, 1 / math.sqrt(a), (a, b)), requires_grad=True, device=device))
            self.params.append(Tensor(rng.normal(0, 0.1, (b,)), requires_grad=True, device=device))

    def __call__(self, x):
        for i in range(0, len(self.params), 2):
            x = x @ self.params[i] + self.params[i + 1]
            if i < len(self.params) - 2:
                x = x.tanh()
        return x

    def parameters(self):
        return self.params

    def numpy_forward(self, x):
        ps = [to_numpy(p) for p in self.params]
        for i in range(0, len(ps), 2):
            x = x @ ps[i] + ps[i + 1]
            if i < len(ps) - 2:
                x = np.tanh(x)
        return x


def points(n, d, device, seed=0):
    rng = np.random.default_rng(seed)
    return Tensor(rng.uniform(-1, 1, (n, d)), requires_grad=True, device=device)


# ============================================================================ input derivatives


def test_input_grad_closed_form(device):
    x = points(7, 3, device)
    u = x.sin().sum(axis=1) * x[:, 0]  # u = x0 sum_i sin x_i
    g = to_numpy(physics.input_grad(u, x))
    xn = to_numpy(x)
    expected = xn[:, :1] * np.cos(xn)
    expected[:, 0] += np.sin(xn).sum(axis=1)
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-12)


def test_input_grad_column_and_vector_shapes(device):
    x = points(5, 1, device)
    g_col = physics.input_grad((x**3).reshape(5, 1), x)
    g_vec = physics.input_grad((x**3).reshape(5), x)
    assert g_col.shape == (5, 1) and g_vec.shape == (5, 1)
    np.testing.assert_allclose(to_numpy(g_col), 3 * to_numpy(x) ** 2, rtol=1e-13)
    t = Tensor(np.linspace(0, 1, 4), requires_grad=True, device=device)  # x of shape (n,)
    np.testing.assert_allclose(to_numpy(physics.input_grad(t.exp(), t)), np.exp(np.linspace(0, 1, 4)), rtol=1e-13)


def test_input_grad_is_differentiable_again(device):
    x = points(6, 2, device)
    u = (x[:, 0] ** 3) * x[:, 1]
    g = physics.input_grad(u, x)
    gxx = to_numpy(physics.input_grad(g[:, 0], x))
    xn = to_numpy(x)
    np.testing.assert_allclose(gxx[:, 0], 6 * xn[:, 0] * xn[:, 1], rtol=1e-12)
    np.testing.assert_allclose(gxx[:, 1], 3 * xn[:, 0] ** 2, rtol=1e-12)
    # Without create_graph the result is a constant.
    assert not physics.input_grad(u, x, create_graph=False).requires_grad


def test_input_grad_of_constant_and_linear_fields_is_zero(device):
    x = points(4, 2, device)
    u = x @ Tensor([[2.0], [-1.0]], device=device)
    g = physics.input_grad(u, x)
    np.testing.assert_allclose(to_numpy(g), np.tile([2.0, -1.0], (4, 1)))
    np.testing.assert_array_equal(to_numpy(physics.laplacian(u, x)), np.zeros(4))
    y = Tensor(np.ones((4, 2)), requires_grad=True, device=device)
    np.testing.assert_array_equal(to_numpy(physics.input_grad(u, y)), np.zeros((4, 2)))


def test_input_grad_errors(device):
    x = points(4, 2, device)
    with pytest.raises(ValueError, match=r"input_grad: u must hold one scalar per point.*\(4, 2\)"):
        physics.input_grad(x * 2.0, x)
    with pytest.raises(RuntimeError, match="does not require grad"):
        physics.input_grad(x.sum(axis=1), Tensor(np.ones((4, 2)), device=device))
    with pytest.raises(ValueError, match=r"shape \(n,\) or \(n, d\)"):
        physics.input_grad(x.sum(axis=1), Tensor(np.ones((4, 2, 1)), requires_grad=True))
    with pytest.raises(TypeError, match="must be a Tensor"):
        physics.input_grad(np.ones(4), x)


def test_laplacian_of_sum_of_sines(device):
    x = points(9, 3, device)
    u = x.sin().sum(axis=1)
    np.testing.assert_allclose(to_numpy(physics.laplacian(u, x)), -to_numpy(u), rtol=1e-12, atol=1e-14)
    # A harmonic function: u = x0^2 - x1^2 + x0 x2 has zero Laplacian.
    h = x[:, 0] ** 2 - x[:, 1] ** 2 + x[:, 0] * x[:, 2]
    np.testing.assert_allclose(to_numpy(physics.laplacian(h, x)), np.zeros(9), atol=1e-13)


def test_divergence_and_jacobian_of_known_field(device):
    x = points(8, 2, device)
    x0, x1 = x[:, 0], x[:, 1]
    F = tg.stack([x0 * x1, x0.exp(), x1**3], axis=1)  # R^2 -> R^3
    J = to_numpy(physics.pointwise_jacobian(F, x))
    a, b = to_numpy(x0), to_numpy(x1)
    expected = np.stack([np.stack([b, a], 1), np.stack([np.exp(a), 0 * a], 1), np.stack([0 * a, 3 * b**2], 1)], axis=1)
    assert J.shape == (8, 3, 2)
    np.testing.assert_allclose(J, expected, rtol=1e-12, atol=1e-14)
    G = tg.stack([x0 * x1, x1.sin() * x0], axis=1)  # div = x1 + x0 cos x1
    np.testing.assert_allclose(to_numpy(physics.divergence(G, x)), b + a * np.cos(b), rtol=1e-12)
    with pytest.raises(ValueError, match="divergence: F has 3 components but x has 2"):
        physics.divergence(F, x)


def _fd_input_hessian(f, xn, eps=1e-4):
    """Central differences of the per-point gradient, computed with the network's NumPy twin."""
    n, d = xn.shape
    H = np.zeros((n, d, d))
    for i in range(d):
        for j in range(d):
            ei, ej = np.eye(d)[i] * eps, np.eye(d)[j] * eps
            H[:, i, j] = (f(xn + ei + ej) - f(xn + ei - ej) - f(xn - ei + ej) + f(xn - ei - ej)).ravel() / (4 * eps**2)
    return H


def test_hessian_of_network_against_finite_differences(device):
    net = MLP([3, 8, 8, 1], device=device)
    x = points(5, 3, device)
    u = net(x)
    H = to_numpy(physics.pointwise_hessian(u, x))
    H_fd = _fd_input_hessian(net.numpy_forward, to_numpy(x))
    assert H.shape == (5, 3, 3)
    np.testing.assert_allclose(H, H_fd, atol=1e-6)
    np.testing.assert_allclose(H, H.transpose(0, 2, 1), atol=1e-13)
    diag = to_numpy(physics.pointwise_hessian_diag(u, x))
    np.testing.assert_allclose(diag, np.diagonal(H, axis1=1, axis2=2), atol=1e-13)
    np.testing.assert_allclose(to_numpy(physics.laplacian(u, x)), diag.sum(axis=1), atol=1e-13)


def test_batched_results_equal_point_by_point(device):
    """The sum trick gives each point's own derivatives: compare with one point at a time."""
    net = MLP([2, 6, 1], device=device, seed=3)
    xn = np.random.default_rng(1).uniform(-1, 1, (4, 2))
    x = Tensor(xn, requires_grad=True, device=device)
    batched = to_numpy(physics.pointwise_hessian(net(x), x))
    for p in range(4):
        xp_ = Tensor(xn[p : p + 1], requires_grad=True, device=device)
        np.testing.assert_allclose(batched[p], to_numpy(physics.pointwise_hessian(net(xp_), xp_))[0], atol=1e-13)


def test_residual_gradient_with_respect_to_weights_against_finite_differences(device):
    """d/dW of a loss built from u_xx: the second input derivative is differentiable in the weights."""
    net = MLP([1, 5, 1], device=device, seed=2)
    x = Tensor(np.linspace(0.1, 0.9, 6).reshape(6, 1), requires_grad=True, device=device)

    def loss():
        u = net(x)
        return ((physics.laplacian(u, x) + 1.0) ** 2).mean()

    W = net.params[0]
    (g,) = tg.autograd.grad(loss(), W)
    fd = np.zeros(W.shape)
    eps = 1e-6
    for j in range(W.shape[1]):
        old = W.data[0, j]
        W.data[0, j] = old + eps
        lp = loss().item()
        W.data[0, j] = old - eps
        lm = loss().item()
        W.data[0, j] = old
        fd[0, j] = (lp - lm) / (2 * eps)
    np.testing.assert_allclose(to_numpy(g), fd, rtol=1e-6, atol=1e-9)


def test_pinn_loss_gradient_matches_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle for the physics-informed loss")
    net = MLP([2, 7, 7, 1], seed=5)
    xn = np.random.default_rng(4).uniform(0, 1, (10, 2))
    x = Tensor(xn, requires_grad=True)
    u = net(x)
    g = physics.input_grad(u, x)
    uxx = physics.pointwise_hessian_diag(u, x)[:, 0]
    loss = ((g[:, 1] - uxx) ** 2).mean()
    ours = tg.autograd.grad(loss, net.params, allow_unused=True)  # the last bias drops out of u_t - u_xx

    tp = [torch.tensor(to_numpy(p), requires_grad=True) for p in net.params]
    tx = torch.tensor(xn, requires_grad=True)
    z = tx
    for i in range(0, len(tp), 2):
        z = z @ tp[i] + tp[i + 1]
        z = torch.tanh(z) if i < len(tp) - 2 else z
    (tg_,) = torch.autograd.grad(z, tx, torch.ones_like(z), create_graph=True)
    (tgg,) = torch.autograd.grad(tg_[:, 0], tx, torch.ones_like(tg_[:, 0]), create_graph=True)
    tloss = ((tg_[:, 1] - tgg[:, 0]) ** 2).mean()
    theirs = torch.autograd.grad(tloss, tp, allow_unused=True)
    assert abs(loss.item() - tloss.item()) < 1e-13
    assert ours[-1] is None and theirs[-1] is None
    for a, b in zip(ours[:-1], theirs[:-1]):
        np.testing.assert_allclose(to_numpy(a), b.detach().numpy(), rtol=1e-10, atol=1e-13)


# ============================================================================ collocation points


def test_uniform_grid_order_and_shapes(device):
    g = physics.uniform_grid([0, -1], [1, 1], [3, 2], device=device)
    np.testing.assert_array_equal(to_numpy(g), [[0, -1], [0, 1], [0.5, -1], [0.5, 1], [1, -1], [1, 1]])
    line = physics.uniform_grid(0.0, 2.0, 5, requires_grad=True, device=device)
    assert line.shape == (5, 1) and line.requires_grad and line.is_leaf
    np.testing.assert_allclose(to_numpy(line).ravel(), [0, 0.5, 1, 1.5, 2])
    cube = physics.uniform_grid([0] * 3, [1] * 3, 4, device=device)
    assert cube.shape == (64, 3)
    assert physics.uniform_grid(0, 1, 3, dtype="float32").dtype == np.float32
    with pytest.raises(ValueError, match="low must be below high"):
        physics.uniform_grid([0, 1], [1, 1], 3)
    with pytest.raises(ValueError, match="at least 2 points"):
        physics.uniform_grid([0, 0], [1, 1], [3])


def test_random_points_uniform_and_latin(device):
    a = physics.random_points([0, 10], [1, 12], 50, seed=7, device=device)
    b = physics.random_points([0, 10], [1, 12], 50, seed=7, device=device)
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    an = to_numpy(a)
    assert an.shape == (50, 2) and an[:, 0].min() >= 0 and an[:, 0].max() < 1
    assert an[:, 1].min() >= 10 and an[:, 1].max() < 12
    lat = to_numpy(physics.random_points([0, 0, 0], [1, 2, 4], 20, method="latin", seed=1))
    for k, width in enumerate([1, 2, 4]):  # exactly one point in each of the 20 strata per coordinate
        strata = np.floor(lat[:, k] / width * 20).astype(int)
        assert sorted(strata) == list(range(20))
    tg.manual_seed(3)
    c = physics.random_points(0, 1, 5)
    tg.manual_seed(3)
    np.testing.assert_array_equal(to_numpy(c), to_numpy(physics.random_points(0, 1, 5)))
    with pytest.raises(ValueError, match="method must be 'uniform' or 'latin'"):
        physics.random_points(0, 1, 5, method="sobol")


def test_split_boundary_and_boundary_points(device):
    grid = physics.uniform_grid([0, 0], [1, 2], 5, device=device)
    inner, edge = physics.split_boundary(grid, [0, 0], [1, 2], requires_grad=True)
    assert inner.shape == (9, 2) and edge.shape == (16, 2) and inner.requires_grad
    i, e = to_numpy(inner), to_numpy(edge)
    assert ((i > 0) & (i < [1, 2])).all()
    assert (np.isclose(e, 0) | np.isclose(e, [1, 2])).any(axis=1).all()
    assert physics.boundary_points(0, 1, 7).shape == (2, 1)
    assert physics.boundary_points([0, 0, 0], [1, 1, 1], 4).shape == (64 - 8, 3)
    with pytest.raises(ValueError, match="the box has 3 coordinates but the points have 2"):
        physics.split_boundary(grid, [0, 0, 0], [1, 1, 1])


# ============================================================================ trial solutions


def test_trial_solutions_meet_their_conditions(device):
    net1 = MLP([1, 4, 1], device=device)
    x0 = Tensor([[0.0], [0.3]], device=device)
    ivp = physics.initial_value_trial(net1, 2.5)
    assert abs(to_numpy(ivp(x0))[0, 0] - 2.5) < 1e-15 and abs(to_numpy(ivp(x0))[1, 0] - 2.5) > 1e-6
    net2 = MLP([1, 4, 2], device=device)
    system = physics.initial_value_trial(net2, [1.0, -0.5], x0=0.0)
    np.testing.assert_allclose(to_numpy(system(x0))[0], [1.0, -0.5])
    interval = physics.interval_trial(net1, -1.0, 2.0, 3.0, -4.0)
    np.testing.assert_allclose(to_numpy(interval(Tensor([[-1.0], [2.0]], device=device))).ravel(), [3.0, -4.0])
    net3 = MLP([2, 4, 1], device=device)
    heat = physics.heat_trial(net3, lambda x: (math.pi * x).sin())
    xs = np.linspace(0, 1, 5)
    at_t0 = Tensor(np.stack([xs, 0 * xs], 1), device=device)
    np.testing.assert_allclose(to_numpy(heat(at_t0)).ravel(), np.sin(np.pi * xs), atol=1e-15)
    walls = Tensor([[0.0, 0.4], [1.0, 0.7]], device=device)
    np.testing.assert_allclose(to_numpy(heat(walls)).ravel(), [0, 0], atol=1e-15)
    general = physics.dirichlet_trial(lambda p: p[:, 0:1] * 0 + 1.0, lambda p: (p * p).sum(axis=1, keepdims=True), net3)
    assert abs(to_numpy(general(Tensor([[0.0, 0.0]], device=device)))[0, 0] - 1.0) < 1e-15
    assert general.parameters() == net3.params
    assert "N(x, t)" in repr(heat)


def test_trial_solution_errors():
    with pytest.raises(ValueError, match="need a < b"):
        physics.interval_trial(MLP([1, 2, 1]), 1.0, 0.0, 0, 0)
    with pytest.raises(ValueError, match=r"shape \(n, d\)"):
        physics.initial_value_trial(MLP([1, 2, 1]), 1.0)(Tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="no parameters"):
        physics.initial_value_trial(lambda x: x, 1.0).parameters()


# ============================================================================ curvature


def test_hessian_of_a_quadratic_is_its_matrix(device):
    A = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, -1.0], [0.0, -1.0, 4.0]])
    w = Tensor([0.5, -1.0, 2.0], requires_grad=True, device=device)
    At = Tensor(A, device=device)
    loss = 0.5 * (w * (At @ w)).sum() + (w * w * w).sum() * 0.0
    H = func.parameter_hessian(loss, [w])
    np.testing.assert_allclose(to_numpy(H), A, atol=1e-14)
    v = Tensor([1.0, 2.0, 3.0], device=device)
    np.testing.assert_allclose(to_numpy(func.parameter_hvp(loss, [w], v)), A @ [1, 2, 3], atol=1e-13)


def test_network_loss_hessian_against_finite_differences(device):
    net = MLP([2, 3, 1], device=device, seed=1)
    rng = np.random.default_rng(0)
    X = Tensor(rng.normal(size=(12, 2)), device=device)
    y = Tensor(rng.normal(size=(12, 1)), device=device)

    def loss():
        return ((net(X) - y) ** 2).mean()

    params = net.parameters()
    P = sum(p.size for p in params)
    H = to_numpy(func.parameter_hessian(loss(), params))
    assert H.shape == (P, P)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    # Column k by central differences of the flat gradient.
    flat = np.concatenate([to_numpy(p).ravel() for p in params])

    def set_flat(vec):
        for p, piece in zip(params, func.unflatten_like(Tensor(vec, device=device), params)):
            p.data[...] = piece.data

    eps = 1e-6
    for k in range(P):
        e = np.zeros(P)
        e[k] = eps
        set_flat(flat + e)
        gp = to_numpy(func.flat_grad(loss(), params))
        set_flat(flat - e)
        gm = to_numpy(func.flat_grad(loss(), params))
        np.testing.assert_allclose(H[:, k], (gp - gm) / (2 * eps), atol=1e-7)
    set_flat(flat)
    v = rng.normal(size=P)
    hv = func.parameter_hvp(loss(), params, Tensor(v, device=device))
    np.testing.assert_allclose(to_numpy(hv), H @ v, atol=1e-12)


def test_curvature_errors_and_unflatten(device):
    w = Tensor(np.ones((2, 3)), requires_grad=True, device=device)
    b = Tensor(np.zeros(3), requires_grad=True, device=device)
    pieces = func.unflatten_like(Tensor(np.arange(9.0), device=device), [w, b])
    assert [p.shape for p in pieces] == [(2, 3), (3,)]
    np.testing.assert_array_equal(to_numpy(pieces[1]), [6, 7, 8])
    with pytest.raises(ValueError, match=r"shape \(9,\)"):
        func.parameter_hvp((w * w).sum(), [w, b], Tensor(np.ones(6)))
    with pytest.raises(ValueError, match="must be a scalar"):
        func.parameter_hessian(w * w, [w])
    # b is unused: its rows and columns of the Hessian are zero.
    H = to_numpy(func.parameter_hessian((w**3).sum(), [w, b]))
    np.testing.assert_allclose(np.diag(H)[:6], 6 * np.ones(6))
    assert not H[6:].any() and not H[:, 6:].any()


# ============================================================================ the examples, small


@pytest.fixture(scope="module")
def examples():
    pytest.importorskip("matplotlib", reason="the examples save their plots with matplotlib")
    return {
        name: load_example(name)
        for name in ("ode_decay", "poisson_1d", "diffusion_pinn", "damped_oscillator", "newton")
    }


def test_example_ode_decay_converges(examples):
    r = examples["ode_decay"].solve(n_points=10, hidden=6, adam_steps=200, lm_steps=30, n_test=201)
    assert r["max_error"] < 5e-2
    assert r["history"][-1] < 1e-3 * r["history"][0]
    np.testing.assert_allclose(r["exact"], 10.0 * np.exp(-2.0 * r["x"]))


def test_example_poisson_converges(examples):
    r = examples["poisson_1d"].solve(n_points=12, hidden=6, adam_steps=200, lm_steps=30, n_test=201)
    assert r["max_error"] < 5e-3
    assert abs(r["predicted"][0]) < 1e-15 and abs(r["predicted"][-1]) < 1e-15  # Dirichlet by construction


def test_example_diffusion_converges(examples):
    r = examples["diffusion_pinn"].solve(
        T=0.2, nx=8, nt=6, hidden=16, layers=2, steps=1500, lr=1e-2, lr_final=1e-3, n_test=41
    )
    assert r["max_error"] < 5e-2
    assert r["history"][-1] < 0.05 * r["history"][0]


def test_example_damped_oscillator_converges(examples):
    r = examples["damped_oscillator"].solve(T=math.pi, n_points=16, hidden=8, adam_steps=300, lm_steps=30, n_test=201)
    assert r["predicted"].shape == (201, 2)
    assert r["max_error"] < 5e-2
    np.testing.assert_allclose(r["predicted"][0], [1.0, 0.0], atol=1e-15)
    with pytest.raises(ValueError, match="underdamped"):
        examples["damped_oscillator"].solve(zeta=1.5)


def test_example_newton_rosenbrock_and_logistic_regression(examples):
    newton = examples["newton"]
    ros = newton.solve_rosenbrock()
    np.testing.assert_allclose(ros["theta"], [1.0, 1.0], atol=1e-10)
    assert len(ros["history"]) < 40  # Newton with line search: ~20 steps; gradient descent needs thousands
    full = newton.solve_logistic(lam=0.05, n=120)
    cg = newton.solve_logistic(lam=0.05, n=120, hessian_free=True)
    np.testing.assert_allclose(cg["w"], full["w"], atol=1e-8)
    # Quadratic convergence: a dozen steps reach the optimum to round-off.
    gaps = np.array(full["history"]) - full["history"][-1]
    assert len(full["history"]) <= 12 and gaps[-2] < 1e-10
    # The engine's Hessian equals the closed form X^T diag(p (1 - p)) X / n + lambda I (bias not penalized).
    X, y = full["X"], full["y"]
    w = Tensor(full["w"], requires_grad=True)
    b = Tensor(full["b"], requires_grad=True)
    H = to_numpy(func.parameter_hessian(newton.logistic_loss(w, b, Tensor(X), Tensor(y), 0.05), [w, b]))
    Xb = np.hstack([X, np.ones((len(X), 1))])
    p = 1 / (1 + np.exp(-(Xb @ np.append(full["w"], full["b"]))))
    expected = Xb.T @ (Xb * (p * (1 - p))[:, None]) / len(X) + 0.05 * np.diag([1.0] * X.shape[1] + [0.0])
    np.testing.assert_allclose(H, expected, atol=1e-12)


def test_example_newton_matches_scikit_learn(examples):
    sklearn_lm = pytest.importorskip("sklearn.linear_model", reason="scikit-learn is the reference fit")
    r = examples["newton"].solve_logistic(lam=0.05, n=120)
    ref = sklearn_lm.LogisticRegression(C=1.0 / (120 * 0.05), tol=1e-12, max_iter=10_000).fit(r["X"], r["y"])
    np.testing.assert_allclose(r["w"], ref.coef_[0], atol=1e-5)


@pytest.mark.parametrize(
    "name, args",
    [
        ("ode_decay", ["--adam-steps", "20", "--lm-steps", "3", "--points", "8"]),
        ("poisson_1d", ["--adam-steps", "20", "--lm-steps", "3", "--points", "8"]),
        ("diffusion_pinn", ["--steps", "3", "--nx", "4", "--nt", "4", "--hidden", "4"]),
        ("damped_oscillator", ["--adam-steps", "5", "--lm-steps", "2", "--points", "8", "--hidden", "4"]),
    ],
)
def test_example_scripts_print_error_and_time_and_save_a_plot(examples, name, args, tmp_path, capsys):
    result = examples[name].main(["--out", str(tmp_path / "figs"), *args])
    out = capsys.readouterr().out
    assert "max abs error" in out and "training time" in out
    png = tmp_path / "figs" / f"{name}.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert np.isfinite(result["max_error"])


def test_example_newton_script_saves_a_plot(examples, tmp_path, capsys):
    result = examples["newton"].main(["--out", str(tmp_path)])
    assert "Newton steps" in capsys.readouterr().out
    assert (tmp_path / "newton.png").read_bytes()[:4] == b"\x89PNG"
    assert result["logistic"]["history"][-1] <= result["logistic"]["history"][0]


def test_input_grad_with_respect_to_separate_coordinate_leaves(device):
    """x and t as separate leaves joined into the network's input: u_t and u_xx come out per point."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.uniform(0, 1, (6, 1)), requires_grad=True, device=device)
    t = Tensor(rng.uniform(0, 1, (6, 1)), requires_grad=True, device=device)
    u = (tg.cat([x, t], axis=1) ** 2).sum(axis=1, keepdims=True) * t  # (x^2 + t^2) t
    u_t = physics.input_grad(u, t)
    u_xx = physics.input_grad(physics.input_grad(u, x), x)
    xn, tn = to_numpy(x), to_numpy(t)
    np.testing.assert_allclose(to_numpy(u_t), xn**2 + 3 * tn**2, rtol=1e-13)
    np.testing.assert_allclose(to_numpy(u_xx), 2 * tn, rtol=1e-13)


def test_benchmark_runs_and_its_three_losses_agree(capsys):
    """A tiny run of benchmarks/bench_pinn.py: it asserts internally that the engine's, PyTorch's
    and the point-by-point loop's losses agree before it times them."""
    pytest.importorskip("matplotlib", reason="the benchmark imports the diffusion example, which plots")
    spec = importlib.util.spec_from_file_location("bench_pinn", EXAMPLES.parent / "benchmarks" / "bench_pinn.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    args = ["--grid", "4", "3", "--hidden", "4", "--subset", "2", "--rounds", "1", "--number", "1", "--threads", "1"]
    result = bench.main(args)
    assert result["wall"]["point-by-point"] > 0 and result["wall"]["engine-1t"] > 0
    assert "point-by-point / fastest engine" in capsys.readouterr().out


def test_gradcheck_through_the_helpers(device):
    """The engine's own gradcheck: derivatives of input_grad, laplacian and jacobian with respect to
    both the points and the weights match central differences."""
    net = MLP([2, 5, 1], device=device, seed=7)
    x = points(4, 2, device, seed=3)
    assert tg.gradcheck(lambda x: physics.laplacian(net(x), x), [x])
    assert tg.gradcheck(lambda x: physics.input_grad(net(x), x), [x])
    _, b, V, c = net.params

    def laplacian_of_net(W):  # the first layer's weights as the argument
        u = (x @ W + b).tanh() @ V + c
        return physics.laplacian(u, x)

    assert tg.gradcheck(laplacian_of_net, [net.params[0]])
    assert tg.gradcheck(lambda x: physics.pointwise_jacobian(tg.stack([x[:, 0] * x[:, 1], x[:, 1].sin()], 1), x), [x])


# ============================================================================ old names


@pytest.mark.parametrize(
    "old, new",
    [
        ("hessian", "pointwise_hessian"),
        ("jacobian", "pointwise_jacobian"),
        ("hessian_diag", "pointwise_hessian_diag"),
    ],
)
def test_old_pointwise_names_warn_and_agree(old, new):
    x = Tensor(np.array([[0.3, -0.2], [1.1, 0.4]]), requires_grad=True)
    u = (x[:, 0] ** 2 * x[:, 1]).sin()
    with pytest.warns(DeprecationWarning, match=f"physics.{old} is deprecated: use tinygrad_edu.physics.{new}"):
        before = to_numpy(getattr(physics, old)(u, x))
    np.testing.assert_array_equal(before, to_numpy(getattr(physics, new)(u, x)))
    assert old not in physics.__all__ and new in physics.__all__


@pytest.mark.parametrize(
    "old, new",
    [
        ("flat_grad", "flat_grad"),
        ("hessian_vector_product", "parameter_hvp"),
        ("parameter_hessian", "parameter_hessian"),
        ("residual_jacobian", "residual_jacobian"),
        ("unflatten_like", "unflatten_like"),
    ],
)
def test_old_curvature_names_warn_and_agree(old, new):
    w = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    loss = (w**3).sum() + (w[0] * w[1])
    args = {
        "flat_grad": (loss, [w]),
        "hessian_vector_product": (loss, [w], Tensor([1.0, 2.0, 3.0])),
        "parameter_hessian": (loss, [w]),
        "residual_jacobian": (w * w, [w]),
        "unflatten_like": (Tensor(np.arange(3.0)), [w]),
    }[old]
    with pytest.warns(DeprecationWarning, match=f"physics.{old} is deprecated: use tinygrad_edu.func.{new}"):
        before = getattr(physics, old)(*args)
    after = getattr(func, new)(*args)
    for b, a in zip(before if isinstance(before, list) else [before], after if isinstance(after, list) else [after]):
        np.testing.assert_array_equal(to_numpy(b), to_numpy(a))


def test_flat_grad_is_laid_out_as_parameters_to_vector():
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True)
    unused = Tensor(np.ones(2), requires_grad=True)
    loss = ((w * 2.0).sum(0) * b.exp()).sum()
    g = to_numpy(func.flat_grad(loss, [w, b, unused]))
    expected = tg.nn.utils.parameters_to_vector(
        [Tensor(np.full((2, 3), 2.0)), Tensor(np.full(3, 4.0)), Tensor(np.zeros(2))]
    )
    np.testing.assert_array_equal(g, to_numpy(expected))
    np.testing.assert_array_equal(to_numpy(func.flat_grad(Tensor(1.0), [w, unused])), np.zeros(8))
    with pytest.raises(ValueError, match="flat_grad: no parameters given"):
        func.flat_grad(loss, [])
