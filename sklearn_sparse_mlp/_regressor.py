"""SparseMLPRegressor: an MLP regressor whose first layer selects input features."""

import numpy as np
import torch
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils.validation import validate_data

from ._base import ACCEPT_SPARSE, _BaseSparseMLP, public_fit
from ._net import SampleWeightedNetRegressor
from ._prepare import check_sample_weight


def target_scaling(y, sample_weight=None):
    """Weighted mean and standard deviation of each output, the standardization of y.

    Parameters
    ----------
    y : ndarray of shape (n_samples, n_outputs)
        Targets, finite.
    sample_weight : ndarray of shape (n_samples,) or None
        Weights >= 0, not all 0; None: all equal.

    Returns
    -------
    mean, scale : ndarray of float64 of shape (n_outputs,)
        ``scale`` is the (population) standard deviation, or 1 for an output that is
        constant up to float rounding, as ``StandardScaler`` treats a constant column. Both
        are rounded: ``scale`` to float32's 24 significant bits, ``mean`` to a multiple of
        ``2**-30`` times ``scale`` (the network trains in float32). So weighted rows and the
        same rows repeated (or weight-0 rows and the rows removed), whose sums differ in the
        last bits of float64, get the same scaling, hence the same predictions, and a large
        offset of y is still removed to far below its spread.
    """
    y = np.asarray(y, dtype=np.float64)
    rows = slice(None) if sample_weight is None else np.asarray(sample_weight) > 0
    weight = None if sample_weight is None else np.asarray(sample_weight)[rows]
    y = y[rows]
    # divided by the largest magnitude first, so that squares of a huge y do not overflow
    size = np.max(np.abs(y), axis=0)
    size[size == 0] = 1.0
    unit = y / size
    mean = np.average(unit, axis=0, weights=weight)
    std = np.sqrt(np.average((unit - mean) ** 2, axis=0, weights=weight))
    constant = std <= 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0)
    scale = _float32_precision(np.where(constant, 1.0, std * size))
    step = np.ldexp(1.0, np.frexp(scale)[1] - 30)
    return np.round(mean * size / step) * step, scale


def _float32_precision(values):
    """``values`` rounded to float32's 24 significant bits, at any magnitude."""
    mantissa, exponent = np.frexp(values)
    return np.ldexp(np.round(mantissa * 2.0**24) / 2.0**24, exponent)


def standardized_targets(y, mean, scale):
    """``(y - mean) / scale`` as the network trains on it: float32 (n_samples, n_outputs).

    Raises
    ------
    ValueError
        Where a value is beyond float32's range once standardized: y far outside the range
        of the call that fitted the scaling (the first ``partial_fit`` chunk).
    """
    y2d = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    standardized = (y2d - mean) / scale
    if not np.all(np.abs(standardized) < np.finfo(np.float32).max):
        raise ValueError(
            "y has values beyond the float32 range once standardized by the scaling fitted "
            f"on the first call (mean {mean.tolist()}, scale {scale.tolist()}): the first "
            "partial_fit chunk (or the fit a warm start continues) must span y's range; "
            "fit a new network (warm_start=False) on data that does."
        )
    return standardized.astype(np.float32)


class SparseMLPRegressor(RegressorMixin, _BaseSparseMLP):
    """Multi-layer perceptron regressor with a sparse first layer that drops input features.

    The regressor twin of :class:`SparseMLPClassifier`: the same network, penalty, training
    schedule and parameters, trained on the mean squared error through a skorch
    ``NeuralNetRegressor``. ``y`` may have several outputs.

    Parameters
    ----------
    alpha : float, default=0.1
        Penalty strength, >= 0. Larger values drop more features; 0 trains a dense MLP. The
        penalty is weighed against the mean squared error of the standardized target (see
        Notes), so ``alpha`` means the same whatever the unit of y.
    l1_ratio : float, default=0.0
        0 is the group lasso over input features, 1 the element-wise lasso.
    groups : array-like of shape (n_features,), default=None
        One group label per input feature; the features of a group are kept or dropped
        together (single columns inside a kept group can drop when ``0 < l1_ratio < 1``; no
        effect at ``l1_ratio=1``), as in :class:`SparseMLPClassifier`.
    hidden_layer_sizes : array-like of shape (n_layers,) or int, default=(64,)
        Width of each hidden layer.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Non-linearity after each hidden layer.
    solver : {"adam", "sgd", "adagrad"}, default="adam"
        Optimizer; the proximal step follows its per-coordinate step size.
    learning_rate_init : float, default=1e-2
        Learning rate.
    batch_size : int or "auto", default="auto"
        Minibatch size; "auto" is ``min(200, n_samples)``.
    max_iter : int, default=300
        Maximum number of epochs, warm-up and ramp included.
    tol : float, default=1e-4
        Tolerance of the convergence test.
    n_iter_no_change : int, default=10
        Epochs without improvement by ``tol`` and without change of the support that stop
        training once the penalty is at full strength (or two windows of that many epochs
        with the same mean objective and support, as in :class:`SparseMLPClassifier`).
    warmup_epochs : int, default=30
        Epochs of dense training first.
    ramp_epochs : int, default=30
        Epochs over which the penalty is raised linearly from 0 to ``alpha``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and keep the best validation epoch
        (not in ``partial_fit``).
    validation_fraction : float, default=0.1
        Share of the data held out with ``early_stopping``.
    momentum : float, default=0.9
        Momentum of ``solver="sgd"``.
    warm_start : bool, default=False
        Continue training the previous fit's network, with the current training parameters;
        see :class:`SparseMLPClassifier`.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and the validation split; the global torch RNG is
        left untouched.
    verbose : int, default=0
        1 prints skorch's per-epoch table; with 0 the net has no ``PrintLog`` callback.
    device : str, default="cpu"
        torch device: "cpu", "cuda" or "cuda:N".
    n_jobs : int, default=None
        torch threads during fit and predict; None means 1, -1 all cores.
    feature_encoding : {"spline", "piecewise_linear", "periodic"} or None, default=None
        Per-feature spline encodings in front of ``lin1``, as in
        :class:`SparseMLPClassifier`.
    weight_decay : float, default=1e-2
        L2 penalty on every parameter but ``lin1.weight`` (later layers, biases), pinning
        the scale of the later layers at any depth, as in :class:`SparseMLPClassifier`.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.
    n_outputs_ : int
        Number of outputs.
    net_ : skorch.NeuralNetRegressor
        The fitted skorch net.
    n_iter_ : int
        Number of epochs run.
    target_mean_ : ndarray of shape (`n_outputs_`,)
        Weighted mean of each output of y in the first fit (see Notes).
    target_scale_ : ndarray of shape (`n_outputs_`,)
        Weighted standard deviation of each output of y in the first fit, 1 for a constant
        output.
    loss_curve_ : list of float
        Training objective per epoch: mean squared error of the standardized target plus
        the penalty in force.
    feature_importances_ : ndarray of shape (`n_features_in_`,)
        Norm of each feature's column of ``lin1.weight``: 0.0 for dropped features, at least
        1e-5 for kept ones.

    See Also
    --------
    SparseMLPClassifier : The classification twin.
    sklearn.neural_network.MLPRegressor : Dense multi-layer perceptron regressor.

    Notes
    -----
    The network trains on the standardized target: each output minus its mean, divided by
    its standard deviation, both weighted by ``sample_weight``
    (``target_mean_``, ``target_scale_``), and :meth:`predict` maps the output back to y's
    units, as ``TransformedTargetRegressor(transformer=StandardScaler())`` would. So the
    squared error, ``alpha`` and the alphas of a path do not depend on y's unit, and the
    training runs at the scale its learning rate and initialization were chosen for. The
    standardization is fitted once, by the call that creates the network: a warm-started
    ``fit`` and every ``partial_fit`` after the first keep it (the first chunk should span
    the target's range).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sparse_mlp import SparseMLPRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(400, 6)
    >>> y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + 0.1 * rng.randn(400)
    >>> reg = SparseMLPRegressor(alpha=0.3, random_state=0).fit(X, y)
    >>> reg.get_support(indices=True)
    array([0, 1])
    """

    @_fit_context(prefer_skip_nested_validation=True)
    @public_fit
    def fit(self, X, y, sample_weight=None):
        """Fit the network to X and y, selecting features on the way.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss (>= 0): the loss is their weighted mean, as in
            :class:`~sklearn.neural_network.MLPRegressor`; 0 removes a sample. Integer
            weights train like repeated rows (exactly for a fit on one batch). None: all 1.

        Returns
        -------
        self : SparseMLPRegressor
            The fitted regressor.
        """
        X, y2d, sample_weight, fitted = self._validate_input(X, y, sample_weight,
                                                             incremental=False)
        return self._fit(X, self._standardized(y2d, fitted), sample_weight,
                         fitted["n_outputs_"], fitted)

    def _validate_input(self, X, y, sample_weight, incremental):
        """X, y as float64 of shape (n_samples, n_outputs), the weights, and the fitted
        attributes of the target: a call that trains a new network fits its scaling.
        """
        fitted = hasattr(self, "net_")
        reset = not fitted if incremental else not (self.warm_start and fitted)
        X, y = validate_data(
            self, X, y, reset=reset, dtype=[np.float64, np.float32], multi_output=True,
            y_numeric=True, accept_sparse=ACCEPT_SPARSE,
        )
        y2d = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if not reset and y2d.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2d.shape[1]} outputs, the previous calls had {self.n_outputs_}."
                if incremental else
                f"warm_start=True but y has {y2d.shape[1]} outputs, the previous fit had "
                f"{self.n_outputs_}; use warm_start=False."
            )
        sample_weight = check_sample_weight(sample_weight, X)
        if reset:
            mean, scale = self._fit_target_scaling(y2d, sample_weight)
        else:  # a continued network keeps the scaling of its first fit
            mean, scale = self.target_mean_, self.target_scale_
        # predictions take the shape of y in the last fit (of the first partial_fit)
        one_output = self._y_is_1d if incremental and not reset else y.ndim == 1
        return X, y2d, sample_weight, {"n_outputs_": y2d.shape[1], "target_mean_": mean,
                                       "target_scale_": scale, "_y_is_1d": one_output}

    def _relaxed_training(self):
        """A relaxed refit trains at 0.3 times the learning rate, with twice the patience.

        The penalty drops out at once: on noisy data, at the full rate, the loss of the
        first epochs jumped and the convergence test stopped the refit a few epochs later,
        far from its minimum (see the regression section of the user guide)."""
        return {"learning_rate_init": 0.3 * self.learning_rate_init,
                "n_iter_no_change": 2 * self.n_iter_no_change}

    def _fit_target_scaling(self, y, sample_weight):
        """The scaling of a new network's targets (``target_scaling``); the stacked engine
        fits each model's with it too."""
        return target_scaling(y, sample_weight)

    def _standardized(self, y, fitted):
        """y as the network trains on it: standardized, float32 (n_samples, n_outputs)."""
        return standardized_targets(y, fitted["target_mean_"], fitted["target_scale_"])

    @_fit_context(prefer_skip_nested_validation=True)
    @public_fit
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one pass over the given data, prox step included.

        Each call counts as one epoch of the training schedule; parameters set between calls
        apply to the next one, as in :meth:`SparseMLPClassifier.partial_fit`.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Its targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample of the chunk in the loss, as in :meth:`fit`.

        Returns
        -------
        self : SparseMLPRegressor
            The updated regressor.
        """
        X, y2d, sample_weight, fitted = self._validate_input(X, y, sample_weight,
                                                             incremental=True)
        return self._fit(X, self._standardized(y2d, fitted), sample_weight,
                         fitted["n_outputs_"], fitted, incremental=True)

    def _make_net(self, net_kwargs, fitted):
        net = SampleWeightedNetRegressor(criterion=torch.nn.MSELoss, **net_kwargs)
        # the new network's predictions in y's units, with the scaling this fit chose
        net.target_mean_, net.target_scale_ = fitted["target_mean_"], fitted["target_scale_"]
        return net

    def predict(self, X):
        """Predict using the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values.
        """
        out = self._forward(X) * self.target_scale_ + self.target_mean_
        return out.ravel() if self._y_is_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
