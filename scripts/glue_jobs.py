#!/usr/bin/env python3
"""Run the stack's compaction job and crawler (ENV=local by default).

  python -m scripts.glue_jobs start-job --record-type shipments --dt 2024-06-01 [--output-prefix P] [--replace]
  python -m scripts.glue_jobs job-status        # the last started run (or --run-id ID)
  python -m scripts.glue_jobs start-crawler
  python -m scripts.glue_jobs crawler-status    # state, last crawl and the catalog's tables

``start-job`` writes the run id to ``.last_glue_job_run`` (what ``job-status`` reads). Exit codes:
0 started / succeeded (or still running), 1 a failed run or a missing resource, 2 usage errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scripts.operator_cli import OperationError, UsageError, from_stack, run_guarded
from scripts.stack import state_file

FAILED = {"FAILED", "ERROR", "TIMEOUT", "STOPPED"}


def last_run_file() -> Path:
    return state_file(".last_glue_job_run")


def job_arguments(args: argparse.Namespace) -> dict[str, str]:
    """The run's arguments, as compact_silver.py reads them."""
    arguments = {"--RECORD_TYPE": args.record_type, "--DT": args.dt}
    if args.output_prefix:
        arguments["--OUTPUT_PREFIX"] = args.output_prefix
    if args.replace:
        arguments["--REPLACE"] = "true"
    return arguments


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start-job", help="compact one silver partition")
    start.add_argument("--record-type", required=True)
    start.add_argument("--dt", required=True, help="partition day, YYYY-MM-DD")
    start.add_argument("--output-prefix", help="copy mode: where the compacted files go (default: compacted)")
    start.add_argument("--replace", action="store_true", help="swap the compacted files into the partition")
    status = sub.add_parser("job-status", help="state of the last started run")
    status.add_argument("--run-id", help="default: the one in .last_glue_job_run")
    sub.add_parser("start-crawler", help="start the crawler over silver")
    sub.add_parser("crawler-status", help="crawler state, last crawl and the catalog's tables")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def run() -> int:
        from scripts.stack import client

        glue = client("glue")
        if args.command == "start-job":
            job = from_stack(None, "glue_job_name", "the compaction job")
            run_id = glue.start_job_run(JobName=job, Arguments=job_arguments(args))["JobRunId"]
            last_run_file().write_text(run_id + "\n")
            print(f"started {job} run {run_id}")
            return 0
        if args.command == "job-status":
            job = from_stack(None, "glue_job_name", "the compaction job")
            if not args.run_id and not last_run_file().exists():
                raise UsageError("no run started yet: make glue-job-start")
            run_id = args.run_id or last_run_file().read_text().strip()
            state = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
            print(f"{run_id}  {state['JobRunState']}  {state.get('ErrorMessage', '')}".rstrip())
            if state["JobRunState"] in FAILED:
                raise OperationError(f"run {run_id} ended {state['JobRunState']}")
            return 0
        crawler = from_stack(None, "glue_crawler_name", "the crawler")
        if args.command == "start-crawler":
            glue.start_crawler(Name=crawler)
            print(f"started crawler {crawler}")
            return 0
        described = glue.get_crawler(Name=crawler)["Crawler"]
        print(f"{crawler}  {described['State']}  last crawl: {described.get('LastCrawl', {}).get('Status', 'none')}")
        database = from_stack(None, "glue_database_name", "the catalog database")
        for table in glue.get_tables(DatabaseName=database)["TableList"]:
            print(f"  {table['Name']}  {table['StorageDescriptor']['Location']}")
        return 0

    return run_guarded(run)


if __name__ == "__main__":
    sys.exit(main())
