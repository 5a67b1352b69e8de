"""Arithmetic: ``+ - * / ** neg`` and the matrix product.

Binary ops broadcast their inputs as NumPy does. The gradient of a broadcast input sums over
the axes that were broadcast (``sum_to``): each input element was used once per copy.
"""

from __future__ import annotations

from tinygrad_edu import backend
from tinygrad_edu.autograd import Function
from tinygrad_edu.ops.unary import LocalSlope


class Add(Function):
    """z = x + y."""

    local = ("dz/dx = 1", "dz/dy = 1")

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x, y):
        return x + y

    def backward(self, g):
        x, y = self.inputs
        return g.sum_to(x.shape), g.sum_to(y.shape)


class Sub(Function):
    """z = x - y."""

    local = ("dz/dx = 1", "dz/dy = -1")

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x, y):
        return x - y

    def backward(self, g):
        x, y = self.inputs
        return g.sum_to(x.shape), (-g).sum_to(y.shape) if self.needs_input_grad[1] else None


class Mul(Function):
    """z = x * y."""

    local = ("dz/dx = y", "dz/dy = x")

    def forward(self, x, y):
        return x * y

    def reads_input(self, i):
        return self.needs_input_grad[1 - i]  # x only for dL/dy, y only for dL/dx

    def backward(self, g):
        x, y = self.inputs
        dx = (g * y).sum_to(x.shape) if self.needs_input_grad[0] else None
        dy = (g * x).sum_to(y.shape) if self.needs_input_grad[1] else None
        return dx, dy


class Div(Function):
    """z = x / y."""

    local = ("dz/dx = 1/y", "dz/dy = -x/y^2")

    def forward(self, x, y):
        return x / y

    def reads_input(self, i):
        return i == 1 or self.needs_input_grad[1]  # y for both gradients, x only for dL/dy

    def backward(self, g):
        x, y = self.inputs
        dx = (g / y).sum_to(x.shape) if self.needs_input_grad[0] else None
        dy = (-g * x / (y * y)).sum_to(y.shape) if self.needs_input_grad[1] else None
        return dx, dy


# Each op is its own Function class with its forward and derivative side by side (the project's
# style, for students): ops of the same form repeat a few lines on purpose, so that each reads alone.
class AddConst(Function):
    """z = x + c for a number c."""

    local = "dz/dx = 1"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        return x + self.c

    def backward(self, g):
        return g


class SubConst(Function):
    """z = x - c for a number c (``x - 2``: drawn as the subtraction the student wrote)."""

    local = "dz/dx = 1"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        return x - self.c

    def backward(self, g):
        return g


class DivConst(Function):
    """z = x / c for a number c other than 0 (``x / 3``: drawn as a division, computed as one)."""

    local = "dz/dx = 1/c"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        return x / self.c

    def backward(self, g):
        return DivConst.apply(g, c=self.c)


class MulConst(Function):
    """z = c x for a number c."""

    local = "dz/dx = c"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        return x * self.c

    def backward(self, g):
        return MulConst.apply(g, c=self.c)


class RSubConst(Function):
    """z = c - x for a number c."""

    local = "dz/dx = -1"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        return self.c - x

    def backward(self, g):
        return -g


class Neg(Function):
    """z = -x."""

    local = "dz/dx = -1"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


class PowConst(Function):
    """z = x^p for a constant number p."""

    local = "dz/dx = p x^(p-1)"

    def forward(self, x):
        if self.p == 2:
            return x * x
        return x**self.p

    def backward(self, g):
        (x,) = self.inputs
        p = self.p
        if p == 0:
            return g * 0.0
        if p == 1:
            return g
        if p == 2:
            return g * x * 2.0
        return g * x ** (p - 1) * float(p)


class Pow(Function):
    """z = x^y for tensors.

    PyTorch's conventions at x = 0: dz/dx = 0 where y = 0 (x^0 = 1 everywhere, not 0 * 0^-1 =
    NaN); dz/dy = 0 where y >= 0 (x^y log x with x^y = 0), and -inf where y < 0 (x^y infinite).
    """

    local = ("dz/dx = y x^(y-1)", "dz/dy = x^y log(x)")

    def forward(self, x, y):
        return x**y

    def backward(self, g):
        x, y = self.inputs
        z = self.output
        dx = dy = None
        if self.needs_input_grad[0]:
            d = g * y * x ** (y - 1.0)
            if (y.data == 0).any():  # select 0 there, as PyTorch (LocalSlope keeps no graph of y's mask)
                d = LocalSlope.apply(d, slope=self.xp.broadcast_to(y.data != 0, d.shape).astype(d.dtype))
            dx = d.sum_to(x.shape)
        if self.needs_input_grad[1]:
            # log x is -inf at x = 0: where y >= 0, x^y = 0 and the product is 0, as in PyTorch
            keep = (x.data != 0) | (y.data < 0)
            with backend.errstate(divide="ignore"):  # log 0 = -inf where y < 0, on purpose
                log_x = (x if keep.all() else x.where(self.const(keep), 1.0)).log()
            dy = (g * z * log_x).sum_to(y.shape)
        return dx, dy


class MatMul(Function):
    """Z = X @ W (matrices, or stacks of them).

    In the lecture's notation, with z = W^T a + b: the weight gradient is delta a^T and the
    error sent back to the previous layer is W delta.
    """

    local = ("dL/dX = dL/dZ @ W^T", "dL/dW = X^T @ dL/dZ")

    def forward(self, x, w):
        if x.shape[-1] != w.shape[-2]:
            raise ValueError(
                f"matmul: shapes {x.shape} and {w.shape} do not align "
                f"({x.shape[-1]} columns against {w.shape[-2]} rows)"
            )
        return x @ w

    def reads_input(self, i):
        return self.needs_input_grad[1 - i]  # X only for dL/dW, W only for dL/dX

    def backward(self, g):
        x, w = self.inputs
        dx = (g @ w.mT).sum_to(x.shape) if self.needs_input_grad[0] else None
        dw = (x.mT @ g).sum_to(w.shape) if self.needs_input_grad[1] else None
        return dx, dw
