"""Neural networks, shaped like PyTorch's ``torch.nn``::

from tinygrad_edu import nn, optim
import tinygrad_edu.nn.functional as F

model = nn.Sequential(nn.Linear(64, 100), nn.LeakyReLU(), nn.Linear(100, 10))
opt = optim.Adam(model.parameters(), lr=1e-3)
loss = F.cross_entropy(model(x), y)
opt.zero_grad(); loss.backward(); opt.step()
"""

from tinygrad_edu.nn import functional, init, utils  # noqa: F401
from tinygrad_edu.nn.activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from tinygrad_edu.nn.conv import AvgPool2d, BatchNorm2d, Conv2d, MaxPool2d
from tinygrad_edu.nn.layers import BatchNorm1d, Dropout, Flatten, Identity, Linear
from tinygrad_edu.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from tinygrad_edu.nn.module import Module, ModuleList, Parameter, Sequential

__all__ = [
    "Module",
    "Parameter",
    "Sequential",
    "ModuleList",
    "Linear",
    "Dropout",
    "BatchNorm1d",
    "Identity",
    "Flatten",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "BatchNorm2d",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "GELU",
    "Softplus",
    "Softmax",
    "LogSoftmax",
    "MSELoss",
    "L1Loss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "functional",
    "init",
    "utils",
]
