"""Sparse input at scale: 20,000 x 50,000 CSR at 0.1% density, 2 classes driven by 5 columns.

The matrix is never densified: each batch goes through ``lin1`` as a torch sparse product
(a dense float32 copy would take 4 GB). The 5 informative columns are denser (30%) than the
noise (0.1%), else the label would be constant for almost every row. Reports time per epoch,
peak RSS above the input, and whether exactly the 5 informative columns are selected.

With ``--densities D ...`` it measures instead where a batch of sparse rows is cheaper to
multiply as a dense product (``_data.DENSE_PRODUCT_MIN_DENSITY``, 2.5% of the cells, the
threshold above which the estimators do): for each density, a 2,000 x ``--width`` CSR matrix
of uniform noise at that density and labels from a linear score, and the seconds per epoch
of ``SparseMLPClassifier(alpha=1e-3, batch_size=128, max_iter=5)`` (hidden (64,), Adam), the
batches multiplied as sparse products (threshold 2.0: never dense) and as dense ones
(threshold 0.0), alternated in one process, best of ``--repeats``; and their ratio.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_sparse.py [--quick]
[--densities 0.005 0.01 0.02 0.03 0.05 0.1 [--width 5000] [--repeats 3]]``
"""

import argparse
import time
import warnings

import numpy as np
import scipy.sparse as sp
import torch
from _memory import peak_rss_above_start
from sklearn.exceptions import ConvergenceWarning

import sklearn_sparse_mlp._data
from sklearn_sparse_mlp import SparseMLPClassifier


def make_data(n_samples, n_features, n_informative=5, density=1e-3, seed=0):
    rng = np.random.RandomState(seed)
    # Built entry by entry: scipy.sparse.random draws its positions with a permutation of all
    # n_samples * n_features cells, which alone takes 8 GB here.
    n_noise = n_features - n_informative
    per_row = rng.poisson(density * n_noise, size=n_samples)
    rows = np.repeat(np.arange(n_samples), per_row)
    cols = n_informative + rng.randint(0, n_noise, size=rows.size)
    signal = (rng.rand(n_samples, n_informative) < 0.3) * rng.rand(n_samples, n_informative)
    signal_rows, signal_cols = np.nonzero(signal)
    X = sp.csr_matrix(
        (
            np.concatenate([signal[signal_rows, signal_cols], rng.rand(rows.size)]),
            (np.concatenate([signal_rows, rows]), np.concatenate([signal_cols, cols])),
        ),
        shape=(n_samples, n_features),
        dtype=np.float32,
    )
    score = signal @ np.array([2.0, -2.0, 1.5, -1.5, 1.0]) + 0.5 * (
        signal[:, 0] * signal[:, 1] > 0.1)
    y = (score > np.median(score)).astype(int)
    return X, y


def epoch_seconds(X, y, min_density):
    """Seconds per epoch of a short fit, with ``min_density`` as the dense product's threshold."""
    kept = sklearn_sparse_mlp._data.DENSE_PRODUCT_MIN_DENSITY
    sklearn_sparse_mlp._data.DENSE_PRODUCT_MIN_DENSITY = min_density
    try:
        clf = SparseMLPClassifier(alpha=1e-3, batch_size=128, max_iter=5, warmup_epochs=1,
                                  ramp_epochs=2, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            clf.fit(X, y)
            return (time.perf_counter() - start) / clf.n_iter_
    finally:
        sklearn_sparse_mlp._data.DENSE_PRODUCT_MIN_DENSITY = kept


def compare_products(densities, width, repeats):
    """Sparse against dense products of the batches, per density (see the module doc)."""
    print(f"2000 x {width} CSR, batch 128, hidden (64,), Adam; seconds per epoch, best of "
          f"{repeats}; threshold of the estimators: "
          f"{sklearn_sparse_mlp._data.DENSE_PRODUCT_MIN_DENSITY:.1%}")
    print(f"{'density':>8} {'sparse s':>9} {'dense s':>8} {'sparse / dense':>15}")
    for density in densities:
        rng = np.random.RandomState(0)
        X = sp.random(2000, width, density=density, format="csr", random_state=rng,
                      dtype=np.float32)
        y = (X @ rng.randn(width) > 0).astype(int)
        times = {2.0: [], 0.0: []}
        for _ in range(repeats):
            for threshold in times:
                times[threshold].append(epoch_seconds(X, y, threshold))
        sparse_s, dense_s = min(times[2.0]), min(times[0.0])
        print(f"{density:8.3f} {sparse_s:9.3f} {dense_s:8.3f} {sparse_s / dense_s:15.2f}",
              flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer epochs")
    parser.add_argument("--densities", type=float, nargs="+",
                        help="compare sparse and dense products at these densities instead")
    parser.add_argument("--width", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.densities:
        compare_products(args.densities, args.width, args.repeats)
        return
    n_samples, n_features = (4_000, 10_000) if args.quick else (20_000, 50_000)
    X, y = make_data(n_samples, n_features)
    n_train = int(0.8 * n_samples)
    clf = SparseMLPClassifier(alpha=0.02, batch_size=500, max_iter=40, warmup_epochs=5,
                              ramp_epochs=10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with peak_rss_above_start() as memory:
            start = time.perf_counter()
            clf.fit(X[:n_train], y[:n_train])
            elapsed = time.perf_counter() - start
    support = clf.get_support(indices=True)
    dense_gb = n_samples * n_features * 4 / 1e9
    density = X.nnz / X.shape[0] / X.shape[1]
    print(f"{n_samples} x {n_features} CSR, {X.nnz} non-zeros ({density:.2%}), "
          f"batch 500, hidden (64,), Adam, group lasso alpha=0.02, torch threads=1")
    print(f"time per epoch: {elapsed / clf.n_iter_:.2f} s ({clf.n_iter_} epochs, {elapsed:.0f} s)")
    print(f"peak RSS above the input during fit: {memory['peak'] / 1e6:.0f} MB "
          f"(a dense float32 copy would be {dense_gb:.1f} GB)")
    print(f"selected features: {len(support)}; first ones {support[:10].tolist()}; "
          f"exactly the 5 informative: {support.tolist() == [0, 1, 2, 3, 4]}")
    print(f"test accuracy: {clf.score(X[n_train:], y[n_train:]):.3f}")


if __name__ == "__main__":
    main()
