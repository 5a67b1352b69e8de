"""Convolutional layers: Conv2d, MaxPool2d, AvgPool2d and BatchNorm2d, on NCHW tensors.

The maths lives in :mod:`tinygrad_edu.ops.conv`; these modules hold the parameters and the
settings, with PyTorch's names and defaults, so ``nn.Conv2d(1, 16, 3, padding=1)`` means here
what it means in PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_edu.creation import zeros
from tinygrad_edu.nn import init as nn_init
from tinygrad_edu.nn.layers import BatchNorm1d
from tinygrad_edu.nn.module import Module, Parameter
from tinygrad_edu.ops import conv as conv_ops
from tinygrad_edu.tensor import Tensor

IntOrPair = int | tuple[int, int]


class Conv2d(Module):
    """A 2-D convolution layer: z = W * x + b over (N, C_in, H, W) inputs.

    ``weight`` has shape (out_channels, in_channels / groups, kH, kW) and ``bias`` (out_channels,).
    Default initialization as PyTorch: W and b from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
    fan_in = in_channels / groups * kH * kW (``kaiming_uniform_`` with a = sqrt(5)). ``init``
    names another rule for W (``"kaiming_normal"``, ``"xavier_uniform"``, ... or a callable);
    the bias then starts at zero. ``padding`` is an int, a pair, ``"valid"`` or ``"same"``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrPair,
        stride: IntOrPair = 1,
        padding: IntOrPair | str = 0,
        dilation: IntOrPair = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        init: str | Callable[[Tensor], Any] | None = None,
        device: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"Conv2d: {name} must be a positive integer, got {v!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"Conv2d: in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible "
                f"by groups ({groups})"
            )
        if padding_mode != "zeros":
            raise NotImplementedError(f"Conv2d: padding_mode={padding_mode!r} is not supported; only 'zeros'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = conv_ops.int_pair(kernel_size, "kernel_size", "Conv2d", 1)
        self.stride = conv_ops.int_pair(stride, "stride", "Conv2d", 1)
        self.dilation = conv_ops.int_pair(dilation, "dilation", "Conv2d", 1)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Conv2d: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(f"Conv2d: padding='same' needs stride 1, got stride {self.stride}")
            self.padding = padding
        else:
            self.padding = conv_ops.int_pair(padding, "padding", "Conv2d", 0)
        self.groups = groups
        self.padding_mode = padding_mode
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(zeros(*shape, dtype=dtype, device=device or "cpu"))
        self.bias = Parameter(zeros(out_channels, dtype=dtype, device=device or "cpu")) if bias else None
        self.reset_parameters(init)

    def reset_parameters(self, init: str | Callable[[Tensor], Any] | None = None) -> None:
        """Draw new weights (PyTorch's default rule, or ``init``)."""
        nn_init.init_layer_(self.weight, self.bias, init)

    def forward(self, x: Tensor) -> Tensor:
        return conv_ops.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding not in ((0, 0), "valid"):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class MaxPool2d(Module):
    """Max pooling: the largest value of each kernel_size window (stride defaults to kernel_size).

    The gradient goes to the first maximum of each window (row-major order), as in PyTorch.
    """

    def __init__(
        self,
        kernel_size: IntOrPair,
        stride: IntOrPair | None = None,
        padding: IntOrPair = 0,
        dilation: IntOrPair = 1,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.ceil_mode = ceil_mode
        if ceil_mode:
            raise NotImplementedError("MaxPool2d: ceil_mode=True is not supported; pad the input instead")

    def forward(self, x: Tensor) -> Tensor:
        return conv_ops.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, dilation={self.dilation}"


class AvgPool2d(Module):
    """Average pooling: the mean of each kernel_size window (stride defaults to kernel_size).

    ``count_include_pad=True`` (PyTorch's default) counts padded zeros in the mean.
    """

    def __init__(
        self,
        kernel_size: IntOrPair,
        stride: IntOrPair | None = None,
        padding: IntOrPair = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override
        if ceil_mode:
            raise NotImplementedError("AvgPool2d: ceil_mode=True is not supported; pad the input instead")

    def forward(self, x: Tensor) -> Tensor:
        return conv_ops.avg_pool2d(
            x, self.kernel_size, self.stride, self.padding, False, self.count_include_pad, self.divisor_override
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class BatchNorm2d(BatchNorm1d):
    """Batch normalization per channel of (N, C, H, W) images: statistics over N, H and W.

    Same parameters and semantics as :class:`BatchNorm1d` (PyTorch's): batch statistics in
    training with the running mean and unbiased running variance updated by ``momentum``,
    running statistics in evaluation mode.
    """

    def _check_input(self, x: Tensor) -> None:
        if x.ndim != 4:
            raise ValueError(f"BatchNorm2d: expected 4-D input (N, C, H, W), got shape {tuple(x.shape)}")


__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm2d"]
