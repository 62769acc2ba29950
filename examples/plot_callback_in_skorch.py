"""
==================================================
ProximalL1 in your own skorch network
==================================================

The classic question: *"I add* ``lmbda * torch.norm(net.lin1.weight, p=1)`` *to my loss, but
none of the weights becomes zero. Why?"* Because a (sub)gradient step on ``|w|`` moves a
small weight by a fixed amount ``lr * lmbda`` in the direction of ``-sign(w)``: it jumps over
0 and back, and never lands on it. (Writing ``lin1.weight.data`` in the penalty is worse: the
penalty is cut out of autograd and does nothing at all.)

:class:`~sklearn_sparse_mlp.ProximalL1` is a skorch callback that instead applies the
*proximal* step of the penalty to one layer after every optimizer step, with the step size
the optimizer really took (per coordinate for Adam). It works with any module that has a
``torch.nn.Linear`` submodule of the given name. Here we compare both approaches on the same
network, data, optimizer and penalty.
"""

# %%
# Data: 10 features, two of which matter
# --------------------------------------
# ``x0`` acts linearly, ``x1`` only through its square; ``x2`` to ``x9`` are noise.
import matplotlib.pyplot as plt
import numpy as np
import torch
from skorch import NeuralNetClassifier

from sklearn_sparse_mlp import ProximalL1

rng = np.random.RandomState(0)
X = rng.randn(800, 10).astype(np.float32)
y = (X[:, 0] + X[:, 1] ** 2 > 1.0).astype(np.int64)


# %%
# A user's own module
# -------------------
# Nothing special: the first layer is called ``lin1``.
class Network(torch.nn.Module):
    def __init__(self, n_features=10, n_hidden=32):
        super().__init__()
        self.lin1 = torch.nn.Linear(n_features, n_hidden)
        self.lin2 = torch.nn.Linear(n_hidden, 2)

    def forward(self, X):
        return self.lin2(torch.relu(self.lin1(X)))


# %%
# Both nets below share everything but the way the penalty is applied. One detail matters
# for any L1 penalty on the first layer of a ReLU network: multiplying ``lin1`` by ``c`` and
# dividing ``lin2`` by ``c`` leaves the function unchanged but divides the penalty by ``c``,
# so training can make the penalty fade away by growing ``lin2``. A small L2 weight decay on
# every parameter except ``lin1.weight`` removes that escape. ``lin1.weight`` gets no weight
# decay: with Adam it would pass through the preconditioner (``ProximalL1`` refuses it).
ALPHA = 0.1  # penalty strength, the same in both approaches
common = {
    "module": Network,
    "criterion": torch.nn.CrossEntropyLoss,
    "optimizer": torch.optim.Adam,
    "lr": 0.01,
    "optimizer__weight_decay": 1e-2,
    "optimizer__param_groups": [("lin1.weight", {"weight_decay": 0.0})],
    "max_epochs": 150,
    "batch_size": 128,
    "train_split": None,
    "verbose": 0,
}


def group_penalty(weight):
    """Group lasso over input features: the sum of the norms of the columns of lin1.weight."""
    return weight.norm(dim=0).sum()


# %%
# Approach 1: the penalty in the loss
# -----------------------------------
# The penalty is attached to the graph (no ``.data``), so its (sub)gradient does reach the
# weights.
class PenaltyInLoss(NeuralNetClassifier):
    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        return loss + ALPHA * group_penalty(self.module_.lin1.weight)


torch.manual_seed(0)
net_loss = PenaltyInLoss(**common).fit(X, y)

# %%
# Approach 2: the proximal step
# -----------------------------
# The same penalty, applied by :class:`~sklearn_sparse_mlp.ProximalL1` after each Adam step.
# The network first trains dense for 20 epochs, then the penalty is ramped up over 20
# epochs: ``x1`` acts only through ``x1 ** 2`` and has no gradient signal at a random start,
# so a penalty in force from the first step could remove it before it is learnt.
torch.manual_seed(0)
net_prox = NeuralNetClassifier(
    **common,
    callbacks=[ProximalL1(alpha=ALPHA, layer="lin1", warmup_epochs=20, ramp_epochs=20)],
).fit(X, y)

# %%
# Count the exact zeros
# ---------------------
for name, net in [("penalty in the loss", net_loss), ("ProximalL1", net_prox)]:
    W = net.module_.lin1.weight.detach()
    zero_columns = (W == 0).all(dim=0)
    print(
        f"{name:>20}: {int((W == 0).sum()):3d} of {W.numel()} weights exactly 0, "
        f"smallest |w| = {W.abs().min().item():.1e}, "
        f"features kept = {np.flatnonzero(~zero_columns.numpy()).tolist()}, "
        f"train accuracy = {net.score(X, y):.3f}"
    )

# %%
# The proximal network also logs, per epoch, the penalty strength in force and the number
# of features selected (here every 10th epoch):
print("alpha:", [round(a, 3) for a in net_prox.history[::10, "alpha"]])
print("features selected:", net_prox.history[::10, "n_features_selected"])

# %%
# Heat maps of ``|lin1.weight|``
# ------------------------------
# One column per input feature, one row per hidden unit. Exact zeros are shown in white.
fig, axes = plt.subplots(1, 2, figsize=(9, 5), sharey=True, layout="constrained")
for ax, (name, net) in zip(
    axes, [("penalty in the loss", net_loss), ("ProximalL1", net_prox)], strict=True
):
    W = net.module_.lin1.weight.detach().abs().numpy()
    image = ax.imshow(np.ma.masked_equal(W, 0.0), cmap="viridis", aspect="auto")
    ax.set_title(f"{name}\n{int((W == 0).sum())} exact zeros")
    ax.set_xticks(range(W.shape[1]), [f"x{j}" for j in range(W.shape[1])])
    ax.set_xlabel("input feature")
    fig.colorbar(image, ax=ax, label="|weight|")
axes[0].set_ylabel("hidden unit")
plt.show()

# %%
# With the penalty in the loss, the noise columns are small but not zero: the network still
# reads every feature. With the proximal step, every weight that reads a noise feature is
# exactly 0, so the features are truly dropped. ``SparseMLPClassifier`` packages this
# callback with a warm-up, a ramp and a convergence test in a scikit-learn estimator.
