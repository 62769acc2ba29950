import numpy as np
import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed_everything():
    torch.manual_seed(0)
    np.random.seed(0)


# Nonlinear rules of x0 and x1 only; x1 enters the first only through its square.
SEED_RULES = {
    "square": lambda X: X[:, 0] + X[:, 1] ** 2 > 1.0,
    "circle": lambda X: X[:, 0] ** 2 + X[:, 1] ** 2 > 1.386,
    "xor": lambda X: X[:, 0] * X[:, 1] > 0,
}


def make_seed_problem(rule, random_state, n_features=10, n_train=800, n_test=200):
    """The classic question's data: X ~ N(0, I), labels from a rule of x0 and x1 only."""
    rng = np.random.RandomState(random_state)
    X = rng.randn(n_train + n_test, n_features)
    y = SEED_RULES[rule](X).astype(int)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]
