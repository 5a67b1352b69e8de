"""Issue 15's sorting and selection: ``sort``, ``partition``, ``take``, ``take_along_axis``,
``diff``, ``select`` and ``choose``, through ``tinygrad_edu.numpy`` and as Tensor methods
(``sort``, ``argsort``, ``take_along_dim``, ``take``, ``diff``): forward against NumPy, backward
against central differences in float64, against PyTorch where it has the function, second
derivatives with ``gradgradcheck``, and ties sending the gradient where PyTorch sends it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
import tinygrad_edu.numpy as tnp
from helpers import SETTINGS, assert_close, check_fd, check_torch, draw, tensors, torch_or_skip
from tinygrad_edu import Tensor

seeds = st.integers(0, 2**32 - 1)
FEW = settings(SETTINGS, max_examples=max(SETTINGS.max_examples // 2, 5))
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4)


@FEW
@given(shape=shapes, data=st.data(), seed=seeds)
def test_sort(shape, data, seed, device):
    nd = len(shape)
    axis = data.draw(st.sampled_from([None, *range(-nd, nd)]))
    rng = np.random.default_rng(seed)
    a = draw("distinct", shape, rng)  # no ties: central differences stay on one side of every swap
    fn = lambda x: tnp.sort(x, axis=axis)  # noqa: E731
    assert_close(fn(Tensor(a, device=device)), np.sort(a, axis=axis), what="forward")
    assert_close(tnp.sort(a, axis=axis), np.sort(a, axis=axis), what="plain NumPy")
    check_fd(fn, [a], device, rng)
    if axis is not None:
        values, indices = Tensor(a, device=device).sort(axis)
        assert_close(indices, np.argsort(a, axis=axis, kind="stable"))
        assert_close(Tensor(a).argsort(axis, descending=True), np.argsort(-a, axis=axis, kind="stable"))
        check_torch(lambda x: x.sort(axis)[0], lambda t: t.sort(axis)[0], [a], device, rng)
        check_torch(
            lambda x: x.sort(axis, descending=True).values,
            lambda t: t.sort(axis, descending=True).values,
            [a],
            device,
            rng,
        )


def test_sort_ties_follow_pytorch(device):
    """Equal values: each gradient goes to the element the stable order put there, as torch's stable sort."""
    a = np.array([[2.0, 1.0, 2.0, 1.0, 3.0], [0.0, 0.0, 0.0, -1.0, 0.0]])
    g = np.arange(10.0).reshape(2, 5)
    torch = torch_or_skip()
    for descending in (False, True):
        x = Tensor(a, requires_grad=True, device=device)
        values, indices = x.sort(-1, descending=descending)
        values.backward(Tensor(g, device=device))
        t = torch.tensor(a, requires_grad=True)
        tv, ti = torch.sort(t, dim=-1, descending=descending, stable=True)
        tv.backward(torch.tensor(g))
        assert_close(values, tv.detach().numpy())
        assert_close(indices, ti.detach().numpy())
        assert_close(x.grad, t.grad.numpy())


@FEW
@given(shape=shapes, data=st.data(), seed=seeds)
def test_partition(shape, data, seed, device):
    nd = len(shape)
    axis = data.draw(st.integers(-nd, nd - 1))
    n = shape[axis]
    if n == 0:
        return
    kth = data.draw(st.one_of(st.integers(-n, n - 1), st.lists(st.integers(0, n - 1), min_size=1, max_size=2)))
    rng = np.random.default_rng(seed)
    a = draw("distinct", shape, rng)
    fn = lambda x: tnp.partition(x, kth, axis=axis)  # noqa: E731
    assert_close(fn(Tensor(a, device=device)), np.partition(a, kth, axis=axis), what="forward")
    check_fd(fn, [a], device, rng)


@FEW
@given(shape=shapes, data=st.data(), seed=seeds)
def test_take_and_take_along_axis(shape, data, seed, device):
    nd = len(shape)
    rng = np.random.default_rng(seed)
    a = rng.uniform(-2, 2, shape)
    axis = data.draw(st.sampled_from([None, *range(-nd, nd)]))
    n = a.size if axis is None else shape[axis]
    if n == 0:
        return
    idx = rng.integers(-n, n, data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3)))
    take = lambda x: tnp.take(x, idx, axis=axis)  # noqa: E731
    assert_close(take(Tensor(a, device=device)), np.take(a, idx, axis=axis), what="take")
    check_fd(take, [a], device, rng)  # repeated indices add up their gradients
    for mode in ("wrap", "clip"):
        big = idx * 3
        assert_close(tnp.take(Tensor(a), big, axis=axis, mode=mode), np.take(a, big, axis=axis, mode=mode))
    # take_along_axis: indices with a's number of axes, size 1 where they broadcast
    if axis is None:
        along_idx = rng.integers(0, n, (data.draw(st.integers(0, 4)),))
    else:
        along_shape = [data.draw(st.sampled_from([1, s])) for s in shape]
        along_shape[axis] = data.draw(st.integers(0, 4))
        along_idx = rng.integers(0, n, tuple(along_shape))
    along = lambda x: tnp.take_along_axis(x, along_idx, axis=axis)  # noqa: E731
    assert_close(along(Tensor(a, device=device)), np.take_along_axis(a, along_idx, axis=axis), what="along")
    check_fd(along, [a], device, rng)
    if axis is not None and all(s == t for d, (s, t) in enumerate(zip(along_idx.shape, shape)) if d != axis % nd):
        check_torch(
            lambda x: x.take_along_dim(along_idx, axis),
            lambda t: torch_or_skip().take_along_dim(t, torch_or_skip().from_numpy(along_idx), axis),
            [a],
            device,
            rng,
        )


def test_tensor_take_is_torch_take(device):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4))
    idx = np.array([[0, 5], [11, 5]])
    check_torch(lambda x: x.take(idx), lambda t: t.take(torch_or_skip().from_numpy(idx)), [a], device, rng)


@FEW
@given(shape=shapes, data=st.data(), seed=seeds)
def test_diff(shape, data, seed, device):
    nd = len(shape)
    axis = data.draw(st.integers(-nd, nd - 1))
    n = data.draw(st.integers(0, 3))
    rng = np.random.default_rng(seed)
    a = rng.uniform(-2, 2, shape)
    kw = {}
    if data.draw(st.booleans()):
        kw["prepend"] = (
            0.5
            if data.draw(st.booleans())
            else rng.uniform(-1, 1, tuple(2 if i == axis % nd else s for i, s in enumerate(shape)))
        )
    if data.draw(st.booleans()):
        kw["append"] = rng.uniform(-1, 1, tuple(1 if i == axis % nd else s for i, s in enumerate(shape)))
    if a.shape[axis] + sum(np.ndim(v) and v.shape[axis] or 1 for v in kw.values()) - n < 0:
        return
    fn = lambda x: tnp.diff(x, n, axis, **kw)  # noqa: E731
    assert_close(fn(Tensor(a, device=device)), np.diff(a, n, axis, **kw), rtol=1e-13, atol=1e-13, what="forward")
    assert_close(fn(a), np.diff(a, n, axis, **kw), what="plain NumPy")
    check_fd(fn, [a], device, rng)
    if "append" in kw:  # differentiable in what is appended too
        check_fd(lambda x, z: tnp.diff(x, n, axis, append=z), [a, kw["append"]], device, rng)
    if not kw and n:
        check_torch(fn, lambda t: t.diff(n, axis), [a], device, rng)


def test_select_and_choose(device):
    rng = np.random.default_rng(1)
    x = rng.uniform(-2, 2, (3, 4))
    c1, c2 = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (4,))
    conds = [x < -0.5, x > 0.5]
    expected = np.select(conds, [c1, c2], default=7.0)
    t1, t2 = tensors([c1, c2], device)
    assert_close(tnp.select(conds, [t1, t2], 7.0), expected)
    assert_close(tnp.select(conds, [c1, c2], 7.0), expected)
    check_fd(lambda p, q: tnp.select(conds, [p, q], 7.0), [c1, c2], device, rng)
    check_fd(lambda p, q, d: tnp.select(conds, [p, q], d), [c1, c2, np.array(0.3)], device, rng)

    a = rng.integers(0, 3, (3, 4))
    choices = [rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (4,)), rng.uniform(-1, 1, (3, 1))]
    assert_close(tnp.choose(a, tensors(choices, device)), np.choose(a, choices))
    check_fd(lambda *cs: tnp.choose(a, list(cs)), choices, device, rng)
    assert_close(tnp.choose(a + 3, tensors(choices, device), mode="wrap"), np.choose(a + 3, choices, mode="wrap"))
    with pytest.raises(ValueError, match=r"choose: an index is outside \[0, 3\)"):
        tnp.choose(a + 3, tensors(choices, device))


def test_second_derivatives(device):
    rng = np.random.default_rng(2)
    x = Tensor(draw("distinct", (3, 4), rng), requires_grad=True, device=device)
    idx = np.array([[0, 0, 2], [3, 1, 1], [2, 2, 2]])
    cases = {
        "sort": lambda t: tnp.sort((t + t**3), axis=1),
        "partition": lambda t: tnp.partition((t + t**3), 1, axis=0),
        "take": lambda t: tnp.take((t + t**3), idx),
        "take_along_axis": lambda t: tnp.take_along_axis((t + t**3), idx, axis=1),
        "diff": lambda t: tnp.diff((t + t**3), 2, axis=1),
    }
    for name, fn in cases.items():
        assert tg.gradgradcheck(fn, [x], atol=1e-6, rtol=1e-5), name
    a = np.array([[0, 1, 2, 1], [2, 2, 0, 1], [1, 0, 0, 2]])
    conds = [x.detach().numpy() < -0.2, x.detach().numpy() > 0.3]
    assert tg.gradgradcheck(lambda t: tnp.choose(a, [t * t, t**3, t.sin()]), [x], atol=1e-6, rtol=1e-5)
    assert tg.gradgradcheck(lambda t: tnp.select(conds, [t * t, t**3], t.sin()), [x], atol=1e-6, rtol=1e-5)


def test_errors_name_the_problem():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(IndexError, match="take: an index is out of range"):
        tnp.take(x, [6])
    with pytest.raises(TypeError, match="take: indices must be integers"):
        tnp.take(x, [0.5])
    with pytest.raises(ValueError, match="take_along_axis: indices of shape"):
        tnp.take_along_axis(x, np.array([0, 1]), axis=1)
    with pytest.raises(ValueError, match="diff: order n must be non-negative"):
        tnp.diff(x, -1)
    with pytest.raises(ValueError, match="select: 1 conditions but 2 choices"):
        tnp.select([np.ones((2, 3), bool)], [x, x])
    with pytest.raises(ValueError, match="partition: kth=5"):
        tnp.partition(x, 5)
    with pytest.raises(ValueError, match="sort: axis -1 is out of range for a 0-d array"):
        tnp.sort(Tensor(2.0, requires_grad=True))
    assert_close(tnp.sort(Tensor(2.0), axis=None), np.sort(np.array(2.0), axis=None))  # (1,), as NumPy
    assert_close(Tensor(2.0).sort().values, 2.0)  # torch.sort keeps a 0-d tensor
