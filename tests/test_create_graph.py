"""First derivatives taken with ``create_graph=True`` are checked for their value.

Some ops have a separate derivative rule for the recorded path (the fused cross-entropy builds
its softmax from x so that it can be differentiated again); a mistake there (a dropped 1/N, a
dropped class weight) changes every Hessian and nested ``func`` transform, yet finite
differences of the recorded derivative cannot see it. So, for every op of the fuzzer's table and
for the loss options one by one: the gradient with ``create_graph=True`` equals the plain one and
PyTorch's, and ``gradgradcheck`` compares the two paths itself.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from test_fuzz import NAMES, OPS, Builder, _np, run_engine, run_torch
from tinygrad_edu import Tensor, autograd
from tinygrad_edu.autograd import Function
from tinygrad_edu.gradcheck import GradcheckError, compare_create_graph, gradgradcheck


def _torch():
    return pytest.importorskip("torch", reason="PyTorch 2.13 is the oracle here; pip install torch")


def draw_op_program(data, name: str):
    """A leaf (or two) and the op ``name`` applied to it: one program that surely uses that op."""
    b = Builder(data, np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))), smooth_only=False)
    src = b.leaf(b.shape())
    op = OPS[name]
    if not op.applies(b.values[src]):
        src = b.leaf(b.values[src].shape, "pos")
    assume(op.applies(b.values[src]))
    drawn = op.draw(b, src) if op.draw else ((src,), {})
    assume(drawn is not None)
    assume(b.push(name, *drawn))
    return b.steps, b.rng


def _gradients(steps, w, create_graph: bool):
    out, leaves = run_engine(steps)
    loss = (out * Tensor(w)).sum()
    grads = autograd.grad(loss, leaves, create_graph=create_graph, allow_unused=True)
    return [None if g is None else g.detach().numpy() for g in grads], [
        s.params["value"].shape for s in steps if s.op == "leaf"
    ]


def _torch_gradients(steps, w):
    torch = _torch()
    out, leaves = run_torch(steps)
    loss = (out * torch.from_numpy(w)).sum()
    return [_np(g) for g in torch.autograd.grad(loss, leaves, allow_unused=True)]


def _same(a, b, shape, what):
    a = np.zeros(shape) if a is None else a
    b = np.zeros(shape) if b is None else b
    scale = 1.0 + (float(np.abs(b).max()) if b.size else 0.0)
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12 * scale, err_msg=what)


@pytest.mark.parametrize("name", NAMES)
def test_create_graph_gradient_of_every_op_is_the_plain_one_and_pytorchs(name):
    """For each op of the table, on a few random programs: grad with create_graph=True == without == PyTorch."""
    _torch()

    @settings(
        max_examples=5,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def check(data):
        steps, rng = draw_op_program(data, name)
        with tg.no_grad():
            shape = run_engine(steps)[0].shape
        w = rng.standard_normal(shape)
        plain, shapes = _gradients(steps, w, create_graph=False)
        recorded, _ = _gradients(steps, w, create_graph=True)
        reference = _torch_gradients(steps, w)
        for i, (p, r, t, s) in enumerate(zip(plain, recorded, reference, shapes)):
            _same(r, p, s, f"{name}: leaf {i}, create_graph=True against plain ({steps})")
            _same(p, t, s, f"{name}: leaf {i}, against PyTorch ({steps})")

    check()


# ------------------------------------------------------------------------------ the fused cross-entropy

CE_CASES = {
    "indices": {},
    "indices_sum": {"reduction": "sum"},
    "indices_none": {"reduction": "none"},
    "weight": {"weight": [0.5, 2.0, 1.25, 0.1]},
    "ignore_index": {"ignore_index": 2},
    "weight_ignore": {"weight": [0.5, 2.0, 1.25, 0.1], "ignore_index": 0},
    "smoothing": {"label_smoothing": 0.2},
    "weight_smoothing_ignore": {"weight": [0.5, 2.0, 1.25, 0.1], "label_smoothing": 0.3, "ignore_index": 1},
    "probs": {"probs": True},
    "probs_weight": {"probs": True, "weight": [0.5, 2.0, 1.25, 0.1]},
    "probs_smoothing": {"probs": True, "label_smoothing": 0.25},
    "probs_weight_smoothing": {"probs": True, "weight": [0.5, 2.0, 1.25, 0.1], "label_smoothing": 0.25},
    "probs_weight_smoothing_sum": {
        "probs": True,
        "weight": [0.5, 2.0, 1.25, 0.1],
        "label_smoothing": 0.25,
        "reduction": "sum",
    },
}

_LOGITS = np.random.default_rng(5).standard_normal((6, 4)) * 2.0
_LABELS = np.array([0, 2, 1, 3, 2, 1])
_PROBS = np.random.default_rng(6).dirichlet(np.ones(4), 6)


def _ce_args(kw, lib):
    kw = dict(kw)
    probs = kw.pop("probs", False)
    if "weight" in kw:
        kw["weight"] = lib(np.array(kw["weight"]))
    return probs, kw


@pytest.mark.parametrize("case", sorted(CE_CASES))
def test_cross_entropy_create_graph_gradient_is_the_plain_one_and_pytorchs(case):
    """The fused cross-entropy's recorded rule (create_graph=True), with class weights, ignore_index,
    label smoothing and probability targets: the same gradient as its plain rule and as PyTorch,
    for the logits and for the probability targets; and its second derivative matches PyTorch's."""
    torch = _torch()
    probs, kw = _ce_args(CE_CASES[case], Tensor)
    results = {}
    for create_graph in (False, True):
        x = Tensor(_LOGITS.copy(), requires_grad=True)
        t = Tensor(_PROBS.copy(), requires_grad=True) if probs else _LABELS
        loss = F.cross_entropy(x, t, **kw)
        loss = (loss * Tensor(np.linspace(0.5, 1.5, 6))).sum() if loss.ndim else loss * 1.7
        wrt = [x, t] if probs else [x]
        results[create_graph] = autograd.grad(loss, wrt, create_graph=create_graph)
    tprobs, tkw = _ce_args(CE_CASES[case], torch.from_numpy)
    xt = torch.tensor(_LOGITS, requires_grad=True)
    tt = torch.tensor(_PROBS, requires_grad=True) if tprobs else torch.from_numpy(_LABELS)
    tloss = torch.nn.functional.cross_entropy(xt, tt, **tkw)
    tloss = (tloss * torch.from_numpy(np.linspace(0.5, 1.5, 6))).sum() if tloss.ndim else tloss * 1.7
    twrt = [xt, tt] if tprobs else [xt]
    tgrads = torch.autograd.grad(tloss, twrt, create_graph=True)
    for k, (plain, recorded, ref) in enumerate(zip(results[False], results[True], tgrads)):
        np.testing.assert_allclose(
            recorded.detach().numpy(), plain.detach().numpy(), rtol=1e-12, atol=1e-15, err_msg=f"input {k}"
        )
        np.testing.assert_allclose(
            plain.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-14, err_msg=f"input {k}"
        )
    # second derivative: d/dx <dL/dx, V>, against PyTorch
    v = np.random.default_rng(8).standard_normal(_LOGITS.shape)
    (hv,) = autograd.grad((results[True][0] * Tensor(v)).sum(), x)  # x: the create_graph=True run's
    (thv,) = torch.autograd.grad((tgrads[0] * torch.from_numpy(v)).sum(), xt)
    np.testing.assert_allclose(hv.detach().numpy(), thv.detach().numpy(), rtol=1e-9, atol=1e-13)


def test_cross_entropy_probability_targets_smooth_then_weight():
    """Probability targets with class weights and label smoothing, by PyTorch's formula:
    loss_i = -sum_c w_c ((1 - eps) t_ic + eps / C) log p_ic (smoothing first, then the weights;
    the other order would weight the uniform part eps / C too, and differ)."""
    eps, w = 0.3, np.array([0.5, 2.0, 1.25, 0.1])
    x = Tensor(_LOGITS.copy(), requires_grad=True)
    loss = F.cross_entropy(x, Tensor(_PROBS), weight=w, label_smoothing=eps, reduction="none")
    logp = _LOGITS - np.log(np.exp(_LOGITS).sum(1, keepdims=True))
    expected = -(w * ((1 - eps) * _PROBS + eps / 4) * logp).sum(1)
    np.testing.assert_allclose(loss.detach().numpy(), expected, rtol=1e-13)
    wrong = -(((1 - eps) * w * _PROBS + eps / 4) * logp).sum(1)
    assert np.abs(wrong - expected).max() > 1e-3  # the pin can tell the two orders apart


# ------------------------------------------------------------------------------ gradgradcheck


class _ScaleTwice(Function):
    """y = 2 x, with a wrong rule on the recorded path (3 g): a planted create_graph bug."""

    def forward(self, x):
        return x * 2.0

    def backward(self, g):
        return g * 3.0 if tg.is_grad_enabled() else g * 2.0


def test_gradgradcheck_compares_the_recorded_first_derivative_with_the_plain_one():
    """An op whose create_graph rule differs from its plain rule: its recorded derivative is
    self-consistent (finite differences of it agree), so only the comparison catches it."""
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    report = compare_create_graph(lambda t: _ScaleTwice.apply(t) * t, [x])
    assert not report.passed and "input 0" in str(report) and "create_graph" in str(report)
    with pytest.raises(GradcheckError, match="create_graph=True differs from the plain one"):
        gradgradcheck(lambda t: _ScaleTwice.apply(t) * t, [x])
    assert gradgradcheck(lambda t: _ScaleTwice.apply(t) * t, [x], raise_exception=False) is False
    assert gradgradcheck(lambda t: (t * 2.0) * t, [x])  # the same function, rules agreeing


@pytest.mark.parametrize("case", sorted(CE_CASES))
def test_gradgradcheck_of_cross_entropy_with_its_options(case):
    """gradgradcheck (the value comparison included) passes for every option of the fused loss."""
    probs, kw = _ce_args(CE_CASES[case], Tensor)
    x = Tensor(_LOGITS[:3].copy(), requires_grad=True)
    if "ignore_index" in kw:
        kw["ignore_index"] = int(_LABELS[0])
    if probs:
        t = Tensor(_PROBS[:3].copy(), requires_grad=True)
        assert gradgradcheck(lambda a, b: F.cross_entropy(a, b, **kw), [x, t])
    else:
        assert gradgradcheck(lambda a: F.cross_entropy(a, _LABELS[:3], **kw), [x])
