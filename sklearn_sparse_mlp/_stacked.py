"""Many networks of one architecture trained in lockstep, as one stacked torch module.

The cross-validated estimators walk the same alpha grid with one network per fold, and refit
a relaxed model for every support those paths find. Each network alone is tiny, so a step's
cost is the per-step overhead of torch and the optimizer, not arithmetic: stacking the
networks along a leading model dimension pays that overhead once per step for all of them.

Each stacked model is trained as :class:`SparseMLPClassifier` / :class:`SparseMLPRegressor`
would train it alone: its own training rows and weights, its own seed (the same initial
weights and the same shuffles), batches of its own size, its own optimizer state and step
count, its own constant columns held out, its own convergence test. Models whose epoch has
fewer batches than another's, or that have converged, skip the steps they would not take:
the optimizer leaves them unchanged. The results equal independent fits up to float
rounding (the stacked products sum in another order), with one exception: every stacked
model has an output per class of the whole data, so a classifier fold whose training part
lacks a class has an output for it (never a target) where its single fit would not.

The training loop is this module's own rather than skorch's: skorch's loop has one epoch,
one history and one stopping rule per net, where each stacked model keeps its own.
"""

import copy
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.validation import check_random_state

from ._base import draw_seed
from ._data import dense_product, rows_to_tensor
from ._module import ACTIVATIONS, SparseInputMLP
from .callbacks import NonFiniteLossError, _ConvergenceTest, _layer_scale_decay
from .penalties import feature_support, make_penalty

# rows of X per product in lin1_gradient: 4096 rows of 20,000 float32 columns are 330 MB
_GRADIENT_ROWS = 4096


class StackedMLP(torch.nn.Module):
    """``n_models`` copies of a :class:`SparseInputMLP` architecture, weights stacked.

    All parameters live in one tensor ``theta`` of shape (n_models, n_parameters), so that
    an optimizer step is a handful of operations whatever the depth; each layer's weight is
    a view of it of shape (n_models, n_out, n_in).

    Parameters
    ----------
    modules : list of SparseInputMLP
        The initial networks, all of one architecture; they are copied.
    activation : str
        Their activation (see ``SparseInputMLP``).
    """

    def __init__(self, modules, activation):
        super().__init__()
        first = modules[0]
        self.layout = []  # (name, start, shape) of each parameter in theta
        self._slices, self._sizes = {}, []
        start = 0
        for name, param in first.named_parameters():
            self.layout.append((name, start, tuple(param.shape)))
            self._slices[name] = (slice(start, start + param.numel()), tuple(param.shape))
            self._sizes.append(param.numel())
            start += param.numel()
        self.theta = torch.nn.Parameter(torch.stack([
            torch.cat([p.detach().reshape(-1) for p in module.parameters()])
            for module in modules
        ]))
        self.activation = ACTIVATIONS[activation]()
        self.n_models = len(modules)
        self._layers = [(name, name[: -len("weight")] + "bias")
                        for name, _, shape in self.layout if len(shape) == 2]

    def slice_of(self, name):
        """The columns of ``theta`` holding parameter ``name``."""
        return self._slices[name][0]

    def view(self, tensor, name):
        """Parameter ``name`` of every model in ``tensor`` (theta, its gradient or a state)."""
        columns, shape = self._slices[name]
        return tensor[:, columns].view(tensor.shape[0], *shape)

    def forward(self, X, theta=None, first=False):
        """Outputs of shape (n_models, n_outputs, n_rows): the rows along the last axis.

        ``X`` is a dense tensor (n_models, n_rows, n_features) of each model's batch (also
        sparse input dense enough for a dense product: ``_data.dense_product``), or a list
        of sparse (n_rows, n_features) tensors, one per model. The
        layers compute ``W @ X^T``: torch's CPU softmax and loss kernels are several times
        faster over a long last axis (the rows) than over a short one (the classes).
        ``theta``: the parameters of a subset of the models (rows of ``self.theta``).
        ``first=True``: also return lin1's output (n_models, n_hidden, n_rows), a leaf
        that requires grad (the outputs' gradient flows to it, not to ``theta``).
        """
        theta = self.theta if theta is None else theta
        # split, not one slice per parameter: the backward of a slice is a zero tensor of
        # theta's size, one per parameter, summed; a split's is one concatenation
        parts = {name: part.view(theta.shape[0], *shape) for (name, _, shape), part in
                 zip(self.layout, theta.split(self._sizes, dim=1), strict=True)}
        out = None
        for i, (weight_name, bias_name) in enumerate(self._layers):
            weight, bias = parts[weight_name], parts[bias_name][:, :, None]
            if i == 0 and isinstance(X, list):
                out = torch.stack([torch.sparse.mm(rows, w.t()).t()
                                   for rows, w in zip(X, weight, strict=True)]) + bias
            else:
                out = torch.baddbmm(bias, weight, X.transpose(1, 2) if i == 0 else out)
            if i == 0 and first:
                out = lin1_out = out.detach().requires_grad_()
            if i < len(self._layers) - 1:
                out = self.activation(out)
        return (out, lin1_out) if first else out

    def state_of(self, m):
        """Model ``m``'s parameters as a ``SparseInputMLP`` state dict, on the CPU."""
        return {name: self.view(self.theta.detach(), name)[m].cpu().clone()
                for name, _, _ in self.layout}


class StackedOptimizer:
    """Adam, SGD (heavy ball) or Adagrad on ``theta``, with a step count per model.

    torch's optimizers keep one step count per parameter tensor, so stacked models that step
    at different times would share Adam's bias correction; this one keeps a count per model
    and updates only the models marked active at each step. The updates are torch's own
    (``torch.optim.Adam``, ``SGD`` with ``momentum``, ``Adagrad`` at their defaults), with
    the L2 ``weight_decay`` of each coordinate added to the gradient as they do.

    Parameters
    ----------
    theta : torch.nn.Parameter of shape (n_models, n_parameters)
    solver : {"adam", "sgd", "adagrad"}
    lr : float
    momentum : float
        For "sgd".
    """

    def __init__(self, theta, solver, lr, momentum=0.9):
        self.theta, self.solver, self.lr, self.momentum = theta, solver, lr, momentum
        self.betas, self.eps = (0.9, 0.999), 1e-10 if solver == "adagrad" else 1e-8
        n_models = theta.shape[0]
        self.steps = torch.zeros(n_models, 1, dtype=theta.dtype, device=theta.device)
        self.state = {name: torch.zeros_like(theta.detach()) for name in self._state_names()}
        self._denom = None  # the last step's preconditioner (Adam, Adagrad)

    def _state_names(self):
        return {"adam": ("exp_avg", "exp_avg_sq"), "sgd": ("momentum_buffer",),
                "adagrad": ("sum",)}[self.solver]

    def step(self, active, weight_decay):
        """One update of the models where ``active`` (bool, shape (n_models,)) is True.

        ``weight_decay`` is a tensor broadcastable to theta: the L2 coefficient of each
        coordinate (of each model).
        """
        theta = self.theta.detach()
        grad = self.theta.grad + weight_decay * theta
        on = active.to(theta.dtype)[:, None]
        self.steps += on
        k = self.steps.clamp(min=1.0)
        if self.solver == "adam":
            (beta1, beta2), m, v = self.betas, self.state["exp_avg"], self.state["exp_avg_sq"]
            # in place where torch's Adam allocates: the same operations in the same order
            # (bit for bit the same), without a fresh model-sized buffer for each
            m.lerp_(grad, on * (1.0 - beta1))
            v.mul_(1.0 - on * (1.0 - beta2)).addcmul_(on * (1.0 - beta2), grad.mul_(grad))
            step_size = on * self.lr / (1.0 - beta1**k)
            self._denom = torch.sqrt(v).div_(torch.sqrt(1.0 - beta2**k)).add_(self.eps)
            theta.sub_(torch.mul(step_size, m).div_(self._denom))
        elif self.solver == "sgd":
            buf = self.state["momentum_buffer"]
            first = on * (self.steps == 1).to(theta.dtype)  # torch starts the buffer at grad
            buf.copy_(torch.where(first > 0, grad, buf + on * ((self.momentum - 1.0) * buf
                                                                + grad)))
            theta.sub_(on * self.lr * buf)
        else:
            total = self.state["sum"]
            total.addcmul_(on, grad * grad)
            self._denom = torch.sqrt(total).add_(self.eps)
            theta.sub_(torch.mul(on * self.lr, grad).div_(self._denom))

    def effective_step(self, columns):
        """The step just taken on ``theta[:, columns]``: a float for SGD, else per model and
        coordinate; what ``_optim.effective_step`` gives for torch's optimizers (from the
        step's own denominator, not formed again)."""
        if self.solver == "sgd":
            return self.lr / (1.0 - self.momentum)
        return self.lr / self._denom[:, columns]

    def state_of(self, m):
        """Model ``m``'s optimizer state (its step count and moments)."""
        return {"steps": self.steps[m].cpu().clone(),
                **{name: value[m].cpu().clone() for name, value in self.state.items()}}


@dataclass
class ModelSpec:
    """What one stacked model trains on, and how it is seeded.

    Attributes
    ----------
    rows : ndarray of int
        Its training rows (indices into the stack's X), in the order a fit would see them.
    sample_weight : ndarray of float or None
        Their weights, scaled to a mean of 1, or None (all equal).
    random_state : int, RandomState instance or None
        Draws one seed per fit call, as the single estimator's ``random_state`` does.
    held : ndarray of bool of shape (n_features,)
        Columns held at 0 (constant over its rows, or outside a relaxed refit's support).
    fill_values : ndarray of shape (n_features,) or None
        The value of each held constant column, moved into lin1's bias at the start.
    target_mean, target_scale : ndarray of shape (n_outputs,) or None
        A regression model's standardization of the target, fitted on its own rows as its
        single fit fits it (``target_scaling``); None for a classifier.
    """

    rows: np.ndarray
    sample_weight: np.ndarray | None
    random_state: object
    held: np.ndarray
    fill_values: np.ndarray | None = None
    target_mean: np.ndarray | None = None
    target_scale: np.ndarray | None = None
    generator: torch.Generator | None = field(default=None, repr=False)

    def next_seed(self):
        return draw_seed(check_random_state(self.random_state))


@dataclass
class FitResult:
    """Per model, at the end of one ``StackedTrainer.fit`` call."""

    converged: np.ndarray
    train_loss: np.ndarray


class StackedTrainer:
    """Trains stacked copies of ``estimator``'s network, each on its own rows (see module doc).

    Parameters
    ----------
    estimator : SparseMLPClassifier or SparseMLPRegressor
        Gives the architecture and the training parameters (solver, learning rate, batch
        size, tolerance, weight decay, penalty's ``l1_ratio`` and ``groups``).
    X : ndarray of float32 of shape (n_samples, n_features) or scipy CSR matrix
    y : ndarray
        Class indices, or the regression targets in y's units (float64 of shape (n_samples,
        n_outputs)): each model trains on them standardized by its spec's scaling.
    n_outputs : int
    criterion : torch.nn.Module
        The estimator's data-fit, returning one loss per sample (``reduction="none"``).
    specs : list of ModelSpec
    states : list of (module state dict, optimizer state) or None
        Continue these models, at full width or (with ``columns``) on ``columns`` already;
        None: new networks drawn from each spec's seed.
    columns : ndarray of int, default=None
        Train on these input columns only (every model must hold the others at zero: its
        ``held`` mask): the first layer shrinks to them. New networks are drawn at full
        width first, as their single fits draw them. ``state_of``, ``support_of`` and
        ``lin1_of`` still give full width. None: all columns.
    groups : array-like of shape (n_columns,), default=None
        The penalty's group of each column the stack trains (of ``columns`` if given: whole
        groups, numbered from 0), e.g. the fitted estimator's ``_penalty_groups()``: with a
        ``feature_encoding``, a feature's columns are one group.
    """

    def __init__(self, estimator, X, y, n_outputs, criterion, specs, hidden, states=None,
                 columns=None, groups=None):
        self.estimator, self.specs, self.criterion = estimator, specs, criterion
        self.groups, self.hidden, self.n_outputs = groups, hidden, n_outputs
        self.source = X, y  # full width, for with_columns and lin1_gradient
        self.columns, self.n_input_features = columns, X.shape[1]
        if states is None:
            for spec in specs:
                spec.generator = torch.Generator().manual_seed(spec.next_seed())
            # drawn at full width, as a single fit draws them, their constant columns'
            # values moved into the bias; narrowed below if columns are given
            states = [(_new_network(X.shape[1], n_outputs, hidden, estimator.activation,
                                    spec), None) for spec in specs]
        # the specs stay the caller's own (a restore() puts their seeds back in place)
        held = np.stack([spec.held for spec in specs])
        if columns is not None:
            X, held = X[:, columns], held[:, columns]
            # states at full width are narrowed; states already on the columns kept
            states = [state if state[0]["lin1.weight"].shape[1] == len(columns)
                      else _compact_state(*state, columns) for state in states]
        self.device = torch.device(estimator.device)
        self.X = X if sp.issparse(X) else torch.from_numpy(
            np.ascontiguousarray(X)).to(self.device)
        self.y = torch.as_tensor(y).to(self.device)
        # regression: each model's targets by its own standardization, all rows once
        # (n_models, n_samples, n_outputs), float32 as the network reads them
        self._scaled_y = None
        if specs[0].target_mean is not None:
            mean, scale = (torch.as_tensor(np.stack([getattr(spec, name) for spec in specs]),
                                           dtype=torch.float64, device=self.device)[:, None, :]
                           for name in ("target_mean", "target_scale"))
            self._scaled_y = ((self.y[None] - mean) / scale).to(torch.float32)
        self._model_index = torch.arange(len(specs), device=self.device)[:, None]
        n_features = X.shape[1]
        modules = []
        for state, _ in states:
            # a throwaway generator: the initial weights are overwritten, and torch's global
            # RNG must stay untouched
            module = SparseInputMLP(n_features, n_outputs, hidden, estimator.activation,
                                    torch.Generator())
            module.load_state_dict(state)
            modules.append(module)
        self.module = StackedMLP(modules, estimator.activation).to(self.device)
        self.optimizer = StackedOptimizer(self.module.theta, estimator.solver,
                                          estimator.learning_rate_init, estimator.momentum)
        if states[0][1] is not None:  # continued networks: their optimizer state too
            self.optimizer.steps = torch.stack([opt["steps"] for _, opt in states]).to(
                self.device)
            for name in self.optimizer.state:
                self.optimizer.state[name] = torch.stack(
                    [opt[name] for _, opt in states]).to(self.device)
        self.lin1 = self.module.slice_of("lin1.weight")
        self.n_hidden, self.n_features = hidden[0], n_features
        self.keep = torch.as_tensor(~held, dtype=torch.float32,
                                    device=self.device)[:, None, :]  # (M, 1, p)
        self._held_keep = self.keep  # the specs' own, under hold_outside's
        # continued networks (relaxed refits) hold the columns outside their support
        self.module.view(self.module.theta.detach(), "lin1.weight").mul_(self.keep)
        # where no model holds a column the mask is all ones: two passes over lin1 per step
        # that change nothing are skipped
        self._holds_columns = bool(held.any())
        self.batch_sizes = [estimator._batch_size(len(spec.rows)) for spec in specs]
        # each model's epochs as skorch's history records them (see ProximalL1)
        self.histories = [[] for _ in specs]
        self._weight_decay_mask = self._decayed_coordinates()
        # the weights after lin1, and each model's row count (skorch's epoch-loss divisor)
        self._later = [name for name, _, shape in self.module.layout
                       if len(shape) == 2 and name != "lin1.weight"]
        self._n_rows = torch.as_tensor([len(spec.rows) for spec in specs],
                                       dtype=torch.float32)

    def _decayed_coordinates(self):
        """1 on every coordinate under weight decay (all but lin1's weight), 0 on lin1's."""
        mask = torch.ones(self.module.theta.shape[1], dtype=self.module.theta.dtype,
                          device=self.device)
        mask[self.lin1] = 0.0
        return mask

    def _weight_decay(self, weight_decay):
        """Per model and coordinate L2 coefficient, as ``LayerScaleDecay`` sets it."""
        later = self._later
        if weight_decay == 0 or len(later) == 1:
            return weight_decay * self._weight_decay_mask
        theta = self.module.theta.detach()
        weights = [self.module.view(theta, name) for name in later]  # (M, fan_out, fan_in)
        coefficient = _layer_scale_decay(weight_decay,
                                        [w.square().sum(dim=(1, 2)) for w in weights],
                                        [w.shape[1] for w in weights])  # (M,)
        decay = self._weight_decay_mask.expand(len(coefficient), -1).clone()
        decay *= weight_decay  # biases keep the plain weight_decay
        for name in later:
            decay[:, self.module.slice_of(name)] = coefficient[:, None]
        return decay

    def _epoch_batches(self, active):
        """Row indices (M, T, B) and loss coefficients (M, T, B) of one epoch's batches.

        Model m's rows are shuffled by its own generator; the coefficient of a row is its
        weight over its batch's row count (the batch mean of the single fit), 0 for padding.
        """
        n_models = len(self.specs)
        counts = [-(-len(spec.rows) // b) for spec, b in zip(self.specs, self.batch_sizes,
                                                               strict=True)]
        n_steps = max(c for c, on in zip(counts, active, strict=True) if on)
        width = max(self.batch_sizes)
        index = np.zeros((n_models, n_steps, width), dtype=np.int64)
        coef = np.zeros((n_models, n_steps, width), dtype=np.float32)
        for m, spec in enumerate(self.specs):
            if not active[m]:
                continue
            n, b = len(spec.rows), self.batch_sizes[m]
            order = torch.randperm(n, generator=spec.generator).numpy()
            weight = np.ones(n) if spec.sample_weight is None else spec.sample_weight[order]
            for t in range(counts[m]):
                part = slice(t * b, min(n, (t + 1) * b))
                size = part.stop - part.start
                index[m, t, :size] = spec.rows[order[part]]
                coef[m, t, :size] = weight[part] / size
        return index, coef, counts

    def _batch_X(self, index):
        if isinstance(self.X, torch.Tensor):
            # index_select gathers rows 4-5x faster than X[index] on the CPU
            return torch.index_select(self.X, 0, index.reshape(-1)).view(*index.shape, -1)
        index = index.cpu().numpy()
        if self._dense_rows(index.size, self.X.shape[1]):  # all models' rows, one batch
            rows = rows_to_tensor(self.X[index.reshape(-1)], dense=True)
            return rows.view(*index.shape, -1).to(self.device)
        return [rows_to_tensor(self.X[rows]).to(self.device) for rows in index]

    def hold_outside(self, own):
        """Hold each model's columns outside ``own`` at zero, beside its spec's held ones.

        ``own``: bool of shape (n_models, n_columns of this stack), each model's own working
        set (see ``_screening``); its non-zero columns must be among them.
        """
        own = torch.as_tensor(np.asarray(own), dtype=torch.float32, device=self.device)
        self.keep = self._held_keep * own[:, None, :]
        self._holds_columns = bool((self.keep == 0).any())
        self.module.view(self.module.theta.detach(), "lin1.weight").mul_(self.keep)

    def _dense_rows(self, n_rows, n_columns):
        """Whether ``n_rows`` x ``n_columns`` of sparse X are multiplied as a dense copy
        (``_data.dense_product``), decided on the whole matrix the stack was given, so that
        every product of the training is dense where one is, as for dense X."""
        return dense_product(self.source[0], n_rows, n_columns)

    def fit(self, alpha, max_epochs, start_epochs, weight_decay, active, reseed=True):
        """Train the models where ``active`` for at most ``max_epochs`` epochs at ``alpha``.

        Each stops on its own once converged (``SupportConvergence``'s test, counted from
        ``start_epochs[m]`` of its epochs). ``reseed``: draw a new seed per model for the
        shuffles, as each fit call of the single estimator does.
        """
        est = self.estimator
        n_models = len(self.specs)
        active = np.asarray(active, dtype=bool).copy()
        if reseed:
            for m in np.flatnonzero(active):
                self.specs[m].generator = torch.Generator().manual_seed(
                    self.specs[m].next_seed())
        penalty = make_penalty(alpha, est.l1_ratio, self.groups)
        tests = [_ConvergenceTest(est.tol, est.n_iter_no_change) for _ in range(n_models)]
        converged = np.zeros(n_models, dtype=bool)
        train_loss = np.full(n_models, np.nan)
        theta = self.module.theta
        decay = self._weight_decay(weight_decay) if len(self._later) == 1 else None
        for _ in range(max_epochs):
            if not active.any():
                break
            index, coef, counts = self._epoch_batches(active)
            index_t = torch.from_numpy(index).to(self.device)
            coef_t = torch.from_numpy(coef).to(self.device)
            stepping = torch.as_tensor(active[None, :] & (np.asarray(counts)[None, :]
                                                          > np.arange(index.shape[1])[:, None]),
                                       device=self.device)
            # skorch's train_loss: the batch losses averaged by their row counts
            sizes = torch.as_tensor((coef > 0).sum(axis=2), dtype=torch.float32,
                                    device=self.device)
            epoch_loss = torch.zeros(n_models, dtype=torch.float32, device=self.device)
            for t in range(index.shape[1]):
                # only the models that step this batch are computed (the others wait for
                # their next epoch, or have converged)
                models = torch.nonzero(stepping[t]).squeeze(1)
                every = len(models) == n_models
                rows = index_t[:, t] if every else index_t[models, t]
                out = self.module(self._batch_X(rows), None if every else theta[models])
                losses = self._losses(out, rows, slice(None) if every else models)
                per_model = (losses * (coef_t[:, t] if every else coef_t[models, t])).sum(dim=1)
                theta.grad = None
                per_model.sum().backward()
                if self._holds_columns:
                    self.module.view(theta.grad, "lin1.weight").mul_(self.keep)
                self.optimizer.step(stepping[t], self._weight_decay(weight_decay)
                                    if decay is None else decay)
                if alpha > 0:
                    self._prox(penalty, models)
                if self._holds_columns:
                    with torch.no_grad():
                        self.module.view(theta.detach(), "lin1.weight").mul_(self.keep)
                if not every:
                    per_model = torch.zeros(n_models, dtype=per_model.dtype,
                                            device=self.device).index_copy_(
                        0, models, per_model)
                epoch_loss += per_model.detach() * sizes[:, t]
            epoch_loss = (epoch_loss.cpu() / self._n_rows).numpy()
            for m in np.flatnonzero(active):
                if not np.isfinite(epoch_loss[m]):
                    raise NonFiniteLossError(
                        f"The training loss became {epoch_loss[m]} in a cross-validation "
                        f"fit: it diverged. To fix it, {est._divergence_advice()}."
                    )
                train_loss[m] = epoch_loss[m]
                weight = self.module.view(theta.detach(), "lin1.weight")[m]
                value = penalty.value(weight) if alpha > 0 else 0.0
                support = feature_support(weight)
                self.histories[m].append({"epoch": len(self.histories[m]) + 1,
                                          "train_loss": float(epoch_loss[m]), "alpha": alpha,
                                          "penalty": value,
                                          "n_features_selected": int(support.sum())})
                if tests[m].update(epoch_loss[m] + value, support,
                                   len(self.histories[m]) > start_epochs[m]):
                    converged[m], active[m] = True, False
        return FitResult(converged=converged, train_loss=train_loss)

    def _losses(self, out, rows, chosen):
        """Per-sample losses (n_chosen, n_rows) of the outputs ``out`` of the models
        ``chosen`` (a slice or an index tensor) on their ``rows`` (n_chosen, n_rows)."""
        if self._scaled_y is None:
            target = self.y[rows]
        else:
            models = self._model_index[chosen] if isinstance(chosen, slice) else chosen[:, None]
            target = self._scaled_y[models, rows]
        if target.ndim == 3:  # regression targets (M, rows, n_outputs)
            target = target.transpose(1, 2)
        losses = self.criterion(out, target)
        if losses.ndim == 3:
            losses = losses.mean(dim=1)  # per sample, as per_sample averages
        return losses

    def lin1_gradient(self, columns, models):
        """The gradient of each model's training loss with respect to its lin1 weights on
        ``columns``, at its current weights.

        The loss is the model's objective without the penalty: the weighted mean of the
        per-sample losses over all its training rows, of which an epoch's batch losses are
        estimates. The ``columns`` (indices into the full-width X the stack was given) may
        lie outside the columns the stack trains: there the weights are zero, and the
        gradient says whether the penalty keeps them so (a KKT check).

        Returns
        -------
        Tensor of float32 of shape (len(models), n_hidden, len(columns))
        """
        X_full = self.source[0]
        theta = self.module.theta.detach()
        gradients = []
        for m in models:
            spec = self.specs[m]
            n = len(spec.rows)
            coef = (torch.ones(n) if spec.sample_weight is None
                    else torch.as_tensor(spec.sample_weight, dtype=torch.float32)) / n
            rows = torch.as_tensor(spec.rows, device=self.device)[None]
            with torch.enable_grad():
                out, lin1_out = self.module(self._batch_X(rows), theta[m:m + 1], first=True)
                losses = self._losses(out, rows, slice(m, m + 1))
                (delta,) = torch.autograd.grad((losses[0] * coef.to(self.device)).sum(),
                                               lin1_out)
            gradient = torch.zeros(delta.shape[1], len(columns), device=self.device)
            for start in range(0, n, _GRADIENT_ROWS):  # X's rows in chunks: bounded memory
                part = spec.rows[start:start + _GRADIENT_ROWS]
                X_part = X_full[part][:, columns]
                d = delta[0, :, start:start + len(part)]
                if self._dense_rows(len(part), len(columns)):
                    X_part = X_part.toarray()
                if sp.issparse(X_part):
                    gradient += torch.sparse.mm(rows_to_tensor(X_part.T.tocsr()).to(
                        self.device), d.t()).t()
                else:
                    gradient += d @ torch.from_numpy(np.ascontiguousarray(X_part)).to(
                        self.device)
            gradients.append(gradient)
        return torch.stack(gradients)

    def with_columns(self, columns, groups, lin1_state=None):
        """A new stack of the same models, trained on ``columns`` of the full-width X.

        Every model continues from its weights, optimizer state, epochs and seeds here;
        ``groups`` are the penalty groups of ``columns`` (numbered from 0). Columns that
        this stack does not train start at zero weight, with their optimizer state taken
        from ``lin1_state`` (per optimizer state name, a tensor (n_models, n_hidden,
        n_features) at full width) where given, else zero.
        """
        states = [self.state_of(m) for m in range(len(self.specs))]
        if lin1_state is not None:
            new = np.setdiff1d(columns, self._trained_columns())
            for m, (module_state, optimizer_state) in enumerate(states):
                for name, flat in optimizer_state.items():
                    if name != "steps":
                        lin1 = split_flat(flat, module_state)["lin1.weight"]  # a view
                        lin1[:, new] = lin1_state[name][m][:, new]
        X, y = self.source
        stack = StackedTrainer(self.estimator, X, y, self.n_outputs, self.criterion,
                               self.specs, self.hidden, states=states, columns=columns,
                               groups=groups)
        stack.histories = [list(history) for history in self.histories]
        return stack

    def lin1_state(self):
        """The optimizer state of every model's lin1 weights, per state name, at full width
        (zero on the columns this stack does not train): see ``with_columns``."""
        full = {}
        for name, value in self.optimizer.state.items():
            lin1 = self.module.view(value, "lin1.weight")
            full[name] = torch.as_tensor(self._full_width(lin1.cpu().numpy()))
        return full

    def _trained_columns(self):
        return np.arange(self.n_input_features) if self.columns is None else self.columns

    def _prox(self, penalty, models):
        """The penalty's prox on the lin1 weight of ``models`` (those that just stepped)."""
        theta = self.module.theta.detach()
        step = self.optimizer.effective_step(self.lin1)
        every = len(models) == len(self.specs)
        if torch.is_tensor(step):
            step = step if every else step[models]
            if self.estimator.learning_rate_init > 0 and not bool((step > 0).all()):
                raise NonFiniteLossError(
                    "The optimizer's step on lin1 became 0 in a cross-validation fit: its "
                    "second-moment estimates overflowed, the fit diverged. To fix it, "
                    f"{self.estimator._divergence_advice()}."
                )
        weight = self.module.view(theta, "lin1.weight")
        current = weight if every else weight[models]
        if torch.is_tensor(step):
            step = step.reshape(current.shape).contiguous()
        # the prox functions take stacked weights; contiguous, their ops run 2x faster
        new = penalty.prox(current.contiguous(), step)
        if every:
            weight.copy_(new)
        else:
            weight[models] = new

    def snapshot(self):
        """Every model as it is now (weights, optimizer, epochs, seeds), for ``restore``."""
        return (self.module.theta.detach().clone(),
                {name: value.clone() for name, value in self.optimizer.state.items()},
                self.optimizer.steps.clone(), [len(history) for history in self.histories],
                [copy.deepcopy(spec.random_state) for spec in self.specs])

    def restore(self, snapshot):
        """Go back to a ``snapshot()`` of this stack (a refined path step)."""
        theta, state, steps, n_epochs, random_states = snapshot
        with torch.no_grad():
            self.module.theta.copy_(theta)
        for name, value in state.items():
            self.optimizer.state[name].copy_(value)
        self.optimizer.steps.copy_(steps)
        for history, n, spec, random_state in zip(self.histories, n_epochs, self.specs,
                                                  random_states, strict=True):
            del history[n:]
            spec.random_state = copy.deepcopy(random_state)

    def state_of(self, m):
        """Model ``m``'s network and optimizer state, to continue it in another stack
        (full width: columns this stack does not read are zero)."""
        return _full_width_state(*self.narrow_state_of(m), self.n_input_features)

    def narrow_state_of(self, m):
        """``state_of(m)`` on the columns this stack trains only (the others' weights and
        moments are zero): (columns or None for all, module state, optimizer state), which
        ``_full_width_state`` takes back to full width."""
        return self.columns, self.module.state_of(m), self.optimizer.state_of(m)

    def support_of(self, m):
        """Model ``m``'s selected columns (full width), a bool mask."""
        return self._full_width(feature_support(
            self.module.view(self.module.theta.detach(), "lin1.weight")[m]))

    def lin1_of(self, m):
        """Model ``m``'s lin1 weight (full width), a numpy copy."""
        # a copy (_full_width's): .cpu() of a CPU tensor is the tensor itself, whose memory
        # trains on
        return self._full_width(
            self.module.view(self.module.theta.detach(), "lin1.weight")[m].cpu().numpy())

    def _full_width(self, values):
        """A new array: ``values`` over the trained columns (last axis) at full width, zero
        elsewhere."""
        if self.columns is None:
            return values.copy()
        wide = np.zeros((*values.shape[:-1], self.n_input_features), dtype=values.dtype)
        wide[..., self.columns] = values
        return wide


def split_flat(flat, module_state):
    """A model's flat vector over theta (e.g. an optimizer moment) as one tensor per
    parameter, shaped as in ``module_state``."""
    parts, start = {}, 0
    for name, value in module_state.items():
        parts[name] = flat[start:start + value.numel()].view_as(value)
        start += value.numel()
    return parts


def _with_lin1(module_state, optimizer_state, lin1_of):
    """Both states with every lin1 weight ``W`` (and its optimizer moments) replaced by
    ``lin1_of(W)``."""
    new_module = {**module_state, "lin1.weight": lin1_of(module_state["lin1.weight"])}
    new_optimizer = {"steps": optimizer_state["steps"]}
    for key, flat in optimizer_state.items():
        if key == "steps":
            continue
        parts = split_flat(flat, module_state)
        parts["lin1.weight"] = lin1_of(parts["lin1.weight"])
        new_optimizer[key] = torch.cat([part.reshape(-1) for part in parts.values()])
    return new_module, new_optimizer


def _compact_state(module_state, optimizer_state, columns):
    index = torch.as_tensor(columns, dtype=torch.long)
    if optimizer_state is None:  # a new network
        return {**module_state, "lin1.weight": module_state["lin1.weight"][:, index]}, None
    return _with_lin1(module_state, optimizer_state, lambda W: W[:, index])


def _new_network(n_features, n_outputs, hidden, activation, spec):
    """The state of a new network drawn from ``spec.generator``, its held columns zero and
    its held constant columns' values moved into lin1's bias."""
    module = SparseInputMLP(n_features, n_outputs, hidden, activation, spec.generator)
    with torch.no_grad():
        weight, bias = module.lin1.weight, module.lin1.bias
        if spec.fill_values is not None and spec.held.any():
            held = torch.as_tensor(spec.held)
            bias += weight[:, held] @ torch.as_tensor(spec.fill_values[spec.held],
                                                      dtype=weight.dtype)
        weight.mul_(torch.as_tensor(~spec.held, dtype=weight.dtype))
    return module.state_dict()


def _widen_state(module_state, optimizer_state, columns, n_features):
    index = torch.as_tensor(columns, dtype=torch.long)

    def widen(W):
        wide = torch.zeros(W.shape[0], n_features, dtype=W.dtype)
        wide[:, index] = W
        return wide

    return _with_lin1(module_state, optimizer_state, widen)


def _full_width_state(columns, module_state, optimizer_state, n_features):
    """A ``narrow_state_of`` triple as (module state, optimizer state) at full width."""
    if columns is None:
        return module_state, optimizer_state
    return _widen_state(module_state, optimizer_state, columns, n_features)


def _move_state(module_state, optimizer_state, own, columns):
    """A state kept on the sorted columns ``own``, placed on the sorted ``columns`` (a
    superset): zero on the columns it did not have, as ``_widen_state`` then
    ``_compact_state`` would give without the full-width copy in between."""
    return _widen_state(module_state, optimizer_state, np.searchsorted(columns, own),
                        len(columns))


def copy_spec(spec, held=None):
    """A spec for continuing ``spec``'s model (e.g. a relaxed refit holding ``held``)."""
    new = copy.copy(spec)
    new.random_state = copy.deepcopy(spec.random_state)
    if held is not None:
        new.held, new.fill_values = held, None
    return new
