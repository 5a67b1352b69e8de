"""More ops for the fuzzer's table (imported by ``test_fuzz.py`` before it lists the names):
convolution and pooling, batch normalization, the losses' options (class ``weight``,
``ignore_index``, label smoothing, probability targets, ``nll_loss``), and the fused and
multi-use patterns that the backward pass must add up correctly (a tensor used twice, ``x + y``
feeding two consumers, the fused tanh/sigmoid/affine rules inside a product).

Each op reshapes its operand as it needs (a 4-D image batch, an (N, C) matrix), so it applies to
any value a program holds; the draw rules follow ``fuzz_ops.py``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

import tinygrad_edu.nn.functional as NF
from fuzz_ops import OPS, Op, _draw_partner, torch_module


def _TF():
    return torch_module().nn.functional


def _image_shape(b: Any, n: int) -> tuple[int, int, int, int] | None:
    """A 4-D shape (N, C, H, W) of n elements with H, W >= 2 where possible."""
    if n == 0:
        return None
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    h = b.draw(st.sampled_from(divisors))
    w = b.draw(st.sampled_from([d for d in divisors if (n // h) % d == 0]))
    rest = n // (h * w)
    c = b.draw(st.sampled_from([d for d in divisors if rest % d == 0]))
    return (rest // c, c, h, w)


# ------------------------------------------------------------------------------ convolution and pooling


def _draw_conv(b: Any, src: int):
    shape = _image_shape(b, b.values[src].size)
    if shape is None or shape[1] > 4:
        return None
    _, c, h, w = shape
    kh, kw = b.draw(st.integers(1, min(h, 3))), b.draw(st.integers(1, min(w, 3)))
    out = b.draw(st.integers(1, 3))
    params = {
        "shape": shape,
        "stride": b.draw(st.sampled_from([1, 1, 2])),
        "padding": b.draw(st.sampled_from([0, 0, 1])),
    }
    args = (src, b.leaf((out, c, kh, kw)))
    if b.draw(st.booleans()):
        args += (b.leaf((out,)),)
    return args, params


OPS["conv2d"] = Op(
    engine=lambda x, *wb, shape, stride, padding: NF.conv2d(x.reshape(shape), *wb, stride=stride, padding=padding),
    torch=lambda x, *wb, shape, stride, padding: _TF().conv2d(x.reshape(shape), *wb, stride=stride, padding=padding),
    draw=_draw_conv,
)


def _draw_pool(b: Any, src: int, padded: bool):
    shape = _image_shape(b, b.values[src].size)
    if shape is None:
        return None
    _, _, h, w = shape
    k = (b.draw(st.integers(1, min(h, 3))), b.draw(st.integers(1, min(w, 3))))
    pad = b.draw(st.integers(0, min(k) // 2)) if padded else 0
    return (src,), {"shape": shape, "kernel": k, "stride": b.draw(st.sampled_from([None, 1, 2])), "padding": pad}


OPS["max_pool2d"] = Op(
    engine=lambda x, shape, kernel, stride, padding: NF.max_pool2d(x.reshape(shape), kernel, stride, padding),
    torch=lambda x, shape, kernel, stride, padding: _TF().max_pool2d(x.reshape(shape), kernel, stride, padding),
    smooth=False,
    draw=lambda b, s: _draw_pool(b, s, True),
)
OPS["avg_pool2d"] = Op(
    engine=lambda x, shape, kernel, stride, padding: NF.avg_pool2d(x.reshape(shape), kernel, stride, padding),
    torch=lambda x, shape, kernel, stride, padding: _TF().avg_pool2d(x.reshape(shape), kernel, stride, padding),
    draw=lambda b, s: _draw_pool(b, s, True),
)


# ------------------------------------------------------------------------------ batch normalization


def _draw_batch_norm(b: Any, src: int):
    n = b.values[src].size
    if n < 2:
        return None
    c = b.draw(st.sampled_from([d for d in range(1, n // 2 + 1) if n % d == 0]))
    args = (src,)
    affine = b.draw(st.booleans())
    if affine:
        args += (b.leaf((c,), "pos"), b.leaf((c,)))
    return args, {"shape": (n // c, c), "affine": affine}


def _engine_bn(x, *wb, shape, affine):
    return NF.batch_norm(x.reshape(shape), None, None, *wb, training=True)


def _torch_bn(x, *wb, shape, affine):
    return _TF().batch_norm(x.reshape(shape), None, None, *wb, training=True)


OPS["batch_norm"] = Op(engine=_engine_bn, torch=_torch_bn, draw=_draw_batch_norm)


# ------------------------------------------------------------------------------ the losses' options


def _draw_class_loss(b: Any, src: int, nll: bool):
    n_all = b.values[src].size
    if n_all == 0:
        return None
    c = b.draw(st.sampled_from([d for d in range(1, n_all + 1) if n_all % d == 0 and d <= 6]))
    n = n_all // c
    params: dict[str, Any] = {"shape": (n, c), "reduction": b.draw(st.sampled_from(["mean", "sum", "none"]))}
    if b.draw(st.integers(0, 2)):
        params["weight"] = b.rng.uniform(0.2, 2.0, c)
    if not nll and b.draw(st.integers(0, 2)) == 0:  # probability targets, a differentiable second input
        params["label_smoothing"] = b.draw(st.sampled_from([0.0, 0.15]))
        return (src, b.leaf((n, c), "pos")), params
    labels = b.rng.integers(0, c, n)
    if b.draw(st.booleans()):
        params["ignore_index"] = int(labels[0])  # at least one sample ignored
        if params["reduction"] == "mean" and (labels == labels[0]).all():
            return None  # nothing counted: NaN in both, not a useful program
    if not nll:
        params["label_smoothing"] = b.draw(st.sampled_from([0.0, 0.0, 0.2]))
    params["labels"] = labels
    return (src,), params


def _class_loss(engine: bool, nll: bool):
    def run(x, t=None, *, shape, labels=None, weight=None, **kw):
        x = x.reshape(shape)
        if nll:
            x = x.log_softmax(1)
        if engine:
            target = t if t is not None else labels
            fn = NF.nll_loss if nll else NF.cross_entropy
            return fn(x, target, weight=weight, **kw)
        torch = torch_module()
        target = t if t is not None else torch.from_numpy(labels)
        w = None if weight is None else torch.from_numpy(weight)
        fn = _TF().nll_loss if nll else _TF().cross_entropy
        return fn(x, target, weight=w, **kw)

    return run


OPS["cross_entropy_options"] = Op(
    engine=_class_loss(True, False), torch=_class_loss(False, False), draw=lambda b, s: _draw_class_loss(b, s, False)
)
OPS["nll_loss"] = Op(
    engine=_class_loss(True, True), torch=_class_loss(False, True), draw=lambda b, s: _draw_class_loss(b, s, True)
)


# ------------------------------------------------------------------------------ fused and multi-use patterns

# t = x + y feeding two consumers, and x used again: the backward pass must add, never alias, these
OPS["shared_sum"] = Op(
    engine=lambda x, y: (x + y) * (x + y) + x * 3.0,
    torch=lambda x, y: (x + y) * (x + y) + x * 3.0,
    draw=lambda b, s: _draw_partner(b, s, "real"),
)


def _twice(x, y):
    t = x + y
    return t * t + t.tanh() * x + 3.0 * x


OPS["shared_twice"] = Op(engine=_twice, torch=_twice, draw=lambda b, s: _draw_partner(b, s, "real"))
OPS["fused_in_product"] = Op(  # the fused tanh and sigmoid rules inside products with their own input
    engine=lambda x: x.tanh() * x.sigmoid() * x + x.tanh(),
    torch=lambda x: x.tanh() * x.sigmoid() * x + x.tanh(),
)


def _draw_affine_twice(b: Any, src: int):
    shape = b.values[src].shape
    if not shape:
        return None
    m = b.draw(st.integers(1, 3))
    return (src, b.leaf((m, shape[-1])), b.leaf((m,))), {}


def _affine_twice(F):
    def run(x, w, bias):
        z = F.linear(x, w, bias)
        return z * F.linear(x, w).tanh() + z.sigmoid()

    return run


OPS["affine_twice"] = Op(
    engine=lambda x, w, bias: _affine_twice(NF)(x, w, bias),
    torch=lambda x, w, bias: _affine_twice(_TF())(x, w, bias),
    draw=_draw_affine_twice,
)

NET_OPS = [
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "batch_norm",
    "cross_entropy_options",
    "nll_loss",
    "shared_sum",
    "shared_twice",
    "fused_in_product",
    "affine_twice",
]
