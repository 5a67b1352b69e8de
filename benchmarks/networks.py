"""The same MLP training step written three ways: this engine, hand-written NumPy, PyTorch.

The hand-written version follows the lecture's back-propagation equations, with the weights
stored as W (in, out) so that z^l = a^(l-1) W^l + b^l:

    delta^L = (softmax(z^L) - t) / n                      (softmax cross-entropy, batch mean)
    delta^l = (delta^(l+1) (W^(l+1))^T) o f'(z^l)
    dC/dW^l = (a^(l-1))^T delta^l,   dC/db^l = sum over the batch of delta^l

and Adam updates the weights in place. It is the floor for any NumPy engine.
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F

SLOPE = 0.01  # leaky ReLU slope


def init_weights(sizes, dtype, seed=0):
    """One set of (W (out, in), b) per layer, shared by the three implementations."""
    rng = np.random.default_rng(seed)
    out = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(n_in)
        out.append(
            (rng.uniform(-bound, bound, (n_out, n_in)).astype(dtype), rng.uniform(-bound, bound, n_out).astype(dtype))
        )
    return out


class NumpyMLP:
    """Leaky-ReLU MLP with softmax cross-entropy and Adam, by hand."""

    def __init__(self, weights, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.W = [np.ascontiguousarray(w.T) for w, _ in weights]
        self.b = [b.copy() for _, b in weights]
        self.params = self.W + self.b
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.lr, self.betas, self.eps, self.t = lr, betas, eps, 0

    def step(self, x, labels):
        n = x.shape[0]
        a, zs, acts = x, [], [x]
        for i, (W, b) in enumerate(zip(self.W, self.b)):
            z = a @ W
            z += b
            zs.append(z)
            if i < len(self.W) - 1:
                a = np.maximum(z, SLOPE * z)  # leaky ReLU (SLOPE < 1); faster than np.where
                acts.append(a)
        z = zs[-1]
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(n), labels]).mean()
        delta = p
        delta[np.arange(n), labels] -= 1
        delta /= n
        gW, gb = [None] * len(self.W), [None] * len(self.W)
        for l in range(len(self.W) - 1, -1, -1):
            gW[l] = acts[l].T @ delta
            gb[l] = delta.sum(axis=0)
            if l:
                delta = delta @ self.W[l].T
                d = (zs[l - 1] > 0).astype(delta.dtype)  # f'(z): 1 where z > 0, else SLOPE
                d *= 1 - SLOPE
                d += SLOPE
                delta *= d
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1**self.t, 1 - b2**self.t
        for p_, g, m, v in zip(self.params, gW + gb, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p_ -= (self.lr / c1) * m / (np.sqrt(v / c2) + self.eps)
        return loss


class EngineMLP:
    """The same network with tinygrad_edu's nn and optim, as a user writes it."""

    def __init__(self, weights, lr=1e-3):
        layers = []
        for i, (w, b) in enumerate(weights):
            lin = nn.Linear(w.shape[1], w.shape[0])
            lin.weight.data = w.copy()
            lin.bias.data = b.copy()
            layers.append(lin)
            if i < len(weights) - 1:
                layers.append(nn.LeakyReLU(SLOPE))
        self.model = nn.Sequential(*layers)
        self.opt = optim.Adam(self.model.parameters(), lr=lr)

    def step(self, x, labels):
        loss = F.cross_entropy(self.model(x), labels)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss


class TorchMLP:
    """The same network in PyTorch."""

    def __init__(self, torch, weights, lr=1e-3):
        self.torch = torch
        layers = []
        for i, (w, b) in enumerate(weights):
            lin = torch.nn.Linear(w.shape[1], w.shape[0], dtype=torch.from_numpy(w).dtype)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w))
                lin.bias.copy_(torch.from_numpy(b))
            layers.append(lin)
            if i < len(weights) - 1:
                layers.append(torch.nn.LeakyReLU(SLOPE))
        self.model = torch.nn.Sequential(*layers)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr)

    def step(self, x, labels):
        loss = self.torch.nn.functional.cross_entropy(self.model(x), labels)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss


def make_steps(sizes, batch, dtype, torch=None, seed=0, device="cpu"):
    """Closures that each run one training step on the same data and weights."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, sizes[0])).astype(dtype)
    labels = rng.integers(0, sizes[-1], batch)
    weights = init_weights(sizes, dtype, seed)
    hand = NumpyMLP(weights)
    eng = EngineMLP(weights)
    xt, lt = tg.Tensor(x), tg.Tensor(labels)
    if device != "cpu":
        eng.model.to(device)
        xt, lt = xt.to(device), lt.to(device)
    steps = {"tinygrad_edu": lambda: eng.step(xt, lt), "numpy (by hand)": lambda: hand.step(x, labels)}
    if torch is not None:
        tm = TorchMLP(torch, weights)
        tx, tl = torch.from_numpy(x), torch.from_numpy(labels)
        steps["pytorch"] = lambda: tm.step(tx, tl)
    return steps
