"""SparseMLPAutoencoder: unsupervised selection of the columns that reconstruct all of them."""

from numbers import Integral, Real

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectorMixin
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._base import public_fit, silenced
from ._cv import SparseMLPRegressorCV, _BaseSparseMLPCV
from ._cv_path import cv_paths, dense_fits
from ._path import relaxed_refit
from ._prepare import check_sample_weight
from ._ranking import path_importances
from ._regressor import SparseMLPRegressor, _float32_precision, target_scaling
from ._stability import _PATH_DEFAULTS


def greedy_column_subset(Z, k, candidates, chosen=(), sample_weight=None):
    """Greedy column subset selection: the columns of ``candidates`` that, one after the
    other, explain most of the variance of all the columns of Z left unexplained by the
    columns picked so far (``chosen`` first).

    The greedy method of Farahat, Ghodsi and Kamel (ICDM 2011), on the weighted covariance
    of Z: the gain of a candidate c is ``||R[:, c]||^2 / R[c, c]``, where R is the
    covariance of the residuals of all columns regressed on the picked ones. Only the
    columns of ``candidates`` and ``chosen`` are formed: (n_features, n_candidates) memory.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_features)
        Centred columns.
    k : int
        How many candidates to pick (at most ``len(candidates)``).
    candidates, chosen : array-like of int
        Column indices; ``chosen`` are picked first, in order.
    sample_weight : ndarray of shape (n_samples,), default=None

    Returns
    -------
    picked : ndarray of int of shape (k,)
        The picked candidates, in order.
    """
    candidates, chosen = np.asarray(candidates, dtype=int), np.asarray(chosen, dtype=int)
    columns = np.concatenate([chosen, candidates])
    weight = np.ones(len(Z)) if sample_weight is None else np.asarray(sample_weight, float)
    R = (Z * (weight / weight.sum())[:, None]).T @ Z[:, columns]  # (n_features, n_columns)
    position = {column: i for i, column in enumerate(columns)}
    eps = 1e-10 * max(float(np.max(np.abs(np.diag(R[columns])))), 1e-300)

    def deflate(column):
        i = position[column]
        pivot = R[column, i]
        if pivot > eps:
            R[:] -= np.outer(R[:, i], R[column, :]) / pivot

    for column in chosen:
        deflate(column)
    left, picked = list(candidates), []
    for _ in range(min(k, len(left))):
        index = [position[c] for c in left]
        diag = R[left, index]
        gains = np.where(diag > eps, np.sum(R[:, index] ** 2, axis=0) / np.maximum(diag, eps),
                         -1.0)
        best = left.pop(int(np.argmax(gains)))
        picked.append(best)
        deflate(best)
    return np.array(picked, dtype=int)


class _Reconstruction(SparseMLPRegressor):
    """The autoencoder's network: its targets are already centred and on one common scale,
    which it keeps (no scaling of its own per output, so that the loss is X's squared
    error)."""

    def _fit_target_scaling(self, y, sample_weight):
        n_outputs = np.asarray(y).reshape(len(y), -1).shape[1]
        return np.zeros(n_outputs), np.ones(n_outputs)


def _common_scaling(X, sample_weight):
    """Each column's weighted mean, and one scale for all: the root mean of the columns'
    variances (1 if all are constant), rounded as ``target_scaling`` rounds. Like PCA, the
    reconstruction error is then X's squared error in X's units."""
    mean, _ = target_scaling(X, sample_weight)
    unit = np.max(np.abs(X - mean))
    unit = unit if unit > 0 else 1.0
    variance = np.mean(np.average(((X - mean) / unit) ** 2, axis=0, weights=sample_weight))
    spread = _float32_precision(np.sqrt(variance) * unit) if variance > 0 else 1.0
    return mean, np.full(X.shape[1], spread)


class SparseMLPAutoencoder(SelectorMixin, BaseEstimator):
    """Unsupervised feature selection: the columns from which a network reconstructs all.

    A :class:`SparseMLPRegressor` learns to reconstruct every (centred) column of X from
    X itself, through its sparse first layer (the group lasso over input columns). Its
    regularization path is walked until at most ``n_features_to_select`` (k) columns are
    left; k of the 2k columns that stay longest on it are selected (by redundancy: see
    Notes), and the network is refitted on them
    without the penalty (the relaxed refit), so that it reconstructs the dropped columns
    from the kept ones. This is LassoNet's unsupervised selection (Lemhadri et al., JMLR
    2021: ``path(X, X)``) on this package's path, the task of the Concrete Autoencoder
    (Abid, Balin and Zou, ICML 2019).

    Parameters
    ----------
    estimator : SparseMLPRegressor or SparseMLPRegressorCV, default=None
        The template of the network, its penalty, training and path; it is cloned. A CV
        template gives its ``alphas``, ``path_multiplier``, ``max_iter_per_alpha``,
        ``max_drop_fraction``, ``relax_epochs`` and ``n_jobs`` (its folds are not used); a
        single-fit template walks the CV estimators' default path. None:
        ``SparseMLPRegressorCV()``. ``feature_encoding="auto"`` takes the raw columns: the
        dense network reads every column it reconstructs, so it always generalises.
    n_features_to_select : int or float, default=None
        How many columns to select: an int below the number of columns, or a fraction in
        (0, 1) of them (at least one). None: half of them, as
        :class:`~sklearn.feature_selection.RFE`.
    random_state : int, RandomState instance or None, default=None
        Seeds the networks where the template's ``random_state`` is None (the template's
        own seed wins); the global torch RNG is left untouched.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns seen during fit, when X has string column names.
    mean_, scale_ : ndarray of shape (`n_features_in_`,)
        The network reads and reconstructs ``(X - mean_) / scale_``: each column's mean,
        weighted by ``sample_weight``, and one scale for all the columns, the root mean
        of their variances (see Notes).
    estimator_ : SparseMLPRegressor
        The network that reconstructs every column of ``(X - mean_) / scale_`` from the
        selected ones.
    path_ : SparseMLPPath
        The full-data regularization path.
    alpha_ : float
        The alpha of the path's model that the relaxed refit started from: the last one
        that keeps at least ``n_features_to_select`` columns.
    support_ : ndarray of bool of shape (`n_features_in_`,)
        The selected columns.
    feature_importances_ : ndarray of shape (`n_features_in_`,)
        The selected columns first, then the others by how long they stay on the path, as
        the CV estimators rank them (:class:`SparseMLPRegressorCV`).

    See Also
    --------
    SparseMLPRegressorCV : The supervised selector; its template gives the network.
    sklearn.feature_selection.VarianceThreshold : The only unsupervised selector in
        scikit-learn.

    Notes
    -----
    The columns are centred and divided by one common scale, not standardized one by one:
    as for :class:`~sklearn.decomposition.PCA`, the reconstruction error is X's squared
    error in X's units, so a column of small variance (an image's border pixel) weighs
    little. Put a :class:`~sklearn.preprocessing.StandardScaler` first where the columns
    have different units.

    The group lasso does not choose between near-copies of one signal: splitting a weight
    between two copies costs no more penalty than giving it to one, and the copies average
    out their noise, so they stay on the path together, and the copies of the strongest
    signals stay longest, crowding out weaker signals. The path therefore screens and
    redundancy chooses: of the columns still on the path at the last alpha that keeps at
    least 2k of them (ties included), one after the other, the column that explains most
    of the variance of all columns that the columns already selected leave unexplained
    (:func:`greedy_column_subset`; Farahat, Ghodsi and Kamel, ICDM 2011).

    :meth:`inverse_transform` reconstructs the dropped columns from the selected ones, and
    :meth:`score` is the share of X's variance that reconstruction explains.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sparse_mlp import SparseMLPAutoencoder, SparseMLPRegressorCV
    >>> rng = np.random.RandomState(0)
    >>> factors = rng.randn(300, 2)
    >>> X = np.hstack([factors + 0.3 * rng.randn(300, 2) for _ in range(3)])  # 3 copies each
    >>> selector = SparseMLPAutoencoder(SparseMLPRegressorCV(random_state=0),
    ...                                 n_features_to_select=2).fit(X)
    >>> np.sort(selector.get_support(indices=True) % 2)  # one column per factor
    array([0, 1])
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_features_to_select": [Interval(Integral, 1, None, closed="left"),
                                 Interval(RealNotInt, 0, 1, closed="neither"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator=None, *, n_features_to_select=None, random_state=None):
        self.estimator = estimator
        self.n_features_to_select = n_features_to_select
        self.random_state = random_state

    def _template(self):
        """The template (a regressor or its CV twin, cloned) with the raw columns."""
        template = SparseMLPRegressorCV() if self.estimator is None else clone(self.estimator)
        if not isinstance(template, SparseMLPRegressor | SparseMLPRegressorCV):
            raise ValueError(
                f"estimator must be a SparseMLPRegressor or SparseMLPRegressorCV, got "
                f"{type(template).__name__}: the network regresses every column on all of "
                "them."
            )
        if template.feature_encoding == "auto":
            template.set_params(feature_encoding=None)
        if template.random_state is None:
            template.set_params(random_state=self.random_state)
        return template

    def _n_to_select(self, n_features):
        k = self.n_features_to_select
        if k is None:
            return max(1, n_features // 2)
        if isinstance(k, Real) and not isinstance(k, Integral):
            return max(1, int(k * n_features))
        if k >= n_features:
            raise ValueError(
                f"n_features_to_select={k} keeps every one of the {n_features} columns: "
                "give fewer, or a fraction in (0, 1)."
            )
        return int(k)

    @_fit_context(prefer_skip_nested_validation=False)  # the template validates its own
    @public_fit
    def fit(self, X, y=None, sample_weight=None):
        """Select the columns that reconstruct every column of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, dense (the network reconstructs every column of it), at least 2
            columns.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the means and the scale, the reconstruction loss and the
            covariance that breaks ties.

        Returns
        -------
        self : SparseMLPAutoencoder
            The fitted selector.

        Raises
        ------
        ValueError
            A template that is not a regressor of this package, fewer than 2 columns, or
            ``n_features_to_select`` not below the number of columns.
        """
        template = self._template()
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_features=2)
        k = self._n_to_select(X.shape[1])
        sample_weight = check_sample_weight(sample_weight, X)
        self.mean_, self.scale_ = _common_scaling(X, sample_weight)
        Z = (X - self.mean_) / self.scale_
        verbose = bool(template.verbose)
        if isinstance(template, _BaseSparseMLPCV):
            base = template._base_estimator()
            path = {name: getattr(template, name) for name in _PATH_DEFAULTS}
            drop, relax = template.max_drop_fraction, template.relax_epochs
        else:
            base = template.set_params(verbose=0)
            path, drop, relax = dict(_PATH_DEFAULTS), 1.0, 0
        base = _Reconstruction(**base.get_params())
        n_threads = effective_n_jobs(template.n_jobs)
        with silenced(ConvergenceWarning):
            dense = dense_fits(base, Z, Z, [], sample_weight=sample_weight, n_threads=n_threads)
        paths = cv_paths(
            dense, Z, Z, [], alphas=path["alphas"], path_multiplier=path["path_multiplier"],
            max_iter_per_alpha=path["max_iter_per_alpha"], max_drop_fraction=drop,
            relax_epochs=0, scorer=None, sample_weight=sample_weight, n_threads=n_threads,
            verbose=verbose, name=type(self).__name__,
        )
        self.path_ = paths.path
        support = self._support(Z, k, sample_weight)
        # the relaxed refit starts from the last model that still reads k columns
        reading = np.flatnonzero(self.path_.n_features >= k)
        index = int(reading[-1]) if reading.size else 0
        self.alpha_ = float(self.path_.alphas[index])
        self.estimator_ = relaxed_refit(paths.estimator_at(index), Z, Z,
                                        max(relax, base.max_iter), support,
                                        sample_weight=sample_weight)
        self.support_ = support
        self.feature_importances_ = path_importances(
            self.path_.feature_leave_alphas, support, self.path_.alphas,
            self.path_.feature_last_norms)
        return self

    def _support(self, Z, k, sample_weight):
        """k of the 2k columns that stay longest on the path, chosen by redundancy (see
        Notes)."""
        leave = self.path_.feature_leave_alphas
        # the columns that leave at or after the (2k)-th: all on the path together at the
        # last alpha where it keeps at least 2k (all columns where there are fewer)
        order = np.sort(leave)[::-1]
        candidates = np.flatnonzero(leave >= order[min(2 * k, len(order)) - 1])
        support = np.zeros(Z.shape[1], dtype=bool)
        support[greedy_column_subset(Z, k, candidates, sample_weight=sample_weight)] = True
        return support

    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_

    def inverse_transform(self, X):
        """Reconstruct every column from the selected ones.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_selected_features)
            The selected columns, as :meth:`transform` returns them.

        Returns
        -------
        X_full : ndarray of shape (n_samples, n_features_in)
            The selected columns as given, the dropped ones as the network reconstructs
            them (in X's units).

        Raises
        ------
        ValueError
            If X does not have one column per selected feature.
        """
        check_is_fitted(self, "support_")
        X = check_array(X, dtype=[np.float64, np.float32], ensure_min_features=0)
        kept = self.support_
        if X.shape[1] != kept.sum():
            raise ValueError(
                f"X has {X.shape[1]} columns, but {type(self).__name__} selected "
                f"{int(kept.sum())}: pass the output of transform."
            )
        Z = np.zeros((X.shape[0], len(kept)))
        Z[:, kept] = (X - self.mean_[kept]) / self.scale_[kept]
        reconstructed = self.estimator_.predict(Z).reshape(len(Z), -1)
        full = reconstructed * self.scale_ + self.mean_
        full[:, kept] = X
        return full

    def score(self, X, y=None, sample_weight=None):
        """The share of X's variance that the reconstruction from the selected columns explains.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to reconstruct.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows.

        Returns
        -------
        score : float
            ``r2_score(X, inverse_transform(transform(X)),
            multioutput="variance_weighted")``: 1 minus the reconstruction's squared error
            over X's total variance, as PCA's explained variance ratio (the selected columns
            count as reconstructed exactly).
        """
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return float(r2_score(X, self.inverse_transform(self.transform(X)),
                              sample_weight=sample_weight, multioutput="variance_weighted"))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.target_tags.required = False
        return tags

