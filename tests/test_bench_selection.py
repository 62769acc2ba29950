"""The selection benchmark's comparison with the best peer (benchmarks/bench_selection.py)."""

import importlib.util
from pathlib import Path

import pytest

# The benchmark is a script in benchmarks/, not part of the package: load it from its file.
_BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
_spec = importlib.util.spec_from_file_location("bench_selection",
                                               _BENCHMARKS / "bench_selection.py")
bench_selection = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_selection)
OURS, compare_to_best_peer = bench_selection.OURS, bench_selection.compare_to_best_peer


def _rows(accuracies, dataset="d", k=5):
    """accuracies: {method: {seed: accuracy}} -> benchmark rows, in a shuffled order."""
    rows = [dict(dataset=dataset, k=k, method=m, seed=s, accuracy=a)
            for m, per_seed in accuracies.items() for s, a in per_seed.items()]
    return rows[::-1]


def test_compare_pairs_splits_by_seed_and_picks_the_best_mean_peer():
    rows = _rows({
        OURS: {0: 0.90, 1: 0.80, 2: 0.70, 3: 0.60},
        "l1-logistic": {3: 0.50, 2: 0.75, 1: 0.80, 0: 0.85},  # mean .725: the best peer
        "random-forest": {0: 0.70, 1: 0.70, 2: 0.70, 3: 0.70},
        "random-k": {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0},  # the floor is not a peer
    })
    (line,) = compare_to_best_peer(rows)
    assert line["peer"] == "l1-logistic"
    assert (line["wins"], line["ties"], line["losses"]) == (2, 1, 1)
    assert line["diff"] == pytest.approx((0.05 + 0.0 - 0.05 + 0.10) / 4)
    assert line["verdict"] == "ahead"
    assert line["p"] == pytest.approx(1.0)  # 2 wins against 1 loss: chance


def test_compare_verdict_uses_means_to_three_decimals():
    tied = _rows({OURS: {0: 0.9651, 1: 0.9651}, "anova-f": {0: 0.9649, 1: 0.9649}})
    assert compare_to_best_peer(tied)[0]["verdict"] == "tied"
    behind = _rows({OURS: dict.fromkeys(range(8), 0.9), "lassonet": dict.fromkeys(range(8), 0.95)})
    (line,) = compare_to_best_peer(behind)
    assert line["verdict"] == "behind" and line["losses"] == 8
    assert line["p"] == pytest.approx(2 / 2**8)


def test_synthetic_family_labels_come_from_the_informative_columns_only():
    import numpy as np

    (name, X, y, ks, informative), = bench_selection.load_datasets(["ring128"])
    assert (name, X.shape, ks) == ("ring128", (1000, 128), (2,)) and len(informative) == 2
    a, b = sorted(informative)
    for first, second in ((a, b), (b, a)):  # the ring is symmetric in its two columns
        ring = np.abs(np.hypot(X[:, first] - 0.5, X[:, second] - 0.5) - 0.35) <= 0.115
        np.testing.assert_array_equal(ring.astype(int), y)
    assert 0.4 < y.mean() < 0.6
    with pytest.raises(SystemExit, match="unknown data sets"):
        bench_selection.load_datasets(["ring64"])


def test_compare_skips_a_data_set_without_ours_or_without_a_peer():
    """A run of some methods only (``--methods "sparse-mlp (ours)"``) has nothing to compare
    and still prints its table."""
    rows = _rows({OURS: {0: 0.9}}, dataset="a") + _rows({"random-forest": {0: 0.8}}, dataset="b")
    rows += _rows({OURS: {0: 0.7}, "random-forest": {0: 0.8}}, dataset="c")
    (line,) = compare_to_best_peer(rows)
    assert line["dataset"] == "c" and line["verdict"] == "behind"


def test_encodings_of_ours_lists_each_split_once_per_data_set():
    rows = [dict(dataset=d, k=k, method=m, seed=s, encoding=f"{enc} ({s / 10:.2f})")
            for d, enc in (("ring32", "spline"), ("digits", "raw"))
            for s in (0, 1) for k in (10, 20) for m in (OURS, "l1-logistic")]
    rows += [dict(dataset="digits", k=10, method="all features", seed=0)]
    assert bench_selection.encodings_of_ours(rows) == (
        "ring32: spline (0.00), spline (0.10); digits: raw (0.00), raw (0.10)")
    assert bench_selection.encodings_of_ours(rows[-1:]) is None
