"""``scipy.signal`` with derivatives: ``convolve`` of N-dimensional arrays, differentiable in both.

The full convolution out[n] = sum_k in1[n - k] in2[k] is written as a sum, over the elements k
of the smaller array, of the larger one shifted by k (padding) times that element: linear in each
input, so every order differentiates. ``mode`` "valid" and "same" cut the full result as SciPy
does. (HIPS autograd's own ``convolve`` adds ``axes``/``dot_axes`` for batched convolutions: not
here; SciPy's signature is.) SciPy's other ``signal`` functions refuse a Tensor that requires grad.
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.scipy._wrap import Namespace, as_tensors, has_tensor

_signal = backend.scipy_module("signal")
_np = backend.xp("cpu")

DIFFERENTIABLE = frozenset({"convolve"})
VALUE_ONLY: frozenset[str] = frozenset()
__all__ = ["convolve"]


def _full(big: Any, small: Any) -> Any:
    out = None
    for k in _np.ndindex(*small.shape):
        shifted = big.pad([(kk, s - 1 - kk) for kk, s in zip(k, small.shape)])
        term = shifted * small[k]
        out = term if out is None else out + term
    return out


def convolve(in1: Any, in2: Any, mode: str = "full", method: str = "auto") -> Any:
    """``scipy.signal.convolve``; differentiable in both arrays for Tensors."""
    if not has_tensor(in1, in2):
        return _signal.convolve(in1, in2, mode=mode, method=method)
    a, b = as_tensors(in1, in2)
    if a.ndim != b.ndim:
        raise ValueError(f"convolve: in1 and in2 must have the same number of axes, got {a.ndim} and {b.ndim}")
    if mode not in ("full", "valid", "same"):
        raise ValueError(f"convolve: mode must be 'full', 'valid' or 'same', got {mode!r}")
    if a.size == 0 or b.size == 0:
        raise ValueError("convolve: in1 and in2 must not be empty")
    full = _full(a, b) if b.size <= a.size else _full(b, a)
    if mode == "full":
        return full
    if mode == "valid":
        if not (all(m >= n for m, n in zip(a.shape, b.shape)) or all(m <= n for m, n in zip(a.shape, b.shape))):
            raise ValueError(
                "convolve: for mode 'valid' one array must be at least as large as the other on every axis"
            )
        size = [abs(m - n) + 1 for m, n in zip(a.shape, b.shape)]
    else:
        size = list(a.shape)
    starts = [(f - s) // 2 for f, s in zip(full.shape, size)]
    return full[tuple(slice(st, st + s) for st, s in zip(starts, size))]


_NAMESPACE = Namespace("tinygrad_edu.scipy.signal", _signal, value_only=VALUE_ONLY)


def __getattr__(name: str) -> Any:
    """SciPy's other ``signal`` names, as the table declares them."""
    return _NAMESPACE.getattr(name)
