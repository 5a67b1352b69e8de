"""What a student meets in the first hour with the command line: help, typos, the XOR rows, info."""

import os
import subprocess
import sys

import pytest

from tinygrad_edu.cli import main


def test_help_shows_the_real_defaults(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "default: None" not in text and "(auto)" not in text
    assert "hidden layer sizes, e.g. --hidden 100 30 (default: gates 8; digits 100 30; images 256 128)" in text
    assert "learning rate eta (default: gates 0.05; digits 0.001; images 0.001)" in text
    assert "update rule (default: adam)" in text  # the same for every data set
    assert "--momentum MOMENTUM momentum for sgd/momentum/rmsprop/adagrad-momentum (default: 0.9)" in text


@pytest.mark.parametrize(
    "flag, suggestion",
    [
        ("--learning-rate", "--lr"),
        ("--learning_rate", "--lr"),
        ("--batch_size", "--batch-size"),
        ("--patiense", "--patience"),
    ],
)
def test_a_misspelled_option_gets_a_suggestion_and_the_train_usage(capsys, flag, suggestion):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "digits", flag, "3"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: tinygrad-edu train")
    assert f"unrecognized arguments: {flag} 3 (did you mean {suggestion}?)" in err


def test_an_unknown_option_without_a_near_name_gets_no_guess(capsys):
    with pytest.raises(SystemExit):
        main(["train", "digits", "--zzzzzz"])
    err = capsys.readouterr().err
    assert "unrecognized arguments: --zzzzzz" in err and "did you mean" not in err


def test_train_xor_prints_the_four_rows(capsys, tmp_path):
    assert main(["train", "xor", "--quiet", "--no-plot", "--out", str(tmp_path / "xor")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split() == ["x1", "x2", "target", "P(1)", "answer"])
    rows = [line.split() for line in lines[header + 1 : header + 5]]
    assert [(r[0], r[1], r[2]) for r in rows] == [("0", "0", "0"), ("0", "1", "1"), ("1", "0", "1"), ("1", "1", "0")]
    for r in rows:  # the answer is the probability rounded, and (seed 0 learns XOR) it is right
        assert r[4] == str(int(float(r[3]) > 0.5)) == r[2]


def test_early_stopping_says_so(capsys, tmp_path):
    code = main(
        ["train", "digits", "--quiet", "--no-plot", "--val", "0.2", "--patience", "1", "--epochs", "60", "--lr", "0.05"]
        + ["--out", str(tmp_path / "run")]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "Stopped: early stopping after epoch" in out and "no better val_loss for 1 epochs" in out


def test_info_is_quick_to_start_because_it_imports_little():
    # Counted in modules, not seconds: importing torch or scikit-learn to print their versions
    # made `tinygrad-edu info` take 15 s on a busy machine.
    heavy = "{'torch', 'sklearn', 'matplotlib', 'scipy'}"
    code = f"from tinygrad_edu.cli import main; import sys; main(['info']); print(sorted({heavy} & set(sys.modules)))"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert "tinygrad-edu " in run.stdout and "fashion-mnist" in run.stdout
    assert run.stdout.strip().splitlines()[-1] == "[]"
