# Terraform for ENV (local | dev | prod): infra/terraform/envs/$(ENV). Included by the Makefile.
#
#   make tf-plan ENV=dev                # plan
#   make tf-apply ENV=dev TF_AUTO_APPROVE=1
#
# TF_PLUGIN_DIR: an offline provider mirror; when it names a directory, init installs the
# provider from it instead of the public registry. Unset, scripts/find_tf_mirror.sh looks for one
# on this machine (the search .ci/run and tests/infra rely on too), once per top-level make and
# only when a goal may run terraform; the result, or "none", is exported to sub-makes, tests and
# the throwaway stacks they apply, so none of them searches again.

TF ?= terraform
TF_ROOT := infra/terraform
TF_DIR := $(TF_ROOT)/envs/$(ENV)
TF_ENVS := $(patsubst $(TF_ROOT)/envs/%/main.tf,%,$(wildcard $(TF_ROOT)/envs/*/main.tf))
TF_AUTO_APPROVE ?=

TF_NO_TERRAFORM_GOALS := help install lint-python fmt tf-fmt build clean down status logs
ifeq ($(strip $(TF_PLUGIN_DIR)),)
ifneq ($(filter-out $(TF_NO_TERRAFORM_GOALS),$(or $(MAKECMDGOALS),help)),)
TF_PLUGIN_DIR := $(or $(shell scripts/find_tf_mirror.sh),none)
endif
endif
export TF_PLUGIN_DIR

TF_PLUGIN_FLAG = $(if $(and $(TF_PLUGIN_DIR),$(wildcard $(TF_PLUGIN_DIR))),-plugin-dir=$(TF_PLUGIN_DIR))
# Without a mirror, every init (tf-lint inits each env) would download the provider again.
ifeq ($(TF_PLUGIN_FLAG),)
TF_PLUGIN_CACHE_DIR ?= $(HOME)/.terraform.d/plugin-cache
export TF_PLUGIN_CACHE_DIR
endif
# terraform init fails when TF_PLUGIN_CACHE_DIR names a missing directory, and every target's
# environment carries it (the tests and the throwaway stacks run terraform too): create it here,
# for every target, not in the tf-* recipes only.
ifneq ($(strip $(TF_PLUGIN_CACHE_DIR)),)
$(shell mkdir -p '$(TF_PLUGIN_CACHE_DIR)')
endif
TF_APPROVE_FLAG = $(if $(filter 1 true yes,$(TF_AUTO_APPROVE)),-auto-approve)
# dev/prod keep state in S3 once envs/<env>/backend.hcl exists AND the backend block in
# envs/<env>/backend.tf is uncommented; until then state is local, and tf-init says so loudly
# (docs/aws.md, "Shared state"). backend.hcl without the block fails: Terraform would ignore it.
TF_BACKEND_FLAG = $(if $(wildcard $(TF_DIR)/backend.hcl),-backend-config=backend.hcl)
TF_BACKEND_ACTIVE = $(shell grep -Eqs '^[[:space:]]*backend[[:space:]]+"s3"' $(TF_DIR)/backend.tf && echo yes)
# local: the state lives with the emulator's resources in the local cloud's state dir, so
# `make down` + `make up` (a fresh, empty emulator) starts with fresh state too.
# TF_ARTIFACTS_DIR: where the Lambda zips are (default build/; a throwaway stack builds its own).
TF_ARTIFACTS_DIR ?=
TF_LOCAL_FLAGS = $(if $(filter local,$(ENV)),-state=$(LOCAL_STATE_DIR)/terraform.tfstate -var=local_endpoint=http://127.0.0.1:$(LOCAL_PORT)) \
  $(if $(TF_ARTIFACTS_DIR),-var=artifacts_dir=$(TF_ARTIFACTS_DIR))
TF_LOCAL_STATE = $(if $(filter local,$(ENV)),-state=$(LOCAL_STATE_DIR)/terraform.tfstate)

# checkov pins its own boto3, so it lives in a venv of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov

.PHONY: tf-check-env tf-backend-check tf-init tf-plan tf-apply tf-destroy tf-output tf-fmt tf-lint tf-mirror

tf-check-env:
	@test -f $(TF_DIR)/main.tf || { echo "ENV=$(ENV): no $(TF_DIR) (choose one of: $(TF_ENVS))" >&2; exit 2; }

tf-backend-check: tf-check-env
	@if [ "$(ENV)" != local ] && [ -f $(TF_DIR)/backend.hcl ] && [ -z "$(TF_BACKEND_ACTIVE)" ]; then \
	  echo "ENV=$(ENV): $(TF_DIR)/backend.hcl exists but the backend block in backend.tf is commented out," >&2; \
	  echo "so Terraform would ignore it and keep state local. Uncomment the block, or remove backend.hcl." >&2; \
	  exit 2; \
	fi
	@if [ "$(ENV)" != local ] && [ -z "$(TF_BACKEND_ACTIVE)" ]; then \
	  echo "************************************************************************************"; \
	  echo "NOTE: ENV=$(ENV) keeps its Terraform state LOCAL: $(TF_DIR)/terraform.tfstate."; \
	  echo "No one else applying ENV=$(ENV) sees it. For shared state in S3: docs/aws.md, Shared state."; \
	  echo "************************************************************************************"; \
	fi

tf-init: tf-backend-check ## Terraform init for ENV (offline mirror when found, else the registry; says where state lives)
	$(TF) -chdir=$(TF_DIR) init -input=false $(TF_PLUGIN_FLAG) $(TF_BACKEND_FLAG)

tf-mirror: ## Print the offline provider mirror terraform init uses ("none": the registry)
	@echo $(TF_PLUGIN_DIR)

tf-plan: tf-init ## Terraform plan for ENV (needs `make build` artifacts)
	$(TF) -chdir=$(TF_DIR) plan -input=false $(TF_LOCAL_FLAGS)

tf-apply: tf-init ## Terraform apply for ENV (TF_AUTO_APPROVE=1 skips the prompt)
	$(TF) -chdir=$(TF_DIR) apply -input=false $(TF_APPROVE_FLAG) $(TF_LOCAL_FLAGS)

tf-destroy: tf-init ## Terraform destroy for ENV (TF_AUTO_APPROVE=1 skips the prompt)
	$(TF) -chdir=$(TF_DIR) destroy -input=false $(TF_APPROVE_FLAG) $(TF_LOCAL_FLAGS)

tf-output: tf-check-env ## Terraform outputs of ENV as JSON
	@$(TF) -chdir=$(TF_DIR) output -json $(TF_LOCAL_STATE)

tf-fmt: ## Format the Terraform code in place
	$(TF) fmt -recursive $(TF_ROOT)

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

# validate needs an initialised working directory: each env is initialised without its backend
# in a throwaway data dir (and a lock file it creates is removed again), so the envs' own
# .terraform and remote state settings are untouched.
tf-lint: $(CHECKOV_VENV)/.installed ## terraform fmt -check and validate (every env), checkov (0 failed checks)
	$(TF) fmt -check -recursive -diff $(TF_ROOT)
	@set -e; for env in $(TF_ENVS); do \
	  dir=$(TF_ROOT)/envs/$$env; data_dir=$$(mktemp -d); \
	  had_lock=$$(test -f $$dir/.terraform.lock.hcl && echo yes || true); \
	  echo "terraform validate: envs/$$env"; \
	  status=0; \
	  TF_DATA_DIR=$$data_dir $(TF) -chdir=$$dir init -backend=false -input=false $(TF_PLUGIN_FLAG) >/dev/null \
	    && TF_DATA_DIR=$$data_dir $(TF) -chdir=$$dir validate || status=$$?; \
	  rm -rf $$data_dir; test -n "$$had_lock" || rm -f $$dir/.terraform.lock.hcl; \
	  test $$status -eq 0; \
	done
	# stack/ is scanned through the envs that link it (alone, its relative module path does not resolve).
	$(CHECKOV) -d $(TF_ROOT) --framework terraform --quiet --compact --skip-download --skip-path $(TF_ROOT)/stack
