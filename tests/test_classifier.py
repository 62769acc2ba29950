import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.feature_selection import SelectFromModel
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_sparse_mlp import DataAdviceWarning, SparseMLPClassifier
from sklearn_sparse_mlp.callbacks import NonFiniteLossError
from sklearn_sparse_mlp.datasets import SEED_RULES, make_seed_problem

# The alpha of the seed problem: documented in the README and the example.
SEED_ALPHA = 0.1


@pytest.mark.parametrize("rule", sorted(SEED_RULES))
def test_seed_problem_recovers_exactly_features_0_and_1(rule):
    """For each rule, at alpha=0.1: support [0, 1], exact zeros, accuracy >= .93, 4 of 5."""
    successes = 0
    for random_state in range(5):
        X, y = make_seed_problem(rule, n_samples=1000, random_state=random_state)
        X, y, X_test, y_test = X[:800], y[:800], X[800:], y[800:]
        clf = SparseMLPClassifier(alpha=SEED_ALPHA, random_state=random_state).fit(X, y)
        W = clf.net_.module_.lin1.weight.detach()
        recovered = clf.get_support(indices=True).tolist() == [0, 1]
        if recovered:
            assert (W[:, 2:] == 0).all()  # every weight reading a noise feature is exactly 0
        successes += recovered and clf.score(X_test, y_test) >= 0.93
    assert successes >= 4


@pytest.fixture(scope="module")
def fitted():
    X, y = make_seed_problem("circle", n_samples=800, random_state=0)
    return SparseMLPClassifier(alpha=SEED_ALPHA, random_state=0).fit(X, y), X, y


def test_fitted_attributes(fitted):
    clf, X, y = fitted
    assert clf.n_features_in_ == 10
    assert list(clf.classes_) == [0, 1]
    assert 60 < clf.n_iter_ <= clf.max_iter
    assert len(clf.loss_curve_) == clf.n_iter_
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    support = clf.get_support()
    assert support.dtype == bool and support.shape == (10,)
    np.testing.assert_array_equal(clf.get_support(indices=True), np.flatnonzero(support))
    assert np.all(clf.feature_importances_[~support] == 0.0)
    assert np.all(clf.feature_importances_[support] >= 1e-5)
    norms = clf.net_.module_.lin1.weight.detach().double().norm(dim=0).numpy()
    np.testing.assert_allclose(clf.feature_importances_[support], norms[support])
    history = clf.net_.history
    assert history[-1, "n_features_selected"] == support.sum()
    assert history[0, "alpha"] == 0.0 and history[-1, "alpha"] == SEED_ALPHA


def test_select_from_model_default_threshold_keeps_get_support(fitted):
    clf, X, y = fitted
    selector = SelectFromModel(clf, prefit=True)
    np.testing.assert_array_equal(selector.get_support(), clf.get_support())
    assert selector.transform(X).shape[1] == clf.get_support().sum()
    # a fitted selector refits a clone and agrees with it too
    selector = SelectFromModel(SparseMLPClassifier(alpha=SEED_ALPHA, random_state=0)).fit(X, y)
    np.testing.assert_array_equal(selector.get_support(), selector.estimator_.get_support())


def test_pipeline_grid_search_cross_validate_clone_pickle():
    X, y = make_seed_problem("circle", n_samples=600, random_state=1)
    X, y, X_test, y_test = X[:400], y[:400], X[400:], y[400:]
    pipe = make_pipeline(StandardScaler(), SparseMLPClassifier(random_state=0))
    search = GridSearchCV(pipe, {"sparsemlpclassifier__alpha": [0.0, 0.1]}, cv=2).fit(X, y)
    assert search.best_params_["sparsemlpclassifier__alpha"] in (0.0, 0.1)
    assert search.score(X_test, y_test) > 0.85
    dense = search.cv_results_["param_sparsemlpclassifier__alpha"].tolist().index(0.0)
    assert np.isfinite(search.cv_results_["mean_test_score"][dense])

    scores = cross_validate(SparseMLPClassifier(random_state=0), X, y, cv=2)
    assert np.all(scores["test_score"] > 0.85)

    clf = SparseMLPClassifier(alpha=0.05, random_state=3)
    cloned = clone(clf)
    assert cloned.get_params() == clf.get_params()
    clf.fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X_test), clf.predict_proba(X_test))
    np.testing.assert_array_equal(restored.get_support(), clf.get_support())


def test_multiclass_string_labels():
    rng = np.random.RandomState(0)
    X = rng.randn(300, 6)
    labels = np.array(["cat", "dog", "emu"])
    y = labels[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)]
    clf = SparseMLPClassifier(alpha=0.05, random_state=0).fit(X, y)
    assert list(clf.classes_) == ["cat", "dog", "emu"]
    assert set(clf.predict(X)) <= set(labels)
    proba = clf.predict_proba(X)
    assert proba.shape == (300, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba)
    assert clf.score(X, y) > 0.9
    assert set(clf.get_support(indices=True)) >= {0, 1}


@pytest.mark.parametrize(
    "X, message",
    [
        (np.full((20, 3), np.nan), "NaN"),
        (np.full((20, 3), np.inf), "infinity"),
        (np.zeros((0, 3)), "0 sample"),
        (np.zeros((20, 3)) + 1j, "Complex data not supported"),
        (np.array([["a"] * 3] * 20, dtype=object), "could not convert"),
        (np.zeros(20), "Expected 2D array"),
    ],
)
def test_bad_input_raises_sklearn_errors(X, message):
    y = np.arange(len(X)) % 2
    with pytest.raises(ValueError, match=message):
        SparseMLPClassifier().fit(X, y)


def test_other_errors():
    X, y = make_seed_problem("circle", n_samples=50, random_state=0)
    with pytest.raises(ValueError, match="only one class"):
        SparseMLPClassifier().fit(X, np.zeros(50))
    # 6 samples, 2 classes: 5 train / 1 validation cannot hold both classes on each side
    with pytest.raises(ValueError, match="stratified split needs at least one sample"):
        SparseMLPClassifier(early_stopping=True).fit(X[:6], [0, 1] * 3)


def test_diverging_fit_stops_with_advice():
    X, y = make_seed_problem("circle", n_samples=200, random_state=0)
    X = X * 1e30
    clf = SparseMLPClassifier(solver="sgd", learning_rate_init=10.0, random_state=0)
    # the scale advice comes first: data this large are the cause
    with (pytest.warns(DataAdviceWarning, match=r"X has values up to 3\.17e\+30 in absolute"),
          pytest.raises(NonFiniteLossError, match="lower learning_rate_init")):
        clf.fit(X, y)
    # Adam: one huge value overflows the second moments (a step of 0 on part of a column
    # with a positive learning rate), and the fit must still end with the advice
    X, y = make_seed_problem("circle", n_samples=100, random_state=0)
    X[50, 2] = 1e30
    clf = SparseMLPClassifier(alpha=0.01, max_iter=3, warmup_epochs=0, ramp_epochs=0,
                              random_state=0)
    with (pytest.warns(DataAdviceWarning, match=r"X has values up to 1e\+30 in absolute value "
                                                r"and column ranges that differ"),
          pytest.raises(NonFiniteLossError, match="lower learning_rate_init")):
        clf.fit(X, y)
