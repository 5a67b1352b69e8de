"""Convolution and pooling on NCHW tensors, with PyTorch's argument conventions.

A 2-D convolution (really a cross-correlation, as in every deep-learning library) of an input
``x`` of shape (N, C_in, H, W) with a kernel ``W`` of shape (C_out, C_in/groups, kH, kW) is

    z[n, o, p, q] = b[o] + sum_{c, i, j} W[o, c, i, j] * x_pad[n, c, p*s + i*d, q*s + j*d]

(s the stride, d the dilation, x_pad the input padded with zeros). It is computed by *im2col*:
the kH*kW shifted, strided slices of x_pad are copied into one matrix of columns, so that the
whole convolution becomes a single matrix product ``W @ cols``.

The product is linear in x and in W, so its derivatives are again convolutions:

- dL/dx is a *transposed convolution* of the adjoint delta = dL/dz with W (:class:`ConvTranspose2d`:
  delta is spread back over the windows, the adjoint of im2col, "col2im");
- dL/dW is the *correlation* of x with delta (:class:`Conv2dWeightGrad`), and dL/db sums delta.

These three ops are the three partial derivatives of the same scalar <delta, conv(x, W)>, so the
backward of each is written with the other two, and derivatives of any order work.

Pooling works on the same windows: max pooling picks the largest element of each window and
sends the gradient back to it (to the *first* maximum in row-major window order when there are
ties, as PyTorch does; gradients add up where overlapping windows pick the same element);
average pooling divides the window sum by the window size.
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu import autograd
from tinygrad_edu.autograd import Function
from tinygrad_edu.tensor import Tensor

Pair = tuple[int, int]
Padding4 = tuple[int, int, int, int]  # (top, bottom, left, right)


# ----------------------------------------------------------------------------- arguments


def int_pair(value: Any, name: str, op: str, minimum: int) -> Pair:
    """An int or a pair of ints as a pair, checked against a lower bound.

    The one parser of the (height, width) arguments (kernel size, stride, padding, dilation,
    output padding) of the conv/pool functions here and the layers of :mod:`tinygrad_edu.nn.conv`.
    """
    pair = (value, value) if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return pair


def _padding(padding: Any, kernel: Pair, stride: Pair, dilation: Pair, op: str) -> Padding4:
    """PyTorch's padding forms: an int, a pair, or the strings ``"valid"`` and ``"same"``.

    ``"same"`` (stride 1 only) pads so that the output has the input's size; an odd total goes
    to the bottom/right, as in PyTorch.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(f"{op}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return (total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2)
    ph, pw = int_pair(padding, "padding", op, 0)
    return (ph, ph, pw, pw)


def _out_size(size: int, before: int, after: int, k: int, s: int, d: int) -> int:
    return (size + before + after - d * (k - 1) - 1) // s + 1


def _check_4d(x: Tensor, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W) or 3-D (C, H, W), got shape {tuple(x.shape)}")


# ----------------------------------------------------------------------------- array kernels


def _offsets(kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair):
    """For each kernel offset (i, j): its flat index and the slices of the padded input it reads."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            yield i * kw + j, rows, slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)


def _padded(xp, x, pad: Padding4, value: float = 0.0, channels_first: bool = False):
    """x of shape (N, C, H, W) surrounded by ``value``; (C, N, H', W') when ``channels_first``."""
    n, c, h, w = x.shape
    pt, pb, pl, pr = pad
    if channels_first:
        x = x.transpose(1, 0, 2, 3)
        n, c = c, n
    if not any(pad):
        return x
    shape = (n, c, h + pt + pb, w + pl + pr)
    out = xp.zeros(shape, dtype=x.dtype) if value == 0 else xp.full(shape, value, dtype=x.dtype)
    out[:, :, pt : pt + h, pl : pl + w] = x
    return out


def _im2col(xp, x, kernel: Pair, stride: Pair, pad: Padding4, dilation: Pair, out_hw: Pair):
    """The columns of x: shape (C, kH, kW, N, OH, OW), so that (C*kH*kW, N*OH*OW) feeds one matmul.

    One strided slice copy per kernel offset (kH*kW of them), each a vectorized block copy.
    """
    n, c = x.shape[:2]
    xt = _padded(xp, x, pad, channels_first=True)  # (C, N, Hp, Wp): slices copy whole image rows
    cols = xp.empty((c, kernel[0], kernel[1], n) + out_hw, dtype=x.dtype)
    for k, rows, cs in _offsets(kernel, stride, dilation, out_hw):
        i, j = divmod(k, kernel[1])
        cols[:, i, j] = xt[:, :, rows, cs]
    return cols


class _ConvParams:
    """The geometry shared by the three convolution ops (set by ``apply``'s keyword arguments)."""

    stride: Pair
    pad: Padding4
    dilation: Pair
    groups: int
    out_size: Pair | None = None  # the (OH, OW) of delta: fixed, since output_padding can leave rows unused

    def geometry(self) -> dict[str, Any]:
        return {
            "stride": self.stride,
            "pad": self.pad,
            "dilation": self.dilation,
            "groups": self.groups,
            "out_size": self.out_size,
        }

    def out_hw(self, x_shape, kernel: Pair) -> Pair:
        if self.out_size is not None:
            return self.out_size
        pt, pb, pl, pr = self.pad
        return (
            _out_size(x_shape[2], pt, pb, kernel[0], self.stride[0], self.dilation[0]),
            _out_size(x_shape[3], pl, pr, kernel[1], self.stride[1], self.dilation[1]),
        )

    def cols(self, x, kernel: Pair):
        """im2col of x grouped as (G, C/G * kH * kW, N*OH*OW)."""
        cols = _im2col(self.xp, x, kernel, self.stride, self.pad, self.dilation, self.out_hw(x.shape, kernel))
        return cols.reshape(self.groups, -1, cols[0, 0, 0].size)


# ----------------------------------------------------------------------------- convolution ops


class Conv2dOp(_ConvParams, Function):
    """z = W * x + b (cross-correlation, see the module docstring); dL/dz is the lecture's delta."""

    local = (
        "dL/dx = conv_transpose(dL/dz, W)",
        "dL/dW = correlation of x with dL/dz",
        "dL/db = dL/dz summed over (n, p, q)",
    )

    keep_cols = False  # a parameter: keep the columns of x for dL/dW (set when W requires grad)
    saved_cols: Any = None  # those columns, from forward to backward (used once, then dropped)

    def forward(self, x, w, b=None):
        g = self.groups
        kernel = w.shape[2:]
        n = x.shape[0]
        self.out_size = self.out_hw(x.shape, kernel)
        cols = self.cols(x, kernel)  # (G, K, N*OH*OW)
        if self.keep_cols:  # dL/dW needs the same columns; keep them instead of copying twice
            self.saved_cols = cols
        z = self.xp.matmul(w.reshape(g, w.shape[0] // g, -1), cols)  # (G, C_out/G, N*OH*OW)
        z = z.reshape((w.shape[0], n) + self.out_hw(x.shape, kernel))
        if b is not None:
            z += b.reshape(-1, 1, 1, 1)
        return z.transpose(1, 0, 2, 3)

    def backward(self, delta):
        x, w = self.inputs[:2]
        cols, self.saved_cols = self.saved_cols, None  # used once; a retained graph recomputes them
        need = self.needs_input_grad
        dx = ConvTranspose2d.apply(delta, w, x_shape=x.shape, **self.geometry()) if need[0] else None
        dw = Conv2dWeightGrad.apply(x, delta, w_shape=w.shape, saved_cols=cols, **self.geometry()) if need[1] else None
        if len(self.inputs) == 2:
            return dx, dw
        db = delta.sum(axis=(0, 2, 3)) if need[2] else None
        return dx, dw, db


class ConvTranspose2d(_ConvParams, Function):
    """x_bar = conv_transpose(delta, W): the adjoint of conv2d in x (output shape ``x_shape``).

    x_bar[n, c, p*s + i*d, q*s + j*d] += sum_o W[o, c, i, j] delta[n, o, p, q]   (col2im of W^T delta).
    Bilinear: d/d delta = conv2d(adjoint, W),  d/dW = correlation of the adjoint with delta.
    """

    local = ("dL/ddelta = conv2d(dL/dx_bar, W)", "dL/dW = correlation of dL/dx_bar with delta")

    def forward(self, delta, w):
        g = self.groups
        o = w.shape[0]
        n = delta.shape[0]
        self.out_size = delta.shape[2:]
        xp = self.xp
        d = delta.transpose(1, 0, 2, 3).reshape(g, o // g, -1)  # (G, C_out/G, N*OH*OW)
        # col2im one kernel offset at a time: the block of W^T delta for one offset, in one reused
        # buffer, rather than all kH*kW blocks at once (kH*kW times less fresh memory to touch).
        # W_k^T is made contiguous because NumPy's matmul calls BLAS only for such operands.
        wk = xp.ascontiguousarray(w.reshape(g, o // g, w.shape[1], -1).transpose(3, 0, 2, 1))  # (kHkW, G, Ci/G, Co/G)
        _, c, h, wd = self.x_shape
        pt, pb, pl, pr = self.pad
        acc = xp.zeros((c, n, h + pt + pb, wd + pl + pr), dtype=d.dtype)
        buf = xp.empty((g, w.shape[1], d.shape[2]), dtype=d.dtype)
        block = buf.reshape((c, n) + self.out_size)
        for k, rows, cs in _offsets(w.shape[2:], self.stride, self.dilation, self.out_size):
            xp.matmul(wk[k], d, out=buf)
            acc[:, :, rows, cs] += block  # one slice never repeats an element; overlaps add up
        return acc[:, :, pt : pt + h, pl : pl + wd].transpose(1, 0, 2, 3)

    def backward(self, adj):
        delta, w = self.inputs
        need = self.needs_input_grad
        d_delta = Conv2dOp.apply(adj, w, **self.geometry()) if need[0] else None
        dw = (
            Conv2dWeightGrad.apply(adj, delta, w_shape=w.shape, saved_cols=None, **self.geometry()) if need[1] else None
        )
        return d_delta, dw


class Conv2dWeightGrad(_ConvParams, Function):
    """W_bar = correlation of x with delta: W_bar[o, c, i, j] = sum_{n,p,q} delta[n,o,p,q] x_pad[n,c,p*s+i*d,q*s+j*d].

    Bilinear: d/dx = conv_transpose(delta, adjoint),  d/d delta = conv2d(x, adjoint).
    """

    local = ("dL/dx = conv_transpose(delta, dL/dW_bar)", "dL/ddelta = conv2d(x, dL/dW_bar)")

    saved_cols: Any = None  # a parameter: the columns of x handed over by Conv2d.backward, or None

    def forward(self, x, delta):
        g = self.groups
        cols, self.saved_cols = self.saved_cols, None  # used once: do not keep the array in the graph
        self.out_size = delta.shape[2:]
        if cols is None:
            cols = self.cols(x, self.w_shape[2:])
        o = delta.shape[1]
        d = delta.transpose(1, 0, 2, 3).reshape(g, o // g, -1)
        return self.xp.matmul(d, cols.transpose(0, 2, 1)).reshape(self.w_shape)

    def backward(self, adj):
        x, delta = self.inputs
        need = self.needs_input_grad
        dx = ConvTranspose2d.apply(delta, adj, x_shape=x.shape, **self.geometry()) if need[0] else None
        d_delta = Conv2dOp.apply(x, adj, **self.geometry()) if need[1] else None
        return dx, d_delta


# ----------------------------------------------------------------------------- pooling ops


class _PoolParams:
    cf = False  # channels-first storage of the gradient (see _pool_args)
    kernel: Pair
    stride: Pair
    pad: Padding4
    dilation: Pair
    out_hw: Pair
    x_shape: tuple[int, ...]

    def geometry(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("kernel", "stride", "pad", "dilation", "out_hw", "x_shape", "cf")}

    def scatter(self, values, mask=None):
        """(N, C, H, W) zeros with ``values`` (times ``mask(k)``) added at the elements of kernel offset k."""
        xp = self.xp
        n, c, h, w = self.x_shape
        pt, pb, pl, pr = self.pad
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        overlap = sh < dh * (kh - 1) + 1 or sw < dw * (kw - 1) + 1
        if self.cf:  # lay the gradient out in memory as x is (channels outermost, see _pool_args)
            acc = xp.zeros((c, n, h + pt + pb, w + pl + pr), dtype=values.dtype).transpose(1, 0, 2, 3)
        else:
            acc = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=values.dtype)
        for k, rows, cs in _offsets(self.kernel, self.stride, self.dilation, self.out_hw):
            target = acc[:, :, rows, cs]
            if overlap:  # windows share elements: their contributions add up
                target += values if mask is None else values * mask(k)
            elif mask is None:  # each element belongs to one window at most: assignment is enough
                target[...] = values
            else:
                xp.multiply(values, mask(k), out=target)  # straight into place, no temporary
        return acc[:, :, pt : pt + h, pl : pl + w]


def _index_dtype(xp, n: int):
    return xp.int8 if n < 128 else xp.int16 if n < 32768 else xp.int32


class MaxPool2dOp(_PoolParams, Function):
    """y[n, c, p, q] = max over the window of x_pad (padded with -inf).

    dL/dx = dL/dy sent to the first maximal element of each window in row-major order (PyTorch's
    choice on ties), summed where overlapping windows pick the same element.
    """

    local = "dL/dx = dL/dy sent to the first maximal element of each window"

    idx: Any = None  # the argmax of each window, found by the first backward and kept for the next

    def forward(self, x):
        xpad = _padded(self.xp, x, self.pad, value=-float("inf"))
        y = None
        for _, rows, cs in _offsets(self.kernel, self.stride, self.dilation, self.out_hw):
            v = xpad[:, :, rows, cs]
            y = v.copy(order="K") if y is None else self.xp.maximum(y, v, out=y)  # NaN propagates, as PyTorch
        return y

    def argmax(self):
        """The kernel offset k = i*kW + j of the first maximum of each window (computed on demand)."""
        xp = self.xp
        xpad = _padded(xp, self.inputs[0].data, self.pad, value=-float("inf"))
        y = self.output.data
        dt = _index_dtype(xp, self.kernel[0] * self.kernel[1])
        idx = xp.zeros(y.shape, dtype=dt)
        done = None
        # Masks and arithmetic rather than masked assignment: several times faster in NumPy.
        for k, rows, cs in _offsets(self.kernel, self.stride, self.dilation, self.out_hw):
            hit = xp.equal(xpad[:, :, rows, cs], y)
            if done is None:
                done = hit | (y != y)  # a NaN window sends its gradient to offset 0
                continue
            hit &= ~done
            done |= hit
            idx += hit * dt(k)  # bool times an int8 scalar stays int8
        return idx

    def backward(self, delta):
        if self.idx is None:
            self.idx = self.argmax()
        # x rides along as an input: the argmax is a function of x, piecewise constant
        return MaxPoolScatter.apply(delta, self.inputs[0], idx=self.idx, **self.geometry())


def _zeros_for(fn: Function, sources) -> list:
    """0 for each of the pooled input x passed along (the argmax is constant between ties)."""
    return [fn.const(fn.xp.zeros(x.shape, x.dtype)) if n else None for x, n in zip(sources, fn.needs_input_grad[1:])]


class MaxPoolScatter(_PoolParams, Function):
    """x_bar = delta placed at each window's recorded argmax (adds where windows share it).

    Linear in delta; its adjoint gathers at the argmax (:class:`MaxPoolGather`). The pooled input
    x is a further input (as in PyTorch), with derivative 0: the argmax is constant between ties,
    so a second derivative through max pooling is 0, not "does not require grad".
    """

    local = (
        "dL/ddelta = dL/dx_bar gathered at each window's argmax",
        "dL/dx = 0 (the argmax is constant between ties)",
    )

    def forward(self, delta, *x):
        return self.scatter(delta, lambda k: self.idx == k)

    def backward(self, adj):
        sources = self.inputs[1:]
        gathered = MaxPoolGather.apply(adj, *sources, idx=self.idx, **self.geometry())
        return (gathered if self.needs_input_grad[0] else None, *_zeros_for(self, sources))


class MaxPoolGather(_PoolParams, Function):
    """y = x_pad at each window's recorded argmax (max pooling with the argmax held fixed)."""

    local = ("dL/dx = dL/dy scattered to each window's argmax", "dL/dpooled = 0 (the argmax is constant between ties)")

    def forward(self, x, *pooled):
        xpad = _padded(self.xp, x, self.pad)
        y = self.xp.zeros(self.idx.shape, dtype=x.dtype)
        for k, rows, cs in _offsets(self.kernel, self.stride, self.dilation, self.out_hw):
            y = self.xp.where(self.idx == k, xpad[:, :, rows, cs], y)
        return y

    def backward(self, delta):
        sources = self.inputs[1:]
        scattered = MaxPoolScatter.apply(delta, *sources, idx=self.idx, **self.geometry())
        return (scattered if self.needs_input_grad[0] else None, *_zeros_for(self, sources))


class AvgPool2dOp(_PoolParams, Function):
    """y[n, c, p, q] = (1/D[p, q]) sum over the window of x_pad, D the divisor.

    dL/dx = dL/dy / D spread evenly over each window (summed over overlaps).
    """

    local = "dL/dx = dL/dy / D spread evenly over each window"

    def forward(self, x):
        xpad = _padded(self.xp, x, self.pad)
        y = None
        for _, rows, cs in _offsets(self.kernel, self.stride, self.dilation, self.out_hw):
            v = xpad[:, :, rows, cs]
            y = v.copy(order="K") if y is None else self.xp.add(y, v, out=y)
        y *= self.inv_divisor
        return y

    def backward(self, delta):
        return AvgPoolScatter.apply(delta, inv_divisor=self.inv_divisor, **self.geometry())


class AvgPoolScatter(_PoolParams, Function):
    """x_bar = each delta / D added over its window (the adjoint of average pooling)."""

    local = "dL/ddelta = dL/dx_bar averaged over each window"

    def forward(self, delta):
        return self.scatter(delta * self.inv_divisor)

    def backward(self, adj):
        return AvgPool2dOp.apply(adj, inv_divisor=self.inv_divisor, **self.geometry())


# ----------------------------------------------------------------------------- public functions


def _unbatched(x: Tensor, op: str) -> bool:
    """PyTorch accepts a single image (C, H, W); it is treated as a batch of one."""
    if isinstance(x, Tensor) and x.ndim == 3:
        return True
    _check_4d(x, op)
    return False


def conv2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Pair = 1,
    padding: int | Pair | str = 0,
    dilation: int | Pair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation) of x (N, C_in, H, W) with weight (C_out, C_in/groups, kH, kW).

    z[n, o, p, q] = b[o] + sum_{c,i,j} W[o, c, i, j] x_pad[n, c, p*s + i*d, q*s + j*d], as
    ``torch.nn.functional.conv2d``. Output size: OH = floor((H + 2 pad - d (kH - 1) - 1) / s) + 1.
    ``groups`` splits the channels into independent groups (``groups=C_in`` is a depthwise conv).
    """
    op = "conv2d"
    if _unbatched(x, op):
        return conv2d(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    if not isinstance(weight, Tensor) or weight.ndim != 4:
        raise ValueError(
            f"{op}: weight must be a 4-D Tensor (C_out, C_in/groups, kH, kW), got {getattr(weight, 'shape', weight)}"
        )
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    c_out, c_in_g, kh, kw = weight.shape
    if x.shape[1] != c_in_g * groups:
        raise ValueError(
            f"{op}: input of shape {tuple(x.shape)} has {x.shape[1]} channels, but weight of shape "
            f"{tuple(weight.shape)} with groups={groups} expects {c_in_g * groups}"
        )
    if c_out % groups:
        raise ValueError(f"{op}: out_channels {c_out} is not divisible by groups={groups}")
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ValueError(f"{op}: bias must have shape ({c_out},), got {tuple(bias.shape)}")
    tensors = (x, weight) if bias is None else (x, weight, bias)
    if len({t.dtype for t in tensors}) > 1:
        raise TypeError(
            f"{op}: input, weight and bias must share a dtype, got {', '.join(str(t.dtype) for t in tensors)}"
        )
    s = int_pair(stride, "stride", op, 1)
    d = int_pair(dilation, "dilation", op, 1)
    pad = _padding(padding, (kh, kw), s, d, op)
    oh = _out_size(x.shape[2], pad[0], pad[1], kh, s[0], d[0])
    ow = _out_size(x.shape[3], pad[2], pad[3], kw, s[1], d[1])
    if oh < 1 or ow < 1:
        raise ValueError(
            f"{op}: input of shape {tuple(x.shape)} (padding {padding}) is smaller than the kernel "
            f"{(kh, kw)} with dilation {d}: the output would be {oh} x {ow}"
        )
    keep = autograd.is_grad_enabled() and weight.requires_grad
    return Conv2dOp.apply(*tensors, stride=s, pad=pad, dilation=d, groups=groups, keep_cols=keep)


def conv_transpose2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Pair = 1,
    padding: int | Pair = 0,
    output_padding: int | Pair = 0,
    groups: int = 1,
    dilation: int | Pair = 1,
) -> Tensor:
    """Transposed convolution of x (N, C_in, H, W) with weight (C_in, C_out/groups, kH, kW).

    The adjoint of :func:`conv2d` (its derivative with respect to the input), as
    ``torch.nn.functional.conv_transpose2d``: OH = (H - 1) s - 2 pad + d (kH - 1) + output_padding + 1.
    """
    op = "conv_transpose2d"
    if _unbatched(x, op):
        return conv_transpose2d(
            x.unsqueeze(0), weight, bias, stride, padding, output_padding, groups, dilation
        ).squeeze(0)
    if not isinstance(weight, Tensor) or weight.ndim != 4:
        raise ValueError(
            f"{op}: weight must be a 4-D Tensor (C_in, C_out/groups, kH, kW), got {getattr(weight, 'shape', weight)}"
        )
    c_in, c_out_g, kh, kw = weight.shape
    if x.shape[1] != c_in or c_in % groups:
        raise ValueError(
            f"{op}: input of shape {tuple(x.shape)} has {x.shape[1]} channels, but weight of shape "
            f"{tuple(weight.shape)} expects {c_in} (divisible by groups={groups})"
        )
    if x.dtype != weight.dtype:
        raise TypeError(f"{op}: input and weight must share a dtype, got {x.dtype} and {weight.dtype}")
    s = int_pair(stride, "stride", op, 1)
    d = int_pair(dilation, "dilation", op, 1)
    ph, pw = int_pair(padding, "padding", op, 0)
    op_h, op_w = int_pair(output_padding, "output_padding", op, 0)
    if op_h >= max(s[0], d[0]) or op_w >= max(s[1], d[1]):
        raise ValueError(f"{op}: output_padding {output_padding} must be smaller than stride or dilation")
    oh = (x.shape[2] - 1) * s[0] - 2 * ph + d[0] * (kh - 1) + op_h + 1
    ow = (x.shape[3] - 1) * s[1] - 2 * pw + d[1] * (kw - 1) + op_w + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"{op}: the output would be {oh} x {ow} for input shape {tuple(x.shape)}")
    x_shape = (x.shape[0], c_out_g * groups, oh, ow)
    out = ConvTranspose2d.apply(x, weight, x_shape=x_shape, stride=s, pad=(ph, ph, pw, pw), dilation=d, groups=groups)
    return out if bias is None else out + bias.reshape(1, -1, 1, 1)


def _pool_args(x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool, op: str):
    if ceil_mode:
        raise NotImplementedError(f"{op}: ceil_mode=True is not supported; pad the input instead")
    k = int_pair(kernel_size, "kernel_size", op, 1)
    s = k if stride is None or stride == [] else int_pair(stride, "stride", op, 1)
    d = int_pair(dilation, "dilation", op, 1)
    ph, pw = int_pair(padding, "padding", op, 0)
    if 2 * ph > k[0] or 2 * pw > k[1]:
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel size {k}")
    oh = _out_size(x.shape[2], ph, ph, k[0], s[0], d[0])
    ow = _out_size(x.shape[3], pw, pw, k[1], s[1], d[1])
    if oh < 1 or ow < 1:
        raise ValueError(f"{op}: input of shape {tuple(x.shape)} is smaller than the window {k} (dilation {d})")
    # A conv2d output is stored channels-outermost (C, N, H, W) behind its NCHW shape; the pooling
    # gradient then keeps that layout, so the conv's backward reads it without a transposing copy.
    strides = getattr(x.data, "strides", (0, 0))
    cf = x.shape[0] > 1 and strides[1] > strides[0]
    return {
        "kernel": k,
        "stride": s,
        "pad": (ph, ph, pw, pw),
        "dilation": d,
        "out_hw": (oh, ow),
        "x_shape": x.shape,
        "cf": cf,
    }


def max_pool2d(
    x: Tensor,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
    dilation: int | Pair = 1,
    ceil_mode: bool = False,
) -> Tensor:
    """The maximum of each kH x kW window (stride defaults to the kernel size), as PyTorch's.

    The gradient goes to the first maximal element of each window in row-major order (PyTorch's
    choice on ties); where windows overlap, the gradients of all windows that picked an element add.
    A window that holds padding only (possible with dilation) gives -inf and passes no gradient.
    """
    op = "max_pool2d"
    if _unbatched(x, op):
        return max_pool2d(x.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode).squeeze(0)
    return MaxPool2dOp.apply(x, **_pool_args(x, kernel_size, stride, padding, dilation, ceil_mode, op))


def avg_pool2d(
    x: Tensor,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each kH x kW window, as PyTorch's.

    With ``count_include_pad=True`` (the default) padded zeros count in the mean (divisor kH*kW);
    with False only the real elements do. ``divisor_override`` replaces the divisor.
    """
    op = "avg_pool2d"
    if _unbatched(x, op):
        return avg_pool2d(
            x.unsqueeze(0), kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
        ).squeeze(0)
    if not x.dtype.kind == "f":
        raise TypeError(f"{op}: expected a floating-point input, got {x.dtype}")
    geo = _pool_args(x, kernel_size, stride, padding, 1, ceil_mode, op)
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError(f"{op}: divisor_override must not be zero")
        inv = x.xp.asarray(1.0 / divisor_override, dtype=x.dtype)
    elif count_include_pad or not any(geo["pad"]):
        inv = x.xp.asarray(1.0 / (geo["kernel"][0] * geo["kernel"][1]), dtype=x.dtype)
    else:  # count the real elements in each window: pool a map of ones
        ones = Tensor._make(x.xp.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype), x.device)
        one_geo = dict(geo, x_shape=ones.shape)
        with autograd.no_grad():
            counts = AvgPool2dOp.apply(ones, inv_divisor=x.xp.asarray(1.0, dtype=x.dtype), **one_geo)
        inv = 1.0 / counts.data
    return AvgPool2dOp.apply(x, inv_divisor=inv, **geo)


__all__ = ["conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d"]
