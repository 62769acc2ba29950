"""Cross-validated alpha along the regularization path: SparseMLPClassifierCV, ...RegressorCV."""

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from joblib import effective_n_jobs
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import (
    ACCEPT_SPARSE,
    N_JOBS_CONSTRAINT,
    DataAdviceWarning,
    column_min_max,
    public_fit,
    warn_user,
)
from ._classifier import SparseMLPClassifier, check_class_weight, class_weighted
from ._cv_path import constant_model, cv_paths, dense_fits
from ._encoding import ENCODINGS, check_dense
from ._path import _given_alphas, relaxed_refit
from ._prepare import advise_feature_scales, check_network_params, check_sample_weight
from ._ranking import find_near_duplicates, path_importances
from ._regressor import SparseMLPRegressor


def align_fold_scores(scores_path, fold_n_features, n_features_path):
    """Fold scores shifted along the grid so that each fold's path matches the full-data path.

    A fold's path drops features at somewhat larger alphas than the full-data path (each
    alpha gets a bounded number of epochs, and a smaller training set takes fewer optimizer
    steps per epoch). Compared at equal alpha, a full-data model of 4 features was credited
    with the scores of fold models of 7 to 12 features, and the full-data models that the
    folds rated best were then excluded as too sparse. Each fold's path is therefore shifted
    by the whole number of grid steps that best matches its number of selected features to
    the full-data path's (least absolute difference summed over the grid; on a tie, the
    smallest shift). Shifting a whole path, rather than matching each model to the fold's
    model of the closest size, keeps each fold's scores in the order of its path.

    Parameters
    ----------
    scores_path : ndarray of shape (n_folds, n_alphas)
        Validation score of each fold's model at each alpha of the grid.
    fold_n_features : ndarray of shape (n_folds, n_alphas)
        Features selected by each fold's model at each alpha.
    n_features_path : ndarray of shape (n_alphas,)
        Features selected by the full-data model at each alpha.

    Returns
    -------
    aligned : ndarray of shape (n_folds, n_alphas)
        ``aligned[f, i] = scores_path[f, i + shift_f]`` (clipped to the grid).
    shifts : ndarray of int of shape (n_folds,)
        The shift of each fold, in grid steps (positive: the fold's path lags).
    """
    scores_path = np.asarray(scores_path, dtype=np.float64)
    fold_n_features = np.asarray(fold_n_features)
    n_features_path = np.asarray(n_features_path)
    n_alphas = scores_path.shape[1]
    steps = np.arange(n_alphas)
    candidates = sorted(range(-n_alphas + 1, n_alphas), key=abs)
    aligned = np.empty_like(scores_path)
    shifts = np.zeros(len(scores_path), dtype=int)
    for fold, counts in enumerate(fold_n_features):
        mismatch = [
            np.abs(counts[np.clip(steps + shift, 0, n_alphas - 1)] - n_features_path).sum()
            for shift in candidates
        ]
        shifts[fold] = candidates[int(np.argmin(mismatch))]  # first minimum: smallest shift
        aligned[fold] = scores_path[fold, np.clip(steps + shifts[fold], 0, n_alphas - 1)]
    return aligned, shifts


def beats_constant(scores, constant_scores, test_train_ratio=None, level=0.05):
    """Whether a model scores significantly above the constant prediction on the folds.

    The one-sided paired t-test of the folds' score differences with Nadeau and Bengio's
    correction for cross-validation (its training sets overlap, so the folds' differences
    are correlated and the naive paired test is far too liberal): the variance of the mean
    difference is ``(1 / n_folds + n_test / n_train) * s**2`` rather than
    ``s**2 / n_folds`` (Nadeau & Bengio, "Inference for the generalization error", Machine
    Learning 52, 2003; Bouckaert & Frank, PAKDD 2004).

    Parameters
    ----------
    scores, constant_scores : ndarray of shape (n_folds,)
        The model's and the constant prediction's score on each fold (higher is better).
    test_train_ratio : float, default=None
        The folds' mean ratio of test to training samples; None: ``1 / (n_folds - 1)``, as
        for K-fold.
    level : float, default=0.05
        The test's level.

    Returns
    -------
    bool
    """
    differences = np.asarray(scores, dtype=np.float64) - np.asarray(constant_scores)
    n_folds = len(differences)
    mean = differences.mean()
    if n_folds < 2:
        return bool(mean > 0)
    if test_train_ratio is None:
        test_train_ratio = 1.0 / (n_folds - 1)
    spread = differences.std(ddof=1) * np.sqrt(1.0 / n_folds + test_train_ratio)
    if spread == 0:
        return bool(mean > 0)
    return bool(mean / spread > stats.t.ppf(1.0 - level, n_folds - 1))


def choose_alpha_index(scores_path, n_features_path, selection="one_standard_error",
                       constant_scores=None, test_train_ratio=None):
    """Index of the chosen alpha from fold scores along the path.

    Parameters
    ----------
    scores_path : ndarray of shape (n_folds, n_alphas)
        Validation score of each fold at each alpha (higher is better), aligned with the
        full-data path (see :func:`align_fold_scores`).
    n_features_path : ndarray of shape (n_alphas,)
        Features selected at each alpha by the full-data path.
    selection : {"one_standard_error", "best"}, default="one_standard_error"
        "best": the highest mean score. "one_standard_error": the largest alpha whose mean
        score is within one standard error of the best, the standard error being the fold
        standard deviation pooled over the grid, divided by sqrt(n_folds) (the best alpha's own
        spread over a handful of folds is too noisy: it can be ~0 by chance).
    constant_scores : ndarray of shape (n_folds,), default=None
        Each fold's score of a constant prediction fitted on its training part: the model
        without features, standing for the path's first alpha without a feature (its last).
        With "one_standard_error" it is chosen unless the best model with features scores
        significantly above it (:func:`beats_constant`: the corrected paired t-test at 5%):
        the best of many alphas beats a constant on pure noise by chance, by one or two
        standard errors, and the rule would then keep features that carry nothing. With
        "best" it is chosen where its mean score is the highest. None: only alphas where
        the full-data model keeps a feature are candidates (all of them if there is none).
    test_train_ratio : float, default=None
        The folds' mean ratio of test to training samples, for :func:`beats_constant`.

    Returns
    -------
    int
        The chosen index; that of the first alpha without a feature where the constant
        prediction is chosen.
    """
    mean = scores_path.mean(axis=0)
    n_features_path = np.asarray(n_features_path)
    candidates = np.flatnonzero(n_features_path > 0)
    empty = np.flatnonzero(n_features_path == 0)
    if candidates.size == 0:
        if constant_scores is not None and empty.size:
            return int(empty[0])
        candidates = np.arange(len(mean))
    best = int(candidates[np.argmax(mean[candidates])])
    if constant_scores is not None and empty.size:
        if selection == "best":
            return best if mean[best] > np.mean(constant_scores) else int(empty[0])
        if not beats_constant(scores_path[:, best], constant_scores, test_train_ratio):
            return int(empty[0])
    if selection == "best":
        return best
    std_err = scores_path.std(axis=0).mean() / np.sqrt(scores_path.shape[0])
    return int(candidates[mean[candidates] >= mean[best] - std_err].max())


# The parameters of the path and the folds; the CV estimators share all their others with
# the single-fit estimator, except those that have no meaning on a path.
_CV_PARAMETER_CONSTRAINTS: dict = {
    "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
    "cv": ["cv_object"],
    "scoring": [str, callable, None],
    "selection": [StrOptions({"best", "one_standard_error"})],
    "path_multiplier": [Interval(Real, 1, None, closed="neither")],
    "max_drop_fraction": [Interval(Real, 0, 1, closed="right")],
    "max_iter_per_alpha": [Interval(Integral, 1, None, closed="left")],
    "relax_epochs": [Interval(Integral, 0, None, closed="left")],
    "redundancy_threshold": [Interval(Real, 0, 1, closed="right"), None],
    "n_jobs": N_JOBS_CONSTRAINT,  # torch threads of the stacked paths (as in the single fit)
}
# Shared with the single fit, with an option that only the folds can decide.
_CV_WIDER_CONSTRAINTS = {"feature_encoding": [StrOptions({*ENCODINGS, "auto"}), None]}
# feature_encoding="auto" encodes the features where the raw features' dense fits score a
# skill below this on their folds (see the user guide).
_AUTO_ENCODING_MIN_SKILL = 0.3
# ... and the encoding it takes there
_AUTO_ENCODING = "spline"


def encoded_dense_fits(feature_encoding, base, X, y, folds, *, sample_weight, n_threads,
                       name):
    """The dense fits of the full data and the folds (:func:`dense_fits`), with the
    encoding that ``feature_encoding="auto"`` chooses by their skill on the folds.

    ``base`` is the single-fit estimator whose ``feature_encoding`` the fits use; with
    "auto" it starts with the raw features (None), and where their networks' mean skill
    (``DenseFits.skill``) is below ``_AUTO_ENCODING_MIN_SKILL`` and X is dense, every fit is
    redone with ``_AUTO_ENCODING``, which ``base`` then holds. Sparse X stays raw, with a
    ``DataAdviceWarning`` naming ``name``.

    Returns
    -------
    dense : DenseFits
    skill : float
        The raw features' skill with "auto", else the encoding's.
    """
    dense = dense_fits(base, X, y, folds, sample_weight=sample_weight, n_threads=n_threads)
    skill = dense.skill(X, y, folds, sample_weight)
    if feature_encoding != "auto" or not skill < _AUTO_ENCODING_MIN_SKILL:
        return dense, skill
    # the raw features' networks do not generalise: their paths would start from a
    # memorised model (see the user guide); each feature's basis columns instead
    if sp.issparse(X):
        warn_user(
            f"{name}: the dense networks of the raw features do not generalise on the "
            f"folds (dense_skill_={skill:.3f}, below {_AUTO_ENCODING_MIN_SKILL}), where "
            f"feature_encoding='auto' would take the {_AUTO_ENCODING!r} encoding, which "
            "needs dense X: pass X.toarray() to try it.",
            DataAdviceWarning,
        )
        return dense, skill
    base.set_params(feature_encoding=_AUTO_ENCODING)
    return dense_fits(base, X, y, folds, sample_weight=sample_weight,
                      n_threads=n_threads), skill


@dataclass
class _CVData:
    """A CV fit's validated data and what its phases share (see ``_BaseSparseMLPCV.fit``)."""

    X: object
    y: np.ndarray
    base: object
    sample_weight: np.ndarray | None
    folds: list
    scorer: object
    weighs_classes: bool


class _BaseSparseMLPCV(BaseEstimator):
    """Alpha by cross-validation along the path, as scikit-learn's ``LinearModelCV``.

    Not a subclass of the single-fit estimator (it has no ``alpha``, ``warm_start`` nor
    ``partial_fit``): it fits ``_single_fit_class`` models along the paths and predicts with
    ``best_estimator_``. The parameters it shares with that class, and their constraints, are
    derived from it when a subclass is defined.
    """

    _single_fit_class = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        single = cls._single_fit_class
        shared = set(cls._get_param_names()) & set(single._get_param_names())
        cls._shared_params = tuple(sorted(shared - set(_CV_PARAMETER_CONSTRAINTS)))
        cls._parameter_constraints = {
            **{name: single._parameter_constraints[name] for name in cls._shared_params},
            **_CV_PARAMETER_CONSTRAINTS,
            **_CV_WIDER_CONSTRAINTS,
        }

    def __init__(
        self,
        *,
        alphas=80,
        cv=5,
        scoring=None,
        selection="one_standard_error",
        path_multiplier=1.25,
        max_drop_fraction=1.0,
        max_iter_per_alpha=25,
        relax_epochs=60,
        redundancy_threshold=0.97,
        n_jobs=None,
        l1_ratio=0.0,
        groups=None,
        hidden_layer_sizes=(64,),
        activation="relu",
        solver="adam",
        learning_rate_init=1e-2,
        batch_size="auto",
        max_iter=300,
        tol=1e-4,
        n_iter_no_change=5,
        warmup_epochs=30,
        ramp_epochs=30,
        momentum=0.9,
        random_state=None,
        verbose=0,
        device="cpu",
        weight_decay=1e-2,
        feature_encoding="auto",
    ):
        self.alphas = alphas
        self.cv = cv
        self.scoring = scoring
        self.selection = selection
        self.path_multiplier = path_multiplier
        self.max_drop_fraction = max_drop_fraction
        self.max_iter_per_alpha = max_iter_per_alpha
        self.relax_epochs = relax_epochs
        self.redundancy_threshold = redundancy_threshold
        self.n_jobs = n_jobs
        self.l1_ratio = l1_ratio
        self.groups = groups
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.warmup_epochs = warmup_epochs
        self.ramp_epochs = ramp_epochs
        self.momentum = momentum
        self.random_state = random_state
        self.verbose = verbose
        self.device = device
        self.weight_decay = weight_decay
        self.feature_encoding = feature_encoding

    @property
    def penalty(self):
        """Always ``"l1"``, so that ``SelectFromModel`` uses ``threshold=1e-5`` by default."""
        return "l1"

    def _base_estimator(self):
        params = {name: getattr(self, name) for name in self._shared_params}
        # n_jobs gives the stacked paths their torch threads; the inner fits take one.
        # verbose=1 is the progress bar alone; the refit's epoch table needs 2.
        params["verbose"] = 1 if self.verbose >= 2 else 0
        if params["feature_encoding"] == "auto":  # the raw features first (see fit)
            params["feature_encoding"] = None
        return self._single_fit_class(**params)

    @_fit_context(prefer_skip_nested_validation=True)
    @public_fit
    def fit(self, X, y, sample_weight=None):
        """Choose alpha by cross-validation along the path, then keep the full-data model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples: every fit along the full-data path and the folds' paths
            trains on them (a fold on its training part's), and each fold scores its test
            part with them. None: all 1.

        Returns
        -------
        self
            The fitted estimator, predicting with the model at ``alpha_``.
        """
        data = self._prepared(X, y, sample_weight)
        paths, fitted = self._paths(data)
        path = paths.path
        # Features kept at each alpha by each fold's path (0 once a fold's path has ended).
        fold_scores, fold_n_features, fold_leave, fold_norms = (
            np.array(column) for column in zip(*paths.fold_results, strict=True)
        )
        fitted["scores_path_"], fitted["fold_shifts_"] = align_fold_scores(
            fold_scores, fold_n_features, path.n_features
        )
        chosen = self._choose(data, path, fitted)
        paths_leave = np.vstack([path.feature_leave_alphas, fold_leave])
        paths_norms = np.vstack([path.feature_last_norms, fold_norms])
        best = self._refit(data, paths, chosen, paths_leave, paths_norms)
        fitted.update(self._rank(data, best.get_support(), fitted["alphas_"],
                                 path.feature_norms[chosen], paths_leave, paths_norms))
        # every fitted attribute at once; the path's record, not a network per alpha: the
        # estimator pickles small
        vars(self).update(fitted, path_=path, best_estimator_=best,
                          feature_leave_alphas_=path.feature_leave_alphas,
                          fold_leave_alphas_=fold_leave)
        self._adopt(best)
        self._report(data, chosen)
        return self

    def _prepared(self, X, y, sample_weight):
        """The validated data, the single-fit estimator, the weights, folds and scorer."""
        X, y = validate_data(
            self, X, y, dtype=[np.float64, np.float32], multi_output=not is_classifier(self),
            y_numeric=not is_classifier(self), accept_sparse=ACCEPT_SPARSE,
        )
        base = self._base_estimator()
        sample_weight = check_sample_weight(sample_weight, X)
        weighs_classes = isinstance(getattr(self, "class_weight", None), dict)
        if weighs_classes:
            # A dict weighs the classes of the whole data, as LogisticRegressionCV does: a
            # fold may lack a class it names. "balanced" is computed on each fold.
            sample_weight = self._dict_class_weights(y, sample_weight)
            base.set_params(class_weight=None)
        self._check_scoring(base)  # a typo fails now, not after the path
        _given_alphas(self.alphas)  # so do bad alphas
        if self.feature_encoding not in (None, "auto"):
            check_dense(X, name=type(self).__name__)
        folds = self._folds(X, y, sample_weight)
        # advice about the data and parameters, once (the inner fits keep quiet)
        check_network_params(base, X.shape[1], type(self).__name__)
        scoring = check_scoring(base, scoring=self.scoring)

        def scorer(model, test, weight):
            kwargs = {} if weight is None else {"sample_weight": weight[test]}
            return float(scoring(model, X[test], y[test], **kwargs))

        return _CVData(X=X, y=y, base=base, sample_weight=sample_weight, folds=folds,
                       scorer=scorer, weighs_classes=weighs_classes)

    def _paths(self, data):
        """The dense fits (with the encoding "auto" chooses), then the lockstep paths; and
        the fitted attributes they decide (``dense_skill_``, ``feature_encoding_``)."""
        X, base, folds, name = data.X, data.base, data.folds, type(self).__name__
        n_threads = effective_n_jobs(self.n_jobs)
        if self.verbose:
            print(f"{name}: dense fits of the full data and the {len(folds)} training folds "
                  f"({len(folds) + 1} networks, one stack), then the path", flush=True)
        dense, skill = encoded_dense_fits(
            self.feature_encoding, base, X, data.y, folds, sample_weight=data.sample_weight,
            n_threads=n_threads, name=name,
        )
        if base.feature_encoding is None:  # encoded columns lie in [-1, 1]
            rows = slice(None) if data.sample_weight is None else data.sample_weight > 0
            advise_feature_scales(*column_min_max(X[rows]), sp.issparse(X), name)
        if self.verbose and self.feature_encoding == "auto":
            print(f"feature_encoding='auto': dense skill {skill:.3f} on the "
                  f"folds, feature_encoding_={base.feature_encoding!r}")
        # The full-data path fixes the grid (it ends where no feature is left) and provides the
        # refit at the chosen alpha; the folds walk it in the same stack.
        paths = cv_paths(
            dense, X, data.y, folds, alphas=self.alphas, path_multiplier=self.path_multiplier,
            max_iter_per_alpha=self.max_iter_per_alpha, relax_epochs=self.relax_epochs,
            max_drop_fraction=self.max_drop_fraction, scorer=data.scorer,
            sample_weight=data.sample_weight, n_threads=n_threads,
            verbose=bool(self.verbose), name=name,
        )
        return paths, {"dense_skill_": skill, "feature_encoding_": base.feature_encoding}

    def _choose(self, data, path, fitted):
        """The index of ``alpha_`` on the grid, the empty model among the candidates; the
        choice's fitted attributes go into ``fitted``."""
        # the model without features, scored by the same folds and scorer
        constant_scores = np.array([
            data.scorer(constant_model(data.base, data.X, data.y, train, data.sample_weight),
                        test, data.sample_weight)
            for train, test in data.folds
        ])
        ratio = np.mean([len(test) / len(train) for train, test in data.folds])
        chosen = choose_alpha_index(fitted["scores_path_"], path.n_features, self.selection,
                                    constant_scores, test_train_ratio=ratio)
        grid = path.alphas
        if (isinstance(self.alphas, Integral) and chosen == len(grid) - 1
                and path.n_features[-1] > 0):
            warn_user(
                f"{type(self).__name__}: the path ended after alphas={self.alphas} alphas with "
                f"{path.n_features[-1]} of {data.X.shape[1]} features still selected, and the "
                "folds chose its last alpha: a sparser model may be better. Increase alphas "
                "(default 80).",
            )
        fitted.update(constant_scores_=constant_scores, alphas_=grid,
                      alpha_=float(grid[chosen]), n_features_path_=path.n_features)
        return chosen

    def _refit(self, data, paths, chosen, paths_leave, paths_norms):
        """The model that predicts: the full-data path's at ``alpha_``, relaxed."""
        best = paths.estimator_at(chosen)
        if self.relax_epochs:
            # The model that predicts keeps alpha_'s number of features, but the features
            # that stay longest on all the paths, not on the full-data path alone (see the
            # user guide).
            ranking = path_importances(paths_leave, np.zeros(len(paths_leave[0]), dtype=bool),
                                       paths.path.alphas, paths_norms)
            support = np.zeros(len(ranking), dtype=bool)
            support[np.argsort(-ranking, kind="stable")[: paths.path.n_features[chosen]]] = True
            # It also gets the single fit's budget, not the folds' short one: after
            # relax_epochs from the shrunk network it is still improving.
            best = relaxed_refit(best, data.X, data.y, max(self.relax_epochs, self.max_iter),
                                 support, sample_weight=data.sample_weight)
        if data.weighs_classes:
            # trained on the class-weighted sample weights: say so, for a refit of it
            best.set_params(class_weight=self.class_weight)
        return best

    def _rank(self, data, support, grid, chosen_norms, paths_leave, paths_norms):
        """``feature_importances_`` and ``duplicate_of_``: the kept features (``support``)
        ranked by the full-data model at alpha_, the dropped ones by all the paths, not the
        full-data one alone (see the user guide)."""
        importances = path_importances(paths_leave, support, grid, paths_norms,
                                       support_norms=chosen_norms)
        duplicate_of = np.full(len(importances), -1)
        if self.redundancy_threshold is not None:
            duplicate_of = find_near_duplicates(
                data.X, np.argsort(-importances, kind="stable"), self.redundancy_threshold,
                sample_weight=data.sample_weight,
            )
            if np.any(duplicate_of >= 0):
                importances = path_importances(paths_leave, support, grid, paths_norms,
                                               duplicate_of >= 0, support_norms=chosen_norms)
        return {"feature_importances_": importances, "duplicate_of_": duplicate_of}

    def _report(self, data, chosen):
        """The verbose choice, and the warning where the model without features won."""
        empty = not self.get_support().any()
        name = type(self).__name__
        if self.verbose:
            score = (self.constant_scores_ if empty else self.scores_path_[:, chosen]).mean()
            print(f"{name}: alpha_={self.alpha_:.4g} keeps {int(self.get_support().sum())} "
                  f"of {data.X.shape[1]} features; mean {self._scoring_name()} on the folds "
                  f"{score:.4g} (constant prediction {self.constant_scores_.mean():.4g})",
                  flush=True)
        if empty:
            best = self.scores_path_[:, self.n_features_path_ > 0].mean(axis=0)
            tested = self.selection == "one_standard_error"
            warn_user(
                f"{name}: no model with features beat a constant prediction"
                f"{' significantly' if tested else ''} on the folds (mean "
                f"{self._scoring_name()}: constant {self.constant_scores_.mean():.4g}, best "
                f"model with features {best.max() if best.size else float('nan'):.4g}"
                f"{'; a one-sided corrected paired t-test at 5%' if tested else ''}): no "
                "feature is selected and the model predicts a constant. The data may hold "
                "no signal that these folds can detect; selection='best' or more samples "
                "may find a weak one.",
                DataAdviceWarning,
            )

    def _scoring_name(self):
        """The name of the folds' score: ``scoring``, or the default's ("accuracy" or
        "r2"), or a callable's ``__name__``."""
        if self.scoring is None:
            return "accuracy" if is_classifier(self) else "r2"
        if callable(self.scoring):
            return getattr(self.scoring, "__name__", type(self.scoring).__name__)
        return self.scoring

    def _check_scoring(self, base):
        scorer = check_scoring(base, scoring=self.scoring)
        # a classification scorer on a regressor would fail only after the full-data path;
        # sklearn's scorers name their method in a private attribute (callables: predict)
        methods = getattr(scorer, "_response_method", "predict")
        methods = (methods,) if isinstance(methods, str) else tuple(methods)
        if not any(hasattr(base, method) for method in methods):
            raise ValueError(
                f"scoring={self.scoring!r} needs {' or '.join(methods)}, which "
                f"{type(self).__name__} does not have; use a scorer for "
                f"{'classification' if is_classifier(self) else 'regression'} (e.g. "
                f"{'accuracy' if is_classifier(self) else 'r2'!r})."
            )

    def _dict_class_weights(self, y, sample_weight):
        """``sample_weight`` times the weights of the classes of ``y`` in ``class_weight``."""
        classes = np.unique(y)
        return class_weighted(sample_weight, check_class_weight(self.class_weight, classes),
                              classes, np.searchsorted(classes, y))

    def _folds(self, X, y, sample_weight=None):
        """The (train, test) splits of ``cv``, checked before any fit."""
        if is_classifier(self):
            check_classification_targets(y)
        cv = check_cv(self.cv, y, classifier=is_classifier(self))
        try:
            folds = list(cv.split(X, y))
        except ValueError as exc:
            if "groups" not in str(exc):
                raise
            raise ValueError(
                f"cv={self.cv!r} splits by sample groups, which fit does not take (the "
                "estimator's groups parameter groups features): pass the splits instead, "
                "cv=list(splitter.split(X, y, groups=sample_groups))."
            ) from exc
        if not folds:
            raise ValueError(f"cv={self.cv!r} yields no split (an exhausted generator?).")
        if sample_weight is not None:
            for i, (train, test) in enumerate(folds):
                for part, rows in (("training", train), ("test", test)):
                    if not sample_weight[rows].any():
                        raise ValueError(
                            f"The {part} part of fold {i} of cv={self.cv!r} has only samples "
                            "of weight 0: use a shuffled splitter, or fewer folds."
                        )
        if is_classifier(self):
            # a fold may miss a rare class (its model just never predicts it), but it cannot
            # train a classifier on one class
            for i, (train, _) in enumerate(folds):
                present = np.unique(y[train])
                if len(present) < 2:
                    raise ValueError(
                        f"The training part of fold {i} of cv={self.cv!r} holds only class "
                        f"{present.tolist()}: use a stratified or shuffled splitter, or fewer "
                        "folds."
                    )
        return folds

    def _adopt(self, fitted):
        """Predict with ``fitted``: take its net and fitted attributes."""
        for name in ("net_", "n_iter_", "loss_curve_", "classes_", "n_outputs_",
                     "target_mean_", "target_scale_"):
            if hasattr(fitted, name):
                setattr(self, name, getattr(fitted, name))

    def _validated(self, X):
        """X checked against the fit (features, names), for ``best_estimator_``."""
        check_is_fitted(self, "best_estimator_")
        return validate_data(self, X, reset=False, dtype=[np.float64, np.float32],
                             accept_sparse=ACCEPT_SPARSE)

    @property
    def support_(self):
        """Mask of the selected features at ``alpha_`` (same as :meth:`get_support`)."""
        return self.get_support()

    def get_support(self, indices=False):
        """Get a mask, or integer index, of the features selected at ``alpha_``.

        Parameters
        ----------
        indices : bool, default=False
            If True, an array of integers rather than a boolean mask.

        Returns
        -------
        support : ndarray
            Boolean mask of shape (``n_features_in_``,), or the indices of the selected
            features: those of ``best_estimator_``.
        """
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.get_support(indices=indices)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self.feature_encoding in (None, "auto")
        return tags


class SparseMLPClassifierCV(ClassifierMixin, _BaseSparseMLPCV):
    """SparseMLPClassifier with alpha chosen by cross-validation along the regularization path.

    On the full data, and then on each training fold, the network is fitted dense once and
    walked along increasing alphas, each warm-started from the previous solution, until no
    feature is left (:func:`sparse_mlp_path`). The folds score every alpha of the full-data
    grid; the chosen alpha is the best one, or by default the largest one whose mean score is
    within one standard error of the best (the sparsest model that is statistically as good:
    the rule that keeps noise features out). Each alpha is scored through its relaxed refit
    (the selected model retrained without the penalty), and the relaxed refit of the
    full-data path's model at the chosen alpha is kept for prediction.

    Parameters
    ----------
    alphas : int or array-like, default=80
        An int ``n``: at most ``n`` alphas of the full-data path, from ``alpha_start``
        derived from the dense fit (the smallest alpha at which dropping a feature starts to
        pay, see :func:`~sklearn_sparse_mlp.drop_one_alphas`), each ``path_multiplier``
        times the previous one (``path_multiplier ** 3`` while no feature has left,
        ``path_multiplier ** 2`` after a later step that dropped fewer than 3% of the 67 or
        more features kept before it, per grid step), cut at the first alpha that leaves no
        feature; the folds' paths take the same alphas. An array: those alphas, sorted
        (duplicates dropped), also cut at the first alpha that leaves no feature.
    cv : int, cross-validation generator or iterable, default=5
        As in :class:`~sklearn.linear_model.LassoCV`; stratified folds for classifiers. A
        splitter by sample groups (``GroupKFold``) needs its splits passed:
        ``cv=list(GroupKFold(5).split(X, y, groups=sample_groups))``.
    scoring : str or callable, default=None
        Scorer of the folds; None is accuracy.
    selection : {"one_standard_error", "best"}, default="one_standard_error"
        Rule that picks alpha from the mean fold scores.
    path_multiplier : float, default=1.25
        Ratio of consecutive alphas of the default grid once features start to leave.
    max_drop_fraction : float in (0, 1], default=1.0
        Where a step of the default grid drops more than this fraction of the features the
        full-data path kept at the previous alpha (and more than one), every path goes back
        to the previous alpha and takes a smaller step, at the geometric midpoint, up to 3
        halvings in a row (see :func:`~sklearn_sparse_mlp.sparse_mlp_path`); the refined
        alphas count towards ``alphas``. 1.0: never (refining did not improve the
        benchmarks' selections: see the user guide).
    max_iter_per_alpha : int, default=25
        Maximum epochs at each alpha of the path after the dense fit (each alpha starts
        from the previous one's model and most stop earlier, once converged). 50 changed
        no selection benchmark beyond its seed-to-seed noise and made the MNIST-5k fit
        1.4 times slower (see the user guide).
    relax_epochs : int, default=60
        Relaxed refit (relaxed lasso): at each alpha the folds score a copy retrained for at
        most this many epochs without the penalty (nor ``weight_decay``), on the selected
        features only, and the final model is the relaxed refit at ``alpha_``, trained until
        it converges (at most ``max(relax_epochs, max_iter)`` epochs). The penalty's shrinkage
        of the kept features then no longer favours small alphas that keep noise features.
        0 scores and keeps the penalised models themselves.
    redundancy_threshold : float in (0, 1] or None, default=0.97
        Ranks near-duplicate features last: a feature whose absolute correlation on the
        training data with a feature ranked above it (itself no near-duplicate) reaches this
        value goes after the other features of its tier, kept or dropped (see
        ``feature_importances_`` and ``duplicate_of_``). The group lasso cannot tell
        near-duplicates apart, so they leave the path together (the user guide measures
        what this changes downstream). The features that the model keeps do not depend on
        it. None: rank by the paths alone.
    n_jobs : int, default=None
        Torch threads of the training (the full-data path and every fold's path train
        together, as one stack of networks; see the user guide); None means 1, -1 every
        core.
    l1_ratio, groups, hidden_layer_sizes, activation, solver, learning_rate_init, \
batch_size, max_iter, tol, n_iter_no_change, warmup_epochs, ramp_epochs, momentum, \
random_state, verbose, device, weight_decay
        As in :class:`SparseMLPClassifier`; ``max_iter``, ``warmup_epochs`` and
        ``ramp_epochs`` apply to the dense fit that starts each path. ``n_iter_no_change``
        defaults to 5 here (10 in the single fit): each alpha of the path starts from the
        previous solution, so less patience is needed (and the CV runs faster).
        ``verbose=1`` reports each phase: the dense fits, what
        ``feature_encoding="auto"`` chose, a progress bar over the path (it ends at the
        alphas walked) and one over the folds' relaxed refits, and the choice (``alpha_``,
        the features kept, the folds' mean score and the constant prediction's); 2 or
        more also prints the epoch table of the refit that predicts (the stacked paths
        print none).
    feature_encoding : {"auto", "spline", "piecewise_linear", "periodic"} or None, \
default="auto"
        As in :class:`SparseMLPClassifier`, with one more option, the default: "auto"
        decides by the folds. The raw features' dense networks are fitted (those that start
        the paths); where their mean skill score on the folds' test parts
        (``dense_skill_``) is below 0.3, they do not generalise (they memorise the training
        rows: a path started from them drops features in noise order) and every fit is
        redone with ``feature_encoding="spline"``; otherwise the raw features' paths go on
        (``feature_encoding_`` says which). Sparse X stays raw (with a
        ``DataAdviceWarning`` where the encoding would be taken). The threshold comes from
        the selection benchmarks (see the user guide); near it, the choice can change with
        ``random_state`` or the folds. With an encoding, every fold is
        encoded as the whole data is (the knots span the range of all of X, no label is
        used).
    class_weight : dict, "balanced" or None, default=None
        As in :class:`SparseMLPClassifier`: "balanced" is computed on the training part of
        each fold; a dict weighs the samples of the whole data, as in
        :class:`~sklearn.linear_model.LogisticRegressionCV`, so the folds' scores weigh the
        classes too.

    Attributes
    ----------
    alpha_ : float
        The chosen alpha.
    alphas_ : ndarray of shape (n_alphas,)
        The grid of the path.
    scores_path_ : ndarray of shape (n_folds, n_alphas)
        Validation score of each fold at each alpha, each fold's path shifted by
        ``fold_shifts_`` grid steps so that its number of selected features follows the
        full-data path's (a fold's path lags by a step or two).
    fold_shifts_ : ndarray of int of shape (n_folds,)
        The shift of each fold's path (``align_fold_scores`` in ``_cv.py``).
    constant_scores_ : ndarray of shape (n_folds,)
        Each fold's score of a constant prediction fitted on its training part (with its
        weights), by the same scorer: the model without features. It stands for the path's
        last alpha, where the full-data model is empty, and is chosen (no feature selected,
        the model predicts a constant, a ``DataAdviceWarning``) where no model with
        features scores more than a standard error above it (``selection="best"``: above
        it).
    n_features_path_ : ndarray of shape (n_alphas,)
        Number of selected features at each alpha of the full-data path.
    path_ : SparseMLPPath
        The full-data path's record (alphas, supports, training losses, first-layer weights,
        leave alphas), without the per-alpha networks; the folds' scores are
        ``scores_path_``.
    best_estimator_ : SparseMLPClassifier
        The full-data path's model at ``alpha_``; predictions come from it. With
        ``relax_epochs``, its relaxed refit on as many features as the full-data path keeps
        at ``alpha_``: those that stay longest on all the paths (see
        ``feature_importances_``), which are the full-data path's own unless the folds'
        paths disagree.
    support_ : ndarray of bool of shape (`n_features_in_`,)
        Selected features (those of ``best_estimator_``).
    feature_leave_alphas_ : ndarray of shape (`n_features_in_`,)
        The alpha of the full-data path after which each feature never comes back (``inf``:
        it is still selected at the end of the path).
    fold_leave_alphas_ : ndarray of shape (n_folds, `n_features_in_`)
        The same on each fold's path.
    feature_importances_ : ndarray of shape (`n_features_in_`,)
        Kept features rank first, by the norm of their first-layer weights in the
        full-data path's model at ``alpha_`` (as ``SelectFromModel`` ranks a lasso's
        coefficients at its alpha), valued at that norm (at least 1e-5). Dropped features
        follow, ranked by how long they stay on the paths: the geometric mean of their
        leave alphas over the full-data path and the folds' paths, valued below 1e-5;
        features that leave together are ordered by their column norm just before. A kept
        feature without weight in the full-data model (kept by the folds' paths) comes
        last among the kept, by the paths too. Near-duplicates (``duplicate_of_``) come
        after the rest of their tier. All values are distinct. ``SelectFromModel``'s
        default threshold keeps exactly ``support_``; ``max_features=k`` with
        ``threshold=-np.inf`` takes the k kept features of largest norm, or all kept
        features and then those that stay longest.
    duplicate_of_ : ndarray of int of shape (`n_features_in_`,)
        For each feature, the higher-ranked feature it nearly duplicates (see
        ``redundancy_threshold``; only the 1000 best-ranked features are compared), or -1.
    feature_encoding_ : str or None
        The encoding the paths used: ``feature_encoding``, or what "auto" chose (None or
        "spline").
    dense_skill_ : float
        The mean over the folds of ``(s - s0) / (1 - s0)``: ``s`` the score (``score``,
        weighted by ``sample_weight`` and by ``class_weight`` as the training weighs the
        rows: with "balanced", balanced accuracy) of the fold's dense network on its test
        part, ``s0`` that of a constant prediction fitted on its training part
        (:class:`~sklearn.dummy.DummyClassifier` with ``strategy="prior"``). 0: no better
        than the constant; 1: perfect. With imbalanced classes, ``1 - s0`` is the share of
        the minority classes, so each test row moves the skill by a larger step. Of the raw
        features' networks with ``feature_encoding="auto"`` (the score it decides by), else
        of the encoding's.
        NaN where every fold's constant prediction is already perfect ("auto" stays raw).
    classes_, n_features_in_, feature_names_in_, net_, n_iter_, loss_curve_
        As in :class:`SparseMLPClassifier`, for the model at ``alpha_``; ``n_iter_`` and
        ``loss_curve_`` count every epoch of the full-data path (its dense fit and all its
        alphas, not only those up to ``alpha_``) and of the relaxed refit.

    Notes
    -----
    There is no ``early_stopping`` nor ``validation_fraction``, as in
    :class:`~sklearn.linear_model.LassoCV`: the folds already hold data out and score every
    alpha of the path on it, and each fit along a path stops by the convergence test on its
    training objective within ``max_iter_per_alpha`` epochs. Holding out a further share
    inside every fold would only shrink the data each path selects on. For one fit at a
    given alpha with early stopping, use :class:`SparseMLPClassifier` with ``early_stopping=True``.

    See Also
    --------
    SparseMLPClassifier : One fit at a given alpha.
    sklearn.linear_model.LogisticRegressionCV : The linear analogue.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sparse_mlp import SparseMLPClassifierCV
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(400, 6)
    >>> y = (X[:, 0] ** 2 + X[:, 1] ** 2 > 1.4).astype(int)
    >>> clf = SparseMLPClassifierCV(cv=3, random_state=0).fit(X, y)
    >>> clf.get_support(indices=True)
    array([0, 1])
    """

    _single_fit_class = SparseMLPClassifier

    def __init__(
        self,
        *,
        alphas=80,
        cv=5,
        scoring=None,
        selection="one_standard_error",
        path_multiplier=1.25,
        max_drop_fraction=1.0,
        max_iter_per_alpha=25,
        relax_epochs=60,
        redundancy_threshold=0.97,
        n_jobs=None,
        l1_ratio=0.0,
        groups=None,
        hidden_layer_sizes=(64,),
        activation="relu",
        solver="adam",
        learning_rate_init=1e-2,
        batch_size="auto",
        max_iter=300,
        tol=1e-4,
        n_iter_no_change=5,
        warmup_epochs=30,
        ramp_epochs=30,
        momentum=0.9,
        random_state=None,
        verbose=0,
        device="cpu",
        weight_decay=1e-2,
        feature_encoding="auto",
        class_weight=None,
    ):
        super().__init__(
            alphas=alphas, cv=cv, scoring=scoring, selection=selection,
            path_multiplier=path_multiplier, max_drop_fraction=max_drop_fraction,
            max_iter_per_alpha=max_iter_per_alpha,
            relax_epochs=relax_epochs, redundancy_threshold=redundancy_threshold,
            n_jobs=n_jobs, l1_ratio=l1_ratio, groups=groups,
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, solver=solver,
            learning_rate_init=learning_rate_init, batch_size=batch_size, max_iter=max_iter,
            tol=tol, n_iter_no_change=n_iter_no_change, warmup_epochs=warmup_epochs,
            ramp_epochs=ramp_epochs, momentum=momentum, random_state=random_state,
            verbose=verbose, device=device, weight_decay=weight_decay,
            feature_encoding=feature_encoding,
        )
        self.class_weight = class_weight

    def predict(self, X):
        """Predict class labels with ``best_estimator_``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        X = self._validated(X)  # before best_estimator_ is read: NotFittedError
        return self.best_estimator_.predict(X)

    def predict_proba(self, X):
        """Probability estimates of ``best_estimator_``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``.
        """
        X = self._validated(X)  # before best_estimator_ is read: NotFittedError
        return self.best_estimator_.predict_proba(X)

    def predict_log_proba(self, X):
        """Log-probability estimates of ``best_estimator_``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class, in the order of ``classes_``.
        """
        X = self._validated(X)  # before best_estimator_ is read: NotFittedError
        return self.best_estimator_.predict_log_proba(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class SparseMLPRegressorCV(RegressorMixin, _BaseSparseMLPCV):
    """SparseMLPRegressor with alpha chosen by cross-validation along the regularization path.

    See :class:`SparseMLPClassifierCV`: the same path, folds and selection rule, on the mean
    squared error, scored by ``r2`` unless ``scoring`` says otherwise.

    Parameters
    ----------
    alphas : int or array-like, default=80
        Number of alphas of the data-derived grid, or the alphas themselves, as in
        :class:`SparseMLPClassifierCV`.
    cv : int, cross-validation generator or iterable, default=5
        Folds, as in :class:`SparseMLPClassifierCV` (a group splitter needs its splits
        passed).
    scoring : str or callable, default=None
        Scorer of the folds; None is r2.
    selection : {"one_standard_error", "best"}, default="one_standard_error"
        Rule that picks alpha from the mean fold scores.
    path_multiplier : float, default=1.25
        Ratio of consecutive alphas of the default grid once features start to leave.
    max_drop_fraction : float in (0, 1], default=1.0
        Refinement of the grid's steps, as in :class:`SparseMLPClassifierCV`.
    max_iter_per_alpha : int, default=5
        Maximum epochs at each alpha of the path after the dense fit (see
        :class:`SparseMLPClassifierCV`, whose default is 25). A regression path moves
        little from one alpha to the next once y is standardized, so 5 epochs keep as
        many of the true features as 25 on the regression benchmarks (Friedman #1; the
        additive model over four seeds) in about half the time (see the user guide's
        regression section).
    relax_epochs : int, default=60
        Epochs of the relaxed refit scored at each alpha; the one kept at ``alpha_`` trains
        until it converges (at most ``max(relax_epochs, max_iter)`` epochs); 0: none. See
        :class:`SparseMLPClassifierCV`.
    redundancy_threshold : float in (0, 1] or None, default=0.97
        Near-duplicate features rank last within their tier, as in
        :class:`SparseMLPClassifierCV`; None: rank by the paths alone.
    n_jobs : int, default=None
        Torch threads of the training (the full-data path and every fold's path train
        together, as one stack of networks; see the user guide); None means 1, -1 every
        core.
    l1_ratio, groups, hidden_layer_sizes, activation, solver, learning_rate_init, \
batch_size, max_iter, tol, n_iter_no_change, warmup_epochs, ramp_epochs, momentum, \
random_state, verbose, device, weight_decay
        As in :class:`SparseMLPRegressor` (``n_iter_no_change`` defaults to 5 and
        ``verbose`` works as in :class:`SparseMLPClassifierCV`).
    feature_encoding : {"auto", "spline", "piecewise_linear", "periodic"} or None, \
default="auto"
        As in :class:`SparseMLPClassifierCV`: "auto" takes the spline encoding where the
        raw features' dense networks score an R^2 skill below 0.3 on the folds.

    Attributes
    ----------
    alpha_ : float
        The chosen alpha.
    alphas_ : ndarray of shape (n_alphas,)
        The grid of the path.
    scores_path_ : ndarray of shape (n_folds, n_alphas)
        Validation score of each fold at each alpha, each fold's path shifted by
        ``fold_shifts_`` grid steps so that its number of selected features follows the
        full-data path's (a fold's path lags by a step or two).
    fold_shifts_ : ndarray of int of shape (n_folds,)
        The shift of each fold's path (``align_fold_scores`` in ``_cv.py``).
    constant_scores_ : ndarray of shape (n_folds,)
        Each fold's score of a constant prediction, the model without features, as in
        :class:`SparseMLPClassifierCV`.
    n_features_path_ : ndarray of shape (n_alphas,)
        Number of selected features along the full-data path.
    path_ : SparseMLPPath
        The full-data path.
    best_estimator_ : SparseMLPRegressor
        The model at ``alpha_``, as in :class:`SparseMLPClassifierCV`.
    target_mean_, target_scale_ : ndarray of shape (`n_outputs_`,)
        The standardization of y the networks train on (see :class:`SparseMLPRegressor`):
        the full data's; each fold's network standardizes by its own training part.
    support_ : ndarray of bool of shape (`n_features_in_`,)
        Selected features (those of ``best_estimator_``).
    feature_leave_alphas_ : ndarray of shape (`n_features_in_`,)
        The alpha of the full-data path after which each feature never comes back.
    fold_leave_alphas_ : ndarray of shape (n_folds, `n_features_in_`)
        The same on each fold's path.
    feature_importances_ : ndarray of shape (`n_features_in_`,)
        Kept features by their norms at ``alpha_``, dropped ones by the paths, as in
        :class:`SparseMLPClassifierCV`.
    duplicate_of_ : ndarray of int of shape (`n_features_in_`,)
        For each feature, the higher-ranked feature it nearly duplicates (only the 1000
        best-ranked features are compared), or -1.
    feature_encoding_ : str or None
        The encoding the paths used: ``feature_encoding``, or what "auto" chose.
    dense_skill_ : float
        As in :class:`SparseMLPClassifierCV`: the dense networks' mean R^2 on the folds'
        test parts over that of the training parts' mean
        (:class:`~sklearn.dummy.DummyRegressor`), ``(s - s0) / (1 - s0)``.

    Notes
    -----
    There is no ``early_stopping`` nor ``validation_fraction``, as in
    :class:`~sklearn.linear_model.LassoCV`: the folds already hold data out and score every
    alpha of the path on it, and each fit along a path stops by the convergence test on its
    training objective within ``max_iter_per_alpha`` epochs. Holding out a further share
    inside every fold would only shrink the data each path selects on. For one fit at a
    given alpha with early stopping, use :class:`SparseMLPRegressor` with ``early_stopping=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sparse_mlp import SparseMLPRegressorCV
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(400, 6)
    >>> y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + 0.1 * rng.randn(400)
    >>> reg = SparseMLPRegressorCV(cv=3, random_state=0).fit(X, y)
    >>> reg.get_support(indices=True)
    array([0, 1])
    """

    _single_fit_class = SparseMLPRegressor

    def __init__(
        self,
        *,
        alphas=80,
        cv=5,
        scoring=None,
        selection="one_standard_error",
        path_multiplier=1.25,
        max_drop_fraction=1.0,
        max_iter_per_alpha=5,
        relax_epochs=60,
        redundancy_threshold=0.97,
        n_jobs=None,
        l1_ratio=0.0,
        groups=None,
        hidden_layer_sizes=(64,),
        activation="relu",
        solver="adam",
        learning_rate_init=1e-2,
        batch_size="auto",
        max_iter=300,
        tol=1e-4,
        n_iter_no_change=5,
        warmup_epochs=30,
        ramp_epochs=30,
        momentum=0.9,
        random_state=None,
        verbose=0,
        device="cpu",
        weight_decay=1e-2,
        feature_encoding="auto",
    ):
        super().__init__(
            alphas=alphas, cv=cv, scoring=scoring, selection=selection,
            path_multiplier=path_multiplier, max_drop_fraction=max_drop_fraction,
            max_iter_per_alpha=max_iter_per_alpha, relax_epochs=relax_epochs,
            redundancy_threshold=redundancy_threshold, n_jobs=n_jobs, l1_ratio=l1_ratio,
            groups=groups, hidden_layer_sizes=hidden_layer_sizes, activation=activation,
            solver=solver, learning_rate_init=learning_rate_init, batch_size=batch_size,
            max_iter=max_iter, tol=tol, n_iter_no_change=n_iter_no_change,
            warmup_epochs=warmup_epochs, ramp_epochs=ramp_epochs, momentum=momentum,
            random_state=random_state, verbose=verbose, device=device,
            weight_decay=weight_decay, feature_encoding=feature_encoding,
        )

    def predict(self, X):
        """Predict with ``best_estimator_``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values.
        """
        X = self._validated(X)  # before best_estimator_ is read: NotFittedError
        return self.best_estimator_.predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
