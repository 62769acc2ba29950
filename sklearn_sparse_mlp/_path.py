"""The regularization path: one dense fit, then warm-started fits at increasing alpha."""

import copy
import pickle
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_array, check_consistent_length, check_is_fitted
from tqdm.auto import tqdm

from ._base import DataAdviceWarning, _BaseSparseMLP, silenced
from ._data import merge_duplicate_rows, rows_to_tensor
from ._net import fitted_structure
from ._regressor import standardized_targets
from .callbacks import FixedSupport


@dataclass
class SparseMLPPath:
    """What :func:`sparse_mlp_path` records at each alpha of the path.

    Attributes
    ----------
    alphas : ndarray of shape (n_alphas,)
        Penalty strengths visited, increasing.
    supports : ndarray of bool of shape (n_alphas, n_features)
        Selected features at each alpha.
    n_features : ndarray of int of shape (n_alphas,)
        Number of selected features at each alpha.
    train_loss : ndarray of shape (n_alphas,)
        Training data loss (without the penalty) at the end of each alpha's fit.
    valid_scores : ndarray of shape (n_alphas,) or None
        Score on the validation data at each alpha, when validation data was given.
    lin1_weights : list of ndarray of shape (n_hidden, n_columns)
        The first-layer weight at each alpha (``n_columns`` is ``n_features``, or the
        number of encoded columns with a ``feature_encoding``).
    module_states : list of dict or None
        The whole network's ``state_dict`` at each alpha, to rebuild the model there.
    relaxed_states : list of dict or None
        With ``relax_epochs``: the ``state_dict`` of the relaxed refit at each alpha.
    feature_leave_alphas : ndarray of shape (n_features,)
        The alpha after which each feature never comes back: the alpha that follows the last
        one where it is selected (``inf`` if it is selected at the last alpha, the first
        alpha if it never is).
    feature_last_norms : ndarray of shape (n_features,)
        Norm of each feature's column at the last alpha where it is selected (0 if never):
        breaks ties between features that leave at the same alpha.
    alpha_start : float
        The data-derived first alpha of the default grid.
    estimator : SparseMLPClassifier or SparseMLPRegressor
        The estimator walked along the path, left at its last alpha (with the template's
        parameters, ``alpha`` aside).
    n_epochs : ndarray of int of shape (n_alphas,)
        Epochs trained from the dense fit's first to the end of each alpha.
    feature_norms : ndarray of shape (n_alphas, n_features)
        Norm of each feature's first-layer weights at each alpha (of all its columns, with
        a ``feature_encoding``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sparse_mlp import SparseMLPClassifier, sparse_mlp_path
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(200, 4)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> path = sparse_mlp_path(SparseMLPClassifier(random_state=0), X, y,
    ...                        alphas=[0.01, 0.1, 1.0], stop_when_empty=False)
    >>> path.alphas
    array([0.01, 0.1 , 1.  ])
    >>> path.estimator_at(0).alpha
    0.01
    """

    alphas: np.ndarray
    supports: np.ndarray
    n_features: np.ndarray
    train_loss: np.ndarray
    valid_scores: np.ndarray | None
    lin1_weights: list = field(repr=False)
    module_states: list | None = field(repr=False)
    relaxed_states: list | None = field(repr=False)
    feature_leave_alphas: np.ndarray
    feature_last_norms: np.ndarray
    alpha_start: float
    estimator: object = field(repr=False)
    n_epochs: np.ndarray | None = None
    feature_norms: np.ndarray | None = field(default=None, repr=False)

    def estimator_at(self, index, relaxed=False):
        """A copy of the path's estimator with the network of ``alphas[index]``.

        Parameters
        ----------
        index : int
            Position on the path.
        relaxed : bool, default=False
            Take the relaxed refit at that alpha (the path must have been run with
            ``relax_epochs > 0``).

        Returns
        -------
        estimator : SparseMLPClassifier or SparseMLPRegressor
            Fitted, with ``alpha`` set to ``alphas[index]``, the other parameters those of
            the path's template, and the training history (``n_iter_``, ``loss_curve_``) up
            to the end of that alpha (a relaxed refit's epochs are not in it).
        """
        if self.module_states is None:
            raise ValueError(
                "This path record keeps no networks (a CV estimator's path_); run "
                "sparse_mlp_path to rebuild models along the path."
            )
        if relaxed and self.relaxed_states is None:
            raise ValueError("This path has no relaxed refits: run it with relax_epochs > 0.")
        states = self.relaxed_states if relaxed else self.module_states
        estimator = copy.deepcopy(self.estimator)
        estimator.net_.module_.load_state_dict(states[index])
        estimator.set_params(alpha=float(self.alphas[index]))
        if self.n_epochs is not None:
            del estimator.net_.history[int(self.n_epochs[index]):]
        estimator._set_fitted_attributes()
        return estimator


@validate_params(
    {
        "estimator": [_BaseSparseMLP],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "max_samples": [Interval(Integral, 1, None, closed="left")],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def drop_one_alphas(estimator, X, y, max_samples=2000, sample_weight=None):
    """For each feature, the alpha at which removing it pays for itself, from a fitted model.

    Zeroing feature j's column of ``lin1.weight`` raises the training loss by ``delta_j`` and
    lowers the group penalty by ``alpha * ||W[:, j]||``: the penalty starts to favour dropping
    j at ``alpha_j = delta_j / ||W[:, j]||``. The smallest ``alpha_j`` is where a path from the
    dense model starts to drop features, the analogue of a lasso's critical alpha.

    Parameters
    ----------
    estimator : fitted SparseMLPClassifier or SparseMLPRegressor
        Usually the dense fit (alpha=0).
    X : array-like or sparse matrix of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Its targets, as given to ``fit`` (class labels for a classifier).
    max_samples : int, default=2000
        Rows used (the first ones); the estimate needs no more.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows: the loss increase is their weighted mean. Identical rows are
        merged (weights summed) first, so repeating a row and weighting it give the same
        alphas.

    Returns
    -------
    ndarray of shape (n_features,)
        ``alpha_j`` per feature (``inf`` for a feature whose column is already zero).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sparse_mlp import SparseMLPClassifier, drop_one_alphas
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(300, 4)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> dense = SparseMLPClassifier(alpha=0.0, random_state=0).fit(X, y)
    >>> int(np.argmax(drop_one_alphas(dense, X, y)))
    0
    """
    check_is_fitted(estimator, "net_")
    check_consistent_length(X, y)
    y_all = y
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        check_consistent_length(X, sample_weight)
    rows = slice(0, max_samples)
    X = X.tocsr() if sp.issparse(X) else X  # COO cannot be sliced
    X, y = _training_arrays(estimator, _safe_indexing(X, rows), _safe_indexing(y, rows))
    weight = np.ones(X.shape[0]) if sample_weight is None else sample_weight[rows]
    if is_classifier(estimator) and estimator.class_weight is not None:
        # the loss the fit minimised weighs the classes too
        weight = weight * _class_weights_of(estimator, y_all)[: X.shape[0]]
    kept = weight > 0
    X = X[kept].astype(np.float32) if sp.issparse(X) else np.asarray(X[kept], np.float32)
    merged = merge_duplicate_rows(X, y[kept], weight[kept])
    if merged[0].shape[0] < X.shape[0] or np.any(merged[2] != merged[2][0]):
        X, y, weight = merged
    else:  # no weights, no repeated rows: the plain mean, in the rows' own order
        y, weight = y[kept], None
    module = estimator.net_.module_
    X = estimator._encoded(X)
    columns = estimator._columns
    # Feature j only changes the rows where one of its columns is not 0: a CSC view gives
    # them for dense and sparse X alike, and a sparse X is never densified.
    X_sub = sp.csc_matrix(X, dtype=np.float32)
    y_t = torch.as_tensor(y)
    if weight is not None:
        weight_t = torch.as_tensor(weight / weight.sum(), dtype=torch.float32)
    W = module.lin1.weight.detach().cpu()
    # the penalty of a feature's group: its norm, times sqrt(group size) for an encoding's
    # columns (the group lasso's weight)
    norms = W.norm(dim=0) if columns.identity else torch.from_numpy(
        columns.norms(W) * np.sqrt(columns.n_per_feature)).to(torch.float32)
    deltas = torch.zeros(columns.n_features, dtype=torch.float32)
    with torch.no_grad():
        cpu_module = copy.deepcopy(module).cpu()
        pre = torch.sparse.mm(rows_to_tensor(X_sub.tocsr()), W.t()) + cpu_module.lin1.bias
        base = estimator._pointwise_loss(cpu_module.output(cpu_module.hidden(pre)), y_t)
        for j in np.flatnonzero(norms.numpy() > 0):
            rows, values = _rows_reading(X_sub, columns.columns_of(j))
            if rows is None:
                continue
            changed = pre[rows] - values @ W[:, columns.columns_of(j)].t()
            loss = estimator._pointwise_loss(cpu_module.output(cpu_module.hidden(changed)),
                                             y_t[rows])
            if weight is None:
                deltas[j] = (loss - base[rows]).sum() / X_sub.shape[0]
            else:
                deltas[j] = ((loss - base[rows]) * weight_t[rows]).sum()
    alphas = torch.where(norms > 0, deltas.clamp(min=0) / norms.clamp(min=1e-30), np.inf)
    return alphas.numpy().astype(np.float64)


def _rows_reading(X_csc, columns):
    """The rows where one of ``columns`` is not 0, and their values there (rows, n_columns)
    as torch tensors; (None, None) if there is none."""
    if len(columns) == 1:
        start, stop = X_csc.indptr[columns[0]], X_csc.indptr[columns[0] + 1]
        if start == stop:
            return None, None
        rows = torch.from_numpy(X_csc.indices[start:stop].astype(np.int64))
        return rows, torch.from_numpy(X_csc.data[start:stop])[:, None]
    block = X_csc[:, columns]
    rows = np.unique(block.indices)
    if rows.size == 0:
        return None, None
    values = torch.from_numpy(np.asarray(block[rows].toarray(), dtype=np.float32))
    return torch.from_numpy(rows.astype(np.int64)), values


# Grid steps taken at once while no feature has left the path yet.
_STRIDE_BEFORE_FIRST_DROP = 3
# Grid steps taken at once after a step that dropped fewer than this share of the features
# kept before it, per grid step, where that share is at least _SLOW_MIN_FEATURES: the path
# drifts slowly there, and each alpha costs as many epochs as one where the selection
# moves. (On narrower paths features leave one or two at a time, and alpha_ is chosen
# among few features: every step counts there; see the user guide.)
_SLOW_DROP_FRACTION = 0.03
_SLOW_MIN_FEATURES = 2
_SLOW_STRIDE = 2
# Halvings of a grid step that drops too many features, in a row: a refined step is at
# least 1/8 of the grid's.
_MAX_REFINEMENTS = 3


def default_alpha_start(drop_alphas):
    """First alpha of the default grid: where the first feature starts to be dropped.

    A feature whose removal does not raise the loss at all (pure noise) gives 0; the start is
    then floored at 1e-3 of the largest finite value so that the geometric grid is usable.
    """
    finite = drop_alphas[np.isfinite(drop_alphas)]
    if finite.size == 0 or finite.max() <= 0:
        return 1e-3
    return float(max(finite.min(), 1e-3 * finite.max()))


class _AlphaGrid:
    """The alphas of a path, in order, from its dense fit (see :func:`sparse_mlp_path`).

    Given alphas are walked sorted (duplicates dropped). Otherwise ``alphas`` (an int) are
    generated from ``alpha_start``, derived from the dense fit by :func:`drop_one_alphas`:
    each is ``path_multiplier`` times the previous one, or ``path_multiplier ** 3`` as long
    as the model keeps every feature the dense fit kept (those alphas only shrink the
    weights: see the user guide), or ``path_multiplier ** 2`` after a later step (not the
    one where the first features leave) that dropped fewer than ``_SLOW_DROP_FRACTION`` of
    the features kept before it per grid step, where that is at least ``_SLOW_MIN_FEATURES``
    features (a step after which features came back counts): where the path drifts slowly,
    each alpha costs as many epochs as one where the selection moves. A generated step that
    drops more than ``max_drop_fraction`` of the features kept at the previous alpha (and
    more than one) is undone: the caller restores the previous alpha's model, and the grid
    tries the geometric midpoint of the two alphas instead (up to ``_MAX_REFINEMENTS``
    halvings of the step in a row; each accepted step then doubles again, back to the
    grid's). Iterate over it and ``advance`` it with each fitted model's number of features.

    Parameters
    ----------
    alphas : int or array-like
        ``sparse_mlp_path``'s ``alphas``.
    path_multiplier : float
    dense : fitted SparseMLPClassifier or SparseMLPRegressor
        The dense fit (its network at alpha=0).
    X, y, sample_weight
        Its training data, for :func:`drop_one_alphas`.
    max_drop_fraction : float, default=1.0
        ``sparse_mlp_path``'s; 1.0 never refines.
    """

    def __init__(self, alphas, path_multiplier, dense, X, y, sample_weight=None,
                 max_drop_fraction=1.0):
        given = _given_alphas(alphas)
        if given is None:
            self.given, self.n_alphas = None, int(alphas)
            self.alpha_start = default_alpha_start(
                drop_one_alphas(dense, X, y, sample_weight=sample_weight))
        else:
            self.given = np.unique(given)
            self.alpha_start, self.n_alphas = float(self.given[0]), len(self.given)
        self.multiplier, self.n_dense = path_multiplier, int(dense.get_support().sum())
        self.alpha, self.index, self.dropping = self.alpha_start, 0, False
        self.max_drop_fraction = max_drop_fraction
        # the last accepted alpha and its number of features; how many times the current
        # step (the grid's stride, in powers of the multiplier) is halved
        self.previous, self.n_kept, self.depth = None, self.n_dense, 0
        self.stride = _STRIDE_BEFORE_FIRST_DROP

    @property
    def refines(self):
        """Whether ``advance`` may undo a step (the caller then keeps each model to restore)."""
        return self.given is None and self.max_drop_fraction < 1.0

    def __iter__(self):
        while self.index < self.n_alphas:
            yield float(self.given[self.index] if self.given is not None else self.alpha)

    def _step(self):
        return self.multiplier ** (self.stride / 2**self.depth)

    def advance(self, n_selected):
        """Move on from the current alpha, whose model kept ``n_selected`` features.

        Returns False if the step is undone (see the class doc): the caller must restore the
        model of the previous alpha before the next one, which lies between the two.
        """
        if self.given is not None:
            self.index += 1
            return True
        dropped = self.n_kept - n_selected
        if (self.refines and self.previous is not None and self.depth < _MAX_REFINEMENTS
                and dropped > max(1, self.max_drop_fraction * self.n_kept)):
            self.depth += 1
            self.alpha = self.previous * self._step()
            return False
        self.index += 1
        taken = self.stride / 2**self.depth  # grid steps from the previous alpha
        share = _SLOW_DROP_FRACTION * self.n_kept
        slow = self.dropping and share >= _SLOW_MIN_FEATURES and dropped < taken * share
        self.dropping = self.dropping or n_selected < self.n_dense
        self.stride = (_STRIDE_BEFORE_FIRST_DROP if not self.dropping
                       else _SLOW_STRIDE if slow else 1)
        self.depth = max(self.depth - 1, 0)
        self.previous, self.n_kept = self.alpha, n_selected
        self.alpha *= self._step()
        return True


@validate_params(
    {
        "estimator": [_BaseSparseMLP],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "alphas": [Integral, "array-like"],  # the values are checked below, with the fix
        "path_multiplier": [Interval(Real, 1, None, closed="neither")],
        "max_drop_fraction": [Interval(Real, 0, 1, closed="right")],
        "max_iter_per_alpha": [Interval(Integral, 1, None, closed="left")],
        "X_valid": ["array-like", "sparse matrix", None],
        "y_valid": ["array-like", None],
        "scoring": [str, callable, None],
        "stop_when_empty": ["boolean"],
        "relax_epochs": [Interval(Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
        "sample_weight": ["array-like", None],
        "sample_weight_valid": ["array-like", None],
    },
    prefer_skip_nested_validation=False,  # the estimator validates its own parameters
)
def sparse_mlp_path(
    estimator,
    X,
    y,
    *,
    alphas=80,
    path_multiplier=1.25,
    max_drop_fraction=1.0,
    max_iter_per_alpha=50,
    X_valid=None,
    y_valid=None,
    scoring=None,
    stop_when_empty=True,
    relax_epochs=0,
    verbose=False,
    sample_weight=None,
    sample_weight_valid=None,
):
    """Walk the regularization path: dense fit, then warm-started fits at increasing alpha.

    The estimator is first fitted dense (``alpha=0``, its own warm-up and convergence test).
    Then, for each alpha in increasing order, training continues from the previous solution
    (``warm_start=True``) for at most ``max_iter_per_alpha`` epochs, until the objective and
    the support are stable. Features leave one by one; the path ends when none is left.

    Parameters
    ----------
    estimator : SparseMLPClassifier or SparseMLPRegressor
        Unfitted template; it is cloned. The dense fit uses its parameters with
        ``alpha=0``; the fits along the path continue that network (``warm_start``)
        with ``max_iter=max_iter_per_alpha`` and no warm-up or ramp.
    X : array-like of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    alphas : int or array-like, default=80
        If an int ``n``: at most ``n`` alphas from ``alpha_start``, derived from the dense fit
        (see :func:`drop_one_alphas`): the smallest alpha at which dropping a feature starts
        to pay, as a lasso's critical alpha. Each alpha is ``path_multiplier`` times the
        previous one, or ``path_multiplier ** 3`` as long as no feature has left (those
        alphas only shrink the weights), or ``path_multiplier ** 2`` after a later step that
        dropped fewer than 3% of the 67 or more features kept before it, per grid step (the
        path drifts slowly there; see the user guide). If an array: these alphas, sorted
        increasingly (duplicates dropped).
    path_multiplier : float, default=1.25
        Ratio of consecutive alphas of the default grid once features start to leave.
    max_drop_fraction : float in (0, 1], default=1.0
        A step of the default grid that drops more than this fraction of the features kept
        at the previous alpha (and more than one feature) is undone and replaced by a
        smaller one, at the geometric midpoint of the two alphas, up to 3 halvings in a row
        (to a step of ``path_multiplier ** (1/8)``, ``** (3/8)`` before the first feature
        leaves); the steps then grow back. Where many features leave at once their order,
        which ``feature_leave_alphas`` and the importances read, is refined instead of tied.
        The refined alphas count towards ``alphas``; the undone fits are not in
        ``n_epochs``. 1.0: never (refining did not improve the benchmarks' selections: see
        the user guide). Not used with given ``alphas``.
    max_iter_per_alpha : int, default=50
        Maximum number of epochs at each alpha after the first. The CV estimators walk
        theirs with 25 (their paths only need each alpha's support and score; see the user
        guide); a path drawn for its own sake keeps the longer budget.
    X_valid, y_valid : array-like, default=None
        Validation data scored at each alpha.
    scoring : str or callable, default=None
        Scorer for the validation data; None uses the estimator's ``score``.
    stop_when_empty : bool, default=True
        End the path at the first alpha that drops every feature.
    relax_epochs : int, default=0
        If positive, at each alpha a copy of the model is also retrained for at most this many
        epochs without the penalty, its dropped features held at exactly 0 (a relaxed refit,
        see :func:`relaxed_refit`); validation scores are then those of the relaxed models,
        which do not suffer the penalty's shrinkage of the kept features.
    verbose : bool, default=False
        Show a progress bar over the path (tqdm).
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the training samples, passed to every fit along the path and to
        :func:`drop_one_alphas`.
    sample_weight_valid : array-like of shape (n_valid_samples,), default=None
        Weights of the validation samples, passed to the scorer.

    Returns
    -------
    SparseMLPPath
        Alphas, supports, losses, scores and weights along the path.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sparse_mlp import SparseMLPClassifier, sparse_mlp_path
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(300, 5)
    >>> y = (X[:, 0] ** 2 + X[:, 1] ** 2 > 1.4).astype(int)
    >>> path = sparse_mlp_path(SparseMLPClassifier(random_state=0), X, y)
    >>> int(path.n_features[0]), int(path.n_features[-1])
    (5, 0)
    >>> bool(np.all(np.diff(path.n_features) <= 2))
    True
    """
    # checked before the dense fit, which can take minutes
    if (X_valid is None) != (y_valid is None):
        raise ValueError("Give both X_valid and y_valid, or neither.")
    _given_alphas(alphas)
    template_params = estimator.get_params(deep=False)
    estimator = clone(estimator).set_params(alpha=0.0, warm_start=False)
    scorer = None if X_valid is None else _ValidationScorer(
        check_scoring(estimator, scoring=scoring), X_valid, y_valid, sample_weight_valid
    )
    estimator.fit(X, y, sample_weight=sample_weight)
    grid = _AlphaGrid(alphas, path_multiplier, estimator, X, y, sample_weight,
                      max_drop_fraction)

    estimator.set_params(warm_start=True, max_iter=max_iter_per_alpha, warmup_epochs=0,
                         ramp_epochs=0)
    record = _PathRecord()
    relaxed = _RelaxedRefits(X, y, relax_epochs, sample_weight, scorer)
    progress = tqdm(total=grid.n_alphas, desc="alpha path", disable=not verbose, leave=False)
    for alpha in grid:
        previous = _Snapshot(estimator) if grid.refines else None
        estimator.set_params(alpha=alpha)
        _fit_quietly(estimator, X, y, sample_weight)
        if not grid.advance(int(estimator.get_support().sum())):
            estimator = previous.restore()
            continue
        support = record.add(alpha, estimator)
        if relax_epochs:
            relaxed_model, score = relaxed.at(estimator, support)
            record.relaxed_states.append(copy.deepcopy(relaxed_model.net_.module_.state_dict()))
            record.valid_scores.append(score)
        elif scorer is not None:
            record.valid_scores.append(scorer(estimator))
        progress.set_postfix(alpha=f"{alpha:.3g}", n_features=int(support.sum()))
        progress.update()
        if stop_when_empty and not support.any():
            break
    progress.close()
    # the path's own training settings are not the model's: a clone of it, or of a model
    # taken from the path, trains as the template says
    estimator.set_params(**{name: template_params[name] for name in
                            ("warm_start", "max_iter", "warmup_epochs", "ramp_epochs")})
    return record.path(estimator, grid.alpha_start, scored=scorer is not None,
                       relaxed=bool(relax_epochs))


def _given_alphas(alphas):
    """The given alphas as a float array, or None for a number of generated alphas."""
    if isinstance(alphas, int | np.integer):
        if alphas < 1:
            raise ValueError(
                f"alphas must be a positive int or an array of alphas, got {alphas}."
            )
        return None
    given = np.asarray(alphas, dtype=np.float64)
    if given.ndim != 1 or given.size == 0 or not np.all(np.isfinite(given) & (given >= 0)):
        raise ValueError(
            f"alphas must be a positive int or a non-empty 1-d array of finite alphas >= 0, "
            f"got {alphas!r}."
        )
    return given


class _Snapshot:
    """A fitted estimator as it is now, to go back to (a refined path step).

    Its history is shared, not copied (a copy per alpha would cost the square of the path's
    length): ``restore`` cuts it back to its current length.
    """

    def __init__(self, estimator):
        history = estimator.net_.history_
        estimator.net_.history_ = None
        try:
            self.estimator = copy.deepcopy(estimator)
        finally:
            estimator.net_.history_ = history
        self.history, self.n_epochs = history, len(history)

    def restore(self):
        del self.history[self.n_epochs:]
        self.estimator.net_.history_ = self.history
        return self.estimator


class _ValidationScorer:
    """A scorer bound to the validation data (and its weights): ``scorer(model)``."""

    def __init__(self, scorer, X_valid, y_valid, sample_weight_valid):
        self.scorer, self.X_valid, self.y_valid = scorer, X_valid, y_valid
        self.kwargs = {} if sample_weight_valid is None else {
            "sample_weight": sample_weight_valid}

    def __call__(self, model):
        return float(self.scorer(model, self.X_valid, self.y_valid, **self.kwargs))


def _support_changed(last, support):
    """Whether a relaxed refit is due: it depends on the support alone, so only where the
    support differs from that of the last refit (``last``; None: no refit yet)."""
    return last is None or not np.array_equal(support, last)


class _RelaxedRefits:
    """The relaxed refit at each alpha of a path, and its validation score.

    The relaxed refit is a function of the support alone: it is refitted and scored only
    where the support changes (a handful of times along a path).
    """

    def __init__(self, X, y, epochs, sample_weight, scorer):
        self.X, self.y, self.epochs, self.sample_weight = X, y, epochs, sample_weight
        self.scorer = scorer
        self.model = self.support = self.score = None

    def at(self, estimator, support):
        """The relaxed model for ``estimator``'s ``support``, and its score (None: no data)."""
        if _support_changed(self.support, support):
            self.model = relaxed_refit(estimator, self.X, self.y, self.epochs,
                                       sample_weight=self.sample_weight)
            self.support = support
            self.score = None if self.scorer is None else self.scorer(self.model)
        return self.model, self.score


class _PathRecord:
    """What the path records at each alpha, assembled into a :class:`SparseMLPPath`."""

    def __init__(self):
        self.alphas, self.supports, self.train_loss, self.n_epochs = [], [], [], []
        self.valid_scores, self.lin1_weights, self.feature_norms = [], [], []
        self.module_states, self.relaxed_states = [], []

    def add(self, alpha, estimator):
        """Record the model fitted at ``alpha``; returns its support."""
        module = estimator.net_.module_
        support = estimator.get_support()
        self.alphas.append(alpha)
        self.supports.append(support)
        self.train_loss.append(float(estimator.net_.history[-1, "train_loss"]))
        self.n_epochs.append(len(estimator.net_.history))
        self.lin1_weights.append(module.lin1.weight.detach().cpu().numpy().copy())
        self.feature_norms.append(estimator._columns.norms(self.lin1_weights[-1]))
        self.module_states.append(copy.deepcopy(module.state_dict()))
        return support

    def path(self, estimator, alpha_start, scored, relaxed):
        supports = np.array(self.supports).reshape(-1, estimator.n_features_in_)
        alphas = np.array(self.alphas)
        leave, last_norms = _leave_alphas_and_norms(supports, alphas, self.feature_norms)
        return SparseMLPPath(
            alphas=alphas,
            supports=supports,
            n_features=supports.sum(axis=1),
            train_loss=np.array(self.train_loss),
            valid_scores=np.array(self.valid_scores) if scored else None,
            lin1_weights=self.lin1_weights,
            module_states=self.module_states,
            relaxed_states=self.relaxed_states if relaxed else None,
            feature_leave_alphas=leave,
            feature_last_norms=last_norms,
            alpha_start=alpha_start,
            estimator=estimator,
            n_epochs=np.array(self.n_epochs),
            feature_norms=np.array(self.feature_norms).reshape(len(alphas), -1),
        )


def _leave_alphas_and_norms(supports, alphas, feature_norms):
    """The alpha after which each feature never comes back, and its weights' norm at the
    last alpha where it is selected (``feature_norms[i]``: the norms at alpha i)."""
    n_alphas, n_features = supports.shape
    leave = np.full(n_features, np.inf)
    last_norms = np.zeros(n_features)
    for j in range(n_features):
        selected = np.flatnonzero(supports[:, j])
        if selected.size == 0:
            leave[j] = alphas[0]
            continue
        last = selected[-1]
        if last + 1 < n_alphas:
            leave[j] = alphas[last + 1]
        last_norms[j] = feature_norms[last][j]
    return leave, last_norms


@validate_params(
    {
        "estimator": [_BaseSparseMLP],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "support": ["array-like", None],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=False,
)
def relaxed_refit(estimator, X, y, epochs, support=None, sample_weight=None):
    """A copy of a fitted estimator retrained on its own support without the penalty.

    The relaxed lasso (Meinshausen, 2007): the penalty both selects features and shrinks the
    kept ones; retraining the selected model with the penalty off, and the dropped features'
    columns held at exactly 0, keeps the selection and removes the shrinkage. The estimator's
    ``weight_decay`` is off during the refit too (it is there to balance the penalty on
    ``lin1``); the refit copy keeps the parameter for any later training.

    Parameters
    ----------
    estimator : fitted SparseMLPClassifier or SparseMLPRegressor
        The model to relax; it is not modified.
    X, y : array-like
        Training data.
    epochs : int
        Maximum number of epochs of the refit (it stops earlier once converged).
    support : array-like of bool of shape (n_features,) or of int, default=None
        Features to train, as a mask or as column indices (like ``get_support(indices=True)``);
        None: the estimator's own support. Columns outside it are set to 0 and held there; a
        feature the estimator had dropped starts from a zero column.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the training samples.

    Returns
    -------
    relaxed : SparseMLPClassifier or SparseMLPRegressor
        The relaxed copy, with the given support (by default the same) and ``alpha``.
    """
    relaxed = copy.deepcopy(estimator, _history_memo(estimator))
    net = relaxed.net_
    # the refit continues this network, whatever the estimator's parameters say now
    structure = fitted_structure(net)
    polish = relaxed._relaxed_training()
    kept = {name: getattr(relaxed, name)
            for name in ("alpha", "max_iter", "warm_start", "weight_decay", "warmup_epochs",
                         "ramp_epochs", *polish, *structure)}
    # no penalty, so no schedule: convergence may be declared from the first epoch
    relaxed.set_params(warmup_epochs=0, ramp_epochs=0, **structure)
    support = relaxed.get_support() if support is None else _support_mask(
        support, relaxed.n_features_in_)
    mask = FixedSupport(relaxed._columns.column_mask(support)).initialize()
    net.callbacks_ = [*net.callbacks_, ("fixed_support", mask)]
    # weight_decay only keeps the next layers from growing while lin1 is penalized; with the
    # penalty off it would just shrink them (and underfit interactions).
    relaxed.set_params(alpha=0.0, warm_start=True, max_iter=epochs, weight_decay=0.0, **polish)
    decays = [group["weight_decay"] for group in net.optimizer_.param_groups]
    try:
        _fit_quietly(relaxed, X, y, sample_weight)
    finally:
        # by identity, not position: the warm start may have appended a print_log after it
        net.callbacks_ = [(name, cb) for name, cb in net.callbacks_ if cb is not mask]
        for group, decay in zip(net.optimizer_.param_groups, decays, strict=True):
            group["weight_decay"] = decay
        net.optimizer__weight_decay = kept["weight_decay"]
        relaxed.set_params(**kept)
    return relaxed


def _support_mask(support, n_features):
    """A boolean mask of length ``n_features`` from a mask or from column indices."""
    support = np.asarray(support)
    if support.size == 0:
        return np.zeros(n_features, dtype=bool)
    if support.dtype == bool:
        if support.shape != (n_features,):
            raise ValueError(
                f"support is a mask of shape {support.shape}, but the estimator has "
                f"{n_features} features: give one bool per feature, or column indices."
            )
        return support
    if support.ndim != 1 or not np.issubdtype(support.dtype, np.integer):
        raise ValueError(
            "support must be a boolean mask of shape (n_features,) or an array of column "
            f"indices, got an array of dtype {support.dtype} and shape {support.shape}."
        )
    if support.min() < 0 or support.max() >= n_features:
        raise ValueError(
            f"support holds column indices outside [0, {n_features}): {support.tolist()}."
        )
    if len(np.unique(support)) < len(support):
        raise ValueError(
            f"support repeats column indices: {support.tolist()}; a mask of 0s and 1s must "
            "be given as bools (astype(bool))."
        )
    mask = np.zeros(n_features, dtype=bool)
    mask[support] = True
    return mask


def _history_memo(estimator):
    """A deepcopy memo holding a copy of the net's history, made by a pickle round trip.

    The history of a warm-started path holds every epoch and batch of every alpha so far;
    deepcopy walks it object by object, a pickle round trip copies it faster and just as
    deep. A history pickle cannot copy (a callback recorded a lambda) is left to deepcopy.
    """
    history = getattr(estimator.net_, "history_", None)
    if history is None:
        return {}
    try:
        return {id(history): pickle.loads(pickle.dumps(history))}
    except Exception:
        return {}


def _class_weights_of(estimator, y):
    """The class weight of each label of ``y`` (labels as given to fit), as the fit used."""
    from ._classifier import class_weighted

    return class_weighted(None, estimator.class_weight, estimator.classes_,
                          _training_targets(estimator, y))


def _training_arrays(estimator, X, y):
    """X and y, checked against the fitted estimator, as it trains on them.

    Class labels are encoded as indices into ``classes_``; regression targets are
    standardized as the estimator's fit standardized them, float32 of shape
    (n_samples, n_outputs).
    """
    X_arr = check_array(X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32])
    if X_arr.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X_arr.shape[1]} features, but {type(estimator).__name__} was fitted with "
            f"{estimator.n_features_in_} features."
        )
    y = _training_targets(estimator, y)
    check_consistent_length(X_arr, y)
    return X_arr, y


def _training_targets(estimator, y):
    """y checked against the fitted estimator, as it trains on it: class indices, or the
    standardized target, float32 of shape (n_samples, n_outputs)."""
    y = check_array(y, ensure_2d=False, dtype=None if is_classifier(estimator) else np.float64)
    if is_classifier(estimator):
        unknown = np.setdiff1d(y, estimator.classes_)
        if unknown.size:
            raise ValueError(
                f"y has labels {unknown.tolist()} the estimator was not fitted on (its classes_ "
                f"are {estimator.classes_.tolist()}); pass the labels of its training data."
            )
        return np.searchsorted(estimator.classes_, y).astype(np.int64)
    y = y.reshape(len(y), -1)
    if y.shape[1] != estimator.n_outputs_:
        raise ValueError(
            f"y has {y.shape[1]} outputs, but {type(estimator).__name__} was fitted with "
            f"{estimator.n_outputs_}."
        )
    return standardized_targets(y, estimator.target_mean_, estimator.target_scale_)


def _fit_quietly(estimator, X, y, sample_weight=None):
    # Along a path a few epochs per alpha are expected not to converge fully, and the advice
    # about the data was given by the path's first fit.
    with silenced(ConvergenceWarning, DataAdviceWarning):
        estimator.fit(X, y, sample_weight=sample_weight)
