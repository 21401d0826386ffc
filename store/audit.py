"""The audit log: who changed what, when, in words an administrator can read later.

Pages record a line whenever a person changes something that moves a standing or the way
the tool works (an exclusion, an override, an alignment, a policy, a registration, a key).
Lines are never edited or deleted by the tool; they name people by id, not by name, so a
renamed user still reads right and no personal data is copied around.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from store.base import Base, intpk
from store.people import User
from store.types import utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[intpk]
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: None: the tool itself, the CLI or a schedule
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="SET NULL"), default=None, index=True
    )
    #: a short verb phrase: "evidence excluded", "override set", "policy changed"
    action: Mapped[str] = mapped_column(String(80))
    #: what it was done to: "evidence 41", "standing of student 7 on MATH.3.PI.1"
    subject: Mapped[str] = mapped_column(String(500))
    #: the reason or the new values, as the person gave them
    detail: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


def record_change(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    subject: str,
    detail: str = "",
    course_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one line to the log, in the caller's unit of work (it commits with the change)."""
    entry = AuditEntry(
        actor_id=actor_id,
        course_id=course_id,
        action=action[:80],
        subject=subject[:500],
        detail=detail,
        data=data or {},
    )
    session.add(entry)
    session.flush()
    return entry


def recent_changes(
    session: Session, *, limit: int = 200, course_id: int | None = None, action: str | None = None
) -> list[AuditEntry]:
    """The newest lines first (one course's, one action's, or all)."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if course_id is not None:
        query = query.where(AuditEntry.course_id == course_id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query))
