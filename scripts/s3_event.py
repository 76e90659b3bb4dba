#!/usr/bin/env python3
"""Print the S3 ObjectCreated notification S3 would send for an existing object.

  python -m scripts.s3_event --bucket B --key bronze/x.jsonl > event.json

Used to invoke ingest by hand (``aws lambda invoke --payload file://event.json``), e.g. to check
idempotency: a second delivery of the same object version reports ``skipped``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC
from urllib.parse import quote_plus

from botocore.exceptions import ClientError

from scripts.stack import client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args(argv)
    try:
        head = client("s3").head_object(Bucket=args.bucket, Key=args.key)
    except ClientError as exc:
        print(f"error: s3://{args.bucket}/{args.key}: {exc}", file=sys.stderr)
        return 1
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "eventTime": head["LastModified"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "s3": {
            "bucket": {"name": args.bucket},
            "object": {"key": quote_plus(args.key), "size": head["ContentLength"], "eTag": head["ETag"].strip('"')},
        },
    }
    if head.get("VersionId"):
        record["s3"]["object"]["versionId"] = head["VersionId"]
    print(json.dumps({"Records": [record]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
