"""Optimizers with PyTorch's names and update rules (``torch.optim``), and the lecture's
AdagradMomentum::

    opt = optim.Adam(model.parameters(), lr=1e-3)
    opt.zero_grad(); loss.backward(); opt.step()
"""

from tinygrad_edu.optim import lr_scheduler  # noqa: F401
from tinygrad_edu.optim.adagrad import Adagrad, AdagradMomentum
from tinygrad_edu.optim.adam import Adam, AdamW
from tinygrad_edu.optim.optimizer import Optimizer
from tinygrad_edu.optim.rmsprop import RMSprop
from tinygrad_edu.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "AdagradMomentum", "RMSprop", "Adam", "AdamW", "lr_scheduler"]
