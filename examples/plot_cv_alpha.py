"""
=========================================
Choosing alpha by cross-validation (path)
=========================================

:class:`~sklearn_sparse_mlp.SparseMLPClassifierCV` walks the regularization path on the full
data and on each fold, scores every alpha on the held-out fold, and keeps the sparsest model
whose mean score is within one standard error of the best: the rule that keeps noise
features out, where the most accurate alpha often keeps a few.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from sklearn_sparse_mlp import SparseMLPClassifierCV
from sklearn_sparse_mlp.plotting import plot_cv

torch.set_num_threads(1)
rng = np.random.RandomState(0)
X = rng.randn(1000, 10)
y = (X[:, 0] ** 2 + X[:, 1] ** 2 > 1.386).astype(int)  # a circle in (x0, x1)
X_train, y_train, X_test, y_test = X[:800], y[:800], X[800:], y[800:]

clf = SparseMLPClassifierCV(cv=3, random_state=0).fit(X_train, y_train)
best = clf.alphas_[np.argmax(clf.scores_path_.mean(axis=0))]
print(f"most accurate alpha: {best:.4f}, chosen (one standard error): {clf.alpha_:.4f}")
print(f"selected features: {clf.get_support(indices=True)}")
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
plot_cv(clf)
plt.tight_layout()
plt.show()
