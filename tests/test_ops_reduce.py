"""Reductions and the softmax family: forward against NumPy, backward against central differences
in float64, and both against PyTorch; axis as int, tuple or None, with keepdims.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special

from helpers import SETTINGS, assert_close, check_fd, check_forward, check_torch, draw, torch_or_skip
from tinygrad_edu import Tensor

seeds = st.integers(0, 2**32 - 1)


# ------------------------------------------------------------------------------- reductions


@st.composite
def shape_and_axis(draw_, min_dims=0):
    shape = draw_(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=4))
    nd = len(shape)
    kinds = ["none"] + (["int", "tuple"] if nd else [])
    kind = draw_(st.sampled_from(kinds))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw_(st.integers(-nd, nd - 1))
    else:
        picked = draw_(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
        axis = tuple(a - nd if draw_(st.booleans()) else a for a in picked)
    return shape, axis, draw_(st.booleans())


def _np_logsumexp(x, axis, keepdims):
    m = np.max(x, axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis)


def _count(shape, axis):
    if axis is None:
        return int(np.prod(shape, dtype=np.int64))
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def _torch_dim(t, axis):
    return tuple(range(t.ndim)) if axis is None else axis


# name: (tinygrad_edu fn(x, axis, keepdims), NumPy fn, PyTorch fn, domain, least count reduced)
REDUCTIONS = {
    "sum": (
        lambda x, a, k: x.sum(a, keepdims=k),
        lambda x, a, k: np.sum(x, a, keepdims=k),
        lambda t, a, k: t.sum(_torch_dim(t, a), keepdim=k),
        "real",
        1,
    ),
    "mean": (
        lambda x, a, k: x.mean(a, keepdims=k),
        lambda x, a, k: np.mean(x, a, keepdims=k),
        lambda t, a, k: t.mean(_torch_dim(t, a), keepdim=k),
        "real",
        1,
    ),
    "max": (
        lambda x, a, k: x.max(a, keepdims=k),
        lambda x, a, k: np.max(x, a, keepdims=k),
        lambda t, a, k: t.amax(_torch_dim(t, a), keepdim=k),
        "distinct",
        1,
    ),
    "min": (
        lambda x, a, k: x.min(a, keepdims=k),
        lambda x, a, k: np.min(x, a, keepdims=k),
        lambda t, a, k: t.amin(_torch_dim(t, a), keepdim=k),
        "distinct",
        1,
    ),
    "var": (
        lambda x, a, k: x.var(a, keepdims=k),
        lambda x, a, k: np.var(x, a, keepdims=k),
        lambda t, a, k: t.var(_torch_dim(t, a), correction=0, keepdim=k),
        "real",
        1,
    ),
    "var-ddof1": (
        lambda x, a, k: x.var(a, keepdims=k, ddof=1),
        lambda x, a, k: np.var(x, a, keepdims=k, ddof=1),
        lambda t, a, k: t.var(_torch_dim(t, a), correction=1, keepdim=k),
        "real",
        2,
    ),
    "std": (
        lambda x, a, k: x.std(a, keepdims=k),
        lambda x, a, k: np.std(x, a, keepdims=k),
        lambda t, a, k: t.std(_torch_dim(t, a), correction=0, keepdim=k),
        "real",
        2,
    ),
    "std-ddof1": (
        lambda x, a, k: x.std(a, keepdims=k, ddof=1),
        lambda x, a, k: np.std(x, a, keepdims=k, ddof=1),
        lambda t, a, k: t.std(_torch_dim(t, a), correction=1, keepdim=k),
        "real",
        2,
    ),
    "logsumexp": (
        lambda x, a, k: x.logsumexp(a, keepdims=k),
        _np_logsumexp,
        lambda t, a, k: t.logsumexp(_torch_dim(t, a), keepdim=k),
        "real",
        1,
    ),
}


@pytest.mark.parametrize("name", list(REDUCTIONS))
@SETTINGS
@given(case=shape_and_axis(), seed=seeds)
def test_reduction_against_numpy_and_finite_differences(name, case, seed, device):
    fn, np_fn, _, domain, least = REDUCTIONS[name]
    shape, axis, keep = case
    if _count(shape, axis) < least:
        axis = None
        if _count(shape, axis) < least:
            shape = (3,) + tuple(shape)
    rng = np.random.default_rng(seed)
    x = draw(domain, shape, rng)
    check_forward(lambda t: fn(t, axis, keep), lambda a: np_fn(a, axis, keep), [x], device)
    check_fd(lambda t: fn(t, axis, keep), [x], device, rng)


@pytest.mark.parametrize("name", list(REDUCTIONS))
@SETTINGS
@given(case=shape_and_axis(min_dims=1), seed=seeds)
def test_reduction_against_torch(name, case, seed, device):
    fn, _, torch_fn, domain, least = REDUCTIONS[name]
    shape, axis, keep = case
    if _count(shape, axis) < least:
        shape, axis = (3,) + tuple(shape), 0
    rng = np.random.default_rng(seed)
    check_torch(lambda t: fn(t, axis, keep), lambda t: torch_fn(t, axis, keep), [draw(domain, shape, rng)], device, rng)


def test_reductions_accept_pytorch_dim_and_keepdim(device):
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), device=device)
    a = x.detach().numpy()
    assert_close(x.sum(dim=1, keepdim=True), a.sum(1, keepdims=True))
    assert_close(x.mean(dim=(0, 2)), a.mean((0, 2)))
    assert_close(x.max(dim=-1, keepdim=True), a.max(-1, keepdims=True))
    assert_close(x.min(dim=0), a.min(0))
    assert_close(x.var(dim=2, correction=1), a.var(2, ddof=1))
    assert_close(x.std(dim=2, keepdim=True), a.std(2, keepdims=True))
    assert_close(x.logsumexp(dim=1), special.logsumexp(a, 1))
    assert_close(x.softmax(dim=0), special.softmax(a, 0))
    with pytest.raises(TypeError, match="axis or dim"):
        x.sum(axis=0, dim=1)
    with pytest.raises(ValueError, match="sum: axis 3 is out of range"):
        x.sum(3)
    with pytest.raises(ValueError, match="repeated axis"):
        x.sum((0, -3))


def test_max_and_min_share_the_gradient_on_ties_like_torch_amax(device):
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True, device=device)
    x.max(axis=1).sum().backward()
    assert_close(x.grad, [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    x.grad = None
    x.min().backward()
    assert_close(x.grad, [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    x.grad = None
    x.max().backward()
    assert_close(x.grad, [[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]])


def test_empty_reductions_raise(device):
    x = Tensor(np.zeros((2, 0)), device=device)
    assert_close(x.sum(axis=1), [0.0, 0.0])
    with pytest.raises(ValueError, match="mean"):
        x.mean(axis=1)
    with pytest.raises(ValueError, match="max"):
        x.max()
    with pytest.raises(ValueError, match="var"):
        Tensor([1.0], device=device).var(ddof=1)


# ------------------------------------------------------------------------------- softmax family


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data(), seed=seeds)
def test_softmax_family(op, shape, data, seed, device):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, shape)
    expected = special.softmax if op == "softmax" else special.log_softmax
    check_forward(lambda t: getattr(t, op)(axis), lambda a: expected(a, axis), [x], device)
    check_fd(lambda t: getattr(t, op)(axis), [x], device, rng)
    torch = torch_or_skip()
    check_torch(lambda t: getattr(t, op)(axis), lambda t: getattr(torch, op)(t, axis), [x], device, rng)


@pytest.mark.parametrize("shift", [1000.0, -1000.0, 1e6])
def test_softmax_logsumexp_are_stable_for_large_inputs(shift, device):
    base = np.array([[0.0, 1.0, 2.0], [-1.0, 5.0, 0.5]])
    x = Tensor(base + shift, requires_grad=True, device=device)
    assert_close(x.softmax(-1), special.softmax(base, -1), atol=1e-12)
    assert_close(x.log_softmax(-1), special.log_softmax(base, -1), atol=1e-9)
    assert_close(x.logsumexp(1), special.logsumexp(base, 1) + shift, rtol=1e-14)
    loss = (x.softmax(-1) * Tensor([[1.0, 2.0, 3.0]], device=device)).sum() + x.log_softmax(-1)[:, 0].sum()
    loss = loss + x.logsumexp(axis=1).sum()
    loss.backward()
    assert np.isfinite(x.grad.numpy()).all()
    # the gradient does not depend on the shift: compare with the unshifted input
    y = Tensor(base, requires_grad=True, device=device)
    loss = (y.softmax(-1) * Tensor([[1.0, 2.0, 3.0]], device=device)).sum() + y.log_softmax(-1)[:, 0].sum()
    (loss + y.logsumexp(axis=1).sum()).backward()
    assert_close(x.grad, y.grad.numpy(), atol=1e-9)
    # far-apart values: exp(-2000) underflows, the log-probabilities must not
    z = Tensor([[-1000.0, 0.0, 1000.0]], device=device)
    assert_close(z.log_softmax(-1), [[-2000.0, -1000.0, 0.0]])
    assert_close(z.softmax(-1), [[0.0, 0.0, 1.0]])
    assert_close(z.logsumexp(), 1000.0)


@pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")  # log 0 = -inf is right
def test_logsumexp_of_minus_infinity(device):
    x = Tensor([[-np.inf, -np.inf], [0.0, -np.inf]], device=device)
    assert_close(x.logsumexp(axis=1), [-np.inf, 0.0])
