# The 14-step acceptance checklist against ENV (local by default; dev/prod on AWS unchanged).
# Each step is its own target; `make verify-e2e` runs them in order and stops at the first failure.
#
#   make verify-e2e                 # against the local cloud
#   make verify-e2e ENV=dev         # against AWS (your credentials, AWS_REGION)

VERIFY_WINDOW_MINUTES ?= 60
VERIFY_SEED_COUNT ?= 300
VERIFY_DIR := $(LOCAL_STATE_DIR)/verify

VERIFY_STEPS := verify-whoami verify-outputs verify-s3-notifications verify-lambdas verify-dynamodb verify-sqs \
  verify-seed verify-silver verify-idempotency verify-glue verify-athena verify-redshift verify-ge verify-observability

.PHONY: verify-e2e $(VERIFY_STEPS)

verify-e2e: ## Run the 14-step acceptance checklist against ENV (verify-* targets, in order)
	@set -e; for step in $(VERIFY_STEPS); do $(MAKE) --no-print-directory $$step; done
	@echo "verify-e2e: all steps passed against ENV=$(ENV)"

verify-whoami: $(VENV)/.installed ## 1. Caller identity and region
	@echo "[1/14] caller identity (ENV=$(ENV))"
	@$(AWS) sts get-caller-identity --query '{Account: Account, Arn: Arn}' --output text
	@echo "  region: $$($(OUT) region)"

verify-outputs: $(VENV)/.installed ## 2. Terraform outputs the checklist needs are present
	@echo "[2/14] terraform outputs"
	@set -e; for name in bronze_bucket silver_bucket queue_url dlq_url ingest_lambda transform_lambda idempotency_table_name; do \
	  value=$$($(OUT) $$name); test -n "$$value" || { echo "  missing output $$name" >&2; exit 1; }; echo "  $$name = $$value"; done

verify-s3-notifications: $(VENV)/.installed ## 3. Bronze notifies the ingest function for bronze/
	@echo "[3/14] bronze → ingest notification"
	@arn=$$($(AWS) s3api get-bucket-notification-configuration --bucket $$($(OUT) bronze_bucket) \
	  --query "LambdaFunctionConfigurations[?contains(LambdaFunctionArn, '$$($(OUT) ingest_lambda)')] | [0].LambdaFunctionArn" --output text); \
	  test "$$arn" != "None" && test -n "$$arn" || { echo "  no notification to the ingest function" >&2; exit 1; }; echo "  $$arn"
	@prefix=$$($(AWS) s3api get-bucket-notification-configuration --bucket $$($(OUT) bronze_bucket) \
	  --query "LambdaFunctionConfigurations[0].Filter.Key.FilterRules[?Name=='Prefix' || Name=='prefix'].Value | [0]" --output text); \
	  test "$$prefix" = "bronze/" || { echo "  notification prefix is '$$prefix', expected bronze/" >&2; exit 1; }; echo "  prefix: $$prefix"

verify-lambdas: $(VENV)/.installed ## 4. Functions deployed; the SQS mapping reports batch item failures
	@echo "[4/14] lambdas and event source mapping"
	@set -e; for fn in $$($(OUT) ingest_lambda) $$($(OUT) transform_lambda); do \
	  $(AWS) lambda get-function-configuration --function-name $$fn --query '[FunctionName, Runtime, Handler, State]' --output text; done
	@types=$$($(AWS) lambda list-event-source-mappings --function-name $$($(OUT) transform_lambda) \
	  --query 'EventSourceMappings[0].FunctionResponseTypes' --output text); \
	  test "$$types" = "ReportBatchItemFailures" || { echo "  mapping response types: '$$types'" >&2; exit 1; }; echo "  mapping: $$types"

verify-dynamodb: $(VENV)/.installed ## 5. Idempotency table has TTL on expires_at
	@echo "[5/14] idempotency table"
	@ttl=$$($(AWS) dynamodb describe-time-to-live --table-name $$($(OUT) idempotency_table_name) \
	  --query 'TimeToLiveDescription.[TimeToLiveStatus, AttributeName]' --output text); \
	  echo "  TTL: $$ttl"; echo "$$ttl" | grep -q "ENABLED.*expires_at" || { echo "  TTL is not enabled on expires_at" >&2; exit 1; }
	@echo "  items: $$($(AWS) dynamodb scan --table-name $$($(OUT) idempotency_table_name) --select COUNT --query Count --output text)"

verify-sqs: $(VENV)/.installed ## 6. Queue and DLQ depths (the DLQ should be empty)
	@echo "[6/14] queue depths"
	@ENV=$(ENV) $(PY) -m scripts.queue_depths

verify-seed: $(VENV)/.installed ## 7. Upload fresh fake events to bronze
	@echo "[7/14] seed bronze"
	@mkdir -p $(VERIFY_DIR)
	@$(PY) scripts/gen_fake_events.py --count $(VERIFY_SEED_COUNT) --seed $$(date +%s) --out $(VERIFY_DIR)/seed.jsonl
	@key=bronze/verify/seed-$$(date -u +%Y%m%dT%H%M%S).jsonl; \
	  $(AWS) s3 cp --only-show-errors $(VERIFY_DIR)/seed.jsonl s3://$$($(OUT) bronze_bucket)/$$key && echo $$key > $(VERIFY_DIR)/seed.key; \
	  echo "  uploaded s3://$$($(OUT) bronze_bucket)/$$key"

verify-silver: $(VENV)/.installed ## 8. Silver Parquet written within VERIFY_WINDOW_MINUTES (waits up to 2 min)
	@echo "[8/14] silver parquet in the last $(VERIFY_WINDOW_MINUTES) min"
	@for attempt in $$(seq 1 24); do \
	  $(PY) -m scripts.check_recent_s3_objects --bucket $$($(OUT) silver_bucket) --prefix silver/ \
	    --minutes $(VERIFY_WINDOW_MINUTES) --min-count 1 > $(VERIFY_DIR)/silver.txt && { cat $(VERIFY_DIR)/silver.txt; exit 0; }; \
	  sleep 5; done; cat $(VERIFY_DIR)/silver.txt; exit 1

verify-idempotency: $(VENV)/.installed ## 9. Invoking ingest twice for the seeded object: the second reports skipped >= 1
	@echo "[9/14] idempotency: invoke ingest twice with the seed object's event"
	@test -f $(VERIFY_DIR)/seed.key || { echo "  run make verify-seed first" >&2; exit 1; }
	@$(PY) -m scripts.s3_event --bucket $$($(OUT) bronze_bucket) --key $$(cat $(VERIFY_DIR)/seed.key) > $(VERIFY_DIR)/event.json
	@set -e; for attempt in 1 2; do \
	  $(AWS) lambda invoke --function-name $$($(OUT) ingest_lambda) --payload file://$(VERIFY_DIR)/event.json \
	    $(VERIFY_DIR)/ingest-$$attempt.json > /dev/null; echo "  invoke $$attempt: $$(cat $(VERIFY_DIR)/ingest-$$attempt.json)"; done
	@$(PY) -c "import json,sys; r=json.load(open('$(VERIFY_DIR)/ingest-2.json')); sys.exit(0 if r.get('skipped', 0) >= 1 else 1)" \
	  || { echo "  the second invocation did not report skipped >= 1" >&2; exit 1; }

verify-glue: $(VENV)/.installed ## 10. Glue database and crawler exist (when glue_enabled)
	@echo "[10/14] glue catalog"
	@db=$$($(OUT) glue_database_name); crawler=$$($(OUT) glue_crawler_name); \
	  if [ -z "$$db" ]; then echo "  skipped: glue_enabled = false for ENV=$(ENV)"; exit 0; fi; \
	  $(AWS) glue get-database --name $$db --query 'Database.Name' --output text && \
	  $(AWS) glue get-crawler --name $$crawler --query 'Crawler.[Name, State, Targets.S3Targets[0].Path]' --output text

verify-athena: $(VENV)/.installed ## 11. Every saved Athena query runs; rows per partition equal the Parquet files' (when athena_enabled)
	@echo "[11/14] athena"
	@if [ -z "$$($(OUT) athena_workgroup)" ]; then echo "  skipped: athena_enabled = false for ENV=$(ENV)"; exit 0; fi; \
	  ENV=$(ENV) $(PY) -m scripts.query --verify

verify-redshift: $(VENV)/.installed ## 12. Redshift's rows per partition through the external schema equal the Parquet files' (when redshift_enabled)
	@echo "[12/14] redshift"
	@if [ -z "$$($(OUT) redshift_workgroup_name)" ]; then echo "  skipped: redshift_enabled = false for ENV=$(ENV)"; exit 0; fi; \
	  ENV=$(ENV) $(PY) -m scripts.redshift_query --verify

verify-ge: $(VENV)/.installed ## 13. GE gate state machine and its recent executions (when ge_workflow_enabled)
	@echo "[13/14] GE gate"
	@sm=$$($(OUT) ge_state_machine_arn); \
	  if [ -z "$$sm" ]; then echo "  skipped: ge_workflow_enabled = false for ENV=$(ENV)"; exit 0; fi; \
	  $(AWS) stepfunctions list-executions --state-machine-arn $$sm --max-items 5 \
	    --query 'executions[].[name, status, startDate]' --output text

verify-observability: $(VENV)/.installed ## 14. CloudWatch dashboard exists (when observability_enabled)
	@echo "[14/14] observability"
	@name=$$($(OUT) dashboard_name); \
	  if [ -z "$$name" ]; then echo "  skipped: observability_enabled = false for ENV=$(ENV)"; exit 0; fi; \
	  $(AWS) cloudwatch get-dashboard --dashboard-name $$name --query 'DashboardName' --output text
