"""The normal distribution N(loc, scale^2): density, log-density, distribution function and its log.

Each op takes three tensors ``x``, ``loc`` and ``scale`` (broadcast together) and differentiates
with respect to all three, as HIPS autograd's ``scipy.stats.norm``. In the docstrings
z = (x - loc) / scale, phi is the standard normal density and Phi its distribution function.
Every gradient is summed back to the shape of its input (``sum_to``), since the inputs broadcast.
"""

from __future__ import annotations

import math

from tinygrad_edu import backend
from tinygrad_edu.autograd import Function

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _z(fn: Function):
    """z = (x - loc) / scale as differentiable tensors, for the backward rules; also ``scale``."""
    x, loc, scale = fn.inputs
    return (x - loc) / scale, scale


def _to_inputs(fn: Function, dx, dloc, dscale) -> tuple:
    """Each gradient summed to its input's shape; None where it is not wanted."""
    need = fn.needs_input_grad
    return tuple(d.sum_to(t.shape) if want else None for d, t, want in zip((dx, dloc, dscale), fn.inputs, need))


class NormLogPdf(Function):
    """y = log N(x; loc, scale) = -z^2/2 - log(scale) - log sqrt(2 pi).

    dL/dx = -dL/dy z / scale,  dL/dloc = dL/dy z / scale,  dL/dscale = dL/dy (z^2 - 1) / scale.
    """

    local = ("dy/dx = -z / scale", "dy/dloc = z / scale", "dy/dscale = (z^2 - 1) / scale")

    def forward(self, x, loc, scale):
        z = (x - loc) / scale
        return -0.5 * z * z - self.xp.log(scale) - _LOG_SQRT_2PI

    def backward(self, g):
        z, s = _z(self)
        gz = g * z / s
        return _to_inputs(self, -gz, gz, g * (z * z - 1.0) / s)


class NormPdf(Function):
    """y = N(x; loc, scale) = phi(z) / scale = e^(-z^2/2) / (sqrt(2 pi) scale).

    dL/dx = -dL/dy y z / scale,  dL/dloc = dL/dy y z / scale,  dL/dscale = dL/dy y (z^2 - 1) / scale.
    """

    local = ("dy/dx = -y z / scale", "dy/dloc = y z / scale", "dy/dscale = y (z^2 - 1) / scale")

    def forward(self, x, loc, scale):
        z = (x - loc) / scale
        return self.xp.exp(-0.5 * z * z - _LOG_SQRT_2PI) / scale

    def backward(self, g):
        z, s = _z(self)
        gy = g * self.output / s
        return _to_inputs(self, -gy * z, gy * z, gy * (z * z - 1.0))


class NormCdf(Function):
    """y = Phi(z), the probability of a value <= x.

    dL/dx = dL/dy p,  dL/dloc = -dL/dy p,  dL/dscale = -dL/dy p z, where p = phi(z) / scale is
    the density (the op :class:`NormPdf`, so that the rule differentiates again).
    """

    local = ("dy/dx = phi(z) / scale", "dy/dloc = -phi(z) / scale", "dy/dscale = -phi(z) z / scale")

    def forward(self, x, loc, scale):
        z = (x - loc) / scale
        return backend.special("ndtr", backend.device_of(z))(z)

    def backward(self, g):
        z, _ = _z(self)
        gp = g * NormPdf.apply(*self.inputs)
        return _to_inputs(self, gp, -gp, -gp * z)


class NormLogCdf(Function):
    """y = log Phi(z), accurate far in the lower tail (SciPy's ``log_ndtr``, not log of a 0).

    dL/dx = dL/dy r,  dL/dloc = -dL/dy r,  dL/dscale = -dL/dy r z, with the ratio
    r = p / Phi(z) = exp(log p - y) (p the density), formed in logs so it stays finite in the tail.
    """

    local = ("dy/dx = r", "dy/dloc = -r", "dy/dscale = -r z")

    def forward(self, x, loc, scale):
        z = (x - loc) / scale
        return backend.special("log_ndtr", backend.device_of(z))(z)

    def backward(self, g):
        z, _ = _z(self)
        gr = g * (NormLogPdf.apply(*self.inputs) - self.output).exp()
        return _to_inputs(self, gr, -gr, -gr * z)
