"""The torch network: a sparse input layer ``lin1``, hidden layers, a linear output."""

import torch
from torch import nn

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

    Examples
    --------
    >>> import torch
    >>> module = SparseInputMLP(n_features=10, n_outputs=2, hidden_layer_sizes=(8, 4))
    >>> module(torch.zeros(3, 10)).shape
    torch.Size([3, 2])
    >>> module.lin1.weight.shape
    torch.Size([8, 10])
    """

    def __init__(self, n_features, n_outputs, hidden_layer_sizes=(64,), activation="relu"):
        super().__init__()
        sizes = [n_features, *hidden_layer_sizes]
        self.lin1 = nn.Linear(sizes[0], sizes[1])
        layers = [ACTIVATIONS[activation]()]
        for n_in, n_out in zip(sizes[1:-1], sizes[2:], strict=True):
            layers += [nn.Linear(n_in, n_out), ACTIVATIONS[activation]()]
        self.hidden = nn.Sequential(*layers)
        self.output = nn.Linear(sizes[-1], n_outputs)

    def forward(self, X):
        return self.output(self.hidden(self.lin1(X)))


def forward_float64(module, X):
    """Forward pass in float64 from the module's own weights, without copying the module.

    Predictions then do not depend on the order or batching of the rows, which a float32
    matrix product does in its last bit.
    """
    params = {name: p.detach().to(torch.float64) for name, p in module.named_parameters()}
    buffers = {name: b.detach().to(torch.float64) for name, b in module.named_buffers()}
    with torch.no_grad():
        return torch.func.functional_call(module, {**params, **buffers}, (X.to(torch.float64),))
