"""Strict checks of what a client PUTs: line items, results and categories, 1.2 and 1.1.

Written from the OneRoster data models (1.2 Gradebook Service §4, 1.1 §4): required members,
no unknown members, enumerations, `YYYY-MM-DD` dates and ISO 8601 date-times, GUID
references with `href`/`sourcedId`/`type`, the 1.2 booleans as the strings "true"/"false",
and CASE learning objective ids that are UUIDs. A payload that breaks a rule is refused with
400 and the member's path, the way a picky SIS refuses it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

STATUSES = {"active", "tobedeleted"}
SCORE_STATUSES = {"exempt", "fully graded", "not submitted", "partially graded", "submitted"}
EXT = re.compile(r"ext:[a-zA-Z0-9.\-_]+")
SOURCE_EXT = re.compile(r"/[a-z0-9]+")


class PayloadInvalid(ValueError):
    """`path` names the member that is wrong (e.g. ``result.learningObjectiveSet[0].source``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise PayloadInvalid(path, f"must be a string, not {type(value).__name__}")
    return value


def _number(value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadInvalid(path, "must be a number")


def _datetime(value: Any, path: str) -> None:
    text = _string(value, path)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadInvalid(path, f"{text!r} is not an ISO 8601 date-time") from None
    if "T" not in text or parsed.tzinfo is None:
        raise PayloadInvalid(path, f"{text!r} must be a date-time with a time zone")


def _date(value: Any, path: str) -> None:
    text = _string(value, path)
    try:
        date.fromisoformat(text)
    except ValueError:
        raise PayloadInvalid(path, f"{text!r} is not a YYYY-MM-DD date") from None
    if len(text) != 10:
        raise PayloadInvalid(path, f"{text!r} must be a bare YYYY-MM-DD date")


def _str_bool(value: Any, path: str) -> None:
    if value not in ("true", "false"):
        raise PayloadInvalid(path, f'must be the string "true" or "false", not {value!r}')


def _ref(kind: str) -> Callable[[Any, str], None]:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise PayloadInvalid(path, "must be an object with href, sourcedId and type")
        _members(value, path, required={"href", "sourcedId", "type"}, allowed={"href", "sourcedId", "type"})
        _string(value["href"], f"{path}.href")
        if not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", value["href"]):
            raise PayloadInvalid(f"{path}.href", f"{value['href']!r} is not a URI")
        _string(value["sourcedId"], f"{path}.sourcedId")
        if value["type"] != kind:
            raise PayloadInvalid(f"{path}.type", f"must be {kind!r}, not {value['type']!r}")

    return check


def _members(data: dict[str, Any], path: str, *, required: set[str], allowed: set[str]) -> None:
    missing = sorted(required - set(data))
    if missing:
        raise PayloadInvalid(path, f"required member(s) missing: {', '.join(missing)}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise PayloadInvalid(path, f"unknown member(s): {', '.join(unknown)}")


def _status(value: Any, path: str) -> None:
    if value not in STATUSES:
        raise PayloadInvalid(path, f"must be one of {sorted(STATUSES)}, not {value!r}")


def _source(value: Any, path: str) -> str:
    text = _string(value, path)
    if text not in {"case", "unknown"} and not SOURCE_EXT.fullmatch(text):
        raise PayloadInvalid(path, f"{text!r} is not 'case', 'unknown' or a /name extension")
    return text


def _objective_id(source: str, value: Any, path: str) -> None:
    text = _string(value, path)
    if source == "case":
        try:
            uuid.UUID(text)
        except ValueError:
            raise PayloadInvalid(path, f"a CASE identifier must be a UUID, not {text!r}") from None


def _objective_set_items(value: Any, path: str, member: str) -> list[tuple[str, str, list[Any]]]:
    """Each `{source, <member>: [...]}` of an array: (where, source, the non-empty list)."""
    if not isinstance(value, list):
        raise PayloadInvalid(path, "must be an array")
    found = []
    for i, item in enumerate(value):
        where = f"{path}[{i}]"
        if not isinstance(item, dict):
            raise PayloadInvalid(where, "must be an object")
        _members(item, where, required={"source", member}, allowed={"source", member})
        source = _source(item["source"], f"{where}.source")
        listed = item[member]
        if not isinstance(listed, list) or not listed:
            raise PayloadInvalid(f"{where}.{member}", "must be a non-empty array")
        found.append((where, source, listed))
    return found


def _objective_sets(value: Any, path: str) -> None:
    for where, source, ids in _objective_set_items(value, path, "learningObjectiveIds"):
        for j, identifier in enumerate(ids):
            _objective_id(source, identifier, f"{where}.learningObjectiveIds[{j}]")


def _objective_score_sets(value: Any, path: str) -> None:
    for where, source, results in _objective_set_items(value, path, "learningObjectiveResults"):
        for j, result in enumerate(results):
            at = f"{where}.learningObjectiveResults[{j}]"
            if not isinstance(result, dict):
                raise PayloadInvalid(at, "must be an object")
            _members(
                result,
                at,
                required={"learningObjectiveId"},
                allowed={"learningObjectiveId", "score", "textScore"},
            )
            _objective_id(source, result["learningObjectiveId"], f"{at}.learningObjectiveId")
            if "score" in result:
                _number(result["score"], f"{at}.score")
            if "textScore" in result:
                _string(result["textScore"], f"{at}.textScore")


def _score_status(value: Any, path: str) -> None:
    if value not in SCORE_STATUSES and not (isinstance(value, str) and EXT.fullmatch(value)):
        raise PayloadInvalid(path, f"{value!r} is not a scoreStatus")


Checks = dict[str, Callable[[Any, str], Any]]

COMMON: Checks = {
    "sourcedId": _string,
    "status": _status,
    "dateLastModified": _datetime,
    "metadata": lambda v, p: None if isinstance(v, dict) else _string(v, p),
}

LINE_ITEM_1_2: Checks = {
    **COMMON,
    "title": _string,
    "description": _string,
    "assignDate": _datetime,
    "dueDate": _datetime,
    "class": _ref("class"),
    "school": _ref("org"),
    "category": _ref("category"),
    "gradingPeriod": _ref("academicSession"),
    "academicSession": _ref("academicSession"),
    "scoreScale": _ref("scoreScale"),
    "resultValueMin": _number,
    "resultValueMax": _number,
    "learningObjectiveSet": _objective_sets,
}
LINE_ITEM_1_2_REQUIRED = {
    "sourcedId",
    "status",
    "dateLastModified",
    "title",
    "assignDate",
    "dueDate",
    "class",
    "school",
    "category",
}

RESULT_1_2: Checks = {
    **COMMON,
    "lineItem": _ref("lineItem"),
    "student": _ref("user"),
    "class": _ref("class"),
    "scoreScale": _ref("scoreScale"),
    "scoreStatus": _score_status,
    "score": _number,
    "textScore": _string,
    "scoreDate": _date,
    "comment": _string,
    "learningObjectiveSet": _objective_score_sets,
    "inProgress": _str_bool,
    "incomplete": _str_bool,
    "late": _str_bool,
    "missing": _str_bool,
}
RESULT_1_2_REQUIRED = {
    "sourcedId",
    "status",
    "dateLastModified",
    "lineItem",
    "student",
    "scoreStatus",
    "scoreDate",
}

LINE_ITEM_1_1: Checks = {
    **COMMON,
    "title": _string,
    "description": _string,
    "assignDate": _datetime,
    "dueDate": _datetime,
    "class": _ref("class"),
    "category": _ref("category"),
    "gradingPeriod": _ref("academicSession"),
    "resultValueMin": _number,
    "resultValueMax": _number,
}
LINE_ITEM_1_1_REQUIRED = {
    "sourcedId",
    "status",
    "dateLastModified",
    "title",
    "assignDate",
    "dueDate",
    "class",
    "category",
    "gradingPeriod",
}

RESULT_1_1: Checks = {
    **COMMON,
    "lineItem": _ref("lineItem"),
    "student": _ref("user"),
    "scoreStatus": _score_status,
    "score": _number,
    "scoreDate": _date,
    "comment": _string,
}
RESULT_1_1_REQUIRED = {
    "sourcedId",
    "status",
    "dateLastModified",
    "lineItem",
    "student",
    "scoreStatus",
    "score",
    "scoreDate",
}

CATEGORY: Checks = {**COMMON, "title": _string, "weight": _number}
CATEGORY_REQUIRED = {"sourcedId", "status", "dateLastModified", "title"}

SCHEMAS: dict[tuple[str, str], tuple[Checks, set[str]]] = {
    ("1.2", "lineItem"): (LINE_ITEM_1_2, LINE_ITEM_1_2_REQUIRED),
    ("1.2", "result"): (RESULT_1_2, RESULT_1_2_REQUIRED),
    ("1.2", "category"): (CATEGORY, CATEGORY_REQUIRED),
    ("1.1", "lineItem"): (LINE_ITEM_1_1, LINE_ITEM_1_1_REQUIRED),
    ("1.1", "result"): (RESULT_1_1, RESULT_1_1_REQUIRED),
    ("1.1", "category"): (CATEGORY, CATEGORY_REQUIRED),
}


def validate_single(version: str, kind: str, body: Any, *, sourced_id: str) -> dict[str, Any]:
    """Check `{"<kind>": {...}}` for a PUT to `.../<sourced_id>`; returns the inner object."""
    if not isinstance(body, dict) or set(body) != {kind}:
        raise PayloadInvalid("$", f'the body must be an object with exactly one member "{kind}"')
    record = body[kind]
    if not isinstance(record, dict):
        raise PayloadInvalid(kind, "must be an object")
    checks, required = SCHEMAS[(version, kind)]
    _members(record, kind, required=required, allowed=set(checks))
    for name, value in record.items():
        checks[name](value, f"{kind}.{name}")
    if record["sourcedId"] != sourced_id:
        raise PayloadInvalid(
            f"{kind}.sourcedId",
            f"{record['sourcedId']!r} differs from the sourcedId in the URL ({sourced_id!r})",
        )
    return record
