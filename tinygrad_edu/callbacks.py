"""Callbacks: code that :func:`tinygrad_edu.train.fit` runs at fixed points of training.

Subclass :class:`Callback` and override the hooks you need; ``self.trainer`` gives access to
the model, the optimizer, the history so far and the ``stop_training`` switch:

>>> class PrintEvery(Callback):
...     def on_epoch_end(self, epoch, logs):
...         if epoch % 100 == 0:
...             print(epoch, logs["loss"])
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Callback", "TrainerState", "EarlyStopping", "ModelCheckpoint", "LambdaCallback"]


@dataclass
class TrainerState:
    """What callbacks see while :func:`fit` runs. Set ``stop_training = True`` to stop after this epoch."""

    model: Any
    optimizer: Any
    history: Any
    epochs: int
    stop_training: bool = False
    extra: dict = field(default_factory=dict)


class Callback:
    """Base class: every hook does nothing. ``epoch`` counts from 0; ``logs`` holds this epoch's
    numbers (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ``lr``, ``time``)."""

    trainer: TrainerState

    def set_trainer(self, trainer: TrainerState) -> None:
        self.trainer = trainer

    def on_train_begin(self) -> None:
        pass

    def on_epoch_begin(self, epoch: int) -> None:
        pass

    def on_batch_end(self, step: int, loss: float) -> None:
        """After each optimizer step (``loss``: that batch's loss). Only called when overridden,
        because reading the loss back from the device every step costs time."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        pass

    def on_train_end(self) -> None:
        """Also called when training stops early, on Ctrl-C, or on a non-finite loss."""


def _snapshot(model: Any) -> dict[str, Any]:
    """A copy of the model's parameters and buffers (arrays, on their device)."""
    return {k: v.data.copy() for k, v in model.state_dict().items()}


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs, and keep the best weights.

    ``monitor``: a key of the logs (``"val_loss"``, ``"val_accuracy"``, ``"loss"``...);
    ``mode``: ``"min"``, ``"max"``, or ``"auto"`` (max for accuracies, min otherwise);
    an improvement must exceed ``min_delta``. ``patience=None`` never stops but still keeps the best
    weights. ``restore_best_weights=True`` (unlike Keras' default) puts the weights of the best epoch
    back into the model when training ends, for whatever reason it ends.
    After training: ``best_epoch``, ``best``, ``stopped_epoch`` (None when it did not stop).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int | None = 10,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = True,
    ) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if patience is not None and (not isinstance(patience, int) or patience < 0):
            raise ValueError(f"EarlyStopping: patience must be a non-negative integer or None, got {patience!r}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = abs(float(min_delta))
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.mode = mode
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.wait = 0
        self._best_weights: dict[str, Any] | None = None

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if self.monitor not in logs:
            hint = " (pass val_data to fit, or monitor 'loss')" if self.monitor.startswith("val_") else ""
            raise KeyError(f"EarlyStopping: no {self.monitor!r} in the logs{hint}; available: {', '.join(logs)}")
        value = float(logs[self.monitor])
        if math.isfinite(value) and self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self._best_weights = _snapshot(self.trainer.model)
            return
        self.wait += 1
        if self.patience is not None and self.wait >= self.patience:  # as Keras: `patience` epochs without progress
            self.stopped_epoch = epoch
            self.trainer.stop_training = True
            best = "none" if self.best_epoch is None else f"{self.best_epoch + 1} ({self.monitor} = {self.best:.4g})"
            kept = ", whose weights are kept" if self.restore_best_weights and self.best_epoch is not None else ""
            self.trainer.history.stop_reason = (
                f"early stopping after epoch {epoch + 1}: no better {self.monitor} for {self.wait} epochs; "
                f"best epoch {best}{kept}"
            )

    def on_train_end(self) -> None:
        history = self.trainer.history
        history.best_epoch = self.best_epoch
        history.stopped_early = history.stopped_early or self.stopped_epoch is not None
        if self.restore_best_weights and self._best_weights is not None:
            self.trainer.model.load_state_dict(self._best_weights)


class ModelCheckpoint(Callback):
    """Save the model's weights to ``path`` (``.npz``, via :func:`tinygrad_edu.save`) after each epoch,
    or only when ``monitor`` improves (``save_best_only=True``). ``{epoch}`` in the path is filled in."""

    def __init__(
        self, path: str | os.PathLike, monitor: str = "val_loss", mode: str = "auto", save_best_only: bool = True
    ) -> None:
        self.path = os.fspath(path)
        self.save_best_only = save_best_only
        self._tracker = EarlyStopping(monitor, patience=None, mode=mode, restore_best_weights=False)
        try:
            self.filename(0)
        except ValueError as e:  # {epoch:q}: found now, not after the first epoch of training
            raise ValueError(f"ModelCheckpoint: path {self.path!r} has a bad {{epoch}} format ({e})") from None

    def on_train_begin(self) -> None:
        folder = os.path.dirname(os.path.abspath(self.filename(0)))
        if not os.path.isdir(folder):  # checked before training, not at the end of the first epoch
            raise FileNotFoundError(f"ModelCheckpoint: the folder {folder!r} of {self.path!r} does not exist")
        self._tracker.set_trainer(self.trainer)
        self._tracker.on_train_begin()

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        before = self._tracker.best_epoch
        self._tracker.on_epoch_end(epoch, logs)
        if not self.save_best_only or self._tracker.best_epoch != before:
            from tinygrad_edu import save

            save(self.trainer.model.state_dict(), self.filename(epoch))

    def filename(self, epoch: int) -> str:
        """The path for ``epoch``: each ``{epoch}`` (or ``{epoch:03d}``...) filled in; other braces, such as a
        folder named ``run{1}``, are kept as written."""
        return re.sub(r"\{epoch(?::([^{}]*))?\}", lambda m: format(epoch, m.group(1) or ""), self.path)


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: print(logs))``."""

    def __init__(
        self,
        on_train_begin: Callable[[], Any] | None = None,
        on_epoch_begin: Callable[[int], Any] | None = None,
        on_epoch_end: Callable[[int, dict], Any] | None = None,
        on_batch_end: Callable[[int, float], Any] | None = None,
        on_train_end: Callable[[], Any] | None = None,
    ) -> None:
        hooks = {
            "on_train_begin": on_train_begin,
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_batch_end": on_batch_end,
            "on_train_end": on_train_end,
        }
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)  # an instance attribute overrides the hook for this object only
