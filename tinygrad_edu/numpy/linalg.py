"""``numpy.linalg`` for ``import tinygrad_edu.numpy as np``: ``np.linalg.norm`` differentiates;
every other function refuses a Tensor that requires grad (see :mod:`tinygrad_edu.numpy._table`)."""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.numpy import _table
from tinygrad_edu.ops import functions as _F
from tinygrad_edu.tensor import Tensor

_linalg = backend.xp("cpu").linalg

DIFFERENTIABLE = frozenset({"norm"})
VALUE_ONLY = frozenset({"matrix_rank"})
REFUSED = dict.fromkeys(
    """det slogdet inv pinv solve lstsq cholesky qr svd eig eigh eigvals eigvalsh matrix_power
    multi_dot tensorsolve tensorinv trace diagonal outer cross matmul vecdot matrix_norm
    vector_norm matrix_transpose svdvals""".split(),
    "its derivative rule is not written yet (issue 15 adds it)",
)

__all__ = ["norm"]


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002
    """``numpy.linalg.norm``; for a Tensor the 2-norm of a vector or the Frobenius norm
    ``sqrt(sum x**2)`` (``ord`` None, 2 for vectors, or ``"fro"``), with the derivative ``x / norm``
    and, as in PyTorch, 0 at the zero vector."""
    if not isinstance(x, Tensor):
        return _linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    vector = (axis is None and x.ndim == 1) or isinstance(axis, int)
    if not (ord is None or ord == "fro" or (ord == 2 and vector)):
        raise _table.refusal(
            f"tinygrad_edu.numpy.linalg.norm with ord={ord!r}", "only the 2-norm and Frobenius norm differentiate"
        )
    s = (x * x).sum(axis, keepdims)
    positive = s > 0
    # sqrt'(0) is infinite: take it of a safe value and pick 0 there, so the gradient at 0 is 0
    return _F.where(positive, _F.where(positive, s, 1.0).sqrt(), 0.0)


_NAMESPACE = _table.Namespace("tinygrad_edu.numpy.linalg", _linalg, value_only=VALUE_ONLY, refused=REFUSED)


def __getattr__(name: str) -> Any:
    """NumPy's other ``linalg`` names, as the table declares them."""
    return _NAMESPACE.getattr(name)


def __dir__() -> list[str]:
    return _NAMESPACE.dir(globals())
