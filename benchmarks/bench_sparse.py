"""Sparse input at scale: 20,000 x 50,000 CSR at 0.1% density, 2 classes driven by 5 columns.

The matrix is never densified: each batch goes through ``lin1`` as a torch sparse product
(a dense float32 copy would take 4 GB). The 5 informative columns are denser (30%) than the
noise (0.1%), else the label would be constant for almost every row. Reports time per epoch,
peak RSS above the input, and whether exactly the 5 informative columns are selected.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_sparse.py [--quick]``
"""

import argparse
import time
import warnings

import numpy as np
import scipy.sparse as sp
import torch
from _memory import peak_rss_above_start
from sklearn.exceptions import ConvergenceWarning

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer epochs")
    args = parser.parse_args()
    torch.set_num_threads(1)
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
