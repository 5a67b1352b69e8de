"""Hyper-parameter search on a Dask cluster through joblib's Dask backend (issue 5, "scaling out").

A local cluster of two worker processes stands in for a real one: the search code is the same,
only the address given to ``Client`` changes. Run on its own with ``pytest -m dask``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the estimators need scikit-learn (extra 'sklearn')")
distributed = pytest.importorskip("distributed", reason="the Dask cluster needs dask[distributed] (extra 'dask')")

import joblib  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from tinygrad_edu.data import load_digits  # noqa: E402
from tinygrad_edu.sklearn import MLPClassifier  # noqa: E402

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        local_directory=str(tmp_path_factory.mktemp("dask-worker-space")),
    )
    with cluster, distributed.Client(cluster) as c:
        yield c


def test_grid_search_on_a_dask_cluster(client):
    X, y = load_digits()
    X, y = X[:500], y[:500]
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(32,), epochs=30, random_state=0))
    grid = {"mlpclassifier__learning_rate": [1e-3, 1e-2], "mlpclassifier__alpha": [1e-4, 1e-1]}

    def executed(dask_worker=None):  # tasks this worker has run so far
        return dask_worker.state.executed_count

    before = client.run(executed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with joblib.parallel_backend("dask"):
            search = GridSearchCV(pipe, grid, cv=2, n_jobs=-1).fit(X, y)
        serial = GridSearchCV(pipe, grid, cv=2, n_jobs=1).fit(X, y)
    after = client.run(executed)
    # The 4 x 2 fits ran on the cluster's two worker processes, and give the serial search's numbers.
    assert len(after) == 2, after
    assert all(after[w] > before[w] for w in after), (before, after)  # 4 and 4 measured
    assert sum(after.values()) - sum(before.values()) >= 8
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"])
    assert search.best_params_ == serial.best_params_
    assert search.best_score_ > 0.8
