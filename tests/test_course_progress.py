"""The lecture's progress line, drawn by tqdm: the same look, one bar for the whole library."""

import re

import numpy as np

from tinygrad_edu.course import FFNN, Adam, CostLogReg, sigmoid

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_T = np.array([[0], [1], [1], [0]], dtype=float)


def test_fit_draws_the_lectures_bar(capsys):
    net = FFNN((2, 4, 1), output_func=sigmoid, cost_func=CostLogReg, seed=0)
    scores = net.fit(XOR_X, XOR_T, Adam(0.1, 0.9, 0.999), epochs=200, X_val=XOR_X, t_val=XOR_T)
    out = capsys.readouterr().out
    lines = [line for line in re.split(r"[\r\n]", out) if line.strip()]
    assert lines[0] == "Adam: Eta=0.1, Lambda=0"  # the header before the bar
    last = lines[-1]
    m = re.fullmatch(
        r"  \[={40}\] 100\.00%  train_error: (\S+)  train_acc: (\S+)  val_error: (\S+)  val_acc: (\S+)\s*", last
    )
    assert m, last
    assert float(m.group(1)) == float(f"{scores['train_errors'][-1]:.4g}")
    assert float(m.group(4)) == float(f"{scores['val_accs'][-1]:.4g}")
    partial = [line for line in lines[1:-1] if "%" in line]
    assert all(re.match(r"  \[=*>? *\] +\d+\.\d\d%", line) for line in partial)


def test_verbose_false_prints_nothing(capsys):
    net = FFNN((2, 4, 1), output_func=sigmoid, cost_func=CostLogReg, seed=0)
    net.fit(XOR_X, XOR_T, Adam(0.1, 0.9, 0.999), epochs=20, verbose=False)
    assert capsys.readouterr().out == ""
