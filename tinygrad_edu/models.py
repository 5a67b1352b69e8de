"""Ready-made networks: the multilayer perceptron of the lecture, built from :mod:`tinygrad_edu.nn` layers.

>>> model = mlp([64, 100, 30, 10], activation="relu")
>>> model
Sequential(
  (0): Linear(in_features=64, out_features=100, bias=True)
  (1): ReLU()
  ...
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tinygrad_edu import nn

__all__ = ["mlp", "cnn", "ACTIVATIONS", "get_activation"]

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "lrelu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "softplus": nn.Softplus,
    "identity": nn.Identity,
}


def get_activation(name: str) -> nn.Module:
    """An activation module from its name: ``relu``, ``leaky_relu``, ``elu``, ``gelu``, ``tanh``, ``sigmoid``..."""
    key = str(name).lower().replace("-", "_")
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(sorted(ACTIVATIONS))}")
    return ACTIVATIONS[key]()


def mlp(
    sizes: Sequence[int],
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool = False,
    output_activation: str | None = None,
    init: Any = None,
) -> nn.Sequential:
    """A fully connected network with layer sizes ``sizes`` = (inputs, hidden..., outputs).

    Each hidden layer is ``Linear -> [BatchNorm1d] -> activation -> [Dropout]``, i.e.
    a^l = f(W^l a^(l-1) + b^l); the output layer is a plain ``Linear`` (logits, for use with
    ``cross_entropy`` or ``binary_cross_entropy_with_logits``) unless ``output_activation`` is given.
    ``init``: a weight initializer for every ``Linear`` (see :mod:`tinygrad_edu.nn.init`); None is PyTorch's default.
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise ValueError(f"mlp: sizes must be at least (inputs, outputs), all positive, got {list(sizes)}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"mlp: dropout must be in [0, 1), got {dropout}")
    get_activation(activation)  # fail early on an unknown name
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out, init=init))
        if i < len(sizes) - 2:
            if batch_norm:
                layers.append(nn.BatchNorm1d(n_out))
            layers.append(get_activation(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    if output_activation is not None:
        layers.append(get_activation(output_activation))
    return nn.Sequential(*layers)


def cnn(
    in_channels: int = 1,
    num_classes: int = 10,
    image_size: int | tuple[int, int] = 28,
    channels: Sequence[int] = (16, 32),
    kernel_size: int = 3,
    hidden: int | Sequence[int] = 128,
    activation: str = "relu",
    batch_norm: bool = False,
    dropout: float = 0.0,
    init: Any = None,
) -> nn.Sequential:
    """A small convolutional network for (N, in_channels, H, W) images, e.g. MNIST's 28x28.

    One block per entry of ``channels``: ``Conv2d(kernel_size, padding "same") -> [BatchNorm2d]
    -> activation -> MaxPool2d(2)``, each halving the image; then ``Flatten`` and a classifier
    ``Linear -> activation -> [Dropout]`` per ``hidden`` size and a last ``Linear`` to
    ``num_classes`` logits (for ``cross_entropy``). The default, two blocks of 16 and 32 channels
    and 128 hidden units, reaches about 91% test accuracy on Fashion-MNIST in a few epochs.
    """
    h, w = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    channels = [int(c) for c in channels]
    hidden = [int(hidden)] if isinstance(hidden, int) else [int(n) for n in hidden]
    if not channels or any(c < 1 for c in channels) or any(n < 1 for n in hidden) or in_channels < 1:
        raise ValueError(f"cnn: channels and hidden sizes must be positive, got channels={channels}, hidden={hidden}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"cnn: dropout must be in [0, 1), got {dropout}")
    if h >> len(channels) < 1 or w >> len(channels) < 1:
        raise ValueError(f"cnn: a {h}x{w} image is too small for {len(channels)} blocks that each halve it")
    get_activation(activation)
    layers: list[nn.Module] = []
    c_in = in_channels
    for c in channels:
        layers.append(nn.Conv2d(c_in, c, kernel_size, padding="same", bias=not batch_norm, init=init))
        if batch_norm:
            layers.append(nn.BatchNorm2d(c))
        layers += [get_activation(activation), nn.MaxPool2d(2)]
        c_in, h, w = c, h // 2, w // 2
    layers.append(nn.Flatten())
    n_in = c_in * h * w
    for n in hidden:
        layers += [nn.Linear(n_in, n, init=init), get_activation(activation)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        n_in = n
    layers.append(nn.Linear(n_in, num_classes, init=init))
    return nn.Sequential(*layers)
