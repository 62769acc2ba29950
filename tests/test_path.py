import warnings

import numpy as np
import pytest
import torch
from _grid import grid_strides
from _warning_filters import ALPHA_NOT_REACHED, MAX_ITER_REACHED
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback

from sklearn_sparse_mlp import (
    SparseMLPClassifier,
    SparseMLPRegressor,
    drop_one_alphas,
    sparse_mlp_path,
)
from sklearn_sparse_mlp._path import _AlphaGrid, default_alpha_start, relaxed_refit
from sklearn_sparse_mlp.datasets import make_seed_problem, make_seed_regression

# The paths' dense fits are kept short (max_iter=5 to 120) for speed, and the default
# max_iter=300 does not settle the dense fit of circle_path either: whether a dense fit
# converged is not what these tests check.
pytestmark = MAX_ITER_REACHED


@pytest.fixture(scope="module")
def circle_path():
    X, y = make_seed_problem("circle", n_samples=600, random_state=0)
    X, y, X_test, y_test = X[:400], y[:400], X[400:], y[400:]
    path = sparse_mlp_path(SparseMLPClassifier(random_state=0), X, y,
                           X_valid=X_test, y_valid=y_test)
    return path, X, y


def test_path_goes_from_dense_to_empty(circle_path):
    path, X, y = circle_path
    assert path.n_features[0] == 10
    assert path.n_features[-1] == 0
    assert np.all(np.diff(path.alphas) > 0)
    # three grid steps at once while every feature is kept, single steps once they leave
    # (too few features for a step that drops none to be slow)
    full = np.minimum.accumulate(path.n_features[:-1]) == 10
    np.testing.assert_allclose(path.alphas[1:][full] / path.alphas[:-1][full], 1.25**3)
    np.testing.assert_allclose(path.alphas[1:][~full] / path.alphas[:-1][~full], 1.25)
    assert full[0] and not full.all()
    assert path.alphas[0] == pytest.approx(path.alpha_start)
    assert len(path.lin1_weights) == len(path.module_states) == len(path.alphas)
    assert path.valid_scores.shape == path.alphas.shape
    # informative features stay longest; a noise feature never outlives them
    assert path.feature_leave_alphas[[0, 1]].min() > path.feature_leave_alphas[2:].max()
    # each recorded support is what the recorded weights say
    for support, W in zip(path.supports, path.lin1_weights, strict=True):
        np.testing.assert_array_equal(support, (W != 0).any(axis=0))


def _assert_refined(path, max_drop_fraction, strides):
    """Each step of ``path`` is its grid's stride (in powers of 1.25) halved 0 to 3 times;
    a step drops at most ``max_drop_fraction`` of the features kept before it (or one
    feature) unless it is the smallest step."""
    halvings = np.log2(strides * np.log(1.25) / np.log(path.alphas[1:] / path.alphas[:-1]))
    np.testing.assert_allclose(halvings, np.round(halvings), atol=1e-6)
    assert halvings.min() > -1e-6 and halvings.max() < 3 + 1e-6
    kept = path.n_features[:-1]
    too_many = kept - path.n_features[1:] > np.maximum(1, max_drop_fraction * kept)
    np.testing.assert_allclose(halvings[too_many], 3)


def test_path_refines_the_steps_that_drop_many_features():
    """Where a step of the grid drops many features it is undone (the model, its optimizer,
    its history and its seeds go back) and halved: the refined path is exactly the path
    walked on its alphas given, and fewer features leave together."""
    X, y = make_seed_problem("xor", n_samples=300, n_features=12, random_state=3)
    est = SparseMLPClassifier(hidden_layer_sizes=(16,), max_iter=80,
                              random_state=np.random.RandomState(0))
    coarse = sparse_mlp_path(est, X, y, max_drop_fraction=1.0, max_iter_per_alpha=20)
    fine = sparse_mlp_path(est, X, y, max_drop_fraction=0.2, max_iter_per_alpha=20)
    drops = coarse.n_features[:-1] - coarse.n_features[1:]
    assert np.any(drops > np.maximum(1, 0.2 * coarse.n_features[:-1]))  # jumps to refine
    _assert_refined(fine, 0.2, grid_strides(fine.alphas, fine.n_features, 12))
    assert np.any(fine.alphas[1:] / fine.alphas[:-1] < 1.2)
    given = sparse_mlp_path(est, X, y, alphas=fine.alphas, max_iter_per_alpha=20)
    np.testing.assert_array_equal(given.supports, fine.supports)
    np.testing.assert_array_equal(given.train_loss, fine.train_loss)
    np.testing.assert_array_equal(given.n_epochs, fine.n_epochs)  # undone fits left none
    for W, V in zip(given.lin1_weights, fine.lin1_weights, strict=True):
        np.testing.assert_array_equal(W, V)
    assert (len(np.unique(fine.feature_leave_alphas))
            > len(np.unique(coarse.feature_leave_alphas)))


def test_path_has_an_alpha_with_exactly_the_true_support(circle_path):
    path, _, _ = circle_path
    exact = [i for i, s in enumerate(path.supports) if np.flatnonzero(s).tolist() == [0, 1]]
    assert exact
    assert max(path.valid_scores[i] for i in exact) >= 0.93


def test_estimator_at_rebuilds_the_model(circle_path):
    path, X, y = circle_path
    i = int(np.argmin(np.abs(path.n_features - 2)))
    est = path.estimator_at(i)
    assert est.alpha == pytest.approx(path.alphas[i])
    np.testing.assert_array_equal(est.get_support(), path.supports[i])
    np.testing.assert_array_equal(est.net_.module_.lin1.weight.detach().numpy(),
                                  path.lin1_weights[i])
    assert est.score(X, y) > 0.8


def test_default_alpha_start_is_derived_from_the_data():
    """Scaling y's informativeness changes the start: it is no hand-tuned constant."""
    X, y = make_seed_problem("circle", n_samples=300, random_state=0)
    clf = SparseMLPClassifier(alpha=0.0, random_state=0, max_iter=100).fit(X, y)
    drop = drop_one_alphas(clf, X, y)
    assert drop.shape == (10,)
    assert drop[[0, 1]].min() > drop[2:].max()  # informative features cost most to drop
    start = default_alpha_start(drop)
    assert start == pytest.approx(max(drop.min(), 1e-3 * drop.max()))
    assert default_alpha_start(np.array([np.inf, np.inf])) == 1e-3


def test_grid_takes_longer_steps_where_the_path_drifts_slowly():
    """Three grid steps at once until a feature leaves, then two after each step that
    dropped fewer than 3% of the features kept before it per grid step where that is at
    least two features, one otherwise; the number of alphas counts steps, not grid steps."""
    rng = np.random.RandomState(0)
    X, y = rng.uniform(-1, 1, (60, 200)), np.tile([0, 1], 30)
    dense = SparseMLPClassifier(alpha=0.0, hidden_layer_sizes=(4,), max_iter=3,
                                random_state=0).fit(X, y)
    grid = _AlphaGrid(14, 1.25, dense, X, y)
    assert grid.n_dense == 200
    alphas = []
    # (features kept at each alpha, the stride of the step that follows it): the step where
    # the first features leave is not slow; a step after which features came back is; 3%
    # of 64 features is less than two, so a step that drops none is not slow there; 11 of
    # 190 in two grid steps is under 3% of the features kept before (11.4), not after (10.7)
    for (kept, stride), alpha in zip([(200, 3), (199, 1), (193, 1), (190, 2), (179, 2),
                                      (160, 1), (150, 1), (150, 2), (67, 1), (67, 2), (69, 2),
                                      (64, 1), (64, 1), (60, 1)], grid, strict=False):
        alphas.append(alpha)
        assert grid.advance(kept)
        assert grid.alpha == pytest.approx(alpha * 1.25**stride)
    assert list(grid) == [] and len(alphas) == 14
    assert alphas[0] == grid.alpha_start
    # refined steps: the drop is per grid step actually taken (half of a halved stride 2)
    grid = _AlphaGrid(14, 1.25, dense, X, y, max_drop_fraction=0.2)
    # (features kept, whether the step is accepted, the next alpha in grid steps from the
    # last accepted one)
    script = [(200, True, 3), (190, True, 1), (186, True, 2), (120, False, 1),
              (178, True, 1),  # 8 dropped in one grid step: not under 3% of 186 (5.6)
              (40, False, 0.5), (175, True, 1),  # 3 in half a grid step: not under 2.67
              (169, True, 1), (168, True, 2)]
    accepted = next(iter(grid))
    for kept, accept, steps in script:
        assert grid.advance(kept) is accept
        if accept:
            accepted = grid.previous
        assert grid.alpha == pytest.approx(accepted * 1.25**steps)


def test_given_alphas_are_used_sorted():
    X, y = make_seed_problem("circle", n_samples=200, random_state=0)
    path = sparse_mlp_path(SparseMLPClassifier(random_state=0, max_iter=80), X, y,
                           alphas=[0.2, 0.01, 0.05, 0.01], stop_when_empty=False)
    np.testing.assert_allclose(path.alphas, [0.01, 0.05, 0.2])  # sorted, once each
    assert path.valid_scores is None


def test_models_taken_from_the_path_have_the_template_parameters_and_history():
    X, y = make_seed_problem("circle", n_samples=150, random_state=0)
    template = SparseMLPClassifier(random_state=0, max_iter=70, warmup_epochs=20,
                                   ramp_epochs=10)
    path = sparse_mlp_path(template, X, y, alphas=[0.01, 0.05, 0.2], max_iter_per_alpha=4,
                           stop_when_empty=False)
    expected = dict(template.get_params(), alpha=0.05)
    taken = path.estimator_at(1)
    assert taken.get_params() == expected  # not the path's max_iter=4, warm-up 0
    assert path.estimator.get_params() == dict(expected, alpha=0.2)
    # the history ends with the alpha taken
    assert taken.n_iter_ == path.n_epochs[1] == len(taken.loss_curve_)
    assert path.n_epochs[0] < path.n_epochs[1] < path.n_epochs[2] == path.estimator.n_iter_
    assert path.n_epochs[2] - path.n_epochs[1] <= 4


def test_relaxed_refits_keep_the_support_and_undo_the_shrinkage():
    X, y = make_seed_problem("circle", n_samples=500, random_state=0)
    X, y, X_valid, y_valid = X[:300], y[:300], X[300:], y[300:]
    path = sparse_mlp_path(SparseMLPClassifier(random_state=0, max_iter=80), X, y,
                           alphas=[0.2, 0.21, 0.3], X_valid=X_valid, y_valid=y_valid,
                           relax_epochs=30, stop_when_empty=False)
    assert len(path.relaxed_states) == 3
    for i in range(3):
        relaxed, penalised = path.estimator_at(i, relaxed=True), path.estimator_at(i)
        np.testing.assert_array_equal(relaxed.get_support(), path.supports[i])
        kept = path.supports[i]
        assert kept.any()
        # without the penalty the kept columns grow back
        assert (relaxed.feature_importances_[kept].sum()
                > penalised.feature_importances_[kept].sum())
        assert relaxed.score(X_valid, y_valid) == pytest.approx(path.valid_scores[i])
    # the relaxed refit depends on the support only: one refit per distinct support
    for i in range(2):
        if np.array_equal(path.supports[i], path.supports[i + 1]):
            assert path.valid_scores[i] == path.valid_scores[i + 1]
            for key, value in path.relaxed_states[i].items():
                assert torch.equal(value, path.relaxed_states[i + 1][key])
    plain = sparse_mlp_path(SparseMLPClassifier(random_state=0, max_iter=80), X, y,
                            alphas=[0.2], stop_when_empty=False)
    with pytest.raises(ValueError, match="relax_epochs > 0"):
        plain.estimator_at(0, relaxed=True)


def test_relaxed_refit_trains_without_weight_decay_and_restores_it():
    X, y = make_seed_problem("circle", n_samples=200, random_state=0)
    clf = SparseMLPClassifier(alpha=0.1, max_iter=80, random_state=0, weight_decay=0.05)
    clf.fit(X, y)
    seen = []

    class Spy(Callback):
        def on_epoch_begin(self, net, **kwargs):
            seen.append([group["weight_decay"] for group in net.optimizer_.param_groups])

    clf.net_.callbacks_.append(("spy", Spy()))
    relaxed = relaxed_refit(clf, X, y, epochs=3)
    assert seen and all(decay == 0.0 for decays in seen for decay in decays)
    restored = [group["weight_decay"] for group in relaxed.net_.optimizer_.param_groups]
    # lin1.weight never decays; the later weights and the biases do again
    assert sorted(restored) == [0.0, 0.05, 0.05]
    np.testing.assert_array_equal(relaxed.get_support(), clf.get_support())


@ALPHA_NOT_REACHED
def test_relaxed_refit_leaves_the_original_and_its_history_untouched():
    X, y = make_seed_problem("circle", n_samples=200, random_state=0)
    clf = SparseMLPClassifier(alpha=0.1, max_iter=30, random_state=0).fit(X, y)
    n_epochs = len(clf.net_.history)
    first_epoch = dict(clf.net_.history[0])
    weight = clf.net_.module_.lin1.weight.detach().clone()
    relaxed = relaxed_refit(clf, X, y, epochs=5)
    assert len(clf.net_.history) == n_epochs
    assert len(relaxed.net_.history) > n_epochs  # the copy carries the history on
    assert relaxed.net_.history[:n_epochs] == clf.net_.history[:n_epochs]
    assert relaxed.net_.history_ is not clf.net_.history_
    relaxed.net_.history[0]["batches"][0]["train_loss"] = -1.0  # a deep copy, not a view
    assert clf.net_.history[0] == first_epoch
    assert torch.equal(clf.net_.module_.lin1.weight, weight)
    assert not torch.equal(relaxed.net_.module_.lin1.weight, weight)


@ALPHA_NOT_REACHED
def test_relaxed_refit_copies_a_history_that_pickle_cannot():
    X, y = make_seed_problem("circle", n_samples=100, random_state=0)
    clf = SparseMLPClassifier(alpha=0.1, max_iter=5, random_state=0).fit(X, y)
    clf.net_.history.record("callback_note", lambda: 1)  # a user callback's record
    relaxed = relaxed_refit(clf, X, y, epochs=2)
    assert len(relaxed.net_.history) == len(clf.net_.history) + 2
    assert relaxed.net_.history[4]["callback_note"]() == 1


def test_relaxed_refit_on_a_given_support_trains_a_dropped_feature():
    X, y = make_seed_problem("circle", n_samples=500, random_state=1)
    X, y, X_test, y_test = X[:300], y[:300], X[300:], y[300:]
    clf = SparseMLPClassifier(alpha=0.1, max_iter=120, random_state=0).fit(X, y)
    support = clf.get_support()
    assert support[[0, 1]].all() and not support.all()
    wanted = support.copy()
    wanted[1] = False  # swap x1 (needed) for a noise feature the model had dropped
    wanted[np.flatnonzero(~support)[0]] = True
    relaxed = relaxed_refit(clf, X, y, epochs=40, support=wanted)
    np.testing.assert_array_equal(relaxed.get_support(), wanted)
    np.testing.assert_array_equal(clf.get_support(), support)  # untouched
    # without x1 the circle cannot be learned: the swap really changed the model
    assert relaxed.score(X_test, y_test) < clf.score(X_test, y_test) - 0.1


def test_bad_arguments_fail_before_the_dense_fit(monkeypatch):
    X, y = make_seed_problem("circle", n_samples=100, random_state=0)

    def no_fit(self, X, y):
        raise AssertionError("the dense fit ran")

    monkeypatch.setattr(SparseMLPClassifier, "fit", no_fit)
    with pytest.raises(ValueError, match="both X_valid and y_valid"):
        sparse_mlp_path(SparseMLPClassifier(), X, y, X_valid=X)
    for alphas in ([-1.0, 0.1], [], [0.1, np.nan], 0):
        with pytest.raises(ValueError, match="alphas must be"):
            sparse_mlp_path(SparseMLPClassifier(), X, y, alphas=alphas)
    with pytest.raises(ValueError, match="'scoring'.*Got 'bogus'"):
        sparse_mlp_path(SparseMLPClassifier(), X, y, X_valid=X, y_valid=y, scoring="bogus")


def test_drop_one_alphas_needs_a_fitted_estimator():
    from sklearn.exceptions import NotFittedError

    X, y = make_seed_problem("circle", n_samples=50, random_state=0)
    with pytest.raises(NotFittedError):
        drop_one_alphas(SparseMLPClassifier(), X, y)


def test_drop_one_alphas_takes_the_targets_as_given_to_fit():
    X, y = make_seed_problem("circle", n_samples=150, random_state=0)
    params = dict(alpha=0.0, max_iter=30, warmup_epochs=0, ramp_epochs=0, random_state=0)
    labels = np.array(["inside", "outside"])[y]
    clf = SparseMLPClassifier(**params).fit(X, labels)
    alphas = drop_one_alphas(clf, X, labels)
    assert set(np.argsort(-alphas)[:2]) == {0, 1}
    with pytest.raises(ValueError, match=r"y has labels \[0, 1\] the estimator was not fitted"):
        drop_one_alphas(clf, X, y)
    with pytest.raises(ValueError, match="X has 4 features"):
        drop_one_alphas(clf, X[:, :4], labels)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        drop_one_alphas(clf, X[:100], labels, max_samples=50)
    import scipy.sparse as sp

    np.testing.assert_allclose(drop_one_alphas(clf, sp.coo_matrix(X), labels), alphas,
                               rtol=1e-5)
    target = 3 * X[:, 0] - X[:, 1]
    reg = SparseMLPRegressor(**params).fit(X, target)
    one_d = drop_one_alphas(reg, X, target)
    # a 1-d y was broadcast against the (n, 1) output: feature 0 then scored 0
    np.testing.assert_array_equal(one_d, drop_one_alphas(reg, X, target[:, None]))
    assert np.argmax(one_d) == 0
    with pytest.raises(ValueError, match="y has 2 outputs, but SparseMLPRegressor was fitted"):
        drop_one_alphas(reg, X, np.c_[target, target])


def test_relaxed_refit_support_as_indices_or_mask():
    X, y = make_seed_problem("circle", n_samples=100, random_state=0)
    clf = SparseMLPClassifier(alpha=0.0, max_iter=5, random_state=0).fit(X, y)
    by_index = relaxed_refit(clf, X, y, epochs=2, support=np.array([0, 1, 2]))
    mask = np.isin(np.arange(10), [0, 1, 2])
    np.testing.assert_array_equal(by_index.get_support(), mask)
    by_mask = relaxed_refit(clf, X, y, epochs=2, support=mask)
    np.testing.assert_array_equal(by_mask.predict_proba(X), by_index.predict_proba(X))
    for support, message in [(np.array([True, False]), "mask of shape \\(2,\\)"),
                             (np.array([0.5]), "boolean mask .* or an array of column indices"),
                             (np.array([10]), "indices outside \\[0, 10\\)"),
                             (mask.astype(int), "repeats column indices.*astype\\(bool\\)")]:
        with pytest.raises(ValueError, match=message):
            relaxed_refit(clf, X, y, epochs=2, support=support)
    assert not relaxed_refit(clf, X, y, epochs=2, support=[]).get_support().any()


def test_relaxed_refit_of_an_estimator_changed_since_its_fit(capsys):
    X, y = make_seed_problem("circle", n_samples=100, random_state=0)
    clf = SparseMLPClassifier(alpha=0.0, max_iter=5, random_state=0).fit(X, y)
    clf.set_params(verbose=1, hidden_layer_sizes=(3,))  # the refit continues the (64,) net
    relaxed = relaxed_refit(clf, X, y, epochs=2, support=[0, 1])
    assert "train_loss" in capsys.readouterr().out
    assert relaxed.hidden_layer_sizes == (3,) and relaxed.net_.module_.lin1.out_features == 64
    names = [name for name, _ in relaxed.net_.callbacks_]
    assert "fixed_support" not in names and names[-1] == "print_log"
    # the copy trains freely afterwards: the mask is gone
    relaxed.set_params(hidden_layer_sizes=(64,), warm_start=True, max_iter=5).fit(X, y)
    assert relaxed.get_support().all()


def test_path_with_a_short_dense_fit_applies_each_alpha_in_full():
    # the dense fit ends (max_iter=5) before its penalty schedule would (warmup 10 + ramp 10):
    # the path's fits must still run at full alpha from their first epoch
    X, y = make_seed_problem("circle", n_samples=150, random_state=0)
    estimator = SparseMLPClassifier(max_iter=5, warmup_epochs=10, ramp_epochs=10,
                                    random_state=0)
    path = sparse_mlp_path(estimator, X, y, alphas=[1.0, 2.0], max_iter_per_alpha=5,
                           stop_when_empty=False)
    history = path.estimator.net_.history
    applied = [row["alpha"] for row in history[5:]]
    assert applied[0] == 1.0 and set(applied) <= {1.0, 2.0}


def test_continuing_a_model_from_the_path_keeps_its_alpha_and_the_relaxed_refit_may_stop():
    # the dense fit (max_iter=20) ends before its schedule (warm-up 30 + ramp 30) would
    X, y = make_seed_problem("circle", n_samples=150, random_state=0)
    template = SparseMLPClassifier(random_state=0, max_iter=20, warmup_epochs=30,
                                   ramp_epochs=30, n_iter_no_change=2, tol=10.0)
    path = sparse_mlp_path(template, X, y, alphas=[0.05, 0.1, 0.3], max_iter_per_alpha=5,
                           stop_when_empty=False)
    model = path.estimator_at(2)
    assert model.n_iter_ < 60
    model.set_params(warm_start=True, max_iter=3).fit(X, y)
    assert model.net_.history[-3:, "alpha"] == pytest.approx([0.3] * 3)  # not a new ramp
    # the relaxed refit has no penalty, hence no schedule: with tol=10 it stops at once
    before = path.estimator_at(2)
    relaxed = relaxed_refit(before, X, y, epochs=40)
    assert relaxed.n_iter_ - before.n_iter_ <= 3
    assert (relaxed.warmup_epochs, relaxed.ramp_epochs) == (30, 30)


def test_public_functions_validate_their_parameters():
    from sklearn.utils._param_validation import InvalidParameterError

    from sklearn_sparse_mlp import drop_one_alphas
    from sklearn_sparse_mlp._path import relaxed_refit

    X, y = make_seed_problem("circle", n_samples=60, random_state=0)
    with pytest.raises(InvalidParameterError, match="'path_multiplier'.*Got 0.5"):
        sparse_mlp_path(SparseMLPClassifier(), X, y, path_multiplier=0.5)
    with pytest.raises(InvalidParameterError, match="'max_iter_per_alpha'"):
        sparse_mlp_path(SparseMLPClassifier(), X, y, max_iter_per_alpha=0)
    with pytest.raises(InvalidParameterError, match="'max_drop_fraction'.*Got 0"):
        sparse_mlp_path(SparseMLPClassifier(), X, y, max_drop_fraction=0)
    with pytest.raises(InvalidParameterError, match="'estimator'"):
        sparse_mlp_path("SparseMLPClassifier", X, y)
    fitted = SparseMLPClassifier(max_iter=2, warmup_epochs=0, ramp_epochs=0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'max_samples'"):
        drop_one_alphas(fitted, X, y, max_samples=0)
    with pytest.raises(InvalidParameterError, match="'epochs'"):
        relaxed_refit(fitted, X, y, epochs=0)


def test_a_regressors_relaxed_refit_trains_slower_and_keeps_its_parameters():
    X, y = make_seed_regression(n_samples=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # short budgets, on purpose
        reg = SparseMLPRegressor(alpha=0.15, max_iter=60, random_state=0).fit(X, y)
        relaxed = relaxed_refit(reg, X, y, 20)
    # trained at 0.3 times the rate (the optimizer keeps it), with twice the patience
    assert relaxed.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(3e-3)
    assert relaxed.get_params() == reg.get_params()  # the estimator's own parameters back
    assert reg.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-2)
