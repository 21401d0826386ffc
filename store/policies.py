"""Calculation policies as stored: the district's default row, and each course's choices.

The district row holds a whole `mappings.policy.Policy`; a course row holds only what the
course chose (`CourseChoice`), checked against the district policy when saved and again when
used, so a district that narrows its policy later gets a clear refusal, not a silent change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from mappings.policy import CourseChoice, Policy
from pbridge.errors import CalculationError
from store.base import Base, intpk
from store.people import Course
from store.types import utcnow

DISTRICT = "district"


class CalculationPolicy(Base):
    __tablename__ = "calculation_policies"

    id: Mapped[intpk]
    #: "district", or "course:<id>"
    scope: Mapped[str] = mapped_column(String(40), unique=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), default=None)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _course_scope(course_id: int) -> str:
    return f"course:{course_id}"


def _row(session: Session, scope: str) -> CalculationPolicy | None:
    return session.scalars(select(CalculationPolicy).where(CalculationPolicy.scope == scope)).one_or_none()


def district_policy(session: Session) -> Policy:
    """The district's policy; the built-in default (decaying average 0.65, mean roll-up) if unset."""
    row = _row(session, DISTRICT)
    return Policy() if row is None else Policy.from_json(row.settings)


def set_district_policy(session: Session, policy: Policy, *, by_user_id: int | None = None) -> None:
    row = _row(session, DISTRICT)
    if row is None:
        row = CalculationPolicy(scope=DISTRICT, settings={})
        session.add(row)
    row.settings = policy.to_json()
    row.updated_by_id = by_user_id
    session.flush()


def choices_refused_by(session: Session, policy: Policy) -> list[tuple[str, str]]:
    """(course title, why) of each course whose stored choice `policy` would not allow: a
    district policy that narrows what courses may choose is refused until they are settled,
    or their standings could not be computed."""
    rows = session.execute(
        select(Course.id, Course.title, CalculationPolicy.settings)
        .join(Course, Course.id == CalculationPolicy.course_id)
        .order_by(Course.title, Course.id)
    ).all()
    refused = []
    for course_id, title, settings in rows:
        try:
            policy.for_course(CourseChoice.from_json(settings))
        except CalculationError as error:
            refused.append((title or f"course {course_id}", str(error)))
    return refused


def course_choice(session: Session, course_id: int) -> CourseChoice | None:
    row = _row(session, _course_scope(course_id))
    return None if row is None else CourseChoice.from_json(row.settings)


def set_course_choice(
    session: Session, course_id: int, choice: CourseChoice | None, *, by_user_id: int | None = None
) -> Policy:
    """Save (or clear, with None) a course's choice; refused if the district does not allow it."""
    effective = district_policy(session).for_course(choice)
    row = _row(session, _course_scope(course_id))
    if choice is None:
        if row is not None:
            session.delete(row)
        session.flush()
        return effective
    if row is None:
        row = CalculationPolicy(scope=_course_scope(course_id), course_id=course_id, settings={})
        session.add(row)
    row.settings = choice.to_json()
    row.updated_by_id = by_user_id
    session.flush()
    return effective


def all_policies(session: Session) -> tuple[Policy, dict[int, Policy]]:
    """The district policy, and every course that chose something with the policy it runs
    under, in one read."""
    rows = session.execute(select(CalculationPolicy.course_id, CalculationPolicy.settings)).all()
    district = next((Policy.from_json(s) for c, s in rows if c is None), Policy())
    return district, {c: district.for_course(CourseChoice.from_json(s)) for c, s in rows if c is not None}
