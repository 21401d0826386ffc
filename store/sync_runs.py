"""Sync runs as recorded facts: who started what, progress per course, counts and errors.

A run is written as it goes (one short transaction per course), so a teacher's page can show
progress from another process and a run killed midway leaves an honest record behind.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.base import Base, intpk
from store.types import utcnow


class RunStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # some courses or writes failed; the rest was done
    FAILED = "failed"


class SyncRun(Base):
    __tablename__ = "sync_runs"

    id: Mapped[intpk]
    #: "lms" (AGS/NRPS), "lms_api" (Canvas/Moodle/Schoology REST), "sis" (OneRoster), "native"
    kind: Mapped[str] = mapped_column(String(20))
    #: "cli", "teacher", "admin", "schedule", "launch"
    trigger: Mapped[str] = mapped_column(String(20))
    started_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[RunStatus] = mapped_column(default=RunStatus.QUEUED)
    units_total: Mapped[int] = mapped_column(default=0)
    units_done: Mapped[int] = mapped_column(default=0)
    pulled: Mapped[int] = mapped_column(default=0)
    computed: Mapped[int] = mapped_column(default=0)
    written: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    requests: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    units: Mapped[list[SyncUnit]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="SyncUnit.id"
    )
    errors: Mapped[list[SyncError]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="SyncError.id"
    )


class SyncUnit(Base):
    """One unit of a run (a course, a class): all-or-nothing, with its own counts."""

    __tablename__ = "sync_units"

    id: Mapped[intpk]
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="SET NULL"), default=None, index=True
    )
    #: what the unit is when it is not a course (a OneRoster class sourcedId, ...)
    ref: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[RunStatus] = mapped_column(default=RunStatus.QUEUED)
    step: Mapped[str] = mapped_column(String(100), default="")
    pulled: Mapped[int] = mapped_column(default=0)
    computed: Mapped[int] = mapped_column(default=0)
    written: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    run: Mapped[SyncRun] = relationship(back_populates="units")


class SyncError(Base):
    """Something that failed in a run, with the reason a person can act on."""

    __tablename__ = "sync_errors"

    id: Mapped[intpk]
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"), default=None)
    #: what it was about: "line item MATH.2", "score for user 1234", "roster page 3"
    subject: Mapped[str] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    run: Mapped[SyncRun] = relationship(back_populates="errors")


class CourseLock(Base):
    """Held while a course syncs, so a course is never synced twice at once (any worker)."""

    __tablename__ = "course_locks"
    __table_args__ = (UniqueConstraint("kind", "unit_key"),)

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(20))
    unit_key: Mapped[str] = mapped_column(String(255))
    run_id: Mapped[int | None] = mapped_column(default=None)
    expires_at: Mapped[datetime] = mapped_column()
