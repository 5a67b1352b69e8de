"""``scipy.special`` with derivatives: ``import tinygrad_edu.scipy.special as sp``.

On Tensors each function is an op of ``tinygrad_edu/ops/special.py`` (or ``ops/normal.py``)
with its derivative rule; on arrays and numbers it is SciPy's own function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.ops import bessel as _B
from tinygrad_edu.ops import gamma as _G
from tinygrad_edu.ops import normal as _N
from tinygrad_edu.ops import reduce as _R
from tinygrad_edu.ops import special as _S
from tinygrad_edu.scipy._wrap import Namespace, as_tensors, constant, has_tensor, refuse_extra
from tinygrad_edu.tensor import Tensor

_sp = backend.scipy_module("special")

# The declared table (tinygrad_edu/numpy/_table.py); docs/autograd-coverage.md is generated from it.
DIFFERENTIABLE = frozenset(
    """erf erfc erfinv erfcinv expit logit gammaln digamma psi polygamma logsumexp ndtr log_ndtr
    ndtri gamma rgamma beta betaln betainc gammainc gammaincc multigammaln j0 j1 y0 y1 jn yn i0 i1
    iv ive""".split()
)
VALUE_ONLY = frozenset({"gammasgn"})  # the sign of Gamma(x): piecewise constant
REFUSED: dict[str, str] = {}
__all__ = sorted(DIFFERENTIABLE)


def _standard_normal(op: type) -> Callable[[Tensor], Tensor]:
    return lambda x: op.apply(*as_tensors(x, 0.0, 1.0))


def _unary(name: str, tensor_fn: Callable[[Tensor], Tensor], formula: str) -> Callable:
    sp_fn = getattr(_sp, name)

    def fn(x: Any, *args: Any, **kw: Any) -> Any:
        if not has_tensor(x):
            return sp_fn(x, *args, **kw)
        if args or kw:
            raise TypeError(f"tinygrad_edu.scipy.special.{name}: extra arguments are not supported for Tensors")
        (x,) = as_tensors(x)
        return tensor_fn(x)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``scipy.special.{name}``, differentiable for Tensors: {formula}."
    return fn


erf = _unary("erf", Tensor.erf, "2/sqrt(pi) int_0^x e^(-t^2) dt; d/dx = 2/sqrt(pi) e^(-x^2)")
erfc = _unary("erfc", Tensor.erfc, "1 - erf(x); d/dx = -2/sqrt(pi) e^(-x^2)")
erfinv = _unary("erfinv", _S.Erfinv.apply, "the inverse of erf; d/dx = sqrt(pi)/2 e^(y^2)")
erfcinv = _unary("erfcinv", _S.Erfcinv.apply, "the inverse of erfc; d/dx = -sqrt(pi)/2 e^(y^2)")
expit = _unary("expit", Tensor.sigmoid, "1 / (1 + e^-x); d/dx = y (1 - y)")
logit = _unary("logit", Tensor.logit, "log(p / (1 - p)); d/dp = 1 / (p (1 - p))")
gammaln = _unary("gammaln", Tensor.lgamma, "log |Gamma(x)|; d/dx = digamma(x)")
digamma = _unary("digamma", Tensor.digamma, "d/dx log Gamma(x); d/dx = polygamma(1, x)")
psi = _unary("psi", Tensor.digamma, "digamma's other name; d/dx = polygamma(1, x)")
ndtr = _unary("ndtr", _standard_normal(_N.NormCdf), "Phi(x), the standard normal CDF; d/dx = phi(x)")
log_ndtr = _unary("log_ndtr", _standard_normal(_N.NormLogCdf), "log Phi(x), accurate in the tail")
ndtri = _unary("ndtri", _S.Ndtri.apply, "Phi^-1(q); d/dq = 1 / phi(y)")


gamma = _unary("gamma", _G.Gamma.apply, "Gamma(x); d/dx = Gamma(x) psi(x)")
rgamma = _unary("rgamma", _G.Rgamma.apply, "1 / Gamma(x); d/dx = -psi(x) / Gamma(x)")


def _bessel(name: str, kind: str, order: float | None) -> Callable:
    """A Bessel function of x; with ``order`` None the order is the first argument (jn, yn, iv, ive)."""
    sp_fn = getattr(_sp, name)

    def fn(*args: Any) -> Any:
        v, x = (order, args[0]) if order is not None and len(args) == 1 else args
        if not has_tensor(x, v):
            return sp_fn(*args)
        if isinstance(v, Tensor):
            if v.requires_grad:
                raise TypeError(f"{name}: the order v is not differentiated; pass a number")
            v = v.item()
        (x,) = as_tensors(x)
        return _B.Bessel.apply(x, kind=kind, v=float(v))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``scipy.special.{name}``, differentiable in x for Tensors (see tinygrad_edu/ops/bessel.py)."
    return fn


j0, j1 = _bessel("j0", "jv", 0.0), _bessel("j1", "jv", 1.0)
y0, y1 = _bessel("y0", "yv", 0.0), _bessel("y1", "yv", 1.0)
i0, i1 = _bessel("i0", "iv", 0.0), _bessel("i1", "iv", 1.0)
jn, yn = _bessel("jn", "jv", None), _bessel("yn", "yv", None)
iv, ive = _bessel("iv", "iv", None), _bessel("ive", "ive", None)


def beta(a: Any, b: Any) -> Any:
    """``scipy.special.beta``: B(a, b), differentiable in both (d/da = B (psi(a) - psi(a + b)))."""
    if not has_tensor(a, b):
        return _sp.beta(a, b)
    return _G.Beta.apply(*as_tensors(a, b))


def betaln(a: Any, b: Any) -> Any:
    """``scipy.special.betaln``: log |B(a, b)|, differentiable in both (d/da = psi(a) - psi(a + b))."""
    if not has_tensor(a, b):
        return _sp.betaln(a, b)
    return _G.Betaln.apply(*as_tensors(a, b))


def betainc(a: Any, b: Any, x: Any) -> Any:
    """``scipy.special.betainc``: I_x(a, b), differentiable in x (d/dx = x^(a-1) (1-x)^(b-1) / B(a, b))."""
    if not has_tensor(a, b, x):
        return _sp.betainc(a, b, x)
    constant("betainc", a=a, b=b)
    return _G.Betainc.apply(*as_tensors(a, b, x))


def gammainc(a: Any, x: Any) -> Any:
    """``scipy.special.gammainc``: P(a, x), differentiable in x (d/dx = e^-x x^(a-1) / Gamma(a))."""
    if not has_tensor(a, x):
        return _sp.gammainc(a, x)
    constant("gammainc", a=a)
    return _G.Gammainc.apply(*as_tensors(a, x), upper=False)


def gammaincc(a: Any, x: Any) -> Any:
    """``scipy.special.gammaincc``: Q(a, x) = 1 - P(a, x), differentiable in x."""
    if not has_tensor(a, x):
        return _sp.gammaincc(a, x)
    constant("gammaincc", a=a)
    return _G.Gammainc.apply(*as_tensors(a, x), upper=True)


def multigammaln(a: Any, d: int) -> Any:
    """``scipy.special.multigammaln``: log of the multivariate gamma function,
    d(d-1)/4 log(pi) + sum_j lgamma(a - j/2) over j < d; differentiable in a."""
    if not has_tensor(a):
        return _sp.multigammaln(a, d)
    (a,) = as_tensors(a)
    if bool((a.data <= 0.5 * (d - 1)).any()):
        raise ValueError(f"multigammaln: a must be greater than (d - 1) / 2 = {0.5 * (d - 1)}")
    out = a.lgamma()
    for j in range(1, int(d)):
        out = out + (a - 0.5 * j).lgamma()
    return out + 0.25 * d * (d - 1) * _LOG_PI


_LOG_PI = 1.1447298858494002


def polygamma(n: Any, x: Any) -> Any:
    """``scipy.special.polygamma(n, x)``: the n-th derivative of digamma; differentiable in ``x``
    (d/dx = polygamma(n + 1, x)), not in the integer order ``n``."""
    if isinstance(n, Tensor):
        if n.requires_grad:
            raise TypeError("polygamma: the order n is an integer and has no derivative; pass a Python int")
        n = n.item()
    if not has_tensor(x):
        return _sp.polygamma(n, x)
    (x,) = as_tensors(x)
    return x.polygamma(_S.check_order(n, "polygamma"))


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    if len(shape) > len(target):
        return False
    return all(n in (1, m) for n, m in zip(shape[::-1], target[::-1]))


def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False, return_sign: bool = False) -> Any:
    """``scipy.special.logsumexp``: ``log sum b e^a`` over ``axis``, computed without overflow.

    Differentiable in ``a`` (d/da_i = b_i e^(a_i - y), a weighted softmax) and in ``b``
    (d/db_i = e^(a_i - y)). For Tensors ``b`` must broadcast to the shape of ``a``.
    """
    if not has_tensor(a, b):
        return _sp.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    refuse_extra("logsumexp", return_sign=return_sign or None)
    a, *rest = as_tensors(a) if b is None else as_tensors(a, b)
    ax = _R.normalize_axis(tuple(axis) if isinstance(axis, list) else axis, a.ndim, "logsumexp")
    if rest and not _broadcasts_to(rest[0].shape, a.shape):
        raise ValueError(
            f"logsumexp: b of shape {tuple(rest[0].shape)} must broadcast to the shape {tuple(a.shape)} of a"
        )
    return _S.LogSumExp.apply(a, *rest, axis=ax, keepdims=bool(keepdims))


_NAMESPACE = Namespace("tinygrad_edu.scipy.special", _sp, value_only=VALUE_ONLY, refused=REFUSED)


def __getattr__(name: str) -> Any:
    """SciPy's other ``special`` names, as the table declares them."""
    return _NAMESPACE.getattr(name)


def __dir__() -> list[str]:
    return _NAMESPACE.dir(globals())
