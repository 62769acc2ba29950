# Every target builds its own environment in .venv from a fresh clone.
# The CPU build of torch is pinned first: a bare `torch` requirement would pull a multi-GB CUDA build.
VENV := .venv
PY := $(VENV)/bin/python
TORCH := torch==2.13.0
# One torch thread: on small machines two threads make training erratic and slower.
RUN := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 SCIPY_ARRAY_API=1 MPLBACKEND=Agg

.PHONY: test demo lint docs bench bench-selection bench-selection-20 bench-selection-matrix

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH)
	$(PY) -m pip install -q -e ".[test]"
	touch $@

# Lint, the docs build (it runs every example), then the tests on two worker processes (one
# torch thread each: the two cores): pytest's summary comes last.
test: $(VENV)/.installed
	$(VENV)/bin/ruff check sklearn_sparse_mlp tests examples benchmarks
	$(MAKE) docs
	$(RUN) $(PY) -m pytest -n 2

demo: $(VENV)/.installed
	$(RUN) $(PY) examples/plot_seed_problem.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

docs: $(VENV)/.installed
	$(VENV)/bin/pip install -q -e ".[docs]"
	$(RUN) $(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

# Feature selection for a downstream model (3 seeds, ~15-20 min on one core); writes the table
# of docs/benchmarks_selection.rst.
bench-selection: $(VENV)/.installed
	$(VENV)/bin/pip install -q -e ".[bench]"
	$(RUN) $(PY) benchmarks/bench_selection.py --write-docs

bench-selection-20: $(VENV)/.installed
	$(VENV)/bin/pip install -q -e ".[bench]"
	$(RUN) $(PY) benchmarks/bench_selection.py --datasets breast_cancer nonlinear \
		--seeds $$(seq 0 19) --no-stability --methods 'sparse-mlp (ours)' \
		'sparse-mlp raw (ours)' l1-logistic random-forest anova-f lassonet random-k \
		--write-docs docs/benchmarks_selection_20_seeds.rst

# The whole selection matrix of docs/benchmarks.rst, each table written by its own run: the
# default data sets, MNIST-5k, the synthetic family at 32/128 and at 512 features (about an
# hour and a quarter on one core; the 20-split table is bench-selection-20).
SYNTHETIC_METHODS := 'sparse-mlp (ours)' 'sparse-mlp raw (ours)' l1-logistic random-forest lassonet
bench-selection-matrix: $(VENV)/.installed
	$(VENV)/bin/pip install -q -e ".[bench]"
	$(RUN) $(PY) benchmarks/bench_selection.py --write-docs
	$(RUN) $(PY) benchmarks/bench_selection.py --datasets mnist --seeds 0 1 2 --no-stability \
		--methods 'sparse-mlp (ours)' l1-logistic random-forest lassonet \
		--write-docs docs/benchmarks_selection_mnist.rst
	$(RUN) $(PY) benchmarks/bench_selection.py --datasets ring32 ring128 xor32 xor128 bumps32 \
		bumps128 union32 union128 --seeds 0 1 --no-stability --methods $(SYNTHETIC_METHODS) \
		--write-docs docs/benchmarks_selection_synthetic.rst
	$(RUN) $(PY) benchmarks/bench_selection.py --datasets ring512 xor512 bumps512 union512 \
		--seeds 0 1 --no-stability --methods $(SYNTHETIC_METHODS) \
		--write-docs docs/benchmarks_selection_synthetic_512.rst
