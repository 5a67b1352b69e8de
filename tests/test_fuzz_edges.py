"""The differential fuzzer at the edges, against PyTorch in float64:

- programs whose first leaf holds a NaN in one element, or one value everywhere (zero spread:
  ties in max/min/maximum, kinks of relu/abs/clip, std of equal values): the forward values and
  the first derivatives match PyTorch's, NaN where PyTorch has NaN and nowhere else;
- a few training steps of a small network, a loss drawn with its options (class weights,
  ignore_index, label smoothing) and an optimizer drawn with its options: every parameter after
  every step matches ``torch.optim``.

The default run draws 80 cases of each; ``pytest -m slow`` draws thousands.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import tinygrad_edu.nn.functional as F
from fuzz_nets import NET_OPS
from fuzz_ops import UNARY
from test_fuzz import _np, draw_program, run_engine, run_torch, torch_module
from tinygrad_edu import Tensor, autograd, nn, optim

_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
CI = settings(max_examples=80, deadline=None, suppress_health_check=_QUIET)
LONG = settings(max_examples=5_000, deadline=None, suppress_health_check=_QUIET)

# Where the engine deliberately differs from a twin in the fuzzer's table at NaN: torch.amax over an
# axis gives a whole row holding a NaN the gradient NaN (the engine, as torch's max(dim), gives it
# to the NaN); max pooling of a window holding a NaN picks another element in PyTorch's kernel.
NAN_EXCLUDED = {"max", "min", "max_pool2d"}
# The ops whose edge conventions this file checks: the core ops, the network ops and the losses.
# The ops of issue 15 (products, sorting, linear algebra, special functions) have conventions of
# their own at NaN and at degenerate inputs (cumprod's NaN, repeated singular values); programs
# using them are left out here.
EDGE_OPS = set(UNARY) | set(NET_OPS) | {
    "sum", "mean", "max", "min", "var", "std", "logsumexp", "add", "sub", "mul", "div", "maximum",
    "minimum", "pow", "softmax", "log_softmax", "reshape", "permute", "transpose", "T", "expand",
    "sum_to", "squeeze", "unsqueeze", "flatten", "getitem", "pad", "concatenate", "stack", "split",
    "where", "clip", "matmul", "linear", "cross_entropy", "mse_loss", "bce_with_logits",
}  # fmt: skip
# 0 ** y for y < 0 is infinite; PyTorch's gradient for y there is -inf, the engine's NaN (left alone)
ZERO_EXCLUDED = {"pow"}


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is the fuzzer's oracle; pip install torch (CI installs it)")


def _same(actual, expected, shape, what, strict_nan=True):
    """Equal, NaN where PyTorch has NaN (``strict_nan``), or, in a chain where 0 * NaN may or may not
    arise depending on how each engine writes a rule, at least finite wherever PyTorch is."""
    a = np.zeros(shape) if actual is None else actual
    e = np.zeros(shape) if expected is None else expected
    assert a.shape == e.shape, f"{what}: shape {a.shape}, expected {e.shape}"
    if strict_nan:
        np.testing.assert_array_equal(np.isnan(a), np.isnan(e), err_msg=f"{what}: NaN at other places")
    else:
        a = np.where(np.isnan(e), np.nan, a)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(e), err_msg=f"{what}: NaN where PyTorch is finite")
    finite = np.isfinite(e)
    np.testing.assert_array_equal(a[~finite & ~np.isnan(e)], e[~finite & ~np.isnan(e)], err_msg=f"{what}: inf")
    scale = 1.0 + (float(np.abs(e[finite]).max()) if finite.any() else 0.0)
    np.testing.assert_allclose(a[finite], e[finite], rtol=1e-8, atol=1e-11 * scale, err_msg=what)


def _edge_program(data):
    steps, rng = draw_program(data, smooth_only=False)
    first = steps[0].params["value"]
    kind = data.draw(st.sampled_from(["nan", "flat"]), label="edge")
    if any(s.op != "leaf" and s.op not in EDGE_OPS for s in steps):
        return None, rng, kind
    if kind == "nan":
        if first.size == 0 or any(s.op in NAN_EXCLUDED for s in steps):
            return None, rng, kind
        first.reshape(-1)[int(rng.integers(first.size))] = np.nan
    else:  # zero spread: every element of the first leaf the same value, exactly
        first[...] = data.draw(st.sampled_from([0.0, 0.5, -1.25]), label="value")
        if any(s.op in ZERO_EXCLUDED for s in steps):  # relu of a flat value makes zeros too
            return None, rng, kind
    return steps, rng, kind


def _check_edges(data):
    torch = _torch()
    steps, rng, kind = _edge_program(data)
    if steps is None:
        return
    note(f"program: {steps}")
    try:
        t_out, t_leaves = run_torch(steps)
    except RuntimeError:  # torch.linalg refuses what the edge made singular (cholesky of a flat matrix)
        return
    w = rng.standard_normal(tuple(t_out.shape))
    t_grads = torch.autograd.grad((t_out * torch.from_numpy(w)).sum(), t_leaves, allow_unused=True)
    with np.errstate(all="ignore"):
        out, leaves = run_engine(steps)
        grads = autograd.grad((out * Tensor(w)).sum(), leaves, allow_unused=True)
    _same(out.detach().numpy(), _np(t_out), tuple(t_out.shape), "forward")
    # at NaN, PyTorch's vectorized kernels do not always follow its scalar ones (elu of a large
    # array gives NaN where elu of a short one gives 1), so there the engine must be finite at least
    # wherever PyTorch is; its conventions are pinned exactly in test_conventions.py
    strict = kind == "flat"
    for i, (g, tg_, x) in enumerate(zip(grads, t_grads, leaves)):
        _same(None if g is None else g.detach().numpy(), _np(tg_), x.shape, f"dL/dx{i}", strict)


@CI
@given(data=st.data())
def test_fuzz_nan_and_zero_spread_inputs_against_torch(data):
    _check_edges(data)


@pytest.mark.slow
@LONG
@given(data=st.data())
def test_fuzz_nan_and_zero_spread_inputs_against_torch_long(data):
    _check_edges(data)


# ------------------------------------------------------------------------------ optimizer steps


def _draw_optimizer(data):
    name = data.draw(st.sampled_from(["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]), label="optimizer")
    wd = data.draw(st.sampled_from([0.0, 0.0, 0.05]))
    if name == "SGD":
        momentum = data.draw(st.sampled_from([0.0, 0.9]))
        nesterov = momentum > 0 and data.draw(st.booleans())
        damp = 0.0 if nesterov else data.draw(st.sampled_from([0.0, 0.3]))
        kw = dict(lr=0.1, momentum=momentum, dampening=damp, weight_decay=wd, nesterov=nesterov)
    elif name == "Adagrad":
        kw = dict(lr=0.1, lr_decay=data.draw(st.sampled_from([0.0, 0.1])), weight_decay=wd)
        kw["initial_accumulator_value"] = data.draw(st.sampled_from([0.0, 0.2]))
    elif name == "RMSprop":
        kw = dict(lr=0.01, alpha=0.9, weight_decay=wd, momentum=data.draw(st.sampled_from([0.0, 0.5])))
        kw["centered"] = data.draw(st.booleans())
    else:
        kw = dict(lr=0.05, betas=(0.8, 0.95), weight_decay=wd, amsgrad=data.draw(st.booleans()))
    kw["maximize"] = data.draw(st.integers(0, 4)) == 0
    return name, kw


def _draw_loss(data, n: int, c: int, rng):
    kind = data.draw(st.sampled_from(["cross_entropy", "mse"]), label="loss")
    if kind == "mse":
        return kind, {"target": rng.standard_normal((n, c))}
    kw: dict = {"labels": rng.integers(0, c, n), "reduction": data.draw(st.sampled_from(["mean", "sum"]))}
    if data.draw(st.booleans()):
        kw["weight"] = rng.uniform(0.2, 2.0, c)
    if data.draw(st.booleans()):
        kw["label_smoothing"] = 0.1
    if data.draw(st.booleans()):
        kw["ignore_index"] = int(kw["labels"][0])
    return kind, kw


def _loss(lib, kind, out, kw):
    torch = torch_module() if lib is not None else None
    if kind == "mse":
        t = kw["target"]
        return F.mse_loss(out, Tensor(t)) if lib is None else torch.nn.functional.mse_loss(out, torch.from_numpy(t))
    kw = dict(kw)
    labels = kw.pop("labels")
    if lib is None:
        return F.cross_entropy(out, labels, **kw)
    if "weight" in kw:
        kw["weight"] = torch.from_numpy(kw["weight"])
    return torch.nn.functional.cross_entropy(out, torch.from_numpy(labels), **kw)


def _check_steps(data):
    torch = _torch()
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    batch_norm = data.draw(st.booleans(), label="batch_norm")
    # BatchNorm makes the loss blind to the scale of each row of W; with 2 samples, or 1 input
    # feature, to W altogether: its gradient is then round-off, which Adagrad and Adam magnify
    least = 3 if batch_norm else 2
    n, d, h, c = data.draw(st.integers(least, 5)), data.draw(st.integers(least - 1, 4)), data.draw(st.integers(1, 5)), 3
    act = data.draw(st.sampled_from(["relu", "tanh", "leaky_relu", "sigmoid"]), label="activation")
    values = [rng.standard_normal((h, d)) * 0.7, rng.standard_normal(h) * 0.1]
    values += [rng.standard_normal((c, h)) * 0.7, rng.standard_normal(c) * 0.1]
    x = rng.standard_normal((n, d))
    if batch_norm:
        values.append(rng.uniform(0.5, 1.5, h))  # gamma; the first bias becomes BatchNorm's beta
    name, kw = _draw_optimizer(data)
    kind, loss_kw = _draw_loss(data, n, c, rng)
    note(f"{name}{kw}, {kind}{ {k: v for k, v in loss_kw.items() if k != 'target'} }, {act}, bn={batch_norm}")
    ours = [nn.Parameter(v.copy()) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    opt = getattr(optim, name)(ours, **kw)
    t_opt = getattr(torch.optim, name)(theirs, **kw)

    def forward(lib_f, xs, ps):
        if batch_norm:  # no bias before BatchNorm: its gradient would be round-off, which Adam magnifies
            z = lib_f.batch_norm(lib_f.linear(xs, ps[0]), None, None, ps[4], ps[1], training=True)
        else:
            z = lib_f.linear(xs, ps[0], ps[1])
        z = getattr(lib_f, act)(z) if act != "sigmoid" else z.sigmoid()
        return lib_f.linear(z, ps[2], ps[3])

    for step in range(4):
        opt.zero_grad()
        _loss(None, kind, forward(F, Tensor(x), ours), loss_kw).backward()
        opt.step()
        t_opt.zero_grad()
        _loss(torch, kind, forward(torch.nn.functional, torch.from_numpy(x), theirs), loss_kw).backward()
        t_opt.step()
        for i, (p, q) in enumerate(zip(ours, theirs)):
            np.testing.assert_allclose(
                p.detach().numpy(), q.detach().numpy(), rtol=1e-8, atol=1e-9, err_msg=f"step {step}: {i}"
            )


@CI
@given(data=st.data())
def test_fuzz_optimizer_steps_against_torch(data):
    _check_steps(data)


@pytest.mark.slow
@LONG
@given(data=st.data())
def test_fuzz_optimizer_steps_against_torch_long(data):
    _check_steps(data)
