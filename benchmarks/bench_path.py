"""Cost of choosing alpha: SparseMLPClassifierCV's path against GridSearchCV and LassoNet.

What it measures, in one process and on the same data (the tests' seed problem: X ~ N(0, I),
800 train / 200 test samples, labels from a rule of x0 and x1 only, the other features noise):

(a) ``SparseMLPClassifierCV(cv=K, random_state=seed)``, defaults otherwise: one dense fit and
    a warm-started path per fold plus one on the full data;
(b) ``GridSearchCV(SparseMLPClassifier(random_state=seed), {"alpha": grid}, cv=K)`` over the
    alphas (a) walked (``alphas_``; every 2nd one with ``--quick``): an independent fit from
    scratch (warm-up, ramp, convergence test) per alpha and fold, then the refit. (a) runs
    first to provide the grid; only ``GridSearchCV.fit`` is timed;
(c) ``lassonet.LassoNetClassifierCV`` (hidden_dims=(64,), its other defaults), when
    installed. Its ``cv`` is passed as ``StratifiedKFold(K)``: LassoNet calls
    ``check_cv(cv)`` without ``y`` and ``classifier=True``, so an int would give it
    unstratified ``KFold`` folds, while (a) and (b) get ``StratifiedKFold(K)`` from ``cv=K``.
    Its ``random_state`` only seeds its internal 10% validation split; ``torch_seed`` seeds
    its weights, so both are set to the seed. Selected features are ``best_selected_``.

For each method: wall time of the fit, the selected features, whether they are exactly the
informative ones {0, 1}, and the accuracy on the 200 test samples; then the time ratios
GridSearch / CV and LassoNet / CV. K = 5, or 3 with ``--quick``. Torch runs on 1 thread.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_path.py [--rule circle] [--n-features 10]
[--seeds 0 1 ...] [--quick]``
"""

import argparse
import time
import warnings

import numpy as np
import torch
from _seed_problem import SEED_RULES, make_seed_problem
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_sparse_mlp import SparseMLPClassifier, SparseMLPClassifierCV

try:
    from lassonet import LassoNetClassifierCV
except ImportError:  # optional competitor
    LassoNetClassifierCV = None

torch.set_num_threads(1)

INFORMATIVE = {0, 1}

def timed(fit):
    """Run ``fit()`` with convergence warnings silenced; returns (seconds, result)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)  # LassoNet's "lambda_start too large"
        start = time.perf_counter()
        result = fit()
        return time.perf_counter() - start, result


def run_path_cv(X, y, X_test, y_test, seed, n_folds):
    clf = SparseMLPClassifierCV(cv=n_folds, random_state=seed)
    seconds, clf = timed(lambda: clf.fit(X, y))
    selected = clf.get_support(indices=True).tolist()
    info = f"{len(clf.alphas_)} alphas on the path, alpha_={clf.alpha_:.3g}"
    return dict(method="SparseMLPClassifierCV", seconds=seconds, selected=selected,
                accuracy=clf.score(X_test, y_test), info=info), clf.alphas_


def run_grid_search(X, y, X_test, y_test, seed, n_folds, alphas):
    search = GridSearchCV(SparseMLPClassifier(random_state=seed), {"alpha": list(alphas)},
                          cv=n_folds)
    seconds, search = timed(lambda: search.fit(X, y))
    selected = search.best_estimator_.get_support(indices=True).tolist()
    best = search.best_params_["alpha"]
    info = f"{len(alphas)} alphas x {n_folds} folds + refit, best alpha={best:.3g}"
    return dict(method="GridSearchCV(SparseMLP)", seconds=seconds, selected=selected,
                accuracy=search.score(X_test, y_test), info=info)


def run_lassonet(X, y, X_test, y_test, seed, n_folds):
    if LassoNetClassifierCV is None:
        return dict(method="LassoNetClassifierCV", seconds=None, selected=None, accuracy=None,
                    info="lassonet not installed")
    model = LassoNetClassifierCV(cv=StratifiedKFold(n_folds), hidden_dims=(64,),
                                 random_state=seed, torch_seed=seed, verbose=0, device="cpu")
    seconds, model = timed(lambda: model.fit(X, y))
    selected = np.flatnonzero(np.asarray(model.best_selected_)).tolist()
    accuracy = float(np.mean(model.predict(X_test) == y_test))
    info = f"{len(model.lambdas_)} lambdas, best_lambda_={model.best_lambda_:.3g}"
    return dict(method="LassoNetClassifierCV", seconds=seconds, selected=selected,
                accuracy=accuracy, info=info)


def fmt_selected(selected, limit=30):
    text = f"{len(selected)}: {selected}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def record(rows, row, seed):
    """Append ``row`` (tagged with ``seed``) to ``rows`` and report progress."""
    row["seed"] = seed
    rows.append(row)
    done = "" if row["seconds"] is None else f" in {row['seconds']:.1f} s"
    print(f"  seed {seed}: {row['method']} done{done}", flush=True)


def print_table(rows):
    print(f"{'seed':>4}  {'method':<24}  {'time (s)':>9}  {'selected (n: indices)':<30}  "
          f"{'== {0,1}':>8}  {'test acc':>8}  notes")
    for row in rows:
        if row["seconds"] is None:
            print(f"{row['seed']:>4}  {row['method']:<24}  {'-':>9}  {'-':<30}  {'-':>8}  "
                  f"{'-':>8}  {row['info']}")
            continue
        exact = "yes" if set(row["selected"]) == INFORMATIVE else "no"
        print(f"{row['seed']:>4}  {row['method']:<24}  {row['seconds']:>9.1f}  "
              f"{fmt_selected(row['selected']):<30}  {exact:>8}  {row['accuracy']:>8.3f}  "
              f"{row['info']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rule", default="circle", choices=sorted(SEED_RULES))
    parser.add_argument("--n-features", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 folds, every 2nd alpha in the grid search")
    args = parser.parse_args(argv)
    n_folds = 3 if args.quick else 5
    step = 2 if args.quick else 1

    print(f"rule={args.rule}, n_features={args.n_features}, 800 train / 200 test, "
          f"cv={n_folds}, grid search over alphas_[::{step}] of the CV path, "
          f"torch threads={torch.get_num_threads()}")
    rows = []
    for seed in args.seeds:
        X, y, X_test, y_test = make_seed_problem(args.rule, seed, n_features=args.n_features)
        row, alphas = run_path_cv(X, y, X_test, y_test, seed, n_folds)
        record(rows, row, seed)
        record(rows, run_grid_search(X, y, X_test, y_test, seed, n_folds, alphas[::step]), seed)
        record(rows, run_lassonet(X, y, X_test, y_test, seed, n_folds), seed)

    print()
    print_table(rows)
    print()
    for seed in args.seeds:
        by_method = {r["method"]: r["seconds"] for r in rows if r["seed"] == seed}
        cv = by_method["SparseMLPClassifierCV"]
        grid = by_method["GridSearchCV(SparseMLP)"]
        lassonet = by_method["LassoNetClassifierCV"]
        ratios = f"seed {seed}: GridSearch / CV = {grid / cv:.2f}"
        ratios += ", LassoNet / CV = " + ("n/a" if lassonet is None else f"{lassonet / cv:.2f}")
        print(ratios)
    return rows


if __name__ == "__main__":
    main()
