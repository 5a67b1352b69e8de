"""Seeing the backward pass: graph pictures, a step-through player and training diagnostics.

- :func:`draw_graph`: the computation graph of a tensor, one box per tensor and one oval per op,
  inline in Jupyter and saved to SVG, PNG or DOT (:mod:`.graph`, drawn by :mod:`.render`).
- :func:`backward_steps`: the backward pass recorded frame by frame, in the engine's own order,
  with the chain-rule product at every node (:mod:`.steps`).
- :class:`BackwardPlayer`: the same frames as a self-contained HTML page with previous / next /
  play controls (:mod:`.player`).
- :mod:`.diagnostics`: loss and accuracy curves, gradient norms and activation statistics per
  layer, dead ReLUs, and gradient-check plots (matplotlib, imported on first use).
"""

from tinygrad_edu.viz.graph import Graph, GraphEdge, GraphNode, draw_graph
from tinygrad_edu.viz.player import BackwardPlayer
from tinygrad_edu.viz.render import available_renderers
from tinygrad_edu.viz.steps import Frame, backward_steps, format_steps

_DIAGNOSTICS = (
    "plot_history",
    "GradientRecorder",
    "ActivationRecorder",
    "plot_gradient_norms",
    "plot_activation_stats",
    "plot_dead_relus",
    "plot_gradcheck",
)


def __getattr__(name: str):
    # matplotlib is heavy and optional: load the plotting module only when a plot is asked for
    if name in _DIAGNOSTICS:
        from tinygrad_edu.viz import diagnostics

        return getattr(diagnostics, name)
    raise AttributeError(f"module 'tinygrad_edu.viz' has no attribute {name!r}")


__all__ = [
    "draw_graph",
    "Graph",
    "GraphNode",
    "GraphEdge",
    "available_renderers",
    "backward_steps",
    "Frame",
    "format_steps",
    "BackwardPlayer",
    *_DIAGNOSTICS,
]
