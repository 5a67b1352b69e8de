"""``scipy.integrate`` for ``tinygrad_edu.scipy``: its functions refuse a Tensor that requires grad.

HIPS autograd differentiates ``odeint`` with the adjoint method around SciPy's adaptive Fortran
solver. Here an ODE's solution differentiates when its integrator is written with differentiable
steps (a Runge-Kutta loop in ``tinygrad_edu.numpy``), or when the ODE is solved by a network (the
course's trial solutions, :mod:`tinygrad_edu.physics`).
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.scipy._wrap import Namespace

DIFFERENTIABLE: frozenset[str] = frozenset()
VALUE_ONLY: frozenset[str] = frozenset()
REFUSED = {
    "odeint": "SciPy's adaptive solver is not differentiated here (autograd uses the adjoint method); "
    "integrate with differentiable steps, e.g. a Runge-Kutta loop written with tinygrad_edu.numpy"
}

_NAMESPACE = Namespace(
    "tinygrad_edu.scipy.integrate", backend.scipy_module("integrate"), value_only=VALUE_ONLY, refused=REFUSED
)


def __getattr__(name: str) -> Any:
    """SciPy's ``integrate`` functions, refused for a Tensor that requires grad."""
    return _NAMESPACE.getattr(name)
