"""Support recovery of the CV estimators with their defaults on the seed-problem family.

For each nonlinear rule of x0 and x1 (x1 only through its square; a circle; x0 * x1 > 0),
10 and 100 features, 800 train / 200 test and 5 random states, fits
``SparseMLPClassifierCV(random_state=seed)`` and counts the states where the selected
features are exactly {0, 1} and test accuracy >= 0.93; then the regression twin
(y = sin(2 x0) + x1**2 + noise) with ``SparseMLPRegressorCV``, counted with test r2 >= 0.75.
Target: at least 4 of 5 everywhere.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_recovery.py [--features 10 100] [--seeds 5]``
"""

import argparse
import time
import warnings

import torch
from _seed_problem import SEED_RULES, make_regression_twin, make_seed_problem
from sklearn.exceptions import ConvergenceWarning

from sklearn_sparse_mlp import SparseMLPClassifierCV, SparseMLPRegressorCV

RULES = [*SEED_RULES, "regression"]


def run(rule, n_features, seed):
    if rule == "regression":
        X, y, X_test, y_test = make_regression_twin(seed, n_features)
        estimator, threshold = SparseMLPRegressorCV(random_state=seed), 0.75
    else:
        X, y, X_test, y_test = make_seed_problem(rule, seed, n_features)
        estimator, threshold = SparseMLPClassifierCV(random_state=seed), 0.93
    start = time.perf_counter()
    estimator.fit(X, y)
    elapsed = time.perf_counter() - start
    support = estimator.get_support(indices=True).tolist()
    score = estimator.score(X_test, y_test)
    return support, score, score >= threshold and support == [0, 1], elapsed, estimator.alpha_


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--rules", nargs="+", default=RULES)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", ConvergenceWarning)
    print("rule        features  recovered  per seed: (support, test score, alpha_, seconds)")
    for n_features in args.features:
        for rule in args.rules:
            results = [run(rule, n_features, seed) for seed in range(args.seeds)]
            ok = sum(r[2] for r in results)
            detail = "; ".join(
                f"{r[0] if len(r[0]) <= 6 else str(len(r[0])) + ' feats'} {r[1]:.3f} "
                f"a={r[4]:.3g} {r[3]:.0f}s"
                for r in results
            )
            print(f"{rule:10s}  {n_features:8d}  {ok}/{args.seeds}        {detail}", flush=True)


if __name__ == "__main__":
    main()
