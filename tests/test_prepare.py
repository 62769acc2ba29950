"""The one preparation of a fit's data that the single fit, the stacks and the CV share."""

import numpy as np
import pytest
import scipy.sparse as sp
from _warning_filters import MAX_ITER_REACHED, SHORT_GRID

from sklearn_sparse_mlp import DataAdviceWarning, SparseMLPClassifier, SparseMLPRegressor
from sklearn_sparse_mlp._prepare import Encoding, prepare_data, training_rows


def _batch(size):
    return lambda n_rows: min(size, n_rows)


def test_rows_of_weight_zero_shape_neither_the_encoding_nor_the_ranges():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(60, 3))
    X[:10] *= 50.0  # far outside the other rows' range, and of weight 0
    weight = np.r_[np.zeros(10), rng.uniform(0.5, 2, 50)]
    data = prepare_data(X, weight, "spline", name="test")
    alone = Encoding.fit("spline", X[10:].astype(np.float32), weight[10:])
    np.testing.assert_array_equal(data.X[10:], alone.transform(X[10:].astype(np.float32)))
    np.testing.assert_array_equal(data.low, data.X[10:].min(axis=0))
    np.testing.assert_array_equal(data.high, data.X[10:].max(axis=0))
    np.testing.assert_array_equal(data.positive, np.arange(10, 60))
    assert data.encoding.columns.n_per_feature == 8 and data.X.shape == (60, 24)


def test_the_scale_advice_reads_the_raw_columns_of_positive_weight():
    X = np.c_[np.linspace(-1, 1, 20), np.linspace(-1, 1, 20)]
    X[0, 1] = 1e5
    with pytest.warns(DataAdviceWarning, match="test: X has values up to 1e"):
        prepare_data(X, None, name="test")
    weight = np.r_[0.0, np.ones(19)]
    prepare_data(X, weight, name="test")  # the wide row has weight 0: nothing to say
    prepare_data(X, None, "spline", name="test")  # encoded columns lie in [-1, 1]


@pytest.mark.parametrize("sparse", [False, True])
def test_training_rows_merge_repeats_only_in_one_batch(sparse):
    X = np.array([[1.0, 0.0], [2.0, 0.0], [1.0, 0.0], [3.0, 0.0], [1.0, 0.0]], np.float32)
    X = sp.csr_matrix(X) if sparse else X
    y = np.array([0, 1, 0, 1, 1])
    weight = np.array([1.0, 2.0, 1.0, 0.0, 4.0])
    merged = training_rows(X, y, np.arange(5), weight, _batch(200))
    # rows 0 and 2 are one (x, y) with weight 2; row 3 has weight 0; row 4 has another y
    assert sorted(merged.rows.tolist()) == [0, 1, 4]
    by_row = dict(zip(merged.rows.tolist(), merged.sample_weight.tolist(), strict=True))
    np.testing.assert_allclose([by_row[0], by_row[1], by_row[4]], np.array([2, 2, 4]) * 3 / 8)
    np.testing.assert_array_equal(merged.held, [False, True])
    np.testing.assert_array_equal(merged.fill_values, [1.0, 0.0])
    batched = training_rows(X, y, np.arange(5), weight, _batch(2))
    np.testing.assert_array_equal(batched.rows, [0, 1, 2, 4])
    np.testing.assert_allclose(batched.sample_weight, np.array([1, 2, 1, 4]) / 2)
    equal = training_rows(X, y[[1, 3]], np.array([1, 3]), None, _batch(2))
    assert equal.sample_weight is None and equal.held.tolist() == [False, True]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # short fits
@pytest.mark.parametrize("cls", [SparseMLPClassifier, SparseMLPRegressor])
def test_a_refit_commits_the_new_encoding_only_with_its_network(cls):
    """The encoding and the network are committed together, at the end of a fit."""
    rng = np.random.RandomState(0)
    X = rng.randn(80, 3)
    y = (X[:, 0] > 0).astype(int) if cls is SparseMLPClassifier else X[:, 0]
    model = cls(feature_encoding="spline", max_iter=40, warmup_epochs=5, ramp_epochs=5,
                random_state=0).fit(X, y)
    assert model.net_.module_.lin1.in_features == 24 and model.encoder_ is not None
    model.set_params(feature_encoding=None, max_iter=40).fit(X, y)
    assert model.net_.module_.lin1.in_features == 3 and not hasattr(model, "encoder_")
    assert model._encoding.option is None and model.get_support().shape == (3,)


@SHORT_GRID
def test_the_folds_test_rows_are_encoded_once_per_fold(monkeypatch):
    import sklearn_sparse_mlp._prepare as prepare
    from sklearn_sparse_mlp import SparseMLPRegressorCV

    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(120, 3))
    y = np.sin(3 * X[:, 0]) + 0.1 * rng.randn(120)
    model = SparseMLPRegressorCV(feature_encoding="spline", cv=3, hidden_layer_sizes=(8,),
                                 alphas=6, random_state=0)
    encoded = []
    real = prepare.encode
    monkeypatch.setattr(prepare, "encode",
                        lambda encoder, X, name: encoded.append(len(X)) or real(encoder, X, name))
    model.fit(X, y)
    # each fold's 40 test rows are encoded twice: for the dense fits' skill, and once for
    # the scores of every alpha of the path (the other encodings are the whole data's)
    assert [n for n in encoded if n == 40] == [40] * 6
    assert len(model.scores_path_[0]) > 1  # several alphas were scored
    np.testing.assert_array_equal(model.predict(X[:40]), model.predict(X[:40].copy()))


@MAX_ITER_REACHED
def test_encoding_memo_gives_each_distinct_x_its_own_encoding_and_restores_the_encoding():
    from sklearn_sparse_mlp._prepare import encoding_memo

    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(50, 2))
    model = SparseMLPRegressor(feature_encoding="spline", alpha=0.0, max_iter=5, random_state=0)
    model.fit(X, X[:, 0])
    encoding = model._encoding
    with encoding_memo(model):
        first = model._encoded(X[:10])
        assert model._encoded(X[:10].copy()) is first  # equal content: encoded once
        other = model._encoded(X[10:20])
        np.testing.assert_array_equal(other, encoding.transform(X[10:20]))
        np.testing.assert_array_equal(first, encoding.transform(X[:10]))
        assert not first.flags.writeable
    assert model._encoding is encoding
