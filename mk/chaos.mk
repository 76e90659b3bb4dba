# Fault injection (chaos/): seeded runs of the real handlers in-process under moto with injected
# AWS errors, lost responses, crashes, timeouts, duplicate/out-of-order deliveries, an overwrite
# in flight and a replay. Prints a table per run; fails on any lost or duplicated record.
#
#   make chaos                                  # 10 runs x 50,000 records
#   make chaos CHAOS_RUNS=3 CHAOS_RECORDS=5000 CHAOS_SEED=42

CHAOS_RUNS ?= 10
CHAOS_RECORDS ?= 50000
CHAOS_SEED ?= 1
CHAOS_ARGS ?=

.PHONY: chaos

chaos: $(VENV)/.installed ## Fault injection: CHAOS_RUNS seeded runs x CHAOS_RECORDS records; fails on any loss or duplicate
	$(PY) -m chaos --runs $(CHAOS_RUNS) --records $(CHAOS_RECORDS) --seed $(CHAOS_SEED) $(CHAOS_ARGS)
