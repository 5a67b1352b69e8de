"""Elementwise maths and activations, and the elementwise ops of two tensors.

Each derivative is the textbook one, written with Tensor ops so that it can be differentiated
again. Masks (where x > 0, ...) are constants: their own derivative is zero almost everywhere.
"""

from __future__ import annotations

import math

from tinygrad_edu import backend
from tinygrad_edu.autograd import Function


class Exp(Function):
    """y = e^x.    dL/dx = dL/dy * y."""

    def forward(self, x):
        return self.xp.exp(x)

    def backward(self, g):
        return g * self.output


class Log(Function):
    """y = log x.    dL/dx = dL/dy / x."""

    def forward(self, x):
        return self.xp.log(x)

    def backward(self, g):
        return g / self.inputs[0]


class Log1p(Function):
    """y = log(1 + x).    dL/dx = dL/dy / (1 + x)."""

    def forward(self, x):
        return self.xp.log1p(x)

    def backward(self, g):
        return g / (self.inputs[0] + 1.0)


class Sqrt(Function):
    """y = sqrt(x).    dL/dx = dL/dy / (2 y)."""

    def forward(self, x):
        return self.xp.sqrt(x)

    def backward(self, g):
        return g / (self.output * 2.0)


class Abs(Function):
    """y = |x|.    dL/dx = dL/dy * sign(x)  (0 at x = 0, as PyTorch)."""

    def forward(self, x):
        return self.xp.abs(x)

    def backward(self, g):
        return g * self.inputs[0].sign()


class Sin(Function):
    """y = sin x.    dL/dx = dL/dy * cos x."""

    def forward(self, x):
        return self.xp.sin(x)

    def backward(self, g):
        return g * self.inputs[0].cos()


class Cos(Function):
    """y = cos x.    dL/dx = -dL/dy * sin x."""

    def forward(self, x):
        return self.xp.cos(x)

    def backward(self, g):
        return -g * self.inputs[0].sin()


class Tanh(Function):
    """y = tanh x.    dL/dx = dL/dy * (1 - y^2)."""

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

    def forward(self, g, y):
        d = 1.0 - y * y
        d *= g
        return d

    def backward(self, gz):
        g, y = self.inputs
        dg = TanhBackward.apply(gz, y) if self.needs_input_grad[0] else None
        dy = gz * g * y * -2.0 if self.needs_input_grad[1] else None
        return dg, dy


class Sigmoid(Function):
    """y = sigma(x) = 1 / (1 + e^-x).    dL/dx = dL/dy * y (1 - y)   (the lecture's f'(z))."""

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
    """y = erf(x).    dL/dx = dL/dy * 2/sqrt(pi) e^(-x^2)."""

    def forward(self, x):
        return backend.erf(x)

    def backward(self, g):
        x = self.inputs[0]
        return g * (-(x * x)).exp() * (2.0 / math.sqrt(math.pi))


class ReLU(Function):
    """y = max(x, 0).    dL/dx = dL/dy * [x > 0]."""

    def forward(self, x):
        return self.xp.maximum(x, 0)

    def backward(self, g):
        x = self.inputs[0]
        return g * self.const((x.data > 0).astype(x.dtype))


class LeakyReLU(Function):
    """y = x if x > 0 else slope * x.    dL/dx = dL/dy * (1 if x > 0 else slope)."""

    def forward(self, x):
        # max(x, slope x) is the same for slope <= 1 (min for slope > 1), and 20x faster than a
        # `where`, whose data-dependent branches stall on random signs.
        pick = self.xp.maximum if self.slope <= 1 else self.xp.minimum
        return pick(x, x * self.slope)

    def backward(self, g):
        x = self.inputs[0]
        d = (x.data > 0).astype(x.dtype)  # 1 where x > 0, else slope: 1 [x > 0] (1 - slope) + slope
        d *= 1.0 - self.slope
        d += self.slope
        return g * self.const(d)


class ELU(Function):
    """y = x if x > 0 else alpha (e^x - 1).    dL/dx = dL/dy * (1 if x > 0 else y + alpha)."""

    def forward(self, x):
        return self.xp.where(x > 0, x, self.alpha * self.xp.expm1(self.xp.minimum(x, 0)))

    def backward(self, g):
        x, y = self.inputs[0], self.output
        positive = x.data > 0
        return g * Where.apply(self.const(self.xp.ones_like(x.data)), y + self.alpha, cond=positive)


class Softplus(Function):
    """y = log(1 + e^x), or x where x > threshold (PyTorch's rule).    dL/dx = dL/dy * sigma(x), or dL/dy."""

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


class Maximum(Function):
    """z = max(x, y).    The gradient goes to the larger input (split evenly on ties)."""

    def forward(self, x, y):
        return self.xp.maximum(x, y)

    def backward(self, g):
        x, y = self.inputs
        to_x = (x.data > y.data) + 0.5 * (x.data == y.data)
        to_x = self.const(to_x.astype(g.dtype))
        dx = (g * to_x).sum_to(x.shape) if self.needs_input_grad[0] else None
        dy = (g * (1.0 - to_x)).sum_to(y.shape) if self.needs_input_grad[1] else None
        return dx, dy


class Minimum(Function):
    """z = min(x, y).    The gradient goes to the smaller input (split evenly on ties)."""

    def forward(self, x, y):
        return self.xp.minimum(x, y)

    def backward(self, g):
        x, y = self.inputs
        to_x = (x.data < y.data) + 0.5 * (x.data == y.data)
        to_x = self.const(to_x.astype(g.dtype))
        dx = (g * to_x).sum_to(x.shape) if self.needs_input_grad[0] else None
        dy = (g * (1.0 - to_x)).sum_to(y.shape) if self.needs_input_grad[1] else None
        return dx, dy


class Clip(Function):
    """y = min(max(x, low), high).    dL/dx = dL/dy where low <= x <= high, else 0."""

    def forward(self, x):
        return self.xp.clip(x, self.low, self.high)

    def backward(self, g):
        x = self.inputs[0].data
        inside = self.xp.ones(x.shape, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        return g * self.const(inside.astype(g.dtype))


class Where(Function):
    """z = x where cond else y (cond is a constant mask).    dL/dx = dL/dz [cond], dL/dy = dL/dz [not cond]."""

    def forward(self, x, y):
        return self.xp.where(self.cond, x, y)

    def backward(self, g):
        x, y = self.inputs
        mask = self.const(self.xp.broadcast_to(self.cond, g.shape).astype(g.dtype))
        dx = (g * mask).sum_to(x.shape) if self.needs_input_grad[0] else None
        dy = (g * (1.0 - mask)).sum_to(y.shape) if self.needs_input_grad[1] else None
        return dx, dy
