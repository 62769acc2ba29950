"""SparseMLPClassifier: an MLP classifier whose first layer selects input features."""

import numpy as np
import torch
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data
from skorch import NeuralNetClassifier

from ._base import ACCEPT_SPARSE, _BaseSparseMLP


class SparseMLPClassifier(ClassifierMixin, _BaseSparseMLP):
    """Multi-layer perceptron classifier with a sparse first layer that drops input features.

    A torch network ``lin1 -> activation -> ... -> output``, trained through a skorch
    ``NeuralNetClassifier`` on the cross-entropy, with a proximal step on ``lin1.weight`` after
    every optimizer step (:class:`~sklearn_sparse_mlp.ProximalL1`). With the default group
    penalty, each input feature whose column of ``lin1.weight`` becomes exactly zero is dropped:
    :meth:`get_support` and :attr:`feature_importances_` say which features are kept.

    Parameters
    ----------
    alpha : float, default=0.1
        Penalty strength, >= 0. Larger values drop more features; 0 trains a dense MLP.
    l1_ratio : float, default=0.0
        Mix of the penalty: 0 is the group lasso over input features (whole features drop out),
        1 the element-wise lasso (single weights drop out), in between the sparse-group lasso.
    groups : array-like of shape (n_features,), default=None
        One group label per input feature; the features of a group are kept or dropped
        together (e.g. the one-hot columns of one categorical). None makes each feature its
        own group. A group's penalty is weighted by the square root of its size.
    hidden_layer_sizes : array-like of shape (n_layers,) or int, default=(64,)
        Width of each hidden layer; ``lin1`` maps the inputs to the first one.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Non-linearity after each hidden layer.
    solver : {"adam", "sgd", "adagrad"}, default="adam"
        Optimizer. The proximal step follows its per-coordinate step size.
    learning_rate_init : float, default=1e-2
        Learning rate of the optimizer.
    batch_size : int or "auto", default="auto"
        Minibatch size; "auto" is ``min(200, n_samples)``.
    max_iter : int, default=300
        Maximum number of epochs (passes over the training data), warm-up and ramp included.
    tol : float, default=1e-4
        Tolerance of the convergence test, see ``n_iter_no_change``.
    n_iter_no_change : int, default=10
        Training stops once the penalty is at full strength and, for ``n_iter_no_change``
        consecutive epochs, the objective (or the validation loss with ``early_stopping``) has
        not improved by ``tol`` and the number of selected features has not changed.
    warmup_epochs : int, default=30
        Epochs of dense training (no penalty) first: a feature that acts only non-linearly
        (e.g. through its square) has no gradient signal at a random start and would be
        dropped by a penalty applied from the first step.
    ramp_epochs : int, default=30
        Epochs over which the penalty is then raised linearly from 0 to ``alpha``, so that
        features leave one by one, the least useful first.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified), monitor the
        validation loss once the penalty is at full strength, and keep the weights of its best
        epoch. ``partial_fit`` ignores it (it holds no data out).
    validation_fraction : float, default=0.1
        Share of the training data held out with ``early_stopping``.
    momentum : float, default=0.9
        Momentum of ``solver="sgd"``; the proximal step uses ``lr / (1 - momentum)``.
    warm_start : bool, default=False
        Reuse the previous fit's network and continue training; useful to walk a path of
        increasing ``alpha``. The current training parameters apply (``alpha``,
        ``learning_rate_init``, ``weight_decay``, ``max_iter``, ``verbose``, ...; the
        penalty schedule counts epochs from the network's first, so after a full fit there
        is no new warm-up); changing ``hidden_layer_sizes``, ``activation``, ``solver`` or
        ``device`` raises a ValueError, as it needs a new network.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling and the validation split. Training
        forks torch's RNG, so the caller's global torch RNG is left untouched.
    verbose : int, default=0
        1 prints skorch's table of losses, selected features and time per epoch; with 0
        the net has no ``PrintLog`` callback at all (it formats the table even when silent).
    device : str, default="cpu"
        torch device to train and predict on: "cpu", "cuda" or "cuda:N".
    n_jobs : int, default=None
        Number of torch threads during fit and predict. None means 1 (the fastest for the
        small layers trained here, and safe inside parallel grid searches), -1 all cores.
    weight_decay : float, default=1e-2
        L2 penalty (torch's ``weight_decay``) on every parameter but ``lin1.weight``: the later
        layers and all biases (never on ``lin1.weight``, which the prox alone governs). A ReLU
        network can shrink ``lin1`` and grow the next layer without changing its function, so
        a penalty on ``lin1`` alone would fade away during training and noise features would
        creep back; this small L2 term pins the scale.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.
    net_ : skorch.NeuralNetClassifier
        The fitted skorch net; ``net_.module_.lin1.weight`` is the sparse first layer and
        ``net_.history`` the per-epoch log.
    n_iter_ : int
        Number of epochs run.
    loss_curve_ : list of float
        Training objective per epoch: mean cross-entropy plus the penalty in force.
    feature_importances_ : ndarray of shape (`n_features_in_`,)
        Euclidean norm of each feature's column of ``lin1.weight``; exactly 0.0 for dropped
        features, and at least 1e-5 for kept ones, so that ``SelectFromModel``'s default
        threshold keeps exactly :meth:`get_support`.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : Dense multi-layer perceptron.
    sklearn.linear_model.LogisticRegression : With ``penalty="l1"``, linear feature selection.
    ProximalL1 : The skorch callback that makes the first layer sparse.

    Notes
    -----
    The objective minimised is

    ``mean_i CE(f(x_i), y_i) + alpha * (l1_ratio * ||W||_1
    + (1 - l1_ratio) * sum_g sqrt(|g|) * ||W[:, g]||_2) + weight_decay / 2 * ||V||_2^2``

    where ``W = lin1.weight`` (one column per input feature), ``g`` runs over the groups and
    ``V`` all the other parameters (later layers, biases).
    Training schedule: ``warmup_epochs`` dense, ``ramp_epochs`` with the penalty raised
    linearly, then full ``alpha`` until convergence (see ``n_iter_no_change``) or
    ``max_iter``. Predictions are computed in float64 from the trained float32 weights, so they
    do not depend on the order or batching of the rows.

    References
    ----------
    Parikh, N. and Boyd, S. (2014). Proximal Algorithms. Foundations and Trends in
    Optimization 1(3).

    Yun, J., Lozano, A. C. and Yang, E. (2021). Adaptive Proximal Gradient Methods for
    Structured Neural Networks. NeurIPS.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sparse_mlp import SparseMLPClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(400, 6)
    >>> y = (X[:, 0] ** 2 + X[:, 1] ** 2 > 1.4).astype(int)
    >>> clf = SparseMLPClassifier(alpha=0.1, random_state=0).fit(X, y)
    >>> clf.get_support(indices=True)
    array([0, 1])
    >>> clf.score(X, y) > 0.9
    True
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the network to X and y, selecting features on the way.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target class labels.

        Returns
        -------
        self : SparseMLPClassifier
            The fitted classifier.
        """
        reset = not (self.warm_start and hasattr(self, "net_"))
        X, y = validate_data(
            self, X, y, reset=reset, dtype=[np.float64, np.float32], accept_sparse=ACCEPT_SPARSE
        )
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        if reset:
            self.classes_ = encoder.classes_
        elif not np.array_equal(encoder.classes_, self.classes_):
            raise ValueError(
                "warm_start=True but y has other classes than the previous fit "
                f"({self.classes_!r}); use warm_start=False."
            )
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the data, but "
                f"the data contains only one class: {self.classes_[0]!r}."
            )
        y_encoded = encoder.transform(y).astype(np.int64)
        return self._fit(X, y_encoded, y_encoded, n_outputs=len(self.classes_))

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None):
        """Train for one pass over the given data, prox step included.

        For data that does not fit in memory: call it on successive chunks. Each call counts
        as one epoch of the training schedule (``warmup_epochs`` dense calls, then the ramp).
        Parameters set between calls apply to the next one (a new ``alpha``,
        ``learning_rate_init``, ...); ``hidden_layer_sizes``, ``activation``, ``solver`` and
        ``device`` cannot change (ValueError). ``early_stopping`` does not apply, as in
        :meth:`sklearn.neural_network.MLPClassifier.partial_fit`.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,)
            Its class labels.
        classes : array-like of shape (n_classes,), default=None
            Every class of the whole data. Required on the first call, as in
            :meth:`sklearn.neural_network.MLPClassifier.partial_fit`.

        Returns
        -------
        self : SparseMLPClassifier
            The updated classifier.
        """
        first = not hasattr(self, "net_")
        if first and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: the chunks may "
                "not contain every class."
            )
        X, y = validate_data(
            self, X, y, reset=first, dtype=[np.float64, np.float32], accept_sparse=ACCEPT_SPARSE
        )
        check_classification_targets(y)
        if first:
            self.classes_ = np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 classes, got {self.classes_!r}."
                )
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes={classes!r} differs from the classes of the first call "
                f"{self.classes_!r}."
            )
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(
                f"y contains labels {unknown!r} that are not in classes {self.classes_!r}."
            )
        y_encoded = np.searchsorted(self.classes_, y).astype(np.int64)
        return self._partial_fit(X, y_encoded, n_outputs=len(self.classes_))

    def _make_net(self, net_kwargs):
        return NeuralNetClassifier(criterion=torch.nn.CrossEntropyLoss, **net_kwargs)

    def _pointwise_loss(self, output, y):
        return torch.nn.functional.cross_entropy(output, y, reduction="none")

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``.
        """
        logits = torch.from_numpy(self._forward(X))
        return torch.softmax(logits, dim=1).numpy()

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class, in the order of ``classes_``.
        """
        logits = torch.from_numpy(self._forward(X))
        return torch.log_softmax(logits, dim=1).numpy()

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        # The forward pass checks that the model is fitted, before classes_ is read.
        scores = self._forward(X)
        return self.classes_[np.argmax(scores, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags
