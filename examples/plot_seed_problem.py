"""
=================================================================
The classic question: why an L1 penalty in the loss never gives 0
=================================================================

A one-hidden-layer network reads 10 features, but only ``x0`` and ``x1`` decide the class
(here ``x0 + x1**2 > 1``: ``x1`` acts only through its square). Adding
``lmbda * |lin1.weight|_1`` to the loss, as the classic question does, never gives a single
exact zero in ``lin1.weight``: (sub)gradient steps make the weights oscillate around 0.
:class:`~sklearn_sparse_mlp.SparseMLPClassifier` applies a proximal step after each
optimizer step instead, and every weight that reads a noise feature becomes exactly 0.
"""

# %%
# The data: 800 training and 200 test samples, 10 standard normal features.
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from sklearn_sparse_mlp import SparseMLPClassifier
from sklearn_sparse_mlp.datasets import make_seed_problem

torch.set_num_threads(1)
# ``make_seed_problem`` draws X ~ N(0, I) and labels it by ``x0 + x1**2 > 1`` ("square").
X, y = make_seed_problem("square", n_samples=1000, n_features=10, random_state=0)
X_train, y_train, X_test, y_test = X[:800], y[:800], X[800:], y[800:]

# %%
# The penalty in the loss, done right (no ``.data``), with Adam, for growing lambda.
X_t = torch.tensor(X_train, dtype=torch.float32)
y_t = torch.tensor(y_train)


def penalty_in_loss(lmbda, epochs=200, seed=0):
    torch.manual_seed(seed)
    lin1, lin2 = torch.nn.Linear(10, 64), torch.nn.Linear(64, 2)
    params = [*lin1.parameters(), *lin2.parameters()]
    optimizer = torch.optim.Adam(params, lr=1e-2)
    for _ in range(epochs):
        for batch in torch.randperm(800).split(200):
            logits = lin2(torch.relu(lin1(X_t[batch])))
            loss = torch.nn.functional.cross_entropy(logits, y_t[batch])
            loss = loss + lmbda * lin1.weight.abs().sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return lin1.weight.detach()


print("penalty in the loss:")
W_by_lambda = {lmbda: penalty_in_loss(lmbda) for lmbda in [1e-3, 1e-2, 1e-1]}
for lmbda, W in W_by_lambda.items():
    print(
        f"  lambda={lmbda:g}: exact zeros {int((W == 0).sum())} of {W.numel()}, "
        f"smallest |w| {W.abs().min().item():.1e}"
    )
W_loss = W_by_lambda[1e-2]

# %%
# The proximal step: group soft-thresholding of each feature's column of ``lin1.weight``,
# after each Adam step, with Adam's own per-coordinate step size.
clf = SparseMLPClassifier(alpha=0.1, random_state=0).fit(X_train, y_train)
W_prox = clf.net_.module_.lin1.weight.detach()
print(
    f"SparseMLPClassifier(alpha=0.1): exact zeros {int((W_prox == 0).sum())} of "
    f"{W_prox.numel()}, selected features {clf.get_support(indices=True)}, "
    f"test accuracy {clf.score(X_test, y_test):.3f}, {clf.n_iter_} epochs"
)

# %%
# Heat maps of ``|lin1.weight|`` (hidden units x features): white is exactly zero.
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharey=True)
for ax, W, title in [
    (axes[0], W_loss, "penalty in the loss (lambda=1e-2)"),
    (axes[1], W_prox, "SparseMLPClassifier (alpha=0.1)"),
]:
    magnitude = np.ma.masked_equal(W.abs().numpy(), 0.0)
    image = ax.imshow(magnitude, aspect="auto", cmap="viridis")
    ax.set_title(f"{title}\n{int((W == 0).sum())} exact zeros")
    ax.set_xlabel("input feature")
    ax.set_xticks(range(10))
axes[0].set_ylabel("hidden unit")
fig.colorbar(image, ax=axes, label="|weight| (white: exactly 0)")

# %%
# Run as a script (``make demo``) with a backend that shows nothing (Agg, as on a server), the
# figure goes to a file instead. The docs' gallery renders it itself.
if plt.get_backend().lower() == "agg" and "sphinx_gallery" not in sys.modules:
    path = Path("seed_problem_heatmaps.png").resolve()
    fig.savefig(path, dpi=100)
    print(f"heat maps saved to {path}")
plt.show()
