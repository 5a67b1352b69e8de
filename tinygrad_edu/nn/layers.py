"""Layers with parameters or state: Linear, Dropout, BatchNorm1d, and the shape helpers."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from tinygrad_edu.creation import ones, zeros
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn import init as nn_init
from tinygrad_edu.nn.module import Module, Parameter
from tinygrad_edu.tensor import Tensor


class Linear(Module):
    """The affine layer z = x W^T + b, with ``weight`` W of shape (out_features, in_features).

    Default initialization as PyTorch: W and b drawn from U(-1/sqrt(in), 1/sqrt(in))
    (``kaiming_uniform_`` with a = sqrt(5)). ``init`` picks another rule for W by name
    (``"xavier_uniform"``, ``"xavier_normal"``, ``"kaiming_uniform"``, ``"kaiming_normal"``, ...)
    or as a callable that fills the weight in place; the bias then starts at zero.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str | Callable[[Tensor], Any] | None = None,
        device: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"Linear: {name} must be a non-negative integer, got {v!r}")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(zeros(out_features, in_features, dtype=dtype, device=device or "cpu"))
        self.bias = Parameter(zeros(out_features, dtype=dtype, device=device or "cpu")) if bias else None
        self.reset_parameters(init)

    def reset_parameters(self, init: str | Callable[[Tensor], Any] | None = None) -> None:
        """Draw new weights (PyTorch's default rule, or ``init``)."""
        nn_init.init_layer_(self.weight, self.bias, init)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability ``p`` and scale the
    survivors by 1/(1-p); in evaluation mode (``model.eval()``) pass the input through."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be in [0, 1], got {p!r}")
        self.p = float(p)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm1d(Module):
    """Batch normalization of features, for inputs (N, C) or (N, C, L).

    Training: normalize with the batch mean and (biased) variance, then scale by ``weight``
    (gamma) and shift by ``bias`` (beta); update ``running_mean``/``running_var`` with
    ``momentum`` (the running variance is the unbiased one, as PyTorch). ``momentum=None`` gives
    a cumulative average. Evaluation: normalize with the running statistics.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features <= 0:
            raise ValueError(f"{type(self).__name__}: num_features must be a positive integer, got {num_features!r}")
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0 < eps < float("inf"):
            raise ValueError(f"{type(self).__name__}: eps must be a finite positive number, got {eps!r}")
        if momentum is not None and (isinstance(momentum, bool) or not 0.0 <= momentum <= 1.0):
            raise ValueError(f"{type(self).__name__}: momentum must be in [0, 1] or None, got {momentum}")
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        device = device or "cpu"
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dtype, device=device))
            self.bias = Parameter(zeros(num_features, dtype=dtype, device=device))
        else:
            self.weight = self.bias = None
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", zeros(dtype="int64", device=device))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def _check_input(self, x: Tensor) -> None:
        if x.ndim not in (2, 3):
            raise ValueError(f"BatchNorm1d: expected 2-D or 3-D input (N, C) or (N, C, L), got shape {tuple(x.shape)}")

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}: input has {x.shape[1]} channels in axis 1, "
                f"expected num_features={self.num_features}"
            )
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.data)
        use_batch = self.training or not self.track_running_stats
        return F.batch_norm(
            x,
            self.running_mean if not use_batch or self.track_running_stats else None,
            self.running_var if not use_batch or self.track_running_stats else None,
            self.weight,
            self.bias,
            use_batch,
            momentum if momentum is not None else 0.0,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class Identity(Module):
    """Returns its input unchanged (a placeholder layer)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Flattens axes ``start_dim`` to ``end_dim`` into one: (N, C, H, W) -> (N, C H W)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
