"""Training diagnostics with matplotlib: curves, gradient norms, activations, dead ReLUs, gradient checks.

- :func:`plot_history`: loss and accuracy per epoch, training against validation.
- :class:`GradientRecorder`: the norm of every parameter's gradient, recorded after each
  backward pass; :func:`plot_gradient_norms` shows them per layer over training and against
  depth, which is where vanishing (sigmoid) and exploding gradients show.
- :class:`ActivationRecorder`: mean, spread and histogram of each layer's output on a fixed
  batch, and the fraction of dead ReLU units (never positive on the batch);
  :func:`plot_activation_stats` and :func:`plot_dead_relus`.
- :func:`plot_gradcheck`: analytic against numerical gradients per parameter, the relative
  error, and the error against the finite-difference step (truncation error ~ eps^2 on the
  right, round-off ~ 1/eps on the left).

Every function returns a ``matplotlib.figure.Figure`` (made without pyplot, so nothing is shown
or kept open unless you display it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from tinygrad_edu import backend
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.gradcheck import GradcheckReport, analytic_jacobians, gradcheck_report, numerical_jacobians
from tinygrad_edu.tensor import Tensor

_VAL_PREFIXES = ("val_", "valid_", "validation_", "test_")
_TRAIN_PREFIXES = ("train_", "training_")
_X_KEYS = ("epoch", "epochs", "step", "steps", "time", "lr")


# ----------------------------------------------------------------------------- history


def _history_dict(history: Any) -> dict[str, list[float]]:
    if hasattr(history, "to_dict"):
        history = history.to_dict()
    elif hasattr(history, "history") and isinstance(history.history, Mapping):  # Keras-style
        history = history.history
    if isinstance(history, Sequence) and history and all(isinstance(r, Mapping) for r in history):
        keys = list(dict.fromkeys(k for r in history for k in r))  # a list of per-epoch records
        history = {k: [r.get(k, math.nan) for r in history] for k in keys}
    if not isinstance(history, Mapping):
        raise TypeError(
            f"plot_history: expected a dict of lists, a list of per-epoch dicts or an object with .to_dict(), "
            f"got {type(history).__name__}"
        )
    flat: dict[str, list[float]] = {}
    for k, v in history.items():
        if isinstance(v, Mapping):  # {"train": {"loss": [...]}, "val": {...}}
            prefix = "val_" if str(k).lower() in ("val", "valid", "validation", "test") else ""
            for k2, v2 in v.items():
                flat[prefix + str(k2)] = v2
        else:
            flat[str(k)] = v
    out = {}
    for k, v in flat.items():
        try:
            arr = np.asarray([np.nan if x is None else float(x) for x in v], dtype=float)
        except (TypeError, ValueError):
            continue  # not a numeric series (e.g. timestamps as text)
        if arr.ndim == 1 and arr.size:
            out[k] = arr.tolist()
    return out


def _split(key: str) -> tuple[str, bool]:
    low = key.lower()
    for p in _VAL_PREFIXES:
        if low.startswith(p):
            return key[len(p) :], True
    if low.endswith("_val"):
        return key[:-4], True
    for p in _TRAIN_PREFIXES:
        if low.startswith(p):
            return key[len(p) :], False
    return key, False


def plot_history(
    history: Any,
    log_loss: bool = False,
    figsize: tuple[float, float] | None = None,
    metrics: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Loss, accuracy and any other metric per epoch: training solid, validation dashed.

    ``history``: a ``History`` (anything with ``.to_dict()``), a dict of lists such as
    ``{"loss": [...], "val_loss": [...], "accuracy": [...], "val_accuracy": [...]}``, or a list
    of per-epoch dicts. ``log_loss=True`` puts the loss on a log scale. ``metrics`` chooses the
    panels (``("loss", "accuracy")``; default: every metric). A history that knows its best epoch
    (early stopping) marks it with a dotted line.
    """
    h = _history_dict(history)
    x_key = next((k for k in ("epoch", "epochs", "step", "steps") if k in h), None)
    panels: dict[str, dict[bool, tuple[str, list[float]]]] = {}
    for k, v in h.items():
        if k.lower() in _X_KEYS:
            continue
        base, is_val = _split(k)
        if metrics is None or base in metrics:
            panels.setdefault(base, {})[is_val] = (k, v)
    if not panels:
        raise ValueError(f"plot_history: no metric series found in the history (keys: {sorted(h)})")
    order = sorted(panels, key=lambda b: (0 if "loss" in b.lower() else 1 if "acc" in b.lower() else 2, b))
    fig = Figure(figsize=figsize or (4.6 * len(order), 3.6), layout="constrained")
    axes = fig.subplots(1, len(order), squeeze=False)[0]
    best = getattr(history, "best_epoch", None)
    for ax, base in zip(axes, order):
        for is_val, style, label in ((False, "-", "train"), (True, "--", "validation")):
            if is_val in panels[base]:
                key, v = panels[base][is_val]
                xs = h[x_key][: len(v)] if x_key and len(h[x_key]) >= len(v) else range(1, len(v) + 1)
                ax.plot(list(xs), v, style, marker="o" if len(v) < 30 else None, ms=3, label=f"{label} ({key})")
        if best is not None:
            ax.axvline(best, color="grey", ls=":", label=f"best (epoch {best})")
        ax.set_title(base)
        ax.set_xlabel(x_key or "epoch")
        ax.set_ylabel(base)
        if "loss" in base.lower() and log_loss:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


# ----------------------------------------------------------------------------- gradients


def _named_params(model: Any) -> list[tuple[str, Tensor]]:
    if hasattr(model, "named_parameters"):
        items = list(model.named_parameters())
    elif isinstance(model, Mapping):
        items = list(model.items())
    elif isinstance(model, Iterable):
        items = [(p[0], p[1]) if isinstance(p, tuple) else (str(i), p) for i, p in enumerate(model)]
    else:
        raise TypeError(
            f"expected a model with named_parameters(), a dict or a list of tensors, got {type(model).__name__}"
        )
    for name, p in items:
        if not isinstance(p, Tensor):
            raise TypeError(f"parameter {name!r} is a {type(p).__name__}, not a Tensor")
    return items


def _norm(t: Tensor) -> float:
    a = backend.to_numpy(t.data).astype(np.float64)
    return float(np.sqrt((a * a).sum()))


class GradientRecorder:
    """Records ``||dL/dW||`` of every parameter; call :meth:`record` after each ``backward()``.

    ``model``: anything with ``named_parameters()`` (names like ``0.weight``), a dict
    ``{name: tensor}`` or a list of tensors. Layers are the name prefixes (``0`` for ``0.weight``
    and ``0.bias``); a layer's norm is ``sqrt`` of the sum of its parameters' squared norms.
    """

    def __init__(self, model: Any) -> None:
        self.params = _named_params(model)
        if not self.params:
            raise ValueError("GradientRecorder: the model has no parameters")
        self.steps: list[int] = []
        self.norms: dict[str, list[float]] = {name: [] for name, _ in self.params}

    def record(self, step: int | None = None) -> None:
        """Store the current gradient norms (NaN for a parameter without ``.grad``)."""
        self.steps.append(len(self.steps) if step is None else int(step))
        for name, p in self.params:
            self.norms[name].append(_norm(p.grad) if p.grad is not None else math.nan)

    @property
    def layer_norms(self) -> dict[str, list[float]]:
        layers: dict[str, list[list[float]]] = {}
        for name, series in self.norms.items():
            layers.setdefault(name.rsplit(".", 1)[0] if "." in name else name, []).append(series)
        return {k: np.sqrt(np.sum(np.square(v), axis=0)).tolist() for k, v in layers.items()}

    def plot(self, per: str = "layer") -> Figure:
        return plot_gradient_norms(self, per)


def plot_gradient_norms(recorder: GradientRecorder, per: str = "layer") -> Figure:
    """Gradient norms over training (log scale), and against depth at the first and last step.

    Norms falling by orders of magnitude toward the input layers are vanishing gradients;
    growing ones are exploding gradients. ``per="parameter"`` draws every parameter.
    """
    if per not in ("layer", "parameter"):
        raise ValueError(f"plot_gradient_norms: per must be 'layer' or 'parameter', got {per!r}")
    if not recorder.steps:
        raise ValueError("plot_gradient_norms: nothing recorded yet; call recorder.record() after backward()")
    series = recorder.layer_norms if per == "layer" else recorder.norms
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    for name, v in series.items():
        ax1.plot(recorder.steps, v, label=name)
    ax1.set_yscale("log")
    ax1.set_xlabel("step")
    ax1.set_ylabel(f"||dL/dW|| per {per}")
    ax1.set_title("gradient norms during training")
    ax1.grid(alpha=0.3)
    ax1.legend(fontsize=7, ncol=2)
    names = list(series)
    depth = np.arange(len(names))
    for idx, label in ((0, f"step {recorder.steps[0]}"), (-1, f"step {recorder.steps[-1]}")):
        ax2.plot(depth, [series[n][idx] for n in names], marker="o", label=label)
    ax2.set_xticks(depth, names, rotation=45, ha="right", fontsize=8)
    ax2.set_yscale("log")
    ax2.set_xlabel(f"{per} (input -> output)")
    ax2.set_title("gradient norm against depth")
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=8)
    return fig


# ----------------------------------------------------------------------------- activations


def _layers(model: Any) -> list[tuple[str, Callable]]:
    if isinstance(model, Mapping):
        items = list(model.items())
    elif isinstance(model, Iterable) and hasattr(model, "named_children"):  # nn.Sequential
        items = list(model.named_children())
    elif isinstance(model, Iterable):
        items = [(m[0], m[1]) if isinstance(m, tuple) else (str(i), m) for i, m in enumerate(model)]
    else:
        raise TypeError(
            f"ActivationRecorder: pass a Sequential-like model (iterable over layers), a dict {{name: layer}} "
            f"or a list of (name, callable); got {type(model).__name__}"
        )
    for name, layer in items:
        if not callable(layer):
            raise TypeError(f"ActivationRecorder: layer {name!r} is not callable")
    return items


class ActivationRecorder:
    """Statistics of each layer's output on a fixed batch ``x``; call :meth:`record` during training.

    ``layers``: a Sequential-like model (iterated layer by layer), a dict or a list of
    ``(name, callable)``. Each record runs the batch through the layers under ``no_grad`` and
    keeps, per layer, the mean, the standard deviation, a sample of the values (for histograms)
    and the fraction of dead units: units (last axis) that are never positive on the batch.
    """

    def __init__(self, layers: Any, x: Tensor, max_samples: int = 5000) -> None:
        self.layers = _layers(layers)
        self.x = x
        self.max_samples = max_samples
        self.steps: list[int] = []
        self.names = [self._label(n, layer) for n, layer in self.layers]
        self.mean: dict[str, list[float]] = {n: [] for n in self.names}
        self.std: dict[str, list[float]] = {n: [] for n in self.names}
        self.dead: dict[str, list[float]] = {n: [] for n in self.names}
        self.values: dict[str, np.ndarray] = {}

    @staticmethod
    def _label(name: str, layer: Callable) -> str:
        kind = type(layer).__name__
        return name if kind in ("function", "method", "builtin_function_or_method") else f"{name} ({kind})"

    def record(self, step: int | None = None) -> None:
        self.steps.append(len(self.steps) if step is None else int(step))
        h = self.x
        with no_grad():
            for label, (_, layer) in zip(self.names, self.layers):
                h = layer(h)
                a = backend.to_numpy(h.data).astype(np.float64)
                self.mean[label].append(float(a.mean()))
                self.std[label].append(float(a.std()))
                units = a.reshape(-1, a.shape[-1]) if a.ndim > 1 else a.reshape(-1, 1)
                self.dead[label].append(float(np.mean(np.all(units <= 0, axis=0))))
                flat = a.reshape(-1)
                if flat.size > self.max_samples:  # an even subsample, deterministic
                    flat = flat[:: flat.size // self.max_samples + 1]
                self.values[label] = flat

    def relu_layers(self) -> list[str]:
        """The layers whose name or type says ReLU (where dead units mean anything)."""
        return [n for n in self.names if "relu" in n.lower()]


def plot_activation_stats(recorder: ActivationRecorder, bins: int = 50) -> Figure:
    """Each layer's output: mean +- std over training, and the histogram at the last record.

    Saturating activations (sigmoid, tanh) pile up at their limits; with poor initialization
    the spread shrinks or grows layer by layer (Glorot/He initialization keeps it level).
    """
    if not recorder.steps:
        raise ValueError("plot_activation_stats: nothing recorded yet; call recorder.record()")
    fig = Figure(figsize=(11, 3.8), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    for n in recorder.names:
        m, s = np.asarray(recorder.mean[n]), np.asarray(recorder.std[n])
        (line,) = ax1.plot(recorder.steps, m, label=n)
        ax1.fill_between(recorder.steps, m - s, m + s, color=line.get_color(), alpha=0.15)
        ax2.hist(recorder.values[n], bins=bins, histtype="step", density=True, label=n)
    ax1.set_title("activation mean +- std")
    ax1.set_xlabel("step")
    ax1.legend(fontsize=7)
    ax1.grid(alpha=0.3)
    ax2.set_title(f"activations at step {recorder.steps[-1]}")
    ax2.set_xlabel("value")
    ax2.set_ylabel("density")
    depth = np.arange(len(recorder.names))
    ax3.errorbar(
        depth,
        [recorder.mean[n][-1] for n in recorder.names],
        yerr=[recorder.std[n][-1] for n in recorder.names],
        marker="o",
        capsize=3,
    )
    ax3.set_xticks(depth, recorder.names, rotation=45, ha="right", fontsize=8)
    ax3.set_title("mean +- std against depth (last step)")
    ax3.grid(alpha=0.3)
    return fig


def plot_dead_relus(recorder: ActivationRecorder, layers: Sequence[str] | None = None) -> Figure:
    """Fraction of dead units (never positive on the batch) per ReLU layer over training."""
    if not recorder.steps:
        raise ValueError("plot_dead_relus: nothing recorded yet; call recorder.record()")
    names = list(layers) if layers is not None else recorder.relu_layers()
    if not names:
        raise ValueError(f"plot_dead_relus: no ReLU layer found among {recorder.names}; name them with layers=[...]")
    unknown = [n for n in names if n not in recorder.dead]
    if unknown:
        raise ValueError(f"plot_dead_relus: unknown layers {unknown}; recorded layers are {recorder.names}")
    fig = Figure(figsize=(5.5, 3.6), layout="constrained")
    ax = fig.subplots()
    for n in names:
        ax.plot(recorder.steps, recorder.dead[n], marker="o" if len(recorder.steps) < 30 else None, ms=3, label=n)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("step")
    ax.set_ylabel("fraction of dead units")
    ax.set_title("dead ReLUs (never active on the batch)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


# ----------------------------------------------------------------------------- gradcheck


def plot_gradcheck(
    report_or_fn: GradcheckReport | Callable[..., Any],
    inputs: Any = None,
    names: Sequence[str] | None = None,
    eps: float = 1e-6,
    eps_values: Sequence[float] | None = None,
) -> Figure:
    """Analytic against numerical gradient per parameter, relative errors, and error against eps.

    Given a :class:`~tinygrad_edu.gradcheck.GradcheckReport`, only the relative-error panel can
    be drawn. Given ``fn`` and ``inputs`` (float64 tensors, as for ``gradcheck``), the figure
    also scatters every Jacobian entry, analytic against numerical, and shows the largest
    absolute error for each finite-difference step in ``eps_values`` (default 1e-10 ... 1e-1):
    it falls as eps^2 (truncation) until round-off, ~ 1/eps, takes over.
    """
    if isinstance(report_or_fn, GradcheckReport):
        report, fn = report_or_fn, None
    elif callable(report_or_fn):
        if inputs is None:
            raise ValueError("plot_gradcheck: give the inputs of the function")
        fn = report_or_fn
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        report = gradcheck_report(fn, inputs, eps=eps)
    else:
        raise TypeError(f"plot_gradcheck: expected a GradcheckReport or a function, got {type(report_or_fn).__name__}")
    labels = [
        names[k] if names and k < len(names) else f"input {r.index} {r.shape}" for k, r in enumerate(report.inputs)
    ]
    fig = Figure(figsize=(12 if fn else 5, 3.8), layout="constrained")
    axes = fig.subplots(1, 3 if fn else 1, squeeze=False)[0]
    ax_rel = axes[1] if fn else axes[0]
    rel = [max(r.max_rel_error, 1e-18) for r in report.inputs]
    colors = ["tab:green" if r.passed else "tab:red" for r in report.inputs]
    ax_rel.bar(range(len(rel)), rel, color=colors)
    ax_rel.axhline(report.rtol, color="k", ls="--", lw=1, label=f"rtol = {report.rtol:g}")
    ax_rel.set_yscale("log")
    ax_rel.set_xticks(range(len(rel)), labels, rotation=30, ha="right", fontsize=8)
    ax_rel.set_ylabel("relative error (worst element)")
    ax_rel.set_title(f"gradcheck {'passed' if report.passed else 'FAILED'} (eps={report.eps:g})")
    ax_rel.legend(fontsize=8)
    if fn is not None:
        _plot_jacobian_entries(axes[0], fn, inputs, labels, eps)
        _plot_error_against_eps(axes[2], fn, inputs, labels, eps_values)
    return fig


def _plot_jacobian_entries(ax: Any, fn: Callable[..., Any], inputs: tuple, labels: list[str], eps: float) -> None:
    """Every Jacobian entry, analytic (backward pass) against numerical (central difference)."""
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    analytic, m = analytic_jacobians(fn, inputs, wrt)
    numerical = numerical_jacobians(fn, inputs, wrt, eps, m)
    lo, hi = math.inf, -math.inf
    for label, a, n in zip(labels, analytic, numerical):
        a, n = backend.to_numpy(a).ravel(), backend.to_numpy(n).ravel()
        ax.scatter(n, a, s=12, label=label)
        if a.size:
            lo, hi = min(lo, a.min(), n.min()), max(hi, a.max(), n.max())
    if lo <= hi:
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
    ax.set_xlabel("numerical (central difference)")
    ax.set_ylabel("analytic (backward pass)")
    ax.set_title("Jacobian entries")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)


def _plot_error_against_eps(
    ax: Any, fn: Callable[..., Any], inputs: tuple, labels: list[str], eps_values: Sequence[float] | None
) -> None:
    """The largest error for each finite-difference step: eps^2 truncation, then 1/eps round-off."""
    steps = list(eps_values) if eps_values is not None else list(np.logspace(-10, -1, 10))
    errs = [gradcheck_report(fn, inputs, eps=float(e)) for e in steps]
    for k, label in enumerate(labels):
        ax.loglog(steps, [max(r.inputs[k].max_abs_error, 1e-18) for r in errs], marker="o", ms=3, label=label)
    ax.set_xlabel("finite-difference step eps")
    ax.set_ylabel("max |analytic - numerical|")
    ax.set_title("error against the step")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
