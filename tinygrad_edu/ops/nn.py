"""Fused ops for networks: the affine layer and softmax cross-entropy.

Both could be written from smaller ops; fusing them saves the intermediate tensors and graph
nodes, which is most of the cost on the small networks of the course. Their derivative rules
are still written with Tensor ops, so second derivatives work through them.
"""

from __future__ import annotations

import math

from tinygrad_edu import backend
from tinygrad_edu.autograd import Function, is_grad_enabled


def _rows(t):
    """``t`` as a matrix of rows (all leading axes merged), by explicit sizes: -1 is ambiguous when
    the last axis is empty (a layer with no input features)."""
    if t.ndim == 2:
        return t
    return t.reshape(math.prod(t.shape[:-1]), t.shape[-1])


class LinearOp(Function):
    """The affine map of a layer, z = x W^T + b, with W of shape (out, in) as in PyTorch.

    In the lecture's notation (one sample a column): z^l = W^l a^(l-1) + b^l, and dL/dz is the
    lecture's delta: the error sent back is W^T delta, the weight gradient delta a^T.
    """

    local = ("dL/dx = dL/dz W", "dL/dW = (dL/dz)^T x, summed over the batch", "dL/db = dL/dz summed over the batch")

    def forward(self, x, w, *b):
        if x.ndim == 0 or x.shape[-1] != w.shape[1]:
            raise ValueError(
                f"LinearOp (the affine map of nn.Linear): input of shape {x.shape} has "
                f"{x.shape[-1] if x.ndim else 0} features in its last axis, but the weight of shape {w.shape} "
                f"expects {w.shape[1]}"
            )
        out = x @ w.T
        if b:
            out += b[0]  # into the fresh product: no extra temporary
        return out

    def reads_input(self, i):
        return i == 0 and self.needs_input_grad[1] or i == 1 and self.needs_input_grad[0]  # never b

    def backward(self, g):
        x, w = self.inputs[0], self.inputs[1]
        if is_grad_enabled():  # create_graph: the rule on the tensors, recorded, so it can be differentiated
            return self._rule(g, x, w)
        # nothing records the rule: the same lines on the arrays, each result wrapped once (the
        # tensors' ops would build a node per product and transpose, to be thrown away)
        return tuple([None if d is None else self.const(d) for d in self._rule(g.data, x.data, w.data)])

    def _rule(self, g, x, w):
        """dL/dx = delta W, dL/dW = delta^T x, dL/db = sum of delta over the batch (delta = dL/dz),
        on tensors or on their arrays alike."""
        need = self.needs_input_grad
        dx = g @ w if need[0] else None
        dw = db = None
        if need[1] or (len(need) > 2 and need[2]):
            g2 = _rows(g)
            if need[1]:
                dw = g2.T @ _rows(x)
            if len(need) > 2 and need[2]:
                db = g2.sum(0)
        return (dx, dw) if len(need) == 2 else (dx, dw, db)


class SoftmaxCrossEntropy(Function):
    """Cross-entropy of softmax(x) against targets, per sample, from logits x of shape (n, C).

    With class indices y (the ``index`` parameter) and per-sample weights w_i:
        loss_i = -w_i log softmax(x_i)[y_i] = w_i (logsumexp(x_i) - x_i[y_i])
        dloss_i/dx_i = w_i (softmax(x_i) - onehot(y_i))
    With a probability (or one-hot) target t, the second input:
        loss_i = -sum_c t_ic log softmax(x_i)_c
        dloss_i/dx_i = softmax(x_i) sum_c t_ic - t_i,     dloss_i/dt_i = -log softmax(x_i)

    The log-softmax is shifted by the row maximum, so huge logits neither overflow nor lose
    precision. ``reduction`` is "none" (n values), "sum", or "mean" (sum / ``denom``). When
    nothing counts (``denom`` 0: every sample ignored, or all weights 0) the mean is NaN and, as
    PyTorch's, its gradient is 0 for the ignored samples (``counted`` False) and NaN for the others.
    """

    counted = None  # with ignore_index: which samples count (None: all)

    local = ("dL/dx = dL/dloss (softmax(x) - onehot(y)), weighted", "dL/dt = -dL/dloss log softmax(x)")

    def forward(self, x, *t):
        xp = self.xp
        shifted = x - x.max(axis=1, keepdims=True)
        lse = xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        logp = shifted - lse
        self.logp = logp
        if t:
            losses = -(t[0] * logp).sum(axis=1)
        else:
            losses = -logp[xp.arange(x.shape[0]), self.index]
            if self.weight is not None:
                losses = losses * self.weight
        if self.reduction == "none":
            return losses
        total = losses.sum()
        if self.reduction == "sum":
            return total
        return total / self.denom if self.denom else total * float("nan")  # nothing counted: nan, as PyTorch

    def backward(self, g):
        x = self.inputs[0]
        xp = self.xp
        n = x.shape[0]
        recording = is_grad_enabled()  # create_graph: build the softmax from x so it is differentiable
        has_t = len(self.inputs) > 1
        if not (recording or has_t):  # the usual case, nothing records: on the arrays, wrapped once
            d = xp.exp(self.logp)
            d[xp.arange(n), self.index] -= 1.0
            if self.weight is not None:
                d *= self.weight.reshape(n, 1)
            return self.const(d * self._per_sample(g.data, n, lambda a: a))
        col = self._per_sample(g, n, self.const)
        dx = dt = None
        if self.needs_input_grad[0]:
            if has_t:
                t = self.inputs[1]
                p = x.softmax(axis=1) if recording else self.const(xp.exp(self.logp))
                dx = (p * t.sum(1, keepdims=True) - t) * col
            else:
                onehot = xp.zeros_like(self.logp)
                onehot[xp.arange(n), self.index] = 1.0
                d = x.softmax(axis=1) - self.const(onehot)
                if self.weight is not None:
                    d = d * self.const(self.weight.reshape(n, 1))
                dx = d * col
        if has_t and self.needs_input_grad[1]:
            logp = x.log_softmax(axis=1) if recording else self.const(self.logp)
            dt = -logp * col
        return (dx, dt) if has_t else dx

    def _per_sample(self, g, n, wrap):
        """dL/dloss_i as an (n, 1) column, or one number for a reduced loss, from the adjoint ``g``
        of the output: a tensor (``wrap`` makes constants tensors) or an array (``wrap`` the identity)."""
        if self.reduction == "none":
            return g.reshape(n, 1)
        if self.reduction == "sum":
            return g
        if self.denom:
            return g * (1.0 / self.denom)
        nan = float("nan")  # nothing counted: NaN, but 0 where ignored, as PyTorch
        return g * (nan if self.counted is None else wrap(self.xp.where(self.counted, nan, 0.0).reshape(n, 1)))


class BinaryCrossEntropy(Function):
    """Elementwise binary cross-entropy of probabilities p against targets t:

        loss = -(t log p + (1 - t) log(1 - p)),   each log clamped at -100 (as PyTorch)
        dloss/dp = (p - t) / max(p (1 - p), 1e-12),   dloss/dt = log(1 - p) - log p

    The clamps keep p = 0 or 1 finite, in the loss and in its gradient.
    """

    local = ("dloss/dp = (p - t) / max(p (1 - p), 1e-12)", "dloss/dt = log(1 - p) - log p")

    def forward(self, p, t):
        xp = self.xp
        with backend.errstate(divide="ignore"):
            log_p = xp.maximum(xp.log(p), -100.0)
            log_q = xp.maximum(xp.log1p(-p), -100.0)
        return -(t * log_p + (1.0 - t) * log_q)

    def backward(self, g):
        p, t = self.inputs
        dp = dt = None
        if self.needs_input_grad[0]:
            dp = g * (p - t) / (p * (1.0 - p)).clip(min=1e-12)
        if self.needs_input_grad[1]:
            with backend.errstate(divide="ignore"):
                dt = g * ((-p).log1p().clip(min=-100.0) - p.log().clip(min=-100.0))
        return dp, dt
