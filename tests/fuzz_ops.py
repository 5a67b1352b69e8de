"""The fuzzer's op table (used by ``test_fuzz.py``): every op of the engine with its PyTorch twin,
the condition under which the program builder may apply it, and how to draw its parameters and
extra operands.

A program is a list of :class:`Step`: leaves holding float64 arrays, then ops applied to earlier
steps. The draw rules receive the builder ``b`` (``b.values``: the engine's value of each step,
``b.leaf(shape)``: a new leaf, ``b.draw(strategy)``, ``b.rng``) and return ``(args, params)`` or
None when the op does not fit the value.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor

BIG = 1e3  # a step whose values exceed this (or are not finite) is dropped: keeps every domain valid
MAX_ELEMENTS = 256

# --------------------------------------------------------------------------------------------- programs


@dataclass
class Step:
    """One value of a program: a leaf (``value``) or ``op`` applied to earlier values ``args``."""

    op: str
    args: tuple[int, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        if self.op == "leaf":
            return f"leaf{tuple(self.params['value'].shape)}"
        shown = {k: (v.shape if isinstance(v, np.ndarray) else v) for k, v in self.params.items()}
        return f"{self.op}{self.args}{shown if shown else ''}"


@dataclass
class Op:
    """An op of the fuzzer: when it applies, how to draw its arguments, and its two implementations."""

    engine: Callable[..., Any]
    torch: Callable[..., Any]
    applies: Callable[[np.ndarray], bool] = lambda x: True
    smooth: bool = True  # differentiable twice everywhere the builder uses it (central differences)
    draw: Callable[..., tuple[tuple[int, ...], dict]] | None = None  # extra operands and parameters


def torch_module():
    """PyTorch, imported only when the oracle runs (the programs themselves need only the engine)."""
    import torch

    return torch


_t = torch_module


def _F():
    return _t().nn.functional


def _unary(name: str, engine: Callable, torch: Callable, applies=lambda x: True, smooth: bool = True) -> tuple:
    return name, Op(engine=lambda x, **_: engine(x), torch=lambda x, **_: torch(x), applies=applies, smooth=smooth)


def _pos(x: np.ndarray) -> bool:
    return x.size == 0 or float(x.min()) > 0.05


def _nonzero(x: np.ndarray) -> bool:
    return x.size == 0 or float(np.abs(x).min()) > 0.1


def _moderate(x: np.ndarray) -> bool:
    return x.size == 0 or float(np.abs(x).max()) < 4.0


UNARY = dict(
    [
        _unary("neg", lambda x: -x, lambda x: -x),
        _unary("exp", lambda x: x.exp(), lambda x: x.exp(), _moderate),
        _unary("log", lambda x: x.log(), lambda x: x.log(), _pos),
        _unary("log_sq", lambda x: (x * x + 0.5).log(), lambda x: (x * x + 0.5).log()),
        _unary("sqrt", lambda x: x.sqrt(), lambda x: x.sqrt(), _pos),
        _unary("sqrt_sq", lambda x: (x * x + 0.5).sqrt(), lambda x: (x * x + 0.5).sqrt()),
        _unary("log1p", lambda x: x.log1p(), lambda x: x.log1p(), lambda x: x.size == 0 or float(x.min()) > -0.9),
        _unary("sin", lambda x: x.sin(), lambda x: x.sin()),
        _unary("cos", lambda x: x.cos(), lambda x: x.cos()),
        _unary("tanh", lambda x: x.tanh(), lambda x: x.tanh()),
        _unary("sigmoid", lambda x: x.sigmoid(), lambda x: x.sigmoid()),
        _unary("erf", lambda x: x.erf(), lambda x: _t().erf(x)),
        _unary("softplus", lambda x: x.softplus(), lambda x: _F().softplus(x)),
        _unary("softplus_beta", lambda x: x.softplus(beta=2.0), lambda x: _F().softplus(x, beta=2.0)),
        _unary(
            "softplus_thr",
            lambda x: x.softplus(threshold=0.75),
            lambda x: _F().softplus(x, threshold=0.75),
            smooth=False,
        ),
        _unary("gelu", lambda x: x.gelu(), lambda x: _F().gelu(x)),
        _unary("gelu_tanh", lambda x: x.gelu("tanh"), lambda x: _F().gelu(x, approximate="tanh")),
        _unary("square", lambda x: x.square(), lambda x: x.square()),
        _unary("cube", lambda x: x**3, lambda x: x**3),
        _unary("pow_half", lambda x: x**0.5, lambda x: x**0.5, _pos),
        _unary("pow_1_5", lambda x: x**1.5, lambda x: x**1.5, _pos),
        _unary("reciprocal", lambda x: x.reciprocal(), lambda x: x.reciprocal(), _nonzero),
        _unary("rdiv", lambda x: 1.5 / x, lambda x: 1.5 / x, _nonzero),
        _unary("rsub", lambda x: 0.75 - x, lambda x: 0.75 - x),
        _unary("scale", lambda x: x * -1.25 + 0.5, lambda x: x * -1.25 + 0.5),
        _unary("div_const", lambda x: x / 3.0, lambda x: x / 3.0),
        _unary("relu", lambda x: x.relu(), lambda x: x.relu(), smooth=False),
        _unary("leaky_relu", lambda x: x.leaky_relu(0.1), lambda x: _F().leaky_relu(x, 0.1), smooth=False),
        _unary("elu", lambda x: x.elu(0.7), lambda x: _F().elu(x, 0.7), smooth=False),
        _unary("abs", lambda x: x.abs(), lambda x: x.abs(), smooth=False),
        _unary("clone", lambda x: x.clone(), lambda x: x.clone()),
    ]
)


def _reduced(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    axes = range(len(shape)) if axis is None else [axis] if isinstance(axis, int) else axis
    return tuple(shape[a] for a in axes) if shape else ()


def _torch_dims(ndim: int, axis: Any) -> Any:
    return tuple(range(ndim)) if axis is None else axis


def _keep_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    axes = range(len(shape)) if axis is None else [axis] if isinstance(axis, int) else axis
    axes = [a % len(shape) for a in axes] if shape else []
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _reduce(engine_name: str, torch_fn: Callable) -> Op:
    def eng(x, axis, keepdims, dim_style=False, **kw):
        f = getattr(x, engine_name)
        return f(dim=axis, keepdim=keepdims, **kw) if dim_style and axis is not None else f(axis, keepdims, **kw)

    def tor(x, axis, keepdims, dim_style=False, **kw):
        if x.ndim == 0:
            return torch_fn(x.reshape(1), 0, False, **kw).reshape(())
        return torch_fn(x, _torch_dims(x.ndim, axis), keepdims, **kw)

    return Op(engine=eng, torch=tor)


def _draw_reduce(b: Any, src: int, nonempty: bool, ddof: bool = False) -> tuple[tuple[int, ...], dict] | None:
    shape = b.values[src].shape
    axis = b.axes(len(shape))
    if nonempty and math.prod(_reduced(shape, axis)) == 0:
        return None
    params = {"axis": axis, "keepdims": b.draw(st.booleans()), "dim_style": b.draw(st.booleans())}
    if ddof:
        params["ddof"] = b.draw(st.integers(0, 1))
        if math.prod(_reduced(shape, axis)) - params["ddof"] <= 0:
            return None
    return (src,), params


def _torch_var(x, dims, keep, ddof=0):
    with warnings.catch_warnings():  # torch warns about degrees of freedom on empty tensors
        warnings.simplefilter("ignore", UserWarning)
        return _t().var(x, dim=dims, correction=ddof, keepdim=keep)


def _torch_std(x, dims, keep, ddof=0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return _t().std(x, dim=dims, correction=ddof, keepdim=keep)


OPS: dict[str, Op] = dict(UNARY)
OPS["sum"] = _reduce("sum", lambda x, d, k: x.sum(dim=d, keepdim=k))
OPS["mean"] = _reduce("mean", lambda x, d, k: x.mean(dim=d, keepdim=k))
OPS["max"] = _reduce("max", lambda x, d, k: _t().amax(x, dim=d, keepdim=k))
OPS["min"] = _reduce("min", lambda x, d, k: _t().amin(x, dim=d, keepdim=k))
OPS["var"] = _reduce("var", _torch_var)
OPS["std"] = _reduce("std", _torch_std)
OPS["logsumexp"] = _reduce("logsumexp", lambda x, d, k: _t().logsumexp(x, dim=d, keepdim=k))
OPS["max"].smooth = OPS["min"].smooth = False
OPS["sum"].draw = lambda b, src: _draw_reduce(b, src, nonempty=False)
for _name in ("mean", "max", "min", "logsumexp"):
    OPS[_name].draw = lambda b, src: _draw_reduce(b, src, nonempty=True)
OPS["var"].draw = lambda b, src: _draw_reduce(b, src, nonempty=True, ddof=True)


def _draw_std(b: Any, src: int):
    drawn = _draw_reduce(b, src, nonempty=True, ddof=True)
    if drawn is None:
        return None
    x, p = b.values[src], drawn[1]
    if x.size and float(np.var(x, axis=p["axis"], ddof=p["ddof"]).min()) < 1e-3:  # sqrt's kink at 0
        return None
    return drawn


OPS["std"].draw = _draw_std


def _binary(engine: Callable, torch: Callable, smooth: bool = True, kind: str = "real") -> Op:
    return Op(
        engine=lambda x, y, **_: engine(x, y),
        torch=lambda x, y, **_: torch(x, y),
        smooth=smooth,
        draw=lambda b, src: _draw_partner(b, src, kind),
    )


def _draw_partner(b: Any, src: int, kind: str) -> tuple[tuple[int, ...], dict] | None:
    """The second operand: an earlier value that broadcasts, or a fresh leaf of a broadcasting shape."""
    shape = b.values[src].shape
    if kind == "real" and b.draw(st.integers(0, 2)) == 0:
        j = b.draw(st.integers(0, len(b.values) - 1))
        try:
            np.broadcast_shapes(shape, b.values[j].shape)
        except ValueError:
            j = None
        if j is not None:
            return ((src, j) if b.draw(st.booleans()) else (j, src)), {}
    other = b.leaf(b.broadcast_partner(shape), kind)
    if kind != "real":  # the divisor or the exponent goes second
        return (src, other), {}
    return ((src, other) if b.draw(st.booleans()) else (other, src)), {}


OPS["add"] = _binary(lambda x, y: x + y, lambda x, y: x + y)
OPS["sub"] = _binary(lambda x, y: x - y, lambda x, y: x - y)
OPS["mul"] = _binary(lambda x, y: x * y, lambda x, y: x * y)
OPS["div"] = _binary(lambda x, y: x / y, lambda x, y: x / y, kind="away")
OPS["maximum"] = _binary(lambda x, y: x.maximum(y), lambda x, y: _t().maximum(x, y), smooth=False)
OPS["minimum"] = _binary(lambda x, y: tg.minimum(x, y), lambda x, y: _t().minimum(x, y), smooth=False)
OPS["pow"] = Op(
    engine=lambda x, y, **_: x**y,
    torch=lambda x, y, **_: x**y,
    applies=_pos,
    draw=lambda b, src: _draw_partner(b, src, "away"),
)


def _draw_softmax(b: Any, src: int):
    nd = b.values[src].ndim
    return (src,), {"axis": b.draw(st.integers(-max(nd, 1), max(nd, 1) - 1))}


OPS["softmax"] = Op(engine=lambda x, axis: x.softmax(axis), torch=lambda x, axis: x.softmax(axis), draw=_draw_softmax)
OPS["log_softmax"] = Op(
    engine=lambda x, axis: x.log_softmax(dim=axis), torch=lambda x, axis: x.log_softmax(axis), draw=_draw_softmax
)


def _factorizations(n: int) -> list[int]:
    out, k = [], 2
    while k * k <= n:
        while n % k == 0:
            out.append(k)
            n //= k
        k += 1
    return out + ([n] if n > 1 else [])


def _draw_reshape(b: Any, src: int):
    shape = b.values[src].shape
    n = math.prod(shape)
    if n == 0:
        new = [0] + [b.draw(st.integers(1, 3)) for _ in range(b.draw(st.integers(0, 2)))]
        new = b.draw(st.permutations(new))
    else:
        factors = _factorizations(n)
        k = b.draw(st.integers(0, min(len(factors) + 1, 4)))
        new = [1] * k if k else []
        for f in factors:
            if new:
                new[b.draw(st.integers(0, len(new) - 1))] *= f
            else:
                new = [f]
    new = tuple(new)
    if n and new and b.draw(st.booleans()):
        i = b.draw(st.integers(0, len(new) - 1))
        new = new[:i] + (-1,) + new[i + 1 :]
    return (src,), {"shape": new}


OPS["reshape"] = Op(
    engine=lambda x, shape: x.reshape(shape), torch=lambda x, shape: x.reshape(shape), draw=_draw_reshape
)


def _draw_permute(b: Any, src: int):
    nd = b.values[src].ndim
    return (src,), {"axes": tuple(b.draw(st.permutations(list(range(nd)))))}


OPS["permute"] = Op(
    engine=lambda x, axes: x.permute(*axes), torch=lambda x, axes: x.permute(tuple(axes)), draw=_draw_permute
)


def _draw_swap(b: Any, src: int):
    nd = b.values[src].ndim
    if nd == 0:
        return None
    return (src,), {"a": b.draw(st.integers(-nd, nd - 1)), "c": b.draw(st.integers(-nd, nd - 1))}


OPS["transpose"] = Op(
    engine=lambda x, a, c: x.transpose(a, c), torch=lambda x, a, c: x.transpose(a, c), draw=_draw_swap
)
OPS["T"] = Op(engine=lambda x: x.T, torch=lambda x: x.permute(tuple(range(x.ndim - 1, -1, -1))))


def _draw_expand(b: Any, src: int):
    shape = b.values[src].shape
    new = [
        s if s != 1 else b.draw(st.sampled_from([1, 2, 3, 0] if b.draw(st.integers(0, 7)) == 0 else [1, 2, 3]))
        for s in shape
    ]
    lead = [b.draw(st.integers(1, 3)) for _ in range(b.draw(st.integers(0, 4 - len(shape))) if len(shape) < 4 else 0)]
    new = tuple(lead + new)
    if math.prod(new) > MAX_ELEMENTS:
        return None
    shown = tuple(
        -1 if i >= len(lead) and s == shape[i - len(lead)] and b.draw(st.booleans()) else s for i, s in enumerate(new)
    )
    return (src,), {"shape": shown}


OPS["expand"] = Op(
    engine=lambda x, shape: x.expand(*shape),
    torch=lambda x, shape: x.expand(tuple(shape)) if shape else x,
    draw=_draw_expand,
)


def _torch_sum_to(x, shape):
    lead = x.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1)
    return (x.sum(dim=dims, keepdim=True) if dims else x).reshape(shape)


def _draw_sum_to(b: Any, src: int):
    shape = b.values[src].shape
    target = []
    for s in shape:
        target.append(1 if b.draw(st.booleans()) else s)
    target = tuple(target[b.draw(st.integers(0, len(target))) :])
    return (src,), {"shape": target}


OPS["sum_to"] = Op(engine=lambda x, shape: x.sum_to(shape), torch=_torch_sum_to, draw=_draw_sum_to)


def _draw_squeeze(b: Any, src: int):
    shape = b.values[src].shape
    ones = [i for i, s in enumerate(shape) if s == 1]
    axis = None if not ones or b.draw(st.booleans()) else b.draw(st.sampled_from(ones))
    return (src,), {"axis": axis}


def _torch_squeeze(x, axis):
    return x.squeeze() if axis is None else x.squeeze(axis)


OPS["squeeze"] = Op(engine=lambda x, axis: x.squeeze(axis), torch=_torch_squeeze, draw=_draw_squeeze)


def _draw_unsqueeze(b: Any, src: int):
    nd = b.values[src].ndim
    if nd >= 5:
        return None
    return (src,), {"axis": b.draw(st.integers(-nd - 1, nd))}


OPS["unsqueeze"] = Op(
    engine=lambda x, axis: x.unsqueeze(axis), torch=lambda x, axis: x.unsqueeze(axis), draw=_draw_unsqueeze
)


def _draw_flatten(b: Any, src: int):
    nd = b.values[src].ndim
    if nd == 0:
        return (src,), {"start": 0, "end": -1}
    s = b.draw(st.integers(0, nd - 1))
    return (src,), {"start": s, "end": b.draw(st.integers(s, nd - 1))}


OPS["flatten"] = Op(
    engine=lambda x, start, end: x.flatten(start, end),
    torch=lambda x, start, end: x.flatten(start, end),
    draw=_draw_flatten,
)


def _draw_getitem(b: Any, src: int):
    shape = b.values[src].shape
    if not shape:
        return (src,), {"index": (None,) if b.draw(st.booleans()) else ()}
    if b.draw(st.integers(0, 5)) == 0:  # a boolean mask of the full shape
        return (src,), {"index": np.asarray(b.rng.random(shape) < 0.5)}
    parts: list[Any] = []
    use_array = b.draw(st.integers(0, 3)) == 0
    array_axis = b.draw(st.integers(0, len(shape) - 1)) if use_array else -1
    m = b.draw(st.integers(1, len(shape)))
    ellipsis = not use_array and b.draw(st.integers(0, 4)) == 0  # then the parts index the last m axes
    offset = len(shape) - m if ellipsis else 0
    for ax, n in enumerate(shape[offset : offset + m]):
        kind = b.draw(st.integers(0, 3))
        if ax == array_axis:
            if n == 0:
                parts.append(np.zeros(0, dtype=np.int64))
            else:  # repeats and negative indices: the gradient must accumulate
                parts.append(b.rng.integers(-n, n, b.draw(st.integers(0, 4))))
        elif kind == 0 and n > 0 and not use_array:
            parts.append(b.draw(st.integers(-n, n - 1)))
        elif kind == 1:
            parts.append(None)
            parts.append(slice(None))
        else:
            start = b.draw(st.one_of(st.none(), st.integers(-n - 1, n + 1)))
            stop = b.draw(st.one_of(st.none(), st.integers(-n - 1, n + 1)))
            step = b.draw(st.sampled_from([None, 1, 2, -1, -2]))
            parts.append(slice(start, stop, step))
    if ellipsis:
        parts.insert(0, Ellipsis)
    return (src,), {"index": tuple(parts)}


def _torch_getitem(x, index):
    """NumPy indexing done axis by axis with torch ops (torch has no negative-step slices)."""
    torch = _t()
    if isinstance(index, np.ndarray):  # a boolean mask
        return x[torch.from_numpy(index)]
    parts = list(index)
    if any(p is Ellipsis for p in parts):
        i = [p is Ellipsis for p in parts].index(True)
        used = sum(p is not None for p in parts if p is not Ellipsis)
        parts[i : i + 1] = [slice(None)] * (x.ndim - used)
    ax = 0
    for p in parts:
        if p is None:
            x = x.unsqueeze(ax)
            ax += 1
        elif isinstance(p, int):
            x = x.select(ax, p)
        elif isinstance(p, slice):
            idx = np.arange(x.shape[ax])[p]
            x = x.index_select(ax, torch.from_numpy(idx.astype(np.int64)))
            ax += 1
        else:
            n = x.shape[ax]
            x = x.index_select(ax, torch.from_numpy(np.asarray(p, dtype=np.int64) % max(n, 1)))
            ax += 1
    return x


OPS["getitem"] = Op(engine=lambda x, index: x[index], torch=_torch_getitem, draw=_draw_getitem)


def _draw_pad(b: Any, src: int):
    nd = b.values[src].ndim
    if nd == 0:
        return None
    widths = tuple((b.draw(st.integers(0, 2)), b.draw(st.integers(0, 2))) for _ in range(nd))
    total = math.prod(s + a + c for s, (a, c) in zip(b.values[src].shape, widths))
    if total > MAX_ELEMENTS:
        return None
    return (src,), {"pad_width": widths, "value": b.draw(st.sampled_from([0.0, 0.375, -1.5]))}


def _torch_pad(x, pad_width, value):
    flat = [w for pair in reversed(pad_width) for w in pair]
    return _F().pad(x, flat, mode="constant", value=value)


OPS["pad"] = Op(engine=lambda x, pad_width, value: x.pad(pad_width, value), torch=_torch_pad, draw=_draw_pad)


def _draw_join(b: Any, src: int, stack: bool):
    shape = b.values[src].shape
    if not shape and not stack:
        return None
    nd = len(shape) + (1 if stack else 0)
    axis = b.draw(st.integers(-nd, nd - 1))
    args = [src]
    for _ in range(b.draw(st.integers(0, 2))):
        if b.draw(st.integers(0, 3)) == 0:
            args.append(src)  # the same tensor twice: its gradient adds up
        else:
            new = list(shape)
            if not stack:
                new[axis % len(shape)] = b.draw(st.integers(0, 3))
            args.append(b.leaf(tuple(new)))
    return tuple(args), {"axis": axis}


OPS["concatenate"] = Op(
    engine=lambda *xs, axis: tg.concatenate(list(xs), axis),
    torch=lambda *xs, axis: _t().cat(list(xs), axis),
    draw=lambda b, s: _draw_join(b, s, False),
)
OPS["stack"] = Op(
    engine=lambda *xs, axis: tg.stack(list(xs), axis=axis),
    torch=lambda *xs, axis: _t().stack(list(xs), axis),
    draw=lambda b, s: _draw_join(b, s, True),
)


def _draw_split(b: Any, src: int):
    shape = b.values[src].shape
    if not shape:
        return None
    axis = b.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[axis]
    if n == 0:
        return None
    size = b.draw(st.integers(1, n))
    pieces = -(-n // size)
    return (src,), {"size": size, "axis": axis, "k": b.draw(st.integers(0, pieces - 1))}


OPS["split"] = Op(
    engine=lambda x, size, axis, k: x.split(size, axis)[k],
    torch=lambda x, size, axis, k: _t().split(x, size, axis)[k],
    draw=_draw_split,
)


def _draw_where(b: Any, src: int):
    shape = b.values[src].shape
    partner = _draw_partner(b, src, "real")
    out_shape = np.broadcast_shapes(*(b.values[i].shape for i in partner[0]))
    cond_shape = out_shape[b.draw(st.integers(0, len(out_shape))) :] if b.draw(st.booleans()) else shape
    return partner[0], {"cond": np.asarray(b.rng.random(cond_shape) < 0.5)}


OPS["where"] = Op(
    engine=lambda x, y, cond: tg.where(Tensor(cond), x, y),
    torch=lambda x, y, cond: _t().where(_t().from_numpy(cond), x, y),
    draw=_draw_where,
)


def _draw_clip(b: Any, src: int):
    # bounds that no value of the program equals (odd multiples of 1/64 scaled by an irrational)
    low = b.draw(st.sampled_from([None, -1.1781, -0.3927, 0.1963]))
    high = b.draw(st.sampled_from([None, 0.5890, 1.3744])) if low is not None else b.draw(st.sampled_from([0.5890]))
    return (src,), {"low": low, "high": high}


OPS["clip"] = Op(
    engine=lambda x, low, high: x.clip(low, high),
    torch=lambda x, low, high: x.clamp(low, high),
    smooth=False,
    draw=_draw_clip,
)


def _draw_matmul(b: Any, src: int):
    shape = b.values[src].shape
    if not shape or len(shape) > 3:
        return None
    k = shape[-1]
    m = b.draw(st.integers(0, 3)) if b.draw(st.integers(0, 7)) == 0 else b.draw(st.integers(1, 3))
    form = b.draw(st.integers(0, 3))
    if form == 0:  # x @ vector
        other = b.leaf((k,))
    elif form == 1:  # x @ matrix
        other = b.leaf((k, m))
    elif form == 2 and len(shape) >= 2:  # x @ a batch of matrices, broadcast over the batch
        batch = b.draw(st.sampled_from([1, shape[0] if len(shape) == 3 else 2]))
        other = b.leaf((batch, k, m))
    else:  # vector or matrix @ x: x's first matrix axis is contracted
        kk = shape[-2] if len(shape) >= 2 else shape[0]
        other = b.leaf((kk,) if b.draw(st.booleans()) else (m, kk))
        return (other, src), {}
    return (src, other), {}


OPS["matmul"] = Op(engine=lambda x, y: x @ y, torch=lambda x, y: x @ y, draw=_draw_matmul)


# ------------------------------------------------------------------ issue 15: matrix structure, rearranging, linalg


def _has_matrix(x: np.ndarray) -> bool:
    return x.ndim >= 2 and x.shape[-1] >= 1 and x.size <= 64


def _spd(x, lib):
    """x x^T + n I: a well-conditioned symmetric positive-definite matrix made from any x."""
    n = x.shape[-2]
    return x @ x.transpose(-1, -2) + n * lib(x, n)


def _eye_tg(x, n):
    return Tensor(np.eye(n), device=x.device)


def _eye_torch(x, n):
    return _t().eye(n, dtype=x.dtype)


def _draw_diagonal(b: Any, src: int):
    nd = b.values[src].ndim
    a1, a2 = b.draw(st.permutations(list(range(-nd, 0))))[:2]
    return (src,), {"offset": b.draw(st.integers(-2, 2)), "a1": a1, "a2": a2}


def _draw_k(b: Any, src: int):
    return (src,), {"k": b.draw(st.integers(-2, 2))}


def _draw_flip(b: Any, src: int):
    nd = b.values[src].ndim
    return (src,), {"dims": tuple(b.draw(st.lists(st.integers(0, nd - 1), unique=True))) if nd else ()}


def _draw_roll(b: Any, src: int):
    nd = b.values[src].ndim
    if not nd:
        return None
    return (src,), {"shift": b.draw(st.integers(-4, 4)), "dim": b.draw(st.integers(-nd, nd - 1))}


def _draw_repeat(b: Any, src: int):
    shape = b.values[src].shape
    if not shape or 3 * math.prod(shape) > MAX_ELEMENTS:
        return None
    dim = b.draw(st.integers(-len(shape), len(shape) - 1))
    return (src,), {"repeats": [int(r) for r in b.rng.integers(0, 3, shape[dim])], "dim": dim}


def _draw_tile(b: Any, src: int):
    reps = tuple(b.draw(st.lists(st.integers(1, 2), min_size=1, max_size=3)))
    if math.prod(reps) * b.values[src].size > MAX_ELEMENTS:
        return None
    return (src,), {"reps": reps}


def _draw_movedim(b: Any, src: int):
    nd = b.values[src].ndim
    if not nd:
        return None
    return (src,), {"src_": b.draw(st.integers(-nd, nd - 1)), "dst": b.draw(st.integers(-nd, nd - 1))}


def _draw_pad_mode(b: Any, src: int):
    shape = b.values[src].shape
    if not shape or 0 in shape:
        return None
    mode = b.draw(st.sampled_from(["edge", "reflect", "symmetric", "wrap"]))
    cap = (lambda s: s - 1) if mode == "reflect" else (lambda s: 2)
    widths = tuple((b.draw(st.integers(0, cap(s))), b.draw(st.integers(0, cap(s)))) for s in shape)
    if math.prod(s + a + c for s, (a, c) in zip(shape, widths)) > MAX_ELEMENTS:
        return None
    return (src,), {"widths": widths, "mode": mode}


def _torch_pad_mode(x, widths, mode):
    """NumPy's pad modes with torch ops: each border element indexed from its source, axis by axis."""
    for axis, (a, c) in enumerate(widths):
        index = np.pad(np.arange(x.shape[axis]), (a, c), mode=mode)
        x = x.index_select(axis, _t().from_numpy(index))
    return x


def _draw_solve(b: Any, src: int):
    n = b.values[src].shape[-2]
    return (src, b.leaf(b.values[src].shape[:-2] + (n, b.draw(st.integers(1, 2))))), {}


def _gaps_ok(x: np.ndarray) -> bool:
    """Singular values apart and away from 0: svdvals is smooth there and its gradient unique."""
    if not _has_matrix(x) or 0 in x.shape:
        return False
    s = np.linalg.svd(x, compute_uv=False)
    return bool(s.min() > 0.1 and (s.shape[-1] < 2 or np.diff(s, axis=-1).__abs__().min() > 0.1))


def _eig_gaps_ok(x: np.ndarray) -> bool:
    """Eigenvalues of x x^T + n I apart (a repeated one has no derivative beyond the first)."""
    if not _has_matrix(x):
        return False
    w = np.linalg.eigvalsh(x @ np.swapaxes(x, -1, -2) + x.shape[-2] * np.eye(x.shape[-2]))
    return bool(w.shape[-1] < 2 or w.size == 0 or np.diff(w, axis=-1).min() > 0.1)


def _draw_norm(b: Any, src: int):
    nd = b.values[src].ndim
    if not nd or b.values[src].size == 0 or np.abs(b.values[src]).min() < 0.05:
        return None
    return (src,), {"ord": b.draw(st.sampled_from([2, 1, 3, 1.5])), "dim": b.draw(st.integers(-nd, nd - 1))}


OPS.update(
    {
        "diagonal": Op(
            engine=lambda x, offset, a1, a2: x.diagonal(offset, a1, a2),
            torch=lambda x, offset, a1, a2: x.diagonal(offset, a1, a2),
            applies=lambda x: x.ndim >= 2,
            draw=_draw_diagonal,
        ),
        "trace": Op(
            engine=lambda x, offset, a1, a2: x.trace(offset, a1, a2),
            torch=lambda x, offset, a1, a2: x.diagonal(offset, a1, a2).sum(-1),
            applies=lambda x: x.ndim >= 2,
            draw=_draw_diagonal,
        ),
        "tril": Op(
            engine=lambda x, k: x.tril(k), torch=lambda x, k: x.tril(k), applies=lambda x: x.ndim >= 2, draw=_draw_k
        ),
        "triu": Op(
            engine=lambda x, k: x.triu(k), torch=lambda x, k: x.triu(k), applies=lambda x: x.ndim >= 2, draw=_draw_k
        ),
        "flip": Op(engine=lambda x, dims: x.flip(dims), torch=lambda x, dims: x.flip(dims), draw=_draw_flip),
        "roll": Op(
            engine=lambda x, shift, dim: x.roll(shift, dim),
            torch=lambda x, shift, dim: x.roll(shift, dim),
            draw=_draw_roll,
        ),
        "rot90": Op(
            engine=lambda x, k: x.rot90(k, (0, 1)),
            torch=lambda x, k: x.rot90(k, (0, 1)),
            applies=lambda x: x.ndim >= 2,
            draw=_draw_k,
        ),
        "repeat_interleave": Op(
            engine=lambda x, repeats, dim: x.repeat_interleave(repeats, dim),
            torch=lambda x, repeats, dim: x.repeat_interleave(_t().tensor(repeats, dtype=_t().int64), dim),
            draw=_draw_repeat,
        ),
        "tile": Op(engine=lambda x, reps: x.tile(reps), torch=lambda x, reps: x.tile(reps), draw=_draw_tile),
        "movedim": Op(
            engine=lambda x, src_, dst: x.movedim(src_, dst),
            torch=lambda x, src_, dst: x.movedim(src_, dst),
            draw=_draw_movedim,
        ),
        "pad_mode": Op(
            engine=lambda x, widths, mode: x.pad(widths, mode=mode), torch=_torch_pad_mode, draw=_draw_pad_mode
        ),
        "inv_spd": Op(
            engine=lambda x: tg.linalg.inv(_spd(x, _eye_tg)),
            torch=lambda x: _t().linalg.inv(_spd(x, _eye_torch)),
            applies=_has_matrix,
        ),
        "slogdet_spd": Op(
            engine=lambda x: tg.linalg.slogdet(_spd(x, _eye_tg))[1],
            torch=lambda x: _t().linalg.slogdet(_spd(x, _eye_torch))[1],
            applies=_has_matrix,
        ),
        "det_spd": Op(
            engine=lambda x: tg.linalg.det(_spd(x, _eye_tg) * 0.25),
            torch=lambda x: _t().linalg.det(_spd(x, _eye_torch) * 0.25),
            applies=_has_matrix,
        ),
        "solve_spd": Op(
            engine=lambda x, b: tg.linalg.solve(_spd(x, _eye_tg), b),
            torch=lambda x, b: _t().linalg.solve(_spd(x, _eye_torch), b),
            applies=_has_matrix,
            draw=_draw_solve,
        ),
        "cholesky_spd": Op(
            engine=lambda x: tg.linalg.cholesky(_spd(x, _eye_tg)),
            torch=lambda x: _t().linalg.cholesky(_spd(x, _eye_torch)),
            applies=_has_matrix,
        ),
        "eigvalsh_spd": Op(
            engine=lambda x: tg.linalg.eigvalsh(_spd(x, _eye_tg)),
            torch=lambda x: _t().linalg.eigvalsh(_spd(x, _eye_torch)),
            applies=_eig_gaps_ok,
        ),
        "svdvals": Op(engine=lambda x: tg.linalg.svdvals(x), torch=lambda x: _t().linalg.svdvals(x), applies=_gaps_ok),
        "vector_norm": Op(
            engine=lambda x, ord, dim: tg.linalg.vector_norm(x, ord, dim),
            torch=lambda x, ord, dim: _t().linalg.vector_norm(x, ord, dim),
            draw=_draw_norm,
        ),
    }
)


# --------------------------------------------------------------------------------------------- issue 15's ops


def _no_zero(x: np.ndarray) -> bool:  # sinc's derivative at an exact 0 is PyTorch's convention, not the limit
    return x.size == 0 or float(np.abs(x).min()) > 1e-3


UNARY_15 = dict(
    [
        _unary("expm1", lambda x: x.expm1(), lambda x: x.expm1(), _moderate),
        _unary("exp2", lambda x: x.exp2(), lambda x: x.exp2(), _moderate),
        _unary("log2", lambda x: x.log2(), lambda x: x.log2(), _pos),
        _unary("log10", lambda x: x.log10(), lambda x: x.log10(), _pos),
        _unary("arcsin_tanh", lambda x: (x.tanh() * 0.9).arcsin(), lambda x: (x.tanh() * 0.9).asin()),
        _unary("arccos_tanh", lambda x: (x.tanh() * 0.9).arccos(), lambda x: (x.tanh() * 0.9).acos()),
        _unary("arctan", lambda x: x.arctan(), lambda x: x.atan()),
        _unary("sinh", lambda x: x.sinh(), lambda x: x.sinh(), _moderate),
        _unary("cosh", lambda x: x.cosh(), lambda x: x.cosh(), _moderate),
        _unary("arcsinh", lambda x: x.arcsinh(), lambda x: x.asinh()),
        _unary("arccosh_sq", lambda x: (x * x + 1.2).arccosh(), lambda x: (x * x + 1.2).acosh()),
        _unary("arctanh_tanh", lambda x: (x.tanh() * 0.9).arctanh(), lambda x: (x.tanh() * 0.9).atanh()),
        _unary("deg2rad", lambda x: x.deg2rad(), lambda x: x.deg2rad()),
        _unary("rad2deg", lambda x: x.rad2deg(), lambda x: x.rad2deg()),
        _unary("sinc", lambda x: x.sinc(), lambda x: x.sinc(), _no_zero),
        _unary("nan_to_num", lambda x: x.nan_to_num(), lambda x: x.nan_to_num()),
        _unary("py_abs", lambda x: abs(x), lambda x: abs(x), smooth=False),
    ]
)
OPS.update(UNARY_15)


def _torch_trigamma(x):
    """polygamma(1, x) for x > 0 to about 1e-13, in differentiable torch ops: torch.polygamma(1, x) is
    off by about 5e-10 relative on [0.5, 3] (SciPy, which the engine uses, to 5e-16), too loose for the
    fuzzer's 1e-10. Twelve steps of psi1(x) = psi1(x + 1) + 1/x^2, then the asymptotic series."""
    total = 0.0
    for k in range(12):
        total = total + 1.0 / (x + k) ** 2
    z = x + 12.0
    z2 = z * z
    series = 1 / z + 1 / (2 * z2) + 1 / (6 * z * z2) - 1 / (30 * z * z2**2)
    return total + series + 1 / (42 * z * z2**3) - 1 / (30 * z * z2**4)


@functools.cache
def _accurate_torch(name: str):
    """torch.digamma or torch.lgamma (the apply of an autograd.Function) whose derivative is accurate:
    digamma' is the _torch_trigamma series, lgamma' is this digamma. torch's own derivatives go
    through torch.polygamma(1, z), 5e-10 off, which long fuzz runs amplified past the H v tolerance
    (2e-8 behind a cumprod; 7e-10 for lgamma(x^2 + 0.5) alone)."""
    torch = _t()
    value = getattr(torch, name)
    derivative = _torch_trigamma if name == "digamma" else _accurate_torch("digamma")

    class Accurate(torch.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return value(z)

        @staticmethod
        def backward(ctx, g):  # differentiable ops on the saved z, so double backward works
            (z,) = ctx.saved_tensors
            return g * derivative(z)

    return Accurate.apply


# issue 15's special functions (tinygrad_edu/ops/special.py), in forms that apply to any value
UNARY_SPECIAL = dict(
    [
        _unary("erfc", lambda x: x.erfc(), lambda x: _t().special.erfc(x)),
        _unary("lgamma_sq", lambda x: (x * x + 0.5).lgamma(), lambda x: _accurate_torch("lgamma")(x * x + 0.5)),
        _unary("digamma_sq", lambda x: (x * x + 0.5).digamma(), lambda x: _accurate_torch("digamma")(x * x + 0.5)),
        _unary("polygamma1_sq", lambda x: (x * x + 0.5).polygamma(1), lambda x: _torch_trigamma(x * x + 0.5)),
        _unary(
            "logit_sigmoid",
            lambda x: (x.sigmoid() * 0.9 + 0.05).logit(),
            lambda x: (x.sigmoid() * 0.9 + 0.05).logit(),
        ),
    ]
)
OPS.update(UNARY_SPECIAL)
OPS["atan2"] = _binary(lambda x, y: x.atan2(y), lambda x, y: _t().atan2(x, y), smooth=False)  # poles at the origin
OPS["hypot"] = _binary(lambda x, y: x.hypot(y), lambda x, y: _t().hypot(x, y), smooth=False)
# hypot's derivative at the origin is NaN (0/0, as PyTorch's); kept away from exact zeros, since where()'s
# derivative multiplies by its mask (NaN * 0 = NaN) where PyTorch's selects (0)
OPS["hypot"].applies = _no_zero
# atan2 at the origin: first derivative 0 in both; the second is 0 here and NaN in PyTorch (a singular point)
OPS["atan2"].applies = _no_zero
OPS["fmax"] = _binary(lambda x, y: x.fmax(y), lambda x, y: _t().fmax(x, y), smooth=False)
OPS["fmin"] = _binary(lambda x, y: x.fmin(y), lambda x, y: _t().fmin(x, y), smooth=False)
OPS["remainder"] = _binary(lambda x, y: x % y, lambda x, y: _t().remainder(x, y), smooth=False, kind="away")
OPS["fmod"] = _binary(lambda x, y: x.fmod(y), lambda x, y: _t().fmod(x, y), smooth=False, kind="away")
OPS["logaddexp"] = _binary(lambda x, y: x.logaddexp(y), lambda x, y: _t().logaddexp(x, y))
OPS["logaddexp2"] = _binary(lambda x, y: x.logaddexp2(y), lambda x, y: _t().logaddexp2(x, y))


def _torch_prod(x, dims, keep):
    """torch.prod reduces one axis at a time."""
    dims = sorted({d % max(x.ndim, 1) for d in ((dims,) if isinstance(dims, int) else dims)}, reverse=True)
    for d in dims:
        x = x.prod(d, keepdim=keep)
    return x


OPS["prod"] = _reduce("prod", _torch_prod)
OPS["prod"].draw = lambda b, src: _draw_reduce(b, src, nonempty=False)


def _draw_running(b: Any, src: int):
    nd = b.values[src].ndim
    return (src,), {"axis": b.draw(st.sampled_from([None, *range(-nd, nd)]))}


def _torch_running(name: str) -> Callable:
    def run(x, axis):
        return getattr(x.reshape(-1) if axis is None else x, name)(0 if axis is None else axis)

    return run


OPS["cumsum"] = Op(engine=lambda x, axis: x.cumsum(axis), torch=_torch_running("cumsum"), draw=_draw_running)
OPS["cumprod"] = Op(engine=lambda x, axis: x.cumprod(axis), torch=_torch_running("cumprod"), draw=_draw_running)


def _draw_einsum(b: Any, src: int):
    shape = b.values[src].shape
    s = "abcdefgh"[: len(shape)]
    if not shape:
        return (src, b.leaf((2,))), {"spec": ",i->i"}
    form = b.draw(st.integers(0, 3))
    if form == 0:  # a contraction of the last axis with a new matrix
        return (src, b.leaf((shape[-1], b.draw(st.integers(1, 3))))), {"spec": f"{s},{s[-1]}z->{s[:-1]}z"}
    if form == 1 and len(shape) >= 2 and shape[-1] == shape[-2]:  # a diagonal
        return (src,), {"spec": "...ii->...i"}
    if form == 2:  # three operands, implicit output
        return (src, b.leaf((shape[-1],)), b.leaf((shape[0],))), {"spec": f"{s},{s[-1]},{s[0]}"}
    return (src,), {"spec": f"{s}->{s[::-1]}"}  # a transpose


OPS["einsum"] = Op(
    engine=lambda *xs, spec: tg.einsum(spec, *xs), torch=lambda *xs, spec: _t().einsum(spec, *xs), draw=_draw_einsum
)


def _draw_kron(b: Any, src: int):
    if b.values[src].size > 32:
        return None
    shape = tuple(b.draw(st.integers(1, 2)) for _ in range(b.draw(st.integers(0, 2))))
    return (src, b.leaf(shape)), {}


OPS["kron"] = Op(
    engine=lambda x, y: x.kron(y), torch=lambda x, y: _t().kron(x.contiguous(), y.contiguous()), draw=_draw_kron
)


def _draw_cross(b: Any, src: int):
    """x's own 3-vectors when its last axis has 3, else x times a 3-vector (a new axis): always applies."""
    shape = b.values[src].shape
    if shape and shape[-1] == 3:
        return (src, b.leaf(b.broadcast_partner(shape[:-1]) + (3,))), {"lift": False}
    return (src, b.leaf((3,)), b.leaf((3,))), {"lift": True}


def _cross(x, y, *rest, lift, cross):
    return cross(x.unsqueeze(-1) * y, rest[0]) if lift else cross(x, y)


OPS["cross"] = Op(
    engine=lambda *xs, lift: _cross(*xs, lift=lift, cross=tg.ops.products.cross),
    torch=lambda *xs, lift: _cross(*xs, lift=lift, cross=lambda u, v: _t().linalg.cross(*_t().broadcast_tensors(u, v))),
    draw=_draw_cross,
)


def _draw_diff(b: Any, src: int):
    shape = b.values[src].shape
    if not shape:
        return None
    axis = b.draw(st.integers(-len(shape), len(shape) - 1))
    n = b.draw(st.integers(1, 2))
    return ((src,), {"n": n, "axis": axis}) if shape[axis] >= n else None


OPS["diff"] = Op(engine=lambda x, n, axis: x.diff(n, axis), torch=lambda x, n, axis: x.diff(n, axis), draw=_draw_diff)


def _draw_take_along(b: Any, src: int):
    shape = b.values[src].shape
    if not shape:
        return None
    axis = b.draw(st.integers(-len(shape), len(shape) - 1))
    if shape[axis] == 0:
        return None
    idx_shape = tuple(b.draw(st.integers(0, 3)) if i == axis % len(shape) else s for i, s in enumerate(shape))
    return (src,), {"indices": b.rng.integers(0, shape[axis], idx_shape), "axis": axis}


OPS["take_along_dim"] = Op(
    engine=lambda x, indices, axis: x.take_along_dim(indices, axis),
    torch=lambda x, indices, axis: _t().take_along_dim(x, _t().from_numpy(indices), axis),
    draw=_draw_take_along,
)


def _draw_sort(b: Any, src: int):
    nd = b.values[src].ndim
    return (src,), {"axis": b.draw(st.integers(-max(nd, 1), max(nd, 1) - 1)), "descending": b.draw(st.booleans())}


def _torch_sort(x, axis, descending):
    if x.ndim == 0:
        return x * 1.0
    return _t().sort(x, dim=axis, descending=descending, stable=True).values


OPS["sort"] = Op(
    engine=lambda x, axis, descending: x.sort(axis, descending).values,
    torch=_torch_sort,
    smooth=False,  # piecewise: the order changes where two values meet
    draw=_draw_sort,
)
