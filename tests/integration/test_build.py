"""The build: one reproducible zip per function, holding only what the function imports."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def build(tmp_path: Path, *names: str) -> None:
    subprocess.run([sys.executable, "scripts/build_lambdas.py", "--out", str(tmp_path), *names], cwd=ROOT, check=True)


def test_ingest_zip_is_lean_and_imports_without_pyarrow(tmp_path: Path) -> None:
    build(tmp_path, "ingest")
    zip_path = tmp_path / "ingest.zip"
    names = zipfile.ZipFile(zip_path).namelist()
    assert "app.py" in names and "elt/ingest.py" in names and "aws_lambda_powertools/__init__.py" in names
    assert not [
        n for n in names if n.startswith(("pyarrow/", "pandas/", "pydantic/", "elt/contracts/", "elt/records.py"))
    ]

    unpacked = tmp_path / "ingest"
    zipfile.ZipFile(zip_path).extractall(unpacked)
    probe = (
        "import os, sys, time; sys.path.insert(0, os.getcwd()); t = time.perf_counter(); import app, elt; "
        "print(round(time.perf_counter() - t, 3)); "
        "assert all(m.__file__.startswith(os.getcwd()) for m in (app, elt)), 'not loaded from the zip'; "
        "assert not {'pyarrow', 'pandas', 'pydantic'} & set(sys.modules), 'ingest imported a heavy module'"
    )
    env = {
        "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q",
        "IDEMPOTENCY_TABLE": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run([sys.executable, "-I", "-c", probe], cwd=unpacked, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    print(f"\ningest cold import from its zip: {out.stdout.strip()} s")


def test_zips_are_reproducible(tmp_path: Path) -> None:
    build(tmp_path / "a", "ingest")
    build(tmp_path / "b", "ingest")
    assert (tmp_path / "a" / "ingest.zip").read_bytes() == (tmp_path / "b" / "ingest.zip").read_bytes()


def test_transform_zip_is_self_contained(tmp_path: Path) -> None:
    build(tmp_path, "transform")
    unpacked = tmp_path / "transform"
    zipfile.ZipFile(tmp_path / "transform.zip").extractall(unpacked)
    probe = (
        "import os, sys; sys.path.insert(0, os.getcwd()); import app; "
        "assert app.__file__.startswith(os.getcwd()) and app.validator.contracts; "
        "import pyarrow, pydantic; assert pyarrow.__file__.startswith(os.getcwd()), pyarrow.__file__; "
        "print(sorted(app.validator.contracts))"
    )
    env = {"SILVER_BUCKET": "s", "IDEMPOTENCY_TABLE": "t", "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-I", "-c", probe], cwd=unpacked, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "shipments" in out.stdout
