"""``numpy.fft`` for ``import tinygrad_edu.numpy as np``, as in HIPS autograd's ``autograd.numpy.fft``.
The transforms give complex numbers, which the engine does not differentiate: each refuses a
Tensor that requires grad, saying so (see :mod:`tinygrad_edu.numpy._table`). ``fftshift`` and
``ifftshift`` move real values (a roll) and differentiate; the frequency helpers return plain arrays."""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.numpy import _table
from tinygrad_edu.tensor import Tensor

_fft = backend.xp("cpu").fft

DIFFERENTIABLE = frozenset({"fftshift", "ifftshift"})
VALUE_ONLY = frozenset({"fftfreq", "rfftfreq"})
REFUSED = dict.fromkeys(
    "fft ifft fft2 ifft2 fftn ifftn rfft irfft rfft2 irfft2 rfftn irfftn hfft ihfft".split(),
    "its values are complex numbers, which tinygrad_edu does not differentiate",
)
__all__ = ["fftshift", "ifftshift"]


def _shift(name: str, x: Any, axes: Any, sign: int) -> Any:
    from tinygrad_edu.numpy import roll  # noqa: PLC0415  (the namespace imports this module first)

    if not isinstance(x, Tensor):
        return getattr(_fft, name)(x, axes)
    axes = tuple(range(x.ndim)) if axes is None else (axes,) if isinstance(axes, int) else tuple(axes)
    return roll(x, tuple(sign * (x.shape[a] // 2) for a in axes), axes)


def fftshift(x: Any, axes: Any = None) -> Any:
    """``numpy.fft.fftshift``: the zero frequency moved to the centre (a roll by n // 2 along
    ``axes``); for Tensors the gradient is rolled back."""
    return _shift("fftshift", x, axes, 1)


def ifftshift(x: Any, axes: Any = None) -> Any:
    """``numpy.fft.ifftshift``, the inverse of :func:`fftshift` (a roll by -(n // 2))."""
    return _shift("ifftshift", x, axes, -1)


_NAMESPACE = _table.Namespace("tinygrad_edu.numpy.fft", _fft, value_only=VALUE_ONLY, refused=REFUSED)


def __getattr__(name: str) -> Any:
    """NumPy's ``fft`` names, as the table declares them."""
    return _NAMESPACE.getattr(name)


def __dir__() -> list[str]:
    return _NAMESPACE.dir(globals())
