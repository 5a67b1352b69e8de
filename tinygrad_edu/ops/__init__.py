# HOW TO ADD AN OP (every op in this package is checked by tests/test_local_derivatives.py):
# declare its local derivative once, as a class attribute right under the docstring, in the
# op's own symbols, one string per input (a single string stands for every input):
#     class Sin(Function):
#         """y = sin x."""
#         local = "dy/dx = cos x"                       # times dL/dy in the chain rule
#     class MatMul(Function):
#         local = ("dL/dX = dL/dZ @ W^T", "dL/dW = X^T @ dL/dZ")   # not a product: the whole rule
# The step-through player, the graph labels and the docstring (help()) are made from it; do not
# repeat the rule in the docstring. Keyword arguments of ``apply`` become attributes of the node.
# NAMES: an op whose natural name is also an nn class ends in Op (nn.Tanh is the layer, TanhOp
# the graph node it records); tests/test_op_names.py checks that no name is shared.
"""The ops: each one a :class:`~tinygrad_edu.autograd.Function` with its forward and its
derivative rule side by side.

- :mod:`.arithmetic`: ``+ - * / ** neg`` and the matrix product
- :mod:`.unary`: elementwise maths and activations, ``maximum``, ``minimum``, ``clip``, ``where``
- :mod:`.reduce`: ``sum``, ``max``, ``softmax``, ``log_softmax``
- :mod:`.elementwise`: inverse and hyperbolic trigonometry, ``atan2``, ``hypot``, ``fmod``, ``logaddexp``, ...
- :mod:`.products`: ``prod``, ``cumsum``, ``cumprod``, ``outer``, ``kron``, ``cross``, ``vdot``, ``average``
- :mod:`.einsum`: ``einsum``, ``tensordot``, ``inner``
- :mod:`.sorting`: ``sort``, ``partition``, ``take``, ``take_along_axis``, ``diff``, ``select``, ``choose``
- :mod:`.shape`: reshaping, permuting, broadcasting, indexing, padding, joining
- :mod:`.layout`: flip, roll, rotate, repeat, tile, move axes, pad by mode, split (compositions)
- :mod:`.matrix`: diagonals, traces, triangles (compositions)
- :mod:`.linalg`: inverse, determinant, solve, Cholesky, eigh, SVD, QR, pseudo-inverse, norms
- :mod:`.functions`: the ops that take several tensors, as functions of the package
- :mod:`.nn`: fused ops for networks (affine layer, softmax cross-entropy)
- :mod:`.conv`: convolution and pooling
- :mod:`.special`: SciPy's special functions (erfc, logit, lgamma, digamma, polygamma, logsumexp, inverses)
- :mod:`.gamma`: the gamma and beta families (gamma, rgamma, beta, betaln, betainc, gammainc)
- :mod:`.bessel`: Bessel functions J, Y, I and the scaled I
- :mod:`.normal`: the normal distribution's pdf, log-pdf, cdf and log-cdf
- :mod:`.checkpoint`: a function recomputed in the backward pass instead of stored (checkpointing)
"""

from tinygrad_edu.ops import (  # noqa: F401
    arithmetic,
    bessel,
    checkpoint,
    conv,
    einsum,
    elementwise,
    functions,
    gamma,
    layout,
    linalg,
    matrix,
    nn,
    normal,
    products,
    reduce,
    shape,
    sorting,
    special,
    unary,
)
