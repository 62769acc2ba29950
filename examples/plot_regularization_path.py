"""
=======================================
The regularization path, dense to empty
=======================================

:func:`~sklearn_sparse_mlp.sparse_mlp_path` fits the network dense once, then walks a
geometric sequence of alphas, each fit warm-started from the previous one, until no feature
is left. The grid starts where dropping the first feature starts to pay, an alpha derived
from the dense fit (as a lasso's critical alpha is), not a hand-tuned constant. The two
informative features of the seed problem (``x0`` and ``x1**2`` decide the class) stay
longest.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from sklearn_sparse_mlp import SparseMLPClassifier, sparse_mlp_path
from sklearn_sparse_mlp.plotting import plot_path

torch.set_num_threads(1)
rng = np.random.RandomState(0)
X = rng.randn(600, 10)
y = (X[:, 0] + X[:, 1] ** 2 > 1.0).astype(int)
X_train, y_train, X_valid, y_valid = X[:400], y[:400], X[400:], y[400:]

path = sparse_mlp_path(
    SparseMLPClassifier(random_state=0), X_train, y_train, X_valid=X_valid, y_valid=y_valid
)
print(f"alpha_start (data-derived) = {path.alpha_start:.4f}, {len(path.alphas)} alphas")
for alpha, n, score, support in zip(
    path.alphas, path.n_features, path.valid_scores, path.supports, strict=True
):
    print(f"alpha={alpha:.4f}  features={n:2d}  valid acc={score:.3f}  {np.flatnonzero(support)}")
print("alpha at which each feature leaves:", np.round(path.feature_leave_alphas, 4))

# %%
plot_path(path)
plt.tight_layout()
plt.show()
