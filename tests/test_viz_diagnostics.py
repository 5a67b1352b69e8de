"""Training diagnostics: every plot returns a matplotlib Figure on a real (short) training run."""

import math

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib", reason="the diagnostics need matplotlib (tinygrad-edu[viz])")
matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import Tensor, no_grad  # noqa: E402
from tinygrad_edu.autograd import Function  # noqa: E402
from tinygrad_edu.viz import diagnostics as D  # noqa: E402


def blobs(n, rng):
    y = rng.integers(0, 2, n)
    X = rng.normal(0, 1, (n, 2)) + np.where(y[:, None] == 1, 1.5, -1.5)
    return Tensor(X), y


def cross_entropy(logits, y):
    return -(logits.log_softmax(axis=1) * tg.one_hot(Tensor(y), 2)).sum() * (1.0 / len(y))


def accuracy(logits, y):
    return float((logits.detach().numpy().argmax(1) == y).mean())


class Run:
    """A two-hidden-layer ReLU network trained by plain gradient descent on two blobs."""

    def __init__(self, epochs=12, bias1=0.0):
        rng = np.random.default_rng(0)
        self.X, self.y = blobs(200, rng)
        self.Xv, self.yv = blobs(100, rng)

        def p(*shape, scale):
            return Tensor(rng.normal(0, scale, shape), requires_grad=True)

        self.params = {
            "linear1.weight": p(2, 16, scale=1.0),
            "linear1.bias": Tensor(np.full(16, bias1), requires_grad=True),
            "linear2.weight": p(16, 16, scale=0.35),
            "linear2.bias": p(16, scale=0.0),
            "out.weight": p(16, 2, scale=0.35),
            "out.bias": p(2, scale=0.0),
        }
        P = self.params
        self.layers = [
            ("linear1", lambda h: h @ P["linear1.weight"] + P["linear1.bias"]),
            ("relu1", lambda h: h.relu()),
            ("linear2", lambda h: h @ P["linear2.weight"] + P["linear2.bias"]),
            ("relu2", lambda h: h.relu()),
            ("out", lambda h: h @ P["out.weight"] + P["out.bias"]),
        ]
        self.grads = D.GradientRecorder(self.params)
        self.acts = D.ActivationRecorder(self.layers, self.Xv)
        self.history = {"loss": [], "val_loss": [], "accuracy": [], "val_accuracy": []}
        for _ in range(epochs):
            logits = self.forward(self.X)
            loss = cross_entropy(logits, self.y)
            for t in P.values():
                t.grad = None
            loss.backward()
            self.grads.record()
            self.acts.record()
            with no_grad():
                for t in P.values():
                    t.sub_(t.grad * 0.5)
                val_logits = self.forward(self.Xv)
            self.history["loss"].append(loss.item())
            self.history["accuracy"].append(accuracy(logits, self.y))
            self.history["val_loss"].append(cross_entropy(val_logits, self.yv).item())
            self.history["val_accuracy"].append(accuracy(val_logits, self.yv))

    def forward(self, h):
        for _, layer in self.layers:
            h = layer(h)
        return h


@pytest.fixture(scope="module")
def run():
    return Run()


def titles(fig):
    return [ax.get_title() for ax in fig.axes]


def test_the_run_really_trains(run):
    assert run.history["loss"][-1] < run.history["loss"][0]
    assert run.history["val_accuracy"][-1] > 0.9


def test_plot_history_from_a_dict_and_from_records(run):
    fig = D.plot_history(run.history)
    assert isinstance(fig, Figure)
    assert titles(fig) == ["loss", "accuracy"]
    loss_ax = fig.axes[0]
    assert [line.get_label() for line in loss_ax.lines] == ["train (loss)", "validation (val_loss)"]
    np.testing.assert_allclose(loss_ax.lines[1].get_ydata(), run.history["val_loss"])
    records = [dict(zip(run.history, v)) for v in zip(*run.history.values())]
    assert titles(D.plot_history(records, log_loss=True)) == ["loss", "accuracy"]
    with pytest.raises(TypeError, match="dict of lists"):
        D.plot_history(42)
    with pytest.raises(ValueError, match="no metric"):
        D.plot_history({"epoch": [1, 2]})


def test_plot_history_from_the_train_loops_history(run):
    train = pytest.importorskip("tinygrad_edu.train", reason="tinygrad_edu.train (History) is not available")
    h = train.History()
    for e, values in enumerate(zip(*run.history.values())):
        h.append(e, dict(zip(run.history, values)))
    fig = D.plot_history(h)
    assert titles(fig) == ["loss", "accuracy"]
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), run.history["accuracy"])
    np.testing.assert_allclose(fig.axes[1].lines[0].get_xdata(), range(len(run.history["loss"])))


def test_gradient_recorder_and_plot(run):
    rec = run.grads
    assert len(rec.steps) == 12 and list(rec.layer_norms) == ["linear1", "linear2", "out"]
    W = run.params["out.weight"]
    # the last record is the norm of the last backward pass's gradient (before the update)
    assert all(v > 0 and math.isfinite(v) for series in rec.norms.values() for v in series)
    layer = rec.layer_norms["out"][-1]
    assert layer == pytest.approx(math.hypot(rec.norms["out.weight"][-1], rec.norms["out.bias"][-1]))
    assert rec.norms["out.weight"][-1] > 0 and W.grad is not None
    fig = D.plot_gradient_norms(rec)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 3
    assert len(rec.plot(per="parameter").axes[0].lines) == 6
    with pytest.raises(ValueError, match="per must be"):
        D.plot_gradient_norms(rec, per="neuron")
    with pytest.raises(ValueError, match="nothing recorded"):
        D.plot_gradient_norms(D.GradientRecorder(run.params))


def test_gradient_norms_show_vanishing_gradients_in_a_sigmoid_net():
    rng = np.random.default_rng(1)
    X = Tensor(rng.normal(0, 1, (64, 16)))
    params = {f"{i}.weight": Tensor(rng.normal(0, 1 / 4, (16, 16)), requires_grad=True) for i in range(6)}
    h = X
    for i in range(6):
        h = (h @ params[f"{i}.weight"]).sigmoid()
    (h * h).sum().backward()
    rec = D.GradientRecorder(params)
    rec.record()
    norms = [rec.layer_norms[str(i)][0] for i in range(6)]
    assert norms[0] < 0.01 * norms[-1]  # sigma' <= 1/4 per layer: the first layer hardly learns
    assert isinstance(D.plot_gradient_norms(rec), Figure)


def test_activation_stats_and_dead_relus(run):
    acts = run.acts
    assert acts.names == ["linear1", "relu1", "linear2", "relu2", "out"]
    assert acts.relu_layers() == ["relu1", "relu2"]
    assert all(0.0 <= d <= 1.0 for series in acts.dead.values() for d in series)
    assert len(acts.mean["relu1"]) == 12 and acts.mean["relu1"][-1] >= 0
    fig = D.plot_activation_stats(acts)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    fig = D.plot_dead_relus(acts)
    assert isinstance(fig, Figure) and [ln.get_label() for ln in fig.axes[0].lines] == ["relu1", "relu2"]
    with pytest.raises(ValueError, match="unknown layers"):
        D.plot_dead_relus(acts, layers=["relu9"])
    linear_only = D.ActivationRecorder([("a", lambda h: h * 2.0)], run.Xv)
    with pytest.raises(ValueError, match="nothing recorded"):
        D.plot_dead_relus(linear_only)
    linear_only.record()
    with pytest.raises(ValueError, match="no ReLU"):
        D.plot_dead_relus(linear_only)


def test_a_large_negative_bias_kills_the_relus():
    dead = Run(epochs=2, bias1=-100.0)
    assert dead.acts.dead["relu1"] == [1.0, 1.0]  # never positive: no gradient reaches linear1
    assert dead.grads.norms["linear1.weight"][-1] == 0.0
    np.testing.assert_allclose(D.plot_dead_relus(dead.acts).axes[0].lines[0].get_ydata(), [1.0, 1.0])


def test_recorders_with_the_nn_library():
    nn = pytest.importorskip("tinygrad_edu.nn", reason="tinygrad_edu.nn is not available")
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    X = tg.randn(16, 2)
    model(X).sum().backward()
    grads = D.GradientRecorder(model)
    grads.record()
    assert list(grads.layer_norms) == ["0", "2"]
    acts = D.ActivationRecorder(model, X)
    acts.record()
    assert acts.names == ["0 (Linear)", "1 (ReLU)", "2 (Linear)"] and acts.relu_layers() == ["1 (ReLU)"]
    assert isinstance(D.plot_dead_relus(acts), Figure)


def test_plot_gradcheck_from_a_function_and_from_a_report():
    x = Tensor([0.3, -1.2, 2.0], requires_grad=True)
    w = Tensor([[0.5], [1.5], [-0.7]], requires_grad=True)

    def f(x, w):
        return (x.sin() * x * x) @ w

    fig = D.plot_gradcheck(f, (x, w), names=["x", "w"], eps_values=[1e-1, 1e-3, 1e-5, 1e-7])
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert "passed" in fig.axes[1].get_title()
    err = fig.axes[2].lines[0].get_ydata()  # truncation error ~ eps^2: falls as eps shrinks
    assert err[0] > 1e-4 and err[2] < 1e-6 and err[0] > 100 * err[2]
    scatter = fig.axes[0].collections[0].get_offsets()
    np.testing.assert_allclose(scatter[:, 0], scatter[:, 1], atol=1e-6)  # analytic == numerical

    class WrongCube(Function):
        """y = x^3 with a wrong derivative (2 x^2 instead of 3 x^2)."""

        def forward(self, x):
            return x**3

        def backward(self, g):
            return g * self.inputs[0] * self.inputs[0] * 2.0

    report = tg.gradcheck_report(lambda x: WrongCube.apply(x), Tensor([1.0, 2.0], requires_grad=True))
    fig = D.plot_gradcheck(report)
    assert len(fig.axes) == 1 and "FAILED" in fig.axes[0].get_title()
    assert fig.axes[0].patches[0].get_height() == pytest.approx(1 / 3, rel=1e-4)  # (3 - 2) / 3
    with pytest.raises(TypeError, match="GradcheckReport or a function"):
        D.plot_gradcheck(3)
    with pytest.raises(ValueError, match="inputs"):
        D.plot_gradcheck(f)
