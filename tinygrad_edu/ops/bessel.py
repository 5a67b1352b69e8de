"""Bessel functions of ``scipy.special`` with their derivative rules, in ``x`` (the order ``v`` is a
constant). Each derivative is a combination of the same family at the neighbouring orders, so it
differentiates again:

    J_v' = (J_{v-1} - J_{v+1}) / 2,    Y_v' = (Y_{v-1} - Y_{v+1}) / 2,    I_v' = (I_{v-1} + I_{v+1}) / 2,

and for the exponentially scaled ive(v, x) = I_v(x) e^{-|x|}:  (ive(v-1) + ive(v+1)) / 2 - sign(x) ive(v).
At order 0 these use J_{-1} = -J_1 (and likewise Y, I), so j0' = -j1 and i0' = i1.
"""

from __future__ import annotations

from tinygrad_edu import backend
from tinygrad_edu.autograd import Function


class Bessel(Function):
    """y = J_v(x), Y_v(x), I_v(x) or I_v(x) e^{-|x|} for ``kind`` "jv", "yv", "iv" or "ive"."""

    kind: str
    v: float
    local = "dy/dx = (C_{v-1}(x) +- C_{v+1}(x)) / 2"

    def forward(self, x):
        lib = backend.xp(backend.device_of(x))
        return backend.special(self.kind, backend.device_of(x))(lib.asarray(self.v, dtype=x.dtype), x)

    def backward(self, g):
        x = self.inputs[0]
        below = Bessel.apply(x, kind=self.kind, v=self.v - 1.0)
        above = Bessel.apply(x, kind=self.kind, v=self.v + 1.0)
        if self.kind in ("jv", "yv"):
            return g * (below - above) * 0.5
        if self.kind == "iv":
            return g * (below + above) * 0.5
        return g * ((below + above) * 0.5 - x.sign() * self.output)
