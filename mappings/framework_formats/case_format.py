"""1EdTech CASE 1.0 and 1.1 packages (the CFPackage JSON): read them, and write ours as 1.1.

What is read
    CFDocument            the framework: identifier, title, description, version
    CFItems               the items: identifier, humanCodingScheme (the code), fullStatement
                          (the title), notes (the description)
    CFAssociations        ``isChildOf`` only, placing each item under the document or another
                          item; ``sequenceNumber`` orders siblings. Other types are ignored.
    CFDefinitions         CFItemTypes, to learn what an item is (below)
    CFRubrics             the scoring criteria (below)

Siblings are ordered by ``sequenceNumber``, then ``listEnumeration``, then code in natural
order (``L1.2`` before ``L1.10``), then the order of the file. An item with no
``humanCodingScheme`` gets a code from its place: ``CA.1`` for a content area, ``<area>.1``
for a standard, ``CC.1`` / ``HOW.1`` for cross-curricular standards and habits of work,
``<standard>.PI.1`` for an indicator, ``<indicator>.LO.1`` for an objective.

What an item becomes
    Real packages name their item types freely ("Cluster", "Standard", "Component",
    "Domain", ...), and the same name means different levels in different packages, so the
    types decide only when they are unambiguous for *every* item:

    1. By type, when each item's CFItemType (its name, its CFItemTypeURI title, or the
       definition's title or typeCode, compared without case or punctuation) is one of
       content area / subject / discipline; graduation standard / standard / competency;
       cross-curricular standard / transferable skill; habit of work / work habit;
       performance indicator / indicator / benchmark; learning objective / objective /
       learning target / element / component -- and the tree agrees with them (content
       areas, cross-curricular standards and habits of work under the document, standards
       under a content area, indicators under a standard, objectives under an indicator or
       another objective). Our own exports are read this way.
    2. Otherwise by depth, counting the document as 0 and taking the deepest branch D:
       D >= 4: depth 1 content areas, 2 standards, 3 indicators, 4 and below objectives;
       D <= 3: the document itself stands as the one content area (its title, a UUID derived
       from its identifier), depth 1 standards, 2 indicators, 3 objectives.
    Objectives deeper than one level are listed under their indicator in tree order.

Scoring criteria
    Every CFRubricCriterion's levels (``score`` → value, ``quality`` → label,
    ``description``) must be the same: a framework has one common scale. The level where
    proficiency begins is our extension's ``meets``, else the level whose label starts with
    "meets" or "proficient", else the lowest level at or above the middle of the range.
    No rubric: the four-level 1-4 scale.

What CASE cannot say (the framework's code, level colours, ``meets``, half points) travels
in CASE 1.1 ``extensions`` under the key ``proficiencyBridge``; a package without them gets
a code from the document's title and colours by rank (below / at / above "meets").

A package is refused as a whole, naming the array entry, its identifier and the field:
items placed twice, items not placed at all, loops, duplicate identifiers or codes,
rubrics that disagree.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from mappings.framework import (
    CODE_MAX,
    ContentArea,
    FrameworkDocument,
    GraduationStandard,
    LearningObjective,
    PerformanceIndicator,
    StandardKind,
    build_scale,
    check_level_value,
    plain_decimal,
)
from mappings.framework_formats.places import CodeBook, FilePlace, located
from mappings.scale import Level, Scale, default_scale
from pbridge.errors import FrameworkImportError

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


_TYPE_NAMES = {
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
_ROLE_BY_NAME = {name: role for role, names in _TYPE_NAMES.items() for name in names}
_STANDARD_ROLES = {
    Role.STANDARD: StandardKind.CONTENT_AREA,
    Role.CROSS_CURRICULAR: StandardKind.CROSS_CURRICULAR,
    Role.HABIT_OF_WORK: StandardKind.HABIT_OF_WORK,
}
#: which roles may sit directly under which (None: the document)
_ALLOWED_UNDER: dict[Role | None, tuple[Role, ...]] = {
    None: (Role.CONTENT_AREA, Role.CROSS_CURRICULAR, Role.HABIT_OF_WORK),
    Role.CONTENT_AREA: (Role.STANDARD,),
    Role.STANDARD: (Role.INDICATOR,),
    Role.CROSS_CURRICULAR: (Role.INDICATOR,),
    Role.HABIT_OF_WORK: (Role.INDICATOR,),
    Role.INDICATOR: (Role.OBJECTIVE,),
    Role.OBJECTIVE: (Role.OBJECTIVE,),
}
#: colours by rank when a package has none: below, lowest, at and above "meets"
_LOWEST_COLOUR = "#b3261e"
_BELOW_COLOUR = "#8a4b00"
_MEETS_COLOUR = "#1b5e20"
_ABOVE_COLOUR = "#0d47a1"


# --------------------------------------------------------------------------- reading


def parse(data: bytes | str, *, file_name: str) -> FrameworkDocument:
    """Read a CFPackage; `FrameworkImportError` names the entry, identifier and field if wrong."""
    text = data if isinstance(data, str) else _decoded(data, file_name)
    try:
        package = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise FrameworkImportError(
            f"this is not valid JSON: {error.msg}",
            where=f"{file_name}, line {error.lineno}, column {error.colno}",
        ) from None
    if isinstance(package, dict) and isinstance(package.get("CFPackage"), dict):
        package = package["CFPackage"]
    if not isinstance(package, dict) or not isinstance(package.get("CFDocument"), dict):
        raise FrameworkImportError(
            "this JSON has no CFDocument object; a CASE package (CFPackage) has CFDocument,"
            " CFItems and CFAssociations",
            where=file_name,
        )
    return _PackageReader(file_name, package).document()


def _refuse_constant(name: str) -> Any:
    """JSON has no NaN or Infinity (Python's reader would accept them)."""
    raise json.JSONDecodeError(f"{name} is not a JSON number", name, 0)


def _decoded(data: bytes, file_name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FrameworkImportError("the file is not UTF-8 text", where=f"{file_name}, line {line}") from None


class _Entry:
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

    def extension(self) -> _Entry | None:
        """Our CASE 1.1 extension object on this entry, when there is one."""
        extensions = self.value.get("extensions")
        if not isinstance(extensions, dict) or EXTENSION_KEY not in extensions:
            return None
        return _Entry(extensions[EXTENSION_KEY], self.file, f"{self.label}, extensions.{EXTENSION_KEY}")


@dataclass(frozen=True, slots=True)
class _Item:
    index: int
    entry: _Entry
    identifier: str
    code: str | None
    statement: str
    notes: str
    list_enumeration: str
    type_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Placement:
    parent: str
    sequence: int | None
    label: str


class _PackageReader:
    def __init__(self, file: str, package: dict[str, Any]) -> None:
        self.file = file
        self.package = _Entry(package, file, "the package")
        self.doc = _Entry(package["CFDocument"], file, "CFDocument")
        self.doc_id = self.doc.text("identifier", required=True) or ""
        self.doc.label = f"CFDocument (identifier {self.doc_id})"
        self.items: dict[str, _Item] = {}
        self.by_uri: dict[str, str] = {}
        self.placements: dict[str, _Placement] = {}
        self.children: dict[str, list[str]] = {}
        self.codes = CodeBook()
        self.used_codes: set[str] = set()

    def document(self) -> FrameworkDocument:
        title = self.doc.text("title", required=True) or ""
        extension = self.doc.extension()
        code = extension.text("code", required=True) if extension else None
        framework_code = (code or _code_from_title(title, self.doc_id)).strip()
        self.read_items()
        self.read_placements()
        self.order_children()
        roles = self.roles_by_type() or self.roles_by_depth()
        scale = self.scale()
        areas, cross, habits = self.build(roles, framework_code, title)
        with located(self.doc.place()):
            return FrameworkDocument(
                code=framework_code,
                title=title,
                version=self.version(),
                description=self.doc.text("description") or "",
                case_identifier=self.doc_id,
                scale=scale,
                content_areas=areas,
                cross_curricular=cross,
                habits_of_work=habits,
            )

    def version(self) -> int:
        """CFDocument.version when it is a whole number (it is free text in CASE), else 1."""
        value = str(self.doc.value.get("version") or "").strip()
        if re.fullmatch(r"[0-9]{1,9}", value) and int(value) > 0:
            return int(value)
        return 1

    # -- items and the tree

    def read_items(self) -> None:
        self.by_uri[str(self.doc.value.get("uri", ""))] = self.doc_id
        definitions = self.item_type_definitions()
        for index, value in self.package.entries("CFItems"):
            entry = _Entry(value, self.file, f"CFItems[{index}]")
            identifier = entry.text("identifier", required=True) or ""
            entry.label = f"CFItems[{index}] (identifier {identifier})"
            if identifier in self.items or identifier == self.doc_id:
                first = self.items[identifier].entry.label if identifier in self.items else "CFDocument"
                raise entry.place("identifier").error(f"the identifier is also used by {first}")
            code = entry.text("humanCodingScheme")
            if code is not None:
                code = code.strip()
                self.codes.claim(code, entry.place("humanCodingScheme"))
                self.used_codes.add(code)
            self.items[identifier] = _Item(
                index=index,
                entry=entry,
                identifier=identifier,
                code=code,
                statement=entry.text("fullStatement", required=True) or "",
                notes=entry.text("notes") or "",
                list_enumeration=str(entry.value.get("listEnumeration") or ""),
                type_names=self.type_names(entry, definitions),
            )
            uri = entry.value.get("uri")
            if isinstance(uri, str) and uri:
                self.by_uri[uri] = identifier

    def item_type_definitions(self) -> dict[str, tuple[str, ...]]:
        definitions = self.package.value.get("CFDefinitions")
        if not isinstance(definitions, dict):
            return {}
        holder = _Entry(definitions, self.file, "CFDefinitions")
        found: dict[str, tuple[str, ...]] = {}
        for index, value in holder.entries("CFItemTypes"):
            entry = _Entry(value, self.file, f"CFDefinitions.CFItemTypes[{index}]")
            names = tuple(
                name
                for name in (entry.value.get("title"), entry.value.get("typeCode"))
                if isinstance(name, str)
            )
            for key in ("identifier", "uri"):
                if isinstance(entry.value.get(key), str):
                    found[entry.value[key]] = names
        return found

    @staticmethod
    def type_names(entry: _Entry, definitions: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
        names: list[str] = []
        if isinstance(entry.value.get("CFItemType"), str):
            names.append(entry.value["CFItemType"])
        link = entry.value.get("CFItemTypeURI")
        if isinstance(link, dict):
            if isinstance(link.get("title"), str):
                names.append(link["title"])
            for key in ("identifier", "uri"):
                names.extend(definitions.get(str(link.get(key)), ()))
        elif isinstance(link, str):
            names.extend(definitions.get(link, ()))
        return tuple(names)

    def node_identifier(self, entry: _Entry, field: str) -> str:
        """The identifier a LinkURI (or, in older exports, a bare URI) points at."""
        link = entry.value.get(field)
        if isinstance(link, dict):
            identifier = link.get("identifier")
            if isinstance(identifier, str) and identifier:
                return identifier
            uri = link.get("uri")
        else:
            uri = link
        if isinstance(uri, str) and uri:
            return self.by_uri.get(uri, uri.rstrip("/").rsplit("/", 1)[-1])
        raise entry.place(field).error(f"'{field}' has no identifier")

    def read_placements(self) -> None:
        for index, value in self.package.entries("CFAssociations"):
            entry = _Entry(value, self.file, f"CFAssociations[{index}]")
            kind = entry.text("associationType", required=True)
            if kind != "isChildOf":
                continue
            identifier = entry.text("identifier") or "?"
            entry.label = f"CFAssociations[{index}] (identifier {identifier})"
            child = self.node_identifier(entry, "originNodeURI")
            parent = self.node_identifier(entry, "destinationNodeURI")
            if child not in self.items:
                raise entry.place("originNodeURI").error(
                    f"no CFItem in this package has the identifier {child}"
                )
            if parent != self.doc_id and parent not in self.items:
                raise entry.place("destinationNodeURI").error(
                    f"neither the CFDocument nor a CFItem of this package has the identifier {parent}"
                )
            sequence = self.sequence_number(entry)
            earlier = self.placements.get(child)
            if earlier is not None:
                if earlier.parent == parent:
                    continue  # the same placement twice
                raise entry.place("destinationNodeURI").error(
                    f"the item {child} is already placed under {earlier.parent} by {earlier.label};"
                    " an item has one place in a framework: remove one of the isChildOf associations"
                )
            self.placements[child] = _Placement(parent, sequence, entry.label)
        for item in self.items.values():
            if item.identifier not in self.placements:
                raise item.entry.place().error(
                    "the item is not placed in the framework: no isChildOf association puts it"
                    " under the document or another item"
                )
        for item in self.items.values():
            self.depth(item.identifier)

    @staticmethod
    def sequence_number(entry: _Entry) -> int | None:
        value = entry.value.get("sequenceNumber")
        if value is None:
            return None
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,9}", value.strip()):
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
            raise entry.place("sequenceNumber").error(
                f"'sequenceNumber' must be a whole number, not {value!r}"
            )
        return int(value)

    def depth(self, identifier: str) -> int:
        """How far below the document an item sits; a loop is refused."""
        seen: list[str] = []
        current = identifier
        while current != self.doc_id:
            if current in seen:
                placement = self.placements[current]
                raise FilePlace(self.file, placement.label).error(
                    f"the isChildOf associations make a loop through the item {current}"
                )
            seen.append(current)
            current = self.placements[current].parent
        return len(seen)

    def order_children(self) -> None:
        grouped: dict[str, list[str]] = {}
        for child, placement in self.placements.items():
            grouped.setdefault(placement.parent, []).append(child)
        for parent, children in grouped.items():
            self.children[parent] = sorted(children, key=self.sibling_key)

    def sibling_key(self, identifier: str) -> tuple[Any, ...]:
        item = self.items[identifier]
        sequence = self.placements[identifier].sequence
        return (
            sequence is None,
            sequence or 0,
            _natural(item.list_enumeration),
            _natural(item.code or ""),
            item.index,
        )

    def walk(self, parent: str) -> Iterator[tuple[str, str]]:
        """(parent, child) pairs below `parent`, depth first, in sibling order."""
        for child in self.children.get(parent, []):
            yield parent, child
            yield from self.walk(child)

    # -- roles

    def roles_by_type(self) -> dict[str, Role] | None:
        roles: dict[str, Role] = {}
        for item in self.items.values():
            role = _role_named(item.type_names)
            if role is None:
                return None
            roles[item.identifier] = role
        for parent, child in self.walk(self.doc_id):
            parent_role = None if parent == self.doc_id else roles[parent]
            if roles[child] not in _ALLOWED_UNDER[parent_role]:
                return None
        return roles

    def roles_by_depth(self) -> dict[str, Role]:
        depths = {identifier: self.depth(identifier) for identifier in self.items}
        deepest = max(depths.values(), default=0)
        ladder = (
            [Role.CONTENT_AREA, Role.STANDARD, Role.INDICATOR]
            if deepest >= 4
            else [Role.STANDARD, Role.INDICATOR]
        )
        return {
            identifier: ladder[depth - 1] if depth <= len(ladder) else Role.OBJECTIVE
            for identifier, depth in depths.items()
        }

    # -- building the document

    def free_code(self, wanted: str) -> str:
        code, suffix = wanted, 1
        while code in self.used_codes:
            suffix += 1
            code = f"{wanted}-{suffix}"
        self.used_codes.add(code)
        return code

    def code_of(self, identifier: str, generated: str) -> str:
        code = self.items[identifier].code
        return code if code is not None else self.free_code(generated)

    def build(
        self, roles: dict[str, Role], framework_code: str, title: str
    ) -> tuple[tuple[ContentArea, ...], tuple[GraduationStandard, ...], tuple[GraduationStandard, ...]]:
        top = self.children.get(self.doc_id, [])
        if not top:
            return (), (), ()
        if all(_STANDARD_ROLES.get(roles[i]) is StandardKind.CONTENT_AREA for i in top):
            # the document stands as the one content area (see the module's docstring)
            area_code = self.free_code(framework_code)
            standards = tuple(self.standard(i, roles, f"{area_code}.{n}") for n, i in enumerate(top, start=1))
            area_id = str(uuid.uuid5(NAMESPACE, f"{self.doc_id}#content-area"))
            with located(self.doc.place()):
                return (ContentArea(area_code, title, standards, area_id),), (), ()
        areas, cross, habits = [], [], []
        counters = {Role.CONTENT_AREA: 0, Role.CROSS_CURRICULAR: 0, Role.HABIT_OF_WORK: 0}
        for identifier in top:
            role = roles[identifier]
            counters[role] += 1
            if role is Role.CONTENT_AREA:
                areas.append(self.content_area(identifier, roles, counters[role]))
            elif role is Role.CROSS_CURRICULAR:
                cross.append(self.standard(identifier, roles, f"CC.{counters[role]}"))
            else:
                habits.append(self.standard(identifier, roles, f"HOW.{counters[role]}"))
        return tuple(areas), tuple(cross), tuple(habits)

    def content_area(self, identifier: str, roles: dict[str, Role], number: int) -> ContentArea:
        item = self.items[identifier]
        code = self.code_of(identifier, f"CA.{number}")
        standards = tuple(
            self.standard(child, roles, f"{code}.{n}")
            for n, child in enumerate(self.children.get(identifier, []), start=1)
        )
        with located(item.entry.place()):
            return ContentArea(code, item.statement, standards, identifier)

    def standard(self, identifier: str, roles: dict[str, Role], generated: str) -> GraduationStandard:
        item = self.items[identifier]
        code = self.code_of(identifier, generated)
        indicators = tuple(
            self.indicator(child, f"{code}.PI.{n}")
            for n, child in enumerate(self.children.get(identifier, []), start=1)
        )
        with located(item.entry.place()):
            return GraduationStandard(
                code=code,
                title=item.statement,
                kind=_STANDARD_ROLES[roles[identifier]],
                description=item.notes,
                indicators=indicators,
                case_identifier=identifier,
            )

    def indicator(self, identifier: str, generated: str) -> PerformanceIndicator:
        item = self.items[identifier]
        code = self.code_of(identifier, generated)
        objectives = []
        for n, (_, child) in enumerate(self.walk(identifier), start=1):
            below = self.items[child]
            with located(below.entry.place()):
                objectives.append(
                    LearningObjective(self.code_of(child, f"{code}.LO.{n}"), below.statement, child)
                )
        with located(item.entry.place()):
            return PerformanceIndicator(
                code=code,
                title=item.statement,
                description=item.notes,
                objectives=tuple(objectives),
                case_identifier=identifier,
            )

    # -- scoring criteria

    def scale(self) -> Scale:
        first: tuple[_Entry, list[Level]] | None = None
        meets: Decimal | None = None
        half_points = False
        for r_index, value in self.package.entries("CFRubrics"):
            rubric = _Entry(value, self.file, f"CFRubrics[{r_index}]")
            rubric.label = f"CFRubrics[{r_index}] (identifier {rubric.text('identifier') or '?'})"
            extension = rubric.extension()
            if extension is not None and first is None:
                meets = _number(extension, "meets")
                flag = extension.value.get("halfPoints", False)
                if not isinstance(flag, bool):
                    raise extension.place("halfPoints").error("'halfPoints' must be true or false")
                half_points = flag
            for c_index, criterion_value in rubric.entries("CFRubricCriteria"):
                criterion = _Entry(criterion_value, self.file, f"{rubric.label}.CFRubricCriteria[{c_index}]")
                levels = self.criterion_levels(criterion)
                if first is None:
                    first = (criterion, levels)
                elif _level_key(levels) != _level_key(first[1]):
                    raise criterion.place("CFRubricCriterionLevels").error(
                        f"its levels ({_level_words(levels)}) differ from those of"
                        f" {first[0].label} ({_level_words(first[1])}); a framework has one"
                        " common scale: keep one rubric or give every criterion the same levels"
                    )
        if first is None:
            return default_scale(half_points=half_points)
        levels = sorted(first[1], key=lambda level: level.value)
        meets = meets if meets is not None else _meets_of(levels)
        levels = [_coloured(level, levels, meets) for level in levels]
        with located(first[0].place("CFRubricCriterionLevels")):
            return build_scale(tuple(levels), meets=meets, half_points=half_points)

    def criterion_levels(self, criterion: _Entry) -> list[Level]:
        levels = []
        for index, value in criterion.entries("CFRubricCriterionLevels"):
            entry = _Entry(value, self.file, f"{criterion.label}.CFRubricCriterionLevels[{index}]")
            score = _number(entry, "score")
            if score is None:
                raise entry.place("score").error("a level needs a numeric 'score'")
            with located(entry.place("score")):
                check_level_value(score)
            description = (entry.text("description") or "").strip()
            label = (entry.text("quality") or description).strip()
            if not label:
                raise entry.place("quality").error("a level needs a 'quality' (its label)")
            extension = entry.extension()
            colour = (extension.text("colour") if extension else None) or ""
            levels.append(Level(score, label, colour.strip(), description))
        if not levels:
            raise criterion.place("CFRubricCriterionLevels").error("the criterion has no levels")
        return levels


def _role_named(names: tuple[str, ...]) -> Role | None:
    for name in names:
        role = _ROLE_BY_NAME.get(" ".join(re.findall(r"[a-z0-9]+", name.lower())))
        if role is not None:
            return role
    return None


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key reading digits as numbers: L1.2 before L1.10."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower())
        for part in re.split(r"([0-9]+)", text)
        if part
    )


def _code_from_title(title: str, identifier: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").upper()[:CODE_MAX].rstrip("-")
    return slug or f"CASE-{re.sub(r'[^A-Za-z0-9]+', '', identifier)[:12].upper()}"


def _number(entry: _Entry, field: str) -> Decimal | None:
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


def _level_key(levels: list[Level]) -> list[tuple[Decimal, str]]:
    return sorted((level.value, level.label) for level in levels)


def _level_words(levels: list[Level]) -> str:
    return ", ".join(f"{value} {label}" for value, label in _level_key(levels))


def _meets_of(levels: list[Level]) -> Decimal:
    for level in levels:
        words = level.label.strip().lower()
        if words.startswith(("meets", "proficient")):
            return level.value
    middle = (levels[0].value + levels[-1].value) / 2
    return next(level.value for level in levels if level.value >= middle)


def _coloured(level: Level, levels: list[Level], meets: Decimal) -> Level:
    if level.colour:
        return level
    if level.value == meets:
        colour = _MEETS_COLOUR
    elif level.value > meets:
        colour = _ABOVE_COLOUR
    elif level.value == levels[0].value:
        colour = _LOWEST_COLOUR
    else:
        colour = _BELOW_COLOUR
    return Level(level.value, level.label, colour, level.description)


# --------------------------------------------------------------------------- writing


def export(document: FrameworkDocument, *, changed_at: datetime) -> str:
    """The document as a CASE 1.1 CFPackage; `changed_at` fills every lastChangeDateTime."""
    return json.dumps(_Writer(document, changed_at).package(), indent=2, ensure_ascii=False) + "\n"


def _uri(identifier: str) -> str:
    try:
        return f"urn:uuid:{uuid.UUID(identifier)}"
    except ValueError:
        return "urn:case:" + re.sub(r"[^A-Za-z0-9._~-]", "-", identifier)


def _derived(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def _json_number(value: Decimal) -> int | float:
    plain = plain_decimal(value)
    return int(plain) if plain == plain.to_integral_value() else float(plain)


class _Writer:
    def __init__(self, document: FrameworkDocument, changed_at: datetime) -> None:
        self.document = document
        moment = changed_at if changed_at.tzinfo else changed_at.replace(tzinfo=UTC)
        self.changed = moment.astimezone(UTC).isoformat(timespec="seconds")
        self.doc_id = document.case_identifier or _derived("framework", document.code)
        self.doc_link = self.link(self.doc_id, document.title)
        self.items: list[dict[str, Any]] = []
        self.associations: list[dict[str, Any]] = []
        self.codes: dict[str, str] = {}
        self.siblings: dict[str, int] = {}

    def link(self, identifier: str, title: str) -> dict[str, str]:
        return {"title": title, "identifier": identifier, "uri": _uri(identifier)}

    def type_link(self, role: Role) -> dict[str, str]:
        return self.link(_derived("item-type", role.value), role.value)

    def package(self) -> dict[str, Any]:
        document = self.document
        for area in document.content_areas:
            area_id = self.add(area, Role.CONTENT_AREA, self.doc_id, "")
            for standard in area.standards:
                self.add_standard(standard, Role.STANDARD, area_id)
        for standard in document.cross_curricular:
            self.add_standard(standard, Role.CROSS_CURRICULAR, self.doc_id)
        for standard in document.habits_of_work:
            self.add_standard(standard, Role.HABIT_OF_WORK, self.doc_id)
        cf_document: dict[str, Any] = {
            "identifier": self.doc_id,
            "uri": _uri(self.doc_id),
            "creator": "Proficiency Bridge",
            "title": document.title,
            "lastChangeDateTime": self.changed,
            "version": str(document.version),
            "caseVersion": "1.1",
            "extensions": {EXTENSION_KEY: {"code": document.code}},
        }
        if document.description:
            cf_document["description"] = document.description
        return {
            "CFDocument": cf_document,
            "CFItems": self.items,
            "CFAssociations": self.associations,
            "CFDefinitions": {
                "CFConcepts": [],
                "CFSubjects": [],
                "CFLicenses": [],
                "CFItemTypes": [self.item_type(role) for role in Role],
                "CFAssociationGroupings": [],
            },
            "CFRubrics": [self.rubric()],
        }

    def item_type(self, role: Role) -> dict[str, Any]:
        identifier = _derived("item-type", role.value)
        return {
            "identifier": identifier,
            "uri": _uri(identifier),
            "title": role.value,
            "description": f"A {role.value.lower()} of a proficiency-based framework",
            "hierarchyCode": str(list(Role).index(role) + 1),
            "typeCode": role.value.replace(" ", "").replace("-", ""),
            "lastChangeDateTime": self.changed,
        }

    def add_standard(self, standard: GraduationStandard, role: Role, parent: str) -> None:
        standard_id = self.add(standard, role, parent, standard.description)
        for indicator in standard.indicators:
            indicator_id = self.add(indicator, Role.INDICATOR, standard_id, indicator.description)
            for objective in indicator.objectives:
                self.add(objective, Role.OBJECTIVE, indicator_id, "")

    def add(self, item: Any, role: Role, parent: str, notes: str) -> str:
        identifier = item.case_identifier or _derived("item", self.document.code, item.code)
        entry: dict[str, Any] = {
            "identifier": identifier,
            "uri": _uri(identifier),
            "CFDocumentURI": self.doc_link,
            "humanCodingScheme": item.code,
            "fullStatement": item.title,
            "CFItemType": role.value,
            "CFItemTypeURI": self.type_link(role),
            "lastChangeDateTime": self.changed,
        }
        if notes:
            entry["notes"] = notes
        self.items.append(entry)
        self.codes[identifier] = item.code
        self.siblings[parent] = self.siblings.get(parent, 0) + 1
        parent_title = self.codes.get(parent, self.document.title)
        association_id = _derived("isChildOf", identifier, parent)
        self.associations.append(
            {
                "identifier": association_id,
                "uri": _uri(association_id),
                "CFDocumentURI": self.doc_link,
                "associationType": "isChildOf",
                "sequenceNumber": self.siblings[parent],
                "originNodeURI": self.link(identifier, item.code),
                "destinationNodeURI": self.link(parent, parent_title),
                "lastChangeDateTime": self.changed,
            }
        )
        return identifier

    def rubric(self) -> dict[str, Any]:
        scale = self.document.scale
        rubric_id = _derived("rubric", self.doc_id)
        criterion_id = _derived("criterion", rubric_id)
        levels = []
        for position, level in enumerate(scale.levels, start=1):
            level_id = _derived("level", criterion_id, str(level.value))
            entry: dict[str, Any] = {
                "identifier": level_id,
                "uri": _uri(level_id),
                "quality": level.label,
                "score": _json_number(level.value),
                "position": position,
                "rubricCriterionId": criterion_id,
                "lastChangeDateTime": self.changed,
                "extensions": {EXTENSION_KEY: {"colour": level.colour}},
            }
            if level.description:
                entry["description"] = level.description
            levels.append(entry)
        return {
            "identifier": rubric_id,
            "uri": _uri(rubric_id),
            "title": "Scoring criteria",
            "description": f"The common scale of {self.document.title}",
            "lastChangeDateTime": self.changed,
            "extensions": {
                EXTENSION_KEY: {"meets": _json_number(scale.meets), "halfPoints": scale.half_points}
            },
            "CFRubricCriteria": [
                {
                    "identifier": criterion_id,
                    "uri": _uri(criterion_id),
                    "category": "Proficiency",
                    "description": "The level a body of evidence shows",
                    "position": 1,
                    "rubricId": rubric_id,
                    "lastChangeDateTime": self.changed,
                    "CFRubricCriterionLevels": levels,
                }
            ],
        }
