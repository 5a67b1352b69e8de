"""``autograd.scipy`` for tinygrad_edu: SciPy functions that also differentiate.

Course code written for HIPS autograd ports by changing its import lines::

    import tinygrad_edu.scipy.special as sp           # was: import autograd.scipy.special as sp
    from tinygrad_edu.scipy.stats import norm         # was: from autograd.scipy.stats import norm
    from tinygrad_edu.scipy.special import logsumexp  # was: from autograd.scipy.special import logsumexp

Modules: ``special``, ``stats`` (``norm``, ``t``, ``gamma``, ``beta``, ``chi2``, ``poisson``,
``dirichlet``, ``multivariate_normal``), ``linalg`` (``solve_triangular``, ``solve_banded``,
``solve_sylvester``, ``sqrtm``), ``signal`` (``convolve``) and ``integrate`` (refused: see there).

As in :mod:`tinygrad_edu.numpy`, a function called on a Tensor (as it is inside ``grad``) runs
the op with its derivative rule (``tinygrad_edu/ops/special.py``, ``ops/normal.py``), and on
plain arrays it is SciPy's own. Every differentiable name is listed in its module's
``DIFFERENTIABLE``; SciPy's other names refuse a Tensor that requires grad rather than silently
dropping its derivative.
"""

from tinygrad_edu.scipy import integrate, linalg, signal, special, stats

__all__ = ["integrate", "linalg", "signal", "special", "stats"]
