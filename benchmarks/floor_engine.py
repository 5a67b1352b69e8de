"""The least a Python engine of this design can do for the op chain: a measuring instrument.

The same define-by-run design as tinygrad_edu (one node object and one tensor object per op,
derivative rules written with tensor ops, nodes visited highest first from a heap), with
everything else taken out: no checks of versions, shapes, dtypes, devices or anomalies, no
``retain_graph``, no ``create_graph``, no observer, no freeing, no thread-local modes. Only
multiply, add, tanh and sum exist. It is never used by the package; ``bench_core.py`` times it
beside the engine, so that anyone can see how far a target per op is from what pure Python
allows on their machine.
"""

from __future__ import annotations

import heapq

import numpy as np

_new = object.__new__
_recording = [True]  # a list, so the functions below can switch it without `global`


class Tensor:
    __slots__ = ("data", "grad", "requires_grad", "node")

    @classmethod
    def make(cls, data):
        t = _new(cls)
        t.data, t.grad, t.requires_grad, t.node = data, None, False, None
        return t

    def __mul__(self, other):
        return Mul.apply(self, other)

    def __add__(self, other):
        return Add.apply(self, other)

    def tanh(self):
        return Tanh.apply(self)

    def sum(self):
        return Sum.apply(self)


class Node:
    inputs = ()
    height = 0

    @classmethod
    def apply(cls, *inputs):
        fn = _new(cls)
        x = inputs[0]
        if len(inputs) == 1:
            out = Tensor.make(fn.forward(x.data))
            if _recording[0] and x.requires_grad:
                fn.height = 0 if x.node is None else x.node.height + 1
                fn.inputs, out.requires_grad, out.node = inputs, True, fn
            return out
        y = inputs[1]
        out = Tensor.make(fn.forward(x.data, y.data))
        if _recording[0] and (x.requires_grad or y.requires_grad):
            hx = -1 if x.node is None else x.node.height
            hy = -1 if y.node is None else y.node.height
            fn.height = 1 + (hx if hx > hy else hy)
            fn.inputs, out.requires_grad, out.node = inputs, True, fn
        return out


class Mul(Node):
    def forward(self, x, y):
        return x * y

    def backward(self, g):
        x, y = self.inputs
        return g * y, g * x


class Add(Node):
    def forward(self, x, y):
        return x + y

    def backward(self, g):
        return g, g


class Tanh(Node):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, g):
        return (TanhBackward.apply(g, Tensor.make(self.y)),)


class TanhBackward(Node):
    def forward(self, g, y):
        d = y * y
        np.subtract(1.0, d, out=d)
        d *= g
        return d


class Sum(Node):
    def forward(self, x):
        return np.asarray(x.sum())

    def backward(self, g):
        return (Tensor.make(np.broadcast_to(g.data, self.inputs[0].data.shape)),)


def backward(root: Tensor) -> None:
    """Adjoints from ``root`` to the leaves' ``.grad``: pop the highest node, call its rule, add."""
    grads = {root: Tensor.make(np.ones_like(root.data))}
    owned = set()  # sums made here, safe to add into in place
    waiting = [(-root.node.height, 0, root)]
    count = 0
    _recording[0] = False
    try:
        while waiting:
            t = heapq.heappop(waiting)[2]
            fn = t.node
            for x, gx in zip(fn.inputs, fn.backward(grads.pop(t))):
                if not x.requires_grad:
                    continue
                prev = grads.get(x)
                if prev in owned:
                    prev.data += gx.data
                    continue
                if prev is not None:
                    grads[x] = total = Tensor.make(prev.data + gx.data)
                    owned.add(total)
                    continue
                grads[x] = gx
                if x.node is not None:
                    count += 1
                    heapq.heappush(waiting, (-x.node.height, count, x))
    finally:
        _recording[0] = True
    for leaf, g in grads.items():
        leaf.grad = g


def chain(x0: np.ndarray, w: np.ndarray, b: np.ndarray, links: int):
    """The op chain of bench_core.py on this floor engine."""
    leaves = [Tensor.make(a) for a in (x0, w, b)]
    for t in leaves:
        t.requires_grad = True
    x0t, wt, bt = leaves

    def run():
        x = x0t
        for _ in range(links):
            x = (x * wt + bt).tanh()
        backward(x.sum())
        return wt.grad, bt.grad, x0t.grad

    return run
