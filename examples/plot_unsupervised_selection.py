"""
=======================================================
Selection without labels: the pixels that carry a digit
=======================================================

:class:`~sklearn_sparse_mlp.SparseMLPAutoencoder` keeps the columns from which a network
reconstructs every column: no labels are used. On scikit-learn's 8 x 8 digits it keeps 16
of the 64 pixels; the network then redraws the whole image from them
(:meth:`~sklearn_sparse_mlp.SparseMLPAutoencoder.inverse_transform`). The labels only
judge the selection afterwards: a classifier on the 16 kept pixels against one on 16 of
the highest-variance pixels.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_sparse_mlp import SparseMLPAutoencoder

torch.set_num_threads(1)
X, y = load_digits(return_X_y=True)
selector = SparseMLPAutoencoder(n_features_to_select=16, random_state=0).fit(X)
kept = selector.get_support(indices=True)
print(f"kept pixels: {kept}")
print(f"reconstruction R^2 (training rows): {selector.score(X):.3f}")

# %%
# Downstream, with the labels: the kept pixels against the 16 of highest variance.
by_variance = np.argsort(-X.var(axis=0))[:16]
classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
for name, columns in [("autoencoder", kept), ("highest variance", by_variance)]:
    accuracy = cross_val_score(classifier, X[:, columns], y, cv=5).mean()
    print(f"{name}: accuracy of a logistic regression on 16 pixels {accuracy:.3f}")

# %%
# The kept pixels, and three digits redrawn from them.
reconstructed = selector.inverse_transform(selector.transform(X[:3]))
fig, axes = plt.subplots(2, 4, figsize=(8, 4.4))
axes[0, 0].imshow(selector.get_support().reshape(8, 8), cmap="Greys")
axes[0, 0].set_title("kept pixels")
axes[1, 0].imshow(np.isin(np.arange(64), by_variance).reshape(8, 8), cmap="Greys")
axes[1, 0].set_title("highest variance")
for i in range(3):
    axes[0, i + 1].imshow(X[i].reshape(8, 8), cmap="Greys")
    axes[0, i + 1].set_title(f"digit {y[i]}")
    axes[1, i + 1].imshow(reconstructed[i].reshape(8, 8), cmap="Greys")
    axes[1, i + 1].set_title("from 16 pixels")
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()
plt.show()
