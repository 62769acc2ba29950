"""Per-feature encodings in front of the first layer, and the map from its columns to features.

With ``feature_encoding``, input feature ``j`` is expanded by scikit-learn's
``SplineTransformer`` into a few basis columns (B-splines of the feature's value), centred on
their training means, and the group lasso treats every first-layer weight that reads them as
one group: features still drop out whole. Without it each feature is one column.
:class:`FeatureColumns` is the map between the two, used wherever a per-column quantity of
``lin1`` becomes a per-feature one.
"""

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler

from .penalties import feature_support

# Each option, as SplineTransformer's parameters (8, 8 and 6 basis columns per feature): cubic
# B-splines, hat functions (a piecewise-linear interpolation between 8 knots), and periodic
# cubic B-splines (for angles, hours, ...). Knots are uniform over the training range;
# beyond it the splines extrapolate linearly (periodically for "periodic").
ENCODINGS = {
    "spline": dict(n_knots=6, degree=3, extrapolation="linear"),
    "piecewise_linear": dict(n_knots=8, degree=1, extrapolation="linear"),
    "periodic": dict(n_knots=7, degree=3, extrapolation="periodic"),
}


def fit_encoder(feature_encoding, X, sample_weight=None):
    """The encoder of a ``feature_encoding`` option fitted on X: its ``SplineTransformer``,
    then each column centred on its mean over X, weighted by ``sample_weight`` (as a fit on
    repeated rows would weigh them).

    A B-spline basis is non-negative and sums to 1 over each feature, so uncentred columns
    share a large common component; the ReLU units of a dense fit could then die together
    (see the user guide). The shift is taken up by ``lin1``'s bias: the networks the model
    can express, and the groups of the penalty, are the same.
    """
    encoder = Pipeline([("spline", SplineTransformer(**ENCODINGS[feature_encoding])),
                        ("centre", StandardScaler(with_std=False))])
    return encoder.fit(X, centre__sample_weight=sample_weight)


def encode(encoder, X, name="feature_encoding"):
    """``encoder.transform(X)`` as float32; sparse X is refused with the fix."""
    check_dense(X, name)
    return np.ascontiguousarray(encoder.transform(X), dtype=np.float32)


def check_dense(X, name="feature_encoding"):
    """ValueError, naming the fix, for a sparse X."""
    if sp.issparse(X):
        raise ValueError(
            f"{name}: the spline encodings need dense X (a sparse column's implicit zeros "
            "would be encoded too, and the encoded matrix is dense); use "
            "feature_encoding=None for sparse input, or densify X (X.toarray())."
        )


class FeatureColumns:
    """Which columns of ``lin1`` read which input feature: ``n_per_feature`` consecutive
    columns per feature (1 without an encoding).

    Parameters
    ----------
    n_features : int
        Input features.
    n_per_feature : int, default=1
        Columns per feature.
    """

    def __init__(self, n_features, n_per_feature=1):
        self.n_features, self.n_per_feature = int(n_features), int(n_per_feature)
        self.feature_of = np.repeat(np.arange(self.n_features), self.n_per_feature)

    @property
    def identity(self):
        return self.n_per_feature == 1

    def columns_of(self, j):
        """The columns of feature ``j``."""
        return np.arange(j * self.n_per_feature, (j + 1) * self.n_per_feature)

    def column_mask(self, feature_mask):
        """A per-feature boolean mask as a per-column one."""
        return np.repeat(np.asarray(feature_mask, dtype=bool), self.n_per_feature)

    def feature_mask(self, column_mask):
        """Features with at least one column in ``column_mask`` (any of shape (..., n_cols))."""
        column_mask = np.asarray(column_mask, dtype=bool)
        shape = (*column_mask.shape[:-1], self.n_features, self.n_per_feature)
        return column_mask.reshape(shape).any(axis=-1)

    def group_labels(self, groups):
        """The group label of each column: the feature's own group (its index if None)."""
        labels = np.arange(self.n_features) if groups is None else np.asarray(groups)
        return labels if self.identity else labels[self.feature_of]

    def support(self, W):
        """Features with a non-zero weight in ``W`` (n_hidden, n_columns)."""
        return self.feature_mask(feature_support(torch.as_tensor(W)))

    def norms(self, W):
        """Euclidean norm of each feature's weights in ``W`` (n_hidden, n_columns), float64."""
        W = W.detach().cpu() if torch.is_tensor(W) else torch.as_tensor(W)
        if self.identity:
            return W.to(torch.float64).norm(dim=0).numpy()
        blocks = W.to(torch.float64).reshape(W.shape[0], self.n_features, self.n_per_feature)
        return blocks.square().sum(dim=(0, 2)).sqrt().numpy()
