"""The OneRoster `filter` query parameter: parse once, then test records against it.

Grammar (1.1 §3.4.2, 1.2 §3.4.2): a predicate is ``field operator 'value'`` with operators
``=  !=  >  >=  <  <=  ~`` (``~`` is "contains"), predicates joined by `` AND `` / `` OR ``.
The spec allows one logical operator; we accept chains, AND binding tighter than OR.
Fields are top-level members; a reference field (``class``, ``user``...) compares its
sourcedId, so ``class='k1'`` works as servers commonly allow. `dateLastModified` and the
dates compare as instants, numbers as numbers, everything else as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

OPERATORS = ("!=", ">=", "<=", "=", ">", "<", "~")
_PREDICATE = re.compile(r"\s*([A-Za-z][A-Za-z0-9_.]*)\s*(!=|>=|<=|=|>|<|~)\s*'([^']*)'\s*")
_LOGICAL = re.compile(r"\s+(AND|OR)\s+")
DATE_FIELDS = {"dateLastModified", "startDate", "endDate", "beginDate", "scoreDate", "assignDate", "dueDate"}


class FilterError(ValueError):
    """The filter cannot be parsed or names a field the collection does not have."""


@dataclass(frozen=True)
class Predicate:
    field: str
    operator: str
    value: str


def _instant(text: str) -> datetime | None:
    try:
        if len(text) == 10:
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _field_value(record: dict[str, Any], name: str) -> Any:
    value: Any = record
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if isinstance(value, dict) and "sourcedId" in value:
        return value["sourcedId"]
    return value


def _compare(left: Any, operator: str, right: str, *, field: str) -> bool:
    if left is None:
        return operator == "!="
    if isinstance(left, list):
        texts = [str(v.get("sourcedId", v)) if isinstance(v, dict) else str(v) for v in left]
        hit = any(right == t or (operator == "~" and right.lower() in t.lower()) for t in texts)
        return not hit if operator == "!=" else hit
    if operator == "~":
        return right.lower() in str(left).lower()
    a: Any = str(left)
    b: Any = right
    if field.split(".")[-1] in DATE_FIELDS:
        a, b = _instant(str(left)), _instant(right)
        if a is None or b is None:
            raise FilterError(f"'{right}' is not a date or date-time for {field}")
    elif isinstance(left, bool):
        a = "true" if left else "false"
    elif isinstance(left, int | float):
        try:
            a, b = float(left), float(right)
        except ValueError:
            a, b = str(left), right
    return {
        "=": a == b,
        "!=": a != b,
        ">": a > b,
        ">=": a >= b,
        "<": a < b,
        "<=": a <= b,
    }[operator]


def parse_filter(text: str, *, fields: set[str] | None = None) -> Callable[[dict[str, Any]], bool]:
    """A test for records; raises `FilterError` naming what is wrong."""
    parts = _LOGICAL.split(text.strip())
    predicates: list[Predicate] = []
    joins: list[str] = []
    for index, part in enumerate(parts):
        if index % 2:
            joins.append(part)
            continue
        match = _PREDICATE.fullmatch(part)
        if match is None:
            raise FilterError(
                f"cannot read the filter predicate {part!r}: write field op 'value' "
                f"with op one of {' '.join(OPERATORS)}"
            )
        predicate = Predicate(*match.groups())
        if fields is not None and predicate.field.split(".")[0] not in fields:
            raise FilterError(f"the filter field {predicate.field!r} is not a field here")
        predicates.append(predicate)

    # AND binds tighter than OR: a disjunction of conjunctions
    groups: list[list[Predicate]] = [[predicates[0]]]
    for join, predicate in zip(joins, predicates[1:], strict=True):
        if join == "AND":
            groups[-1].append(predicate)
        else:
            groups.append([predicate])

    def test(record: dict[str, Any]) -> bool:
        return any(
            all(_compare(_field_value(record, p.field), p.operator, p.value, field=p.field) for p in group)
            for group in groups
        )

    return test
