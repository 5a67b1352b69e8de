"""tinygrad_edu.nn: modules, layers, activations, init, clipping (losses: test_losses.py).

Each layer is checked against a NumPy formula, against PyTorch where it is installed,
and against finite differences (gradcheck) in float64.
"""

import math

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import init
from tinygrad_edu.nn.utils import clip_grad_norm_, clip_grad_value_, l2_penalty

try:
    import torch
except ImportError:  # the oracle tests skip; the NumPy ones still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed; pip install .[test]")
RNG = np.random.default_rng(7)


def _t(a, grad=True, device="cpu"):
    return tg.Tensor(np.array(a, dtype=np.float64), requires_grad=grad, device=device)


# --------------------------------------------------------------------------- Module


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(3, 4)
        self.blocks = [nn.Linear(4, 4), nn.Tanh()]
        self.extra = {"scale": nn.Parameter(np.ones(4))}
        self.out = nn.Linear(4, 2, bias=False)

    def forward(self, x):
        h = self.layer1(x).relu()
        for b in self.blocks:
            h = b(h)
        return self.out(h * self.extra["scale"])


def test_parameters_found_in_attributes_lists_and_dicts():
    m = TwoLayer()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["extra.scale", "layer1.weight", "layer1.bias", "blocks.0.weight", "blocks.0.bias", "out.weight"]
    assert len(list(m.parameters())) == 6
    assert [n for n, _ in m.named_children()] == ["layer1", "blocks.0", "blocks.1", "out"]
    assert m.num_parameters() == 4 + 3 * 4 + 4 + 16 + 4 + 8
    out = m(_t(RNG.standard_normal((5, 3)), grad=False))
    assert out.shape == (5, 2)


def test_sequential_names_indexing_and_repr():
    model = nn.Sequential(nn.Linear(64, 100), nn.LeakyReLU(), nn.Linear(100, 10))
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert model[0].weight.shape == (100, 64) and model[0].bias.shape == (100,)
    assert len(model) == 3 and isinstance(model[1:], nn.Sequential) and len(model[1:]) == 2
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=64, out_features=100, bias=True)\n"
        "  (1): LeakyReLU(negative_slope=0.01)\n"
        "  (2): Linear(in_features=100, out_features=10, bias=True)\n"
        ")"
    )
    nested = nn.Sequential(nn.Sequential(nn.Linear(2, 2)), nn.ReLU())
    assert "(0): Sequential(\n    (0): Linear" in repr(nested)
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.Linear(2, 2), "relu")


def test_module_list_and_shared_parameters_counted_once():
    shared = nn.Linear(2, 2)
    ml = nn.ModuleList([shared, nn.ReLU(), shared])
    assert len(ml) == 3 and [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias"]
    ml.append(nn.Linear(2, 1))
    assert len(list(ml.parameters())) == 4


def test_train_eval_zero_grad_and_requires_grad():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5), nn.BatchNorm1d(3))
    assert all(m.training for m in model.modules())
    assert model.eval() is model and not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model(_t(RNG.standard_normal((4, 3)), grad=False)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_to_moves_in_place_and_keeps_optimizer_references():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    opt = optim.SGD(model.parameters(), lr=0.1)
    w = model[0].weight
    model.to("cpu", dtype="float32")
    assert model[0].weight is w and w.dtype == np.float32
    assert model[1].running_mean.dtype == np.float32
    assert model[1].num_batches_tracked.dtype == np.int64  # integer buffers keep their dtype
    assert opt.param_groups[0]["params"][0] is w
    model.double()
    assert w.dtype == np.float64


def test_state_dict_holds_parameters_and_buffers_and_loads_back():
    a = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    a(_t(RNG.standard_normal((6, 3)), grad=False))  # moves the running statistics
    sd = a.state_dict()
    assert list(sd) == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
        "2.weight",
        "2.bias",
    ]
    b = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    w_obj = b[0].weight
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b[0].weight is w_obj  # copied in place
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy(), sd[k].detach().numpy())
    # plain host arrays are accepted too
    b.load_state_dict({k: v.detach().numpy() for k, v in sd.items()})


def test_load_state_dict_strict_errors_name_the_keys():
    m = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    sd = m.state_dict()
    partial = {k: v for k, v in sd.items() if k != "1.bias"}
    partial["1.gamma"] = tg.zeros(2)
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict(partial)
    assert "missing key(s)" in str(err.value) and "'1.bias'" in str(err.value)
    assert "unexpected key(s)" in str(err.value) and "'1.gamma'" in str(err.value)
    keys = m.load_state_dict(partial, strict=False)
    assert keys.missing_keys == ["1.bias"] and keys.unexpected_keys == ["1.gamma"]
    bad = dict(sd)
    bad["0.weight"] = tg.zeros(4, 4)
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight.*\(4, 4\).*\(4, 3\)"):
        m.load_state_dict(bad, strict=False)


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(np.zeros(3))
    assert isinstance(p, tg.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:")
    with pytest.raises(TypeError, match="floating"):
        nn.Parameter(np.zeros(3, dtype=np.int64))


def test_apply_visits_every_module():
    m = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))

    def zero_linear(mod):
        if isinstance(mod, nn.Linear):
            init.zeros_(mod.weight)

    m.apply(zero_linear)
    assert all((p.detach().numpy() == 0).all() for n, p in m.named_parameters() if n.endswith("weight"))


# --------------------------------------------------------------------------- Linear


def test_linear_matches_formula_and_its_gradients(device):
    lin = nn.Linear(5, 3).to(device)
    x = _t(RNG.standard_normal((4, 5)), device=device)
    y = lin(x)
    W, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() @ W.T + b, rtol=1e-12)
    g = RNG.standard_normal((4, 3))
    y.backward(tg.Tensor(g, device=device))
    np.testing.assert_allclose(x.grad.numpy(), g @ W, rtol=1e-12)
    np.testing.assert_allclose(lin.weight.grad.numpy(), g.T @ x.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(lin.bias.grad.numpy(), g.sum(0), rtol=1e-12)


def test_linear_gradcheck_and_gradgradcheck():
    x = _t(RNG.standard_normal((3, 4)))
    w = _t(RNG.standard_normal((2, 4)))
    b = _t(RNG.standard_normal(2))
    assert tg.gradcheck(lambda x, w, b: F.linear(x, w, b).tanh(), (x, w, b))
    assert tg.gradgradcheck(lambda x, w, b: F.linear(x, w, b).tanh(), (x, w, b))
    assert tg.gradcheck(lambda x, w: F.linear(x, w), (x, w))
    x3 = _t(RNG.standard_normal((2, 3, 4)))  # extra leading axes, as PyTorch allows
    assert tg.gradcheck(lambda x, w, b: F.linear(x, w, b), (x3, w, b))
    x1 = _t(RNG.standard_normal(4))
    assert tg.gradcheck(lambda x, w, b: F.linear(x, w, b), (x1, w, b))


def test_linear_default_init_bounds_and_named_inits():
    tg.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = lin.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound
    he = nn.Linear(400, 300, init="kaiming_normal").weight.detach().numpy()
    assert abs(he.std() - math.sqrt(2 / 400)) < 0.02 * math.sqrt(2 / 400)
    xa = nn.Linear(400, 300, init="xavier_uniform")
    a = math.sqrt(6 / 700)
    assert np.abs(xa.weight.detach().numpy()).max() <= a and (xa.bias.detach().numpy() == 0).all()
    custom = nn.Linear(3, 2, init=lambda t: init.constant_(t, 0.5))
    assert (custom.weight.detach().numpy() == 0.5).all()
    with pytest.raises(ValueError, match="unknown init"):
        nn.Linear(3, 2, init="glorious")


def test_linear_errors_name_shapes():
    lin = nn.Linear(4, 2)
    with pytest.raises(ValueError, match=r"Linear.*\(3, 5\).*\(2, 4\)"):
        lin(tg.zeros(3, 5))
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(-1, 2)


@needs_torch
def test_linear_matches_torch_forward_and_backward():
    lin = nn.Linear(6, 4)
    tl = torch.nn.Linear(6, 4).double()
    with torch.no_grad():
        tl.weight.copy_(torch.tensor(lin.weight.detach().numpy()))
        tl.bias.copy_(torch.tensor(lin.bias.detach().numpy()))
    x = RNG.standard_normal((5, 6))
    xo, xt = _t(x), torch.tensor(x, requires_grad=True)
    (lin(xo) ** 2).sum().backward()
    (tl(xt) ** 2).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(lin.weight.grad.numpy(), tl.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(lin.bias.grad.numpy(), tl.bias.grad.numpy(), rtol=1e-12)


# --------------------------------------------------------------------------- init


def test_init_gains_and_fans():
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="unsupported"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="at least 2"):
        init.xavier_uniform_(tg.zeros(3))
    t = tg.zeros(200, 300)
    init.xavier_normal_(t, gain=2.0)
    assert abs(t.detach().numpy().std() - 2 * math.sqrt(2 / 500)) < 0.03 * 2 * math.sqrt(2 / 500)
    init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu")
    assert np.abs(t.detach().numpy()).max() <= math.sqrt(2) * math.sqrt(3 / 200)
    init.normal_(t, 3.0, 0.1)
    assert abs(t.detach().numpy().mean() - 3.0) < 0.01
    init.uniform_(t, -2, -1)
    assert t.detach().numpy().min() >= -2 and t.detach().numpy().max() < -1
    conv_w = tg.zeros(8, 4, 3, 3)  # fans include the receptive field
    assert init._calculate_fan_in_and_fan_out(conv_w) == (36, 72)


def test_init_is_reproducible_with_manual_seed():
    tg.manual_seed(3)
    a = nn.Linear(5, 5).weight.detach().numpy().copy()
    tg.manual_seed(3)
    b = nn.Linear(5, 5).weight.detach().numpy().copy()
    np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- activations

ACTIVATIONS = [
    (nn.Sigmoid(), lambda z: 1 / (1 + np.exp(-z)), "Sigmoid", {}),
    (nn.Tanh(), np.tanh, "Tanh", {}),
    (nn.ReLU(), lambda z: np.maximum(z, 0), "ReLU", {}),
    (nn.LeakyReLU(0.1), lambda z: np.where(z > 0, z, 0.1 * z), "LeakyReLU", {"negative_slope": 0.1}),
    (nn.ELU(0.7), lambda z: np.where(z > 0, z, 0.7 * (np.exp(z) - 1)), "ELU", {"alpha": 0.7}),
    (nn.GELU(), None, "GELU", {}),
    (nn.GELU("tanh"), None, "GELU", {"approximate": "tanh"}),
    (nn.Softplus(), lambda z: np.log1p(np.exp(z)), "Softplus", {}),
    (nn.Softplus(beta=2.0), lambda z: np.log1p(np.exp(2 * z)) / 2, "Softplus", {"beta": 2.0}),
    (nn.Softmax(dim=1), lambda z: np.exp(z) / np.exp(z).sum(1, keepdims=True), "Softmax", {"dim": 1}),
    (nn.LogSoftmax(dim=1), lambda z: z - np.log(np.exp(z).sum(1, keepdims=True)), "LogSoftmax", {"dim": 1}),
    (nn.Identity(), lambda z: z, "Identity", {}),
]
IDS = [f"{a[2]}{a[3]}" for a in ACTIVATIONS]


@pytest.mark.parametrize("mod,ref,name,kw", ACTIVATIONS, ids=IDS)
def test_activation_formula_and_gradcheck(mod, ref, name, kw):
    z = RNG.standard_normal((4, 5)) * 2
    x = _t(z)
    if ref is not None:
        np.testing.assert_allclose(mod(x).detach().numpy(), ref(z), rtol=1e-10, atol=1e-14)
    # `* 1.0`: Identity returns its input itself, and gradcheck perturbs the input in place
    assert tg.gradcheck(lambda x: mod(x) * 1.0, (x,))
    assert tg.gradgradcheck(lambda x: mod(x) * 1.0, (x,))


@needs_torch
@pytest.mark.parametrize("mod,ref,name,kw", ACTIVATIONS, ids=IDS)
def test_activation_matches_torch(mod, ref, name, kw):
    z = RNG.standard_normal((4, 5)) * 3
    g = RNG.standard_normal((4, 5))
    x, xt = _t(z), torch.tensor(z, requires_grad=True)
    y, yt = mod(x), getattr(torch.nn, name)(**kw)(xt)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-14)
    y.backward(tg.Tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-13)


def test_functional_activations_match_modules():
    x = _t(RNG.standard_normal((3, 4)), grad=False)
    pairs = [
        (F.relu(x), nn.ReLU()(x)),
        (F.sigmoid(x), nn.Sigmoid()(x)),
        (F.tanh(x), nn.Tanh()(x)),
        (F.leaky_relu(x, 0.2), nn.LeakyReLU(0.2)(x)),
        (F.elu(x), nn.ELU()(x)),
        (F.gelu(x), nn.GELU()(x)),
        (F.softplus(x), nn.Softplus()(x)),
        (F.softmax(x, 1), nn.Softmax(1)(x)),
        (F.log_softmax(x, 1), nn.LogSoftmax(1)(x)),
    ]
    for a, b in pairs:
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_flatten():
    x = _t(RNG.standard_normal((2, 3, 4, 5)))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert tg.gradcheck(lambda x: nn.Flatten()(x) * 2.0, (x,))
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


# --------------------------------------------------------------------------- Dropout


def test_dropout_train_mode_zeros_and_scales():
    d = nn.Dropout(0.3)
    x = tg.ones(200, 500)
    y = d(x).detach().numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.7)
    assert abs(y.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation


def test_dropout_gradient_uses_the_same_mask():
    x = _t(np.ones((50, 40)))
    y = nn.Dropout(0.5)(x)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


def test_dropout_gradcheck_with_a_fixed_mask():
    x = _t(RNG.standard_normal((4, 5)))
    d = nn.Dropout(0.4)

    def f(x):
        tg.manual_seed(5)  # the same mask at every evaluation, so finite differences apply
        return d(x).tanh()

    assert tg.gradcheck(f, (x,))
    assert tg.gradgradcheck(f, (x,))


def test_dropout_eval_mode_and_edge_probabilities():
    x = _t(RNG.standard_normal((4, 4)), grad=False)
    d = nn.Dropout(0.5).eval()
    assert d(x) is x
    assert nn.Dropout(0.0)(x) is x
    np.testing.assert_array_equal(nn.Dropout(1.0)(x).detach().numpy(), 0.0)
    assert F.dropout(x, 0.9, training=False) is x
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.5)


# --------------------------------------------------------------------------- BatchNorm1d


def test_batchnorm_train_mode_matches_formula_and_updates_running_stats():
    bn = nn.BatchNorm1d(3, momentum=0.2)
    z = RNG.standard_normal((8, 3)) * 2 + 1
    y = bn(_t(z, grad=False)).detach().numpy()
    mean, var = z.mean(0), z.var(0)
    np.testing.assert_allclose(y, (z - mean) / np.sqrt(var + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean.detach().numpy(), 0.2 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.detach().numpy(), 0.8 + 0.2 * z.var(0, ddof=1), rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 1


def test_batchnorm_eval_mode_uses_running_stats():
    bn = nn.BatchNorm1d(3)
    for _ in range(5):
        bn(_t(RNG.standard_normal((8, 3)) * 3, grad=False))
    bn.eval()
    z = RNG.standard_normal((2, 3))
    y = bn(_t(z, grad=False)).detach().numpy()
    rm, rv = bn.running_mean.detach().numpy(), bn.running_var.detach().numpy()
    np.testing.assert_allclose(y, (z - rm) / np.sqrt(rv + 1e-5), rtol=1e-12)
    before = rm.copy()
    bn(_t(z, grad=False))
    np.testing.assert_array_equal(bn.running_mean.detach().numpy(), before)  # eval leaves the state alone
    bn(_t(z[:1], grad=False))  # one sample is fine in eval mode


def test_batchnorm_gradcheck_train_and_eval():
    bn = nn.BatchNorm1d(3)
    init.normal_(bn.weight)
    init.normal_(bn.bias)
    x = _t(RNG.standard_normal((5, 3)))

    def f(x, w, b):
        return F.batch_norm(x, None, None, w, b, training=True)

    assert tg.gradcheck(f, (x, bn.weight, bn.bias))
    assert tg.gradgradcheck(f, (x, bn.weight, bn.bias))
    x3 = _t(RNG.standard_normal((4, 3, 2)))
    assert tg.gradcheck(f, (x3, bn.weight, bn.bias))
    bn.eval()
    assert tg.gradcheck(lambda x: bn(x), (x,))


def test_batchnorm_errors():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(tg.zeros(1, 3))
    with pytest.raises(ValueError, match="num_features=3"):
        bn(tg.zeros(4, 2))
    with pytest.raises(ValueError, match="2-D or 3-D"):
        bn(tg.zeros(4, 3, 2, 2))


@needs_torch
@pytest.mark.parametrize(
    "kwargs,shape",
    [
        ({}, (8, 3)),
        ({"momentum": 0.3, "eps": 1e-3}, (6, 3, 4)),
        ({"momentum": None}, (5, 3)),
        ({"affine": False}, (7, 3)),
        ({"track_running_stats": False}, (7, 3)),
    ],
)
def test_batchnorm_matches_torch_train_then_eval(kwargs, shape):
    ours = nn.BatchNorm1d(3, **kwargs)
    theirs = torch.nn.BatchNorm1d(3, **kwargs).double()
    if ours.affine:
        init.normal_(ours.weight)
        init.normal_(ours.bias)
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(ours.weight.detach().numpy()))
            theirs.bias.copy_(torch.tensor(ours.bias.detach().numpy()))
    for step in range(4):
        z = RNG.standard_normal(shape) * (step + 1) + step
        g = RNG.standard_normal(shape)
        x, xt = _t(z), torch.tensor(z, requires_grad=True)
        y, yt = ours(x), theirs(xt)
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
        y.backward(tg.Tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    if ours.track_running_stats:
        np.testing.assert_allclose(ours.running_mean.detach().numpy(), theirs.running_mean.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.running_var.detach().numpy(), theirs.running_var.detach().numpy(), rtol=1e-12)
        assert int(ours.num_batches_tracked.item()) == int(theirs.num_batches_tracked)
    ours.eval()
    theirs.eval()
    z = RNG.standard_normal(shape)
    np.testing.assert_allclose(
        ours(_t(z)).detach().numpy(), theirs(torch.tensor(z)).detach().numpy(), rtol=1e-10, atol=1e-12
    )


# --------------------------------------------------------------------------- clipping and L2


@needs_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm_matches_torch(norm_type):
    grads = [RNG.standard_normal((3, 4)) * 5, RNG.standard_normal(4)]
    ps = [nn.Parameter(np.zeros_like(g)) for g in grads]
    ts = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, t, g in zip(ps, ts, grads):
        p.grad = tg.Tensor(g.copy())
        t.grad = torch.tensor(g.copy())
    total = clip_grad_norm_(ps, 1.5, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(ts, 1.5, norm_type)
    assert float(total.item()) == pytest.approx(float(ttotal), rel=1e-12)
    for p, t in zip(ps, ts):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_leaves_small_gradients_and_does_not_write_into_old_arrays():
    p = nn.Parameter(np.zeros(3))
    g = np.array([0.1, 0.2, 0.2])
    p.grad = tg.Tensor(g)
    total = clip_grad_norm_(p, 10.0)
    assert total.item() == pytest.approx(0.3)
    np.testing.assert_array_equal(p.grad.numpy(), g)
    p.grad = tg.Tensor(g)
    clip_grad_norm_([p], 0.03)
    np.testing.assert_allclose(np.linalg.norm(p.grad.numpy()), 0.03, rtol=1e-4)
    np.testing.assert_array_equal(g, [0.1, 0.2, 0.2])
    p.grad = tg.Tensor(np.array([np.inf, 1.0, 0.0]))
    with pytest.raises(RuntimeError, match="norm"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    p = nn.Parameter(np.zeros(4))
    p.grad = tg.Tensor(np.array([-3.0, -0.5, 0.5, 3.0]))
    clip_grad_value_([p], 1.0)
    np.testing.assert_array_equal(p.grad.numpy(), [-1.0, -0.5, 0.5, 1.0])
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value_([p], -1.0)


def test_l2_penalty_gradient_equals_weight_decay():
    w = nn.Parameter(RNG.standard_normal((3, 2)))
    b = nn.Parameter(RNG.standard_normal(2))
    pen = l2_penalty([w, b], 0.1)
    np.testing.assert_allclose(
        pen.detach().numpy(), 0.05 * ((w.detach().numpy() ** 2).sum() + (b.detach().numpy() ** 2).sum()), rtol=1e-12
    )
    pen.backward()
    np.testing.assert_allclose(w.grad.numpy(), 0.1 * w.detach().numpy(), rtol=1e-12)
    # one SGD step on the penalty equals one step with weight_decay on a zero loss
    w2 = nn.Parameter(w.detach().numpy().copy())
    w2.grad = tg.zeros(3, 2)
    optim.SGD([w2], lr=0.5, weight_decay=0.1).step()
    optim.SGD([w], lr=0.5).step()
    np.testing.assert_allclose(w.detach().numpy(), w2.detach().numpy(), rtol=1e-14)
    with pytest.raises(ValueError, match="lam"):
        l2_penalty([w], -1.0)


def test_api_reference_lists_every_public_name():
    import inspect
    import pathlib
    import re

    import tinygrad_edu.nn.init as init_mod
    import tinygrad_edu.nn.utils as utils_mod
    from tinygrad_edu.optim import lr_scheduler

    doc = (pathlib.Path(__file__).parent.parent / "docs" / "api.md").read_text()
    documented = set(re.findall(r"`(?:[\w.]+\.)?(\w+)[(`]", doc))
    missing = []
    for mod in (nn, F, init_mod, utils_mod, optim, lr_scheduler):
        names = getattr(mod, "__all__", None) or [
            n
            for n, v in vars(mod).items()
            if not n.startswith("_") and (inspect.isfunction(v) or inspect.isclass(v)) and v.__module__ == mod.__name__
        ]
        missing += [
            f"{mod.__name__}.{n}" for n in names if inspect.ismodule(getattr(mod, n)) is False and n not in documented
        ]
    missing += [n for n in ("save", "load") if n not in documented]
    assert not missing, f"docs/api.md does not list: {missing}"


def test_module_without_super_init_still_finds_parameters():
    class NoInit(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            return self.lin(x)

    m = NoInit()
    assert [n for n, _ in m.named_parameters()] == ["lin.weight", "lin.bias"]
    assert m.training and list(m.state_dict()) == ["lin.weight", "lin.bias"]
    m.eval()
    assert not m.training
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_parameters_to_vector_and_back():
    from tinygrad_edu.nn.utils import parameters_to_vector, vector_to_parameters

    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    params = list(model.parameters())
    vec = parameters_to_vector(params)
    assert vec.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    np.testing.assert_array_equal(vec.detach().numpy()[:12], params[0].detach().numpy().reshape(-1))
    vec.sum().backward()  # differentiable: every parameter gets a gradient of ones
    assert all(np.all(p.grad.numpy() == 1) for p in params)
    new = tg.Tensor(np.arange(vec.size, dtype=np.float64))
    vector_to_parameters(new, params)
    np.testing.assert_array_equal(parameters_to_vector(params).detach().numpy(), new.detach().numpy())
    before = [p.detach().numpy().copy() for p in params]
    with pytest.raises(ValueError, match="vector has 5 values, parameters take 26"):
        vector_to_parameters(tg.Tensor(np.zeros(5)), params)
    for p, b in zip(params, before):  # a wrong vector changes nothing
        np.testing.assert_array_equal(p.detach().numpy(), b)
