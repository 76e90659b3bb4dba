"""The silver audit's counts (elt/devkit/silver_audit.py) on tables built in memory."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from elt.devkit.silver_audit import Silver, SilverAudit, SilverPart

T0, T1 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)


def part(key: str, rows: list[dict[str, Any]], record_type: str = "shipments") -> SilverPart:
    return SilverPart(key, record_type, "2026-01-01", pa.Table.from_pylist(rows))


def row(uri: str, line: int, amount: float, version: str = "v1", at: datetime = T0, **extra: Any) -> dict[str, Any]:
    return {"id": f"{uri}:{line}", "amount": amount, **extra, "_source_uri": uri, "_source_version": version,
            "_source_line": line, "_ingested_at": at}  # fmt: skip


def test_clean_silver_has_no_duplicates() -> None:
    silver = Silver(
        (part("a", [row("s3://b/k1", 1, 1.0), row("s3://b/k1", 2, 2.0)]), part("b", [row("s3://b/k2", 1, 1.0)]))
    )
    assert silver.audit() == SilverAudit(rows=3, files=2, duplicate_identities=0, business_duplicates=0)
    assert silver.audit().rows_per_file == 1.5 and silver.audit().problems() == []


def test_a_line_landed_twice_is_both_kinds_of_duplicate() -> None:
    again = row("s3://b/k1", 1, 1.0, at=T1)  # another batch wrote it again, later
    silver = Silver((part("a", [row("s3://b/k1", 1, 1.0)]), part("b", [again])))
    audit = silver.audit()
    assert (audit.duplicate_identities, audit.business_duplicates) == (1, 1)
    assert len(audit.problems()) == 2


def test_a_copy_under_another_uri_is_a_business_duplicate_only() -> None:
    original, copy = row("s3://b/k1", 1, 1.0), row("s3://b/replay/k1", 1, 1.0)
    copy["id"] = original["id"]
    audit = Silver((part("a", [original, copy]),)).audit()
    assert (audit.duplicate_identities, audit.business_duplicates) == (0, 1)


def test_growth_is_a_problem_given_the_audit_before() -> None:
    before = SilverAudit(rows=10, files=2, duplicate_identities=0, business_duplicates=0)
    assert SilverAudit(10, 3, 0, 0).problems(before) == []
    assert SilverAudit(9, 3, 0, 0).problems(before) == []
    assert SilverAudit(11, 3, 0, 0).problems(before) == ["silver grew from 10 to 11 rows (+1)"]


def test_only_keeps_the_rows_of_the_given_objects_and_drops_emptied_files() -> None:
    silver = Silver(
        (part("a", [row("s3://b/k1", 1, 1.0), row("s3://b/k2", 1, 2.0)]), part("b", [row("s3://b/k2", 2, 3.0)]))
    )
    mine = silver.only(uris={"s3://b/k1"})
    assert [p.key for p in mine.parts] == ["a"] and mine.rows == 1
    assert silver.only(record_type="tracking_events").parts == ()


def test_record_types_are_compared_within_their_own_columns() -> None:
    shipments = part("a", [row("s3://b/k1", 1, 1.0, carrier="x")])
    tracking = part("b", [row("s3://b/k1", 2, 1.0, status="y")], record_type="tracking_events")
    assert Silver((shipments, tracking)).audit().business_duplicates == 0
