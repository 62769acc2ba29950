"""In-memory tensors fed to skorch by slicing whole batches.

skorch's default ``Dataset`` + ``DataLoader`` index and collate sample by sample, which makes an
epoch on in-memory arrays several times slower than a plain torch loop (the user guide's
speed notes). Slicing whole tensors removes that overhead; torch's ``TensorDataset`` with a
``BatchSampler`` still collates per sample, hence this small iterator.
"""

import numpy as np
import scipy.sparse as sp
import torch

# Sparse rows at least this dense (stored entries over cells) go through lin1 as a dense
# product: above it torch's CPU sparse product, forward and backward, costs more than the
# dense one of the same rows (benchmarks/bench_sparse.py --densities; the user guide)
DENSE_PRODUCT_MIN_DENSITY = 0.025
# ... where the dense float32 copy of the rows multiplied at once stays below this (bytes)
DENSE_PRODUCT_MAX_BYTES = 2**28


def dense_product(X, n_rows, n_columns=None):
    """Whether ``n_rows`` rows of ``X`` at a time, on ``n_columns`` of its columns (default:
    all), go through the first layer as a dense product: X is a scipy sparse matrix with at
    least ``DENSE_PRODUCT_MIN_DENSITY`` of its cells stored, and the dense float32 copy of
    the rows stays below ``DENSE_PRODUCT_MAX_BYTES``. Sparser (or wider) rows are
    multiplied as a sparse product.
    """
    if not sp.issparse(X):
        return False
    n_samples, n_features = X.shape
    n_columns = n_features if n_columns is None else n_columns
    return (X.nnz >= DENSE_PRODUCT_MIN_DENSITY * n_samples * n_features
            and 4 * n_rows * n_columns <= DENSE_PRODUCT_MAX_BYTES)


def rows_to_tensor(X, dtype=torch.float32, dense=False):
    """A batch of rows as a torch tensor: a sparse COO tensor for scipy sparse input, or
    with ``dense=True`` (see :func:`dense_product`) a dense one.
    """
    if not sp.issparse(X):
        return X
    if dense:
        return torch.as_tensor(X.toarray(), dtype=dtype)
    coo = X.tocoo()
    indices = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
    values = torch.as_tensor(coo.data, dtype=dtype)
    # rows of a CSR matrix come sorted and without duplicates, hence already coalesced
    # Built from a valid scipy matrix: torch's invariant checks would only cost time.
    return torch.sparse_coo_tensor(
        indices, values, coo.shape, check_invariants=False,
        is_coalesced=X.format == "csr" and X.has_canonical_format,
    )


class TensorPairDataset(torch.utils.data.Dataset):
    """Features, targets and optional sample weights held as tensors.

    Parameters
    ----------
    X : torch.Tensor or scipy CSR matrix of shape (n_samples, n_features)
    y : torch.Tensor of shape (n_samples, ...) or None
    sample_weight : torch.Tensor of shape (n_samples,) or None
        Weight of each sample in the loss (see :func:`weighted_target`); None: all equal.
    """

    def __init__(self, X, y=None, sample_weight=None):
        self.X = X
        self.y = y
        self.sample_weight = sample_weight

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, index):
        y = self.y[index] if self.y is not None else torch.zeros(0)
        return rows_to_tensor(self.X[index]), weighted_target(
            y, None if self.sample_weight is None else self.sample_weight[index]
        )


def mean_one_weights(sample_weight):
    """Sample weights scaled to a mean of 1, or None when they are all equal (or None).

    The batch loss ``mean_i(w_i * loss_i)`` then estimates the weighted mean of the loss,
    and equal weights are the plain mean.
    """
    if sample_weight is None or np.all(sample_weight == sample_weight[0]):
        return None
    return sample_weight * (len(sample_weight) / sample_weight.sum())


def weighted_target(y, sample_weight):
    """The target of a batch as the nets' ``get_loss`` reads it: ``y``, or y with weights.

    With weights it is a dict ``{"y": y, "sample_weight": w}``; the loss of the batch is then
    ``mean_i(w_i * loss_i)`` (see ``_SampleWeightedLoss`` in ``_net.py``).
    """
    if sample_weight is None or y is None:
        return y
    return {"y": y, "sample_weight": sample_weight}


def _take(values, index):
    """Rows ``index`` (a numpy array) of a torch tensor, a numpy array or a sparse matrix."""
    if values is None:
        return None
    if torch.is_tensor(values):
        # index_select gathers rows several times faster than values[index] on the CPU
        return torch.index_select(values, 0, torch.from_numpy(index))
    return values[index]


def _unwrap_subsets(dataset):
    """``(X, y, sample_weight)`` behind a dataset, a torch ``Subset`` of one included.

    skorch's ``ValidSplit`` hands the iterators ``Subset`` views; None if the dataset is of
    another kind (then a torch ``DataLoader`` iterates over it).
    """
    if isinstance(dataset, torch.utils.data.Subset):
        inner = _unwrap_subsets(dataset.dataset)
        if inner is None:
            return None
        index = np.asarray(dataset.indices, dtype=np.int64)
        return tuple(_take(values, index) for values in inner)
    if not hasattr(dataset, "X"):
        return None
    # skorch's own Dataset (net_.predict(X) builds one) holds numpy X and, to predict, no y
    return dataset.X, getattr(dataset, "y", None), getattr(dataset, "sample_weight", None)


class BatchSlicer:
    """A minimal DataLoader replacement that yields ``(X[batch], y[batch])`` slices.

    Parameters
    ----------
    dataset : TensorPairDataset, skorch Dataset or a torch ``Subset`` of one
        The data to iterate over; any other dataset goes through a torch ``DataLoader``.
    batch_size : int, default=128
        Samples per batch; the last batch may be smaller.
    shuffle : bool, default=False
        Draw a new permutation at each pass.
    generator : torch.Generator, default=None
        Draws the permutations (as ``DataLoader``'s ``generator``); None: torch's global RNG.
    **kwargs
        Accepted and ignored, so that skorch's usual ``iterator_*__`` options do not fail.
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, generator=None, **kwargs):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        n = len(self.dataset)
        return (n + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        arrays = _unwrap_subsets(self.dataset)
        if arrays is None:
            yield from torch.utils.data.DataLoader(
                self.dataset, batch_size=self.batch_size, shuffle=self.shuffle,
                generator=self.generator,
            )
            return
        X, y, weight = arrays
        n = X.shape[0]
        dense = dense_product(X, self.batch_size)
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).numpy()
            for start in range(0, n, self.batch_size):
                index = order[start : start + self.batch_size]
                yield rows_to_tensor(_take(X, index), dense=dense), weighted_target(
                    _take(y, index), _take(weight, index)
                )
        else:
            for start in range(0, n, self.batch_size):
                rows = slice(start, start + self.batch_size)
                yield rows_to_tensor(X[rows], dense=dense), weighted_target(
                    None if y is None else y[rows], None if weight is None else weight[rows]
                )


def merge_duplicate_rows(X, y, sample_weight):
    """Identical ``(x, y)`` rows merged into one with their summed weight, in a fixed order.

    Full-batch training sees the same gradient either way (up to rounding); merged and sorted
    by their bytes, the rows no longer depend on the order they came in, nor on whether a
    sample was repeated or given an integer weight: the fit is then bitwise the same.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or scipy CSR matrix
        float32 rows.
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)

    Returns
    -------
    X, y, sample_weight
        The unique rows (a CSR matrix for sparse X), sorted, with their summed weights.
    """
    first, weight = unique_rows(X, y, sample_weight)
    X = X.tocsr() if sp.issparse(X) else X
    return X[first], y[first], weight


def unique_rows(X, y, sample_weight):
    """The first of each set of identical ``(x, y)`` rows, sorted by their bytes, and the
    summed weight of each set (see :func:`merge_duplicate_rows`).

    Returns
    -------
    first : ndarray of int
        Row indices, in the sorted order.
    sample_weight : ndarray of float
    """
    y2d = np.ascontiguousarray(y).reshape(len(y), -1)
    if sp.issparse(X):
        X = X.tocsr()
        X.sum_duplicates()
        rows = (
            X.indices[X.indptr[i] : X.indptr[i + 1]].tobytes()
            + b"|" + X.data[X.indptr[i] : X.indptr[i + 1]].tobytes()
            for i in range(X.shape[0])
        )
    else:
        X = np.ascontiguousarray(X)
        rows = (row.tobytes() for row in X)
    keys = [key + b"|" + target.tobytes() for key, target in zip(rows, y2d, strict=True)]
    order = sorted(range(len(keys)), key=keys.__getitem__)
    first, group = [], np.empty(len(keys), dtype=np.int64)
    for position in order:
        if not first or keys[position] != keys[first[-1]]:
            first.append(position)
        group[position] = len(first) - 1
    first = np.asarray(first, dtype=np.int64)
    weight = np.bincount(group, weights=sample_weight, minlength=len(first))
    return first, weight
