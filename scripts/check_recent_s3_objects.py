#!/usr/bin/env python3
"""Check that at least N objects with a suffix were written under an S3 prefix recently.

  python -m scripts.check_recent_s3_objects --bucket B --prefix silver/ --suffix .parquet --minutes 60 --min-count 1

Exit 0 when enough recent objects exist, 1 when not (the newest ones are listed either way),
2 on usage or access errors. Uses the endpoint of the selected ENV (local cloud by default).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError

from scripts.stack import client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--prefix", default="silver/")
    parser.add_argument("--suffix", default=".parquet")
    parser.add_argument("--minutes", type=float, default=60, help="look-back window (default 60)")
    parser.add_argument("--min-count", type=int, default=1, help="objects required (default 1)")
    args = parser.parse_args(argv)
    since = datetime.now(UTC) - timedelta(minutes=args.minutes)
    recent = []
    try:
        for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket=args.bucket, Prefix=args.prefix):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith(args.suffix) and obj["LastModified"] >= since:
                    recent.append(obj)
    except (ClientError, BotoCoreError) as exc:
        print(f"error: cannot list s3://{args.bucket}/{args.prefix}: {exc}", file=sys.stderr)
        return 2
    recent.sort(key=lambda o: o["LastModified"], reverse=True)
    for obj in recent[:5]:
        print(f"  {obj['LastModified']:%Y-%m-%dT%H:%M:%SZ}  {obj['Size']:>10}  {obj['Key']}")
    where = f"s3://{args.bucket}/{args.prefix}*{args.suffix}"
    if len(recent) < args.min_count:
        print(f"FAIL: {len(recent)} objects {where} in the last {args.minutes:g} min, need {args.min_count}")
        return 1
    print(f"OK: {len(recent)} objects {where} in the last {args.minutes:g} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
