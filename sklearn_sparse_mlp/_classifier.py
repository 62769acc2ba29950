"""SparseMLPClassifier: an MLP classifier whose first layer selects input features."""

import numpy as np
import torch
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from ._base import ACCEPT_SPARSE, _BaseSparseMLP, public_fit
from ._net import SampleWeightedNetClassifier, target_of
from ._prepare import check_sample_weight


def check_class_weight(class_weight, classes):
    """``class_weight``, with a dict's labels checked against ``classes`` (ValueError)."""
    if isinstance(class_weight, dict):
        unknown = [label for label in class_weight if label not in classes]
        if unknown:
            raise ValueError(
                f"class_weight has labels {unknown!r} that are not classes of y "
                f"({np.asarray(classes).tolist()!r}); give weights for labels of y."
            )
    return class_weight


def class_weighted(sample_weight, class_weight, classes, y_encoded):
    """``sample_weight`` (None: ones) times the weight of each sample's class, or None.

    ``class_weight`` is None, "balanced" (``n_samples / (n_classes * counts)`` over the
    classes present in ``y_encoded``, as scikit-learn computes it) or a dict over
    ``classes``, where a class it does not name weighs 1 (a chunk or a fold may lack it).
    """
    if class_weight is None:
        return sample_weight
    if isinstance(class_weight, str):  # "balanced"
        present = np.unique(y_encoded)
        per_class = np.ones(len(classes))
        per_class[present] = compute_class_weight("balanced", classes=present, y=y_encoded)
    else:
        per_class = np.array([float(class_weight.get(label, 1.0)) for label in classes])
    weight = per_class[y_encoded]
    return weight if sample_weight is None else weight * sample_weight


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
        One group label per input feature; with ``l1_ratio=0`` the features of a group are
        kept or dropped together (e.g. the one-hot columns of one categorical). With
        ``0 < l1_ratio < 1`` (sparse-group lasso) a group still leaves as a whole, but single
        columns inside a kept group can drop out; at ``l1_ratio=1`` groups have no effect
        (a warning says so). None makes each feature its own group. A group's penalty is
        weighted by the square root of its size.
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
        not improved by ``tol`` and the set of selected features has not changed; or, under
        mini-batch noise, once two consecutive windows of ``n_iter_no_change`` epochs have
        mean objectives within ``tol`` and no feature entered or left between them (see the
        user guide).
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
    feature_encoding : {"spline", "piecewise_linear", "periodic"} or None, default=None
        Expand each input feature into a few basis columns before ``lin1`` (scikit-learn's
        :class:`~sklearn.preprocessing.SplineTransformer`, fitted on the training data,
        each column centred on its training mean: "spline" 8 cubic B-splines,
        "piecewise_linear" 8 hat functions, "periodic" 6 periodic cubic B-splines), so that
        the first layer sees a nonlinear function of each feature; every weight that reads
        a feature's columns is one group of the penalty, so features still drop out whole
        and :meth:`get_support`, ``feature_importances_`` and ``n_features_in_`` stay per
        input feature. Sparse X is refused (``ValueError``): its implicit zeros would be
        encoded too. None: the raw features (see the user guide for when an encoding
        helps; the CV estimators' default, "auto", decides by the folds).
    weight_decay : float, default=1e-2
        L2 penalty on every parameter but ``lin1.weight`` (which the prox alone governs): the
        later layers and all biases. A ReLU network can shrink ``lin1`` and grow the layers
        after it without changing its function, so a penalty on ``lin1`` alone would fade
        away during training and noise features would creep back; this L2 term pins the
        scale. With several hidden layers the term on the later weights is of the mean of
        their squared norms to the power of their number (see
        :class:`~sklearn_sparse_mlp.callbacks.LayerScaleDecay`), so that the scale is pinned
        as firmly as with one hidden layer.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, as in
        :class:`~sklearn.linear_model.LogisticRegression`: ``{label: weight}``, or
        "balanced" for ``n_samples / (n_classes * np.bincount(y))``; multiplied with
        ``sample_weight``. None: all classes weigh 1.

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

    ``sum_i s_i CE(f(x_i), y_i) / sum_i s_i + alpha * (l1_ratio * ||W||_1
    + (1 - l1_ratio) * sum_g sqrt(|g|) * ||W[:, g]||_2) + weight_decay / 2 * ||V||_2^2``

    where ``s_i`` is the sample weight (times its class weight), ``W = lin1.weight`` (one
    column per input feature), ``g`` runs over the groups and ``V`` all the other parameters
    (later layers, biases). With several hidden layers the L2 term on the later weights
    grows with their norms (see ``weight_decay``).
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

    _parameter_constraints: dict = {
        **_BaseSparseMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        alpha=0.1,
        *,
        l1_ratio=0.0,
        groups=None,
        hidden_layer_sizes=(64,),
        activation="relu",
        solver="adam",
        learning_rate_init=1e-2,
        batch_size="auto",
        max_iter=300,
        tol=1e-4,
        n_iter_no_change=10,
        warmup_epochs=30,
        ramp_epochs=30,
        early_stopping=False,
        validation_fraction=0.1,
        momentum=0.9,
        warm_start=False,
        random_state=None,
        verbose=0,
        device="cpu",
        n_jobs=None,
        weight_decay=1e-2,
        feature_encoding=None,
        class_weight=None,
    ):
        super().__init__(
            alpha, l1_ratio=l1_ratio, groups=groups, hidden_layer_sizes=hidden_layer_sizes,
            activation=activation, solver=solver, learning_rate_init=learning_rate_init,
            batch_size=batch_size, max_iter=max_iter, tol=tol,
            n_iter_no_change=n_iter_no_change, warmup_epochs=warmup_epochs,
            ramp_epochs=ramp_epochs, early_stopping=early_stopping,
            validation_fraction=validation_fraction, momentum=momentum,
            warm_start=warm_start, random_state=random_state, verbose=verbose, device=device,
            n_jobs=n_jobs, weight_decay=weight_decay, feature_encoding=feature_encoding,
        )
        self.class_weight = class_weight

    @_fit_context(prefer_skip_nested_validation=True)
    @public_fit
    def fit(self, X, y, sample_weight=None):
        """Fit the network to X and y, selecting features on the way.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss (>= 0): the loss is their weighted mean, as in
            :class:`~sklearn.neural_network.MLPClassifier`; 0 removes a sample. Integer
            weights train like repeated rows (in expectation; exactly, to the last bit,
            for a fit on one batch). None: all 1.

        Returns
        -------
        self : SparseMLPClassifier
            The fitted classifier.
        """
        X, y, sample_weight, classes = self._validate_input(X, y, sample_weight,
                                                            incremental=False)
        return self._fit(X, y, sample_weight, len(classes), {"classes_": classes},
                         y_for_stratify=y)

    def _validate_input(self, X, y, sample_weight, incremental, classes=None):
        """X, y encoded as indices into the classes, the weights with class weights, and
        the classes (``classes_`` of the fit).

        ``fit`` (``incremental=False``) takes the classes from y (a warm start must see the
        same ones); ``partial_fit`` from ``classes`` on its first call, then checks y
        against them.
        """
        fitted = hasattr(self, "net_")
        reset = not fitted if incremental else not (self.warm_start and fitted)
        if incremental and reset and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: the chunks may "
                "not contain every class."
            )
        X, y = validate_data(
            self, X, y, reset=reset, dtype=[np.float64, np.float32], accept_sparse=ACCEPT_SPARSE
        )
        check_classification_targets(y)
        if not incremental:
            seen = np.unique(y)
            if not reset and not np.array_equal(seen, self.classes_):
                raise ValueError(
                    "warm_start=True but y has other classes than the previous fit "
                    f"({self.classes_!r}); use warm_start=False."
                )
            if len(seen) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                    f"but the data contains only one class: {seen[0]!r}."
                )
        else:
            seen = np.unique(np.asarray(classes)) if reset else self.classes_
            if reset and len(seen) < 2:
                raise ValueError(f"{type(self).__name__} needs at least 2 classes, got {seen!r}.")
            if not reset and classes is not None and not np.array_equal(np.unique(classes), seen):
                raise ValueError(
                    f"classes={classes!r} differs from the classes of the first call {seen!r}."
                )
            unknown = np.setdiff1d(np.unique(y), seen)
            if unknown.size:
                raise ValueError(f"y contains labels {unknown!r} that are not in classes {seen!r}.")
            if self.class_weight == "balanced":
                # as SGDClassifier: one chunk's class counts are not the whole data's
                raise ValueError(
                    "class_weight='balanced' cannot be computed from one chunk in partial_fit; "
                    "pass class_weight=dict(zip(classes, compute_class_weight('balanced', "
                    "classes=classes, y=y_all))) computed on all the labels instead."
                )
        y_encoded = np.searchsorted(seen, y).astype(np.int64)
        sample_weight = check_sample_weight(sample_weight, X)
        sample_weight = class_weighted(sample_weight,
                                       check_class_weight(self.class_weight, seen),
                                       seen, y_encoded)
        return X, y_encoded, sample_weight, seen

    @_fit_context(prefer_skip_nested_validation=True)
    @public_fit
    def partial_fit(self, X, y, classes=None, sample_weight=None):
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
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample of the chunk in the loss, as in :meth:`fit`.

        Returns
        -------
        self : SparseMLPClassifier
            The updated classifier.
        """
        X, y, sample_weight, classes = self._validate_input(X, y, sample_weight,
                                                            incremental=True, classes=classes)
        return self._fit(X, y, sample_weight, len(classes), {"classes_": classes},
                         incremental=True)

    def _make_net(self, net_kwargs, fitted):
        # skorch's validation accuracy reads the batch targets, which may carry weights
        return SampleWeightedNetClassifier(
            criterion=torch.nn.CrossEntropyLoss,
            callbacks__valid_acc__target_extractor=target_of, **net_kwargs,
        )

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
