"""The local cloud's Glue runner against moto's S3 backend, in-process and without threads.

On the emulator, other threads write the silver bucket while a job run mirrors it (the transform
Lambda still landing files, another run syncing back). Mirroring the live key index then failed
the run before its script started ("dictionary changed size during iteration"), and the GE gate
reported a quality failure for a partition it never validated. Here the backend is patched so the
bucket changes exactly in the middle of the mirror, every time.
"""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud.glue_runner import GlueRunner, _s3
from localcloud.settings import REGION, LocalCloudSettings

BUCKET = "silver"
KEYS = [f"silver/shipments/dt=2024-07-01/part-{i}.parquet" for i in range(4)]


@pytest.fixture
def backend(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        yield _s3(REGION)


def make_bucket(backend: Any, versioned: bool = False) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    if versioned:
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    for key in KEYS:
        s3.put_object(Bucket=BUCKET, Key=key, Body=f"original {key}".encode())


def change_mid_mirror(monkeypatch: pytest.MonkeyPatch, backend: Any, change: Callable[[str], Any]) -> None:
    """``change(key)`` runs inside the first read of the mirror; what it returns is what that read
    returns (None: the backend's answer)."""
    original = type(backend).get_object
    reads: list[str] = []

    def get_object(self: Any, bucket: str, key: str, *args: Any, **kwargs: Any) -> Any:
        reads.append(key)
        if len(reads) == 1 and bucket == BUCKET:
            replaced = change(key)
            if replaced is not None:
                return replaced
        return original(self, bucket, key, *args, **kwargs)

    monkeypatch.setattr(type(backend), "get_object", get_object)


def added(backend: Any) -> Callable[[str], None]:
    def change(key: str) -> None:
        backend.put_object(BUCKET, "silver/tracking_events/dt=2024-07-01/late.parquet", b"late")

    return change


def deleted(backend: Any) -> Callable[[str], None]:
    def change(key: str) -> None:
        backend.delete_object(BUCKET, KEYS[-1])  # not read yet

    return change


def replaced(backend: Any) -> Callable[[str], Any]:
    """The read gets the version being replaced, whose buffer moto has closed."""

    def change(key: str) -> Any:
        stale = backend.get_bucket(BUCKET).keys[key]
        backend.put_object(BUCKET, key, f"rewritten {key}".encode())
        stale.dispose()
        return stale

    return change


@pytest.mark.parametrize("versioned", [False, True], ids=["unversioned", "versioned"])
@pytest.mark.parametrize("mutation", [added, deleted, replaced])
def test_mirror_survives_the_bucket_changing_meanwhile(
    backend: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mutation: Any, versioned: bool
) -> None:
    make_bucket(backend, versioned)
    change_mid_mirror(monkeypatch, backend, mutation(backend))

    snapshot = GlueRunner._download(backend, BUCKET, tmp_path)

    mirrored = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    expected = {key: f"original {key}".encode() for key in KEYS}
    if mutation is deleted:
        del expected[KEYS[-1]]
    if mutation is replaced:
        expected[KEYS[0]] = f"rewritten {KEYS[0]}".encode()
    # A key added after the mirror began is not in it (nor in the snapshot: sync-back keeps it).
    assert mirrored == expected
    assert set(snapshot) == set(expected)
    etags = {key: etag.strip('"') for key, etag in snapshot.items()}
    assert etags == {key: hashlib.md5(body).hexdigest() for key, body in expected.items()}


def run_job(tmp_path: Path, script: str) -> Any:
    """One run of ``script`` (stored in the bucket) through the runner, synchronously."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket=BUCKET, Key="glue-scripts/job.py", Body=textwrap.dedent(script).encode())
    runner = GlueRunner(LocalCloudSettings(port=1, state_dir=tmp_path))
    runner.settings.logs_dir.mkdir(parents=True, exist_ok=True)
    job = SimpleNamespace(name="job", command={"ScriptLocation": f"s3://{BUCKET}/glue-scripts/job.py"},
                          timeout=1, default_arguments={})  # fmt: skip
    run = SimpleNamespace(job_run_id="jr_0123456789abcdef", arguments={"--SILVER_BUCKET": BUCKET},
                          local_status=None, error_message=None)  # fmt: skip
    runner._run_job(job, run)
    return run


def test_run_succeeds_while_the_bucket_grows_and_keeps_what_others_wrote(
    backend: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    make_bucket(backend)
    change_mid_mirror(monkeypatch, backend, added(backend))
    script = """
        import sys
        from pathlib import Path
        root = Path(sys.argv[sys.argv.index("--STORAGE_ROOT") + 1]) / "silver"
        (root / "ge-results").mkdir()
        (root / "ge-results" / "result.json").write_text("{}")
    """
    run = run_job(tmp_path, script)

    assert (run.local_status, run.error_message) == ("SUCCEEDED", None)
    keys = set(backend.get_bucket(BUCKET).keys)
    assert {"silver/tracking_events/dt=2024-07-01/late.parquet", "ge-results/result.json", *KEYS} <= keys


def test_failed_run_reports_its_own_exception(backend: Any, tmp_path: Path) -> None:
    make_bucket(backend)
    # Another run of the job failed earlier: its output is in the shared job log.
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "glue-job.log").write_text("Traceback (most recent call last):\nOtherError: not this run\n")
    script = """
        import sys
        class QualityGateFailed(RuntimeError):
            pass
        print("validating")
        raise QualityGateFailed("QualityGateFailed: shipments dt=2024-07-01 failed 1 expectation(s)")
    """
    run = run_job(tmp_path, script)

    assert run.local_status == "FAILED"
    assert run.error_message == (
        "QualityGateFailed: QualityGateFailed: shipments dt=2024-07-01 failed 1 expectation(s) "
        "(script exited with status 1)"
    )
    job_log = (tmp_path / "logs" / "glue-job.log").read_text()
    assert "validating" in job_log and job_log.rstrip().endswith("END JobRun jr_0123456789abcdef FAILED")


def test_failed_run_without_a_traceback_reports_the_output_tail(backend: Any, tmp_path: Path) -> None:
    make_bucket(backend)
    run = run_job(tmp_path, "import sys\nprint('no such module: great_expectations')\nsys.exit(3)\n")
    assert run.local_status == "FAILED"
    assert run.error_message == "script exited with status 3: no such module: great_expectations"
