"""
=====================================================
Feature selection in a pipeline with SelectFromModel
=====================================================

:class:`~sklearn_sparse_mlp.SparseMLPClassifier` trains a small neural network whose first
layer is penalised by a group lasso over the input features. The features whose column of
``lin1.weight`` is driven to exactly zero are dropped. Because the estimator exposes
``feature_importances_`` and reports ``penalty == "l1"``, it plugs into scikit-learn's
:class:`~sklearn.feature_selection.SelectFromModel` with the default threshold (``1e-5``),
which then keeps exactly the features of
:meth:`~sklearn_sparse_mlp.SparseMLPClassifier.get_support`.

Here the selected features feed a plain logistic regression. With
``set_output(transform="pandas")`` every step passes a DataFrame on, so the column names of
the breast cancer data survive the selection.
"""

# %%
# Data and pipeline
# -----------------
# The features of the breast cancer data set have very different scales: standardise them
# first, the penalty treats every column of ``lin1.weight`` alike.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_sparse_mlp import SparseMLPClassifier

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

# Full-batch training (one batch of all the training samples) gives a smooth objective, so
# the fit's convergence test (objective and support stable for ``n_iter_no_change`` epochs)
# stops it early.
pipe = make_pipeline(
    StandardScaler(),
    SelectFromModel(SparseMLPClassifier(alpha=0.05, batch_size=len(X_train), random_state=0)),
    LogisticRegression(random_state=0),
).set_output(transform="pandas")
pipe.fit(X_train, y_train)

# %%
# Which features were kept?
# -------------------------
# ``pipe[:-1]`` is the scaler and the selector; its ``get_feature_names_out`` gives the names
# of the columns that reach the logistic regression.
selected = pipe[:-1].get_feature_names_out()
print(f"{len(selected)} of {X.shape[1]} features kept:")
print(selected)
print(f"Test accuracy with the selected features: {pipe.score(X_test, y_test):.3f}")

# %%
# The selector's estimator is the fitted sparse MLP. Its support is exactly what
# ``SelectFromModel`` kept, and the dropped features have an importance of exactly 0.
selector = pipe.named_steps["selectfrommodel"]
sparse_mlp = selector.estimator_
assert np.array_equal(sparse_mlp.get_support(), selector.get_support())
lin1 = sparse_mlp.net_.module_.lin1.weight
print(f"Exact zeros in lin1.weight: {int((lin1 == 0).sum())} of {lin1.numel()}")
print(f"Epochs run: {sparse_mlp.n_iter_}")

# %%
# Feature importances
# -------------------
# ``feature_importances_`` is the Euclidean norm of each feature's column of ``lin1.weight``.
importances = sparse_mlp.feature_importances_
names = sparse_mlp.feature_names_in_
order = np.argsort(importances)

fig, ax = plt.subplots(figsize=(7, 7), layout="constrained")
ax.barh(names[order], importances[order], color="tab:blue")
ax.set_xlabel("feature importance (norm of the column of lin1.weight)")
ax.set_title(f"SparseMLPClassifier(alpha=0.05): {len(selected)} of {len(names)} features kept")
ax.tick_params(axis="y", labelsize=8)
plt.show()

# %%
# The features without a bar have an importance of exactly 0: every weight that reads them is an
# exact zero, so the network does not use them at all, and neither does the logistic
# regression downstream.
