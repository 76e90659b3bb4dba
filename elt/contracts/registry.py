"""Every dataset the pipeline accepts. ``make scaffold DATASET=x`` adds a line here."""

from elt.contracts.base import RecordContract
from elt.contracts.invoice_lines import InvoiceLine
from elt.contracts.shipments import Shipment
from elt.contracts.tracking_events import TrackingEvent

CONTRACTS: dict[str, type[RecordContract]] = {
    model.dataset.name: model
    for model in (
        Shipment,
        TrackingEvent,
        InvoiceLine,
    )
}


def contract_for(record_type: str) -> type[RecordContract] | None:
    return CONTRACTS.get(record_type)
