"""The stacked training engine: each stacked model is the single fit it stands for."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from _warning_filters import MAX_ITER_REACHED
from sklearn.metrics import check_scoring
from sklearn.model_selection import KFold, StratifiedKFold

from sklearn_sparse_mlp import SparseMLPClassifier, SparseMLPRegressor, sparse_mlp_path
from sklearn_sparse_mlp._cv_path import cv_paths, dense_fits
from sklearn_sparse_mlp._optim import effective_step
from sklearn_sparse_mlp._stacked import StackedOptimizer
from sklearn_sparse_mlp.datasets import make_seed_problem, make_seed_regression

_SMALL = dict(hidden_layer_sizes=(16,), max_iter=60, warmup_epochs=10, ramp_epochs=10,
              n_iter_no_change=5, batch_size=64, random_state=0)
_EPOCHS_PER_ALPHA = 20
_RELAX_EPOCHS = 10


def _sequential(base, X, y, folds, grid, sample_weight=None, max_drop_fraction=1.0):
    """What the CV estimator computed before the stack: one sparse_mlp_path per path."""
    full = sparse_mlp_path(base, X, y, alphas=grid, max_iter_per_alpha=_EPOCHS_PER_ALPHA,
                           sample_weight=sample_weight, max_drop_fraction=max_drop_fraction)
    fold_paths = []  # on the full-data path's grid, which ends where it is empty
    for train, test in folds:
        weights = {} if sample_weight is None else dict(
            sample_weight=sample_weight[train], sample_weight_valid=sample_weight[test])
        fold_paths.append(sparse_mlp_path(
            base, X[train], y[train], alphas=full.alphas, max_iter_per_alpha=_EPOCHS_PER_ALPHA,
            X_valid=X[test], y_valid=y[test], relax_epochs=_RELAX_EPOCHS, **weights))
    return full, fold_paths


def _stacked(base, X, y, folds, grid, sample_weight=None, max_drop_fraction=1.0):
    scoring = check_scoring(base)

    def scorer(model, test, weight):
        kwargs = {} if weight is None else {"sample_weight": weight[test]}
        return float(scoring(model, X[test], y[test], **kwargs))

    dense = dense_fits(base, X, y, folds, sample_weight=sample_weight, n_threads=1)
    return cv_paths(dense, X, y, folds, alphas=grid, path_multiplier=1.25,
                    max_iter_per_alpha=_EPOCHS_PER_ALPHA, max_drop_fraction=max_drop_fraction,
                    relax_epochs=_RELAX_EPOCHS,
                    scorer=scorer, sample_weight=sample_weight, n_threads=1, verbose=False)


def _assert_same_paths(stacked, full, fold_paths, alpha_rtol=0.0):
    """The same supports at every alpha; the losses and scores up to float rounding, which
    the stacked products (summed in another order) amplify along the epochs: 1e-7 at the
    first epoch, 1e-3 after a few hundred."""
    np.testing.assert_allclose(stacked.path.alphas, full.alphas, rtol=alpha_rtol)
    np.testing.assert_array_equal(stacked.path.supports, full.supports)
    np.testing.assert_array_equal(stacked.path.n_epochs, full.n_epochs)
    np.testing.assert_allclose(stacked.path.train_loss, full.train_loss, rtol=1e-2)
    for (scores, n_features, leave, _), fold in zip(stacked.fold_results, fold_paths,
                                                    strict=True):
        steps = len(fold.alphas)
        np.testing.assert_array_equal(n_features[:steps], fold.n_features)
        np.testing.assert_allclose(leave, fold.feature_leave_alphas, rtol=alpha_rtol)
        # accuracy: one test sample of 80-100; R^2: rounding
        np.testing.assert_allclose(scores[:steps], fold.valid_scores, atol=0.013)


@MAX_ITER_REACHED
@pytest.mark.parametrize("rule", ["circle", "xor"])
def test_stacked_paths_select_what_independent_paths_select(rule):
    """The full-data path and every fold's path, relaxed refits and scores included, are
    those of independent sparse_mlp_path calls with the same seeds: the same supports at
    every alpha."""
    X, y = make_seed_problem(rule, n_samples=240, n_features=6, random_state=0)
    folds = list(StratifiedKFold(3).split(X, y))
    base = SparseMLPClassifier(**_SMALL)
    grid = np.geomspace(0.02, 0.6, 6)
    full, fold_paths = _sequential(base, X, y, folds, grid)
    stacked = _stacked(base, X, y, folds, grid)
    _assert_same_paths(stacked, full, fold_paths)
    assert full.n_features[-1] < full.n_features[0]  # the grid does select
    assert set(np.argsort(-full.feature_leave_alphas, kind="stable")[:2]) == {0, 1}


@MAX_ITER_REACHED
def test_stacked_paths_refine_where_the_full_data_path_drops_many_features():
    """A generated grid refined where a step drops too many features: each undone step is
    undone in every model of the stack (weights, optimizer, epochs, seeds), so every path is
    the independent path walking the accepted alphas, and exactly the stack given them."""
    X, y = make_seed_problem("circle", n_samples=240, n_features=8, random_state=2)
    X[:, 7] = 0.5  # constant everywhere: the stack is narrowed, and its restores too
    folds = list(StratifiedKFold(3).split(X, y))
    base = SparseMLPClassifier(**_SMALL)
    full, fold_paths = _sequential(base, X, y, folds, 30, max_drop_fraction=0.2)
    ratios = full.alphas[1:] / full.alphas[:-1]
    assert np.any(ratios < 1.2)  # a refined step was taken
    # a generated grid starts from the dense model's drop_one_alphas: float rounding
    _assert_same_paths(_stacked(base, X, y, folds, 30, max_drop_fraction=0.2), full,
                       fold_paths, alpha_rtol=1e-4)
    # a RandomState draws a seed per fit: an undone fit gives its draws back
    base.set_params(random_state=np.random.RandomState(0))
    refined = _stacked(base, X, y, folds, 30, max_drop_fraction=0.2)
    assert np.any(refined.path.alphas[1:] / refined.path.alphas[:-1] < 1.2)
    given = _stacked(base, X, y, folds, refined.path.alphas)
    np.testing.assert_array_equal(given.path.supports, refined.path.supports)
    np.testing.assert_array_equal(given.path.train_loss, refined.path.train_loss)
    np.testing.assert_array_equal(given.path.n_epochs, refined.path.n_epochs)
    for mine, theirs in zip(given.fold_results, refined.fold_results, strict=True):
        for a, b in zip(mine, theirs, strict=True):
            np.testing.assert_array_equal(a, b)


@MAX_ITER_REACHED
def test_stacked_models_keep_their_own_weights_classes_and_constant_columns():
    """Per model: sample weights (zeros removed), class weights of its own rows, a column
    constant over its own training rows only, batches of its own size."""
    X, y = make_seed_problem("circle", n_samples=240, n_features=6, random_state=1)
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    X = X.copy()
    X[:, 4] = 0.0
    X[folds[0][1], 4] = np.linspace(-1, 1, len(folds[0][1]))  # constant in fold 0's training
    X[:, 5] = 0.7  # constant everywhere: left out of the stack, its value in each bias
    rng = np.random.RandomState(0)
    weight = rng.randint(0, 4, len(y)).astype(float)
    base = SparseMLPClassifier(**{**_SMALL, "batch_size": 50}, class_weight="balanced")
    grid = np.geomspace(0.03, 0.5, 6)
    full, fold_paths = _sequential(base, X, y, folds, grid, sample_weight=weight)
    stacked = _stacked(base, X, y, folds, grid, sample_weight=weight)
    _assert_same_paths(stacked, full, fold_paths)
    assert not fold_paths[0].supports[:, 4].any()  # held out in fold 0
    assert not stacked.path.supports[:, 5].any()


def test_stack_leaves_out_whole_groups_of_columns_held_by_every_model():
    from sklearn_sparse_mlp._cv_path import _trained_columns
    from sklearn_sparse_mlp._stacked import ModelSpec

    def spec(held):
        return ModelSpec(rows=np.arange(3), sample_weight=None, random_state=0,
                         held=np.array(held, dtype=bool))

    specs = [spec([0, 0, 1, 1, 1, 0]), spec([0, 1, 1, 1, 1, 0])]  # 2, 3, 4 held by both
    trained, groups = _trained_columns(specs, None)
    np.testing.assert_array_equal(trained, [0, 1, 5])
    assert groups is None
    # column 4 shares a group with column 5, which is trained: the group stays whole
    trained, groups = _trained_columns(specs, [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(trained, [0, 1, 4, 5])
    np.testing.assert_array_equal(groups, [0, 0, 1, 1])
    trained, groups = _trained_columns([spec([0, 1, 0, 0, 0, 0]), spec([1, 0, 0, 0, 0, 0])], None)
    assert trained is None and groups is None  # no column held by both: all trained


@MAX_ITER_REACHED
@pytest.mark.parametrize("solver", ["sgd", "adagrad"])
def test_stacked_regression_on_sparse_input_with_other_solvers(solver):
    X, y = make_seed_regression(n_samples=240, n_features=5, random_state=0)
    X = sp.csr_matrix(np.where(np.abs(X) < 0.3, 0.0, X))
    # each training part has its own mean and spread of y: each fold's model standardizes
    # by its own, as its single fit does, and is scored in y's units
    y = 5.0 * y + np.repeat([0.0, 6.0, 30.0], 80)
    folds = list(KFold(3).split(X))
    base = SparseMLPRegressor(**_SMALL, solver=solver,
                              learning_rate_init=0.01 if solver == "sgd" else 0.05)
    grid = np.geomspace(0.01, 0.3, 6)
    full, fold_paths = _sequential(base, X, y, folds, grid)
    stacked = _stacked(base, X, y, folds, grid)
    _assert_same_paths(stacked, full, fold_paths)


@MAX_ITER_REACHED
def test_stacked_deep_networks_scale_their_weight_decay_per_model():
    X, y = make_seed_problem("square", n_samples=240, n_features=5, random_state=0)
    folds = list(StratifiedKFold(2).split(X, y))
    base = SparseMLPClassifier(**{**_SMALL, "hidden_layer_sizes": (12, 8, 6)})
    grid = np.geomspace(0.02, 0.4, 5)
    full, fold_paths = _sequential(base, X, y, folds, grid)
    _assert_same_paths(_stacked(base, X, y, folds, grid), full, fold_paths)


@pytest.mark.parametrize("solver", ["adam", "adagrad"])
def test_stacked_optimizer_leaves_inactive_models_untouched_and_counts_steps_per_model(solver):
    """Each model steps as torch's optimizer would step it alone, and the step the prox
    takes is the one ``_optim.effective_step`` reads from that optimizer."""
    torch.manual_seed(0)
    theta = torch.nn.Parameter(torch.randn(3, 5))
    reference = [torch.nn.Parameter(theta.detach()[m].clone()) for m in range(3)]
    make = {"adam": torch.optim.Adam, "adagrad": torch.optim.Adagrad}[solver]
    optimizers = [make([p], lr=0.1) for p in reference]
    stacked = StackedOptimizer(theta, solver, lr=0.1)
    pattern = [[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 1, 1]]
    for step, active in enumerate(pattern):
        grad = torch.randn(3, 5, generator=torch.Generator().manual_seed(step))
        theta.grad = grad.clone()
        before = theta.detach().clone()
        stacked.step(torch.tensor(active, dtype=torch.bool), weight_decay=0.0)
        steps = stacked.effective_step(slice(1, 4))  # of a block of columns, as lin1's
        for m, on in enumerate(active):
            if on:
                reference[m].grad = grad[m].clone()
                optimizers[m].step()
                torch.testing.assert_close(theta.detach()[m], reference[m].detach())
                torch.testing.assert_close(
                    steps[m], effective_step(optimizers[m], reference[m], 0.1)[1:4])
            else:
                assert torch.equal(theta.detach()[m], before[m])
    np.testing.assert_array_equal(stacked.steps.view(-1).numpy(), [3, 3, 2])
