"""Large dense input: 200,000 x 500 float64 in memory.

Checks that training makes at most one float32 copy of X (400 MB here) and no per-epoch
copies: reports the peak RSS above the input during ``fit`` and the time per epoch against a
plain torch loop over the same float32 tensor (same module, Adam, prox, batch size).

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_large.py [--quick] [--device cuda]``
"""

import argparse
import time
import warnings

import numpy as np
import torch
from _memory import peak_rss_above_start
from sklearn.exceptions import ConvergenceWarning

from sklearn_sparse_mlp import SparseMLPClassifier
from sklearn_sparse_mlp._module import SparseInputMLP
from sklearn_sparse_mlp._optim import effective_step
from sklearn_sparse_mlp.penalties import make_penalty


def make_data(n_samples, n_features, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n_samples, n_features)
    y = (X[:, 0] ** 2 + X[:, 1] ** 2 > 1.386).astype(np.int64)
    return X, y


def torch_loop(X, y, epochs, batch_size, alpha, device):
    """The same training as the estimator at full penalty, written by hand."""
    torch.manual_seed(0)
    X_t = torch.as_tensor(X, dtype=torch.float32)
    y_t = torch.as_tensor(y)
    module = SparseInputMLP(X.shape[1], 2).to(device)
    lin1 = module.lin1.weight
    others = [p for p in module.parameters() if p is not lin1]
    optimizer = torch.optim.Adam(
        [{"params": [lin1], "weight_decay": 0.0}, {"params": others, "weight_decay": 1e-2}],
        lr=1e-2,
    )
    penalty = make_penalty(alpha)
    start = time.perf_counter()
    for _ in range(epochs):
        for index in torch.randperm(len(X_t)).split(batch_size):
            xb, yb = X_t[index].to(device), y_t[index].to(device)
            loss = torch.nn.functional.cross_entropy(module(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                lin1.copy_(penalty.prox(lin1, effective_step(optimizer, lin1, 1e-2)))
    return (time.perf_counter() - start) / epochs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 rows instead of 200,000")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    n_samples = 20_000 if args.quick else 200_000
    X, y = make_data(n_samples, 500)
    batch_size, alpha = 1000, 0.05
    clf = SparseMLPClassifier(alpha=alpha, batch_size=batch_size, max_iter=args.epochs,
                              warmup_epochs=0, ramp_epochs=0, random_state=0,
                              device=args.device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with peak_rss_above_start() as memory:
            start = time.perf_counter()
            clf.fit(X, y)
            per_epoch = (time.perf_counter() - start) / clf.n_iter_
    loop = torch_loop(X, y, args.epochs, batch_size, alpha, args.device)
    copy_mb = X.size * 4 / 1e6
    print(f"{n_samples} x 500 float64 ({X.nbytes / 1e6:.0f} MB), batch {batch_size}, hidden "
          f"(64,), Adam, device={args.device}, torch threads=1, {clf.n_iter_} epochs")
    print(f"peak RSS above the input during fit: {memory['peak'] / 1e6:.0f} MB "
          f"(one float32 copy of X is {copy_mb:.0f} MB)")
    print(f"time per epoch: estimator {per_epoch:.2f} s, torch loop {loop:.2f} s, "
          f"ratio {per_epoch / loop:.2f}")
    with peak_rss_above_start() as memory:
        clf.predict_proba(X)
    print(f"peak RSS above the input during predict_proba: {memory['peak'] / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
