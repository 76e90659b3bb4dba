import pytest

from elt.config import IngestSettings, OpsSettings, SettingsError, TransformSettings


def test_required_variables_are_named() -> None:
    with pytest.raises(SettingsError, match="QUEUE_URL"):
        IngestSettings.from_env({"IDEMPOTENCY_TABLE": "t"})
    with pytest.raises(SettingsError, match="SILVER_BUCKET"):
        TransformSettings.from_env({})


def test_defaults_and_parsing() -> None:
    s = TransformSettings.from_env(
        {"SILVER_BUCKET": "s", "IDEMPOTENCY_TABLE": "t", "EMIT_PARTITION_EVENTS": "TRUE", "PARTITION_CLAIMS_TABLE": "t"}
    )
    assert (s.silver_prefix, s.quarantine_prefix, s.emit_partition_events) == ("silver", "quarantine", True)
    assert (s.partition_event_debounce_seconds, s.catalog_database) == (300, "")
    i = IngestSettings.from_env({"QUEUE_URL": "q", "IDEMPOTENCY_TABLE": "t"})
    assert i.idempotency_ttl_seconds == 30 * 86400 and i.bronze_prefix == "bronze/"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EMIT_PARTITION_EVENTS": "maybe"}, "EMIT_PARTITION_EVENTS"),
        ({"MAX_LINE_BYTES": "lots"}, "MAX_LINE_BYTES"),
        ({"SILVER_PREFIX": "/silver"}, "SILVER_PREFIX"),
        ({"EMIT_PARTITION_EVENTS": "true"}, "PARTITION_CLAIMS_TABLE is required"),
        ({"PARTITION_EVENT_DEBOUNCE_SECONDS": "-1"}, "PARTITION_EVENT_DEBOUNCE_SECONDS"),
    ],
)
def test_bad_values_are_reported(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        TransformSettings.from_env({"SILVER_BUCKET": "s", "IDEMPOTENCY_TABLE": "t", **env})


def test_ops_settings_keep_replays_under_bronze() -> None:
    assert OpsSettings.from_env({}).replay_prefix == "bronze/replay/"
    with pytest.raises(SettingsError, match="REPLAY_PREFIX"):
        OpsSettings.from_env({"REPLAY_PREFIX": "replay/"})
