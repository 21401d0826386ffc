"""Standings as stored, and the reads the pages make: a course's grid, one student's
standings with their explanations, and the body of evidence behind one standing.

A standing row is keyed by `standing_key` (kind, student, course or "-" across courses,
indicator or standard). `store.recompute` writes them; nothing else does. Habits of work are
flagged (`habit`) and always returned apart from academics.

Standings are derived data, like a materialised view of the evidence, and the table holds no
foreign keys: every id written comes from evidence rows and framework rows that hold theirs,
and checking four keys on each written row cost PostgreSQL more than the whole calculation
(1.4 s of a 2.4 s load of 77 000 standings, measured). Nothing in the product deletes a user,
course, indicator or standard (people are kept with their evidence, frameworks are
versioned); standings left behind by a deletion made outside it are removed by the next full
recompute (`store.standing_writes.remove_orphans`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Index, Numeric, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from mappings.calculation import MethodChoice, calculate
from mappings.evidence import Purpose
from mappings.explanation import Explanation
from pbridge.errors import ProficiencyBridgeError
from store.base import Base, BigIntPk, intpk
from store.evidence import EvidenceRow, body_of_evidence
from store.overrides import active_overrides
from store.types import utcnow


class StandingKind(enum.Enum):
    INDICATOR = "indicator"
    STANDARD = "standard"
    VERIFICATION = "verification"  # a graduation standard across courses and years


class StandingStatus(enum.Enum):
    LEVEL = "level"
    INSUFFICIENT = "insufficient"
    VERIFIED = "verified"
    NOT_VERIFIED = "not_verified"


class StandingRow(Base):
    __tablename__ = "standings"
    __table_args__ = (
        # a course's grid: the across-course half of the standings (course_id NULL) is never
        # looked up by course, so it stays out of the index (a tenth less work loading them)
        Index(
            "ix_standings_course",
            "course_id",
            postgresql_where=text("course_id IS NOT NULL"),
            sqlite_where=text("course_id IS NOT NULL"),
        ),
        Index("ix_standings_student", "student_id"),
        # room on each page for a rewritten row's new version: a recompute never changes an
        # indexed column, so PostgreSQL then updates in place (HOT) without touching the
        # four indexes. A district policy change rewrote 77,000 standings in 2.5-3.0 s
        # instead of 3.4-3.9 s (at 50 %: 2.4-2.7 s, for twice the pages)
        {"postgresql_with": {"fillfactor": 70}},
    )

    id: Mapped[intpk]
    #: compared byte for byte on PostgreSQL: a machine key needs no language's collation, and
    #: its unique index is the busiest one a recompute writes
    key: Mapped[str] = mapped_column(
        String(100).with_variant(String(100, collation="C"), "postgresql"), unique=True
    )
    kind: Mapped[StandingKind] = mapped_column()
    #: users.id, courses.id, performance_indicators.id, graduation_standards.id (no foreign
    #: keys: see the module docstring)
    student_id: Mapped[int] = mapped_column(BigIntPk)
    #: None: across courses and years
    course_id: Mapped[int | None] = mapped_column(BigIntPk, default=None)
    indicator_id: Mapped[int | None] = mapped_column(BigIntPk, default=None)
    standard_id: Mapped[int | None] = mapped_column(BigIntPk, default=None)
    habit: Mapped[bool] = mapped_column(default=False)
    status: Mapped[StandingStatus] = mapped_column()
    #: the reported value (an override's when overridden); None when insufficient
    value: Mapped[Decimal | None] = mapped_column(Numeric(6, 2), default=None)
    #: what the method or rule alone gives
    computed_value: Mapped[Decimal | None] = mapped_column(Numeric(6, 2), default=None)
    met: Mapped[bool | None] = mapped_column(default=None)
    overridden: Mapped[bool] = mapped_column(default=False)
    #: the calculation method, or the roll-up / verification rule
    method: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    min_observations: Mapped[int] = mapped_column(default=1)
    observations: Mapped[int] = mapped_column(default=0)
    courses: Mapped[int] = mapped_column(default=0)
    #: the one-line form (the LMS gradebook comment)
    summary: Mapped[str] = mapped_column(String(300), default="")
    #: the structured explanation; None when a bulk recompute left it to be built on reading
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    #: a digest of everything the standing was computed from: unchanged inputs, no rewrite
    input_hash: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True, slots=True)
class StandingView:
    """One standing as pages show it."""

    id: int
    kind: StandingKind
    student_id: int
    course_id: int | None
    indicator_id: int | None
    standard_id: int | None
    habit: bool
    status: StandingStatus
    value: Decimal | None
    computed_value: Decimal | None
    met: bool | None
    overridden: bool
    method: str
    observations: int
    summary: str
    explanation: dict[str, Any] | None

    @classmethod
    def of(cls, row: StandingRow, explanation: dict[str, Any] | None = None) -> StandingView:
        return cls(
            id=row.id,
            kind=row.kind,
            student_id=row.student_id,
            course_id=row.course_id,
            indicator_id=row.indicator_id,
            standard_id=row.standard_id,
            habit=row.habit,
            status=row.status,
            value=_two(row.value),
            computed_value=_two(row.computed_value),
            met=row.met,
            overridden=row.overridden,
            method=row.method,
            observations=row.observations,
            summary=row.summary,
            explanation=explanation if explanation is not None else row.explanation,
        )


def _two(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


@dataclass(frozen=True, slots=True)
class CourseGrid:
    """Students × indicators (and × standards) of one course; habits of work apart."""

    student_ids: tuple[int, ...]
    indicator_ids: tuple[int, ...]
    standard_ids: tuple[int, ...]
    habit_indicator_ids: tuple[int, ...]
    habit_standard_ids: tuple[int, ...]
    cells: dict[tuple[int, int], StandingView]  # (student, indicator) → standing
    standard_cells: dict[tuple[int, int], StandingView]  # (student, standard) → standing


def course_grid(session: Session, course_id: int) -> CourseGrid:
    """Every standing of one course, laid out for a students × indicators grid."""
    rows = session.scalars(
        select(StandingRow).where(
            StandingRow.course_id == course_id,
            StandingRow.kind.in_([StandingKind.INDICATOR, StandingKind.STANDARD]),
        )
    ).all()
    cells: dict[tuple[int, int], StandingView] = {}
    standard_cells: dict[tuple[int, int], StandingView] = {}
    indicators: dict[int, bool] = {}
    standards: dict[int, bool] = {}
    for row in rows:
        view = StandingView.of(row)
        if row.kind is StandingKind.INDICATOR and row.indicator_id is not None:
            cells[(row.student_id, row.indicator_id)] = view
            indicators[row.indicator_id] = row.habit
        elif row.standard_id is not None:
            standard_cells[(row.student_id, row.standard_id)] = view
            standards[row.standard_id] = row.habit
    return CourseGrid(
        student_ids=tuple(sorted({r.student_id for r in rows})),
        indicator_ids=tuple(sorted(i for i, habit in indicators.items() if not habit)),
        standard_ids=tuple(sorted(s for s, habit in standards.items() if not habit)),
        habit_indicator_ids=tuple(sorted(i for i, habit in indicators.items() if habit)),
        habit_standard_ids=tuple(sorted(s for s, habit in standards.items() if habit)),
        cells=cells,
        standard_cells=standard_cells,
    )


@dataclass(frozen=True, slots=True)
class StudentStandings:
    academics: tuple[StandingView, ...]
    habits: tuple[StandingView, ...]


def student_standings(session: Session, student_id: int, course_id: int | None = None) -> StudentStandings:
    """One student's standings with explanations (one course, or all when None); habits apart.

    An indicator standing whose explanation a bulk recompute left unbuilt gets it built here
    from its body of evidence, by the same method and inputs.
    """
    query = select(StandingRow).where(StandingRow.student_id == student_id)
    if course_id is not None:
        query = query.where(StandingRow.course_id == course_id)
    rows = session.scalars(
        query.order_by(StandingRow.kind, StandingRow.standard_id, StandingRow.indicator_id)
    )
    views = []
    for row in rows:
        explanation = row.explanation
        if explanation is None and row.kind is StandingKind.INDICATOR:
            explanation = explain_standing(session, row).to_json()
        views.append(StandingView.of(row, explanation))
    return StudentStandings(
        academics=tuple(v for v in views if not v.habit), habits=tuple(v for v in views if v.habit)
    )


def explain_standing(session: Session, row: StandingRow) -> Explanation:
    """The explanation of one indicator standing, rebuilt from its body of evidence."""
    if row.kind is not StandingKind.INDICATOR or row.indicator_id is None:
        raise ProficiencyBridgeError("only indicator standings are explained from evidence")
    from store.recompute import scale_for_indicator

    evidence = [
        e.to_evidence() for e in body_of_evidence(session, row.student_id, row.indicator_id, row.course_id)
    ]
    override = active_overrides(session, [row.student_id]).get(row.key)
    _, explanation = calculate(
        evidence,
        MethodChoice.of(row.method, row.params),
        scale=scale_for_indicator(session, row.indicator_id),
        min_observations=row.min_observations,
        counts=Purpose.HABIT_OF_WORK if row.habit else Purpose.SUMMATIVE,
        override=override,
    )
    return explanation


def standing_evidence(
    session: Session, standing_id: int
) -> tuple[StandingView, list[EvidenceRow], Explanation]:
    """The body of evidence behind one indicator standing, and its explanation."""
    row = session.get(StandingRow, standing_id)
    if row is None:
        raise ProficiencyBridgeError(f"no standing with id {standing_id}")
    if row.indicator_id is None:
        raise ProficiencyBridgeError(
            "a standard's standing rests on its indicators' standings, not on evidence"
        )
    evidence = body_of_evidence(session, row.student_id, row.indicator_id, row.course_id)
    explanation = explain_standing(session, row)
    return StandingView.of(row, explanation.to_json()), evidence, explanation
