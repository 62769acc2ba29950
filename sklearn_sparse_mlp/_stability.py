"""Stability selection with complementary pairs along the regularization path.

The 2B halves of B random splits of the rows each walk the regularization path of the full
data (one shared alpha grid), all of them trained together as stacks of networks
(:class:`~sklearn_sparse_mlp._stacked.StackedTrainer`); chunks of the halves may run on
joblib workers. A feature's selection probability is the share of halves that keep it among
their first ``q`` features to enter the path (the last ``q`` to leave it); the features
whose probability reaches the cutoff are selected, with Shah & Samworth's bound on the
expected number of false selections.
"""

import inspect
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectorMixin
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data
from tqdm.auto import tqdm

from ._base import (
    ACCEPT_SPARSE,
    N_JOBS_CONSTRAINT,
    DataAdviceWarning,
    _BaseSparseMLP,
    draw_seed,
    public_fit,
    silenced,
    torch_threads,
    warn_user,
)
from ._cv import (
    SparseMLPClassifierCV,
    SparseMLPRegressorCV,
    _BaseSparseMLPCV,
    encoded_dense_fits,
)
from ._cv_path import cv_paths, dense_fits
from ._data import unique_rows
from ._encoding import check_dense
from ._prepare import check_sample_weight
from ._screening import WorkingSetPath

_PATH_PARAMS = ("alphas", "path_multiplier", "max_iter_per_alpha")


def cv_path_defaults(cv_class):
    """The path parameters a CV estimator class walks by default (its signature's)."""
    return {name: inspect.signature(cv_class).parameters[name].default
            for name in _PATH_PARAMS}


# _BaseSparseMLPCV's defaults, which are the CV classifier's (25 epochs per alpha;
# SparseMLPRegressorCV's own default is 5): the autoencoder's path
_PATH_DEFAULTS = cv_path_defaults(_BaseSparseMLPCV)
# Used for the parameters the user leaves out, in this order, until two of three are set.
_DEFAULT_CUTOFF, _DEFAULT_PFER = 0.75, 1.0


def unimodal_constant(cutoff, n_pairs, theta):
    """The constant ``C`` of Shah & Samworth's bound under the unimodal assumption.

    ``E[V] <= q**2 / (p * C)`` for complementary pairs (Shah & Samworth 2013, JRSS-B 75,
    eq. 8; R's ``stabs``, ``um_const``): ``C = 2 * (2 * cutoff - 1 - 1 / (2 * B))`` for a
    cutoff up to 3/4, ``(1 + 1 / B) / (4 * (1 - cutoff + 1 / (2 * B)))`` above.

    Parameters
    ----------
    cutoff : float
        Threshold on the selection probability, in (1/2, 1].
    n_pairs : int
        B, the number of complementary pairs.
    theta : float
        ``q / p``, the share of the features that each half selects.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Where the bound does not hold: a cutoff up to 3/4 below
        ``1/2 + min(theta**2, 1 / (2 * B) + 3/4 * theta**2)`` or at most
        ``1/2 + 1 / (4 * B)`` (where ``C`` would not be positive), or above 1.
    """
    if cutoff > 1:
        raise ValueError(f"cutoff={cutoff} is above 1: a probability cannot reach it.")
    if cutoff <= 0.75:
        lowest = 0.5 + min(theta**2, 1 / (2 * n_pairs) + 0.75 * theta**2)
        if cutoff < lowest:
            raise ValueError(
                f"cutoff={cutoff} is too low for the unimodal bound with q/p={theta:.3g} "
                f"and {n_pairs} pairs: it needs at least {lowest:.4g}. Raise cutoff, or "
                "lower q."
            )
        constant = 2 * (2 * cutoff - 1 - 1 / (2 * n_pairs))
        if constant <= 0:  # the bound would be infinite or negative
            raise ValueError(
                f"cutoff={cutoff} is too low for the unimodal bound with {n_pairs} pairs: it "
                f"needs more than {0.5 + 1 / (4 * n_pairs):.4g}. Raise cutoff or n_pairs."
            )
        return constant
    return (1 + 1 / n_pairs) / (4 * (1 - cutoff + 1 / (2 * n_pairs)))


def pfer_bound(q, n_features, cutoff, n_pairs):
    """Shah & Samworth's unimodal bound on the expected number of false selections.

    Parameters
    ----------
    q : int
        Features each half selects.
    n_features : int
        p, the number of features.
    cutoff : float
        Threshold on the selection probability.
    n_pairs : int
        B, the number of complementary pairs.

    Returns
    -------
    float
        ``q**2 / (p * C)`` (see :func:`unimodal_constant`, which raises where the bound
        does not hold).
    """
    return q**2 / (n_features * unimodal_constant(cutoff, n_pairs, q / n_features))


def stability_parameters(n_features, n_pairs, cutoff=None, pfer=None, q=None):
    """The third of (cutoff, q, PFER) from the two given, as R's ``stabs`` derives it.

    Given cutoff and PFER: the largest q whose bound is at most PFER (``optimal_q``).
    Given q and PFER: the smallest cutoff, a multiple of ``1 / (2 * B)`` above 1/2, whose
    bound is below PFER (``optimal_cutoff``). Given cutoff and q: their bound. Where fewer
    than two are given, cutoff=0.75 and then PFER=1 fill in.

    Returns
    -------
    cutoff : float
    q : int
    bound : float
        The bound of ``(q, cutoff)`` (:func:`pfer_bound`), at most ``pfer``.

    Raises
    ------
    ValueError
        All three given, q above p, or no value meets the bound.
    """
    given = {"cutoff": cutoff, "pfer": pfer, "q": q}
    if all(value is not None for value in given.values()):
        raise ValueError(
            "cutoff, pfer and q are all given, but the bound ties them: give two of them, "
            "and the third is derived (set the other to None)."
        )
    if q is not None and q > n_features:
        raise ValueError(f"q={q} is more than the {n_features} features.")
    if cutoff is None and (pfer is None or q is None):
        cutoff = _DEFAULT_CUTOFF
    if q is None and pfer is None:
        pfer = _DEFAULT_PFER
    if q is None:
        valid = []
        for candidate in range(1, n_features + 1):
            try:
                bound = pfer_bound(candidate, n_features, cutoff, n_pairs)
            except ValueError:
                break  # a larger q needs a larger cutoff still
            if bound > pfer:
                break
            valid.append(candidate)
        if not valid:
            raise ValueError(
                f"No q meets pfer={pfer} at cutoff={cutoff} with n_features={n_features} "
                f"and {n_pairs} pairs: raise pfer or cutoff."
            )
        q = valid[-1]
    elif cutoff is None:
        grid = 0.5 + np.arange(2, n_pairs + 1) / (2 * n_pairs)
        theta = q / n_features
        grid = grid[grid > min(0.5 + theta**2, 0.5 + 1 / (2 * n_pairs) + 0.75 * theta**2)]
        below = [c for c in grid if pfer_bound(q, n_features, c, n_pairs) < pfer]
        if not below:
            raise ValueError(
                f"No cutoff keeps the bound of q={q} below pfer={pfer} with {n_features} "
                f"features and {n_pairs} pairs: lower q, or raise pfer."
            )
        cutoff = float(below[0])
    return float(cutoff), int(q), float(pfer_bound(q, n_features, cutoff, n_pairs))


def complementary_pairs(y, n_pairs, classifier, random_state):
    """The 2B halves of B random splits of the rows, each split's two halves in turn.

    Returns a list of (half, complement) row-index pairs, as CV folds (train, test): the
    halves of a split are ``floor(n/2)`` and ``ceil(n/2)`` rows, stratified by class for a
    classifier (``StratifiedShuffleSplit``) whose classes all have two samples, else
    ``ShuffleSplit``.
    """
    n = len(y)
    if n < 4:
        raise ValueError(f"Stability selection splits the rows in halves: n_samples={n} "
                         "is too few, give at least 4.")
    # a class of one sample cannot be in both halves: those splits are not stratified
    stratified = classifier and np.unique(y, return_counts=True)[1].min() >= 2
    splitter = (StratifiedShuffleSplit if stratified else ShuffleSplit)(
        n_splits=n_pairs, train_size=n // 2, test_size=n - n // 2, random_state=random_state)
    halves = []
    for first, second in splitter.split(np.zeros((n, 1)), y if stratified else None):
        halves += [(first, second), (second, first)]
    return halves


def _halves(X, y, sample_weight, n_pairs, classifier, random_state):
    """The halves of :func:`complementary_pairs` over the distinct samples, and the weights
    they train with.

    Identical ``(x, y)`` rows are one sample, of their summed weight, that goes to one half
    (a repeated row in both halves would tie them); rows of weight 0 are in neither. A
    weight of 2 is then the same selection as a row given twice.

    Returns
    -------
    halves : list of (rows, complement)
        Indices into X of the distinct samples: the first row of each set of repeats.
    weight : ndarray of shape (n_samples,) or None
        The summed weights on those rows, 0 elsewhere; None where every row is distinct
        and unweighted.
    """
    weight = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    kept = np.flatnonzero(weight > 0)
    first, unit_weight = unique_rows(X[kept], y[kept], weight[kept])
    units = kept[first]
    halves = [(units[a], units[b]) for a, b in
              complementary_pairs(y[units], n_pairs, classifier, random_state)]
    _check_halves(halves, y, classifier)
    if sample_weight is None and len(units) == X.shape[0]:
        return halves, None
    merged = np.zeros(X.shape[0])
    merged[units] = unit_weight
    return halves, merged


def _check_halves(halves, y, classifier):
    for i, (rows, _) in enumerate(halves):
        if classifier and len(np.unique(y[rows])) < 2:
            raise ValueError(
                f"Half {i} of the pairs holds only class {np.unique(y[rows]).tolist()} "
                "among its samples of positive weight: each half needs two classes; give "
                "more samples of the other classes positive weight."
            )


def half_paths(base, X, y, halves, grid, max_iter_per_alpha, sample_weight, verbose=False):
    """Walk ``grid`` with one network per half, all in one stack.

    Each half's network is fitted dense, then at each alpha of ``grid`` in turn, as a path
    (``sparse_mlp_path``) on its rows would train it; a half's path ends at its first model
    without a feature.

    Returns
    -------
    counts : ndarray of int of shape (n_alphas, n_features)
        Halves that select each feature at each alpha.
    leave : ndarray of shape (n_halves, n_features)
        The alpha after which each feature never comes back on each half's path.
    last_norms : ndarray of shape (n_halves, n_features)
        Its column norm at the last alpha where it is selected (0: never selected).
    converged : bool
        Whether every dense fit converged.
    """
    with silenced(ConvergenceWarning, DataAdviceWarning):
        dense = dense_fits(base, X, y, halves, sample_weight=sample_weight, n_threads=1,
                           full=False)
    columns = dense.template._columns
    stack = WorkingSetPath(dense.stack, base.l1_ratio)
    n_halves, n_features, n_alphas = len(halves), columns.n_features, len(grid)
    # per half, not per alpha too: (halves, alphas, features) arrays grow with wide data
    counts = np.zeros((n_alphas, n_features), dtype=np.int64)
    last = np.full((n_halves, n_features), -1)  # the last alpha index selecting it
    last_norms = np.zeros((n_halves, n_features))
    running = np.ones(n_halves, dtype=bool)
    with torch_threads(1):
        for i, alpha in enumerate(tqdm(grid, desc="stability paths", disable=not verbose,
                                       leave=False)):
            stack.fit(alpha, max_iter_per_alpha, [0] * n_halves, base.weight_decay, running)
            for m in np.flatnonzero(running):
                support = columns.feature_mask(stack.support_of(m))
                counts[i] += support
                last[m, support] = i
                last_norms[m, support] = columns.norms(stack.lin1_of(m))[support]
                running[m] = support.any()  # a path ends at its first empty model
    # as _leave_alphas_and_norms: never selected leaves at the first alpha, still selected
    # at the last one never leaves (inf)
    grid = np.asarray(grid)
    leave = np.where(last < 0, grid[0],
                     np.where(last + 1 < n_alphas, grid[np.minimum(last + 1, n_alphas - 1)],
                              np.inf))
    return counts, leave, last_norms, bool(dense.converged.all())


def first_to_enter(leave, last_norms, q):
    """Each half's ``q`` features that stay longest on its path, a bool mask.

    Ranked by leave alpha, ties by the column norm at the last alpha where the feature was
    selected; features a half never selects are never among them (a half may select fewer
    than ``q`` features in all).

    Parameters
    ----------
    leave, last_norms : ndarray of shape (n_halves, n_features)
        See :func:`half_paths`.
    q : int

    Returns
    -------
    ndarray of bool of shape (n_halves, n_features)
    """
    selected = np.zeros(leave.shape, dtype=bool)
    for m, (half_leave, half_norms) in enumerate(zip(leave, last_norms, strict=True)):
        order = np.lexsort((-half_norms, -half_leave))[:q]
        selected[m, order[half_norms[order] > 0]] = True
    return selected


class StabilitySelection(SelectorMixin, MetaEstimatorMixin, BaseEstimator):
    """Stability selection with complementary pairs and an error bound (Shah & Samworth).

    The rows are split at random into two halves ``n_pairs`` times; each of the
    ``2 * n_pairs`` halves walks the regularization path of ``estimator`` over one shared
    alpha grid (that of the full data's path, as :class:`SparseMLPClassifierCV` derives
    it), all networks trained together as stacks. Each half keeps the ``q`` features that
    stay longest on its path (its first ``q`` to enter); a feature's selection probability
    is the share of halves that keep it, and the features whose probability reaches
    ``cutoff`` are selected. Under Shah & Samworth's unimodal assumption, the expected
    number of selected features that are noise (unrelated to y given the signal features,
    and selected no more often than chance) is at most ``pfer_bound_``.

    Give two of ``cutoff``, ``pfer`` and ``q`` and the third is derived (as R's ``stabs``
    does); of those left out, ``cutoff=0.75`` and then ``pfer=1`` fill in, so that the
    default derives ``q`` from ``cutoff=0.75`` and ``pfer=1``.

    Parameters
    ----------
    estimator : SparseMLPClassifier, SparseMLPRegressor or their CV twin
        The template: its architecture, penalty (``l1_ratio``), solver, training schedule
        and ``feature_encoding`` (a CV estimator's "auto" chooses as that estimator would,
        with the halves of the first pair as two folds; its ``alphas``, ``path_multiplier`` and
        ``max_iter_per_alpha`` also set the grid, which the full data's path derives; a
        single fit's grid is its CV twin's with that twin's defaults: 25 epochs per alpha
        for a classifier, 5 for a regressor); its ``alpha`` is not used. Not modified.
    n_pairs : int, default=50
        B, the number of random splits into two halves; 2B paths are walked.
    cutoff : float in (0.5, 1], default=None
        Threshold on the selection probability.
    pfer : float > 0, default=None
        The per-family error rate to bound: the expected number of false selections.
    q : int >= 1, default=None
        Features each half selects.
    max_iter_per_alpha : int, default=5
        Epochs of each half's network at each alpha of the grid (at most; it stops earlier
        where its loss and support converge). Fewer than the CV estimators' 25: a selection
        probability averages over the 2B halves, so each half's path needs less
        convergence. On the trust table's data sets 5 (or 10) instead of 25 kept the same
        selections at a fraction of the cost (see :ref:`trust-table`).
    n_jobs : int, default=None
        Joblib workers, each training one chunk of the halves as its own stack (with one
        torch thread); under ``joblib.parallel_backend("dask")`` the chunks run on the
        cluster. None: one chunk in this process. The result does not depend on it (up to
        float rounding).
    random_state : int, RandomState instance or None, default=None
        Draws the splits, and the networks' seed where the template's ``random_state``
        is None.
    verbose : int, default=0
        Progress bars of the full-data path and of the halves' paths (one chunk), and a
        last line with the selection and its bound.

    Attributes
    ----------
    estimator_ : SparseMLPClassifier or SparseMLPRegressor
        The single-fit estimator the halves trained as (with the encoding used).
    feature_encoding_ : str or None
        The encoding used.
    alphas_ : ndarray of shape (n_alphas,)
        The grid of the paths.
    stability_scores_ : ndarray of shape (n_features, n_alphas)
        The stability path: the share of the halves that select each feature at each
        alpha.
    selection_probabilities_ : ndarray of shape (n_features,)
        The share of the halves that keep each feature among their first ``q_``.
    cutoff_ : float
        The cutoff used (given or derived).
    q_ : int
        The number of features each half keeps (given or derived).
    pfer_bound_ : float
        The bound on the expected number of false selections of ``(q_, cutoff_)``.
    support_ : ndarray of bool of shape (n_features,)
        ``selection_probabilities_ >= cutoff_``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Where X has feature names.

    Notes
    -----
    The bound holds for any selector run on the halves, given that noise features are no
    more likely than each other to be selected and the unimodal assumption on their
    selection probabilities (Shah & Samworth 2013). It is an expected count, not a
    probability; ``pfer / n_features`` is the per-comparison error rate. Groups of features
    (``groups``) are not supported.

    References
    ----------
    N. Meinshausen and P. Buhlmann, "Stability selection", JRSS-B 72(4), 2010.
    R. D. Shah and R. J. Samworth, "Variable selection with error control: another look at
    stability selection", JRSS-B 75(1), 2013.
    B. Hofner, L. Boccuto and M. Goker, "Controlling false discoveries in high-dimensional
    situations: boosting with stability selection", BMC Bioinformatics 16, 2015 (``stabs``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sparse_mlp import SparseMLPClassifier, StabilitySelection
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(300, 8)
    >>> y = (X[:, 0] ** 2 + X[:, 1] ** 2 > 1.4).astype(int)
    >>> selector = StabilitySelection(SparseMLPClassifier(), n_pairs=5, random_state=0)
    >>> selector.fit(X, y).get_support(indices=True)
    array([0, 1])
    >>> selector.q_, float(round(selector.pfer_bound_, 3))
    (2, 0.625)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],  # which ones: checked in fit, with the fix
        "n_pairs": [Interval(Integral, 1, None, closed="left")],
        "cutoff": [Interval(Real, 0.5, 1, closed="right"), None],
        "pfer": [Interval(Real, 0, None, closed="neither"), None],
        "q": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter_per_alpha": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": N_JOBS_CONSTRAINT,
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, estimator, *, n_pairs=50, cutoff=None, pfer=None, q=None,
                 max_iter_per_alpha=5, n_jobs=None, random_state=None, verbose=0):
        self.estimator = estimator
        self.n_pairs = n_pairs
        self.cutoff = cutoff
        self.pfer = pfer
        self.q = q
        self.max_iter_per_alpha = max_iter_per_alpha
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _template(self):
        """The single-fit estimator, the path's parameters, and the encoding to decide."""
        if isinstance(self.estimator, _BaseSparseMLPCV):
            base = self.estimator._base_estimator()
            path = {name: getattr(self.estimator, name) for name in _PATH_PARAMS}
            return base, path, self.estimator.feature_encoding
        if not isinstance(self.estimator, _BaseSparseMLP):
            raise ValueError(
                f"estimator must be a SparseMLPClassifier, SparseMLPRegressor or their CV "
                f"twin, got {type(self.estimator).__name__}: the halves walk its "
                "regularization path."
            )
        base = clone(self.estimator).set_params(verbose=0)
        # a single fit's grid is walked as its CV twin walks it by default
        twin = next(cv for cv in (SparseMLPClassifierCV, SparseMLPRegressorCV)
                    if isinstance(base, cv._single_fit_class))
        return base, cv_path_defaults(twin), base.feature_encoding

    @_fit_context(prefer_skip_nested_validation=False)  # the template validates its own
    @public_fit
    def fit(self, X, y, sample_weight=None):
        """Walk the paths of the halves and select the stable features.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training data (sparse only where the template's encoding allows it).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, as the template takes them.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples: each half trains on its rows' weights.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            A template that is not one of this package's estimators, ``groups`` set, all
            three of cutoff, pfer and q given, no value that meets the bound, or a half
            without two classes (classifiers) or without a sample of positive weight.
        """
        base, path, encoding = self._template()
        classifier = is_classifier(base)
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32],
                             multi_output=not classifier, y_numeric=not classifier,
                             accept_sparse=ACCEPT_SPARSE)
        if classifier:
            check_classification_targets(y)
        if base.groups is not None:
            raise ValueError("StabilitySelection selects single features: use a template "
                             "with groups=None.")
        if encoding not in (None, "auto"):
            check_dense(X, name=type(self).__name__)
        cutoff, q, bound = stability_parameters(X.shape[1], self.n_pairs, self.cutoff,
                                                self.pfer, self.q)
        sample_weight = check_sample_weight(sample_weight, X)
        rng = check_random_state(self.random_state)
        halves, half_weight = _halves(X, y, sample_weight, self.n_pairs, classifier,
                                      draw_seed(rng))
        if base.random_state is None:
            base.set_params(random_state=draw_seed(rng))
        name = type(self).__name__
        n_threads = effective_n_jobs(self.n_jobs)
        with silenced(ConvergenceWarning):
            if encoding == "auto":
                # decided as the CV estimator decides, with the first pair's halves as two
                # folds (drawn over distinct samples: weights stay repeats)
                encoded_dense_fits("auto", base, X, y, halves[:2], sample_weight=half_weight,
                                   n_threads=1, name=name)
            grid_path = cv_paths(
                dense_fits(base, X, y, [], sample_weight=sample_weight, n_threads=1), X, y,
                [], alphas=path["alphas"], path_multiplier=path["path_multiplier"],
                max_iter_per_alpha=path["max_iter_per_alpha"], max_drop_fraction=1.0,
                relax_epochs=0, scorer=None, sample_weight=sample_weight, n_threads=1,
                verbose=bool(self.verbose), name=name,
            ).path
        grid = grid_path.alphas
        chunks = np.array_split(np.arange(len(halves)), min(n_threads, len(halves)))
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(half_paths)(base, X, y, [halves[i] for i in chunk], grid,
                                self.max_iter_per_alpha, half_weight,
                                verbose=bool(self.verbose) and len(chunks) == 1)
            for chunk in chunks
        )
        counts, leave, last_norms, converged = zip(*results, strict=True)
        if not all(converged):
            warn_user(
                f"{name}: max_iter={base.max_iter} epochs reached before the loss and the "
                "selected features of the halves' dense fits converged; increase the "
                "template's max_iter.",
                ConvergenceWarning,
            )
        selected = first_to_enter(np.vstack(leave), np.vstack(last_norms), q)
        self.estimator_ = base
        self.feature_encoding_ = base.feature_encoding
        self.alphas_ = grid
        self.stability_scores_ = np.sum(counts, axis=0).T / len(halves)
        self.selection_probabilities_ = selected.mean(axis=0)
        self.cutoff_, self.q_, self.pfer_bound_ = cutoff, q, bound
        self.support_ = self.selection_probabilities_ >= cutoff
        if self.verbose:
            print(f"{name}: {int(self.support_.sum())} of {X.shape[1]} features selected by "
                  f"at least {cutoff:.3g} of the {len(halves)} halves (q={q} each); expected "
                  f"false selections <= {bound:.3g}", flush=True)
        return self

    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        encoding = getattr(self.estimator, "feature_encoding", None)
        tags.input_tags.sparse = encoding in (None, "auto")
        tags.target_tags.required = True
        return tags

