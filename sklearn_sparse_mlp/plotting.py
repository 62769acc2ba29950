"""Plots of the regularization path, of the cross-validated choice of alpha, and of the
stability path.

matplotlib is an optional dependency: ``pip install sklearn-sparse-mlp[plot]``.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval, validate_params
from sklearn.utils.validation import check_is_fitted

from ._cv import SparseMLPClassifierCV, SparseMLPRegressorCV
from ._path import SparseMLPPath
from ._stability import StabilitySelection

__all__ = ["plot_path", "plot_cv", "plot_stability_path"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Plotting needs matplotlib: pip install 'sklearn-sparse-mlp[plot]'."
        ) from exc
    return plt


def _two_axes(axes, plt, nrows, ncols, **subplots_kwargs):
    """The two Axes to draw on: a new figure's for None, else a sequence of exactly two."""
    if axes is None:
        return plt.subplots(nrows, ncols, **subplots_kwargs)[1]
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.size != 2:
        raise ValueError(
            f"axes must be two matplotlib Axes (this plot has two panels), got {axes.size}; "
            "e.g. axes=plt.subplots(1, 2)[1], or None for a new figure."
        )
    return axes


# one Axes (refused below, with the fix) or a sequence of them
_AXES = [None, "array-like", HasMethods(["plot"])]


def _labelled(n_features, n_labels):
    """The colours of the first ``n_labels`` lines of a plot and the grey of the others."""
    plt = _pyplot()
    colors = plt.get_cmap("tab10" if min(n_features, n_labels) <= 10 else "tab20")
    return [colors(rank % colors.N) for rank in range(min(n_features, n_labels))]


@validate_params(
    {"path": [SparseMLPPath, SparseMLPClassifierCV, SparseMLPRegressorCV], "axes": _AXES,
     "feature_names": ["array-like", None], "alpha": [Interval(Real, 0, None, closed="left"),
                                                       None],
     "n_labels": [Interval(Integral, 0, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def plot_path(path, axes=None, feature_names=None, alpha=None, n_labels=10):
    """Plot a regularization path: selected features and each feature's column norm.

    Parameters
    ----------
    path : SparseMLPPath or fitted SparseMLPClassifierCV or SparseMLPRegressorCV
        As returned by :func:`~sklearn_sparse_mlp.sparse_mlp_path`, or a CV estimator,
        whose ``path_`` is drawn with its ``alpha_`` marked and its ``feature_names_in_``.
    axes : sequence of two matplotlib Axes, default=None
        Where to draw; None makes a new figure with two panels.
    feature_names : sequence of str, default=None
        Names of the features in the legend; None: the estimator's ``feature_names_in_``
        where it has them, else ``x0``, ``x1``, ...
    alpha : float, default=None
        Mark this alpha on both panels (a CV estimator's ``alpha_`` by default).
    n_labels : int, default=10
        Colour and name the features that stay longest on the path (the ``n_labels`` of
        largest leave alpha, ties by norm); the others are drawn in grey.

    Returns
    -------
    axes : ndarray of two matplotlib Axes

    Raises
    ------
    ValueError
        ``feature_names`` of the wrong length, or ``axes`` that are not two Axes.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sparse_mlp import SparseMLPClassifier, sparse_mlp_path
    >>> from sklearn_sparse_mlp.plotting import plot_path
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(200, 3)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> path = sparse_mlp_path(SparseMLPClassifier(random_state=0), X, y,
    ...                        alphas=[0.01, 0.1], stop_when_empty=False)
    >>> axes = plot_path(path)
    >>> len(axes[1].get_lines())
    3
    """
    if isinstance(path, SparseMLPClassifierCV | SparseMLPRegressorCV):
        check_is_fitted(path, "path_")
        estimator, path = path, path.path_
        alpha = estimator.alpha_ if alpha is None else alpha
        if feature_names is None and hasattr(estimator, "feature_names_in_"):
            feature_names = estimator.feature_names_in_
    plt = _pyplot()
    norms = path.feature_norms
    if norms is None:  # a record made by hand: columns are features
        norms = np.array([np.linalg.norm(W, axis=0) for W in path.lin1_weights])
    n_features = norms.shape[1]
    if feature_names is not None and len(feature_names) != n_features:
        raise ValueError(
            f"feature_names has {len(feature_names)} names but the path has "
            f"{n_features} features."
        )
    names = ([str(name) for name in feature_names] if feature_names is not None
             else [f"x{j}" for j in range(n_features)])
    axes = _two_axes(axes, plt, 1, 2, figsize=(11, 4))
    axes[0].step(path.alphas, path.n_features, where="post")
    axes[0].set(xscale="log", xlabel="alpha", ylabel="selected features",
                title="Features left along the path")
    leave = path.feature_leave_alphas
    if leave is None:
        leave = np.zeros(n_features)
    order = np.lexsort((-norms.max(axis=0), -leave))  # the longest-staying first
    colors = _labelled(n_features, n_labels)
    for j in order[len(colors):][::-1]:
        axes[1].plot(path.alphas, norms[:, j], color="0.75", lw=0.8)
    for rank, j in enumerate(order[: len(colors)]):
        axes[1].plot(path.alphas, norms[:, j], color=colors[rank], lw=1.8, label=names[j])
    axes[1].set(xscale="log", xlabel="alpha",
                ylabel="norm of the feature's first-layer weights",
                title=(f"Weight norm of each feature ({len(colors)} longest-staying named)"
                       if len(colors) < n_features else "Weight norm of each feature"))
    if alpha is not None:
        for ax in axes:
            ax.axvline(alpha, color="k", ls="--", lw=1, label=f"alpha = {alpha:.3g}")
    if colors or alpha is not None:
        axes[1].legend(fontsize="small")
    return np.asarray(axes)


@validate_params(
    {"estimator": [SparseMLPClassifierCV, SparseMLPRegressorCV], "axes": _AXES},
    prefer_skip_nested_validation=True,
)
def plot_cv(estimator, axes=None):
    """Plot the cross-validated score and the number of features against alpha.

    Parameters
    ----------
    estimator : fitted SparseMLPClassifierCV or SparseMLPRegressorCV
        The estimator whose choice of alpha to show.
    axes : sequence of two matplotlib Axes, default=None
        Where to draw; None makes a new figure with two panels sharing the alpha axis.

    Returns
    -------
    axes : ndarray of two matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sparse_mlp import SparseMLPClassifierCV
    >>> from sklearn_sparse_mlp.plotting import plot_cv
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(200, 3)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = SparseMLPClassifierCV(alphas=[0.01, 0.1], cv=2,
    ...                             random_state=0).fit(X, y)
    >>> axes = plot_cv(clf)
    >>> axes[0].get_xscale()
    'log'
    """
    check_is_fitted(estimator, "scores_path_")
    plt = _pyplot()
    axes = _two_axes(axes, plt, 2, 1, figsize=(7, 6), sharex=True)
    mean = estimator.scores_path_.mean(axis=0)
    std = estimator.scores_path_.std(axis=0)
    alphas = estimator.alphas_
    axes[0].plot(alphas, mean, marker="o", ms=3, label="mean over the folds")
    axes[0].fill_between(alphas, mean - std, mean + std, alpha=0.2, label="+/- 1 std")
    axes[1].step(alphas, estimator.n_features_path_, where="post")
    for ax in axes:
        ax.axvline(estimator.alpha_, color="k", ls="--",
                   label=f"chosen alpha = {estimator.alpha_:.3g}")
        ax.set_xscale("log")
    if hasattr(estimator, "constant_scores_"):
        axes[0].axhline(estimator.constant_scores_.mean(), color="0.5", ls=":",
                        label="constant prediction (no feature)")
    axes[0].set(ylabel=f"mean {estimator._scoring_name()} on the "
                       f"{len(estimator.scores_path_)} folds",
                title=f"{type(estimator).__name__} ({estimator.selection})")
    axes[0].legend(fontsize="small")
    axes[1].set(xlabel="alpha", ylabel="selected features")
    return np.asarray(axes)


@validate_params(
    {"selector": [StabilitySelection], "ax": [None, HasMethods(["plot"])],
     "n_labels": [Interval(Integral, 0, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def plot_stability_path(selector, ax=None, n_labels=10):
    """Plot the stability path: each feature's selection probability against alpha.

    The selected features (probability of being among a half's first ``q_`` at least
    ``cutoff_``) are drawn in colour and labelled at the left end of the path, the others
    in grey; a dashed line marks the cutoff, and the title gives ``q_`` and the bound.

    Parameters
    ----------
    selector : fitted StabilitySelection
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure.
    n_labels : int, default=10
        Label at most this many selected features (those of highest probability), with
        the names of ``selector.get_feature_names_out()``.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sparse_mlp import SparseMLPClassifier, StabilitySelection
    >>> from sklearn_sparse_mlp.plotting import plot_stability_path
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(200, 4)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> selector = StabilitySelection(SparseMLPClassifier(tol=1e-3), n_pairs=2, q=1,
    ...                               cutoff=0.75, random_state=0).fit(X, y)
    >>> ax = plot_stability_path(selector)
    >>> ax.get_ylabel()
    'selection probability (share of 4 halves)'
    """
    check_is_fitted(selector, "stability_scores_")
    plt = _pyplot()
    if ax is None:
        ax = plt.subplots(figsize=(8, 4.5))[1]
    alphas, scores = selector.alphas_, selector.stability_scores_
    names = np.array([f"x{j}" for j in range(selector.n_features_in_)], dtype=object)
    if hasattr(selector, "feature_names_in_"):
        names = np.asarray(selector.feature_names_in_, dtype=object)
    selected = selector.get_support(indices=True)
    for j in np.flatnonzero(~selector.get_support()):
        ax.plot(alphas, scores[j], color="0.75", lw=0.8, zorder=1)
    order = selected[np.argsort(-selector.selection_probabilities_[selected], kind="stable")]
    colors = plt.get_cmap("tab10" if len(order) <= 10 else "tab20")
    for rank, j in enumerate(order):
        label = (f"{names[j]} ({selector.selection_probabilities_[j]:.2f})"
                 if rank < n_labels else None)
        ax.plot(alphas, scores[j], color=colors(rank % colors.N), lw=1.8, label=label,
                zorder=2)
    ax.axhline(selector.cutoff_, color="k", ls="--", lw=1,
               label=f"cutoff = {selector.cutoff_:.2f}")
    ax.set(xscale="log", xlabel="alpha", ylim=(-0.02, 1.02),
           ylabel=f"selection probability (share of {2 * selector.n_pairs} halves)",
           title=f"Stability path: {len(selected)} selected (q = {selector.q_} per half; "
                 f"expected false selections <= {selector.pfer_bound_:.2g})")
    ax.legend(fontsize="small", loc="lower left", title="selected (probability)")
    return ax
