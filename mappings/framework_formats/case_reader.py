"""Reading a CASE CFPackage into a framework: the tree, what each item becomes, its codes."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mappings.framework import (
    CODE_MAX,
    ContentArea,
    FrameworkDocument,
    GraduationStandard,
    LearningObjective,
    PerformanceIndicator,
    StandardKind,
)
from mappings.framework_formats.case_package import (
    ALLOWED_UNDER,
    NAMESPACE,
    STANDARD_KINDS,
    Entry,
    Role,
    role_named,
)
from mappings.framework_formats.case_rubrics import scale_from_rubrics
from mappings.framework_formats.places import CodeBook, FilePlace, located
from pbridge.errors import FrameworkImportError


def read_package(data: bytes | str, *, file_name: str) -> FrameworkDocument:
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


@dataclass(frozen=True, slots=True)
class _Item:
    index: int
    entry: Entry
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
        self.package = Entry(package, file, "the package")
        self.doc = Entry(package["CFDocument"], file, "CFDocument")
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
        scale = scale_from_rubrics(self.package)
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
            entry = Entry(value, self.file, f"CFItems[{index}]")
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
        holder = Entry(definitions, self.file, "CFDefinitions")
        found: dict[str, tuple[str, ...]] = {}
        for index, value in holder.entries("CFItemTypes"):
            entry = Entry(value, self.file, f"CFDefinitions.CFItemTypes[{index}]")
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
    def type_names(entry: Entry, definitions: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
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

    def node_identifier(self, entry: Entry, field: str) -> str:
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
            entry = Entry(value, self.file, f"CFAssociations[{index}]")
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
            sequence = self.sequencenumber(entry)
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
    def sequencenumber(entry: Entry) -> int | None:
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
            role = role_named(item.type_names)
            if role is None:
                return None
            roles[item.identifier] = role
        for parent, child in self.walk(self.doc_id):
            parent_role = None if parent == self.doc_id else roles[parent]
            if roles[child] not in ALLOWED_UNDER[parent_role]:
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
        if all(STANDARD_KINDS.get(roles[i]) is StandardKind.CONTENT_AREA for i in top):
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
                kind=STANDARD_KINDS[roles[identifier]],
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
