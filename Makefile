# Two commands matter: `make run` (set up + run locally) and `make test` (set up + all tests).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DATA ?= data

.PHONY: setup run data test lint typecheck unit bench bench-preprocess clean

setup: $(INSTALLED)

# Re-install whenever the pinned dependencies change.
$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[ml,dev]'
	touch $@

data: setup
	$(BIN)/sentiment data --output $(DATA)

run: data
	@echo
	@echo "Data ready in $(DATA)/. The model, endpoint and local stack arrive with the next issues;"
	@echo "for now 'make run' prepares the training files and word dictionary."

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest

bench-preprocess: setup
	$(BIN)/sentiment bench-preprocess --output benchmarks

bench: bench-preprocess

clean:
	rm -rf $(VENV) .cache $(DATA) .pytest_cache .ruff_cache .mypy_cache
