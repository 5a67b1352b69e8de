"""Differential fuzzing: random expressions, checked against PyTorch and against central differences.

Hypothesis builds a random program: one or more float64 leaves of random shapes (size-1 and, now
and then, empty axes included), then up to six ops from the whole engine (elementwise maths,
broadcasting arithmetic, reductions with axis/keepdims, softmax, reshaping, indexing, padding,
joining, where/clip/maximum, matmul, and the fused linear/cross-entropy/MSE/BCE ops of
``nn.functional``), each applied to the latest value or to an earlier one, so
the programs are chains and DAGs up to depth 6. Every program is then run three ways:

- by the engine: the value, the gradient of ``L = sum(W * out)`` for fixed random ``W``, and the
  Hessian-vector product ``d/dx <dL/dx, V>`` (``create_graph=True``, second derivatives);
- by PyTorch in float64, op by op, the same three quantities (skipped with a reason without torch);
- by central differences of the engine itself on the smooth ops, which needs no oracle: the
  directional derivative ``<dL/dx, U>`` and the Hessian-vector product ``H V`` (differences of
  gradients), so ops with no torch twin (``sum_to``) are covered too.

Domains stay valid by construction: the builder knows each value while it draws the program, so
``log``/``sqrt`` are taken of positive values (else of ``x*x + 0.5``), a divisor is kept away from
0, ``exp`` is applied only to moderate values, and a step whose values would blow up is dropped.

Profiles: ``ci`` (a few hundred programs in all, the default) and ``long`` (tens of thousands):
``HYPOTHESIS_PROFILE=long pytest tests/test_fuzz.py`` or ``pytest -m slow tests/test_fuzz.py``.
Each mismatch the fuzzer ever found is kept below as a named regression test with its input.
The op table (each op, its PyTorch twin and its draw rule) is in ``fuzz_ops.py``; a failing
example prints its program (``note``), e.g. ``[leaf(0,), log_softmax(0,){'axis': 0}]``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as NF
from fuzz_nets import NET_OPS  # noqa: F401  (registers conv/pool, BatchNorm, loss options, multi-use patterns)
from fuzz_ops import BIG, MAX_ELEMENTS, OPS, Op, Step, torch_module
from tinygrad_edu import Tensor, autograd

settings.register_profile(
    "ci",
    max_examples=120,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in ("ci", "long"):
    PROFILE = "ci"
CI = settings.get_profile(PROFILE)
LONG = settings.get_profile("long")


def _TF():
    return torch_module().nn.functional


# --- the fused ops of networks (tinygrad_edu.nn.functional), second derivatives included


def _draw_linear(b: Any, src: int):
    shape = b.values[src].shape
    if not shape:
        return None
    m = b.draw(st.integers(1, 3))
    weight = b.leaf((m, shape[-1]))
    if b.draw(st.booleans()):
        return (src, weight, b.leaf((m,))), {}
    return (src, weight), {}


OPS["linear"] = Op(engine=lambda *a: NF.linear(*a), torch=lambda *a: _TF().linear(*a), draw=_draw_linear)


def _draw_cross_entropy(b: Any, src: int):
    shape = b.values[src].shape  # (C,), (N, C) or (N, C, d1, ...): the class axis is 1 (0 for 1-D)
    classes = shape[0] if len(shape) == 1 else shape[1] if shape else 0
    if classes == 0:
        return None
    label_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    reduction = b.draw(st.sampled_from(["mean", "sum", "none"]))
    if reduction == "mean" and math.prod(label_shape) == 0:
        return None
    smoothing = b.draw(st.sampled_from([0.0, 0.0, 0.2]))
    if b.draw(st.integers(0, 2)) == 0:  # probabilities as a second, differentiable input
        return (src, b.leaf(shape, "pos")), {"reduction": reduction, "label_smoothing": smoothing}
    labels = np.asarray(b.rng.integers(0, classes, label_shape))
    return (src,), {"labels": labels, "reduction": reduction, "label_smoothing": smoothing}


def _engine_ce(x, t=None, labels=None, **kw):
    return NF.cross_entropy(x, t if t is not None else labels, **kw)


def _torch_ce(x, t=None, labels=None, **kw):
    return _TF().cross_entropy(x, t if t is not None else torch_module().from_numpy(labels), **kw)


OPS["cross_entropy"] = Op(engine=_engine_ce, torch=_torch_ce, draw=_draw_cross_entropy)


def _draw_target(b: Any, src: int):
    shape = b.values[src].shape
    reduction = b.draw(st.sampled_from(["mean", "sum", "none"]))
    if reduction == "mean" and math.prod(shape) == 0:
        return None
    return (src, b.leaf(shape, "pos")), {"reduction": reduction}


OPS["mse_loss"] = Op(
    engine=lambda x, t, reduction: NF.mse_loss(x, t, reduction=reduction),
    torch=lambda x, t, reduction: _TF().mse_loss(x, t, reduction=reduction),
    draw=_draw_target,
)
OPS["bce_with_logits"] = Op(
    engine=lambda x, t, reduction: NF.binary_cross_entropy_with_logits(x, t * 0.3, reduction=reduction),
    torch=lambda x, t, reduction: _TF().binary_cross_entropy_with_logits(x, t * 0.3, reduction=reduction),
    draw=_draw_target,
)


NAMES = sorted(OPS)
SMOOTH_NAMES = [n for n in NAMES if OPS[n].smooth]


# ------------------------------------------------------------------------------------- the builder


class Builder:
    """Draws a program step by step, keeping the engine's value of every step to keep domains valid."""

    def __init__(self, data: Any, rng: np.random.Generator, smooth_only: bool) -> None:
        self.data = data
        self.rng = rng
        self.smooth_only = smooth_only
        self.steps: list[Step] = []
        self.values: list[np.ndarray] = []

    def draw(self, strategy: Any) -> Any:
        return self.data.draw(strategy)

    def leaf(self, shape: tuple[int, ...], kind: str = "real") -> int:
        if kind == "real":
            value = self.rng.uniform(-2.0, 2.0, shape)
        elif kind == "away":  # |v| in [0.5, 2]: a divisor
            value = self.rng.uniform(0.5, 2.0, shape) * self.rng.choice([-1.0, 1.0], shape)
        else:  # "pos"
            value = self.rng.uniform(0.3, 2.0, shape)
        self.steps.append(Step("leaf", (), {"value": value}))
        self.values.append(value)
        return len(self.steps) - 1

    def push(self, op: str, args: tuple[int, ...], params: dict) -> bool:
        """Append ``op`` when its engine value is finite and moderate; report whether it was kept."""
        step = Step(op, args, params)
        with tg.no_grad(), np.errstate(all="ignore"):  # a step that overflows is dropped just below
            ins = [Tensor(self.values[i]) for i in args]
            out = OPS[op].engine(*ins, **params).detach().numpy()
        if out.size and not (np.isfinite(out).all() and np.abs(out).max() < BIG):
            return False
        self.steps.append(step)
        self.values.append(out)
        return True

    # ------------------------------------------------------------------ random pieces

    def shape(self, max_ndim: int = 4) -> tuple[int, ...]:
        ndim = self.draw(st.integers(0, max_ndim))
        dims = [self.draw(st.sampled_from([1, 2, 3, 4])) for _ in range(ndim)]
        if ndim and self.draw(st.integers(0, 11)) == 0:  # now and then an empty axis
            dims[self.draw(st.integers(0, ndim - 1))] = 0
        while math.prod(dims) > MAX_ELEMENTS:
            dims[dims.index(max(dims))] //= 2
        return tuple(dims)

    def broadcast_partner(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """A shape that broadcasts with ``shape``: axes kept, set to 1, stretched from 1, or added in front."""
        out = []
        for s in shape:
            choice = self.draw(st.integers(0, 3))
            if choice == 0:
                out.append(1)
            elif choice == 1 and s == 1:
                out.append(self.draw(st.integers(2, 3)))
            else:
                out.append(s)
        drop = self.draw(st.integers(0, len(out)))
        out = out[drop:]
        if len(out) < 4 and self.draw(st.integers(0, 3)) == 0:  # one more leading axis
            out = [self.draw(st.sampled_from([1, 2] if drop == 0 else [1, shape[drop - 1]]))] + out
        return tuple(out)

    def axes(self, ndim: int, allow_none: bool = True) -> int | tuple[int, ...] | None:
        kind = self.draw(st.integers(0, 2))
        if ndim == 0 or (kind == 0 and allow_none):
            return None
        if kind == 1:
            return self.draw(st.integers(-ndim, ndim - 1))
        picked = self.draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        return tuple(a - ndim if self.draw(st.booleans()) else a for a in picked)


def draw_program(data: Any, smooth_only: bool) -> tuple[list[Step], np.random.Generator]:
    """A random program of up to six ops; returns the steps and the generator of its constants."""
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    b = Builder(data, np.random.default_rng(seed), smooth_only)
    b.leaf(b.shape())
    names = SMOOTH_NAMES if smooth_only else NAMES
    for _ in range(data.draw(st.integers(1, 6), label="ops")):
        last = len(b.values) - 1
        src = last if data.draw(st.integers(0, 3)) else data.draw(st.integers(0, last))
        usable = [n for n in names if OPS[n].applies(b.values[src])]
        # the op by the program's own generator: Hypothesis would favour the first names of the list
        name = usable[int(b.rng.integers(len(usable)))]
        op = OPS[name]
        drawn = op.draw(b, src) if op.draw else ((src,), {})
        if drawn is None:
            continue
        b.push(name, *drawn)
    return b.steps, b.rng


# ------------------------------------------------------------------------------------- running it


def run_engine(steps: list[Step], device: str = "cpu") -> tuple[Tensor, list[Tensor]]:
    values, leaves = [], []
    for s in steps:
        if s.op == "leaf":
            t = Tensor(s.params["value"].copy(), requires_grad=True, device=device)
            leaves.append(t)
        else:
            t = OPS[s.op].engine(*[values[i] for i in s.args], **s.params)
        values.append(t)
    return values[-1], leaves


def run_torch(steps: list[Step]):
    torch = torch_module()
    values, leaves = [], []
    for s in steps:
        if s.op == "leaf":
            t = torch.tensor(s.params["value"], dtype=torch.float64, requires_grad=True)
            leaves.append(t)
        else:
            t = OPS[s.op].torch(*[values[i] for i in s.args], **s.params)
        values.append(t)
    return values[-1], leaves


def engine_derivatives(steps, w, vs, device="cpu"):
    """Forward value, dL/dx and H V for L = sum(w * out), all as NumPy arrays (None: no dependence)."""
    out, leaves = run_engine(steps, device)
    loss = (out * Tensor(w, device=device)).sum()
    grads = autograd.grad(loss, leaves, create_graph=True, allow_unused=True)
    dot = None
    for g, v in zip(grads, vs):
        if g is not None:
            term = (g * Tensor(v, device=device)).sum()
            dot = term if dot is None else dot + term
    hvp = [None] * len(leaves)
    if dot is not None and dot.requires_grad:
        hvp = autograd.grad(dot, leaves, allow_unused=True)
    return out.detach().numpy(), [_np(g) for g in grads], [_np(h) for h in hvp]


def torch_derivatives(steps, w, vs):
    torch = torch_module()
    out, leaves = run_torch(steps)
    loss = (out * torch.from_numpy(w)).sum()
    grads = torch.autograd.grad(loss, leaves, create_graph=True, allow_unused=True)
    dot = None
    for g, v in zip(grads, vs):
        if g is not None:
            term = (g * torch.from_numpy(v)).sum()
            dot = term if dot is None else dot + term
    hvp = [None] * len(leaves)
    if dot is not None and dot.requires_grad:
        hvp = torch.autograd.grad(dot, leaves, allow_unused=True)
    return _np(out), [_np(g) for g in grads], [_np(h) for h in hvp]


def _np(t: Any) -> np.ndarray | None:
    if t is None:
        return None
    if isinstance(t, Tensor):
        return t.detach().numpy()
    if t._is_zerotensor():  # torch's lazy zeros: .detach().numpy() refuses them, and some views of them crash it
        return np.zeros(tuple(t.shape))
    return t.detach().numpy()


def _close(actual, expected, shape, what: str, rtol: float, atol: float) -> None:
    a = np.zeros(shape) if actual is None else actual
    e = np.zeros(shape) if expected is None else expected
    assert a.shape == e.shape, f"{what}: shape {a.shape}, expected {e.shape}"
    scale = 1.0 + (float(np.abs(e).max()) if e.size else 0.0)
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol * scale, err_msg=what)


def _directions(steps, rng):
    leaves = [s.params["value"] for s in steps if s.op == "leaf"]
    return leaves, [rng.standard_normal(x.shape) for x in leaves]


def check_against_torch(steps: list[Step], rng: np.random.Generator, device: str = "cpu") -> None:
    """Forward, first and second derivatives of the program: engine against PyTorch (float64)."""
    with tg.no_grad():
        out_shape = run_engine(steps, device)[0].shape
    w = rng.standard_normal(out_shape)
    leaves, vs = _directions(steps, rng)
    out, grads, hvps = engine_derivatives(steps, w, vs, device)
    t_out, t_grads, t_hvps = torch_derivatives(steps, w, vs)
    _close(out, t_out, t_out.shape, "forward", 1e-10, 1e-12)
    for i, x in enumerate(leaves):
        _close(grads[i], t_grads[i], x.shape, f"dL/dx{i}", 1e-8, 1e-11)
        _close(hvps[i], t_hvps[i], x.shape, f"(H v)_{i}", 1e-7, 1e-10)


def _richardson(central: Callable[[float], Any], h: float) -> tuple[Any, Any]:
    """Central differences at h, h/2, h/4, extrapolated twice (error O(h^4) instead of O(h^2)).

    Returns the estimate and its own error estimate (the change between the two extrapolations),
    so that a program with huge higher derivatives (cos(x^9)) is not mistaken for a wrong rule.
    """
    d1, d2, d4 = central(h), central(h / 2), central(h / 4)
    r1, r2 = (4 * d2 - d1) / 3, (4 * d4 - d2) / 3
    return r2, np.abs(r2 - r1)


def check_against_differences(steps: list[Step], rng: np.random.Generator, eps: float = 1e-4) -> None:
    """Directional first derivative and H V against central differences of the engine itself."""
    with tg.no_grad():
        out_shape = run_engine(steps)[0].shape
    w = rng.standard_normal(out_shape)
    leaves, vs = _directions(steps, rng)
    us = [rng.standard_normal(x.shape) for x in leaves]
    _, grads, hvps = engine_derivatives(steps, w, vs)

    def shifted(direction, h):
        moved, k = [], 0
        for s in steps:
            if s.op == "leaf":
                s = Step("leaf", (), {"value": s.params["value"] + h * direction[k]})
                k += 1
            moved.append(s)
        return moved

    def loss(h):
        with tg.no_grad():
            return float((run_engine(shifted(us, h))[0].detach().numpy() * w).sum())

    def gradients(h):  # all leaves' gradients at x + h v, as one flat vector
        grads_h = engine_derivatives(shifted(vs, h), w, vs)[1]
        return np.concatenate([np.zeros(x.size) if g is None else g.ravel() for x, g in zip(leaves, grads_h)])

    analytic = sum(float((g * u).sum()) for g, u in zip(grads, us) if g is not None)
    numeric, err = _richardson(lambda h: (loss(h) - loss(-h)) / (2 * h), eps)
    assert abs(analytic - numeric) <= 1e-7 * (1 + abs(numeric)) + 1e-6 * abs(numeric) + 10 * err, (
        f"<dL/dx, u>: analytic {analytic!r}, central differences {numeric!r} (+- {err:.1e})"
    )
    numeric_h, err_h = _richardson(lambda h: (gradients(h) - gradients(-h)) / (2 * h), eps)
    analytic_h = np.concatenate([np.zeros(x.size) if h is None else h.ravel() for x, h in zip(leaves, hvps)])
    bound = 1e-6 * (1 + np.abs(numeric_h).max(initial=0.0)) + 1e-5 * np.abs(numeric_h) + 10 * err_h
    bad = np.abs(analytic_h - numeric_h) > bound
    assert not bad.any(), (
        f"H v: analytic {analytic_h[bad]!r}, central differences {numeric_h[bad]!r} (+- {err_h[bad]!r})"
    )


# ------------------------------------------------------------------------------------- the properties


def _fuzz_torch(data, device):
    pytest.importorskip("torch", reason="PyTorch is the fuzzer's oracle; pip install torch (CI installs it)")
    steps, rng = draw_program(data, smooth_only=False)
    note(f"program: {steps}")
    check_against_torch(steps, rng, device)


def _fuzz_differences(data):
    steps, rng = draw_program(data, smooth_only=True)
    note(f"program: {steps}")
    check_against_differences(steps, rng)


@CI
@given(data=st.data())
def test_fuzz_against_torch(device, data):
    _fuzz_torch(data, device)


@settings(CI, max_examples=max(CI.max_examples // 2, 1))
@given(data=st.data())
def test_fuzz_against_central_differences(data):
    _fuzz_differences(data)


@pytest.mark.slow
@LONG
@given(data=st.data())
def test_fuzz_against_torch_long(data):
    _fuzz_torch(data, "cpu")


@pytest.mark.slow
@settings(LONG, max_examples=LONG.max_examples // 4)
@given(data=st.data())
def test_fuzz_against_central_differences_long(data):
    _fuzz_differences(data)


def test_every_op_is_drawn():
    """The program builder can reach every op of the table (a typo in a draw rule would hide one)."""
    seen = set()

    # ~100 ops, some with narrow domains: 1,000 programs reach all but a few of them
    @settings(max_examples=1000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def collect(data):
        steps, _ = draw_program(data, smooth_only=False)
        seen.update(s.op for s in steps)

    collect()
    missing = set(NAMES) - seen
    assert len(missing) <= 3, f"ops never drawn in 1,000 programs: {sorted(missing)}"


# ------------------------------------------------------------------------------------- regressions
# Each mismatch the fuzzer found, with the input it found, asserting the correct value.


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_regression_softmax_over_an_empty_axis(op):
    """Found as [leaf(0,), log_softmax(axis=0)]: NumPy's max refused the empty axis; PyTorch returns
    an empty result (and an empty gradient)."""
    x = Tensor(np.zeros((0,)), requires_grad=True)
    y = getattr(x, op)(0)
    assert y.shape == (0,)
    y.sum().backward()
    assert x.grad.shape == (0,)
    z = Tensor(np.zeros((3, 0)), requires_grad=True)
    (g,) = autograd.grad((getattr(z, op)(axis=1) * 2.0).sum(), z, create_graph=True)
    assert g.shape == (3, 0)


@pytest.mark.parametrize("op", ["max", "min"])
def test_regression_max_of_an_empty_tensor_over_a_nonempty_axis(op):
    """Found as [leaf(0, 3), max(axis=1)]: each maximum has 3 elements, there are just none of them;
    PyTorch's amax gives shape (0,). Only empty *reduced* axes are an error."""
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    y = getattr(x, op)(axis=1)
    assert y.shape == (0,)
    y.sum().backward()
    assert x.grad.shape == (0, 3)
    with pytest.raises(ValueError, match=r"reduced axes of shape \(0, 3\) are empty"):
        getattr(x, op)(axis=0)
    assert getattr(Tensor(np.zeros((2, 0, 3))), op)(axis=(0, 2), keepdims=True).shape == (1, 0, 1)


def test_regression_softplus_threshold_is_honoured():
    """Found as [leaf(3, 4, 4, 4), rsub, elu, exp, softplus(beta=2), cos]: the engine ignored
    ``threshold`` (PyTorch: linear where beta x > threshold), so values differed by up to 1e-9 and
    the second derivative was not 0 there."""
    x = Tensor([10.25, 9.75], requires_grad=True)  # beta x = 20.5 (linear) and 19.5 (the formula)
    y = x.softplus(beta=2.0)
    assert y.detach().numpy()[0] == 10.25
    np.testing.assert_allclose(y.detach().numpy()[1], np.log1p(np.exp(19.5)) / 2.0, rtol=1e-15)
    (g,) = autograd.grad(y.sum(), x, create_graph=True)
    assert g.detach().numpy()[0] == 1.0
    np.testing.assert_allclose(g.detach().numpy()[1], 1.0 / (1.0 + np.exp(-19.5)), rtol=1e-15)
    (h,) = autograd.grad(g.sum(), x)
    assert h.detach().numpy()[0] == 0.0
    s = 1.0 / (1.0 + np.exp(-19.5))
    np.testing.assert_allclose(h.detach().numpy()[1], 2.0 * s * (1.0 - s), rtol=1e-6)
    assert Tensor([1.0]).softplus(threshold=0.5).item() == 1.0
    np.testing.assert_allclose(Tensor([1.0]).softplus(threshold=float("inf")).item(), np.log1p(np.e), rtol=1e-15)


@pytest.mark.parametrize("x_shape", [(0,), (3, 4, 0)])
def test_regression_linear_with_no_input_features(x_shape):
    """Found as [leaf(0,), leaf(2, 0), leaf(2,), linear(0, 1, 2), ...]: the weight gradient reshaped
    x with reshape(-1, 0), which is ambiguous for an empty last axis. With no input features the
    output is the bias, the bias gradient is the summed upstream gradient, dW is empty."""
    x = Tensor(np.zeros(x_shape), requires_grad=True)
    w = Tensor(np.zeros((2, 0)), requires_grad=True)
    b = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = NF.linear(x, w, b)
    np.testing.assert_array_equal(y.detach().numpy(), np.broadcast_to([0.5, -1.0], x_shape[:-1] + (2,)))
    (y * 3.0).sum().backward()
    assert w.grad.shape == (2, 0) and x.grad.shape == x_shape
    n = int(np.prod(x_shape[:-1]))
    np.testing.assert_array_equal(b.grad.numpy(), [3.0 * n, 3.0 * n])
