# Serverless ELT — every command a user runs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ENV ?= local
# An offline provider mirror for terraform init (optional): found by mk/terraform.mk when unset.
TF_PLUGIN_DIR ?=
PYTEST_ARGS ?=

.PHONY: help install check test test-unit test-integration test-e2e test-infra lint lint-python fmt build clean demo up down status logs fire-schedule

help: ## List every target with its description
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-22s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: requirements-dev.txt requirements-glue.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

install: $(VENV)/.installed ## Create .venv: requirements-dev.txt and the project itself, editable (every target does this when needed)

test: $(VENV)/.installed ## Run the whole test suite (CI runs lint-python, then this)
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: $(VENV)/.installed ## Unit tests only (no network)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-integration: $(VENV)/.installed ## Integration tests (AWS emulated in-process by moto)
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

test-e2e: $(VENV)/.installed ## End-to-end tests on a throwaway local cloud (applies the real Terraform)
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

test-infra: $(VENV)/.installed ## Terraform fmt/validate, structure and checkov tests
	$(PY) -m pytest tests/infra $(PYTEST_ARGS)

MYPY_PATHS := elt lambdas glue localcloud scripts demo bench chaos tests

lint: lint-python tf-lint ## Every linter: ruff, ruff format, mypy, terraform fmt/validate, checkov

lint-python: $(VENV)/.installed ## ruff (with the complexity limit), ruff format --check, mypy (what CI runs before the tests)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy $(MYPY_PATHS)

check: lint-python test ## What CI runs: lint-python, then the whole test suite

fmt: $(VENV)/.installed ## Format Python and Terraform in place
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	terraform fmt -recursive infra/terraform

build: $(VENV)/.installed ## Build build/<function>.zip for every Lambda (manylinux wheels for the runtime)
	$(PY) scripts/build_lambdas.py

clean: ## Remove build output and caches (keeps .venv)
	rm -rf build .pytest_cache .ruff_cache .mypy_cache

# ---- the local cloud ---------------------------------------------------------------------
LOCAL_PORT ?= 4599
LOCAL_STATE_DIR ?= $(CURDIR)/.local-cloud
export LOCAL_PORT LOCAL_STATE_DIR
FN ?=
RULE ?=
# One Terraform output of ENV, and the AWS CLI for ENV (ENV=local: the local cloud, with its
# fixed dummy credentials — not secrets).
OUT = $(PY) -m scripts.stack output
AWS_ENV = $(if $(filter local,$(ENV)),AWS_ENDPOINT_URL=http://127.0.0.1:$(LOCAL_PORT) AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1)
AWS = env $(AWS_ENV) $(VENV)/bin/aws $(if $(filter local,$(ENV)),--endpoint-url http://127.0.0.1:$(LOCAL_PORT))

up: $(VENV)/.installed ## Start the local cloud (emulator on 127.0.0.1:$LOCAL_PORT, fresh state)
	$(PY) -m localcloud up

down: $(VENV)/.installed ## Stop the local cloud and its Lambda workers
	$(PY) -m localcloud down

status: $(VENV)/.installed ## Say whether the local cloud runs
	@$(PY) -m localcloud status

logs: $(VENV)/.installed ## Show logs: the emulator's, or a function's with FN=ingest|transform|<name>
	@$(PY) -m localcloud logs $(if $(FN),--function $(FN))

fire-schedule: $(VENV)/.installed ## Fire an EventBridge schedule rule now (local cloud): RULE=<name>
	@test -n "$(RULE)" || { echo "usage: make fire-schedule RULE=<rule name>" >&2; exit 2; }
	$(PY) -m localcloud fire-rule $(RULE)

demo: $(VENV)/.installed ## From a fresh clone: start the local cloud, build, apply, seed, follow to silver, summarize
	@$(PY) -m localcloud status >/dev/null || $(MAKE) --no-print-directory up
	$(MAKE) --no-print-directory build
	$(MAKE) --no-print-directory tf-apply ENV=local TF_AUTO_APPROVE=1
	$(PY) demo/run_demo.py

-include mk/*.mk
