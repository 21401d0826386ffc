"""Students' self-assessments: a level they give themselves on an indicator, and a reflection.

A self-assessment is shown beside the teacher's evidence and never becomes evidence: it has
its own table so no calculation can ever read it. A new rating of the same indicator in the
same course adds a row (the history of a student's reflections is worth keeping).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from pbridge.errors import ProficiencyBridgeError
from store.base import Base, intpk
from store.types import utcnow

REFLECTION_LIMIT = 4000


class SelfAssessment(Base):
    __tablename__ = "self_assessments"
    __table_args__ = (Index("ix_self_assessments_student_indicator", "student_id", "indicator_id"),)

    id: Mapped[intpk]
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), default=None)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("performance_indicators.id", ondelete="CASCADE"))
    level: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    reflection: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def add_self_assessment(
    session: Session,
    *,
    student_id: int,
    course_id: int | None,
    indicator_id: int,
    level: Decimal,
    reflection: str,
    allowed_levels: set[Decimal],
) -> SelfAssessment:
    """Record a student's own rating; refused when the level is not one of the scale's."""
    if level not in allowed_levels:
        shown = ", ".join(format(v.normalize(), "f") for v in sorted(allowed_levels))
        raise ProficiencyBridgeError(f"choose one of the scale's levels ({shown}) for your self-assessment")
    text = reflection.strip()
    if len(text) > REFLECTION_LIMIT:
        raise ProficiencyBridgeError(
            f"the reflection is {len(text)} characters long; keep it under {REFLECTION_LIMIT}"
        )
    row = SelfAssessment(
        student_id=student_id,
        course_id=course_id,
        indicator_id=indicator_id,
        level=level,
        reflection=text,
    )
    session.add(row)
    session.flush()
    return row


def self_assessments(
    session: Session, *, student_id: int, indicator_id: int | None = None, course_id: int | None = None
) -> list[SelfAssessment]:
    """A student's self-assessments, newest first (one indicator's, or all)."""
    query = select(SelfAssessment).where(SelfAssessment.student_id == student_id)
    if indicator_id is not None:
        query = query.where(SelfAssessment.indicator_id == indicator_id)
    if course_id is not None:
        query = query.where(SelfAssessment.course_id == course_id)
    return list(session.scalars(query.order_by(SelfAssessment.created_at.desc(), SelfAssessment.id.desc())))


def latest_self_assessments(
    session: Session, *, course_id: int, student_ids: list[int] | None = None
) -> dict[tuple[int, int], SelfAssessment]:
    """The newest self-assessment per (student, indicator) in a course, for the teacher's views."""
    query = select(SelfAssessment).where(SelfAssessment.course_id == course_id)
    if student_ids is not None:
        query = query.where(SelfAssessment.student_id.in_(sorted(set(student_ids))))
    latest: dict[tuple[int, int], SelfAssessment] = {}
    for row in session.scalars(query.order_by(SelfAssessment.created_at, SelfAssessment.id)):
        latest[(row.student_id, row.indicator_id)] = row
    return latest
