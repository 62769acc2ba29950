import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from _grid import grid_strides
from _warning_filters import MAX_ITER_REACHED, SHORT_GRID
from sklearn.base import clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectFromModel

from sklearn_sparse_mlp import SparseMLPClassifierCV, SparseMLPRegressorCV
from sklearn_sparse_mlp._cv import align_fold_scores, beats_constant, choose_alpha_index
from sklearn_sparse_mlp._ranking import (
    absolute_correlations,
    find_near_duplicates,
    path_importances,
)
from sklearn_sparse_mlp.datasets import make_seed_problem, make_seed_regression


@pytest.fixture(scope="module")
def fitted_cv():
    X, y = make_seed_problem("circle", n_samples=1000, random_state=0)
    X, y, X_test, y_test = X[:800], y[:800], X[800:], y[800:]
    return SparseMLPClassifierCV(cv=3, random_state=0).fit(X, y), X, y, X_test, y_test


def test_cv_classifier_recovers_support(fitted_cv):
    clf, X, y, X_test, y_test = fitted_cv
    assert clf.get_support(indices=True).tolist() == [0, 1]
    assert clf.score(X_test, y_test) >= 0.93
    assert (clf.net_.module_.lin1.weight[:, 2:] == 0).all()


def test_best_estimator_clones_into_the_same_model(fitted_cv):
    clf, X, y, X_test, y_test = fitted_cv
    best = clf.best_estimator_
    # the path trains with its own budget (max_iter_per_alpha, no warm-up); the model it
    # hands over keeps the user's, as GridSearchCV's best_estimator_ does
    for name in ("max_iter", "warmup_epochs", "ramp_epochs", "hidden_layer_sizes"):
        assert best.get_params()[name] == clf.get_params()[name], name
    assert best.alpha == clf.alpha_


def test_cv_attributes(fitted_cv):
    clf, X, y, _, _ = fitted_cv
    n_alphas = len(clf.alphas_)
    assert clf.scores_path_.shape == (3, n_alphas)
    assert clf.n_features_path_.shape == (n_alphas,)
    assert clf.alpha_ in clf.alphas_
    np.testing.assert_array_equal(clf.support_, clf.get_support())
    assert clf.best_estimator_.alpha == clf.alpha_
    np.testing.assert_array_equal(clf.predict(X), clf.best_estimator_.predict(X))
    # one standard error: never a smaller alpha than the best mean score
    assert clf.alpha_ >= clf.alphas_[np.argmax(clf.scores_path_.mean(axis=0))]
    # the path record keeps no network per alpha, so the estimator pickles small
    assert clf.path_.module_states is None
    assert len(clf.path_.lin1_weights) == n_alphas
    assert len(pickle.dumps(clf)) < 4 * len(pickle.dumps(clf.best_estimator_))
    with pytest.raises(ValueError, match="keeps no networks"):
        clf.path_.estimator_at(0)


def test_cv_ranking_and_select_from_model(fitted_cv):
    clf, X, y, _, _ = fitted_cv
    imp = clf.feature_importances_
    np.testing.assert_array_equal(SelectFromModel(clf, prefit=True).get_support(),
                                  clf.get_support())
    top3 = SelectFromModel(clf, prefit=True, max_features=3, threshold=-np.inf).get_support()
    assert top3[[0, 1]].all() and top3.sum() == 3
    # the third is the noise feature that left the paths last (full-data and folds, averaged)
    third = np.flatnonzero(top3 & ~clf.get_support())[0]
    leave = np.vstack([clf.feature_leave_alphas_, clf.fold_leave_alphas_])
    assert leave.shape == (4, X.shape[1])
    beyond = clf.alphas_[-1] ** 2 / clf.alphas_[-2]
    mean_log = np.log(np.where(np.isfinite(leave), leave, beyond)).mean(axis=0)
    assert np.isclose(mean_log[third], mean_log[2:].max())
    # the model keeps alpha_'s number of features, the ones that stay longest on all paths
    chosen = int(np.flatnonzero(clf.alphas_ == clf.alpha_)[0])
    support = clf.get_support()
    assert support.sum() == clf.n_features_path_[chosen]
    assert mean_log[support].min() >= mean_log[~support].max()
    assert np.all(imp[clf.get_support()] >= 1e-5) and np.all(imp[~clf.get_support()] < 1e-5)
    assert len(np.unique(imp)) == len(imp)
    # the kept features are ranked (and valued) by their column norms in the full-data
    # model at alpha_
    norms = clf.path_.feature_norms[chosen]
    kept = np.flatnonzero(support)
    np.testing.assert_array_equal(np.argsort(-imp[kept]), np.argsort(-norms[kept]))
    np.testing.assert_allclose(imp[kept], np.maximum(norms[kept], 1e-5))


def test_path_importances_rank_kept_features_by_their_norms_at_the_chosen_alpha():
    grid = np.array([0.05, 0.1, 0.2, 0.5, 0.9])
    leave = np.array([[0.5, 0.2, 0.9, 0.1, 0.05]])
    support = np.array([True, True, True, False, False])
    assert list(np.argsort(-path_importances(leave, support, grid))) == [2, 0, 1, 3, 4]
    imp = path_importances(leave, support, grid, support_norms=[0.1, 3.0, 0.5, 7.0, 0.0])
    assert list(np.argsort(-imp)) == [1, 2, 0, 3, 4]  # a dropped feature's norm is ignored
    np.testing.assert_allclose(imp[[1, 2, 0]], [3.0, 0.5, 0.1])
    assert np.all(imp[3:] < 1e-5)
    # a kept feature without weight in that model (the folds kept it) comes last of the
    # kept; the paths order such features among themselves
    imp = path_importances(leave, support, grid, support_norms=[0.0, 3.0, 0.0, 0.0, 0.0])
    assert list(np.argsort(-imp)) == [1, 2, 0, 3, 4]
    assert imp[0] >= 1e-5


def test_path_importances_order():
    leave = np.array([0.1, np.inf, 0.01, 0.05])
    support = np.array([True, True, False, False])
    imp = path_importances(leave, support, np.array([0.01, 0.05, 0.1, 0.2]))
    assert list(np.argsort(-imp)) == [1, 0, 3, 2]


def test_path_importances_average_the_paths():
    alphas = np.array([0.01, 0.02, 0.04, 0.08])
    # feature 0 stays longest on the first path only, feature 1 long on every path
    leave = np.array([[0.08, 0.04, 0.01],
                      [0.02, 0.04, 0.01],
                      [0.02, 0.04, 0.01],
                      [0.02, 0.04, 0.01]])
    imp = path_importances(leave, np.zeros(3, dtype=bool), alphas)
    assert list(np.argsort(-imp)) == [1, 0, 2]
    # the same leave alphas on other paths still tie, whatever the summation order; the
    # norms decide; never-dropped features count as leaving at the next alpha (0.16)
    leave = np.array([[0.02, 0.04, np.inf], [0.04, 0.02, 0.01]])
    norms = np.array([[1.0, 2.0, 0.5], [1.0, 2.0, 0.5]])
    imp = path_importances(leave, np.ones(3, dtype=bool), alphas, norms)
    assert list(np.argsort(-imp)) == [2, 1, 0]
    np.testing.assert_allclose(imp[2], np.sqrt(0.16 * 0.01))


def test_path_importances_break_ties_by_norm_without_reordering_alphas():
    alphas = np.array([0.01, 0.0125, 0.015625])  # ratio 1.25
    leave = np.array([np.inf, np.inf, 0.0125, 0.0125, 0.015625])
    norms = np.array([0.5, 2.0, 0.1, 0.3, 0.01])
    support = np.array([True, True, True, False, False])
    imp = path_importances(leave, support, alphas, norms)
    assert list(np.argsort(-imp)) == [1, 0, 2, 4, 3]  # kept first; then dropped by alpha
    # a tiny norm never lifts a feature above one that left at a larger alpha
    assert imp[4] > imp[3]
    assert np.all(imp[support] >= 1e-5) and np.all(imp[~support] < 1e-5)


def test_best_selection_and_given_alphas():
    X, y = make_seed_problem("xor", n_samples=300, random_state=1)
    clf = SparseMLPClassifierCV(alphas=[0.01, 0.05, 0.1], cv=2, selection="best",
                                random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.alphas_, [0.01, 0.05, 0.1])
    assert clf.alpha_ == clf.alphas_[np.argmax(clf.scores_path_.mean(axis=0))]


def test_cv_regressor_recovers_support():
    X, y = make_seed_regression(n_samples=1000, random_state=0)
    X, y, X_test, y_test = X[:800], y[:800], X[800:], y[800:]
    reg = SparseMLPRegressorCV(cv=3, random_state=0).fit(X, y)
    assert reg.get_support(indices=True).tolist() == [0, 1]
    assert reg.score(X_test, y_test) > 0.75


@pytest.mark.parametrize("factor, shift", [(256.0, 0.0), (250.0, -40.0)])
def test_cv_regressor_grid_and_choice_do_not_depend_on_the_unit_of_y(factor, shift):
    X, y = make_seed_regression(n_samples=300, random_state=0)
    params = dict(cv=3, alphas=20, max_iter=60, warmup_epochs=10, ramp_epochs=10,
                  relax_epochs=10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # short budgets, on purpose
        reg = SparseMLPRegressorCV(**params).fit(X, y)
        scaled = SparseMLPRegressorCV(**params).fit(X, factor * y + shift)
    np.testing.assert_allclose(scaled.target_mean_, [factor * y.mean() + shift], rtol=1e-6)
    # the same grid (from drop_one_alphas), paths, R^2 on the folds and choice
    np.testing.assert_allclose(scaled.alphas_, reg.alphas_, rtol=1e-4)
    assert scaled.alpha_ == pytest.approx(reg.alpha_, rel=1e-4)
    np.testing.assert_array_equal(scaled.get_support(), reg.get_support())
    if factor == 256.0:  # a power of 2: the standardized targets are the same floats
        np.testing.assert_array_equal(scaled.n_features_path_, reg.n_features_path_)
        np.testing.assert_array_equal(scaled.scores_path_, reg.scores_path_)
        np.testing.assert_allclose(scaled.predict(X) / factor, reg.predict(X), rtol=1e-12)
    else:  # targets equal up to float32 rounding, which training amplifies a little
        assert np.mean(scaled.n_features_path_ == reg.n_features_path_) >= 0.9
        np.testing.assert_allclose(np.median(scaled.scores_path_, axis=0),
                                   np.median(reg.scores_path_, axis=0), atol=0.05)
        assert scaled.score(X, factor * y + shift) == pytest.approx(reg.score(X, y), abs=0.01)


@MAX_ITER_REACHED
def test_folds_in_parallel_give_the_same_scores():
    X, y = make_seed_problem("circle", n_samples=200, random_state=3)
    params = dict(alphas=[0.02, 0.1, 0.3], cv=2, max_iter=60, warmup_epochs=10, ramp_epochs=10,
                  relax_epochs=10, random_state=0)
    serial = SparseMLPClassifierCV(**params).fit(X, y)
    parallel = SparseMLPClassifierCV(n_jobs=2, **params).fit(X, y)
    np.testing.assert_array_equal(serial.scores_path_, parallel.scores_path_)
    assert serial.alpha_ == parallel.alpha_


def test_choose_alpha_index_rules():
    scores = np.array([[0.90, 0.99, 0.97, 0.975, 0.99],
                       [0.92, 0.95, 0.93, 0.945, 0.95]])  # means .91 .97 .95 .96 .97
    n_features = np.array([10, 5, 2, 2, 0])
    assert choose_alpha_index(scores, n_features, "best") == 1
    # within one (pooled) standard error of the best, the largest alpha; never the empty model
    # even though its fold scores are as good (the folds still had features there)
    assert choose_alpha_index(scores, n_features) == 3
    assert choose_alpha_index(scores, np.zeros(5), "best") == 1


def test_beats_constant_is_the_corrected_paired_t_test():
    differences = np.array([0.06, 0.01, 0.10, -0.01, 0.09])  # mean .05, sd .0485 (ddof=1)
    constant = np.full(5, 0.5)
    # naive paired t = .05 / (.0485 / sqrt(5)) = 2.30 > t(.95, 4) = 2.132: "significant";
    # with Nadeau and Bengio's correction for K-fold (n_test / n_train = 1/4):
    # t = .05 / (.0485 * sqrt(1/5 + 1/4)) = 1.54: not
    assert not beats_constant(constant + differences, constant)
    assert not beats_constant(constant + differences, constant, test_train_ratio=0.25)
    assert beats_constant(constant + differences, constant, test_train_ratio=0.0)
    assert beats_constant(constant + 2 * differences + 0.05, constant)  # t = 3.6
    assert not beats_constant(constant - differences, constant)
    assert beats_constant(constant + 0.01, constant)  # no spread: the sign decides


def test_choose_alpha_index_takes_the_constant_prediction_where_nothing_beats_it():
    constant = np.array([0.50, 0.52, 0.48, 0.51, 0.49])
    # five folds; the best model (5 features) beats the constant by 2.3 naive paired
    # standard errors and by more than the pooled one: the winner's curse on pure noise
    noise = np.array([[0.50, 0.51, 0.49, 0.50, 0.52],
                      [0.56, 0.53, 0.58, 0.50, 0.58],
                      [0.51, 0.50, 0.50, 0.52, 0.49],
                      [0.50, 0.52, 0.48, 0.51, 0.49]]).T
    n_features = np.array([10, 5, 2, 0])
    assert choose_alpha_index(noise, n_features, constant_scores=constant) == 3
    assert choose_alpha_index(noise, n_features, "best", constant_scores=constant) == 1
    # a real signal: the constant is far below, and the one-standard-error rule chooses
    # among the models with features as without a constant
    signal = noise.copy()
    signal[:, :3] += 0.4
    assert choose_alpha_index(signal, n_features, constant_scores=constant) == \
        choose_alpha_index(signal, n_features) == 1
    # the best mean, with "best" (no test)
    assert choose_alpha_index(noise, n_features, "best", constant_scores=constant + 0.1) == 3
    # a path that never empties offers no empty model
    assert choose_alpha_index(noise, [10, 5, 2, 1], constant_scores=constant + 0.1) == \
        choose_alpha_index(noise, [10, 5, 2, 1])


@pytest.mark.parametrize("Estimator", [SparseMLPClassifierCV, SparseMLPRegressorCV])
def test_cv_on_pure_noise_selects_nothing_and_predicts_the_constant(Estimator):
    rng = np.random.RandomState(0)
    X = rng.randn(400, 20)
    classifier = Estimator is SparseMLPClassifierCV
    y = rng.randint(0, 2, 400) if classifier else rng.randn(400)
    with pytest.warns(UserWarning, match="no model with features beat a constant prediction"):
        est = Estimator(random_state=0).fit(X, y)
    assert not est.get_support().any()
    chosen = np.flatnonzero(est.alphas_ == est.alpha_)[0]
    assert est.n_features_path_[chosen] == 0
    # the constant's fold scores, as a dummy fitted on each training fold scores them
    folds = est._folds(X, y)
    dummy = DummyClassifier(strategy="prior") if classifier else DummyRegressor()
    expected = [dummy.fit(X[train], y[train]).score(X[test], y[test]) for train, test in folds]
    np.testing.assert_allclose(est.constant_scores_, expected)
    if classifier:  # the prior of the classes, to a few units in the third digit
        np.testing.assert_allclose(est.predict_proba(X[:5]), np.tile(np.bincount(y) / 400,
                                                                      (5, 1)), atol=0.01)
        assert len(np.unique(est.predict(X))) == 1
    else:
        predictions = est.predict(X)
        assert np.all(predictions == predictions[0])
        # the bias-only network approaches the mean (y has std 1)
        np.testing.assert_allclose(predictions[0], y.mean(), atol=0.05)
    with pytest.warns(UserWarning, match="No features were selected"):
        assert SelectFromModel(est, prefit=True).transform(X).shape == (400, 0)


def test_cv_on_noise_does_not_keep_the_best_of_many_noisy_alphas():
    """The trust table's noise data set whose best alpha beat the constant by 1.9 pooled
    standard errors (accuracy .537 against .503): one standard error kept all 20 noise
    features; the corrected paired t-test (t = 1.15) keeps none."""
    rng = np.random.RandomState(3)
    X, y = rng.randn(800, 20)[:400], rng.randint(0, 2, 800)[:400]
    with pytest.warns(UserWarning, match="beat a constant prediction significantly"):
        clf = SparseMLPClassifierCV(random_state=3).fit(X, y)
    assert not clf.get_support().any()
    best = clf.scores_path_[:, clf.n_features_path_ > 0].mean(axis=0).max()
    assert best > clf.constant_scores_.mean() + 0.02  # the winner's curse is there


def test_cv_keeps_the_seed_features_when_the_empty_model_is_a_candidate(fitted_cv):
    clf = fitted_cv[0]
    assert clf.constant_scores_.shape == (3,)
    assert clf.scores_path_.mean(axis=0).max() > clf.constant_scores_.mean() + 0.3


def test_fold_scores_are_aligned_by_shifting_each_fold_path():
    raw = np.array([[0.60, 0.70, 0.90, 0.80, 0.50, 0.50],
                    [0.62, 0.72, 0.92, 0.85, 0.55, 0.55],
                    [0.61, 0.71, 0.91, 0.81, 0.51, 0.51]])
    full = np.array([30, 9, 4, 2, 0, 0])
    # the folds' paths lag one step behind the full-data path
    folds = np.array([[30, 30, 9, 4, 1, 0],
                      [30, 25, 8, 5, 2, 0],
                      [30, 28, 9, 4, 1, 0]])
    aligned, shifts = align_fold_scores(raw, folds, full)
    assert shifts.tolist() == [1, 1, 1]
    np.testing.assert_allclose(aligned[0], [0.70, 0.90, 0.80, 0.50, 0.50, 0.50])
    # a fold that follows the full-data path is not shifted
    same, shifts = align_fold_scores(raw[:1], full[None, :], full)
    assert shifts.tolist() == [0]
    np.testing.assert_allclose(same, raw[:1])
    # at equal alpha, the 4-feature full model would get the 9-feature folds' 0.91 and be
    # chosen; aligned, the 9-feature full model is the most accurate
    assert choose_alpha_index(raw, full, "best") == 2
    assert choose_alpha_index(aligned, full, "best") == 1
    # a path that leads is shifted the other way; equally good shifts: the smallest
    _, shifts = align_fold_scores(raw[:1], np.array([[9, 4, 2, 0, 0, 0]]), full)
    assert shifts.tolist() == [-1]
    _, shifts = align_fold_scores(raw[:1], np.array([[5, 5, 5, 5, 5, 5]]), full)
    assert shifts.tolist() == [0]




def test_find_near_duplicates_compares_with_unmarked_features_only():
    rng = np.random.RandomState(0)
    base = rng.randn(2000)
    X = np.column_stack([
        base,
        base + 0.15 * rng.randn(2000),  # r ~ 0.99 with column 0
        rng.randn(2000),
        -3 * base + 1,  # r = -1: a duplicate too
        np.full(2000, 0.1),  # constants (whose computed mean is inexact) correlate with
        np.full(2000, 0.3),  # nothing, not even with each other
    ])
    X = np.column_stack([X, X[:, 1] + 0.15 * rng.randn(2000)])  # r ~ .99 with 1, ~.98 with 0
    corr = np.abs(np.corrcoef(X[:, [0, 1, 6]], rowvar=False))
    threshold = (corr[0, 1] + corr[0, 2]) / 2  # between: 6 duplicates 1 only
    assert corr[1, 2] > threshold
    order = np.arange(7)
    duplicate_of = find_near_duplicates(X, order, threshold)
    # 6 is close to 1, but 1 is itself marked, and 6 is less close to 0
    np.testing.assert_array_equal(duplicate_of, [-1, 0, -1, 0, -1, -1, -1])
    # the earlier feature in the order is the one kept (and 1, marked, still marks no 6)
    np.testing.assert_array_equal(
        find_near_duplicates(X, [3, 2, 1, 0, 4, 5, 6], threshold), [3, 3, -1, -1, -1, -1, -1]
    )
    # a feature past max_checked is never marked; threshold 1 catches exact copies only
    np.testing.assert_array_equal(
        find_near_duplicates(X, order, threshold, max_checked=3), [-1, 0, -1, -1, -1, -1, -1]
    )
    np.testing.assert_array_equal(find_near_duplicates(X, order, 1.0), [-1, -1, -1, 0, -1, -1, -1])


def test_find_near_duplicates_names_the_closest_earlier_feature():
    rng = np.random.RandomState(0)
    base = rng.randn(5000)
    first, second = base, base + 0.4 * rng.randn(5000)  # r ~ 0.93: both stay unmarked
    X = np.column_stack([first, second, (first + 2 * second) / 3 + 0.05 * rng.randn(5000)])
    corr = np.abs(np.corrcoef(X, rowvar=False))
    assert corr[0, 1] < 0.96 <= corr[2, 0] < corr[2, 1]
    np.testing.assert_array_equal(find_near_duplicates(X, [0, 1, 2], 0.96), [-1, -1, 1])


@pytest.mark.parametrize("to_sparse", [sp.csr_matrix, sp.csc_matrix])
def test_find_near_duplicates_sparse_float32_with_offsets_matches_dense(to_sparse):
    # float32 columns around 1e5 (a sum of squares there would lose everything but the
    # offset); column 2 is column 0 plus 1% noise, the others are independent
    rng = np.random.RandomState(0)
    X = rng.randn(3000, 5)
    X[:, 2] = X[:, 0] + 0.01 * rng.randn(3000)
    X = (1e5 + X).astype(np.float32)
    expected = [-1, -1, 0, -1, -1]
    np.testing.assert_array_equal(find_near_duplicates(X, np.arange(5), 0.97), expected)
    np.testing.assert_array_equal(
        find_near_duplicates(to_sparse(X), np.arange(5), 0.97), expected
    )
    corr = absolute_correlations(to_sparse(X), np.arange(5), chunk_rows=700)
    np.testing.assert_allclose(corr, np.abs(np.corrcoef(X.astype(np.float64), rowvar=False)),
                               atol=1e-6)


def test_path_importances_rank_demoted_features_last_within_their_tier():
    alphas = np.array([0.01, 0.02, 0.04, 0.08])
    leave = np.array([np.inf, np.inf, 0.08, 0.04, 0.02, 0.01])
    support = np.array([True, True, True, False, False, False])
    demoted = np.array([True, False, False, True, False, False])
    imp = path_importances(leave, support, alphas, demoted=demoted)
    assert list(np.argsort(-imp)) == [1, 2, 0, 4, 5, 3]
    assert np.all(imp[support] >= 1e-5) and np.all(imp[~support] < 1e-5)
    assert len(np.unique(imp)) == len(imp)
    # values of the others are their mean leave alphas, not lifted above the demoted ones
    np.testing.assert_allclose(imp[~demoted], path_importances(leave, support, alphas)[~demoted])


def test_cv_ranks_a_near_duplicate_after_the_other_features():
    X, y = make_seed_problem("circle", n_samples=800, random_state=0)
    rng = np.random.RandomState(0)
    twin = X[:, 0] + 0.05 * X[:, 0].std() * rng.randn(len(X))  # r ~ 0.999
    X = np.column_stack([X, twin])
    twin_index = X.shape[1] - 1
    clf = SparseMLPClassifierCV(cv=3, random_state=0).fit(X, y)
    pair = [0, twin_index]
    # one of the pair is marked as duplicating the other, nothing else is
    marked = np.flatnonzero(clf.duplicate_of_ >= 0)
    assert len(marked) == 1 and marked[0] in pair
    assert clf.duplicate_of_[marked[0]] == sum(pair) - marked[0]
    support = clf.get_support()
    assert support[1] and support[pair].any()
    np.testing.assert_array_equal(SelectFromModel(clf, prefit=True).get_support(), support)
    ranks = np.argsort(np.argsort(-clf.feature_importances_))
    tier = support == support[marked[0]]
    assert ranks[marked[0]] == ranks[tier].max()  # last of its tier
    # by the paths alone, the twin leaves with column 0 and takes the third place (the
    # marking moves it behind every feature of its tier, above); the model keeps the same
    # features either way
    unranked = clone(clf).set_params(redundancy_threshold=None).fit(X, y)
    assert (unranked.duplicate_of_ == -1).all()
    np.testing.assert_array_equal(unranked.get_support(), support)

    def top3(estimator):
        selector = SelectFromModel(estimator, prefit=True, max_features=3, threshold=-np.inf)
        return set(selector.get_support(indices=True))

    assert marked[0] in top3(unranked)
    assert {1, sum(pair) - marked[0]} <= top3(clf)



def test_bad_scoring_fails_before_the_path(monkeypatch):
    import sklearn_sparse_mlp._cv as cv_module

    def no_path(*args, **kwargs):
        raise AssertionError("the path ran")

    monkeypatch.setattr(cv_module, "cv_paths", no_path)
    X, y = make_seed_problem("circle", n_samples=100, random_state=0)
    with pytest.raises(ValueError, match="not a valid scoring"):
        SparseMLPClassifierCV(scoring="bogus").fit(X, y)
    with pytest.raises(ValueError, match="scoring='neg_log_loss' needs predict_proba.*'r2'"):
        SparseMLPRegressorCV(scoring="neg_log_loss").fit(X, X[:, 0])
    # folds that cannot train a classifier fail before the path, naming the fold
    y_rare = np.zeros(100, dtype=int)
    y_rare[-1] = 1
    with pytest.warns(UserWarning, match="least populated class"):
        with pytest.raises(ValueError, match=r"fold 1 of cv=2 holds only class \[0\]"):
            SparseMLPClassifierCV(cv=2).fit(X, y_rare)
    # a rare third class missing from a fold's training part is no error (that fold's model
    # just never predicts it)
    y_three = y.copy()
    y_three[-1] = 2
    with pytest.warns(UserWarning, match="least populated class"):
        assert len(SparseMLPClassifierCV(cv=2)._folds(X, y_three)) == 2
    with pytest.raises(ValueError, match="yields no split"):
        SparseMLPClassifierCV(cv=[]).fit(X, y)
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=r"'n_jobs'.*\(-inf, -1\].*Got 0"):
        SparseMLPClassifierCV(n_jobs=0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'max_drop_fraction'.*Got 1.5"):
        SparseMLPClassifierCV(max_drop_fraction=1.5).fit(X, y)
    for alphas in ([-1, 0.1], [[0.1, 0.2]], [np.nan]):
        with pytest.raises(ValueError, match="alphas must be"):
            SparseMLPClassifierCV(alphas=alphas).fit(X, y)
    from sklearn.model_selection import GroupKFold

    with pytest.raises(ValueError, match=r"splits by sample groups.*cv=list\(splitter.split"):
        SparseMLPClassifierCV(cv=GroupKFold(2)).fit(X, y)


@MAX_ITER_REACHED
def test_a_path_cut_short_by_alphas_warns():
    # 6 alphas from the data-derived start do not reach a sparse model here
    rng = np.random.RandomState(0)
    X = rng.randn(200, 4)
    y = (X[:, 0] > 0).astype(int)
    clf = SparseMLPClassifierCV(cv=2, alphas=6, hidden_layer_sizes=(8,), max_iter=60,
                                random_state=0)
    with pytest.warns(UserWarning, match="Increase alphas"):
        clf.fit(X, y)
    assert clf.alpha_ == clf.alphas_[-1] and clf.n_features_path_[-1] > 0


def test_path_importances_of_a_grid_of_zeros_are_finite():
    leave = np.array([[0.0, np.inf, 0.0], [np.inf, np.inf, 0.0]])
    imp = path_importances(leave, np.array([False, True, False]), np.array([0.0, 0.0]))
    assert np.all(np.isfinite(imp)) and list(np.argsort(-imp)) == [1, 0, 2]
    # a grid starting at 0: a feature that leaves at alpha=0 on one path ranks below one
    # that stays longer there, and above those that leave at 0 everywhere
    leave = np.array([[0.0, 0.1, 0.0], [0.1, 0.1, 0.0]])
    imp = path_importances(leave, np.zeros(3, dtype=bool), np.array([0.0, 0.1, 0.2]))
    assert np.all(np.isfinite(imp)) and list(np.argsort(-imp)) == [1, 0, 2]


@MAX_ITER_REACHED
def test_cv_verbose_1_is_a_progress_bar_and_2_adds_the_epoch_tables(capsys):
    rng = np.random.RandomState(0)
    X = rng.randn(100, 4)
    y = (X[:, 0] > 0).astype(int)
    params = dict(cv=2, alphas=[0.01, 0.1], hidden_layer_sizes=(8,), max_iter=8,
                  max_iter_per_alpha=3, relax_epochs=2, warmup_epochs=1, ramp_epochs=1,
                  random_state=0)
    clf = SparseMLPClassifierCV(verbose=1, **params).fit(X, y)
    captured = capsys.readouterr()
    assert "train_loss" not in captured.out and "alpha path (3 networks)" in captured.err
    # each phase, and the bar ends at the alphas walked (here both)
    assert "dense fits of the full data and the 2 training folds (3 networks" in captured.out
    assert "2/2" in captured.err and "relaxed refits of the folds" in captured.err
    kept = int(clf.get_support().sum())
    score = (clf.constant_scores_ if kept == 0 else
             clf.scores_path_[:, list(clf.alphas_).index(clf.alpha_)]).mean()
    assert (f"SparseMLPClassifierCV: alpha_={clf.alpha_:.4g} keeps {kept} of 4 features; "
            f"mean accuracy on the folds {score:.4g} (constant prediction "
            f"{clf.constant_scores_.mean():.4g})") in captured.out
    assert (f"feature_encoding='auto': dense skill {clf.dense_skill_:.3f} on the folds, "
            f"feature_encoding_={clf.feature_encoding_!r}") in captured.out
    SparseMLPClassifierCV(verbose=2, **params).fit(X, y)
    assert "train_loss" in capsys.readouterr().out


@MAX_ITER_REACHED
@SHORT_GRID
def test_cv_leaves_torch_global_rng_alone_and_continues_a_random_state_instance():
    X, y = make_seed_problem("circle", n_samples=200, random_state=0)
    params = dict(cv=2, alphas=4, max_iter=30, max_iter_per_alpha=5, relax_epochs=3,
                  warmup_epochs=2, ramp_epochs=2)
    before = torch.get_rng_state()
    SparseMLPClassifierCV(random_state=0, **params).fit(X, y)
    assert torch.equal(torch.get_rng_state(), before)
    # a RandomState instance: the model that predicts continues the full-data path's
    # stream (one seed drawn by the dense fit, one per alpha), as sparse_mlp_path's does
    cv = SparseMLPClassifierCV(random_state=np.random.RandomState(0), relax_epochs=0,
                               **{k: v for k, v in params.items() if k != "relax_epochs"})
    cv.fit(X, y)
    expected = np.random.RandomState(0)
    for _ in range(1 + len(cv.alphas_)):
        expected.randint(np.iinfo(np.int32).max)
    assert (cv.best_estimator_.random_state.randint(10**9) == expected.randint(10**9))


@MAX_ITER_REACHED
def test_cv_path_records_each_alphas_own_weights():
    X, y = make_seed_problem("circle", n_samples=200, random_state=0)
    cv = SparseMLPClassifierCV(cv=2, alphas=6, max_iter=40, max_iter_per_alpha=8,
                               relax_epochs=3, warmup_epochs=2, ramp_epochs=2,
                               random_state=0).fit(X, y)
    weights = cv.path_.lin1_weights
    assert not np.array_equal(weights[0], weights[-1])
    for W, support, norms in zip(weights, cv.path_.supports, cv.path_.feature_norms,
                                 strict=True):
        np.testing.assert_array_equal((W != 0).any(axis=0), support)
        np.testing.assert_allclose(norms, np.linalg.norm(W, axis=0), rtol=1e-6)


@MAX_ITER_REACHED
def test_cv_refines_its_grid_where_the_full_data_path_drops_many_features():
    X, y = make_seed_problem("xor", n_samples=300, n_features=12, random_state=3)
    params = dict(cv=2, hidden_layer_sizes=(16,), max_iter=80, max_iter_per_alpha=20,
                  random_state=0)
    plain = SparseMLPClassifierCV(**params).fit(X, y)
    refined = SparseMLPClassifierCV(**params, max_drop_fraction=0.2).fit(X, y)
    plain_ratios = plain.alphas_[1:] / plain.alphas_[:-1]
    np.testing.assert_allclose(plain_ratios[plain_ratios < 1.5], 1.25)
    ratios = refined.alphas_[1:] / refined.alphas_[:-1]
    assert np.any(ratios < 1.2)
    # a step drops at most a fifth of the features, or one, unless it is the smallest
    # step of its stride (3 grid steps before the first drop, then 1 or 2): 1/8 of it
    kept = refined.n_features_path_[:-1]
    drops = kept - refined.n_features_path_[1:]
    strides = grid_strides(refined.alphas_, refined.n_features_path_, kept[0])
    smallest = np.isclose(ratios, 1.25 ** (strides / 8))
    too_many = drops > np.maximum(1, 0.2 * kept)
    assert np.all(smallest[too_many])
