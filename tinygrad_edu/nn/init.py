"""Weight initialization, in place, with PyTorch's names and formulas (``torch.nn.init``).

Random numbers come from the generator seeded by :func:`tinygrad_edu.manual_seed`. For a weight
of shape (out, in) (or (out, in, k1, k2...) for convolutions) the fans are
fan_in = in * k1 * k2 ..., fan_out = out * k1 * k2 ...

- Glorot/Xavier (for tanh/sigmoid): std = gain sqrt(2 / (fan_in + fan_out))
- He/Kaiming (for ReLU): std = gain / sqrt(fan), gain = sqrt(2 / (1 + a^2)) for leaky ReLU
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.tensor import Tensor

_LINEAR_LIKE = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
    "identity",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain that keeps the variance of activations steady through ``nonlinearity``.

    linear/identity/sigmoid: 1, tanh: 5/3, relu: sqrt(2), leaky_relu: sqrt(2 / (1 + slope^2)),
    selu: 3/4.
    """
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {slope!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out need a tensor with at least 2 dimensions, got shape {tuple(tensor.shape)}"
        )
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fill(tensor: Tensor, kind: str, **kw: Any) -> Tensor:
    """Overwrite the values of ``tensor`` with random numbers (no graph is recorded)."""
    tensor.data[...] = backend.random(kind, tuple(tensor.shape), tensor.dtype, tensor.device, **kw)
    return tensor._bump()


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with U(a, b)."""
    if b < a:
        raise ValueError(f"uniform_: the bound b={b} is below a={a}")
    return _fill(tensor, "uniform", low=a, high=b)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with N(mean, std^2)."""
    if std < 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    return _fill(tensor, "normal", mean=mean, std=std)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    tensor.data[...] = val
    return tensor._bump()


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot normal: N(0, std^2) with std = gain sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(f"kaiming init: a tensor of shape {tuple(tensor.shape)} has a zero fan")
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He uniform: U(-bound, bound) with bound = gain sqrt(3 / fan).

    PyTorch's default for ``Linear`` is ``a=sqrt(5)``, which gives bound = 1 / sqrt(fan_in).
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He normal: N(0, std^2) with std = gain / sqrt(fan)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


_BY_NAME: dict[str, Callable[[Tensor], Tensor]] = {
    "xavier_uniform": xavier_uniform_,
    "glorot_uniform": xavier_uniform_,
    "xavier_normal": xavier_normal_,
    "glorot_normal": xavier_normal_,
    "kaiming_uniform": lambda t: kaiming_uniform_(t, nonlinearity="relu"),
    "he_uniform": lambda t: kaiming_uniform_(t, nonlinearity="relu"),
    "kaiming_normal": lambda t: kaiming_normal_(t, nonlinearity="relu"),
    "he_normal": lambda t: kaiming_normal_(t, nonlinearity="relu"),
    "normal": normal_,
    "uniform": uniform_,
    "zeros": zeros_,
    "ones": ones_,
}


def get_initializer(init: str | Callable[[Tensor], Any]) -> Callable[[Tensor], Any]:
    """An initializer from its name (``"xavier_uniform"``, ``"kaiming_normal"``, ...) or a callable.

    Names without an underscore at the end fill in place; ``kaiming_*`` by name assume ReLU.
    """
    if callable(init):
        return init
    key = str(init).rstrip("_")
    if key not in _BY_NAME:
        raise ValueError(f"unknown init {init!r}; expected a callable or one of {sorted(_BY_NAME)}")
    return _BY_NAME[key]


def init_layer_(weight: Tensor, bias: Tensor | None, init: str | Callable[[Tensor], Any] | None = None) -> None:
    """Initialize a layer's weight (out, ...) and bias: PyTorch's default rule, or ``init`` and zero bias.

    The default is ``kaiming_uniform_(weight, a=sqrt(5))``, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and
    the same bound for the bias; fan_in is the number of inputs of one output unit.
    """
    if init is not None:
        get_initializer(init)(weight)
        if bias is not None:
            zeros_(bias)
        return
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in = weight.size // weight.shape[0] if weight.shape[0] else 0
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform_(bias, -bound, bound)
