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

import csv
import io
import json
import math
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.callbacks import Callback, EarlyStopping, TrainerState
from tinygrad_edu.data import DataLoader
from tinygrad_edu.fileio import atomic_write
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


class History:
    """What happened during :func:`fit`: one entry per completed epoch for each logged number.

    ``history["loss"]``, ``history["val_accuracy"]`` (lists); ``history.epoch`` (epoch numbers);
    ``best_epoch`` (set when early stopping or best-weight keeping is on); ``stopped_early``,
    ``interrupted`` (Ctrl-C), ``stop_reason``. Save with :meth:`to_csv` / :meth:`to_json`, draw with :meth:`plot`.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.best_epoch: int | None = None
        self.stopped_early = False
        self.interrupted = False
        self.stop_reason: str | None = None
        self.params: dict[str, Any] = {}

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, [math.nan] * (len(self.epoch) - 1)).append(float(v))
        for values in self.history.values():
            if len(values) < len(self.epoch):
                values.append(math.nan)

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.history:
            raise KeyError(f"History has no {key!r}; it has {', '.join(self.history) or 'nothing yet'}")
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epoch)

    def keys(self) -> list[str]:
        return list(self.history)

    def last(self) -> dict[str, float]:
        """The numbers of the last completed epoch."""
        return {k: v[-1] for k, v in self.history.items()} if self.epoch else {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "epoch": list(self.epoch),
            "history": {k: list(v) for k, v in self.history.items()},
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
            "interrupted": self.interrupted,
            "stop_reason": self.stop_reason,
            "params": dict(self.params),
        }

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """The history as JSON (NaN written as null); written atomically to ``path`` when given."""
        d = self.to_dict()
        d["history"] = {k: [None if math.isnan(x) else x for x in v] for k, v in d["history"].items()}
        text = json.dumps(d, indent=2)
        if path is not None:
            atomic_write(path, text)
        return text

    def to_csv(self, path: str | os.PathLike | None = None) -> str:
        """One row per epoch: ``epoch,loss,accuracy,val_loss,...``; written atomically to ``path`` when given."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        keys = list(self.history)
        w.writerow(["epoch", *keys])
        for i, e in enumerate(self.epoch):
            w.writerow([e, *(repr(self.history[k][i]) for k in keys)])
        text = buf.getvalue()
        if path is not None:
            atomic_write(path, text)
        return text

    def plot(self, path: str | os.PathLike | None = None, title: str | None = None) -> Any:
        """Loss (left) and accuracy (right, when logged) against epoch, training and validation.

        Returns the matplotlib Figure (it displays in Jupyter); ``path`` also saves it (PNG, PDF...).
        Uses no pyplot state, so it works without a display.
        """
        try:
            from matplotlib.figure import Figure
        except ImportError:  # pragma: no cover - optional extra
            raise ImportError("History.plot needs matplotlib: pip install tinygrad-edu[viz]") from None
        panels = [("loss", "loss")] + ([("accuracy", "accuracy")] if "accuracy" in self.history else [])
        fig = Figure(figsize=(5.5 * len(panels), 4), layout="constrained")
        epochs = [e + 1 for e in self.epoch]
        for i, (key, label) in enumerate(panels):
            ax = fig.add_subplot(1, len(panels), i + 1)
            ax.plot(epochs, self.history[key], label="training")
            if f"val_{key}" in self.history:
                ax.plot(epochs, self.history[f"val_{key}"], label="validation")
            if self.best_epoch is not None:
                ax.axvline(self.best_epoch + 1, color="grey", ls=":", label=f"best epoch ({self.best_epoch + 1})")
            ax.set_xlabel("epoch")
            ax.set_ylabel(label)
            if key == "loss" and all(v > 0 for v in self.history[key] if not math.isnan(v)):
                ax.set_yscale("log")
            ax.grid(alpha=0.3)
            ax.legend()
        if title:
            fig.suptitle(title)
        if path is not None:
            fmt = os.path.splitext(os.fspath(path))[1][1:].lower() or "png"
            atomic_write(path, lambda f: fig.savefig(f, format=fmt, dpi=120))
        return fig

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v:.4g}" for k, v in self.last().items() if k != "time")
        flags = " interrupted" if self.interrupted else " stopped early" if self.stopped_early else ""
        return f"History({len(self)} epochs{flags}{': ' + last if last else ''})"


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
    train_loader = _loader(train_data, batch_size, shuffle, seed, model, "train_data")
    val_loader = None if val_data is None else _loader(val_data, 4096, False, None, model, "val_data")
    _check_finite_data(train_loader, "train_data")
    if val_loader is not None:
        _check_finite_data(val_loader, "val_data")
    fns = _metric_fns(metrics)
    threshold = _threshold(loss_fn)
    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks must be Callback objects, got {type(cb).__name__}")
    batch_hooks = [cb for cb in callbacks if _overrides(cb, "on_batch_end")]
    plateau = scheduler is not None and _is_plateau(scheduler)

    history = History()
    history.params = {
        "epochs": epochs,
        "batch_size": train_loader.batch_size,
        "steps": len(train_loader),
        "samples": train_loader.n_samples,
    }
    state = TrainerState(model, optimizer, history, epochs)
    for cb in callbacks:
        cb.set_trainer(state)
    bar = _progress(epochs * len(train_loader), progress)
    step = 0
    try:
        for cb in callbacks:
            cb.on_train_begin()
        for epoch in range(epochs):
            for cb in callbacks:
                cb.on_epoch_begin(epoch)
            model.train()
            t0 = time.perf_counter()
            loss_sum: Any = 0.0
            sums: dict[str, Any] = {name: 0.0 for name, _ in fns}
            seen = 0
            shown = t0
            for xb, yb in train_loader:
                out = model(xb)
                loss = loss_fn(out, yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                b = len(xb)
                seen += b
                # Sums stay arrays on the device: no host round trip per step (it matters on a GPU).
                loss_sum = loss_sum + loss.data * b
                for name, fn in fns:
                    if fn == "accuracy":
                        sums[name] = sums[name] + correct_count(out.data, yb.data, threshold)
                    else:
                        with no_grad():
                            sums[name] = sums[name] + fn(out, yb) * b
                step += 1
                for cb in batch_hooks:
                    cb.on_batch_end(step, float(loss.data))
                if bar is not None:
                    bar.update(1)
                    now = time.perf_counter()
                    if now - shown > 0.25:
                        shown = now
                        bar.set_description(f"epoch {epoch + 1}/{epochs}", refresh=False)
                        bar.set_postfix_str(_postfix(loss_sum, sums, seen, history), refresh=False)
            if seen == 0:
                raise ValueError(
                    "fit: the training data gave no batches (empty data, or drop_last with too few samples)"
                )
            logs = {"loss": float(loss_sum) / seen}
            logs.update({name: float(s) / seen for name, s in sums.items()})
            if val_loader is not None:
                logs.update({f"val_{k}": v for k, v in evaluate(model, loss_fn, val_loader, metrics=metrics).items()})
            groups = getattr(optimizer, "param_groups", None)
            if groups:
                logs["lr"] = float(groups[0]["lr"])
            logs["time"] = time.perf_counter() - t0
            history.append(epoch, logs)
            if bar is not None:
                bar.set_description(f"epoch {epoch + 1}/{epochs}", refresh=False)
                bar.set_postfix_str(_postfix(loss_sum, sums, seen, history), refresh=False)  # shown at the next refresh
            if not math.isfinite(logs["loss"]):
                history.stop_reason = (
                    f"the training loss became {logs['loss']} in epoch {epoch + 1}; lower the learning rate"
                )
                history.stopped_early = True
                break
            if scheduler is not None:
                if plateau:
                    scheduler.step(logs.get("val_loss", logs["loss"]))
                else:
                    scheduler.step()
            for cb in callbacks:
                cb.on_epoch_end(epoch, logs)
            if state.stop_training:
                history.stopped_early = True
                history.stop_reason = history.stop_reason or f"stopped by a callback after epoch {epoch + 1}"
                break
    except KeyboardInterrupt:
        history.interrupted = True
        history.stop_reason = f"interrupted (Ctrl-C) after {len(history)} complete epochs"
    finally:
        if bar is not None:
            bar.close()
    for cb in callbacks:
        cb.on_train_end()
    model.eval()
    return history


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
