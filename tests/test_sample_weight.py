"""sample_weight in fit and partial_fit, class_weight, and their routing through sklearn."""

import warnings

import numpy as np
import pytest
import sklearn
import torch
from _warning_filters import ALPHA_NOT_REACHED, MAX_ITER_REACHED, SHORT_GRID
from sklearn.datasets import make_classification
from sklearn.metrics import recall_score
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_sparse_mlp import (
    SparseMLPClassifier,
    SparseMLPClassifierCV,
    SparseMLPRegressor,
    SparseMLPRegressorCV,
)
from sklearn_sparse_mlp.datasets import make_seed_problem, make_seed_regression

TWINS = [SparseMLPClassifier, SparseMLPRegressor]
QUICK = dict(max_iter=80, random_state=0)


# short fits (QUICK, _SHORT_CV) throughout: whether they converged is not the subject here
pytestmark = MAX_ITER_REACHED


def _data(cls, n_train=300):
    if cls in (SparseMLPClassifier, SparseMLPClassifierCV):
        X, y = make_seed_problem("square", n_samples=n_train, random_state=0)
    else:
        X, y = make_seed_regression(n_samples=n_train + 200, random_state=0)
        X, y = X[:n_train], y[:n_train]
    return X, y


def _outputs(estimator, X):
    if hasattr(estimator, "predict_proba"):
        return estimator.predict_proba(X)
    return estimator.predict(X)


@pytest.mark.parametrize("cls", TWINS)
def test_zero_weight_is_a_sample_removed(cls):
    X, y = _data(cls)
    weight = np.ones(len(X))
    weight[::3] = 0.0
    weighted = cls(**QUICK).fit(X, y, sample_weight=weight)
    removed = cls(**QUICK).fit(X[weight > 0], y[weight > 0])
    np.testing.assert_array_equal(_outputs(weighted, X), _outputs(removed, X))


@pytest.mark.parametrize("cls", TWINS)
@pytest.mark.parametrize("incremental", [False, True])
def test_integer_weights_equal_repeated_rows_exactly_on_one_batch(cls, incremental):
    X, y = _data(cls, n_train=60)  # one batch ("auto" is min(200, n_samples))
    weight = np.random.RandomState(1).randint(0, 4, len(X))
    repeated = X.repeat(weight, axis=0), y.repeat(weight, axis=0)
    order = np.random.RandomState(2).permutation(len(X))  # nor does the order of the rows
    a, b = cls(**QUICK), cls(**QUICK)
    if incremental:
        kwargs = {"classes": [0, 1]} if cls is SparseMLPClassifier else {}
        for _ in range(3):
            a.partial_fit(X[order], y[order], sample_weight=weight[order], **kwargs)
            b.partial_fit(*repeated, **kwargs)
    else:
        a.fit(X[order], y[order], sample_weight=weight[order])
        b.fit(*repeated)
    np.testing.assert_array_equal(_outputs(a, X), _outputs(b, X))


@pytest.mark.parametrize("cls", TWINS)
def test_integer_weights_select_like_repeated_rows_on_minibatches(cls):
    X, y = _data(cls, n_train=400)
    weight = np.random.RandomState(1).randint(1, 3, len(X))
    alpha = 0.1 if cls is SparseMLPClassifier else 0.5
    a = cls(alpha=alpha, random_state=0).fit(X, y, sample_weight=weight)
    b = cls(alpha=alpha, random_state=0).fit(X.repeat(weight, axis=0), y.repeat(weight))
    np.testing.assert_array_equal(a.get_support(indices=True), [0, 1])
    np.testing.assert_array_equal(b.get_support(indices=True), [0, 1])


@ALPHA_NOT_REACHED
def test_the_loss_is_the_weighted_mean_of_the_per_sample_loss():
    X, y = _data(SparseMLPClassifier, n_train=50)
    weight = np.random.RandomState(0).uniform(0.1, 3.0, len(X))
    clf = SparseMLPClassifier(max_iter=1, warmup_epochs=5, random_state=0)
    clf.fit(X, y, sample_weight=weight)
    # the epoch trained on one batch; its loss is computed before the optimizer step
    fresh = SparseMLPClassifier(max_iter=1, warmup_epochs=5, random_state=0)
    fresh.set_params(learning_rate_init=1e-300).fit(X, y, sample_weight=weight)
    logits = fresh.net_.module_(torch.as_tensor(X, dtype=torch.float32)).detach().double()
    per_sample = torch.nn.functional.cross_entropy(logits, torch.as_tensor(y),
                                                   reduction="none").numpy()
    expected = np.average(per_sample, weights=weight)
    assert clf.net_.history[-1, "train_loss"] == pytest.approx(expected, rel=1e-5)
    assert clf.net_.history[-1, "train_loss"] != pytest.approx(per_sample.mean(), rel=1e-3)


@pytest.mark.parametrize("cls", TWINS)
def test_bad_sample_weights_raise(cls):
    X, y = _data(cls, n_train=40)
    with pytest.raises(ValueError, match="at least one non-zero"):
        cls(**QUICK).fit(X, y, sample_weight=np.zeros(len(X)))
    with pytest.raises(ValueError, match="Negative values"):
        cls(**QUICK).fit(X, y, sample_weight=-np.ones(len(X)))
    with pytest.raises(ValueError, match="shape"):
        cls(**QUICK).fit(X, y, sample_weight=np.ones(len(X) + 1))


def test_sample_weight_through_pipeline_and_cross_validate():
    X, y = _data(SparseMLPClassifier)
    weight = np.random.RandomState(0).uniform(0.5, 2.0, len(X))
    pipe = make_pipeline(StandardScaler(), SparseMLPClassifier(**QUICK))
    pipe.fit(X, y, sparsemlpclassifier__sample_weight=weight)
    direct = SparseMLPClassifier(**QUICK).fit(StandardScaler().fit_transform(X), y,
                                              sample_weight=weight)
    np.testing.assert_array_equal(pipe[-1].predict_proba(pipe[0].transform(X)),
                                  direct.predict_proba(StandardScaler().fit_transform(X)))

    cv = KFold(3)
    clf = SparseMLPClassifier(**QUICK)
    routed = cross_validate(clf, X, y, cv=cv, params={"sample_weight": weight},
                            return_estimator=True)
    for (train, _), fitted in zip(cv.split(X), routed["estimator"], strict=True):
        by_hand = SparseMLPClassifier(**QUICK).fit(X[train], y[train],
                                                   sample_weight=weight[train])
        np.testing.assert_array_equal(fitted.predict_proba(X), by_hand.predict_proba(X))

    # scikit-learn's metadata routing: the estimator requests the weights of fit and score
    with sklearn.config_context(enable_metadata_routing=True):
        requesting = SparseMLPClassifier(**QUICK).set_fit_request(sample_weight=True)
        requesting.set_score_request(sample_weight=True)
        pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False), requesting)
        with_routing = cross_validate(pipe, X, y, cv=cv, params={"sample_weight": weight})
    for (train, test), score in zip(cv.split(X), with_routing["test_score"], strict=True):
        scaler = StandardScaler().fit(X[train])
        by_hand = SparseMLPClassifier(**QUICK).fit(scaler.transform(X[train]), y[train],
                                                   sample_weight=weight[train])
        assert score == by_hand.score(scaler.transform(X[test]), y[test],
                                      sample_weight=weight[test])


def test_class_weight_balanced_raises_the_recall_of_a_rare_class():
    X, y = make_classification(n_samples=1200, n_features=8, n_informative=3,
                               weights=[0.95, 0.05], class_sep=0.6, random_state=0)
    X_train, y_train, X_test, y_test = X[:800], y[:800], X[800:], y[800:]
    plain = SparseMLPClassifier(alpha=0.01, random_state=0).fit(X_train, y_train)
    balanced = SparseMLPClassifier(alpha=0.01, class_weight="balanced",
                                   random_state=0).fit(X_train, y_train)
    recall_plain = recall_score(y_test, plain.predict(X_test))
    recall_balanced = recall_score(y_test, balanced.predict(X_test))
    assert recall_balanced > recall_plain + 0.1


def test_class_weight_dict_is_sample_weight_per_class():
    X, y = _data(SparseMLPClassifier)
    labels = np.where(y == 1, "b", "a")
    by_class = SparseMLPClassifier(class_weight={"a": 1.0, "b": 3.0}, **QUICK).fit(X, labels)
    by_sample = SparseMLPClassifier(**QUICK).fit(X, labels,
                                                 sample_weight=np.where(y == 1, 3.0, 1.0))
    np.testing.assert_array_equal(by_class.predict_proba(X), by_sample.predict_proba(X))
    with pytest.raises(ValueError, match="not classes of y"):
        SparseMLPClassifier(class_weight={"c": 2.0}, **QUICK).fit(X, labels)
    with pytest.raises(ValueError, match="balanced.*partial_fit"):
        SparseMLPClassifier(class_weight="balanced").partial_fit(X, labels, classes=["a", "b"])


_SHORT_CV = dict(cv=3, alphas=6, max_iter_per_alpha=15, relax_epochs=10, max_iter=60,
                 random_state=0)


@SHORT_GRID
@pytest.mark.parametrize("cls", [SparseMLPClassifierCV, SparseMLPRegressorCV])
def test_cv_passes_each_fold_its_weights_and_scores_with_them(cls):
    """Zero weights: the same as the rows removed, in the training and the test folds."""
    X, y = _data(cls, n_train=240)
    weight = np.ones(len(X))
    weight[::4] = 0.0
    kept = np.flatnonzero(weight > 0)
    position = np.full(len(X), -1)
    position[kept] = np.arange(len(kept))
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    on_kept = [(position[train][weight[train] > 0], position[test][weight[test] > 0])
               for train, test in folds]
    weighted = cls(**{**_SHORT_CV, "cv": folds}).fit(X, y, sample_weight=weight)
    removed = cls(**{**_SHORT_CV, "cv": on_kept}).fit(X[kept], y[kept])
    np.testing.assert_array_equal(weighted.alphas_, removed.alphas_)
    # r2 and accuracy weighted by 1s and 0s differ from the plain ones in the last bit
    np.testing.assert_allclose(weighted.scores_path_, removed.scores_path_, rtol=1e-13)
    assert weighted.alpha_ == removed.alpha_
    np.testing.assert_array_equal(weighted.feature_importances_, removed.feature_importances_)
    np.testing.assert_array_equal(_outputs(weighted, X), _outputs(removed, X))


@SHORT_GRID
def test_cv_classifier_takes_class_weight_and_documents_why_no_early_stopping():
    X, y = _data(SparseMLPClassifierCV, n_train=240)
    clf = SparseMLPClassifierCV(class_weight="balanced", **_SHORT_CV).fit(X, y)
    assert clf.best_estimator_.class_weight == "balanced"
    for cls in (SparseMLPClassifierCV, SparseMLPRegressorCV):
        assert "early_stopping" not in cls().get_params()
        assert "no ``early_stopping`` nor ``validation_fraction``" in cls.__doc__


@ALPHA_NOT_REACHED
def test_early_stopping_with_weights_scores_the_validation_part():
    """skorch's validation accuracy reads the batch targets, which carry the weights."""
    X, y = _data(SparseMLPClassifier, n_train=200)
    weight = np.random.RandomState(0).randint(1, 3, len(X)).astype(float)
    for kwargs in ({"sample_weight": weight}, {}):
        clf = SparseMLPClassifier(early_stopping=True, max_iter=40, random_state=0,
                                  class_weight=None if kwargs else {0: 1.0, 1: 3.0})
        clf.fit(X, y, **kwargs)
        assert 0.5 < clf.net_.history[-1, "valid_acc"] <= 1.0


@SHORT_GRID
def test_class_weight_dict_in_partial_fit_chunks_and_cv_folds_that_lack_a_class():
    X, y = _data(SparseMLPClassifier, n_train=240)
    labels = np.where(y == 1, "b", "a")
    labels[:3] = "c"  # a rare class
    weights = {"c": 5.0}
    clf = SparseMLPClassifier(class_weight=weights, **QUICK)
    clf.partial_fit(X[:60], labels[:60], classes=["a", "b", "c"])
    clf.partial_fit(X[60:120], labels[60:120])  # no "c" in this chunk
    assert clf.n_iter_ == 2
    folds = [(np.arange(3, 240), np.arange(3)), (np.arange(120), np.arange(120, 240))]
    cv = SparseMLPClassifierCV(class_weight=weights, **{**_SHORT_CV, "cv": folds})
    cv.fit(X, labels)  # fold 1 trains without "c"; its weight comes with the whole data
    assert cv.best_estimator_.class_weight == weights
    # the same as weighting the samples by their class, with no class_weight
    by_sample = SparseMLPClassifierCV(**{**_SHORT_CV, "cv": folds})
    by_sample.fit(X, labels, sample_weight=np.where(labels == "c", 5.0, 1.0))
    np.testing.assert_array_equal(cv.predict_proba(X), by_sample.predict_proba(X))


def test_cv_refuses_a_fold_whose_weights_are_all_zero_before_any_fit():
    X, y = _data(SparseMLPRegressorCV, n_train=80)
    weight = np.ones(80)
    weight[60:] = 0.0
    with pytest.raises(ValueError, match="test part of fold 3 .* only samples of weight 0"):
        SparseMLPRegressorCV(**{**_SHORT_CV, "cv": KFold(4)}).fit(X, y, sample_weight=weight)


def test_inner_fits_stay_quiet_without_touching_the_warning_filters_of_other_threads():
    from concurrent.futures import ThreadPoolExecutor

    from sklearn_sparse_mlp import sparse_mlp_path

    X, y = _data(SparseMLPClassifier, n_train=60)
    filters = list(warnings.filters)

    def path(seed):
        return sparse_mlp_path(SparseMLPClassifier(max_iter=3, warmup_epochs=0, ramp_epochs=0,
                                                   random_state=seed), X, y, alphas=[0.1],
                               max_iter_per_alpha=2)

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(path, range(8)))
    assert warnings.filters[: len(filters)] == filters and len(warnings.filters) == len(filters)
    # one "max_iter reached" per dense fit (the user's), none from the fits along the paths
    assert sum("max_iter=3" in str(w.message) for w in record) == 8
    assert not any("max_iter=2" in str(w.message) for w in record)


def test_drop_one_alphas_weighs_the_classes_as_the_fit_did():
    from sklearn_sparse_mlp import drop_one_alphas

    X, y = _data(SparseMLPClassifier)
    weight = np.where(y == 1, 3.0, 1.0)
    by_class = SparseMLPClassifier(alpha=0.0, class_weight={1: 3.0}, **QUICK).fit(X, y)
    by_sample = SparseMLPClassifier(alpha=0.0, **QUICK).fit(X, y, sample_weight=weight)
    expected = drop_one_alphas(by_sample, X, y, sample_weight=weight)
    np.testing.assert_array_equal(drop_one_alphas(by_class, X, y), expected)
    assert not np.array_equal(drop_one_alphas(by_sample, X, y), expected)
