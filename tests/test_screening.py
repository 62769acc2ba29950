"""Working sets on the stacked paths: strong rules, KKT checks, the same path as without."""

import numpy as np
import pytest
import torch
from sklearn.metrics import check_scoring
from sklearn.model_selection import KFold, StratifiedKFold

from sklearn_sparse_mlp import SparseMLPClassifier, SparseMLPRegressor, _screening
from sklearn_sparse_mlp._cv_path import cv_paths, dense_fits
from sklearn_sparse_mlp._module import SparseInputMLP
from sklearn_sparse_mlp._screening import WorkingSetPath
from sklearn_sparse_mlp.datasets import make_seed_problem

_SMALL = dict(hidden_layer_sizes=(16,), max_iter=60, warmup_epochs=10, ramp_epochs=10,
              n_iter_no_change=5, batch_size=64, random_state=0)


def _zero_columns(stack, columns):
    with torch.no_grad():
        stack.module.view(stack.module.theta.detach(), "lin1.weight")[:, :, columns] = 0.0


def _reference_gradient(dense, m, X, columns):
    """The gradient of model m's weighted mean training loss by autograd on its own
    network, at full width."""
    stack, spec = dense.stack, dense.specs[m]
    module = SparseInputMLP(X.shape[1], dense.n_outputs, dense.hidden, "relu",
                            torch.Generator())
    module.load_state_dict(stack.state_of(m)[0])
    target = torch.as_tensor(dense.y_train[spec.rows])
    if spec.target_mean is not None:
        target = ((target - torch.as_tensor(spec.target_mean))
                  / torch.as_tensor(spec.target_scale)).to(torch.float32)
    losses = dense.criterion(module(torch.as_tensor(X[spec.rows])), target)
    losses = losses.reshape(len(spec.rows), -1).mean(dim=1)
    weight = (torch.ones(len(spec.rows)) if spec.sample_weight is None
              else torch.as_tensor(spec.sample_weight, dtype=torch.float32))
    (losses * weight).mean().backward()
    return module.lin1.weight.grad[:, columns]


@pytest.mark.parametrize("estimator", [SparseMLPClassifier, SparseMLPRegressor])
def test_lin1_gradient_is_the_training_loss_gradient_inside_and_outside_the_stack(estimator):
    """Per model (its rows, sample weights, a regressor's own target scaling): the gradient
    of the training loss, also on columns a narrowed stack does not train."""
    X, y = make_seed_problem("circle", n_samples=150, n_features=6, random_state=0)
    X = X.astype(np.float32)
    if estimator is SparseMLPRegressor:
        y = 3.0 * X[:, 0] ** 2 + 10.0
    weight = np.random.RandomState(0).randint(1, 4, len(y)).astype(float)
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    dense = dense_fits(estimator(**{**_SMALL, "max_iter": 5}), X, y, folds,
                       sample_weight=weight, n_threads=1)
    outside = [1, 3, 4]
    _zero_columns(dense.stack, outside)
    narrow = dense.stack.with_columns(np.array([0, 2, 5]), None)
    for stack in (dense.stack, narrow):
        gradient = stack.lin1_gradient(outside, [0, 2])
        for i, m in enumerate([0, 2]):
            expected = _reference_gradient(dense, m, X, outside)
            assert expected.abs().max() > 1e-4  # zero weights, not a zero gradient
            torch.testing.assert_close(gradient[i], expected, rtol=1e-4, atol=1e-6)


def test_kkt_condition_of_a_zero_group_is_the_group_lasso_threshold():
    """Zero is optimal for group g iff ||grad_g|| <= alpha sqrt(|g|) (the group lasso), per
    coordinate |grad| <= alpha for the lasso; whole groups move together."""
    dense_stack = type("Stack", (), {"groups": np.array([0, 0, 1]),
                                     "_trained_columns": lambda self: np.arange(3)})()
    path = WorkingSetPath(dense_stack, l1_ratio=0.0)
    gradient = torch.tensor([[[3.0, 4.0, 1.0]]])  # group 0: norm 5, weight sqrt(2)
    positions = np.arange(3)
    # 5 > 3 sqrt(2) = 4.24: moves; 1 > 3: stays
    np.testing.assert_array_equal(path._moved(3.0, positions, gradient), [[1, 1, 0]])
    # 5 < 4 sqrt(2) = 5.66
    np.testing.assert_array_equal(path._moved(4.0, positions, gradient), [[0, 0, 0]])
    np.testing.assert_array_equal(path._moved(0.9, positions, gradient), [[1, 1, 1]])
    lasso = WorkingSetPath(dense_stack, l1_ratio=1.0)
    # |4| > 3.5 moves column 1, and with it its group
    np.testing.assert_array_equal(lasso._moved(3.5, positions, gradient), [[1, 1, 0]])
    np.testing.assert_array_equal(lasso._moved(4.5, positions, gradient), [[0, 0, 0]])


def test_a_column_left_out_wrongly_rejoins_at_the_check():
    """A working set without an informative column: the KKT check after the fit finds it,
    it rejoins, and the violating models train again with it."""
    X, y = make_seed_problem("square", n_samples=200, n_features=6, random_state=0)
    folds = list(StratifiedKFold(2).split(X, y))
    dense = dense_fits(SparseMLPClassifier(**_SMALL), X, y, folds, sample_weight=None,
                       n_threads=1)
    path = WorkingSetPath(dense.stack, l1_ratio=0.0)
    _zero_columns(path.stack, [0])
    path._use(np.array([1, 2, 3, 4, 5]))  # x0, which the rule needs, left out
    assert 0 not in path.stack._trained_columns()
    path.fit(0.01, 20, [0, 0, 0], 0.0, np.ones(3, dtype=bool))
    assert 0 in path.stack._trained_columns()
    assert all(path.support_of(m)[0] for m in range(3))
    violators, groups = path._check(0.01, np.arange(3))
    assert len(violators) == 0 and len(groups) == 0


def test_a_model_takes_up_only_columns_of_its_own_working_set():
    """Each model has its own working set: a column that the other models use (so the stack
    trains it) stays exactly zero in a model whose set leaves it out, whatever that model's
    mini-batch steps would do, until the model's own check finds it (here x0, which the
    square needs). A shared set would let a fold take up the columns that the models which
    saw its test rows fitted them with."""
    X, y = make_seed_problem("square", n_samples=200, n_features=6, random_state=0)
    folds = list(StratifiedKFold(2).split(X, y))
    dense = dense_fits(SparseMLPClassifier(**_SMALL), X, y, folds, sample_weight=None,
                       n_threads=1)
    path = WorkingSetPath(dense.stack, l1_ratio=0.0)
    with torch.no_grad():
        path.stack.module.view(path.stack.module.theta.detach(), "lin1.weight")[1, :, 0] = 0.0
    path.own = np.ones((3, 6), dtype=bool)
    path.own[1, 0] = False
    path._hold()
    path.stack.fit(0.01, 20, [0, 0, 0], 0.0, np.ones(3, dtype=bool))
    assert path.n_columns == 6  # the stack trains x0 for models 0 and 2
    assert path.support_of(0)[0] and path.support_of(2)[0]
    assert not path.lin1_of(1)[:, 0].any()
    violators, groups = path._check(0.01, np.arange(3))
    assert list(violators) == [1] and list(groups) == [0]
    path.fit(0.01, 20, [0, 0, 0], 0.0, np.ones(3, dtype=bool))
    assert path.own[1, 0] and path.support_of(1)[0]
    violators, groups = path._check(0.01, np.arange(3))
    assert len(violators) == 0 and len(groups) == 0


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # short fits
def test_screened_path_is_the_path_that_trains_every_column(monkeypatch):
    """Two informative columns among 30: the paths narrow to a few columns, and every
    model's support at every alpha, its epochs and its scores are those of the stack that
    trains all 30 (up to float rounding)."""
    X, y = make_seed_problem("circle", n_samples=240, n_features=30, random_state=0)
    X = X[:, np.roll(np.arange(30), 17)]  # the informative columns at 17 and 18, not first
    folds = list(StratifiedKFold(3).split(X, y))
    base = SparseMLPClassifier(**_SMALL)
    scoring = check_scoring(base)

    def run():
        dense = dense_fits(base, X, y, folds, sample_weight=None, n_threads=1)
        return cv_paths(dense, X, y, folds, alphas=np.geomspace(0.01, 0.5, 8),
                        path_multiplier=1.25, max_iter_per_alpha=20, max_drop_fraction=1.0,
                        relax_epochs=10, scorer=lambda model, test, _: float(
                            scoring(model, X[test], y[test])),
                        sample_weight=None, n_threads=1, verbose=False)

    widths = []
    fit = WorkingSetPath.fit

    def spy(self, *args):
        result = fit(self, *args)
        widths.append(self.n_columns)
        return result

    monkeypatch.setattr(WorkingSetPath, "fit", spy)
    screened = run()
    assert widths[0] == 30 and min(widths) <= 20  # it did narrow
    # the full-data model of every alpha is kept on the columns its stack trained only,
    # and loads at full width with each weight in its own column
    narrow = [columns is not None for columns, _, _ in screened._states]
    assert any(narrow) and len(narrow) == len(screened.path.alphas)
    for index, lin1 in enumerate(screened.path.lin1_weights):
        loaded = screened.estimator_at(index).net_.module_.lin1.weight.detach().numpy()
        np.testing.assert_array_equal(loaded, lin1)
    monkeypatch.setattr(_screening, "_ENABLED", False)
    widths.clear()
    full = run()
    assert set(widths) == {30}
    np.testing.assert_array_equal(screened.path.supports, full.path.supports)
    np.testing.assert_array_equal(screened.path.n_epochs, full.path.n_epochs)
    np.testing.assert_allclose(screened.path.train_loss, full.path.train_loss, rtol=1e-3)
    for mine, theirs in zip(screened.fold_results, full.fold_results, strict=True):
        np.testing.assert_array_equal(mine[1], theirs[1])  # features per alpha
        np.testing.assert_allclose(mine[0], theirs[0], atol=0.013)  # accuracy, rounding


def test_a_column_constant_in_a_models_rows_is_never_its_violation():
    """A column held at zero by one model (constant over its training rows) has a non-zero
    gradient there (its value times the bias's), but that model cannot move it: the check
    must not bring it back for that model (it would retrain it at every alpha)."""
    X, y = make_seed_problem("circle", n_samples=120, n_features=5, random_state=0)
    folds = list(KFold(2, shuffle=True, random_state=0).split(X))
    X[folds[0][0], 4] = 5.0  # constant over fold 0's training rows (model 1)
    dense = dense_fits(SparseMLPClassifier(**{**_SMALL, "max_iter": 3}), X, y, folds,
                       sample_weight=None, n_threads=1)
    assert dense.specs[1].held[4] and not dense.specs[0].held[4]
    path = WorkingSetPath(dense.stack, l1_ratio=0.0)
    _zero_columns(path.stack, [4])
    path._use(np.arange(4))
    raw = path.stack.lin1_gradient([4], [1])
    assert raw.norm() > 1e-3
    violators, groups = path._check(1e-6, np.array([1]))
    assert len(violators) == 0 and len(groups) == 0
    violators, groups = path._check(1e-6, np.array([0, 1, 2]))  # the others can move it
    assert 1 not in violators and list(groups) == [4]


@pytest.mark.parametrize("columns", [[], [1, 3]])
def test_compact_and_widen_states_round_trip_on_the_kept_columns(columns):
    """A relaxed refit's starting state is kept on its own columns only (even none): widened
    back, those columns hold their weights and optimizer moments, the others zeros."""
    from sklearn_sparse_mlp._stacked import _compact_state, _widen_state, split_flat

    module = SparseInputMLP(5, 2, (4,), "relu", torch.Generator().manual_seed(0))
    state = module.state_dict()
    n_params = sum(value.numel() for value in state.values())
    moments = {"steps": torch.tensor([3.0]), "exp_avg": torch.arange(float(n_params)),
               "exp_avg_sq": torch.arange(float(n_params)) + 0.5}
    wide_state, wide_moments = _widen_state(*_compact_state(state, moments, columns),
                                            columns, 5)
    kept = torch.zeros(5, dtype=torch.bool)
    kept[columns] = True
    lin1 = wide_state["lin1.weight"]
    torch.testing.assert_close(lin1[:, kept], state["lin1.weight"][:, kept])
    assert not lin1[:, ~kept].any()
    assert torch.equal(wide_state["output.weight"], state["output.weight"])
    for name in ("exp_avg", "exp_avg_sq"):
        before = split_flat(moments[name], state)["lin1.weight"]
        after = split_flat(wide_moments[name], wide_state)["lin1.weight"]
        torch.testing.assert_close(after[:, kept], before[:, kept])
        assert not after[:, ~kept].any()


def test_a_state_on_its_own_columns_moves_onto_a_wider_set_of_columns():
    """A relaxed refit's state, kept on its support's columns, goes straight onto the
    columns of its stack: each weight and moment in its own column, zeros in the others."""
    from sklearn_sparse_mlp._stacked import _compact_state, _move_state, split_flat

    module = SparseInputMLP(8, 2, (4,), "relu", torch.Generator().manual_seed(0))
    state = module.state_dict()
    own, columns = np.array([2, 5, 6]), np.array([0, 2, 3, 5, 6])
    outside = np.setdiff1d(np.arange(8), own)
    state["lin1.weight"][:, outside] = 0.0  # a refit holds the others at zero
    n_params = sum(value.numel() for value in state.values())
    moments = {"steps": torch.tensor([3.0]), "exp_avg": torch.arange(1.0, n_params + 1),
               "exp_avg_sq": torch.arange(1.0, n_params + 1) + 0.5}
    for name in ("exp_avg", "exp_avg_sq"):
        split_flat(moments[name], state)["lin1.weight"][:, outside] = 0.0
    moved = _move_state(*_compact_state(state, moments, own), own, columns)
    expected = _compact_state(state, moments, columns)
    for got, want in zip(moved, expected, strict=True):
        assert got.keys() == want.keys()
        for key in got:
            assert torch.equal(got[key], want[key]), key
