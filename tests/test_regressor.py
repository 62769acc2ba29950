import numpy as np
import pytest
from sklearn.feature_selection import SelectFromModel
from sklearn.model_selection import cross_validate

from sklearn_sparse_mlp import SparseMLPRegressor
from sklearn_sparse_mlp.callbacks import NonFiniteLossError
from sklearn_sparse_mlp.datasets import make_seed_regression


def test_regression_twin_recovers_features_0_and_1():
    successes = 0
    for random_state in range(5):
        X, y = make_seed_regression(n_samples=1000, random_state=random_state)
        X, y, X_test, y_test = X[:800], y[:800], X[800:], y[800:]
        reg = SparseMLPRegressor(alpha=0.3, random_state=random_state).fit(X, y)
        recovered = reg.get_support(indices=True).tolist() == [0, 1]
        if recovered:
            assert (reg.net_.module_.lin1.weight[:, 2:] == 0).all()
        successes += recovered and reg.score(X_test, y_test) > 0.75
    assert successes >= 4


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


def test_regressor_errors():
    X, y = make_seed_regression(n_samples=300, random_state=0)
    X, y = X[:100], y[:100]
    with pytest.raises(ValueError, match="NaN"):
        SparseMLPRegressor().fit(X, np.full_like(y, np.nan))
    reg = SparseMLPRegressor(max_iter=2, warmup_epochs=0, ramp_epochs=0, warm_start=True)
    reg.fit(X, y)
    with pytest.raises(ValueError, match="y has 2 outputs"):
        reg.fit(X, np.column_stack([y, y]))


def test_regressor_divergence_advice_names_the_target_scale():
    X, y = make_seed_regression(n_samples=400, random_state=0)
    X, y = X[:200], y[:200]
    reg = SparseMLPRegressor(solver="sgd", learning_rate_init=10.0, max_iter=20, random_state=0)
    with pytest.raises(NonFiniteLossError, match="standardize the target"):
        reg.fit(X, 1e3 * y)


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


def test_a_target_beyond_float32_is_refused_with_the_fix():
    rng = np.random.RandomState(0)
    X = rng.randn(50, 3)
    with pytest.raises(ValueError, match="y has values beyond the float32 range.*scale the"):
        SparseMLPRegressor().fit(X, X[:, 0] * 1e39)
    with pytest.raises(ValueError, match="y has values beyond the float32 range"):
        SparseMLPRegressor().partial_fit(X, X[:, 0] * 1e39)
