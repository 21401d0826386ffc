"""What a teacher does about a standing: exclude evidence, link a reassessment, override.

Each action checks that what it touches belongs to the teacher's course, changes it through
`store`, recomputes the standings that depend on it, and writes a line in the audit log,
all in the caller's unit of work. Reasons are required where the student will see them.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

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
from store.overrides import set_override, standing_key, withdraw_override
from store.page_queries import indicator_catalogue
from store.recompute import recompute, scale_for_indicator


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


def override(
    session: Session, *, course_id: int, standing_id: int, value: str, reason: str, actor_id: int
) -> None:
    """Set the standing to a level the teacher chose, with a reason shown beside it."""
    row = find_standing(session, standing_id, course_id=course_id)
    assert row.indicator_id is not None
    try:
        level = Decimal(value.strip())
    except InvalidOperation:
        raise ProficiencyBridgeError(f"the override {value!r} is not a number on the scale") from None
    scale = scale_for_indicator(session, row.indicator_id)
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
    )
    recompute(session, [StandingKey(row.student_id, row.indicator_id, row.course_id)])
    record_change(
        session,
        actor_id=actor_id,
        course_id=course_id,
        action="override set",
        subject=f"standing of student {row.student_id} on {_code(session, row.indicator_id)}",
        detail=f"{level.normalize()}: {reason.strip()}",
    )


def withdraw(session: Session, *, course_id: int, standing_id: int, actor_id: int) -> None:
    row = find_standing(session, standing_id, course_id=course_id)
    assert row.indicator_id is not None
    key = standing_key("indicator", row.student_id, row.course_id, row.indicator_id)
    if withdraw_override(session, key, by_user_id=actor_id):
        recompute(session, [StandingKey(row.student_id, row.indicator_id, row.course_id)])
        record_change(
            session,
            actor_id=actor_id,
            course_id=course_id,
            action="override withdrawn",
            subject=f"standing of student {row.student_id} on {_code(session, row.indicator_id)}",
        )
