"""The code shown on the README and the docs' front page runs and does what its comments say."""

import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


def _readme_blocks():
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def _index_blocks():
    text = (ROOT / "docs" / "index.rst").read_text()
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", text)
    return [textwrap.dedent(block).strip() + "\n" for block in blocks]


class MyModule(torch.nn.Module):
    """The module the skorch snippets leave to the reader: lin1 first, logits out."""

    def __init__(self):
        super().__init__()
        self.lin1 = torch.nn.Linear(10, 64)
        self.lin2 = torch.nn.Linear(64, 2)

    def forward(self, X):
        return self.lin2(torch.relu(self.lin1(X)))


def test_front_page_shows_the_readme_code():
    readme = [block.strip() + "\n" for block in _readme_blocks()]
    index = _index_blocks()
    assert index and all(block in readme for block in index)


def test_readme_snippets_run_and_do_what_their_comments_say():
    quickstart, cross_validated, skorch_net = _readme_blocks()
    namespace = {}
    exec(quickstart, namespace)
    clf = namespace["clf"]
    np.testing.assert_array_equal(clf.get_support(indices=True), [0, 1])
    assert clf.net_.module_.lin1.weight[:, 2:].abs().max().item() == 0.0

    exec(cross_validated, namespace)
    clf = namespace["clf"]
    np.testing.assert_array_equal(clf.get_support(indices=True), [0, 1])
    assert clf.alpha_ == pytest.approx(0.27, abs=0.01)

    namespace["MyModule"] = MyModule
    exec(skorch_net, namespace)
    X, y = namespace["X"].astype(np.float32), namespace["y"].astype(np.int64)
    net = namespace["net"].set_params(verbose=0).fit(X, y)
    kept = (net.module_.lin1.weight != 0).any(dim=0).numpy()
    np.testing.assert_array_equal(np.flatnonzero(kept), [0, 1])
    assert (net.predict(X) == y).mean() > 0.95


def test_the_demo_saves_its_heat_maps_where_it_says(tmp_path):
    """`make demo` runs headless (MPLBACKEND=Agg): plt.show() alone would discard the figure."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "plot_seed_problem.py")], cwd=tmp_path,
        env=env, capture_output=True, text=True, timeout=300, check=True,
    )
    saved = tmp_path / "seed_problem_heatmaps.png"
    assert f"heat maps saved to {saved}" in result.stdout
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "selected features [0 1]" in result.stdout


def _getting_started_blocks():
    text = (ROOT / "docs" / "getting_started.rst").read_text()
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", text)
    return [textwrap.dedent(block).strip() + "\n" for block in blocks]


def test_getting_started_selects_what_it_says():
    """The page's first fit, as a user copies it: the score and the 4 features it names
    (the stability block takes 20 seconds, measured when the page was written)."""
    select, select_from_model, *_ = _getting_started_blocks()
    namespace = {}
    exec(select, namespace)
    model, X = namespace["model"], namespace["X"]
    assert round(model.score(namespace["X_test"], namespace["y_test"]), 2) == 0.93
    # the same with torch's AVX2 kernels (ATEN_CPU_CAPABILITY=avx2) and its AVX-512 ones
    assert list(X.columns[model[-1].get_support()]) == [
        "mean concave points", "worst radius", "worst perimeter", "worst concave points"]
    exec(select_from_model, namespace)
    assert [type(step).__name__ for step in namespace["pipe"]] == [
        "StandardScaler", "SelectFromModel", "RandomForestClassifier"]
