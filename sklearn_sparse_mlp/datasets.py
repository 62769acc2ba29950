"""Generated data whose informative features are known: the seed problems.

In the style of scikit-learn's ``make_*`` functions: standard normal features, a target that
depends on the first two only, the others noise. A selector should keep exactly ``[0, 1]``.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

__all__ = ["SEED_RULES", "make_seed_problem", "make_seed_regression"]

# Nonlinear rules of x0 and x1 only; in "square", x1 enters only through its square, so it has
# no linear signal at all.
SEED_RULES = {
    "square": lambda X: X[:, 0] + X[:, 1] ** 2 > 1.0,
    "circle": lambda X: X[:, 0] ** 2 + X[:, 1] ** 2 > 1.386,
    "xor": lambda X: X[:, 0] * X[:, 1] > 0,
}


@validate_params(
    {
        "rule": [StrOptions(set(SEED_RULES))],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_seed_problem(rule="square", *, n_samples=1000, n_features=10, random_state=None):
    """Binary classification by a nonlinear rule of the first two of many features.

    ``X`` is standard normal; the label is ``x0 + x1**2 > 1`` ("square"),
    ``x0**2 + x1**2 > 1.386`` ("circle", about balanced) or ``x0 * x1 > 0`` ("xor").

    Parameters
    ----------
    rule : {"square", "circle", "xor"}, default="square"
        The rule of ``x0`` and ``x1`` that gives the label.
    n_samples : int, default=1000
        Number of samples.
    n_features : int, default=10
        Number of features, >= 2; all but the first two are noise.
    random_state : int, RandomState instance or None, default=None
        Draws the features. The rows are drawn one after another: the first ``n`` rows of
        a larger draw with the same seed are those of a draw of ``n`` rows.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The features.
    y : ndarray of int of shape (n_samples,)
        The labels, 0 or 1.

    Examples
    --------
    >>> from sklearn_sparse_mlp.datasets import make_seed_problem
    >>> X, y = make_seed_problem("circle", n_samples=5, n_features=3, random_state=0)
    >>> X.shape, y.tolist()
    ((5, 3), [1, 1, 0, 0, 0])
    """
    rng = check_random_state(random_state)
    X = rng.randn(n_samples, n_features)
    return X, SEED_RULES[rule](X).astype(int)


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 2, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_seed_regression(*, n_samples=1000, n_features=10, noise=0.1, random_state=None):
    """Regression on the first two of many features: ``y = sin(2 x0) + x1**2 + noise``.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of samples.
    n_features : int, default=10
        Number of features, >= 2; all but the first two are noise.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to ``y``.
    random_state : int, RandomState instance or None, default=None
        Draws the features, then the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The features, standard normal.
    y : ndarray of shape (n_samples,)
        The target.

    Examples
    --------
    >>> from sklearn_sparse_mlp.datasets import make_seed_regression
    >>> X, y = make_seed_regression(n_samples=4, random_state=0)
    >>> X.shape, y.shape
    ((4, 10), (4,))
    """
    rng = check_random_state(random_state)
    X = rng.randn(n_samples, n_features)
    return X, np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + noise * rng.randn(n_samples)
