"""Evaluation of identity-based IAM policies as AWS evaluates them, for the IAM extension.

moto's evaluator (``moto.iam.access_control.IAMPolicyStatement``) is replaced here, not extended,
because the parts we need are the ones it gets wrong: it has no ``NotResource``, matches actions
case-sensitively, answers DENIED for a statement whose Condition keys are absent from the request
(whatever its Effect: an Allow with an unsatisfied condition must simply not apply), and knows no
``ForAllValues:`` / ``ForAnyValue:`` set operators nor ``...IfExists``. The rules implemented:

* an explicit Deny that applies wins; otherwise an Allow that applies allows; otherwise the request
  is implicitly denied;
* a statement applies when its Action (or NotAction), Resource (or NotResource) and every
  condition match; ``*`` and ``?`` are wildcards, actions are case-insensitive;
* a condition key absent from the request fails a positive operator, satisfies a negated one
  (``StringNot...``, ``ArnNot...``), ``...IfExists`` and ``ForAllValues:`` (vacuously, as on AWS),
  and ``Null`` tests exactly that; an operator not known here fails the condition (fail closed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

#: A request's context: condition key (lower case) → its values.
Context = dict[str, list[str]]


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit"
    IMPLICIT_DENY = "implicit"


@dataclass(frozen=True)
class Check:
    """One authorization an API call needs: an IAM action on one resource, with its context."""

    action: str
    resource: str
    context: Context = field(default_factory=dict)


def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    regex = re.escape(text).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(f"^{regex}$", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return _pattern(pattern, ignore_case).match(value) is not None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _string_equals(expected: str, actual: str) -> bool:
    return expected == actual


def _string_equals_ignore_case(expected: str, actual: str) -> bool:
    return expected.lower() == actual.lower()


def _string_like(expected: str, actual: str) -> bool:
    return wildcard_match(expected, actual)


def _bool(expected: str, actual: str) -> bool:
    return expected.lower() == actual.lower()


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def match(expected: str, actual: str) -> bool:
        try:
            return compare(float(actual), float(expected))
        except ValueError:
            return False

    return match


#: Positive operators: operator → does the request value match one expected value.
OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": _string_equals,
    "StringEqualsIgnoreCase": _string_equals_ignore_case,
    "StringLike": _string_like,
    "ArnEquals": _string_like,  # ARN operators take wildcards in each segment; one pattern does
    "ArnLike": _string_like,
    "Bool": _bool,
    "NumericEquals": _numeric(lambda a, e: a == e),
    "NumericLessThan": _numeric(lambda a, e: a < e),
    "NumericLessThanEquals": _numeric(lambda a, e: a <= e),
    "NumericGreaterThan": _numeric(lambda a, e: a > e),
    "NumericGreaterThanEquals": _numeric(lambda a, e: a >= e),
}
#: Negated operators and the positive operator they negate.
NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}


def _value_matches(operator: str, expected: list[str], actual: str) -> bool:
    return any(OPERATORS[operator](str(e), actual) for e in expected)


def _condition_holds(operator: str, expected: list[str], actual: list[str] | None) -> bool:
    """One operator on one condition key, ``actual`` None when the request lacks the key."""
    set_operator, _, operator = operator.rpartition(":")
    if operator == "Null":
        return (actual is None) == (str(expected[0]).lower() == "true")
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    negated = operator in NEGATED
    positive = NEGATED.get(operator, operator)
    if positive not in OPERATORS:
        return False
    if actual is None:
        return if_exists or negated or set_operator == "ForAllValues"
    matches = [_value_matches(positive, expected, value) for value in actual]
    # ForAnyValue, and a single-valued key (one value): any value matches.
    held = all(matches) if set_operator == "ForAllValues" else any(matches)
    return not held if negated else held


def _conditions_hold(conditions: dict[str, dict[str, Any]], context: Context) -> bool:
    for operator, keys in conditions.items():
        for key, expected in keys.items():
            if not _condition_holds(operator, [str(e) for e in _as_list(expected)], context.get(key.lower())):
                return False
    return True


def _element_matches(statement: dict[str, Any], name: str, value: str, ignore_case: bool) -> bool | None:
    """Whether ``Name`` (or ``NotName``) of the statement covers the value; None if neither is set."""
    if name in statement:
        return any(wildcard_match(p, value, ignore_case) for p in _as_list(statement[name]))
    if f"Not{name}" in statement:
        return not any(wildcard_match(p, value, ignore_case) for p in _as_list(statement[f"Not{name}"]))
    return None


def statement_applies(statement: dict[str, Any], check: Check) -> bool:
    if not _element_matches(statement, "Action", check.action, ignore_case=True):
        return False
    if not _element_matches(statement, "Resource", check.resource, ignore_case=False):
        return False
    return _conditions_hold(statement.get("Condition") or {}, check.context)


def statements(documents: Iterable[str | dict[str, Any]]) -> list[dict[str, Any]]:
    """Every statement of the policy documents (JSON text or parsed)."""
    found: list[dict[str, Any]] = []
    for document in documents:
        parsed = json.loads(document) if isinstance(document, str) else document
        found.extend(_as_list(parsed.get("Statement", [])))
    return found


def evaluate(policy_statements: list[dict[str, Any]], check: Check) -> Decision:
    allowed = False
    for statement in policy_statements:
        if not statement_applies(statement, check):
            continue
        if statement.get("Effect") == "Deny":
            return Decision.EXPLICIT_DENY
        allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def trust_allows(document: str | dict[str, Any], service: str, context: Context) -> bool:
    """Whether a role's trust policy lets ``service`` (e.g. lambda.amazonaws.com) sts:AssumeRole."""
    allowed = False
    for statement in statements([document]):
        principals = (statement.get("Principal") or {}) if isinstance(statement.get("Principal"), dict) else {}
        applies = (
            service in _as_list(principals.get("Service", []))
            and bool(_element_matches(statement, "Action", "sts:AssumeRole", ignore_case=True))
            and _conditions_hold(statement.get("Condition") or {}, context)
        )
        if applies and statement.get("Effect") == "Deny":
            return False
        allowed = allowed or applies
    return allowed


def denial_message(principal_arn: str, check: Check, decision: Decision) -> str:
    """The message AWS gives, e.g. "User: arn:aws:sts::…:assumed-role/r/s is not authorized to
    perform: s3:GetObject on resource: arn:aws:s3:::b/k because no identity-based policy allows
    the s3:GetObject action"."""
    reason = (
        "with an explicit deny in an identity-based policy"
        if decision is Decision.EXPLICIT_DENY
        else f"because no identity-based policy allows the {check.action} action"
    )
    return f"User: {principal_arn} is not authorized to perform: {check.action} on resource: {check.resource} {reason}"
