"""Sync runs: which courses, in what order, with what progress, and what went wrong.

A run is recorded before it starts and updated after every course, so a teacher's page (in
another process) shows live progress, and a run killed midway is visible as such. A course
is locked while it syncs, across workers, so it is never synced twice at once; a lock left by
a killed worker expires and is taken over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bridge.context import Bridge
from bridge.lms_sync import sync_course
from bridge.outcome import CourseOutcome, Problem
from pbridge.errors import PlatformError, ProficiencyBridgeError
from store.database import Database
from store.people import Course
from store.sync_runs import CourseLock, RunStatus, SyncError, SyncRun, SyncUnit
from store.types import utcnow

log = logging.getLogger("pbridge.sync")

LOCK_LIFETIME = timedelta(minutes=30)


@dataclass(frozen=True)
class Progress:
    run_id: int
    units_total: int
    units_done: int
    course_id: int | None
    step: str


def courses_to_sync(
    database: Database,
    *,
    course_ids: Sequence[int] = (),
    platform_id: int | None = None,
    everything: bool = False,
) -> list[int]:
    """The courses a sync covers: named ones, one platform's, or every course with AGS."""
    with database.begin() as session:
        query = select(Course.id).order_by(Course.id)
        if course_ids:
            query = query.where(Course.id.in_(course_ids))
            found = list(session.scalars(query))
            missing = sorted(set(course_ids) - set(found))
            if missing:
                raise ProficiencyBridgeError(f"there is no course {missing}; courses appear after a launch")
            return found
        if platform_id is not None:
            query = query.where(Course.platform_id == platform_id)
        elif not everything:
            raise ProficiencyBridgeError("say what to sync: --course ID, --platform ID or --all")
        query = query.where(Course.platform_id.is_not(None))
        return list(session.scalars(query))


def courses_with_an_lms(session: Session) -> list[int]:
    """Every course launched from a registered platform: what "every course" syncs."""
    return list(session.scalars(select(Course.id).where(Course.platform_id.is_not(None)).order_by(Course.id)))


def start_run(
    database: Database,
    course_ids: Sequence[int],
    *,
    trigger: str,
    started_by_user_id: int | None = None,
    scope: dict[str, Any] | None = None,
    kind: str = "lms",
) -> int:
    """Record a queued run with one unit per course; returns the run id."""
    with database.begin() as session:
        return record_run(
            session,
            course_ids,
            trigger=trigger,
            started_by_user_id=started_by_user_id,
            scope=scope,
            kind=kind,
        )


def record_run(
    session: Session,
    course_ids: Sequence[int],
    *,
    trigger: str,
    started_by_user_id: int | None = None,
    scope: dict[str, Any] | None = None,
    kind: str = "lms",
) -> int:
    """`start_run` in the caller's transaction (a page commits it before dispatching)."""
    run = SyncRun(
        kind=kind,
        trigger=trigger,
        started_by_user_id=started_by_user_id,
        scope=scope or {"courses": list(course_ids)},
        units_total=len(course_ids),
    )
    run.units = [SyncUnit(course_id=course_id) for course_id in course_ids]
    session.add(run)
    session.flush()
    return run.id


def execute_run(
    bridge: Bridge,
    run_id: int,
    *,
    progress: Callable[[Progress], None] | None = None,
    course_workers: int = 4,
) -> SyncRun:
    """Run every queued unit of a run (courses in parallel) and record the outcome."""
    with bridge.database.begin() as session:
        run = session.get(SyncRun, run_id)
        if run is None:
            raise ProficiencyBridgeError(f"there is no sync run {run_id}")
        run.status = RunStatus.RUNNING
        run.started_at = run.started_at or utcnow()
        units = [(u.id, u.course_id) for u in run.units if u.status in (RunStatus.QUEUED, RunStatus.RUNNING)]
        total = run.units_total
    requests_before = bridge.requests_made()

    def report(course_id: int | None, step: str, done: int) -> None:
        if progress is not None:
            progress(Progress(run_id, total, done, course_id, step))

    def one(unit: tuple[int, int | None]) -> None:
        unit_id, course_id = unit
        if course_id is None:
            return
        run_course_unit(bridge, run_id, unit_id, course_id, report=report)

    workers = max(1, min(course_workers, len(units)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sync-course") as pool:
        list(pool.map(one, units))

    if not units:  # nothing was left to do: close it here
        settle_run(bridge.database, run_id)
    with bridge.database.begin() as session:
        session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id)
            .values(requests=SyncRun.requests + (bridge.requests_made() - requests_before))
        )
        run = session.get(SyncRun, run_id)
        assert run is not None
        session.refresh(run)
        session.expunge(run)
    report(None, "done", total)
    return run


def run_course_unit(
    bridge: Bridge,
    run_id: int,
    unit_id: int,
    course_id: int,
    *,
    report: Callable[[int | None, str, int], None] = lambda *_: None,
) -> RunStatus:
    """Sync one course as one unit of a run, under the course lock."""
    if not take_lock(bridge.database, run_id, key=str(course_id)):
        with bridge.database.begin() as session:
            unit = session.get(SyncUnit, unit_id)
            assert unit is not None
            unit.status = RunStatus.FAILED
            unit.step = "skipped: already syncing"
            unit.finished_at = utcnow()
            session.add(
                SyncError(
                    run_id=run_id,
                    course_id=course_id,
                    subject="the course",
                    reason="another sync of this course is running; it was not synced twice",
                )
            )
        settle_run(bridge.database, run_id)
        return RunStatus.FAILED
    try:
        with bridge.database.begin() as session:
            unit = session.get(SyncUnit, unit_id)
            assert unit is not None
            unit.status = RunStatus.RUNNING
            unit.started_at = utcnow()

        def step(name: str) -> None:
            with bridge.database.begin() as session:
                found = session.get(SyncUnit, unit_id)
                if found is not None:
                    found.step = name
            report(course_id, name, _done(bridge.database, run_id))

        try:
            outcome = sync_course(bridge, course_id, step=step)
            status = RunStatus.PARTIAL if outcome.failed else RunStatus.SUCCEEDED
        except PlatformError as error:
            outcome = CourseOutcome(failed=1, problems=[Problem.of("the course", error)])
            status = RunStatus.FAILED
        except ProficiencyBridgeError as error:
            outcome = CourseOutcome(failed=1, problems=[Problem("the course", str(error))])
            status = RunStatus.FAILED
        _record(bridge.database, run_id, unit_id, course_id, outcome, status)
        report(course_id, status.value, _done(bridge.database, run_id))
        log.info(
            "course synced run=%s course=%s status=%s pulled=%s written=%s skipped=%s failed=%s",
            run_id,
            course_id,
            status.value,
            outcome.pulled,
            outcome.written,
            outcome.skipped,
            outcome.failed,
        )
        return status
    finally:
        release_lock(bridge.database, key=str(course_id))


def _record(
    database: Database, run_id: int, unit_id: int, course_id: int, outcome: CourseOutcome, status: RunStatus
) -> None:
    with database.begin() as session:
        unit = session.get(SyncUnit, unit_id)
        assert unit is not None
        unit.status = status
        step = "notices: " + " | ".join(outcome.notices) if outcome.notices else status.value
        unit.step = step[:100]
        counts = {
            name: getattr(outcome, name) for name in ("pulled", "computed", "written", "skipped", "failed")
        }
        for name, value in counts.items():
            setattr(unit, name, value)
        unit.finished_at = utcnow()
        # added in SQL, not read-modify-write: courses of one run finish concurrently
        session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id)
            .values(
                {getattr(SyncRun, name): getattr(SyncRun, name) + value for name, value in counts.items()}
            )
        )
        for notice in outcome.notices:
            session.add(SyncError(run_id=run_id, course_id=course_id, subject="notice", reason=notice))
        for problem in outcome.problems[:200]:
            session.add(
                SyncError(
                    run_id=run_id,
                    course_id=course_id,
                    subject=problem.subject[:500],
                    reason=problem.reason,
                    status=problem.status,
                )
            )
    settle_run(database, run_id)


FINISHED = (RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.FAILED)


def settle_run(database: Database, run_id: int) -> bool:
    """Count finished units; when all are, close the run (once, whichever worker gets here);
    whether the run is over.

    Runs in its own transaction after the unit's has committed, so the last unit to finish
    always sees every other unit's outcome.
    """
    with database.begin() as session:
        statuses = list(session.scalars(select(SyncUnit.status).where(SyncUnit.run_id == run_id)))
        finished = [s for s in statuses if s in FINISHED]
        if statuses and len(finished) == len(statuses):
            if all(s is RunStatus.SUCCEEDED for s in finished):
                status = RunStatus.SUCCEEDED
            elif any(s in (RunStatus.SUCCEEDED, RunStatus.PARTIAL) for s in finished):
                status = RunStatus.PARTIAL
            else:
                status = RunStatus.FAILED
            session.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id, SyncRun.finished_at.is_(None))
                .values(status=status, finished_at=utcnow(), units_done=len(finished))
            )
            return True
        session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id, SyncRun.units_done < len(finished))
            .values(units_done=len(finished))
        )
        return False


def _done(database: Database, run_id: int) -> int:
    with database.begin() as session:
        run = session.get(SyncRun, run_id)
        return run.units_done if run else 0


def take_lock(database: Database, run_id: int, *, kind: str = "course", key: str) -> bool:
    """Take the lock on one unit of work (a course, the district's standings) for this run;
    False when another run holds it. A lock older than `LOCK_LIFETIME` was left by a killed
    worker and is taken over."""
    now = utcnow()
    with database.begin() as session:
        session.execute(
            delete(CourseLock).where(
                CourseLock.kind == kind, CourseLock.unit_key == key, CourseLock.expires_at < now
            )
        )
    try:
        with database.begin() as session:
            session.add(CourseLock(kind=kind, unit_key=key, run_id=run_id, expires_at=now + LOCK_LIFETIME))
    except IntegrityError:
        return False
    return True


def release_lock(database: Database, *, kind: str = "course", key: str, run_id: int | None = None) -> None:
    """Release a lock; with `run_id`, only if that run still holds it (after its lock expired,
    another run may have taken it over)."""
    with database.begin() as session:
        statement = delete(CourseLock).where(CourseLock.kind == kind, CourseLock.unit_key == key)
        if run_id is not None:
            statement = statement.where(CourseLock.run_id == run_id)
        session.execute(statement)


def extend_lock(database: Database, *, kind: str, key: str, run_id: int) -> None:
    """Give the run's lock a full lifetime again: a run that makes progress is not a killed
    worker's, however long it takes."""
    with database.begin() as session:
        session.execute(
            update(CourseLock)
            .where(CourseLock.kind == kind, CourseLock.unit_key == key, CourseLock.run_id == run_id)
            .values(expires_at=utcnow() + LOCK_LIFETIME)
        )
