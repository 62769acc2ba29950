"""skorch callbacks: the proximal step on the first layer, and a guard against divergence."""

import collections
import copy
import math
import weakref
from numbers import Integral, Real

import numpy as np
import torch
from skorch.callbacks import Callback

from ._optim import check_optimizer, effective_step
from .penalties import feature_support, make_penalty

__all__ = [
    "FixedSupport",
    "LayerScaleDecay",
    "NonFiniteLossError",
    "ProximalL1",
    "StopOnNonFiniteLoss",
    "SupportConvergence",
]

# The step hooks of ProximalL1 instances, per optimizer. A fit that raises never reaches
# on_train_end: its hook stays on the optimizer, and the net may since hold another instance
# (skorch rebuilds callbacks on set_params). The next fit removes hooks of instances the net
# no longer holds.
_STEP_HOOKS = weakref.WeakKeyDictionary()



class TrainingConverged(KeyboardInterrupt):
    """Raised by :class:`SupportConvergence` to end a skorch fit loop, which ends on a
    ``KeyboardInterrupt`` (as for skorch's ``EarlyStopping``). A subclass, so that the
    package's own nets tell it from an interrupt by the user, which they pass on."""

class _CallbackWithNetReferences(Callback):
    """A callback with private state (references into the net, counters) besides its params."""

    def _get_param_names(self):
        # skorch takes every attribute not ending in "_" as a parameter; the private ones are
        # references into the net, not constructor arguments (sklearn's clone needs this).
        return [name for name in super()._get_param_names() if not name.startswith("_")]


class ProximalL1(_CallbackWithNetReferences):
    """Apply the proximal step of an L1-type penalty to one layer after each optimizer step.

    Adding ``alpha * ||W||_1`` to the loss never gives exact zeros: (sub)gradient steps make
    weights oscillate around 0. This callback instead minimises ``loss + alpha * P(W)`` by
    proximal gradient descent: after every optimizer step on a training batch it replaces the
    weight ``W`` of ``layer`` by ``prox_{step * alpha * P}(W)``, in place, where ``step`` is the
    step the optimizer has just taken (a scalar for SGD, per coordinate for Adam and Adagrad).
    ``P`` is the sparse-group lasso over the columns of ``W`` (one column per input feature):

    ``P(W) = l1_ratio * ||W||_1 + (1 - l1_ratio) * sum_g sqrt(|g|) * ||W[:, g]||_2``.

    With the default ``l1_ratio=0`` whole columns become exactly 0, i.e. input features drop
    out. It works in any skorch net whose module has a ``torch.nn.Linear``-like submodule named
    ``layer``.

    Supported optimizers: ``torch.optim.SGD`` (with momentum, dampening and Nesterov),
    ``torch.optim.Adam`` and ``torch.optim.AdamW`` (with amsgrad), and ``torch.optim.Adagrad``.
    Any other raises a ValueError at the start of training, as does ``weight_decay`` on the
    penalised layer with Adam or Adagrad (it would pass through the preconditioner).
    The prox runs inside ``optimizer.step()`` (a step post-hook), so it follows every real
    optimizer step and only those: learning-rate schedulers (the step uses the learning rate
    of the step just taken), nets that override ``train_step`` (gradient accumulation steps
    the optimizer every few batches) and a learning rate of 0 (no step, no prox) all work.

    Parameters
    ----------
    alpha : float, default=1e-3
        Penalty strength (the ``lambda`` of the objective), >= 0.
    l1_ratio : float, default=0.0
        0 is the group lasso (whole features drop out), 1 the element-wise lasso, in between
        the sparse-group lasso.
    groups : array-like of shape (n_features,), default=None
        One group label per input feature, so that e.g. the one-hot columns of a categorical
        drop out together (with ``0 < l1_ratio < 1`` single columns of a kept group can still
        drop; at ``l1_ratio=1`` groups have no effect). None makes each feature its own
        group.
    layer : str, default="lin1"
        Name of the submodule of ``net.module_`` whose ``weight`` is penalised (dotted names
        such as ``"encoder.0"`` work).
    warmup_epochs : int, default=0
        Epochs trained without the prox first (dense warm-up), counted from the net's first
        epoch.
    ramp_epochs : int, default=0
        Epochs over which the penalty is ramped linearly from 0 to ``alpha`` after the warm-up.
        When training continues (warm start, ``partial_fit``), the strength in force never
        drops below that of the net's last epoch.
    penalty : BasePenalty, default=None
        A penalty object of your own (see :class:`~sklearn_sparse_mlp.penalties.BasePenalty`:
        ``value``, ``prox``, ``support``, ``with_alpha``), used instead of the one built from
        ``alpha``, ``l1_ratio`` and ``groups``; its ``alpha`` is the strength, so those three
        must keep their defaults. It is copied at the start of each fit, never modified.

    Attributes
    ----------
    penalty_ : BasePenalty
        The penalty object that computes the prox (``L1``, ``GroupLasso`` or
        ``SparseGroupLasso`` unless ``penalty`` is given).
    current_alpha_ : float
        Penalty strength in force in the current epoch (0 during the warm-up).

    Notes
    -----
    Each epoch the callback records in ``net.history`` the penalty strength in force
    (``"alpha"``), the penalty value ``alpha * P(W)`` (``"penalty"``) and the number of input
    features whose column is not all zero (``"n_features_selected"``).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> class Network(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.lin1 = torch.nn.Linear(10, 16)
    ...         self.lin2 = torch.nn.Linear(16, 2)
    ...     def forward(self, X):
    ...         return self.lin2(torch.relu(self.lin1(X)))
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(200, 10).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = NeuralNetClassifier(
    ...     Network, criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam,
    ...     lr=0.01, max_epochs=60, train_split=None, verbose=0,
    ...     # L2 on the other layers pins the scale that ReLU leaves free (see the user guide)
    ...     optimizer__weight_decay=1e-2,
    ...     optimizer__param_groups=[("lin1.weight", {"weight_decay": 0.0})],
    ...     callbacks=[ProximalL1(alpha=0.1, warmup_epochs=10, ramp_epochs=10)],
    ... ).fit(X, y)
    >>> dropped = (net.module_.lin1.weight == 0).all(dim=0)
    >>> bool(dropped[0]), int(dropped.sum()) >= 5
    (False, True)
    """

    def __init__(
        self,
        alpha=1e-3,
        l1_ratio=0.0,
        groups=None,
        layer="lin1",
        warmup_epochs=0,
        ramp_epochs=0,
        penalty=None,
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.groups = groups
        self.layer = layer
        self.warmup_epochs = warmup_epochs
        self.ramp_epochs = ramp_epochs
        self.penalty = penalty

    def initialize(self):
        if not (isinstance(self.alpha, Real) and self.alpha >= 0):
            raise ValueError(f"alpha must be a float >= 0, got {self.alpha!r}.")
        if not (isinstance(self.l1_ratio, Real) and 0 <= self.l1_ratio <= 1):
            raise ValueError(f"l1_ratio must be a float in [0, 1], got {self.l1_ratio!r}.")
        for name in ("warmup_epochs", "ramp_epochs"):
            value = getattr(self, name)
            if not (isinstance(value, Integral) and value >= 0):
                raise ValueError(f"{name} must be an int >= 0, got {value!r}.")
        if self.penalty is None:
            # numpy scalars (a GridSearchCV grid of np.float32) become floats before tensors
            self.penalty_ = make_penalty(float(self.alpha), float(self.l1_ratio), self.groups)
        else:
            missing = [name for name in ("value", "prox", "support", "with_alpha", "alpha")
                       if not hasattr(self.penalty, name)]
            if missing:
                raise ValueError(
                    f"penalty={self.penalty!r} lacks {', '.join(missing)}: derive it from "
                    "sklearn_sparse_mlp.penalties.BasePenalty."
                )
            if self.alpha != 1e-3 or self.l1_ratio != 0 or self.groups is not None:
                raise ValueError(
                    "ProximalL1 got both a penalty object and alpha, l1_ratio or groups: the "
                    "penalty's own alpha is the strength; leave the other three at their "
                    "defaults."
                )
            self.penalty_ = copy.deepcopy(self.penalty)
        self._current_penalty = self.penalty_
        self.current_alpha_ = 0.0 if self.warmup_epochs or self.ramp_epochs else self.penalty_.alpha
        return self

    def _weight(self, net):
        try:
            module = net.module_.get_submodule(self.layer)
        except AttributeError as exc:
            raise ValueError(
                f"ProximalL1(layer={self.layer!r}): the module {type(net.module_).__name__} has "
                "no such submodule. Pass the name of the first layer as `layer`."
            ) from exc
        weight = getattr(module, "weight", None)
        if not isinstance(weight, torch.Tensor) or weight.ndim != 2:
            raise ValueError(
                f"ProximalL1(layer={self.layer!r}) needs a layer with a 2-D `weight` "
                f"(out_features, in_features); {type(module).__name__} has none."
            )
        return weight

    def _optimizer_for(self, net, weight):
        for name in net._optimizers:
            optimizer = getattr(net, name + "_")
            for group in optimizer.param_groups:
                if any(p is weight for p in group["params"]):
                    return optimizer, group
        raise ValueError(
            f"The weight of layer {self.layer!r} is not optimised by any optimizer of the net; "
            "the proximal step has nothing to follow."
        )

    def __getstate__(self):
        # References into the net are looked up again at the start of each fit; pickled here
        # they would duplicate the weights and the optimizer state in every pickle.
        # (torch does not pickle an optimizer's hooks either: the hook is registered anew.)
        state = self.__dict__.copy()
        for name in ("_weight_param", "_optimizer", "_param_group"):
            state.pop(name, None)
        return state

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        # skorch's set_params(callbacks__...__alpha=...) initializes the callback before it
        # sets the new value: the penalty is rebuilt here, where the values are final.
        self.initialize()
        # Looked up once per fit: the step hook runs thousands of times per fit.
        self._weight_param = self._weight(net)
        self._optimizer, self._param_group = self._optimizer_for(net, self._weight_param)
        check_optimizer(self._optimizer, self._param_group)
        n_features = self._weight_param.shape[1]
        if self.groups is not None and len(self.groups) != n_features:
            raise ValueError(
                f"groups has {len(self.groups)} labels but layer {self.layer!r} reads "
                f"{n_features} features: give one group label per feature."
            )
        self._advice = next(
            (cb.advice for _, cb in net.callbacks_ if isinstance(cb, StopOnNonFiniteLoss)),
            "lower the learning rate or scale the features",
        )
        self._register_step_hook(net)

    def _register_step_hook(self, net):
        live = [callback for _, callback in net.callbacks_]
        kept = []
        # weak references: an entry must not keep the optimizer (its key) alive
        for callback_ref, handle in _STEP_HOOKS.get(self._optimizer, []):
            callback = callback_ref()
            if callback is None or callback is self or not any(callback is c for c in live):
                handle.remove()  # left by a fit that ended in an exception
            else:
                kept.append((callback_ref, handle))  # another live ProximalL1 (another layer)
        handle = self._optimizer.register_step_post_hook(self._after_step)
        _STEP_HOOKS[self._optimizer] = [*kept, (weakref.ref(self), handle)]

    def on_train_end(self, net, **kwargs):
        entries = _STEP_HOOKS.get(self._optimizer, [])
        for callback_ref, handle in entries:
            if callback_ref() is self:
                handle.remove()
        _STEP_HOOKS[self._optimizer] = [entry for entry in entries if entry[0]() is not self]

    def on_epoch_begin(self, net, **kwargs):
        epoch = self._epoch = len(net.history)
        if epoch <= self.warmup_epochs:
            factor = 0.0
        elif epoch <= self.warmup_epochs + self.ramp_epochs:
            factor = (epoch - self.warmup_epochs) / self.ramp_epochs
        else:
            factor = 1.0
        if factor < 1.0 and self.penalty_.alpha > 0 and epoch >= 2:
            # Continuing a net (warm start, partial_fit, a model taken from a path) never
            # lowers the penalty below the strength of its last epoch: a net trained at full
            # strength for fewer epochs than the schedule would otherwise ramp again from a
            # fraction of alpha, and let dropped features back in.
            previous = net.history[-2].get("alpha")
            if previous is not None:
                factor = min(1.0, max(factor, previous / self.penalty_.alpha))
        self.current_alpha_ = self.penalty_.alpha * factor
        if not getattr(self.penalty_, "homogeneous", False) and self.current_alpha_ > 0:
            # no step scaling for a penalty that is not positively homogeneous: its prox at
            # the strength in force
            self._current_penalty = self.penalty_.with_alpha(self.current_alpha_)

    def _after_step(self, optimizer, args, kwargs):
        if self.current_alpha_ == 0:
            return
        weight = self._weight_param
        # a scheduler changes the learning rate after the step: this is the one just used
        lr = self._param_group["lr"]
        step = effective_step(optimizer, weight, lr, self._param_group)
        if step is None:
            return
        if lr > 0 and torch.is_tensor(step) and not bool((step > 0).all()):
            # Adam's or Adagrad's second moments overflowed to inf: those weights would never
            # move again (the loss itself can stay finite, if absurd)
            raise NonFiniteLossError(
                f"The optimizer's step on {self.layer!r} became 0 at epoch {self._epoch}: "
                "its second-moment estimates overflowed (gradients beyond the float range), "
                f"the fit diverged. To fix it, {self._advice}."
            )
        with torch.no_grad():
            if getattr(self.penalty_, "homogeneous", False):
                # the prox of (c * alpha * P) with step t is the prox of (alpha * P) with step
                # c * t: the ramp scales the step
                scale = self.current_alpha_ / self.penalty_.alpha
                weight.copy_(self.penalty_.prox(weight, step * scale))
            else:
                weight.copy_(self._current_penalty.prox(weight, step))

    def on_epoch_end(self, net, **kwargs):
        weight = self._weight(net)
        net.history.record("alpha", self.current_alpha_)
        if not getattr(self.penalty_, "homogeneous", False):
            value = self._current_penalty.value(weight) if self.current_alpha_ > 0 else 0.0
        else:
            scale = self.current_alpha_ / self.penalty_.alpha if self.penalty_.alpha else 0.0
            value = scale * self.penalty_.value(weight)
        net.history.record("penalty", value)
        net.history.record("n_features_selected", int(self.penalty_.support(weight).sum()))


class FixedSupport(_CallbackWithNetReferences):
    """Keep the columns of dropped features at exactly zero: train on a fixed support.

    The columns of ``layer``'s weight outside ``support`` are set to 0 at the start of
    training, their gradients are zeroed after each backward pass (so that no optimizer moves
    them, momentum included) and they are set back to 0 after each training batch. With the
    penalty off this is the relaxed refit of a selected model (relaxed lasso: Meinshausen,
    2007): the kept features are fitted without the shrinkage the penalty put on them, the
    dropped ones stay out. The estimators also hold constant input columns out this way.

    Parameters
    ----------
    support : array-like of bool of shape (n_features,)
        True for the features to train, False for those held at 0.
    layer : str, default="lin1"
        Name of the submodule whose ``weight`` columns are masked.
    fill_values : array-like of shape (n_features,), default=None
        The value each dropped feature is taken to have (a constant column's value): what
        its column contributed, ``W[:, j] * fill_values[j]``, moves into the layer's bias
        before the column is zeroed, so the network's output does not change. None: the
        columns are zeroed as they are.
    """

    def __init__(self, support, layer="lin1", fill_values=None):
        self.support = support
        self.layer = layer
        self.fill_values = fill_values

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_weight", None)  # looked up again at the start of each fit
        return state

    def on_train_begin(self, net, **kwargs):
        module = net.module_.get_submodule(self.layer)
        weight = self._weight = module.weight
        dropped = ~np.asarray(self.support, dtype=bool)
        self._dropped = torch.as_tensor(dropped, device=weight.device) if dropped.any() else None
        if self._dropped is None:
            return
        with torch.no_grad():
            if self.fill_values is not None and getattr(module, "bias", None) is not None:
                values = torch.as_tensor(np.asarray(self.fill_values)[dropped],
                                         dtype=weight.dtype, device=weight.device)
                module.bias += weight[:, self._dropped] @ values
            weight[:, self._dropped] = 0.0

    def on_grad_computed(self, net, named_parameters=None, training=False, **kwargs):
        if training and self._dropped is not None and self._weight.grad is not None:
            self._weight.grad[:, self._dropped] = 0.0

    def on_batch_end(self, net, training=False, **kwargs):
        if training and self._dropped is not None:
            with torch.no_grad():
                self._weight[:, self._dropped] = 0.0


class _ConvergenceTest:
    """The convergence rule of :class:`SupportConvergence`, for one model, epoch by epoch.

    Converged, either:

    - for ``n_iter_no_change`` epochs in a row the monitored loss did not improve on the
      best so far by more than ``tol``, and the set of selected features did not change; or
    - under mini-batch noise, which keeps beating the best loss by chance and lets features
      at the edge of the support flicker in and out from epoch to epoch: over the last two
      windows of ``n_iter_no_change`` epochs each, the mean loss of the last window did not
      improve on the mean of the one before by more than ``tol``, and no feature entered or
      left: none is selected in most epochs of one window and in no epoch of the other.
      A feature selected now and then in both windows is at the edge, not on its way.

    The stacked CV paths test each of their models with it.

    Parameters
    ----------
    tol : float
    n_iter_no_change : int
    """

    def __init__(self, tol, n_iter_no_change):
        self.tol, self.n_iter_no_change = tol, n_iter_no_change
        self.best, self.n_bad, self.stable, self.last_support = np.inf, 0, 0, None
        self._losses = collections.deque(maxlen=2 * n_iter_no_change)
        self._supports = collections.deque(maxlen=2 * n_iter_no_change)

    def update(self, loss, support, testing):
        """Record an epoch's ``loss`` and ``support`` (bool mask); True once converged.

        ``testing``: False while the penalty schedule runs (the support is still tracked).
        """
        same = self.last_support is not None and np.array_equal(support, self.last_support)
        self.stable = self.stable + 1 if same else 0
        self.last_support = support
        if not testing:
            return False
        self.n_bad = 0 if loss < self.best - self.tol else self.n_bad + 1
        self.best = min(self.best, loss)
        self._losses.append(loss)
        self._supports.append(np.asarray(support, dtype=bool))
        if self.n_bad >= self.n_iter_no_change and self.stable >= self.n_iter_no_change:
            return True
        return self._noisy_plateau()

    def _noisy_plateau(self):
        n = self.n_iter_no_change
        if len(self._losses) < 2 * n:
            return False
        losses = np.asarray(self._losses)
        if not losses[n:].mean() >= losses[:n].mean() - self.tol:  # NaN: not converged
            return False
        counts = np.stack(self._supports).astype(int)
        before, last = counts[:n].sum(axis=0), counts[n:].sum(axis=0)
        moved = ((2 * last > n) & (before == 0)) | ((2 * before > n) & (last == 0))
        return not moved.any()


class SupportConvergence(_CallbackWithNetReferences):
    """Stop training once the penalty is at full strength and the fit has converged.

    Converged means: for ``n_iter_no_change`` consecutive epochs at full penalty the monitored
    loss (the training objective, or the validation loss with early stopping) did not improve
    by more than ``tol``, and the set of selected features (the non-zero columns of
    ``layer``'s weight) did not change; or, where mini-batch noise keeps that from
    happening, two consecutive windows of ``n_iter_no_change`` epochs at full penalty have
    mean losses within ``tol`` and no feature entered or left between them (see
    ``_ConvergenceTest``). With early stopping the weights of the best
    validation epoch at full penalty are restored at the end.

    skorch's ``EarlyStopping`` cannot wait for the end of a penalty schedule nor watch the
    support, hence this callback. It reads the ``"penalty"`` that :class:`ProximalL1` records.

    Parameters
    ----------
    start_epoch : int
        Epochs (counted from the net's first) before which convergence is not tested: the
        end of the penalty schedule.
    tol : float
        Smallest improvement of the monitored loss that counts.
    n_iter_no_change : int
        Epochs without improvement, and with the same support, that make convergence.
    early_stopping : bool
        Monitor ``valid_loss`` instead of the training objective.
    layer : str, default="lin1"
        The penalised layer whose non-zero columns are the support.

    Attributes
    ----------
    converged_ : bool
        Whether the last fit stopped by convergence (False: it ran out of epochs).
    """

    def __init__(self, start_epoch, tol, n_iter_no_change, early_stopping, layer="lin1"):
        self.start_epoch = start_epoch
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.layer = layer

    def initialize(self):
        self._reset()
        return self

    def _reset(self):
        self._test = _ConvergenceTest(self.tol, self.n_iter_no_change)
        self.best_state_ = None
        self.converged_ = False

    @property
    def best_loss_(self):
        """The lowest monitored loss since training began."""
        return self._test.best

    @property
    def n_bad_epochs_(self):
        """Epochs in a row without an improvement by more than ``tol``."""
        return self._test.n_bad

    def on_train_begin(self, net, **kwargs):
        # Each fit call (also a warm-started one at a new alpha) converges on its own.
        self._reset()

    def on_epoch_end(self, net, **kwargs):
        history = net.history
        support = feature_support(net.module_.get_submodule(self.layer).weight)
        testing = len(history) > self.start_epoch  # the penalty schedule is over
        loss = None
        if testing:
            loss = history[-1, "valid_loss" if self.early_stopping else "train_loss"]
            if not self.early_stopping:
                loss += history[-1, "penalty"]
        best = self._test.best
        converged = self._test.update(loss, support, testing)
        if self.early_stopping and testing and loss < best:
            self.best_state_ = copy.deepcopy(net.module_.state_dict())
        if converged:
            self.converged_ = True
            raise TrainingConverged

    def on_train_end(self, net, **kwargs):
        if self.early_stopping and self.best_state_ is not None:
            net.module_.load_state_dict(self.best_state_)


def _layer_scale_decay(weight_decay, squared_norms, fan_outs):
    """``LayerScaleDecay``'s coefficient: ``weight_decay * m ** (L - 1)``, with ``m`` the mean
    over the ``L`` later weights of ``||W_l||^2 / (fan_out_l / 3)``. The squared norms may be
    floats or tensors of one value per stacked model."""
    n_layers = len(squared_norms)
    growth = sum(norm * 3.0 / fan_out for norm, fan_out in zip(squared_norms, fan_outs,
                                                                 strict=True))
    return weight_decay * (growth / n_layers) ** (n_layers - 1)


class LayerScaleDecay(_CallbackWithNetReferences):
    """L2 penalty on the weights after the penalised layer that pins their scale at any depth.

    A ReLU network computes the same function when ``lin1`` shrinks by ``c`` and the layers
    after it grow by ``c`` in all: the penalty on ``lin1`` alone would fade away, and noise
    features creep back in. An L2 term ``weight_decay / 2 * ||W_2||^2`` on the next layer
    pins the scale of a network with one hidden layer. With ``L`` weight layers after
    ``lin1`` each needs to grow by ``c ** (1 / L)`` only, which a plain L2 term on each
    barely resists. This callback therefore sets the optimizer's ``weight_decay`` of the
    later weights, before each training batch, to

    ``weight_decay * m ** (L - 1)``, with ``m = mean_l(||W_l||_F^2 / (n_out_l / 3))``,

    the gradient (at fixed ``m``) of ``weight_decay / 2 * sum_l ||W_l||^2 * m ** (L - 1)``:
    the later layers' squared norms measured against ``nn.Linear``'s expected initial one
    (``fan_out / 3``), so that the decay strengthens as the layers grow in all. With one
    layer after ``lin1`` it is ``weight_decay`` itself. Biases keep the plain
    ``weight_decay`` of their parameter group.

    Parameters
    ----------
    weight_decay : float
        The L2 coefficient, >= 0.
    layer : str, default="lin1"
        The penalised layer; every other 2-D parameter of the module is a later weight. They
        must form one parameter group of the optimizer (``optimizer__param_groups``).
    """

    def __init__(self, weight_decay, layer="lin1"):
        self.weight_decay = weight_decay
        self.layer = layer

    def __getstate__(self):
        state = self.__dict__.copy()
        for name in ("_weights", "_group"):
            state.pop(name, None)  # looked up again at the start of each fit
        return state

    def on_train_begin(self, net, **kwargs):
        first = net.module_.get_submodule(self.layer).weight
        self._weights = [p for p in net.module_.parameters() if p.ndim == 2 and p is not first]
        groups = [group for group in net.optimizer_.param_groups
                  if any(p is self._weights[0] for p in group["params"])]
        if len(groups) != 1 or len(groups[0]["params"]) != len(self._weights):
            raise ValueError(
                "LayerScaleDecay needs the weights after the penalised layer in one parameter "
                "group of their own, e.g. optimizer__param_groups=[('lin1.weight', "
                "{'weight_decay': 0.0}), ('*.weight', {})]."
            )
        self._group = groups[0]

    def on_batch_begin(self, net, training=False, **kwargs):
        if not training:
            return
        if len(self._weights) == 1:
            self._group["weight_decay"] = self.weight_decay
            return
        with torch.no_grad():
            squared = [float(w.square().sum()) for w in self._weights]
        self._group["weight_decay"] = _layer_scale_decay(
            self.weight_decay, squared, [w.shape[0] for w in self._weights])


class NonFiniteLossError(ValueError):
    """The fit diverged: the training loss, or the optimizer's state, is no longer finite."""


class StopOnNonFiniteLoss(Callback):
    """Stop training with a clear error as soon as a training batch's loss is not finite.

    Parameters
    ----------
    advice : str, default="lower the learning rate"
        What the error message tells the user to change.
    """

    def __init__(self, advice="lower the learning rate"):
        self.advice = advice

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if not training or loss is None:
            return
        value = loss.item() if torch.is_tensor(loss) else float(loss)
        if not math.isfinite(value):
            raise NonFiniteLossError(
                f"The training loss became {value} at epoch {len(net.history)}: the fit "
                f"diverged. To fix it, {self.advice}."
            )
