"""Stability selection: the bound, the pairs, the stacked paths against independent ones."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from joblib import parallel_backend
from sklearn.utils.validation import check_random_state

from sklearn_sparse_mlp import (
    SparseMLPClassifier,
    SparseMLPClassifierCV,
    SparseMLPRegressor,
    SparseMLPRegressorCV,
    StabilitySelection,
    pfer_bound,
    sparse_mlp_path,
    stability_parameters,
)
from sklearn_sparse_mlp._base import draw_seed
from sklearn_sparse_mlp._stability import (
    _halves,
    complementary_pairs,
    first_to_enter,
    unimodal_constant,
)
from sklearn_sparse_mlp.datasets import make_seed_problem, make_seed_regression

_SMALL = dict(hidden_layer_sizes=(16,), max_iter=200, tol=1e-3, warmup_epochs=10, ramp_epochs=10,
              n_iter_no_change=5, batch_size=64, random_state=0)
# a CV template sets a short grid
_SHORT_PATH = dict(alphas=8, path_multiplier=1.6, max_iter_per_alpha=10)


def test_unimodal_bound_against_hand_computed_cases():
    # cutoff <= 3/4: C = 2 (2 pi - 1 - 1/(2B)); B=50, pi=0.75: C = 2 * 0.49 = 0.98
    assert unimodal_constant(0.75, 50, 0.1) == pytest.approx(0.98)
    assert pfer_bound(10, 100, 0.75, 50) == pytest.approx(100 / (100 * 0.98))
    # cutoff > 3/4: C = (1 + 1/B) / (4 (1 - pi + 1/(2B))); B=50, pi=0.9: 1.02 / 0.44
    assert unimodal_constant(0.9, 50, 0.1) == pytest.approx(1.02 / 0.44)
    assert pfer_bound(5, 20, 0.9, 50) == pytest.approx(25 / (20 * 1.02 / 0.44))
    # B=10, pi=0.6: C = 2 (0.2 - 0.05) = 0.3, valid since 0.6 >= 0.5 + min(.0025, .05 + ..)
    assert pfer_bound(1, 20, 0.6, 10) == pytest.approx(1 / (20 * 0.3))
    # the cutoff must be at least 1/2 + min(theta^2, 1/(2B) + 3/4 theta^2): with theta=0.5
    # and B=50, 0.5 + min(0.25, 0.01 + 0.1875) = 0.6975
    with pytest.raises(ValueError, match="too low for the unimodal bound"):
        unimodal_constant(0.69, 50, 0.5)
    assert unimodal_constant(0.7, 50, 0.5) == pytest.approx(2 * (0.4 - 0.01))
    # theta so small that the cutoff passes the first condition, but C would be negative
    with pytest.raises(ValueError, match="needs more than 0.505"):
        unimodal_constant(0.501, 50, 0.01)
    with pytest.raises(ValueError, match="needs more than 0.75"):  # one pair: C = 0 at 3/4
        unimodal_constant(0.75, 1, 0.01)
    # above 3/4 the bound holds for any theta
    assert unimodal_constant(0.8, 50, 0.9) == pytest.approx(1.02 / (4 * 0.21))


def test_stability_parameters_derive_the_third_as_stabs_does():
    # cutoff and pfer -> the largest q with q^2 / (p C) <= pfer: p=100, B=50, C=.98:
    # q^2 <= 98 -> q = 9
    cutoff, q, bound = stability_parameters(100, 50, cutoff=0.75, pfer=1.0)
    assert (cutoff, q) == (0.75, 9) and bound == pytest.approx(81 / 98)
    # the defaults are cutoff=0.75 and pfer=1
    assert stability_parameters(100, 50) == (cutoff, q, bound)
    assert stability_parameters(100, 50, pfer=1.0) == (cutoff, q, bound)
    # q and pfer -> the smallest cutoff on the grid 1/2 + k/(2B) whose bound is below pfer:
    # q=10, p=100: needs C > 1, i.e. 2 (2 pi - 1.01) > 1 -> pi > 0.755 -> 0.76 (B=50)
    cutoff, q, bound = stability_parameters(100, 50, pfer=1.0, q=10)
    assert (cutoff, q) == (pytest.approx(0.76), 10)
    assert bound == pytest.approx(1.0 / (1.02 / (4 * (0.24 + 0.01))))
    assert bound < 1.0
    # q alone: cutoff=0.75 fills in, pfer is the bound
    cutoff, q, bound = stability_parameters(100, 50, q=10)
    assert (cutoff, q) == (0.75, 10) and bound == pytest.approx(100 / 98)
    with pytest.raises(ValueError, match="give two of them"):
        stability_parameters(100, 50, cutoff=0.8, pfer=1.0, q=3)
    with pytest.raises(ValueError, match="No q meets pfer=0.01"):
        stability_parameters(20, 50, cutoff=0.75, pfer=0.01)
    with pytest.raises(ValueError, match="No cutoff keeps the bound"):
        stability_parameters(10, 50, q=10, pfer=0.5)
    with pytest.raises(ValueError, match="more than the 10 features"):
        stability_parameters(10, 50, q=11, cutoff=0.9)


def test_complementary_pairs_split_every_row_once_per_pair_stratified():
    y = np.array([0] * 30 + [1] * 10)
    halves = complementary_pairs(y, 4, True, 0)
    assert len(halves) == 8
    for k in range(0, 8, 2):
        (a, b), (b2, a2) = halves[k], halves[k + 1]
        np.testing.assert_array_equal(a, a2)
        np.testing.assert_array_equal(b, b2)
        assert sorted(np.concatenate([a, b])) == list(range(40))
        assert len(a) == 20 and np.bincount(y[a]).tolist() == [15, 5]
    with pytest.raises(ValueError, match="n_samples=3"):
        complementary_pairs(np.arange(3), 2, False, 0)


def test_first_to_enter_ranks_by_leave_alpha_then_norm():
    leave = np.array([[0.5, np.inf, 0.2, 0.2, 0.1],
                      [0.1, 0.1, 0.1, 0.1, 0.1]])
    norms = np.array([[1.0, 2.0, 0.3, 0.5, 0.0],
                      [0.0, 0.0, 0.7, 0.0, 0.0]])
    selected = first_to_enter(leave, norms, 3)
    # half 0: inf, 0.5, then 0.2 with the larger norm; half 1 selected only feature 2
    assert selected.tolist() == [[True, True, False, True, False],
                                 [False, False, True, False, False]]


def _drawn_halves(X, y, n_pairs, random_state, classifier=True):
    """The halves StabilitySelection(random_state=random_state) draws (distinct rows)."""
    return _halves(X, y, None, n_pairs, classifier,
                   draw_seed(check_random_state(random_state)))[0]


@pytest.mark.parametrize("Estimator", [SparseMLPClassifier, SparseMLPRegressor])
def test_stability_scores_of_the_stack_are_those_of_independent_paths(Estimator):
    """Each half's stacked path is sparse_mlp_path on its rows with the same seed, on the
    full data's grid: the same support at every alpha."""
    if Estimator is SparseMLPClassifier:
        X, y = make_seed_problem("circle", n_samples=200, n_features=5, random_state=0)
    else:
        X, y = make_seed_regression(n_samples=200, n_features=5, random_state=0)
    template = (SparseMLPClassifierCV if Estimator is SparseMLPClassifier
                else SparseMLPRegressorCV)(**_SMALL, **_SHORT_PATH, feature_encoding=None)
    base = template._base_estimator()
    # the halves' own budget per alpha, not the template's (10, which sets the grid)
    selector = StabilitySelection(template, n_pairs=2, q=2, cutoff=0.75, random_state=3,
                                  max_iter_per_alpha=4)
    selector.fit(X, y)
    grid = selector.alphas_
    counts = np.zeros((X.shape[1], len(grid)))
    leave, norms = [], []
    for rows, _ in _drawn_halves(X, y, 2, 3, Estimator is SparseMLPClassifier):
        path = sparse_mlp_path(base, X[rows], y[rows], alphas=grid, max_iter_per_alpha=4)
        counts[:, : len(path.alphas)] += path.supports.T
        leave.append(path.feature_leave_alphas)
        norms.append(path.feature_last_norms)
    # float rounding (the stacked products sum in another order, in float32) may flip a
    # feature that sits at its threshold at an alpha of a half: the regressor's paths here
    # differ at 3 of 105 (feature, alpha) entries, by one half each
    differ = selector.stability_scores_ * 4 != counts
    assert differ.mean() <= 0.05 and np.abs(selector.stability_scores_ * 4 - counts).max() <= 1
    if Estimator is SparseMLPClassifier:
        np.testing.assert_array_equal(selector.stability_scores_ * 4, counts)
    np.testing.assert_array_equal(
        selector.selection_probabilities_,
        first_to_enter(np.array(leave), np.array(norms), 2).mean(axis=0))
    assert counts[:, 0].sum() > counts[:, -1].sum()  # the grid does select
    # each half keeps q=2: the circle's two features in all but one half (a noise
    # feature takes x0's place there for the classifier)
    assert selector.selection_probabilities_[[0, 1]].min() >= 0.75
    assert selector.selection_probabilities_.sum() == 2
    assert selector.get_support(indices=True).tolist() == [0, 1]
    assert selector.q_ == 2
    assert selector.pfer_bound_ == pytest.approx(4 / (5 * 2 * (2 * 0.75 - 1 - 0.25)))


def test_stability_selection_finds_the_seed_features_and_no_other():
    X, y = make_seed_problem("square", n_samples=400, n_features=20, random_state=1)
    template = SparseMLPClassifierCV(**_SMALL, **_SHORT_PATH)
    selector = StabilitySelection(template, n_pairs=10, random_state=0).fit(X, y)
    assert selector.get_support(indices=True).tolist() == [0, 1]
    assert selector.q_ == 4  # p=20, cutoff .75, pfer 1, B=10: q^2 <= 20 * 0.9
    assert selector.pfer_bound_ == pytest.approx(16 / 18)
    assert selector.transform(X).shape == (400, 2)
    assert selector.get_feature_names_out().tolist() == ["x0", "x1"]
    assert selector.stability_scores_.shape == (20, len(selector.alphas_))


def test_chunks_on_joblib_workers_give_the_same_selection():
    X, y = make_seed_problem("xor", n_samples=200, n_features=6, random_state=0)
    base = SparseMLPClassifierCV(**_SMALL, **_SHORT_PATH)
    one = StabilitySelection(base, n_pairs=2, random_state=0).fit(X, y)
    with parallel_backend("threading"):
        two = StabilitySelection(base, n_pairs=2, random_state=0, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(one.stability_scores_, two.stability_scores_)
    np.testing.assert_array_equal(one.selection_probabilities_,
                                  two.selection_probabilities_)
    with torch.inference_mode():  # the caller's mode does not reach the training
        three = StabilitySelection(base, n_pairs=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(one.stability_scores_, three.stability_scores_)


def test_sparse_input_sample_weights_and_a_cv_template():
    X, y = make_seed_problem("circle", n_samples=200, n_features=5, random_state=0)
    template = SparseMLPClassifierCV(**_SMALL, **_SHORT_PATH)
    dense = StabilitySelection(template, n_pairs=2, random_state=0).fit(X, y)
    assert dense.feature_encoding_ is None  # "auto" keeps the raw circle
    assert len(dense.alphas_) <= 8
    sparse = StabilitySelection(template, n_pairs=2, random_state=0).fit(sp.csr_matrix(X), y)
    np.testing.assert_array_equal(dense.stability_scores_, sparse.stability_scores_)
    # weight 2 on every row is the same fit; weight 0 removes rows from every half
    doubled = StabilitySelection(template, n_pairs=2, random_state=0).fit(
        X, y, sample_weight=np.full(len(y), 2.0))
    np.testing.assert_array_equal(dense.stability_scores_, doubled.stability_scores_)


def test_bad_templates_and_parameters_fail_with_the_fix():
    X, y = make_seed_problem("circle", n_samples=100, n_features=4, random_state=0)
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(ValueError, match="estimator must be a SparseMLPClassifier"):
        StabilitySelection(LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="groups=None"):
        StabilitySelection(SparseMLPClassifier(groups=[0, 0, 1, 1])).fit(X, y)
    with pytest.raises(ValueError, match="give two of them"):
        StabilitySelection(SparseMLPClassifier(), cutoff=0.8, pfer=1, q=2).fit(X, y)
    selector = StabilitySelection(SparseMLPClassifier(), n_pairs=2)
    with pytest.raises(ValueError, match="holds only class"):
        selector.fit(X, y, sample_weight=(y == 0).astype(float))
    assert not hasattr(selector, "support_")


def test_a_failing_refit_leaves_the_cv_estimator_and_the_selector_as_they_were(monkeypatch):
    import sklearn_sparse_mlp._cv as cv_module
    import sklearn_sparse_mlp._stability as stability_module

    X, y = make_seed_problem("circle", n_samples=200, n_features=5, random_state=0)
    cv = SparseMLPClassifierCV(**_SMALL, **_SHORT_PATH).fit(X, y)
    selector = StabilitySelection(cv, n_pairs=2, q=2, cutoff=0.75, random_state=0).fit(X, y)
    before = {est: dict(vars(est)) for est in (cv, selector)}

    def fails(*args, **kwargs):
        raise RuntimeError("late failure")

    # the last steps of each fit, after most attributes were set
    monkeypatch.setattr(cv_module, "find_near_duplicates", fails)
    monkeypatch.setattr(stability_module, "first_to_enter", fails)
    X2, y2 = make_seed_problem("xor", n_samples=200, n_features=7, random_state=1)
    for est in (cv, selector):
        with pytest.raises(RuntimeError, match="late failure"):
            est.fit(X2, y2)
        assert vars(est).keys() == before[est].keys()
        assert all(vars(est)[name] is value for name, value in before[est].items())
    assert cv.n_features_in_ == 5
    assert selector.transform(X).shape == (200, len(selector.get_support(indices=True)))


def test_verbose_reports_the_paths_and_the_selection(capsys):
    X, y = make_seed_problem("circle", n_samples=200, n_features=5, random_state=0)
    template = SparseMLPClassifierCV(**_SMALL, **_SHORT_PATH, feature_encoding=None)
    selector = StabilitySelection(template, n_pairs=2, q=2, cutoff=0.75, random_state=0,
                                  verbose=1).fit(X, y)
    captured = capsys.readouterr()
    assert "alpha path" in captured.err and "stability paths" in captured.err
    assert (f"StabilitySelection: {len(selector.get_support(indices=True))} of 5 features "
            f"selected by at least 0.75 of the 4 halves (q=2 each); expected false "
            f"selections <= {selector.pfer_bound_:.3g}") in captured.out


def test_a_single_fit_template_walks_the_grid_as_its_cv_twin_by_default():
    """A SparseMLPRegressor template's grid is SparseMLPRegressorCV's with that estimator's
    defaults (5 epochs per alpha, where the CV classifier walks 25)."""
    X, y = make_seed_regression(n_samples=160, n_features=5, random_state=0)
    single = StabilitySelection(SparseMLPRegressor(**_SMALL), n_pairs=2, q=2,
                                random_state=0).fit(X, y)
    twin = StabilitySelection(SparseMLPRegressorCV(feature_encoding=None, **_SMALL),
                              n_pairs=2, q=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(single.alphas_, twin.alphas_)
    np.testing.assert_array_equal(single.stability_scores_, twin.stability_scores_)
    slow = StabilitySelection(SparseMLPRegressorCV(feature_encoding=None,
                                                   max_iter_per_alpha=25, **_SMALL),
                              n_pairs=2, q=2, random_state=0).fit(X, y)
    assert not np.array_equal(slow.alphas_, single.alphas_)
