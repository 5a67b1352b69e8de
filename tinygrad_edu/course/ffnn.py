"""The lecture's feed-forward network class, ``FFNN``, with gradients from the autodiff engine.

    >>> from tinygrad_edu.course import *
    >>> net = FFNN((2, 4, 1), output_func=sigmoid, cost_func=CostLogReg, seed=2023)
    >>> scores = net.fit(X, t, Adam(eta=1e-1, rho=0.9, rho2=0.999), epochs=1000)
    >>> net.predict(X)

Notation: layer l computes z^l = a^(l-1) W^l + b^l and a^l = f(z^l), a^0 = X; ``weights[l]`` is
the lecture's (n_in + 1, n_out) matrix whose row 0 is b^l and rows 1.. are W^l. One training
step records the forward pass, and the engine's backward pass gives dC/dW^l and dC/db^l of the
cost C (plus lam/2 sum ||W^l||^2). The differences from the 2023 code, and the switch
``legacy=True`` that reproduces its numbers, are listed in docs/course.md.
"""

from __future__ import annotations

import copy
import math
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_edu import autograd
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.course.activations import derivate, sigmoid
from tinygrad_edu.course.costs import CostOLS
from tinygrad_edu.func import grad as _grad
from tinygrad_edu.tensor import Tensor

__all__ = ["FFNN"]

LEGACY_BIAS_INPUT = 0.01  # the original fed a constant 0.01 into each bias row


def _name(f: Any) -> str:
    return getattr(f, "__name__", "")


def _leaf(array: np.ndarray) -> Tensor:
    """A Tensor that shares ``array``'s memory and requires grad (weights stay NumPy arrays)."""
    return Tensor._make(array, "cpu").requires_grad_(True)


def _check_fit_settings(scheduler: Any, batches: Any, epochs: Any, n: int) -> None:
    """FFNN.fit's scheduler, number of batches and of epochs, each refused with the reason."""
    if not hasattr(scheduler, "update_change"):
        raise TypeError(f"FFNN.fit: scheduler must have update_change(), got {type(scheduler).__name__}")
    if isinstance(batches, bool) or not isinstance(batches, (int, np.integer)) or not 1 <= batches <= n:
        raise ValueError(f"FFNN.fit: batches must be an int in [1, {n}] (the number of batches), got {batches!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"FFNN.fit: epochs must be a non-negative int, got {epochs!r}")


class FFNN:
    """A feed-forward network: ``FFNN(dimensions, hidden_func, output_func, cost_func, seed)``.

    ``dimensions``: layer sizes (inputs, hidden..., outputs), e.g. (64, 100, 30, 10). The network
    is a classifier exactly when ``cost_func`` is ``CostLogReg`` or ``CostCrossEntropy``.
    ``seed``: the same seed gives the same initial weights as the lecture's code, and the same
    shuffles. ``legacy=True`` (keyword) runs the 2023 code's algorithm, defects included, to
    reproduce its numbers; see docs/course.md.
    """

    def __init__(
        self,
        dimensions: tuple[int, ...],
        hidden_func: Callable[[Any], Any] = sigmoid,
        output_func: Callable[[Any], Any] = lambda x: x,
        cost_func: Callable[[Any], Callable[[Any], Any]] = CostOLS,
        seed: int | None = None,
        *,
        legacy: bool = False,
    ) -> None:
        dims = tuple(dimensions) if isinstance(dimensions, (tuple, list)) else None
        if (
            dims is None
            or len(dims) < 2
            or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1 for d in dims)
        ):
            raise ValueError(f"FFNN: dimensions must be a tuple of at least two positive ints, got {dimensions!r}")
        for name, f in (("hidden_func", hidden_func), ("output_func", output_func), ("cost_func", cost_func)):
            if not callable(f):
                raise TypeError(f"FFNN: {name} must be a function, got {type(f).__name__}")
        self.dimensions = tuple(int(d) for d in dims)
        self.hidden_func = hidden_func
        self.output_func = output_func
        self.cost_func = cost_func
        self.seed = seed
        self.legacy = bool(legacy)
        self.weights: list[np.ndarray] = []
        self.schedulers_weight: list[Any] = []
        self.schedulers_bias: list[Any] = []
        self.a_matrices: list[np.ndarray] = []
        self.z_matrices: list[np.ndarray] = []
        self.classification: bool = False
        self.reset_weights()
        self._set_classification()

    # ------------------------------------------------------------------ set-up

    def reset_weights(self) -> None:
        """Draw new weights: W ~ N(0, 1/n_in) and a small bias row b ~ N(0, 0.01^2).

        The draws are the lecture's (with a ``seed``, those of ``np.random.seed(seed)`` there, taken
        from a private generator so the global NumPy state is left alone), with W scaled by
        1/sqrt(n_in) so that z starts with unit variance whatever the layer's width; the lecture's
        unscaled N(0, 1) saturates a 100-unit layer (``legacy=True`` keeps it).
        """
        rs = np.random.RandomState(self.seed)
        self.weights = []
        for n_in, n_out in zip(self.dimensions[:-1], self.dimensions[1:]):
            w = rs.randn(n_in + 1, n_out)
            w[0, :] = rs.randn(n_out) * 0.01
            if not self.legacy:
                w[1:] /= math.sqrt(n_in)
            self.weights.append(w)

    def _set_classification(self) -> None:
        self.classification = _name(self.cost_func) in ("CostLogReg", "CostCrossEntropy")
        # Several outputs with a softmax or the cross-entropy are one-of-K classes: predict the arg-max.
        self._multiclass = (
            self.classification
            and self.dimensions[-1] > 1
            and (_name(self.cost_func) == "CostCrossEntropy" or _name(self.output_func) == "softmax")
        )

    def _check_X(self, X: Any, what: str) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        if X.ndim != 2 or X.shape[1] != self.dimensions[0]:
            raise ValueError(f"FFNN: {what} must have shape (n, {self.dimensions[0]}), got {X.shape}")
        return X

    def _check_t(self, t: Any, X: np.ndarray, what: str) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        if t.ndim == 1 and self.dimensions[-1] == 1:
            raise ValueError(f"FFNN: {what} must be 2-D, shape ({len(t)}, 1); use {what}.reshape(-1, 1)")
        if t.ndim == 1:
            raise ValueError(
                f"FFNN: {what} must be one-hot rows of shape ({len(t)}, {self.dimensions[-1]}); use onehot({what})"
            )
        if t.ndim != 2 or t.shape != (X.shape[0], self.dimensions[-1]):
            raise ValueError(f"FFNN: {what} must have shape ({X.shape[0]}, {self.dimensions[-1]}), got {t.shape}")
        return t

    # ------------------------------------------------------------------ forward

    def _feedforward(self, X: Any, params: list[tuple[Any, Any]] | None = None) -> Any:
        """The output a^L, keeping every z^l and a^l. ``params``: (W^l, b^l) pairs, by default views
        of ``weights``; Tensors that require grad (a training step) get the pass recorded."""
        bias_in = LEGACY_BIAS_INPUT if self.legacy else 1.0
        if params is None:
            params = [(w[1:], w[:1]) for w in self.weights]
        a = X
        self.a_matrices, self.z_matrices = [a], [a]
        for i, (W, b) in enumerate(params):
            z = a @ W + bias_in * b
            a = self.hidden_func(z) if i < len(params) - 1 else self.output_func(z)
            self.z_matrices.append(z)
            self.a_matrices.append(a)
        return a

    def _probabilities(self, X: np.ndarray) -> np.ndarray:
        with no_grad():
            a = self._feedforward(X)
        return a.numpy() if isinstance(a, Tensor) else np.asarray(a)

    def predict(self, X: Any, *, threshold: float = 0.5) -> np.ndarray:
        """Regression: the output a^L. Classification: 0/1 labels, the arg-max as one-hot rows for
        one-of-K classes, else a^L > threshold per output (``legacy``: always the threshold)."""
        a = self._probabilities(self._check_X(X, "X"))
        if not self.classification:
            return a
        if self._multiclass and not self.legacy:
            out = np.zeros(a.shape, dtype=np.int64)
            out[np.arange(len(a)), np.argmax(a, axis=1)] = 1
            return out
        return np.where(a > threshold, 1, 0)

    def _accuracy(self, prediction: np.ndarray, target: np.ndarray) -> float:
        """Fraction of samples whose predicted row equals the target row (``legacy``: of matrix elements)."""
        if self.legacy:
            return float(np.average(target == prediction))
        return float(np.mean(np.all(prediction == target, axis=1)))

    # ------------------------------------------------------------------ training

    def _gradients(self, X: np.ndarray, t: np.ndarray, lam: float) -> list[tuple[Any, Any]]:
        """(dC/db, dC/dW) per layer from one recorded forward pass and the engine's backward pass."""
        leaves = [(_leaf(w[1:]), _leaf(w[:1])) for w in self.weights]
        a = self._feedforward(Tensor._make(X, "cpu"), leaves)
        cost = self._training_cost(t, a, self.z_matrices[-1])
        if lam:
            cost = cost + (lam / 2) * sum(((W * W).sum() for W, _ in leaves), Tensor._make(np.float64(0.0), "cpu"))
        flat = [p for pair in leaves for p in pair]
        grads = autograd.grad(cost, flat)
        return [(grads[2 * i + 1].data, grads[2 * i].data) for i in range(len(leaves))]

    def _training_cost(self, t: np.ndarray, a: Tensor, z: Tensor) -> Tensor:
        """The cost C to differentiate. For softmax + CostCrossEntropy and sigmoid + CostLogReg it is
        computed from z (log-softmax, log-sigmoid): the same C without the 1e-9 guard inside the log,
        whose gradient (a - t) / t.size, resp. (a - t) / n, does not vanish when an output saturates."""
        cost, out = _name(self.cost_func), _name(self.output_func)
        if cost == "CostCrossEntropy" and out == "softmax":
            return -(1.0 / t.size) * (t * z.log_softmax(axis=-1)).sum()
        if cost == "CostLogReg" and out == "sigmoid":
            # log sigma(z) = -softplus(-z), log(1 - sigma(z)) = -softplus(z)
            return (1.0 / t.shape[0]) * (t * (-z).softplus() + (1 - t) * z.softplus()).sum()
        return self.cost_func(t)(a)

    def _legacy_step(self, X: np.ndarray, t: np.ndarray, lam: float) -> None:
        """The 2023 code's hand-written back-propagation, kept to reproduce its numbers.

        Its derivatives come from this engine as the original's came from HIPS autograd. Defects kept:
        delta = a - t for a softmax output whatever the cost; bias gradient sum(delta) although the
        bias input is 0.01; and each layer's delta uses the layer above *after* its update.
        """
        self._feedforward(X)
        out_derivative = derivate(self.output_func)
        hidden_derivative = derivate(self.hidden_func)
        delta = None
        for i in range(len(self.weights) - 1, -1, -1):
            if i == len(self.weights) - 1:
                if _name(self.output_func) == "softmax":
                    delta = self.a_matrices[i + 1] - t
                else:
                    cost_derivative = _grad(self.cost_func(t))
                    delta = out_derivative(self.z_matrices[i + 1]) * cost_derivative(self.a_matrices[i + 1])
            else:
                delta = (self.weights[i + 1][1:, :] @ delta.T).T * hidden_derivative(self.z_matrices[i + 1])
            gradient_weights = self.a_matrices[i].T @ delta + self.weights[i][1:, :] * lam
            gradient_bias = np.sum(delta, axis=0).reshape(1, delta.shape[1])
            self.weights[i] -= np.vstack(
                [
                    self.schedulers_bias[i].update_change(gradient_bias),
                    self.schedulers_weight[i].update_change(gradient_weights),
                ]
            )

    def _step(self, X: np.ndarray, t: np.ndarray, lam: float) -> None:
        if self.legacy:
            self._legacy_step(X, t, lam)
            return
        grads = self._gradients(X, t, lam)
        # All gradients first, then all updates: every layer sees the same weights.
        for i, (gb, gW) in enumerate(grads):
            self.weights[i][:1] -= self.schedulers_bias[i].update_change(gb)
            self.weights[i][1:] -= self.schedulers_weight[i].update_change(gW)

    def _metrics(self, X: np.ndarray, t: np.ndarray) -> tuple[float, float]:
        """(error, accuracy) on (X, t); accuracy is nan for regression."""
        with np.errstate(over="ignore", invalid="ignore"):  # a non-finite error is reported by fit itself
            return self._metrics_unchecked(X, t)

    def _metrics_unchecked(self, X: np.ndarray, t: np.ndarray) -> tuple[float, float]:
        if self.legacy:  # the original: cost and accuracy of the thresholded predictions
            pred = self.predict(X)
            err = float(self.cost_func(t)(pred))
            return err, self._accuracy(pred, t) if self.classification else math.nan
        a = self._probabilities(X)
        err = float(self.cost_func(t)(a))
        if not self.classification:
            return err, math.nan
        if self._multiclass:
            return err, float(np.mean(np.argmax(a, axis=1) == np.argmax(t, axis=1)))
        return err, self._accuracy(np.where(a > 0.5, 1, 0), t)

    def fit(
        self,
        X: Any,
        t: Any,
        scheduler: Any,
        batches: int = 1,
        epochs: int = 100,
        lam: float = 0,
        X_val: Any = None,
        t_val: Any = None,
        *,
        verbose: bool = True,
    ) -> dict[str, np.ndarray]:
        """Train for ``epochs`` passes over (X, t) in ``batches`` mini-batches; return the scores.

        ``t`` is 2-D (one-hot rows for several classes). ``scheduler`` is copied for every weight
        matrix and every bias row. Each epoch visits every sample once, in a new random order
        (from ``seed``). ``lam`` adds lam/2 sum ||W||^2 to the cost. The scores dict holds arrays of
        length ``epochs``: ``train_errors`` (the cost C on the training set after each epoch),
        ``val_errors`` (with X_val, t_val), ``train_accs`` and ``val_accs`` (classifiers; fraction
        of samples classified right). Ctrl-C stops cleanly; unfinished epochs stay NaN.
        """
        X = self._check_X(X, "X")
        t = self._check_t(t, X, "t")
        val_set = X_val is not None and t_val is not None
        if val_set:
            X_val = self._check_X(X_val, "X_val")
            t_val = self._check_t(t_val, X_val, "t_val")
        _check_fit_settings(scheduler, batches, epochs, len(X))

        scores = {k: np.full(epochs, np.nan) for k in ("train_errors", "val_errors", "train_accs", "val_accs")}
        rs = np.random.RandomState(self.seed)
        if self.legacy:  # the original "shuffle": one bootstrap resample, drawn once (sklearn.utils.resample)
            idx = rs.randint(0, len(X), size=len(X))
            X, t = X[idx], t[idx]
        self._copy_schedulers(scheduler)
        bar = _Progress(epochs, verbose)
        bar.header(f"{type(scheduler).__name__}: Eta={getattr(scheduler, 'eta', '?')}, Lambda={lam}")
        e = -1
        try:
            for e in range(epochs):
                self._train_epoch(X, t, rs, batches, lam)
                scores["train_errors"][e], scores["train_accs"][e] = self._metrics(X, t)
                if val_set:
                    scores["val_errors"][e], scores["val_accs"][e] = self._metrics(X_val, t_val)
                bar.update(e, {k: v[e] for k, v in scores.items()})
                if not math.isfinite(scores["train_errors"][e]):
                    warnings.warn(
                        f"FFNN.fit: the training error became {scores['train_errors'][e]} in epoch {e + 1}; stopped. "
                        "Lower eta (or the scheduler's momentum), or standardize the inputs.",
                        RuntimeWarning,
                        stacklevel=2,
                    )
                    break
        except KeyboardInterrupt:
            bar.message(f"interrupted (Ctrl-C) during epoch {e + 1}; returning the scores so far")
        bar.close()
        keys = ["train_errors"] + (["val_errors"] if val_set else [])
        keys += (["train_accs"] + (["val_accs"] if val_set else [])) if self.classification else []
        return {k: scores[k] for k in keys}

    def _copy_schedulers(self, scheduler: Any) -> None:
        """One copy of ``scheduler`` per weight matrix and per bias row (legacy: shallow copies, as the original)."""
        self.schedulers_weight, self.schedulers_bias = [], []
        for _ in self.weights:
            for group in (self.schedulers_weight, self.schedulers_bias):
                s = copy.copy(scheduler) if self.legacy else copy.deepcopy(scheduler)
                if self.legacy and hasattr(s, "legacy"):
                    s.legacy = True
                elif not self.legacy and hasattr(s, "reset"):
                    s.reset()
                group.append(s)

    def _train_epoch(self, X: np.ndarray, t: np.ndarray, rs: np.random.RandomState, batches: int, lam: float) -> None:
        """One pass over (X, t) in ``batches`` mini-batches, in a new random order (legacy: in order)."""
        batch_size = len(X) // batches
        order = rs.permutation(len(X)) if batches > 1 and not self.legacy else None
        for i in range(batches):
            stop = len(X) if i == batches - 1 else (i + 1) * batch_size  # the last batch takes the rest
            rows = slice(i * batch_size, stop) if order is None else order[i * batch_size : stop]
            self._step(X[rows], t[rows], lam)
        if self.legacy:
            for s in self.schedulers_weight + self.schedulers_bias:
                s.reset()

    def __repr__(self) -> str:
        extra = ", legacy=True" if self.legacy else ""
        return (
            f"FFNN({self.dimensions}, hidden_func={_name(self.hidden_func)}, output_func={_name(self.output_func)}, "
            f"cost_func={_name(self.cost_func)}, seed={self.seed}{extra})"
        )


class _Progress:
    """The lecture's progress line, ``[=======>      ]  45.00%  train_error: ...``, drawn by tqdm."""

    _NAMES = (("train_errors", "train_error"), ("train_accs", "train_acc"), ("val_errors", "val_error"))
    _NAMES += (("val_accs", "val_acc"),)

    def __init__(self, epochs: int, enabled: bool) -> None:
        self.epochs, self.enabled, self.bar = epochs, enabled, None

    def header(self, text: str) -> None:
        if self.enabled:
            print(text, flush=True)

    def update(self, e: int, values: dict[str, float]) -> None:
        if not self.enabled:
            return
        if self.bar is None:  # made at the first epoch, so that the header comes first
            from tqdm import tqdm  # the text bar of the lecture, also in a notebook

            self.bar = tqdm(
                total=self.epochs,
                file=sys.stdout,
                ascii=" >=",
                bar_format="  [{bar:40}] {percentage:6.2f}%  {desc}",  # the scores as the description
                mininterval=0.1,
            )
        shown = [f"{name}: {values[key]:.4g}" for key, name in self._NAMES if not math.isnan(values[key])]
        self.bar.set_description_str("  ".join(shown), refresh=False)
        self.bar.update(e + 1 - self.bar.n)

    def message(self, text: str) -> None:
        if self.enabled:
            (self.bar.write if self.bar is not None else print)(text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
