"""Dataset contracts: one pydantic model per record type, the single source of truth.

From each model the pipeline derives the Arrow/Parquet schema, the vectorized validation rules,
the Glue/Athena columns and the data-quality expectations (see ``shared.contracts.spec``).
"""

from shared.contracts.base import DatasetSpec, RecordContract
from shared.contracts.registry import CONTRACTS, contract_for

__all__ = ["CONTRACTS", "DatasetSpec", "RecordContract", "contract_for"]
