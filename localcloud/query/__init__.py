"""SQL on the local cloud: Athena's (Trino) dialect translated by sqlglot and executed by DuckDB over
the emulator's Glue catalog and S3, in a worker process per query (``python -m
localcloud.query.worker``). The emulator's Athena API (localcloud/athena_runner.py) owns query
state; this package owns what a query does.
"""
