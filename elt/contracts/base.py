"""Building blocks shared by every dataset contract."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StrictStr, StringConstraints

#: A UTC offset: ±HH:MM or ±HHMM, hours 00-23 and minutes 00-59 (Python would take +00:60 as
#: one hour; Arrow rejects it, and it is not ISO-8601).
_OFFSET = r"[+-]([01]\d|2[0-3]):?[0-5]\d"
#: ISO-8601 extended date-time with optional seconds, fraction (≤ 6 digits) and zone.
#: No zone means UTC. Dates alone, week dates, basic format and epoch numbers are rejected.
ISO_DATETIME_PATTERN = rf"^\d{{4}}-\d{{2}}-\d{{2}}[T ]\d{{2}}:\d{{2}}(:\d{{2}}(\.\d{{1,6}})?)?(Z|{_OFFSET})?$"
_ISO_DATETIME = re.compile(ISO_DATETIME_PATTERN)
ZONE_SUFFIX_PATTERN = rf"(Z|{_OFFSET})$"


def parse_event_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"must be an ISO-8601 date-time string, got {type(value).__name__}")
    if not _ISO_DATETIME.match(value):
        raise ValueError(f"{value[:64]!r} is not an ISO-8601 date-time (YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z|±HH:MM])")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value[:64]!r} is not a valid date-time: {exc}") from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:  # an offset that moves 0001-01-01 or 9999-12-31 out of range
        raise ValueError(f"{value[:64]!r} is out of range in UTC") from exc


def _encodable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("contains a lone UTF-16 surrogate escape") from exc
    return value


#: A UTC timestamp parsed from an ISO-8601 string (no epoch numbers, no guessing).
EventTime = Annotated[datetime, BeforeValidator(parse_event_time)]
#: A JSON string (no numbers or booleans coerced), encodable as UTF-8.
Text = Annotated[StrictStr, AfterValidator(_encodable)]
#: A non-empty identifier.
Key = Annotated[StrictStr, StringConstraints(min_length=1), AfterValidator(_encodable)]


@dataclass(frozen=True)
class DatasetSpec:
    """Per-dataset settings that are not field types: the key field and a description."""

    name: str
    key_field: str
    description: str


class RecordContract(BaseModel):
    """Base of every dataset model. Unknown fields are ignored; numbers must be JSON numbers."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, frozen=True)

    dataset: ClassVar[DatasetSpec]
    event_time: EventTime
