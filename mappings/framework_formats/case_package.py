"""What reading and writing CASE packages share: item roles and their names, our extension,
derived identifiers, and a reader for one JSON entry that knows its place in the file."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from mappings.framework import StandardKind, plain_decimal
from mappings.framework_formats.places import FilePlace

EXTENSION_KEY = "proficiencyBridge"
#: the namespace of the identifiers we derive (items without a CASE identifier, definitions)
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:proficiency-bridge:case")


class Role(Enum):
    CONTENT_AREA = "Content Area"
    STANDARD = "Graduation Standard"
    CROSS_CURRICULAR = "Cross-Curricular Standard"
    HABIT_OF_WORK = "Habit of Work"
    INDICATOR = "Performance Indicator"
    OBJECTIVE = "Learning Objective"


TYPE_NAMES = {
    Role.CONTENT_AREA: ("content area", "subject", "subject area", "discipline"),
    Role.STANDARD: (
        "graduation standard",
        "content area standard",
        "standard",
        "content standard",
        "competency",
        "graduation competency",
    ),
    Role.CROSS_CURRICULAR: (
        "cross curricular standard",
        "cross curricular",
        "cross curricular competency",
        "transferable skill",
        "transferable skills",
    ),
    Role.HABIT_OF_WORK: ("habit of work", "habits of work", "work habit", "work habits"),
    Role.INDICATOR: ("performance indicator", "indicator", "benchmark"),
    Role.OBJECTIVE: (
        "learning objective",
        "objective",
        "learning target",
        "target",
        "element",
        "component",
    ),
}
_ROLE_BY_NAME = {name: role for role, names in TYPE_NAMES.items() for name in names}
STANDARD_KINDS = {
    Role.STANDARD: StandardKind.CONTENT_AREA,
    Role.CROSS_CURRICULAR: StandardKind.CROSS_CURRICULAR,
    Role.HABIT_OF_WORK: StandardKind.HABIT_OF_WORK,
}
#: which roles may sit directly under which (None: the document)
ALLOWED_UNDER: dict[Role | None, tuple[Role, ...]] = {
    None: (Role.CONTENT_AREA, Role.CROSS_CURRICULAR, Role.HABIT_OF_WORK),
    Role.CONTENT_AREA: (Role.STANDARD,),
    Role.STANDARD: (Role.INDICATOR,),
    Role.CROSS_CURRICULAR: (Role.INDICATOR,),
    Role.HABIT_OF_WORK: (Role.INDICATOR,),
    Role.INDICATOR: (Role.OBJECTIVE,),
    Role.OBJECTIVE: (Role.OBJECTIVE,),
}


def role_named(names: tuple[str, ...]) -> Role | None:
    for name in names:
        role = _ROLE_BY_NAME.get(" ".join(re.findall(r"[a-z0-9]+", name.lower())))
        if role is not None:
            return role
    return None


class Entry:
    """One JSON object of the package, read field by field with its place for errors."""

    def __init__(self, value: Any, file: str, label: str) -> None:
        self.file = file
        self.label = label
        if not isinstance(value, dict):
            raise FilePlace(file, label).error("must be a JSON object")
        self.value: dict[str, Any] = value

    def place(self, field: str | None = None) -> FilePlace:
        return FilePlace(self.file, f"{self.label}, field '{field}'" if field else self.label)

    def text(self, field: str, *, required: bool = False) -> str | None:
        value = self.value.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.place(field).error(f"'{field}' is missing or empty")
            return None
        if not isinstance(value, str):
            raise self.place(field).error(f"'{field}' must be text, not {type(value).__name__}")
        return value

    def entries(self, field: str) -> Iterator[tuple[int, Any]]:
        value = self.value.get(field)
        if value is None:
            return iter(())
        if not isinstance(value, list):
            raise self.place(field).error(f"'{field}' must be a JSON array")
        return enumerate(value)

    def extension(self) -> Entry | None:
        """Our CASE 1.1 extension object on this entry, when there is one."""
        extensions = self.value.get("extensions")
        if not isinstance(extensions, dict) or EXTENSION_KEY not in extensions:
            return None
        return Entry(extensions[EXTENSION_KEY], self.file, f"{self.label}, extensions.{EXTENSION_KEY}")


def read_number(entry: Entry, field: str) -> Decimal | None:
    value = entry.value.get(field)
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        number = Decimal(str(value)) if isinstance(value, int | float | str) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise entry.place(field).error(f"'{field}' must be a number, not {value!r}")
    return plain_decimal(number)


def uri(identifier: str) -> str:
    try:
        return f"urn:uuid:{uuid.UUID(identifier)}"
    except ValueError:
        return "urn:case:" + re.sub(r"[^A-Za-z0-9._~-]", "-", identifier)


def derived(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def json_number(value: Decimal) -> int | float:
    plain = plain_decimal(value)
    return int(plain) if plain == plain.to_integral_value() else float(plain)
