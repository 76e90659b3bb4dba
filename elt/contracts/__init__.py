"""Dataset contracts: one pydantic model per record type, the single source of truth.

From each model the pipeline derives the Arrow/Parquet schema, the vectorized validation rules,
the Glue/Athena columns and the data-quality expectations (see ``elt.contracts.spec``).
"""

from elt.contracts.base import DatasetSpec, RecordContract
from elt.contracts.registry import CONTRACTS, contract_for

__all__ = ["CONTRACTS", "DatasetSpec", "RecordContract", "contract_for"]
