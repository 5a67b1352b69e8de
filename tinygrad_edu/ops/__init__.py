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
- :mod:`.functions`: the ops that take several tensors, as functions of the package
- :mod:`.nn`: fused ops for networks (affine layer, softmax cross-entropy)
- :mod:`.conv`: convolution and pooling
- :mod:`.special`: SciPy's special functions (erfc, logit, lgamma, digamma, polygamma, logsumexp, inverses)
- :mod:`.normal`: the normal distribution's pdf, log-pdf, cdf and log-cdf
- :mod:`.checkpoint`: a function recomputed in the backward pass instead of stored (checkpointing)
"""

from tinygrad_edu.ops import (  # noqa: F401
    arithmetic,
    checkpoint,
    conv,
    einsum,
    elementwise,
    functions,
    nn,
    normal,
    products,
    reduce,
    shape,
    sorting,
    special,
    unary,
)
