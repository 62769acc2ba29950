"""scikit-learn's own estimator checks, with no expected failures."""

import os

import pytest
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from sklearn_sparse_mlp import (
    SparseMLPAutoencoder,
    SparseMLPClassifier,
    SparseMLPClassifierCV,
    SparseMLPRegressor,
    SparseMLPRegressorCV,
    StabilitySelection,
)

# The CV estimators with a short grid: each check fits several times.
_SHORT_CV = dict(
    cv=2, alphas=4, path_multiplier=3.0, max_iter_per_alpha=10, relax_epochs=5, max_iter=50,
    warmup_epochs=5, ramp_epochs=5, n_iter_no_change=3,
)
ESTIMATORS = [
    SparseMLPClassifier(),
    SparseMLPRegressor(),
    SparseMLPClassifierCV(**_SHORT_CV),
    SparseMLPRegressorCV(**_SHORT_CV),
    StabilitySelection(SparseMLPClassifierCV(**_SHORT_CV, feature_encoding=None), n_pairs=2),
    SparseMLPAutoencoder(SparseMLPRegressorCV(**_SHORT_CV)),
]


def test_environment_runs_the_conditional_checks():
    """check_classifier_data_not_an_array needs pandas; check_array_api_input needs this."""
    pytest.importorskip("pandas")
    if os.environ.get("SCIPY_ARRAY_API") != "1":
        pytest.skip("SCIPY_ARRAY_API=1 is not set (as `make test` does): scikit-learn skips "
                    "check_array_api_input without it")


# The checks test the API on tiny random data with short budgets: the advice these fits give
# (not converged, no signal, a short grid) is expected there and asserted elsewhere.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore::sklearn_sparse_mlp.DataAdviceWarning")
@pytest.mark.filterwarnings("ignore:.*the path ended after")
@pytest.mark.filterwarnings("ignore:No features were selected")  # a selector on noise
@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_check_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)
