# Two commands for a fresh machine: `make demo` and `make test`. Both set up .venv first.
VENV   := .venv
PYTHON := $(VENV)/bin/python
# The CPU build of torch, installed before anything else: an unpinned torch, pulled in by
# Lightning, would be a CUDA build of several GB.
TORCH  := torch==2.13.0
STAMP  := $(VENV)/.installed
# `make test` runs the tests in parallel processes (pytest-xdist), one per core, at most 4:
# each imports Lightning and holds its own data; `make test WORKERS=0` runs them in one.
WORKERS ?= $(shell n=$$(nproc); echo $$(( n < 4 ? n : 4 )))

export HF_DATASETS_OFFLINE := 1
export HF_HUB_OFFLINE := 1
# Packages install without byte-compiling (--no-compile): pip compiles every file it
# installs, 82 of set-up's 135 s here, while Python compiles on first import only what is
# imported. So the commands make runs must be allowed to write that bytecode.
unexport PYTHONDONTWRITEBYTECODE
# What the entry points and a run import, compiled at the end of set-up: where a shell sets
# PYTHONDONTWRITEBYTECODE=1 (this one does, as many Docker images), nothing would ever be
# compiled, and every command would compile torch and Lightning again (17.5 s against 7.2 s
# for their imports, issue 32). Cheap: only what is imported, not every installed file.
COMPILED := experiments.cli.train, experiments.cli.compare, experiments.cli.evaluate, \
	experiments.cli.predict, experiments.core.job, experiments.kinds.network, \
	experiments.kinds.estimator, experiments.report.summary, matplotlib.pyplot

.PHONY: help setup demo test test-fast lint docs format clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(STAMP)  ## create .venv with torch (CPU) and the project, editable, with dev tools

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet --no-compile $(TORCH)
	$(PYTHON) -m pip install --quiet --no-compile -e ".[dev]"
	$(PYTHON) -c "import $(COMPILED)"
	$(VENV)/bin/experiments-train --help > /dev/null  # and Hydra's plugins, as a run finds them
	touch $(STAMP)

demo: setup  ## the main job: does an MLP beat a linear SVM and logistic regression on digits? (protocol=quick, ~2 min)
	$(VENV)/bin/experiments-train -m experiment=svm_vs_deep protocol=quick

test: setup lint  ## lint, then every test tier (fast and slow)
	$(PYTHON) -m pytest -m "" -q -n $(WORKERS) --dist loadfile

test-fast: setup  ## the fast tier only (what plain `pytest` runs)
	$(PYTHON) -m pytest -q

lint: setup  ## ruff lint and format check, the package's layers (import-linter), the docs site
	$(VENV)/bin/ruff check src tests benchmarks docs/hooks
	$(VENV)/bin/ruff format --check src tests benchmarks docs/hooks
	$(VENV)/bin/lint-imports --no-cache
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

docs: setup  ## serve the docs site on http://127.0.0.1:8000 (mkdocs.yml, docs/)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve

format: setup  ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix src tests benchmarks docs/hooks
	$(VENV)/bin/ruff format src tests benchmarks docs/hooks

clean:  ## remove the environment, caches and the built site (keeps outputs/)
	rm -rf $(VENV) .pytest_cache .ruff_cache site
