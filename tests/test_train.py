"""The training loop, metrics, callbacks and the learning targets (XOR, digits)."""

import json
import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import data, models, nn, optim
from tinygrad_edu.callbacks import Callback, EarlyStopping, LambdaCallback, ModelCheckpoint
from tinygrad_edu.metrics import accuracy, correct_count
from tinygrad_edu.train import History, evaluate, fit, get_loss, predict

# --------------------------------------------------------------------------- metrics


def test_accuracy_multiclass_is_per_sample():
    out = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 1.0], [5.0, 0.0, 0.0]])
    labels = np.array([0, 1, 0, 0])
    assert accuracy(out, labels) == 0.75
    assert accuracy(tg.Tensor(out), data.one_hot(labels, 3)) == 0.75  # one-hot rows: arg-max, not element-wise
    # A classifier that is always wrong on 10 classes: element-wise over one-hot would say 0.8.
    wrong = np.eye(10)[np.arange(10) % 10]
    target = np.eye(10)[(np.arange(10) + 1) % 10]
    assert accuracy(wrong, target) == 0.0
    assert int(correct_count(out, labels)) == 3


def test_accuracy_binary_thresholds():
    probs = np.array([[0.2], [0.7], [0.55], [0.4]])
    t = np.array([[0.0], [1.0], [0.0], [0.0]])
    assert accuracy(probs, t) == 0.75  # 0.55 > 0.5 counts as class 1
    logits = np.array([-1.0, 0.3, -0.2, 2.0])
    assert accuracy(logits, np.array([0, 1, 0, 0]), threshold=0.0) == 0.75
    assert accuracy(logits.reshape(4, 1), [0, 1, 0, 1], threshold=0.0) == 1.0


def test_accuracy_errors():
    with pytest.raises(ValueError, match="3 targets for 2 outputs"):
        accuracy(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="one target per sample"):
        accuracy(np.zeros((2, 1)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="no samples"):
        accuracy(np.zeros((0, 3)), np.zeros(0, dtype=int))


def test_threshold_follows_the_loss():
    """A single-output model trained with a *with_logits* loss is scored at 0, others at 0.5."""
    X, y = data.gates("and")
    model = nn.Sequential(nn.Linear(2, 1))
    with tg.no_grad():
        model[0].weight.data[...] = 0.0
        model[0].bias.data[...] = 0.2  # logit 0.2 for every row: class 1 at threshold 0, class 0 at 0.5
    assert evaluate(model, "bce_with_logits", (X, y))["accuracy"] == 0.25
    assert evaluate(model, "mse", (X, y))["accuracy"] == 0.75


def test_get_loss():
    assert get_loss("cross_entropy") is nn.functional.cross_entropy
    assert get_loss("BCE_with_logits") is nn.functional.binary_cross_entropy_with_logits
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        get_loss("hinge")


# --------------------------------------------------------------------------- targets


@pytest.mark.parametrize("seed", range(10))
def test_xor_one_hidden_layer_every_seed(seed):
    X, y = data.gates("xor")
    tg.manual_seed(seed)
    model = models.mlp([2, 8, 1], "tanh")
    history = fit(
        model,
        "bce_with_logits",
        optim.Adam(model.parameters(), lr=0.05),
        (X, y),
        epochs=300,
        batch_size=None,
        progress=False,
    )
    np.testing.assert_array_equal(predict(model, X) > 0, y == 1)
    assert history["accuracy"][-1] == 1.0


def test_xor_without_hidden_layer_gets_three_of_four():
    """A linear model cannot separate XOR; per-sample accuracy on the four true rows says so."""
    X, y = data.gates("xor")
    tg.manual_seed(0)
    model = models.mlp([2, 1])
    fit(
        model,
        "bce_with_logits",
        optim.Adam(model.parameters(), lr=0.1),
        (X, y),
        epochs=300,
        batch_size=None,
        progress=False,
    )
    assert evaluate(model, "bce_with_logits", (X, y))["accuracy"] <= 0.75


def test_digits_target_over_seeds():
    """64-100-30-10 on standardized digits, 20% held out: >= 97% on average over seeds 0-4, >= 96% each."""
    pytest.importorskip("sklearn", reason="the digits ship with scikit-learn")
    X, y = data.load_digits()
    accs = []
    for seed in range(5):
        X_tr, _, X_te, y_tr, _, y_te = data.train_val_test_split(X, y, val=0, test=0.2, seed=seed, stratify=True)
        X_tr, X_te = data.standardize(X_tr, X_te)
        tg.manual_seed(seed)
        model = models.mlp([64, 100, 30, 10], "relu")
        fit(
            model,
            "cross_entropy",
            optim.Adam(model.parameters(), lr=1e-3),
            (X_tr, y_tr),
            epochs=50,
            batch_size=32,
            progress=False,
            seed=seed,
        )
        accs.append(evaluate(model, "cross_entropy", (X_te, y_te))["accuracy"])
    assert min(accs) >= 0.96, accs
    assert np.mean(accs) >= 0.97, accs


# --------------------------------------------------------------------------- fit and History


def blobs(n=120, seed=0):
    """Three well-separated Gaussian clusters in 2-D."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    centers = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    return centers[y] + rng.normal(0, 0.5, (n, 2)), y


def small_model(seed=0):
    tg.manual_seed(seed)
    return models.mlp([2, 16, 3], "relu")


def test_fit_history_contents(device):
    X, y = blobs()
    model = small_model().to(device)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    h = fit(
        model,
        "cross_entropy",
        opt,
        (X[:90], y[:90]),
        epochs=5,
        batch_size=16,
        val_data=(X[90:], y[90:]),
        progress=False,
        seed=0,
    )
    assert isinstance(h, History) and len(h) == 5 and h.epoch == [0, 1, 2, 3, 4]
    assert set(h.keys()) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"}
    assert h["loss"][-1] < h["loss"][0]
    assert h["val_accuracy"][-1] == 1.0
    assert h["lr"] == [0.1] * 5
    assert h.params == {"epochs": 5, "batch_size": 16, "steps": 6, "samples": 90}
    assert not model.training  # left ready for prediction
    assert not h.interrupted and not h.stopped_early and "5 epochs" in repr(h)
    with pytest.raises(KeyError, match="no 'acc'"):
        h["acc"]


def test_fit_is_reproducible_with_seeds():
    X, y = blobs()
    runs = []
    for _ in range(2):
        model = small_model(seed=3)
        h = fit(
            model,
            "cross_entropy",
            optim.Adam(model.parameters(), 1e-2),
            (X, y),
            epochs=3,
            batch_size=10,
            progress=False,
            seed=7,
        )
        runs.append((h["loss"], model[0].weight.detach().numpy().copy()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_fit_accepts_dataloaders_and_one_hot_targets():
    X, y = blobs()
    model = small_model()
    loader = data.DataLoader(X, data.one_hot(y, 3), batch_size=30, seed=0)
    h = fit(model, "cross_entropy", optim.Adam(model.parameters(), 1e-2), loader, epochs=20, progress=False)
    assert h.params["steps"] == 4
    assert h["accuracy"][-1] == 1.0  # per sample: arg-max of the one-hot rows


def test_running_loss_matches_the_mean_batch_loss():
    """With lr=0 the weights stay put, so the epoch's loss is exactly the loss on the whole set."""
    X, y = blobs(50)
    model = small_model()
    h = fit(
        model, "cross_entropy", optim.SGD(model.parameters(), lr=0.0), (X, y), epochs=1, batch_size=7, progress=False
    )
    full = evaluate(model, "cross_entropy", (X, y))
    assert h["loss"][0] == pytest.approx(full["loss"], rel=1e-12)
    assert h["accuracy"][0] == pytest.approx(full["accuracy"])


def test_evaluate_uses_eval_mode_and_no_grad():
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append((self.training, tg.is_grad_enabled()))
            return x

    model = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5), Probe())
    X, y = blobs(20)
    r1 = evaluate(model, "cross_entropy", (X, y), batch_size=8)
    r2 = evaluate(model, "cross_entropy", (X, y))
    assert r1 == pytest.approx(r2)  # dropout off: deterministic, and batching does not matter
    assert seen and all(s == (False, False) for s in seen)
    assert model.training  # the mode is restored
    seen.clear()
    fit(
        model,
        "cross_entropy",
        optim.SGD(model.parameters(), lr=0.01),
        (X, y),
        epochs=1,
        batch_size=20,
        val_data=(X, y),
        progress=False,
    )
    assert seen == [(True, True), (False, False)]  # one training batch, then validation


def test_history_files(tmp_path):
    X, y = blobs()
    model = small_model()
    h = fit(
        model,
        "cross_entropy",
        optim.Adam(model.parameters(), 1e-2),
        (X, y),
        epochs=3,
        batch_size=40,
        val_data=(X, y),
        progress=False,
    )
    h.history["val_loss"][1] = math.nan
    h.to_csv(tmp_path / "h.csv")
    h.to_json(tmp_path / "h.json")
    lines = (tmp_path / "h.csv").read_text().splitlines()
    assert lines[0] == "epoch,loss,accuracy,val_loss,val_accuracy,lr,time" and len(lines) == 4
    assert float(lines[1].split(",")[1]) == h["loss"][0]  # full precision
    d = json.loads((tmp_path / "h.json").read_text())
    assert d["epoch"] == [0, 1, 2] and d["history"]["val_loss"][1] is None and d["interrupted"] is False
    assert d["history"]["loss"] == h["loss"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.csv", "h.json"]  # no temporary files left


def test_history_plot(tmp_path):
    pytest.importorskip("matplotlib", reason="plots need matplotlib")
    X, y = blobs()
    model = small_model()
    h = fit(
        model,
        "cross_entropy",
        optim.Adam(model.parameters(), 1e-2),
        (X, y),
        epochs=2,
        batch_size=40,
        val_data=(X, y),
        progress=False,
    )
    fig = h.plot(tmp_path / "h.png", title="blobs")
    assert (tmp_path / "h.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "accuracy"]
    # drawn by viz.plot_history, the one history plot (training solid, validation dashed)
    assert [line.get_label() for line in fig.axes[0].lines] == ["train (loss)", "validation (val_loss)"]
    assert fig.axes[0].get_yscale() == "log" and fig._suptitle.get_text() == "blobs"


def test_progress_bar_shows_running_loss(capsys):
    X, y = blobs(40)
    model = small_model()
    fit(model, "cross_entropy", optim.Adam(model.parameters(), 1e-2), (X, y), epochs=2, batch_size=10, val_data=(X, y))
    err = capsys.readouterr().err
    assert "8/8" in err and "loss=" in err and "val_acc=" in err and "epoch 2/2" in err


# --------------------------------------------------------------------------- stopping


def test_early_stopping_restores_the_best_weights():
    X, y = blobs()
    model = small_model()
    snapshots = []
    # Validation targets are shuffled labels: the validation loss soon gets worse and never recovers.
    y_noise = np.random.default_rng(1).permutation(y)
    record = LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(model[0].weight.detach().numpy().copy()))
    stop = EarlyStopping("val_loss", patience=3)
    h = fit(
        model,
        "cross_entropy",
        optim.Adam(model.parameters(), 5e-2),
        (X, y),
        epochs=200,
        batch_size=20,
        val_data=(X, y_noise),
        callbacks=[stop, record],
        progress=False,
    )
    best = int(np.argmin(h["val_loss"]))
    assert h.stopped_early and len(h) == best + 4 and stop.stopped_epoch == best + 3
    assert h.best_epoch == stop.best_epoch == best
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), snapshots[best])
    assert f"early stopping after epoch {best + 4}" in h.stop_reason and f"best epoch {best + 1}" in h.stop_reason


def test_early_stopping_keeps_best_without_stopping():
    X, y = blobs()
    model = small_model()
    stop = EarlyStopping("val_accuracy", patience=None)
    h = fit(
        model,
        "cross_entropy",
        optim.SGD(model.parameters(), lr=0.05),
        (X, y),
        epochs=6,
        batch_size=30,
        val_data=(X, y),
        callbacks=[stop],
        progress=False,
    )
    assert len(h) == 6 and not h.stopped_early
    assert stop.mode == "max" and h.best_epoch == int(np.argmax(h["val_accuracy"]))


def test_early_stopping_needs_its_key():
    X, y = blobs(30)
    model = small_model()
    with pytest.raises(KeyError, match="pass val_data"):
        fit(
            model,
            "cross_entropy",
            optim.SGD(model.parameters(), lr=0.1),
            (X, y),
            epochs=2,
            callbacks=[EarlyStopping()],
            progress=False,
        )
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")


class InterruptAt(Callback):
    def __init__(self, step):
        self.step = step

    def on_batch_end(self, step, loss):
        assert isinstance(loss, float)
        if step == self.step:
            raise KeyboardInterrupt


def test_ctrl_c_returns_what_was_trained():
    X, y = blobs()
    model = small_model()
    stop = EarlyStopping("loss", patience=None)
    h = fit(
        model,
        "cross_entropy",
        optim.Adam(model.parameters(), 1e-2),
        (X, y),
        epochs=50,
        batch_size=40,
        callbacks=[stop, InterruptAt(step=8)],
        progress=False,
    )
    # 3 steps per epoch: the interrupt comes in the third epoch, which is not recorded.
    assert h.interrupted and len(h) == 2 and "Ctrl-C" in h.stop_reason
    assert h.best_epoch == stop.best_epoch is not None
    assert not model.training


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_non_finite_loss_stops():
    X, y = blobs(30)
    model = small_model()

    def exploding(out, target):
        return nn.functional.cross_entropy(out, target) * float("inf")

    h = fit(model, exploding, optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=5, progress=False)
    assert len(h) == 1 and h.stopped_early and "lower the learning rate" in h.stop_reason


# --------------------------------------------------------------------------- schedulers, metrics, checkpoints


def test_schedulers_step_per_epoch():
    X, y = blobs(30)
    model = small_model()
    opt = optim.SGD(model.parameters(), lr=1.0)
    h = fit(
        model,
        "cross_entropy",
        opt,
        (X, y),
        epochs=4,
        batch_size=10,
        scheduler=optim.lr_scheduler.StepLR(opt, 2),
        progress=False,
    )
    assert h["lr"] == [1.0, 1.0, 0.1, 0.1]  # the lr used during each epoch
    opt = optim.SGD(model.parameters(), lr=0.0)  # no progress: the plateau scheduler must cut the lr
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    h = fit(model, "cross_entropy", opt, (X, y), epochs=3, val_data=(X, y), scheduler=plateau, progress=False)
    assert h["lr"] == [0.0, 0.0, 0.0]
    opt = optim.SGD(model.parameters(), lr=1e-3)  # progress far below the 99% threshold: a cut each epoch
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0, threshold=0.99)
    h = fit(model, "cross_entropy", opt, (X, y), epochs=3, val_data=(X, y), scheduler=plateau, progress=False)
    assert h["lr"] == pytest.approx([1e-3, 1e-3, 0.5e-3])


def test_custom_metric_and_no_metrics():
    X, y = blobs(30)
    model = small_model()

    def mean_logit(out, target):
        return float(out.mean().item())

    h = fit(
        model,
        "cross_entropy",
        optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        epochs=2,
        metrics=("accuracy", mean_logit),
        progress=False,
    )
    assert "mean_logit" in h and "accuracy" in h
    h = fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=1, metrics=(), progress=False)
    assert "accuracy" not in h
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=1, metrics=("f1",))


def test_model_checkpoint(tmp_path):
    X, y = blobs(30)
    model = small_model()
    path = tmp_path / "best.npz"
    fit(
        model,
        "cross_entropy",
        optim.Adam(model.parameters(), 1e-2),
        (X, y),
        epochs=3,
        val_data=(X, y),
        callbacks=[ModelCheckpoint(path)],
        progress=False,
    )
    state = tg.load(path)
    fresh = small_model(seed=9)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(predict(fresh, X), predict(model, X))


def test_fit_argument_errors():
    X, y = blobs(30)
    model = small_model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs must be a non-negative integer"):
        fit(model, "cross_entropy", opt, (X, y), epochs=-1)
    with pytest.raises(TypeError, match=r"pair \(X, y\) or a DataLoader"):
        fit(model, "cross_entropy", opt, X, epochs=1)
    with pytest.raises(TypeError, match="step"):
        fit(model, "cross_entropy", "adam", (X, y), epochs=1)
    with pytest.raises(TypeError, match="Callback objects"):
        fit(model, "cross_entropy", opt, (X, y), epochs=1, callbacks=[print])


def test_predict_returns_host_array():
    X, y = blobs(30)
    model = small_model()
    out = predict(model, X, batch_size=7)
    assert isinstance(out, np.ndarray) and out.shape == (30, 3)
    np.testing.assert_allclose(out, model(tg.Tensor(X)).detach().numpy())


def test_nan_in_the_data_is_refused():
    X, y = blobs(30)
    X[7, 1] = np.nan
    model = small_model()
    with pytest.raises(
        ValueError, match=r"train_data X holds 1 NaN or infinite value\(s\), the first at index \(7, 1\)"
    ):
        fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=1, progress=False)
