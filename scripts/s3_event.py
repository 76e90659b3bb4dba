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

from botocore.exceptions import ClientError

from elt.devkit.events import s3_object_created_from_head
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
    event = s3_object_created_from_head(args.bucket, args.key, head, event_time=head["LastModified"])
    print(json.dumps(event))
    return 0


if __name__ == "__main__":
    sys.exit(main())
