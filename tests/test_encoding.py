"""Per-feature encodings (feature_encoding): features still drop out whole."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from _warning_filters import MAX_ITER_REACHED, SHORT_GRID
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectFromModel
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_sparse_mlp import (
    DataAdviceWarning,
    SparseMLPClassifier,
    SparseMLPClassifierCV,
    SparseMLPRegressor,
    drop_one_alphas,
    sparse_mlp_path,
)
from sklearn_sparse_mlp.datasets import make_seed_problem, make_seed_regression
from sklearn_sparse_mlp.plotting import plot_path


def _ring(n_samples=600, n_features=8, random_state=0):
    """A narrow annulus of x0, x1 among uniform noise features: no linear or marginal signal."""
    rng = np.random.RandomState(random_state)
    X = rng.uniform(size=(n_samples, n_features))
    y = (np.abs(np.hypot(X[:, 0] - 0.5, X[:, 1] - 0.5) - 0.35) <= 0.115).astype(int)
    return X, y


@pytest.mark.parametrize("encoding, n_columns", [("spline", 8), ("piecewise_linear", 8),
                                                 ("periodic", 6)])
def test_an_encoded_feature_drops_out_with_all_its_columns(encoding, n_columns):
    X, y = _ring()
    clf = SparseMLPClassifier(alpha=0.02, feature_encoding=encoding, random_state=0).fit(X, y)
    W = clf.net_.module_.lin1.weight.detach().numpy()
    assert W.shape[1] == X.shape[1] * n_columns and clf.n_features_in_ == X.shape[1]
    per_feature = W.reshape(W.shape[0], X.shape[1], n_columns)
    zero = (per_feature == 0).all(axis=(0, 2))
    assert not (per_feature[:, ~zero] == 0).all(axis=(0, 2)).any()
    np.testing.assert_array_equal(clf.get_support(), ~zero)
    assert clf.feature_importances_.shape == (X.shape[1],)
    np.testing.assert_array_equal(clf.feature_importances_ > 0, ~zero)
    if encoding != "periodic":  # the ring is not periodic in [0, 1]
        assert set(np.argsort(-clf.feature_importances_)[:2]) == {0, 1}


def test_spline_encoding_finds_the_ring_that_the_raw_features_miss():
    X, y = _ring(n_samples=800)
    X_train, y_train, X_test, y_test = X[:600], y[:600], X[600:], y[600:]
    encoded = SparseMLPClassifier(alpha=0.02, feature_encoding="spline", random_state=0)
    encoded.fit(X_train, y_train)
    assert encoded.get_support(indices=True).tolist() == [0, 1]
    assert encoded.score(X_test, y_test) > 0.85
    # the raw features memorise, then the penalty empties the model, and says so
    with pytest.warns(DataAdviceWarning, match="alpha=0.02 dropped every feature"):
        raw = SparseMLPClassifier(alpha=0.02, random_state=0).fit(X_train, y_train)
    assert raw.score(X_test, y_test) < 0.7
    # SelectFromModel keeps the encoded estimator's features, as input columns
    selector = SelectFromModel(encoded, prefit=True)
    assert selector.transform(X_test).shape == (len(X_test), 2)


def test_encoded_columns_are_centred_so_a_wide_dense_fit_trains():
    """The B-spline columns are centred on their training means. Uncentred (all >= 0, each
    feature's summing to 1), the dense fit of this wide ring (the selection benchmark's
    ring128, split 1) died into a constant predictor: every drop-one alpha 0, no path."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(1000, 128))
    informative = rng.choice(128, 2, replace=False)
    Z = X[:, informative]
    y = (np.abs(np.hypot(Z[:, 0] - 0.5, Z[:, 1] - 0.5) - 0.35) <= 0.115).astype(int)
    X, _, y, _ = train_test_split(X, y, test_size=0.3, stratify=y, random_state=1)
    X = MinMaxScaler().fit_transform(X)
    dense = SparseMLPClassifier(alpha=0.0, feature_encoding="spline", n_iter_no_change=5,
                                random_state=1).fit(X, y)
    encoded = dense._encoded(X)
    np.testing.assert_allclose(encoded.mean(axis=0), 0.0, atol=1e-6)
    np.testing.assert_allclose(encoded + dense.encoder_["centre"].mean_,
                               dense.encoder_["spline"].transform(X), atol=1e-6)
    assert dense.score(X, y) > 0.95
    assert np.all(drop_one_alphas(dense, X, y)[informative] > 0)


def test_groups_of_features_with_an_encoding_drop_together():
    X, y = make_seed_problem("circle", n_samples=600, random_state=0)
    groups = [0, 1, 2, 2, 2, 2, 3, 3, 3, 3]
    clf = SparseMLPClassifier(alpha=0.05, groups=groups, feature_encoding="spline",
                              random_state=0).fit(X, y)
    support = clf.get_support()
    for g in set(groups):
        members = support[np.array(groups) == g]
        assert members.all() or not members.any()
    assert support[:2].all() and not support[2:].any()


def test_sparse_input_and_a_changed_encoding_are_refused_with_the_fix():
    X, y = make_seed_problem("circle", n_samples=100, random_state=0)
    clf = SparseMLPClassifier(feature_encoding="spline", max_iter=2)
    assert not clf.__sklearn_tags__().input_tags.sparse
    assert SparseMLPClassifier().__sklearn_tags__().input_tags.sparse
    with pytest.raises(ValueError, match=r"need dense X.*feature_encoding=None.*toarray"):
        clf.fit(sp.csr_matrix(X), y)
    with pytest.raises(ValueError, match=r"^SparseMLPClassifierCV: the spline encodings"):
        SparseMLPClassifierCV(feature_encoding="spline").fit(sp.csr_matrix(X), y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
        with pytest.raises(ValueError, match="need dense X"):
            clf.predict(sp.csr_matrix(X))
        clf.set_params(warm_start=True, feature_encoding=None)
        # prediction keeps the fitted encoding; training on refuses to drop or swap it
        np.testing.assert_array_equal(clf.predict(X), clf.set_params(warm_start=False)
                                      .set_params(warm_start=True).predict(X))
        with pytest.raises(ValueError, match="trained with feature_encoding='spline'; set "
                                             "warm_start=False"):
            clf.fit(X, y)
        clf.set_params(feature_encoding="periodic")
        with pytest.raises(ValueError, match="trained with feature_encoding='spline'"):
            clf.fit(X, y)
        with pytest.raises(ValueError, match="trained with feature_encoding='spline'"):
            clf.partial_fit(X, y)


def test_path_drop_one_alphas_and_cv_are_per_input_feature():
    X, y = _ring(n_samples=500, n_features=6)
    template = SparseMLPClassifier(feature_encoding="spline", random_state=0)
    dense = template.set_params(alpha=0.0).fit(X, y)
    alphas = drop_one_alphas(dense, X, y)
    assert alphas.shape == (6,) and set(np.argsort(-alphas)[:2]) == {0, 1}
    path = sparse_mlp_path(template, X, y, alphas=[0.005, 0.02, 0.1])
    assert path.supports.shape == (3, 6) and path.feature_leave_alphas.shape == (6,)
    np.testing.assert_array_equal(path.estimator_at(1).get_support(), path.supports[1])
    cv = SparseMLPClassifierCV(cv=3, feature_encoding="spline", random_state=0).fit(X, y)
    assert set(np.argsort(-cv.feature_importances_)[:2]) == {0, 1}
    assert cv.get_support().shape == (6,) and cv.best_estimator_.encoder_ is not None


# as in test_common: the checks' tiny fits give advice that is asserted elsewhere
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore::sklearn_sparse_mlp.DataAdviceWarning")
@parametrize_with_checks([SparseMLPClassifier(feature_encoding="spline", max_iter=50),
                          SparseMLPRegressor(feature_encoding="spline", max_iter=50)])
def test_sklearn_compatible_with_an_encoding(estimator, check):
    check(estimator)


def test_regression_twin_with_piecewise_linear_encoding():
    X, y = make_seed_regression(n_samples=800, random_state=0)
    reg = SparseMLPRegressor(alpha=0.3, feature_encoding="piecewise_linear", random_state=0)
    reg.fit(X[:600], y[:600])
    assert reg.get_support(indices=True).tolist() == [0, 1]
    assert reg.score(X[600:], y[600:]) > 0.8


@MAX_ITER_REACHED
@SHORT_GRID
def test_cv_penalises_each_encoded_feature_as_one_group():
    """At every alpha of the CV's paths a feature's encoded columns are all zero or none is
    (a group per column would zero some of them), also with groups of features."""
    X, y = _ring(n_samples=300, n_features=4)
    for groups in (None, [0, 0, 1, 2]):
        cv = SparseMLPClassifierCV(cv=2, feature_encoding="spline", groups=groups,
                                   random_state=0, alphas=6, max_iter=80).fit(X, y)
        for W, support in zip(cv.path_.lin1_weights, cv.path_.supports, strict=True):
            zero = (W.reshape(W.shape[0], 4, 8) == 0).all(axis=0)  # (features, columns)
            assert (zero.all(axis=1) | ~zero.any(axis=1)).all()
            np.testing.assert_array_equal(~zero.all(axis=1), support)  # each alpha's own
        assert cv.path_.n_features[0] > cv.path_.n_features[-1]
        # plot_path draws one line per input feature, from the path's feature norms
        assert cv.path_.feature_norms.shape == (len(cv.alphas_), 4)
        axes = plot_path(cv.path_, feature_names=["a", "b", "c", "d"])
        assert len(axes[1].get_lines()) == 4


@MAX_ITER_REACHED
def test_drop_one_alphas_divide_by_the_group_penalty_of_the_encoded_columns():
    X, y = _ring(n_samples=300, n_features=4)
    dense = SparseMLPClassifier(alpha=0.0, feature_encoding="spline", random_state=0,
                                max_iter=60).fit(X, y)
    alphas = drop_one_alphas(dense, X, y)
    module = dense.net_.module_
    X_enc = torch.from_numpy(dense.encoder_.transform(X).astype(np.float32))
    y_t = torch.as_tensor(np.searchsorted(dense.classes_, y))
    W = module.lin1.weight.detach().clone()
    with torch.no_grad():
        base = dense._pointwise_loss(module(X_enc), y_t).mean()
        for j in range(4):
            module.lin1.weight[:, 8 * j: 8 * j + 8] = 0.0
            delta = dense._pointwise_loss(module(X_enc), y_t).mean() - base
            module.lin1.weight.copy_(W)
            # the penalty the feature's group costs: sqrt(8) * its weights' norm
            expected = max(float(delta), 0.0) / (np.sqrt(8) * float(W[:, 8 * j: 8 * j + 8]
                                                                    .norm()))
            assert alphas[j] == pytest.approx(expected, rel=1e-3, abs=1e-7)


@MAX_ITER_REACHED
@SHORT_GRID
@pytest.mark.parametrize("groups", [None, [0, 1, 2, 2]])
def test_cv_with_an_encoding_leaves_out_a_constant_feature_as_if_it_trained_it(
        groups, monkeypatch):
    """A feature constant in every training part: its encoded columns (one penalty group,
    or part of one) are left out of the CV's stack, and the paths are those of the full
    width stack, up to float rounding."""
    from sklearn_sparse_mlp import _cv_path

    X, y = _ring(n_samples=300, n_features=4)
    X[:, 3] = 0.25
    params = dict(cv=2, feature_encoding="spline", groups=groups, random_state=0, alphas=6,
                  max_iter=80)
    chosen = []
    trained_columns = _cv_path._trained_columns
    monkeypatch.setattr(_cv_path, "_trained_columns",
                        lambda specs, groups: chosen.append(trained_columns(specs, groups))
                        or chosen[-1])
    narrowed = SparseMLPClassifierCV(**params).fit(X, y)
    (trained, _), = chosen
    if groups is None:
        assert trained is not None and len(trained) == 24  # feature 3's 8 columns left out
    else:
        assert trained is None  # feature 3 shares its group with feature 2: kept whole
    monkeypatch.setattr(_cv_path, "_trained_columns", lambda specs, groups: (None, groups))
    full = SparseMLPClassifierCV(**params).fit(X, y)
    np.testing.assert_allclose(narrowed.alphas_, full.alphas_, rtol=1e-4)
    np.testing.assert_array_equal(narrowed.path_.supports, full.path_.supports)
    np.testing.assert_allclose(narrowed.path_.feature_norms, full.path_.feature_norms,
                               rtol=1e-3, atol=1e-6)
    assert not narrowed.path_.supports[:, 3].any()


@SHORT_GRID
def test_dense_skill_is_the_folds_balanced_score_over_a_constant_one():
    """With class_weight="balanced" the skill's score weighs the classes as the training
    does: each fold's balanced accuracy, over 1/2 for the constant prediction (plain
    accuracy over the majority's share gives 0.21 here, not 0.46). The stacked dense fits
    train as single fits do; float rounding may flip a test row or two."""
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import StratifiedKFold

    X, y = make_seed_problem("circle", n_samples=600, random_state=0)
    keep = (y == 0) | (np.arange(len(y)) % 4 == 0)  # one positive row in four
    X, y = X[keep], y[keep]
    params = dict(class_weight="balanced", n_iter_no_change=5, random_state=0)
    cv = SparseMLPClassifierCV(cv=3, alphas=3, **params).fit(X, y)
    skills = []
    for train, test in StratifiedKFold(3).split(X, y):
        dense = SparseMLPClassifier(alpha=0.0, **params).fit(X[train], y[train])
        score = balanced_accuracy_score(y[test], dense.predict(X[test]))
        skills.append((score - 0.5) / (1 - 0.5))
    assert cv.dense_skill_ == pytest.approx(np.mean(skills), abs=0.03)
    assert cv.dense_skill_ == pytest.approx(0.46, abs=0.05)


@SHORT_GRID
def test_auto_encoding_encodes_where_the_raw_dense_fits_do_not_generalise():
    """feature_encoding="auto" (the CV default): the ring's raw dense networks memorise
    (skill 0.03 to 0.10 over three data and two model seeds), so its CV is the spline
    encoding's, exactly; the circle's generalise, so its CV is the raw features', exactly.
    The scale advice is for the raw features only."""
    X, y = _ring(n_samples=400, n_features=12)
    params = dict(cv=3, alphas=8, random_state=0)
    X_wide = X.copy()
    X_wide[:, 5] *= 1000  # a noise column on another scale
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataAdviceWarning)
        auto = SparseMLPClassifierCV(**params).fit(X_wide, y)
    assert auto.dense_skill_ < 0.2 and auto.feature_encoding_ == "spline"
    spline = SparseMLPClassifierCV(feature_encoding="spline", **params).fit(X_wide, y)
    np.testing.assert_array_equal(auto.feature_importances_, spline.feature_importances_)
    assert auto.alpha_ == spline.alpha_
    assert auto.best_estimator_.get_params()["feature_encoding"] == "spline"
    assert set(np.argsort(-auto.feature_importances_)[:2]) == {0, 1}
    assert auto.get_params()["feature_encoding"] == "auto"

    X, y = make_seed_problem("circle", n_samples=400, random_state=0)
    auto = SparseMLPClassifierCV(**params).fit(X, y)
    assert auto.dense_skill_ > 0.5 and auto.feature_encoding_ is None
    raw = SparseMLPClassifierCV(feature_encoding=None, **params).fit(X, y)
    np.testing.assert_array_equal(auto.feature_importances_, raw.feature_importances_)
    assert not hasattr(auto.best_estimator_, "encoder_")
    X_narrow = X.copy()
    X_narrow[:, 5] /= 1000  # a noise column on another scale
    with pytest.warns(DataAdviceWarning, match="column ranges that differ"):
        assert SparseMLPClassifierCV(**params).fit(X_narrow, y).feature_encoding_ is None


@pytest.mark.filterwarnings(  # the raw features barely beat the constant on 3 folds
    "ignore:.*no model with features beat:sklearn_sparse_mlp.DataAdviceWarning")
def test_auto_encoding_keeps_sparse_input_raw_and_says_what_it_would_do():
    X, y = _ring(n_samples=400, n_features=12)
    clf = SparseMLPClassifierCV(cv=3, alphas=4, random_state=0)
    assert clf.__sklearn_tags__().input_tags.sparse
    with pytest.warns(DataAdviceWarning, match=r"do not generalise on the folds "
                                               r"\(dense_skill_=.*X.toarray\(\)"):
        clf.fit(sp.csr_matrix(X), y)
    assert clf.feature_encoding_ is None and clf.dense_skill_ < 0.3


@SHORT_GRID
def test_auto_encoding_of_a_regression_scores_weighted_r2_over_the_weighted_mean():
    """The skill of each fold's dense network: its weighted R^2 on the test part over that
    of the training part's weighted mean. The folds of this unshuffled split see shifted
    target ranges, so the constant's R^2 is far below 0, and the weights favour high
    targets: a skill over plain R^2, over a constant fitted elsewhere, or unweighted, all
    differ."""
    from sklearn.model_selection import KFold

    from sklearn_sparse_mlp import SparseMLPRegressorCV
    from sklearn_sparse_mlp._cv_path import dense_fits

    X, y = make_seed_regression(n_samples=300, random_state=0)
    order = np.argsort(y + np.random.RandomState(0).randn(len(y)) * y.std())
    X, y = X[order], y[order]
    weight = np.where(y > np.quantile(y, 0.8), 4.0, 1.0)
    folds = list(KFold(3).split(X))
    base = SparseMLPRegressor(alpha=0.0, n_iter_no_change=5, random_state=0)
    dense = dense_fits(base, X, y, folds, sample_weight=weight, n_threads=1)

    def skill(y_true, y_pred, mean, w):
        total = np.sum(w * (y_true - np.average(y_true, weights=w)) ** 2)
        s = 1 - np.sum(w * (y_true - y_pred) ** 2) / total
        s0 = 1 - np.sum(w * (y_true - mean) ** 2) / total
        return (s - s0) / (1 - s0), s, s0

    expected, wrong = [], []
    for m, (train, test) in enumerate(folds, start=1):
        dense.template.net_.module_.load_state_dict(dense.stack.state_of(m)[0])
        # the fold's network predicts in y's units with its own training part's scaling
        dense.template.target_mean_ = dense.specs[m].target_mean
        dense.template.target_scale_ = dense.specs[m].target_scale
        y_pred = dense.template.predict(X[test])
        value, s, s0 = skill(y[test], y_pred, np.average(y[train], weights=weight[train]),
                             weight[test])
        assert s0 < -0.2
        expected.append(value)
        wrong.append([s, skill(y[test], y_pred, y[train].mean(), np.ones(len(test)))[0],
                      skill(y[test], y_pred, np.average(y[test], weights=weight[test]),
                            weight[test])[0]])
    assert dense.skill(X, y, folds, weight) == pytest.approx(np.mean(expected), rel=1e-6)
    assert np.all(np.abs(np.mean(wrong, axis=0) - np.mean(expected)) > 0.02)
    reg = SparseMLPRegressorCV(cv=folds, alphas=4, random_state=0).fit(X, y,
                                                                       sample_weight=weight)
    assert reg.dense_skill_ == pytest.approx(np.mean(expected), rel=1e-6)
    assert reg.feature_encoding_ is None

    shuffled = KFold(3, shuffle=True, random_state=0)
    noise = np.random.RandomState(0).randn(len(y))
    reg = SparseMLPRegressorCV(cv=shuffled, alphas=4, random_state=0).fit(X, noise)
    assert reg.dense_skill_ < 0 and reg.feature_encoding_ == "spline"
    # two outputs: R^2 averaged over them
    two = SparseMLPRegressorCV(cv=shuffled, alphas=4, random_state=0).fit(X, np.c_[y, noise])
    assert reg.dense_skill_ + 0.2 < two.dense_skill_ < 0.7
    # a constant target: every fold's constant is perfect, no skill to measure, raw kept
    flat = SparseMLPRegressorCV(cv=3, alphas=2, random_state=0).fit(X, np.ones(len(y)))
    assert np.isnan(flat.dense_skill_) and flat.feature_encoding_ is None
