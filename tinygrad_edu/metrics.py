"""Classification metrics, counted per sample.

Accuracy is the fraction of *samples* classified right:

- several outputs per sample (multi-class): the predicted class is the arg-max of the row, the
  true class is the label, or the arg-max of a one-hot (or probability) row;
- one output per sample (binary): the prediction is 1 where the output exceeds ``threshold``:
  0.5 for probabilities (after a sigmoid), 0 for logits (before one).

It is never computed element-wise over a one-hot matrix: with 10 classes that would count the
nine correct zeros of a wrong row and report about 0.9 for a classifier that is always wrong.
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.tensor import Tensor

__all__ = ["accuracy", "correct_count", "predicted_classes"]


def _arr(x: Any) -> Any:
    data = x.data if isinstance(x, Tensor) else x
    return data if backend.is_array(data) else backend.xp("cpu").asarray(data)


def predicted_classes(output: Any, threshold: float = 0.5) -> Any:
    """The predicted class of each sample: arg-max over the last axis, or ``output > threshold`` for one output."""
    out = _arr(output)
    xp = backend.xp(backend.device_of(out))
    if out.ndim >= 2 and out.shape[-1] > 1:
        return out.argmax(axis=-1)
    flat = out.reshape(out.shape[0], -1)[:, 0] if out.ndim >= 1 else out
    return (flat > threshold).astype(xp.int64)


def _true_classes(target: Any, output_shape: tuple[int, ...], op: str) -> Any:
    t = _arr(target)
    multi = len(output_shape) >= 2 and output_shape[-1] > 1
    if multi and t.ndim == len(output_shape) and t.shape[-1] == output_shape[-1]:
        return t.argmax(axis=-1)  # one-hot or probability rows
    if t.ndim >= 1 and t.shape[0] != output_shape[0]:
        raise ValueError(f"{op}: {t.shape[0]} targets for {output_shape[0]} outputs")
    if not multi:
        t = t.reshape(t.shape[0], -1)
        if t.shape[1] != 1:
            raise ValueError(f"{op}: one output per sample needs one target per sample, got targets of shape {t.shape}")
        t = t[:, 0]
        return t > 0.5 if t.dtype.kind == "f" else t != 0  # 0/1 targets, as floats or integers
    if t.ndim != 1:
        raise ValueError(
            f"{op}: for outputs of shape {output_shape} give class indices (n,) or one-hot rows "
            f"{output_shape}, got targets of shape {t.shape}"
        )
    return t


def correct_count(output: Any, target: Any, threshold: float = 0.5) -> Any:
    """The number of samples classified right, as a 0-d array on the output's device (no host sync)."""
    out = _arr(output)
    if out.ndim == 0:
        raise ValueError("accuracy: the output needs a sample axis, got a scalar")
    pred = predicted_classes(out, threshold)
    true = _true_classes(target, tuple(out.shape), "accuracy")
    if backend.device_of(true) != backend.device_of(pred):
        true = backend.to_device(true, backend.device_of(pred))
    return (pred == true).sum()


def accuracy(output: Any, target: Any, threshold: float = 0.5) -> float:
    """The fraction of samples classified right (see the module docstring for the rules).

    ``output``: (n, C) scores or probabilities, or (n,) / (n, 1) for a binary problem;
    ``target``: class indices (n,), one-hot rows (n, C), or 0/1 values (n,) / (n, 1).
    ``threshold``: 0.5 when a single output is a probability, 0.0 when it is a logit.
    """
    out = _arr(output)
    n = out.shape[0] if out.ndim else 0
    if n == 0:
        raise ValueError("accuracy: no samples")
    return float(correct_count(out, target, threshold)) / n
