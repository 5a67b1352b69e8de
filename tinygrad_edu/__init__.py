"""tinygrad_edu: a reverse-mode automatic-differentiation engine for learning and for real work.

>>> from tinygrad_edu import Tensor
>>> x = Tensor(2.0, requires_grad=True)
>>> y = x.sin() * x**2
>>> y.backward()
>>> x.grad  # 2 x sin x + x^2 cos x
"""

from tinygrad_edu.tensor import Tensor  # noqa: I001  (Tensor first: the rest builds on it)
from tinygrad_edu import autograd, ops
from tinygrad_edu.autograd import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from tinygrad_edu.backend import cuda_available, get_default_dtype, manual_seed, set_default_dtype
from tinygrad_edu.creation import (
    arange,
    eye,
    full,
    linspace,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from tinygrad_edu.gradcheck import gradcheck, gradcheck_report, gradgradcheck
from tinygrad_edu.ops.functions import concatenate, maximum, minimum, one_hot, stack, where
from tinygrad_edu.ops.einsum import einsum, inner, tensordot
from tinygrad_edu.ops.products import kron, outer, vdot
from tinygrad_edu import func, linalg, nn, optim, special  # noqa: E402  (after the engine: they build on it)
from tinygrad_edu.serialization import load, save
from tinygrad_edu import data, models, physics, train  # noqa: E402  (the layers above the library)

__version__ = "0.1.0"

cat = concatenate

__all__ = [
    "Tensor",
    "autograd",
    "ops",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "detect_anomaly",
    "gradcheck",
    "gradgradcheck",
    "gradcheck_report",
    "manual_seed",
    "set_default_dtype",
    "get_default_dtype",
    "cuda_available",
    "tensor",
    "zeros",
    "ones",
    "full",
    "zeros_like",
    "ones_like",
    "arange",
    "linspace",
    "eye",
    "randn",
    "rand",
    "randint",
    "concatenate",
    "cat",
    "stack",
    "where",
    "maximum",
    "minimum",
    "one_hot",
    "einsum",
    "tensordot",
    "inner",
    "outer",
    "kron",
    "vdot",
    "__version__",
    "func",
    "linalg",
    "nn",
    "optim",
    "special",
    "save",
    "load",
    "data",
    "models",
    "physics",
    "train",
]
