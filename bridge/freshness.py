"""Launch-time freshness: opening the tool refreshes a course whose last sync is old.

A teacher or student who opens the tool should not look at standings older than the scores
in their gradebook. A launch therefore starts a background sync of its course when the last
one is older than the configured age (and none is running); the page shows the standings of
the last sync and when it ran.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, select

from bridge.runs import LOCK_LIFETIME
from store.alignments import Alignment
from store.database import Database
from store.sync_runs import RunStatus, SyncRun, SyncUnit
from store.types import utcnow


def needs_sync(database: Database, course_id: int, *, max_age: timedelta) -> bool:
    """True when the course has something to sync and no sync ran (or runs) in `max_age`."""
    with database.begin() as session:
        if not session.scalar(select(exists().where(Alignment.course_id == course_id))):
            return False
        # a unit left queued or running by a killed worker stops counting after the lock's lifetime
        busy = session.scalar(
            select(
                exists().where(
                    SyncUnit.course_id == course_id,
                    SyncUnit.status.in_([RunStatus.QUEUED, RunStatus.RUNNING]),
                    SyncUnit.run_id == SyncRun.id,
                    SyncRun.created_at > utcnow() - LOCK_LIFETIME,
                )
            )
        )
        if busy:
            return False
        last = session.scalar(
            select(SyncUnit.finished_at)
            .where(SyncUnit.course_id == course_id, SyncUnit.finished_at.is_not(None))
            .order_by(SyncUnit.finished_at.desc())
            .limit(1)
        )
    return last is None or utcnow() - last > max_age
