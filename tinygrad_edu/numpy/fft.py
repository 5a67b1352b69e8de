"""``numpy.fft`` for ``import tinygrad_edu.numpy as np``, as in HIPS autograd's ``autograd.numpy.fft``.
No transform differentiates yet: each refuses a Tensor that requires grad (see
:mod:`tinygrad_edu.numpy._table`); the frequency helpers return plain arrays."""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.numpy import _table

_fft = backend.xp("cpu").fft

DIFFERENTIABLE: frozenset[str] = frozenset()
VALUE_ONLY = frozenset({"fftfreq", "rfftfreq"})
REFUSED: dict[str, str] = {}

_NAMESPACE = _table.Namespace("tinygrad_edu.numpy.fft", _fft, value_only=VALUE_ONLY, refused=REFUSED)


def __getattr__(name: str) -> Any:
    """NumPy's ``fft`` names, as the table declares them."""
    return _NAMESPACE.getattr(name)


def __dir__() -> list[str]:
    return _NAMESPACE.dir(globals())
