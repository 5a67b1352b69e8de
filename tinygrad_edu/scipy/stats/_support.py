"""What the distributions share: the standardized variable z = (x - loc) / scale, and values
outside a distribution's support (log-density -inf, as SciPy) without a NaN in any derivative."""

from __future__ import annotations

import math
from collections.abc import Callable

from tinygrad_edu.ops import functions as _F
from tinygrad_edu.tensor import Tensor

LOG_PI = math.log(math.pi)
LOG_2 = math.log(2.0)


def on_support(inside: Tensor, z: Tensor, safe: float, f: Callable[[Tensor], Tensor], outside: float) -> Tensor:
    """``f(z)`` where ``inside`` holds and ``outside`` elsewhere; ``f`` only ever sees valid values
    (``safe`` stands in), so that no NaN or infinity reaches the gradient through the other branch."""
    zs = _F.where(inside, z, safe)
    return _F.where(inside, f(zs), outside)
