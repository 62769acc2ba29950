"""Regression where the truth is known: the ranking, the selected set, the test R^2 and the time.

Data (all generated; the informative features are known):

- ``friedman1-p10`` / ``-p100`` / ``-p500`` / ``-p1000``: scikit-learn's
  ``make_friedman1(n_samples=2000, n_features=p, random_state=seed)`` (no noise, its
  default, as issue 26 measured it: the test R^2 measures how well the smooth function is
  fitted): y = 10 sin(pi x0 x1) + 20 (x2 - 1/2)^2 + 10 x3 + 5 x4, X uniform on [0, 1]^p;
  the first 1000 rows train, the last 1000 test, X standardized by a ``StandardScaler``
  fitted on the training rows. Truth {0, 1, 2, 3, 4}, k = 5.
- ``additive``: the SpAM-style additive model of ``bench_trust.py`` (its ``make_data``):
  400 training and 1000 test rows of 128 uniform features on [-1, 1];
  y = -2 sin(2 x0) + (2 x1)^2 - 4/3 + x2 + exp(-x3) - sinh(1) + noise whose variance is a
  quarter of the signal's (the best test R^2 is 0.80). Truth {0, 1, 2, 3}, k = 4.

Methods, each as a user constructs it (``seed`` is the data seed):

- ``sparse-mlp CV (ours)``: ``SparseMLPRegressorCV(random_state=seed)``, all defaults
  (``cv=5``); ranking ``feature_importances_``, selected ``get_support()``, its ``predict``.
- ``LassoCV``: ``LassoCV(cv=5, random_state=seed)``; ranking ``|coef_|``, selected the nonzero
  coefficients, its ``predict``.
- ``random forest``: ``RandomForestRegressor(n_estimators=500, n_jobs=1,
  random_state=seed)``; ranking ``feature_importances_``, selected by ``SelectFromModel``'s
  default threshold (importance above the mean), the forest's ``predict`` (all features).
- ``lassonet``: ``LassoNetRegressorCV(random_state=seed, torch_seed=seed, verbose=0)``
  (lassonet 0.0.21), its defaults otherwise: ``cv=None`` (5-fold ``KFold``),
  ``hidden_dims=(100,)``, ``path_multiplier=1.02``, ``n_iters=(1000, 100)``,
  ``patience=(100, 10)``, ``val_size=0.1`` (early stopping on 10% of each training set),
  ``M=10``, Adam then SGD at lr 1e-3, full batch, on the CPU. ``fit`` runs one path per fold
  to the empty model, picks the lambda of the best mean fold R^2, then trains the full data
  along the path up to that lambda: selected ``best_selected_``, its ``predict`` (that
  model). Ranking: its ``feature_importances_`` (the lambda at which each feature leaves that
  last path), which is ``inf`` for every feature it keeps, as that path stops at the chosen
  lambda; the kept features are ordered among themselves by the mean over the 5 folds' full
  paths of the lambda at which they leave (``raw_paths_``). Needs ``lassonet``. By far the
  slowest method: six paths of 400-500 lambdas each, 160-310 s a fit at p <= 128 on a
  2-core machine (16-58x the forest), and an epoch costs about 4.6x more at p = 1000 than
  at p = 100; leave it out of ``--methods`` for a quick run.
- ``MLPRegressor on true features (ceiling)``: ``TransformedTargetRegressor(
  regressor=MLPRegressor(random_state=seed, max_iter=1000), transformer=StandardScaler())``
  trained on the true columns only; it is given the selection, so its selection columns are
  ``-``.

Columns, per data set and method, means over the seeds: ``best-k share`` (the share of the
k true features among the method's k best ranked; ties at the k-th score are shared out
evenly, i.e. the expected share under a random tie-break, so that a tie is never broken in
favour of the true features by their low column indices); ``selected`` (count); ``true`` and
``false`` (counts among the selected); ``test R^2`` of the method's own prediction;
``fit s``, the seconds of ``fit`` alone (``time.perf_counter``; each method is fitted once
on tiny data first, untimed, so that a process's one-time imports are not charged);
``x forest``, the mean over seeds of that time divided by the random forest's on the same
data and seed; ``conv.
warnings``: the fits that raised a ``ConvergenceWarning`` (the progress lines name every
warning category raised). ``seeds`` counts the fits that succeeded (a failing fit is
printed and left out of the means).

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_regression.py [--datasets ...] [--methods
...] [--seeds N] [--write-docs docs/benchmarks_regression.rst]``
"""

import argparse
import collections
import os
import shlex
import sys
import time
import traceback
import warnings

import numpy as np
import torch
from _report import publish, rst_table
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_friedman1
from sklearn.ensemble import RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import LassoCV
from sklearn.metrics import r2_score
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

import sklearn_sparse_mlp
from sklearn_sparse_mlp import SparseMLPRegressorCV

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_trust import make_data as make_trust_data  # noqa: E402  (the additive model)

FRIEDMAN_WIDTHS = (10, 100, 500, 1000)
DATASETS = [*(f"friedman1-p{p}" for p in FRIEDMAN_WIDTHS), "additive"]
OURS = "sparse-mlp CV (ours)"
FOREST = "random forest"
CEILING = "MLPRegressor on true features (ceiling)"
METHODS = [OURS, "LassoCV", FOREST, "lassonet", CEILING]


def make_data(name, seed):
    """(X, y, X_test, y_test, truth)."""
    if name.startswith("friedman1-p"):
        p = int(name.removeprefix("friedman1-p"))
        X, y = make_friedman1(n_samples=2000, n_features=p, random_state=seed)
        scaler = StandardScaler().fit(X[:1000])
        return (scaler.transform(X[:1000]), y[:1000], scaler.transform(X[1000:]), y[1000:],
                {0, 1, 2, 3, 4})
    if name == "additive":
        X, y, X_test, y_test, truth, classification = make_trust_data("additive", seed)
        assert not classification
        return X, y, X_test, y_test, truth
    raise ValueError(f"unknown data set {name!r}; known: {DATASETS}")


def build(method, seed):
    """The estimator as a user constructs it."""
    if method == OURS:
        return SparseMLPRegressorCV(random_state=seed)
    if method == "LassoCV":
        return LassoCV(cv=5, random_state=seed)
    if method == FOREST:
        return RandomForestRegressor(n_estimators=500, n_jobs=1, random_state=seed)
    if method == "lassonet":
        from lassonet import LassoNetRegressorCV

        return LassoNetRegressorCV(random_state=seed, torch_seed=seed, verbose=0)
    if method == CEILING:
        return TransformedTargetRegressor(
            regressor=MLPRegressor(random_state=seed, max_iter=1000),
            transformer=StandardScaler())
    raise ValueError(f"unknown method {method!r}; known: {METHODS}")


def lassonet_ranking(model):
    """Its feature_importances_, the kept features (inf) ordered by the folds' full paths."""
    importances = model.feature_importances_.numpy().astype(float)
    folds = np.mean([model._compute_feature_importances(path).numpy().astype(float)
                     for path in model.raw_paths_], axis=0)
    # lexicographic (the last path first, the folds' mean to break its ties), a dense rank:
    # features equal on both keep their tie
    _, ranking = np.unique(np.column_stack([importances, folds]), axis=0, return_inverse=True)
    return ranking.ravel().astype(float)


def inspect(method, model, X_test, truth):
    """(ranking or None, selected indices or None, test predictions) of a fitted model."""
    if method == OURS:
        return model.feature_importances_, model.get_support(indices=True), model.predict(X_test)
    if method == "LassoCV":
        return np.abs(model.coef_), np.flatnonzero(model.coef_), model.predict(X_test)
    if method == FOREST:
        selected = SelectFromModel(model, prefit=True).get_support(indices=True)
        return model.feature_importances_, selected, model.predict(X_test)
    if method == "lassonet":
        selected = np.flatnonzero(model.best_selected_.numpy())
        return lassonet_ranking(model), selected, np.ravel(model.predict(X_test))
    if method == CEILING:
        return None, None, model.predict(X_test[:, sorted(truth)])
    raise ValueError(method)


def best_k_share(ranking, truth):
    """The share of the k true features among the k best ranked; ties at the k-th score are
    shared out evenly (the expected share under a random tie-break)."""
    ranking = np.asarray(ranking, dtype=float)
    k = len(truth)
    is_true = np.isin(np.arange(len(ranking)), sorted(truth))
    kth = np.sort(ranking)[::-1][k - 1]
    above = ranking > kth
    tied = ranking == kth
    found = is_true[above].sum() + (k - above.sum()) * is_true[tied].sum() / tied.sum()
    return found / k


def fit_one(method, name, seed):
    """One record (dict) of a method on one data set and seed."""
    X, y, X_test, y_test, truth = make_data(name, seed)
    model = build(method, seed)
    X_fit = X[:, sorted(truth)] if method == CEILING else X
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        model.fit(X_fit, y)
        seconds = time.perf_counter() - start
    ranking, selected, prediction = inspect(method, model, X_test, truth)
    record = dict(seconds=seconds, r2=r2_score(y_test, prediction), truth=len(truth),
                  convergence=any(issubclass(w.category, ConvergenceWarning) for w in caught),
                  warnings=collections.Counter(w.category.__name__ for w in caught))
    if ranking is not None:
        record["best_k"] = best_k_share(ranking, truth)
    if selected is not None:
        true = len(truth & set(selected.tolist()))
        record.update(selected=len(selected), true=true, false=len(selected) - true)
    return record


def warm_up(methods):
    """Fit each method once on tiny data, untimed: one-time costs of a process (torch
    imports sympy at its first optimizer step, 2-3 s) are not charged to the first data set."""
    rng = np.random.RandomState(0)
    X, y = rng.randn(60, 5), rng.randn(60)
    for method in methods:
        if method == "lassonet":
            continue  # its one-time costs are small against its fit times
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build(method, 0).fit(X, y)


def run(datasets, seeds, methods):
    warm_up(methods)
    rows = []
    for name in datasets:
        records = {method: [] for method in methods}
        for seed in seeds:
            forest_seconds = None
            # the forest first, for the time ratio of the others
            for method in sorted(methods, key=lambda m: m != FOREST):
                try:
                    record = fit_one(method, name, seed)
                except Exception:  # the benchmark goes on; the error is printed
                    print(f"  {name} seed {seed} {method}: FAILED", flush=True)
                    traceback.print_exc(file=sys.stdout)
                    continue
                if method == FOREST:
                    forest_seconds = record["seconds"]
                record["ratio"] = (record["seconds"] / forest_seconds if forest_seconds
                                   else None)
                records[method].append(record)
                described = ", ".join(f"{k} x{v}" for k, v in record["warnings"].items())
                selection = (f", {record['selected']} selected ({record['true']} true)"
                             if "selected" in record else "")
                ranked = f", best-k {record['best_k']:.2f}" if "best_k" in record else ""
                print(f"  {name} seed {seed} {method}: {record['seconds']:.1f} s, test R^2 "
                      f"{record['r2']:.3f}{selection}{ranked}"
                      f"{', warnings: ' + described if described else ''}", flush=True)
        for method in methods:
            done = records[method]

            def mean(key, done=done):
                values = [r[key] for r in done if r.get(key) is not None]
                return np.mean(values) if values else None

            rows.append(dict(
                data=name, method=method, seeds=f"{len(done)}/{len(seeds)}",
                truth=len(make_data(name, 0)[4]), best_k=mean("best_k"),
                selected=mean("selected"), true=mean("true"), false=mean("false"),
                r2=mean("r2"), seconds=mean("seconds"), ratio=mean("ratio"),
                convergence=f"{sum(r['convergence'] for r in done)}/{len(done)}",
            ))
    return rows


def _cell(value, digits):
    return "-" if value is None else f"{value:.{digits}f}"


def format_rst(rows, command):
    header = ["data", "method", "seeds", "truth", "best-k share", "selected", "true", "false",
              "test R^2", "fit s", "x forest", "conv. warnings"]
    lines = [[r["data"], r["method"], r["seeds"], str(r["truth"]), _cell(r["best_k"], 2),
              _cell(r["selected"], 1), _cell(r["true"], 1), _cell(r["false"], 1),
              _cell(r["r2"], 3), _cell(r["seconds"], 1), _cell(r["ratio"], 2),
              r["convergence"]] for r in rows]
    return "\n".join([
        "Regression with a known truth",
        "=============================",
        "",
        f"Command: ``{command}`` (2-core machine, one torch thread). Every method as a user "
        "constructs it (``cv=5``; LassoNet: ``LassoNetRegressorCV`` with its defaults). "
        "``truth``: k, the informative features; ``best-k share``: the share of them among "
        "the method's k best ranked (ties shared out evenly); ``selected``, ``true``, "
        "``false``: mean counts of the selected features; ``test R^2`` of the method's own "
        "prediction; ``fit s``: the seconds of ``fit`` alone; ``x forest``: that time over "
        "the random forest's (500 trees) on the same data and seed; ``conv. warnings``: the "
        "fits that raised a ``ConvergenceWarning``; ``seeds``: the fits that succeeded. The "
        "ceiling is an MLP given the true features. See ``benchmarks/bench_regression.py`` "
        "for the data and the settings.",
        "",
        *rst_table(header, lines), "",
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS)
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--write-docs", metavar="PATH")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"sklearn_sparse_mlp from {os.path.dirname(sklearn_sparse_mlp.__file__)}", flush=True)
    rows = run(args.datasets, list(range(args.seeds)), args.methods)
    command = "OMP_NUM_THREADS=1 python benchmarks/" + shlex.join(
        ["bench_regression.py", *sys.argv[1:]])
    text = format_rst(rows, command)
    publish(text, args.write_docs)


if __name__ == "__main__":
    main()
