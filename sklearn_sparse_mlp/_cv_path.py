"""The cross-validated estimators' paths: the full-data path and every fold's, as one stack.

``sparse_mlp_path`` on the full data fixes the alpha grid (it starts where the dense model
starts to drop features and ends where the path is empty); each fold walks that grid, with a
relaxed refit wherever its support changes, scored on its test part. All of these networks
train in lockstep in one :class:`~sklearn_sparse_mlp._stacked.StackedTrainer` (model 0 the
full data, then the folds): the full-data model chooses each next alpha as the path would,
and every model is trained as its own single fit would train it. The relaxed refits of all
folds are a second stack. Along the path the stack trains a working set of columns, checked
at every alpha (:mod:`~sklearn_sparse_mlp._screening`).
"""

import contextlib
import copy
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.base import clone, is_classifier
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import ConvergenceWarning
from skorch.history import History
from tqdm.auto import tqdm

from ._base import DataAdviceWarning, silenced, torch_threads, warn_user
from ._classifier import class_weighted
from ._net import pointwise_criterion
from ._path import (
    SparseMLPPath,
    _AlphaGrid,
    _leave_alphas_and_norms,
    _support_changed,
    _training_targets,
)
from ._prepare import encoding_memo, prepare_data, training_rows
from ._regressor import standardized_targets
from ._screening import WorkingSetPath
from ._stacked import (
    ModelSpec,
    StackedTrainer,
    _compact_state,
    _full_width_state,
    _move_state,
    copy_spec,
    split_flat,
)

# Relaxed refits trained per stack: more share the per-step cost, fewer keep the union of
# their supports (the columns the stack reads) close to each one's own.
_REFITS_PER_STACK = 16


@dataclass
class CVPaths:
    """What the lockstep paths give the CV estimator.

    Attributes
    ----------
    path : SparseMLPPath
        The full-data path (without networks: ``module_states`` is None).
    fold_results : list of (scores, n_features, leave_alphas, last_norms)
        Per fold, over the whole grid (see ``_FoldRecord.fold_result``).
    """

    path: SparseMLPPath
    fold_results: list
    _template: object
    _states: list
    _histories: list
    _random_state: object

    def estimator_at(self, index):
        """The full-data model at ``path.alphas[index]``, as ``SparseMLPPath.estimator_at``."""
        estimator = copy.deepcopy(self._template)
        module_state, optimizer_state = _full_width_state(
            *self._states[index], self.path.lin1_weights[0].shape[1])
        _load_model(estimator, module_state, optimizer_state, self._histories[index])
        # a RandomState instance continues from where the path left it, as with
        # sparse_mlp_path's estimator_at
        estimator.set_params(alpha=float(self.path.alphas[index]),
                             random_state=copy.deepcopy(self._random_state))
        return estimator


@dataclass
class DenseFits:
    """The dense fits that start the paths, trained as one stack: model 0 on the full data,
    then one per training fold (see :func:`dense_fits`)."""

    base: object
    template: object
    X32: np.ndarray
    y_train: np.ndarray
    specs: list
    stack: StackedTrainer
    criterion: object
    n_outputs: int
    hidden: tuple
    converged: np.ndarray

    def skill(self, X, y, folds, sample_weight):
        """The folds' mean skill score: ``(s - s0) / (1 - s0)``, where ``s`` is a fold's dense
        network's score on its test part (``score``: accuracy or R^2, weighted by the rows'
        sample weights times their class weights, computed on those rows as the training
        computes them: "balanced" gives balanced accuracy) and ``s0`` that of a
        constant prediction fitted on its training part (``DummyClassifier(strategy="prior")``
        or ``DummyRegressor()``): 0 for a network no better than the constant, 1 for a
        perfect one. NaN where every fold's constant is already perfect."""
        skills = []
        for m, (train, test) in enumerate(folds, start=1):
            weight = training_weights(self.base, y, test, sample_weight)
            dummy = constant_model(self.base, X, y, train, sample_weight)
            constant = dummy.score(X[test], y[test], sample_weight=weight)
            if constant >= 1:
                continue
            self.template.net_.module_.load_state_dict(self.stack.state_of(m)[0])
            with _targets_of(self.template, self.specs[m]):
                score = self.template.score(X[test], y[test], sample_weight=weight)
            skills.append((score - constant) / (1 - constant))
        return float(np.mean(skills)) if skills else float("nan")


def training_weights(base, y, rows, sample_weight):
    """The weights a fit on ``rows`` gives them: their sample weights times, for a
    classifier, their class weights computed on these rows ("balanced" over the classes
    present); None where both are unit."""
    weight = None if sample_weight is None else sample_weight[rows]
    if is_classifier(base):
        classes, codes = np.unique(y[rows], return_inverse=True)
        weight = class_weighted(weight, base.class_weight, classes, codes)
    return weight


def constant_model(base, X, y, rows, sample_weight):
    """The constant prediction a fit on ``rows`` without any feature would approach:
    ``DummyClassifier(strategy="prior")`` or ``DummyRegressor()`` (the weighted mean),
    fitted with the training's weights (:func:`training_weights`)."""
    dummy = DummyClassifier(strategy="prior") if is_classifier(base) else DummyRegressor()
    return dummy.fit(X[rows], y[rows],
                     sample_weight=training_weights(base, y, rows, sample_weight))


def dense_fits(base, X, y, folds, *, sample_weight, n_threads, full=True):
    """Fit the dense networks of the full data and of every training fold, in one stack,
    each as its own single fit with ``alpha=0`` would train it. ``full=False``: the training
    folds alone (model m is fold m, and ``DenseFits.skill`` does not apply)."""
    template = _template(base, X, y, sample_weight)
    # the data as the template's fit prepared it, its encoding included
    X32 = prepare_data(X, sample_weight, encoding=template._encoding,
                       name=type(base).__name__, advise=False).X
    y_train = _stack_targets(template, y)
    everything = [np.arange(X.shape[0])] if full else []
    specs = [_spec(base, X32, y, y_train, rows, sample_weight)
             for rows in [*everything, *(train for train, _ in folds)]]
    n_models = len(specs)
    criterion = pointwise_criterion(template.net_.criterion_)
    n_outputs = template.net_.module_.output.out_features
    hidden = tuple(template.net_.module__hidden_layer_sizes)
    with torch_threads(n_threads):
        trained, groups = _trained_columns(specs, template._penalty_groups())
        stack = StackedTrainer(base, X32, y_train, n_outputs, criterion, specs, hidden,
                               columns=trained, groups=groups)
        schedule = base.warmup_epochs + base.ramp_epochs
        dense = stack.fit(0.0, base.max_iter, [schedule] * n_models, base.weight_decay,
                          np.ones(n_models, dtype=bool), reseed=False)
    return DenseFits(base=base, template=template, X32=X32, y_train=y_train, specs=specs,
                     stack=stack, criterion=criterion, n_outputs=n_outputs, hidden=hidden,
                     converged=dense.converged)


def cv_paths(dense, X, y, folds, *, alphas, path_multiplier, max_iter_per_alpha,
             max_drop_fraction, relax_epochs, scorer, sample_weight, n_threads, verbose,
             name=None):
    """The full-data path and the folds' scores along its grid (see the module doc),
    continuing from the ``dense`` fits (:func:`dense_fits`).

    ``alphas`` is a number of alphas (the grid derived from the full-data dense model) or
    the grid itself (``max_drop_fraction``: the grid's refinement, see ``_AlphaGrid``);
    ``scorer(model, test_rows, sample_weight)`` scores a fitted estimator;
    ``name`` is the estimator named in warnings.
    """
    base, template, X32, y_train = dense.base, dense.template, dense.X32, dense.y_train
    specs, criterion = dense.specs, dense.criterion
    stack = WorkingSetPath(dense.stack, base.l1_ratio)
    n_outputs, hidden = dense.n_outputs, dense.hidden
    columns = template._columns
    n_models = len(specs)
    record = _FoldRecord(n_models)
    if not dense.converged.all():
        warn_user(
            f"{name or type(base).__name__}: max_iter={base.max_iter} epochs reached "
            "before the loss and the selected features of the dense fits converged; "
            "increase max_iter.",
            ConvergenceWarning,
        )
    with torch_threads(n_threads):
        _load_model(template, *stack.state_of(0), [])  # the dense fit starts the grid
        grid = _AlphaGrid(alphas, path_multiplier, template, X, y, sample_weight,
                          max_drop_fraction)
    # the folds' test rows are scored at every alpha: each is encoded once
    with torch_threads(n_threads), encoding_memo(template):
        progress = tqdm(total=grid.n_alphas, desc=f"alpha path ({n_models} networks)",
                        disable=not verbose)
        running = np.ones(n_models, dtype=bool)
        full = _FullPathRecord()
        for alpha in grid:
            previous = stack.snapshot() if grid.refines else None
            result = stack.fit(alpha, max_iter_per_alpha, [0] * n_models, base.weight_decay,
                               running)
            supports = {m: columns.feature_mask(stack.support_of(m))
                        for m in np.flatnonzero(running)}
            if not grid.advance(int(supports[0].sum())):
                stack.restore(previous)  # the grid refines between the last two alphas
                continue
            for m, support in supports.items():
                lin1 = stack.lin1_of(m)
                record.add(m, support, lin1, columns.norms(lin1))
                if relax_epochs and record.needs_refit(m, support):
                    held = ~columns.column_mask(support) | specs[m].held
                    # kept on its own columns only: a refit holds the others at zero, and
                    # full-width states of every refit grow with p times the refits
                    record.refits.append((m, len(record.supports[m]) - 1,
                                          _compact_state(*stack.state_of(m),
                                                         np.flatnonzero(~held)),
                                          copy_spec(specs[m], held=held)))
                elif not relax_epochs and m > 0:
                    record.scores[m].append(_score(template, stack.state_of(m)[0], specs[m],
                                                   scorer, folds[m - 1][1], sample_weight))
                if not support.any():
                    running[m] = False  # a path ends at its first empty model
            full.add(alpha, stack, result.train_loss[0], record.supports[0][-1])
            progress.set_postfix(alpha=f"{alpha:.3g}", n_features=int(full.n_features[-1]))
            progress.update()
            if not running[0]:
                break
        # the path ends where the full-data model is empty, often before alphas=n: the bar
        # ends full, at the alphas walked
        progress.total = progress.n
        progress.refresh()
        progress.close()
        if relax_epochs:
            _relaxed_scores(base, X32, y_train, n_outputs, criterion, hidden, template,
                            record, relax_epochs, scorer, folds, sample_weight, verbose)
    alphas_done = np.array(full.alphas)
    path = _full_path(record, alphas_done, full, grid.alpha_start)
    fold_results = [record.fold_result(m, alphas_done) for m in range(1, n_models)]
    return CVPaths(path=path, fold_results=fold_results, _template=template,
                   _states=full.states, _histories=full.histories,
                   _random_state=specs[0].random_state)


def _trained_columns(specs, groups):
    """The columns the paths' stack trains, and their penalty groups (numbered from 0).

    A column constant in every model's training rows is held at zero by all of them: the
    stack leaves it out (MNIST: 131 of 784 pixels), and with it the rest of its group, so
    that the penalty of every group it trains is unchanged. None: every column.
    """
    held = np.all([spec.held for spec in specs], axis=0)
    if groups is not None:
        groups = np.asarray(groups)
        held = ~np.isin(groups, groups[~held])
    if not held.any() or held.all():
        return None, groups
    trained = np.flatnonzero(~held)
    if groups is None:
        return trained, None
    return trained, np.unique(groups[trained], return_inverse=True)[1]


def _template(base, X, y, sample_weight):
    """A fitted estimator of the full data (its classes, shapes and net) to load models in.

    One epoch is trained: the network is replaced by a stacked model's before any use.
    """
    template = clone(base).set_params(max_iter=1, warmup_epochs=0, ramp_epochs=0, verbose=0)
    with silenced(ConvergenceWarning, DataAdviceWarning):
        template.fit(X, y, sample_weight=sample_weight)
    return template.set_params(**{name: getattr(base, name) for name in
                                  ("max_iter", "warmup_epochs", "ramp_epochs", "verbose")})


def _load_model(estimator, module_state, optimizer_state, history_rows):
    """Give the fitted ``estimator`` a stacked model's network, optimizer state and history."""
    net = estimator.net_
    net.module_.load_state_dict(module_state)
    optimizer = net.optimizer_
    steps = optimizer_state["steps"]
    parts = {key: split_flat(value, module_state)
             for key, value in optimizer_state.items() if key != "steps"}
    for name, param in net.module_.named_parameters():
        state = {key: part[name].clone().to(param.device) for key, part in parts.items()}
        if isinstance(optimizer, torch.optim.Adam | torch.optim.Adagrad):
            state["step"] = torch.tensor(float(steps))  # torch keeps it on the CPU
        optimizer.state[param] = state
    history = History()
    for row in history_rows:
        history.new_epoch()
        for key, value in row.items():
            history.record(key, value)
    net.history_ = history
    estimator._set_fitted_attributes()


class _FullPathRecord:
    """The full-data model at each alpha: what the CV keeps of it, and its networks."""

    def __init__(self):
        self.alphas, self.train_loss, self.n_epochs, self.n_features = [], [], [], []
        self.states, self.histories = [], []

    def add(self, alpha, stack, train_loss, support):
        self.alphas.append(alpha)
        self.train_loss.append(float(train_loss))
        self.n_epochs.append(len(stack.histories[0]))
        self.n_features.append(int(support.sum()))
        # on the columns the stack trains (at full width, every alpha's state would cost
        # p times the alphas); estimator_at widens the one it loads
        self.states.append(stack.narrow_state_of(0))
        self.histories.append(list(stack.histories[0]))


def _full_path(record, alphas, full, alpha_start):
    supports = np.array(record.supports[0])
    leave, last_norms = _leave_alphas_and_norms(supports, alphas, record.norms[0])
    return SparseMLPPath(
        alphas=alphas, supports=supports, n_features=supports.sum(axis=1),
        train_loss=np.array(full.train_loss), valid_scores=None,
        lin1_weights=record.lin1[0], module_states=None, relaxed_states=None,
        feature_leave_alphas=leave, feature_last_norms=last_norms, alpha_start=alpha_start,
        estimator=None, n_epochs=np.array(full.n_epochs),
        feature_norms=np.array(record.norms[0]).reshape(len(alphas), -1),
    )


def _spec(base, X, y, y_train, rows, sample_weight):
    """How a single fit on ``rows`` would train: its rows of weight > 0 (merged where they
    repeat, in one batch), their weights (class weights included, scaled to a mean of 1),
    its constant columns, its seed, a regressor's target scaling. ``y`` are the labels,
    ``y_train`` the stack's targets."""
    weight = None if sample_weight is None else sample_weight[rows]
    codes = y_train[rows]
    scaling = (None, None)
    if not is_classifier(base):
        # as the single fit: its scaling, and duplicate rows found on the targets it trains on
        scaling = base._fit_target_scaling(codes, weight)
        codes = standardized_targets(codes, *scaling)
    if is_classifier(base):
        classes = np.unique(y[rows])
        codes = np.searchsorted(classes, y[rows]).astype(np.int64)
        weight = class_weighted(weight, base.class_weight, classes, codes)
    # the rows, weights and constant columns exactly as the single fit prepares them
    prepared = training_rows(X, codes, rows, weight, base._batch_size)
    return ModelSpec(rows=prepared.rows, sample_weight=prepared.sample_weight,
                     random_state=copy.deepcopy(base.random_state), held=prepared.held,
                     fill_values=prepared.fill_values, target_mean=scaling[0],
                     target_scale=scaling[1])


def _score(template, state, spec, scorer, test, sample_weight):
    """The score of the network ``state``, trained as ``spec``, on a fold's test rows,
    through ``template``."""
    template.net_.module_.load_state_dict(state)
    with _targets_of(template, spec):
        return scorer(template, test, sample_weight)


@contextlib.contextmanager
def _targets_of(estimator, spec):
    """``estimator`` predicts in y's units as ``spec``'s model: with its target scaling
    (a regressor's; each fold standardizes by its own training rows)."""
    if spec.target_mean is None:
        yield
        return
    holders = (estimator, estimator.net_)  # the estimator's predict, and its skorch net's
    kept = [(holder.target_mean_, holder.target_scale_) for holder in holders]
    for holder in holders:
        holder.target_mean_, holder.target_scale_ = spec.target_mean, spec.target_scale
    try:
        yield
    finally:
        for holder, (mean, scale) in zip(holders, kept, strict=True):
            holder.target_mean_, holder.target_scale_ = mean, scale


def _stack_targets(template, y):
    """The stack's targets: class indices, or a regressor's y in its units, float64 of
    shape (n_samples, n_outputs) (each model standardizes them by its own scaling)."""
    if is_classifier(template):
        return _training_targets(template, y)
    _training_targets(template, y)  # checks the outputs
    # a copy: the stacks' tensors share its memory, and torch warns about a read-only y
    # (a joblib memory map)
    return np.array(y, dtype=np.float64).reshape(len(y), -1)


class _FoldRecord:
    """Supports, first-layer weights and scores of each model's path, alpha by alpha."""

    def __init__(self, n_models):
        self.supports = [[] for _ in range(n_models)]
        self.lin1 = [[] for _ in range(n_models)]
        self.norms = [[] for _ in range(n_models)]  # of each feature's weights
        self.scores = [[] for _ in range(n_models)]
        self.refits = []  # (model, alpha index, state, spec) of each relaxed refit
        self._refitted = [None] * n_models

    def add(self, model, support, lin1, norms):
        self.supports[model].append(support)
        self.lin1[model].append(lin1 if model == 0 else None)  # the full path keeps its own
        self.norms[model].append(norms)

    def needs_refit(self, model, support):
        """A relaxed refit depends on the support alone: refit where it changes. The
        full-data path (model 0) is not scored, hence never refitted."""
        if model == 0 or not _support_changed(self._refitted[model], support):
            return False
        self._refitted[model] = support
        return True

    def fold_result(self, model, grid):
        """Scores and feature counts over ``grid``; past the end of the model's path (its
        empty model) the score stays that of its last alpha and the count is 0."""
        supports = np.array(self.supports[model])
        n_steps = len(supports)
        leave, norms = _leave_alphas_and_norms(supports, np.asarray(grid)[:n_steps],
                                               self.norms[model])
        scores = np.full(len(grid), self.scores[model][-1])
        scores[:n_steps] = self.scores[model]
        n_features = np.zeros(len(grid), dtype=int)
        n_features[:n_steps] = supports.sum(axis=1)
        return scores, n_features, leave, norms


def _relaxed_scores(base, X, y, n_outputs, criterion, hidden, template, record, epochs,
                    scorer, folds, sample_weight, verbose=False):
    """Train every fold's relaxed refits as stacks; fill in the folds' scores.

    A refit reads only its support's columns: the refits, sorted by support size, are
    stacked in chunks whose first layer reads the union of their supports (the supports of
    a path are nearly nested), so a wide input costs what the supports cost.
    """
    # trained as relaxed_refit trains the final model (its training parameters)
    relaxed_base = clone(base).set_params(**base._relaxed_training())
    sizes = [int((~spec.held).sum()) for _, _, _, spec in record.refits]
    order = np.argsort(sizes, kind="stable")[::-1]
    scores = np.empty(len(order))
    progress = tqdm(total=len(order), desc="relaxed refits of the folds", disable=not verbose)
    for chunk in np.array_split(order, -(-len(order) // _REFITS_PER_STACK)):
        specs = [record.refits[i][3] for i in chunk]
        kept = np.flatnonzero(~np.all([spec.held for spec in specs], axis=0))
        columns = kept if len(kept) else np.arange(1)
        # each refit's state, kept on its own columns, goes straight onto the chunk's
        refits = StackedTrainer(relaxed_base, X, y, n_outputs, criterion, specs, hidden,
                                states=[_move_state(*record.refits[i][2], np.flatnonzero(
                                    ~record.refits[i][3].held), columns) for i in chunk],
                                columns=columns)
        # no penalty, so no schedule; weight_decay off, as relaxed_refit trains
        refits.fit(0.0, epochs, [0] * len(specs), 0.0, np.ones(len(specs), dtype=bool))
        for j, i in enumerate(chunk):
            model = record.refits[i][0]
            scores[i] = _score(template, refits.state_of(j)[0], specs[j], scorer,
                               folds[model - 1][1], sample_weight)
        progress.update(len(chunk))
    progress.close()
    for model in range(1, len(folds) + 1):
        # each alpha takes the score of the last refit at or before it
        mine = [(k, score) for (m, k, _, _), score in zip(record.refits, scores, strict=True)
                if m == model]
        for k in range(len(record.supports[model])):
            record.scores[model].append(next(s for kk, s in reversed(mine) if kk <= k))
