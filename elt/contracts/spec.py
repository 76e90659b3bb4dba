"""Derive column specs (name, kind, nullability, value rules) from a contract model.

Everything downstream — the Arrow schema, the vectorized validation in the transform, Glue and
Athena column types and the data-quality expectations — is computed from these specs, so a
rule written once in a model is enforced everywhere.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import StringConstraints

from elt.contracts.base import RecordContract

Kind = Literal["string", "float", "int", "bool", "timestamp"]
_CONSTRAINTS = {at.Ge: "ge", at.Gt: "gt", at.Le: "le", at.Lt: "lt", at.MinLen: "min_length"}
_KINDS: dict[type, Kind] = {str: "string", float: "float", int: "int", bool: "bool", datetime: "timestamp"}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind
    required: bool  # present and non-null
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    min_length: int | None = None
    allowed: tuple[Any, ...] | None = None


def _strip_annotated(tp: Any) -> tuple[Any, list[Any]]:
    metadata: list[Any] = []
    while get_origin(tp) is Annotated:
        tp, *extra = get_args(tp)
        metadata.extend(extra)
    return tp, metadata


def _field_spec(name: str, annotation: Any, metadata: list[Any], required: bool) -> FieldSpec:
    tp, inner_meta = _strip_annotated(annotation)
    metadata = [*metadata, *inner_meta]
    nullable = False
    if get_origin(tp) in (Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        nullable = len(members) < len(get_args(tp))
        if len(members) != 1:
            raise TypeError(f"{name}: only Optional[X] unions are supported")
        tp, more = _strip_annotated(members[0])
        metadata.extend(more)
    allowed = None
    if get_origin(tp) is Literal:
        allowed = get_args(tp)
        tp = type(allowed[0])
    if tp not in _KINDS:
        raise TypeError(f"{name}: unsupported field type {tp!r}")
    rules: dict[str, Any] = {}
    for item in metadata:
        for constraint, attr in _CONSTRAINTS.items():
            if isinstance(item, constraint):
                rules[attr] = getattr(item, attr)
        if isinstance(item, StringConstraints) and item.min_length is not None:
            rules["min_length"] = item.min_length
    return FieldSpec(name=name, kind=_KINDS[tp], required=required and not nullable, allowed=allowed, **rules)


def field_specs(model: type[RecordContract]) -> list[FieldSpec]:
    """Columns of ``model`` in silver order: record_type, event_time, then the model's fields."""
    specs = {
        name: _field_spec(name, info.annotation, list(info.metadata), info.is_required())
        for name, info in model.model_fields.items()
    }
    head = [specs.pop("record_type"), specs.pop("event_time")]
    return head + list(specs.values())
