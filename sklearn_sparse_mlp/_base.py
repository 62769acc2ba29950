"""What the classifier and the regressor share: parameters, validation, the fit loop, support."""

import copy
import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import Callback, PrintLog
from skorch.helper import predefined_split

from ._data import BatchSlicer, TensorPairDataset
from ._module import ACTIVATIONS, SparseInputMLP, forward_float64
from .callbacks import ProximalL1, StopOnNonFiniteLoss
from .penalties import feature_support

# SelectFromModel's default threshold for L1-penalised estimators; the importance of a selected
# feature is floored at it, so that the default threshold keeps exactly get_support().
_SELECT_FROM_MODEL_L1_THRESHOLD = 1e-5

# Sparse input is multiplied batch by batch as torch sparse tensors; CSR slices rows cheaply.
ACCEPT_SPARSE = ("csr", "csc")

_OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad}


@contextmanager
def torch_threads(n_threads):
    """Run the block with ``n_threads`` torch intra-op threads, then restore the old count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class _SupportConvergence(Callback):
    """Stop training once the penalty is at full strength and the fit has converged.

    Converged means: for ``n_iter_no_change`` consecutive epochs at full penalty the monitored
    loss (the training objective, or the validation loss with early stopping) did not improve
    by more than ``tol``, and the set of selected features did not change. With early stopping
    the weights of the best validation epoch at full penalty are restored at the end.

    skorch's ``EarlyStopping`` cannot wait for the end of a penalty schedule nor watch the
    support, hence this callback.
    """

    def __init__(self, start_epoch, tol, n_iter_no_change, early_stopping):
        self.start_epoch = start_epoch
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping

    def initialize(self):
        self._reset()
        return self

    def _reset(self):
        self.best_loss_ = np.inf
        self.n_bad_epochs_ = 0
        self.best_state_ = None
        self.converged_ = False
        self._last_support = None
        self._support_stable = 0

    def on_train_begin(self, net, **kwargs):
        # Each fit call (also a warm-started one at a new alpha) converges on its own.
        self._reset()

    def on_epoch_end(self, net, **kwargs):
        history = net.history
        epoch = len(history)
        support = history[-1, "n_features_selected"]
        self._support_stable = self._support_stable + 1 if support == self._last_support else 0
        self._last_support = support
        if epoch <= self.start_epoch:
            return
        if self.early_stopping:
            loss = history[-1, "valid_loss"]
        else:
            loss = history[-1, "train_loss"] + history[-1, "penalty"]
        if loss < self.best_loss_ - self.tol:
            self.n_bad_epochs_ = 0
        else:
            self.n_bad_epochs_ += 1
        if loss < self.best_loss_:
            self.best_loss_ = loss
            if self.early_stopping:
                self.best_state_ = copy.deepcopy(net.module_.state_dict())
        if self.n_bad_epochs_ >= self.n_iter_no_change and (
            self._support_stable >= self.n_iter_no_change
        ):
            self.converged_ = True
            raise KeyboardInterrupt

    def on_train_end(self, net, **kwargs):
        if self.early_stopping and self.best_state_ is not None:
            net.module_.load_state_dict(self.best_state_)


def _check_float32_range(values, name, fix):
    """ValueError if casting finite data to float32 (as training does) overflowed to inf."""
    # max/min: no temporary the size of the data; the input was checked finite before
    if values.size and not (np.isfinite(values.max()) and np.isfinite(values.min())):
        raise ValueError(
            f"{name} has values beyond the float32 range (about 3.4e38) in which the network "
            f"trains; {fix}."
        )


def fitted_structure(net):
    """The estimator parameters that shaped the skorch ``net`` (a warm start cannot change)."""
    return {
        "hidden_layer_sizes": tuple(net.module__hidden_layer_sizes),
        "activation": net.module__activation,
        "solver": next(k for k, v in _OPTIMIZERS.items() if v is net.optimizer),
        "device": str(net.device),
    }


class _BaseSparseMLP(BaseEstimator):
    """Base of the sparse-input MLP estimators; subclasses set the task-specific parts."""

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "groups": ["array-like", None],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "solver": [StrOptions(set(_OPTIMIZERS))],
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
        "n_jobs": [Integral, None],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
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
    def _check_params(self, n_features):
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

    def _to_tensor(self, X):
        """Training copy of X: float32 torch tensor, or float32 CSR for sparse input."""
        if sp.issparse(X):
            X = X.tocsr().astype(np.float32, copy=False)
            _check_float32_range(X.data, "X", "scale the features (e.g. MaxAbsScaler)")
            return X
        X = np.asarray(X, dtype=np.float32)
        _check_float32_range(X, "X", "scale the features (e.g. StandardScaler)")
        if not X.flags.writeable or not X.flags.c_contiguous:
            X = np.ascontiguousarray(X).copy()
        return torch.from_numpy(X)

    def _callbacks(self):
        return [
            (
                "proximal",
                ProximalL1(
                    alpha=self.alpha,
                    l1_ratio=self.l1_ratio,
                    groups=self.groups,
                    layer="lin1",
                    warmup_epochs=self.warmup_epochs,
                    ramp_epochs=self.ramp_epochs,
                ),
            ),
            (
                "convergence",
                _SupportConvergence(
                    start_epoch=self.warmup_epochs + self.ramp_epochs,
                    tol=self.tol,
                    n_iter_no_change=self.n_iter_no_change,
                    early_stopping=self.early_stopping,
                ),
            ),
            (
                "finite_loss",
                StopOnNonFiniteLoss(advice=self._divergence_advice()),
            ),
        ]

    def _divergence_advice(self):
        advice = (f"lower learning_rate_init (now {self.learning_rate_init}), scale the "
                  "features (e.g. with StandardScaler)")
        if not is_classifier(self):
            # a target in the hundreds diverged at the default rate with scaled features
            advice += (", standardize the target (e.g. TransformedTargetRegressor(..., "
                       "transformer=StandardScaler()))")
        return advice + ", or use solver='adam'"

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

    def _fit(self, X, y, y_for_stratify, n_outputs):
        hidden = self._check_params(X.shape[1])
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        reuse = self.warm_start and hasattr(self, "net_")
        X_t = self._to_tensor(X)
        y_t = torch.as_tensor(y)
        with torch_threads(self._torch_threads()), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            train_split = None
            if self.early_stopping:
                train, valid = self._split_validation(X.shape[0], y_for_stratify, rng)
                train_split = predefined_split(TensorPairDataset(X_t[valid], y_t[valid]))
                X_t, y_t = X_t[train], y_t[train]
            dataset = TensorPairDataset(X_t, y_t)
            batch_size = self._batch_size(len(dataset))
            if reuse:
                net = self.net_
                self._check_warm_start_structure(net, hidden)
                self._update_warm_net(net, batch_size, self.early_stopping)
                net.train_split = train_split
                net.partial_fit(dataset, None)
            else:
                net = self._make_net(
                    self._net_kwargs(hidden, X.shape[1], n_outputs, batch_size, train_split)
                )
                net.fit(dataset, None)
        self.net_ = net
        self._set_fitted_attributes()
        if not dict(net.callbacks_)["convergence"].converged_:
            warnings.warn(
                f"{type(self).__name__}: max_iter={self.max_iter} epochs reached before the "
                "loss and the selected features converged; increase max_iter.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _check_warm_start_structure(self, net, hidden, caller="warm_start=True"):
        """Raise a ValueError if continuing ``net`` would silently keep another network."""
        fitted = fitted_structure(net)
        now = {"hidden_layer_sizes": hidden, "activation": self.activation,
               "solver": self.solver, "device": str(self.device)}
        changed = [f"{name} (fitted: {fitted[name]!r}, now: {now[name]!r})"
                   for name in fitted if fitted[name] != now[name]]
        if changed:
            raise ValueError(
                f"{caller} continues training the fitted network, which cannot change "
                f"{', '.join(changed)}; "
                + ("set warm_start=False" if caller == "warm_start=True" else "call fit")
                + " to train a new network."
            )

    def _update_warm_net(self, net, batch_size, early_stopping):
        """Carry the current training parameters into the fitted net before it trains on."""
        # ProximalL1 checks these and rebuilds its penalty from them at train begin.
        proximal = dict(net.callbacks_)["proximal"]
        proximal.alpha, proximal.l1_ratio = self.alpha, self.l1_ratio
        proximal.groups = self.groups
        # The schedule counts epochs from the net's first: after a long fit it is over.
        proximal.warmup_epochs, proximal.ramp_epochs = self.warmup_epochs, self.ramp_epochs
        convergence = dict(net.callbacks_)["convergence"]
        convergence.tol, convergence.n_iter_no_change = self.tol, self.n_iter_no_change
        convergence.early_stopping = early_stopping
        convergence.start_epoch = self.warmup_epochs + self.ramp_epochs
        net.set_params(max_epochs=self.max_iter, batch_size=batch_size,
                       lr=self.learning_rate_init)  # skorch sets lr in every param group
        lin1_weight = net.module_.lin1.weight
        for group in net.optimizer_.param_groups:
            if not any(p is lin1_weight for p in group["params"]):
                group["weight_decay"] = self.weight_decay
            if self.solver == "sgd":
                group["momentum"] = self.momentum
        # what skorch would rebuild the optimizer from (e.g. after set_params(module__...))
        net.optimizer__weight_decay = self.weight_decay
        if self.solver == "sgd":
            net.optimizer__momentum = self.momentum
        # skorch's set_params cannot add back a callback the net was built without (the quiet
        # net has no print_log), so the list is edited as skorch's own set_params does.
        printing = "print_log" in dict(net.callbacks_)
        if self.verbose and not printing:
            net.callbacks_.append(("print_log", PrintLog().initialize()))  # skorch puts it last
            vars(net).pop("callbacks__print_log", None)
        elif not self.verbose and printing:
            net.callbacks_ = [(name, cb) for name, cb in net.callbacks_ if name != "print_log"]
            net.callbacks__print_log = None
        net.verbose = self.verbose

    def _partial_fit(self, X, y, n_outputs):
        """One pass over (X, y), prox included, continuing the current network if any."""
        hidden = self._check_params(X.shape[1])
        first = not hasattr(self, "net_")
        rng = check_random_state(self.random_state)
        # a different but reproducible stream for each call
        seed = int(rng.randint(np.iinfo(np.int32).max)) + (0 if first else len(self.net_.history))
        dataset = TensorPairDataset(self._to_tensor(X), torch.as_tensor(y))
        batch_size = self._batch_size(len(dataset))
        with torch_threads(self._torch_threads()), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed % np.iinfo(np.int32).max)
            if first:
                kwargs = self._net_kwargs(hidden, X.shape[1], n_outputs, batch_size, None)
                self.net_ = self._make_net(kwargs).initialize()
                # no held-out data in partial_fit (MLPClassifier ignores early_stopping too)
                dict(self.net_.callbacks_)["convergence"].early_stopping = False
            else:  # parameters set since the last call apply, as in sklearn's partial_fit
                self._check_warm_start_structure(self.net_, hidden, caller="partial_fit")
                self._update_warm_net(self.net_, batch_size, early_stopping=False)
                self.net_.train_split = None  # a fit with early_stopping had set one
            self.net_.partial_fit(dataset, None, epochs=1)
        self._set_fitted_attributes()
        return self

    def _net_kwargs(self, hidden, n_features, n_outputs, batch_size, train_split):
        """Keyword arguments of the skorch net, shared by the classifier and the regressor."""
        optimizer_kwargs = {"optimizer__momentum": self.momentum} if self.solver == "sgd" else {}
        # lin1 is governed by the prox alone: any weight decay there would pass through the
        # adaptive preconditioner and bias the sparse solution.
        optimizer_kwargs["optimizer__weight_decay"] = self.weight_decay
        optimizer_kwargs["optimizer__param_groups"] = [("lin1.weight", {"weight_decay": 0.0})]
        return dict(
            module=SparseInputMLP,
            module__n_features=n_features,
            module__n_outputs=n_outputs,
            module__hidden_layer_sizes=hidden,
            module__activation=self.activation,
            optimizer=_OPTIMIZERS[self.solver],
            lr=self.learning_rate_init,
            max_epochs=self.max_iter,
            batch_size=batch_size,
            iterator_train=BatchSlicer,
            iterator_valid=BatchSlicer,
            iterator_train__shuffle=True,
            train_split=train_split,
            callbacks=self._callbacks(),
            device=self.device,
            verbose=self.verbose,
            # skorch's PrintLog formats a table every epoch even when verbose=0: 6% of a
            # digits CV fit. It only prints, so a quiet net goes without it.
            **({} if self.verbose else {"callbacks__print_log": None}),
            **optimizer_kwargs,
        )

    def _set_fitted_attributes(self):
        history = self.net_.history
        self.n_iter_ = len(history)
        self.loss_curve_ = [
            row["train_loss"] + row.get("penalty", 0.0) for row in history if "train_loss" in row
        ]
        weight = self.net_.module_.lin1.weight.detach().cpu()
        norms = weight.to(torch.float64).norm(dim=0).numpy()
        support = feature_support(weight)
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
        with torch_threads(self._torch_threads()):
            out = forward_float64(self.net_.module_, X)
        return out.cpu().numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
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
        mask = feature_support(self.net_.module_.lin1.weight)
        return np.flatnonzero(mask) if indices else mask
