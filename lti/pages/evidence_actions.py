"""What a teacher does about a standing: exclude evidence, link a reassessment, override an
indicator's or a standard's standing.

Each action checks that what it touches belongs to the teacher's course, changes it through
`store`, recomputes the standings that depend on it, and writes a line in the audit log,
all in the caller's unit of work. Reasons are required where the student will see them.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from lti.pages.standard_detail import standard_evidence_keys
from lti.pages.standing_detail import StandingNotFound, find_standing
from pbridge.errors import ProficiencyBridgeError
from store.audit import record_change
from store.evidence import (
    EvidenceRow,
    StandingKey,
    exclude_evidence,
    include_evidence,
    link_reassessment,
)
from store.frameworks import GraduationStandard
from store.overrides import set_override, withdraw_override
from store.page_queries import indicator_catalogue
from store.recompute import recompute, scale_for_indicator
from store.recompute_inputs import recompute_inputs
from store.standings import StandingKind, StandingRow


def _evidence_in(session: Session, course_id: int, evidence_id: int) -> EvidenceRow:
    row = session.get(EvidenceRow, evidence_id)
    if row is None or row.course_id != course_id:
        raise StandingNotFound("There is no such evidence in this course.")
    return row


def _code(session: Session, indicator_id: int) -> str:
    entry = indicator_catalogue(session, [indicator_id]).get(indicator_id)
    return entry.code if entry else str(indicator_id)


def exclude(session: Session, *, course_id: int, evidence_id: int, actor_id: int, reason: str) -> None:
    row = _evidence_in(session, course_id, evidence_id)
    keys = exclude_evidence(session, evidence_id, by_user_id=actor_id, reason=reason)
    recompute(session, keys)
    record_change(
        session,
        actor_id=actor_id,
        course_id=course_id,
        action="evidence excluded",
        subject=f"evidence {evidence_id} of student {row.student_id} on {_code(session, row.indicator_id)}",
        detail=reason.strip(),
    )


def include(session: Session, *, course_id: int, evidence_id: int, actor_id: int) -> None:
    row = _evidence_in(session, course_id, evidence_id)
    keys = include_evidence(session, evidence_id)
    recompute(session, keys)
    record_change(
        session,
        actor_id=actor_id,
        course_id=course_id,
        action="evidence included again",
        subject=f"evidence {evidence_id} of student {row.student_id} on {_code(session, row.indicator_id)}",
    )


def mark_reassessment(
    session: Session, *, course_id: int, evidence_id: int, replaces_id: int | None, actor_id: int
) -> None:
    """Mark one observation as the reassessment of an earlier one (None: not a reassessment)."""
    row = _evidence_in(session, course_id, evidence_id)
    if replaces_id is not None:
        _evidence_in(session, course_id, replaces_id)
    keys = link_reassessment(session, evidence_id, replaces_id)
    recompute(session, keys)
    record_change(
        session,
        actor_id=actor_id,
        course_id=course_id,
        action="reassessment linked" if replaces_id else "reassessment unlinked",
        subject=f"evidence {evidence_id} of student {row.student_id} on {_code(session, row.indicator_id)}",
        detail=f"replaces evidence {replaces_id}" if replaces_id else "",
    )


def _subject(session: Session, row: StandingRow) -> str:
    if row.indicator_id is not None:
        return f"standing of student {row.student_id} on {_code(session, row.indicator_id)}"
    standard = session.get(GraduationStandard, row.standard_id)
    return (
        f"standing of student {row.student_id} on standard {standard.code if standard else row.standard_id}"
    )


def _keys_under(session: Session, row: StandingRow) -> list[StandingKey]:
    """What to recompute after an override: the indicator's own key, or, for a standard, the
    student's evidence keys on its indicators in the course (`store.recompute` rolls them up)."""
    if row.indicator_id is not None:
        return [StandingKey(row.student_id, row.indicator_id, row.course_id)]
    keys = standard_evidence_keys(session, row)
    if not keys:
        raise ProficiencyBridgeError("this standing has no evidence left to recompute it from")
    return keys


def override(
    session: Session,
    *,
    course_id: int,
    standing_id: int,
    value: str,
    reason: str,
    actor_id: int,
    kind: StandingKind = StandingKind.INDICATOR,
) -> None:
    """Set an indicator's or a standard's standing to a level the teacher chose, with a reason
    shown beside it."""
    row = find_standing(session, standing_id, course_id=course_id, kind=kind)
    if row.indicator_id is not None:
        scale = scale_for_indicator(session, row.indicator_id)
    else:
        scale = recompute_inputs(session).catalogue.standard_scale(row.standard_id or 0)
    try:
        level = Decimal(value.strip())
    except InvalidOperation:
        raise ProficiencyBridgeError(f"the override {value!r} is not a number on the scale") from None
    if not level.is_finite() or not scale.minimum <= level <= scale.maximum:
        raise ProficiencyBridgeError(
            f"the override must be between {scale.minimum.normalize()} and {scale.maximum.normalize()}"
        )
    set_override(
        session,
        student_id=row.student_id,
        course_id=row.course_id,
        value=level.quantize(Decimal("0.01")),
        author_id=actor_id,
        reason=reason,
        indicator_id=row.indicator_id,
        standard_id=None if row.indicator_id is not None else row.standard_id,
    )
    recompute(session, _keys_under(session, row))
    record_change(
        session,
        actor_id=actor_id,
        course_id=course_id,
        action="override set",
        subject=_subject(session, row),
        detail=f"{level.normalize()}: {reason.strip()}",
    )


def withdraw(
    session: Session,
    *,
    course_id: int,
    standing_id: int,
    actor_id: int,
    kind: StandingKind = StandingKind.INDICATOR,
) -> None:
    row = find_standing(session, standing_id, course_id=course_id, kind=kind)
    if withdraw_override(session, row.key, by_user_id=actor_id):
        recompute(session, _keys_under(session, row))
        record_change(
            session,
            actor_id=actor_id,
            course_id=course_id,
            action="override withdrawn",
            subject=_subject(session, row),
        )
