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
# SAM CLI in its own environment (its pins differ from ours); builds need no Docker.
SAM_VERSION := 1.170.0
SAM_VENV := .tools/sam
SAM := $(SAM_VENV)/bin/sam
SAM_STAMP := $(SAM_VENV)/.installed-$(SAM_VERSION)
export SAM_CLI_TELEMETRY := 0

.PHONY: bench-stack setup sam browser sam-build validate run data data-classic train evaluate test lint typecheck bench bench-preprocess bench-serving bench-model clean

setup: $(INSTALLED)

# Re-install whenever the pinned dependencies change.
$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[ml,dev]'
	touch $@

# The pinned SAM CLI (re-installed when the pin changes).
sam: $(SAM_STAMP)

$(SAM_STAMP):
	rm -rf $(SAM_VENV)
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli==$(SAM_VERSION)
	touch $@

# From Debian: Chromium for the browser tests (Playwright cannot download browsers offline) and
# wrk for the load tests.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
CHROMIUM := /usr/bin/chromium
WRK := /usr/bin/wrk
browser: $(CHROMIUM)

$(CHROMIUM) $(WRK):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq $(notdir $@)

# `sam build`: the function with its requirements, and the layer from functions/layer/Makefile.
sam-build: $(SAM_STAMP)
	$(SAM) build
	@du -sh .aws-sam/build/PreprocessLayer .aws-sam/build/PredictFunction

validate: $(SAM_STAMP) setup
	$(SAM) validate --lint --region us-east-1
	$(BIN)/cfn-lint template.yaml

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

# The local stack: model server on 127.0.0.1:8080, website + API on http://127.0.0.1:3000.
run: setup
	$(SENTIMENT) up --model-dir $(MODEL)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

test: lint typecheck $(SAM_STAMP) $(CHROMIUM) $(WRK)
	SAM_CLI=$(SAM) $(BIN)/python -m pytest

bench-preprocess: setup
	$(SENTIMENT) bench-preprocess --output benchmarks

bench-model: setup
	$(SENTIMENT) bench-model --output benchmarks

bench-serving: setup
	$(SENTIMENT) bench-serving --model-dir $(MODEL) --output benchmarks

# End to end: wrk (Debian) against the local stack, 20,000 requests at concurrency 32.
bench-stack: setup $(WRK)
	$(SENTIMENT) bench-stack --model-dir $(MODEL) --output benchmarks

# Every benchmark in one run (about 25 minutes on 2 cores), then one summary table.
bench: bench-preprocess bench-serving bench-stack bench-model
	$(SENTIMENT) bench-summary --output benchmarks

clean:
	rm -rf $(VENV) .tools .aws-sam .cache data runs .pytest_cache .ruff_cache .mypy_cache
