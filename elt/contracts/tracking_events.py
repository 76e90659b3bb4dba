from typing import Literal

from elt.contracts.base import DatasetSpec, Key, RecordContract, Text

TRACKING_STATUSES = (
    "CREATED",
    "PICKED_UP",
    "IN_TRANSIT",
    "AT_HUB",
    "OUT_FOR_DELIVERY",
    "DELIVERED",
    "EXCEPTION",
    "RETURNED",
)


class TrackingEvent(RecordContract):
    dataset = DatasetSpec("tracking_events", key_field="shipment_id", description="A scan of a shipment.")

    record_type: Literal["tracking_events"]
    shipment_id: Key
    status: Literal[TRACKING_STATUSES] | None = None  # type: ignore[valid-type]
    city: Text | None = None
