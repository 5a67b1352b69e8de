"""scikit-learn estimators on this engine: :class:`MLPClassifier` and :class:`MLPRegressor`.

They follow scikit-learn's estimator contract, so they work in ``Pipeline``, ``GridSearchCV``,
``RandomizedSearchCV`` and ``cross_val_score`` (also with ``n_jobs``, and on a Dask cluster
through joblib's Dask backend; see docs/sklearn.md)::

    from sklearn.model_selection import GridSearchCV
    from tinygrad_edu.sklearn import MLPClassifier

    search = GridSearchCV(MLPClassifier(hidden_layer_sizes=(100, 30)),
                          {"learning_rate": [1e-3, 1e-2], "alpha": [1e-4, 1e-2]}, n_jobs=2)
    search.fit(X, y)

Each hidden layer is ``Linear -> [BatchNorm1d] -> activation -> [Dropout]``; the output layer is
linear, trained with the softmax cross-entropy (classifier) or half the mean squared error
(regressor), plus the L2 penalty alpha / (2 n_batch) sum ||W||^2 on the weights, as
scikit-learn's own ``MLPClassifier``. ``random_state`` fixes initialization, shuffling, the
validation split and dropout, without touching any global random state.
"""

from __future__ import annotations

import copy
import math
import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

import tinygrad_edu.nn.functional as F
from tinygrad_edu import backend, nn, optim
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.models import ACTIVATIONS
from tinygrad_edu.tensor import Tensor

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - older scikit-learn

    def validate_data(estimator: Any, X: Any = "no_validation", y: Any = "no_validation", **kw: Any) -> Any:
        return estimator._validate_data(X, y, **kw)


__all__ = ["MLPClassifier", "MLPRegressor"]

_ACTIVATIONS = {**ACTIVATIONS, "logistic": ACTIVATIONS["sigmoid"]}  # "logistic" is scikit-learn's name


def _make_optimizer(name: str, params: list[Any], lr: float) -> optim.Optimizer:
    if name == "adam":
        return optim.Adam(params, lr=lr)
    if name == "sgd":  # scikit-learn's defaults for its "sgd" solver
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr)
    if name == "adagrad":
        return optim.Adagrad(params, lr=lr)
    return optim.AdagradMomentum(params, lr=lr)


_OPTIMIZERS = ("adam", "sgd", "rmsprop", "adagrad", "adagrad_momentum")


def _filled_below(weight: Tensor) -> None:
    """No draw from the global generator: ``_build`` fills the weights from the estimator's own."""


class _Dropout(nn.Module):
    """Inverted dropout drawing its masks from the estimator's own generator (reproducible with random_state)."""

    def __init__(self, p: float, gen: np.random.Generator) -> None:
        super().__init__()
        self.p = p
        self.gen = gen

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = backend.random("bernoulli", tuple(x.shape), x.dtype, x.device, p=1.0 - self.p, generator=self.gen)
        return x * Tensor._make(keep * (1.0 / (1.0 - self.p)), x.device)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class _BaseMLP(BaseEstimator):
    """Shared training code; the subclasses say what the outputs are and how they are scored."""

    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] = (100,),
        activation: str = "relu",
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        alpha: float = 1e-4,
        batch_size: int | str = "auto",
        epochs: int = 200,
        dropout: float = 0.0,
        batch_norm: bool = False,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        random_state: Any = None,
        device: str = "cpu",
        verbose: bool = False,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.batch_size = batch_size
        self.epochs = epochs
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ checks

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if any(isinstance(s, bool) or not isinstance(s, Integral) or s < 1 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}")
        return [int(s) for s in sizes]

    def _check_params(self) -> None:
        name = type(self).__name__

        def number(param: str, low: float, high: float, kind: type = Real, low_open: bool = False) -> None:
            v = getattr(self, param)
            ok = isinstance(v, kind) and not isinstance(v, bool) and (v > low if low_open else v >= low) and v <= high
            if not ok:
                side = "(" if low_open else "["
                raise ValueError(f"{name}: {param} must be a number in {side}{low}, {high}], got {v!r}")

        self._hidden_sizes()
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"{name}: activation must be one of {sorted(_ACTIVATIONS)}, got {self.activation!r}")
        if self.optimizer not in _OPTIMIZERS:
            raise ValueError(f"{name}: optimizer must be one of {list(_OPTIMIZERS)}, got {self.optimizer!r}")
        number("learning_rate", 0.0, math.inf, low_open=True)
        number("alpha", 0.0, math.inf)
        number("epochs", 1, math.inf, Integral)
        number("dropout", 0.0, 1.0)
        if self.dropout == 1.0:
            raise ValueError(f"{name}: dropout must be below 1, got 1.0")
        number("validation_fraction", 0.0, 1.0, low_open=True)
        number("n_iter_no_change", 1, math.inf, Integral)
        number("tol", 0.0, math.inf)
        if self.batch_size != "auto":
            number("batch_size", 1, math.inf, Integral)
        backend.check_device(self.device)

    # ------------------------------------------------------------------ the network

    def _build(self, n_in: int, n_out: int, gen: np.random.Generator) -> nn.Sequential:
        sizes = [n_in, *self._hidden_sizes(), n_out]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            lin = nn.Linear(a, b, init=_filled_below)
            # Glorot-uniform initialization from our own generator (scikit-learn's rule).
            bound = math.sqrt((2.0 if self.activation in ("logistic", "sigmoid") else 6.0) / (a + b))
            lin.weight.data[...] = gen.uniform(-bound, bound, size=(b, a))
            lin.bias.data[...] = gen.uniform(-bound, bound, size=b)
            layers.append(lin)
            if i < len(sizes) - 2:
                if self.batch_norm:
                    layers.append(nn.BatchNorm1d(b))
                layers.append(_ACTIVATIONS[self.activation]())
                if self.dropout > 0:
                    layers.append(_Dropout(float(self.dropout), gen))
        return nn.Sequential(*layers).to(self.device)

    def _forward(self, X: np.ndarray) -> np.ndarray:
        """The network's outputs (logits or predictions) on the host, in evaluation mode."""
        model = self.model_
        model.eval()
        out = []
        with no_grad():
            for start in range(0, len(X), 4096):
                xb = Tensor._make(backend.to_device(X[start : start + 4096], self.device), self.device)
                out.append(model(xb).numpy())
        return np.concatenate(out) if out else np.zeros((0, self.n_outputs_))

    def _loss(self, out: Tensor, yb: Tensor) -> Tensor:
        raise NotImplementedError

    def _penalty(self, n: int) -> Tensor | float:
        if not self.alpha:
            return 0.0
        total = None
        for layer in self.model_:
            if isinstance(layer, nn.Linear):
                sq = (layer.weight * layer.weight).sum()
                total = sq if total is None else total + sq
        return total * (0.5 * self.alpha / n)

    # ------------------------------------------------------------------ training

    def _initialize(self, n_features: int, n_outputs: int, gen: np.random.Generator) -> None:
        self.n_outputs_ = n_outputs
        self.model_ = self._build(n_features, n_outputs, gen)
        self.optimizer_ = _make_optimizer(self.optimizer, list(self.model_.parameters()), float(self.learning_rate))
        self._gen = gen
        self.loss_curve_: list[float] = []
        self.n_iter_ = 0
        self.t_ = 0
        self.best_loss_ = math.inf
        self.validation_scores_: list[float] | None = [] if self.early_stopping else None
        self.best_validation_score_: float | None = -math.inf if self.early_stopping else None

    def _epoch(self, X: np.ndarray, y: np.ndarray) -> float:
        """One pass over (X, y) in shuffled mini-batches; returns the mean loss (penalty included)."""
        n = len(X)
        bs = min(200, n) if self.batch_size == "auto" else min(int(self.batch_size), n)
        order = self._gen.permutation(n)
        Xd = backend.to_device(X, self.device)
        yd = backend.to_device(y, self.device)
        self.model_.train()
        total = 0.0
        for start in range(0, n, bs):
            idx = order[start : start + bs]
            if self.device != "cpu":
                idx = backend.to_device(idx, self.device)
            xb, yb = Tensor._make(Xd[idx], self.device), Tensor._make(yd[idx], self.device)
            loss = self._loss(self.model_(xb), yb) + self._penalty(len(idx))
            self.optimizer_.zero_grad()
            loss.backward()
            self.optimizer_.step()
            total += float(loss.data) * len(idx)
            self.t_ += 1
        return total / n

    def _train(self, X: np.ndarray, y: np.ndarray, incremental: bool) -> None:
        X_val = y_val = None
        if self.early_stopping and not incremental:
            X, X_val, y, y_val = self._validation_split(X, y)
        epochs = 1 if incremental else int(self.epochs)
        no_improve, best_state = 0, None
        for _ in range(epochs):
            loss = self._epoch(X, y)
            if not math.isfinite(loss):
                raise ValueError(
                    f"{type(self).__name__}: the training loss became {loss} after {self.n_iter_ + 1} epochs; "
                    "lower learning_rate or scale the inputs (e.g. StandardScaler in a Pipeline)"
                )
            self.n_iter_ += 1
            self.loss_curve_.append(loss)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
            if incremental:
                self.best_loss_ = min(self.best_loss_, loss)
                continue
            if X_val is not None:  # early stopping on the validation score, as scikit-learn
                score = float(self._score_arrays(X_val, y_val))
                self.validation_scores_.append(score)
                no_improve = no_improve + 1 if score < self.best_validation_score_ + self.tol else 0
                if score > self.best_validation_score_:
                    self.best_validation_score_ = score
                    best_state = copy.deepcopy(self.model_.state_dict())
            else:
                no_improve = no_improve + 1 if loss > self.best_loss_ - self.tol else 0
            self.best_loss_ = min(self.best_loss_, loss)
            if no_improve > self.n_iter_no_change:
                break
        else:
            if not incremental:
                warnings.warn(
                    f"{type(self).__name__}: reached epochs={self.epochs} before the loss stopped improving by "
                    f"tol={self.tol} for {self.n_iter_no_change} epochs; raise epochs or learning_rate.",
                    ConvergenceWarning,
                    stacklevel=3,
                )
        if best_state is not None:
            self.model_.load_state_dict(best_state)
        self.model_.eval()

    def _validation_split(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        from sklearn.model_selection import train_test_split

        n_val = max(1, int(round(self.validation_fraction * len(X))))
        if n_val >= len(X):
            raise ValueError(f"{type(self).__name__}: early_stopping needs more than {len(X)} samples")
        stratify = y if isinstance(self, ClassifierMixin) and np.min(np.bincount(y)) >= 2 else None
        seed = int(self._gen.integers(2**31 - 1))
        return tuple(train_test_split(X, y, test_size=n_val, random_state=seed, stratify=stratify))

    def _new_generator(self) -> np.random.Generator:
        # An int random_state gives the same network every fit; None draws from NumPy's global state.
        return np.random.default_rng(check_random_state(self.random_state).randint(2**31 - 1))

    def _validate_X(self, X: Any, reset: bool) -> np.ndarray:
        return validate_data(self, X, reset=reset, dtype=np.float64)

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"multioutput": isinstance(self, RegressorMixin)}

    def __sklearn_tags__(self) -> Any:  # scikit-learn >= 1.6; the subclasses add theirs
        return super().__sklearn_tags__()


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multilayer perceptron classifier trained with the softmax cross-entropy.

    Hyper-parameters: ``hidden_layer_sizes`` (neurons per hidden layer), ``activation`` (``"relu"``,
    ``"leaky_relu"``, ``"tanh"``, ``"logistic"``/``"sigmoid"``, ``"elu"``, ``"gelu"``, ``"identity"``),
    ``optimizer`` (``"adam"``, ``"sgd"`` with Nesterov momentum 0.9, ``"rmsprop"``, ``"adagrad"``,
    ``"adagrad_momentum"``), ``learning_rate`` (eta), ``alpha`` (L2 strength lambda), ``batch_size``
    (``"auto"`` = min(200, n)), ``epochs`` (at most; training stops once the loss improves by less
    than ``tol`` for ``n_iter_no_change`` epochs), ``dropout``, ``batch_norm``, ``early_stopping``
    (hold out ``validation_fraction`` and keep the weights with the best accuracy on it),
    ``random_state`` and ``device`` (``"cpu"`` or ``"cuda"``).

    Fitted attributes: ``classes_``, ``n_features_in_``, ``loss_curve_``, ``n_iter_``, ``best_loss_``,
    ``model_`` (the trained ``nn.Sequential``, returning logits), ``optimizer_``.
    """

    def _loss(self, out: Tensor, yb: Tensor) -> Tensor:
        return F.cross_entropy(out, yb)

    def _encode(self, y: np.ndarray) -> np.ndarray:
        if not np.all(np.isin(y, self.classes_)):
            unknown = np.setdiff1d(np.unique(y), self.classes_)
            raise ValueError(
                f"MLPClassifier: y contains labels {unknown[:5].tolist()} not in classes_ {self.classes_.tolist()}"
            )
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        """Train a new network on X (n_samples, n_features) and class labels y (n_samples,)."""
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"MLPClassifier: needs samples of at least 2 classes to learn from, got 1 class {self.classes_[0]!r}"
            )
        self._initialize(X.shape[1], len(self.classes_), self._new_generator())
        self._train(X, self._encode(y), incremental=False)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> MLPClassifier:
        """One epoch over (X, y), continuing from the current weights. ``classes`` is required on the first call."""
        first = not hasattr(self, "model_")
        if first:
            self._check_params()
            if classes is None:
                raise ValueError("MLPClassifier.partial_fit: pass classes=... (all the labels) on the first call")
            X, y = validate_data(self, X, y, dtype=np.float64, reset=True)
            check_classification_targets(y)
            self.classes_ = np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError("MLPClassifier.partial_fit: classes must hold at least 2 labels")
            self._initialize(X.shape[1], len(self.classes_), self._new_generator())
        else:
            X, y = validate_data(self, X, y, dtype=np.float64, reset=False)
            if classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
                raise ValueError(f"MLPClassifier.partial_fit: classes {classes!r} differ from classes_ {self.classes_}")
        self._train(X, self._encode(y), incremental=True)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities softmax(z^L), columns in the order of ``classes_``."""
        check_is_fitted(self)
        logits = self._forward(self._validate_X(X, reset=False))
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """log of :meth:`predict_proba`, computed stably from the logits."""
        check_is_fitted(self)
        logits = self._forward(self._validate_X(X, reset=False))
        shifted = logits - logits.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class for each sample."""
        check_is_fitted(self)
        logits = self._forward(self._validate_X(X, reset=False))
        return self.classes_[np.argmax(logits, axis=1)]

    def _score_arrays(self, X: np.ndarray, y_enc: np.ndarray) -> float:
        return float(np.mean(np.argmax(self._forward(X), axis=1) == y_enc))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multilayer perceptron regressor trained with half the mean squared error (one or several outputs).

    Same hyper-parameters as :class:`MLPClassifier`; ``early_stopping`` keeps the weights with the
    best R^2 on the held-out part. ``predict`` returns shape (n,) when ``y`` was 1-D.
    """

    def _loss(self, out: Tensor, yb: Tensor) -> Tensor:
        return 0.5 * F.mse_loss(out, yb)

    def _targets(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=True, reset=reset)
        y = np.asarray(y, dtype=np.float64)
        if reset:
            self._y_ndim = y.ndim
        return X, y.reshape(len(y), -1)

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        """Train a new network on X (n_samples, n_features) and targets y (n_samples,) or (n_samples, n_outputs)."""
        self._check_params()
        X, y = self._targets(X, y, reset=True)
        self._initialize(X.shape[1], y.shape[1], self._new_generator())
        self._train(X, y, incremental=False)
        return self

    def partial_fit(self, X: Any, y: Any) -> MLPRegressor:
        """One epoch over (X, y), continuing from the current weights (a new network on the first call)."""
        first = not hasattr(self, "model_")
        if first:
            self._check_params()
        X, y = self._targets(X, y, reset=first)
        if first:
            self._initialize(X.shape[1], y.shape[1], self._new_generator())
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(f"MLPRegressor.partial_fit: y has {y.shape[1]} outputs, the network {self.n_outputs_}")
        self._train(X, y, incremental=True)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The network's output a^L for each sample."""
        check_is_fitted(self)
        out = self._forward(self._validate_X(X, reset=False))
        return out.ravel() if self._y_ndim == 1 else out

    def _score_arrays(self, X: np.ndarray, y: np.ndarray) -> float:
        from sklearn.metrics import r2_score

        return float(r2_score(y, self._forward(X)))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
