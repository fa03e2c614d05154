# The README's two commands: `make demo` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

export FACTORSCOPE_HOME ?= $(CURDIR)/var
export FACTORSCOPE_API_PORT ?= 8000
export FACTORSCOPE_UI_PORT ?= 8050

.PHONY: install demo test test-fast screenshots bench lint

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e ".[backend,frontend,postgres,mocap,dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## make demo: install, prepare the default runs, start what exists, print the URL.
demo: install
	$(BIN)/factorscope prepare
	$(BIN)/factorscope demo

## make test: install, lint (ruff, mypy) and run every test.
test: lint
	$(BIN)/python -m pytest

## make test-fast: the unit tests only (no servers, browsers, databases or long trainings), under a minute.
test-fast: install
	$(BIN)/python -m pytest -m unit -q

## make screenshots: run the browser tests, saving the pages they show to docs/screenshots.
screenshots: install
	FACTORSCOPE_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/e2e

bench: install
	$(BIN)/python bench/train_throughput.py
	$(BIN)/python bench/metrics_scaling.py

lint: install
	$(BIN)/ruff check models backend frontend tests bench
	$(BIN)/mypy
