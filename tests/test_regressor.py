import warnings

import numpy as np
import pytest
from _warning_filters import MAX_ITER_REACHED, SHORT_GRID
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectFromModel
from sklearn.model_selection import cross_validate
from sklearn.preprocessing import StandardScaler

from sklearn_sparse_mlp import SparseMLPRegressor, SparseMLPRegressorCV
from sklearn_sparse_mlp._regressor import target_scaling
from sklearn_sparse_mlp.callbacks import NonFiniteLossError
from sklearn_sparse_mlp.datasets import make_seed_regression


def test_regression_twin_recovers_features_0_and_1():
    successes = 0
    for random_state in range(5):
        X, y = make_seed_regression(n_samples=1000, random_state=random_state)
        X, y, X_test, y_test = X[:800], y[:800], X[800:], y[800:]
        reg = SparseMLPRegressor(alpha=0.15, random_state=random_state).fit(X, y)
        recovered = reg.get_support(indices=True).tolist() == [0, 1]
        if recovered:
            assert (reg.net_.module_.lin1.weight[:, 2:] == 0).all()
        successes += recovered and reg.score(X_test, y_test) > 0.75
    assert successes >= 4


@MAX_ITER_REACHED
def test_multi_output_and_shapes():
    X, y = make_seed_regression(n_samples=1000, random_state=0)
    X, y, X_test, _ = X[:800], y[:800], X[800:], y[800:]
    X, y = X[:400], y[:400]
    Y = np.column_stack([y, -2 * y])
    reg = SparseMLPRegressor(alpha=0.05, random_state=0, max_iter=100).fit(X, Y)
    assert reg.n_outputs_ == 2
    assert reg.predict(X_test).shape == (len(X_test), 2)
    reg1 = SparseMLPRegressor(alpha=0.05, random_state=0, max_iter=100).fit(X, y)
    assert reg1.predict(X_test).shape == (len(X_test),)
    assert reg1.score(X, y) > 0.5


def test_select_from_model_and_cross_validate():
    X, y = make_seed_regression(n_samples=600, random_state=1)
    X, y = X[:400], y[:400]
    reg = SparseMLPRegressor(alpha=0.3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(SelectFromModel(reg, prefit=True).get_support(),
                                  reg.get_support())
    scores = cross_validate(SparseMLPRegressor(alpha=0.1, random_state=0), X, y, cv=2)
    assert np.all(scores["test_score"] > 0.5)


@MAX_ITER_REACHED
def test_regressor_errors():
    X, y = make_seed_regression(n_samples=300, random_state=0)
    X, y = X[:100], y[:100]
    with pytest.raises(ValueError, match="NaN"):
        SparseMLPRegressor().fit(X, np.full_like(y, np.nan))
    reg = SparseMLPRegressor(max_iter=2, warmup_epochs=0, ramp_epochs=0, warm_start=True)
    reg.fit(X, y)
    with pytest.raises(ValueError, match="y has 2 outputs"):
        reg.fit(X, np.column_stack([y, y]))


def test_regressor_divergence_advice_names_the_learning_rate():
    X, y = make_seed_regression(n_samples=400, random_state=0)
    X, y = X[:200], y[:200]
    reg = SparseMLPRegressor(solver="sgd", learning_rate_init=10.0, max_iter=20, random_state=0)
    with pytest.raises(NonFiniteLossError, match="lower learning_rate_init"):
        reg.fit(X, y)


@MAX_ITER_REACHED
def test_a_refused_warm_start_leaves_the_fitted_model_as_it_was():
    rng = np.random.RandomState(0)
    X = rng.randn(100, 4)
    y = X[:, :1] * 2.0  # (n, 1): predict returns (n, 1)
    reg = SparseMLPRegressor(max_iter=3, warmup_epochs=0, ramp_epochs=0, random_state=0)
    reg.fit(X, y)
    before = reg.predict(X[:2])
    with pytest.raises(ValueError, match="cannot change activation"):
        reg.set_params(warm_start=True, activation="tanh").fit(X, y.ravel())
    np.testing.assert_array_equal(reg.predict(X[:2]), before)
    assert before.shape == (2, 1)


def test_target_scaling_is_the_weighted_mean_and_standard_deviation():
    rng = np.random.RandomState(0)
    y = np.column_stack([rng.randn(50) * 7 + 3, np.full(50, 2.5), rng.rand(50) * 1e300])
    weight = rng.randint(0, 4, 50).astype(float)
    mean, scale = target_scaling(y, weight)
    scaler = StandardScaler().fit(y[:, :2], sample_weight=weight)
    # to float32's precision, 2**-24
    np.testing.assert_allclose(mean[:2], scaler.mean_, rtol=6e-8)
    np.testing.assert_allclose(scale[:2], scaler.scale_, rtol=6e-8)
    assert scale[1] == 1.0  # a constant output is only centred
    # no overflow in the squares, where StandardScaler's would overflow
    unit = StandardScaler().fit(y[:, 2:] / 1e300, sample_weight=weight)
    np.testing.assert_allclose(scale[2], 1e300 * unit.scale_[0], rtol=6e-8)
    np.testing.assert_allclose(target_scaling(y)[0], y.mean(axis=0), rtol=6e-8)


@pytest.mark.parametrize("factor, shift", [(1e3, -50.0), (1e-3, 0.0), (1e39, 1e40), (0.1, 1e8)])
def test_alpha_and_predictions_do_not_depend_on_the_unit_of_y(factor, shift):
    X, y = make_seed_regression(n_samples=400, random_state=0)
    params = dict(alpha=0.15, max_iter=80, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a short budget, on purpose
        reg = SparseMLPRegressor(**params).fit(X, y)
        scaled = SparseMLPRegressor(**params).fit(X, factor * y + shift)
    np.testing.assert_array_equal(scaled.get_support(), reg.get_support())
    assert reg.get_support(indices=True).tolist() == [0, 1]
    np.testing.assert_allclose(scaled.target_mean_, [factor * y.mean() + shift], rtol=6e-8)
    np.testing.assert_allclose(scaled.target_scale_, [factor * y.std()], rtol=6e-8)
    # the network trained on the same standardized target; predictions come back in y's unit
    prediction = scaled.predict(X)
    assert prediction.dtype == np.float64
    np.testing.assert_allclose((prediction - shift) / factor, reg.predict(X), atol=1e-4)
    assert scaled.score(X, factor * y + shift) == pytest.approx(reg.score(X, y), abs=1e-5)


def test_integer_weights_scale_the_target_like_repeated_rows():
    X, y = make_seed_regression(n_samples=300, random_state=1)
    X, y = X[:150], 10.0 * y[:150] + 4.0
    repeats = np.random.RandomState(0).randint(0, 3, len(y))
    params = dict(alpha=0.15, max_iter=30, warmup_epochs=10, ramp_epochs=10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = SparseMLPRegressor(**params).fit(X, y, sample_weight=repeats)
        repeated = SparseMLPRegressor(**params).fit(np.repeat(X, repeats, axis=0),
                                                    np.repeat(y, repeats))
    np.testing.assert_allclose(weighted.target_mean_, np.average(y, weights=repeats), rtol=6e-8)
    np.testing.assert_array_equal(weighted.target_mean_, repeated.target_mean_)
    np.testing.assert_array_equal(weighted.target_scale_, repeated.target_scale_)
    assert weighted.target_mean_ != pytest.approx(y.mean(), rel=1e-3)
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-4, atol=1e-4)


def test_partial_fit_and_warm_start_keep_the_first_scaling():
    X, y = make_seed_regression(n_samples=400, random_state=0)
    params = dict(alpha=0.1, max_iter=5, warmup_epochs=2, ramp_epochs=2, random_state=0)
    reg = SparseMLPRegressor(**params)
    reg.partial_fit(X[:200], y[:200])
    first = reg.target_mean_.copy(), reg.target_scale_.copy()
    np.testing.assert_allclose(first, ([y[:200].mean()], [y[:200].std()]), rtol=6e-8)
    reg.partial_fit(X[200:], 5.0 * y[200:] + 1.0)
    np.testing.assert_array_equal(reg.target_mean_, first[0])
    np.testing.assert_array_equal(reg.target_scale_, first[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm = SparseMLPRegressor(warm_start=True, **params).fit(X, y)
        warm.fit(X, 3.0 * y)  # continues the network trained on y's scaling
        np.testing.assert_allclose(warm.target_scale_, [y.std()], rtol=6e-8)
        warm.set_params(warm_start=False).fit(X, 3.0 * y)  # a new network: a new scaling
    np.testing.assert_allclose(warm.target_scale_, [3.0 * y.std()], rtol=6e-8)


@MAX_ITER_REACHED
@SHORT_GRID
def test_the_cv_regressor_path_trains_at_most_5_epochs_per_alpha_by_default():
    """The regressor's default budget per alpha is 5 epochs (the classifier's 25): the path
    is the one with ``max_iter_per_alpha=5`` given, and its alphas stop at 5 epochs."""
    X, y = make_seed_regression(n_samples=300, n_features=5, random_state=0)
    common = dict(cv=2, alphas=6, path_multiplier=1.6, max_iter=40, warmup_epochs=5,
                  ramp_epochs=5, relax_epochs=5, random_state=0)
    default = SparseMLPRegressorCV(**common).fit(X, y)
    given = SparseMLPRegressorCV(**common, max_iter_per_alpha=5).fit(X, y)
    longer = SparseMLPRegressorCV(**common, max_iter_per_alpha=25).fit(X, y)
    assert default.max_iter_per_alpha == 5
    assert np.diff(default.path_.n_epochs).max() == 5
    np.testing.assert_array_equal(default.path_.n_epochs, given.path_.n_epochs)
    assert np.diff(longer.path_.n_epochs).max() > 5
