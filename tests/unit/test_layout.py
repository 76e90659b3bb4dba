"""elt.layout builds every key and parses back exactly what it built."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from elt import layout
from elt.layout import OutputName, SilverFile

names = st.builds(
    OutputName,
    st.text("0123456789abcdef", min_size=16, max_size=16),
    st.integers(0, 10**12 - 1),
    st.integers(0, 10**12 - 1),
)


@given(names)
def test_unit_names_round_trip(name: OutputName) -> None:
    assert OutputName.parse(str(name)) == name


@given(
    st.datetimes(datetime(2000, 1, 1), datetime(9999, 1, 1)),
    st.sampled_from(["shipments", "invoice_lines"]),
    st.dates().map(str),
)
def test_silver_keys_round_trip(when: datetime, record_type: str, dt: str) -> None:
    batch_id = layout.new_batch_id(when)
    assert layout.is_batch_id(batch_id) and batch_id.startswith(f"b{when:%Y%m%dT%H%M%S}-")
    key = SilverFile(record_type, dt, batch_id).key()
    assert key == f"silver/{record_type}/dt={dt}/{batch_id}.parquet"
    assert SilverFile.parse(key) == SilverFile(record_type, dt, batch_id)
    assert layout.quarantine_key("quarantine", "shipments", batch_id) == f"quarantine/shipments/{batch_id}.jsonl"


def test_other_keys_are_not_silver_files() -> None:
    for key in (
        "silver/shipments/dt=2024-01-01/_SUCCESS",
        "silver/shipments/x.parquet",
        "silver/a/dt=1/b/c.parquet",
        "silver/shipments/dt=2024-01-01/compacted-1234-00000.snappy.parquet",
    ):
        assert SilverFile.parse(key) is None


@given(st.text(min_size=1).filter(lambda k: "/" not in k[:1]))
def test_object_version_keys_round_trip_whatever_the_key(key: str) -> None:
    pk = layout.object_version_key("bronze-bucket", key, "0123abcd")
    assert layout.parse_object_version_key(pk) == ("bronze-bucket", key, "0123abcd")
    assert len(layout.object_id("bronze-bucket", key, "0123abcd")) == 16


def test_claims_and_replay_keys() -> None:
    assert (
        layout.partition_claim_key("silver", "shipments", "2024-01-02")
        == "partition-ready#silver/shipments/dt=2024-01-02"
    )
    assert layout.replay_key(layout.REPLAY_PREFIX, "run1", "bronze/a.jsonl") == "bronze/replay/run1/bronze/a.jsonl"
