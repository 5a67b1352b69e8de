"""Losses, activations and layers as plain functions (PyTorch's ``torch.nn.functional``).

``import tinygrad_edu.nn.functional as F``; then ``F.cross_entropy(model(x), y)``.
Every loss takes ``reduction="mean" | "sum" | "none"``.
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.ops import nn as nn_ops
from tinygrad_edu.ops.conv import avg_pool2d, conv2d, conv_transpose2d, max_pool2d  # noqa: F401  (re-exported)
from tinygrad_edu.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


# --------------------------------------------------------------------------- helpers


def check_reduction(reduction: str, op: str) -> None:
    """Raise a ValueError naming ``op`` unless ``reduction`` is ``"mean"``, ``"sum"`` or ``"none"``."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        if loss.size == 0:  # PyTorch returns NaN here; a silent NaN is worse than a clear error
            raise ValueError(
                f"the batch is empty (loss of shape {tuple(loss.shape)}), so the mean loss is undefined; "
                "skip empty batches or use reduction='sum'"
            )
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_nonempty(n: int, reduction: str, input: Tensor, op: str) -> None:
    if n == 0 and reduction == "mean":
        raise ValueError(
            f"{op}: the batch is empty (input shape {tuple(input.shape)}), so the mean loss is undefined; "
            "skip empty batches or use reduction='sum'"
        )


def _as_target(target: Any, like: Tensor, op: str) -> Tensor:
    """The target as a tensor beside the input, with a matching shape."""
    t = target if isinstance(target, Tensor) else like._lift(target)
    if t.device != like.device:
        raise RuntimeError(f"{op}: input is on {like.device} but target is on {t.device}")
    if tuple(t.shape) != tuple(like.shape):
        raise ValueError(f"{op}: target shape {tuple(t.shape)} differs from input shape {tuple(like.shape)}")
    if not backend.is_floating(t.dtype):
        t = t.to(dtype=like.dtype)
    return t


def _array(x: Any, device: str) -> Any:
    data = x.data if isinstance(x, Tensor) else x
    return backend.xp(device).asarray(data) if not backend.is_array(data) or backend.device_of(data) != device else data


# --------------------------------------------------------------------------- activations


def relu(x: Tensor) -> Tensor:
    """max(x, 0)."""
    return x.relu()


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x if x > 0 else negative_slope * x."""
    return x.leaky_relu(negative_slope)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x if x > 0 else alpha (e^x - 1)."""
    return x.elu(alpha)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x), Phi the standard normal CDF (``approximate="tanh"`` for the tanh formula)."""
    return x.gelu(approximate)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e^-x)."""
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta."""
    return x.softplus(beta, threshold)


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """e^(x_i) / sum_j e^(x_j) along ``dim``."""
    return x.softmax(dim)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """x_i - log sum_j e^(x_j) along ``dim``."""
    return x.log_softmax(dim)


# --------------------------------------------------------------------------- layers


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """The affine map z = x W^T + b (W of shape (out, in)), one fused op."""
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape {tuple(weight.shape)}")
    if bias is None:
        return nn_ops.LinearOp.apply(x, weight)
    if tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"linear: bias of shape {tuple(bias.shape)} does not match weight {tuple(weight.shape)}")
    return nn_ops.LinearOp.apply(x, weight, bias)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by 1 / (1 - p).

    The expected value is unchanged, so nothing is rescaled at evaluation (``training=False``).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = backend.random("bernoulli", tuple(x.shape), None, x.device, p=1.0 - p)
    mask = keep.astype(x.dtype) * (1.0 / (1.0 - p))
    return x * Tensor._make(mask, x.device)


def batch_norm(
    x: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization over every axis but the channel axis 1 (inputs (N, C) or (N, C, ...)).

    Training: xhat = (x - mean_B) / sqrt(var_B + eps) with the batch's biased variance, and the
    running statistics (when given) move towards the batch's: r <- (1 - momentum) r + momentum s,
    using the unbiased variance var_B n / (n - 1), as PyTorch. Evaluation: the running statistics
    normalize. Then y = gamma xhat + beta with gamma = ``weight``, beta = ``bias``.
    """
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C) or (N, C, ...), got {tuple(x.shape)}")
    c = x.shape[1]
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, c) + (1,) * (x.ndim - 2)
    if training:
        n = x.size // c
        if n <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input of shape {tuple(x.shape)}"
            )
        mean = x.mean(axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axes, keepdims=True)
        if running_mean is not None and running_var is not None:
            with no_grad():  # running statistics are state, not part of the graph
                m = momentum
                running_mean.data *= 1.0 - m
                running_mean.data += m * mean.data.reshape(c)
                running_var.data *= 1.0 - m
                running_var.data += m * var.data.reshape(c) * (n / (n - 1))
                running_mean._bump()
                running_var._bump()
        xhat = centered / (var + eps).sqrt()
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when training=False")
        inv = 1.0 / backend.xp(x.device).sqrt(running_var.data + eps)
        xhat = (x - running_mean.detach().reshape(shape)) * Tensor._make(inv.reshape(shape), x.device)
    if weight is not None:
        xhat = xhat * weight.reshape(shape)
    if bias is not None:
        xhat = xhat + bias.reshape(shape)
    return xhat


# --------------------------------------------------------------------------- losses


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error: (1/n) sum_i (input_i - target_i)^2 (the lecture's OLS cost)."""
    check_reduction(reduction, "mse_loss")
    d = input - _as_target(target, input, "mse_loss")
    return _reduce(d * d, reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error: (1/n) sum_i |input_i - target_i|."""
    check_reduction(reduction, "l1_loss")
    return _reduce((input - _as_target(target, input, "l1_loss")).abs(), reduction)


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1] (the lecture's log-reg cost).

    Each log is clamped at -100 as in PyTorch, so p = 0 or 1 gives a large finite loss.
    """
    check_reduction(reduction, "binary_cross_entropy")
    t = _as_target(target, input, "binary_cross_entropy")
    data = input.data
    if data.size and (float(data.min()) < 0.0 or float(data.max()) > 1.0):
        raise ValueError(
            "binary_cross_entropy: input must hold probabilities in [0, 1]; "
            "for logits use binary_cross_entropy_with_logits"
        )
    loss = nn_ops.BinaryCrossEntropy.apply(input, t)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor, target: Any, weight: Any = None, reduction: str = "mean", pos_weight: Any = None
) -> Tensor:
    """BCE of sigmoid(x), computed stably from the logits x:

    loss = (1 - t) x + (1 + (pos_weight - 1) t) log(1 + e^-x)
    """
    check_reduction(reduction, "binary_cross_entropy_with_logits")
    t = _as_target(target, input, "binary_cross_entropy_with_logits")
    sp = (-input).softplus(threshold=float("inf"))  # exact everywhere, as PyTorch's fused loss
    if pos_weight is not None:
        sp = sp * (1.0 + t * (pos_weight - 1.0))
    loss = (1.0 - t) * input + sp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _class_axis_last(input: Tensor, target: Any, op: str) -> tuple[Tensor, Any, tuple[int, ...]]:
    """(N, C, d1, ...) -> (N d1 ..., C) and the target to match; (C,) -> (1, C)."""
    if backend.is_array(target) and target.dtype.kind == "f" and tuple(target.shape) == tuple(input.shape):
        target = input._lift(target)
    probs = isinstance(target, Tensor) and backend.is_floating(target.dtype) and target.shape == input.shape
    if input.ndim == 1:
        return input.reshape(1, -1), target.reshape(1, -1) if probs else target, ()
    if input.ndim == 2:
        return input, target, (input.shape[0],)
    perm = (0,) + tuple(range(2, input.ndim)) + (1,)
    rest = (input.shape[0],) + tuple(input.shape[2:])
    flat = input.permute(*perm).reshape(-1, input.shape[1])
    if probs:
        target = target.permute(*perm).reshape(-1, input.shape[1])
    return flat, target, rest


def _labels(target: Any, n: int, c: int, device: str, ignore_index: int, op: str) -> Any:
    """Class labels as a flat integer array with ignored entries set to 0, and the mask of the
    entries that count (None when all do: the common, fast case)."""
    y = _array(target, device)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{op}: class-index targets must be integers, got {y.dtype}")
    if y.size != n:
        hint = ""
        if y.shape == (n, c):
            hint = "; these look like one-hot rows: pass them as floats, or as class indices with .argmax(1)"
        raise ValueError(f"{op}: {y.size} targets for {n} samples{hint}")
    y = y.reshape(-1) if y.ndim != 1 else y
    if n == 0:
        return y, None
    if int(y.min()) >= 0 and int(y.max()) < c and not 0 <= ignore_index < c:
        return y, None
    valid = y != ignore_index
    out_of_range = ((y < 0) | (y >= c)) & valid
    if bool(out_of_range.any()):
        raise IndexError(f"{op}: target labels must lie in [0, {c}) (number of classes), got {int(y[out_of_range][0])}")
    if bool(valid.all()):
        return y, None
    return backend.xp(device).where(valid, y, 0), valid


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy from logits (the lecture's softmax output with its CE cost).

    ``target`` holds class indices (an integer array or tensor of shape (N,)) or class
    probabilities / one-hot rows (a float tensor of the input's shape). With indices:
    loss_i = -w_{y_i} log softmax(x_i)[y_i], and the mean divides by sum_i w_{y_i}; with
    probabilities: loss_i = -sum_c w_c t_ic log softmax(x_i)_c, and the mean divides by N.
    ``label_smoothing`` eps mixes the target with the uniform distribution: (1 - eps) t + eps / C.
    Inputs may be (C,), (N, C) or (N, C, d1, ...). The common cases are one fused op.
    """
    op = "cross_entropy"
    check_reduction(reduction, op)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have a class axis, got a 0-d tensor")
    x, target, rest = _class_axis_last(input, target, op)
    n, c = x.shape
    _check_nonempty(n, reduction, input, op)
    w = None if weight is None else _array(weight, x.device).astype(x.dtype)
    if w is not None and w.shape != (c,):
        raise ValueError(f"{op}: weight must have one entry per class ({c}), got shape {w.shape}")
    # float targets of the input's shape are probabilities; anything else must be class indices
    floating = (isinstance(target, Tensor) and backend.is_floating(target.dtype)) or (
        backend.is_array(target) and target.dtype.kind == "f"
    )
    if floating and tuple(target.shape) == (n, c):
        out = _cross_entropy_probabilities(x, target, w, label_smoothing, reduction, tuple(input.shape))
        return out.reshape(rest) if reduction == "none" else out
    y_safe, valid = _labels(target, n, c, x.device, ignore_index, op)
    x = _skip_ignored(x, valid)
    xp = backend.xp(x.device)
    sample_w = None if w is None else w[y_safe]
    if valid is not None:
        sample_w = (sample_w if sample_w is not None else xp.ones(n, dtype=x.dtype)) * valid
    denom = float(sample_w.sum()) if sample_w is not None else float(n)
    if label_smoothing == 0.0:
        out = nn_ops.SoftmaxCrossEntropy.apply(
            x, index=y_safe, weight=sample_w, reduction=reduction, denom=denom, counted=valid
        )
        return out.reshape(rest) if reduction == "none" else out
    loss = _smoothed_index_loss(x, y_safe, w, sample_w, valid, label_smoothing)
    if reduction == "none":
        return loss.reshape(rest)
    return _weighted_mean(loss, denom, valid) if reduction == "mean" else loss.sum()


def _cross_entropy_probabilities(
    x: Tensor, target: Any, w: Any, label_smoothing: float, reduction: str, input_shape: tuple
) -> Tensor:
    """Cross-entropy against probability rows ``target`` (n, c): one fused op, the mean over n."""
    n, c = x.shape
    t = target if isinstance(target, Tensor) else x._lift(target)
    if tuple(t.shape) != (n, c):
        raise ValueError(
            f"cross_entropy: probability targets must have the input's shape, got {tuple(t.shape)} "
            f"for input {input_shape}"
        )
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + label_smoothing / c
    if w is not None:
        t = t * Tensor._make(w, x.device)
    return nn_ops.SoftmaxCrossEntropy.apply(x, t, index=None, weight=None, reduction=reduction, denom=n)


def _smoothed_index_loss(x: Tensor, y_safe: Any, w: Any, sample_w: Any, valid: Any, label_smoothing: float) -> Tensor:
    """Per-sample loss with class indices and label smoothing, as PyTorch:
    (1 - eps) nll + eps * mean over classes of -w_c log p_c (ignored samples count 0)."""
    n, c = x.shape
    xp = backend.xp(x.device)
    logp = x.log_softmax(1)
    sw = Tensor._make(sample_w if sample_w is not None else xp.ones(n, dtype=x.dtype), x.device)
    nll = -logp[xp.arange(n), y_safe] * sw
    cw = logp if w is None else logp * Tensor._make(w, x.device)
    smooth = -cw.sum(1) * (1.0 / c)
    if valid is not None:
        smooth = smooth * Tensor._make(valid.astype(x.dtype), x.device)
    return nll * (1.0 - label_smoothing) + smooth * label_smoothing


def _skip_ignored(x: Tensor, valid: Any) -> Tensor:
    """The rows of ignored samples set to 0: PyTorch skips them, so a NaN or infinity there must
    not reach the loss (NaN * weight 0 is NaN) or the gradient."""
    if valid is None:
        return x
    return x.where(Tensor._make(valid[:, None], x.device), 0.0)


def _weighted_mean(loss: Tensor, denom: float, valid: Any) -> Tensor:
    """sum(loss) / denom. When nothing counts (denom 0) the mean is NaN and, as PyTorch's, its
    gradient is 0 for the ignored samples (``valid`` False) and NaN for the others."""
    if denom:
        return loss.sum() * (1.0 / denom)
    xp = backend.xp(loss.device)
    nan = float("nan")
    factor = xp.full(loss.shape, nan, dtype=loss.dtype) if valid is None else xp.where(valid, nan, 0.0)
    return (loss * Tensor._make(factor.astype(loss.dtype), loss.device)).sum() + nan


def nll_loss(
    input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Negative log-likelihood of log-probabilities: loss_i = -w_{y_i} input[i, y_i].

    Use after ``log_softmax``; the mean divides by sum_i w_{y_i}.
    """
    op = "nll_loss"
    check_reduction(reduction, op)
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have a class axis, got a 0-d tensor")
    x, target, rest = _class_axis_last(input, target, op)
    n, c = x.shape
    _check_nonempty(n, reduction, input, op)
    xp = backend.xp(x.device)
    y_safe, valid = _labels(target, n, c, x.device, ignore_index, op)
    x = _skip_ignored(x, valid)
    valid = xp.ones(n, dtype=bool) if valid is None else valid
    if weight is not None:
        w = _array(weight, x.device).astype(x.dtype)
        if w.shape != (c,):
            raise ValueError(f"{op}: weight must have one entry per class ({c}), got shape {w.shape}")
        sample_w = w[y_safe] * valid
    else:
        sample_w = valid.astype(x.dtype)
    loss = -x[xp.arange(n), y_safe] * Tensor._make(sample_w, x.device)
    if reduction == "none":
        return loss.reshape(rest)
    return _weighted_mean(loss, float(sample_w.sum()), valid) if reduction == "mean" else loss.sum()
