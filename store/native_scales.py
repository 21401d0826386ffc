"""The Moodle scale an admin named for a platform's competency ratings, kept for later syncs.

Moodle has no web service that makes a scale, so an admin makes one (Grades > Scales) and
names it once with `pbridge native push --course ID --moodle-scale-id N`; every later sync of
that platform's courses mirrors new frameworks on the same scale without being told again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, intpk
from store.types import utcnow


class MoodleScaleChoice(Base):
    __tablename__ = "moodle_scale_choices"

    id: Mapped[intpk]
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), unique=True)
    #: the Moodle scale's id, as Moodle's Grades > Scales page shows it
    scale_id: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def chosen_moodle_scale(session: Session, platform_id: int) -> str | None:
    """The scale id named for the platform, or None when none was named yet."""
    query = select(MoodleScaleChoice.scale_id).where(MoodleScaleChoice.platform_id == platform_id)
    return session.scalar(query)


def choose_moodle_scale(session: Session, platform_id: int, scale_id: str) -> None:
    """Remember (or replace) the platform's scale for new competency frameworks."""
    row = session.scalars(
        select(MoodleScaleChoice).where(MoodleScaleChoice.platform_id == platform_id)
    ).one_or_none()
    if row is None:
        row = MoodleScaleChoice(platform_id=platform_id, scale_id=scale_id)
        session.add(row)
    row.scale_id = scale_id
    session.flush()
