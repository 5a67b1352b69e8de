"""Every public name of ``tinygrad_edu.numpy`` differentiates, passes values through, or refuses.

The walk below visits the namespace and every submodule it hands out, and checks each name
against the declared table (``tinygrad_edu/numpy/_table.py``):

- a differentiable name has a derivative test: a case in ``GRAD_CASES`` (checked here against
  central finite differences, first and second order) or an entry in ``TESTED_ELSEWHERE``;
- a value-only name returns a plain NumPy result for a Tensor that requires grad;
- every other function raises a clear error naming it when given a Tensor that requires grad.

To register the derivative test of a new differentiable function, add a case to ``GRAD_CASES``
(``"name": (f, x)``, ``f`` written with the namespace ``np``; submodule names as
``"linalg.norm"``), or ``"name": "tests/test_file.py::test_function"`` to ``TESTED_ELSEWHERE``.
"""

from __future__ import annotations

import ast
import pathlib
import types
import warnings

import numpy
import pytest

import tinygrad_edu.numpy as np
from tinygrad_edu import Tensor, gradcheck, gradgradcheck, no_grad
from tinygrad_edu.numpy import _table

_rng = numpy.random.default_rng(14)
V = numpy.array([0.3, -0.8, 0.55, 1.2])  # a vector away from kinks and ties
M = _rng.normal(size=(3, 4))

# name -> (f, x): f(x) is computed with the namespace, once on NumPy arrays and once on Tensors
GRAD_CASES = {
    "array": (lambda x: np.array([x[0] * x[1], x[2], 3.0]), V),
    "asarray": (lambda x: np.asarray([x[0] ** 2, x[1]]), V),
    "full": (lambda x: np.full((2, 3), x[1]) * numpy.arange(6.0).reshape(2, 3), V),
    "full_like": (lambda x: np.full_like(numpy.zeros(3), x[2]) * numpy.arange(3.0), V),
    "linspace": (lambda x: np.linspace(x[0], 3.0, 5) ** 2, V),
    "r_": (lambda x: np.r_[x, 1.0, x[:2] ** 2], V),
    "c_": (lambda x: np.c_[x, x**2, numpy.ones(4)], V),
    "exp": (lambda x: np.exp(x), V),
    "log": (lambda x: np.log(x**2 + 1), V),
    "log1p": (lambda x: np.log1p(x**2), V),
    "log2": (lambda x: np.log2(x**2 + 2), V),
    "log10": (lambda x: np.log10(x**2 + 1), V),
    "sqrt": (lambda x: np.sqrt(x**2 + 1), V),
    "sin": (lambda x: np.sin(x), V),
    "cos": (lambda x: np.cos(x), V),
    "tan": (lambda x: np.tan(x / 4), V),
    "tanh": (lambda x: np.tanh(x), V),
    "sinh": (lambda x: np.sinh(x), V),
    "cosh": (lambda x: np.cosh(x), V),
    "abs": (lambda x: np.abs(x) * x, V),
    "absolute": (lambda x: np.absolute(x) * x, V),
    "negative": (lambda x: np.negative(x) * x, V),
    "square": (lambda x: np.square(x), V),
    "reciprocal": (lambda x: np.reciprocal(x + 2), V),
    "add": (lambda x: np.add(x * x, numpy.ones(4)) * np.add(2.0, x), V),
    "subtract": (lambda x: np.subtract(numpy.ones(4), x * x), V),
    "multiply": (lambda x: np.multiply(x, x[::-1]), V),
    "divide": (lambda x: np.divide(x, x**2 + 1), V),
    "true_divide": (lambda x: np.true_divide(1.0, x**2 + 1), V),
    "power": (lambda x: np.power(x**2 + 1, 1.5) + np.power(2.0, x), V),
    "maximum": (lambda x: np.maximum(x, 0.1) * x, V),
    "minimum": (lambda x: np.minimum(x, x[::-1] * 0.5) * x, V),
    "clip": (lambda x: np.clip(x, -0.5, 0.5) * x, V),
    "where": (lambda x: np.where(x > 0, x**2, -x), V),
    "sum": (lambda x: np.sum(x.reshape(2, 2) ** 2, axis=1), V),
    "mean": (lambda x: np.mean(x**2), V),
    "var": (lambda x: np.var(x, ddof=1), V),
    "std": (lambda x: np.std(x), V),
    "max": (lambda x: np.max(x * x), V),
    "min": (lambda x: np.min(x * x), V),
    "amax": (lambda x: np.amax(x.reshape(2, 2), axis=0), V),
    "amin": (lambda x: np.amin(x.reshape(2, 2), axis=1), V),
    "dot": (lambda x: np.dot(x.reshape(2, 2), x[:2]), V),
    "matmul": (lambda x: np.matmul(x, M.T), V),
    "outer": (lambda x: np.outer(x, x[:2]), V),
    "reshape": (lambda x: np.reshape(x, (2, 2)) ** 2, V),
    "ravel": (lambda x: np.ravel(np.outer(x[:2], x[2:])), V),
    "transpose": (lambda x: np.transpose(np.outer(x, x[:3])) * M, V),
    "swapaxes": (lambda x: np.swapaxes(np.outer(x, x[:3]), 0, 1), V),
    "expand_dims": (lambda x: np.expand_dims(x**2, 0), V),
    "squeeze": (lambda x: np.squeeze(np.reshape(x**2, (1, 4))), V),
    "concatenate": (lambda x: np.concatenate([x, numpy.ones(2), x * 2]), V),
    "stack": (lambda x: np.stack([x, x**2], axis=1), V),
    "hstack": (lambda x: np.hstack([x, x**2]), V),
    "vstack": (lambda x: np.vstack([x, x**2]), V),
    "linalg.vector_norm": (lambda x: np.linalg.vector_norm(np.outer(x, x[:2]), axis=0, ord=3), V),
    "linalg.matrix_norm": (lambda x: np.linalg.matrix_norm(np.outer(x, x[:2]) + numpy.eye(4, 2), ord="nuc"), V),
    "linalg.svdvals": (lambda x: np.linalg.svdvals(np.outer(x, x[:2]) + numpy.eye(4, 2)), V),
    "linalg.matrix_transpose": (lambda x: np.linalg.matrix_transpose(np.outer(x, x[:3])) * M, V),
    "linalg.trace": (lambda x: np.linalg.trace(np.outer(x, x) ** 2, offset=1), V),
    "linalg.diagonal": (lambda x: np.linalg.diagonal(np.outer(x, x**2), offset=-1), V),
    "linalg.multi_dot": (lambda x: np.linalg.multi_dot([x, np.outer(x, x[:3]), M]), V),
    "linalg.outer": (lambda x: np.linalg.outer(x, x[:2] ** 2), V),
    "linalg.matmul": (lambda x: np.linalg.matmul(np.outer(x[:3], x), M.T), V),
    "linalg.cross": (lambda x: np.linalg.cross(x[:3], x[1:] ** 2), V),
    "linalg.vecdot": (lambda x: np.linalg.vecdot(np.outer(x, x[:2]), x[:, None] ** 2, axis=0), V),
    "linalg.norm": (lambda x: np.linalg.norm(x) ** 3 + np.linalg.norm(np.outer(x, x[:2]), axis=0), V),
    "real": (lambda x: np.real(x) ** 2, V),
    "imag": (lambda x: np.imag(x) + x**2, V),
    "conj": (lambda x: np.conj(x) * x, V),
    "conjugate": (lambda x: np.conjugate(x) ** 3, V),
    "real_if_close": (lambda x: np.real_if_close(x) * x[0], V),
    "gradient": (lambda x: np.gradient(x**3, 0.5), V),
    "fft.fftshift": (lambda x: np.fft.fftshift(x**2 * numpy.arange(4.0)), V),
    "fft.ifftshift": (lambda x: np.fft.ifftshift(np.outer(x, x[:3]), axes=0) * numpy.arange(12.0).reshape(4, 3), V),
}

# name -> "tests/file.py::test_function" of a test that checks its derivative
TESTED_ELSEWHERE: dict[str, str] = {
    # issue 15 (ops15a): forward, central differences, PyTorch and second derivatives there
    "expm1": "tests/test_ops_numpy_elementwise.py::test_unary",
    "exp2": "tests/test_ops_numpy_elementwise.py::test_unary",
    "arcsin": "tests/test_ops_numpy_elementwise.py::test_unary",
    "arccos": "tests/test_ops_numpy_elementwise.py::test_unary",
    "arctan": "tests/test_ops_numpy_elementwise.py::test_unary",
    "arcsinh": "tests/test_ops_numpy_elementwise.py::test_unary",
    "arccosh": "tests/test_ops_numpy_elementwise.py::test_unary",
    "arctanh": "tests/test_ops_numpy_elementwise.py::test_unary",
    "deg2rad": "tests/test_ops_numpy_elementwise.py::test_unary",
    "rad2deg": "tests/test_ops_numpy_elementwise.py::test_unary",
    "radians": "tests/test_ops_numpy_elementwise.py::test_unary",
    "degrees": "tests/test_ops_numpy_elementwise.py::test_unary",
    "sinc": "tests/test_ops_numpy_elementwise.py::test_unary",
    "fabs": "tests/test_ops_numpy_elementwise.py::test_unary",
    "nan_to_num": "tests/test_ops_numpy_elementwise.py::test_unary",
    "arctan2": "tests/test_ops_numpy_elementwise.py::test_binary",
    "hypot": "tests/test_ops_numpy_elementwise.py::test_binary",
    "fmax": "tests/test_ops_numpy_elementwise.py::test_binary",
    "fmin": "tests/test_ops_numpy_elementwise.py::test_binary",
    "mod": "tests/test_ops_numpy_elementwise.py::test_binary",
    "remainder": "tests/test_ops_numpy_elementwise.py::test_binary",
    "fmod": "tests/test_ops_numpy_elementwise.py::test_binary",
    "logaddexp": "tests/test_ops_numpy_elementwise.py::test_binary",
    "logaddexp2": "tests/test_ops_numpy_elementwise.py::test_binary",
    "prod": "tests/test_ops_numpy_products.py::test_prod",
    "cumsum": "tests/test_ops_numpy_products.py::test_cumsum_cumprod",
    "cumprod": "tests/test_ops_numpy_products.py::test_cumsum_cumprod",
    "einsum": "tests/test_ops_numpy_products.py::test_einsum",
    "tensordot": "tests/test_ops_numpy_products.py::test_products",
    "inner": "tests/test_ops_numpy_products.py::test_products",
    "kron": "tests/test_ops_numpy_products.py::test_products",
    "vdot": "tests/test_ops_numpy_products.py::test_products",
    "cross": "tests/test_ops_numpy_products.py::test_products",
    "average": "tests/test_ops_numpy_products.py::test_average",
    "sort": "tests/test_ops_numpy_sorting.py::test_sort",
    "partition": "tests/test_ops_numpy_sorting.py::test_partition",
    "take": "tests/test_ops_numpy_sorting.py::test_take_and_take_along_axis",
    "take_along_axis": "tests/test_ops_numpy_sorting.py::test_take_and_take_along_axis",
    "diff": "tests/test_ops_numpy_sorting.py::test_diff",
    "select": "tests/test_ops_numpy_sorting.py::test_select_and_choose",
    "choose": "tests/test_ops_numpy_sorting.py::test_select_and_choose",
    # issue 15 (ops15b): forward vs NumPy, central differences, PyTorch twins, second derivatives there
    "diag": "tests/test_ops_shapes_surface.py::test_diag",
    "diagonal": "tests/test_ops_shapes_surface.py::test_diagonal_and_trace",
    "trace": "tests/test_ops_shapes_surface.py::test_diagonal_and_trace",
    "tril": "tests/test_ops_shapes_surface.py::test_tril_triu",
    "triu": "tests/test_ops_shapes_surface.py::test_tril_triu",
    "split": "tests/test_ops_shapes_surface.py::test_split_and_array_split",
    "array_split": "tests/test_ops_shapes_surface.py::test_split_and_array_split",
    "hsplit": "tests/test_ops_shapes_surface.py::test_hsplit_vsplit_dsplit",
    "vsplit": "tests/test_ops_shapes_surface.py::test_hsplit_vsplit_dsplit",
    "dsplit": "tests/test_ops_shapes_surface.py::test_hsplit_vsplit_dsplit",
    "append": "tests/test_ops_shapes_surface.py::test_append",
    "column_stack": "tests/test_ops_shapes_surface.py::test_column_row_dstack",
    "row_stack": "tests/test_ops_shapes_surface.py::test_column_row_dstack",
    "dstack": "tests/test_ops_shapes_surface.py::test_column_row_dstack",
    "pad": "tests/test_ops_shapes_surface.py::test_pad_modes",
    "repeat": "tests/test_ops_shapes_surface.py::test_repeat",
    "tile": "tests/test_ops_shapes_surface.py::test_tile",
    "roll": "tests/test_ops_shapes_surface.py::test_roll",
    "flip": "tests/test_ops_shapes_surface.py::test_flips",
    "fliplr": "tests/test_ops_shapes_surface.py::test_flips",
    "flipud": "tests/test_ops_shapes_surface.py::test_flips",
    "rot90": "tests/test_ops_shapes_surface.py::test_rot90",
    "moveaxis": "tests/test_ops_shapes_surface.py::test_moveaxis_rollaxis_swapaxes",
    "rollaxis": "tests/test_ops_shapes_surface.py::test_moveaxis_rollaxis_swapaxes",
    "atleast_1d": "tests/test_ops_shapes_surface.py::test_atleast_ravel",
    "atleast_2d": "tests/test_ops_shapes_surface.py::test_atleast_ravel",
    "atleast_3d": "tests/test_ops_shapes_surface.py::test_atleast_ravel",
    "broadcast_to": "tests/test_ops_shapes_surface.py::test_squeeze_expand_dims_broadcast_to",
    "linalg.inv": "tests/test_linalg.py::test_numpy_linalg_functions",
    "linalg.pinv": "tests/test_linalg.py::test_numpy_linalg_functions",
    "linalg.det": "tests/test_linalg.py::test_numpy_linalg_functions",
    "linalg.slogdet": "tests/test_linalg.py::test_numpy_linalg_functions",
    "linalg.solve": "tests/test_linalg.py::test_numpy_linalg_functions",
    "linalg.cholesky": "tests/test_linalg.py::test_numpy_linalg_functions",
    "linalg.eigh": "tests/test_linalg.py::test_numpy_linalg_functions",
    "linalg.eigvalsh": "tests/test_linalg.py::test_numpy_linalg_functions",
    "linalg.svd": "tests/test_linalg.py::test_numpy_linalg_functions",
    "linalg.qr": "tests/test_linalg.py::test_numpy_linalg_functions",
    "linalg.matrix_power": "tests/test_linalg.py::test_numpy_linalg_functions",
}

# value-only names that need other arguments than one tensor
_VALUE_ARGS = {
    "allclose": lambda t: (t, t),
    "isclose": lambda t: (t, t),
    "array_equal": lambda t: (t, t),
    "array_equiv": lambda t: (t, t),
    "searchsorted": lambda t: (numpy.array([0.0, 1.0]), t),
    "floor_divide": lambda t: (t, 2.0),
    "logical_and": lambda t: (t, t),
    "logical_or": lambda t: (t, t),
    "logical_xor": lambda t: (t, t),
    "greater": lambda t: (t, 0.0),
    "greater_equal": lambda t: (t, 0.0),
    "less": lambda t: (t, 0.0),
    "less_equal": lambda t: (t, 0.0),
    "equal": lambda t: (t, 0.0),
    "not_equal": lambda t: (t, 0.0),
    "argpartition": lambda t: (t, 1),
    "lexsort": lambda t: ([t, t],),
    "unravel_index": lambda t: (numpy.array([1, 2]), (2, 2)),
    "ravel_multi_index": lambda t: ((numpy.array([1]), numpy.array([0])), (2, 2)),
    "isin": lambda t: (t, t),
    "digitize": lambda t: (t, numpy.array([0.0, 1.0])),
    "broadcast_shapes": lambda t: (t.shape, (1,)),
    "shares_memory": lambda t: (t, t),
    "may_share_memory": lambda t: (t, t),
    "can_cast": lambda t: (t.dtype, numpy.float32),
    "min_scalar_type": lambda t: (1.5,),
    "promote_types": lambda t: (t.dtype, numpy.float32),
    "issubdtype": lambda t: (t.dtype, numpy.floating),
    "isdtype": lambda t: (t.dtype, "real floating"),
    "result_type": lambda t: (t, 1.0),
    "ix_": lambda t: (numpy.array([0, 1]),),
    "fftfreq": lambda t: (4,),
    "rfftfreq": lambda t: (4,),
    "matrix_rank": lambda t: (t.reshape(2, 2),),
}


def _walk() -> list[tuple[str, object, str]]:
    """(qualified name, owning module, name) for every public name, submodules included."""
    todo, seen, out = [("", np)], {"numpy"}, []
    while todo:
        prefix, mod = todo.pop()
        for name in dir(mod):
            if name.startswith("_"):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                obj = getattr(mod, name)
            out.append((prefix + name, mod, name))
            if isinstance(obj, types.ModuleType) and obj.__name__.startswith(np.__name__):
                stands_for = _table.stands_for(obj).__name__  # NumPy's modules refer to each other
                if stands_for not in seen:
                    seen.add(stands_for)
                    todo.append((prefix + name + ".", obj))
    return out


WALK = _walk()


def _kinds(kind: str) -> list[tuple[str, object, str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [w for w in WALK if _table.kind(w[1], w[2]) == kind]


def _tracked():
    return Tensor(V.copy(), requires_grad=True)


def test_walk_reaches_the_submodules_and_hundreds_of_names():
    names = {q for q, _, _ in WALK}
    for sub in (
        "linalg.det",
        "fft.fft",
        "random.normal",
        "emath.sqrt",
        "ma.array",
        "lib.stride_tricks.as_strided",
        "polynomial.polynomial.polyval",
    ):
        assert sub in names, sub
    assert len(names) > 1000


def test_every_public_name_is_declared():
    undeclared = [q for q, mod, name in WALK if _table.kind(mod, name) == "undeclared"]
    assert undeclared == [], f"functions in no table (add them to DIFFERENTIABLE or VALUE_ONLY): {undeclared}"


def test_every_differentiable_name_has_a_derivative_test():
    missing = [q for q, _, _ in _kinds("differentiable") if q not in GRAD_CASES and q not in TESTED_ELSEWHERE]
    assert missing == [], f"differentiable names without a derivative test (GRAD_CASES/TESTED_ELSEWHERE): {missing}"
    walked = {q for q, _, _ in _kinds("differentiable")}
    assert set(GRAD_CASES) <= walked, set(GRAD_CASES) - walked  # no stale cases


def test_tests_registered_elsewhere_exist():
    root = pathlib.Path(__file__).parent.parent
    for name, where in TESTED_ELSEWHERE.items():
        path, func = where.split("::")
        tree = ast.parse((root / path).read_text())
        assert func in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}, (name, where)


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_differentiable_name_matches_numpy_and_finite_differences(name):
    f, x = GRAD_CASES[name]
    expected = numpy.asarray(f(x))  # plain NumPy in, plain NumPy out
    t = Tensor(x.copy(), requires_grad=True)
    out = f(t)
    assert isinstance(out, Tensor) and out.requires_grad
    numpy.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-13)
    assert gradcheck(f, (t,))
    assert gradgradcheck(f, (t,))


def test_refused_functions_raise_and_name_themselves():
    refused = _kinds("refused")
    assert len(refused) > 500
    for qual, mod, name in refused:
        with pytest.raises(TypeError, match=r"\.detach\(\)") as info:
            getattr(mod, name)(_tracked())
        assert f"tinygrad_edu.numpy.{qual} refuses" in str(info.value), qual


def test_refused_functions_are_numpy_on_detached_tensors_and_under_no_grad():
    x = _tracked()
    numpy.testing.assert_array_equal(np.unwrap(x.detach()), numpy.unwrap(V))
    with no_grad():
        numpy.testing.assert_array_equal(np.unwrap(x), numpy.unwrap(V))
        numpy.testing.assert_allclose(np.linalg.eigvals(x.reshape(2, 2)), numpy.linalg.eigvals(V.reshape(2, 2)))
    numpy.testing.assert_array_equal(np.unwrap(V), numpy.unwrap(V))


@pytest.mark.parametrize("qual", sorted(q for q, _, _ in _kinds("value") if not q.startswith("testing.")))
def test_value_only_names_give_plain_results(qual):
    mod, name = next((m, n) for q, m, n in WALK if q == qual)
    t = _tracked()
    args = _VALUE_ARGS.get(name, lambda t: (t,))(t)
    out = getattr(mod, name)(*args)
    plain = [o for o in _table._walk(out) if isinstance(o, Tensor)]
    assert plain == [], f"{qual} returned a Tensor"
    host = _VALUE_ARGS.get(name, lambda t: (t,))(V)
    ref = getattr(numpy, name, None) if "." not in qual else None
    if ref is not None and name not in ("shares_memory", "may_share_memory"):
        numpy.testing.assert_equal(out, ref(*host))


def test_numpy_testing_reads_values():
    x = _tracked()
    np.testing.assert_allclose(x, V)
    assert _table.kind(np.testing, "assert_allclose") == "value"


def test_hips_value_only_examples():
    x = _tracked()
    assert np.argmax(x) == 3 and np.argmin(x) == 1 and list(np.argsort(x)) == [1, 0, 2, 3]
    numpy.testing.assert_array_equal(np.sign(x), [1.0, -1.0, 1.0, 1.0])
    numpy.testing.assert_array_equal(np.floor(x), numpy.floor(V))
    numpy.testing.assert_array_equal(np.round(x, 1), numpy.round(V, 1))
    assert np.allclose(x, V) and np.isclose(x, V).all() and np.array_equal(x, V)
    assert np.shape(x) == (4,) and np.ndim(x) == 1 and np.size(x) == 4
    assert np.isnan(x).sum() == 0 and np.isfinite(x).all()
    assert (np.greater(x, 0) == (V > 0)).all()


def test_dtype_constructors_refuse_a_tracked_tensor():
    scalars = [
        (q, getattr(mod, name))
        for q, mod, name in _kinds("class")
        if issubclass(getattr(mod, name), numpy.number)
        and not issubclass(getattr(mod, name), numpy.timedelta64)  # not a number to convert
        and not getattr(mod, name).__subclasses__()
    ]
    assert {"float64", "float32", "int64", "complex128"} <= {q for q, _ in scalars}
    for _qual, cls in scalars:
        with pytest.raises(RuntimeError, match=r"requires grad.*\.detach\(\)"):
            cls(Tensor(1.2, requires_grad=True))
        assert cls(Tensor(1.0)) == 1  # a constant converts, as before


def test_no_class_hands_out_the_values_of_a_tracked_tensor():
    """Calling any class of the namespace with a tracked tensor raises, or gives an object that
    holds no NumPy copy of its values (a dtype, finfo, a string, an iterator over the tensor)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for qual, mod, name in _kinds("class"):
            cls = getattr(mod, name)
            if issubclass(cls, BaseException):
                continue
            try:
                out = cls(_tracked())
            except Exception:
                continue
            assert not isinstance(out, (numpy.ndarray, numpy.number, float, int)), qual


def test_index_helpers():
    x = _tracked()
    assert np.s_[x] is x and np.index_exp[x] == (x,)  # an index, not a conversion
    assert _table.kind(np, "r_") == "differentiable" == _table.kind(np, "c_")
    with pytest.raises(RuntimeError, match=r"\.detach\(\)"):
        np.mgrid[0 : x[0] : x[1]]  # a step count read from a tensor that requires grad
