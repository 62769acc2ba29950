"""The seed problem family of the benchmarks and the tests (tests/conftest.py imports it).

X ~ N(0, I), 800 train / 200 test, the target a nonlinear function of x0 and x1 only.
"""

import numpy as np

# Nonlinear rules of x0 and x1 only; x1 enters the first only through its square.
SEED_RULES = {
    "square": lambda X: X[:, 0] + X[:, 1] ** 2 > 1.0,
    "circle": lambda X: X[:, 0] ** 2 + X[:, 1] ** 2 > 1.386,
    "xor": lambda X: X[:, 0] * X[:, 1] > 0,
}


def make_seed_problem(rule, random_state, n_features=10, n_train=800, n_test=200):
    """Classification: labels from ``SEED_RULES[rule]``."""
    rng = np.random.RandomState(random_state)
    X = rng.randn(n_train + n_test, n_features)
    y = SEED_RULES[rule](X).astype(int)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def make_regression_twin(random_state, n_features=10, n_train=800, n_test=200):
    """Regression: y = sin(2 x0) + x1**2 + N(0, 0.1**2)."""
    rng = np.random.RandomState(random_state)
    X = rng.randn(n_train + n_test, n_features)
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + 0.1 * rng.randn(n_train + n_test)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]
