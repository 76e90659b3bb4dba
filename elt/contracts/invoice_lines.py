from typing import Annotated, Literal

from pydantic import Field, StrictFloat, StrictInt

from elt.contracts.base import DatasetSpec, Key, RecordContract, Text


class InvoiceLine(RecordContract):
    dataset = DatasetSpec("invoice_lines", key_field="invoice_id", description="One line of an invoice.")

    record_type: Literal["invoice_lines"]
    invoice_id: Key
    sku: Text | None = None
    quantity: Annotated[StrictInt | None, Field(ge=1, le=1_000_000)] = None
    unit_price: Annotated[StrictFloat | None, Field(ge=0, le=10_000_000)] = None
    line_total: Annotated[StrictFloat | None, Field(ge=0, le=10_000_000_000)] = None
