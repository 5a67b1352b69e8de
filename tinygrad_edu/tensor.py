"""The Tensor: an array that remembers how it was computed.

A tensor holds its value in ``.data`` (a NumPy or CuPy array), its gradient in ``.grad`` after a
backward pass, and, when it was made by an op from tensors that require grad, the graph node
that made it (``.grad_fn``). Every op is a method here; the maths of each op, forward and
derivative side by side, lives in :mod:`tinygrad_edu.ops`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from tinygrad_edu import backend

Axis = int | Sequence[int] | None
_new = object.__new__


def _is_number(x: Any) -> bool:
    # Python numbers only: a NumPy scalar (np.float64) would make NumPy promote float32 to
    # float64; _lift turns it into a "weak" constant instead, as PyTorch does.
    return type(x) is float or type(x) is int


def _axis(axis: Axis, dim: Axis) -> Axis:
    """Accept PyTorch's ``dim`` as a synonym of NumPy's ``axis``."""
    if dim is not None:
        if axis is not None:
            raise TypeError("pass axis or dim, not both")
        return dim
    return axis


class VersionCounter:
    """How many times an array was changed in place, shared by every tensor that holds it.

    Views (``reshape``, slicing, ``transpose``, ...), ``detach()`` and ``state_dict()`` entries hand
    out the same memory, so they share one counter: an in-place change through any of them is
    seen by the backward pass of every op that saved the memory (as PyTorch's version counter).
    """

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


# The counter of every tensor until it is changed in place or shares its memory: version 0, and
# never incremented (Tensor._counter swaps in a counter of its own first), so that making a tensor
# allocates nothing and reading a version is one attribute away.
UNSHARED = VersionCounter()


def storage_of(array: Any) -> Any:
    """The object that owns ``array``'s memory: the array itself unless it is a view.

    NumPy and CuPy link a view to the array it came from by ``.base``; followed in a loop, since a
    view of an array that does not own its memory (``np.frombuffer``) points to that array.
    """
    while True:
        base = getattr(array, "base", None)
        if base is None:
            return array
        array = base


def _same_storage(a: Any, b: Any) -> bool:
    return a is b or storage_of(a) is storage_of(b)


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    ``Tensor(data, requires_grad=False, dtype=None, device="cpu")``: ``data`` is a number, a
    nested list or an array. Python floats become the default dtype (float64), NumPy arrays keep
    theirs. Only floating-point tensors can require grad.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_vc", "device", "name", "__weakref__")
    __array_priority__ = 1000  # so that `ndarray * Tensor` calls Tensor.__rmul__

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        device: str | None = None,
        name: str | None = None,
    ) -> None:
        src = data if isinstance(data, Tensor) else None
        if src is not None:
            data = data.data
        if device is None:
            device = backend.device_of(data) if backend.is_array(data) else "cpu"
        device = backend.check_device(device)
        self.data = backend.asarray(data, dtype, device)
        self.device = device
        self.grad: Tensor | None = None
        self.requires_grad = False
        self._ctx = None
        self._vc = UNSHARED
        if src is not None and _same_storage(self.data, src.data):  # no copy: the memory is shared
            self._vc = src._counter()
        self.name = name
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data: Any, device: str) -> Tensor:
        """A new tensor around an array, with no checks (the ops' fast path)."""
        t = _new(cls)
        t.data = data
        t.device = device
        t.grad = None
        t.requires_grad = False
        t._ctx = None
        t._vc = UNSHARED  # a counter of its own comes with the first in-place change or sharing
        t.name = None
        return t

    @property
    def _version(self) -> int:
        """How many in-place changes the memory of this tensor has seen (through any alias)."""
        return self._vc.value

    def _counter(self) -> VersionCounter:
        """The version counter of this tensor's memory, made on first use, to share with an alias."""
        vc = self._vc
        if vc is UNSHARED:
            vc = self._vc = VersionCounter()
        return vc

    # ------------------------------------------------------------------ properties

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements (NumPy's ``size``; ``numel()`` is PyTorch's name)."""
        return self.data.size

    def numel(self) -> int:
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def xp(self):
        """The array library of this tensor: NumPy or CuPy."""
        return backend.xp(self.device)

    @property
    def grad_fn(self):
        """The graph node that made this tensor, or None for a leaf."""
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def T(self) -> Tensor:
        """The transpose (all axes reversed)."""
        if self.data.ndim == 2:  # a matrix (every backward pass of a linear layer): nothing to check
            return Permute.apply(self, axes=(1, 0))
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:
        """The transpose of the last two axes (batched matrices)."""
        if self.data.ndim == 2:  # every backward pass of a matrix product comes here
            return Permute.apply(self, axes=(1, 0))
        return self.swapaxes(-1, -2)

    # ------------------------------------------------------------------ conversion

    def numpy(self):
        """The value as a host NumPy array (shares memory on the CPU, a copy from the GPU).

        As in PyTorch, a tensor that requires grad refuses: ``t.detach().numpy()`` says that the
        derivative is not wanted."""
        if self.requires_grad:
            raise RuntimeError(
                "numpy() of a Tensor that requires grad: the array would carry no derivative. Use "
                "t.detach().numpy() instead (or t.item() to read a number, e.g. for logging)."
            )
        return backend.to_numpy(self.data)

    def _refuse_escape(self, what: str) -> None:
        """Raise when ``what`` would silently drop this tensor's derivative (it requires grad and
        grad mode is on); under ``no_grad`` or for constants conversions work."""
        if self.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError(
                f"{what} of a Tensor that requires grad would silently drop its derivative. Use "
                "t.detach() if no derivative is wanted, t.item() to read a number (e.g. for logging), "
                "or the differentiable functions of tinygrad_edu.numpy and Tensor methods."
            )

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.size != 1:
            raise ValueError(f"item(): only one-element tensors convert to a number, got shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        self._refuse_escape("tolist()")
        return backend.to_numpy(self.data).tolist()

    def __float__(self) -> float:
        self._refuse_escape("float()")
        return float(self.item())

    def __int__(self) -> int:
        self._refuse_escape("int()")
        return int(self.item())

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.size} elements is ambiguous; use .any() or .all()"
            )
        return bool(self.item())

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    __hash__ = object.__hash__  # tensors are hashable by identity, as in PyTorch

    def __array__(self, dtype: Any = None, copy: Any = None):
        self._refuse_escape("Conversion to a NumPy array (numpy.asarray, numpy.float64(t), ...)")
        arr = backend.to_numpy(self.data)
        return arr if dtype is None else arr.astype(dtype)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy ufuncs on Tensors (``numpy.exp(t)``, ``ndarray % t``), as ``tinygrad_edu.numpy`` declares them."""
        # `ndarray * t` (NumPy's operator calls its ufunc here): the reflected operator directly,
        # half the time of the general dispatch
        reflected = _REFLECTED.get(ufunc.__name__)
        if reflected and len(inputs) == 2 and inputs[1] is self and not kwargs and method == "__call__":
            return getattr(self, reflected)(inputs[0])
        return _table().array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """NumPy functions on Tensors (``numpy.sum(t)``), as ``tinygrad_edu.numpy`` declares them."""
        return _table().array_function(func, args, kwargs)

    def to(self, device: str | None = None, dtype: Any = None) -> Tensor:
        """This tensor on another device and/or in another dtype (differentiable)."""
        out = self
        if dtype is not None and backend.dtype(dtype) != self.dtype:
            out = ops.shape.Cast.apply(out, dtype=backend.dtype(dtype))
        if device is not None:
            device = backend.check_device(device)
            if device != out.device:
                out = ops.shape.ToDevice.apply(out, device=device)
        return out

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def astype(self, dtype: Any) -> Tensor:
        return self.to(dtype=dtype)

    def float(self) -> Tensor:
        return self.to(dtype="float32")

    def double(self) -> Tensor:
        return self.to(dtype="float64")

    # ------------------------------------------------------------------ autograd

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark a leaf as a variable to differentiate with respect to (in place)."""
        if requires_grad and self.dtype.kind == "c":
            raise TypeError(
                f"requires_grad: this tensor is {self.dtype}, and tinygrad_edu does not differentiate "
                "complex values; make the real and imaginary parts two real tensors that require grad"
            )
        if requires_grad and not backend.is_floating(self.dtype):
            raise TypeError(
                f"only floating-point tensors can require grad, but this one is {self.dtype}; "
                "convert it first with .to(dtype='float64')"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False) on a non-leaf tensor; use .detach() instead")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        """The same values, cut off from the graph (shares the array and its version counter)."""
        t = Tensor._make(self.data, self.device)
        t._vc = self._counter()
        return t

    def clone(self) -> Tensor:
        """A copy with its own array (differentiable)."""
        return ops.shape.Clone.apply(self)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``grad = None`` does the same)."""
        self.grad = None

    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Back-propagate from this tensor: add ``d self / d leaf`` into every leaf's ``.grad``.

        ``gradient`` is ``dL/d self`` and is needed when this tensor is not a scalar. The graph
        is freed afterwards unless ``retain_graph=True``; ``create_graph=True`` records the
        backward pass itself, for higher derivatives.
        """
        autograd.backward(self, gradient, retain_graph, create_graph)

    # ------------------------------------------------------------------ in place (no graph)

    def _bump(self) -> Tensor:
        self._counter().value += 1
        return self

    def _check_inplace(self, op: str) -> None:
        if autograd.is_grad_enabled() and self.requires_grad:
            raise RuntimeError(
                f"{op}: a tensor that requires grad cannot be changed in place while recording; "
                "wrap the update in `with no_grad():` or use an out-of-place op"
            )

    def _other_data(self, other: Any) -> Any:
        if isinstance(other, Tensor):
            if other.device != self.device:
                raise RuntimeError(f"in-place op: tensors on different devices ({self.device} and {other.device})")
            return other.data
        return other

    def add_(self, other: Any, alpha: float = 1.0) -> Tensor:
        """``self += alpha * other`` in place."""
        self._check_inplace("add_")
        o = self._other_data(other)
        self.data += o if alpha == 1.0 else alpha * o
        return self._bump()

    def sub_(self, other: Any) -> Tensor:
        self._check_inplace("sub_")
        self.data -= self._other_data(other)
        return self._bump()

    def mul_(self, other: Any) -> Tensor:
        self._check_inplace("mul_")
        self.data *= self._other_data(other)
        return self._bump()

    def copy_(self, other: Any) -> Tensor:
        """Overwrite the values with ``other``'s (broadcast), keeping shape and dtype."""
        self._check_inplace("copy_")
        o = self._other_data(other)
        o = backend.to_device(o, self.device) if backend.is_array(o) else o
        self.data[...] = o
        return self._bump()

    def fill_(self, value: float) -> Tensor:
        self._check_inplace("fill_")
        self.data.fill(value)
        return self._bump()

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace("__setitem__")
        self.data[ops.shape.to_index(index)] = self._other_data(value)
        self._bump()

    # ------------------------------------------------------------------ display

    def __repr__(self) -> str:
        body = backend.to_numpy(self.data).__repr__()
        body = body[body.index("(") + 1 : body.rindex(")")] if body.startswith("array") else body
        body = body.split(", dtype=")[0]
        extra = [f"dtype={self.dtype}"]
        if self.device != "cpu":
            extra.append(f"device='{self.device}'")
        if self._ctx is not None:
            extra.append(f"grad_fn=<{self._ctx.name}>")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        if self.name:
            extra.append(f"name={self.name!r}")
        return f"Tensor({body}, {', '.join(extra)})"

    # ------------------------------------------------------------------ arithmetic

    def _lift(self, other: Any) -> Tensor:
        """Turn a Python number or an array into a constant tensor beside ``self``."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (int, float, bool)) or backend.is_number_scalar(other):
            return Tensor._make(backend.scalar_array(other, self.data), self.device)
        if backend.is_array(other) and backend.device_of(other) != self.device:
            raise RuntimeError(f"an array on {backend.device_of(other)} cannot meet a tensor on {self.device}")
        return Tensor(other, device=self.device)

    # A Python number takes the cheaper "constant" form of an op: nothing to lift into a
    # tensor, no gradient to compute for it, and NumPy keeps float32 as float32.

    # The operators are written out one by one on purpose: each picks its op class directly (the hot
    # path: no table look-up, no extra call), and a student reads what ``x + 1`` does.
    def __add__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor):
            return Add.apply(self, other)
        if _is_number(other):
            return AddConst.apply(self, c=other)
        return Add.apply(self, self._lift(other))

    def __radd__(self, other: Any) -> Tensor:
        if _is_number(other):
            return AddConst.apply(self, c=other)
        return Add.apply(self._lift(other), self)

    def __sub__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor):
            return Sub.apply(self, other)
        if _is_number(other):
            return SubConst.apply(self, c=other)
        return Sub.apply(self, self._lift(other))

    def __rsub__(self, other: Any) -> Tensor:
        if _is_number(other):
            return RSubConst.apply(self, c=other)
        return Sub.apply(self._lift(other), self)

    def __mul__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor):
            return Mul.apply(self, other)
        if _is_number(other):
            return MulConst.apply(self, c=other)
        return Mul.apply(self, self._lift(other))

    def __rmul__(self, other: Any) -> Tensor:
        if _is_number(other):
            return MulConst.apply(self, c=other)
        return Mul.apply(self._lift(other), self)

    def __truediv__(self, other: Any) -> Tensor:
        if _is_number(other) and other != 0:
            return DivConst.apply(self, c=other)
        return Div.apply(self, other if isinstance(other, Tensor) else self._lift(other))

    def __rtruediv__(self, other: Any) -> Tensor:
        return Div.apply(self._lift(other), self)

    def __pow__(self, exponent: Any) -> Tensor:
        if _is_number(exponent):
            return ops.arithmetic.PowConst.apply(self, p=exponent)
        return ops.arithmetic.Pow.apply(self, self._lift(exponent))

    def __rpow__(self, base: Any) -> Tensor:
        return ops.arithmetic.Pow.apply(self._lift(base), self)

    def __neg__(self) -> Tensor:
        return ops.arithmetic.Neg.apply(self)

    def __matmul__(self, other: Any) -> Tensor:
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return self._lift(other).matmul(self)

    def add(self, other: Any) -> Tensor:
        return self + other

    def sub(self, other: Any) -> Tensor:
        return self - other

    def mul(self, other: Any) -> Tensor:
        return self * other

    def div(self, other: Any) -> Tensor:
        return self / other

    def pow(self, exponent: Any) -> Tensor:
        return self**exponent

    def neg(self) -> Tensor:
        return -self

    def square(self) -> Tensor:
        return ops.arithmetic.PowConst.apply(self, p=2)

    def reciprocal(self) -> Tensor:
        return ops.arithmetic.PowConst.apply(self, p=-1)

    def matmul(self, other: Any) -> Tensor:
        """Matrix product with NumPy's rules: 1-D vectors, 2-D matrices, batched stacks."""
        other = self._lift(other)
        if self.data.ndim >= 2 and other.data.ndim >= 2:  # the common case; MatMul checks the shapes
            return MatMul.apply(self, other)
        if self.ndim == 0 or other.ndim == 0:
            raise ValueError(f"matmul: both operands need at least one axis, got shapes {self.shape} and {other.shape}")
        k = other.shape[-2] if other.ndim > 1 else other.shape[0]
        if self.shape[-1] != k:  # checked here, so that the message shows the shapes as given
            raise ValueError(
                f"matmul: shapes {self.shape} and {other.shape} do not align ({self.shape[-1]} against {k})"
            )
        a = self.unsqueeze(0) if self.ndim == 1 else self
        b = other.unsqueeze(-1) if other.ndim == 1 else other
        out = ops.arithmetic.MatMul.apply(a, b)
        if other.ndim == 1:
            out = out.squeeze(-1)
        if self.ndim == 1:
            out = out.squeeze(-2 if other.ndim > 1 else -1)
        return out

    def dot(self, other: Any) -> Tensor:
        """The dot product of two 1-D tensors of the same length, as ``torch.dot`` (``@`` for matrices)."""
        other = self._lift(other)
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(
                f"dot: 1-D tensors expected, got shapes {tuple(self.shape)} and {tuple(other.shape)}; use @ "
                "(matmul) for matrices, or tinygrad_edu.numpy.dot for NumPy's dot"
            )
        if self.shape != other.shape:
            raise RuntimeError(f"dot: the vectors have lengths {self.shape[0]} and {other.shape[0]}; they must match")
        return self.matmul(other)

    # ------------------------------------------------------------------ comparisons (no grad)

    def _compare(self, other: Any, fn: str) -> Tensor:
        o = other.data if isinstance(other, Tensor) else other
        return Tensor._make(getattr(self.xp, fn)(self.data, o), self.device)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, "equal")

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, "not_equal")

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, "less")

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, "less_equal")

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, "greater")

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, "greater_equal")

    def __invert__(self) -> Tensor:
        return Tensor._make(~self.data, self.device)

    def __and__(self, other: Any) -> Tensor:
        return self._compare(other, "logical_and")

    def __or__(self, other: Any) -> Tensor:
        return self._compare(other, "logical_or")

    def isnan(self) -> Tensor:
        return Tensor._make(self.xp.isnan(self.data), self.device)

    def isfinite(self) -> Tensor:
        return Tensor._make(self.xp.isfinite(self.data), self.device)

    def any(self, axis: Axis = None) -> Tensor:
        return Tensor._make(self.xp.asarray(self.data.any(axis=axis)), self.device)

    def all(self, axis: Axis = None) -> Tensor:
        return Tensor._make(self.xp.asarray(self.data.all(axis=axis)), self.device)

    def argmax(self, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None) -> Tensor:
        a = _axis(axis, dim)
        out = self.data.argmax(axis=a)
        if keepdims and a is not None:
            out = self.xp.expand_dims(out, a)
        return Tensor._make(self.xp.asarray(out), self.device)

    def argmin(self, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None) -> Tensor:
        return (-self.detach()).argmax(axis, keepdims, dim=dim)

    # ------------------------------------------------------------------ elementwise maths

    def exp(self) -> Tensor:
        return ops.unary.Exp.apply(self)

    def log(self) -> Tensor:
        return ops.unary.Log.apply(self)

    def log1p(self) -> Tensor:
        return ops.unary.Log1p.apply(self)

    def sqrt(self) -> Tensor:
        return ops.unary.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return ops.unary.Abs.apply(self)

    def sign(self) -> Tensor:
        """The sign, -1, 0 or 1 (a constant: its derivative is zero almost everywhere)."""
        return Tensor._make(self.xp.sign(self.data), self.device)

    def sin(self) -> Tensor:
        return ops.unary.Sin.apply(self)

    def cos(self) -> Tensor:
        return ops.unary.Cos.apply(self)

    def tanh(self) -> Tensor:
        return TanhOp.apply(self)

    def sigmoid(self) -> Tensor:
        return ops.unary.SigmoidOp.apply(self)

    def relu(self) -> Tensor:
        return ops.unary.ReLUOp.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return ops.unary.LeakyReLUOp.apply(self, slope=negative_slope)

    def elu(self, alpha: float = 1.0) -> Tensor:
        return ops.unary.ELUOp.apply(self, alpha=alpha)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        """``log(1 + e^(beta x)) / beta``; linear (``x``) where ``beta x > threshold``, as PyTorch."""
        if beta != 1.0:
            return (self * beta).softplus(1.0, threshold) / beta
        return ops.unary.SoftplusOp.apply(self, threshold=float(threshold))

    def erf(self) -> Tensor:
        return ops.unary.Erf.apply(self)

    def erfc(self) -> Tensor:
        return ops.special.Erfc.apply(self)

    def logit(self, eps: float | None = None) -> Tensor:
        """``log(p / (1 - p))``; with ``eps``, p is first clamped to [eps, 1 - eps], as in PyTorch."""
        return ops.special.Logit.apply(self if eps is None else self.clip(eps, 1.0 - eps))

    def lgamma(self) -> Tensor:
        """``log |Gamma(x)|``; its derivative is ``digamma``."""
        return ops.special.Gammaln.apply(self)

    def digamma(self) -> Tensor:
        return ops.special.Digamma.apply(self)

    def polygamma(self, n: int) -> Tensor:
        """The n-th derivative of ``digamma`` (``n = 0`` is digamma itself)."""
        return ops.special.Polygamma.apply(self, n=ops.special.check_order(n, "polygamma"))

    def gelu(self, approximate: str = "none") -> Tensor:
        """``x Phi(x)``, Phi the normal CDF; ``approximate="tanh"`` uses the tanh formula."""
        if approximate == "none":
            return self * 0.5 * (1.0 + (self * 0.7071067811865476).erf())
        if approximate == "tanh":
            inner = (self + self * self * self * 0.044715) * 0.7978845608028654
            return self * 0.5 * (1.0 + inner.tanh())
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")

    def maximum(self, other: Any) -> Tensor:
        return ops.unary.Maximum.apply(self, self._lift(other))

    def minimum(self, other: Any) -> Tensor:
        return ops.unary.Minimum.apply(self, self._lift(other))

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Clamp the values to [min, max]; the gradient passes where no bound is active."""
        if min is None and max is None:
            raise ValueError("clip: give at least one of min and max")
        return ops.unary.Clip.apply(self, low=min, high=max)

    clamp = clip

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` holds, else ``other`` (PyTorch's ``Tensor.where``)."""
        return where(condition, self, other)

    # ------------------------------------------------------------------ more elementwise maths (ops/elementwise.py)

    def expm1(self) -> Tensor:
        return ops.elementwise.Expm1.apply(self)

    def exp2(self) -> Tensor:
        return ops.elementwise.Exp2.apply(self)

    def log2(self) -> Tensor:
        return ops.elementwise.Log2.apply(self)

    def log10(self) -> Tensor:
        return ops.elementwise.Log10.apply(self)

    def arcsin(self) -> Tensor:
        return ops.elementwise.Arcsin.apply(self)

    def arccos(self) -> Tensor:
        return ops.elementwise.Arccos.apply(self)

    def arctan(self) -> Tensor:
        return ops.elementwise.Arctan.apply(self)

    def arctan2(self, other: Any) -> Tensor:
        """The angle of the point (other, self): ``atan2(self, other)``, as ``torch.atan2``."""
        return ops.elementwise.Arctan2.apply(self, self._lift(other))

    def sinh(self) -> Tensor:
        return ops.elementwise.Sinh.apply(self)

    def cosh(self) -> Tensor:
        return ops.elementwise.Cosh.apply(self)

    def arcsinh(self) -> Tensor:
        return ops.elementwise.Arcsinh.apply(self)

    def arccosh(self) -> Tensor:
        return ops.elementwise.Arccosh.apply(self)

    def arctanh(self) -> Tensor:
        return ops.elementwise.Arctanh.apply(self)

    asin, acos, atan, atan2, asinh, acosh, atanh = arcsin, arccos, arctan, arctan2, arcsinh, arccosh, arctanh

    def deg2rad(self) -> Tensor:
        return self * 0.017453292519943295  # pi / 180

    def rad2deg(self) -> Tensor:
        return self * 57.29577951308232  # 180 / pi

    def sinc(self) -> Tensor:
        """``sin(pi x) / (pi x)``, 1 at 0 (the normalised sinc of NumPy and PyTorch)."""
        return ops.elementwise.Sinc.apply(self)

    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
        """NaN and infinities replaced by numbers (the largest finite ones by default); no gradient there."""
        return ops.elementwise.NanToNum.apply(self, nan=nan, posinf=posinf, neginf=neginf)

    def hypot(self, other: Any) -> Tensor:
        return ops.elementwise.Hypot.apply(self, self._lift(other))

    def fmax(self, other: Any) -> Tensor:
        return ops.elementwise.FMax.apply(self, self._lift(other))

    def fmin(self, other: Any) -> Tensor:
        return ops.elementwise.FMin.apply(self, self._lift(other))

    def remainder(self, other: Any) -> Tensor:
        """``x - floor(x / y) y``, with the sign of y (Python's ``%``)."""
        return ops.elementwise.Remainder.apply(self, self._lift(other))

    def fmod(self, other: Any) -> Tensor:
        """``x - trunc(x / y) y``, with the sign of x (C's ``fmod``)."""
        return ops.elementwise.FMod.apply(self, self._lift(other))

    def __mod__(self, other: Any) -> Tensor:
        return self.remainder(other)

    def __rmod__(self, other: Any) -> Tensor:
        return ops.elementwise.Remainder.apply(self._lift(other), self)

    def __abs__(self) -> Tensor:
        return self.abs()

    def logaddexp(self, other: Any) -> Tensor:
        return ops.elementwise.LogAddExp.apply(self, self._lift(other))

    def logaddexp2(self, other: Any) -> Tensor:
        return ops.elementwise.LogAddExp2.apply(self, self._lift(other))

    # ------------------------------------------------------------------ products, running totals, sorting

    def prod(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """The product over ``axis``; exact derivatives also with zeros (ops/products.py)."""
        a = ops.reduce.normalize_axis(_axis(axis, dim), self.ndim, "prod")
        return ops.products.Prod.apply(self, axis=a, keepdims=keepdims if keepdim is None else keepdim)

    def cumsum(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """The running sum along ``axis`` (``None``: of the flattened values, as NumPy)."""
        a = _axis(axis, dim)
        x = self.reshape(-1) if a is None else self
        return ops.products.Cumsum.apply(x, axis=ops.reduce.normalize_axis(a or 0, x.ndim, "cumsum"))

    def cumprod(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """The running product along ``axis`` (``None``: of the flattened values, as NumPy)."""
        a = _axis(axis, dim)
        x = self.reshape(-1) if a is None else self
        return ops.products.Cumprod.apply(x, axis=ops.reduce.normalize_axis(a or 0, x.ndim, "cumprod"))

    def ravel(self) -> Tensor:
        """The values as a 1-D tensor (C order)."""
        return self.reshape(-1)

    def outer(self, other: Any) -> Tensor:
        return ops.products.outer(self, self._lift(other))

    def inner(self, other: Any) -> Tensor:
        return ops.einsum.inner(self, self._lift(other))

    def kron(self, other: Any) -> Tensor:
        return ops.products.kron(self, self._lift(other))

    def vdot(self, other: Any) -> Tensor:
        return ops.products.vdot(self, self._lift(other))

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = True) -> Any:
        """``(values, indices)`` sorted along ``dim``, as ``torch.sort`` (always stable here)."""
        return ops.sorting.sort(self, dim, descending)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = True) -> Tensor:
        return ops.sorting.argsort(self, dim, descending)

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Tensor:
        return ops.sorting.take_along_axis(self, indices, dim)

    def take(self, indices: Any) -> Tensor:
        """Elements of the flattened tensor at ``indices`` (``torch.take``)."""
        return ops.sorting.take(self, indices)

    def diff(self, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
        return ops.sorting.diff(self, n, dim, prepend, append)

    # ------------------------------------------------------------------ reductions

    def sum(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        if axis.__class__ is int and dim is None and 0 <= axis < self.data.ndim:  # one valid axis: the usual case
            a = axis
        else:
            a = ops.reduce.normalize_axis(_axis(axis, dim), self.ndim, "sum")
        return ops.reduce.Sum.apply(self, axis=a, keepdims=keepdims if keepdim is None else keepdim)

    def mean(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        a = ops.reduce.normalize_axis(_axis(axis, dim), self.ndim, "mean")
        n = ops.reduce.count(self.shape, a)
        if n == 0:
            raise ValueError(f"mean: the reduced axes of shape {self.shape} are empty")
        return self.sum(a, keepdims if keepdim is None else keepdim) * (1.0 / n)

    def max(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        a = ops.reduce.normalize_axis(_axis(axis, dim), self.ndim, "max")
        return ops.reduce.Max.apply(self, axis=a, keepdims=keepdims if keepdim is None else keepdim)

    def min(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        return -((-self).max(axis, keepdims, dim=dim, keepdim=keepdim))

    def var(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        ddof: int = 0,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
        correction: int | None = None,
    ) -> Tensor:
        """The variance, ``sum((x - mean)**2) / (n - ddof)``; ddof=0 as NumPy (PyTorch: correction)."""
        a = ops.reduce.normalize_axis(_axis(axis, dim), self.ndim, "var")
        keep = keepdims if keepdim is None else keepdim
        ddof = ddof if correction is None else correction
        n = ops.reduce.count(self.shape, a)
        if n - ddof <= 0:
            raise ValueError(f"var: {n} elements along the reduced axes of shape {self.shape} with ddof={ddof}")
        centered = self - self.mean(a, keepdims=True)
        return (centered * centered).sum(a, keep) * (1.0 / (n - ddof))

    def std(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        ddof: int = 0,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
        correction: int | None = None,
    ) -> Tensor:
        """The standard deviation, ``sqrt(var)``; its gradient is 0 at zero spread, as PyTorch's."""
        return ops.reduce.Std.apply(self.var(axis, keepdims, ddof, dim=dim, keepdim=keepdim, correction=correction))

    def logsumexp(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """``log(sum(exp(x)))``, computed stably by shifting by the maximum."""
        a = ops.reduce.normalize_axis(_axis(axis, dim), self.ndim, "logsumexp")
        keep = keepdims if keepdim is None else keepdim
        m = self.detach().max(a, keepdims=True)
        m = Tensor._make(self.xp.where(self.xp.isfinite(m.data), m.data, 0), self.device)
        out = (self - m).exp().sum(a, keepdims=True).log() + m
        return out if keep else out.squeeze(a if a is not None else tuple(range(self.ndim)))

    def softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        """``exp(x_i) / sum_j exp(x_j)`` along ``axis``, shifted by the maximum for stability."""
        a = ops.reduce.normalize_axis(axis if dim is None else dim, self.ndim, "softmax")
        return ops.reduce.SoftmaxOp.apply(self, axis=a)

    def log_softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        """``x_i - logsumexp(x)`` along ``axis``."""
        a = ops.reduce.normalize_axis(axis if dim is None else dim, self.ndim, "log_softmax")
        return ops.reduce.LogSoftmaxOp.apply(self, axis=a)

    # ------------------------------------------------------------------ linear algebra (tinygrad_edu.linalg)

    def inverse(self) -> Tensor:
        """The matrix inverse (``torch.linalg.inv``)."""
        return linalg.inv(self)

    def det(self) -> Tensor:
        return linalg.det(self)

    def slogdet(self) -> tuple[Tensor, Tensor]:
        """``(sign, log|det|)``; the sign is a constant."""
        return linalg.slogdet(self)

    def cholesky(self, upper: bool = False) -> Tensor:
        return linalg.cholesky(self, upper=upper)

    def pinverse(self, rcond: float = 1e-15) -> Tensor:
        return linalg.pinv(self, rcond)

    def matrix_power(self, n: int) -> Tensor:
        return linalg.matrix_power(self, n)

    def norm(self, p: Any = "fro", dim: Axis = None, keepdim: bool = False) -> Tensor:
        """``torch.norm``: ``p="fro"`` (the 2-norm of all elements, or the Frobenius norm over
        two ``dim``), ``"nuc"``, or a number: the vector p-norm over ``dim`` (all axes if None)."""
        if isinstance(p, str):
            if dim is None:
                return linalg.vector_norm(self, 2, None, keepdim) if p == "fro" else linalg.matrix_norm(self, p)
            return linalg.matrix_norm(self, p, tuple(dim), keepdim)
        return linalg.vector_norm(self, p, dim, keepdim)

    # ------------------------------------------------------------------ shapes

    def reshape(self, *shape: Any) -> Tensor:
        shape = ops.shape.shape_arg(shape)
        return ops.shape.Reshape.apply(self, shape=ops.shape.resolve_shape(shape, self.shape, "reshape"))

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        s, e = start_dim % self.ndim, end_dim % self.ndim
        n = 1
        for d in self.shape[s : e + 1]:
            n *= d
        return self.reshape(*self.shape[:s], n, *self.shape[e + 1 :])

    def permute(self, *axes: Any) -> Tensor:
        axes = ops.shape.shape_arg(axes)
        return ops.shape.Permute.apply(self, axes=ops.shape.check_permutation(axes, self.ndim))

    def transpose(self, *axes: Any) -> Tensor:
        """No arguments: reverse all axes (NumPy). Two axes: swap them (PyTorch)."""
        if len(axes) == 2 and all(isinstance(a, int) for a in axes):
            return self.swapaxes(*axes)
        return self.permute(*axes) if axes else self.T

    def swapaxes(self, a: int, b: int) -> Tensor:
        order = list(range(self.ndim))
        try:
            order[a], order[b] = order[b], order[a]
        except IndexError:
            raise ValueError(f"swapaxes: axes {a} and {b} out of range for shape {self.shape}") from None
        return self.permute(*order)

    def expand(self, *shape: Any) -> Tensor:
        """Broadcast to ``shape`` (-1 keeps an axis); the gradient sums over the broadcast axes."""
        shape = ops.shape.shape_arg(shape)
        shape = tuple(s if s != -1 else self.shape[i - len(shape) + self.ndim] for i, s in enumerate(shape))
        if shape == self.shape:
            return self
        return ops.shape.Expand.apply(self, shape=ops.shape.check_broadcast(self.shape, shape, "expand"))

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return self.expand(*shape)

    def sum_to(self, shape: Sequence[int]) -> Tensor:
        """Sum over the axes that broadcasting added or stretched, to get back ``shape``."""
        if self.data.shape == shape:  # the common case: nothing was broadcast
            return self
        return ops.shape.SumTo.apply(self, shape=tuple(shape))

    def squeeze(self, axis: Axis = None, *, dim: Axis = None) -> Tensor:
        a = _axis(axis, dim)
        if a is None:
            new = tuple(s for s in self.shape if s != 1)
        else:
            axes = ops.reduce.normalize_axis(a, self.ndim, "squeeze")
            axes = (axes,) if isinstance(axes, int) else axes
            new = tuple(s for i, s in enumerate(self.shape) if not (i in axes and s == 1))
        return self if new == self.shape else self.reshape(new)

    def unsqueeze(self, axis: int) -> Tensor:
        n = self.ndim + 1
        if not -n <= axis < n:
            raise ValueError(f"unsqueeze: axis {axis} out of range for a tensor of {self.ndim} axes")
        axis %= n
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def __getitem__(self, index: Any) -> Tensor:
        return ops.shape.GetItem.apply(self, index=ops.shape.to_index(index))

    def pad(self, pad_width: Any, value: float = 0.0, mode: str = "constant") -> Tensor:
        """Pad with a constant; ``pad_width`` as in ``numpy.pad`` (one (before, after) per axis).
        ``mode`` ``"edge"``, ``"reflect"``, ``"symmetric"``, ``"wrap"`` repeat inner values instead."""
        if mode != "constant":
            return ops.layout.pad(self, pad_width, mode)
        return ops.shape.Pad.apply(self, pad_width=ops.shape.normalize_pad(pad_width, self.ndim), value=value)

    def split(self, split_size_or_sections: Any, axis: int = 0, *, dim: int | None = None) -> list[Tensor]:
        """Split into pieces of the given size (int) or sizes (list), as ``torch.split``."""
        return ops.shape.split(self, split_size_or_sections, axis if dim is None else dim)

    def moveaxis(self, source: Any, destination: Any) -> Tensor:
        """Move axes to new positions, the others keeping their order (PyTorch: ``movedim``)."""
        return ops.layout.moveaxis(self, source, destination)

    movedim = moveaxis

    def flip(self, *dims: Any) -> Tensor:
        """Reverse the order of the elements along ``dims`` (all axes when none are given)."""
        return ops.layout.flip(self, ops.shape.shape_arg(dims) if dims else None)

    def fliplr(self) -> Tensor:
        return ops.layout.fliplr(self)

    def flipud(self) -> Tensor:
        return ops.layout.flipud(self)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        """Shift the elements cyclically along ``dims`` (the flattened tensor when None)."""
        return ops.layout.roll(self, shifts, dims)

    def rot90(self, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
        return ops.layout.rot90(self, k, dims)

    def repeat(self, *sizes: Any) -> Tensor:
        """PyTorch's ``repeat``: the whole tensor tiled ``sizes`` times (NumPy's ``tile``; NumPy's
        ``repeat`` is ``repeat_interleave``)."""
        return ops.layout.tile(self, ops.shape.shape_arg(sizes))

    def tile(self, *dims: Any) -> Tensor:
        return ops.layout.tile(self, ops.shape.shape_arg(dims))

    def repeat_interleave(self, repeats: Any, dim: int | None = None) -> Tensor:
        """Each element repeated ``repeats`` times along ``dim`` (NumPy's ``repeat``)."""
        return ops.layout.repeat(self, repeats, dim)

    def tensor_split(self, indices_or_sections: Any, dim: int = 0) -> list[Tensor]:
        """``numpy.array_split``: N nearly equal parts, or parts cut at the given indices."""
        return ops.layout.array_split(self, indices_or_sections, dim)

    def hsplit(self, sections: Any) -> list[Tensor]:
        return ops.layout.array_split(self, sections, 1 if self.ndim > 1 else 0, equal=True)

    def vsplit(self, sections: Any) -> list[Tensor]:
        if self.ndim < 2:
            raise ValueError(f"vsplit: needs at least two axes, got shape {self.shape}")
        return ops.layout.array_split(self, sections, 0, equal=True)

    def dsplit(self, sections: Any) -> list[Tensor]:
        if self.ndim < 3:
            raise ValueError(f"dsplit: needs at least three axes, got shape {self.shape}")
        return ops.layout.array_split(self, sections, 2, equal=True)

    def diag(self, diagonal: int = 0) -> Tensor:
        """A vector onto a diagonal of a square matrix, or a matrix's diagonal (``torch.diag``)."""
        return ops.matrix.diag(self, diagonal)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        return ops.matrix.diagonal(self, offset, dim1, dim2)

    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
        return ops.matrix.trace(self, offset, axis1, axis2)

    def tril(self, diagonal: int = 0) -> Tensor:
        return ops.matrix.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        return ops.matrix.triu(self, diagonal)

    def one_hot(self, num_classes: int = -1) -> Tensor:
        return one_hot(self, num_classes)


_REFLECTED = {
    "add": "__radd__",
    "subtract": "__rsub__",
    "multiply": "__rmul__",
    "divide": "__rtruediv__",
    "power": "__rpow__",
    "matmul": "__rmatmul__",
}


def _table():
    """The declared table of ``tinygrad_edu.numpy`` (imported late: it imports Tensor)."""
    from tinygrad_edu.numpy import _table

    return _table


# Ops and the backward pass are looked up when a method runs, so they can import Tensor.
from tinygrad_edu import autograd, linalg, ops  # noqa: E402
from tinygrad_edu.ops.arithmetic import (  # noqa: E402
    Add,
    AddConst,
    Div,
    DivConst,
    MatMul,
    Mul,
    MulConst,
    RSubConst,
    Sub,
    SubConst,
)
from tinygrad_edu.ops.functions import one_hot, where  # noqa: E402
from tinygrad_edu.ops.shape import Permute  # noqa: E402
from tinygrad_edu.ops.unary import TanhOp  # noqa: E402
