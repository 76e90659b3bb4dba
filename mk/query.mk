# SQL over silver on ENV (local cloud by default): Athena through awswrangler (scripts/query.py).
#
#   make query SQL="SELECT dt, count(*) AS n FROM shipments GROUP BY dt"
#   make query NAMED=shipment-weight-per-day [QUERY_OUT=weights.parquet]
#   make query-list

SQL ?=
NAMED ?=
QUERY_OUT ?=
QUERY = ENV=$(ENV) $(PY) -m scripts.query

.PHONY: query query-list

# The SQL reaches the script through the environment, not the shell command line: quotes of any
# kind ("db"."table", dt = '2024-07-01') pass unchanged.
query: export QUERY_SQL = $(SQL)

query: $(VENV)/.installed ## Athena SQL on ENV's silver tables: SQL="<query>" | NAMED=<saved query> [QUERY_OUT=<file>.csv|.parquet]
	@test -n "$(SQL)$(NAMED)" || { echo 'usage: make query SQL="<Athena SQL>" | NAMED=<saved query> (make query-list)' >&2; exit 2; }
	@$(QUERY) $(if $(NAMED),--named "$(NAMED)",--sql "$$QUERY_SQL") $(if $(QUERY_OUT),--out "$(QUERY_OUT)")

query-list: $(VENV)/.installed ## The saved (named) Athena queries of ENV's workgroup
	@$(QUERY) --list
