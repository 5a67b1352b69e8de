"""Elementwise maths and activations, and the elementwise ops of two tensors.

Each derivative is the textbook one, written with Tensor ops so that it can be differentiated
again. The piecewise-linear ops (relu, leaky_relu, abs, clip, maximum, minimum, and the max
reduction) have a local slope that is constant between kinks; their rules multiply the upstream
gradient by that slope with :class:`LocalSlope`, which keeps x as an input (as PyTorch's
``threshold_backward`` does), so a second derivative through them is zero rather than an error.

Conventions at the kinks and at NaN follow PyTorch's; each op's docstring states its own.
"""

from __future__ import annotations

import math

from tinygrad_edu import backend
from tinygrad_edu.autograd import Function, is_grad_enabled


# Each op is its own Function class with its forward and derivative side by side (the project's
# style, for students): ops of the same form repeat a few lines on purpose, so that each reads alone.
class Exp(Function):
    """y = e^x."""

    local = "dy/dx = y"

    def forward(self, x):
        return self.xp.exp(x)

    def backward(self, g):
        return g * self.output


class Log(Function):
    """y = log x."""

    local = "dy/dx = 1/x"

    def forward(self, x):
        return self.xp.log(x)

    def backward(self, g):
        return g / self.inputs[0]


class Log1p(Function):
    """y = log(1 + x)."""

    local = "dy/dx = 1/(1 + x)"

    def forward(self, x):
        return self.xp.log1p(x)

    def backward(self, g):
        return g / (self.inputs[0] + 1.0)


class Sqrt(Function):
    """y = sqrt(x)."""

    local = "dy/dx = 1/(2 y)"

    def forward(self, x):
        return self.xp.sqrt(x)

    def backward(self, g):
        return g / (self.output * 2.0)


class Abs(Function):
    """y = |x|.

    PyTorch's conventions: the slope is 0 at x = 0 and at x = NaN (``sgn``), and the product is a
    plain product (an infinite dL/dy at x = 0 gives NaN, as PyTorch's ``grad * sgn(x)``).
    """

    local = "dy/dx = sign(x)"

    def forward(self, x):
        return self.xp.abs(x)

    def backward(self, g):
        x = self.inputs[0].data
        s = (x > 0).astype(g.dtype)
        s -= x < 0  # -1, 0 or 1; NaN compares false both ways, so its slope is 0
        return LocalSlope.apply(g, self.inputs[0], slope=s, select=False)


class Sin(Function):
    """y = sin x."""

    local = "dy/dx = cos x"

    def forward(self, x):
        return self.xp.sin(x)

    def backward(self, g):
        return g * self.inputs[0].cos()


class Cos(Function):
    """y = cos x."""

    local = "dy/dx = -sin x"

    def forward(self, x):
        return self.xp.cos(x)

    def backward(self, g):
        return -g * self.inputs[0].sin()


class TanhOp(Function):
    """y = tanh x."""

    local = "dy/dx = 1 - y^2"

    def forward(self, x):
        return self.xp.tanh(x)

    def backward(self, g):
        return TanhBackward.apply(g, self.output)  # g * (1 - y*y), as one op


class TanhBackward(Function):
    """z = g (1 - y^2): the chain-rule product of tanh as a single op.

    Written as ``g * (1 - y*y)`` it would cost three ops in every backward pass; as one op it
    costs one. Its own derivative, for higher orders:  dL/dg = dL/dz (1 - y^2),
    dL/dy = -2 dL/dz g y.
    """

    local = ("dz/dg = 1 - y^2", "dz/dy = -2 g y")

    def forward(self, g, y):
        d = 1.0 - y * y
        d *= g
        return d

    def backward(self, gz):
        g, y = self.inputs
        dg = TanhBackward.apply(gz, y) if self.needs_input_grad[0] else None
        dy = gz * g * y * -2.0 if self.needs_input_grad[1] else None
        return dg, dy


class SigmoidOp(Function):
    """y = sigma(x) = 1 / (1 + e^-x)."""

    local = "dy/dx = y (1 - y)"

    def forward(self, x):
        # SciPy's expit never overflows and keeps full relative accuracy for x << 0, where
        # 0.5 (1 + tanh(x/2)) cancels to 0 (sigmoid(-40) = 4e-18, and log of it must be -40)
        return backend.expit(x)

    def backward(self, g):
        return SigmoidBackward.apply(g, self.output)  # g * y * (1 - y), as one op


class SigmoidBackward(Function):
    """z = g y (1 - y): the chain-rule product of the sigmoid as a single op.

    Its own derivative, for higher orders:  dL/dg = dL/dz y (1 - y),  dL/dy = dL/dz g (1 - 2y).
    """

    local = ("dz/dg = y (1 - y)", "dz/dy = g (1 - 2 y)")

    def forward(self, g, y):
        d = 1.0 - y
        d *= y
        d *= g
        return d

    def backward(self, gz):
        g, y = self.inputs
        dg = SigmoidBackward.apply(gz, y) if self.needs_input_grad[0] else None
        dy = gz * g * (1.0 - y * 2.0) if self.needs_input_grad[1] else None
        return dg, dy


class Erf(Function):
    """y = erf(x)."""

    local = "dy/dx = 2/sqrt(pi) e^(-x^2)"

    def forward(self, x):
        return backend.erf(x)

    def backward(self, g):
        x = self.inputs[0]
        return g * (-(x * x)).exp() * (2.0 / math.sqrt(math.pi))


class LocalSlope(Function):
    """z = g * s: an upstream gradient g times the local slope s = dy/dx of a piecewise-linear op.

    The derivative rule of relu, leaky_relu, abs, clip, maximum, minimum and max. The slope s is
    a constant array, computed from the op's inputs x, which are the further inputs of this op
    (as PyTorch's ``threshold_backward(g, x)`` takes x): s is constant between the kinks, so
        dL/dg = dL/dz * s,    dL/dx = 0,
    and a second derivative through such an op is zero (the Laplacian of a ReLU network is 0),
    not "does not require grad".

    With ``select`` (the default), z = 0 where s = 0 even when g is infinite or NaN, as PyTorch's
    masked rules (``log(relu(x))`` at x < 0 has gradient 0, not NaN).
    """

    local = ("dz/dg = s", "dz/dx = 0")

    select = True

    def forward(self, g, *sources):
        return _times_slope(self.xp, g, self.slope, self.select)

    def backward(self, gz):
        need = self.needs_input_grad
        sources = self.inputs[1:]
        dg = LocalSlope.apply(gz, *sources, slope=self.slope, select=self.select) if need[0] else None
        zeros = [self.const(self.xp.zeros(x.shape, x.dtype)) if n else None for x, n in zip(sources, need[1:])]
        return (dg, *zeros)


def _times_slope(xp, g, slope, select):
    """g * slope, and with ``select`` 0 where the slope is 0 (LocalSlope's forward, on arrays)."""
    out = g * slope
    # inf * 0 or NaN * 0 where the slope is 0: rare, so the common case costs one min()
    if select and out.size:
        low = out.min()
        if low != low:  # NaN, tested without a ufunc call on the scalar
            out = xp.where(slope == 0, 0, out)
    return out


def _slope_rule(fn, g, slope, select=True):
    """The rule of a piecewise-linear op ``fn``: g times its local slope, as a LocalSlope node when
    the backward pass records (create_graph), else the product alone (no node to throw away)."""
    if is_grad_enabled():
        return LocalSlope.apply(g, *fn.inputs, slope=slope, select=select)
    return fn.const(_times_slope(fn.xp, g.data, slope, select))


class ReLUOp(Function):
    """y = max(x, 0).

    PyTorch's conventions: the slope is 0 at x = 0; at x = NaN (where y is NaN) it is 1, as
    PyTorch's rule passes the gradient wherever y <= 0 is false.
    """

    local = "dy/dx = [x > 0]"

    def forward(self, x):
        return self.xp.maximum(x, 0)

    def backward(self, g):
        # the slope as a mask, 1 where x > 0 or x is NaN: g * mask is one vectorized pass (a `where`
        # is not vectorized, 4x slower on a CNN's activations)
        return _slope_rule(self, g, ~(self.inputs[0].data <= 0))


class LeakyReLUOp(Function):
    """y = x if x > 0 else slope * x.

    PyTorch's conventions: the slope at x = 0 and at x = NaN is ``slope`` (x > 0 is false).
    """

    local = "dy/dx = (1 if x > 0 else slope)"

    def forward(self, x):
        # max(x, slope x) is the same for slope <= 1 (min for slope > 1), and 20x faster than a
        # `where`, whose data-dependent branches stall on random signs.
        pick = self.xp.maximum if self.slope <= 1 else self.xp.minimum
        return pick(x, x * self.slope)

    def backward(self, g):
        x = self.inputs[0]
        d = (x.data > 0).astype(g.dtype)  # 1 where x > 0, else slope: 1 [x > 0] (1 - slope) + slope
        d *= 1.0 - self.slope
        d += self.slope
        return _slope_rule(self, g, d, select=self.slope == 0)  # a nonzero slope never masks


class ELUOp(Function):
    """y = x if x > 0 else alpha (e^x - 1).

    PyTorch's conventions: the slope at x = 0 is alpha (the left branch, x <= 0) and the second
    derivative there is 0 (PyTorch's double backward takes x < 0); at x = NaN the slope is 1.
    """

    local = "dy/dx = (1 if x > 0 else y + alpha)"

    def forward(self, x):
        return self.xp.where(x > 0, x, self.alpha * self.xp.expm1(self.xp.minimum(x, 0)))

    def backward(self, g):
        x, y = self.inputs[0].data, self.output
        at_zero = x == 0
        flat = 1.0 - (1.0 - self.alpha) * at_zero if at_zero.any() else self.xp.ones_like(x)  # alpha at 0, else 1
        return g * Where.apply(self.const(flat), y + self.alpha, cond=~(x < 0))  # y + alpha where x < 0


class SoftplusOp(Function):
    """y = log(1 + e^x), or x where x > threshold (PyTorch's rule)."""

    local = "dy/dx = sigma(x), or 1 where x > threshold"

    threshold = float("inf")

    def forward(self, x):
        out = self.xp.logaddexp(0, x)
        if self.threshold != float("inf"):
            out = self.xp.where(x > self.threshold, x, out)
        return out

    def backward(self, g):
        x = self.inputs[0]
        if self.threshold == float("inf"):
            return g * x.sigmoid()
        linear = x.data > self.threshold
        return g * Where.apply(self.const(self.xp.ones_like(x.data)), x.sigmoid(), cond=linear)


def _tie_share(x, y, larger: bool):
    """The share of the gradient of max(x, y) (``larger``) or min(x, y) that goes to x.

    PyTorch's rule: all of it where x wins, half on a tie, none where y wins; where x or y is NaN
    (no winner) each input gets all of it.
    """
    loses = x < y if larger else x > y
    s = 1.0 - loses - 0.5 * (x == y)
    return s


class Maximum(Function):
    """z = max(x, y).

    PyTorch's conventions: a tie (x == y, also with a number: ``x.maximum(0.0)`` at x = 0) gives
    half to each; where x or y is NaN (z is NaN) each gets all of dL/dz.
    """

    local = ("dz/dx = [x > y], 1/2 on a tie", "dz/dy = [y > x], 1/2 on a tie")

    def forward(self, x, y):
        return self.xp.maximum(x, y)

    def backward(self, g):
        x, y = self.inputs
        dx = dy = None
        if self.needs_input_grad[0]:
            to_x = _tie_share(x.data, y.data, larger=True).astype(g.dtype, copy=False)
            dx = LocalSlope.apply(g, x, y, slope=self.xp.broadcast_to(to_x, g.shape)).sum_to(x.shape)
        if self.needs_input_grad[1]:
            to_y = _tie_share(y.data, x.data, larger=True).astype(g.dtype, copy=False)
            dy = LocalSlope.apply(g, x, y, slope=self.xp.broadcast_to(to_y, g.shape)).sum_to(y.shape)
        return dx, dy


class Minimum(Function):
    """z = min(x, y).

    PyTorch's conventions, as for :class:`Maximum`: half to each on a tie, all to each at NaN.
    """

    local = ("dz/dx = [x < y], 1/2 on a tie", "dz/dy = [y < x], 1/2 on a tie")

    def forward(self, x, y):
        return self.xp.minimum(x, y)

    def backward(self, g):
        x, y = self.inputs
        dx = dy = None
        if self.needs_input_grad[0]:
            to_x = _tie_share(x.data, y.data, larger=False).astype(g.dtype, copy=False)
            dx = LocalSlope.apply(g, x, y, slope=self.xp.broadcast_to(to_x, g.shape)).sum_to(x.shape)
        if self.needs_input_grad[1]:
            to_y = _tie_share(y.data, x.data, larger=False).astype(g.dtype, copy=False)
            dy = LocalSlope.apply(g, x, y, slope=self.xp.broadcast_to(to_y, g.shape)).sum_to(y.shape)
        return dx, dy


class Clip(Function):
    """y = min(max(x, low), high).

    PyTorch's conventions: the gradient passes at x == low and at x == high (the bounds belong to
    the inside); at x = NaN it is 0.
    """

    local = "dy/dx = [low <= x <= high]"

    def forward(self, x):
        return self.xp.clip(x, self.low, self.high)

    def backward(self, g):
        x = self.inputs[0].data
        if self.low is not None:
            inside = x >= self.low
            if self.high is not None:
                inside &= x <= self.high
        else:
            inside = x <= self.high
        return LocalSlope.apply(g, self.inputs[0], slope=inside.astype(g.dtype))


class Where(Function):
    """z = x where cond else y (cond is a constant mask).

    PyTorch's convention: the gradient is selected, so the input not chosen gets 0 even where
    dL/dz is infinite or NaN (``where(x > 0, x, 0).log()`` at x < 0 gives x the gradient 0).
    """

    local = ("dz/dx = [cond]", "dz/dy = [not cond]")

    def forward(self, x, y):
        return self.xp.where(self.cond, x, y)

    def backward(self, g):
        x, y = self.inputs
        mask = self.xp.broadcast_to(self.cond, g.shape)
        dx = LocalSlope.apply(g, slope=mask.astype(g.dtype)).sum_to(x.shape) if self.needs_input_grad[0] else None
        dy = LocalSlope.apply(g, slope=(~mask).astype(g.dtype)).sum_to(y.shape) if self.needs_input_grad[1] else None
        return dx, dy
