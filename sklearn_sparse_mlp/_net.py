"""The skorch side of the estimators: their nets, built and carried over to a warm start.

The nets are skorch's own, with sample weights in the loss; their callbacks are found by the
names below.
"""

import copy

import torch
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import PrintLog
from skorch.utils import to_numpy, to_tensor

from ._data import BatchSlicer
from ._module import SparseInputMLP
from .callbacks import (
    FixedSupport,
    LayerScaleDecay,
    ProximalL1,
    StopOnNonFiniteLoss,
    SupportConvergence,
    TrainingConverged,
)

OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad}

# The names of the callbacks in an estimator's net (``net.callbacks_``).
PROXIMAL = "proximal"
CONVERGENCE = "convergence"
CONSTANT_FEATURES = "constant_features"
LAYER_SCALE_DECAY = "layer_scale_decay"
FINITE_LOSS = "finite_loss"
PRINT_LOG = "print_log"


def target_of(y):
    """The targets of a batch as numpy, without its weights (skorch's ``target_extractor``)."""
    return to_numpy(y["y"] if isinstance(y, dict) else y)


def net_callback(net, name):
    """The callback called ``name`` in a fitted skorch ``net``."""
    return dict(net.callbacks_)[name]


def pointwise_criterion(criterion):
    """A copy of a torch loss module that returns one loss per sample (``reduction="none"``).

    The data-fit is defined once, by the net's criterion: the weighted loss of a batch and
    :func:`~sklearn_sparse_mlp.drop_one_alphas` both read it through this copy.
    """
    pointwise = copy.copy(criterion)
    pointwise.reduction = "none"
    return pointwise


def per_sample(loss):
    """Per-element losses of shape (n_samples, ...) averaged to shape (n_samples,)."""
    return loss.reshape(loss.shape[0], -1).mean(dim=1)


class _SampleWeightedLoss:
    """skorch net mixin: a batch target ``{"y": y, "sample_weight": w}`` weighs the loss.

    The loss of such a batch is ``mean_i(w_i * loss_i)``; the estimators scale the weights to
    a mean of 1 over the training rows, so that it estimates the weighted mean of the
    per-sample loss (exactly, for a full batch), as ``MLPClassifier`` defines it. A plain
    target gives the criterion's own mean: without weights the net is skorch's.
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if not isinstance(y_true, dict):
            return super().get_loss(y_pred, y_true, X=X, training=training)
        target = to_tensor(y_true["y"], device=self.device)
        weight = to_tensor(y_true["sample_weight"], device=self.device)
        # a shallow copy a batch (microseconds): a torch module kept on the net would be one
        # more criterion for skorch to initialize, move and save
        pointwise = pointwise_criterion(self.criterion_)
        return (per_sample(pointwise(y_pred, target)) * weight).mean()


class _UserInterrupt(BaseException):
    """A user's KeyboardInterrupt on its way past skorch's ``partial_fit``."""


class _InterruptsReachTheUser:
    """skorch net mixin: a KeyboardInterrupt that is not the convergence test's
    (:class:`~sklearn_sparse_mlp.callbacks.TrainingConverged`) leaves ``fit`` and
    ``partial_fit``, as in plain Python; skorch's ``partial_fit`` catches every
    KeyboardInterrupt and returns as if training had ended."""

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except TrainingConverged:
            raise  # skorch ends the training here, as it should
        except KeyboardInterrupt as exc:
            raise _UserInterrupt from exc

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        try:
            return super().partial_fit(X, y, classes=classes, **fit_params)
        except _UserInterrupt:
            raise KeyboardInterrupt from None


class SampleWeightedNetClassifier(_InterruptsReachTheUser, _SampleWeightedLoss,
                                  NeuralNetClassifier):
    """skorch's ``NeuralNetClassifier`` whose batches may carry sample weights."""


class SampleWeightedNetRegressor(_InterruptsReachTheUser, _SampleWeightedLoss,
                                 NeuralNetRegressor):
    """skorch's ``NeuralNetRegressor`` whose batches may carry sample weights.

    The module trains on a standardized target; ``predict`` maps its output back to y's
    units with ``target_mean_`` and ``target_scale_``, which the estimator that builds the
    net sets (the class defaults, 0 and 1, leave the output as it is).
    """

    target_mean_ = 0.0
    target_scale_ = 1.0

    def predict(self, X):
        return super().predict(X) * self.target_scale_ + self.target_mean_


def net_checkpoint(net):
    """A function that puts ``net`` back as it is now: its module's and optimizer's state
    and its history, which training changes in place (its callbacks keep their state)."""
    module = {name: value.clone() for name, value in net.module_.state_dict().items()}
    optimizer = copy.deepcopy(net.optimizer_.state_dict())
    n_epochs = len(net.history_)

    def restore():
        net.module_.load_state_dict(module)
        net.optimizer_.load_state_dict(optimizer)
        del net.history_[n_epochs:]

    return restore


def fitted_structure(net):
    """The estimator parameters that shaped the skorch ``net`` (a warm start cannot change)."""
    return {
        "hidden_layer_sizes": tuple(net.module__hidden_layer_sizes),
        "activation": net.module__activation,
        "solver": next(k for k, v in OPTIMIZERS.items() if v is net.optimizer),
        "device": str(net.device),
    }


def check_structure(net, estimator, hidden, caller="warm_start=True"):
    """Raise a ValueError if continuing ``net`` would silently keep another network."""
    fitted = fitted_structure(net)
    now = {"hidden_layer_sizes": hidden, "activation": estimator.activation,
           "solver": estimator.solver, "device": str(estimator.device)}
    changed = [f"{name} (fitted: {fitted[name]!r}, now: {now[name]!r})"
               for name in fitted if fitted[name] != now[name]]
    if changed:
        raise ValueError(
            f"{caller} continues training the fitted network, which cannot change "
            f"{', '.join(changed)}; "
            + ("set warm_start=False" if caller == "warm_start=True" else "call fit")
            + " to train a new network."
        )


def carry_parameters(net, estimator, batch_size, early_stopping, generator=None,
                     constant=None, fill_values=None, groups=None):
    """Carry the current training parameters into the fitted net before it trains on."""
    callbacks = dict(net.callbacks_)
    # ProximalL1 checks these and rebuilds its penalty from them at train begin.
    proximal = callbacks[PROXIMAL]
    proximal.alpha, proximal.l1_ratio = estimator.alpha, estimator.l1_ratio
    proximal.groups = groups
    # The schedule counts epochs from the net's first: after a long fit it is over.
    proximal.warmup_epochs = estimator.warmup_epochs
    proximal.ramp_epochs = estimator.ramp_epochs
    convergence = callbacks[CONVERGENCE]
    convergence.tol, convergence.n_iter_no_change = estimator.tol, estimator.n_iter_no_change
    convergence.early_stopping = early_stopping
    convergence.start_epoch = estimator.warmup_epochs + estimator.ramp_epochs
    if constant is not None:
        held = callbacks[CONSTANT_FEATURES]
        held.support, held.fill_values = ~constant, fill_values
    callbacks[LAYER_SCALE_DECAY].weight_decay = estimator.weight_decay
    net.set_params(max_epochs=estimator.max_iter, batch_size=batch_size,
                   lr=estimator.learning_rate_init)  # skorch sets lr in every param group
    if generator is not None:
        net.iterator_train__generator = generator
    lin1_weight = net.module_.lin1.weight
    for group in net.optimizer_.param_groups:
        if not any(p is lin1_weight for p in group["params"]):
            group["weight_decay"] = estimator.weight_decay
        if estimator.solver == "sgd":
            group["momentum"] = estimator.momentum
    # what skorch would rebuild the optimizer from (e.g. after set_params(module__...))
    net.optimizer__weight_decay = estimator.weight_decay
    if estimator.solver == "sgd":
        net.optimizer__momentum = estimator.momentum
    # skorch's set_params cannot add back a callback the net was built without (the quiet
    # net has no print_log), so the list is edited as skorch's own set_params does.
    printing = PRINT_LOG in dict(net.callbacks_)
    if estimator.verbose and not printing:
        net.callbacks_.append((PRINT_LOG, PrintLog().initialize()))  # skorch puts it last
        vars(net).pop("callbacks__print_log", None)
    elif not estimator.verbose and printing:
        net.callbacks_ = [(name, cb) for name, cb in net.callbacks_ if name != PRINT_LOG]
        net.callbacks__print_log = None
    net.verbose = estimator.verbose


def net_kwargs(estimator, hidden, n_features, n_outputs, train_split, batch_size,
               early_stopping, generator, constant, fill_values, groups):
    """Keyword arguments of the skorch net, shared by the classifier and the regressor;
    ``groups``: the penalty group of each column of lin1 (None: one per column)."""
    optimizer_kwargs = {}
    if estimator.solver == "sgd":
        optimizer_kwargs["optimizer__momentum"] = estimator.momentum
    # lin1 is governed by the prox alone: any weight decay there would pass through the
    # adaptive preconditioner and bias the sparse solution.
    optimizer_kwargs["optimizer__weight_decay"] = estimator.weight_decay
    # The later weights form one group: LayerScaleDecay sets its weight decay.
    optimizer_kwargs["optimizer__param_groups"] = [("lin1.weight", {"weight_decay": 0.0}),
                                                   ("*.weight", {})]
    return dict(
        module=SparseInputMLP,
        module__n_features=n_features,
        module__n_outputs=n_outputs,
        module__hidden_layer_sizes=hidden,
        module__activation=estimator.activation,
        module__generator=generator,
        optimizer=OPTIMIZERS[estimator.solver],
        lr=estimator.learning_rate_init,
        max_epochs=estimator.max_iter,
        batch_size=batch_size,
        iterator_train=BatchSlicer,
        iterator_valid=BatchSlicer,
        iterator_train__shuffle=True,
        iterator_train__generator=generator,
        train_split=train_split,
        callbacks=_callbacks(estimator, early_stopping, constant, fill_values, groups),
        device=estimator.device,
        verbose=estimator.verbose,
        # skorch's PrintLog formats a table every epoch even when verbose=0; it only
        # prints, so a quiet net goes without it.
        **({} if estimator.verbose else {"callbacks__print_log": None}),
        **optimizer_kwargs,
    )


def _callbacks(estimator, early_stopping, constant, fill_values, groups):
    """The callbacks of an estimator's net, by name (the constants above)."""
    return [
        (
            PROXIMAL,
            ProximalL1(
                alpha=estimator.alpha,
                l1_ratio=estimator.l1_ratio,
                groups=groups,
                layer="lin1",
                warmup_epochs=estimator.warmup_epochs,
                ramp_epochs=estimator.ramp_epochs,
            ),
        ),
        (
            CONVERGENCE,
            SupportConvergence(
                start_epoch=estimator.warmup_epochs + estimator.ramp_epochs,
                tol=estimator.tol,
                n_iter_no_change=estimator.n_iter_no_change,
                early_stopping=early_stopping,
            ),
        ),
        # a constant column only shifts lin1's bias: it is held out, its share in the bias
        (CONSTANT_FEATURES, FixedSupport(~constant, fill_values=fill_values)),
        (LAYER_SCALE_DECAY, LayerScaleDecay(estimator.weight_decay)),
        (FINITE_LOSS, StopOnNonFiniteLoss(advice=estimator._divergence_advice())),
    ]
