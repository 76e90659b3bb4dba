# Glue on ENV (local cloud by default): crawler and the compaction job (scripts/glue_jobs.py).
#
#   make glue-crawler-start && make glue-crawler-status
#   make glue-job-start GLUE_RECORD_TYPE=shipments GLUE_DT=2026-11-20 [GLUE_OUTPUT_PREFIX=compacted] [GLUE_REPLACE=true]
#   make glue-job-status

GLUE_RECORD_TYPE ?=
GLUE_DT ?=
GLUE_OUTPUT_PREFIX ?=
GLUE_REPLACE ?=
GLUE = ENV=$(ENV) $(PY) -m scripts.glue_jobs

.PHONY: glue-crawler-start glue-crawler-status glue-job-start glue-job-status

glue-crawler-start: $(VENV)/.installed ## Start the Glue crawler over silver (ENV)
	@$(GLUE) start-crawler

glue-crawler-status: $(VENV)/.installed ## Crawler state, last crawl and the catalog's tables (ENV)
	@$(GLUE) crawler-status

glue-job-start: $(VENV)/.installed ## Compact one partition: GLUE_RECORD_TYPE= GLUE_DT= [GLUE_OUTPUT_PREFIX=] [GLUE_REPLACE=true]
	@test -n "$(GLUE_RECORD_TYPE)" -a -n "$(GLUE_DT)" || { echo "usage: make glue-job-start GLUE_RECORD_TYPE=<type> GLUE_DT=<YYYY-MM-DD>" >&2; exit 2; }
	@$(GLUE) start-job --record-type $(GLUE_RECORD_TYPE) --dt $(GLUE_DT) \
	  $(if $(GLUE_OUTPUT_PREFIX),--output-prefix $(GLUE_OUTPUT_PREFIX)) $(if $(filter 1 true yes,$(GLUE_REPLACE)),--replace)

glue-job-status: $(VENV)/.installed ## State of the last glue-job-start run (ENV)
	@$(GLUE) job-status
