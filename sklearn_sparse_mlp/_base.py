"""What the classifier and the regressor share: parameters, validation, the fit loop, support."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.helper import predefined_split

from ._data import TensorPairDataset, mean_one_weights
from ._encoding import ENCODINGS
from ._module import ACTIVATIONS, forward_float64
from ._net import (
    CONVERGENCE,
    OPTIMIZERS,
    carry_parameters,
    check_structure,
    net_callback,
    net_kwargs,
    per_sample,
    pointwise_criterion,
)
from ._prepare import check_network_params, prepare_data, training_rows

# Re-exported: the modules that build on the estimators import them from here.
from ._utils import (  # noqa: F401
    N_JOBS_CONSTRAINT,
    DataAdviceWarning,
    column_min_max,
    draw_seed,
    feature_scale_problems,
    public_fit,
    silenced,
    torch_threads,
    warn_user,
)

# SelectFromModel's default threshold for L1-penalised estimators; the importance of a selected
# feature is floored at it, so that the default threshold keeps exactly get_support().
_SELECT_FROM_MODEL_L1_THRESHOLD = 1e-5

# Sparse input is multiplied batch by batch as torch sparse tensors; CSR slices rows cheaply.
ACCEPT_SPARSE = ("csr", "csc")


def penalty_groups(groups, columns):
    """The penalty group of each column of ``lin1``: ``groups`` (one label per feature, or
    None: each column its own group) over the columns of an encoding (``FeatureColumns``)."""
    return groups if columns.identity else columns.group_labels(groups)


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

    def _make_net(self, net_kwargs, fitted):
        """The skorch net of a new network; ``fitted``: the task's attributes of this fit."""
        raise NotImplementedError

    # -- fitting -------------------------------------------------------------------------------
    def _dataset(self, X, y, sample_weight):
        """The skorch dataset of float32 rows, targets and weights (None: all equal)."""
        X = X if sp.issparse(X) else torch.from_numpy(X)
        if sample_weight is not None:
            sample_weight = torch.as_tensor(sample_weight, dtype=torch.float32)
        return TensorPairDataset(X, torch.as_tensor(y), sample_weight)

    def _divergence_advice(self):
        return (f"lower learning_rate_init (now {self.learning_rate_init}), scale the "
                "features (e.g. with StandardScaler), or use solver='adam'")

    def _split_validation(self, n_samples, y_for_stratify, rng):
        """Positions of the training and the validation samples for early stopping."""
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

    def _fit(self, X, y, sample_weight, n_outputs, fitted, y_for_stratify=None,
             incremental=False):
        """Train on validated data (a new network, or the fitted one continued), then
        commit every fitted attribute at once (``fitted``: the task's own, e.g.
        ``classes_``).

        ``incremental`` is ``partial_fit``: one epoch, no early stopping, no convergence
        warning, and the columns constant in every chunk so far held out.
        """
        name = type(self).__name__
        hidden = check_network_params(self, X.shape[1], name)
        continuing = hasattr(self, "net_") and (incremental or self.warm_start)
        rng = check_random_state(self.random_state)
        seed = draw_seed(rng)
        if incremental and continuing:  # a different but reproducible stream for each call
            seed = (seed + len(self.net_.history)) % np.iinfo(np.int32).max
        if continuing and self._encoding.option != self.feature_encoding:
            raise ValueError(
                f"feature_encoding={self.feature_encoding!r}, but the fitted network was "
                f"trained with feature_encoding={self._encoding.option!r}; set "
                "warm_start=False (or call fit) to train a new network."
            )
        data = prepare_data(X, sample_weight, self.feature_encoding, name=name,
                            encoding=self._encoding if continuing else None)
        low, high = data.low, data.high
        if incremental and continuing:
            low, high = np.minimum(low, self._seen_min), np.maximum(high, self._seen_max)
        rows, train_split = self._training_and_validation(data, y, y_for_stratify, rng,
                                                          incremental)
        weight = None if sample_weight is None else sample_weight[rows]
        batch_size = self._batch_size(len(rows))
        spec = training_rows(data.X, y[rows], rows, weight, self._batch_size,
                             bounds=(low, high))
        everything = np.array_equal(spec.rows, np.arange(data.X.shape[0]))
        X = data.X if everything else data.X[spec.rows]
        dataset = self._dataset(X, y if everything else y[spec.rows], spec.sample_weight)
        # One private generator draws the initial weights, then the shuffles: the fit never
        # touches torch's global RNG, which threads running other fits share.
        training = dict(batch_size=batch_size,
                        early_stopping=train_split is not None,
                        generator=torch.Generator().manual_seed(seed), constant=spec.held,
                        fill_values=spec.fill_values,
                        groups=penalty_groups(self.groups, data.encoding.columns))
        with torch_threads(self._torch_threads()):
            if continuing:
                net = self.net_
                check_structure(net, self, hidden,
                                caller="partial_fit" if incremental else "warm_start=True")
                carry_parameters(net, self, **training)
                net.train_split = train_split
                net.partial_fit(dataset, None, **({"epochs": 1} if incremental else {}))
            else:
                net = self._make_net(net_kwargs(self, hidden, X.shape[1], n_outputs,
                                                train_split, **training), fitted)
                if incremental:
                    net.partial_fit(dataset, None, epochs=1)
                else:
                    net.fit(dataset, None)
        self._commit(net, data.encoding, low, high, fitted)
        if not incremental:
            self._warn_after_fit()
        return self

    def _training_and_validation(self, data, y, y_for_stratify, rng, incremental):
        """The training rows of positive weight, and the skorch split of the validation
        rows where early stopping holds them out (None otherwise)."""
        rows = data.positive
        if not self.early_stopping or incremental:
            return rows, None
        stratify = None if y_for_stratify is None else y_for_stratify[rows]
        train, valid = self._split_validation(len(rows), stratify, rng)
        valid = rows[valid]
        weight = None if data.sample_weight is None else mean_one_weights(
            data.sample_weight[valid])
        return rows[train], predefined_split(self._dataset(data.X[valid], y[valid], weight))

    def _commit(self, net, encoding, low, high, fitted):
        """Every fitted attribute of a fit that succeeded, set together."""
        vars(self).update(fitted)
        self.net_ = net
        self._encoding = encoding
        if encoding.encoder is None:
            vars(self).pop("encoder_", None)
        else:
            self.encoder_ = encoding.encoder
        self._seen_min, self._seen_max = low, high
        self._set_fitted_attributes()

    def _warn_after_fit(self):
        """A fit that did not converge, or that dropped every feature, says so."""
        self._warn_if_not_converged()
        if self.alpha > 0 and not self.get_support().any():
            warn_user(
                f"{type(self).__name__}: alpha={self.alpha} dropped every feature, so "
                "the model predicts a constant. Lower alpha, or let the CV estimator "
                f"({type(self).__name__}CV) choose it.",
                DataAdviceWarning,
            )

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

    @property
    def _columns(self):
        """Which columns of ``lin1`` read which feature (the fitted encoding's map)."""
        return self._encoding.columns

    def _encoded(self, X):
        """X as the fitted network's first layer reads it: through its encoding, if any."""
        return self._encoding.transform(X, name=type(self).__name__)

    def _penalty_groups(self):
        """The group of each column of the fitted ``lin1`` (None: each its own group)."""
        return penalty_groups(self.groups, self._columns)

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
