"""A framework as a spreadsheet: one row per item, children pointing at their parent's code.

The first line names the columns, in any order (case does not matter). ``type``, ``code``,
``parent`` and ``title`` are required; the others may be left out:

=================  ==========================================================================
column             meaning
=================  ==========================================================================
type               framework, level, content_area, standard, cross_curricular,
                   habit_of_work, indicator or objective
code               the item's stable code, unique in the file (empty on level rows)
parent             the code of the item above: a content area for a standard, a standard
                   (of any kind) for an indicator, an indicator for an objective; empty for
                   the others
title              the statement; on a level row, the level's label (e.g. "Meets")
description        optional longer text (not on content area and objective rows)
value              level rows only: the level's number (1, 2, 3, 4)
colour             level rows only: a colour such as #1b5e20
meets              framework row only: the value where proficiency begins (e.g. 3)
half_points        framework row only: yes when standings may land on halves
version            framework row only: the version number (informative)
case_identifier    optional CASE UUID of the item (not on level rows)
=================  ==========================================================================

Exactly one ``framework`` row; no ``level`` rows means the four-level 1-4 scale. Siblings
keep the order of their rows; a child's row may come before or after its parent's. Blank
rows are skipped. A cell filled in a column that does not apply to its row is refused, as
it is usually a sign of shifted columns. Errors are `CsvImportError` naming line and column.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections import defaultdict
from dataclasses import dataclass

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
from mappings.framework_formats.places import CodeBook, CsvPlace, located
from mappings.framework_formats.text_values import (
    decimal_from,
    decimal_text,
    flag_from,
    whole_number_from,
)
from mappings.scale import Level, Scale, default_scale
from pbridge.errors import CsvImportError

COLUMNS = (
    "type",
    "code",
    "parent",
    "title",
    "description",
    "value",
    "colour",
    "meets",
    "half_points",
    "version",
    "case_identifier",
)
_REQUIRED_COLUMNS = ("type", "code", "parent", "title")

_STANDARD_TYPES = {
    "standard": StandardKind.CONTENT_AREA,
    "cross_curricular": StandardKind.CROSS_CURRICULAR,
    "habit_of_work": StandardKind.HABIT_OF_WORK,
}
#: the columns each row type may fill
_APPLIES = {
    "framework": {"code", "title", "description", "meets", "half_points", "version", "case_identifier"},
    "level": {"title", "description", "value", "colour"},
    "content_area": {"code", "title", "case_identifier"},
    "standard": {"code", "parent", "title", "description", "case_identifier"},
    "cross_curricular": {"code", "title", "description", "case_identifier"},
    "habit_of_work": {"code", "title", "description", "case_identifier"},
    "indicator": {"code", "parent", "title", "description", "case_identifier"},
    "objective": {"code", "parent", "title", "case_identifier"},
}
_REQUIRED = {
    "framework": ("code", "title"),
    "level": ("value", "title", "colour"),
    "content_area": ("code", "title"),
    "standard": ("code", "parent", "title"),
    "cross_curricular": ("code", "title"),
    "habit_of_work": ("code", "title"),
    "indicator": ("code", "parent", "title"),
    "objective": ("code", "parent", "title"),
}
#: which row types may be the parent of which
_PARENTS = {
    "standard": ("content_area",),
    "indicator": ("standard", "cross_curricular", "habit_of_work"),
    "objective": ("indicator",),
}


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    type: str
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "").strip()

    def at(self, file: str, column: str = "") -> CsvPlace:
        return CsvPlace(file, self.line, column)


def parse(data: bytes | str, *, file_name: str) -> FrameworkDocument:
    """Read a framework spreadsheet; `CsvImportError` names the line and column when it is wrong."""
    rows = _rows(_decoded(data, file_name), file_name)
    return _Builder(file_name, rows).document()


def export(document: FrameworkDocument) -> str:
    """The document as CSV with every column, parents before children."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerow(
        {
            "type": "framework",
            "code": document.code,
            "title": document.title,
            "description": document.description,
            "meets": decimal_text(document.scale.meets),
            "half_points": "yes" if document.scale.half_points else "no",
            "version": str(document.version),
            "case_identifier": document.case_identifier or "",
        }
    )
    for level in document.scale.levels:
        writer.writerow(
            {
                "type": "level",
                "title": level.label,
                "description": level.description,
                "value": decimal_text(level.value),
                "colour": level.colour,
            }
        )
    for area in document.content_areas:
        writer.writerow(_item_row("content_area", area.code, "", area.title, "", area.case_identifier))
        for standard in area.standards:
            _write_standard(writer, "standard", standard, parent=area.code)
    for standard in document.cross_curricular:
        _write_standard(writer, "cross_curricular", standard, parent="")
    for standard in document.habits_of_work:
        _write_standard(writer, "habit_of_work", standard, parent="")
    return buffer.getvalue()


def _item_row(
    kind: str, code: str, parent: str, title: str, description: str, case_identifier: str | None
) -> dict[str, str]:
    return {
        "type": kind,
        "code": code,
        "parent": parent,
        "title": title,
        "description": description,
        "case_identifier": case_identifier or "",
    }


def _write_standard(
    writer: csv.DictWriter[str], kind: str, standard: GraduationStandard, *, parent: str
) -> None:
    writer.writerow(
        _item_row(kind, standard.code, parent, standard.title, standard.description, standard.case_identifier)
    )
    for indicator in standard.indicators:
        writer.writerow(
            _item_row(
                "indicator",
                indicator.code,
                standard.code,
                indicator.title,
                indicator.description,
                indicator.case_identifier,
            )
        )
        for objective in indicator.objectives:
            writer.writerow(
                _item_row(
                    "objective",
                    objective.code,
                    indicator.code,
                    objective.title,
                    "",
                    objective.case_identifier,
                )
            )


def _decoded(data: bytes | str, file_name: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CsvImportError(
            "the file is not UTF-8 text; save it as 'CSV UTF-8'", file=file_name, line=line
        ) from None


def _rows(text: str, file_name: str) -> list[_Row]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise CsvImportError(f"unreadable CSV: {error}", file=file_name, line=1) from None
    if header is None:
        raise CsvImportError(
            "the file is empty; the first line must name the columns", file=file_name, line=1
        )
    columns = [name.strip().lower() for name in header]
    _check_header(columns, header, file_name)
    rows: list[_Row] = []
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader, None)
        except csv.Error as error:
            raise CsvImportError(
                f"unreadable CSV: {error}; look for a quote that is opened and never closed",
                file=file_name,
                line=line,
            ) from None
        if values is None:
            return rows
        if not any(value.strip() for value in values):
            continue
        if len(values) > len(columns):
            raise CsvImportError(
                f"this row has {len(values)} cells but the first line names {len(columns)}"
                " columns; check for a stray comma or an unquoted text with a comma",
                file=file_name,
                line=line,
            )
        cells = dict(zip(columns, values, strict=False))
        kind = cells.get("type", "").strip().lower()
        if kind not in _APPLIES:
            close = difflib.get_close_matches(kind, list(_APPLIES), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; use one of {', '.join(_APPLIES)}"
            raise CsvImportError(f"unknown type {kind!r}{hint}", file=file_name, line=line, column="type")
        rows.append(_Row(line, kind, cells))


def _check_header(columns: list[str], header: list[str], file_name: str) -> None:
    for position, name in enumerate(columns):
        if name not in COLUMNS:
            close = difflib.get_close_matches(name, COLUMNS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known columns: {', '.join(COLUMNS)}"
            if ";" in header[position]:
                hint = "; the file seems separated by semicolons: save it as comma-separated CSV"
            raise CsvImportError(f"unknown column {header[position]!r}{hint}", file=file_name, line=1)
        if name in columns[:position]:
            raise CsvImportError(f"the column '{name}' is named twice", file=file_name, line=1)
    missing = [name for name in _REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise CsvImportError(
            f"the first line must name the columns {', '.join(_REQUIRED_COLUMNS)};"
            f" missing: {', '.join(missing)}",
            file=file_name,
            line=1,
        )


def _a(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


class _Builder:
    def __init__(self, file: str, rows: list[_Row]) -> None:
        self.file = file
        self.rows = rows
        self.by_code: dict[str, _Row] = {}
        self.children: dict[str, list[_Row]] = defaultdict(list)

    def document(self) -> FrameworkDocument:
        codes = CodeBook()
        framework_rows = [row for row in self.rows if row.type == "framework"]
        for row in self.rows:
            self.check_cells(row)
            if row.type in ("framework", "level"):
                continue
            code = row.get("code")
            codes.claim(code, row.at(self.file, "code"))
            self.by_code[code] = row
        if not framework_rows:
            raise CsvImportError(
                "there is no row of type 'framework'; add one with the framework's code and title",
                file=self.file,
                line=1,
                column="type",
            )
        if len(framework_rows) > 1:
            raise (
                framework_rows[1]
                .at(self.file, "type")
                .error(f"a second 'framework' row; the first is on line {framework_rows[0].line}")
            )
        for row in self.rows:
            if row.type in _PARENTS:
                self.check_parent(row)
        top = framework_rows[0]
        scale = self.scale(top)
        version = 1
        if top.get("version"):
            with located(top.at(self.file, "version")):
                version = whole_number_from(top.get("version"), what="version")
        areas = tuple(self.content_area(row) for row in self.rows if row.type == "content_area")
        cross = tuple(self.standard(row) for row in self.rows if row.type == "cross_curricular")
        habits = tuple(self.standard(row) for row in self.rows if row.type == "habit_of_work")
        with located(top.at(self.file)):
            return FrameworkDocument(
                code=top.get("code"),
                title=top.get("title"),
                version=version,
                description=top.cells.get("description", ""),
                case_identifier=top.get("case_identifier") or None,
                scale=scale,
                content_areas=areas,
                cross_curricular=cross,
                habits_of_work=habits,
            )

    def check_cells(self, row: _Row) -> None:
        for column, value in row.cells.items():
            if value.strip() and column != "type" and column not in _APPLIES[row.type]:
                raise row.at(self.file, column).error(
                    f"the column '{column}' does not apply to {_a(row.type)} row; leave it empty"
                )
        for column in _REQUIRED[row.type]:
            if not row.get(column):
                raise row.at(self.file, column).error(f"{_a(row.type)} row needs a {column}")

    def check_parent(self, row: _Row) -> None:
        parent_code = row.get("parent")
        parent = self.by_code.get(parent_code)
        allowed = _PARENTS[row.type]
        if parent is None:
            raise row.at(self.file, "parent").error(
                f"no {' or '.join(allowed)} row has the code '{parent_code}' in this file"
            )
        if parent.type not in allowed:
            raise row.at(self.file, "parent").error(
                f"'{parent_code}' (line {parent.line}) is a {parent.type};"
                f" the parent of {_a(row.type)} must be {' or '.join(_a(kind) for kind in allowed)}"
            )
        self.children[parent_code].append(row)

    def scale(self, top: _Row) -> Scale:
        half_points = False
        if top.get("half_points"):
            with located(top.at(self.file, "half_points")):
                half_points = flag_from(top.get("half_points"), what="half_points value")
        level_rows = [row for row in self.rows if row.type == "level"]
        if not level_rows:
            if top.get("meets"):
                raise top.at(self.file, "meets").error("'meets' needs level rows to refer to")
            return default_scale(half_points=half_points)
        levels = []
        for row in level_rows:
            with located(row.at(self.file, "value")):
                value = check_level_value(decimal_from(row.get("value"), what="level value"))
            level = Level(
                value, row.get("title"), row.get("colour"), row.cells.get("description", "").strip()
            )
            with located(row.at(self.file, "colour")):
                check_level(level)
            levels.append(level)
        if not top.get("meets"):
            raise top.at(self.file, "meets").error(
                "say which level value meets the standard (e.g. 3) in the framework row"
            )
        with located(top.at(self.file, "meets")):
            meets = decimal_from(top.get("meets"), what="meets value")
            return build_scale(tuple(levels), meets=meets, half_points=half_points)

    def content_area(self, row: _Row) -> ContentArea:
        standards = tuple(self.standard(child) for child in self.children[row.get("code")])
        with located(row.at(self.file)):
            return ContentArea(
                code=row.get("code"),
                title=row.get("title"),
                standards=standards,
                case_identifier=row.get("case_identifier") or None,
            )

    def standard(self, row: _Row) -> GraduationStandard:
        indicators = tuple(self.indicator(child) for child in self.children[row.get("code")])
        with located(row.at(self.file)):
            return GraduationStandard(
                code=row.get("code"),
                title=row.cells["title"],
                kind=_STANDARD_TYPES[row.type],
                description=row.cells.get("description", ""),
                indicators=indicators,
                case_identifier=row.get("case_identifier") or None,
            )

    def indicator(self, row: _Row) -> PerformanceIndicator:
        objectives = tuple(self.objective(child) for child in self.children[row.get("code")])
        with located(row.at(self.file)):
            return PerformanceIndicator(
                code=row.get("code"),
                title=row.cells["title"],
                description=row.cells.get("description", ""),
                objectives=objectives,
                case_identifier=row.get("case_identifier") or None,
            )

    def objective(self, row: _Row) -> LearningObjective:
        with located(row.at(self.file)):
            return LearningObjective(
                code=row.get("code"),
                title=row.cells["title"],
                case_identifier=row.get("case_identifier") or None,
            )
