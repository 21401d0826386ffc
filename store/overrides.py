"""Teacher overrides of a standing: the value, who set it, why and when; kept when withdrawn.

An override never hides the method's result: the standing shows both. A new override on the
same standing withdraws the previous one, so the history of decisions stays readable.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from mappings.standing import Override
from pbridge.errors import ProficiencyBridgeError
from store.base import Base, intpk
from store.people import User
from store.types import utcnow


def standing_key(kind: str, student_id: int, course_id: int | None, target_id: int) -> str:
    """The one text key of a standing: kind, student, course ("-" across courses), target."""
    return f"{kind}:{student_id}:{'-' if course_id is None else course_id}:{target_id}"


class StandingOverride(Base):
    __tablename__ = "standing_overrides"

    id: Mapped[intpk]
    #: `standing_key(...)` of the standing it overrides
    standing_key: Mapped[str] = mapped_column(String(100), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), default=None)
    indicator_id: Mapped[int | None] = mapped_column(
        ForeignKey("performance_indicators.id", ondelete="CASCADE"), default=None
    )
    standard_id: Mapped[int | None] = mapped_column(
        ForeignKey("graduation_standards.id", ondelete="CASCADE"), default=None
    )
    value: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )

    author: Mapped[User] = relationship(foreign_keys=[author_id])

    def to_override(self) -> Override:
        return Override(
            value=Decimal(self.value).quantize(Decimal("0.01")),
            author=self.author.display_name,
            reason=self.reason,
            at=self.created_at,
        )


def set_override(
    session: Session,
    *,
    student_id: int,
    course_id: int | None,
    value: Decimal,
    author_id: int,
    reason: str,
    indicator_id: int | None = None,
    standard_id: int | None = None,
) -> StandingOverride:
    """Override one indicator or standard standing; withdraws the override it replaces."""
    if (indicator_id is None) == (standard_id is None):
        raise ProficiencyBridgeError("an override is on one indicator or one standard: give exactly one")
    if not reason.strip():
        raise ProficiencyBridgeError("say why the standing is overridden: the reason is shown beside it")
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ProficiencyBridgeError(f"override value {value} must be a level with at most two decimals")
    kind = "indicator" if indicator_id is not None else "standard"
    key = standing_key(kind, student_id, course_id, indicator_id or standard_id or 0)
    withdraw_override(session, key, by_user_id=author_id)
    override = StandingOverride(
        standing_key=key,
        student_id=student_id,
        course_id=course_id,
        indicator_id=indicator_id,
        standard_id=standard_id,
        value=value,
        author_id=author_id,
        reason=reason.strip(),
    )
    session.add(override)
    session.flush()
    return override


def withdraw_override(session: Session, key: str, *, by_user_id: int) -> bool:
    """Withdraw the active override of a standing, if any; True when there was one."""
    active = session.scalars(
        select(StandingOverride).where(
            StandingOverride.standing_key == key, StandingOverride.withdrawn_at.is_(None)
        )
    ).all()
    for override in active:
        override.withdrawn_at = utcnow()
        override.withdrawn_by_id = by_user_id
    session.flush()
    return bool(active)


def active_overrides(session: Session, student_ids: Iterable[int] | None = None) -> dict[str, Override]:
    """Active overrides by standing key (all students when `student_ids` is None)."""
    query = select(StandingOverride).where(StandingOverride.withdrawn_at.is_(None))
    if student_ids is not None:
        ids = sorted(set(student_ids))
        if not ids:
            return {}
        query = query.where(StandingOverride.student_id.in_(ids))
    return {row.standing_key: row.to_override() for row in session.scalars(query)}


def students_overridden(session: Session) -> frozenset[int]:
    """The students with at least one active override (a recompute for anyone else needs
    none read)."""
    query = select(StandingOverride.student_id).where(StandingOverride.withdrawn_at.is_(None)).distinct()
    return frozenset(session.scalars(query))
