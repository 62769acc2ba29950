"""In-memory tensors fed to skorch by slicing whole batches.

skorch's default ``Dataset`` + ``DataLoader`` index and collate sample by sample, which makes an
epoch on in-memory arrays 2.4x (batch 128) to 12.5x (full batch) slower than a plain torch
loop. Slicing whole tensors removes that overhead; torch's ``TensorDataset`` with a
``BatchSampler`` still collates per sample, hence this small iterator.
"""

import numpy as np
import scipy.sparse as sp
import torch


def rows_to_tensor(X, dtype=torch.float32):
    """A batch of rows as a torch tensor: a sparse COO tensor for scipy sparse input.

    Sparse rows never become dense: the first layer multiplies them as a sparse product.
    """
    if not sp.issparse(X):
        return X
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
    """Features and targets held as tensors, indexable by sample or by index tensor.

    Parameters
    ----------
    X : torch.Tensor or scipy CSR matrix of shape (n_samples, n_features)
    y : torch.Tensor of shape (n_samples, ...) or None
    """

    def __init__(self, X, y=None):
        self.X = X
        self.y = y

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, index):
        y = self.y[index] if self.y is not None else torch.zeros(0)
        return rows_to_tensor(self.X[index]), y


class BatchSlicer:
    """A minimal DataLoader replacement that yields ``(X[batch], y[batch])`` slices.

    Parameters
    ----------
    dataset : TensorPairDataset
        The data to iterate over.
    batch_size : int, default=128
        Samples per batch; the last batch may be smaller.
    shuffle : bool, default=False
        Draw a new permutation (from torch's global RNG) at each pass.
    **kwargs
        Accepted and ignored, so that skorch's usual ``iterator_*__`` options do not fail.
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, **kwargs):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        n = len(self.dataset)
        return (n + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        n = len(self.dataset)
        # skorch's own Dataset (net_.predict(X) builds one) holds numpy X and, to predict, no y
        X, y = self.dataset.X, self.dataset.y
        by_numpy_index = not torch.is_tensor(X)
        if self.shuffle:
            order = torch.randperm(n)
            for start in range(0, n, self.batch_size):
                index = order[start : start + self.batch_size]
                rows = X[index.numpy()] if by_numpy_index else X[index]
                yield rows_to_tensor(rows), None if y is None else y[index]
        else:
            for start in range(0, n, self.batch_size):
                stop = start + self.batch_size
                yield rows_to_tensor(X[start:stop]), None if y is None else y[start:stop]
