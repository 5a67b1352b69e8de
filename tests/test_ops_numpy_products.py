"""Issue 15's reductions and products: ``prod`` (with zeros), ``cumsum``, ``cumprod``, ``einsum``
(every form NumPy accepts), ``tensordot``, ``inner``, ``outer``, ``kron``, ``cross``,
``dot``/``matmul``/``vdot`` in every shape NumPy accepts, ``var``/``std`` with ``ddof`` and
``average``: forward against NumPy, backward against central differences in float64, against
PyTorch where it has the function, and second derivatives with ``gradgradcheck``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
import tinygrad_edu.numpy as tnp
from helpers import SETTINGS, assert_close, check_fd, check_torch, tensors, torch_or_skip
from tinygrad_edu import Tensor

seeds = st.integers(0, 2**32 - 1)
FEW = settings(SETTINGS, max_examples=max(SETTINGS.max_examples // 2, 5))


@st.composite
def shape_and_axis(draw_, min_side=0):
    shape = draw_(hnp.array_shapes(min_dims=0, max_dims=3, min_side=min_side, max_side=3))
    nd = len(shape)
    kind = draw_(st.sampled_from(["none"] + (["int", "tuple"] if nd else [])))
    if kind == "none":
        return shape, None
    if kind == "int":
        return shape, draw_(st.integers(-nd, nd - 1))
    return shape, tuple(draw_(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True)))


def _with_zeros(shape, rng, zeros):
    """Values in [0.5, 1.5] with random signs and ``zeros`` elements set to 0 (where they fit)."""
    a = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    flat = a.reshape(-1)
    flat[rng.permutation(flat.size)[: min(zeros, flat.size)]] = 0.0
    return a


def _torch_dims(axis, ndim):
    return tuple(range(ndim)) if axis is None else (axis,) if isinstance(axis, int) else axis


def _torch_prod(t, axis, keepdims):
    """torch.prod reduces one dim at a time."""
    dims = sorted(d % max(t.ndim, 1) for d in _torch_dims(axis, t.ndim)) if t.ndim else []
    for d in reversed(dims):
        t = t.prod(d, keepdim=keepdims)
    return t


# ------------------------------------------------------------------------------- prod, cumsum, cumprod


@FEW
@given(sa=shape_and_axis(), keepdims=st.booleans(), zeros=st.sampled_from([0, 0, 1, 2, 3]), seed=seeds)
def test_prod(sa, keepdims, zeros, seed, device):
    shape, axis = sa
    rng = np.random.default_rng(seed)
    a = _with_zeros(shape, rng, zeros)
    fn = lambda x: tnp.prod(x, axis=axis, keepdims=keepdims)  # noqa: E731
    assert_close(fn(Tensor(a, device=device)), np.prod(a, axis=axis, keepdims=keepdims), what="forward")
    assert_close(Tensor(a).prod(axis, keepdims), np.prod(a, axis=axis, keepdims=keepdims), what="method")
    check_fd(fn, [a], device, rng)  # the product is a polynomial: central differences are exact enough at 0
    check_torch(fn, lambda t: _torch_prod(t, axis, keepdims), [a], device, rng)


@pytest.mark.parametrize("zeros", [0, 1, 2, 3])
def test_prod_zeros_second_derivative(zeros, device):
    rng = np.random.default_rng(zeros)
    x = Tensor(_with_zeros((2, 4), rng, zeros), requires_grad=True, device=device)
    assert tg.gradgradcheck(lambda t: t.prod(axis=1), [x], atol=1e-6, rtol=1e-5)
    assert tg.gradgradcheck(lambda t: t.prod(), [x], atol=1e-6, rtol=1e-5)


def test_prod_zero_rules_match_pytorch_and_autograd_values(device):
    # one zero: it gets the product of the others, the others 0; two zeros: all 0
    for a, expected in (([2.0, 0.0, 3.0], [0.0, 6.0, 0.0]), ([2.0, 0.0, 0.0], [0.0, 0.0, 0.0])):
        x = Tensor(np.array(a), requires_grad=True, device=device)
        x.prod().backward()
        assert_close(x.grad, expected)


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@FEW
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4), data=st.data(), seed=seeds)
def test_cumsum_cumprod(op, shape, data, seed, device):
    nd = len(shape)
    axis = data.draw(st.sampled_from([None] + list(range(-nd, nd))))
    zeros = data.draw(st.sampled_from([0, 1, 2])) if op == "cumprod" else 0
    rng = np.random.default_rng(seed)
    a = _with_zeros(shape, rng, zeros)
    fn = lambda x: getattr(tnp, op)(x, axis=axis)  # noqa: E731
    assert_close(fn(Tensor(a, device=device)), getattr(np, op)(a, axis=axis), what="forward")
    assert_close(getattr(Tensor(a), op)(axis), getattr(np, op)(a, axis=axis), what="method")
    check_fd(fn, [a], device, rng)

    def twin(t):
        torch = torch_or_skip()
        t = t.reshape(-1) if axis is None else t
        return getattr(torch, op)(t, dim=0 if axis is None else axis)

    check_torch(fn, twin, [a], device, rng)


@pytest.mark.parametrize("zeros", [0, 1, 2])
def test_cumprod_second_derivative(zeros, device):
    x = Tensor(_with_zeros((3, 4), np.random.default_rng(zeros), zeros), requires_grad=True, device=device)
    assert tg.gradgradcheck(lambda t: t.cumprod(axis=1), [x], atol=1e-6, rtol=1e-5)
    assert tg.gradgradcheck(lambda t: t.cumsum(dim=0) ** 2, [x], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("axis", [0, 1])
def test_cumprod_and_prod_with_many_zeros_in_a_line(axis, device):
    """Lines with one, two adjacent, three and only zeros: first derivatives against PyTorch and
    central differences, second derivatives against differences of the gradient."""
    a = np.array(
        [
            [0.0, 2.0, 0.0, 3.0, 1.5],
            [1.0, 0.0, 0.0, 2.0, -1.0],
            [0.0, 0.0, 0.0, 0.0, 0.0],
            [1.5, -2.0, 0.5, 3.0, 1.1],
            [2.0, 1.0, 3.0, 0.0, 0.0],
            [0.0, 1.2, 0.0, 0.7, 0.0],
        ]
    )
    rng = np.random.default_rng(7)
    check_fd(lambda x: x.cumprod(axis), [a], device, rng)
    check_torch(lambda x: x.cumprod(axis), lambda t: t.cumprod(axis), [a], device, rng)
    check_torch(lambda x: x.prod(axis), lambda t: t.prod(axis), [a], device, rng)
    x = Tensor(a, requires_grad=True, device=device)
    assert tg.gradgradcheck(lambda t: t.cumprod(axis), [x], atol=1e-6, rtol=1e-5)
    assert tg.gradgradcheck(lambda t: t.prod(axis), [x], atol=1e-6, rtol=1e-5)


# ------------------------------------------------------------------------------- einsum

# subscripts and operand shapes: explicit and implicit output, repeated letters (diagonals),
# ellipsis with broadcasting, size-1 broadcasting, 0-d and empty operands, several operands
EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ij->ji", [(2, 3)]),
    ("ij", [(2, 3)]),
    ("ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("i,i", [(3,), (3,)]),
    ("i,j->ij", [(3,), (2,)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iji->j", [(2, 4, 2)]),
    ("iij,jk->ik", [(3, 3, 2), (2, 2)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("...i,...i->...", [(2, 3), (3,)]),
    ("i...->...", [(2, 3)]),
    ("...,...", [(2, 3), (3,)]),
    ("ij,ij->i", [(2, 3), (1, 3)]),
    ("i,ij,jk,k->", [(2,), (2, 3), (3, 2), (2,)]),
    ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 2)]),
    (",ij->ij", [(), (2, 3)]),
    ("Ab,bA", [(2, 3), (3, 2)]),
    ("ij,jk->ik", [(2, 0), (0, 3)]),
    (" i j , j k -> i k ", [(2, 3), (3, 2)]),
]


@pytest.mark.parametrize("spec,shapes", EINSUM, ids=[s for s, _ in EINSUM])
def test_einsum(spec, shapes, device):
    rng = np.random.default_rng(len(spec))
    arrays = [rng.uniform(-1.5, 1.5, s) for s in shapes]
    expected = np.einsum(spec, *arrays)
    ts = tensors(arrays, device, requires_grad=False)
    assert_close(tnp.einsum(spec, *ts), expected, rtol=1e-13, atol=1e-13, what="tnp")
    assert_close(tg.einsum(spec, *ts), expected, rtol=1e-13, atol=1e-13, what="tg")
    assert_close(tnp.einsum(spec, *arrays), expected, what="plain NumPy")
    check_fd(lambda *xs: tg.einsum(spec, *xs), arrays, device, rng)
    check_torch(lambda *xs: tg.einsum(spec, *xs), lambda *ts_: torch_or_skip().einsum(spec, *ts_), arrays, device, rng)


def test_einsum_sublist_form_and_mixed_operands(device):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    x = Tensor(a, requires_grad=True, device=device)
    assert_close(tnp.einsum(x, [0, 1], b, [1, 2], [0, 2]), np.einsum(a, [0, 1], b, [1, 2], [0, 2]), rtol=1e-13)
    assert_close(tnp.einsum(x, [Ellipsis, 1], b, [1, 2]), np.einsum(a, [Ellipsis, 1], b, [1, 2]), rtol=1e-13)
    assert_close(tg.einsum("ij,jk", [x, b]), a @ b, rtol=1e-13)  # torch's list form
    check_fd(lambda t: tnp.einsum(t, [0, 1], b, [1, 2]), [a], device, rng)


@pytest.mark.parametrize(
    "spec,shapes",
    [
        ("ij,jk->ik", [(2, 3), (3, 2)]),
        ("ii->i", [(3, 3)]),
        ("i,ij,j", [(2,), (2, 3), (3,)]),
        ("...i,...i", [(2, 3), (3,)]),
    ],
)
def test_einsum_second_derivative(spec, shapes, device):
    rng = np.random.default_rng(2)
    xs = tensors([rng.uniform(-1, 1, s) for s in shapes], device)
    assert tg.gradgradcheck(lambda *a: tg.einsum(spec, *a) ** 2, xs, atol=1e-6, rtol=1e-5)


@FEW
@given(
    shapes=hnp.mutually_broadcastable_shapes(signature="(m,n),(n,p)->(m,p)", max_dims=2, min_side=0, max_side=3),
    seed=seeds,
)
def test_einsum_and_matmul_over_broadcast_batches(shapes, seed, device):
    """``...mn,...np->...mp`` against NumPy's matmul, on hypothesis-drawn batch shapes (empty ones too)."""
    rng = np.random.default_rng(seed)
    a, b = (rng.uniform(-1.5, 1.5, s) for s in shapes.input_shapes)
    expected = np.matmul(a, b)
    x, y = tensors([a, b], device, requires_grad=False)
    assert_close(tg.einsum("...mn,...np->...mp", x, y), expected, rtol=1e-13, atol=1e-13, what="einsum")
    assert_close(tnp.matmul(x, y), expected, rtol=1e-13, atol=1e-13, what="matmul")
    check_fd(lambda p, q: tg.einsum("...mn,...np->...mp", p, q), [a, b], device, rng)
    check_torch(
        lambda p, q: tg.einsum("...mn,...np->...mp", p, q),
        lambda p, q: torch_or_skip().einsum("...mn,...np->...mp", p, q),
        [a, b],
        device,
        rng,
    )


@pytest.mark.parametrize(
    "spec,shapes,match",
    [
        ("ij,jk->ik", [(2, 3), (4, 2)], "letter 'j' has size 3"),
        ("ij->ik", [(2, 3)], "output letter 'k'"),
        ("ij,jk", [(2, 3)], "name 2 operands, but 1"),
        ("ijk", [(2, 3)], "operand 0 has shape"),
        ("ii", [(2, 3)], "letter 'i' has size 2"),
        ("...ij->ij", [(4, 2, 3)], "no '...'"),
        ("i$", [(2, 3)], "may hold only letters"),
        ("ij->jii", [(2, 3)], "repeated"),
    ],
)
def test_einsum_errors_name_the_problem(spec, shapes, match):
    ts = [Tensor(np.ones(s), requires_grad=True) for s in shapes]
    with pytest.raises(ValueError, match=match):
        tg.einsum(spec, *ts)


def test_einsum_refuses_an_operand_where_a_sublist_belongs():
    with pytest.raises(TypeError, match="einsum: expected a subscripts string"):
        tg.einsum(Tensor(np.ones(2)), Tensor(np.ones(2)))


# ------------------------------------------------------------------------------- products of two arrays

PRODUCTS = {
    "tensordot2": (lambda a, b: tnp.tensordot(a, b), lambda a, b: np.tensordot(a, b), [(2, 3, 4), (3, 4, 2)]),
    "tensordot0": (lambda a, b: tnp.tensordot(a, b, 0), lambda a, b: np.tensordot(a, b, 0), [(2, 3), (2,)]),
    "tensordot-pairs": (
        lambda a, b: tnp.tensordot(a, b, ([0, 2], [2, 0])),
        lambda a, b: np.tensordot(a, b, ([0, 2], [2, 0])),
        [(2, 3, 4), (4, 5, 2)],
    ),
    "tensordot-int-axes": (
        lambda a, b: tnp.tensordot(a, b, (1, -1)),
        lambda a, b: np.tensordot(a, b, (1, -1)),
        [(2, 3), (4, 3)],
    ),
    "inner-vv": (tnp.inner, np.inner, [(3,), (3,)]),
    "inner-nd": (tnp.inner, np.inner, [(2, 3), (4, 2, 3)]),
    "inner-0d": (tnp.inner, np.inner, [(), (2, 3)]),
    "outer": (tnp.outer, np.outer, [(2, 2), (3,)]),
    "kron-2d": (tnp.kron, np.kron, [(2, 3), (3, 2)]),
    "kron-mixed": (tnp.kron, np.kron, [(2,), (3, 2)]),
    "kron-3d": (tnp.kron, np.kron, [(2, 1, 2), (1, 3, 2)]),
    "kron-0d": (tnp.kron, np.kron, [(), (3,)]),
    "cross-3": (tnp.cross, np.cross, [(3,), (3,)]),
    "cross-batched": (tnp.cross, np.cross, [(4, 3), (1, 3)]),
    "cross-3-2": (tnp.cross, np.cross, [(2, 3), (2, 2)]),
    "cross-axis": (
        lambda a, b: tnp.cross(a, b, axisa=0, axisb=1, axisc=0),
        lambda a, b: np.cross(a, b, axisa=0, axisb=1, axisc=0),
        [(3, 4), (4, 3)],
    ),
    "vdot": (tnp.vdot, np.vdot, [(2, 3), (3, 2)]),
    "vdot-0d": (tnp.vdot, np.vdot, [(), ()]),
}
# numpy.dot and numpy.matmul in every shape NumPy accepts (dot: also 0-d and N-D @ M-D)
DOT_SHAPES = [
    [(), ()],
    [(), (2, 3)],
    [(3,), ()],
    [(3,), (3,)],
    [(2, 3), (3,)],
    [(3,), (3, 2)],
    [(2, 3), (3, 4)],
    [(2, 2, 3), (3,)],
    [(3,), (2, 3, 4)],
    [(2, 3), (4, 3, 2)],
    [(2, 2, 3), (4, 3, 2)],
    [(2, 0), (0, 3)],
]
MATMUL_SHAPES = [
    [(3,), (3,)],
    [(2, 3), (3,)],
    [(3,), (3, 2)],
    [(2, 3), (3, 4)],
    [(2, 2, 3), (3,)],
    [(3,), (2, 3, 4)],
    [(2, 2, 3), (3, 4)],
    [(5, 1, 2, 3), (4, 3, 2)],
    [(2, 0), (0, 3)],
]
for _i, _s in enumerate(DOT_SHAPES):
    PRODUCTS[f"dot-{_s}"] = (tnp.dot, np.dot, _s)
for _i, _s in enumerate(MATMUL_SHAPES):
    PRODUCTS[f"matmul-{_s}"] = (tnp.matmul, np.matmul, _s)

TORCH_PRODUCTS = {
    "tensordot2": lambda a, b: torch_or_skip().tensordot(a, b, 2),
    "tensordot-pairs": lambda a, b: torch_or_skip().tensordot(a, b, ([0, 2], [2, 0])),
    "inner-nd": lambda a, b: torch_or_skip().inner(a, b),
    "outer": lambda a, b: torch_or_skip().outer(a.reshape(-1), b),
    "kron-2d": lambda a, b: torch_or_skip().kron(a, b),
    "kron-3d": lambda a, b: torch_or_skip().kron(a, b),
    "cross-batched": lambda a, b: torch_or_skip().linalg.cross(a, b),
    "vdot": lambda a, b: torch_or_skip().vdot(a.reshape(-1), b.reshape(-1)),
}


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_products(name, device):
    fn, np_fn, shapes = PRODUCTS[name]
    rng = np.random.default_rng(len(name))
    arrays = [rng.uniform(-1.5, 1.5, s) for s in shapes]
    with warnings.catch_warnings():  # NumPy 2 deprecates the cross product of 2-vectors
        warnings.simplefilter("ignore", DeprecationWarning)
        expected = np_fn(*arrays)
        assert_close(fn(*arrays), expected, what="plain NumPy")
    x, y = tensors(arrays, device, requires_grad=False)
    assert_close(fn(x, y), expected, rtol=1e-13, atol=1e-13, what="both tensors")
    assert_close(fn(x, arrays[1]), expected, rtol=1e-13, atol=1e-13, what="tensor and array")
    assert_close(fn(arrays[0], y), expected, rtol=1e-13, atol=1e-13, what="array and tensor")
    check_fd(fn, arrays, device, rng)
    if name in TORCH_PRODUCTS:
        check_torch(fn, TORCH_PRODUCTS[name], arrays, device, rng)


@pytest.mark.parametrize(
    "name",
    ["tensordot2", "kron-2d", "cross-batched", "cross-3-2", "inner-nd", "outer", "vdot", "dot-[(2, 3), (4, 3, 2)]"],
)
def test_products_second_derivative(name, device):
    fn, _, shapes = PRODUCTS[name]
    rng = np.random.default_rng(3)
    xs = tensors([rng.uniform(-1, 1, s) for s in shapes], device)
    assert tg.gradgradcheck(lambda a, b: fn(a, b) ** 2, xs, atol=1e-6, rtol=1e-5)


def test_tensor_methods_and_package_functions(device):
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    x, y = tensors([a, b], device)
    assert_close(x.kron(y), np.kron(a, b), rtol=1e-13)
    assert_close(tg.kron(x, y), np.kron(a, b), rtol=1e-13)
    assert_close(x.inner(y.T), np.inner(a, b.T), rtol=1e-13)
    assert_close(tg.tensordot(x, y, 1), np.tensordot(a, b, 1), rtol=1e-13)
    assert_close(x.outer(y), np.outer(a, b), rtol=1e-13)
    assert_close(x.vdot(y.T), np.vdot(a, b.T), rtol=1e-13)
    assert_close(x.ravel(), a.ravel())
    assert_close(tnp.ravel(x), a.ravel())


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda x: tnp.tensordot(x, x, 3), "axes=3 does not fit"),
        (lambda x: tnp.tensordot(x, x, ([0], [0, 1])), "do not have the same sizes"),
        (lambda x: tnp.inner(x, x[:, :2]), "last axes"),
        (lambda x: tnp.cross(x, x), "needs 2 or 3 components"),
        (lambda x: tnp.vdot(x, x[0]), "different sizes"),
    ],
)
def test_product_errors_name_the_problem(call, match):
    with pytest.raises(ValueError, match=match):
        call(Tensor(np.ones((2, 4)), requires_grad=True))


# ------------------------------------------------------------------------------- var, std, average


@pytest.mark.parametrize("op", ["var", "std"])
@FEW
@given(sa=shape_and_axis(min_side=1), ddof=st.integers(0, 2), keepdims=st.booleans(), seed=seeds)
def test_var_std_ddof(op, sa, ddof, keepdims, seed, device):
    shape, axis = sa
    n = int(np.prod([shape[a] for a in _torch_dims(axis, len(shape))] if shape else [1]))
    if n - ddof <= 0:
        return
    rng = np.random.default_rng(seed)
    a = rng.uniform(-2, 2, shape)
    fn = lambda x: getattr(tnp, op)(x, axis=axis, ddof=ddof, keepdims=keepdims)  # noqa: E731
    expected = getattr(np, op)(a, axis=axis, ddof=ddof, keepdims=keepdims)
    assert_close(fn(Tensor(a, device=device)), expected, rtol=1e-12, what="forward")
    if op == "std" and n <= 1:
        return  # sqrt at a zero spread: rules14's convention, tested in test_ops_reduce
    check_fd(fn, [a], device, rng)


@FEW
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), data=st.data(), seed=seeds)
def test_average(shape, data, seed, device):
    nd = len(shape)
    rng = np.random.default_rng(seed)
    a = rng.uniform(-2, 2, shape)
    form = data.draw(st.sampled_from(["none", "full", "1d"]))
    axis = data.draw(st.sampled_from([None, *range(-nd, nd)])) if form != "1d" else data.draw(st.integers(-nd, nd - 1))
    w = None if form == "none" else rng.uniform(0.5, 2.0, shape if form == "full" else (shape[axis],))
    returned, keepdims = data.draw(st.booleans()), data.draw(st.booleans())
    expected = np.average(a, axis=axis, weights=w, returned=returned, keepdims=keepdims)
    (x,) = tensors([a], device, requires_grad=False)
    got = tnp.average(x, axis=axis, weights=w, returned=returned, keepdims=keepdims)
    for g, e in zip(got, expected) if returned else [(got, expected)]:
        assert_close(g, e, rtol=1e-12, what="forward")
    if w is None:
        check_fd(lambda t: tnp.average(t, axis=axis, keepdims=keepdims), [a], device, rng)
    else:  # differentiable in the data and in the weights
        check_fd(lambda t, v: tnp.average(t, axis=axis, weights=v, keepdims=keepdims), [a, w], device, rng)


def test_average_errors():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ZeroDivisionError, match="weights sum to zero"):
        tnp.average(x, axis=1, weights=np.array([1.0, -1.0, 0.0]))
    with pytest.raises(TypeError, match="axis must be given"):
        tnp.average(x, weights=np.ones(3))
    with pytest.raises(ValueError, match="do not match axis"):
        tnp.average(x, axis=0, weights=np.ones(3))


def test_average_second_derivative(device):
    rng = np.random.default_rng(5)
    x, w = tensors([rng.uniform(-1, 1, (2, 3)), rng.uniform(0.5, 1.5, (3,))], device)
    assert tg.gradgradcheck(lambda a, v: tnp.average(a * a, axis=1, weights=v) ** 2, [x, w], atol=1e-6, rtol=1e-5)
