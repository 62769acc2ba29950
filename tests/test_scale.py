"""Sparse input, partial_fit, Dask, GPU: the estimators at scale (small instances here;
full-size runs are in benchmarks/)."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from _warning_filters import (
    ALPHA_NOT_REACHED,
    EVERY_FEATURE_DROPPED,
    MAX_ITER_REACHED,
    SHORT_GRID,
)
from sklearn.model_selection import GridSearchCV

from sklearn_sparse_mlp import (
    SparseMLPClassifier,
    SparseMLPClassifierCV,
    SparseMLPRegressor,
    _data,
    sparse_mlp_path,
)
from sklearn_sparse_mlp._data import (
    DENSE_PRODUCT_MIN_DENSITY,
    BatchSlicer,
    TensorPairDataset,
)
from sklearn_sparse_mlp.datasets import make_seed_problem, make_seed_regression


def _sparse_problem(random_state=0, n=1200, n_features=300, density=0.02):
    """Sparse non-negative counts; labels from 3 denser columns only."""
    rng = np.random.RandomState(random_state)
    X = sp.random(n, n_features, density=density, format="csr", random_state=rng,
                  data_rvs=lambda k: rng.poisson(2, k) + 1.0)
    informative = sp.random(n, 3, density=0.5, format="csr", random_state=rng,
                            data_rvs=lambda k: rng.poisson(2, k) + 1.0)
    X = sp.hstack([informative, X], format="csr")
    dense = informative.toarray()
    y = (dense[:, 0] - dense[:, 1] + 0.5 * dense[:, 2] > 0.5).astype(int)
    return X, y


@MAX_ITER_REACHED
@pytest.mark.parametrize("container", [sp.csr_array, sp.csr_matrix, sp.csc_matrix])
def test_dense_enough_sparse_input_trains_exactly_as_dense_input(container):
    """The circle's X is dense, stored sparse: its batches go through lin1 as the dense
    product of the same float32 rows, so the fit is the dense input's, bit for bit."""
    X, y = make_seed_problem("circle", n_samples=500, random_state=0)
    X, y, X_test, _ = X[:300], y[:300], X[300:], y[300:]
    dense = SparseMLPClassifier(random_state=0, max_iter=80).fit(X, y)
    sparse = SparseMLPClassifier(random_state=0, max_iter=80).fit(container(X), y)
    for name, value in dense.net_.module_.state_dict().items():
        assert torch.equal(sparse.net_.module_.state_dict()[name], value), name
    np.testing.assert_allclose(sparse.predict_proba(container(X_test)),
                               dense.predict_proba(X_test), atol=1e-12)


@MAX_ITER_REACHED
def test_sparse_input_below_the_dense_product_density_matches_dense():
    """Below 2.5% stored cells the rows go through lin1 as a sparse product: the fit
    differs from the dense input's only by float32 rounding of the products."""
    X, y = make_seed_problem("circle", n_samples=500, random_state=0)
    rng = np.random.RandomState(0)
    noise = sp.random(500, 600, density=0.005, format="csr", random_state=rng,
                      data_rvs=lambda k: rng.uniform(1, 3, k))
    X = sp.hstack([sp.csr_matrix(X), noise], format="csr")
    assert X.nnz < DENSE_PRODUCT_MIN_DENSITY * X.shape[0] * X.shape[1]
    X, y, X_test = X[:300], y[:300], X[300:]
    dense = SparseMLPClassifier(random_state=0, max_iter=80).fit(X.toarray(), y)
    sparse = SparseMLPClassifier(random_state=0, max_iter=80).fit(X, y)
    np.testing.assert_array_equal(dense.get_support(), sparse.get_support())
    assert not torch.equal(dense.net_.module_.lin1.weight, sparse.net_.module_.lin1.weight)
    np.testing.assert_allclose(sparse.predict_proba(X_test), dense.predict_proba(X_test),
                               atol=1e-3)


def test_sparse_batches_are_densified_only_when_dense_enough_and_small(monkeypatch):
    X, y = _sparse_problem()  # 2.5% of its cells stored: just below the threshold
    assert X.nnz < DENSE_PRODUCT_MIN_DENSITY * X.shape[0] * X.shape[1]
    dataset = TensorPairDataset(X.astype(np.float32), torch.as_tensor(y))
    batches = list(BatchSlicer(dataset, batch_size=500, shuffle=True))
    assert all(batch.is_sparse for batch, _ in batches)
    assert sum(batch.shape[0] for batch, _ in batches) == X.shape[0]
    assert sum(batch._nnz() for batch, _ in batches) == X.nnz

    X_denser = X + sp.random(*X.shape, density=0.01, format="csr", random_state=0)
    dataset = TensorPairDataset(X_denser.astype(np.float32), torch.as_tensor(y))
    order = torch.randperm(X.shape[0], generator=torch.Generator().manual_seed(0)).numpy()
    batches = list(BatchSlicer(dataset, batch_size=500, shuffle=True,
                               generator=torch.Generator().manual_seed(0)))
    assert not any(batch.is_sparse for batch, _ in batches)
    np.testing.assert_array_equal(torch.cat([batch for batch, _ in batches]).numpy(),
                                  X_denser[order].toarray().astype(np.float32))
    # a dense copy of 500 rows above the memory bound: sparse products again
    monkeypatch.setattr(_data, "DENSE_PRODUCT_MAX_BYTES", 4 * 500 * X.shape[1] - 1)
    assert all(batch.is_sparse for batch, _ in BatchSlicer(dataset, batch_size=500))
    assert not any(batch.is_sparse for batch, _ in BatchSlicer(dataset, batch_size=499))


@SHORT_GRID
def test_cv_fit_of_dense_enough_sparse_input_is_the_dense_inputs():
    """The stacked paths multiply dense-enough sparse rows as dense ones too."""
    X, y = make_seed_problem("circle", n_samples=300, random_state=0)
    params = dict(cv=3, alphas=6, feature_encoding=None, random_state=0)
    dense = SparseMLPClassifierCV(**params).fit(X, y)
    sparse = SparseMLPClassifierCV(**params).fit(sp.csr_matrix(X), y)
    np.testing.assert_array_equal(sparse.path_.alphas, dense.path_.alphas)
    np.testing.assert_array_equal(sparse.scores_path_, dense.scores_path_)
    np.testing.assert_array_equal(sparse.feature_importances_, dense.feature_importances_)


@ALPHA_NOT_REACHED
def test_sparse_selection_recovers_informative_columns():
    X, y = _sparse_problem()
    clf = SparseMLPClassifier(alpha=0.05, random_state=0).fit(X[:1000], y[:1000])
    support = clf.get_support(indices=True)
    assert {0, 1} <= set(support)
    assert len(support) <= 10
    assert clf.score(X[1000:], y[1000:]) > 0.85
    # the path and the regressor take sparse input too
    path = sparse_mlp_path(SparseMLPClassifier(random_state=0, max_iter=80), X[:400], y[:400],
                           alphas=[0.02, 0.2], stop_when_empty=False, max_iter_per_alpha=10)
    assert path.supports.shape == (2, X.shape[1])
    reg = SparseMLPRegressor(random_state=0, max_iter=20).fit(X[:400], y[:400].astype(float))
    assert reg.predict(X[400:500]).shape == (100,)


def test_partial_fit_on_chunks_matches_fit():
    X, y = make_seed_problem("circle", n_samples=1000, random_state=0)
    X, y, X_test, y_test = X[:800], y[:800], X[800:], y[800:]
    full = SparseMLPClassifier(random_state=0).fit(X, y)
    streamed = SparseMLPClassifier(random_state=0)
    for _ in range(full.n_iter_):
        for chunk in np.array_split(np.arange(len(X)), 4):
            streamed.partial_fit(X[chunk], y[chunk], classes=[0, 1])
    np.testing.assert_array_equal(streamed.get_support(), full.get_support())
    assert abs(streamed.score(X_test, y_test) - full.score(X_test, y_test)) < 0.03
    assert streamed.n_iter_ == 4 * full.n_iter_  # each call is one pass over its chunk


def test_partial_fit_errors_and_regressor():
    X, y = make_seed_problem("circle", n_samples=100, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        SparseMLPClassifier().partial_fit(X, y)
    clf = SparseMLPClassifier().partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X, y + 5)
    with pytest.raises(ValueError, match="X has 3 features"):
        clf.partial_fit(X[:, :3], y)
    X, y = make_seed_regression(n_samples=400, random_state=0)
    X, y = X[:200], y[:200]
    reg = SparseMLPRegressor(random_state=0)
    for _ in range(3):
        reg.partial_fit(X, y)
    assert reg.n_iter_ == 3 and reg.predict(X).shape == (200,)


# three epochs at alpha=0.1 empty this 500-feature model: its size is the subject, not its fit
@MAX_ITER_REACHED
@EVERY_FEATURE_DROPPED
def test_pickle_is_small_and_holds_no_training_data():
    X, y = make_seed_problem("circle", n_samples=800, random_state=0)
    X = np.hstack([X, np.random.RandomState(0).randn(800, 490)])  # 500 features, 3.2 MB
    clf = SparseMLPClassifier(random_state=0, max_iter=3, warmup_epochs=1,
                              ramp_epochs=1).fit(X, y)
    size = len(pickle.dumps(clf))
    weights = sum(p.numel() * 4 for p in clf.net_.module_.parameters())
    assert size < 3 * weights + 200_000  # weights, optimizer state, history: no data
    assert size < X.nbytes / 2


@MAX_ITER_REACHED
def test_grid_search_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    import joblib

    X, y = make_seed_problem("circle", n_samples=200, random_state=0)
    grid = {"alpha": [0.05, 0.2]}
    est = SparseMLPClassifier(random_state=0, max_iter=80)
    local = GridSearchCV(est, grid, cv=2).fit(X, y)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster), joblib.parallel_backend("dask"):
            remote = GridSearchCV(est, grid, cv=2, n_jobs=-1).fit(X, y)
    np.testing.assert_array_equal(local.cv_results_["mean_test_score"],
                                  remote.cv_results_["mean_test_score"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_device_trains_and_predicts():
    X, y = make_seed_problem("circle", n_samples=1000, random_state=0)
    X, y, X_test, y_test = X[:800], y[:800], X[800:], y[800:]
    clf = SparseMLPClassifier(random_state=0, device="cuda").fit(X, y)
    assert clf.net_.module_.lin1.weight.is_cuda
    proba = clf.predict_proba(X_test)
    assert isinstance(proba, np.ndarray) and proba.shape == (len(X_test), 2)
    assert clf.get_support(indices=True).tolist() == [0, 1]
    assert clf.score(X_test, y_test) > 0.9
    sparse = SparseMLPClassifier(random_state=0, device="cuda", max_iter=40)
    sparse.fit(sp.csr_matrix(X), y)
    assert sparse.predict(sp.csr_matrix(X_test)).shape == (len(X_test),)
    # the CV estimator's stacked paths train on the device too, and so does its refit
    cv = SparseMLPClassifierCV(cv=2, random_state=0, device="cuda").fit(X, y)
    assert cv.best_estimator_.net_.module_.lin1.weight.is_cuda
    assert cv.get_support(indices=True).tolist() == [0, 1]
    assert cv.score(X_test, y_test) > 0.9


def test_cuda_unavailable_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    X, y = make_seed_problem("circle", n_samples=50, random_state=0)
    with pytest.raises(ValueError, match="no CUDA device"):
        SparseMLPClassifier(device="cuda").fit(X, y)
