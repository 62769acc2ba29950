"""Rankings of features along regularization paths, and the near-duplicates among them."""

import numpy as np
import scipy.sparse as sp

from ._base import _SELECT_FROM_MODEL_L1_THRESHOLD


def path_importances(leave_alphas, support, path_alphas, last_norms=None, demoted=None,
                     support_norms=None):
    """Importances that rank features by how long they stay on the regularization paths.

    Features are ordered by the geometric mean, over the given paths (the full-data path and
    each fold's path), of the alpha at which they leave; features still selected at the end
    of a path count as leaving at the next alpha of the grid. Ties (features that leave
    together everywhere) are broken by the mean rank of their column norm at the last alpha
    where they were selected. Kept features (``support``) come first, with values >= 1e-5
    (their mean leave alpha, where it is larger; or, with ``support_norms``, ranked by
    those norms and valued at them), dropped features get values below 1e-5:
    SelectFromModel's default threshold (1e-5) keeps exactly ``support``, and
    ``max_features=k`` takes the k best kept features, then those that stay longest. Within
    each of these two tiers, ``demoted`` features (near-duplicates, see
    :func:`find_near_duplicates`) come after the others. All values are distinct.

    Parameters
    ----------
    leave_alphas : ndarray of shape (n_features,) or (n_paths, n_features)
        Alpha after which each feature never comes back, per path (``inf``: never left).
    support : ndarray of bool of shape (n_features,)
        Features kept by the fitted model.
    path_alphas : ndarray of shape (n_alphas,)
        The increasing grid shared by the paths.
    last_norms : ndarray of the shape of ``leave_alphas``, default=None
        Column norm of each feature at the last alpha where it was selected, per path.
    demoted : ndarray of bool of shape (n_features,), default=None
        Features to rank last within their tier (their values shrink accordingly).
    support_norms : ndarray of shape (n_features,), default=None
        Column norms of the model at the chosen alpha, which rank the kept features (as
        ``SelectFromModel`` ranks a lasso's coefficients at its alpha); ties, and kept
        features of norm 0 there, by the paths. None: the paths rank them too.

    Returns
    -------
    ndarray of shape (n_features,)
    """
    leave = np.atleast_2d(np.asarray(leave_alphas, dtype=np.float64))
    path_alphas = np.sort(np.asarray(path_alphas, dtype=np.float64))
    positive = path_alphas[path_alphas > 0]
    ratio = positive[-1] / positive[-2] if len(positive) > 1 else 2.0
    beyond = float(positive[-1]) * max(float(ratio), 1.0 + 1e-6) if positive.size else 1.0
    # a grid may start at alpha=0 (a feature never selected leaves there): log needs > 0
    floor = 1e-3 * (float(positive[0]) if positive.size else beyond)
    leave = np.maximum(np.where(np.isfinite(leave), leave, beyond), floor)
    mean_log = np.log(leave).mean(axis=0)
    if last_norms is None:
        norm_rank = np.zeros(leave.shape[1])
    else:
        norms = np.atleast_2d(np.asarray(last_norms, dtype=np.float64))
        ranks = np.argsort(np.argsort(norms, axis=1, kind="stable"), axis=1, kind="stable")
        norm_rank = ranks.mean(axis=0)
    support = np.asarray(support, dtype=bool)
    demoted = np.zeros_like(support) if demoted is None else np.asarray(demoted, dtype=bool)
    kept_norms = np.zeros(len(support)) if support_norms is None else np.where(
        support, np.asarray(support_norms, dtype=np.float64), 0.0)
    # rounding: equal leave alphas summed in another order must still tie
    order = np.lexsort((norm_rank, np.round(mean_log, 9), kept_norms, ~demoted, support))
    mean_leave = np.exp(mean_log)
    base = np.where(
        support,
        np.maximum(mean_leave if support_norms is None else kept_norms,
                   _SELECT_FROM_MODEL_L1_THRESHOLD),
        _SELECT_FROM_MODEL_L1_THRESHOLD * 0.99 * mean_leave / beyond,
    )
    for tier in (support, ~support):
        # demoted values scaled below the rest of the tier keep their own spacing
        low, high = tier & demoted, tier & ~demoted
        if low.any() and high.any():
            base[low] *= min(1.0, 0.5 * base[high].min() / base[low].max())
    base[support] = np.maximum(base[support], _SELECT_FROM_MODEL_L1_THRESHOLD)
    importances = np.empty_like(base)
    previous = -np.inf
    for feature in order:  # strictly increasing along the order
        value = max(base[feature], np.nextafter(previous, np.inf))
        importances[feature] = previous = value
    return importances


def _dense_rows(X, start, stop, columns):
    """Rows ``start:stop`` of the given columns of X, as a dense float64 array."""
    block = X[start:stop][:, columns]
    return np.asarray(block.toarray() if sp.issparse(block) else block, dtype=np.float64)


def absolute_correlations(X, columns, chunk_rows=4096, sample_weight=None):
    """Absolute Pearson correlations between some columns of X (0 for a constant column).

    Computed by chunks of rows, centred on the exact mean first: neither sparse input nor a
    large float32 input is copied whole to float64, and a large offset does not cancel.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The data.
    columns : array-like of int of shape (n_columns,)
        The columns to compare.
    chunk_rows : int, default=4096
        Rows converted to a dense float64 block at a time.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows (weighted correlations); None: all 1.

    Returns
    -------
    ndarray of shape (n_columns, n_columns)
    """
    starts = range(0, X.shape[0], chunk_rows)
    weight = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight,
                                                                             np.float64)
    total = np.zeros(len(columns))
    low, high = np.full(len(columns), np.inf), np.full(len(columns), -np.inf)
    for start in starts:
        block = _dense_rows(X, start, start + chunk_rows, columns)
        rows = weight[start : start + chunk_rows]
        total += rows @ block
        # a row of weight 0 is no sample: it cannot make a column vary
        block = block[rows > 0]
        if len(block):
            low, high = np.minimum(low, block.min(axis=0)), np.maximum(high, block.max(axis=0))
    mean = total / weight.sum()
    cov = np.zeros((len(columns), len(columns)))
    for start in starts:
        block = _dense_rows(X, start, start + chunk_rows, columns) - mean
        cov += (block * weight[start : start + chunk_rows, None]).T @ block
    # exact test: a constant column's variance is rounding noise, not 0
    std = np.where(high > low, np.sqrt(np.diag(cov)), 0.0)
    scale = np.outer(std, std)
    corr = np.divide(cov, scale, out=np.zeros_like(cov), where=scale > 0)
    return np.minimum(np.abs(corr), 1.0)


def find_near_duplicates(X, order, threshold, max_checked=1000, sample_weight=None):
    """For each feature, the higher-ranked feature it nearly duplicates (-1: none).

    Walks ``order`` (best first) and marks a feature as a near-duplicate when the absolute
    Pearson correlation, over the rows of ``X``, between it and an earlier feature that is
    not itself marked reaches ``threshold``. The group lasso cannot tell near-duplicates
    apart: they share the penalty and leave the path together (on ``load_breast_cancer``,
    "worst perimeter" and "worst area" with "worst radius", r >= 0.98), so a top-k ranked
    by the path alone spends places on columns that add nothing downstream.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The training data.
    order : array-like of int of shape (n_features,)
        Feature indices, the best first.
    threshold : float in (0, 1]
        Smallest absolute correlation that makes a near-duplicate.
    max_checked : int, default=1000
        Only the first ``max_checked`` features of ``order`` are compared (the cost is
        ``n_samples * max_checked ** 2``); the others are never marked.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows of X: correlations are weighted.

    Returns
    -------
    ndarray of int of shape (n_features,)
        Index of the most correlated earlier unmarked feature, or -1.
    """
    order = np.asarray(order)
    checked = order[:max_checked]
    corr = absolute_correlations(X, checked, sample_weight=sample_weight)
    duplicate_of = np.full(len(order), -1)
    kept = []  # positions in ``checked`` of the features not marked so far
    for position, feature in enumerate(checked):
        if kept:
            closest = kept[int(np.argmax(corr[position, kept]))]
            # the tolerance lets threshold=1 catch exact copies despite rounding
            if corr[position, closest] >= threshold - 1e-9:
                duplicate_of[feature] = checked[closest]
                continue
        kept.append(position)
    return duplicate_of
