# Producers into bronze other than S3 uploads (docs/producers.md): records through the Kinesis
# stream and Firehose of ENV (stream_ingest_enabled). VIA=http is reserved for the HTTP ingest API.
#
#   make produce DATASET=shipments COUNT=10000
#   make produce DATASET=all COUNT=100000 PRODUCE_INVALID_RATE=0.02

COUNT ?= 1000
VIA ?= stream
PRODUCE_INVALID_RATE ?= 0
PRODUCE_SEED ?=

.PHONY: produce

produce: $(VENV)/.installed ## Fake records through the streaming producer: DATASET=<name>|all COUNT=1000 VIA=stream [PRODUCE_INVALID_RATE=0.02] [PRODUCE_SEED=<n>]
	@ENV=$(ENV) $(PY) scripts/produce.py --dataset $(or $(DATASET),all) --count $(COUNT) --via $(VIA) \
	  --invalid-rate $(PRODUCE_INVALID_RATE) $(if $(PRODUCE_SEED),--seed $(PRODUCE_SEED))
