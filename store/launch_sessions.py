"""Server-side sessions made by a launch, found by an id that travels in the URL or a cookie.

Inside an LMS iframe with third-party cookies blocked, a cookie set by the tool is dropped;
carrying an unguessable session id in every link and form of our pages keeps the tool usable
there, and a cookie is used too where the browser keeps it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, delete
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from store.base import Base, intpk
from store.people import Course, User
from store.types import utcnow

SESSION_LIFETIME = timedelta(hours=8)


class LaunchSession(Base):
    __tablename__ = "launch_sessions"

    id: Mapped[intpk]
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), default=None)
    platform_id: Mapped[int | None] = mapped_column(
        ForeignKey("platforms.id", ondelete="CASCADE"), default=None
    )
    #: "teacher", "student", "admin"
    role: Mapped[str] = mapped_column(String(20))
    is_admin: Mapped[bool] = mapped_column(default=False)
    #: what the launch said that later pages need (deep-linking settings, return URL, ...)
    claims: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)

    user: Mapped[User] = relationship()
    course: Mapped[Course | None] = relationship()


def open_session(
    session: Session,
    *,
    user: User,
    course: Course | None,
    platform_id: int | None,
    role: str,
    is_admin: bool,
    claims: dict[str, Any] | None = None,
) -> LaunchSession:
    launch_session = LaunchSession(
        token=secrets.token_urlsafe(32),
        user=user,
        course=course,
        platform_id=platform_id,
        role=role,
        is_admin=is_admin,
        claims=claims or {},
        expires_at=utcnow() + SESSION_LIFETIME,
    )
    session.add(launch_session)
    session.flush()
    return launch_session


def find_session(session: Session, token: str) -> LaunchSession | None:
    """The live session for a token, or None when unknown or expired."""
    if not token or len(token) > 64:
        return None
    from sqlalchemy import select

    found = session.scalars(select(LaunchSession).where(LaunchSession.token == token)).one_or_none()
    if found is None or found.expires_at < utcnow():
        return None
    return found


def purge_expired(session: Session) -> int:
    result = session.execute(delete(LaunchSession).where(LaunchSession.expires_at < utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
