"""
=======================================
Choosing alpha with GridSearchCV
=======================================

The penalty strength ``alpha`` of :class:`~sklearn_sparse_mlp.SparseMLPClassifier` trades
accuracy for sparsity: the larger it is, the fewer input features the network keeps. Like any
other scikit-learn hyper-parameter it can be chosen by cross-validation with
:class:`~sklearn.model_selection.GridSearchCV`.

A second scorer records how many features each fit kept, so that one search gives both
curves: cross-validated accuracy and number of selected features against ``alpha``.
"""

# %%
# A problem with few informative features
# ---------------------------------------
# 20 features, of which 4 are informative and 16 pure noise.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_sparse_mlp import SparseMLPClassifier

X, y = make_classification(
    n_samples=600,
    n_features=20,
    n_informative=4,
    n_redundant=0,
    n_clusters_per_class=2,
    shuffle=False,  # the informative features are the first 4 columns
    random_state=0,
)


# %%
# The search
# ----------
# ``n_selected`` is a scorer like any other: a callable ``(estimator, X, y) -> float``. With
# several scorers, ``refit`` names the one that picks the best ``alpha``.
def n_selected(estimator, X, y):
    return int(estimator.get_support().sum())


alphas = np.logspace(-2, -0.5, 7)
search = GridSearchCV(
    SparseMLPClassifier(hidden_layer_sizes=(32,), max_iter=500, random_state=0),
    param_grid={"alpha": alphas},
    scoring={"accuracy": "accuracy", "n_selected": n_selected},
    refit="accuracy",
    cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0),
)
search.fit(X, y)

best = search.best_estimator_
print(f"best alpha: {search.best_params_['alpha']:.3g}")
print(f"cross-validated accuracy: {search.best_score_:.3f}")
print(f"features kept by the refitted model: {best.get_support(indices=True)}")

# %%
# Accuracy and sparsity against alpha
# -----------------------------------
results = search.cv_results_
fig, ax1 = plt.subplots(figsize=(7, 4), layout="constrained")
ax1.errorbar(
    alphas,
    results["mean_test_accuracy"],
    yerr=results["std_test_accuracy"],
    marker="o",
    color="tab:blue",
    label="accuracy",
)
ax1.set_xscale("log")
ax1.set_xlabel("alpha")
ax1.set_ylabel("mean test accuracy (3-fold CV)", color="tab:blue")
ax1.axvline(search.best_params_["alpha"], color="gray", linestyle=":")

ax2 = ax1.twinx()
ax2.plot(alphas, results["mean_test_n_selected"], marker="s", color="tab:orange")
ax2.axhline(4, color="tab:orange", linestyle="--", linewidth=1)
ax2.set_ylabel("features selected (mean over folds)", color="tab:orange")
ax2.set_ylim(0, X.shape[1] + 1)
ax1.set_title("GridSearchCV over alpha (dashed: the 4 informative features)")
plt.show()

# %%
# Small values of ``alpha`` keep most of the noise features; large values drop informative
# ones too and the accuracy falls. ``GridSearchCV`` picks the most accurate ``alpha``, which
# here still keeps some noise features.
#
# A sparser choice: the one-standard-error rule
# ---------------------------------------------
# Take the largest ``alpha`` whose mean accuracy is within one standard error of the best.
# The same rule can be passed to ``GridSearchCV`` as a callable ``refit`` that returns the
# chosen index of ``cv_results_``.
def one_standard_error(cv_results):
    mean = cv_results["mean_test_accuracy"]
    sem = cv_results["std_test_accuracy"] / np.sqrt(3 - 1)
    best = np.argmax(mean)
    within = np.flatnonzero(mean >= mean[best] - sem[best])
    alphas = np.asarray(cv_results["param_alpha"], dtype=float)
    return int(within[np.argmax(alphas[within])])


chosen = one_standard_error(results)
print(
    f"one-standard-error rule: alpha = {alphas[chosen]:.3g}, "
    f"accuracy = {results['mean_test_accuracy'][chosen]:.3f}, "
    f"features = {results['mean_test_n_selected'][chosen]:.1f} (mean over folds)"
)
