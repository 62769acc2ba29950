import matplotlib
import numpy as np
from _warning_filters import ALPHA_NOT_REACHED, MAX_ITER_REACHED

from sklearn_sparse_mlp import (
    SparseMLPClassifier,
    SparseMLPClassifierCV,
    StabilitySelection,
    sparse_mlp_path,
)
from sklearn_sparse_mlp.datasets import make_seed_problem
from sklearn_sparse_mlp.plotting import plot_cv, plot_path, plot_stability_path

matplotlib.use("Agg")


@MAX_ITER_REACHED
def test_plot_path_and_plot_cv():
    X, y = make_seed_problem("circle", n_samples=200, random_state=0)
    path = sparse_mlp_path(SparseMLPClassifier(random_state=0, max_iter=80), X, y, alphas=8,
                           path_multiplier=2.0, max_iter_per_alpha=20)
    axes = plot_path(path)
    assert len(axes) == 2
    assert len(axes[1].get_lines()) == 10  # one line per feature
    np.testing.assert_allclose(axes[0].get_lines()[0].get_xdata(), path.alphas)

    clf = SparseMLPClassifierCV(alphas=[0.01, 0.1, 0.3], cv=2, max_iter=80,
                                max_iter_per_alpha=20, random_state=0).fit(X, y)
    axes = plot_cv(clf)
    chosen = [line for line in axes[0].get_lines() if "chosen" in str(line.get_label())]
    assert chosen and chosen[0].get_xdata()[0] == clf.alpha_


@ALPHA_NOT_REACHED
@MAX_ITER_REACHED
def test_plots_name_what_they_expect():
    import matplotlib.pyplot as plt
    import pytest

    X, y = make_seed_problem("circle", n_samples=100, random_state=0)
    clf = SparseMLPClassifier(max_iter=5, random_state=0).fit(X, y)
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'estimator'.*SparseMLPClassifierCV"):
        plot_cv(clf)
    with pytest.raises(InvalidParameterError, match="'path'.*SparseMLPPath"):
        plot_path(clf)
    path = sparse_mlp_path(SparseMLPClassifier(random_state=0, max_iter=5), X, y,
                           alphas=[0.01, 0.1], max_iter_per_alpha=3, stop_when_empty=False)
    with pytest.raises(ValueError, match="feature_names has 2 names but the path has 10"):
        plot_path(path, feature_names=["a", "b"])
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="axes must be two matplotlib Axes"):
        plot_path(path, axes=ax)
    _, grid = plt.subplots(2, 1)  # any two Axes, also as a column of a grid
    assert list(plot_path(path, axes=grid[:, None])) == list(grid)
    plt.close("all")


def test_plot_stability_path_draws_labels_and_the_cutoff():
    import pandas as pd

    X, y = make_seed_problem("square", n_samples=200, n_features=6, random_state=0)
    X = pd.DataFrame(X, columns=[f"gene{j}" for j in range(6)])
    template = SparseMLPClassifierCV(alphas=6, path_multiplier=1.6, max_iter_per_alpha=10,
                                     hidden_layer_sizes=(16,), max_iter=200, tol=1e-3,
                                     random_state=0)
    selector = StabilitySelection(template, n_pairs=2, q=2, cutoff=0.75,
                                  random_state=0).fit(X, y)
    ax = plot_stability_path(selector)
    lines = ax.get_lines()
    assert len(lines) == 6 + 1  # a line per feature and the cutoff
    labels = [line.get_label() for line in lines if not line.get_label().startswith("_")]
    selected = selector.get_feature_names_out()
    assert labels[: len(selected)] == [
        f"{name} ({p:.2f})" for name, p in
        sorted(zip(selected, selector.selection_probabilities_[selector.get_support()],
                   strict=True), key=lambda item: -item[1])]
    assert labels[-1] == "cutoff = 0.75"
    np.testing.assert_allclose(lines[-1].get_ydata(), [0.75, 0.75])
    assert "q = 2" in ax.get_title() and "<= " in ax.get_title()
    ax = plot_stability_path(selector, n_labels=0)
    assert [line.get_label() for line in ax.get_lines()
            if not line.get_label().startswith("_")] == ["cutoff = 0.75"]
    import matplotlib.pyplot as plt

    plt.close("all")


def test_plot_path_names_the_longest_staying_features_and_marks_the_chosen_alpha():
    import matplotlib.colors as mcolors
    import matplotlib.pyplot as plt
    import pandas as pd

    X, y = make_seed_problem("circle", n_samples=200, n_features=14, random_state=0)
    X = pd.DataFrame(X, columns=[f"gene{j}" for j in range(14)])
    clf = SparseMLPClassifierCV(alphas=[0.01, 0.05, 0.1, 0.3], cv=2, max_iter=200, tol=1e-3,
                                max_iter_per_alpha=20, random_state=0).fit(X, y)
    axes = plot_path(clf)  # a CV estimator: its path_, alpha_ and feature names
    labelled = [line for line in axes[1].get_lines()
                if not line.get_label().startswith("_") and "alpha" not in line.get_label()]
    order = np.lexsort((-clf.path_.feature_norms.max(axis=0), -clf.path_.feature_leave_alphas))
    assert [line.get_label() for line in labelled] == [f"gene{j}" for j in order[:10]]
    assert {line.get_label() for line in labelled[:2]} == {"gene0", "gene1"}
    colours = [mcolors.to_hex(line.get_color()) for line in labelled]
    assert len(set(colours)) == 10  # no colour used twice
    grey = [line for line in axes[1].get_lines() if line.get_label().startswith("_")]
    assert len(grey) == 4 and all(mcolors.to_hex(line.get_color()) == "#bfbfbf"
                                  for line in grey)
    for ax in axes:
        marker = [line for line in ax.get_lines() if line.get_label().startswith("alpha =")]
        assert marker and marker[0].get_xdata()[0] == clf.alpha_
    assert "lin1" not in axes[1].get_ylabel()
    axes = plot_cv(clf)
    assert axes[0].get_ylabel() == "mean accuracy on the 2 folds"
    constant = [line for line in axes[0].get_lines() if "constant" in line.get_label()]
    np.testing.assert_allclose(constant[0].get_ydata(), clf.constant_scores_.mean())
    plt.close("all")
