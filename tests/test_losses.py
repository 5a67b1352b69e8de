"""tinygrad_edu.nn.functional losses: cross-entropy, NLL, MSE, L1, binary cross-entropy.

Each loss is checked against a NumPy formula, against PyTorch where it is installed,
and against finite differences (gradcheck) in float64.
"""

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the oracle tests skip; the NumPy ones still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed; pip install .[test]")
RNG = np.random.default_rng(7)


def _t(a, grad=True, device="cpu"):
    return tg.Tensor(np.array(a, dtype=np.float64), requires_grad=grad, device=device)


# --------------------------------------------------------------------------- losses


def _logits(n=6, c=4, scale=2.0):
    return RNG.standard_normal((n, c)) * scale


def _ce_numpy(z, y):
    m = z.max(1, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(1, keepdims=True))
    return -logp[np.arange(len(y)), y]


def test_cross_entropy_numpy_formula_all_reductions():
    z = _logits()
    y = RNG.integers(0, 4, 6)
    per = _ce_numpy(z, y)
    np.testing.assert_allclose(F.cross_entropy(_t(z), y, reduction="none").detach().numpy(), per, rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(_t(z), y, reduction="sum").detach().numpy(), per.sum(), rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(_t(z), y).detach().numpy(), per.mean(), rtol=1e-12)
    # labels as a Tensor, and one-hot targets give the same value
    np.testing.assert_allclose(F.cross_entropy(_t(z), tg.Tensor(y)).detach().numpy(), per.mean(), rtol=1e-12)
    onehot = np.eye(4)[y]
    np.testing.assert_allclose(F.cross_entropy(_t(z), tg.Tensor(onehot)).detach().numpy(), per.mean(), rtol=1e-12)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    z = _logits()
    y = RNG.integers(0, 4, 6)
    x = _t(z)
    F.cross_entropy(x, y).backward()
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), (p - np.eye(4)[y]) / 6, rtol=1e-10, atol=1e-15)


def test_cross_entropy_is_stable_for_huge_logits():
    z = np.array([[1000.0, 0.0, -1000.0], [-5e4, 5e4, 0.0]])
    x = _t(z)
    loss = F.cross_entropy(x, np.array([0, 0]), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [0.0, 1e5], rtol=1e-12)
    loss.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0, 0], [-1, 1, 0]], atol=1e-12)
    soft = F.cross_entropy(_t(z), tg.Tensor(np.array([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]])), reduction="none")
    np.testing.assert_allclose(soft.detach().numpy(), [500.0, 0.0], rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradcheck_and_gradgradcheck(reduction):
    y = RNG.integers(0, 4, 5)
    t = RNG.random((5, 4))
    t /= t.sum(1, keepdims=True)
    x = _t(_logits(5))
    tt = _t(t)
    assert tg.gradcheck(lambda x: F.cross_entropy(x, y, reduction=reduction), (x,))
    assert tg.gradgradcheck(lambda x: F.cross_entropy(x, y, reduction=reduction), (x,))
    assert tg.gradcheck(lambda x, t: F.cross_entropy(x, t, reduction=reduction), (x, tt))
    assert tg.gradgradcheck(lambda x, t: F.cross_entropy(x, t, reduction=reduction), (x, tt))
    w = np.array([0.5, 1.0, 2.0, 0.1])
    assert tg.gradcheck(lambda x: F.cross_entropy(x, y, weight=w, reduction=reduction), (x,))
    assert tg.gradcheck(lambda x: F.cross_entropy(x, y, label_smoothing=0.2, reduction=reduction), (x,))


def test_cross_entropy_label_errors():
    x = _t(_logits())
    with pytest.raises(IndexError, match=r"\[0, 4\).*got 4"):
        F.cross_entropy(x, np.array([0, 1, 2, 3, 4, 0]))
    with pytest.raises(IndexError, match="got -2"):
        F.cross_entropy(x, np.array([0, 1, 2, 3, -2, 0]))
    with pytest.raises(ValueError, match="5 targets for 6 samples"):
        F.cross_entropy(x, np.array([0, 1, 2, 3, 0]))
    with pytest.raises(ValueError, match="one-hot rows"):
        F.cross_entropy(x, np.eye(4, dtype=int)[[0, 1, 2, 3, 0, 1]])
    with pytest.raises(TypeError, match="integers"):
        F.cross_entropy(x, np.array([0.0, 1, 2, 3, 0, 1]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, np.zeros(6, dtype=int), reduction="avg")
    with pytest.raises(IndexError, match="nll_loss"):
        F.nll_loss(x, np.array([9, 0, 0, 0, 0, 0]))


@needs_torch
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"reduction": "sum"},
        {"reduction": "none"},
        {"weight": [0.3, 1.0, 2.0, 0.5]},
        {"weight": [0.3, 1.0, 2.0, 0.5], "reduction": "none"},
        {"ignore_index": 1},
        {"ignore_index": 1, "weight": [0.3, 1.0, 2.0, 0.5]},
        {"label_smoothing": 0.1},
        {"label_smoothing": 0.2, "weight": [0.3, 1.0, 2.0, 0.5]},
        {"label_smoothing": 0.2, "ignore_index": 2, "reduction": "sum"},
    ],
)
def test_cross_entropy_with_indices_matches_torch(kwargs):
    z = _logits(8)
    y = RNG.integers(0, 4, 8)
    y[:4] = [0, 1, 2, 3]
    tkw = dict(kwargs)
    if "weight" in tkw:
        tkw["weight"] = torch.tensor(tkw["weight"], dtype=torch.float64)
    x, xt = _t(z), torch.tensor(z, requires_grad=True)
    loss, lt = F.cross_entropy(x, y, **kwargs), TF.cross_entropy(xt, torch.tensor(y), **tkw)
    np.testing.assert_allclose(loss.detach().numpy(), lt.detach().numpy(), rtol=1e-12, atol=1e-14)
    loss.sum().backward()
    lt.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-14)


@needs_torch
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"reduction": "none"}, {"label_smoothing": 0.15}, {"weight": [0.3, 1.0, 2.0, 0.5], "reduction": "sum"}],
)
def test_cross_entropy_with_probabilities_matches_torch(kwargs):
    z = _logits(5)
    t = RNG.random((5, 4))
    t /= t.sum(1, keepdims=True)
    tkw = dict(kwargs)
    if "weight" in tkw:
        tkw["weight"] = torch.tensor(tkw["weight"], dtype=torch.float64)
    x, xt = _t(z), torch.tensor(z, requires_grad=True)
    tt, ttt = _t(t), torch.tensor(t, requires_grad=True)
    loss, lt = F.cross_entropy(x, tt, **kwargs), TF.cross_entropy(xt, ttt, **tkw)
    np.testing.assert_allclose(loss.detach().numpy(), lt.detach().numpy(), rtol=1e-12)
    loss.sum().backward()
    lt.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(tt.grad.numpy(), ttt.grad.numpy(), rtol=1e-10, atol=1e-14)


@needs_torch
def test_cross_entropy_k_dimensional_and_1d_inputs_match_torch():
    z = RNG.standard_normal((3, 4, 5))
    y = RNG.integers(0, 4, (3, 5))
    x, xt = _t(z), torch.tensor(z, requires_grad=True)
    for red in ("mean", "none"):
        a, b = F.cross_entropy(x, y, reduction=red), TF.cross_entropy(xt, torch.tensor(y), reduction=red)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
    F.cross_entropy(x, y).backward()
    TF.cross_entropy(xt, torch.tensor(y)).backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-15)
    v = RNG.standard_normal(4)
    np.testing.assert_allclose(
        F.cross_entropy(_t(v), np.array(2)).detach().numpy(),
        TF.cross_entropy(torch.tensor(v), torch.tensor(2)).detach().numpy(),
    )


@needs_torch
@pytest.mark.parametrize("kwargs", [{}, {"reduction": "sum"}, {"weight": [1.0, 2.0, 0.5, 1.5]}, {"ignore_index": 0}])
def test_nll_loss_matches_torch(kwargs):
    z = _logits(7)
    y = RNG.integers(0, 4, 7)
    y[:2] = [0, 1]
    tkw = dict(kwargs)
    if "weight" in tkw:
        tkw["weight"] = torch.tensor(tkw["weight"], dtype=torch.float64)
    x, xt = _t(z), torch.tensor(z, requires_grad=True)
    a = F.nll_loss(F.log_softmax(x, 1), y, **kwargs)
    b = TF.nll_loss(TF.log_softmax(xt, 1), torch.tensor(y), **tkw)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
    a.backward()
    b.backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_regression_and_binary_losses_numpy_formulas():
    p = RNG.random((4, 3)) * 0.98 + 0.01
    t = RNG.random((4, 3))
    z = RNG.standard_normal((4, 3)) * 3
    np.testing.assert_allclose(F.mse_loss(_t(p), t).detach().numpy(), ((p - t) ** 2).mean(), rtol=1e-12)
    np.testing.assert_allclose(F.l1_loss(_t(p), t, reduction="sum").detach().numpy(), np.abs(p - t).sum(), rtol=1e-12)
    bce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(F.binary_cross_entropy(_t(p), t, reduction="none").detach().numpy(), bce, rtol=1e-12)
    s = 1 / (1 + np.exp(-z))
    bcel = -(t * np.log(s) + (1 - t) * np.log(1 - s))
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(_t(z), t).detach().numpy(), bcel.mean(), rtol=1e-10)
    # the logits version stays finite where sigmoid saturates
    big = F.binary_cross_entropy_with_logits(_t([[800.0, -800.0]]), np.array([[0.0, 1.0]]), reduction="none")
    np.testing.assert_allclose(big.detach().numpy(), [[800.0, 800.0]])
    edge = F.binary_cross_entropy(_t([[0.0, 1.0]]), np.array([[1.0, 0.0]]), reduction="none")
    np.testing.assert_allclose(edge.detach().numpy(), [[100.0, 100.0]])  # log clamped at -100 as PyTorch


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_elementwise_losses_gradcheck(name):
    p = _t(RNG.random((3, 4)) * 0.8 + 0.1)
    t = RNG.random((3, 4))
    fn = getattr(F, name)
    for red in ("mean", "sum", "none"):
        assert tg.gradcheck(lambda p, red=red: fn(p, t, reduction=red), (p,))
    assert tg.gradgradcheck(lambda p: fn(p, t), (p,))


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_elementwise_losses_match_torch(reduction):
    p = RNG.random((3, 4)) * 0.8 + 0.1
    z = RNG.standard_normal((3, 4)) * 4
    t = RNG.random((3, 4))
    w = RNG.random((3, 4))
    pw = RNG.random(4) * 3
    T = torch.tensor
    cases = [
        (F.mse_loss, TF.mse_loss, p, {}),
        (F.l1_loss, TF.l1_loss, p, {}),
        (F.binary_cross_entropy, TF.binary_cross_entropy, p, {"weight": w}),
        (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, z, {"pos_weight": pw}),
        (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, z, {"weight": w}),
    ]
    for ours, theirs, inp, kw in cases:
        x, xt = _t(inp), T(inp, requires_grad=True)
        tkw = {k: T(v) for k, v in kw.items()}
        okw = {k: tg.Tensor(v) for k, v in kw.items()}
        a, b = ours(x, t, reduction=reduction, **okw), theirs(xt, T(t), reduction=reduction, **tkw)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-11, err_msg=ours.__name__)
        a.sum().backward()
        b.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-14, err_msg=ours.__name__)


def test_loss_shape_errors():
    with pytest.raises(ValueError, match=r"mse_loss: target shape \(3,\) differs from input shape \(2,\)"):
        F.mse_loss(tg.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="probabilities"):
        F.binary_cross_entropy(_t([1.5]), np.array([1.0]))


# --------------------------------------------------------------------------- the "done when"


@needs_torch
def test_done_when_snippet_matches_pytorch_trajectory():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 100), nn.LeakyReLU(), nn.Linear(100, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    tmodel = torch.nn.Sequential(torch.nn.Linear(64, 100), torch.nn.LeakyReLU(), torch.nn.Linear(100, 10)).double()
    with torch.no_grad():
        for p, tp in zip(model.parameters(), tmodel.parameters()):
            tp.copy_(torch.tensor(p.detach().numpy()))
    topt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
    x_all = RNG.standard_normal((5, 32, 64))
    y_all = RNG.integers(0, 10, (5, 32))
    for x_np, y_np in zip(x_all, y_all):
        x = tg.Tensor(x_np)
        loss = F.cross_entropy(model(x), y_np)
        opt.zero_grad()
        loss.backward()
        opt.step()
        tloss = TF.cross_entropy(tmodel(torch.tensor(x_np)), torch.tensor(y_np))
        topt.zero_grad()
        tloss.backward()
        topt.step()
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-12)
    for p, tp in zip(model.parameters(), tmodel.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=0, atol=1e-12)


@needs_torch
def test_cross_entropy_probability_targets_k_dimensional_and_1d_match_torch():
    z = RNG.standard_normal((2, 3, 4))
    t = RNG.random((2, 3, 4))
    t /= t.sum(1, keepdims=True)
    for red in ("mean", "none"):
        a = F.cross_entropy(_t(z), t, reduction=red)
        b = TF.cross_entropy(torch.tensor(z), torch.tensor(t), reduction=red)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
    v, p = RNG.standard_normal(3), np.array([0.2, 0.3, 0.5])
    np.testing.assert_allclose(
        F.cross_entropy(_t(v), p).detach().numpy(),
        TF.cross_entropy(torch.tensor(v), torch.tensor(p)).detach().numpy(),
        rtol=1e-12,
    )


@needs_torch
def test_binary_cross_entropy_at_saturated_probabilities_matches_torch():
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.3])
    x, xt = _t(p), torch.tensor(p, requires_grad=True)
    a, b = F.binary_cross_entropy(x, t, reduction="sum"), TF.binary_cross_entropy(xt, torch.tensor(t), reduction="sum")
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
    a.backward()
    b.backward()
    assert np.isfinite(x.grad.numpy()).all()
    # PyTorch's 1e-12 floor is a float32 constant (9.99999996e-13): agreement to 4e-9 there
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-8)


@needs_torch
def test_cross_entropy_all_targets_ignored_gives_nan_like_torch():
    z = _logits(3)
    y = np.array([-100, -100, -100])
    x = _t(z)
    loss = F.cross_entropy(x, y)
    assert np.isnan(loss.item()) and np.isnan(TF.cross_entropy(torch.tensor(z), torch.tensor(y)).item())
    assert F.cross_entropy(_t(z), y, reduction="sum").item() == 0.0
    assert np.isnan(F.nll_loss(_t(z), y).item())


@needs_torch
@pytest.mark.parametrize(
    "y,w",
    [([-100, -100, -100], None), ([0, 1, 1], [0.0, 0.0, 1.0, 1.0]), ([0, -100, 1], [0.0, 0.0, 1.0, 1.0])],
    ids=["all-ignored", "all-weights-zero", "ignored-and-zero-weights"],
)
def test_cross_entropy_gradient_when_nothing_counts_is_torchs(y, w):
    """The mean over no counted sample: PyTorch's gradient is NaN for the samples that are not
    ignored and 0 for the ignored ones (through the fast rule and the recorded one alike)."""
    z = _logits(3)
    xt = torch.tensor(z, requires_grad=True)
    tw = None if w is None else torch.tensor(w, dtype=torch.float64)
    TF.cross_entropy(xt, torch.tensor(y), weight=tw).backward()
    x = _t(z)
    F.cross_entropy(x, np.array(y), weight=w).backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())  # NaN where NaN, 0 where 0
    x2 = _t(z)
    (g,) = tg.autograd.grad(F.cross_entropy(x2, np.array(y), weight=w), [x2], create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), xt.grad.numpy())


def test_loss_modules_call_their_functions():
    z = _logits(5)
    y = RNG.integers(0, 4, 5)
    p = RNG.random((5, 4)) * 0.8 + 0.1
    t = RNG.random((5, 4))
    w = np.array([0.5, 1.0, 2.0, 1.5])
    pairs = [
        (
            nn.CrossEntropyLoss(weight=w, label_smoothing=0.1)(_t(z), y),
            F.cross_entropy(_t(z), y, w, label_smoothing=0.1),
        ),
        (nn.NLLLoss(reduction="sum")(_t(z), y), F.nll_loss(_t(z), y, reduction="sum")),
        (nn.MSELoss()(_t(p), t), F.mse_loss(_t(p), t)),
        (nn.L1Loss(reduction="none")(_t(p), t), F.l1_loss(_t(p), t, reduction="none")),
        (nn.BCELoss()(_t(p), t), F.binary_cross_entropy(_t(p), t)),
        (nn.BCEWithLogitsLoss(pos_weight=2.0)(_t(z), t), F.binary_cross_entropy_with_logits(_t(z), t, pos_weight=2.0)),
    ]
    for a, b in pairs:
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')" and repr(nn.L1Loss()) == "L1Loss()"
    with pytest.raises(ValueError, match="reduction"):
        nn.CrossEntropyLoss(reduction="avg")
