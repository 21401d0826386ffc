"""Sync runs with their errors, and the audit log, as admins read them; and an admin's sync
of every course (after a policy change, say: the gradebooks otherwise get the recalculated
standings at each course's next nightly sync)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.recompute_runs import KIND as RECOMPUTE
from bridge.runs import LOCK_LIFETIME, courses_with_an_lms, record_run
from lti.pages.tables import Table
from store.audit import recent_changes
from store.page_queries import recent_runs, run_errors
from store.sync_runs import SyncError, SyncRun
from store.types import utcnow


@dataclass(frozen=True, slots=True)
class RunLine:
    run: SyncRun
    errors: tuple[SyncError, ...]


@dataclass(frozen=True, slots=True)
class RunsOverview:
    runs: tuple[RunLine, ...]

    def tables(self) -> list[Table]:
        columns = (
            "Run",
            "Kind",
            "Started by",
            "Status",
            "Created",
            "Finished",
            "Courses",
            "Read",
            "Standings changed",
            "Written",
            "Failed",
        )
        rows = [
            (
                r.run.id,
                r.run.kind,
                r.run.trigger,
                r.run.status.value,
                r.run.created_at.strftime("%Y-%m-%d %H:%M"),
                r.run.finished_at.strftime("%Y-%m-%d %H:%M") if r.run.finished_at else "",
                "all" if r.run.kind == RECOMPUTE else f"{r.run.units_done}/{r.run.units_total}",
                r.run.pulled,
                r.run.computed,
                r.run.written,
                r.run.failed,
            )
            for r in self.runs
        ]
        errors = [
            (r.run.id, e.course_id or "", e.subject, e.reason, e.status or "")
            for r in self.runs
            for e in r.errors
        ]
        return [
            Table.of("runs", "Sync runs, newest first", columns, rows),
            Table.of(
                "errors", "Errors of these runs", ("Run", "Course", "What", "Why", "HTTP status"), errors
            ),
        ]


def runs_overview(session: Session, *, limit: int = 50) -> RunsOverview:
    return RunsOverview(
        runs=tuple(
            RunLine(run, tuple(run_errors(session, run.id))) for run in recent_runs(session, limit=limit)
        )
    )


def audit_table(session: Session, *, limit: int = 300) -> Table:
    rows = [
        (
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            e.actor.display_name if e.actor else "the tool",
            e.action,
            e.subject,
            e.detail,
            e.course_id or "",
        )
        for e in recent_changes(session, limit=limit)
    ]
    columns = ("When (UTC)", "Who", "What", "About", "Detail", "Course")
    return Table.of("audit", "Who changed what, newest first", columns, rows)


#: who starts a sync of every course from the admin pages (the runs list says so)
EVERY_COURSE_TRIGGER = "admin"


@dataclass(frozen=True, slots=True)
class EveryCourseSync:
    """What asking for a sync of every course gave: a run, a run already under way, or none
    (no course has an LMS to sync with yet)."""

    run_id: int | None
    new: bool


def sync_every_course(session: Session, *, actor_id: int) -> EveryCourseSync:
    """Record a queued sync of every course in the caller's transaction (the caller commits,
    then dispatches it), unless one an admin started is still under way."""
    running = _every_course_sync_under_way(session)
    if running is not None:
        return EveryCourseSync(running.id, new=False)
    courses = courses_with_an_lms(session)
    if not courses:
        return EveryCourseSync(None, new=False)
    run_id = record_run(
        session,
        courses,
        trigger=EVERY_COURSE_TRIGGER,
        started_by_user_id=actor_id,
        scope={"every_course": True, "courses": courses},
    )
    return EveryCourseSync(run_id, new=True)


def _every_course_sync_under_way(session: Session) -> SyncRun | None:
    """The newest admin-started sync not finished, unless nothing has moved in it for the
    lock's lifetime (its worker died: it must not block the button for ever)."""
    run = session.scalars(
        select(SyncRun)
        .where(SyncRun.kind == "lms", SyncRun.trigger == EVERY_COURSE_TRIGGER, SyncRun.finished_at.is_(None))
        .order_by(SyncRun.id.desc())
        .limit(1)
    ).first()
    if run is None:
        return None
    moments = [run.created_at, run.started_at]
    moments += [m for u in run.units for m in (u.started_at, u.finished_at)]
    last = max(m for m in moments if m is not None)
    return run if utcnow() - last < LOCK_LIFETIME else None
