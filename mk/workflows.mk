# Step Functions workflows on ENV (local cloud by default): the ops replay and the GE gate.
#
#   make ops-start OPS_WINDOW_HOURS=6 [OPS_RECORD_TYPE=shipments] [WAIT=1] && make ops-status
#     recomputes silver in place for the window's objects; OPS_REINGEST_AS_NEW_COPIES=1 copies them
#     under bronze/replay/<execution>/ instead, so their rows land again as new data
#   make ge-start                      # the newest dt partition of every dataset in silver
#   make ge-start GE_RECORD_TYPE=shipments GE_DT=2026-11-20 [GE_RESULT_PREFIX=ge-results] [WAIT=1]
#   make ops-history / make ge-history

OPS_SRC_PREFIX ?=
OPS_DEST_PREFIX_BASE ?=
OPS_WINDOW_HOURS ?=
OPS_START ?=
OPS_END ?=
OPS_RECORD_TYPE ?=
OPS_MIN_PARQUET_OBJECTS ?=
OPS_POLL_INTERVAL_SECONDS ?=
OPS_MAX_ATTEMPTS ?=
OPS_REINGEST_AS_NEW_COPIES ?=
GE_RECORD_TYPE ?=
GE_DT ?=
GE_RESULT_PREFIX ?=
WAIT ?=
WORKFLOWS = $(PY) -m scripts.workflows
opt = $(if $(2),$(1) "$(2)")

.PHONY: ops-start ops-status ops-history ge-start ge-status ge-history

ops-start: $(VENV)/.installed ## Recompute silver for a bronze window in place and poll silver: OPS_WINDOW_HOURS= | OPS_START= OPS_END=, OPS_SRC_PREFIX=, OPS_RECORD_TYPE=, OPS_MIN_PARQUET_OBJECTS=, OPS_POLL_INTERVAL_SECONDS=, OPS_MAX_ATTEMPTS=, WAIT=1; OPS_REINGEST_AS_NEW_COPIES=1 [OPS_DEST_PREFIX_BASE=] re-ingests copies (rows land again)
	@$(WORKFLOWS) start ops $(call opt,--src-prefix,$(OPS_SRC_PREFIX)) $(call opt,--dest-prefix-base,$(OPS_DEST_PREFIX_BASE)) \
	  $(call opt,--window-hours,$(OPS_WINDOW_HOURS)) $(call opt,--start,$(OPS_START)) $(call opt,--end,$(OPS_END)) \
	  $(call opt,--record-type,$(OPS_RECORD_TYPE)) $(call opt,--min-parquet-objects,$(OPS_MIN_PARQUET_OBJECTS)) \
	  $(call opt,--poll-interval-seconds,$(OPS_POLL_INTERVAL_SECONDS)) $(call opt,--max-attempts,$(OPS_MAX_ATTEMPTS)) \
	  $(if $(filter 1 true yes,$(OPS_REINGEST_AS_NEW_COPIES)),--reingest-as-new-copies) $(if $(WAIT),--wait)

ops-status: $(VENV)/.installed ## Status and output of the last ops-start execution (exit 1 if it failed)
	@$(WORKFLOWS) status ops

ops-history: $(VENV)/.installed ## Event history of the last ops-start execution
	@$(WORKFLOWS) history ops

ge-start: $(VENV)/.installed ## GE gate on the newest dt of every dataset, or narrowed: [GE_RECORD_TYPE=] [GE_DT=] [GE_RESULT_PREFIX=] [WAIT=1]
	@$(WORKFLOWS) start ge $(call opt,--record-type,$(GE_RECORD_TYPE)) $(call opt,--dt,$(GE_DT)) \
	  $(call opt,--result-prefix,$(GE_RESULT_PREFIX)) $(if $(WAIT),--wait)

ge-status: $(VENV)/.installed ## Status and output of the last ge-start execution (exit 1 if it failed)
	@$(WORKFLOWS) status ge

ge-history: $(VENV)/.installed ## Event history of the last ge-start execution
	@$(WORKFLOWS) history ge
