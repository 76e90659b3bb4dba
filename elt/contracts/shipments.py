from typing import Annotated, Literal

from pydantic import Field, StrictFloat

from elt.contracts.base import DatasetSpec, Key, RecordContract, Text


class Shipment(RecordContract):
    dataset = DatasetSpec("shipments", key_field="shipment_id", description="A shipment booked with a carrier.")

    record_type: Literal["shipments"]
    shipment_id: Key
    origin: Text | None = None
    destination: Text | None = None
    carrier: Text | None = None
    weight_kg: Annotated[StrictFloat | None, Field(ge=0, le=100_000)] = None
