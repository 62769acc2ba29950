"""What the classifier and the regressor share: parameters, validation, the fit loop, support."""

import contextvars
import functools
import os
import sys
import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import joblib
import numpy as np
import scipy.sparse as sp
import sklearn
import skorch
import torch
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.sparsefuncs import min_max_axis
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
from skorch.helper import predefined_split

from ._data import TensorPairDataset, mean_one_weights, merge_duplicate_rows
from ._encoding import ENCODINGS, FeatureColumns, check_dense, encode, fit_encoder
from ._module import ACTIVATIONS, forward_float64
from ._net import (
    CONVERGENCE,
    OPTIMIZERS,
    carry_parameters,
    check_structure,
    net_callback,
    net_checkpoint,
    net_kwargs,
    per_sample,
    pointwise_criterion,
)

# SelectFromModel's default threshold for L1-penalised estimators; the importance of a selected
# feature is floored at it, so that the default threshold keeps exactly get_support().
_SELECT_FROM_MODEL_L1_THRESHOLD = 1e-5

# Sparse input is multiplied batch by batch as torch sparse tensors; CSR slices rows cheaply.
ACCEPT_SPARSE = ("csr", "csc")


@contextmanager
def torch_threads(n_threads):
    """Run the block with ``n_threads`` torch intra-op threads, then restore the old count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def public_fit(method):
    """Decorate a public ``fit`` or ``partial_fit``: all or nothing, and autograd on.

    A fit that raises (bad input found late, a diverging loss, an interrupt) leaves the
    estimator as it was: every attribute is put back, and so is a network that the call
    would continue (``partial_fit``, ``warm_start=True``; ``net_checkpoint``), which
    training changes in place. The fit runs with autograd on, whatever the caller's
    ``torch.no_grad()``, ``set_grad_enabled(False)`` or ``inference_mode()`` (the calling
    thread's own modes, restored on return): training must not depend on them.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        before = dict(self.__dict__)
        continuing = method.__name__ == "partial_fit" or getattr(self, "warm_start", False)
        restore_net = net_checkpoint(self.net_) if continuing and "net_" in before else None
        try:
            with torch.inference_mode(False), torch.enable_grad():
                return method(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            if restore_net is not None:
                restore_net()
            raise

    return wrapper


# Where a warning should not point: the first frame outside these is the user's code.
_LIBRARY_DIRS = tuple(
    os.path.dirname(module.__file__) + os.sep for module in (sys.modules[__package__], sklearn,
                                                             skorch, joblib)
)


# The warning categories silenced in the current thread (or task): the fits inside a path or a
# CV run quietly. warnings.catch_warnings would change the process-wide filters, which fits in
# other threads share.
_SILENCED = contextvars.ContextVar("sklearn_sparse_mlp_silenced", default=())


@contextmanager
def silenced(*categories):
    """Drop the package's own warnings of these categories inside the block (this thread)."""
    token = _SILENCED.set(_SILENCED.get() + categories)
    try:
        yield
    finally:
        _SILENCED.reset(token)


def warn_user(message, category=UserWarning):
    """``warnings.warn`` pointing at the user's line, past this package, sklearn and skorch.

    ``stacklevel`` alone cannot: ``_fit_context``, ``Pipeline`` or ``cross_validate`` may
    stand between the user and the estimator (Python 3.12's ``skip_file_prefixes`` does the
    same walk). Categories silenced by :func:`silenced` are dropped.
    """
    if any(issubclass(category, quiet) for quiet in _SILENCED.get()):
        return
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


class DataAdviceWarning(UserWarning):
    """Advice about the training data or the parameters (feature scales, no-op parameters).

    The CV estimators warn once for the whole data; their inner fits do not repeat it.
    """


# joblib's meaning of n_jobs (-1: every core, -2: all but one, ...), where 0 has none
N_JOBS_CONSTRAINT = [Interval(Integral, None, -1, closed="right"),
                     Interval(Integral, 1, None, closed="left"), None]


def draw_seed(rng):
    """The seed of one fit's private torch generator, drawn from its ``random_state``'s
    RandomState (the stacked CV draws its models' seeds the same way)."""
    return int(rng.randint(np.iinfo(np.int32).max))


def column_min_max(X):
    """Per-column minimum and maximum of a dense or sparse (implicit zeros included) X."""
    if sp.issparse(X):
        low, high = min_max_axis(X, axis=0)
        return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    return X.min(axis=0).astype(np.float64), X.max(axis=0).astype(np.float64)


def feature_scale_problems(low, high):
    """What makes columns of these ranges unfit for one penalty; an empty list if nothing.

    Considered over the columns that vary: values beyond 1e3 in absolute value, ranges
    (max - min) that differ by more than a factor 100, or a centre further from 0 than 10
    times the column's range.
    """
    varying = high > low
    if not varying.any():
        return []
    low, high = low[varying], high[varying]
    ranges = high - low
    problems = []
    magnitude = float(np.maximum(np.abs(low), np.abs(high)).max())
    if magnitude > 1e3:
        problems.append(f"values up to {magnitude:.3g} in absolute value")
    spread = float(ranges.max() / ranges.min())
    if spread > 1e2:
        problems.append(f"column ranges that differ by a factor of {spread:.3g}")
    off_centre = float((np.abs(high + low) / 2 / ranges).max())
    if off_centre > 10:
        problems.append(f"a column centred {off_centre:.3g} times its range away from 0")
    return problems


def _check_float32_range(values, name, fix):
    """ValueError if casting finite data to float32 (as training does) overflowed to inf."""
    # max/min: no temporary the size of the data; the input was checked finite before
    if values.size and not (np.isfinite(values.max()) and np.isfinite(values.min())):
        raise ValueError(
            f"{name} has values beyond the float32 range (about 3.4e38) in which the network "
            f"trains; {fix}."
        )


class _BaseSparseMLP(BaseEstimator):
    """Base of the sparse-input MLP estimators; subclasses set the task-specific parts."""

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "groups": ["array-like", None],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "solver": [StrOptions(set(OPTIMIZERS))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "ramp_epochs": [Interval(Integral, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "device": [str],
        "n_jobs": N_JOBS_CONSTRAINT,
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "feature_encoding": [StrOptions(set(ENCODINGS)), None],
    }

    def __init__(
        self,
        alpha=0.1,
        *,
        l1_ratio=0.0,
        groups=None,
        hidden_layer_sizes=(64,),
        activation="relu",
        solver="adam",
        learning_rate_init=1e-2,
        batch_size="auto",
        max_iter=300,
        tol=1e-4,
        n_iter_no_change=10,
        warmup_epochs=30,
        ramp_epochs=30,
        early_stopping=False,
        validation_fraction=0.1,
        momentum=0.9,
        warm_start=False,
        random_state=None,
        verbose=0,
        device="cpu",
        n_jobs=None,
        weight_decay=1e-2,
        feature_encoding=None,
    ):
        self.alpha = alpha
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
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.momentum = momentum
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.device = device
        self.n_jobs = n_jobs
        self.weight_decay = weight_decay
        self.feature_encoding = feature_encoding

    # ``SelectFromModel`` defaults to ``threshold=1e-5`` for estimators whose ``penalty`` is
    # "l1"; every penalty here is an L1 norm (of weights or of feature groups).
    @property
    def penalty(self):
        """Always ``"l1"``: the penalty is an L1 norm of weights or of feature groups.

        ``SelectFromModel`` reads it to use ``threshold=1e-5`` by default, which then keeps
        exactly the features of :meth:`get_support`.
        """
        return "l1"

    # -- hooks for the subclasses --------------------------------------------------------------
    def _torch_threads(self):
        # None means 1 thread (unless joblib's parallel_config says otherwise): the small dense
        # layers trained here gain nothing from more, and GridSearchCV's workers must not each
        # take every core.
        return effective_n_jobs(self.n_jobs)

    def _batch_size(self, n_samples):
        """``batch_size``, with "auto" meaning ``min(200, n_samples)`` as in MLPClassifier."""
        return min(200, n_samples) if self.batch_size == "auto" else self.batch_size

    def _make_net(self, net_kwargs):
        raise NotImplementedError

    # -- fitting -------------------------------------------------------------------------------
    def _check_params(self, n_features, name=None):
        """Hidden sizes, groups and device, checked; advice warned in the name of ``name``."""
        hidden = self.hidden_layer_sizes
        hidden = (hidden,) if isinstance(hidden, Integral) else tuple(hidden)
        if not hidden or not all(isinstance(h, Integral) and h >= 1 for h in hidden):
            raise ValueError(
                "hidden_layer_sizes must be a positive int or a non-empty sequence of positive "
                f"ints, got {self.hidden_layer_sizes!r}."
            )
        if self.groups is not None and len(self.groups) != n_features:
            raise ValueError(
                f"groups has {len(self.groups)} labels but X has {n_features} features: give "
                "one group label per feature (or groups=None)."
            )
        if self.groups is not None and self.l1_ratio == 1:
            warn_user(
                f"{name or type(self).__name__}: groups has no effect with l1_ratio=1, the "
                "element-wise "
                "lasso, which penalises single weights; use l1_ratio < 1 (the group or the "
                "sparse-group lasso) for groups to count, or groups=None.",
                DataAdviceWarning,
            )
        try:
            kind = torch.device(self.device).type
        except RuntimeError:
            raise ValueError(
                f"device={self.device!r} is not a torch device; use 'cpu', 'cuda' or 'cuda:N'."
            ) from None
        if kind == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"device={self.device!r} but torch sees no CUDA device; use device='cpu'."
            )
        if kind not in ("cpu", "cuda"):
            # predictions run in float64, which e.g. MPS lacks; only cpu and cuda are tested
            raise ValueError(
                f"device={self.device!r}: the estimators train on 'cpu' or 'cuda[:N]' only; "
                "use device='cpu'."
            )
        return tuple(int(h) for h in hidden)

    def _check_feature_scales(self, low, high, sparse, name=None):
        """Warn when the columns' ranges make one penalty unfair (see the user guide)."""
        problems = feature_scale_problems(low, high)
        name = name or type(self).__name__
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

    def _float32_data(self, X):
        """Training copy of X: float32 C-contiguous array, or float32 CSR for sparse input."""
        if sp.issparse(X):
            X = X.tocsr().astype(np.float32, copy=False)
            _check_float32_range(X.data, "X", "scale the features (e.g. MaxAbsScaler)")
            return X
        X = np.asarray(X, dtype=np.float32)
        _check_float32_range(X, "X", "scale the features (e.g. StandardScaler)")
        if not X.flags.writeable or not X.flags.c_contiguous:
            X = np.ascontiguousarray(X).copy()
        return X

    def _dataset(self, X, y, sample_weight):
        """The skorch dataset of float32 rows, targets and weights scaled to a mean of 1."""
        X = X if sp.issparse(X) else torch.from_numpy(X)
        weight = mean_one_weights(sample_weight)
        if weight is not None:
            weight = torch.as_tensor(weight, dtype=torch.float32)
        return TensorPairDataset(X, torch.as_tensor(y), weight)

    def _divergence_advice(self):
        return (f"lower learning_rate_init (now {self.learning_rate_init}), scale the "
                "features (e.g. with StandardScaler), or use solver='adam'")

    def _split_validation(self, n_samples, y_for_stratify, rng):
        """Indices of the training and the validation samples for early stopping."""
        from sklearn.model_selection import train_test_split

        n_valid = int(np.ceil(self.validation_fraction * n_samples))
        if n_samples - n_valid < 1:
            raise ValueError(
                f"early_stopping with validation_fraction={self.validation_fraction} leaves "
                f"no training sample out of {n_samples}; use more samples or "
                "early_stopping=False."
            )
        if y_for_stratify is not None:
            n_classes = len(np.unique(y_for_stratify))
            if min(n_valid, n_samples - n_valid) < n_classes:
                raise ValueError(
                    f"early_stopping with validation_fraction={self.validation_fraction} "
                    f"splits {n_samples} samples into {n_samples - n_valid} for training and "
                    f"{n_valid} for validation, but a stratified split needs at least one "
                    f"sample of each of the {n_classes} classes on each side; use more "
                    "samples, another validation_fraction or early_stopping=False."
                )
        return train_test_split(
            np.arange(n_samples), test_size=n_valid, random_state=rng, stratify=y_for_stratify
        )

    def _check_sample_weight(self, sample_weight, X):
        """float64 weights of shape (n_samples,), >= 0, not all 0; None stays None."""
        if sample_weight is None:
            return None
        # sklearn's own check refuses negative weights and weights that are all zero
        return _check_sample_weight(sample_weight, X, dtype=np.float64,
                                    ensure_non_negative=True)

    def _fit(self, X, y, sample_weight, n_outputs, y_for_stratify=None, incremental=False):
        """Train on validated data: a new network, or the fitted one continued.

        ``incremental`` is ``partial_fit``: one epoch, no early stopping, no convergence
        warning, and the columns constant in every chunk so far held out.
        """
        hidden = self._check_params(X.shape[1])
        continuing = hasattr(self, "net_") and (incremental or self.warm_start)
        rng = check_random_state(self.random_state)
        seed = draw_seed(rng)
        if incremental and continuing:  # a different but reproducible stream for each call
            seed = (seed + len(self.net_.history)) % np.iinfo(np.int32).max
        X = self._float32_data(X)
        if sample_weight is not None and not np.all(sample_weight > 0):
            kept = np.flatnonzero(sample_weight > 0)  # weight 0 is a sample removed
            X, y, sample_weight = X[kept], y[kept], sample_weight[kept]
            y_for_stratify = None if y_for_stratify is None else y_for_stratify[kept]
        low, high = column_min_max(X)
        if self.feature_encoding is None:  # an encoding's centred basis columns lie in [-1, 1]
            self._check_feature_scales(low, high, sp.issparse(X))
        X = self._encoded(X, fit=not continuing, continuing=continuing,
                          sample_weight=sample_weight)
        low, high = column_min_max(X)
        if incremental and continuing:
            low, high = np.minimum(low, self._seen_min), np.maximum(high, self._seen_max)
        early_stopping = self.early_stopping and not incremental
        train_split = None
        if early_stopping:
            train, valid = self._split_validation(X.shape[0], y_for_stratify, rng)
            weight_valid = None if sample_weight is None else sample_weight[valid]
            train_split = predefined_split(self._dataset(X[valid], y[valid], weight_valid))
            X, y = X[train], y[train]
            sample_weight = None if sample_weight is None else sample_weight[train]
        batch_size = self._batch_size(X.shape[0])
        if batch_size >= X.shape[0]:
            # one batch: the same gradient from merged rows, and a fit that depends on
            # neither the order of the rows nor on repeating a row instead of weighting it
            X, y, sample_weight = merge_duplicate_rows(
                X, y, np.ones(X.shape[0]) if sample_weight is None else sample_weight
            )
        dataset = self._dataset(X, y, sample_weight)
        # One private generator draws the initial weights, then the shuffles: the fit never
        # touches torch's global RNG, which threads running other fits share.
        generator = torch.Generator().manual_seed(seed)
        constant = low == high
        with torch_threads(self._torch_threads()):
            training = dict(batch_size=batch_size, early_stopping=early_stopping,
                            generator=generator, constant=constant, fill_values=low)
            if continuing:
                net = self.net_
                check_structure(net, self, hidden,
                                caller="partial_fit" if incremental else "warm_start=True")
                carry_parameters(net, self, **training)
                net.train_split = train_split
                net.partial_fit(dataset, None, **({"epochs": 1} if incremental else {}))
            else:
                net = self._make_net(net_kwargs(self, hidden, X.shape[1], n_outputs,
                                                train_split, **training))
                if incremental:
                    net.partial_fit(dataset, None, epochs=1)
                else:
                    net.fit(dataset, None)
        self.net_ = net
        self._seen_min, self._seen_max = low, high
        self._set_fitted_attributes()
        if not incremental:
            self._warn_if_not_converged()
            if self.alpha > 0 and not self.get_support().any():
                warn_user(
                    f"{type(self).__name__}: alpha={self.alpha} dropped every feature, so "
                    "the model predicts a constant. Lower alpha, or let the CV estimator "
                    f"({type(self).__name__}CV) choose it.",
                    DataAdviceWarning,
                )
        return self

    def _relaxed_training(self):
        """Training parameters of a relaxed refit (``relaxed_refit`` and the CV's stacked
        refits) that differ from the penalized fit's: none here (see the regressor)."""
        return {}

    def _warn_if_not_converged(self):
        history = self.net_.history
        reached = history[-1].get("alpha", self.alpha)
        if self.alpha > 0 and reached < self.alpha:
            warn_user(
                f"{type(self).__name__}: the penalty never reached alpha={self.alpha}: after "
                f"max_iter={self.max_iter} epochs it was at {reached:.3g}, still inside the "
                f"schedule of warmup_epochs={self.warmup_epochs} dense epochs and "
                f"ramp_epochs={self.ramp_epochs} epochs of rising penalty, so features were "
                "not selected at alpha. Raise max_iter above warmup_epochs + ramp_epochs, or "
                "shorten the schedule.",
                ConvergenceWarning,
            )
        elif not net_callback(self.net_, CONVERGENCE).converged_:
            warn_user(
                f"{type(self).__name__}: max_iter={self.max_iter} epochs reached before the "
                "loss and the selected features converged; increase max_iter.",
                ConvergenceWarning,
            )

    def _pointwise_loss(self, output, y):
        """Loss of each sample, shape (n_samples,): the net's criterion, not reduced."""
        return per_sample(pointwise_criterion(self.net_.criterion_)(output, y))

    def _encoded(self, X, fit=False, continuing=False, sample_weight=None):
        """X as the first layer reads it: through the fitted per-feature encoding, if any.

        ``fit``: fit the encoding on X first (a new network; its column means weighted by
        ``sample_weight``). ``continuing``: training goes on with the fitted network, which
        must keep the encoding it was trained with. Otherwise (prediction) the fitted
        encoding is used, whatever the parameter says now.
        """
        fitted = getattr(self, "encoder_", None)
        if continuing and getattr(self, "_fitted_encoding", None) != self.feature_encoding:
            raise ValueError(
                f"feature_encoding={self.feature_encoding!r}, but the fitted network was "
                f"trained with feature_encoding={getattr(self, '_fitted_encoding', None)!r}; "
                "set warm_start=False (or call fit) to train a new network."
            )
        if fit:
            self._fitted_encoding = self.feature_encoding
            if self.feature_encoding is None:
                self._columns = FeatureColumns(X.shape[1])
                vars(self).pop("encoder_", None)
                return X
            check_dense(X, name=type(self).__name__)
            fitted = self.encoder_ = fit_encoder(self.feature_encoding, X, sample_weight)
        if fitted is None:
            return X
        encoded = encode(fitted, X, name=type(self).__name__)
        if fit:
            self._columns = FeatureColumns(X.shape[1], encoded.shape[1] // X.shape[1])
        return encoded

    def _penalty_groups(self):
        """The group of each column of ``lin1`` (None: each column its own group)."""
        columns = getattr(self, "_columns", None)
        if columns is None or columns.identity:
            return self.groups
        return columns.group_labels(self.groups)

    def _set_fitted_attributes(self):
        history = self.net_.history
        self.n_iter_ = len(history)
        self.loss_curve_ = [
            row["train_loss"] + row.get("penalty", 0.0) for row in history if "train_loss" in row
        ]
        weight = self.net_.module_.lin1.weight
        norms = self._columns.norms(weight)
        support = self._columns.support(weight)
        self.feature_importances_ = np.where(
            support, np.maximum(norms, _SELECT_FROM_MODEL_L1_THRESHOLD), 0.0
        )

    # -- prediction ----------------------------------------------------------------------------
    def _forward(self, X):
        """Network output on ``X`` as a float64 numpy array (validates X)."""
        check_is_fitted(self, "net_")
        X = validate_data(
            self, X, reset=False, dtype=[np.float64, np.float32], accept_sparse=ACCEPT_SPARSE
        )
        X = self._encoded(X)
        with torch_threads(self._torch_threads()):
            out = forward_float64(self.net_.module_, X)
        return out.cpu().numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self.feature_encoding is None
        return tags

    def get_support(self, indices=False):
        """Get a mask, or integer index, of the features selected.

        A feature is selected when its column of ``lin1.weight`` is not all exact zeros.

        Parameters
        ----------
        indices : bool, default=False
            If True, the return value will be an array of integers, rather than a boolean
            mask.

        Returns
        -------
        support : ndarray
            If ``indices`` is False, a boolean array of shape (``n_features_in_``,), True where
            the feature is selected. If True, an integer array of the selected features'
            indices into the input feature vector.
        """
        check_is_fitted(self, "net_")
        mask = self._columns.support(self.net_.module_.lin1.weight)
        return np.flatnonzero(mask) if indices else mask
