"""A smoke test of the package as a user installs it from its wheel (run by .ci/run, not by pytest).

Run from outside the repository with the interpreter of a fresh environment holding only the
wheel: a module or data file missing from the wheel fails here, while an editable install (the
one the tests use) would not notice.
"""

import math
import subprocess
import sys
import tempfile
from pathlib import Path

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F
from tinygrad_edu.viz import BackwardPlayer, draw_graph

assert "site-packages" in tg.__file__, f"not the installed wheel: {tg.__file__}"

x = tg.Tensor(1.5, requires_grad=True)
(d,) = tg.autograd.grad(x.sin() * x**2, x, create_graph=True)
(d2,) = tg.autograd.grad(d, x)
exact = -(1.5**2) * math.sin(1.5) + 4 * 1.5 * math.cos(1.5) + 2 * math.sin(1.5)  # f'' of sin(x) x^2
assert abs(d2.item() - exact) < 1e-12, (d2.item(), exact)

tg.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
opt = optim.Adam(model.parameters(), lr=1e-2)
X, y = tg.randn(16, 4), tg.Tensor([i % 3 for i in range(16)])
losses = []
for _ in range(20):
    loss = F.cross_entropy(model(X), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
assert losses[-1] < losses[0]

with tempfile.TemporaryDirectory() as d:
    loss = F.cross_entropy(model(X), y)
    page = BackwardPlayer(loss, model=model, renderer="python").save(Path(d) / "player.html").read_text()
    assert 'id="tg-steps"' in page and "function show(" in page and ".tg-graph" in page  # templates shipped
    draw_graph(loss, renderer="python").save(Path(d) / "graph.svg")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tinygrad_edu.cli",
            "train",
            "xor",
            "--epochs",
            "5",
            "--quiet",
            "--no-plot",
            "--out",
            d + "/xor",
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert (Path(d) / "xor" / "model.npz").is_file()
print(f"installed wheel OK: {tg.__file__}")
