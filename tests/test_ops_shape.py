"""Shape ops, indexing, joining and padding: forward against NumPy, backward against central
differences in float64, and both against PyTorch where it has a twin.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from helpers import SETTINGS, assert_close, check_fd, check_forward, check_torch, torch_or_skip
from tinygrad_edu import Tensor

seeds = st.integers(0, 2**32 - 1)


# ------------------------------------------------------------------------------- shapes


@st.composite
def reshape_case(draw_):
    shape = draw_(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    target = list(draw_(st.permutations(list(shape)))) if shape else []
    if draw_(st.booleans()):
        target = [int(np.prod(target, dtype=np.int64))]
    if target and draw_(st.booleans()):
        target[draw_(st.integers(0, len(target) - 1))] = -1
    if draw_(st.booleans()):
        target.insert(draw_(st.integers(0, len(target))), 1)
    return tuple(shape), tuple(target)


@SETTINGS
@given(case=reshape_case(), seed=seeds, as_tuple=st.booleans())
def test_reshape(case, seed, as_tuple, device):
    shape, target = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)

    def fn(t):
        return t.reshape(target) if as_tuple else t.reshape(*target)

    check_forward(fn, lambda a: a.reshape(target), [x], device)
    check_fd(fn, [x], device, rng)
    check_forward(lambda t: t.view(target), lambda a: a.reshape(target), [x], device)


def test_reshape_errors(device):
    x = Tensor(np.ones((2, 3)), device=device)
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\).*\(4, 2\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match="only one axis may be -1"):
        x.reshape(-1, -1)


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3), data=st.data(), seed=seeds)
def test_flatten(shape, data, seed, device):
    nd = len(shape)
    start = data.draw(st.integers(-nd, nd - 1))
    end = data.draw(st.integers(start % nd, nd - 1))
    if data.draw(st.booleans()):
        end -= nd
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    s, e = start % nd, end % nd
    new = shape[:s] + (int(np.prod(shape[s : e + 1])),) + shape[e + 1 :]
    check_forward(lambda t: t.flatten(start, end), lambda a: a.reshape(new), [x], device)
    check_forward(lambda t: t.flatten(), lambda a: a.reshape(-1), [x], device)
    check_fd(lambda t: t.flatten(start, end), [x], device, rng)
    torch = torch_or_skip()
    check_torch(lambda t: t.flatten(start, end), lambda t: torch.flatten(t, start, end), [x], device, rng)


def test_flatten_of_a_scalar(device):
    assert Tensor(3.0, device=device).flatten().shape == (1,)


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3), data=st.data(), seed=seeds)
def test_permute_transpose(shape, data, seed, device):
    nd = len(shape)
    perm = tuple(data.draw(st.permutations(range(nd))))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    check_forward(lambda t: t.permute(*perm), lambda a: a.transpose(perm), [x], device)
    check_forward(lambda t: t.permute(perm), lambda a: a.transpose(perm), [x], device)
    check_forward(lambda t: t.transpose(), lambda a: a.transpose(), [x], device)
    check_forward(lambda t: t.T, lambda a: a.T, [x], device)
    check_fd(lambda t: t.permute(*perm), [x], device, rng)
    if nd >= 2:
        a, b = data.draw(st.integers(-nd, nd - 1)), data.draw(st.integers(-nd, nd - 1))
        check_forward(lambda t: t.transpose(a, b), lambda v: np.swapaxes(v, a, b), [x], device)
        check_forward(lambda t: t.mT, lambda v: np.swapaxes(v, -1, -2), [x], device)
        check_fd(lambda t: t.transpose(a, b), [x], device, rng)
        torch = torch_or_skip()
        check_torch(lambda t: t.transpose(a, b), lambda t: torch.transpose(t, a, b), [x], device, rng)
        check_torch(lambda t: t.permute(*perm), lambda t: t.permute(*perm), [x], device, rng)


def test_permute_errors(device):
    x = Tensor(np.ones((2, 3)), device=device)
    with pytest.raises(ValueError, match="permute.*not a permutation"):
        x.permute(0, 0)
    with pytest.raises(ValueError, match="permute"):
        x.permute(0, 1, 2)


@st.composite
def expand_case(draw_):
    target = draw_(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3))
    drop = draw_(st.integers(0, len(target)))
    small = [1 if draw_(st.booleans()) else s for s in target[drop:]]
    # -1 keeps an existing axis as it is
    spec = [-1 if i >= drop and small[i - drop] == s and draw_(st.booleans()) else s for i, s in enumerate(target)]
    return tuple(small), tuple(target), tuple(spec)


@SETTINGS
@given(case=expand_case(), seed=seeds)
def test_expand_broadcast_to(case, seed, device):
    small, target, spec = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(small)
    check_forward(lambda t: t.expand(*target), lambda a: np.broadcast_to(a, target), [x], device)
    check_forward(lambda t: t.broadcast_to(target), lambda a: np.broadcast_to(a, target), [x], device)
    check_forward(lambda t: t.expand(spec), lambda a: np.broadcast_to(a, target), [x], device)
    check_fd(lambda t: t.expand(*target), [x], device, rng)
    check_torch(lambda t: t.expand(*target), lambda t: t.expand(target), [x], device, rng)


def test_expand_error_names_both_shapes(device):
    with pytest.raises(ValueError, match=r"expand.*\(2, 3\).*\(4, 3\)"):
        Tensor(np.ones((2, 3)), device=device).expand(4, 3)


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=2), data=st.data(), seed=seeds)
def test_squeeze_unsqueeze(shape, data, seed, device):
    nd = len(shape)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    check_forward(lambda t: t.squeeze(), np.squeeze, [x], device)
    check_fd(lambda t: t.squeeze(), [x], device, rng)
    ones = [i for i, s in enumerate(shape) if s == 1]
    if ones:
        axes = tuple(data.draw(st.lists(st.sampled_from(ones), min_size=1, unique=True)))
        check_forward(lambda t: t.squeeze(axes), lambda a: np.squeeze(a, axes), [x], device)
        check_forward(lambda t: t.squeeze(dim=axes[0] - nd), lambda a: np.squeeze(a, axes[0]), [x], device)
    axis = data.draw(st.integers(-nd - 1, nd))
    check_forward(lambda t: t.unsqueeze(axis), lambda a: np.expand_dims(a, axis), [x], device)
    check_fd(lambda t: t.unsqueeze(axis), [x], device, rng)
    check_torch(lambda t: t.unsqueeze(axis), lambda t: t.unsqueeze(axis), [x], device, rng)


def test_squeeze_keeps_non_unit_axes_and_unsqueeze_checks_range(device):
    x = Tensor(np.ones((2, 1, 3)), device=device)
    assert x.squeeze(0).shape == (2, 1, 3)  # as PyTorch: a non-unit axis is left alone
    assert x.squeeze(1).shape == (2, 3)
    with pytest.raises(ValueError, match="unsqueeze: axis 4"):
        x.unsqueeze(4)


# ------------------------------------------------------------------------------- indexing


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data(), seed=seeds)
def test_getitem_basic(shape, data, seed, device):
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    check_forward(lambda t: t[index], lambda a: a[index], [x], device)
    check_fd(lambda t: t[index], [x], device, rng)


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data(), seed=seeds)
def test_getitem_advanced_integer_arrays(shape, data, seed, device):
    index = data.draw(
        hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=5))
    )
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    check_forward(lambda t: t[index], lambda a: a[index], [x], device)
    check_fd(lambda t: t[index], [x], device, rng)
    # the same index given as tensors
    tindex = tuple(Tensor(i, device=device) for i in index)
    check_forward(lambda t: t[tindex], lambda a: a[index], [x], device)
    torch = torch_or_skip()
    tt_index = tuple(torch.tensor(i) for i in index)
    check_torch(lambda t: t[index], lambda t: t[tt_index], [x], device, rng)


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=seeds)
def test_getitem_boolean_mask(shape, seed, device):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    mask = rng.random(shape) < 0.5
    check_forward(lambda t: t[mask], lambda a: a[mask], [x], device)
    check_forward(lambda t: t[Tensor(mask, device=device)], lambda a: a[mask], [x], device)
    check_fd(lambda t: t[mask], [x], device, rng)
    check_fd(lambda t: t[Tensor(mask, device=device)], [x], device, rng)


def test_getitem_repeated_indices_accumulate(device):
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True, device=device)
    rows = [0, 2, 0, 0]
    y = x[rows]
    assert_close(y, np.arange(12.0).reshape(3, 4)[rows])
    w = np.arange(16.0).reshape(4, 4)
    (y * Tensor(w, device=device)).sum().backward()
    expected = np.zeros((3, 4))
    np.add.at(expected, rows, w)
    assert_close(x.grad, expected)
    assert_close(x.grad[0], w[0] + w[2] + w[3])
    # mixed advanced and basic, repeated pairs
    x.grad = None
    x[[1, 1, 2], 1:3].sum().backward()
    expected = np.zeros((3, 4))
    expected[1, 1:3] = 2.0
    expected[2, 1:3] = 1.0
    assert_close(x.grad, expected)
    x.grad = None
    x[[0, 0], [3, 3]].sum().backward()
    assert x.grad.numpy()[0, 3] == 2.0 and x.grad.numpy().sum() == 2.0


def test_getitem_repeated_indices_against_torch(device):
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3, 2))
    i, j = np.array([[0, 3], [3, 3]]), np.array([1, 1])
    check_torch(lambda t: t[i, :, j], lambda t: t[torch.tensor(i), :, torch.tensor(j)], [x], device, rng)
    check_torch(lambda t: t[..., [1, 1, 0]], lambda t: t[..., [1, 1, 0]], [x], device, rng)
    check_torch(lambda t: t[1:, None, [2, 0, 2]], lambda t: t[1:, None, [2, 0, 2]], [x], device, rng)


def test_getitem_second_order(device):
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True, device=device)
    assert tg.gradgradcheck(lambda t: t[[0, 0, 2]] ** 3, [x])
    assert tg.gradgradcheck(lambda t: t[1:] ** 3, [x])


def test_getitem_out_of_range_names_op(device):
    with pytest.raises(IndexError, match="GetItem"):
        Tensor(np.ones(3), device=device)[5]


# ------------------------------------------------------------------------------- joining and padding


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), data=st.data(), seed=seeds)
def test_concatenate_and_stack(shape, data, seed, device):
    nd = len(shape)
    axis = data.draw(st.integers(-nd, nd - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    rng = np.random.default_rng(seed)
    arrays = []
    for s in sizes:
        sh = list(shape)
        sh[axis] = s
        arrays.append(rng.standard_normal(sh))
    check_forward(lambda *ts: tg.concatenate(ts, axis), lambda *a: np.concatenate(a, axis), arrays, device)
    check_forward(lambda *ts: tg.cat(list(ts), axis=axis), lambda *a: np.concatenate(a, axis), arrays, device)
    check_fd(lambda *ts: tg.concatenate(ts, axis), arrays, device, rng)
    same = [rng.standard_normal(shape) for _ in sizes]
    saxis = data.draw(st.integers(-nd - 1, nd))
    check_forward(lambda *ts: tg.stack(ts, saxis), lambda *a: np.stack(a, saxis), same, device)
    check_fd(lambda *ts: tg.stack(ts, saxis), same, device, rng)
    torch = torch_or_skip()
    check_torch(lambda *ts: tg.concatenate(ts, axis), lambda *ts: torch.cat(ts, axis), arrays, device, rng)
    check_torch(lambda *ts: tg.stack(ts, saxis), lambda *ts: torch.stack(ts, saxis), same, device, rng)


def test_concatenate_with_a_constant_and_errors(device):
    x = Tensor([1.0, 2.0], requires_grad=True, device=device)
    c = Tensor([5.0], device=device)
    out = tg.concatenate([c, x, c])
    assert_close(out, [5.0, 1.0, 2.0, 5.0])
    (out * Tensor([1.0, 2.0, 3.0, 4.0], device=device)).sum().backward()
    assert_close(x.grad, [2.0, 3.0])
    with pytest.raises(ValueError, match=r"concatenate: tensor 1 has shape \(2, 2\)"):
        tg.concatenate([Tensor(np.ones((2, 3)), device=device), Tensor(np.ones((2, 2)), device=device)], axis=0)
    with pytest.raises(ValueError, match=r"stack: tensor 1 has shape \(3,\)"):
        tg.stack([x, Tensor(np.ones(3), device=device)])
    with pytest.raises(ValueError, match="at least one"):
        tg.concatenate([])


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), data=st.data(), seed=seeds)
def test_split(shape, data, seed, device):
    nd = len(shape)
    axis = data.draw(st.integers(-nd, nd - 1))
    n = shape[axis]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    size = data.draw(st.integers(1, n + 1))
    pieces = Tensor(x, device=device).split(size, axis)
    expected = np.split(x, range(size, n, size), axis)
    assert len(pieces) == len(expected)
    for p, e in zip(pieces, expected):
        assert_close(p, e)
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=3)))
    sections = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    for p, e in zip(Tensor(x, device=device).split(sections, dim=axis), np.split(x, cuts, axis)):
        assert_close(p, e)
    w = [rng.standard_normal(e.shape) for e in expected]
    check_fd(
        lambda t: sum(((p * wi).sum() for p, wi in zip(t.split(size, axis), w)), Tensor(0.0, device=device)),
        [x],
        device,
        rng,
    )


def test_split_errors(device):
    x = Tensor(np.ones((4, 2)), device=device)
    with pytest.raises(ValueError, match=r"split: sizes \[1, 2\] add up to 3, not 4"):
        x.split([1, 2])
    with pytest.raises(ValueError, match="split: size must be positive"):
        x.split(0)


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), data=st.data(), seed=seeds)
def test_pad(shape, data, seed, device):
    nd = len(shape)
    form = data.draw(st.sampled_from(["int", "pair", "per-axis"]))
    if form == "int":
        pw = data.draw(st.integers(0, 2))
    elif form == "pair":
        pw = (data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2)))
    else:
        pw = tuple((data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))) for _ in range(nd))
    value = data.draw(st.sampled_from([0.0, -1.5]))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    check_forward(lambda t: t.pad(pw, value=value), lambda a: np.pad(a, pw, constant_values=value), [x], device)
    check_fd(lambda t: t.pad(pw, value=value), [x], device, rng)


def test_pad_against_torch_and_errors(device):
    torch = torch_or_skip()
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3))
    check_torch(
        lambda t: t.pad(((1, 0), (2, 1)), value=0.5),
        lambda t: torch.nn.functional.pad(t, (2, 1, 1, 0), value=0.5),
        [x],
        device,
        rng,
    )
    with pytest.raises(ValueError, match="pad: pad_width"):
        Tensor(x, device=device).pad(((1, 1),) * 3)
    with pytest.raises(ValueError, match="pad: pad_width"):
        Tensor(x, device=device).pad(-1)
