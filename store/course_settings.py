"""What a course writes back to its LMS gradebook, chosen by its teacher or an admin."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, intpk
from store.types import utcnow


class Writeback(enum.Enum):
    """Which gradebook columns the tool keeps for a course."""

    STANDARDS = "standards"  # one column per graduation standard
    INDICATORS = "indicators"  # one per performance indicator
    BOTH = "both"
    NONE = "none"  # read scores, write nothing

    @property
    def standards(self) -> bool:
        return self in (Writeback.STANDARDS, Writeback.BOTH)

    @property
    def indicators(self) -> bool:
        return self in (Writeback.INDICATORS, Writeback.BOTH)


class CourseSettings(Base):
    __tablename__ = "course_settings"

    id: Mapped[intpk]
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), unique=True)
    writeback: Mapped[Writeback] = mapped_column(default=Writeback.STANDARDS)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


def course_writeback(session: Session, course_id: int) -> Writeback:
    row = session.scalars(select(CourseSettings).where(CourseSettings.course_id == course_id)).one_or_none()
    return row.writeback if row else Writeback.STANDARDS


def set_course_writeback(
    session: Session, course_id: int, writeback: Writeback, *, by_user_id: int | None = None
) -> None:
    row = session.scalars(select(CourseSettings).where(CourseSettings.course_id == course_id)).one_or_none()
    if row is None:
        row = CourseSettings(course_id=course_id)
        session.add(row)
    row.writeback = writeback
    row.updated_by_user_id = by_user_id
    session.flush()
