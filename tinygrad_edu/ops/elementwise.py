"""More elementwise maths: exponentials and logarithms in other bases, inverse and hyperbolic
trigonometry, ``sinc``, ``nan_to_num``, and the elementwise ops of two tensors ``atan2``,
``hypot``, ``fmax``/``fmin``, ``remainder``/``fmod`` and ``logaddexp``/``logaddexp2``.

Each derivative is the textbook one, written with Tensor ops so that it can be differentiated
again. Where a function has no derivative (a pole, a jump, a tie) the rule is PyTorch's, stated
in the docstring. Binary ops broadcast; their gradients are summed back to each input's shape.
"""

from __future__ import annotations

import math

from tinygrad_edu import backend
from tinygrad_edu.autograd import Function
from tinygrad_edu.ops.unary import LocalSlope, Where

LN2 = math.log(2.0)
LN10 = math.log(10.0)


# ----------------------------------------------------------------------------- exponentials, logarithms


class Expm1(Function):
    """y = e^x - 1 (accurate for small x)."""

    local = "dy/dx = y + 1"

    def forward(self, x):
        return self.xp.expm1(x)

    def backward(self, g):
        return g * (self.output + 1.0)


class Exp2(Function):
    """y = 2^x."""

    local = "dy/dx = y ln 2"

    def forward(self, x):
        return self.xp.exp2(x)

    def backward(self, g):
        return g * self.output * LN2


# Each op is its own Function class with its forward and derivative side by side (the project's
# style, for students): ops of the same form repeat a few lines on purpose, so that each reads alone.
class Log2(Function):
    """y = log2 x."""

    local = "dy/dx = 1 / (x ln 2), inf at x = 0"

    def forward(self, x):
        return self.xp.log2(x)

    def backward(self, g):
        return g / (self.inputs[0] * LN2)


class Log10(Function):
    """y = log10 x."""

    local = "dy/dx = 1 / (x ln 10), inf at x = 0"

    def forward(self, x):
        return self.xp.log10(x)

    def backward(self, g):
        return g / (self.inputs[0] * LN10)


# ----------------------------------------------------------------------------- trigonometry


class Arcsin(Function):
    """y = arcsin x."""

    local = "dy/dx = 1 / sqrt(1 - x^2), inf at x = +-1"

    def forward(self, x):
        return self.xp.arcsin(x)

    def backward(self, g):
        x = self.inputs[0]
        return g / (1.0 - x * x).sqrt()


class Arccos(Function):
    """y = arccos x."""

    local = "dy/dx = -1 / sqrt(1 - x^2), -inf at x = +-1"

    def forward(self, x):
        return self.xp.arccos(x)

    def backward(self, g):
        x = self.inputs[0]
        return -g / (1.0 - x * x).sqrt()


class Arctan(Function):
    """y = arctan x."""

    local = "dy/dx = 1 / (1 + x^2)"

    def forward(self, x):
        return self.xp.arctan(x)

    def backward(self, g):
        x = self.inputs[0]
        return g / (x * x + 1.0)


class Arctan2(Function):
    """z = atan2(y, x), the angle of the point (x, y).

    dL/dy = dL/dz x / (x^2 + y^2),  dL/dx = -dL/dz y / (x^2 + y^2),  and 0 at the origin (PyTorch's rule).
    Its own derivative at the origin is 0 too (PyTorch's is NaN there).
    """

    local = ("dz/dy = x / (x^2 + y^2), 0 at the origin", "dz/dx = -y / (x^2 + y^2), 0 at the origin")

    def forward(self, y, x):
        return self.xp.arctan2(y, x)

    def backward(self, g):
        y, x = self.inputs
        r2 = x * x + y * y
        origin = r2.data == 0
        if origin.any():  # 1 / r^2 taken as 0 at the origin, without dividing by zero
            zero = self.const(self.xp.zeros((), dtype=r2.dtype))
            r2 = Where.apply(zero + 1.0, r2, cond=origin)
            scale = g * Where.apply(zero, 1.0 / r2, cond=origin)
        else:
            scale = g / r2
        dy = (scale * x).sum_to(y.shape) if self.needs_input_grad[0] else None
        dx = (-scale * y).sum_to(x.shape) if self.needs_input_grad[1] else None
        return dy, dx


class Sinc(Function):
    """y = sin(pi x) / (pi x), and 1 at x = 0 (NumPy's normalised sinc).

    dL/dx = dL/dy (cos(pi x) - y) / x, and 0 at x = 0 (PyTorch's rule: the limit, which is 0).
    """

    local = "dy/dx = (cos(pi x) - y) / x, 0 at x = 0"

    def forward(self, x):
        return self.xp.sinc(x)

    def backward(self, g):
        x, y = self.inputs[0], self.output
        zero = x.data == 0
        if not zero.any():
            return g * ((x * math.pi).cos() - y) / x
        one = self.const(self.xp.ones_like(x.data))
        safe_x = Where.apply(one, x, cond=zero)  # 1 where x = 0, so nothing divides by zero
        slope = ((safe_x * math.pi).cos() - Where.apply(one, y, cond=zero)) / safe_x
        return g * Where.apply(one * 0.0, slope, cond=zero)


# ----------------------------------------------------------------------------- hyperbolic functions


class Sinh(Function):
    """y = sinh x = (e^x - e^-x) / 2."""

    local = "dy/dx = cosh x"

    def forward(self, x):
        return self.xp.sinh(x)

    def backward(self, g):
        return g * Cosh.apply(self.inputs[0])


class Cosh(Function):
    """y = cosh x = (e^x + e^-x) / 2."""

    local = "dy/dx = sinh x"

    def forward(self, x):
        return self.xp.cosh(x)

    def backward(self, g):
        return g * Sinh.apply(self.inputs[0])


class Arcsinh(Function):
    """y = arsinh x = log(x + sqrt(x^2 + 1))."""

    local = "dy/dx = 1 / sqrt(x^2 + 1)"

    def forward(self, x):
        return self.xp.arcsinh(x)

    def backward(self, g):
        x = self.inputs[0]
        return g / (x * x + 1.0).sqrt()


class Arccosh(Function):
    """y = arcosh x, x >= 1."""

    local = "dy/dx = 1 / sqrt(x^2 - 1), inf at x = 1"

    def forward(self, x):
        return self.xp.arccosh(x)

    def backward(self, g):
        x = self.inputs[0]
        return g / (x * x - 1.0).sqrt()


class Arctanh(Function):
    """y = artanh x, |x| < 1."""

    local = "dy/dx = 1 / (1 - x^2), inf at x = +-1"

    def forward(self, x):
        return self.xp.arctanh(x)

    def backward(self, g):
        x = self.inputs[0]
        return g / (1.0 - x * x)


# ----------------------------------------------------------------------------- special values


class NanToNum(Function):
    """y = x, with NaN, +inf and -inf replaced by numbers.

    dL/dx = dL/dy where x is finite, 0 where it was replaced (PyTorch's rule).
    """

    local = "dy/dx = [x is finite]"

    def forward(self, x):
        return self.xp.nan_to_num(x, nan=self.nan, posinf=self.posinf, neginf=self.neginf)

    def backward(self, g):
        finite = self.xp.isfinite(self.inputs[0].data)
        if finite.all():
            return g
        return LocalSlope.apply(g, self.inputs[0], slope=finite.astype(g.dtype))  # keeps x: see LocalSlope


# ----------------------------------------------------------------------------- two tensors


class Hypot(Function):
    """z = sqrt(x^2 + y^2) without overflow.

    dL/dx = dL/dz x / z,  dL/dy = dL/dz y / z   (NaN at x = y = 0, as PyTorch).
    """

    local = ("dz/dx = x / z", "dz/dy = y / z")

    def forward(self, x, y):
        return self.xp.hypot(x, y)

    def backward(self, g):
        x, y = self.inputs
        scale = g / self.output
        dx = (scale * x).sum_to(x.shape) if self.needs_input_grad[0] else None
        dy = (scale * y).sum_to(y.shape) if self.needs_input_grad[1] else None
        return dx, dy


class FMax(Function):
    """z = max(x, y), ignoring NaN (NumPy's ``fmax``).

    The gradient goes to x where x >= y or y is NaN, else to y: ties go to x (PyTorch's rule,
    unlike ``maximum``, which splits them).
    """

    local = ("dz/dx = [x >= y or y is NaN]", "dz/dy = [not (x >= y or y is NaN)]")

    def forward(self, x, y):
        return self.xp.fmax(x, y)

    def backward(self, g):
        return _to_chosen(self, g, self.xp.greater_equal)


class FMin(Function):
    """z = min(x, y), ignoring NaN (NumPy's ``fmin``).

    The gradient goes to x where x <= y or y is NaN, else to y: ties go to x (PyTorch's rule).
    """

    local = ("dz/dx = [x <= y or y is NaN]", "dz/dy = [not (x <= y or y is NaN)]")

    def forward(self, x, y):
        return self.xp.fmin(x, y)

    def backward(self, g):
        return _to_chosen(self, g, self.xp.less_equal)


def _to_chosen(fn: Function, g, keeps_x):
    """The gradients of fmax/fmin: all of dL/dz to x where ``keeps_x(x, y)`` or y is NaN, else to y."""
    x, y = fn.inputs
    to_x = fn.xp.broadcast_to(keeps_x(x.data, y.data) | fn.xp.isnan(y.data), g.shape)
    # LocalSlope keeps x and y as inputs, so a second derivative through fmax/fmin is 0, not an error
    dx = LocalSlope.apply(g, x, y, slope=to_x.astype(g.dtype)).sum_to(x.shape) if fn.needs_input_grad[0] else None
    dy = LocalSlope.apply(g, x, y, slope=(~to_x).astype(g.dtype)).sum_to(y.shape) if fn.needs_input_grad[1] else None
    return dx, dy


class Remainder(Function):
    """z = x mod y = x - floor(x / y) y, with the sign of y (Python's ``%``, NumPy's ``mod``).

    dL/dx = dL/dz,  dL/dy = -dL/dz floor(x / y)   (PyTorch's rule, also at the jumps).
    """

    local = ("dz/dx = 1", "dz/dy = -floor(x / y)")

    def forward(self, x, y):
        return self.xp.remainder(x, y)

    def backward(self, g):
        x, y = self.inputs
        dx = g.sum_to(x.shape) if self.needs_input_grad[0] else None
        dy = None
        if self.needs_input_grad[1]:
            with backend.errstate(divide="ignore", invalid="ignore"):
                q = self.xp.floor_divide(x.data, y.data)
            dy = (g * self.const(-q)).sum_to(y.shape)
        return dx, dy


class FMod(Function):
    """z = fmod(x, y) = x - trunc(x / y) y, with the sign of x (C's ``fmod``).

    dL/dx = dL/dz,  dL/dy = -dL/dz trunc(x / y)   (PyTorch's rule, also at the jumps).
    """

    local = ("dz/dx = 1", "dz/dy = -trunc(x / y)")

    def forward(self, x, y):
        return self.xp.fmod(x, y)

    def backward(self, g):
        x, y = self.inputs
        dx = g.sum_to(x.shape) if self.needs_input_grad[0] else None
        dy = None
        if self.needs_input_grad[1]:
            with backend.errstate(divide="ignore", invalid="ignore"):
                q = self.xp.trunc(x.data / y.data)
            dy = (g * self.const(-q)).sum_to(y.shape)
        return dx, dy


class LogAddExp(Function):
    """z = log(e^x + e^y), computed without overflow.

    dL/dx = dL/dz sigma(x - y),  dL/dy = dL/dz sigma(y - x)   (sigma the logistic function).
    """

    local = ("dz/dx = sigma(x - y)", "dz/dy = sigma(y - x)")

    def forward(self, x, y):
        return self.xp.logaddexp(x, y)

    def backward(self, g):
        x, y = self.inputs
        dx = (g * (x - y).sigmoid()).sum_to(x.shape) if self.needs_input_grad[0] else None
        dy = (g * (y - x).sigmoid()).sum_to(y.shape) if self.needs_input_grad[1] else None
        return dx, dy


class LogAddExp2(Function):
    """z = log2(2^x + 2^y), computed without overflow.

    dL/dx = dL/dz sigma((x - y) ln 2),  dL/dy = dL/dz sigma((y - x) ln 2).
    """

    local = ("dz/dx = sigma((x - y) ln 2)", "dz/dy = sigma((y - x) ln 2)")

    def forward(self, x, y):
        return self.xp.logaddexp2(x, y)

    def backward(self, g):
        x, y = self.inputs
        dx = (g * ((x - y) * LN2).sigmoid()).sum_to(x.shape) if self.needs_input_grad[0] else None
        dy = (g * ((y - x) * LN2).sigmoid()).sum_to(y.shape) if self.needs_input_grad[1] else None
        return dx, dy
