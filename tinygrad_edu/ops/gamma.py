"""The gamma and beta families of ``scipy.special``, each with its derivative rule.

psi is the digamma function (:class:`~tinygrad_edu.ops.special.Digamma`), so the rules below
differentiate again. The regularized incomplete functions (``betainc``, ``gammainc``,
``gammaincc``) differentiate in ``x`` only, as in HIPS autograd: their derivatives in the
parameters have no closed form. Inputs of two or three tensors broadcast together; each
gradient is summed back to its input's shape.
"""

from __future__ import annotations

from tinygrad_edu import backend
from tinygrad_edu.autograd import Function
from tinygrad_edu.ops.special import Digamma, Gammaln


def _special(name: str, x):
    return backend.special(name, backend.device_of(x))


def _parameters_only_constant(fn: Function, names: tuple[str, ...]) -> None:
    """The incomplete functions have no rule for their parameters: say so instead of a wrong 0."""
    for name, want in zip(names, fn.needs_input_grad):
        if want:
            raise NotImplementedError(
                f"{fn.name}: no derivative with respect to its parameter {name} (it has no closed form; "
                "HIPS autograd has none either); pass it as a constant"
            )


class Gamma(Function):
    """y = Gamma(x)."""

    local = "dy/dx = y psi(x)"

    def forward(self, x):
        return _special("gamma", x)(x)

    def backward(self, g):
        return g * self.output * Digamma.apply(self.inputs[0])


class Rgamma(Function):
    """y = 1 / Gamma(x), finite everywhere (0 at the poles of Gamma)."""

    local = "dy/dx = -y psi(x)"

    def forward(self, x):
        return _special("rgamma", x)(x)

    def backward(self, g):
        return -g * self.output * Digamma.apply(self.inputs[0])


class Betaln(Function):
    """y = log |B(a, b)| = lgamma(a) + lgamma(b) - lgamma(a + b)."""

    local = ("dy/da = psi(a) - psi(a + b)", "dy/db = psi(b) - psi(a + b)")

    def forward(self, a, b):
        return _special("betaln", a)(a, b)

    def backward(self, g):
        a, b = self.inputs
        common = Digamma.apply(a + b)
        da = (g * (Digamma.apply(a) - common)).sum_to(a.shape) if self.needs_input_grad[0] else None
        db = (g * (Digamma.apply(b) - common)).sum_to(b.shape) if self.needs_input_grad[1] else None
        return da, db


class Beta(Function):
    """y = B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b)."""

    local = ("dy/da = y (psi(a) - psi(a + b))", "dy/db = y (psi(b) - psi(a + b))")

    def forward(self, a, b):
        return _special("beta", a)(a, b)

    def backward(self, g):
        a, b = self.inputs
        gy, common = g * self.output, Digamma.apply(a + b)
        da = (gy * (Digamma.apply(a) - common)).sum_to(a.shape) if self.needs_input_grad[0] else None
        db = (gy * (Digamma.apply(b) - common)).sum_to(b.shape) if self.needs_input_grad[1] else None
        return da, db


class Betainc(Function):
    """y = I_x(a, b), the regularized incomplete beta function (the Beta distribution's CDF)."""

    local = ("dL/da = not differentiated", "dL/db = not differentiated", "dy/dx = x^(a-1) (1-x)^(b-1) / B(a, b)")

    def forward(self, a, b, x):
        return _special("betainc", x)(a, b, x)

    def backward(self, g):
        a, b, x = self.inputs
        _parameters_only_constant(self, ("a", "b"))
        log_density = (a - 1.0) * x.log() + (b - 1.0) * (1.0 - x).log() - Gammaln.apply(a) - Gammaln.apply(b)
        dx = g * (log_density + Gammaln.apply(a + b)).exp()
        return None, None, dx.sum_to(x.shape)


class Gammainc(Function):
    """y = P(a, x), the regularized lower incomplete gamma function (the Gamma distribution's CDF).

    With ``upper=True`` it is Q(a, x) = 1 - P(a, x) (``gammaincc``), whose derivative has the other sign.
    """

    upper: bool
    local = ("dL/da = not differentiated", "dy/dx = +- e^(-x) x^(a-1) / Gamma(a)")

    def forward(self, a, x):
        return _special("gammaincc" if self.upper else "gammainc", x)(a, x)

    def backward(self, g):
        a, x = self.inputs
        _parameters_only_constant(self, ("a",))
        density = ((a - 1.0) * x.log() - x - Gammaln.apply(a)).exp()
        dx = g * density
        return None, (-dx if self.upper else dx).sum_to(x.shape)
