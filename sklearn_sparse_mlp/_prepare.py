"""A fit's data, prepared once, for the single fit, the path, the stacks and the CV.

Every network trains on the same preparation of its data. :func:`prepare_data` does it once
for the whole data: X as float32 within range, the advice about the columns' scales, the
per-feature encoding fitted on the rows of positive weight, and the encoded columns' ranges.
:func:`training_rows` then gives one model its rows (weight 0 removed, repeated rows merged
where it trains on one batch, weights scaled to a mean of 1) and the columns constant over
them. The single fit is one model on all the rows; the stacked engine builds one model per
fold or half from the same two functions, which is why a stacked fit equals the single fit.
"""

import contextlib
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.validation import _check_sample_weight

from ._data import mean_one_weights, unique_rows
from ._encoding import FeatureColumns, check_dense, encode, fit_encoder
from ._utils import (
    DataAdviceWarning,
    _check_float32_range,
    column_min_max,
    feature_scale_problems,
    warn_user,
)


def check_sample_weight(sample_weight, X):
    """float64 weights of shape (n_samples,), >= 0, not all 0; None stays None.

    Raises
    ------
    ValueError
        From scikit-learn's ``_check_sample_weight``: a wrong shape, a negative weight, or
        weights that are all 0.
    """
    if sample_weight is None:
        return None
    return _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)


def float32_data(X):
    """Training copy of X: a float32 C-contiguous array, or a float32 CSR matrix.

    Raises
    ------
    ValueError
        If a value overflows float32, the precision the network trains in.
    """
    # values beyond float32's range become inf, which the check below refuses with the fix:
    # numpy's own overflow warning would only come first
    with np.errstate(over="ignore"):
        if sp.issparse(X):
            X = X.tocsr().astype(np.float32, copy=False)
        else:
            X = np.asarray(X, dtype=np.float32)
    if sp.issparse(X):
        _check_float32_range(X.data, "X", "scale the features (e.g. MaxAbsScaler)")
        return X
    _check_float32_range(X, "X", "scale the features (e.g. StandardScaler)")
    if not X.flags.writeable or not X.flags.c_contiguous:
        X = np.ascontiguousarray(X).copy()
    return X


def advise_feature_scales(low, high, sparse, name):
    """Warn (``DataAdviceWarning``) when the columns' ranges make one penalty unfair."""
    problems = feature_scale_problems(low, high)
    if problems:
        scaler = "MaxAbsScaler" if sparse else "StandardScaler"
        warn_user(
            f"{name}: X has {' and '.join(problems)}. The penalty depends on the units "
            "of the columns: one on a large scale (or far from 0) needs small weights and "
            "costs the penalty little, one on a small scale costs it much, so the units, "
            "not the data, decide the selection (and large inputs slow training down). "
            f"Scale the features first, e.g. make_pipeline({scaler}(), {name}(...))"
            + (" (it keeps sparse input sparse)." if sparse else "."),
            DataAdviceWarning,
        )


def check_network_params(estimator, n_features, name):
    """The hidden layer sizes as a tuple; ``groups`` and ``device`` checked; advice about
    ``groups`` with the lasso warned in the name of ``name``.

    Raises
    ------
    ValueError
        Hidden sizes that are not positive ints, one group label per feature missing, or a
        device that is not 'cpu' or an available 'cuda[:N]'.
    """
    hidden = estimator.hidden_layer_sizes
    hidden = (hidden,) if isinstance(hidden, Integral) else tuple(hidden)
    if not hidden or not all(isinstance(h, Integral) and h >= 1 for h in hidden):
        raise ValueError(
            "hidden_layer_sizes must be a positive int or a non-empty sequence of positive "
            f"ints, got {estimator.hidden_layer_sizes!r}."
        )
    groups = estimator.groups
    if groups is not None and len(groups) != n_features:
        raise ValueError(
            f"groups has {len(groups)} labels but X has {n_features} features: give "
            "one group label per feature (or groups=None)."
        )
    if groups is not None and estimator.l1_ratio == 1:
        warn_user(
            f"{name}: groups has no effect with l1_ratio=1, the element-wise lasso, which "
            "penalises single weights; use l1_ratio < 1 (the group or the sparse-group "
            "lasso) for groups to count, or groups=None.",
            DataAdviceWarning,
        )
    _check_device(estimator.device)
    return tuple(int(h) for h in hidden)


def _check_device(device):
    try:
        kind = torch.device(device).type
    except RuntimeError:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'cpu', 'cuda' or 'cuda:N'."
        ) from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but torch sees no CUDA device; use device='cpu'.")
    if kind not in ("cpu", "cuda"):
        # predictions run in float64, which e.g. MPS lacks; only cpu and cuda are tested
        raise ValueError(
            f"device={device!r}: the estimators train on 'cpu' or 'cuda[:N]' only; "
            "use device='cpu'."
        )


@dataclass(frozen=True)
class Encoding:
    """The columns a network's first layer reads: the raw features, or their encoding.

    Attributes
    ----------
    option : str or None
        The ``feature_encoding`` it was fitted for (None: the raw features).
    encoder : sklearn Pipeline or None
        The fitted encoder (:func:`~sklearn_sparse_mlp._encoding.fit_encoder`), or None.
    columns : FeatureColumns
        Which columns of ``lin1`` read which feature.
    """

    option: str | None
    encoder: object
    columns: FeatureColumns

    @classmethod
    def fit(cls, option, X, sample_weight=None, name="feature_encoding"):
        """The encoding ``option`` fitted on X (n_samples, n_features), weighted by
        ``sample_weight``. ValueError, naming ``name`` and the fix, for a sparse X with an
        encoding."""
        if option is None:
            return cls(None, None, FeatureColumns(X.shape[1]))
        check_dense(X, name=name)
        encoder = fit_encoder(option, X, sample_weight)
        n_columns = encoder.transform(X[:1]).shape[1]
        return cls(option, encoder, FeatureColumns(X.shape[1], n_columns // X.shape[1]))

    def transform(self, X, name="feature_encoding"):
        """X as the first layer reads it: float32, encoded if there is an encoder."""
        return X if self.encoder is None else encode(self.encoder, X, name=name)


class _MemoizedEncoding:
    """An :class:`Encoding` that encodes each distinct X once (see :func:`encoding_memo`)."""

    def __init__(self, encoding):
        self.encoding, self.memo = encoding, []  # (raw X, its encoding) pairs

    def __getattr__(self, name):
        return getattr(self.encoding, name)

    def transform(self, X, name="feature_encoding"):
        if self.encoding.encoder is None or sp.issparse(X):
            return self.encoding.transform(X, name=name)
        X = np.asarray(X)
        for raw, encoded in self.memo:
            if raw.shape == X.shape and raw.dtype == X.dtype and np.array_equal(raw, X):
                return encoded
        encoded = self.encoding.transform(X, name=name)
        encoded.flags.writeable = False  # handed out again: nobody may change it
        self.memo.append((X.copy(), encoded))
        return encoded


@contextlib.contextmanager
def encoding_memo(estimator):
    """Within it, the fitted ``estimator`` encodes each distinct X once.

    The folds' scorers predict the same test rows at every alpha of a path (or relaxed
    refit) through the same encoding, and a spline basis of many features costs more to
    evaluate than the network. The encodings are kept until the context ends: one per
    distinct X (a fold's test rows)."""
    encoding = estimator._encoding
    estimator._encoding = _MemoizedEncoding(encoding)
    try:
        yield
    finally:
        estimator._encoding = encoding


@dataclass(frozen=True)
class PreparedData:
    """The whole data as every network of a fit reads it (see :func:`prepare_data`).

    Attributes
    ----------
    X : ndarray of float32 of shape (n_samples, n_columns) or float32 CSR matrix
        Every row, through the encoding (``n_columns`` = n_features times its columns per
        feature).
    sample_weight : ndarray of float64 of shape (n_samples,) or None
        The checked weights (None: all equal).
    encoding : Encoding
    low, high : ndarray of float64 of shape (n_columns,)
        The columns' range over the rows of positive weight.
    """

    X: object
    sample_weight: np.ndarray | None
    encoding: Encoding
    low: np.ndarray
    high: np.ndarray

    @property
    def positive(self):
        """The rows of positive weight (indices), the rows any fit trains on."""
        if self.sample_weight is None:
            return np.arange(self.X.shape[0])
        return np.flatnonzero(self.sample_weight > 0)


def prepare_data(X, sample_weight, feature_encoding=None, *, encoding=None, name,
                 advise=True):
    """Prepare validated data for training: float32, scale advice, encoding, ranges.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or sparse matrix
        Validated (finite) data.
    sample_weight : ndarray of shape (n_samples,) or None
        Checked weights (:func:`check_sample_weight`); rows of weight 0 are no data: the
        encoding and the ranges leave them out.
    feature_encoding : str or None, default=None
        The encoding to fit, unless ``encoding`` is given.
    encoding : Encoding, default=None
        An encoding fitted before (a network that continues training keeps its own).
    name : str
        The estimator named in errors and warnings.
    advise : bool, default=True
        Warn about the raw columns' scales (``DataAdviceWarning``; encoded columns lie in
        [-1, 1]).

    Returns
    -------
    PreparedData

    Raises
    ------
    ValueError
        Values beyond float32's range, or sparse X with an encoding.
    """
    X = float32_data(X)
    rows = slice(None)
    if sample_weight is not None and not np.all(sample_weight > 0):
        rows = np.flatnonzero(sample_weight > 0)
    option = feature_encoding if encoding is None else encoding.option
    if advise and option is None:
        advise_feature_scales(*column_min_max(X[rows]), sp.issparse(X), name)
    if encoding is None:
        weight = None if sample_weight is None else sample_weight[rows]
        encoding = Encoding.fit(feature_encoding, X[rows], weight, name=name)
    X = encoding.transform(X, name=name)
    low, high = column_min_max(X[rows])
    return PreparedData(X=X, sample_weight=sample_weight, encoding=encoding, low=low,
                        high=high)


@dataclass(frozen=True)
class TrainingRows:
    """One model's training rows (see :func:`training_rows`).

    Attributes
    ----------
    rows : ndarray of int
        Indices into the prepared X, in the order the fit sees them.
    sample_weight : ndarray of float or None
        Their weights, scaled to a mean of 1; None where all are equal.
    held : ndarray of bool of shape (n_columns,)
        The columns constant over the rows (held at 0 by the training).
    fill_values : ndarray of shape (n_columns,)
        Each column's minimum over the rows, a held column's value.
    """

    rows: np.ndarray
    sample_weight: np.ndarray | None
    held: np.ndarray
    fill_values: np.ndarray


def training_rows(X, y, rows, sample_weight, batch_size, bounds=None):
    """The rows a fit on ``rows`` trains on, their weights and its constant columns.

    Rows of weight 0 are removed. A fit on one batch takes each set of identical
    ``(x, y)`` rows once with their summed weight, sorted by their bytes
    (:func:`~sklearn_sparse_mlp._data.merge_duplicate_rows`): the same gradient, and a fit
    that depends neither on the order of the rows nor on repeating a row instead of
    weighting it.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_columns) or CSR matrix
        The prepared X (:attr:`PreparedData.X`).
    y : ndarray of shape (len(rows),) or (len(rows), n_outputs)
        The targets of ``rows`` as the network trains on them.
    rows : array-like of int
        The fit's rows (indices into X).
    sample_weight : ndarray of shape (len(rows),) or None
        Their weights (class weights included).
    batch_size : callable
        The fit's batch size for a number of rows (the estimator's ``_batch_size``).
    bounds : (low, high) of ndarray, default=None
        The column ranges that decide the constant columns; None: those over the kept rows.

    Returns
    -------
    TrainingRows
    """
    rows = np.asarray(rows)
    weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if weight is not None:
        kept = weight > 0
        rows, weight, y = rows[kept], weight[kept], y[kept]
    if batch_size(len(rows)) >= len(rows):
        first, weight = unique_rows(X[rows], y,
                                    np.ones(len(rows)) if weight is None else weight)
        rows = rows[first]
    low, high = column_min_max(X[rows]) if bounds is None else bounds
    return TrainingRows(rows=rows, sample_weight=mean_one_weights(weight), held=low == high,
                        fill_values=low)
