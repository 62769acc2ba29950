"""Narrow warning filters for tests that train briefly on purpose.

pyproject.toml turns ConvergenceWarning and DataAdviceWarning into errors, so that a test
that starts to warn unexpectedly fails. A test whose short fits (a small max_iter,
max_iter_per_alpha or number of alphas, to stay fast) warn as expected, but whose subject is
not convergence, takes the marker below that matches its warning, and no other. A test whose
subject is the warning (or whose user must see it) asserts it with pytest.warns instead.

The patterns are regular expressions matched against the start of the message; pytest splits
a filter at ":", so "." stands for the colon after the estimator's name.
"""

import pytest

# "SparseMLPClassifier: max_iter=70 epochs reached before the loss and the selected features
# converged; increase max_iter." (the CV estimators: "... features of the dense fits ...")
MAX_ITER_REACHED = pytest.mark.filterwarnings(
    r"ignore:\w+. max_iter=\d+ epochs reached before:sklearn.exceptions.ConvergenceWarning"
)

# "SparseMLPClassifier: the penalty never reached alpha=0.1: after max_iter=5 epochs it was
# at 0, ...": max_iter ends inside the schedule of warmup_epochs + ramp_epochs.
ALPHA_NOT_REACHED = pytest.mark.filterwarnings(
    r"ignore:\w+. the penalty never reached alpha=:sklearn.exceptions.ConvergenceWarning"
)

# "SparseMLPClassifierCV: the path ended after alphas=6 alphas with 3 of 10 features still
# selected, and the folds chose its last alpha: a sparser model may be better. Increase
# alphas (default 80).": a CV grid kept short for speed.
SHORT_GRID = pytest.mark.filterwarnings(
    r"ignore:\w+. the path ended after alphas=\d+ alphas:UserWarning"
)

# "SparseMLPClassifier: alpha=0.1 dropped every feature, so the model predicts a constant.
# ...": a short fit whose model is not the subject.
EVERY_FEATURE_DROPPED = pytest.mark.filterwarnings(
    r"ignore:\w+. alpha=\S+ dropped every feature:sklearn_sparse_mlp.DataAdviceWarning"
)
