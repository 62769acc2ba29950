"""Sphinx configuration of the sklearn-sparse-mlp documentation."""

import os
import re
import sys

# Document (and run the gallery against) the package of this checkout.
sys.path.insert(0, os.path.abspath(".."))

import sklearn_sparse_mlp  # noqa: E402

project = "sklearn-sparse-mlp"
author = "The sklearn-sparse-mlp developers"
copyright = "2025, The sklearn-sparse-mlp developers"
version = release = sklearn_sparse_mlp.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
# benchmarks_selection.rst is written by benchmarks/bench_selection.py and included by
# benchmarks.rst, not a page of its own.
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "benchmarks_selection.rst"]
root_doc = "index"

# -- autosummary / autodoc / numpydoc -----------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"
# Members are listed by the class template (_templates/autosummary/class.rst), not by numpydoc:
# numpydoc's member tables would need a stub page per method.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# No intersphinx: the build must not need the network.

# Methods inherited from scikit-learn (score, get_params, set_score_request, ...) keep their
# docstrings, whose :ref: and :term: roles point into scikit-learn's own documentation and
# cannot resolve here (no intersphinx). Render them as plain text.
_SKLEARN_ROLE = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<([^>`]*)>)?`")


def _plain_sklearn_roles(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if module.startswith("sklearn_sparse_mlp") or not module.startswith("sklearn"):
        return
    for i, line in enumerate(lines):
        lines[i] = _SKLEARN_ROLE.sub(lambda m: m.group(1) or m.group(2), line)


def setup(app):
    app.connect("autodoc-process-docstring", _plain_sklearn_roles)


# -- sphinx-gallery ----------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": "/plot_",
    "within_subsection_order": "sphinx_gallery.sorting.FileNameSortKey",
    "doc_module": ("sklearn_sparse_mlp",),
    "backreferences_dir": os.path.join("generated", "backreferences"),
    "reference_url": {"sklearn_sparse_mlp": None},
    "remove_config_comments": True,
    "plot_gallery": "True",
    "abort_on_example_error": True,
}

# -- HTML ----------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-sparse-mlp {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_show_sourcelink = False
