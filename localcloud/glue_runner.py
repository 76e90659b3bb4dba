"""Glue on the local cloud: job runs execute the deployed script on local Spark, crawler runs
catalog what is in silver.

Job runs: the script is read from the job's ScriptLocation in the emulator's S3, the bucket named
by ``--SILVER_BUCKET`` is mirrored to a local directory, the script runs in its own process with
the run's arguments plus ``--STORAGE_ROOT <mirror>`` (the jobs' path root setting), and what it
wrote, changed or deleted in the mirror is synced back to the emulator's S3. State and error
message are visible through ``get-job-run`` (a failed run's message is the script's uncaught
exception, ``Type: message``, as on Glue); output goes to ``<state>/logs/glue-<job>.log``.
The job's ``--extra-py-files`` come from the emulator's S3 and go first on the script's path, as
on Glue; third-party packages come from the local environment (on AWS: Glue's own and
``--additional-python-modules``). The whole bucket is mirrored: fine for local data sizes.

Crawler runs: every Parquet dataset directory under the crawler's S3 targets becomes a table
(``<table prefix><record_type>``) with columns from the Parquet schema and a ``dt`` partition key,
and every ``dt=`` directory a partition.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

from localcloud.settings import ACCOUNT_ID, LocalCloudSettings

log = logging.getLogger("localcloud.glue")
GLUE_TYPES = {"string": "string", "large_string": "string", "double": "double", "float": "float",
              "int64": "bigint", "int32": "int", "bool": "boolean"}  # fmt: skip
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


def _s3(region: str) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[ACCOUNT_ID]["aws"]


def _split_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def set_status(model: Any, status: str) -> None:
    """Pin a moto ManagedState (job run, crawl) to the status the local run reached."""
    model.local_status = status


class GlueRunner:
    def __init__(self, settings: LocalCloudSettings) -> None:
        self.settings = settings
        self.work_dir = settings.state_dir / "glue"

    # ---- jobs ---------------------------------------------------------------------------

    def start_job_run(self, job: Any, run: Any) -> None:
        set_status(run, "RUNNING")
        threading.Thread(target=self._run_job, args=(job, run), daemon=True, name=f"glue-{run.job_run_id[:10]}").start()

    @staticmethod
    def _extra_py_files(s3: Any, job: Any, work: Path) -> list[str]:
        """The job's ``--extra-py-files`` from the emulator's S3, put first on the script's path
        as Glue does, so the job imports the deployed bundle, not the working tree."""
        uris = (job.default_arguments or {}).get("--extra-py-files", "")
        paths = []
        for uri in filter(None, uris.split(",")):
            bucket, key = _split_s3_uri(uri)
            target = work / "extra-py-files" / Path(key).name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(bucket, key).value)
            paths.append(str(target))
        return paths

    def _run_job(self, job: Any, run: Any) -> None:
        s3 = _s3(self.settings.region)
        work = self.work_dir / job.name / run.job_run_id
        mirror = work / "mirror"
        log_path = self.settings.logs_dir / f"glue-{job.name}.log"
        try:
            bucket, key = _split_s3_uri(job.command["ScriptLocation"])
            script = work / Path(key).name
            script.parent.mkdir(parents=True, exist_ok=True)
            script.write_bytes(s3.get_object(bucket, key).value)
            arguments = dict(run.arguments or {})
            buckets = {v for k, v in arguments.items() if k.endswith("_BUCKET")}
            before = {b: self._download(s3, b, mirror / b) for b in buckets}
            argv = [a for k, v in arguments.items() for a in (k, str(v))] + ["--STORAGE_ROOT", str(mirror)]
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(self._extra_py_files(s3, job, work)),
                   "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}  # fmt: skip
            timeout = 60 * int(job.timeout or 60)
            # This run's output on its own: the job log is shared by concurrent runs of the job, so
            # its tail may be another run's. Appended to the job log when the run ends.
            run_log = work / "output.log"
            with open(log_path, "ab") as out:
                out.write(f"START JobRun {run.job_run_id} {job.name} {' '.join(argv)}\n".encode())
            try:
                with open(run_log, "wb") as out:
                    result = subprocess.run([sys.executable, str(script), *argv], cwd=work, env=env, stdout=out,
                                            stderr=subprocess.STDOUT, timeout=timeout, check=False)  # fmt: skip
            finally:
                with open(log_path, "ab") as out:
                    out.write(run_log.read_bytes() if run_log.exists() else b"")
            for b, snapshot in before.items():
                self._sync_back(s3, b, mirror / b, snapshot)
            if result.returncode == 0:
                set_status(run, "SUCCEEDED")
            else:
                run.error_message = _error_message(run_log, result.returncode)
                set_status(run, "FAILED")
        except subprocess.TimeoutExpired:
            run.error_message = f"timed out after {job.timeout} minutes"
            set_status(run, "TIMEOUT")
        except Exception as exc:
            log.exception("glue job %s failed to run", job.name)
            run.error_message = f"could not run the job: {exc}"
            set_status(run, "FAILED")
        finally:
            with open(log_path, "a") as out:
                out.write(f"END JobRun {run.job_run_id} {run.local_status}\n")
            shutil.rmtree(mirror, ignore_errors=True)

    @staticmethod
    def _download(s3: Any, bucket: str, target: Path) -> dict[str, str]:
        """Mirror a bucket; returns key → etag of what was mirrored.

        The emulator's other threads (Lambdas writing silver, other runs syncing back) change the
        bucket meanwhile, so: iterate over a copy of the key index (iterating the live one fails
        the run with "dictionary changed size during iteration"), skip a key deleted since, and
        re-read a key replaced since (moto closes a replaced object's buffer: ValueError).
        Keys added after the copy are not mirrored, so the sync-back leaves them alone."""
        snapshot = {}
        for key in list(s3.get_bucket(bucket).keys):
            for _ in range(3):
                obj = s3.get_object(bucket, key)
                if obj is None:  # deleted (or a delete marker) since the copy
                    break
                try:
                    data, etag = obj.value, obj.etag
                except ValueError:  # replaced while being read: read the new version
                    continue
                path = target / key
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                snapshot[key] = etag
                break
        return snapshot

    @staticmethod
    def _sync_back(s3: Any, bucket: str, mirror: Path, before: dict[str, str]) -> None:
        import hashlib

        seen = set()
        for path in mirror.rglob("*"):
            if not path.is_file() or path.name.endswith(".crc") or path.name == "_SUCCESS":
                continue
            key = path.relative_to(mirror).as_posix()
            seen.add(key)
            data = path.read_bytes()
            if before.get(key, "").strip('"') != hashlib.md5(data).hexdigest():
                s3.put_object(bucket, key, data)
        for key in set(before) - seen:
            s3.delete_object(bucket, key)

    # ---- crawlers -----------------------------------------------------------------------

    def start_crawl(self, crawler: Any, crawl: Any) -> None:
        threading.Thread(target=self._crawl, args=(crawler, crawl), daemon=True, name=f"crawl-{crawler.name}").start()

    def _crawl(self, crawler: Any, crawl: Any) -> None:
        from moto.core.utils import utcnow
        from moto.glue.models import glue_backends

        glue = glue_backends[ACCOUNT_ID][self.settings.region]
        try:
            for target in (crawler.targets or {}).get("S3Targets", []):
                for table, (location, schema, partitions) in self._datasets(target["Path"]).items():
                    self._upsert_table(glue, crawler.database_name, (crawler.table_prefix or "") + table,
                                       location, schema, partitions)  # fmt: skip
            set_status(crawl, "COMPLETED")
        except Exception:
            log.exception("crawler %s failed", crawler.name)
            set_status(crawl, "FAILED")
        crawl.end_time = utcnow()

    def _datasets(self, path: str) -> dict[str, tuple[str, Any, list[str]]]:
        """``<path>/<table>/dt=<value>/*.parquet`` → table → (location, arrow schema, dt values)."""
        import pyarrow.parquet as pq

        s3 = _s3(self.settings.region)
        bucket, prefix = _split_s3_uri(path.rstrip("/") + "/")
        found: dict[str, dict[str, str]] = defaultdict(dict)  # table → dt → a parquet key
        for key in list(s3.get_bucket(bucket).keys):
            if not key.startswith(prefix) or not key.endswith(".parquet"):
                continue
            parts = key[len(prefix) :].split("/")
            if len(parts) == 3 and parts[1].startswith("dt="):
                found[parts[0]][parts[1][3:]] = key
        datasets = {}
        for table, partitions in found.items():
            sample = s3.get_object(bucket, next(iter(partitions.values()))).value
            schema = pq.read_schema(io.BytesIO(sample))
            datasets[table] = (f"s3://{bucket}/{prefix}{table}/", schema, sorted(partitions))
        return datasets

    @staticmethod
    def _upsert_table(glue: Any, database: str, name: str, location: str, schema: Any, partitions: list[str]) -> None:
        columns = [{"Name": f.name, "Type": _glue_type(f.type)} for f in schema]
        storage = {
            "Columns": columns,
            "Location": location,
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE},
        }
        table_input = {
            "Name": name,
            "StorageDescriptor": storage,
            "PartitionKeys": [{"Name": "dt", "Type": "string"}],
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet"},
        }
        from moto.glue.exceptions import TableNotFoundException

        try:
            glue.update_table(database, name, table_input)
        except TableNotFoundException:
            glue.create_table(database, name, table_input)
        table = glue.get_table(database, name)
        for dt in partitions:
            if str([dt]) not in table.partitions:
                partition = {"Values": [dt], "StorageDescriptor": {**storage, "Location": f"{location}dt={dt}/"}}
                glue.create_partition(database, name, partition)


def _glue_type(arrow_type: Any) -> str:
    text = str(arrow_type)
    if text.startswith("timestamp"):
        return "timestamp"
    return GLUE_TYPES.get(text, "string")


def _error_message(output: Path, returncode: int) -> str:
    """A failed run's message as Glue reports it: the uncaught exception (``Type: message``, its
    last traceback's closing line) first, so the exception's name survives truncation and a
    caller can tell failures apart by it; else the output's tail."""
    try:
        lines = output.read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last):")]
    if starts:
        # The exception line is the first unindented line after the traceback's frames.
        exception = next((line for line in lines[starts[-1] + 1 :] if line and not line[0].isspace()), None)
        if exception:
            return f"{exception[:1000]} (script exited with status {returncode})"
    return f"script exited with status {returncode}: {_tail(output)}"


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])[-1000:]
    except OSError:
        return ""
