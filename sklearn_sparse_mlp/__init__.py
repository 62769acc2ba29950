"""Sparse-input multi-layer perceptrons: L1-regularised networks with exact zeros.

Plots live in :mod:`sklearn_sparse_mlp.plotting` (matplotlib is optional).
"""

from ._autoencoder import SparseMLPAutoencoder
from ._base import DataAdviceWarning
from ._classifier import SparseMLPClassifier
from ._cv import SparseMLPClassifierCV, SparseMLPRegressorCV
from ._path import SparseMLPPath, drop_one_alphas, sparse_mlp_path
from ._regressor import SparseMLPRegressor
from ._stability import StabilitySelection, pfer_bound, stability_parameters
from .callbacks import NonFiniteLossError, ProximalL1
from .penalties import L1, BasePenalty, GroupLasso, SparseGroupLasso, make_penalty

__version__ = "0.1.0"

__all__ = [
    "BasePenalty",
    "DataAdviceWarning",
    "GroupLasso",
    "L1",
    "NonFiniteLossError",
    "ProximalL1",
    "SparseGroupLasso",
    "SparseMLPAutoencoder",
    "SparseMLPClassifier",
    "SparseMLPClassifierCV",
    "SparseMLPPath",
    "SparseMLPRegressor",
    "SparseMLPRegressorCV",
    "StabilitySelection",
    "drop_one_alphas",
    "sparse_mlp_path",
    "make_penalty",
    "pfer_bound",
    "stability_parameters",
    "__version__",
]
