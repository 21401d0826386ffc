"""One student's standings: by graduation standard → indicator → evidence, habits apart.

Used by the student's own pages (always their own id, from the launch), by the teacher's
progress report of one student of the course, and by the printable report and its PDF.
The report card reads the standings across courses and years: each graduation standard
with its verification status, and the habits of work on their own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from lti.pages.levels import LevelShown, ScaleView, scale_view_for
from lti.pages.tables import Table
from mappings.evidence import EvidenceStatus, Purpose
from store.page_queries import IndicatorEntry, indicator_catalogue, standards_of, student_evidence
from store.people import Course, User
from store.self_assessments import SelfAssessment, self_assessments
from store.standings import StandingKind, StandingStatus, StandingView, student_standings
from store.types import utcnow


@dataclass(frozen=True, slots=True)
class Dot:
    level: LevelShown | None
    formative: bool
    title: str


@dataclass(frozen=True, slots=True)
class IndicatorLine:
    indicator: IndicatorEntry
    standing_id: int
    shown: LevelShown
    overridden: bool
    summary: str
    dots: tuple[Dot, ...]
    self_rating: LevelShown | None
    reflection: str


@dataclass(frozen=True, slots=True)
class StandardBlock:
    standard_id: int
    code: str
    title: str
    #: the standard's own standing (None: no roll-up yet)
    standing_id: int | None
    shown: LevelShown | None
    overridden: bool
    met: bool | None
    explanation: str
    indicators: tuple[IndicatorLine, ...]


@dataclass(frozen=True, slots=True)
class StudentReport:
    student: User
    course: Course | None
    academics: tuple[StandardBlock, ...]
    habits: tuple[StandardBlock, ...]
    scale: ScaleView
    generated_at: datetime

    @property
    def indicator_count(self) -> int:
        return sum(len(b.indicators) for b in self.academics)

    @property
    def meets_count(self) -> int:
        return sum(1 for b in self.academics for i in b.indicators if i.shown.met)

    def tables(self) -> list[Table]:
        columns = ("Standard", "Indicator", "Standing", "Label", "Override", "Why")
        rows = []
        for block in (*self.academics, *self.habits):
            for line in block.indicators:
                rows.append(
                    (
                        block.code,
                        line.indicator.code,
                        "" if line.shown.value is None else line.shown.number,
                        line.shown.label,
                        "yes" if line.overridden else "",
                        line.summary,
                    )
                )
        return [Table.of("standings", "Standings by indicator", columns, rows)]


def _rollup_words(explanation: dict[str, Any] | None) -> str:
    if not explanation:
        return ""
    return str(explanation.get("rule", ""))


def student_report(session: Session, student: User, course: Course | None) -> StudentReport:
    """The student's standings in one course (or everywhere when `course` is None)."""
    course_id = course.id if course is not None else None
    standings = student_standings(session, student.id, course_id)
    rows = [
        s for s in (*standings.academics, *standings.habits) if course_id is not None or s.course_id is None
    ]
    indicator_rows = [s for s in rows if s.kind is StandingKind.INDICATOR and s.indicator_id is not None]
    standard_rows = {s.standard_id: s for s in rows if s.kind is StandingKind.STANDARD}
    catalogue = indicator_catalogue(session, {s.indicator_id for s in indicator_rows if s.indicator_id})
    scale = scale_view_for(session, catalogue.values())
    evidence = defaultdict(list)
    for e in student_evidence(session, student.id, course_id):
        if e.status is not EvidenceStatus.REMOVED_AT_SOURCE and not e.excluded:
            evidence[e.indicator_id].append(e)
    own: dict[int, SelfAssessment] = {}
    for s in self_assessments(session, student_id=student.id, course_id=course_id):
        own.setdefault(s.indicator_id, s)  # newest first
    by_standard: dict[int, list[IndicatorLine]] = defaultdict(list)
    for s in indicator_rows:
        assert s.indicator_id is not None
        entry = catalogue.get(s.indicator_id)
        if entry is None:
            continue
        mine = own.get(entry.id)
        by_standard[entry.standard_id].append(
            IndicatorLine(
                indicator=entry,
                standing_id=s.id,
                shown=scale.show(s.value),
                overridden=s.overridden,
                summary=s.summary,
                dots=tuple(
                    Dot(
                        None if e.level is None else scale.show(Decimal(e.level).quantize(Decimal("0.01"))),
                        e.purpose is Purpose.FORMATIVE,
                        f"{e.assessed_at:%b %-d}",
                    )
                    for e in evidence[entry.id]
                ),
                self_rating=scale.show(Decimal(mine.level).quantize(Decimal("0.01"))) if mine else None,
                reflection=mine.reflection if mine else "",
            )
        )
    standards = standards_of(session, by_standard)
    academics, habits = [], []
    for standard_id, lines in by_standard.items():
        lines.sort(key=lambda line: line.indicator.order)
        first = lines[0].indicator
        rolled = standard_rows.get(standard_id)
        block = StandardBlock(
            standard_id=standard_id,
            code=first.standard_code,
            title=standards[standard_id].title if standard_id in standards else first.standard_title,
            standing_id=rolled.id if rolled else None,
            shown=scale.show(rolled.value) if rolled else None,
            overridden=rolled.overridden if rolled else False,
            met=rolled.met if rolled else None,
            explanation=_rollup_words(rolled.explanation if rolled else None),
            indicators=tuple(lines),
        )
        (habits if first.habit else academics).append(block)
    order = {b.standard_id: b.indicators[0].indicator.order for b in (*academics, *habits)}
    return StudentReport(
        student=student,
        course=course,
        academics=tuple(sorted(academics, key=lambda b: order[b.standard_id])),
        habits=tuple(sorted(habits, key=lambda b: order[b.standard_id])),
        scale=scale,
        generated_at=utcnow(),
    )


# --- the report card: graduation standards across courses and years -------------------------


@dataclass(frozen=True, slots=True)
class VerificationLine:
    code: str
    title: str
    shown: LevelShown | None
    verified: bool
    rule: str
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReportCard:
    student: User
    standards: tuple[VerificationLine, ...]
    habits: tuple[tuple[str, str, LevelShown | None], ...]
    scale: ScaleView
    generated_at: datetime

    @property
    def verified_count(self) -> int:
        return sum(1 for s in self.standards if s.verified)

    def tables(self) -> list[Table]:
        rows = [
            (
                s.code,
                s.title,
                "" if s.shown is None else s.shown.text,
                "verified" if s.verified else "not yet",
            )
            for s in self.standards
        ]
        habit_rows = [
            (code, title, "" if shown is None else shown.text) for code, title, shown in self.habits
        ]
        return [
            Table.of(
                "standards", "Graduation standards", ("Code", "Standard", "Standing", "Verification"), rows
            ),
            Table.of("habits", "Habits of work", ("Code", "Habit", "Standing"), habit_rows),
        ]


def report_card(session: Session, student: User) -> ReportCard:
    """Graduation standards across courses with their verification, and habits apart."""
    standings = student_standings(session, student.id, None)
    everywhere = [s for s in (*standings.academics, *standings.habits) if s.course_id is None]
    verification = {s.standard_id: s for s in everywhere if s.kind is StandingKind.VERIFICATION}
    standard_rows = [s for s in everywhere if s.kind is StandingKind.STANDARD]
    indicator_ids = {s.indicator_id for s in everywhere if s.indicator_id is not None}
    for check in verification.values():
        keys = [str(i.get("key", "")) for i in (check.explanation or {}).get("indicators", [])]
        indicator_ids |= {int(k) for k in keys if k.isdigit()}
    catalogue = indicator_catalogue(session, indicator_ids)
    scale = scale_view_for(session, catalogue.values())
    names = {e.id: e.code for e in catalogue.values()}
    standards = standards_of(session, [s.standard_id for s in standard_rows if s.standard_id])
    lines = []
    habits = []
    for s in sorted(
        standard_rows, key=lambda r: (standards[r.standard_id].position, standards[r.standard_id].code)
    ):
        standard = standards[s.standard_id]  # type: ignore[index]
        if s.habit:
            habits.append((standard.code, standard.title, scale.show(s.value)))
            continue
        check = verification.get(s.standard_id)
        lines.append(_verification_line(standard.code, standard.title, scale.show(s.value), check, names))
    return ReportCard(student, tuple(lines), tuple(habits), scale, utcnow())


def _verification_line(
    code: str, title: str, shown: LevelShown, check: StandingView | None, names: dict[int, str]
) -> VerificationLine:
    data = (check.explanation or {}) if check else {}
    missing = tuple(
        f"{_indicator_name(names, str(i.get('key', '')))}: {i.get('note', '')}"
        for i in data.get("indicators", [])
        if not i.get("met")
    )
    return VerificationLine(
        code=code,
        title=title,
        shown=shown,
        verified=bool(check and check.status is StandingStatus.VERIFIED),
        rule=str(data.get("rule", "")),
        missing=missing,
    )


def _text(shown: LevelShown | None) -> str:
    return "" if shown is None else shown.text


def _indicator_name(names: dict[int, str], key: str) -> str:
    return names.get(int(key), key) if key.isdigit() else key


def _standard_order(standards: dict[int, Any], row: StandingView) -> tuple[int, str]:
    standard = standards[row.standard_id]  # type: ignore[index]
    return (standard.position, standard.code)
