"""`make glue-job-*` / `make glue-crawler-*` (scripts.glue_jobs) against moto: the run's arguments
as compact_silver.py reads them, the remembered run id, and the crawler's tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from elt.devkit.stack import REGION, mock_account_env
from scripts import glue_jobs

OUTPUTS = {"glue_job_name": "compact", "glue_crawler_name": "crawl", "glue_database_name": "silver_db"}


@pytest.fixture
def glue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("ENV", "dev")
    monkeypatch.setenv("WORKFLOW_STATE_DIR", str(tmp_path))
    monkeypatch.setattr("scripts.operator_cli.outputs", lambda: OUTPUTS)
    with mock_account_env(), mock_aws():
        client = boto3.client("glue", region_name=REGION)
        role = "arn:aws:iam::123456789012:role/glue"
        client.create_job(Name="compact", Role=role, Command={"Name": "glueetl", "ScriptLocation": "s3://a/b.py"})
        client.create_database(DatabaseInput={"Name": "silver_db"})
        client.create_crawler(
            Name="crawl", Role=role, DatabaseName="silver_db", Targets={"S3Targets": [{"Path": "s3://s"}]}
        )
        yield client


def test_start_job_passes_the_partition_and_remembers_the_run(glue: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert glue_jobs.main(["start-job", "--record-type", "shipments", "--dt", "2024-06-01", "--replace"]) == 0
    run_id = glue_jobs.last_run_file().read_text().strip()
    run = glue.get_job_run(JobName="compact", RunId=run_id)["JobRun"]
    assert run["Arguments"] == {"--RECORD_TYPE": "shipments", "--DT": "2024-06-01", "--REPLACE": "true"}
    assert f"started compact run {run_id}" in capsys.readouterr().out
    assert glue_jobs.main(["job-status"]) == 0
    assert run_id in capsys.readouterr().out


def test_job_status_without_a_run_is_a_usage_error(glue: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert glue_jobs.main(["job-status"]) == 2
    assert "no run started yet" in capsys.readouterr().err


def test_crawler_start_and_status(glue: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert glue_jobs.main(["start-crawler"]) == 0
    assert glue_jobs.main(["crawler-status"]) == 0
    out = capsys.readouterr().out
    assert "started crawler crawl" in out and "crawl  " in out
