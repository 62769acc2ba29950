"""SparseMLPAutoencoder: unsupervised selection of the columns that reconstruct all of them."""

import inspect
from numbers import Integral, Real

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectorMixin
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._base import public_fit, silenced, torch_threads
from ._cv import SparseMLPRegressorCV, _BaseSparseMLPCV, choose_alpha_index
from ._cv_path import _REFITS_PER_STACK, _score, cv_paths, dense_fits
from ._path import relaxed_refit
from ._prepare import check_sample_weight
from ._ranking import path_importances
from ._regressor import SparseMLPRegressor, _float32_precision, target_scaling
from ._stability import _PATH_DEFAULTS
from ._stacked import StackedTrainer, copy_spec

# n_features_to_select=None: the counts of columns the folds score run from 1 to half the
# columns, each at most this factor above the previous (every count up to 8)
_COUNT_STEP = 1.2
# ... by a network refitted on each fold's selection for the template's relax_epochs, or
# the CV estimators' default where it has none (a selection is scored by its refit)
_CV_RELAX_EPOCHS = inspect.signature(_BaseSparseMLPCV).parameters["relax_epochs"].default
# ... chosen among this many columns at most (those that stay longest on the full-data
# path): the greedy selection holds an (n_features, n_candidates) covariance
_MAX_CV_CANDIDATES = 2000


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


def candidate_counts(n_features):
    """The numbers of columns that ``n_features_to_select=None`` chooses among: every count
    from 1 up to 8, then steps of at most 20%, up to half the columns (at least 1).

    Parameters
    ----------
    n_features : int
        Number of columns of X.

    Returns
    -------
    counts : ndarray of int
        Increasing, from 1 to ``max(1, n_features // 2)``.
    """
    largest, counts = max(1, n_features // 2), [1]
    while counts[-1] < largest:
        counts.append(min(largest, max(counts[-1] + 1, round(counts[-1] * _COUNT_STEP))))
    return np.array(counts)


def held_out_gains(removed, total, selected):
    """The share of the held-out variance that each fold's selections explain in the
    columns they drop.

    A dropped column counts the squared error that its reconstruction removes from that of
    the training part's mean (the prediction of an empty selection); a selected column
    counts nothing, and so does a dropped column whose reconstructions, summed over the
    folds that drop it, remove none. The sum is divided by the squared error of the
    training mean over all columns. But for that floor, this is the held-out R^2 of all
    columns (relative to the training mean, the selected columns exact, as
    :meth:`SparseMLPAutoencoder.score` counts them) less the selected columns' own share of
    the variance, which is all that a selection of independent columns reaches: a
    selection scores by the structure it finds, not by its size. Without the floor, a
    network refitted to reconstruct a column it cannot (noise) does worse than the mean on
    new rows, so keeping such columns would score better than dropping them; decided over
    the folds together, the floor does not credit a column's lucky folds.

    Parameters
    ----------
    removed : ndarray of shape (n_folds, n_selections, n_features)
        Per fold, selection and column: the held-out squared error of the training mean
        less that of the selection's reconstruction (both weighted by the rows' weights).
    total : ndarray of shape (n_folds, n_features)
        Per fold and column: the held-out squared error of the training mean.
    selected : ndarray of bool of shape (n_folds, n_selections, n_features)
        The columns of each selection.

    Returns
    -------
    gains : ndarray of shape (n_folds, n_selections)
        0 for a selection that explains nothing of the columns it drops, and on a fold
        whose held-out rows do not vary.
    """
    removed = np.where(selected, 0.0, removed)
    counted = removed.sum(axis=0) > 0  # (n_selections, n_features): over the folds
    variance = total.sum(axis=1)[:, None]
    return np.divide((removed * counted).sum(axis=2), variance,
                     out=np.zeros(removed.shape[:2]), where=variance > 0)


def fold_orders(Z, folds, candidates, n_picks, sample_weight=None):
    """Each training part's greedy column subset order (:func:`greedy_column_subset`, on
    its own weighted centring): its first k columns are its selection of k.

    Returns
    -------
    orders : list of ndarray of int of shape (n_picks,)
    """
    orders = []
    for train, _ in folds:
        weight = None if sample_weight is None else sample_weight[train]
        centred = Z[train] - np.average(Z[train], axis=0, weights=weight)
        orders.append(greedy_column_subset(centred, n_picks, candidates, sample_weight=weight))
    return orders


def fold_errors(base, Z, folds, selected, epochs, sample_weight=None, n_threads=1):
    """The held-out errors of the reconstructions from each fold's selections.

    Each fold's network is fitted dense on its training part (one stack, as
    :func:`~sklearn_sparse_mlp._cv_path.dense_fits`), then refitted on each of its
    selections without the penalty for ``epochs``, as the CV estimators refit the supports
    of their folds' paths (stacks of relaxed refits, each reading the union of its
    selections).

    Parameters
    ----------
    base : _Reconstruction
        The network and its training.
    Z : ndarray of shape (n_samples, n_features)
    folds : list of (train, test)
    selected : ndarray of bool of shape (n_folds, n_selections, n_features)
        The columns of each fold's selections.
    epochs : int
        Epochs of each refit.

    Returns
    -------
    removed, total : ndarray
        As :func:`held_out_gains` takes them.
    """
    with silenced(ConvergenceWarning):
        dense = dense_fits(base, Z, Z, folds, sample_weight=sample_weight,
                           n_threads=n_threads, full=False)
    starts = [dense.stack.state_of(fold) for fold in range(len(folds))]
    relaxed = clone(base).set_params(**base._relaxed_training())
    # the largest selections first: a stack reads the union of its selections
    jobs = sorted(np.ndindex(selected.shape[:2]), key=lambda job: -selected[job].sum())
    removed = np.empty(selected.shape)
    with torch_threads(n_threads):
        for chunk in np.array_split(np.array(jobs), -(-len(jobs) // _REFITS_PER_STACK)):
            specs = [copy_spec(dense.specs[fold],
                               held=~selected[fold, j] | dense.specs[fold].held)
                     for fold, j in chunk]
            read = np.flatnonzero(~np.all([spec.held for spec in specs], axis=0))
            stack = StackedTrainer(relaxed, dense.X32, dense.y_train, dense.n_outputs,
                                   dense.criterion, specs, dense.hidden,
                                   states=[starts[fold] for fold, _ in chunk],
                                   columns=read if len(read) else np.arange(1))
            # no penalty, so no schedule; weight_decay off, as relaxed_refit trains
            stack.fit(0.0, epochs, [0] * len(specs), 0.0, np.ones(len(specs), dtype=bool))
            for i, (fold, j) in enumerate(chunk):
                removed[fold, j] = _score(dense.template, stack.state_of(i)[0], specs[i],
                                          _removed_error_scorer(Z, folds[fold][0]),
                                          folds[fold][1], sample_weight)
    total = np.array([_mean_error(Z, train, test, sample_weight) for train, test in folds])
    return removed, total


def _mean_error(Z, train, test, sample_weight):
    """Per column, the held-out squared error of the training part's mean (weighted)."""
    train_weight = None if sample_weight is None else sample_weight[train]
    weight = np.ones(len(test)) if sample_weight is None else sample_weight[test]
    return weight @ (Z[test] - np.average(Z[train], axis=0, weights=train_weight)) ** 2


def _removed_error_scorer(Z, train):
    """``scorer(model, test, sample_weight)`` of a fold's refit: per column, the held-out
    squared error that its reconstruction removes from that of the training mean."""

    def scorer(model, test, sample_weight):
        weight = np.ones(len(test)) if sample_weight is None else sample_weight[test]
        reconstructed = model.predict(Z[test]).reshape(len(test), -1)
        return (_mean_error(Z, train, test, sample_weight)
                - weight @ (Z[test] - reconstructed) ** 2)

    return scorer


class SparseMLPAutoencoder(SelectorMixin, BaseEstimator):
    """Unsupervised feature selection: the columns from which a network reconstructs all.

    A :class:`SparseMLPRegressor` learns to reconstruct every (centred) column of X from
    X itself, through its sparse first layer (the group lasso over input columns). Its
    regularization path is walked until at most ``n_features_to_select`` (k) columns are
    left; k columns are selected by greedy column subset selection (among all the columns,
    or the 2000 that stay longest on the path on wider data: see Notes), and the network is
    refitted on them without the penalty (the relaxed refit), starting from the path's
    last model that reads at least k columns, so that it reconstructs the dropped columns
    from the kept ones. Without k, folds
    choose it: the fewest columns whose selections reconstruct held-out rows nearly as
    well as the best number (see Notes). This is LassoNet's unsupervised selection
    (Lemhadri et al., JMLR 2021: ``path(X, X)``) on this package's path, the task of the
    Concrete Autoencoder (Abid, Balin and Zou, ICML 2019).

    Parameters
    ----------
    estimator : SparseMLPRegressor or SparseMLPRegressorCV, default=None
        The template of the network, its penalty, training and path; it is cloned. A CV
        template gives its ``alphas``, ``path_multiplier``, ``max_iter_per_alpha``,
        ``max_drop_fraction``, ``relax_epochs`` and ``n_jobs``, and where
        ``n_features_to_select=None`` its ``cv`` and ``selection`` rule; a single-fit
        template walks the CV classifier's default path (25 epochs per alpha), and its k
        is chosen by 5 shuffled folds (:class:`~sklearn.model_selection.KFold` seeded by
        its ``random_state``) and the one-standard-error rule. None:
        ``SparseMLPRegressorCV(max_iter_per_alpha=25)`` (the CV classifier's and a
        single-fit template's budget per alpha: the regressor's default of 5 was measured
        on regression tasks, not on reconstructions).
        ``feature_encoding="auto"`` takes the raw columns: the dense network reads every
        column it reconstructs, so it always generalises.
    n_features_to_select : int, float or None, default=None
        How many columns to select: an int below the number of columns, or a fraction in
        (0, 1) of them (at least one). None: chosen by the folds, from 1 to half the
        columns (see Notes); at least one column is kept.
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
    alphas_ : ndarray of shape (n_alphas,)
        Its grid (``path_.alphas``).
    alpha_ : float
        The alpha of the path's model that the relaxed refit started from: the last one
        that keeps at least ``n_features_to_select_`` columns.
    n_features_to_select_ : int
        The number of columns selected: ``n_features_to_select`` as a count, or the folds'
        choice.
    n_features_path_ : ndarray of int of shape (n_counts,)
        Only with ``n_features_to_select=None``: the numbers of columns the folds scored,
        from the most (half the columns) to 0 (no selection: the training mean), as
        :class:`SparseMLPRegressorCV`'s path goes from many features to none.
    scores_path_ : ndarray of shape (n_folds, n_counts)
        Only with ``n_features_to_select=None``: each fold's held-out score of its
        selection of each number of columns in ``n_features_path_`` (the share of the
        variance it explains in the columns it drops; see Notes and
        :func:`held_out_gains`).
    constant_scores_ : ndarray of shape (n_folds,)
        Only with ``n_features_to_select=None``: the score of no selection, 0 on every
        fold (the last column of ``scores_path_``), as :class:`SparseMLPRegressorCV` names
        the constant prediction's.
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
    signals stay longest, crowding out weaker signals. Redundancy therefore chooses: one
    after the other, the column that explains most of the variance of all columns that the
    columns already selected leave unexplained (:func:`greedy_column_subset`; Farahat,
    Ghodsi and Kamel, ICDM 2011), among all the columns, or among the 2000 that stay
    longest on the path where there are more (the greedy selection holds an
    (n_features, n_candidates) covariance). The path ranks the columns
    (``feature_importances_``), screens wide data and starts the relaxed refit; the folds
    (below) and the network's reconstruction decide k. Screening with the path to the 2k
    columns that stay longest on it, as this estimator did before, missed a factor whose
    copies left the path together with others (2 of 6 seeds of the benchmark's factor
    data) and reconstructed MNIST-5k worse (see the user guide).

    **Choosing k** (``n_features_to_select=None``). Each fold selects k columns of its
    training part for every k from 1 to half the columns (every k up to 8, then steps of at
    most 20%): the first k of its greedy column subset order over all the columns (on wider
    data, over the 2000 that stay longest on the full-data path, k up to 2000). Its network,
    fitted dense on the training part, is refitted on each selection without the penalty, as
    the CV estimators refit their folds' supports (``relax_epochs`` of a CV template, else
    60 epochs), and scored on the fold's held-out rows by the share of their variance that
    it explains in the columns it drops (:func:`held_out_gains`). The held-out R^2 of all
    columns would not do: a kept column counts as reconstructed exactly, so it rises with
    every column kept, a noise column included; the score here is that R^2 less the kept
    columns' own share of the variance. The template's ``selection`` rule (by default the
    fewest columns whose mean score is within one standard error of the best, as the CV
    estimators choose alpha; the empty selection, scored 0, competes as their constant
    prediction does, and where it wins 1 column is kept) gives k, and the selection of k
    columns then proceeds as with that k given. On columns copied from a few latent factors
    among noise columns it chose as many columns as factors; on independent columns it
    mostly kept 1 (see the user guide). The folds cost ``n_folds`` dense fits and
    ``n_folds`` times the number of counts relaxed refits, several times the fit with k
    given. They choose how many columns, not which: their paths are not walked, since
    screening each fold's 2k longest-staying columns made the choice fragile (a fold whose
    path had dropped every copy of a factor from them scored the right k low).

    :meth:`inverse_transform` reconstructs the dropped columns from the selected ones, and
    :meth:`score` is the share of X's variance that reconstruction explains.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sparse_mlp import SparseMLPAutoencoder
    >>> rng = np.random.RandomState(0)
    >>> factors = rng.randn(300, 2)
    >>> X = np.hstack([factors + 0.3 * rng.randn(300, 2) for _ in range(3)])  # 3 copies each
    >>> selector = SparseMLPAutoencoder(n_features_to_select=2, random_state=0).fit(X)
    >>> np.sort(selector.get_support(indices=True) % 2)  # one column per factor
    array([0, 1])
    >>> chosen = SparseMLPAutoencoder(random_state=0).fit(X)
    >>> chosen.n_features_to_select_  # k chosen by the folds: one column per factor
    2
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
        template = (SparseMLPRegressorCV(
                        max_iter_per_alpha=_PATH_DEFAULTS["max_iter_per_alpha"])
                    if self.estimator is None else clone(self.estimator))
        if not isinstance(template, SparseMLPRegressor | SparseMLPRegressorCV):
            raise ValueError(
                f"estimator must be a SparseMLPRegressor or SparseMLPRegressorCV, got "
                f"{type(template).__name__}: the network regresses every column on all of "
                "them."
            )
        # a CV template is never fitted: its own parameters (cv, selection) are checked here
        template._validate_params()
        if template.feature_encoding == "auto":
            template.set_params(feature_encoding=None)
        if template.random_state is None:
            template.set_params(random_state=self.random_state)
        return template

    def _n_to_select(self, n_features):
        """k, or None where the folds choose it."""
        k = self.n_features_to_select
        if k is None:
            return None
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
            covariance that breaks ties; with ``n_features_to_select=None``, also in each
            fold's training and held-out score.

        Returns
        -------
        self : SparseMLPAutoencoder
            The fitted selector.

        Raises
        ------
        ValueError
            A template that is not a regressor of this package, fewer than 2 columns,
            ``n_features_to_select`` not below the number of columns, or (with
            ``n_features_to_select=None``) folds that cannot be made (fewer rows than
            folds) or have a part of weight 0.
        """
        template = self._template()
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_features=2)
        k = self._n_to_select(X.shape[1])
        sample_weight = check_sample_weight(sample_weight, X)
        folds = self._folds(template, X, sample_weight) if k is None else None  # before fits
        self.mean_, self.scale_ = _common_scaling(X, sample_weight)
        Z = (X - self.mean_) / self.scale_
        verbose = bool(template.verbose)  # a single-fit template's is turned off below
        base, path, drop, relax = self._network(template)
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
        self.alphas_ = self.path_.alphas
        for name in ("scores_path_", "n_features_path_", "constant_scores_"):
            self.__dict__.pop(name, None)  # an earlier fit's choice of k
        if k is None:
            k = self._choose_k(template, base, Z, folds, sample_weight, n_threads, verbose)
        self.n_features_to_select_ = k
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

    @staticmethod
    def _network(template):
        """The network of the template (``_Reconstruction``), its path's parameters, its
        grid refinement and its relaxed refits' epochs (0: none along the path)."""
        if isinstance(template, _BaseSparseMLPCV):
            base = template._base_estimator()
            path = {name: getattr(template, name) for name in _PATH_DEFAULTS}
            drop, relax = template.max_drop_fraction, template.relax_epochs
        else:
            base = template.set_params(verbose=0)
            path, drop, relax = dict(_PATH_DEFAULTS), 1.0, 0
        return _Reconstruction(**base.get_params()), path, drop, relax

    @staticmethod
    def _folds(template, X, sample_weight):
        """The folds that choose k: a CV template's ``cv``, else 5 shuffled folds seeded by
        its ``random_state``; checked as the CV estimators check theirs."""
        if not isinstance(template, _BaseSparseMLPCV):
            template = SparseMLPRegressorCV(
                cv=KFold(n_splits=5, shuffle=True, random_state=template.random_state))
        return template._folds(X, None, sample_weight)

    def _choose_k(self, template, base, Z, folds, sample_weight, n_threads, verbose):
        """``n_features_to_select=None``: the count of columns whose selections the folds
        score best by the template's rule (see Notes); sets ``scores_path_``,
        ``n_features_path_`` and ``constant_scores_``."""
        counts = candidate_counts(min(Z.shape[1], 2 * _MAX_CV_CANDIDATES))
        candidates = self._candidates(Z.shape[1])
        orders = fold_orders(Z, folds, candidates, counts[-1], sample_weight)
        selected = np.zeros((len(folds), len(counts), Z.shape[1]), dtype=bool)
        for fold, order in enumerate(orders):
            for j, count in enumerate(counts):
                selected[fold, j, order[:count]] = True
        is_cv = isinstance(template, _BaseSparseMLPCV)
        epochs = template.relax_epochs if is_cv and template.relax_epochs else _CV_RELAX_EPOCHS
        gains = held_out_gains(*fold_errors(base, Z, folds, selected, epochs, sample_weight,
                                            n_threads), selected)
        # from the most columns to none, as along a path; selecting none is predicting the
        # training mean, whose gain is 0
        self.constant_scores_ = np.zeros(len(folds))
        self.scores_path_ = np.column_stack([gains[:, ::-1], self.constant_scores_])
        self.n_features_path_ = np.append(counts[::-1], 0)
        chosen = choose_alpha_index(self.scores_path_, self.n_features_path_,
                                    template.selection if is_cv else "one_standard_error",
                                    self.constant_scores_)
        k = max(1, int(self.n_features_path_[chosen]))
        if verbose:
            print(f"{type(self).__name__}: n_features_to_select_={k}; mean held-out gain "
                  f"{self.scores_path_[:, chosen].mean():.4g} on the {len(folds)} folds "
                  f"(best {self.scores_path_.mean(axis=0).max():.4g})", flush=True)
        return k

    def _candidates(self, n_features):
        """The columns a selection is chosen among: all of them, or the
        ``_MAX_CV_CANDIDATES`` that stay longest on the full-data path where there are
        more."""
        if n_features <= _MAX_CV_CANDIDATES:
            return np.arange(n_features)
        ranking = path_importances(self.path_.feature_leave_alphas,
                                   np.zeros(n_features, dtype=bool), self.path_.alphas,
                                   self.path_.feature_last_norms)
        return np.argsort(-ranking, kind="stable")[:_MAX_CV_CANDIDATES]

    def _support(self, Z, k, sample_weight):
        """k columns by greedy column subset selection among the candidates (see Notes)."""
        support = np.zeros(Z.shape[1], dtype=bool)
        support[greedy_column_subset(Z, k, self._candidates(Z.shape[1]),
                                     sample_weight=sample_weight)] = True
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

