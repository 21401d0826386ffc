"""One standing, opened: the body of evidence, the explanation, the trend, what would change it.

Teachers and students see the same facts. Who may open which standing is checked here, by
course (a teacher's launch) or by student (a student's own launch): a standing of anyone
else is "not found", so a typed URL tells nothing about other students.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from lti.pages.charts import TrendChart, TrendInput, trend_chart
from lti.pages.levels import LevelShown, ScaleView
from mappings.calculation import METHODS, MethodChoice, calculate
from mappings.evidence import Evidence, EvidenceStatus, Purpose
from mappings.explanation import Explanation
from mappings.standing import shown
from pbridge.errors import ProficiencyBridgeError
from store.evidence import EvidenceRow
from store.page_queries import IndicatorEntry, alignment_titles, indicator_catalogue
from store.people import User
from store.recompute import scale_for_indicator
from store.self_assessments import SelfAssessment, self_assessments
from store.standings import StandingKind, StandingRow, StandingView, standing_evidence

PURPOSE_WORDS = {
    Purpose.SUMMATIVE: "Summative",
    Purpose.FORMATIVE: "Formative (practice)",
    Purpose.HABIT_OF_WORK: "Habit of work",
}


class StandingNotFound(ProficiencyBridgeError):
    status_code = 404


@dataclass(frozen=True, slots=True)
class EvidenceLineView:
    id: int
    assessed_at: datetime
    title: str
    source: str
    purpose: str
    level: LevelShown | None
    raw: str
    attempt: int
    counted: bool
    reason: str
    excluded: bool
    replaces_id: int | None
    status: str


@dataclass(frozen=True, slots=True)
class WhatIf:
    level: LevelShown
    result: LevelShown
    change: str  # "up", "down", "same", "new" (a first standing)


@dataclass(frozen=True, slots=True)
class SelfRating:
    level: LevelShown
    reflection: str
    at: datetime


@dataclass(frozen=True, slots=True)
class StandingDetail:
    standing: StandingView
    student: User
    indicator: IndicatorEntry
    shown: LevelShown
    computed: LevelShown | None
    explanation: Explanation
    method_words: str
    paragraphs: tuple[str, ...]
    evidence: tuple[EvidenceLineView, ...]
    chart: TrendChart
    what_if: tuple[WhatIf, ...]
    self_ratings: tuple[SelfRating, ...]
    scale: ScaleView
    override_by: str

    @property
    def counted(self) -> tuple[EvidenceLineView, ...]:
        return tuple(e for e in self.evidence if e.counted)


def find_standing(
    session: Session,
    standing_id: int,
    *,
    course_id: int | None = None,
    student_id: int | None = None,
    kind: StandingKind = StandingKind.INDICATOR,
) -> StandingRow:
    """The standing of this kind if this reader may open it; "not found" otherwise (never
    "forbidden")."""
    row = session.get(StandingRow, standing_id)
    if (
        row is None
        or row.kind is not kind
        or (row.indicator_id if kind is StandingKind.INDICATOR else row.standard_id) is None
        or (course_id is not None and row.course_id != course_id)
        or (student_id is not None and row.student_id != student_id)
    ):
        raise StandingNotFound("There is no such standing in this course.")
    return row


def standing_detail(
    session: Session, standing_id: int, *, course_id: int | None = None, student_id: int | None = None
) -> StandingDetail:
    row = find_standing(session, standing_id, course_id=course_id, student_id=student_id)
    assert row.indicator_id is not None
    view, rows, explanation = standing_evidence(session, row.id)
    scale = ScaleView(scale_for_indicator(session, row.indicator_id))
    indicator = indicator_catalogue(session, [row.indicator_id])[row.indicator_id]
    student = session.get(User, row.student_id)
    assert student is not None
    titles = alignment_titles(session, [r.alignment_id for r in rows if r.alignment_id is not None])
    lines = _evidence_lines(rows, explanation, titles, scale)
    choice = MethodChoice.of(explanation.method, dict(explanation.params))
    counts = Purpose.HABIT_OF_WORK if row.habit else Purpose.SUMMATIVE
    evidence = [r.to_evidence() for r in rows]
    return StandingDetail(
        standing=view,
        student=student,
        indicator=indicator,
        shown=scale.show(view.value),
        computed=scale.show(view.computed_value) if view.overridden else None,
        explanation=explanation,
        method_words=f"{choice.method.title}: {METHODS[choice.name].description}",
        paragraphs=tuple(explanation.plain().split("\n")),
        evidence=tuple(lines),
        chart=_chart(evidence, lines, choice, scale, row.min_observations, counts),
        what_if=_what_if(evidence, choice, scale, row.min_observations, counts, view.computed_value),
        self_ratings=tuple(
            SelfRating(scale.show(Decimal(s.level).quantize(Decimal("0.01"))), s.reflection, s.created_at)
            for s in _self(session, row)
        ),
        scale=scale,
        override_by=explanation.override.author if explanation.override is not None else "",
    )


def _self(session: Session, row: StandingRow) -> list[SelfAssessment]:
    assert row.indicator_id is not None
    return self_assessments(
        session, student_id=row.student_id, indicator_id=row.indicator_id, course_id=row.course_id
    )


def _raw(row: EvidenceRow) -> str:
    if row.raw_score is None:
        return ""
    score = shown(Decimal(row.raw_score))
    return f"{score} / {shown(Decimal(row.raw_max))}" if row.raw_max is not None else score


def _evidence_lines(
    rows: list[EvidenceRow], explanation: Explanation, titles: dict[int, str], scale: ScaleView
) -> list[EvidenceLineView]:
    used = {line.ref for line in explanation.used}
    reasons = {line.ref: line.reason for line in explanation.left_out}
    lines = []
    for r in rows:
        ref = str(r.id)
        level = None if r.level is None else scale.show(Decimal(r.level).quantize(Decimal("0.01")))
        status = {
            EvidenceStatus.ACTIVE: "",
            EvidenceStatus.REMOVED_AT_SOURCE: "removed in the LMS",
            EvidenceStatus.STUDENT_LEFT: "student left the course",
        }[r.status]
        lines.append(
            EvidenceLineView(
                id=r.id,
                assessed_at=r.assessed_at,
                title=titles.get(r.alignment_id or 0) or r.source_ref.rsplit("/", 1)[-1][:80],
                source=r.source,
                purpose=PURPOSE_WORDS[r.purpose],
                level=level,
                raw=_raw(r),
                attempt=r.attempt,
                counted=ref in used,
                reason=reasons.get(ref, ""),
                excluded=r.excluded,
                replaces_id=r.replaces_evidence_id,
                status=status,
            )
        )
    return lines


def _chart(
    evidence: list[Evidence],
    lines: list[EvidenceLineView],
    choice: MethodChoice,
    scale: ScaleView,
    min_observations: int,
    counts: Purpose,
) -> TrendChart:
    ordered = sorted(evidence, key=lambda e: e.order_key)
    by_id = {str(line.id): line for line in lines}
    inputs = []
    for k, item in enumerate(ordered):
        line = by_id[item.ref]
        kind = (
            "counted" if line.counted else ("formative" if item.purpose is Purpose.FORMATIVE else "left-out")
        )
        after = None
        if line.counted:
            standing, _ = calculate(
                ordered[: k + 1], choice, scale=scale.scale, min_observations=min_observations, counts=counts
            )
            after = standing.value
        inputs.append(TrendInput(item.assessed_at, item.level, kind, line.title, after))
    return trend_chart(inputs, scale.scale)


def _what_if(
    evidence: list[Evidence],
    choice: MethodChoice,
    scale: ScaleView,
    min_observations: int,
    counts: Purpose,
    current: Decimal | None,
) -> tuple[WhatIf, ...]:
    """What the method would give after one more assessment at each level of the scale."""
    latest = max((e.assessed_at for e in evidence), default=datetime(2000, 1, 1).astimezone())
    attempt = max((e.attempt for e in evidence), default=0) + 1
    results = []
    for level in scale.scale.levels:
        extra = Evidence(
            ref="next",
            student=evidence[0].student if evidence else "-",
            indicator=evidence[0].indicator if evidence else "-",
            level=level.value,
            assessed_at=latest + timedelta(days=1),
            purpose=counts,
            attempt=attempt,
        )
        standing, _ = calculate(
            [*evidence, extra], choice, scale=scale.scale, min_observations=min_observations, counts=counts
        )
        value = standing.value
        if value is None or current is None:
            change = "same" if value == current else "new"
        else:
            change = "up" if value > current else ("down" if value < current else "same")
        results.append(WhatIf(scale.show(level.value), scale.show(value), change))
    return tuple(results)
