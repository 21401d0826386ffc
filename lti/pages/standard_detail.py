"""One graduation standard's standing, opened: the roll-up rule, the indicator standings it
rests on, the arithmetic, and a teacher's override with its reason.

A standard's standing comes from its indicators' standings, never from evidence directly,
so the page links each indicator to its own body of evidence. The arithmetic is the engine's
explained roll-up (`mappings.rollup.roll_up`) run again over the indicator standings as
stored, under the policy the course runs by: the same path the engine checks its bulk values
against. Who may open which standing is checked as for an indicator (by course for a
teacher, by student for a student), and anything else is "not found".

An override at the standard level (`lti.pages.evidence_actions.override`) is the teacher's
professional judgment on the whole body of evidence: it replaces the reported value, the
calculated one stays beside it, and the student sees both with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti.pages.levels import LevelShown, ScaleView
from lti.pages.standing_detail import find_standing
from mappings.evidence import Purpose
from mappings.rollup import IndicatorResult, RollupExplanation, roll_up
from mappings.standing import Override
from store.evidence import EvidenceRow, StandingKey
from store.frameworks import GraduationStandard
from store.overrides import active_overrides
from store.page_queries import IndicatorEntry, indicator_catalogue
from store.people import User
from store.recompute_inputs import recompute_inputs
from store.standings import StandingKind, StandingRow, StandingView


@dataclass(frozen=True, slots=True)
class MemberLine:
    """One indicator of the standard as the roll-up saw it."""

    indicator: IndicatorEntry
    standing_id: int
    shown: LevelShown
    overridden: bool
    counted: bool


@dataclass(frozen=True, slots=True)
class StandardDetail:
    standing: StandingView
    student: User
    code: str
    title: str
    habit: bool
    shown: LevelShown
    #: what the rule alone gives, when an override replaces it
    computed: LevelShown | None
    override: Override | None
    rule: str
    paragraphs: tuple[str, ...]
    members: tuple[MemberLine, ...]
    scale: ScaleView


def standard_detail(
    session: Session, standing_id: int, *, course_id: int | None = None, student_id: int | None = None
) -> StandardDetail:
    row = find_standing(
        session, standing_id, course_id=course_id, student_id=student_id, kind=StandingKind.STANDARD
    )
    assert row.standard_id is not None
    standard = session.get(GraduationStandard, row.standard_id)
    student = session.get(User, row.student_id)
    assert standard is not None and student is not None
    inputs = recompute_inputs(session)  # this process's copy while the stamps hold
    scale = inputs.catalogue.standard_scale(row.standard_id)
    view = ScaleView(scale)
    standing = StandingView.of(row)
    members = [
        StandingView.of(m)
        for m in _member_standings(session, row, inputs.catalogue.indicators_of.get(row.standard_id, ()))
    ]
    entries = indicator_catalogue(session, [m.indicator_id for m in members if m.indicator_id is not None])
    counts = Purpose.HABIT_OF_WORK if row.habit else Purpose.SUMMATIVE
    results = [IndicatorResult(str(m.indicator_id), m.value, counts=counts) for m in members]
    _, _, explanation = roll_up(results, inputs.policies.of(row.course_id).rollup, scale=scale)
    used = {key for key, _ in explanation.used}
    return StandardDetail(
        standing=standing,
        student=student,
        code=standard.code,
        title=standard.title,
        habit=row.habit,
        shown=view.show(standing.value),
        computed=view.show(standing.computed_value) if row.overridden else None,
        override=active_overrides(session, [row.student_id]).get(row.key),
        rule=explanation.rule,
        paragraphs=_paragraphs(explanation),
        members=tuple(
            MemberLine(
                indicator=entries[m.indicator_id],
                standing_id=m.id,
                shown=view.show(m.value),
                overridden=m.overridden,
                counted=str(m.indicator_id) in used,
            )
            for m in members
            if m.indicator_id in entries
        ),
        scale=view,
    )


def _member_standings(
    session: Session, row: StandingRow, indicator_ids: tuple[int, ...]
) -> list[StandingRow]:
    """The indicator standings the roll-up reads, in the framework's order of indicators."""
    course = StandingRow.course_id
    scope = course.is_(None) if row.course_id is None else course == row.course_id
    found = {
        r.indicator_id: r
        for r in session.scalars(
            select(StandingRow).where(
                StandingRow.kind == StandingKind.INDICATOR,
                StandingRow.student_id == row.student_id,
                StandingRow.indicator_id.in_(indicator_ids),
                scope,
            )
        )
    }
    return [found[i] for i in indicator_ids if i in found]


def _paragraphs(explanation: RollupExplanation) -> tuple[str, ...]:
    """The explanation in words, without the indicator ids the engine keys it by (the page
    lists the indicators by code beside it)."""
    head = explanation.plain().split("\n", 1)[0]
    lines = [head, f"Rule: {explanation.rule}."]
    if explanation.left_out:
        lines.append(f"{len(explanation.left_out)} indicator(s) without a standing yet are not counted.")
    if explanation.steps:
        lines.append("Step by step: " + " ".join(explanation.steps))
    return tuple(lines)


def standard_evidence_keys(session: Session, row: StandingRow) -> list[StandingKey]:
    """The evidence keys of the student on the standard's indicators in the standing's course
    (all courses for a standing across them): recomputing them recomputes the roll-up."""
    indicator_ids = recompute_inputs(session).catalogue.indicators_of.get(row.standard_id or 0, ())
    query = (
        select(EvidenceRow.student_id, EvidenceRow.indicator_id, EvidenceRow.course_id)
        .where(EvidenceRow.student_id == row.student_id, EvidenceRow.indicator_id.in_(indicator_ids))
        .distinct()
    )
    if row.course_id is not None:
        query = query.where(EvidenceRow.course_id == row.course_id)
    return [StandingKey(s, i, c) for s, i, c in session.execute(query)]
