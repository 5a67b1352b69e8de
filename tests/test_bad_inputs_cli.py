"""The bad-input catalogue, command line: every bad setting is refused before any data is loaded or
any epoch trained, with one clear line and exit status 2 (a value that cannot be right) or 1 (settings
that do not go together, folders), never a traceback; interruptions lose no finished epoch.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import data
from tinygrad_edu.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("tinygrad-edu: error:")]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["xor", "--lr", "nan"], "--lr must be a finite number, got nan"),
        (["xor", "--lr", "inf"], "--lr must be a finite number, got inf"),
        (["xor", "--weight-decay", "nan"], "--weight-decay must be a finite number, got nan"),
        (["xor", "--weight-decay=-1e-3"], "--weight-decay must be zero or positive"),
        (["xor", "--momentum", "nan"], "--momentum must be a finite number, got nan"),
        (["xor", "--momentum", "inf"], "--momentum must be a finite number"),
        (["xor", "--seed", "-1"], "--seed must be in 0 .. 2**32 - 1, got -1"),
        (["xor", "--seed", str(2**32)], "--seed must be in 0 .. 2**32 - 1"),
        (["xor", "--seed", "1.5"], "--seed must be an integer, got '1.5'"),
        (["digits", "--val", "nan"], "a fraction must be in [0, 1), got nan"),
        (["digits", "--test", "1"], "a fraction must be in [0, 1), got 1"),
        (["xor", "--epochs", "0"], "--epochs must be positive"),
        (["xor", "--batch-size", "-4"], "--batch-size must be positive"),
        (["xor", "--scaling", "log"], "invalid choice: 'log'"),
    ],
)
def test_values_that_cannot_be_right_exit_2(argv, message, tmp_path, capsys):
    """(was: --lr nan, NaN --weight-decay/--momentum accepted; --seed -1 a traceback from NumPy)"""
    with pytest.raises(SystemExit) as e:
        main(["train", *argv, "--out", str(tmp_path / "run")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def _corrupt_data_dir(tmp: Path) -> list[str]:
    d = tmp / "data"
    d.mkdir()
    for prefix in ("train", "t10k"):
        for kind in ("images-idx3", "labels-idx1"):
            (d / f"{prefix}-{kind}-ubyte.gz").write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    return ["mnist", "--data-dir", str(d)]


def _out_is_a_file(tmp: Path) -> list[str]:
    (tmp / "taken").write_text("my thesis")
    return ["xor", "--out", str(tmp / "taken")]


def _out_under_a_file(tmp: Path) -> list[str]:
    (tmp / "taken").write_text("my thesis")
    return ["xor", "--out", str(tmp / "taken" / "run")]


SETTINGS = {
    "test 0": (lambda tmp: ["digits", "--test", "0"], "--test 0 leaves no test set"),
    "val 0.999": (lambda tmp: ["digits", "--val", "0.999"], "--val 0.999 with --test 0.2 leaves 0.1% of the digits"),
    "out is a file": (_out_is_a_file, "it is a file, not a folder"),
    "out under a file": (_out_under_a_file, "is a file, so no folder can be made under it"),
    "data-dir nowhere": (lambda tmp: ["mnist", "--data-dir", str(tmp / "nowhere")], "nowhere: no such folder"),
    "data-dir a file": (lambda tmp: ["mnist", "--data-dir", str(Path(__file__))], "it is a file; give the folder"),
    "data-dir corrupt": (_corrupt_data_dir, "broken gzip file"),
    "batch norm batch 1": (lambda tmp: ["digits", "--batch-norm", "--batch-size", "1"], "at least 2 samples"),
    "patience no val": (lambda tmp: ["digits", "--patience", "3"], "--patience needs a validation set"),
    "cnn on a gate": (lambda tmp: ["xor", "--model", "cnn"], "--model cnn needs images"),
    "hidden 0": (lambda tmp: ["digits", "--hidden", "100", "0"], "layer sizes must be positive"),
    "hidden huge": (lambda tmp: ["digits", "--hidden", "1000000000", "1000000000"], "more than this machine's"),
}


@pytest.mark.parametrize("name", list(SETTINGS))
def test_settings_that_do_not_go_together_exit_1_before_training(name, tmp_path, capsys, monkeypatch):
    """(was: --val 0.999 trained, then a misleading label IndexError; --out a file failed after training)"""
    make, message = SETTINGS[name]
    argv = make(tmp_path)
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "run")]
    assert main(["train", *argv, "--quiet", "--no-download"]) == 1
    captured = capsys.readouterr()
    lines = _error_lines(captured.err)
    assert len(lines) == 1 and message in lines[0], captured.err
    assert "Traceback" not in captured.err and "Training" not in captured.out  # refused before training
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user")
def test_out_in_a_read_only_folder_exits_1_before_training(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert main(["train", "xor", "--out", str(ro / "run"), "--quiet"]) == 1
    finally:
        ro.chmod(0o700)
    captured = capsys.readouterr()
    assert "cannot write into" in captured.err and "Training" not in captured.out


def test_offline_mnist_message_speaks_of_data_dir(tmp_path, capsys, monkeypatch):
    """(was: '... or pass root=.', the library's words, to a command-line user)"""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for var in ("MNIST_DIR", "TINYGRAD_EDU_DATA"):
        monkeypatch.delenv(var, raising=False)
    if data.find_dataset("mnist") is not None:
        pytest.skip("MNIST is installed on this machine; nothing is missing")
    assert main(["train", "mnist", "--no-download", "--out", str(tmp_path / "run"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "or pass --data-dir." in err and "root=" not in err and "Traceback" not in err


def _write_idx(folder: Path, prefix: str, labels: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (len(labels), 28, 28)).astype(np.uint8)
    for kind, arr in (("images-idx3", images), ("labels-idx1", labels.astype(np.uint8))):
        head = bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
        (folder / f"{prefix}-{kind}-ubyte.gz").write_bytes(gzip.compress(head + arr.tobytes()))


@pytest.mark.parametrize(
    "train_labels, test_labels, message",
    [
        ([0] * 20, [0] * 5, "the training labels hold only class 0; a classifier needs at least two classes"),
        ([0, 1] * 10, [0, 1, 2, 2], "the test split holds class(es) [2] that the training split lacks"),
    ],
    ids=["one class", "class missing from training"],
)
def test_labels_with_one_class_or_a_missing_class_are_refused(train_labels, test_labels, message, tmp_path, capsys):
    """(was: a one-output network trained and reported an accuracy; or a label IndexError)"""
    d = tmp_path / "data"
    d.mkdir()
    _write_idx(d, "train", np.array(train_labels))
    _write_idx(d, "t10k", np.array(test_labels))
    argv = ["train", "mnist", "--data-dir", str(d), "--val", "0", "--out", str(tmp_path / "run"), "--quiet"]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert message in captured.err and "Training" not in captured.out


# ----------------------------------------------------------------------------- batch norm, last batch of one


def test_batch_norm_with_a_last_batch_of_one_drops_it_and_says_so(tmp_path, capsys):
    """(was: 'expected more than 1 value per channel' in the middle of the first epoch)"""
    out = tmp_path / "run"
    # digits: 1,438 training samples; 1,438 = 3 x 479 + 1
    argv = [
        "train",
        "digits",
        "--batch-norm",
        "--batch-size",
        "479",
        "--epochs",
        "3",
        "--lr",
        "0.01",
        "--out",
        str(out),
    ]
    assert main([*argv, "--quiet", "--no-plot"]) == 0
    printed = capsys.readouterr().out
    assert "leave a last batch of one sample" in printed and "it is dropped" in printed
    run = json.loads((out / "run.json").read_text())
    assert run["epochs_trained"] == 3 and run["results"]["test"]["accuracy"] > 0.5


def test_batch_norm_on_a_gate_with_batches_of_three(tmp_path, capsys):
    assert (
        main(
            [
                "train",
                "xor",
                "--batch-norm",
                "--batch-size",
                "3",
                "--epochs",
                "5",
                "--out",
                str(tmp_path / "r"),
                "--quiet",
                "--no-plot",
            ]
        )
        == 0
    )
    assert "it is dropped" in capsys.readouterr().out


# ----------------------------------------------------------------------------- image scaling


def test_images_are_scaled_with_one_global_mean_and_std(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "digits", "--epochs", "1", "--out", str(out), "--quiet", "--no-plot"]) == 0
    assert json.loads((out / "run.json").read_text())["settings"]["scaling"] == "global"


def test_global_standardization_keeps_rarely_inked_pixels_bounded():
    """Per pixel, a pixel blank in all but one training image gets a tiny std: a test image that inks
    it lands hundreds of standard deviations out. One global mean and std keeps it in range."""
    X, _ = data.load_digits()
    X_tr, X_te = X[:1000].copy(), X[1000:]
    X_tr[:, 0] = 0.0
    X_tr[0, 0] = 1.0  # inked once in training
    X_te_ink = X_te.copy()
    X_te_ink[0, 0] = 16.0
    per_pixel = data.standardize(X_tr, X_te_ink)[1]
    overall = data.standardize(X_tr, X_te_ink, per_feature=False)[1]
    assert abs(per_pixel[0, 0]) > 400  # the blow-up of the issue
    assert abs(overall).max() < 5
    z = data.standardize(X_tr, per_feature=False)
    assert abs(z.mean()) < 1e-12 and abs(z.std() - 1) < 1e-12


@pytest.mark.parametrize(
    "y, others, message",
    [
        (np.zeros(10), {}, "only class 0"),
        (np.array([0, 1, 0, 1]), {"test": np.array([0, 3])}, r"the test split holds class\(es\) \[3\]"),
        (np.array([0, -1, 1]), {}, "negative label -1"),
        (np.array([0.5, 1.0]), {}, "must be integers 0..C-1, got dtype float64"),
        (np.array([], dtype=int), {}, "no samples"),
    ],
    ids=["one class", "missing class", "negative", "fractional", "empty"],
)
def test_check_classes(y, others, message):
    with pytest.raises(ValueError, match=message):
        data.check_classes(y, **others)


def test_check_classes_counts_the_classes():
    assert data.check_classes(np.array([0, 2, 1, 2]), val=np.array([1])) == 3


# ----------------------------------------------------------------------------- a plain install, interruptions


def _run_python(code: str, tmp: Path) -> subprocess.CompletedProcess:
    script = tmp / "driver.py"
    script.write_text(textwrap.dedent(code))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=tmp)


def test_a_plain_install_names_the_extra_to_install(tmp_path):
    """(was: an ImportError traceback from load_digits)"""
    proc = _run_python(
        f"""
        import sys
        sys.modules["sklearn"] = None  # as if installed without the [sklearn] extra
        from tinygrad_edu.cli import main
        sys.exit(main(["train", "digits", "--out", {str(tmp_path / "run")!r}, "--quiet"]))
        """,
        tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "tinygrad-edu[sklearn]" in lines[0] and "Traceback" not in proc.stderr


def test_a_missing_plot_package_names_the_viz_extra():
    from tinygrad_edu.cli_checks import extra_for

    err = ModuleNotFoundError("No module named 'matplotlib.figure'", name="matplotlib.figure")
    assert extra_for(err) == (
        "matplotlib is not installed; this needs the [viz] extra: pip install 'tinygrad-edu[viz]'"
    )


def test_sigint_twice_keeps_the_finished_epochs(tmp_path):
    """Ctrl-C once during training (after epoch 3), then again during the final evaluation: real
    SIGINTs sent by the process to itself at those two moments. (was: the second lost every epoch)"""
    out = tmp_path / "run"
    proc = _run_python(
        f"""
        import os, signal, sys
        import tinygrad_edu.train as train
        from tinygrad_edu.callbacks import LambdaCallback

        def ctrl_c():
            os.kill(os.getpid(), signal.SIGINT)

        real_fit, real_evaluate = train.fit, train.evaluate

        def fit(*args, callbacks=(), **kwargs):
            first = LambdaCallback(on_epoch_end=lambda epoch, logs: ctrl_c() if epoch == 2 else None)
            return real_fit(*args, callbacks=[*callbacks, first], **kwargs)

        def evaluate(*args, **kwargs):
            ctrl_c()  # the second Ctrl-C, while the model is being evaluated
            return real_evaluate(*args, **kwargs)

        train.fit, train.evaluate = fit, evaluate
        from tinygrad_edu.cli import main
        sys.exit(main(["train", "digits", "--epochs", "50", "--out", {str(out)!r}, "--quiet", "--no-plot"]))
        """,
        tmp_path,
    )
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Interrupted during the final evaluation; the weights are saved" in proc.stdout
    weights = tg.load(out / "model.npz")
    assert set(weights) == {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}
    assert len((out / "history.csv").read_text().splitlines()) == 1 + 3  # header + the 3 finished epochs
    from tinygrad_edu import models

    model = models.mlp([64, 100, 30, 10], "relu")
    model.load_state_dict(weights)  # the checkpoint loads into the network it came from
    assert signal.SIGINT  # (the signals above were real, not exceptions raised by hand)
