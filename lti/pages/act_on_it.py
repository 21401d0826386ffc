"""Act on it: for each indicator, the students below "meets", and their reassessment options.

A reassessment is a newer attempt on the same indicator that replaces an earlier one (the
method then leaves the earlier one out, with that reason). The page lists, for each student
below "meets", their summative evidence on the indicator so the teacher can mark the newest
as the reassessment of an earlier one, or plan one (the list exports as CSV).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from lti.pages.levels import LevelShown, ScaleView, scale_view_for
from lti.pages.tables import Table
from mappings.evidence import EvidenceStatus, Purpose
from store.evidence import EvidenceRow
from store.page_queries import (
    IndicatorEntry,
    alignment_titles,
    course_evidence,
    indicator_catalogue,
    standing_cells,
)
from store.people import course_students
from store.standings import StandingKind


@dataclass(frozen=True, slots=True)
class Attempt:
    evidence_id: int
    title: str
    assessed_at: datetime
    level: LevelShown | None
    replaces_id: int | None
    excluded: bool


@dataclass(frozen=True, slots=True)
class StudentBelow:
    student_id: int
    name: str
    standing_id: int
    shown: LevelShown
    attempts: tuple[Attempt, ...]

    @property
    def can_link(self) -> bool:
        """Two or more attempts, the newest not yet linked: a reassessment can be marked."""
        return len(self.attempts) >= 2 and self.attempts[-1].replaces_id is None


@dataclass(frozen=True, slots=True)
class IndicatorBelow:
    indicator: IndicatorEntry
    students: tuple[StudentBelow, ...]
    insufficient: int
    total: int


@dataclass(frozen=True, slots=True)
class ActOnIt:
    indicators: tuple[IndicatorBelow, ...]
    scale: ScaleView

    def tables(self) -> list[Table]:
        rows = []
        for block in self.indicators:
            for s in block.students:
                latest = s.attempts[-1] if s.attempts else None
                rows.append(
                    (
                        block.indicator.code,
                        s.name,
                        s.shown.text,
                        len(s.attempts),
                        latest.assessed_at.date().isoformat() if latest else "",
                    )
                )
        columns = ("Indicator", "Student", "Standing", "Summative attempts", "Latest assessed")
        return [Table.of("below", "Students below meets, by indicator", columns, rows)]


def act_on_it(session: Session, course_id: int) -> ActOnIt:
    students = {s.id: s.display_name for s in course_students(session, course_id)}
    cells = [
        c
        for c in standing_cells(session, kind=StandingKind.INDICATOR, course_ids=[course_id])
        if c.student_id in students and c.indicator_id is not None and not c.habit
    ]
    catalogue = indicator_catalogue(session, {c.indicator_id for c in cells if c.indicator_id})
    scale = scale_view_for(session, catalogue.values())
    evidence: dict[tuple[int, int], list[EvidenceRow]] = defaultdict(list)
    rows = course_evidence(session, course_id)
    for row in rows:
        if row.purpose is Purpose.SUMMATIVE and row.status is not EvidenceStatus.REMOVED_AT_SOURCE:
            evidence[(row.student_id, row.indicator_id)].append(row)
    titles = alignment_titles(session, {r.alignment_id for r in rows if r.alignment_id is not None})
    blocks: dict[int, list[StudentBelow]] = defaultdict(list)
    insufficient: dict[int, int] = defaultdict(int)
    totals: dict[int, int] = defaultdict(int)
    for cell in cells:
        assert cell.indicator_id is not None
        totals[cell.indicator_id] += 1
        if cell.value is None:
            insufficient[cell.indicator_id] += 1
            continue
        if cell.value >= scale.scale.meets:
            continue
        attempts = tuple(
            Attempt(
                evidence_id=r.id,
                title=titles.get(r.alignment_id or 0, r.source),
                assessed_at=r.assessed_at,
                level=None if r.level is None else scale.show(Decimal(r.level).quantize(Decimal("0.01"))),
                replaces_id=r.replaces_evidence_id,
                excluded=r.excluded,
            )
            for r in evidence[(cell.student_id, cell.indicator_id)]
        )
        blocks[cell.indicator_id].append(
            StudentBelow(
                cell.student_id, students[cell.student_id], cell.id, scale.show(cell.value), attempts
            )
        )
    ordered = sorted(
        catalogue.values(), key=lambda e: (e.standard_position, e.standard_code, e.position, e.code)
    )
    return ActOnIt(
        indicators=tuple(
            IndicatorBelow(
                entry,
                tuple(
                    sorted(blocks[entry.id], key=lambda s: (s.shown.value or Decimal(0), s.name.casefold()))
                ),
                insufficient[entry.id],
                totals[entry.id],
            )
            for entry in ordered
        ),
        scale=scale,
    )


def _lowest_first(student: StudentBelow) -> tuple[Decimal, str]:
    return (student.shown.value or Decimal(0), student.name.casefold())
