# Two commands for a new user:  make demo  ·  make test
# Both create the virtual environment in .venv (with the Python found as $(PYTHON)) if needed.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,diagrams,postgres,web,browser]"
	touch $(STAMP)

install: $(STAMP)

LINT_STAMP := $(VENV)/.installed-lint

$(LINT_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,diagrams,postgres,lint]"
	touch $(LINT_STAMP)

# ruff (pyflakes, pycodestyle errors, bugbear) and mypy (strict on domain, engine, services): pyproject.toml
lint: $(LINT_STAMP)
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/mypy

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

# pytest-xdist: one worker per core (-n auto), tests handed out in contiguous runs and stolen by an idle
# worker at the end (worksteal: a module's tests mostly stay on one worker with its module fixtures).
# Serially: make test PYTEST_ARGS=-n0 (a plain `.venv/bin/python -m pytest FILE` runs serially too).
PYTEST_ARGS ?= -n auto --dist worksteal

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/bench_engine.py --n 10000 --m 5

clean:
	rm -rf $(VENV) demo.db demo.db-wal demo.db-shm .pytest_cache
