"""GridSearchCV over alpha with n_jobs=1 against n_jobs=2 on a 2-core machine.

Each loky worker would otherwise run torch with every core; the estimator runs one torch
thread per fit by default (``n_jobs=None``), so two workers use the two cores without
oversubscription. Target: n_jobs=2 not slower than n_jobs=1 (ratio t2 / t1 <= 1).
Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_grid_search_jobs.py``.
"""

import time

import numpy as np
from sklearn.model_selection import GridSearchCV

from sklearn_sparse_mlp import SparseMLPClassifier


def main():
    rng = np.random.RandomState(0)
    X = rng.randn(800, 10)
    y = (X[:, 0] ** 2 + X[:, 1] ** 2 > 1.386).astype(int)
    grid = {"alpha": [0.02, 0.05, 0.1, 0.2]}
    times = {}
    for n_jobs in (1, 2, 1, 2):
        search = GridSearchCV(SparseMLPClassifier(random_state=0), grid, cv=3, n_jobs=n_jobs)
        start = time.perf_counter()
        search.fit(X, y)
        times.setdefault(n_jobs, []).append(time.perf_counter() - start)
    t1, t2 = min(times[1]), min(times[2])
    print(f"GridSearchCV, 4 alphas x 3 folds: n_jobs=1 {t1:.1f} s, n_jobs=2 {t2:.1f} s, "
          f"ratio {t2 / t1:.2f} (target <= 1.0)")


if __name__ == "__main__":
    main()
