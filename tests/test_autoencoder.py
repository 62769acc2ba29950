import numpy as np
import pytest
from sklearn.metrics import r2_score
from sklearn.model_selection import GroupKFold, KFold

from sklearn_sparse_mlp import (
    SparseMLPAutoencoder,
    SparseMLPClassifierCV,
    SparseMLPRegressor,
    SparseMLPRegressorCV,
)
from sklearn_sparse_mlp._autoencoder import (
    candidate_counts,
    greedy_column_subset,
    held_out_gains,
)

_FAST = dict(max_iter=200, warmup_epochs=20, ramp_epochs=20, max_iter_per_alpha=15,
             relax_epochs=30)


def _factors(seed, n=300, n_factors=4, copies=3, n_noise=8):
    """Each latent factor copied with noise into ``copies`` columns (column j copies factor
    j % n_factors), then pure noise columns."""
    rng = np.random.RandomState(seed)
    factors = rng.randn(n, n_factors)
    copied = [factors + 0.3 * rng.randn(n, n_factors) for _ in range(copies)]
    return np.hstack([*copied, rng.randn(n, n_noise)]), n_factors * copies


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_column_per_latent_factor_and_no_noise(seed):
    X, n_copied = _factors(seed)
    selector = SparseMLPAutoencoder(SparseMLPRegressorCV(random_state=seed, **_FAST),
                                    n_features_to_select=4).fit(X)
    kept = selector.get_support(indices=True)
    assert np.all(kept < n_copied)  # no noise column
    assert sorted(kept % 4) == [0, 1, 2, 3]  # one copy of each factor
    assert selector.transform(X).shape == (len(X), 4)
    # the ranking: the selected first, then the other copies, then the noise
    order = np.argsort(-selector.feature_importances_)
    assert set(order[:4]) == set(kept)
    assert set(order[4:n_copied]) == set(range(n_copied)) - set(kept)


@pytest.mark.parametrize("seed", [3, 4])
def test_one_column_per_factor_where_copies_leave_the_path_together(seed):
    """The benchmark's factor data (400 rows) on the seeds where the copies of two factors
    stayed on the path longest: screening the 2k columns longest on the path kept two
    copies of one factor and none of another; the greedy selection over all the columns
    keeps one of each."""
    X = _factors(seed, n=800)[0][:400]
    selector = SparseMLPAutoencoder(SparseMLPRegressorCV(random_state=seed),
                                    n_features_to_select=4).fit(X)
    kept = selector.get_support(indices=True)
    assert np.all(kept < 12) and sorted(kept % 4) == [0, 1, 2, 3]


def test_inverse_transform_reconstructs_the_dropped_columns_and_score_is_its_r2():
    X, n_copied = _factors(0)
    X = 5.0 * X + 3.0  # in other units: the selector standardizes
    selector = SparseMLPAutoencoder(SparseMLPRegressorCV(random_state=0, **_FAST),
                                    n_features_to_select=4).fit(X)
    np.testing.assert_allclose(selector.mean_, X.mean(axis=0), rtol=1e-6)
    # one scale for all columns: the root mean of their variances
    np.testing.assert_allclose(selector.scale_, np.sqrt(np.mean(X.var(axis=0))), rtol=1e-6)
    kept = selector.get_support()
    full = selector.inverse_transform(selector.transform(X))
    np.testing.assert_array_equal(full[:, kept], X[:, kept])
    per_column = r2_score(X, full, multioutput="raw_values")
    # each dropped copy from the kept copy of its factor: the noise allows about .84
    dropped_copies = np.flatnonzero(~kept[:n_copied])
    assert np.all(per_column[dropped_copies] > 0.7)
    assert np.all(np.abs(per_column[n_copied:]) < 0.2)  # noise: nothing to reconstruct from
    assert selector.score(X) == pytest.approx(
        r2_score(X, full, multioutput="variance_weighted"))
    with pytest.raises(ValueError, match="X has 5 columns, but SparseMLPAutoencoder selected 4"):
        selector.inverse_transform(X[:, :5])


def _brute_force_subset(Z, k, candidates, chosen=()):
    """Each step, the candidate after which least variance of all columns is left in the
    least-squares residuals of the picked columns."""
    picked, left = list(chosen), list(candidates)
    for _ in range(k):
        def residual(c):
            B = Z[:, picked + [c]]
            coef = np.linalg.lstsq(B, Z, rcond=None)[0]
            return np.sum((Z - B @ coef) ** 2)
        best = min(left, key=residual)
        picked.append(best)
        left.remove(best)
    return picked[len(chosen):]


def test_greedy_column_subset_picks_what_explains_the_most_variance_left():
    rng = np.random.RandomState(0)
    a, b, c, d = rng.randn(4, 500)
    Z = np.column_stack([a, 0.9 * a + 0.2 * rng.randn(500), 2 * b, c + 0.5 * d, 0.5 * c, d])
    Z -= Z.mean(axis=0)
    picked = greedy_column_subset(Z, 4, range(6))
    np.testing.assert_array_equal(picked, _brute_force_subset(Z, 4, range(6)))
    assert picked[0] == 2  # 2 b alone explains the most variance
    # chosen columns are deflated first
    np.testing.assert_array_equal(greedy_column_subset(Z, 2, [1, 3, 4, 5], chosen=[0, 2]),
                                  _brute_force_subset(Z, 2, [1, 3, 4, 5], chosen=[0, 2]))
    assert 1 not in greedy_column_subset(Z, 2, [1, 3, 4, 5], chosen=[0, 2])  # a's copy
    # weights: rows of weight 0 are rows removed
    weight = np.where(np.arange(500) % 3 == 0, 0.0, 1.0)
    np.testing.assert_array_equal(
        greedy_column_subset(Z, 4, range(6), sample_weight=weight),
        greedy_column_subset(Z[weight > 0], 4, range(6)))


def test_how_many_to_select_and_errors():
    X, _ = _factors(0, n=120, n_noise=2)  # 14 columns
    fast = dict(max_iter=40, warmup_epochs=5, ramp_epochs=5, max_iter_per_alpha=5,
                relax_epochs=5, alphas=10, random_state=0)
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        share = SparseMLPAutoencoder(SparseMLPRegressorCV(**fast), n_features_to_select=0.3)
        assert share.fit(X).get_support().sum() == 4  # int(0.3 * 14)
        single = SparseMLPAutoencoder(SparseMLPRegressor(max_iter=40, random_state=0),
                                      n_features_to_select=3).fit(X)
    assert single.get_support().sum() == 3
    assert (share.n_features_to_select_, single.n_features_to_select_) == (4, 3)
    assert not hasattr(share, "scores_path_")  # a given k: no folds
    # the relaxed network reads the selected columns only
    np.testing.assert_array_equal(single.estimator_.get_support(), single.get_support())
    with pytest.raises(ValueError, match="n_features_to_select=14 keeps every one of the 14"):
        SparseMLPAutoencoder(n_features_to_select=14).fit(X)
    with pytest.raises(ValueError, match="estimator must be a SparseMLPRegressor or "
                                         "SparseMLPRegressorCV, got SparseMLPClassifierCV"):
        SparseMLPAutoencoder(SparseMLPClassifierCV()).fit(X)
    with pytest.raises(ValueError, match="a minimum of 2 is required"):
        SparseMLPAutoencoder().fit(X[:, :1])
    assert not hasattr(SparseMLPAutoencoder(n_features_to_select=14), "support_")


def test_zero_weights_are_rows_removed():
    X, _ = _factors(1, n=200)
    weight = np.where(np.arange(len(X)) % 4 == 0, 0.0, 1.0)
    template = SparseMLPRegressorCV(random_state=0, **_FAST)
    weighted = SparseMLPAutoencoder(template, n_features_to_select=4).fit(
        X, sample_weight=weight)
    removed = SparseMLPAutoencoder(template, n_features_to_select=4).fit(X[weight > 0])
    np.testing.assert_array_equal(weighted.mean_, removed.mean_)
    np.testing.assert_array_equal(weighted.get_support(), removed.get_support())
    np.testing.assert_allclose(weighted.inverse_transform(weighted.transform(X)),
                               removed.inverse_transform(removed.transform(X)), atol=1e-4)


def test_the_loss_is_xs_squared_error_in_its_units():
    """One common scale: a column of small variance weighs little in the reconstruction
    loss, as in X's squared error; the network does not standardize its outputs again."""
    rng = np.random.RandomState(0)
    X = np.column_stack([10 * rng.randn(200, 3), 0.01 * rng.randn(200, 2)])
    selector = SparseMLPAutoencoder(SparseMLPRegressorCV(random_state=0, **_FAST),
                                    n_features_to_select=2).fit(X)
    scale = np.sqrt(np.mean(X.var(axis=0)))
    np.testing.assert_allclose(selector.scale_, scale, rtol=1e-6)
    np.testing.assert_array_equal(selector.estimator_.target_mean_, 0.0)
    np.testing.assert_array_equal(selector.estimator_.target_scale_, 1.0)
    # the small columns cost the squared error almost nothing: the large ones are kept
    assert set(selector.get_support(indices=True)) <= {0, 1, 2}


# -- n_features_to_select=None: folds choose k ------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_folds_choose_one_column_per_latent_factor(seed):
    X, n_copied = _factors(seed)  # 4 factors, 3 copies each, 8 noise columns
    selector = SparseMLPAutoencoder(SparseMLPRegressorCV(random_state=seed, **_FAST)).fit(X)
    kept = selector.get_support(indices=True)
    assert selector.n_features_to_select_ == 4
    assert np.all(kept < n_copied)  # no noise column
    assert sorted(kept % 4) == [0, 1, 2, 3]  # one copy of each factor
    # the template's 5 folds scored 1 to 10 (half the 20 columns) columns, and none
    np.testing.assert_array_equal(selector.n_features_path_, [10, 8, 7, 6, 5, 4, 3, 2, 1, 0])
    assert selector.scores_path_.shape == (5, 10)
    np.testing.assert_array_equal(selector.constant_scores_, 0.0)
    np.testing.assert_array_equal(selector.scores_path_[:, -1], 0.0)
    mean = dict(zip(selector.n_features_path_, selector.scores_path_.mean(axis=0),
                    strict=True))
    # one copy of each factor reconstructs the 8 other copies (R^2 about .84 each, of
    # about 21 column variances: ~.33); a fourth factor adds ~.09, a 5th column nothing
    assert 0.25 < mean[4] < 0.45
    assert mean[4] - mean[3] > 0.05
    assert mean[4] >= max(mean.values()) - 0.01


def test_a_chosen_k_selects_as_that_k_given():
    X, _ = _factors(3)
    selector = SparseMLPAutoencoder(SparseMLPRegressorCV(random_state=0, **_FAST)).fit(X)
    chosen = selector.get_support()
    k, alpha = selector.n_features_to_select_, selector.alpha_
    np.testing.assert_array_equal(selector.alphas_, selector.path_.alphas)
    # refitted with that k given: the same selection, and no folds' attributes left
    selector.set_params(n_features_to_select=k).fit(X)
    np.testing.assert_array_equal(selector.get_support(), chosen)
    assert selector.alpha_ == alpha
    for name in ("scores_path_", "n_features_path_", "constant_scores_"):
        assert not hasattr(selector, name)


@pytest.mark.parametrize("seed", [0, 1])
def test_folds_keep_few_columns_of_data_without_structure(seed):
    """Independent columns: no selection explains the columns it drops. Measured (300 rows,
    20 columns, seeds 0 to 15): k = 1 on 12 seeds, 2 on 3 and 7 on one (a sample whose
    chance correlations the folds share), mean held-out scores at most .004."""
    X = np.random.RandomState(seed).randn(300, 20)
    selector = SparseMLPAutoencoder(SparseMLPRegressorCV(random_state=seed, **_FAST)).fit(X)
    assert selector.n_features_to_select_ <= 3
    assert selector.scores_path_.mean(axis=0).max() < 0.02  # factors: about .34


def test_held_out_gains_count_what_a_selection_explains_in_the_columns_it_drops():
    total = np.array([[4.0, 2.0, 2.0], [4.0, 2.0, 2.0], [0.0, 0.0, 0.0]])
    selected = np.array([[True, False, False], [False, True, False], [False, False, True]])
    removed = np.array([[9.0, 1.0, -0.5], [2.0, 9.0, 0.2], [1.0, 1.0, 0.0]])
    gains = held_out_gains(removed[:, None], total, selected[:, None])
    assert gains.shape == (3, 1)
    # a selected column counts nothing (9.0); column 2 is dropped by folds 0 and 1, whose
    # reconstructions remove -0.5 + 0.2 < 0 in all: fold 1's lucky 0.2 does not count
    np.testing.assert_allclose(gains[:, 0], [1.0 / 8, 2.0 / 8, 0.0])  # fold 2: no variance
    # two selections of one fold: each counts its own dropped columns
    gains = held_out_gains(np.array([[[3.0, 1.0], [0.0, 1.5]]]), np.array([[4.0, 4.0]]),
                           np.array([[[False, True], [True, False]]]))
    np.testing.assert_allclose(gains, [[3.0 / 8, 1.5 / 8]])


def test_candidate_counts():
    np.testing.assert_array_equal(candidate_counts(2), [1])
    np.testing.assert_array_equal(candidate_counts(3), [1])
    np.testing.assert_array_equal(candidate_counts(20), [1, 2, 3, 4, 5, 6, 7, 8, 10])
    counts = candidate_counts(784)
    assert counts[-1] == 392 and np.all(np.diff(counts) >= 1)
    assert np.all(counts[1:] <= np.maximum(counts[:-1] + 1, np.round(1.2 * counts[:-1])))


def test_the_folds_that_choose_k_and_their_errors():
    X, _ = _factors(0, n=40, n_noise=2)
    # a single-fit template: 5 shuffled folds seeded by its random_state
    folds = SparseMLPAutoencoder._folds(SparseMLPRegressor(random_state=3), X, None)
    for (_, test), (_, expected) in zip(
            folds, KFold(5, shuffle=True, random_state=3).split(X), strict=True):
        np.testing.assert_array_equal(test, expected)
    # a CV template's cv, as it splits
    folds = SparseMLPAutoencoder._folds(SparseMLPRegressorCV(cv=4), X, None)
    np.testing.assert_array_equal(folds[0][1], np.arange(10))
    # errors come before any fit, and leave the selector unfitted
    selector = SparseMLPAutoencoder(SparseMLPRegressorCV(cv=5))
    with pytest.raises(ValueError, match="n_splits=5 greater than the number of samples"):
        selector.fit(X[:4])
    weight = np.where(np.arange(40) < 8, 0.0, 1.0)  # the first fold's test part
    with pytest.raises(ValueError, match="test part of fold 0 .* has only samples of weight 0"):
        selector.fit(X, sample_weight=weight)
    with pytest.raises(ValueError, match="splits by sample groups"):
        SparseMLPAutoencoder(SparseMLPRegressorCV(cv=GroupKFold(2))).fit(X)
    with pytest.raises(ValueError, match="'selection' parameter of SparseMLPRegressorCV"):
        SparseMLPAutoencoder(SparseMLPRegressorCV(selection="worst")).fit(X)
    assert not hasattr(selector, "mean_")


def test_on_wide_data_the_folds_choose_among_the_columns_longest_on_the_path(monkeypatch):
    from sklearn_sparse_mlp import _autoencoder

    seen = []

    def recording(Z, folds, candidates, n_picks, sample_weight=None):
        seen.append((np.asarray(candidates), n_picks))
        return fold_orders(Z, folds, candidates, n_picks, sample_weight)

    fold_orders = _autoencoder.fold_orders
    monkeypatch.setattr(_autoencoder, "_MAX_CV_CANDIDATES", 6)  # "wide": 20 columns
    monkeypatch.setattr(_autoencoder, "fold_orders", recording)
    X, n_copied = _factors(0)
    selector = SparseMLPAutoencoder(SparseMLPRegressorCV(random_state=0, **_FAST)).fit(X)
    (candidates, n_picks), = seen
    assert n_picks == 6 and selector.n_features_path_[0] == 6  # k up to the 6 candidates
    leave = selector.path_.feature_leave_alphas
    assert len(candidates) == 6 and leave[candidates].min() >= np.sort(leave)[-6]
    assert np.all(candidates < n_copied)  # the noise columns leave the path first
    assert set(selector.get_support(indices=True)) <= set(candidates)  # and the selection


def test_the_default_template_walks_25_epochs_per_alpha():
    """Without a template the autoencoder's path keeps 25 epochs per alpha (its benchmarks'
    budget), not the CV regressor's default of 5."""
    X, _ = _factors(0, n=120, n_factors=2, copies=2, n_noise=2)
    default = SparseMLPAutoencoder(n_features_to_select=2, random_state=0).fit(X)
    template = SparseMLPRegressorCV(max_iter_per_alpha=25, random_state=0)
    given = SparseMLPAutoencoder(template, n_features_to_select=2).fit(X)
    assert np.diff(default.path_.n_epochs).max() > 5
    np.testing.assert_array_equal(default.path_.n_epochs, given.path_.n_epochs)
    np.testing.assert_array_equal(default.get_support(), given.get_support())
