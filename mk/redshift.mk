# Redshift SQL over silver on ENV (local cloud by default), through the Data API
# (scripts/redshift_query.py); needs redshift_enabled = true (on in envs/local).
#
#   make redshift-query SQL="SELECT dt, count(*) FROM silver.shipments GROUP BY dt ORDER BY dt"

SQL ?=

.PHONY: redshift-query

# The SQL reaches the script through the environment: quotes of any kind pass unchanged.
redshift-query: export REDSHIFT_SQL = $(SQL)

redshift-query: $(VENV)/.installed ## Redshift SQL on ENV's silver (external schema over the Glue catalog): SQL="<query>"
	@test -n "$(SQL)" || { echo 'usage: make redshift-query SQL="<Redshift SQL>"' >&2; exit 2; }
	@ENV=$(ENV) $(PY) -m scripts.redshift_query --sql "$$REDSHIFT_SQL"
