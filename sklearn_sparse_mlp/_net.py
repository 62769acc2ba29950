"""The skorch nets the estimators train: skorch's own, with sample weights in the loss."""

import copy

from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.utils import to_tensor


def pointwise_criterion(criterion):
    """A copy of a torch loss module that returns one loss per sample (``reduction="none"``).

    The data-fit is defined once, by the net's criterion: the weighted loss of a batch and
    :func:`~sklearn_sparse_mlp.drop_one_alphas` both read it through this copy.
    """
    pointwise = copy.copy(criterion)
    pointwise.reduction = "none"
    return pointwise


def per_sample(loss):
    """Per-element losses of shape (n_samples, ...) averaged to shape (n_samples,)."""
    return loss.reshape(loss.shape[0], -1).mean(dim=1)


class _SampleWeightedLoss:
    """skorch net mixin: a batch target ``{"y": y, "sample_weight": w}`` weighs the loss.

    The loss of such a batch is ``mean_i(w_i * loss_i)``; the estimators scale the weights to
    a mean of 1 over the training rows, so that it estimates the weighted mean of the
    per-sample loss (exactly, for a full batch), as ``MLPClassifier`` defines it. A plain
    target gives the criterion's own mean: without weights the net is skorch's.
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if not isinstance(y_true, dict):
            return super().get_loss(y_pred, y_true, X=X, training=training)
        target = to_tensor(y_true["y"], device=self.device)
        weight = to_tensor(y_true["sample_weight"], device=self.device)
        # a shallow copy a batch (microseconds): a torch module kept on the net would be one
        # more criterion for skorch to initialize, move and save
        pointwise = pointwise_criterion(self.criterion_)
        return (per_sample(pointwise(y_pred, target)) * weight).mean()


class SampleWeightedNetClassifier(_SampleWeightedLoss, NeuralNetClassifier):
    """skorch's ``NeuralNetClassifier`` whose batches may carry sample weights."""


class SampleWeightedNetRegressor(_SampleWeightedLoss, NeuralNetRegressor):
    """skorch's ``NeuralNetRegressor`` whose batches may carry sample weights."""
