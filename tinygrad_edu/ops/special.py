"""Special functions of SciPy (``scipy.special``), each with its derivative rule.

The forward values come from SciPy on the CPU and from CuPy's twin (``cupyx.scipy.special``)
on the GPU, through :func:`tinygrad_edu.backend.special`. Each derivative is written with
differentiable ops, often another special function: d/dx lgamma = digamma, d/dx digamma =
polygamma(1, .), d/dx polygamma(n, .) = polygamma(n + 1, .), so derivatives of any order work.
"""

from __future__ import annotations

import math

from tinygrad_edu import backend
from tinygrad_edu.autograd import Function

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _special(name: str, x):
    return backend.special(name, backend.device_of(x))


class Erfc(Function):
    """y = erfc(x) = 1 - erf(x).

    Computed directly rather than as 1 - erf(x), which loses every digit for x > 6.
    """

    local = "dy/dx = -2/sqrt(pi) e^(-x^2)"

    def forward(self, x):
        return _special("erfc", x)(x)

    def backward(self, g):
        x = self.inputs[0]
        return g * (-(x * x)).exp() * -_TWO_OVER_SQRT_PI


class Logit(Function):
    """y = logit(p) = log(p / (1 - p)), the inverse of the sigmoid.

    Outside [0, 1] the value is NaN, as in SciPy and PyTorch.
    """

    local = "dy/dp = 1 / (p (1 - p))"

    def forward(self, p):
        return _special("logit", p)(p)

    def backward(self, g):
        p = self.inputs[0]
        return g / (p * (1.0 - p))


class Gammaln(Function):
    """y = log |Gamma(x)|  (``lgamma``)."""

    local = "dy/dx = digamma(x)"

    def forward(self, x):
        return _special("gammaln", x)(x)

    def backward(self, g):
        return g * Digamma.apply(self.inputs[0])


class Digamma(Function):
    """y = psi(x) = d/dx log Gamma(x).

    At the poles x = 0, -1, -2, ... the value is infinite (-inf at 0, NaN at the negative
    integers, as SciPy; PyTorch gives NaN too).
    """

    local = "dy/dx = polygamma(1, x)"

    def forward(self, x):
        return _special("digamma", x)(x)

    def backward(self, g):
        return g * Polygamma.apply(self.inputs[0], n=1)


def check_order(n: object, op: str) -> int:
    """The order of polygamma: a non-negative Python or NumPy integer."""
    if isinstance(n, bool) or not (isinstance(n, int) or backend.is_number_scalar(n) and float(n) == int(n)):
        raise TypeError(f"{op}: the order n must be a non-negative integer, got {n!r}")
    if int(n) < 0:
        raise ValueError(f"{op}: the order n must be a non-negative integer, got {n!r}")
    return int(n)


class Polygamma(Function):
    """y = psi^(n)(x), the n-th derivative of digamma (n = 0 is digamma itself).

    dL/dx = dL/dy * psi^(n+1)(x). The order ``n`` is a non-negative integer and not differentiated.
    """

    local = "dy/dx = psi^(n+1)(x)"

    n: int

    def forward(self, x):
        lib = backend.xp(backend.device_of(x))
        return _special("polygamma", x)(lib.asarray(self.n, dtype=x.dtype), x)

    def backward(self, g):
        return g * Polygamma.apply(self.inputs[0], n=self.n + 1)


class LogSumExp(Function):
    """y = log sum_i b_i e^(x_i) over ``axis``, the weights ``b`` optional (SciPy's ``logsumexp``).

    dL/dx_i = dL/dy * b_i e^(x_i - y) (a softmax weighted by ``b``);  dL/db_i = dL/dy * e^(x_i - y).
    The forward shifts by the maximum, so it never overflows. Inputs: ``x``, or ``x`` and ``b``
    (broadcastable to ``x``).
    """

    local = ("dL/dx = dL/dy b e^(x - y)", "dL/db = dL/dy e^(x - y)")

    axis: int | tuple[int, ...] | None
    keepdims: bool

    def forward(self, x, b=None):
        return _special("logsumexp", x)(x, axis=self.axis, b=b, keepdims=self.keepdims)

    def backward(self, g):
        x = self.inputs[0]
        y = self.output
        if not self.keepdims:  # put back the reduced axes, of length one, so g and y broadcast against x
            axes = range(x.ndim) if self.axis is None else (self.axis,) if isinstance(self.axis, int) else self.axis
            kept = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
            g, y = g.reshape(kept), y.reshape(kept)
        w = (x - y).exp()
        if len(self.inputs) == 1:
            return g * w
        b = self.inputs[1]
        dx = (g * w * b).sum_to(x.shape) if self.needs_input_grad[0] else None
        db = (g * w).sum_to(b.shape) if self.needs_input_grad[1] else None
        return dx, db


class Ndtri(Function):
    """y = Phi^-1(q), the quantile of the standard normal (inverse of its distribution function).

    dL/dq = dL/dy / phi(y) = dL/dy sqrt(2 pi) e^(y^2 / 2)  (the derivative of an inverse function).
    """

    local = "dy/dq = sqrt(2 pi) e^(y^2 / 2)"

    def forward(self, q):
        return _special("ndtri", q)(q)

    def backward(self, g):
        y = self.output
        return g * (y * y * 0.5).exp() * math.sqrt(2.0 * math.pi)


class Erfinv(Function):
    """y = erf^-1(x)."""

    local = "dy/dx = sqrt(pi)/2 e^(y^2)"

    def forward(self, x):
        return _special("erfinv", x)(x)

    def backward(self, g):
        y = self.output
        return g * (y * y).exp() * (0.5 * math.sqrt(math.pi))


class Erfcinv(Function):
    """y = erfc^-1(x)."""

    local = "dy/dx = -sqrt(pi)/2 e^(y^2)"

    def forward(self, x):
        return _special("erfcinv", x)(x)

    def backward(self, g):
        y = self.output
        return g * (y * y).exp() * (-0.5 * math.sqrt(math.pi))


class Stdtr(Function):
    """y = the distribution function of Student's t with ``df`` degrees of freedom (``stdtr``),
    at ``t``. Differentiable in ``t``; ``df`` is a constant (no closed form, as in HIPS autograd).

    dy/dt is the density, exp(lgamma((df+1)/2) - lgamma(df/2) - log(df pi)/2 - (df+1)/2 log(1 + t^2/df)).
    """

    local = ("dL/ddf = not differentiated", "dy/dt = the t density at t")

    def forward(self, df, t):
        return _special("stdtr", t)(df, t)

    def backward(self, g):
        df, t = self.inputs
        if self.needs_input_grad[0]:
            raise NotImplementedError(
                "Stdtr: no derivative with respect to the degrees of freedom df (HIPS autograd has none "
                "either); pass df as a constant"
            )
        log_density = (
            Gammaln.apply((df + 1.0) * 0.5)
            - Gammaln.apply(df * 0.5)
            - (df * math.pi).log() * 0.5
            - (t * t / df).log1p() * ((df + 1.0) * 0.5)
        )
        return None, (g * log_density.exp()).sum_to(t.shape)
