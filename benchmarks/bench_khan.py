"""Wide real data: Khan's SRBCT gene expression (63 x 2308, 4 tumour classes), as users fit it.

Data: ``ISLP.load_data("Khan")`` (shipped inside the ISLP wheel, nothing downloaded): 63
training and 20 test tumours, 2308 genes, standardized on the training rows.

Methods, each as a user constructs it: ``SparseMLPClassifierCV`` (defaults, ``cv=5``); the
L1 logistic regression chosen by cross-validation, ``LogisticRegressionCV(l1_ratios=(1.0,),
solver="saga", cv=5, max_iter=2000)`` (saga: scikit-learn's only L1 solver for more than two
classes), and, for scale, one L1 fit at ``C=1`` (no choice of C); a random forest (500
trees) with ``SelectFromModel``'s mean threshold. Columns: fit time, its ratio to the L1
logistic regression CV's (same process, in turn), test accuracy of the fitted model, and the
genes it keeps.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_khan.py [--write-docs PATH]``
"""

import argparse
import sys
import time
import warnings

import numpy as np
import torch
from _report import publish, rst_table
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.preprocessing import StandardScaler

from sklearn_sparse_mlp import SparseMLPClassifierCV

L1_CV = "L1 logistic regression CV"
METHODS = {
    "SparseMLPClassifierCV (ours)": lambda: SparseMLPClassifierCV(random_state=0),
    L1_CV: lambda: LogisticRegressionCV(l1_ratios=(1.0,), solver="saga", cv=5, max_iter=2000),
    "L1 logistic regression, C=1": lambda: LogisticRegression(l1_ratio=1.0, solver="saga",
                                                              max_iter=2000),
    "random forest (500) + mean threshold": lambda: RandomForestClassifier(500, random_state=0),
}


def load_khan():
    from ISLP import load_data

    data = load_data("Khan")
    X, X_test = data["xtrain"].to_numpy(), data["xtest"].to_numpy()
    y, y_test = data["ytrain"].to_numpy().ravel(), data["ytest"].to_numpy().ravel()
    scaler = StandardScaler().fit(X)
    return scaler.transform(X), y, scaler.transform(X_test), y_test


def kept(model):
    if hasattr(model, "get_support"):
        return int(model.get_support().sum())
    if hasattr(model, "coef_"):
        return int((np.abs(model.coef_).max(axis=0) > 0).sum())
    return int(SelectFromModel(model, prefit=True).get_support().sum())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", metavar="PATH")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    X, y, X_test, y_test = load_khan()
    SparseMLPClassifierCV(max_iter=3, alphas=3).fit(X[:, :20], y)  # imports, allocator
    rows = {}
    for name, make in METHODS.items():
        start = time.perf_counter()
        model = make().fit(X, y)
        seconds = time.perf_counter() - start
        rows[name] = (seconds, model.score(X_test, y_test), kept(model))
        print(f"{name}: {seconds:.1f} s, test accuracy {rows[name][1]:.2f}, "
              f"{rows[name][2]} genes", flush=True)
    header = ["method", "fit s", f"x {L1_CV}", "test accuracy", "genes kept"]
    lines = [[name, f"{s:.1f}", f"{s / rows[L1_CV][0]:.2f}", f"{acc:.2f}", str(k)]
             for name, (s, acc, k) in rows.items()]
    command = "OMP_NUM_THREADS=1 python benchmarks/" + " ".join(["bench_khan.py",
                                                                 *sys.argv[1:]])
    text = "\n".join([
        f"Command: ``{command}`` (2-core machine, one torch thread, the methods in turn in "
        "one process). Khan SRBCT, 63 training and 20 test tumours, 2308 genes, 4 classes; "
        "each method as a user constructs it (``cv=5``).",
        "", *rst_table(header, lines), "",
    ])
    publish(text, args.write_docs)


if __name__ == "__main__":
    main()
