"""Our own framework file: YAML a curriculum coordinator can read and write by hand.

It follows the shape of the framework, content areas down to learning objectives::

    code: SAMPLE-HS                     # required: the framework's stable code
    title: Sample High School Graduation Standards   # required
    version: 1                          # informative; the store numbers versions itself
    description: |
      Free text, as many lines as needed.
    scale:                              # optional: the four-level 1-4 scale when absent
      meets: 3                          # required with levels: where proficiency begins
      half_points: no                   # yes: standings may land on 2.5, 3.5
      levels:                           # lowest first or in any order
        - value: 1                      # required, a number
          label: Does not meet          # required
          colour: "#b3261e"             # required; quote it, as # starts a YAML comment
          description: Not yet, even with support
    content_areas:
      - code: MATH                      # required in every item: stable, unique in the file
        title: Mathematics              # required in every item
        standards:
          - code: MATH.1
            title: Reason with equations and inequalities
            description: optional text
            indicators:
              - code: MATH.1.PI.1
                title: Solve linear equations in one variable
                description: optional text
                objectives:             # optional: guide unit design, never reported
                  - code: MATH.1.PI.1.LO.1
                    title: Combine like terms
    cross_curricular_standards:         # standards taught in every content area
      - code: CC.1
        title: Communicate clearly
        indicators: [...]               # as for content-area standards
    habits_of_work:                     # assessed and reported apart from academics
      - code: HOW.1
        title: Responsibility
        indicators: [...]

Every item may also carry ``case_identifier`` (the CASE UUID it came from). Unknown keys are
refused (a misspelt ``indicator:`` would otherwise drop indicators silently), as are YAML
aliases and several documents in one file. Values are read as text, never guessed: a code
``1.10`` stays ``1.10``.
"""

from __future__ import annotations

import difflib
from decimal import Decimal
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from mappings.framework import (
    ContentArea,
    FrameworkDocument,
    GraduationStandard,
    LearningObjective,
    PerformanceIndicator,
    StandardKind,
    build_scale,
    check_level,
    check_level_value,
)
from mappings.framework_formats.places import CodeBook, FilePlace, located
from mappings.framework_formats.text_values import (
    decimal_from,
    decimal_text,
    flag_from,
    whole_number_from,
)
from mappings.scale import Level, Scale, default_scale
from pbridge.errors import FrameworkImportError

_NULL_TAG = "tag:yaml.org,2002:null"
#: libyaml's parser when installed (fifteen times faster); both give the same nodes and marks
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TOP_KEYS = (
    "code",
    "title",
    "version",
    "description",
    "case_identifier",
    "scale",
    "content_areas",
    "cross_curricular_standards",
    "habits_of_work",
)
_SCALE_KEYS = ("meets", "half_points", "levels")
_LEVEL_KEYS = ("value", "label", "colour", "description")
_AREA_KEYS = ("code", "title", "case_identifier", "standards")
_STANDARD_KEYS = ("code", "title", "description", "case_identifier", "indicators")
_INDICATOR_KEYS = ("code", "title", "description", "case_identifier", "objectives")
_OBJECTIVE_KEYS = ("code", "title", "case_identifier")


def parse(data: bytes | str, *, file_name: str) -> FrameworkDocument:
    """Read a framework file; `FrameworkImportError` names the line and field when it is wrong."""
    text = _decoded(data, file_name)
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{file_name}, line {mark.line + 1}" if mark else file_name
        problem = error.problem or error.context or "unreadable"
        raise FrameworkImportError(f"this is not valid YAML: {problem}", where=where) from None
    except yaml.YAMLError as error:
        raise FrameworkImportError(f"this is not valid YAML: {error}", where=file_name) from None
    if root is None:
        raise FrameworkImportError("the file is empty; it needs at least a code and a title", where=file_name)
    return _Reader(file_name).document(root)


def export(document: FrameworkDocument) -> str:
    """The document as our YAML file, in the order and layout `parse` reads."""
    out: dict[str, Any] = {"code": document.code, "title": document.title}
    out["version"] = document.version
    if document.description:
        out["description"] = document.description
    if document.case_identifier:
        out["case_identifier"] = document.case_identifier
    out["scale"] = _scale_out(document.scale)
    out["content_areas"] = [
        _item_out(area, standards=[_standard_out(s) for s in area.standards])
        for area in document.content_areas
    ]
    out["cross_curricular_standards"] = [_standard_out(s) for s in document.cross_curricular]
    out["habits_of_work"] = [_standard_out(s) for s in document.habits_of_work]
    return yaml.dump(out, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096, indent=2)


def _decoded(data: bytes | str, file_name: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FrameworkImportError(
            "the file is not UTF-8 text; save it as UTF-8", where=f"{file_name}, line {line}"
        ) from None


class _Mapping:
    """One YAML mapping read field by field, so unknown and missing keys name their line."""

    def __init__(self, node: Node, reader: _Reader, *, what: str) -> None:
        self.reader = reader
        self.what = what
        self.line = node.start_mark.line + 1
        if not isinstance(node, MappingNode):
            raise self.place().error(f"{what} must be a set of 'key: value' lines")
        reader.visit(node)
        self.fields: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                raise FilePlace(reader.file, f"line {key_line}").error("a key must be a word")
            if key_node.value in self.fields:
                raise FilePlace(reader.file, f"line {key_line}").error(
                    f"the key '{key_node.value}' appears twice in {what}"
                )
            self.fields[key_node.value] = (key_node, value_node)

    def place(self, key: str | None = None) -> FilePlace:
        if key is not None and key in self.fields:
            line = self.fields[key][0].start_mark.line + 1
            return FilePlace(self.reader.file, f"line {line}, field '{key}'")
        return FilePlace(self.reader.file, f"line {self.line}")

    def text(self, key: str, *, required: bool = False) -> str | None:
        entry = self.fields.get(key)
        value = None
        if entry is not None:
            node = entry[1]
            if not isinstance(node, ScalarNode):
                raise self.place(key).error(f"'{key}' must be text, not a list or a mapping")
            if node.tag != _NULL_TAG:
                value = node.value
        if required and (value is None or not value.strip()):
            hint = ' (quote colours: colour: "#2e7d32")' if key == "colour" else ""
            raise self.place(key).error(f"{self.what} has no {key}; add '{key}: ...'{hint}")
        return value

    def mappings(self, key: str, *, what: str) -> list[_Mapping]:
        entry = self.fields.get(key)
        if entry is None or (isinstance(entry[1], ScalarNode) and entry[1].tag == _NULL_TAG):
            return []
        node = entry[1]
        if not isinstance(node, SequenceNode):
            raise self.place(key).error(f"'{key}' must be a list of items, each starting with '- '")
        self.reader.visit(node)
        return [_Mapping(child, self.reader, what=what) for child in node.value]

    def mapping(self, key: str, *, what: str) -> _Mapping | None:
        entry = self.fields.get(key)
        if entry is None or (isinstance(entry[1], ScalarNode) and entry[1].tag == _NULL_TAG):
            return None
        return _Mapping(entry[1], self.reader, what=what)

    def only(self, allowed: tuple[str, ...]) -> None:
        for key in self.fields:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(allowed)}"
                raise self.place(key).error(f"unknown field '{key}' in {self.what}{hint}")


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.codes = CodeBook()
        self._seen: set[int] = set()

    def visit(self, node: Node) -> None:
        """Refuse aliases: a shared node would be read twice (and could blow up in size)."""
        if id(node) in self._seen:
            line = node.start_mark.line + 1
            raise FilePlace(self.file, f"line {line}").error(
                "YAML aliases (*name) are not supported in framework files; write the item out"
            )
        self._seen.add(id(node))

    def document(self, root: Node) -> FrameworkDocument:
        top = _Mapping(root, self, what="the framework")
        top.only(_TOP_KEYS)
        code = top.text("code", required=True) or ""
        title = top.text("title", required=True) or ""
        version = 1
        version_text = top.text("version")
        if version_text is not None:
            with located(top.place("version")):
                version = whole_number_from(version_text, what="version")
        scale_map = top.mapping("scale", what="the scale")
        scale = self.scale(scale_map) if scale_map else default_scale()
        areas = tuple(self.content_area(m) for m in top.mappings("content_areas", what="a content area"))
        cross = self.standards(top, "cross_curricular_standards", StandardKind.CROSS_CURRICULAR)
        habits = self.standards(top, "habits_of_work", StandardKind.HABIT_OF_WORK)
        with located(top.place()):
            return FrameworkDocument(
                code=code,
                title=title,
                version=version,
                description=top.text("description") or "",
                case_identifier=top.text("case_identifier"),
                scale=scale,
                content_areas=areas,
                cross_curricular=cross,
                habits_of_work=habits,
            )

    def scale(self, node: _Mapping) -> Scale:
        node.only(_SCALE_KEYS)
        half_points = False
        half_text = node.text("half_points")
        if half_text is not None:
            with located(node.place("half_points")):
                half_points = flag_from(half_text, what="half_points value")
        level_maps = node.mappings("levels", what="a level")
        if not level_maps:
            if node.text("meets") is not None:
                raise node.place("meets").error("'meets' needs the levels it refers to; add 'levels:'")
            return default_scale(half_points=half_points)
        levels = []
        for level_map in level_maps:
            level_map.only(_LEVEL_KEYS)
            value_text = level_map.text("value", required=True) or ""
            with located(level_map.place("value")):
                value = check_level_value(decimal_from(value_text, what="level value"))
            level = Level(
                value=value,
                label=(level_map.text("label", required=True) or "").strip(),
                colour=(level_map.text("colour", required=True) or "").strip(),
                description=(level_map.text("description") or "").strip(),
            )
            with located(level_map.place("colour")):
                check_level(level)
            levels.append(level)
        meets_text = node.text("meets", required=True) or ""
        with located(node.place("meets")):
            meets = decimal_from(meets_text, what="meets value")
        with located(node.place()):
            return build_scale(tuple(levels), meets=meets, half_points=half_points)

    def code(self, node: _Mapping, noun: str) -> str:
        code = (node.text("code", required=True) or "").strip()
        self.codes.claim(code, node.place("code"))
        node.what = f"the {noun} '{code}'"
        return code

    def content_area(self, node: _Mapping) -> ContentArea:
        code = self.code(node, "content area")
        node.only(_AREA_KEYS)
        standards = self.standards(node, "standards", StandardKind.CONTENT_AREA)
        with located(node.place()):
            return ContentArea(
                code=code,
                title=node.text("title", required=True) or "",
                standards=standards,
                case_identifier=node.text("case_identifier"),
            )

    def standards(self, owner: _Mapping, key: str, kind: StandardKind) -> tuple[GraduationStandard, ...]:
        found = []
        for node in owner.mappings(key, what=f"a {kind.words}"):
            code = self.code(node, kind.words)
            node.only(_STANDARD_KEYS)
            indicators = tuple(self.indicator(m) for m in node.mappings("indicators", what="an indicator"))
            with located(node.place()):
                found.append(
                    GraduationStandard(
                        code=code,
                        title=node.text("title", required=True) or "",
                        kind=kind,
                        description=node.text("description") or "",
                        indicators=indicators,
                        case_identifier=node.text("case_identifier"),
                    )
                )
        return tuple(found)

    def indicator(self, node: _Mapping) -> PerformanceIndicator:
        code = self.code(node, "indicator")
        node.only(_INDICATOR_KEYS)
        objectives = tuple(
            self.objective(m) for m in node.mappings("objectives", what="a learning objective")
        )
        with located(node.place()):
            return PerformanceIndicator(
                code=code,
                title=node.text("title", required=True) or "",
                description=node.text("description") or "",
                objectives=objectives,
                case_identifier=node.text("case_identifier"),
            )

    def objective(self, node: _Mapping) -> LearningObjective:
        code = self.code(node, "learning objective")
        node.only(_OBJECTIVE_KEYS)
        with located(node.place()):
            return LearningObjective(
                code=code,
                title=node.text("title", required=True) or "",
                case_identifier=node.text("case_identifier"),
            )


def _scale_out(scale: Scale) -> dict[str, Any]:
    levels = []
    for level in scale.levels:
        entry: dict[str, Any] = {"value": level.value, "label": level.label, "colour": level.colour}
        if level.description:
            entry["description"] = level.description
        levels.append(entry)
    return {"meets": scale.meets, "half_points": scale.half_points, "levels": levels}


def _item_out(item: Any, **children: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"code": item.code, "title": item.title}
    if getattr(item, "description", ""):
        out["description"] = item.description
    if item.case_identifier:
        out["case_identifier"] = item.case_identifier
    for key, values in children.items():
        if values:
            out[key] = values
    return out


def _standard_out(standard: GraduationStandard) -> dict[str, Any]:
    return _item_out(
        standard,
        indicators=[
            _item_out(indicator, objectives=[_item_out(o) for o in indicator.objectives])
            for indicator in standard.indicators
        ],
    )


class _Dumper(yaml.SafeDumper):
    """Writes statements on several lines as blocks and scale values as plain numbers."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # lists indented under their key, as people write them by hand
        super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = decimal_text(value)
    tag = "tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int"
    return dumper.represent_scalar(tag, text)


_Dumper.add_representer(str, _represent_text)
_Dumper.add_representer(Decimal, _represent_decimal)
