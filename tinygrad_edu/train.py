"""The training loop: ``fit`` a model to data, ``evaluate`` it, and the ``History`` of a run.

>>> from tinygrad_edu import nn, optim, data
>>> from tinygrad_edu.train import fit, evaluate
>>> X, y = data.load_digits()
>>> X_tr, X_val, X_te, y_tr, y_val, y_te = data.train_val_test_split(X, y, val=0.1, test=0.2, seed=0)
>>> X_tr, X_val, X_te = data.standardize(X_tr, X_val, X_te)
>>> model = nn.Sequential(nn.Linear(64, 100), nn.ReLU(), nn.Linear(100, 30), nn.ReLU(), nn.Linear(30, 10))
>>> opt = optim.Adam(model.parameters(), lr=1e-3)
>>> history = fit(model, "cross_entropy", opt, (X_tr, y_tr), epochs=30, batch_size=32, val_data=(X_val, y_val))
>>> evaluate(model, "cross_entropy", (X_te, y_te))
{'loss': 0.08..., 'accuracy': 0.97...}

One epoch is one pass over the training data in shuffled mini-batches: for each batch, the
forward pass z = W a + b layer by layer, the loss C, the backward pass (the deltas), and one
optimizer step W <- W - eta dC/dW. The training loss and accuracy of an epoch are running averages
over its batches (the weights change during the epoch); the validation numbers are computed after
the epoch, under ``no_grad()`` and in evaluation mode (dropout off, batch norm on running statistics).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.callbacks import Callback, EarlyStopping, TrainerState
from tinygrad_edu.data import DataLoader
from tinygrad_edu.history import History
from tinygrad_edu.metrics import correct_count
from tinygrad_edu.ops.shape import concatenate
from tinygrad_edu.tensor import Tensor

__all__ = ["fit", "evaluate", "predict", "History", "get_loss", "Callback", "EarlyStopping"]

_LOSSES = {
    "cross_entropy": "cross_entropy",
    "ce": "cross_entropy",
    "nll": "nll_loss",
    "nll_loss": "nll_loss",
    "mse": "mse_loss",
    "mse_loss": "mse_loss",
    "l1": "l1_loss",
    "l1_loss": "l1_loss",
    "bce": "binary_cross_entropy",
    "binary_cross_entropy": "binary_cross_entropy",
    "bce_with_logits": "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits": "binary_cross_entropy_with_logits",
}


def get_loss(loss_fn: str | Callable[..., Tensor]) -> Callable[..., Tensor]:
    """A loss function from its name (``"cross_entropy"``, ``"mse"``, ``"bce"``, ``"bce_with_logits"``...)."""
    if callable(loss_fn):
        return loss_fn
    from tinygrad_edu.nn import functional as F

    key = str(loss_fn).lower()
    if key not in _LOSSES:
        raise ValueError(f"unknown loss {loss_fn!r}; choose one of {', '.join(sorted(_LOSSES))}, or pass a function")
    return getattr(F, _LOSSES[key])


def _threshold(loss_fn: Callable[..., Any]) -> float:
    """Where a single output splits the two classes: 0 for logits, 0.5 for probabilities.

    A loss "with logits" means the model outputs logits (sigmoid(0) = 0.5); any other loss on a
    single output (BCE, MSE on a sigmoid) means probabilities.
    """
    name = getattr(loss_fn, "__name__", type(loss_fn).__name__).lower()
    return 0.0 if "logits" in name else 0.5


def _metric_fns(metrics: Iterable[Any]) -> list[tuple[str, Any]]:
    out = []
    for m in metrics or ():
        if isinstance(m, str):
            if m.lower() not in ("accuracy", "acc"):
                raise ValueError(
                    f"unknown metric {m!r}; built in: 'accuracy'; or pass a function (output, target) -> float"
                )
            out.append(("accuracy", "accuracy"))
        elif callable(m):
            out.append((getattr(m, "__name__", type(m).__name__), m))
        else:
            raise TypeError(f"a metric must be a name or a function, got {type(m).__name__}")
    return out


def _model_device_dtype(model: Any) -> tuple[str, Any]:
    for p in model.parameters():
        return p.device, (p.dtype if backend.is_floating(p.dtype) else None)
    return "cpu", None


def _loader(data: Any, batch_size: int | None, shuffle: bool, seed: int | None, model: Any, what: str) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{what} must be a pair (X, y) or a DataLoader, got {type(data).__name__}")
    device, dtype = _model_device_dtype(model)
    X, y = data
    n = len(X)
    return DataLoader(X, y, batch_size=batch_size or max(n, 1), shuffle=shuffle, seed=seed, device=device, dtype=dtype)


def _overrides(cb: Callback, hook: str) -> bool:
    return getattr(type(cb), hook) is not getattr(Callback, hook) or hook in vars(cb)


def evaluate(
    model: Any,
    loss_fn: str | Callable[..., Tensor],
    data: Any,
    batch_size: int | None = 4096,
    metrics: Iterable[Any] = ("accuracy",),
) -> dict[str, float]:
    """The mean loss and the metrics of ``model`` on ``data`` ((X, y) or a DataLoader), in evaluation
    mode and under ``no_grad()``; the model's mode is restored afterwards. Works in batches of
    ``batch_size`` samples (None: all at once) to bound memory."""
    loss_fn = get_loss(loss_fn)
    loader = _loader(data, batch_size, False, None, model, "data")
    fns = _metric_fns(metrics)
    threshold = _threshold(loss_fn)
    was_training = getattr(model, "training", False)
    model.eval()
    total, n = 0.0, 0
    sums: dict[str, Any] = {name: 0.0 for name, _ in fns}
    try:
        with no_grad():
            for xb, yb in loader:
                out = model(xb)
                b = len(xb)
                total = total + loss_fn(out, yb).data * b
                for name, fn in fns:
                    sums[name] = sums[name] + (
                        correct_count(out, yb, threshold) if fn == "accuracy" else fn(out, yb) * b
                    )
                n += b
    finally:
        model.train(was_training)
    if n == 0:
        raise ValueError("evaluate: no samples")
    result = {"loss": float(total) / n}
    result.update({name: float(s) / n for name, s in sums.items()})
    return result


def predict(model: Any, X: Any, batch_size: int | None = 4096) -> Any:
    """The model's outputs for ``X`` as a host NumPy array, in evaluation mode and under ``no_grad()``."""
    device, dtype = _model_device_dtype(model)
    loader = DataLoader(X, None, batch_size=batch_size or max(len(X), 1), shuffle=False, device=device, dtype=dtype)
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with no_grad():
            outs = [model(xb).detach() for xb in loader]
    finally:
        model.train(was_training)
    return concatenate(outs).numpy() if outs else backend.to_numpy(backend.xp("cpu").zeros((0,)))


def _is_plateau(scheduler: Any) -> bool:
    try:
        from tinygrad_edu.optim.lr_scheduler import ReduceLROnPlateau
    except ImportError:  # pragma: no cover - the optimizers ship with the package
        return type(scheduler).__name__ == "ReduceLROnPlateau"
    return isinstance(scheduler, ReduceLROnPlateau)


def _check_finite_data(loader: DataLoader, what: str) -> None:
    """Refuse NaN or infinity in the data before training: they would only show up later as a NaN loss,
    which looks like a learning rate that is too large."""
    for name, arr in (("X", loader.X), ("y", loader.y)):
        if arr is None or not backend.is_floating(arr.dtype) or backend.isfinite_all(arr):
            continue
        xp = backend.xp(loader.device)
        bad = xp.argwhere(~xp.isfinite(arr))
        raise ValueError(
            f"fit: {what} {name} holds {len(bad)} NaN or infinite value(s), the first at index "
            f"{tuple(int(i) for i in bad[0])}; remove or impute them before training"
        )


def _progress(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    import sys

    from tqdm.auto import tqdm

    # Redirected to a file or a CI log, a bar redrawn 10 times a second would flood it.
    interactive = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
    return tqdm(total=total, unit="step", dynamic_ncols=True, leave=True, mininterval=0.1 if interactive else 5.0)


def fit(
    model: Any,
    loss_fn: str | Callable[..., Tensor],
    optimizer: Any,
    train_data: Any,
    epochs: int = 10,
    batch_size: int | None = 32,
    val_data: Any = None,
    scheduler: Any = None,
    metrics: Iterable[Any] = ("accuracy",),
    callbacks: Iterable[Callback] = (),
    progress: bool = True,
    seed: int | None = None,
    shuffle: bool = True,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_data`` and return the :class:`History`.

    ``loss_fn``: a function ``(output, target) -> scalar Tensor`` or a name (``"cross_entropy"``,
    ``"mse"``, ``"bce"``, ``"bce_with_logits"``). ``train_data`` / ``val_data``: a pair ``(X, y)`` of
    arrays (class labels as integers) or a :class:`~tinygrad_edu.data.DataLoader`; ``batch_size=None``
    means the whole set in one batch. ``scheduler``: stepped once per epoch (``ReduceLROnPlateau``
    gets the validation loss, or the training loss without validation data). ``metrics``:
    ``"accuracy"`` (per sample) and/or functions ``(output, target) -> float``. ``callbacks``:
    e.g. ``EarlyStopping(patience=10)``, which also restores the best weights. ``seed`` seeds the
    shuffling of the mini-batches (dropout and initialization follow ``manual_seed``).

    Ctrl-C stops training cleanly: the epochs completed so far are returned with
    ``history.interrupted = True`` (and the best weights restored, with ``EarlyStopping``). A loss that
    becomes NaN or infinite stops training too (``history.stop_reason`` says so). The model is left in
    evaluation mode, ready for predictions.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")
    if not hasattr(optimizer, "step") or not hasattr(optimizer, "zero_grad"):
        raise TypeError(f"fit: optimizer must have step() and zero_grad(), got {type(optimizer).__name__}")
    loss_fn = get_loss(loss_fn)
    train_loader = _checked_loader(train_data, batch_size, shuffle, seed, model, "train_data")
    val_loader = None if val_data is None else _checked_loader(val_data, 4096, False, None, model, "val_data")
    callbacks = _checked_callbacks(callbacks)
    history = History()
    run = _Run(model, loss_fn, optimizer, train_loader, val_loader, metrics, callbacks, scheduler, history, epochs)
    run.bar = _progress(epochs * len(train_loader), progress)
    try:
        for cb in callbacks:
            cb.on_train_begin()
        for epoch in range(epochs):
            if run.finish_epoch(epoch, run.train_epoch(epoch)):
                break
    except KeyboardInterrupt:
        history.interrupted = True
        history.stop_reason = f"interrupted (Ctrl-C) after {len(history)} complete epochs"
    finally:
        if run.bar is not None:
            run.bar.close()
    for cb in callbacks:
        cb.on_train_end()
    model.eval()
    return history


def _checked_loader(data: Any, batch_size: int | None, shuffle: bool, seed: int | None, model: Any, what: str) -> Any:
    loader = _loader(data, batch_size, shuffle, seed, model, what)
    _check_finite_data(loader, what)
    return loader


def _checked_callbacks(callbacks: Iterable[Callback]) -> list[Callback]:
    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks must be Callback objects, got {type(cb).__name__}")
    return callbacks


class _Run:
    """One call of :func:`fit`: the epoch (a pass of forward, backward and update steps over the
    mini-batches) and what follows it (validation, schedule, callbacks), each in a method."""

    def __init__(
        self,
        model: Any,
        loss_fn: Callable[..., Tensor],
        optimizer: Any,
        train: DataLoader,
        val: DataLoader | None,
        metrics: Iterable[Any],
        callbacks: list[Callback],
        scheduler: Any,
        history: History,
        epochs: int,
    ) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.train, self.val, self.metrics = train, val, metrics
        self.fns, self.threshold = _metric_fns(metrics), _threshold(loss_fn)
        self.callbacks, self.batch_hooks = callbacks, [cb for cb in callbacks if _overrides(cb, "on_batch_end")]
        self.scheduler, self.plateau = scheduler, scheduler is not None and _is_plateau(scheduler)
        self.history, self.epochs = history, epochs
        history.params = {"epochs": epochs, "batch_size": train.batch_size, "steps": len(train)}
        history.params["samples"] = train.n_samples
        self.state = TrainerState(model, optimizer, history, epochs)
        for cb in callbacks:
            cb.set_trainer(self.state)
        self.bar: Any = None
        self.step = 0

    def train_epoch(self, epoch: int) -> dict[str, float]:
        """One pass over the training data in mini-batches; the epoch's mean loss and metrics."""
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch)
        self.model.train()
        t0 = shown = time.perf_counter()
        # Sums stay arrays on the device: no host round trip per step (it matters on a GPU).
        self.loss_sum: Any = 0.0
        self.sums: dict[str, Any] = {name: 0.0 for name, _ in self.fns}
        self.seen = 0
        for xb, yb in self.train:
            self.train_step(xb, yb)
            if self.bar is not None:
                self.bar.update(1)
                now = time.perf_counter()
                if now - shown > 0.25:
                    shown = now
                    self.show(epoch)
        if self.seen == 0:
            raise ValueError("fit: the training data gave no batches (empty data, or drop_last with too few samples)")
        logs = {"loss": float(self.loss_sum) / self.seen}
        logs.update({name: float(s) / self.seen for name, s in self.sums.items()})
        if self.val is not None:
            val = evaluate(self.model, self.loss_fn, self.val, metrics=self.metrics)
            logs.update({f"val_{k}": v for k, v in val.items()})
        groups = getattr(self.optimizer, "param_groups", None)
        if groups:
            logs["lr"] = float(groups[0]["lr"])
        logs["time"] = time.perf_counter() - t0
        return logs

    def train_step(self, xb: Tensor, yb: Tensor) -> None:
        """Forward, loss, backward, update: one gradient-descent step on one mini-batch."""
        out = self.model(xb)
        loss = self.loss_fn(out, yb)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        b = len(xb)
        self.seen += b
        self.loss_sum = self.loss_sum + loss.data * b
        for name, fn in self.fns:
            if fn == "accuracy":
                self.sums[name] = self.sums[name] + correct_count(out.data, yb.data, self.threshold)
            else:
                with no_grad():
                    self.sums[name] = self.sums[name] + fn(out, yb) * b
        self.step += 1
        for cb in self.batch_hooks:
            cb.on_batch_end(self.step, float(loss.data))

    def show(self, epoch: int) -> None:
        self.bar.set_description(f"epoch {epoch + 1}/{self.epochs}", refresh=False)
        self.bar.set_postfix_str(_postfix(self.loss_sum, self.sums, self.seen, self.history), refresh=False)

    def finish_epoch(self, epoch: int, logs: dict[str, float]) -> bool:
        """Record the epoch, step the schedule, ask the callbacks; True when training should stop."""
        history = self.history
        history.append(epoch, logs)
        if self.bar is not None:
            self.show(epoch)  # shown at the next refresh
        if not math.isfinite(logs["loss"]):
            history.stop_reason = (
                f"the training loss became {logs['loss']} in epoch {epoch + 1}; lower the learning rate"
            )
            history.stopped_early = True
            return True
        if self.scheduler is not None:
            if self.plateau:
                self.scheduler.step(logs.get("val_loss", logs["loss"]))
            else:
                self.scheduler.step()
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)
        if self.state.stop_training:
            history.stopped_early = True
            history.stop_reason = history.stop_reason or f"stopped by a callback after epoch {epoch + 1}"
            return True
        return False


def _postfix(loss_sum: Any, sums: dict[str, Any], seen: int, history: History) -> str:
    """This epoch's running loss and accuracy, then the last epoch's validation numbers."""
    parts = [f"loss={float(loss_sum) / seen:.4f}"]
    if "accuracy" in sums:
        parts.append(f"acc={float(sums['accuracy']) / seen:.4f}")
    last = history.last()
    if "val_loss" in last:
        parts.append(f"val_loss={last['val_loss']:.4f}")
    if "val_accuracy" in last:
        parts.append(f"val_acc={last['val_accuracy']:.4f}")
    return ", ".join(parts)
