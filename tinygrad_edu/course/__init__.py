"""The lecture's object-oriented network code (week 2, "NNpart5code"), on this engine.

A notebook written against the lecture's code runs after changing its import lines to::

    from tinygrad_edu.course import *

which provides the schedulers (``Scheduler``, ``Constant``, ``Momentum``, ``Adagrad``,
``AdagradMomentum``, ``RMS_prop``, ``Adam``), the cost functions (``CostOLS``, ``CostLogReg``,
``CostCrossEntropy``), the activations (``identity``, ``sigmoid``, ``softmax``, ``RELU``,
``LRELU``, ``derivate``), ``FFNN`` and the helper ``onehot``. Gradients come from the engine's
automatic differentiation, and the original's defects are fixed; docs/course.md lists every
difference, and ``legacy=True`` reproduces the original's numbers where a student needs them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_edu.course.activations import LRELU, RELU, derivate, identity, sigmoid, softmax
from tinygrad_edu.course.costs import CostCrossEntropy, CostLogReg, CostOLS
from tinygrad_edu.course.ffnn import FFNN
from tinygrad_edu.course.schedulers import Adagrad, AdagradMomentum, Adam, Constant, Momentum, RMS_prop, Scheduler
from tinygrad_edu.data import one_hot


def onehot(target: Any) -> np.ndarray:
    """One-hot rows for integer labels 0..K-1, as the lecture's helper: shape (n, max + 1)."""
    target = np.asarray(target)
    if target.ndim != 1 or not np.issubdtype(target.dtype, np.integer) or (target.size and target.min() < 0):
        raise ValueError(
            f"onehot: target must be a 1-D array of non-negative integer labels, got {target.dtype} "
            f"of shape {target.shape}"
        )
    return one_hot(target)


__all__ = [
    "Scheduler",
    "Constant",
    "Momentum",
    "Adagrad",
    "AdagradMomentum",
    "RMS_prop",
    "Adam",
    "CostOLS",
    "CostLogReg",
    "CostCrossEntropy",
    "identity",
    "sigmoid",
    "softmax",
    "RELU",
    "LRELU",
    "derivate",
    "FFNN",
    "onehot",
]
