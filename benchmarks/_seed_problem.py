"""The seed problems of the benchmarks and the tests, split into training and test rows.

The data are :mod:`sklearn_sparse_mlp.datasets`' generators; this only splits them: the first
``n_train`` rows train, the next ``n_test`` test.
"""

from sklearn_sparse_mlp.datasets import SEED_RULES, make_seed_regression
from sklearn_sparse_mlp.datasets import make_seed_problem as _classification

__all__ = ["SEED_RULES", "make_regression_twin", "make_seed_problem"]


def make_seed_problem(rule, random_state, n_features=10, n_train=800, n_test=200):
    """Classification: labels from ``SEED_RULES[rule]``; X_train, y_train, X_test, y_test."""
    X, y = _classification(rule, n_samples=n_train + n_test, n_features=n_features,
                           random_state=random_state)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def make_regression_twin(random_state, n_features=10, n_train=800, n_test=200):
    """Regression: y = sin(2 x0) + x1**2 + N(0, 0.1**2); X_train, y_train, X_test, y_test."""
    X, y = make_seed_regression(n_samples=n_train + n_test, n_features=n_features, noise=0.1,
                                random_state=random_state)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]
