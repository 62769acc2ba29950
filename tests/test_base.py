"""What the classifier and the regressor share (_base.py): threads, data checks, warnings."""

import pickle
import re
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from _warning_filters import ALPHA_NOT_REACHED, MAX_ITER_REACHED, SHORT_GRID
from joblib import parallel_backend
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.feature_selection import SelectFromModel
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_sparse_mlp import (
    NonFiniteLossError,
    SparseMLPClassifier,
    SparseMLPClassifierCV,
    SparseMLPRegressor,
    SparseMLPRegressorCV,
)
from sklearn_sparse_mlp._base import DataAdviceWarning, feature_scale_problems
from sklearn_sparse_mlp.datasets import make_seed_problem, make_seed_regression

TWINS = [SparseMLPClassifier, SparseMLPRegressor]


def _data(cls, n_train=200, random_state=0):
    if cls is SparseMLPClassifier:
        X, y = make_seed_problem("square", n_samples=n_train, random_state=random_state)
    else:
        X, y = make_seed_regression(n_samples=n_train + 200, random_state=random_state)
        X, y = X[:n_train], y[:n_train]
    return X, y


def _fit_quietly(model, X, y):
    """``model.fit(X, y)`` without ConvergenceWarning (short fits that need not converge)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _lin1(estimator):
    return estimator.net_.module_.lin1.weight.detach().clone()


@MAX_ITER_REACHED
@pytest.mark.parametrize("cls", TWINS)
def test_fits_in_threads_equal_fits_one_after_another(cls):
    """A fit draws from its own generators: threads running other fits change nothing."""
    X, y = _data(cls)

    def fit(seed):
        # the marker, not warnings.catch_warnings here: that swaps the process-wide filters,
        # and one thread's exit would put back filters without the other thread's "ignore"
        return _lin1(cls(random_state=seed, max_iter=70).fit(X, y))

    sequential = [fit(seed) for seed in range(4)]
    for _ in range(2):
        with ThreadPoolExecutor(max_workers=2) as pool:
            threaded = list(pool.map(fit, range(4)))
        for a, b in zip(sequential, threaded, strict=True):
            assert torch.equal(a, b)
    assert not torch.equal(sequential[0], sequential[1])  # the seeds do differ


def test_cross_validate_in_threads_is_reproducible():
    X, y = _data(SparseMLPClassifier)
    clf = SparseMLPClassifier(random_state=0, max_iter=70)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one = cross_validate(clf, X, y, cv=4, return_estimator=True)
        with parallel_backend("threading", n_jobs=2):
            threaded = [cross_validate(clf, X, y, cv=4, n_jobs=2, return_estimator=True)
                        for _ in range(3)]
    for run in threaded:
        np.testing.assert_array_equal(run["test_score"], one["test_score"])
        for a, b in zip(run["estimator"], one["estimator"], strict=True):
            assert torch.equal(_lin1(a), _lin1(b))


@MAX_ITER_REACHED
def test_a_fit_leaves_torch_global_rng_and_threads_alone():
    X, y = _data(SparseMLPClassifier)
    torch.manual_seed(7)
    state = torch.get_rng_state()
    threads = torch.get_num_threads()
    SparseMLPClassifier(random_state=0, max_iter=70, n_jobs=2).fit(X, y)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.get_num_threads() == threads


@pytest.mark.parametrize("cls", TWINS)
@pytest.mark.parametrize("solver", ["adam", "sgd", "adagrad"])
@pytest.mark.parametrize("sparse", [False, True])
def test_a_constant_column_is_never_selected(cls, solver, sparse):
    X, y = _data(cls)
    X = np.hstack([X[:, :4], np.full((len(X), 1), 5.0)])
    lr = {"adam": 1e-2, "sgd": 1e-2, "adagrad": 5e-2}[solver]
    est = cls(alpha=0.05, solver=solver, learning_rate_init=lr, random_state=0, max_iter=120)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(sp.csr_matrix(X) if sparse else X, y)
    assert not est.get_support()[4]
    assert est.feature_importances_[4] == 0.0
    assert torch.all(est.net_.module_.lin1.weight[:, 4] == 0)
    assert est.get_support()[:2].all()  # the informative features stay


@MAX_ITER_REACHED
def test_a_constant_column_moves_into_the_bias_without_changing_predictions():
    """Warm start on data where a column became constant: its share goes into the bias."""
    X, y = _data(SparseMLPClassifier)
    clf = SparseMLPClassifier(alpha=0.0, random_state=0, max_iter=40).fit(X, y)
    X_const = X.copy()
    X_const[:, 3] = 0.7
    before = clf.predict_proba(X_const)
    assert clf.get_support()[3]
    clf.set_params(warm_start=True, max_iter=1, learning_rate_init=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_const, y)
    assert not clf.get_support()[3]
    np.testing.assert_allclose(clf.predict_proba(X_const), before, atol=1e-6)


def test_partial_fit_holds_out_columns_constant_in_every_chunk_so_far():
    X, y = _data(SparseMLPClassifier)
    X = X[:, :4].copy()
    X[:100, 3] = 2.0  # constant in the first chunk only
    clf = SparseMLPClassifier(alpha=0.01, random_state=0, warmup_epochs=0, ramp_epochs=0)
    clf.partial_fit(X[:100], y[:100], classes=[0, 1])
    assert not clf.get_support()[3]
    for _ in range(3):
        clf.partial_fit(X[100:], y[100:])
    assert clf.get_support()[3]  # it varies now: free to enter


@pytest.mark.parametrize("cls", TWINS)
def test_badly_scaled_counts_warn_and_name_the_scaler(cls):
    rng = np.random.RandomState(0)
    # raw counts: values up to 2489, column ranges from 1 to 276
    X = rng.poisson(rng.lognormal(3, 2, size=300), size=(120, 300)).astype(float)
    y = (X[:, 0] > np.median(X[:, 0])).astype(int)
    est = cls(random_state=0, max_iter=3, warmup_epochs=0, ramp_epochs=0)
    with pytest.warns(DataAdviceWarning, match="StandardScaler") as record:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y)
    message = str(record[0].message)
    assert "values up to 2.49e+03" in message and "differ by a factor of 276" in message
    with pytest.warns(DataAdviceWarning, match="MaxAbsScaler"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(sp.csr_matrix(X), y)


def test_feature_scale_problems_each_kind_and_none_for_scaled_data():
    assert feature_scale_problems(np.array([0.0, -2.0]), np.array([1.0, 3.0])) == []
    # min-max scaled columns, some rarely non-zero: nothing to say
    assert feature_scale_problems(np.zeros(5), np.ones(5)) == []
    # constant columns are left out
    assert feature_scale_problems(np.array([0.0, 5e6]), np.array([1.0, 5e6])) == []
    big = feature_scale_problems(np.array([0.0]), np.array([2e4]))
    assert len(big) == 1 and "absolute value" in big[0]
    spread = feature_scale_problems(np.array([0.0, 0.0]), np.array([1.0, 1e-3]))
    assert len(spread) == 1 and "factor of 1e+03" in spread[0]
    assert feature_scale_problems(np.array([0.0, 0.0]), np.array([1.0, 0.02])) == []
    off = feature_scale_problems(np.array([100.0]), np.array([101.0]))
    assert len(off) == 1 and "centred 100" in off[0]


def test_standardized_and_minmax_data_do_not_warn():
    X, y = _data(SparseMLPClassifier)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataAdviceWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        SparseMLPClassifier(max_iter=2, warmup_epochs=0, ramp_epochs=0).fit(X, y)
        X01 = (X - X.min(0)) / (X.max(0) - X.min(0))
        SparseMLPClassifier(max_iter=2, warmup_epochs=0, ramp_epochs=0).fit(X01, y)


@MAX_ITER_REACHED
def test_groups_without_effect_at_l1_ratio_one_warn():
    X, y = _data(SparseMLPClassifier)
    groups = np.repeat(np.arange(5), 2)
    with pytest.warns(DataAdviceWarning, match="groups has no effect with l1_ratio=1"):
        SparseMLPClassifier(l1_ratio=1.0, groups=groups, max_iter=70).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataAdviceWarning)
        SparseMLPClassifier(l1_ratio=0.5, groups=groups, max_iter=70).fit(X, y)


@pytest.mark.parametrize("through_pipeline", [False, True])
def test_warnings_point_at_the_callers_line(through_pipeline):
    X, y = _data(SparseMLPClassifier)
    est = SparseMLPClassifier(max_iter=3, warmup_epochs=0, ramp_epochs=0)
    if through_pipeline:
        est = make_pipeline(FunctionTransformer(), est)
    with pytest.warns(ConvergenceWarning) as record:
        est.fit(X, y)
    assert record[0].filename == __file__


@pytest.mark.parametrize("hidden", [(50, 30, 10), (32, 32)])
@pytest.mark.parametrize("rule", ["square", "circle"])
def test_deeper_networks_select_like_one_hidden_layer(hidden, rule):
    X, y = make_seed_problem(rule, n_samples=1000, random_state=0)
    X, y, X_test, y_test = X[:800], y[:800], X[800:], y[800:]
    clf = SparseMLPClassifier(alpha=0.1, hidden_layer_sizes=hidden, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.get_support(indices=True), [0, 1])
    assert clf.score(X_test, y_test) > 0.93


def _outputs(estimator, X):
    return estimator.predict_proba(X) if hasattr(estimator, "predict_proba") else \
        estimator.predict(X)


@MAX_ITER_REACHED
@pytest.mark.parametrize("cls", TWINS)
def test_random_state_is_bit_identical_and_leaves_global_rng_alone(cls):
    X, y = _data(cls, n_train=400)
    X, y, X_test = X[:200], y[:200], X[200:]
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    a = cls(random_state=7, max_iter=80).fit(X, y)
    assert torch.equal(torch.rand(3), expected_next)  # caller's torch RNG untouched
    b = cls(random_state=7, max_iter=80).fit(X, y)
    assert torch.equal(_lin1(a), _lin1(b))
    np.testing.assert_array_equal(_outputs(a, X_test), _outputs(b, X_test))
    c = cls(random_state=8, max_iter=80).fit(X, y)
    assert not torch.equal(_lin1(a), _lin1(c))


@ALPHA_NOT_REACHED
@pytest.mark.parametrize("cls", TWINS)
@pytest.mark.parametrize("change, fitted", [
    ({"hidden_layer_sizes": 8}, r"hidden_layer_sizes \(fitted: \(64,\), now: \(8,\)\)"),
    ({"activation": "tanh"}, r"activation \(fitted: 'relu', now: 'tanh'\)"),
], ids=["hidden_layer_sizes", "activation"])
def test_warm_start_refuses_another_architecture(cls, change, fitted):
    X, y = _data(cls, n_train=100)
    est = cls(max_iter=2, random_state=0).fit(X, y)
    weights = _lin1(est)
    with pytest.raises(ValueError, match=fitted + ".*set warm_start=False"):
        est.set_params(warm_start=True, **change).fit(X, y)
    assert torch.equal(_lin1(est), weights)  # the fitted net is untouched
    est.set_params(warm_start=False).fit(X, y)  # a new network of the new shape
    assert est.net_.module__activation == est.activation


@pytest.mark.parametrize("cls", TWINS)
def test_max_iter_too_small_warns(cls):
    X, y = _data(cls, n_train=100)
    with pytest.warns(ConvergenceWarning, match="increase max_iter"):
        cls(max_iter=5, warmup_epochs=0, ramp_epochs=0).fit(X, y)


@pytest.mark.parametrize("cls", TWINS)
def test_a_schedule_longer_than_max_iter_warns_that_alpha_was_never_reached(cls):
    X, y = _data(cls, n_train=200)
    with pytest.warns(ConvergenceWarning, match="never reached alpha=0.1") as record:
        est = cls(alpha=0.1, max_iter=20, random_state=0).fit(X, y)
    message = str(record[0].message)
    assert "warmup_epochs=30" in message and "ramp_epochs=30" in message
    assert "it was at 0" in message  # 20 epochs, all inside the dense warm-up
    assert est.net_.history[-1, "alpha"] == 0.0
    # inside the ramp: the strength reached is reported
    with pytest.warns(ConvergenceWarning, match=r"it was at 0\.05,"):
        cls(alpha=0.1, max_iter=45, random_state=0).fit(X, y)


@pytest.mark.parametrize("cls", TWINS)
def test_a_fit_that_drops_every_feature_says_so_and_predicts_a_constant(cls):
    X, y = _data(cls, n_train=200)
    with pytest.warns(DataAdviceWarning, match="alpha=1000000.0 dropped every feature"):
        est = cls(alpha=1e6, max_iter=200, warmup_epochs=5, ramp_epochs=5, tol=1e-3,
                  random_state=0).fit(X, y)
    assert not est.get_support().any()
    predictions = est.predict_proba(X) if cls is SparseMLPClassifier else est.predict(X)
    np.testing.assert_allclose(predictions, np.tile(predictions[0], (len(X), 1)).reshape(
        predictions.shape), rtol=1e-6)
    with warnings.catch_warnings():  # a fit that keeps features says nothing of the kind
        warnings.simplefilter("error", DataAdviceWarning)
        assert cls(alpha=1e-3, max_iter=200, warmup_epochs=5, ramp_epochs=5, tol=1e-3,
                   random_state=0).fit(X, y).get_support().any()


def _first_chunk(cls):
    """partial_fit's arguments of a first call beyond X and y."""
    return {"classes": [0, 1]} if cls is SparseMLPClassifier else {}


@pytest.mark.parametrize("cls", TWINS)
def test_partial_fit_applies_parameters_set_between_calls(cls):
    X, y = _data(cls, n_train=200)
    est = cls(alpha=0.0, warmup_epochs=0, ramp_epochs=0, random_state=0,
              early_stopping=True)  # no held-out data in partial_fit
    est.partial_fit(X, y, **_first_chunk(cls))
    assert est.get_support().all()
    est.set_params(alpha=100.0, learning_rate_init=0.05)
    est.partial_fit(X, y)
    assert est.net_.history[:, "alpha"] == [0.0, 100.0]
    assert est.net_.optimizer_.param_groups[0]["lr"] == 0.05
    assert not est.get_support().any()  # alpha=100 drops every feature in one pass
    with pytest.raises(ValueError, match=r"partial_fit continues.*hidden_layer_sizes.*call fit"):
        est.set_params(hidden_layer_sizes=(3,)).partial_fit(X, y)


@ALPHA_NOT_REACHED
@pytest.mark.parametrize("cls", TWINS)
def test_partial_fit_after_an_early_stopping_fit_holds_nothing_out(cls):
    X, y = _data(cls, n_train=200)
    est = cls(early_stopping=True, max_iter=5, random_state=0).fit(X, y)
    assert "valid_loss" in est.net_.history[-1]
    est.partial_fit(X, y)
    assert "valid_loss" not in est.net_.history[-1]


@ALPHA_NOT_REACHED
@pytest.mark.parametrize("cls", TWINS)
def test_quiet_fit_has_no_print_log_and_prints_nothing(cls, capsys):
    X, y = _data(cls, n_train=100)
    est = cls(max_iter=3).fit(X, y)
    assert capsys.readouterr().out == ""
    names = [name for name, _ in est.net_.callbacks_]
    assert "print_log" not in names and "proximal" in names
    est.set_params(verbose=1).fit(X, y)  # a new net: the table is back
    assert "train_loss" in capsys.readouterr().out


# alphas at which each twin's seed problem keeps exactly features 0 and 1
_SEED_ALPHA = {SparseMLPClassifier: 0.1, SparseMLPRegressor: 0.15}


@pytest.mark.parametrize("cls", TWINS)
def test_groups_keep_or_drop_whole_groups(cls):
    X, y = _data(cls, n_train=800)
    # one-hot style: features 2..5 one block, 6..9 another
    groups = [0, 1, 2, 2, 2, 2, 3, 3, 3, 3]
    model = cls(alpha=_SEED_ALPHA[cls], groups=groups, random_state=0).fit(X, y)
    support = model.get_support()
    for g in set(groups):
        members = support[np.array(groups) == g]
        assert members.all() or not members.any()
    assert support[:2].all() and not support[2:].any()


# the element-wise support of this fit does not settle within the default max_iter=300
@MAX_ITER_REACHED
@pytest.mark.parametrize("cls", TWINS)
def test_l1_ratio_one_zeroes_single_weights(cls):
    X, y = _data(cls, n_train=400)
    model = cls(alpha=0.02, l1_ratio=1.0, random_state=0).fit(X, y)
    W = _lin1(model)
    assert (W == 0).sum() > W.numel() // 2
    # element-wise zeros inside kept columns: not only whole columns
    kept = model.get_support()
    assert kept.any() and ((W[:, kept] == 0).sum(dim=0) > 0).any()


@MAX_ITER_REACHED
@pytest.mark.parametrize("cls", TWINS)
def test_warm_start_continues_training_at_new_alpha(cls):
    X, y = _data(cls, n_train=400)
    model = cls(alpha=0.0, random_state=0, max_iter=80).fit(X, y)
    first_iter = model.n_iter_
    assert model.get_support().all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(warm_start=True, alpha=_SEED_ALPHA[cls] * 3, max_iter=60).fit(X, y)
    assert model.n_iter_ > first_iter  # history continues
    assert model.get_support().sum() < 10
    with pytest.raises(ValueError, match="X has 5 features"):
        model.fit(X[:, :5], y)


@pytest.mark.parametrize("cls", TWINS)
def test_numpy_scalar_parameters_fit_as_python_floats(cls):
    X, y = _data(cls, n_train=100)
    params = dict(max_iter=20, warmup_epochs=0, ramp_epochs=0, random_state=0)
    plain = cls(alpha=0.05, l1_ratio=0.5, **params)
    numpy = cls(alpha=np.float32(0.05), l1_ratio=np.float64(0.5), **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain.fit(X, y)
        numpy.fit(X, y)
    predict = "predict_proba" if cls is SparseMLPClassifier else "predict"
    np.testing.assert_allclose(getattr(numpy, predict)(X), getattr(plain, predict)(X),
                               rtol=1e-5)
    np.testing.assert_array_equal(numpy.get_support(), plain.get_support())


@pytest.mark.parametrize("cls", TWINS)
def test_verbose_prints_epoch_table(cls, capsys):
    X, y = _data(cls, n_train=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cls(verbose=1, max_iter=3, warmup_epochs=1, ramp_epochs=1).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "n_features_selected" in out
    assert len(re.findall(r"^\s+3\s", out, flags=re.MULTILINE)) == 1


@pytest.mark.parametrize("cls", TWINS)
def test_select_from_model_keeps_tiny_but_nonzero_columns(cls):
    """Importances of kept features are floored at 1e-5, the threshold SelectFromModel uses."""
    X, y = _data(cls, n_train=400)
    model = cls(alpha=_SEED_ALPHA[cls], random_state=0).fit(X, y)
    with torch.no_grad():
        model.net_.module_.lin1.weight[:, 2] = 0.0
        model.net_.module_.lin1.weight[0, 2] = 1e-9
    model._set_fitted_attributes()
    assert model.get_support()[2] and model.feature_importances_[2] == 1e-5
    assert SelectFromModel(model, prefit=True).get_support()[2]


@pytest.mark.parametrize("cls", TWINS)
def test_the_fitted_skorch_net_predicts_on_its_own(cls):
    X, y = _data(cls, n_train=100)
    model = _fit_quietly(cls(max_iter=5, random_state=0), X, y)
    X32 = X.astype(np.float32)
    predict = "predict_proba" if cls is SparseMLPClassifier else "predict"
    expected = getattr(model, predict)(X)
    for rows in (X32, sp.csr_matrix(X32)):
        got = getattr(model.net_, predict)(rows).reshape(expected.shape)
        np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("cls", TWINS)
def test_dataframe_feature_names(cls):
    pd = pytest.importorskip("pandas")
    X, y = _data(cls, n_train=200)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(10)])
    model = _fit_quietly(cls(random_state=0, max_iter=80), frame, y)
    assert list(model.feature_names_in_) == list(frame.columns)
    selector = SelectFromModel(model, prefit=True).fit(frame, y)  # prefit: no refit
    names = selector.get_feature_names_out()
    assert list(names) == [f"f{i}" for i in model.get_support(indices=True)]


@pytest.mark.parametrize("cls", TWINS)
def test_warm_start_applies_the_new_training_parameters(cls, capsys):
    X, y = _data(cls, n_train=100)
    model = cls(max_iter=3, warmup_epochs=0, ramp_epochs=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        capsys.readouterr()
        model.set_params(warm_start=True, learning_rate_init=1e-4, weight_decay=0.5,
                         verbose=1, alpha=1.0, warmup_epochs=100).fit(X, y)
    lin1 = model.net_.module_.lin1.weight
    for group in model.net_.optimizer_.param_groups:
        assert group["lr"] == 1e-4
        reads_lin1 = any(p is lin1 for p in group["params"])
        assert group["weight_decay"] == (0.0 if reads_lin1 else 0.5)
    assert "train_loss" in capsys.readouterr().out  # the quiet net now prints
    # the schedule counts from the net's first epoch (still warming up at epoch 6), but a
    # continued net never trains below the strength of its last epoch (alpha 0.1)
    assert model.net_.history[-1, "alpha"] == pytest.approx(0.1) and model.n_iter_ == 6
    model.set_params(verbose=0, solver="sgd", learning_rate_init=1e-3, momentum=0.5)
    with pytest.raises(ValueError, match=r"cannot change solver \(fitted: 'adam', now: 'sgd'\)"):
        model.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(solver="adam").fit(X, y)
    assert capsys.readouterr().out == ""
    assert model.net_.optimizer_.param_groups[0]["lr"] == 1e-3


@pytest.mark.parametrize("cls", TWINS)
def test_early_stopping_holds_out_validation(cls):
    X, y = _data(cls, n_train=800)
    X_test, y_test = _data(cls, n_train=1000, random_state=1)
    model = cls(alpha=_SEED_ALPHA[cls], early_stopping=True, random_state=0).fit(X, y)
    assert "valid_loss" in model.net_.history[-1]
    assert model.net_.history[-1, "train_batch_count"] == 4  # 720 of 800 samples, batch 200
    assert model.score(X_test, y_test) > (0.9 if cls is SparseMLPClassifier else 0.75)
    assert model.get_support(indices=True).tolist() == [0, 1]


@pytest.mark.parametrize("cls", TWINS)
def test_predicting_read_only_data_warns_nothing(cls):
    """pandas and memory maps hand read-only arrays; torch warns on those."""
    X, y = _data(cls, n_train=100)
    model = _fit_quietly(cls(max_iter=3, random_state=0), X, y)
    X.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(X)


@MAX_ITER_REACHED
@SHORT_GRID
@pytest.mark.filterwarnings(  # 5 epochs on 2 folds: no model beats the constant
    "ignore:.*no model with features beat:sklearn_sparse_mlp.DataAdviceWarning")
@pytest.mark.parametrize("cls", [SparseMLPClassifierCV, SparseMLPRegressorCV])
def test_fitting_read_only_data_warns_nothing(cls):
    """joblib hands the workers of GridSearchCV read-only memory maps of X and y; the
    stacked paths must not leave torch tensors on them (torch warns once per process)."""
    X, y = _data(cls._single_fit_class, n_train=100)
    X.setflags(write=False)
    y.setflags(write=False)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*not writable")
        cls(alphas=[0.01, 0.1], cv=2, max_iter=5, warmup_epochs=0, ramp_epochs=0,
            max_iter_per_alpha=2, random_state=0).fit(X, y)


@pytest.mark.parametrize("cls", TWINS)
def test_bad_parameters_and_data_raise_errors_that_name_the_fix(cls):
    X, y = _data(cls, n_train=50)
    with pytest.raises(InvalidParameterError, match="solver"):
        cls(solver="lbfgs").fit(X, y)
    with pytest.raises(InvalidParameterError, match="alpha"):
        cls(alpha=-1.0).fit(X, y)
    with pytest.raises(InvalidParameterError, match=r"'n_jobs'.*\(-inf, -1\].*Got 0"):
        cls(n_jobs=0).fit(X, y)  # not joblib's error from deep inside the fit
    with pytest.raises(ValueError, match="groups has 3 labels but X has 10 features"):
        cls(groups=[0, 1, 2]).fit(X, y)
    with pytest.raises(ValueError, match=r"one sortable type.*\['NoneType', 'int'\]"):
        cls(groups=[0, 0, None] + [1] * 7).fit(X, y)
    with pytest.raises(ValueError, match="device='tpu' is not a torch device"):
        cls(device="tpu").fit(X, y)
    for device in ("mps", "meta"):
        with pytest.raises(ValueError, match=f"device='{device}'.*'cpu' or 'cuda"):
            cls(device=device).fit(X, y)
    # finite in float64, inf in the float32 the network trains in
    X_huge = X.copy()
    X_huge[0, 0] = 1e39
    with pytest.raises(ValueError, match="X has values beyond the float32 range"):
        cls().fit(X_huge, y)
    with pytest.raises(NotFittedError):
        cls().get_support()
    with pytest.raises(NotFittedError):
        cls().predict(X)
    model = _fit_quietly(cls(max_iter=2, warmup_epochs=0, ramp_epochs=0), X, y)
    with pytest.raises(ValueError, match="X has 4 features"):
        model.predict(X[:, :4])


@pytest.mark.parametrize("cls", TWINS)
def test_fits_use_one_torch_thread_unless_n_jobs_says_otherwise(cls):
    """Inside fit, torch runs one thread by default, so parallel folds don't oversubscribe."""
    seen = []

    class Spy(cls):
        def _make_net(self, net_kwargs, fitted):
            seen.append(torch.get_num_threads())
            return super()._make_net(net_kwargs, fitted)

    X, y = _data(cls, n_train=100)
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        _fit_quietly(Spy(max_iter=2, warmup_epochs=0, ramp_epochs=0), X, y)
        _fit_quietly(Spy(max_iter=2, warmup_epochs=0, ramp_epochs=0, n_jobs=2), X, y)
        assert torch.get_num_threads() == 2  # restored
    finally:
        torch.set_num_threads(previous)
    assert seen == [1, 2]


@pytest.mark.parametrize("cls", TWINS)
def test_grid_search_n_jobs_2_matches_n_jobs_1(cls):
    X, y = _data(cls, n_train=200, random_state=2)
    grid = {"alpha": [0.05, 0.2]}
    est = cls(random_state=0, max_iter=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one = GridSearchCV(est, grid, cv=2, n_jobs=1).fit(X, y)
        two = GridSearchCV(est, grid, cv=2, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(one.cv_results_["mean_test_score"],
                                  two.cv_results_["mean_test_score"])


@pytest.mark.parametrize("cls", TWINS)
def test_warm_start_carries_sgd_momentum_and_survives_pickle(cls, capsys):
    X, y = _data(cls, n_train=100)
    model = _fit_quietly(cls(solver="sgd", momentum=0.9, max_iter=2, random_state=0,
                             learning_rate_init=1e-3), X, y)
    model.set_params(warm_start=True, momentum=0.5, verbose=1)
    _fit_quietly(model, X, y)
    assert {group["momentum"] for group in model.net_.optimizer_.param_groups} == {0.5}
    capsys.readouterr()
    model = _fit_quietly(pickle.loads(pickle.dumps(model)), X, y)
    # the table goes on (its header was printed once, before the pickle)
    assert [int(line.split()[0]) for line in capsys.readouterr().out.splitlines()] == [5, 6]
    _fit_quietly(model.set_params(verbose=0), X, y)
    model = _fit_quietly(pickle.loads(pickle.dumps(model)), X, y)
    assert capsys.readouterr().out == ""
    # skorch rebuilds the optimizer from its own attributes: they follow too
    _fit_quietly(model.set_params(momentum=0.3), X, y)
    model.net_.initialize_optimizer()
    assert {group["momentum"] for group in model.net_.optimizer_.param_groups} == {0.3}


_MODES = {
    "no_grad": torch.no_grad,
    "grad_disabled": lambda: torch.set_grad_enabled(False),
    "inference_mode": torch.inference_mode,
}


def _mode_estimators(cls):
    from sklearn_sparse_mlp import SparseMLPClassifierCV, SparseMLPRegressorCV

    small = dict(max_iter=40, warmup_epochs=5, ramp_epochs=5, random_state=0)
    cv = SparseMLPClassifierCV if cls is SparseMLPClassifier else SparseMLPRegressorCV
    # the raw features: "auto"'s advice on sparse X is not the subject
    return [cls(**small), cv(**small, alphas=3, cv=2, max_iter_per_alpha=5, relax_epochs=5,
                             feature_encoding=None)]


# short fits and a 3-alpha grid: their convergence and grid warnings are not the subject
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore:.*the path ended after")
@pytest.mark.parametrize("mode", list(_MODES))
@pytest.mark.parametrize("cls", TWINS)
def test_fits_do_not_depend_on_the_callers_grad_mode(cls, mode):
    X, y = _data(cls, n_train=120)
    for estimator in _mode_estimators(cls):
        expected = clone(estimator).fit(X, y).predict(X)
        with _MODES[mode]():
            fitted = clone(estimator).fit(X, y)
            assert not torch.is_grad_enabled()  # the caller's mode is left as it was
        np.testing.assert_array_equal(fitted.predict(X), expected)
    with _MODES[mode]():  # a continued fit too
        SparseMLPClassifier(max_iter=5).partial_fit(*_data(SparseMLPClassifier, n_train=50),
                                                    classes=[0, 1])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore:.*the path ended after")
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("cls", TWINS)
def test_fits_do_not_depend_on_torchs_default_dtype(cls, sparse):
    X, y = _data(cls, n_train=120)
    X = sp.csr_matrix(X) if sparse else X
    for estimator in _mode_estimators(cls):
        expected = clone(estimator).fit(X, y).predict(X)
        previous = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        try:
            fitted = clone(estimator).fit(X, y)
            assert torch.get_default_dtype() == torch.float64
        finally:
            torch.set_default_dtype(previous)
        np.testing.assert_array_equal(fitted.predict(X), expected)


@pytest.mark.parametrize("cls", TWINS)
def test_an_interrupt_by_the_user_reaches_the_user(cls, monkeypatch):
    """skorch's partial_fit swallows every KeyboardInterrupt; the package's own stop at
    convergence is a subclass, so Ctrl-C in the middle of a fit leaves fit (and a
    cross_val_score around it), while a converged fit still ends normally."""
    X, y = _data(cls, n_train=100)
    converged = cls(alpha=_SEED_ALPHA[cls], max_iter=500, warmup_epochs=2, ramp_epochs=2,
                    random_state=0).fit(X, y)
    assert converged.n_iter_ < 500  # stopped by TrainingConverged, silently
    net_class = type(converged.net_)
    calls = []
    original = net_class.train_step

    def interrupted(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(net_class, "train_step", interrupted)
    estimator = cls(max_iter=50, random_state=0)
    with pytest.raises(KeyboardInterrupt):
        estimator.fit(X, y)
    assert not hasattr(estimator, "net_") and len(calls) == 3
    calls.clear()
    with pytest.raises(KeyboardInterrupt):
        cross_validate(cls(max_iter=50, random_state=0), X, y, cv=2)
    assert len(calls) == 3  # the first fold's third step: the loop did not go on
    calls.clear()
    with pytest.raises(KeyboardInterrupt):
        for _ in range(5):
            converged.partial_fit(X, y)


def _fitted_state(estimator):
    """Every fitted attribute's value, and the network's weights and history length."""
    state = {name: value for name, value in vars(estimator).items() if name.endswith("_")}
    net = state.pop("net_")
    weights = {name: value.clone() for name, value in net.module_.state_dict().items()}
    return state, weights, len(net.history_), net


def _assert_same_state(estimator, expected):
    state, weights, n_epochs, net = _fitted_state(estimator)
    assert state.keys() == expected[0].keys() and net is expected[3]
    for name, value in state.items():
        assert value is expected[0][name], name
    for name, value in weights.items():
        torch.testing.assert_close(value, expected[1][name], rtol=0, atol=0)
    assert n_epochs == expected[2]


@pytest.mark.parametrize("cls", TWINS)
def test_a_fit_that_fails_leaves_the_fitted_estimator_as_it_was(cls, monkeypatch):
    X, y = _data(cls, n_train=100)
    estimator = cls(feature_encoding="spline", alpha=0.01, max_iter=200, warmup_epochs=5,
                    ramp_epochs=5, tol=1e-3, random_state=0).fit(X, y)
    predictions, expected = estimator.predict(X), _fitted_state(estimator)
    rng = np.random.RandomState(0)
    X8 = rng.randn(100, 8)
    # bad input found after the new data were validated (and a new target scaling fitted)
    with pytest.raises(ValueError, match="beyond the float32 range"):
        estimator.fit(X8 * 1e39, y)
    _assert_same_state(estimator, expected)
    net_class = type(estimator.net_)
    original = net_class.train_step

    def diverging(self, *args, **kwargs):
        if len(self.history_) >= 3:
            raise NonFiniteLossError("the loss became nan")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(net_class, "train_step", diverging)
    # a new fit on 8 columns (a new encoder, a new network) and continued fits of this one
    for fit in (lambda: estimator.fit(X8, y),
                lambda: estimator.set_params(warm_start=True).fit(X, y),
                lambda: [estimator.partial_fit(X, y) for _ in range(5)]):
        with pytest.raises(NonFiniteLossError):
            fit()
        _assert_same_state(estimator, expected)
        np.testing.assert_array_equal(estimator.predict(X), predictions)
    estimator.set_params(warm_start=False)
    never = cls(max_iter=30)
    with pytest.raises(NonFiniteLossError):
        never.fit(X8, y)
    assert not [name for name in vars(never) if name.endswith("_")]  # cleanly unfitted
