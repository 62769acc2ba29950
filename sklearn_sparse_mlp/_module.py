"""The torch network: a sparse input layer ``lin1``, hidden layers, a linear output."""

import math

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from ._data import rows_to_tensor

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "logistic": nn.Sigmoid, "identity": nn.Identity}


class SparseInputMLP(nn.Module):
    """Multi-layer perceptron whose first layer ``lin1`` reads the (penalised) input features.

    Parameters
    ----------
    n_features : int
        Number of input features (columns of ``lin1.weight``).
    n_outputs : int
        Number of outputs (classes, or regression targets).
    hidden_layer_sizes : tuple of int, default=(64,)
        Width of each hidden layer; ``lin1`` maps the input to the first.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Non-linearity after each hidden layer.
    generator : torch.Generator, default=None
        Draws the initial weights (``nn.Linear``'s own initialisation, in the same order),
        so that building the module neither reads nor advances torch's process-wide RNG,
        which other threads share. None: torch's global RNG, as ``nn.Linear`` does.

    Examples
    --------
    >>> import torch
    >>> module = SparseInputMLP(n_features=10, n_outputs=2, hidden_layer_sizes=(8, 4))
    >>> module(torch.zeros(3, 10)).shape
    torch.Size([3, 2])
    >>> module.lin1.weight.shape
    torch.Size([8, 10])
    """

    def __init__(self, n_features, n_outputs, hidden_layer_sizes=(64,), activation="relu",
                 generator=None):
        super().__init__()

        def linear(n_in, n_out):
            # float32 whatever torch's default dtype: the data are float32
            if generator is None:
                return nn.Linear(n_in, n_out, dtype=torch.float32)
            layer = torch.nn.utils.skip_init(nn.Linear, n_in, n_out, dtype=torch.float32)
            # nn.Linear.reset_parameters, drawing from the given generator
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            bound = 1 / math.sqrt(n_in) if n_in > 0 else 0
            nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
            return layer

        sizes = [n_features, *hidden_layer_sizes]
        self.lin1 = linear(sizes[0], sizes[1])
        layers = [ACTIVATIONS[activation]()]
        for n_in, n_out in zip(sizes[1:-1], sizes[2:], strict=True):
            layers += [linear(n_in, n_out), ACTIVATIONS[activation]()]
        self.hidden = nn.Sequential(*layers)
        self.output = linear(sizes[-1], n_outputs)

    def forward(self, X):
        if X.is_sparse:
            # sparse rows times the dense weight: the input is never densified
            pre = torch.sparse.mm(X, self.lin1.weight.t()) + self.lin1.bias
        else:
            pre = self.lin1(X)
        return self.output(self.hidden(pre))


def forward_float64(module, X, batch_size=10_000):
    """Forward pass in float64 from the module's own weights, without copying the module.

    Predictions then do not depend on the order or batching of the rows, which a float32
    matrix product does in its last bit. ``X`` is a numpy array or a scipy sparse matrix;
    sparse input goes through in row batches of ``batch_size``, never densified.
    """
    device = next(module.parameters()).device
    params = {name: p.detach().to(torch.float64) for name, p in module.named_parameters()}
    buffers = {name: b.detach().to(torch.float64) for name, b in module.named_buffers()}
    state = {**params, **buffers}
    with torch.no_grad():
        if not sp.issparse(X):
            X64 = np.asarray(X, dtype=np.float64)
            if not X64.flags.writeable:  # torch warns on read-only arrays (pandas, memmaps)
                X64 = X64.copy()
            X_t = torch.as_tensor(X64, device=device)
            return torch.func.functional_call(module, state, (X_t,))
        X = X.tocsr()
        outputs = []
        for start in range(0, X.shape[0], batch_size):
            rows = rows_to_tensor(X[start : start + batch_size], torch.float64).to(device)
            outputs.append(torch.func.functional_call(module, state, (rows,)))
        return torch.cat(outputs)
