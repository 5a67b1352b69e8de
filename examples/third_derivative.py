"""The third derivative of f(x) = sin(x) x^2, by differentiating the derivative."""

import math

from tinygrad_edu import Tensor, autograd

x = Tensor(1.5, requires_grad=True)
d = x.sin() * x**2
for order in range(1, 4):
    (d,) = autograd.grad(d, x, create_graph=True)
    print(f"f^({order})(1.5) = {d.item():.12f}")

exact = -(1.5**2) * math.cos(1.5) - 6 * 1.5 * math.sin(1.5) + 6 * math.cos(1.5)
print(f"closed form    = {exact:.12f}")
