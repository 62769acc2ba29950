"""Scaling in the number of columns p: the CV fit's time and peak memory as p grows.

Data (binary classification, all generated; ``seed`` is the data seed, 0 .. ``--seeds`` - 1):
``rng = np.random.RandomState(seed)``; ``w = rng.randn(10)``; the 10 informative columns
``rng.randn(n + 500, 10)`` are drawn first and the ``p - 10`` noise columns after them, so
that the informative columns, and so the labels, are the same at every width of a seed;
X is standard normal, its first 10 columns informative, and the label is
``X[:, :10] @ w + 0.5 * sin(3 * X[:, 0]) > 0``. The first ``n`` rows (``--n-samples``,
default 500) train, the last 500 test. Widths p: ``--widths`` (default 1000 2000 5000
10000 20000). With ``--sparse``: the same X as a float64 ``scipy.sparse`` CSR matrix in
which each noise entry is kept with probability 0.1 (the others set to 0), the 10
informative columns kept whole (dense), so the labels are unchanged; about 10% of the
entries are nonzero.

Methods, each as a user constructs it:

- ``sparse-mlp CV (ours)``: ``SparseMLPClassifierCV(random_state=seed)``, all defaults
  (``cv=5``); selected ``get_support()``.
- ``L1 logistic regression CV``: ``LogisticRegressionCV(l1_ratios=(1.0,), solver="saga",
  Cs=10, cv=5, max_iter=1000, random_state=seed)`` (the lasso: scikit-learn 1.8 replaced
  ``penalty="l1"`` by ``l1_ratios``); selected the nonzero coefficients.
- ``random forest``: ``RandomForestClassifier(n_estimators=500, n_jobs=1,
  random_state=seed)``; selected by ``SelectFromModel``'s default threshold (importance
  above the mean).
- ``lassonet``: ``LassoNetClassifierCV(random_state=seed, torch_seed=seed, verbose=0)``
  (lassonet's defaults otherwise: ``cv=None``, 5 folds, ``hidden_dims=(100,)``, on the
  CPU here); selected ``best_selected_``. Needs ``lassonet``; off unless named in
  ``--methods``: it is very slow (160-310 s a fit at p <= 128 and 400-1000 rows on a 2-core
  machine in ``bench_regression.py``). It does not accept sparse input: with ``--sparse``
  it is given ``X.toarray()``, and that dense copy is made inside its timed and measured
  ``fit``.

Every method is fitted in the same process, on the same data, one after the other, with
warnings ignored; each is first fitted once on tiny data, untimed (lassonet excepted), so
that the process's one-time costs (imports, torch's first optimizer step, which is also
taken once by hand for lassonet's sake) are charged to no fit. Measured per fit:
``fit s``, the seconds of ``fit`` alone (``time.perf_counter``); ``peak MB``, the peak
resident memory (RSS, read from ``/proc/self/status`` every 5 ms by a sampling thread:
``_memory.peak_rss_above_start``) above the RSS at the start of the fit, in MB (1e6
bytes); before each fit the garbage collector runs and glibc's ``malloc_trim(0)`` hands
freed heap back to the system, so that memory an earlier fit freed is not silently reused
(a peak reached between two 5 ms samples can still be missed); the test accuracy of the
method's own ``predict``; ``selected``, the number of selected columns, and
``informative``, how many of the 10 informative ones are among them.

Table, per width and method, means over the seeds: those columns; ``x L1`` the mean over
seeds of the method's time over the L1 logistic regression's on the same data and seed;
``exponent``, the growth of the method's mean time from the previous width,
``log(t2 / t1) / log(p2 / p1)`` (1: linear in p). ``seeds`` counts the fits that succeeded
(a failing fit is printed and left out of the means). ``--plot PATH`` writes a PNG: the
mean fit seconds (left) and peak MB (right) against p, log-log, one line per method.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_scaling.py [--widths 1000 2000 ...]
[--n-samples 500] [--sparse] [--methods ...] [--seeds N] [--plot PATH]
[--write-docs docs/benchmarks_scaling.rst]``
"""

import argparse
import ctypes
import gc
import os
import shlex
import sys
import time
import traceback
import warnings

import numpy as np
import scipy.sparse as sp
import torch
from _memory import peak_rss_above_start
from _report import publish, rst_table
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import accuracy_score

import sklearn_sparse_mlp
from sklearn_sparse_mlp import SparseMLPClassifierCV

OURS = "sparse-mlp CV (ours)"
L1 = "L1 logistic regression CV"
FOREST = "random forest"
LASSONET = "lassonet"
METHODS = [OURS, L1, FOREST, LASSONET]
DEFAULT_METHODS = [OURS, L1, FOREST]
WIDTHS = [1000, 2000, 5000, 10000, 20000]
N_INFORMATIVE = 10
N_TEST = 500
DENSITY = 0.1


def make_data(p, n_samples, seed, sparse=False):
    """(X, y, X_test, y_test): the first 10 columns informative, the same at every p."""
    if p < N_INFORMATIVE:
        raise ValueError(f"p = {p}: at least {N_INFORMATIVE} columns are needed")
    rng = np.random.RandomState(seed)
    w = rng.randn(N_INFORMATIVE)
    n_total = n_samples + N_TEST
    informative = rng.randn(n_total, N_INFORMATIVE)
    noise = rng.randn(n_total, p - N_INFORMATIVE)
    y = (informative @ w + 0.5 * np.sin(3 * informative[:, 0]) > 0).astype(np.int64)
    if sparse:
        noise[rng.rand(*noise.shape) >= DENSITY] = 0.0
        X = sp.hstack([sp.csr_matrix(informative), sp.csr_matrix(noise)], format="csr")
    else:
        X = np.hstack([informative, noise])
    del noise
    return X[:n_samples], y[:n_samples], X[n_samples:], y[n_samples:]


def build(method, seed):
    """The estimator as a user constructs it."""
    if method == OURS:
        return SparseMLPClassifierCV(random_state=seed)
    if method == L1:
        return LogisticRegressionCV(l1_ratios=(1.0,), solver="saga", Cs=10, cv=5,
                                    max_iter=1000, random_state=seed)
    if method == FOREST:
        return RandomForestClassifier(n_estimators=500, n_jobs=1, random_state=seed)
    if method == LASSONET:
        from lassonet import LassoNetClassifierCV

        return LassoNetClassifierCV(random_state=seed, torch_seed=seed, verbose=0)
    raise ValueError(f"unknown method {method!r}; known: {METHODS}")


def as_input(method, X):
    """lassonet takes dense arrays only; every other method takes X as it is."""
    return X.toarray() if method == LASSONET and sp.issparse(X) else X


def selected_columns(method, model):
    """The indices of the columns a fitted model selects."""
    if method == OURS:
        return model.get_support(indices=True)
    if method == L1:
        return np.flatnonzero(np.any(np.asarray(model.coef_) != 0, axis=0))
    if method == FOREST:
        return SelectFromModel(model, prefit=True).get_support(indices=True)
    if method == LASSONET:
        return np.flatnonzero(np.asarray(model.best_selected_))
    raise ValueError(method)


def release_memory():
    """Collect garbage and hand glibc's freed heap back to the system (Linux; no-op else)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def fit_one(method, data, seed):
    """One record (dict) of a method on one data set and seed."""
    X, y, X_test, y_test = data
    model = build(method, seed)
    release_memory()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with peak_rss_above_start() as memory:
            start = time.perf_counter()
            model.fit(as_input(method, X), y)
            seconds = time.perf_counter() - start
        prediction = np.ravel(model.predict(as_input(method, X_test)))
    selected = selected_columns(method, model)
    return dict(seconds=seconds, peak_mb=memory["peak"] / 1e6,
                accuracy=accuracy_score(y_test, prediction), selected=len(selected),
                informative=int(np.sum(selected < N_INFORMATIVE)))


def warm_up(methods, sparse):
    """Fit each method once on tiny data, untimed: one-time costs of the process (imports,
    torch's first optimizer step) are charged to no timed fit."""
    weight = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.Adam([weight])  # torch's first step imports torch._dynamo
    (weight ** 2).sum().backward()
    optimizer.step()
    X, y, _, _ = make_data(N_INFORMATIVE + 5, 60, 0, sparse)
    for method in methods:
        if method == LASSONET:
            continue  # its one-time costs are small against its fit times
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build(method, 0).fit(as_input(method, X), y)


def run(widths, n_samples, seeds, methods, sparse):
    warm_up(methods, sparse)
    rows = []
    previous = {}  # method -> (p, mean seconds) at the previous width
    for p in widths:
        records = {method: [] for method in methods}
        for seed in seeds:
            data = make_data(p, n_samples, seed, sparse)
            X = data[0]
            kind = (f"CSR, density {X.nnz / (X.shape[0] * X.shape[1]):.3f}" if sp.issparse(X)
                    else "dense")
            print(f"p={p} seed {seed}: X {X.shape[0]} x {X.shape[1]} ({kind}), "
                  f"{data[2].shape[0]} test rows, {data[1].mean():.2f} positive", flush=True)
            l1_seconds = None
            # the L1 logistic regression first, for the others' time ratio
            for method in sorted(methods, key=lambda m: m != L1):
                try:
                    record = fit_one(method, data, seed)
                except Exception:  # the benchmark goes on; the error is printed
                    print(f"  p={p} seed {seed} {method}: FAILED", flush=True)
                    traceback.print_exc(file=sys.stdout)
                    continue
                if method == L1:
                    l1_seconds = record["seconds"]
                record["ratio"] = record["seconds"] / l1_seconds if l1_seconds else None
                records[method].append(record)
                print(f"  p={p} seed {seed} {method}: {record['seconds']:.1f} s, peak "
                      f"+{record['peak_mb']:.1f} MB, test accuracy {record['accuracy']:.3f}, "
                      f"{record['selected']} selected ({record['informative']}/"
                      f"{N_INFORMATIVE} informative)", flush=True)
            del data, X
        for method in methods:
            done = records[method]

            def mean(key, done=done):
                values = [r[key] for r in done if r.get(key) is not None]
                return float(np.mean(values)) if values else None

            seconds = mean("seconds")
            exponent = None
            if seconds is not None and method in previous:
                p1, t1 = previous[method]
                exponent = np.log(seconds / t1) / np.log(p / p1)
            if seconds is not None:
                previous[method] = (p, seconds)
            rows.append(dict(p=p, method=method, seeds=f"{len(done)}/{len(seeds)}",
                             seconds=seconds, peak_mb=mean("peak_mb"),
                             accuracy=mean("accuracy"), selected=mean("selected"),
                             informative=mean("informative"), ratio=mean("ratio"),
                             exponent=exponent))
    return rows


def _cell(value, digits):
    return "-" if value is None else f"{value:.{digits}f}"


def format_rst(rows, command, n_samples, sparse):
    header = ["p", "method", "seeds", "fit s", "x L1", "exponent", "peak MB",
              "test accuracy", "selected", "informative"]
    lines = [[str(r["p"]), r["method"], r["seeds"], _cell(r["seconds"], 1),
              _cell(r["ratio"], 2), _cell(r["exponent"], 2), _cell(r["peak_mb"], 1),
              _cell(r["accuracy"], 3), _cell(r["selected"], 1), _cell(r["informative"], 1)]
             for r in rows]
    title = f"Scaling in the number of columns ({'sparse' if sparse else 'dense'} input)"
    data = ("the same X as a CSR matrix, the noise columns at 10% density and the 10 "
            "informative ones dense" if sparse else "dense standard normal X")
    return "\n".join([
        title,
        "=" * len(title),
        "",
        ".. This file is written by ``benchmarks/bench_scaling.py --write-docs``: do not edit.",
        "",
        f"Command: ``{command}`` (2-core machine, one torch thread). Binary classification, "
        f"{n_samples} training and {N_TEST} test rows, {data}, p columns of which "
        f"{N_INFORMATIVE} informative (the label a fixed function of them, the same at every "
        "p). Every method as a user constructs it (``cv=5`` where it has a CV), fitted in "
        "the same process on the same data. ``fit s``: the seconds of ``fit`` alone; ``x "
        "L1``: that time over the L1 logistic regression's on the same data and seed; "
        "``exponent``: log(t2 / t1) / log(p2 / p1) of the mean time from the previous p (1: "
        "linear); ``peak MB``: the peak RSS during ``fit`` above its start; ``selected``: "
        f"the selected columns, ``informative``: how many of the {N_INFORMATIVE} informative "
        "ones among them (means over the seeds); ``seeds``: the fits that succeeded. See "
        "``benchmarks/bench_scaling.py`` for the data and the settings.",
        "",
        *rst_table(header, lines), "",
    ])


def plot(rows, methods, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_time, ax_memory) = plt.subplots(1, 2, figsize=(11, 4.5))
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        for ax, key in ((ax_time, "seconds"), (ax_memory, "peak_mb")):
            points = [(r["p"], r[key]) for r in mine if r[key] is not None and r[key] > 0]
            if points:
                ax.plot(*zip(*points, strict=True), marker="o", label=method)
    for ax, label in ((ax_time, "fit seconds"), (ax_memory, "peak RSS above start (MB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("p (columns)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    ax_time.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", nargs="+", type=int, default=WIDTHS, metavar="P")
    parser.add_argument("--n-samples", type=int, default=500, help="training rows")
    parser.add_argument("--sparse", action="store_true",
                        help="CSR input, the noise columns at 10%% density")
    parser.add_argument("--methods", nargs="+", default=DEFAULT_METHODS, choices=METHODS)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--plot", metavar="PATH", help="write a PNG of time and memory vs p")
    parser.add_argument("--write-docs", metavar="PATH")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"sklearn_sparse_mlp from {os.path.dirname(sklearn_sparse_mlp.__file__)}", flush=True)
    widths = sorted(set(args.widths))
    rows = run(widths, args.n_samples, list(range(args.seeds)), args.methods, args.sparse)
    command = "OMP_NUM_THREADS=1 python benchmarks/" + shlex.join(
        ["bench_scaling.py", *sys.argv[1:]])
    text = format_rst(rows, command, args.n_samples, args.sparse)
    publish(text, args.write_docs)
    if args.plot:
        plot(rows, args.methods, args.plot,
             f"n = {args.n_samples}, {'sparse (CSR)' if args.sparse else 'dense'} X")


if __name__ == "__main__":
    main()
