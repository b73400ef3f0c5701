# Two commands matter: `make run` (set up + run locally) and `make test` (set up + all tests).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SENTIMENT := $(BIN)/sentiment
# The served model's data (sentiment/data/prepare.py SETUPS["default"]): every word, negations marked,
# word2vec vectors from train + unlabelled reviews, short synthetic reviews of negation and contrast.
DATA := data/default
MODEL := model/artifact
# SAM CLI in its own environment (its pins differ from ours); builds need no Docker.
SAM_VERSION := 1.170.0
SAM_VENV := .tools/sam
SAM := $(SAM_VENV)/bin/sam
SAM_STAMP := $(SAM_VENV)/.installed-$(SAM_VERSION)
export SAM_CLI_TELEMETRY := 0
# The SageMaker Python SDK v3 (ModelTrainer, pyproject's `sagemaker` group) in its own environment
# too: it pins mlflow and an older gunicorn. moto rides along for the offline tests of the job request.
SM_VENV := .tools/sagemaker
SM_PYTHON := $(SM_VENV)/bin/python
SM_STAMP := $(SM_VENV)/.installed
# AWS settings for the deploy targets (override on the command line: make endpoint IMAGE_URI=...).
AWS_REGION ?= us-east-1
STACK_NAME ?= sentiment
ENDPOINT_NAME ?= sentiment-endpoint
ENDPOINT_MODE ?= serverless
BUCKET ?=
ROLE_ARN ?= $(SAGEMAKER_ROLE_ARN)
IMAGE_URI ?=
MODEL_DATA ?= s3://$(BUCKET)/models/shipped/model.tar.gz
# Data Capture for drift reports (real-time endpoints only): make endpoint ENDPOINT_MODE=realtime CAPTURE=s3://...
CAPTURE ?=
CAPTURE_PERCENT ?= 100
AWS_ARGS := --region $(AWS_REGION)

.PHONY: device-check images docker-tools need-bucket sagemaker-sdk upload-data upload-model train-sagemaker endpoint deploy publish status destroy bench-stack setup sam browser sam-build validate run data data-classic train evaluate test lint typecheck bench bench-preprocess bench-serving bench-model bench-abuse bench-containers bench-publish clean

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

sagemaker-sdk: $(SM_STAMP)

$(SM_STAMP): pyproject.toml
	rm -rf $(SM_VENV)
	$(PYTHON) -m venv $(SM_VENV)
	$(SM_VENV)/bin/pip install --quiet --upgrade pip
	$(SM_VENV)/bin/pip install --quiet -e '.[sagemaker]' "moto[s3]==5.2.5"
	touch $@

# ---- AWS (see README: Deploy to AWS). Each step prints what it created; `make destroy` undoes them.
need-bucket:
	@test -n "$(BUCKET)" || { echo "set BUCKET=your-s3-bucket (in $(AWS_REGION))"; exit 2; }

upload-data: setup need-bucket
	$(BIN)/python training/upload_data.py --data $(DATA) --s3 s3://$(BUCKET)/imdb $(AWS_ARGS)

upload-model: setup need-bucket
	$(BIN)/python training/upload_model.py --model-dir $(MODEL) --s3 $(MODEL_DATA) $(AWS_ARGS)

train-sagemaker: $(SM_STAMP) need-bucket
	$(SM_PYTHON) training/launch_training.py --data s3://$(BUCKET)/imdb --output s3://$(BUCKET)/models \
		--role-arn "$(ROLE_ARN)" $(AWS_ARGS)

endpoint: setup
	$(BIN)/python training/deploy_endpoint.py --endpoint-name $(ENDPOINT_NAME) --image-uri "$(IMAGE_URI)" \
		--model-data $(MODEL_DATA) --mode $(ENDPOINT_MODE) --role-arn "$(ROLE_ARN)" $(AWS_ARGS) \
		$(if $(CAPTURE),--data-capture $(CAPTURE) --capture-percent $(CAPTURE_PERCENT))

# The API and website: sam build + sam deploy, then the website with config.js from the stack outputs.
deploy: $(SAM_STAMP) setup
	$(SAM) build
	$(SAM) deploy --stack-name $(STACK_NAME) $(AWS_ARGS) --no-confirm-changeset --no-fail-on-empty-changeset \
		--parameter-overrides EndpointName=$(ENDPOINT_NAME)
	$(MAKE) publish

publish: setup
	$(BIN)/python training/publish_website.py --stack-name $(STACK_NAME) $(AWS_ARGS)

# What is billing now for the project in the region, roughly (endpoints, instances, running jobs).
status: setup
	$(BIN)/python training/status.py $(AWS_ARGS)

# Stop the bill: the endpoint (with its config, models, autoscaling) and the stack.
destroy: setup
	$(BIN)/python training/destroy.py --endpoint-name $(ENDPOINT_NAME) --stack-name $(STACK_NAME) $(AWS_ARGS)

# From Debian: Chromium for the browser tests (Playwright cannot download browsers offline) and
# wrk for the load tests.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
CHROMIUM := /usr/bin/chromium
WRK := /usr/bin/wrk
browser: $(CHROMIUM)

$(CHROMIUM) $(WRK):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq $(notdir $@)

# Containers (README: "Containers"): the base images (pulled, else stand-ins built from Debian packages),
# the model image sentiment-model:latest (docker build -f model/Dockerfile .) and the stand-in of the
# AWS PyTorch training image. Starts dockerd for its own run when none answers (root only).
images: setup docker-tools
	$(SENTIMENT) images --training

# From Debian, when missing: the Docker engine, debootstrap (the base images' stand-ins) and docker compose
# (the SageMaker SDK's local training mode).
docker-tools:
	@missing=""; \
	command -v dockerd >/dev/null || docker info >/dev/null 2>&1 || missing="docker.io"; \
	command -v debootstrap >/dev/null || missing="$$missing debootstrap"; \
	docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	if [ -n "$$missing" ] && command -v apt-get >/dev/null; then \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	fi

# `sam build`: the function with its requirements, and the layer from functions/layer/Makefile.
sam-build: $(SAM_STAMP)
	$(SAM) build
	@du -sh .aws-sam/build/PreprocessLayer .aws-sam/build/PredictFunction

validate: $(SAM_STAMP) setup
	$(SAM) validate --lint --region us-east-1
	$(BIN)/cfn-lint template.yaml

data: setup
	$(SENTIMENT) data --setup default --output $(DATA)

data-classic: setup
	$(SENTIMENT) data --setup classic --output data/classic

# Train the default model into model/artifact (the artifact committed to the repo), then evaluate it
# into the artifact: this deliberately replaces the shipped model.
train: data
	$(SENTIMENT) train --config default --data $(DATA) --output $(MODEL)
	$(SENTIMENT) evaluate --model-dir $(MODEL) --data $(DATA)

# On a machine with a GPU: train on CUDA (mixed precision), epoch times beside the CPU run's, and the
# saved artifact scoring alike on CPU and GPU (needs data/default: make data).
device-check: setup
	$(BIN)/python -m sentiment.training.device_check --data $(DATA)

# Evaluate the shipped model; the report and plots go to runs/evaluation (tracked files stay as they are).
evaluate: data
	$(SENTIMENT) evaluate --model-dir $(MODEL) --data $(DATA) --output runs/evaluation

# The local stack: model server on 127.0.0.1:8080, website + API on http://127.0.0.1:3000.
run: setup
	$(SENTIMENT) up --model-dir $(MODEL)

# Style, then the deployment units' boundaries: imports only downwards (import-linter), each unit's
# modules import only what its own dependency groups declare (deptry: the other groups count as
# "dev" for the check), and the container recipe (hadolint).
DEPTRY := $(BIN)/deptry --known-first-party sentiment --package-module-name-map sagemaker-train=sagemaker
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	@echo "deptry: Lambda function + layer (base, api, and classic when the served model needs it)"
	$(DEPTRY) sentiment/core sentiment/text sentiment/api functions --optional-dependencies-dev-groups serve,train,ml,dev,sagemaker
	@echo "deptry: model container (base + serve: ONNX Runtime, no torch; it receives ids, so never runs the classic stemmer)"
	$(DEPTRY) sentiment/core sentiment/text sentiment/scoring sentiment/serving sentiment/web --optional-dependencies-dev-groups classic,train,api,ml,dev,sagemaker --per-rule-ignores DEP004=nltk
	@echo "deptry: SageMaker training job (base + train, which includes classic)"
	$(DEPTRY) sentiment/core sentiment/text sentiment/scoring sentiment/model sentiment/training --optional-dependencies-dev-groups serve,api,ml,dev,sagemaker
	@echo "deptry: the workstation (everything but dev)"
	$(DEPTRY) sentiment training functions --optional-dependencies-dev-groups dev
	$(BIN)/hadolint model/Dockerfile images/*/Dockerfile sentiment/bench/torch.Dockerfile

typecheck: setup
	$(BIN)/mypy

test: lint typecheck $(SAM_STAMP) $(SM_STAMP) $(CHROMIUM) $(WRK) docker-tools
	SAM_CLI=$(SAM) $(BIN)/python -m pytest

# Benchmarks write their records to runs/benchmarks; `make bench-publish` copies them into benchmarks/.
BENCH := runs/benchmarks
bench-preprocess: setup
	$(SENTIMENT) bench-preprocess --output $(BENCH)

bench-model: setup
	$(SENTIMENT) bench-model --output $(BENCH)

bench-serving: setup
	$(SENTIMENT) bench-serving --model-dir $(MODEL) --output $(BENCH)

# End to end: wrk (Debian) against the local stack, 20,000 requests at concurrency 32.
bench-stack: setup $(WRK)
	$(SENTIMENT) bench-stack --model-dir $(MODEL) --output $(BENCH)

# The model image against the same server on eager torch, run as SageMaker runs them (Docker); the
# Lambda's sizes and cold import (sam build).
bench-containers: setup $(SAM_STAMP) docker-tools
	$(SENTIMENT) bench-containers --model-dir $(MODEL) --output $(BENCH)

# The model server under its largest requests and 50 slow clients (peak memory, /ping latency).
bench-abuse: setup
	$(SENTIMENT) bench-abuse --model-dir $(MODEL) --output $(BENCH)

# Every benchmark in one run, then one summary table.
bench: bench-preprocess bench-serving bench-stack bench-containers bench-abuse bench-model
	$(SENTIMENT) bench-summary --output $(BENCH)

bench-publish:
	test -f $(BENCH)/summary.md || { echo "run make bench first"; exit 2; }
	cp $(BENCH)/*.json $(BENCH)/*.md benchmarks/

clean:
	rm -rf $(VENV) .tools .aws-sam .cache data runs .pytest_cache .ruff_cache .mypy_cache
