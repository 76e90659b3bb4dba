"""Glue: UpdateJob, and job runs and crawls executed locally."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.runtime import Runtime

log = logging.getLogger("localcloud.extensions")


def update_job() -> None:
    """Gap: UpdateJob is not implemented, so a second `terraform apply` that changes a Glue job
    (new script or library zip, new arguments) waits forever. Every field of JobUpdate overwrites
    the job's (Terraform sends the whole definition)."""
    import re

    from moto.glue.models import FakeJob
    from moto.glue.responses import GlueResponse

    def snake(name: str) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()

    def update_job(self: GlueResponse) -> str:
        name = self._get_param("JobName")
        job: FakeJob = self.glue_backend.get_job(name)
        for key, value in (self._get_param("JobUpdate") or {}).items():
            attribute = snake(key)
            if hasattr(job, attribute):
                setattr(job, attribute, value)
        return json.dumps({"JobName": name})

    GlueResponse.update_job = update_job  # type: ignore[attr-defined]


def runs_execute_locally(runtime: Runtime) -> None:
    """Gap: job runs and crawls only advance canned states. Runs execute the deployed script on
    local Spark and crawls catalog silver (localcloud/glue_runner.py); their state is the real one."""
    from moto.glue.models import FakeCrawl, FakeCrawler, FakeJob, FakeJobRun
    from moto.moto_api._internal.managed_state_model import ManagedState

    def status(self: Any) -> str | None:
        pinned = self.__dict__.get("local_status")
        return pinned if pinned is not None else ManagedState.status.fget(self)  # type: ignore[attr-defined]

    def set_status(self: Any, value: str) -> None:
        self.local_status = value

    for model in (FakeJobRun, FakeCrawl):
        model.status = property(status, set_status)  # type: ignore[assignment,method-assign]

    original_as_dict = FakeJobRun.as_dict

    def as_dict(self: FakeJobRun) -> dict[str, Any]:
        result = original_as_dict(self)
        message = getattr(self, "error_message", None)
        if message:
            result["ErrorMessage"] = message
        return result

    FakeJobRun.as_dict = as_dict  # type: ignore[method-assign]
    original_start = FakeJob.start_job_run

    def start_job_run(self: FakeJob, *args: Any, **kwargs: Any) -> str:
        run_id = original_start(self, *args, **kwargs)
        run = next(r for r in self.job_runs if r.job_run_id == run_id)
        runtime.glue.start_job_run(self, run)
        return run_id

    FakeJob.start_job_run = start_job_run  # type: ignore[method-assign]
    original_crawl = FakeCrawler.start_crawler

    def start_crawler(self: FakeCrawler) -> None:
        original_crawl(self)
        runtime.glue.start_crawl(self, self.crawls[-1])

    FakeCrawler.start_crawler = start_crawler  # type: ignore[method-assign]
