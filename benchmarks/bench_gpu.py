"""Time per epoch on CPU against GPU, 200,000 x 500 float32, for a machine with CUDA.

Without a CUDA device it says so and measures the CPU alone.
Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_gpu.py [--quick]``
"""

import argparse
import time
import warnings

import torch
from bench_large import make_data
from sklearn.exceptions import ConvergenceWarning

from sklearn_sparse_mlp import SparseMLPClassifier


def seconds_per_epoch(X, y, device, epochs, batch_size):
    clf = SparseMLPClassifier(alpha=0.05, batch_size=batch_size, max_iter=epochs,
                              warmup_epochs=0, ramp_epochs=0, random_state=0, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        clf.fit(X, y)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
    elapsed = (time.perf_counter() - start) / clf.n_iter_
    start = time.perf_counter()
    accuracy = clf.score(X[:20_000], y[:20_000])
    return elapsed, time.perf_counter() - start, accuracy, clf.get_support(indices=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 rows")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    X, y = make_data(20_000 if args.quick else 200_000, 500)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if len(devices) == 1:
        print("no CUDA device here: CPU only")
    print(f"{X.shape[0]} x {X.shape[1]}, batch {args.batch_size}, hidden (64,), Adam, "
          f"{args.epochs} epochs, torch threads=1 on the CPU")
    results = {}
    for device in devices:
        per_epoch, predict_s, accuracy, support = seconds_per_epoch(
            X, y, device, args.epochs, args.batch_size)
        results[device] = per_epoch
        print(f"{device:5s} {per_epoch:7.2f} s/epoch, predict 20,000 rows {predict_s:.2f} s, "
              f"accuracy {accuracy:.3f}, {len(support)} features kept")
    if "cuda" in results:
        print(f"speed-up cuda over cpu: {results['cpu'] / results['cuda']:.1f}x")


if __name__ == "__main__":
    main()
