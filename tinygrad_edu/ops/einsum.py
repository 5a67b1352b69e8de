"""Einstein summation, ``einsum``, and the products written with it: ``tensordot``, ``inner``.

``einsum("ij,jk->ik", A, B)`` multiplies, for every assignment of the letters, the named elements
of the operands, and sums over the letters missing from the output. Its derivative is another
einsum: the gradient of an operand contracts dL/dy with all the *other* operands, and the output
letters become the operand's letters:

    y = einsum("ij,jk->ik", A, B)    dL/dA = einsum("ik,jk->ij", dL/dy, B)

Everything NumPy accepts is reduced here to one plain form (:class:`Einsum`) whose derivative is
that rule, by differentiable steps done first: an ellipsis becomes letters, a letter repeated in
one operand (a diagonal, ``"ii->i"``) is taken with an index, and a size-1 axis that meets a
longer one is broadcast.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

from tinygrad_edu.autograd import Function
from tinygrad_edu.tensor import Tensor

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # NumPy's sublist integers 0..51 map here


class Einsum(Function):
    """y = einsum(subs -> out, x_1, ..., x_n), each operand's letters distinct, all sizes equal.

    dL/dx_k = einsum(out, subs of the others -> subs_k, dL/dy, the others), broadcast along the
    letters of x_k that appear nowhere else (they were summed over x_k alone).
    """

    local = "dL/dx_k = einsum(out, subs of the others -> subs_k, dL/dy, the others)"

    def forward(self, *xs):
        spec = ",".join(self.subs) + "->" + self.out
        return self.xp.einsum(spec, *xs, optimize=len(xs) > 2)

    def backward(self, g):
        grads = []
        for k, (x, need) in enumerate(zip(self.inputs, self.needs_input_grad)):
            if not need:
                grads.append(None)
                continue
            others = [t for i, t in enumerate(self.inputs) if i != k]
            other_subs = [s for i, s in enumerate(self.subs) if i != k]
            seen = set(self.out).union(*other_subs)
            mine = self.subs[k]
            kept = "".join(c for c in mine if c in seen)
            d = Einsum.apply(g, *others, subs=(self.out, *other_subs), out=kept)
            if kept != mine:  # letters summed over x_k alone: their gradient is broadcast back
                d = d.reshape(tuple(n if c in seen else 1 for c, n in zip(mine, x.shape))).expand(*x.shape)
            grads.append(d)
        return tuple(grads)


# ----------------------------------------------------------------------------- parsing


def _from_sublists(args: Sequence[Any]) -> tuple[str, list[Any]]:
    """NumPy's second form ``einsum(x, [0, 1], y, [1, 2], [0, 2])`` as a subscript string."""

    def letters(sub: Any) -> str:
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, int) and 0 <= s < len(_LETTERS):
                out.append(_LETTERS[s])
            else:
                raise ValueError(f"einsum: a subscript in a sublist must be an int in [0, 52) or ..., got {s!r}")
        return "".join(out)

    args = list(args)
    if any(not isinstance(s, (list, tuple)) for s in args[1::2]):
        raise TypeError("einsum: expected a subscripts string, or operands each followed by its list of subscripts")
    out = letters(args.pop()) if len(args) % 2 else None
    operands, subs = args[0::2], [letters(s) for s in args[1::2]]
    return ",".join(subs) + ("" if out is None else "->" + out), operands


def parse(subscripts: str, shapes: Sequence[tuple[int, ...]]) -> tuple[list[str], str]:
    """The subscripts of each operand and of the output, with every ellipsis spelled in letters."""
    spec = subscripts.replace(" ", "")
    if spec.count("->") > 1 or "-" in spec.replace("->", "") or ">" in spec.replace("->", ""):
        raise ValueError(f"einsum: subscripts {subscripts!r} have a misplaced '->'")
    lhs, arrow, rhs = spec.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(ins)} operands, but {len(shapes)} were given")
    for s in ins + [rhs]:
        if any(c not in _LETTERS for c in s.replace("...", "")):
            raise ValueError(f"einsum: subscripts {subscripts!r} may hold only letters, ',', '->' and '...'")
    spare = [c for c in _LETTERS if c not in spec]
    ell_dims = [len(shape) - (len(s) - 3) if "..." in s else 0 for s, shape in zip(ins, shapes)]
    n_ell = max(ell_dims, default=0)
    ell = "".join(spare[:n_ell])
    for i, (s, shape) in enumerate(zip(ins, shapes)):
        ins[i] = s.replace("...", ell[n_ell - ell_dims[i] :] if ell_dims[i] > 0 else "")
        if len(ins[i]) != len(shape):
            raise ValueError(
                f"einsum: operand {i} has shape {shape} ({len(shape)} axes), but subscripts {s!r} name {len(ins[i])}"
            )
    if arrow:
        if n_ell and "..." not in rhs:
            raise ValueError(f"einsum: the operands have axes under '...', but the output {rhs!r} has no '...'")
        out = rhs.replace("...", ell)
        for c in out:
            if out.count(c) > 1 or c not in "".join(ins):
                raise ValueError(f"einsum: output letter {c!r} is repeated or appears in no operand")
    else:
        joined = "".join(ins)
        out = ell + "".join(sorted(c for c in set(joined) if joined.count(c) == 1 and c not in ell))
    return ins, out


def _letter_sizes(ins: Sequence[str], shapes: Sequence[tuple[int, ...]]) -> dict[str, int]:
    """The size of every letter; 1 broadcasts against any size, as in NumPy."""
    sizes: dict[str, int] = {}
    for i, (s, shape) in enumerate(zip(ins, shapes)):
        for c, n in zip(s, shape):
            old = sizes.get(c, 1)
            if n != 1 and old != 1 and n != old:
                raise ValueError(f"einsum: letter {c!r} has size {old} in one place and {n} in operand {i} {shape}")
            sizes[c] = n if n != 1 else old
    return sizes


def _diagonal(x: Tensor, sub: str) -> tuple[Tensor, str]:
    """Take the diagonal over a letter repeated in one operand (``"ii" -> "i"``), by an index."""
    letters = "".join(dict.fromkeys(sub))
    for c in letters:
        sizes = {n for d, n in zip(sub, x.shape) if d == c}
        if len(sizes) > 1:
            raise ValueError(f"einsum: repeated letter {c!r} spans axes of sizes {sorted(sizes)} in {x.shape}")
    m = len(letters)
    index = []
    for c, n in zip(sub, x.shape):
        p = letters.index(c)
        index.append(x.xp.arange(n).reshape(tuple(-1 if q == p else 1 for q in range(m))))
    return x[tuple(index)], letters


def einsum(*args: Any) -> Tensor:
    """``numpy.einsum`` / ``torch.einsum`` for Tensors, differentiable in every operand.

    ``einsum("ij,jk->ik", A, B)``; implicit output (``"ij,jk"``: the letters used once, sorted);
    ``...`` for leading axes (broadcast as in NumPy); a repeated letter in one operand for a
    diagonal (``"ii->i"``, ``"ii"`` for the trace); any number of operands; or NumPy's sublist
    form ``einsum(A, [0, 1], B, [1, 2], [0, 2])``.
    """
    if not args:
        raise TypeError("einsum: expected subscripts and operands")
    if isinstance(args[0], str):
        spec, operands = args[0], list(args[1:])
    else:
        spec, operands = _from_sublists(args)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):  # torch.einsum("ij", [A])
        operands = list(operands[0])
    if not operands:
        raise ValueError("einsum: no operands")
    like = next((o for o in operands if isinstance(o, Tensor)), None)
    ts = [o if isinstance(o, Tensor) else like._lift(o) if like is not None else Tensor(o) for o in operands]
    ins, out = parse(spec, [t.shape for t in ts])
    sizes = _letter_sizes(ins, [t.shape for t in ts])
    for i, (t, s) in enumerate(zip(ts, ins)):
        if len(set(s)) != len(s):
            t, s = _diagonal(t, s)
        full = tuple(sizes[c] for c in s)
        ts[i], ins[i] = (t if t.shape == full else t.expand(*full)), s
    return Einsum.apply(*ts, subs=tuple(ins), out=out)


# ----------------------------------------------------------------------------- products built on it


def _axes_list(axes: Any, ndim: int, which: str) -> list[int]:
    axes = [axes] if isinstance(axes, int) else list(axes)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"tensordot: axis {a} of {which} is out of range for {ndim} axes")
    return [a % ndim for a in axes]


def tensordot(a: Tensor, b: Tensor, axes: Any = 2) -> Tensor:
    """Sum of products over the given axes (``numpy.tensordot``): ``axes=N`` pairs the last N axes
    of ``a`` with the first N of ``b``; ``axes=(axes_a, axes_b)`` names them."""
    if isinstance(axes, int):
        if axes < 0 or axes > min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: axes={axes} does not fit shapes {a.shape} and {b.shape}")
        axes_a, axes_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a, axes_b = _axes_list(axes_a, a.ndim, "a"), _axes_list(axes_b, b.ndim, "b")
    if len(axes_a) != len(axes_b) or any(a.shape[i] != b.shape[j] for i, j in zip(axes_a, axes_b)):
        raise ValueError(f"tensordot: axes {axes_a} of {a.shape} and {axes_b} of {b.shape} do not have the same sizes")
    sa = _LETTERS[: a.ndim]
    fresh = iter(_LETTERS[a.ndim :])
    sb = "".join(sa[axes_a[axes_b.index(j)]] if j in axes_b else next(fresh) for j in range(b.ndim))
    out = "".join(c for i, c in enumerate(sa) if i not in axes_a) + "".join(
        c for j, c in enumerate(sb) if j not in axes_b
    )
    return Einsum.apply(a, b, subs=(sa, sb), out=out)


def inner(a: Tensor, b: Tensor) -> Tensor:
    """The sum of products over the last axes (``numpy.inner``); a product if either is 0-d."""
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"inner: the last axes of {a.shape} and {b.shape} differ")
    return tensordot(a, b, ([-1], [-1]))
