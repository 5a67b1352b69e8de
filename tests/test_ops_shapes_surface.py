"""NumPy's shape, packing and matrix-structure functions (``tinygrad_edu.numpy`` and the Tensor
methods): forward against NumPy, backward against central differences in float64 and against
PyTorch's twin where it has one, over hypothesis-drawn shapes including empty and 0-d where NumPy
allows them; second derivatives through ``gradgradcheck``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
import tinygrad_edu.numpy as tnp
from helpers import SETTINGS, assert_close, check_fd, check_torch, torch_or_skip
from tinygrad_edu import Tensor

seeds = st.integers(0, 2**32 - 1)
SOME = settings(SETTINGS, max_examples=max(5, SETTINGS.max_examples // 2))


def shapes(min_dims=0, max_dims=3, min_side=0):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=3)


def flat(out):
    """One tensor (or array) from a list of pieces, so that one check covers them all."""
    if not isinstance(out, (list, tuple)):
        return out
    if isinstance(out[0], Tensor):
        return tg.concatenate([p.reshape(-1) for p in out], 0)
    if not isinstance(out[0], np.ndarray):  # PyTorch's pieces
        return _torch().cat([p.reshape(-1) for p in out])
    return np.concatenate([np.reshape(p, -1) for p in out])


def check(fn, np_fn, arrays, device, seed, torch_fn=None, method=None):
    """``tinygrad_edu.numpy`` (and the Tensor method) against NumPy, central differences, PyTorch."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(a) if isinstance(a, tuple) else a for a in arrays]
    ts = [Tensor(a, device=device) for a in arrays]
    expected = flat(np_fn(*arrays))
    assert_close(flat(fn(*ts)), expected, 0, 0, what="tinygrad_edu.numpy vs numpy")
    if method is not None:
        assert_close(flat(method(*ts)), expected, 0, 0, what="Tensor method vs numpy")
    check_fd(lambda *a: flat(fn(*a)), arrays, device, rng)
    if torch_fn is not None:
        torch_or_skip()
        check_torch(lambda *a: flat(fn(*a)), lambda *a: flat(torch_fn(*a)), arrays, device, rng)


def _torch():
    return torch_or_skip()


# ----------------------------------------------------------------------------- matrix structure


@SOME
@given(n=st.integers(0, 4), k=st.integers(-3, 3), two_d=st.booleans(), m=st.integers(0, 4), seed=seeds)
def test_diag(n, k, two_d, m, seed, device):
    shape = (n, m) if two_d else (n,)
    check(
        lambda t: tnp.diag(t, k),
        lambda a: np.diag(a, k),
        [shape],
        device,
        seed,
        torch_fn=lambda t: _torch().diag(t, k),
        method=lambda t: t.diag(k),
    )


@SOME
@given(shape=shapes(2, 4), data=st.data(), seed=seeds)
def test_diagonal_and_trace(shape, data, seed, device):
    nd = len(shape)
    a1, a2 = data.draw(st.permutations(list(range(-nd, 0))))[:2]
    off = data.draw(st.integers(-3, 3))
    check(
        lambda t: tnp.diagonal(t, off, a1, a2),
        lambda a: np.diagonal(a, off, a1, a2),
        [shape],
        device,
        seed,
        torch_fn=lambda t: _torch().diagonal(t, off, a1, a2),
        method=lambda t: t.diagonal(off, a1, a2),
    )
    check(
        lambda t: tnp.trace(t, off, a1, a2),
        lambda a: np.trace(a, off, a1, a2),
        [shape],
        device,
        seed,
        torch_fn=lambda t: _torch().diagonal(t, off, a1, a2).sum(-1),
        method=lambda t: t.trace(off, a1, a2),
    )


@SOME
@given(shape=shapes(1, 4), k=st.integers(-3, 3), upper=st.booleans(), seed=seeds)
def test_tril_triu(shape, k, upper, seed, device):
    name = "triu" if upper else "tril"
    torch_fn = (lambda t: getattr(_torch(), name)(t, k)) if len(shape) >= 2 else None
    method = (lambda t: getattr(t, name)(k)) if len(shape) >= 2 else None
    check(
        lambda t: getattr(tnp, name)(t, k), lambda a: getattr(np, name)(a, k), [shape], device, seed, torch_fn, method
    )


def test_tril_keeps_infinities_of_the_kept_triangle(device):
    x = Tensor(np.array([[1.0, np.inf], [-np.inf, 2.0]]), device=device)
    assert_close(x.tril(), np.array([[1.0, 0.0], [-np.inf, 2.0]]), 0, 0)


# ----------------------------------------------------------------------------- splitting and joining


@SOME
@given(shape=shapes(1, 3, 1), data=st.data(), seed=seeds)
def test_split_and_array_split(shape, data, seed, device):
    nd = len(shape)
    axis = data.draw(st.integers(-nd, nd - 1))
    n = shape[axis]
    sections = data.draw(st.integers(1, 4))
    check(
        lambda t: tnp.array_split(t, sections, axis),
        lambda a: np.array_split(a, sections, axis),
        [shape],
        device,
        seed,
        torch_fn=lambda t: _torch().tensor_split(t, sections, axis),
        method=lambda t: t.tensor_split(sections, axis),
    )
    cuts = sorted(data.draw(st.lists(st.integers(0, n + 1), max_size=3)))
    check(lambda t: tnp.split(t, cuts, axis), lambda a: np.split(a, cuts, axis), [shape], device, seed)
    divisor = data.draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
    check(lambda t: tnp.split(t, divisor, axis), lambda a: np.split(a, divisor, axis), [shape], device, seed)


def test_split_refuses_unequal_parts_as_numpy(device):
    with pytest.raises(ValueError, match=r"split: axis 0 of length 5 does not divide into 2 equal parts"):
        tnp.split(Tensor(np.ones(5), device=device), 2)


@SOME
@given(shape=shapes(1, 3, 1), sections=st.integers(1, 3), seed=seeds)
def test_hsplit_vsplit_dsplit(shape, sections, seed, device):
    for name, need in (("hsplit", 1), ("vsplit", 2), ("dsplit", 3)):
        axis = 2 if name == "dsplit" else 0 if name == "vsplit" or len(shape) == 1 else 1
        full = shape + (2,) * (need - len(shape)) if len(shape) < need else shape
        full = full[:axis] + (sections * full[axis],) + full[axis + 1 :]
        check(
            lambda t: getattr(tnp, name)(t, sections),  # noqa: B023  (called at once)
            lambda a: getattr(np, name)(a, sections),  # noqa: B023  (called at once)
            [full],
            device,
            seed,
            torch_fn=lambda t: getattr(_torch(), name)(t, sections),  # noqa: B023  (called at once)
            method=lambda t: getattr(t, name)(sections),  # noqa: B023  (called at once)
        )
    with pytest.raises(ValueError, match="dsplit: needs at least 3 axes"):
        tnp.dsplit(Tensor(np.ones((2, 2)), device=device), 2)


@SOME
@given(shape=shapes(0, 3), axis_none=st.booleans(), extra=st.integers(0, 2), seed=seeds)
def test_append(shape, axis_none, extra, seed, device):
    if axis_none or not shape:
        check(lambda a, b: tnp.append(a, b), lambda a, b: np.append(a, b), [shape, (extra,)], device, seed)
    else:
        other = (extra,) + shape[1:]
        check(
            lambda a, b: tnp.append(a, b, axis=0),
            lambda a, b: np.append(a, b, axis=0),
            [shape, other],
            device,
            seed,
            torch_fn=lambda a, b: _torch().cat([a, b], 0),
        )


@SOME
@given(n=st.integers(0, 3), two_d=st.booleans(), seed=seeds)
def test_column_row_dstack(n, two_d, seed, device):
    shape = (n, 2) if two_d else (n,)
    for name, torch_name in (("column_stack", "column_stack"), ("row_stack", "vstack"), ("dstack", "dstack")):
        np_name = "vstack" if name == "row_stack" else name  # np.row_stack is deprecated in NumPy 2
        check(
            lambda a, b: getattr(tnp, name)([a, b]),  # noqa: B023  (called at once)
            lambda a, b: getattr(np, np_name)([a, b]),  # noqa: B023  (called at once)
            [shape, shape],
            device,
            seed,
            torch_fn=lambda a, b: getattr(_torch(), torch_name)([a, b]),  # noqa: B023  (called at once)
        )


# ----------------------------------------------------------------------------- padding, repeating


@SOME
@given(shape=shapes(1, 3, 1), data=st.data(), seed=seeds)
def test_pad_modes(shape, data, seed, device):
    mode = data.draw(st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap"]))
    limit = 5 if mode != "reflect" else 0
    widths = tuple(
        (data.draw(st.integers(0, limit or max(s - 1, 0))), data.draw(st.integers(0, limit or max(s - 1, 0))))
        for s in shape
    )
    per_axis = tuple((0.25 * i, -0.5 * i) for i in range(len(shape)))  # later axes fill the corners
    kw = {"constant_values": data.draw(st.sampled_from([0.75, (0.5, -1.0), per_axis]))} if mode == "constant" else {}
    check(
        lambda t: tnp.pad(t, widths, mode, **kw),
        lambda a: np.pad(a, widths, mode, **kw),
        [shape],
        device,
        seed,
        method=(lambda t: t.pad(widths, mode=mode)) if mode != "constant" else None,
    )


def test_pad_refuses_modes_without_a_rule(device):
    with pytest.raises(ValueError, match=r"pad: mode must be one of .* got 'mean'"):
        tnp.pad(Tensor(np.ones(3), device=device), 1, "mean")


@SOME
@given(shape=shapes(0, 3), data=st.data(), seed=seeds)
def test_repeat(shape, data, seed, device):
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1))) if shape else None
    n = int(np.prod(shape)) if axis is None else shape[axis]
    reps = data.draw(st.one_of(st.integers(0, 3), st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    check(
        lambda t: tnp.repeat(t, reps, axis),
        lambda a: np.repeat(a, reps, axis),
        [shape],
        device,
        seed,
        torch_fn=lambda t: _torch().repeat_interleave(
            t, _torch().tensor(reps, dtype=_torch().int64) if isinstance(reps, list) else reps, axis
        ),
        method=lambda t: t.repeat_interleave(reps, axis),
    )


@SOME
@given(shape=shapes(0, 3), reps=st.lists(st.integers(0, 3), min_size=0, max_size=4), seed=seeds)
def test_tile(shape, reps, seed, device):
    reps = tuple(reps)
    torch_fn = (lambda t: _torch().tile(t, reps)) if reps else None
    check(
        lambda t: tnp.tile(t, reps), lambda a: np.tile(a, reps), [shape], device, seed, torch_fn, lambda t: t.tile(reps)
    )
    if len(reps) >= len(shape) and reps:  # PyTorch's repeat is NumPy's tile when no axis is added by broadcasting
        check(lambda t: t.repeat(*reps), lambda a: np.tile(a, reps), [shape], device, seed)


# ----------------------------------------------------------------------------- reordering


@SOME
@given(shape=shapes(0, 3), data=st.data(), seed=seeds)
def test_roll(shape, data, seed, device):
    nd = len(shape)
    if nd and data.draw(st.booleans()):
        axes = tuple(data.draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=3)))
        shifts = tuple(data.draw(st.integers(-5, 5)) for _ in axes)
    else:
        axes, shifts = None, data.draw(st.integers(-5, 5))
    check(
        lambda t: tnp.roll(t, shifts, axes),
        lambda a: np.roll(a, shifts, axes),
        [shape],
        device,
        seed,
        torch_fn=lambda t: _torch().roll(t, shifts, axes) if axes is not None else _torch().roll(t, shifts),
        method=lambda t: t.roll(shifts, axes),
    )


@SOME
@given(shape=shapes(0, 3), data=st.data(), seed=seeds)
def test_flips(shape, data, seed, device):
    nd = len(shape)
    axes = data.draw(st.one_of(st.none(), st.lists(st.integers(0, nd - 1), unique=True).map(tuple))) if nd else None
    dims = tuple(range(nd)) if axes is None else axes
    check(
        lambda t: tnp.flip(t, axes),
        lambda a: np.flip(a, axes),
        [shape],
        device,
        seed,
        torch_fn=lambda t: _torch().flip(t, dims),
        method=lambda t: t.flip(*dims) if dims else t.flip(()),
    )
    if nd >= 2:
        check(tnp.fliplr, np.fliplr, [shape], device, seed, lambda t: _torch().fliplr(t), lambda t: t.fliplr())
    if nd >= 1:
        check(tnp.flipud, np.flipud, [shape], device, seed, lambda t: _torch().flipud(t), lambda t: t.flipud())


@SOME
@given(shape=shapes(2, 4), data=st.data(), seed=seeds)
def test_rot90(shape, data, seed, device):
    nd = len(shape)
    axes = tuple(data.draw(st.permutations(list(range(nd))))[:2])
    k = data.draw(st.integers(-5, 5))
    check(
        lambda t: tnp.rot90(t, k, axes),
        lambda a: np.rot90(a, k, axes),
        [shape],
        device,
        seed,
        torch_fn=lambda t: _torch().rot90(t, k, axes),
        method=lambda t: t.rot90(k, axes),
    )


@SOME
@given(shape=shapes(1, 4), data=st.data(), seed=seeds)
def test_moveaxis_rollaxis_swapaxes(shape, data, seed, device):
    nd = len(shape)
    m = data.draw(st.integers(1, nd))
    src = tuple(data.draw(st.permutations(list(range(nd))))[:m])
    dst = tuple(data.draw(st.permutations(list(range(-nd, 0))))[:m])
    check(
        lambda t: tnp.moveaxis(t, src, dst),
        lambda a: np.moveaxis(a, src, dst),
        [shape],
        device,
        seed,
        torch_fn=lambda t: _torch().movedim(t, src, dst),
        method=lambda t: t.movedim(src, dst),
    )
    axis, start = data.draw(st.integers(-nd, nd - 1)), data.draw(st.integers(-nd, nd))
    check(lambda t: tnp.rollaxis(t, axis, start), lambda a: np.rollaxis(a, axis, start), [shape], device, seed)
    a1, a2 = data.draw(st.integers(-nd, nd - 1)), data.draw(st.integers(-nd, nd - 1))
    check(
        lambda t: tnp.swapaxes(t, a1, a2),
        lambda a: np.swapaxes(a, a1, a2),
        [shape],
        device,
        seed,
        torch_fn=lambda t: _torch().swapaxes(t, a1, a2),
    )


# ----------------------------------------------------------------------------- adding and removing axes


@SOME
@given(shape=shapes(0, 4), seed=seeds)
def test_atleast_ravel(shape, seed, device):
    for n in (1, 2, 3):
        name = f"atleast_{n}d"
        check(getattr(tnp, name), getattr(np, name), [shape], device, seed, lambda t: getattr(_torch(), name)(t))  # noqa: B023  (called at once)
    check(tnp.ravel, np.ravel, [shape], device, seed, lambda t: _torch().ravel(t), lambda t: t.ravel())


def test_atleast_of_several_arrays_gives_a_list(device):
    a, b = Tensor(1.0, device=device), Tensor(np.ones(3), device=device)
    out = tnp.atleast_2d(a, b)
    assert [o.shape for o in out] == [(1, 1), (1, 3)]


@SOME
@given(shape=shapes(0, 4), data=st.data(), seed=seeds)
def test_squeeze_expand_dims_broadcast_to(shape, data, seed, device):
    ones = [i for i, s in enumerate(shape) if s == 1]
    axis = data.draw(st.one_of(st.none(), st.lists(st.sampled_from(ones), unique=True).map(tuple))) if ones else None
    torch_fn = (lambda t: _torch().squeeze(t, axis)) if axis is not None else (lambda t: _torch().squeeze(t))
    check(lambda t: tnp.squeeze(t, axis), lambda a: np.squeeze(a, axis), [shape], device, seed, torch_fn)
    k = data.draw(st.integers(1, 2))
    nd = len(shape) + k
    new = tuple(data.draw(st.lists(st.integers(-nd, nd - 1), min_size=k, max_size=k, unique_by=lambda a: a % nd)))
    check(lambda t: tnp.expand_dims(t, new), lambda a: np.expand_dims(a, new), [shape], device, seed)
    target = tuple(data.draw(st.integers(1, 2)) for _ in range(data.draw(st.integers(0, 2)))) + tuple(
        data.draw(st.sampled_from([1, 2])) if s == 1 else s for s in shape
    )
    check(
        lambda t: tnp.broadcast_to(t, target),
        lambda a: np.broadcast_to(a, target),
        [shape],
        device,
        seed,
        torch_fn=lambda t: _torch().broadcast_to(t, target),
    )


def test_squeeze_of_an_axis_that_is_not_one_is_an_error_as_numpy(device):
    with pytest.raises(ValueError, match=r"squeeze: axis 0 of shape \(2, 1\) does not have length 1"):
        tnp.squeeze(Tensor(np.ones((2, 1)), device=device), 0)


# ----------------------------------------------------------------------------- higher derivatives


@pytest.mark.parametrize(
    "fn",
    [
        lambda t: tnp.trace(t * t),
        lambda t: (tnp.tril(t) ** 3).sum(),
        lambda t: (tnp.diag(tnp.diagonal(t)) ** 2 * t).sum(),
        lambda t: (tnp.pad(t, 2, "reflect") ** 3).sum(),
        lambda t: (tnp.repeat(t, [2, 1, 0], 0) ** 3).sum(),
        lambda t: (tnp.tile(t, (2, 1)) * tnp.roll(t, 1, 1).sum()).sum(),
        lambda t: (tnp.rot90(t) ** 2 * tnp.moveaxis(t, 0, 1)).sum(),
    ],
)
def test_second_derivatives(fn, device):
    x = Tensor(np.random.default_rng(0).standard_normal((3, 3)), requires_grad=True, device=device)
    assert tg.gradgradcheck(fn, [x])


def test_plain_arrays_stay_numpy():
    a = np.arange(6.0).reshape(2, 3)
    for out in (tnp.diag(a), tnp.tril(a), tnp.pad(a, 1, "edge"), tnp.roll(a, 1), tnp.tile(a, 2)):
        assert isinstance(out, np.ndarray)
    assert isinstance(tnp.array_split(a, 2)[0], np.ndarray)
