"""Step through a backward pass in your browser: one neuron, C = (sigmoid(w x + b) - y)^2 / 2.

    python examples/backward_player.py             # writes backward_player.html and opens it
    python examples/backward_player.py --no-open   # only writes it (and prints where)

Use the arrow keys or the buttons: at each step the op the engine visits is red, the inputs it
sends gradients to are green, and the panel shows the chain rule with the numbers (tutorial 1
explains it line by line).
"""

import argparse
import webbrowser
from pathlib import Path

from tinygrad_edu import Tensor
from tinygrad_edu.viz import BackwardPlayer


def neuron_cost() -> tuple[Tensor, dict[str, Tensor]]:
    """The cost of one sigmoid neuron on one sample, with every tensor named as in tutorial 1."""
    x, y = Tensor(1.5, name="x"), Tensor(1.0, name="y")
    w, b = Tensor(-0.8, requires_grad=True, name="w"), Tensor(0.4, requires_grad=True, name="b")
    z = w * x + b
    z.name = "z"
    a = z.sigmoid()
    a.name = "a"
    C = (a - y) ** 2 * 0.5
    C.name = "C"
    return C, {"w": w, "b": b}


def main(argv: list[str] | None = None) -> Path:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="backward_player.html", help="where to write the page")
    p.add_argument("--no-open", action="store_true", help="do not open a browser")
    args = p.parse_args(argv)
    C, params = neuron_cost()
    path = BackwardPlayer(C, params=params, title="One neuron: C = (sigmoid(w x + b) - y)^2 / 2").save(args.out)
    print(f"wrote {path.resolve()}")
    if not args.no_open:
        webbrowser.open(path.resolve().as_uri())
    return path


if __name__ == "__main__":
    main()
