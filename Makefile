# Serverless ELT — every command a user runs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ENV ?= local
# Offline provider mirror for terraform init (used when the directory exists).
TF_PLUGIN_DIR ?= $(if $(wildcard /opt/tf-plugins),/opt/tf-plugins,)
export TF_PLUGIN_DIR
PYTEST_ARGS ?=

.PHONY: help install test test-unit test-integration test-e2e test-infra lint fmt build clean demo

help: ## List every target with its description
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-22s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed ## Create .venv from requirements-dev.txt (every target does this when needed)

test: $(VENV)/.installed ## Run the whole test suite (exactly what CI runs)
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: $(VENV)/.installed ## Unit tests only (no network)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-integration: $(VENV)/.installed ## Integration tests (AWS emulated in-process by moto)
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

test-infra: $(VENV)/.installed ## Terraform fmt/validate, structure and checkov tests
	$(PY) -m pytest tests/infra $(PYTEST_ARGS)

lint: $(VENV)/.installed tf-lint ## ruff, mypy, terraform fmt/validate, checkov
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy lambdas localcloud

fmt: $(VENV)/.installed ## Format Python and Terraform in place
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	terraform fmt -recursive infra/terraform

build: $(VENV)/.installed ## Build build/<function>.zip for every Lambda (manylinux wheels for the runtime)
	$(PY) scripts/build_lambdas.py

clean: ## Remove build output and caches (keeps .venv)
	rm -rf build .pytest_cache .ruff_cache .mypy_cache

demo: ## Run the whole pipeline locally (arrives with the local cloud)
	@echo "make demo arrives with the local cloud (see ROADMAP.md); run 'make test' meanwhile." >&2
	@exit 1

-include mk/*.mk
