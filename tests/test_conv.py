"""Convolution and pooling: forward and gradients against central differences (float64) and
against PyTorch, for kernel sizes, strides, paddings, dilations and groups drawn by hypothesis;
second derivatives; the layers (Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d) and the CNN builder.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn
from tinygrad_edu.ops.conv import avg_pool2d, conv2d, conv_transpose2d, max_pool2d

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the oracle comparisons skip with a reason
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed: the oracle comparison needs it")

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FD = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _leaf(a, device="cpu"):
    return Tensor(np.array(a, dtype=np.float64), requires_grad=True, device=device)


def _t(a):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=True)


def _close(ours, theirs, tol=1e-10):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


def _out(size, pad, k, s, d):
    return (size + 2 * pad - d * (k - 1) - 1) // s + 1


@st.composite
def conv_config(draw, max_hw=7):
    groups = draw(st.sampled_from([1, 1, 2]))
    cfg = dict(
        n=draw(st.integers(1, 2)),
        c_in=groups * draw(st.integers(1, 2)),
        c_out=groups * draw(st.integers(1, 2)),
        groups=groups,
        h=draw(st.integers(1, max_hw)),
        w=draw(st.integers(1, max_hw)),
        k=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        padding=(draw(st.integers(0, 2)), draw(st.integers(0, 2))),
        dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))),
        bias=draw(st.booleans()),
        seed=draw(st.integers(0, 2**16)),
    )
    assume(_out(cfg["h"], cfg["padding"][0], cfg["k"][0], cfg["stride"][0], cfg["dilation"][0]) >= 1)
    assume(_out(cfg["w"], cfg["padding"][1], cfg["k"][1], cfg["stride"][1], cfg["dilation"][1]) >= 1)
    return cfg


def _conv_arrays(cfg):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.uniform(-1, 1, (cfg["n"], cfg["c_in"], cfg["h"], cfg["w"]))
    w = rng.uniform(-1, 1, (cfg["c_out"], cfg["c_in"] // cfg["groups"]) + cfg["k"])
    b = rng.uniform(-1, 1, cfg["c_out"]) if cfg["bias"] else None
    return x, w, b


def _conv_kwargs(cfg):
    return dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"], groups=cfg["groups"])


# ----------------------------------------------------------------------------- conv2d


@needs_torch
@SETTINGS
@given(cfg=conv_config())
def test_conv2d_forward_and_gradients_match_torch(cfg, device):
    x, w, b = _conv_arrays(cfg)
    X, W = _leaf(x, device), _leaf(w, device)
    B = _leaf(b, device) if b is not None else None
    y = conv2d(X, W, B, **_conv_kwargs(cfg))
    tx, tw = _t(x), _t(w)
    tb = _t(b) if b is not None else None
    ty = TF.conv2d(tx, tw, tb, **_conv_kwargs(cfg))
    _close(y, ty)
    g = np.random.default_rng(1).standard_normal(ty.shape)
    y.backward(Tensor(g, device=device))
    ty.backward(torch.tensor(g))
    _close(X.grad, tx.grad)
    _close(W.grad, tw.grad)
    if b is not None:
        _close(B.grad, tb.grad)


@FD
@given(cfg=conv_config(max_hw=5))
def test_conv2d_gradients_match_finite_differences(cfg):
    x, w, b = _conv_arrays(cfg)
    inputs = [_leaf(x), _leaf(w)] + ([_leaf(b)] if b is not None else [])
    assert tg.gradcheck(lambda *t: conv2d(*t, **_conv_kwargs(cfg)), inputs)


@pytest.mark.parametrize(
    "kw",
    [
        dict(stride=2, padding=1),
        dict(stride=1, padding=(0, 2), dilation=(2, 1)),
        dict(stride=(1, 2), padding=1, groups=2),
    ],
)
def test_conv2d_second_derivatives(kw):
    rng = np.random.default_rng(3)
    x = _leaf(rng.uniform(-1, 1, (2, 2, 5, 4)))
    w = _leaf(rng.uniform(-1, 1, (2, 2 // kw.get("groups", 1), 3, 2)))
    b = _leaf(rng.uniform(-1, 1, 2))
    assert tg.gradgradcheck(lambda x, w, b: conv2d(x, w, b, **kw), (x, w, b))


def test_conv2d_third_derivative_through_nonlinearity():
    """Derivative rules are themselves differentiable: d^2/dx^2 of sum(tanh(conv(x)))."""
    rng = np.random.default_rng(4)
    w = Tensor(rng.uniform(-1, 1, (1, 1, 2, 2)))
    x = _leaf(rng.uniform(-1, 1, (1, 1, 3, 3)))

    def hess_diag_sum(x):
        (g,) = tg.autograd.grad(conv2d(x, w).tanh().sum(), x, create_graph=True)
        return g.sum()

    assert tg.gradcheck(hess_diag_sum, (x,))


def test_conv2d_backward_twice_with_retained_graph():
    rng = np.random.default_rng(5)
    x, w = _leaf(rng.standard_normal((2, 3, 6, 6))), _leaf(rng.standard_normal((4, 3, 3, 3)))
    y = conv2d(x, w, padding=1).square().sum()
    y.backward(retain_graph=True)
    first = w.grad.numpy().copy()
    w.grad = None
    y.backward()  # the saved columns were used once; the second pass recomputes them
    np.testing.assert_allclose(w.grad.numpy(), first, rtol=1e-12)


@needs_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("k,d", [(3, 1), (4, 1), (2, 3), (5, 2)])
def test_conv2d_padding_same_matches_torch(k, d):
    rng = np.random.default_rng(k * 10 + d)
    x, w = rng.standard_normal((1, 2, 7, 8)), rng.standard_normal((3, 2, k, k))
    y = conv2d(Tensor(x), Tensor(w), padding="same", dilation=d)
    assert y.shape == (1, 3, 7, 8)
    _close(y, TF.conv2d(_t(x), _t(w), padding="same", dilation=d))
    _close(conv2d(Tensor(x), Tensor(w), padding="valid"), TF.conv2d(_t(x), _t(w), padding="valid"))


def test_conv2d_hand_computed():
    """A 3x3 image and a 2x2 kernel, computed by hand."""
    x = Tensor(np.arange(9.0).reshape(1, 1, 3, 3), requires_grad=True)
    w = Tensor([[[[1.0, 0.0], [0.0, -1.0]]]], requires_grad=True)
    y = conv2d(x, w, Tensor([0.5]))
    # y[p, q] = x[p, q] - x[p+1, q+1] + 0.5 = -4 + 0.5
    np.testing.assert_array_equal(y.detach().numpy(), np.full((1, 1, 2, 2), -3.5))
    y.sum().backward()
    # each x element gets +1 per window where it is the top-left, -1 where it is the bottom-right
    expected = np.array([[1, 1, 0], [1, 0, -1], [0, -1, -1]], dtype=float)
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)
    np.testing.assert_array_equal(
        w.grad.numpy()[0, 0], [[0 + 1 + 3 + 4, 1 + 2 + 4 + 5], [3 + 4 + 6 + 7, 4 + 5 + 7 + 8]]
    )


@needs_torch
def test_conv2d_float32_and_unbatched_input():
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((3, 9, 9)).astype(np.float32), rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    y = conv2d(Tensor(x), Tensor(w), stride=2)
    assert y.dtype == np.float32 and y.shape == (5, 4, 4)
    ty = TF.conv2d(torch.tensor(x), torch.tensor(w), stride=2)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_conv2d_no_grad_keeps_no_graph():
    x, w = Tensor(np.ones((1, 1, 4, 4))), _leaf(np.ones((1, 1, 3, 3)))
    with tg.no_grad():
        y = conv2d(x, w)
    assert y.grad_fn is None and not y.requires_grad


@pytest.mark.parametrize(
    "args,kwargs,error,match",
    [
        (((1, 3, 5, 5), (2, 2, 3, 3)), {}, ValueError, "3 channels"),
        (((1, 2, 2, 2), (2, 2, 3, 3)), {}, ValueError, "smaller than the kernel"),
        (((1, 2, 5, 5), (2, 2, 3, 3)), {"stride": 0}, ValueError, "stride must be >= 1"),
        (((1, 2, 5, 5), (2, 2, 3, 3)), {"padding": -1}, ValueError, "padding must be >= 0"),
        (((1, 2, 5, 5), (2, 2, 3, 3)), {"padding": "same", "stride": 2}, ValueError, "same"),
        (((1, 4, 5, 5), (3, 2, 3, 3)), {"groups": 2}, ValueError, "divisible by groups"),
        (((2, 5, 5), (2, 1, 3, 3)), {}, ValueError, "channels"),
        (((5, 5), (2, 1, 3, 3)), {}, ValueError, "4-D input"),
    ],
)
def test_conv2d_errors_name_the_problem(args, kwargs, error, match):
    x, w = Tensor(np.zeros(args[0])), Tensor(np.zeros(args[1]))
    with pytest.raises(error, match=match):
        conv2d(x, w, **kwargs)


def test_conv2d_dtype_mismatch_and_bias_shape():
    x = Tensor(np.zeros((1, 1, 4, 4), dtype=np.float32))
    with pytest.raises(TypeError, match="dtype"):
        conv2d(x, Tensor(np.zeros((1, 1, 3, 3))))
    with pytest.raises(ValueError, match="bias"):
        conv2d(x, Tensor(np.zeros((1, 1, 3, 3), np.float32)), Tensor(np.zeros(2, np.float32)))


# ----------------------------------------------------------------------------- conv_transpose2d


@needs_torch
@SETTINGS
@given(cfg=conv_config(max_hw=5), op=st.integers(0, 2))
def test_conv_transpose2d_matches_torch(cfg, op):
    x, w, b = _conv_arrays(cfg)
    output_padding = (
        min(op, max(cfg["stride"][0], cfg["dilation"][0]) - 1),
        min(op, max(cfg["stride"][1], cfg["dilation"][1]) - 1),
    )
    # conv_transpose2d takes weight (C_in, C_out/groups, kH, kW): reuse w with the axes' roles swapped
    kw = dict(
        stride=cfg["stride"],
        padding=cfg["padding"],
        output_padding=output_padding,
        groups=cfg["groups"],
        dilation=cfg["dilation"],
    )
    wt = np.ascontiguousarray(w.reshape((cfg["c_out"], cfg["c_in"] // cfg["groups"]) + cfg["k"]))
    xt = np.random.default_rng(cfg["seed"]).standard_normal((cfg["n"], cfg["c_out"], cfg["h"], cfg["w"]))
    bt = np.random.default_rng(cfg["seed"] + 1).standard_normal(cfg["c_in"]) if cfg["bias"] else None
    try:
        ty = TF.conv_transpose2d(_t(xt), _t(wt), None if bt is None else _t(bt), **kw)
    except RuntimeError:
        assume(False)  # a geometry PyTorch refuses too (output size below 1)
    X, W = _leaf(xt), _leaf(wt)
    B = None if bt is None else _leaf(bt)
    y = conv_transpose2d(X, W, B, **kw)
    _close(y, ty)
    tx, tw = _t(xt), _t(wt)
    ty = TF.conv_transpose2d(tx, tw, **kw)
    y = conv_transpose2d(X, W, **kw)
    g = np.random.default_rng(2).standard_normal(ty.shape)
    y.backward(Tensor(g))
    ty.backward(torch.tensor(g))
    _close(X.grad, tx.grad)
    _close(W.grad, tw.grad)


def test_conv_transpose2d_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(7)
    x, w = _leaf(rng.standard_normal((1, 2, 3, 3))), _leaf(rng.standard_normal((2, 3, 2, 3)))

    def f(x, w):
        return conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)

    assert tg.gradcheck(f, (x, w))
    assert tg.gradgradcheck(f, (x, w))


# ----------------------------------------------------------------------------- pooling


@st.composite
def pool_config(draw, dilation=True):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    cfg = dict(
        n=draw(st.integers(1, 2)),
        c=draw(st.integers(1, 2)),
        h=draw(st.integers(1, 7)),
        w=draw(st.integers(1, 7)),
        k=k,
        stride=draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3)))),
        padding=(draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2))),
        dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1),
        seed=draw(st.integers(0, 2**16)),
    )
    s = cfg["stride"] or k
    assume(_out(cfg["h"], cfg["padding"][0], k[0], s[0], cfg["dilation"][0]) >= 1)
    assume(_out(cfg["w"], cfg["padding"][1], k[1], s[1], cfg["dilation"][1]) >= 1)
    return cfg


def _distinct(cfg):
    """All elements at least 0.1 apart: no ties, so central differences see no kink."""
    n = cfg["n"] * cfg["c"] * cfg["h"] * cfg["w"]
    rng = np.random.default_rng(cfg["seed"])
    return (rng.permutation(n) * 0.1 - 0.05 * n).reshape(cfg["n"], cfg["c"], cfg["h"], cfg["w"])


@needs_torch
@SETTINGS
@given(cfg=pool_config(), ties=st.booleans())
def test_max_pool2d_matches_torch(cfg, ties, device):
    """Forward and gradient, overlapping windows included; with ties (small integers) as well."""
    x = _distinct(cfg)
    if ties:
        x = np.round(x) % 3.0
    kw = dict(kernel_size=cfg["k"], stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"])
    X, tx = _leaf(x, device), _t(x)
    y, ty = max_pool2d(X, **kw), TF.max_pool2d(tx, **kw)
    # With dilation a window can hold padding only: its max is -inf, and PyTorch then sends the
    # gradient to an arbitrary element (an artefact); ours sends it nowhere. Compare the rest.
    assume(np.isfinite(y.detach().numpy()).all())
    _close(y, ty)
    g = np.random.default_rng(1).standard_normal(ty.shape)
    y.backward(Tensor(g, device=device))
    ty.backward(torch.tensor(g))
    _close(X.grad, tx.grad)


@FD
@given(cfg=pool_config())
def test_max_pool2d_gradients_match_finite_differences(cfg):
    kw = dict(kernel_size=cfg["k"], stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"])
    x = _leaf(_distinct(cfg))
    assume(np.isfinite(max_pool2d(x, **kw).detach().numpy()).all())  # no window of padding only (-inf)
    assert tg.gradcheck(lambda x: max_pool2d(x, **kw), (x,), eps=1e-4)


def test_max_pool2d_overlapping_windows_accumulate_and_ties_go_to_the_first():
    x = Tensor([[[[0.0, 5.0, 0.0, 2.0, 2.0]]]], requires_grad=True)
    y = max_pool2d(x, (1, 2), stride=1)  # windows [0,5] [5,0] [0,2] [2,2]
    np.testing.assert_array_equal(y.detach().numpy().ravel(), [5, 5, 2, 2])
    y.backward(Tensor(np.array([[[[1.0, 10.0, 100.0, 1000.0]]]])))
    # 5 is the max of two windows: 1 + 10; the tie [2, 2] sends its gradient to the first 2
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [0, 11, 0, 1100, 0])


def test_max_pool2d_second_derivative():
    rng = np.random.default_rng(8)
    x = _leaf(rng.permutation(32).reshape(1, 2, 4, 4) * 0.1)
    assert tg.gradgradcheck(lambda x: max_pool2d(x, 3, stride=1, padding=1).square(), (x,), eps=1e-4)


@needs_torch
@SETTINGS
@given(cfg=pool_config(dilation=False), include=st.booleans(), override=st.sampled_from([None, 3]))
def test_avg_pool2d_matches_torch(cfg, include, override, device):
    x = np.random.default_rng(cfg["seed"]).standard_normal((cfg["n"], cfg["c"], cfg["h"], cfg["w"]))
    kw = dict(
        kernel_size=cfg["k"],
        stride=cfg["stride"],
        padding=cfg["padding"],
        count_include_pad=include,
        divisor_override=override,
    )
    X, tx = _leaf(x, device), _t(x)
    y, ty = avg_pool2d(X, **kw), TF.avg_pool2d(tx, **kw)
    _close(y, ty)
    g = np.random.default_rng(1).standard_normal(ty.shape)
    y.backward(Tensor(g, device=device))
    ty.backward(torch.tensor(g))
    _close(X.grad, tx.grad)


@FD
@given(cfg=pool_config(dilation=False), include=st.booleans())
def test_avg_pool2d_gradients_match_finite_differences(cfg, include):
    x = np.random.default_rng(cfg["seed"]).standard_normal((cfg["n"], cfg["c"], cfg["h"], cfg["w"]))
    kw = dict(kernel_size=cfg["k"], stride=cfg["stride"], padding=cfg["padding"], count_include_pad=include)
    assert tg.gradcheck(lambda x: avg_pool2d(x, **kw), (_leaf(x),))


def test_avg_pool2d_second_derivative():
    x = _leaf(np.random.default_rng(9).standard_normal((1, 1, 5, 5)))
    assert tg.gradgradcheck(lambda x: avg_pool2d(x, 3, 2, 1, count_include_pad=False).square(), (x,))


@pytest.mark.parametrize("fn", [max_pool2d, avg_pool2d])
def test_pool_errors(fn):
    x = Tensor(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match="at most half"):
        fn(x, 2, padding=2)
    with pytest.raises(ValueError, match="smaller than the window"):
        fn(x, 5)
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        fn(x, 0)
    with pytest.raises(NotImplementedError, match="ceil_mode"):
        fn(x, 2, ceil_mode=True)
    with pytest.raises(ValueError, match="4-D input"):
        fn(Tensor(np.zeros((4, 4))), 2)


# ----------------------------------------------------------------------------- modules


def test_conv2d_module_shapes_init_and_repr():
    tg.manual_seed(0)
    layer = nn.Conv2d(3, 8, 3, stride=2, padding=1)
    assert layer.weight.shape == (8, 3, 3, 3) and layer.bias.shape == (8,)
    bound = 1 / np.sqrt(3 * 9)
    assert np.abs(layer.weight.detach().numpy()).max() <= bound and np.abs(layer.bias.detach().numpy()).max() <= bound
    assert layer.weight.detach().numpy().std() > bound / 4  # really drawn, not zeros
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer(Tensor(np.zeros((2, 3, 9, 9)))).shape == (2, 8, 5, 5)
    assert "Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))" in repr(layer)
    grouped = nn.Conv2d(4, 6, (1, 3), groups=2, bias=False, padding="same")
    assert grouped.weight.shape == (6, 2, 1, 3) and grouped.bias is None
    assert grouped(Tensor(np.zeros((1, 4, 5, 5)))).shape == (1, 6, 5, 5)
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(NotImplementedError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="reflect")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(kernel_size=0), "kernel_size must be >= 1"),
        (dict(kernel_size=(3, 3, 3)), "kernel_size must be an int or a pair of ints"),
        (dict(kernel_size=3, stride=(1, 0)), "stride must be >= 1"),
        (dict(kernel_size=3, dilation=2.0), "dilation must be an int or a pair of ints"),
        (dict(kernel_size=3, padding=-1), "padding must be >= 0"),
        (dict(kernel_size=3, padding=(True, 1)), "padding must be an int or a pair of ints"),
    ],
)
def test_conv2d_layer_and_function_parse_pairs_alike(kwargs, message):
    """nn.Conv2d and F.conv2d share one parser of int-or-pair arguments: same checks, same words."""
    with pytest.raises(ValueError, match=f"Conv2d: {message}"):
        nn.Conv2d(1, 1, **kwargs)
    k = kwargs.pop("kernel_size")
    if isinstance(k, int) and k >= 1:
        x, w = Tensor(np.zeros((1, 1, 5, 5))), Tensor(np.zeros((1, 1, k, k)))
        with pytest.raises(ValueError, match=message):
            conv2d(x, w, **kwargs)


@needs_torch
def test_conv_and_pool_modules_match_torch():
    tg.manual_seed(1)
    ours = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 3, 2),
        nn.AvgPool2d(2, stride=1),
        nn.Flatten(),
    )
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 3, 2),
        torch.nn.AvgPool2d(2, stride=1),
        torch.nn.Flatten(),
    ).double()
    with torch.no_grad():
        for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            q.copy_(torch.tensor(p.detach().numpy()))
    x = np.random.default_rng(2).standard_normal((3, 2, 8, 8))
    y, ty = ours(Tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    y.square().sum().backward()
    ty.square().sum().backward()
    for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-12)


@needs_torch
def test_batchnorm2d_train_and_eval_match_torch():
    ours, theirs = nn.BatchNorm2d(3, momentum=0.2), torch.nn.BatchNorm2d(3, momentum=0.2).double()
    rng = np.random.default_rng(3)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([0.5, 1.5, -1.0], dtype=torch.float64))
        theirs.bias.copy_(torch.tensor([0.1, -0.2, 0.3], dtype=torch.float64))
    ours.weight.data[...] = [0.5, 1.5, -1.0]
    ours.bias.data[...] = [0.1, -0.2, 0.3]
    for step in range(3):
        x = rng.standard_normal((4, 3, 5, 5)) * 2 + step
        X, tx = _leaf(x), _t(x)
        y, ty = ours(X), theirs(tx)
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-10)
        g = rng.standard_normal(x.shape)
        y.backward(Tensor(g))
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(X.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ours.running_mean.detach().numpy(), theirs.running_mean.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var.detach().numpy(), theirs.running_var.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-9)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 3, 4, 4))
    np.testing.assert_allclose(ours(Tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    assert set(ours.state_dict()) >= {"weight", "bias", "running_mean", "running_var"}
    with pytest.raises(ValueError, match="4-D"):
        ours(Tensor(np.zeros((2, 3))))


def test_batchnorm2d_gradcheck():
    bn = nn.BatchNorm2d(2)
    x = _leaf(np.random.default_rng(4).standard_normal((3, 2, 2, 2)))
    assert tg.gradcheck(lambda x: bn(x), (x,))


def test_functional_names_are_exported():
    import tinygrad_edu.nn.functional as F

    assert F.conv2d is conv2d and F.max_pool2d is max_pool2d and F.avg_pool2d is avg_pool2d
    assert F.conv_transpose2d is conv_transpose2d
    assert nn.Conv2d and nn.MaxPool2d and nn.AvgPool2d and nn.BatchNorm2d


# ----------------------------------------------------------------------------- the CNN


def test_cnn_shapes_and_learning():
    """The course CNN maps (N, 1, 28, 28) to (N, 10) logits; a smaller one fits a small batch."""
    import tinygrad_edu.nn.functional as F
    from tinygrad_edu import models, optim

    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    model = models.cnn()
    assert model(Tensor(rng.standard_normal((2, 1, 28, 28)))).shape == (2, 10)
    assert sum(isinstance(m, nn.Conv2d) for m in model.modules()) == 2
    model = models.cnn(in_channels=3, num_classes=4, image_size=(12, 10), channels=(4, 6), hidden=16, batch_norm=True)
    x = Tensor(rng.standard_normal((8, 3, 12, 10)))
    y = rng.integers(0, 4, 8)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    model.eval()
    assert model(x[:2]).shape == (2, 4)
    with pytest.raises(ValueError, match="too small"):
        models.cnn(image_size=3)
