"""The ``tinygrad-edu`` command line, called in-process through ``main`` and once as a real process."""

import gzip
import json
import struct
import subprocess
import sys

import numpy as np
import pytest

from tinygrad_edu import models
from tinygrad_edu.cli import main


def write_idx_images(folder, n, split, seed=0):
    """Tiny MNIST-layout files: class k images are bright in row band k, so an MLP can learn them."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
    for i, k in enumerate(labels):
        images[i, 2 * k + 4 : 2 * k + 6, :] = 255
    prefix = "train" if split == "train" else "t10k"
    folder.mkdir(parents=True, exist_ok=True)
    for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
        head = bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
        (folder / f"{prefix}-{kind}-ubyte.gz").write_bytes(gzip.compress(head + arr.tobytes()))


def test_train_xor(tmp_path, capsys):
    out = tmp_path / "xor"
    assert main(["train", "xor", "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "MLP 2-8-1 (tanh) on xor" in text
    assert "truth table" in text and "100.00%" in text
    assert sorted(p.name for p in out.iterdir()) == [
        "history.csv",
        "history.json",
        "history.png",
        "model.npz",
        "run.json",
    ]
    run = json.loads((out / "run.json").read_text())
    assert run["results"]["train"]["accuracy"] == 1.0 and run["epochs_trained"] == 300
    assert run["settings"]["hidden"] == [8] and run["settings"]["lr"] == 0.05
    assert len((out / "history.csv").read_text().splitlines()) == 301
    assert (out / "history.png").read_bytes()[:4] == b"\x89PNG"


def test_train_digits_with_validation_and_options(tmp_path, capsys):
    pytest.importorskip("sklearn", reason="the digits ship with scikit-learn")
    out = tmp_path / "d"
    argv = [
        "train",
        "digits",
        "--hidden",
        "32",
        "--activation",
        "leaky_relu",
        "--optimizer",
        "momentum",
        "--lr",
        "0.05",
        "--epochs",
        "4",
        "--batch-size",
        "64",
        "--weight-decay",
        "1e-4",
        "--dropout",
        "0.1",
        "--batch-norm",
        "--val",
        "0.1",
        "--patience",
        "5",
        "--scheduler",
        "cosine",
        "--seed",
        "3",
        "--out",
        str(out),
        "--quiet",
        "--no-plot",
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "MLP 64-32-10 (leaky_relu)" in text and "SGD(lr=0.05, weight_decay=0.0001)" in text
    for line in ("training", "validation", "test"):
        assert f"\n{line}" in text
    run = json.loads((out / "run.json").read_text())
    assert set(run["results"]) == {"train", "val", "test"}
    assert run["results"]["test"]["accuracy"] > 0.8
    assert not (out / "history.png").exists()
    history = json.loads((out / "history.json").read_text())
    assert history["history"]["lr"][0] == 0.05 and history["history"]["lr"][-1] < 0.05  # cosine schedule


def test_train_fashion_mnist_from_a_data_dir(tmp_path, capsys):
    data_dir = tmp_path / "fm"
    write_idx_images(data_dir, 300, "train")
    write_idx_images(data_dir, 100, "test", seed=1)
    out = tmp_path / "run"
    argv = ["train", "fashion-mnist", "--data-dir", str(data_dir), "--hidden", "32", "--epochs", "5", "--out", str(out)]
    assert main([*argv, "--quiet", "--no-download"]) == 0
    text = capsys.readouterr().out
    assert "784-32-10" in text and "270 training, 30 validation, 100 test" in text and "float32" in text
    run = json.loads((out / "run.json").read_text())
    assert run["results"]["test"]["accuracy"] > 0.9


def test_missing_data_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code = main(["train", "mnist", "--data-dir", str(tmp_path / "empty"), "--no-download", "--out", str(tmp_path)])
    assert code == 1
    err = capsys.readouterr().err
    assert "tinygrad-edu: error: mnist" in err and "download=False" in err
    assert "--data-dir" in err and "root=" not in err  # the command line's words, not the library's
    assert "train-images-idx3-ubyte.gz" in err and "t10k-labels-idx1-ubyte.gz" in err  # all four files at once


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "cifar"], "invalid choice: 'cifar'"),
        (["train", "xor", "--lr", "-1"], "--lr must be positive"),
        (["train", "xor", "--epochs", "two"], "--epochs must be an integer"),
        (["train", "xor", "--dropout", "1.5"], "a fraction must be in [0, 1)"),
        (["train", "xor", "--activation", "swish"], "invalid choice: 'swish'"),
        (["train", "xor", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
        (["fly"], "invalid choice: 'fly'"),
        ([], "required"),
    ],
)
def test_bad_arguments_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "xor", "--hidden", "0"], "layer sizes must be positive"),
        (["train", "xor", "--device", "tpu"], "unknown device 'tpu'"),
        (["train", "xor", "--patience", "3"], "--patience needs a validation set"),
        (["train", "xor", "--val", "0.2"], "nothing to hold out"),
    ],
)
def test_impossible_settings_exit_1(argv, message, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path), "--quiet"]) == 1
    assert message in capsys.readouterr().err


def test_cnn_choice(tmp_path, capsys):
    assert main(["train", "xor", "--model", "cnn", "--out", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    if not hasattr(models, "cnn"):
        assert "no tinygrad_edu.models.cnn" in err
        return
    assert "needs images" in err
    pytest.importorskip("sklearn", reason="the digits ship with scikit-learn")
    out = tmp_path / "cnn"
    assert main(["train", "digits", "--model", "cnn", "--epochs", "1", "--out", str(out), "--quiet", "--no-plot"]) == 0
    assert "Training a CNN on digits" in capsys.readouterr().out
    assert json.loads((out / "run.json").read_text())["results"]["test"]["accuracy"] > 0.5


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["info", "--help"]])
def test_help_everywhere(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 0
    assert "usage: tinygrad-edu" in capsys.readouterr().out


def test_info(capsys):
    assert main(["info"]) == 0
    text = capsys.readouterr().out
    assert "tinygrad-edu 0." in text and "NumPy" in text and "CuPy" in text
    for name in ("xor", "digits", "mnist", "fashion-mnist"):
        assert name in text


def test_console_script_in_a_subprocess(tmp_path):
    cmd = [sys.executable, "-m", "tinygrad_edu.cli", "train", "and", "--epochs", "100", "--out", str(tmp_path / "r")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={"MPLBACKEND": "Agg", "PATH": ""})
    assert proc.returncode == 0, proc.stderr
    assert "100.00%" in proc.stdout
    assert "epoch 100/100" in proc.stderr  # the progress bar goes to stderr
    assert (tmp_path / "r" / "model.npz").exists()
    bad = subprocess.run(
        [sys.executable, "-m", "tinygrad_edu.cli", "train", "xor", "--lr", "0"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and "--lr must be positive" in bad.stderr


def test_ctrl_c_saves_what_was_trained(tmp_path, capsys, monkeypatch):
    """Ctrl-C in the middle of training: the finished epochs are evaluated and saved, exit status 130."""
    from tinygrad_edu import train
    from tinygrad_edu.callbacks import Callback

    class CtrlC(Callback):
        def on_batch_end(self, step, loss):
            if step == 20:
                raise KeyboardInterrupt

    real_fit = train.fit

    def fit_with_ctrl_c(*args, callbacks=(), **kwargs):
        return real_fit(*args, callbacks=[*callbacks, CtrlC()], **kwargs)

    monkeypatch.setattr(train, "fit", fit_with_ctrl_c)
    out = tmp_path / "r"
    assert main(["train", "xor", "--out", str(out), "--quiet"]) == 130
    assert "Interrupted after 19 complete epochs" in capsys.readouterr().out
    run = json.loads((out / "run.json").read_text())
    assert run["interrupted"] is True and run["epochs_trained"] == 19
    assert (out / "model.npz").exists() and len((out / "history.csv").read_text().splitlines()) == 20


def test_threads_option_caps_blas_threads(tmp_path):
    from threadpoolctl import threadpool_info

    before = [p["num_threads"] for p in threadpool_info()]
    assert main(["train", "xor", "--threads", "1", "--quiet", "--no-plot", "--out", str(tmp_path / "run")]) == 0
    assert all(p["num_threads"] == 1 for p in threadpool_info())
    from threadpoolctl import threadpool_limits

    threadpool_limits(max(before) if before else None)  # leave the process as it was


def test_threads_option_rejects_zero(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "xor", "--threads", "0"])
    assert e.value.code == 2
    assert "--threads" in capsys.readouterr().err
