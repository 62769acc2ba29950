"""
=====================================================
Regression: selecting the inputs of a smooth function
=====================================================

scikit-learn's :func:`~sklearn.datasets.make_friedman1` draws 20 uniform features of which
only the first five enter the target,
:math:`y = 10 \\sin(\\pi x_0 x_1) + 20 (x_2 - 1/2)^2 + 10 x_3 + 5 x_4`: an interaction, a
bowl that no linear model sees, and two linear terms. :class:`~sklearn_sparse_mlp.
SparseMLPRegressorCV` walks the regularization path, chooses ``alpha`` by cross-validation
and refits a network on the features it keeps; :class:`~sklearn.linear_model.LassoCV` is
the linear baseline.

The regressors standardize y before training (``target_mean_``, ``target_scale_``) and
predict in y's units, so ``alpha`` means the same whatever the unit of y: the same fit on y
in thousandths keeps the same features.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import make_friedman1
from sklearn.linear_model import LassoCV
from sklearn.preprocessing import StandardScaler

from sklearn_sparse_mlp import SparseMLPRegressorCV
from sklearn_sparse_mlp.plotting import plot_cv

torch.set_num_threads(1)
X, y = make_friedman1(n_samples=1000, n_features=20, random_state=0)
X = StandardScaler().fit_transform(X)
X_train, y_train, X_test, y_test = X[:600], y[:600], X[600:], y[600:]

reg = SparseMLPRegressorCV(random_state=0).fit(X_train, y_train)
lasso = LassoCV(cv=5).fit(X_train, y_train)
print(f"SparseMLPRegressorCV keeps {reg.get_support(indices=True)}, "
      f"test R^2 {reg.score(X_test, y_test):.3f}")
print(f"LassoCV keeps {np.flatnonzero(lasso.coef_)}, test R^2 {lasso.score(X_test, y_test):.3f}")
print(f"y standardized with mean {reg.target_mean_[0]:.2f} and scale {reg.target_scale_[0]:.2f}")

# %%
# The same data with y in thousandths: the same path, the same features.
in_thousandths = SparseMLPRegressorCV(random_state=0).fit(X_train, 1000 * y_train)
print(f"y * 1000: keeps {in_thousandths.get_support(indices=True)}, "
      f"alpha_ {in_thousandths.alpha_:.4f} (was {reg.alpha_:.4f})")

# %%
# The folds' R^2 along the path, and the number of features kept.
plot_cv(reg)
plt.tight_layout()

# %%
# The chosen model's predictions on the test rows.
fig, ax = plt.subplots(figsize=(5, 4))
ax.scatter(y_test, reg.predict(X_test), s=8, label="SparseMLPRegressorCV")
ax.scatter(y_test, lasso.predict(X_test), s=8, alpha=0.5, label="LassoCV")
ax.plot([y.min(), y.max()], [y.min(), y.max()], color="black", linewidth=1)
ax.set_xlabel("true y (test rows)")
ax.set_ylabel("predicted y")
ax.legend()
plt.tight_layout()
plt.show()
