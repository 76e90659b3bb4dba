# Operator scripts against ENV (local by default): seed, replay, redrive, scaffold.
# Resources default to ENV's Terraform outputs; every script also has --help.
#
#   make seed SEED_COUNT=100000 SEED_GZIP=1
#   make replay REPLAY_SINCE=6h REPLAY_DRY_RUN=1                   # recompute silver in place: the plan
#   make replay REPLAY_KEYS="bronze/a.jsonl" REPLAY_CONFIRM_BYPASS=1  # ... sent (work units with replay set)
#   make replay REPLAY_MODE=copy REPLAY_SINCE=6h   # copies under bronze/replay/<run>/: rows land again
#   make redrive && make redrive-status
#   make scaffold DATASET=orders

SEED_COUNT ?= 1000
SEED_TYPES ?=
SEED_INVALID_RATE ?= 0.02
SEED_PREFIX ?= bronze/seed/
SEED_FORMAT ?= jsonl
SEED_GZIP ?=
SEED_NUMBER ?=
REPLAY_MODE ?= recompute
REPLAY_SINCE ?=
REPLAY_UNTIL ?=
REPLAY_PREFIX ?= bronze/
REPLAY_KEYS ?=
REPLAY_KEYS_FILE ?=
REPLAY_RUN_NAME ?=
REPLAY_DRY_RUN ?=
REPLAY_CONFIRM_BYPASS ?=
REDRIVE_RATE ?=
REDRIVE_TO ?=
DATASET ?=
SCAFFOLD_KEY_FIELD ?=

OPERATOR_PY = ENV=$(ENV) $(PY)
yes = $(filter 1 true yes,$(1))

.PHONY: seed replay redrive redrive-status scaffold

seed: $(VENV)/.installed ## Fake events to bronze: SEED_COUNT=1000 SEED_TYPES="<datasets>" SEED_INVALID_RATE=0.02 SEED_PREFIX=bronze/seed/ SEED_FORMAT=jsonl|json SEED_GZIP=1 SEED_NUMBER=<seed>
	@bucket=$$(ENV=$(ENV) $(OUT) bronze_bucket) && test -n "$$bucket" \
	  || { echo "ENV=$(ENV) has no bronze_bucket output: deploy first (make build tf-apply ENV=$(ENV))" >&2; exit 1; }; \
	  $(OPERATOR_PY) scripts/gen_fake_events.py --count $(SEED_COUNT) --format $(SEED_FORMAT) \
	  $(if $(filter json,$(SEED_FORMAT)),,--invalid-rate $(SEED_INVALID_RATE)) \
	  $(foreach t,$(SEED_TYPES),--type $(t)) $(if $(call yes,$(SEED_GZIP)),--gzip) $(if $(SEED_NUMBER),--seed $(SEED_NUMBER)) \
	  --upload s3://$$bucket/$(SEED_PREFIX)

replay: $(VENV)/.installed ## Replay bronze: REPLAY_SINCE=6h [REPLAY_UNTIL=] | REPLAY_KEYS="k1 k2" | REPLAY_KEYS_FILE=; REPLAY_MODE=recompute (default: silver recomputed in place, work units to SQS, needs REPLAY_CONFIRM_BYPASS=1; queue is the old name) | copy (re-ingest copies under bronze/replay/<REPLAY_RUN_NAME>/: rows land again); REPLAY_RUN_NAME=; REPLAY_DRY_RUN=1
	@case "$(REPLAY_MODE)" in recompute|queue|copy) ;; *) echo "REPLAY_MODE must be recompute (default) or copy" >&2; exit 2;; esac
	@$(OPERATOR_PY) scripts/$(if $(filter copy,$(REPLAY_MODE)),replay_via_s3_copy.py,replay_from_s3.py) \
	  $(if $(REPLAY_SINCE),--since $(REPLAY_SINCE)) $(if $(REPLAY_UNTIL),--until $(REPLAY_UNTIL)) --prefix $(REPLAY_PREFIX) \
	  $(foreach k,$(REPLAY_KEYS),--key $(k)) $(if $(REPLAY_KEYS_FILE),--keys-file $(REPLAY_KEYS_FILE)) \
	  $(if $(call yes,$(REPLAY_DRY_RUN)),--dry-run) \
	  $(if $(REPLAY_RUN_NAME),--run-name $(REPLAY_RUN_NAME)) \
	  $(if $(filter-out copy,$(REPLAY_MODE)),$(if $(call yes,$(REPLAY_CONFIRM_BYPASS)),--i-know-this-bypasses-idempotency))

redrive: $(VENV)/.installed ## Move the events DLQ back to its queue (SQS message move task) and wait: [REDRIVE_RATE=<msgs/s>] [REDRIVE_TO=<queue url>]
	@$(OPERATOR_PY) scripts/redrive.py start --wait $(if $(REDRIVE_RATE),--max-per-second $(REDRIVE_RATE)) \
	  $(if $(REDRIVE_TO),--to-queue-url $(REDRIVE_TO))

redrive-status: $(VENV)/.installed ## Events DLQ depth and its recent message move tasks
	@$(OPERATOR_PY) scripts/redrive.py status

scaffold: $(VENV)/.installed ## New dataset: DATASET=<name> [SCAFFOLD_KEY_FIELD=<field>] — contract, registry entry, sample, test
	@test -n "$(DATASET)" || { echo "usage: make scaffold DATASET=<name> (a lower-case identifier, e.g. orders)" >&2; exit 2; }
	@$(PY) scripts/scaffold_dataset.py $(DATASET) $(if $(SCAFFOLD_KEY_FIELD),--key-field $(SCAFFOLD_KEY_FIELD))
