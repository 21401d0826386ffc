"""Students' demographics as the SIS reports them (OneRoster `demographics`), per connection.

A demographics record is keyed by its user's sourcedId, so it joins `sis_users` on
(connection, sourcedId). Analytics use it to break results down by sex and race/ethnicity;
it is synced, marked `tobedeleted` and upserted like every other roster record. A race the
SIS leaves out is `None` (not reported), not `False`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, intpk
from store.types import utcnow


class SisDemographics(Base):
    __tablename__ = "sis_demographics"
    __table_args__ = (UniqueConstraint("connection_id", "sourced_id"),)

    id: Mapped[intpk]
    connection_id: Mapped[int] = mapped_column(ForeignKey("sis_connections.id", ondelete="CASCADE"))
    #: the sourcedId of the user (`sis_users.sourced_id`) these demographics describe
    sourced_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="active")
    date_last_modified: Mapped[datetime | None] = mapped_column(default=None)
    birth_date: Mapped[date | None] = mapped_column(Date, default=None)
    #: male, female, unspecified, other (or an ext: value); "" when not reported
    sex: Mapped[str] = mapped_column(String(40), default="")
    american_indian_or_alaska_native: Mapped[bool | None] = mapped_column(default=None)
    asian: Mapped[bool | None] = mapped_column(default=None)
    black_or_african_american: Mapped[bool | None] = mapped_column(default=None)
    native_hawaiian_or_other_pacific_islander: Mapped[bool | None] = mapped_column(default=None)
    white: Mapped[bool | None] = mapped_column(default=None)
    two_or_more_races: Mapped[bool | None] = mapped_column(default=None)
    hispanic_or_latino_ethnicity: Mapped[bool | None] = mapped_column(default=None)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    marked_absent_at: Mapped[datetime | None] = mapped_column(default=None)
