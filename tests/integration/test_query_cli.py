"""scripts/query.py's Parquet side of `make verify-athena`: rows per partition from the footers."""

from __future__ import annotations

import io

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scripts.query import compare_rows, parquet_rows_per_partition

pytestmark = pytest.mark.usefixtures("aws_env")


def test_rows_per_partition_count_batch_and_compacted_files_from_their_footers() -> None:
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="silver")
        files = {
            "silver/shipments/dt=2024-07-01/b20240701T000000-000000000001.parquet": 3,
            "silver/shipments/dt=2024-07-01/compacted-000.parquet": 5,
            "silver/shipments/dt=2024-07-02/b20240702T000000-000000000002.parquet": 2_000,
            "silver/invoice_lines/dt=2024-07-01/b20240701T000000-000000000003.parquet": 1,
        }
        for key, rows in files.items():
            buffer = io.BytesIO()
            pq.write_table(pa.table({"n": list(range(rows))}), buffer)
            s3.put_object(Bucket="silver", Key=key, Body=buffer.getvalue())
        s3.put_object(Bucket="silver", Key="silver/shipments/dt=2024-07-01/_SUCCESS", Body=b"")
        counted = parquet_rows_per_partition("silver", s3)
    assert counted == {
        ("shipments", "2024-07-01"): 8,
        ("shipments", "2024-07-02"): 2_000,
        ("invoice_lines", "2024-07-01"): 1,
    }
    assert compare_rows("Athena", {**counted, ("shipments", "2024-07-02"): 1_999}, counted) == [
        "shipments dt=2024-07-02: Athena counts 1,999 rows, its Parquet files hold 2,000"
    ]
