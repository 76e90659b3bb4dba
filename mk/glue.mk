# Glue on ENV (local cloud by default): crawler and the compaction job.
#
#   make glue-crawler-start && make glue-crawler-status
#   make glue-job-start GLUE_RECORD_TYPE=shipments GLUE_DT=2026-11-20 [GLUE_OUTPUT_PREFIX=compacted] [GLUE_REPLACE=true]
#   make glue-job-status

GLUE_RECORD_TYPE ?=
GLUE_DT ?=
GLUE_OUTPUT_PREFIX ?=
GLUE_REPLACE ?=
GLUE_LAST_RUN := $(LOCAL_STATE_DIR)/last_glue_job_run

.PHONY: glue-crawler-start glue-crawler-status glue-job-start glue-job-status

glue-crawler-start: $(VENV)/.installed ## Start the Glue crawler over silver (ENV)
	@$(AWS) glue start-crawler --name $$($(OUT) glue_crawler_name) && echo "started crawler $$($(OUT) glue_crawler_name)"

glue-crawler-status: $(VENV)/.installed ## Crawler state, last crawl and the catalog's tables (ENV)
	@$(AWS) glue get-crawler --name $$($(OUT) glue_crawler_name) --query 'Crawler.[Name, State, LastCrawl.Status]' --output text
	@$(AWS) glue get-tables --database-name $$($(OUT) glue_database_name) --query 'TableList[].[Name, StorageDescriptor.Location]' --output text

glue-job-start: $(VENV)/.installed ## Compact one partition: GLUE_RECORD_TYPE= GLUE_DT= [GLUE_OUTPUT_PREFIX=] [GLUE_REPLACE=true]
	@test -n "$(GLUE_RECORD_TYPE)" -a -n "$(GLUE_DT)" || { echo "usage: make glue-job-start GLUE_RECORD_TYPE=<type> GLUE_DT=<YYYY-MM-DD>" >&2; exit 2; }
	@mkdir -p $(LOCAL_STATE_DIR)
	@$(PY) -c 'import json, sys; a = {"--RECORD_TYPE": sys.argv[1], "--DT": sys.argv[2]}; \
	  a.update({"--OUTPUT_PREFIX": sys.argv[3]} if sys.argv[3] else {}); a.update({"--REPLACE": sys.argv[4]} if sys.argv[4] else {}); \
	  print(json.dumps(a))' "$(GLUE_RECORD_TYPE)" "$(GLUE_DT)" "$(GLUE_OUTPUT_PREFIX)" "$(GLUE_REPLACE)" > $(GLUE_LAST_RUN).args
	@$(AWS) glue start-job-run --job-name $$($(OUT) glue_job_name) --arguments file://$(GLUE_LAST_RUN).args \
	  --query JobRunId --output text > $(GLUE_LAST_RUN) && echo "started $$($(OUT) glue_job_name) run $$(cat $(GLUE_LAST_RUN))"

glue-job-status: $(VENV)/.installed ## State of the last glue-job-start run (ENV)
	@test -f $(GLUE_LAST_RUN) || { echo "no run started yet: make glue-job-start" >&2; exit 1; }
	@$(AWS) glue get-job-run --job-name $$($(OUT) glue_job_name) --run-id $$(cat $(GLUE_LAST_RUN)) \
	  --query 'JobRun.[Id, JobRunState, ErrorMessage]' --output text
