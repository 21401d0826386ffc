"""The class view: a heatmap of students × indicators, grouped by graduation standard.

Each cell is the student's standing on the indicator in this course, shown as number and
label (`levels`); a standard's roll-up opens its group. Habits of work get their own grid.
Sorting and filtering happen here (the page works without JavaScript): by name, by how many
indicators a student is below "meets" on, or by one column; one standard only; only students
below "meets" somewhere; a name search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from lti.pages.levels import LevelShown, ScaleView, scale_view_for
from lti.pages.tables import Table
from store.alignments import course_alignments
from store.page_queries import IndicatorEntry, StandingCell, indicator_catalogue, standing_cells
from store.people import User, course_students
from store.standings import StandingKind


@dataclass(frozen=True, slots=True)
class HeatCell:
    standing_id: int | None
    shown: LevelShown | None  # None: no standing yet (nothing recorded)
    overridden: bool = False


EMPTY = HeatCell(None, None)


@dataclass(frozen=True, slots=True)
class HeatColumn:
    indicator_id: int
    code: str
    title: str


@dataclass(frozen=True, slots=True)
class HeatGroup:
    standard_id: int
    code: str
    title: str
    columns: tuple[HeatColumn, ...]


@dataclass(frozen=True, slots=True)
class HeatRow:
    student_id: int
    name: str
    #: per group: the standard's cell, then one cell per indicator column
    groups: tuple[tuple[HeatCell, tuple[HeatCell, ...]], ...]
    below: int
    insufficient: int


@dataclass(frozen=True, slots=True)
class Grid:
    title: str
    groups: tuple[HeatGroup, ...]
    rows: tuple[HeatRow, ...]

    @property
    def column_count(self) -> int:
        return sum(len(g.columns) + 1 for g in self.groups)


@dataclass(frozen=True, slots=True)
class ClassQuery:
    """What the teacher asked the grid to show."""

    sort: str = "name"  # "name", "below", or "i<indicator id>" / "s<standard id>"
    standard_id: int | None = None
    only_below: bool = False
    search: str = ""

    @classmethod
    def parse(cls, args: dict[str, str]) -> ClassQuery:
        sort = args.get("sort", "name")
        if sort not in ("name", "below") and not (sort[:1] in ("i", "s") and sort[1:].isdigit()):
            sort = "name"
        standard = args.get("standard", "")
        return cls(
            sort=sort,
            standard_id=int(standard) if standard.isdigit() else None,
            only_below=args.get("only") == "below",
            search=args.get("q", "").strip()[:100],
        )


@dataclass(frozen=True, slots=True)
class ClassView:
    academics: Grid
    habits: Grid
    scale: ScaleView
    query: ClassQuery
    standards: tuple[HeatGroup, ...]  # every academic standard, for the filter
    students_total: int

    @property
    def empty(self) -> bool:
        return not self.academics.groups and not self.habits.groups

    def tables(self) -> list[Table]:
        return [_grid_table("heatmap", self.academics), _grid_table("habits", self.habits)]


def _grid_table(key: str, grid: Grid) -> Table:
    columns = ["Student"]
    for group in grid.groups:
        columns.append(f"{group.code} (standard)")
        columns.extend(c.code for c in group.columns)
    rows = []
    for row in grid.rows:
        cells = [row.name]
        for standard_cell, indicator_cells in row.groups:
            for cell in (standard_cell, *indicator_cells):
                cells.append(_cell_text(cell))
        rows.append(cells)
    return Table.of(key, grid.title, columns, rows)


def _cell_text(cell: HeatCell) -> str:
    if cell.shown is None:
        return ""
    if cell.shown.value is None:
        return "IE"
    return cell.shown.number + (" (override)" if cell.overridden else "")


def class_view(session: Session, course_id: int, query: ClassQuery) -> ClassView:
    """Everything the class page shows, in a handful of queries."""
    students = course_students(session, course_id)
    indicator_cells = standing_cells(session, kind=StandingKind.INDICATOR, course_ids=[course_id])
    standard_cells = standing_cells(session, kind=StandingKind.STANDARD, course_ids=[course_id])
    aligned = {i.id for a in course_alignments(session, course_id) for i in a.indicators}
    catalogue = indicator_catalogue(
        session, aligned | {c.indicator_id for c in indicator_cells if c.indicator_id is not None}
    )
    scale = scale_view_for(session, catalogue.values())
    by_indicator = {(c.student_id, c.indicator_id): c for c in indicator_cells}
    by_standard = {(c.student_id, c.standard_id): c for c in standard_cells}

    academic = [e for e in catalogue.values() if not e.habit]
    habit = [e for e in catalogue.values() if e.habit]
    all_groups = _groups(academic)
    shown_groups = [g for g in all_groups if query.standard_id in (None, g.standard_id)]
    academics = _grid(
        "Standings by performance indicator", shown_groups, students, by_indicator, by_standard, scale
    )
    habits = _grid("Habits of work", _groups(habit), students, by_indicator, by_standard, scale)
    rows = _filtered(academics.rows, query)
    rows = _sorted(rows, query, academics.groups)
    habit_rows = _sorted(_filtered(habits.rows, ClassQuery(search=query.search)), ClassQuery(), habits.groups)
    return ClassView(
        academics=Grid(academics.title, academics.groups, tuple(rows)),
        habits=Grid(habits.title, habits.groups, tuple(habit_rows)),
        scale=scale,
        query=query,
        standards=tuple(all_groups),
        students_total=len(students),
    )


def _groups(entries: Sequence[IndicatorEntry]) -> list[HeatGroup]:
    by_standard: dict[int, list[IndicatorEntry]] = {}
    for entry in entries:
        by_standard.setdefault(entry.standard_id, []).append(entry)
    groups = []
    for items in sorted(by_standard.values(), key=lambda es: (es[0].standard_position, es[0].standard_code)):
        items.sort(key=lambda e: (e.position, e.code))
        first = items[0]
        groups.append(
            HeatGroup(
                standard_id=first.standard_id,
                code=first.standard_code,
                title=first.standard_title,
                columns=tuple(HeatColumn(e.id, e.code, e.title) for e in items),
            )
        )
    return groups


def _cell(found: StandingCell | None, scale: ScaleView) -> HeatCell:
    if found is None:
        return EMPTY
    return HeatCell(found.id, scale.show(found.value), found.overridden)


def _grid(
    title: str,
    groups: list[HeatGroup],
    students: list[User],
    by_indicator: dict[tuple[int, int | None], StandingCell],
    by_standard: dict[tuple[int, int | None], StandingCell],
    scale: ScaleView,
) -> Grid:
    rows = []
    for student in students:
        below = insufficient = 0
        parts = []
        for group in groups:
            cells = []
            for column in group.columns:
                cell = _cell(by_indicator.get((student.id, column.indicator_id)), scale)
                if cell.shown is not None:
                    if cell.shown.value is None:
                        insufficient += 1
                    elif cell.shown.met is False:
                        below += 1
                cells.append(cell)
            parts.append((_cell(by_standard.get((student.id, group.standard_id)), scale), tuple(cells)))
        rows.append(HeatRow(student.id, student.display_name, tuple(parts), below, insufficient))
    return Grid(title, tuple(groups), tuple(rows))


def _filtered(rows: Sequence[HeatRow], query: ClassQuery) -> list[HeatRow]:
    needle = query.search.casefold()
    return [
        r
        for r in rows
        if (not needle or needle in r.name.casefold()) and (not query.only_below or r.below > 0)
    ]


def _value_key(cell: HeatCell) -> tuple[int, Decimal]:
    """Lowest first; insufficient evidence after every number, nothing recorded last."""
    if cell.shown is None:
        return (2, Decimal(0))
    if cell.shown.value is None:
        return (1, Decimal(0))
    return (0, cell.shown.value)


def _sorted(rows: list[HeatRow], query: ClassQuery, groups: Sequence[HeatGroup]) -> list[HeatRow]:
    by_name = sorted(rows, key=lambda r: r.name.casefold())
    if query.sort == "below":
        return sorted(by_name, key=lambda r: (-r.below, -r.insufficient))
    target = int(query.sort[1:]) if query.sort[:1] in ("i", "s") else None
    for g, group in enumerate(groups):
        if query.sort == f"s{target}" and group.standard_id == target:
            return sorted(by_name, key=lambda r: _value_key(r.groups[g][0]))
        for c, column in enumerate(group.columns):
            if query.sort == f"i{target}" and column.indicator_id == target:
                return sorted(by_name, key=lambda r: _value_key(r.groups[g][1][c]))
    return by_name
