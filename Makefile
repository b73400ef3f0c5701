# Two commands matter: `make run` (set up + run locally) and `make test` (set up + all tests).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SENTIMENT := $(BIN)/sentiment
# The served model's data: 25,000-id dictionary + word2vec vectors from train and unlabelled reviews.
DATA := data/default
DATA_OPTIONS := --vocab-size 25000 --embedding-dim 100
MODEL := model/artifact

.PHONY: setup run data data-classic train evaluate test lint typecheck bench bench-preprocess bench-serving bench-model clean

setup: $(INSTALLED)

# Re-install whenever the pinned dependencies change.
$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[ml,dev]'
	touch $@

data: setup
	$(SENTIMENT) data --output $(DATA) $(DATA_OPTIONS)

data-classic: setup
	$(SENTIMENT) data --output data/classic --vocab-size 5000

# Train the default model into model/artifact (the artifact committed to the repo), then evaluate it.
train: data
	$(SENTIMENT) train --config default --data $(DATA) --output $(MODEL)
	$(SENTIMENT) evaluate --model $(MODEL) --data $(DATA)

evaluate: data
	$(SENTIMENT) evaluate --model $(MODEL) --data $(DATA)

# Until the local stack (API + website) lands, `make run` serves the shipped model on 127.0.0.1:8080.
run: setup
	$(SENTIMENT) serve --model-dir $(MODEL) --port 8080

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest

bench-preprocess: setup
	$(SENTIMENT) bench-preprocess --output benchmarks

bench-model: setup
	$(SENTIMENT) bench-model --output benchmarks

bench-serving: setup
	$(SENTIMENT) bench-serving --model-dir $(MODEL) --output benchmarks

bench: bench-preprocess bench-serving bench-model

clean:
	rm -rf $(VENV) .cache data runs .pytest_cache .ruff_cache .mypy_cache
