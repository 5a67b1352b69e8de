"""Data sets and mini-batches: logic gates, scikit-learn's digits, MNIST and Fashion-MNIST.

>>> X, y = gates("xor")                      # the four rows of a truth table
>>> X, y = load_digits()                     # 1,797 8x8 images, pixels 0..16
>>> X, y = load_fashion_mnist(split="train")  # 60,000 28x28 images, pixels scaled to [0, 1]
>>> X_tr, X_val, X_te, y_tr, y_val, y_te = train_val_test_split(X, y, val=0.1, test=0.2, seed=0)
>>> X_tr, X_val, X_te = standardize(X_tr, X_val, X_te)   # mean and std of the training set only
>>> for xb, yb in DataLoader(X_tr, y_tr, batch_size=64, seed=0): ...

MNIST and Fashion-MNIST are read from their IDX files by :mod:`tinygrad_edu.datasets` (where
the files are looked for, downloads and SHA-256 checks are described there); the loaders are
re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from tinygrad_edu import backend
from tinygrad_edu.datasets import (
    DATASETS,
    FASHION_CLASSES,
    ChecksumError,
    DatasetNotFoundError,
    cache_dir,
    fetch,
    find_dataset,
    load_fashion_mnist,
    load_mnist,
    read_idx,
)
from tinygrad_edu.ops.functions import one_hot as _engine_one_hot
from tinygrad_edu.tensor import Tensor

# The loaders of datasets.py are re-exported here by name on purpose: data is where students look.
__all__ = [
    "gates",
    "load_digits",
    "load_mnist",
    "load_fashion_mnist",
    "read_idx",
    "find_dataset",
    "fetch",
    "cache_dir",
    "one_hot",
    "standardize",
    "Standardizer",
    "train_val_test_split",
    "check_classes",
    "DataLoader",
    "DatasetNotFoundError",
    "ChecksumError",
    "DATASETS",
    "FASHION_CLASSES",
]

# --------------------------------------------------------------------------- small data sets

_GATES = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "xor": (0, 1, 1, 0),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xnor": (1, 0, 0, 1),
}


def gates(name: str = "xor") -> tuple[np.ndarray, np.ndarray]:
    """The truth table of a logic gate: ``X`` of shape (4, 2) and targets ``y`` of shape (4, 1), as floats.

    ``name`` is one of ``"and"``, ``"or"``, ``"xor"``, ``"nand"``, ``"nor"``, ``"xnor"``. Rows are
    (0,0), (0,1), (1,0), (1,1). XOR is the classic problem no model without a hidden layer can solve.
    """
    key = str(name).lower()
    if key not in _GATES:
        raise ValueError(f"gates: unknown gate {name!r}; choose one of {', '.join(sorted(_GATES))}")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array(_GATES[key], dtype=np.float64).reshape(4, 1)
    return X, y


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits: ``X`` (1797, 64) float64 with raw pixel values 0..16, ``y`` (1797,) int64.

    The images are 8x8 (``X.reshape(-1, 8, 8)``). The pixels are returned unscaled, as in the
    lecture; pass them through :func:`standardize` (fit on the training part) before training.
    """
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError:  # pragma: no cover - scikit-learn is an optional extra
        raise ImportError(
            "load_digits needs scikit-learn (it ships the data set); install it with "
            "`pip install tinygrad-edu[sklearn]`"
        ) from None
    bunch = _sk_load_digits()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)


# --------------------------------------------------------------------------- preprocessing


def one_hot(y: Any, num_classes: int | None = None, dtype: Any = np.float64) -> np.ndarray:
    """Integer labels (n,) as a one-hot matrix (n, num_classes), on the host (``tinygrad_edu.one_hot`` for tensors)."""
    y = np.asarray(y)
    if y.dtype.kind == "f" and np.all(y == np.round(y)):  # labels read as floats, e.g. from a CSV
        y = y.astype(np.int64)
    return _engine_one_hot(y.reshape(-1), -1 if num_classes is None else num_classes).numpy().astype(dtype, copy=False)


class Standardizer:
    """``x -> (x - mean) / std`` with mean and std fit on the training set only.

    ``per_feature=True`` (tabular data): one mean and std per feature. Features with zero spread
    are left centred with a scale of 1, as scikit-learn's ``StandardScaler`` does.
    ``per_feature=False`` (images): one mean and std over all pixels, as PyTorch's MNIST examples
    do. Per pixel, a pixel that is almost always blank in training gets a tiny std, and a new image
    that inks it lands hundreds of standard deviations out. Attributes: ``mean_``, ``scale_``.
    """

    def __init__(self, per_feature: bool = True) -> None:
        self.per_feature = per_feature
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, X: Any) -> Standardizer:
        X = np.asarray(X)
        if X.ndim < 1 or len(X) == 0:
            raise ValueError(f"Standardizer.fit: need at least one sample, got shape {X.shape}")
        if not self.per_feature:
            mean, std = np.float64(X.mean(dtype=np.float64)), np.float64(X.std(dtype=np.float64))
            self.mean_ = np.full(X.shape[1:], mean)
            self.scale_ = np.full(X.shape[1:], std if std > np.finfo(np.float64).eps * max(1.0, abs(mean)) else 1.0)
            return self
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        self.scale_ = np.where(std > np.finfo(np.float64).eps * np.maximum(1.0, np.abs(self.mean_)), std, 1.0)
        return self

    def transform(self, X: Any) -> np.ndarray:
        if self.mean_ is None:
            raise RuntimeError("Standardizer.transform: call fit(X_train) first")
        X = np.asarray(X)
        if X.shape[1:] != self.mean_.shape:
            raise ValueError(f"Standardizer.transform: fit on features {self.mean_.shape}, got data of shape {X.shape}")
        dt = X.dtype if X.dtype.kind == "f" else np.float64
        return ((X - self.mean_) / self.scale_).astype(dt, copy=False)

    def fit_transform(self, X: Any) -> np.ndarray:
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: Any) -> np.ndarray:
        if self.mean_ is None:
            raise RuntimeError("Standardizer.inverse_transform: call fit(X_train) first")
        return np.asarray(Z) * self.scale_ + self.mean_


def standardize(train: Any, *others: Any, per_feature: bool = True) -> np.ndarray | tuple[np.ndarray, ...]:
    """Standardize ``train`` with its own mean and std, and ``others`` (validation, test) with the same.

    ``X_tr, X_te = standardize(X_tr, X_te)``; a single argument returns a single array.
    ``per_feature=False`` uses one mean and std for all features: the right choice for images
    (see :class:`Standardizer`, which also keeps the fitted mean and std).
    """
    s = Standardizer(per_feature=per_feature).fit(train)
    out = tuple(s.transform(a) for a in (train, *others))
    return out[0] if not others else out


def check_classes(y_train: Any, **others: Any) -> int:
    """Check class labels before training a classifier; return the number of classes.

    Refuses labels that are not non-negative integers, a training set with a single class (a
    one-output network would report an accuracy without learning anything), and a class that
    appears in another split (``val=y_val, test=y_te``) but not in the training set.
    """
    y_train = np.asarray(y_train).reshape(-1)
    parts = {"training": y_train, **{k: np.asarray(v).reshape(-1) for k, v in others.items()}}
    for name, y in parts.items():
        if y.dtype.kind not in "iub" and not (y.dtype.kind == "f" and np.all(y == np.round(y))):
            raise ValueError(f"check_classes: the {name} labels must be integers 0..C-1, got dtype {y.dtype}")
        if len(y) and y.min() < 0:
            raise ValueError(f"check_classes: the {name} labels hold a negative label {int(y.min())}")
    present = np.unique(y_train)
    if len(present) < 2:
        which = f"only class {int(present[0])}" if len(present) else "no samples"
        raise ValueError(f"check_classes: the training labels hold {which}; a classifier needs at least two classes")
    for name, y in parts.items():
        missing = np.setdiff1d(np.unique(y), present)
        if len(missing):
            raise ValueError(
                f"check_classes: the {name} split holds class(es) {missing.astype(int).tolist()[:10]} that the "
                f"training split lacks ({len(y_train)} training samples); hold out less data"
            )
    return int(present.max()) + 1


def train_val_test_split(
    X: Any,
    y: Any,
    val: float | int = 0.1,
    test: float | int = 0.2,
    seed: int | None = None,
    shuffle: bool = True,
    stratify: bool = False,
) -> tuple[np.ndarray, ...]:
    """Split into training, validation and test parts: ``X_tr, X_val, X_te, y_tr, y_val, y_te``.

    ``val`` and ``test`` are fractions of the whole (0.1 = 10%) or numbers of samples; either may
    be 0. The order follows scikit-learn's ``train_test_split``. ``stratify=True`` keeps the class
    proportions of ``y`` in every part.
    """
    X, y = np.asarray(X), np.asarray(y)
    n = len(X)
    if len(y) != n:
        raise ValueError(f"train_val_test_split: X has {n} samples but y has {len(y)}")

    def count(v: float | int, what: str) -> int:
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v != 0 and not 0 < v < 1:
            k = int(v)
        elif 0 <= float(v) < 1:
            k = int(round(float(v) * n))
        else:
            raise ValueError(f"train_val_test_split: {what} must be a fraction in [0, 1) or a count, got {v!r}")
        if k < 0 or k > n:
            raise ValueError(f"train_val_test_split: {what}={v!r} asks for {k} of {n} samples")
        return k

    n_val, n_test = count(val, "val"), count(test, "test")
    if n_val + n_test >= n:
        raise ValueError(f"train_val_test_split: val ({n_val}) + test ({n_test}) leave no training samples of {n}")
    rng = np.random.default_rng(seed)
    if stratify:
        # Deal the shuffled members of each class out in turn, so every prefix has the class proportions.
        classes, inverse = np.unique(y.reshape(n, -1), axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        rank = np.empty(n)
        for c in range(len(classes)):
            members = np.flatnonzero(inverse == c)
            members = rng.permutation(members) if shuffle else members
            rank[members] = (np.arange(len(members)) + rng.random()) / len(members)
        order = np.argsort(rank, kind="stable")
    else:
        order = rng.permutation(n) if shuffle else np.arange(n)
    te, va, tr = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    return X[tr], X[va], X[te], y[tr], y[va], y[te]


# --------------------------------------------------------------------------- mini-batches


def _as_array(a: Any, dtype: Any, device: str) -> Any:
    data = a.data if isinstance(a, Tensor) else a
    if not backend.is_array(data):
        data = np.asarray(data)
    if dtype is not None:
        target = backend.dtype(dtype)
    elif data.dtype.kind == "f":
        target = backend.get_default_dtype()  # match the model, whose weights take the default dtype
    else:
        target = data.dtype
    if data.dtype.kind in "OUS":
        raise TypeError(f"DataLoader: cannot batch data of dtype {data.dtype}")
    return backend.to_device(data.astype(target, copy=False), device)


class DataLoader:
    """Mini-batches of ``(X, y)`` as Tensors on ``device``: ``for xb, yb in DataLoader(X, y, 64): ...``.

    The data are moved to the device once. Floating-point arrays take the default dtype (that of
    the model's weights) unless ``dtype`` is given; integer class labels stay integers, as the
    losses expect them. ``shuffle=True`` draws a new order every epoch from a generator seeded by
    ``seed`` (or from the global one, see ``manual_seed``). ``len()`` is the number of batches.
    With ``y=None`` the batches are single Tensors.
    """

    def __init__(
        self,
        X: Any,
        y: Any = None,
        batch_size: int = 32,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int | None = None,
        device: str = "cpu",
        dtype: Any = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        self.device = backend.check_device(device)
        self.X = _as_array(X, dtype, self.device)
        self.y = None if y is None else _as_array(y, None, self.device)
        if self.X.ndim == 0:
            raise ValueError("DataLoader: X must have a sample axis, got a scalar")
        if self.y is not None and len(self.y) != len(self.X):
            raise ValueError(f"DataLoader: X has {len(self.X)} samples but y has {len(self.y)}")
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self._gen = np.random.default_rng(seed) if seed is not None else None

    @property
    def n_samples(self) -> int:
        return len(self.X)

    def __len__(self) -> int:
        n, b = self.n_samples, self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[Any]:
        n, b = self.n_samples, self.batch_size
        stop = n - n % b if self.drop_last else n
        order = None
        if self.shuffle:
            order = backend.permutation(n, self._gen)
            if self.device != "cpu":
                order = backend.to_device(order, self.device)
        for start in range(0, stop, b):
            # Slices are views (no copy) when not shuffling; a shuffled batch is gathered once.
            idx = slice(start, start + b) if order is None else order[start : start + b]
            xb = Tensor._make(self.X[idx], self.device)
            if self.y is None:
                yield xb
            else:
                yield xb, Tensor._make(self.y[idx], self.device)

    def __repr__(self) -> str:
        return (
            f"DataLoader(n_samples={self.n_samples}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}, device={self.device!r})"
        )
