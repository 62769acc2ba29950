"""Penalties on the first-layer weight matrix, each with its value, prox and support.

A penalty acts on ``W`` of shape ``(n_hidden, n_features)``, the weight of the first
``torch.nn.Linear`` layer: column ``W[:, j]`` holds every weight that reads input feature ``j``.
"""

import copy
import math
from numbers import Real

import numpy as np
import torch

from ._prox import group_soft_threshold, soft_threshold, sparse_group_soft_threshold

__all__ = [
    "BasePenalty",
    "GroupLasso",
    "L1",
    "SparseGroupLasso",
    "group_soft_threshold",
    "make_penalty",
    "soft_threshold",
]


def _encode_groups(groups):
    """Group labels (one per feature) -> (int codes in 0..n_groups-1, sqrt of group sizes)."""
    if groups is None:
        return None, None
    labels = np.asarray(groups)
    if labels.ndim != 1:
        raise ValueError(f"groups must be one label per feature (1-D), got shape {labels.shape}.")
    try:
        _, codes, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    except TypeError:  # labels numpy cannot order, such as None among ints
        raise ValueError(
            "groups must hold labels of one sortable type (ints or strings), got "
            f"{sorted({type(label).__name__ for label in labels.tolist()})}."
        ) from None
    return torch.as_tensor(codes, dtype=torch.long), torch.as_tensor(
        np.sqrt(sizes), dtype=torch.float64
    )


def feature_support(W):
    """Boolean mask of the input features whose column of ``W`` is not all exact zeros.

    Parameters
    ----------
    W : torch.Tensor of shape (n_hidden, n_features)
        First-layer weight.

    Returns
    -------
    ndarray of bool of shape (n_features,)
    """
    return (W != 0).any(dim=0).detach().cpu().numpy()


def _check_step(step, W):
    """``step`` as a float >= 0 or a tensor shaped like ``W``; a ValueError otherwise."""
    if torch.is_tensor(step) or isinstance(step, np.ndarray):
        step = torch.as_tensor(step, device=W.device)
        if step.numel() != 1:
            if step.shape != W.shape:
                raise ValueError(
                    f"step must be a scalar or shaped like W {tuple(W.shape)}, got shape "
                    f"{tuple(step.shape)}."
                )
            return step
    if not (isinstance(step, Real) or torch.is_tensor(step)) or not float(step) >= 0:
        raise ValueError(f"step must be a number >= 0 or a tensor shaped like W, got {step!r}.")
    return float(step)


class BasePenalty:
    """Base class of the penalties on the first-layer weight: what :class:`ProximalL1` asks.

    A penalty ``alpha * P(W)`` on ``W`` of shape ``(n_hidden, n_features)`` provides

    - ``value(W)``: the penalty's value (a float), logged each epoch;
    - ``prox(W, step)``: the proximal point of ``step * alpha * P`` at ``W``, where ``step`` is
      a scalar or a tensor shaped like ``W`` (an adaptive optimizer's per-coordinate step);
      it must not modify ``W``;
    - ``support(W)``: the boolean mask of the features it selects (by default, the columns
      of ``W`` that are not all zero);
    - ``with_alpha(alpha)``: the same penalty at another strength (the penalty ramp uses it).

    ``homogeneous = True`` (the default here) declares ``P`` positively homogeneous (any norm
    is): the prox of ``c * alpha * P`` with step ``t`` is then the prox of ``alpha * P`` with
    step ``c * t``, and the ramp scales the step instead of building a penalty per epoch. A
    penalty that is not must set ``homogeneous = False``. The construction
    follows skglm's ``BasePenalty`` (``value``, ``prox_1d``, ``generalized_support``).

    Parameters
    ----------
    alpha : float
        Non-negative penalty strength.

    Examples
    --------
    A weighted group lasso ``alpha * sum_j w_j ||W[:, j]||_2`` (e.g. adaptive weights from a
    first fit), through the package's group soft-thresholding:

    >>> import torch
    >>> from sklearn_sparse_mlp.penalties import BasePenalty, group_soft_threshold
    >>> class WeightedGroupLasso(BasePenalty):
    ...     def __init__(self, alpha, weights):
    ...         super().__init__(alpha)
    ...         self.weights = torch.as_tensor(weights, dtype=torch.float64)
    ...     def value(self, W):
    ...         norms = W.detach().double().norm(dim=0)
    ...         return float(self.alpha * (self.weights * norms).sum())
    ...     def prox(self, W, step):
    ...         groups = torch.arange(W.shape[1])
    ...         return group_soft_threshold(W, step, self.alpha, groups, self.weights)
    >>> W = torch.tensor([[3.0, 3.0], [4.0, 4.0]])
    >>> WeightedGroupLasso(1.0, weights=[0.0, 10.0]).prox(W, step=1.0)
    tensor([[3., 0.],
            [4., 0.]])
    """

    homogeneous = True

    def __init__(self, alpha):
        if not (isinstance(alpha, Real) and math.isfinite(alpha) and alpha >= 0):
            raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}.")
        self.alpha = alpha

    def value(self, W):
        """Penalty value at ``W`` (a float)."""
        raise NotImplementedError

    def prox(self, W, step):
        """Proximal point of ``step * penalty`` at ``W``; ``step`` is a scalar or per coordinate."""
        raise NotImplementedError

    def support(self, W):
        """Mask of the features whose column of ``W`` holds a non-zero weight.

        Parameters
        ----------
        W : torch.Tensor of shape (n_hidden, n_features)
            First-layer weight.

        Returns
        -------
        ndarray of bool of shape (n_features,)
        """
        return feature_support(W)

    def with_alpha(self, alpha):
        """A copy of the penalty with strength ``alpha``.

        Parameters
        ----------
        alpha : float
            Non-negative penalty strength.

        Returns
        -------
        BasePenalty
        """
        penalty = copy.copy(self)
        BasePenalty.__init__(penalty, alpha)
        return penalty

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"


class L1(BasePenalty):
    """Element-wise lasso ``alpha * sum_ij |W_ij|``.

    Zeroes single weights; a feature drops out only when its whole column happens to be zero.

    Parameters
    ----------
    alpha : float
        Non-negative penalty strength.

    Examples
    --------
    >>> import torch
    >>> L1(alpha=0.5).prox(torch.tensor([[1.0, -0.2]]), step=1.0)
    tensor([[0.5000, 0.0000]])
    """

    def value(self, W):
        """Penalty value at ``W`` (a float)."""
        return float(self.alpha * W.detach().abs().sum())

    def prox(self, W, step):
        """Proximal point of ``step * penalty`` at ``W``; ``step`` is a scalar or per coordinate."""
        threshold = _check_step(step, W) * self.alpha
        if torch.is_tensor(threshold):
            threshold = threshold.to(W.dtype)
        return soft_threshold(W, threshold)


class GroupLasso(BasePenalty):
    """Group lasso over input features ``alpha * sum_g sqrt(|g|) * ||W[:, g]||_2``.

    Each group of columns (by default each feature's own column) is zeroed as a block, so a
    feature that does not matter gets an exact 0 in every weight that reads it. Groups of
    several features (e.g. the one-hot columns of one categorical) are weighted by the square
    root of their size, as usual for the group lasso.

    Parameters
    ----------
    alpha : float
        Non-negative penalty strength.
    groups : array-like of shape (n_features,), default=None
        One group label per feature; None makes each feature its own group.

    Examples
    --------
    >>> import torch
    >>> W = torch.tensor([[3.0, 0.1], [4.0, 0.1]])
    >>> GroupLasso(alpha=1.0).prox(W, step=1.0)
    tensor([[2.4000, 0.0000],
            [3.2000, 0.0000]])
    """

    def __init__(self, alpha, groups=None):
        super().__init__(alpha)
        self.groups = groups
        self._codes, self._weights = _encode_groups(groups)

    def _group_norms(self, W):
        self._check_n_columns(W)
        norms = W.detach().to(torch.float64).pow(2).sum(dim=0)
        if self._codes is not None:
            norms = torch.zeros(len(self._weights), dtype=torch.float64).index_add_(
                0, self._codes, norms.cpu()
            )
            return norms.sqrt() * self._weights
        return norms.sqrt()

    def value(self, W):
        """Penalty value at ``W`` (a float)."""
        return float(self.alpha * self._group_norms(W).sum())

    def prox(self, W, step):
        """Proximal point of ``step * penalty`` at ``W``; ``step`` is a scalar or per coordinate."""
        codes, weights = self._on_device(W)
        return group_soft_threshold(W, _check_step(step, W), self.alpha, codes, weights)

    def _on_device(self, W):
        if self._codes is None:
            return None, None
        self._check_n_columns(W)
        return self._codes.to(W.device), self._weights.to(W.device)

    def _check_n_columns(self, W):
        if self._codes is not None and len(self._codes) != W.shape[-1]:
            raise ValueError(
                f"groups has {len(self._codes)} labels but W has {W.shape[-1]} columns (one "
                "per input feature): give one group label per feature."
            )


class SparseGroupLasso(GroupLasso):
    """Sparse-group lasso ``alpha * (l1_ratio * ||W||_1 + (1 - l1_ratio) * GL(W))``.

    ``GL`` is the group lasso of :class:`GroupLasso`. ``l1_ratio=0`` is the group lasso,
    ``l1_ratio=1`` the element-wise lasso.

    Parameters
    ----------
    alpha : float
        Non-negative penalty strength.
    l1_ratio : float, default=0.5
        Share of the element-wise term, in [0, 1].
    groups : array-like of shape (n_features,), default=None
        One group label per feature; None makes each feature its own group.

    Examples
    --------
    >>> import torch
    >>> W = torch.tensor([[3.0, 0.5], [4.0, -0.2]])
    >>> SparseGroupLasso(alpha=1.0, l1_ratio=0.5).prox(W, step=1.0)[:, 1]
    tensor([0., 0.])
    """

    def __init__(self, alpha, l1_ratio=0.5, groups=None):
        super().__init__(alpha, groups)
        if not (isinstance(l1_ratio, Real) and 0 <= l1_ratio <= 1):
            raise ValueError(f"l1_ratio must be a number in [0, 1], got {l1_ratio!r}.")
        self.l1_ratio = l1_ratio

    def value(self, W):
        """Penalty value at ``W`` (a float)."""
        l1 = float(W.detach().abs().sum())
        return float(self.alpha) * (
            self.l1_ratio * l1 + (1 - self.l1_ratio) * float(self._group_norms(W).sum())
        )

    def prox(self, W, step):
        """Proximal point of ``step * penalty`` at ``W``; ``step`` is a scalar or per coordinate."""
        codes, weights = self._on_device(W)
        return sparse_group_soft_threshold(W, _check_step(step, W), self.alpha, self.l1_ratio,
                                           codes, weights)


def make_penalty(alpha, l1_ratio=0.0, groups=None):
    """The penalty object for an ``alpha``, ``l1_ratio`` pair, as the estimators use it.

    Parameters
    ----------
    alpha : float
        Non-negative penalty strength.
    l1_ratio : float, default=0.0
        0 gives :class:`GroupLasso`, 1 gives :class:`L1`, in between :class:`SparseGroupLasso`.
    groups : array-like of shape (n_features,), default=None
        One group label per feature; None makes each feature its own group.

    Returns
    -------
    L1, GroupLasso or SparseGroupLasso

    Examples
    --------
    >>> make_penalty(0.1, l1_ratio=1.0)
    L1(alpha=0.1)
    """
    if l1_ratio == 1:
        return L1(alpha)
    if l1_ratio == 0:
        return GroupLasso(alpha, groups)
    return SparseGroupLasso(alpha, l1_ratio, groups)
