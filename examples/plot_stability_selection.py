"""
Stability selection: a selection with a bound on the false features
====================================================================

A cross-validated alpha answers "which model predicts best"; a user who publishes a list of
features asks another question: how many of these are false? Stability selection
(Meinshausen & Buhlmann, 2010) answers it. The rows are split at random into two halves,
many times; each half walks the regularization path and keeps its first ``q`` features
to enter it; a feature's *selection probability* is the share of halves that keep it, and
the features whose probability reaches a cutoff are selected. With complementary pairs,
Shah & Samworth (2013) bound the expected number of false selections by
``q**2 / (p * C(cutoff, B))``: give two of the cutoff, ``q`` and this bound (the PFER) and
:class:`~sklearn_sparse_mlp.StabilitySelection` derives the third.

Here the label depends on ``x0`` and ``x1`` alone (``x0 + x1**2 > 1``) among 30 features.
"""

# %%
import matplotlib.pyplot as plt

from sklearn_sparse_mlp import SparseMLPClassifierCV, StabilitySelection
from sklearn_sparse_mlp.datasets import make_seed_problem
from sklearn_sparse_mlp.plotting import plot_stability_path

X, y = make_seed_problem("square", n_samples=600, n_features=30, random_state=0)

# %%
# The template is the CV estimator as a user constructs it: its network, training and
# alpha grid. The default is 50 pairs (100 paths, trained together as stacks of networks);
# 10 keep this example short. The default bound: at most 1 false selection expected, at a
# cutoff of 0.75, which gives ``q``.
selector = StabilitySelection(SparseMLPClassifierCV(random_state=0), n_pairs=10,
                              random_state=0).fit(X, y)
print(f"selected: {selector.get_support(indices=True)}")
print(f"each half keeps q={selector.q_} features; cutoff {selector.cutoff_}; "
      f"expected false selections <= {selector.pfer_bound_:.2f}")

# %%
# The stability path: each feature's share of the halves that select it along alpha. The
# two informative features stay selected by every half long after the noise features
# have left.
plot_stability_path(selector)
plt.tight_layout()
plt.show()

# %%
# ``StabilitySelection`` is a scikit-learn selector: ``transform`` keeps the selected
# columns, so it fits in a ``Pipeline`` before any model.
print(selector.transform(X).shape)
