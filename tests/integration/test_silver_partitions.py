"""scripts.workflows lists silver's datasets and their dt partitions the way `make ge-start` needs."""

from __future__ import annotations

import boto3
from moto import mock_aws

from elt.devkit.stack import REGION, mock_account_env
from scripts.workflows import silver_partitions


def test_partitions_per_dataset_oldest_first() -> None:
    with mock_account_env(), mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="silver")
        for key in (
            "silver/shipments/dt=2024-06-03/a.parquet",
            "silver/shipments/dt=2024-06-01/b.parquet",
            "silver/tracking_events/dt=2024-06-02/c.parquet",
            "silver/empty/_SUCCESS",
            "quarantine/shipments/x.jsonl",
        ):
            s3.put_object(Bucket="silver", Key=key, Body=b"x")
        assert silver_partitions(s3, "silver") == {
            "shipments": ["2024-06-01", "2024-06-03"],
            "tracking_events": ["2024-06-02"],
        }
