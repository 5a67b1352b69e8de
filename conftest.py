"""Test-session settings shared by the unit tests and the tutorial notebooks."""

import os

# The test suite runs two pytest workers on two cores. With a BLAS thread pool per worker too,
# the threads fight over the cores and small matrix products get 10-20x slower; one BLAS thread
# per worker is fastest. The environment reaches the notebook kernels that nbmake starts.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

try:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # BLAS may already be loaded in this process
except ImportError:
    pass
