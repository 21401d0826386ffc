"""Recomputing every standing of the district as a recorded run, off the web request.

A new district policy changes every standing, and recomputing a district of 20,000 students
takes minutes: longer than a web request may last behind a proxy. So saving the policy
records a queued run in the same transaction as the policy (a crash after the commit leaves
the run visible as queued, never a policy with silently stale standings), and a worker or a
background thread runs it. The run is the same record as a sync's (`store.sync_runs`), with
kind "recompute", so the admin page's list of runs shows it with the others.

One district recompute runs at a time, across processes: a second one waits for the lock
(the lock of a killed worker expires, see `bridge.runs.LOCK_LIFETIME`), then reads the
policy as it is by then.

It goes through the district's students in passes, each pass a unit of the run and a
transaction of its own. Every standing belongs to one student, so a pass is complete in
itself, and what one pass costs stays the same however large the district: the memory it
holds, how long it keeps rows locked against a sync, what a retry redoes. A pass is a range
of student ids, so a student who arrives between planning and running is still covered.

Passes share nothing, so they can run at the same time. With Celery each pass is a task of
its own (`pbridge.recompute_pass`) and the workers share them out, each on its own core and
database connection; in a background thread they run one after another. Whichever pass
closes the run releases the district lock, and each pass that finishes extends it. The
policy page follows the passes as they finish. A pass that collides with a sync writing the
same standings is refused by the database and tried again; nothing is written by a failed
attempt, and a pass that keeps being refused is recorded as failed while the others go on.
A pass stopped by an unexpected error stops the passes not yet started: they would meet it
too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bridge.runs import extend_lock, release_lock, settle_run, take_lock
from pbridge.errors import ProficiencyBridgeError
from store.database import Database
from store.recompute import district_students, recompute
from store.standing_writes import remove_orphans
from store.sync_runs import RunStatus, SyncError, SyncRun, SyncUnit
from store.types import utcnow

log = logging.getLogger("pbridge.recompute")

KIND = "recompute"
#: a unit's step while the run waits for another district recompute, and while it computes
WAITING = "waiting"
COMPUTING = "computing"
_LOCK_KIND = "recompute"
_LOCK_KEY = "district"
#: attempts when the database refuses a transaction (a sync wrote the same standings)
ATTEMPTS = 3
#: students per pass (see the module docstring): at the benchmark's 480 observations a
#: student, a second or two of work and a few hundred MB at most
STUDENTS_PER_PASS = 1000
_UNEXPECTED = "an unexpected error stopped it; see the tool's log"
_NOT_RUN = "not run: an earlier pass failed"

T = TypeVar("T")


def queue_district_recompute(
    session: Session, *, trigger: str, reason: str, started_by_user_id: int | None = None
) -> int:
    """Record a queued recompute of every standing in the caller's transaction; its id.

    It has one unit until it starts; then that unit becomes its first pass of students.
    """
    run = SyncRun(
        kind=KIND,
        trigger=trigger,
        started_by_user_id=started_by_user_id,
        scope={"reason": reason},
        units_total=1,
    )
    run.units = [SyncUnit(ref="district")]
    session.add(run)
    session.flush()
    return run.id


def latest_district_recompute(session: Session) -> SyncRun | None:
    return session.scalars(
        select(SyncRun).where(SyncRun.kind == KIND).order_by(SyncRun.id.desc()).limit(1)
    ).first()


def run_district_recompute(
    database: Database,
    run_id: int,
    *,
    poll_seconds: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    students_per_pass: int = STUDENTS_PER_PASS,
    on_pass: Callable[[int, int], None] | None = None,
) -> SyncRun:
    """Run a queued district recompute in this process, pass after pass; its outcome.
    `on_pass` hears (passes done, passes in all) after each.

    A run already finished (a task delivered twice) is returned as it is.
    """
    passes = start_district_recompute(
        database, run_id, poll_seconds=poll_seconds, sleep=sleep, students_per_pass=students_per_pass
    )
    try:
        for done, unit_id in enumerate(passes, start=1):
            run_recompute_pass(database, run_id, unit_id)
            if on_pass is not None:
                on_pass(done, len(passes))
    finally:  # the last pass has released it, unless something stopped this loop
        release_lock(database, kind=_LOCK_KIND, key=_LOCK_KEY, run_id=run_id)
    return _finished_run(database, run_id)


def start_district_recompute(
    database: Database,
    run_id: int,
    *,
    poll_seconds: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    students_per_pass: int = STUDENTS_PER_PASS,
) -> list[int]:
    """Take the district lock for a queued run and plan its passes; the passes' unit ids, for
    `run_recompute_pass` here or on workers.

    Nothing to run ([]) when the run is already over, or when planning failed (recorded on
    the run, which is then over and its lock released).
    """
    unit_id = _start(database, run_id)
    if unit_id is None:
        return []
    waiting = False
    while not take_lock(database, run_id, kind=_LOCK_KIND, key=_LOCK_KEY):
        if not waiting:
            _set_step(database, unit_id, WAITING)
            waiting = True
        sleep(poll_seconds)
    try:
        return _with_retries(database, lambda s: _plan(s, run_id, unit_id, students_per_pass))
    except Exception as error:  # noqa: BLE001 (recorded on the run; logged by _reason)
        _finish(database, run_id, unit_id, changed=0, problem=_reason(error, run_id))
        return []


def run_recompute_pass(database: Database, run_id: int, unit_id: int) -> None:
    """Recompute one planned pass of students as its unit; the pass that closes the run
    releases the district lock. A pass already finished (a task delivered twice) is left
    as it is."""
    students = _claim(database, run_id, unit_id)
    if students is None:
        return
    if _stopped(database, run_id):
        _finish(database, run_id, unit_id, changed=0, problem=_NOT_RUN)
        return
    low, high = students
    began = time.monotonic()
    try:
        changed = _with_retries(
            database, lambda s: len(recompute(s, students=district_students(s, low, high), explain=False))
        )
    except Exception as error:  # noqa: BLE001 (recorded on the run; logged by _reason)
        _finish(database, run_id, unit_id, changed=0, problem=_reason(error, run_id))
        return
    seconds = time.monotonic() - began
    _finish(database, run_id, unit_id, changed=changed, step=f"{changed} changed in {seconds:.1f} s")
    log.info("district recompute run=%s unit=%s changed=%s seconds=%.1f", run_id, unit_id, changed, seconds)


def _plan(session: Session, run_id: int, unit_id: int, size: int) -> list[int]:
    """Remove orphaned standings, list the students, and give each pass of them a unit (the
    queued unit becomes the first pass) and a range of student ids; the units' ids, in the
    order of their students."""
    remove_orphans(session)
    students = district_students(session)
    passes = [students[k : k + size] for k in range(0, len(students), max(1, size))] or [[]]
    run = session.get(SyncRun, run_id)
    first = session.get(SyncUnit, unit_id)
    assert run is not None and first is not None
    units = [first]
    units.extend(SyncUnit(run_id=run_id) for _ in passes[1:])
    before = 0
    for unit, students_of_pass in zip(units, passes, strict=True):
        unit.ref = _pass_ref(before, len(students_of_pass), len(students))
        before += len(students_of_pass)
    session.add_all(units[1:])
    session.flush()
    # from the pass's first student to the next pass's: the first and last ranges are open
    starts: list[int | None] = [None, *(p[0] for p in passes[1:])]
    ranges = {
        str(unit.id): [low, high] for unit, low, high in zip(units, starts, [*starts[1:], None], strict=True)
    }
    run.units_total = len(passes)
    run.scope = {**run.scope, "students": len(students), "passes": ranges}
    return [unit.id for unit in units]


def _pass_ref(before: int, count: int, total: int) -> str:
    """A pass as the runs list names it: by position, since ids mean nothing to an admin."""
    if not count:
        return "no students"
    return f"students {before + 1:,}–{before + count:,} of {total:,}"


def _reason(error: Exception, run_id: int) -> str:
    """What the run records of an error: ours say what went wrong; any other is logged with
    its traceback and recorded without details."""
    if isinstance(error, ProficiencyBridgeError):
        return str(error)
    log.error("district recompute run %s failed", run_id, exc_info=error)
    return _UNEXPECTED


def _with_retries(database: Database, work: Callable[[Session], T]) -> T:
    """Run `work` in a transaction of its own, again when the database refuses it."""
    attempt = 1
    while True:
        try:
            with database.begin() as session:
                return work(session)
        except (IntegrityError, OperationalError) as error:
            if attempt == ATTEMPTS:
                reason = str(error.orig).splitlines()[0] if error.orig else type(error).__name__
                raise ProficiencyBridgeError(
                    f"the database refused the recompute {ATTEMPTS} times ({reason}); try again"
                ) from error
            log.warning("district recompute attempt %s refused by the database; trying again", attempt)
            time.sleep(0.2 * attempt)
            attempt += 1


def _start(database: Database, run_id: int) -> int | None:
    """Mark the run and its unit running; the unit's id, or None when the run is over."""
    with database.begin() as session:
        run = session.get(SyncRun, run_id)
        if run is None or run.kind != KIND:
            raise ProficiencyBridgeError(f"there is no recompute run {run_id}")
        if run.finished_at is not None:
            return None
        run.status = RunStatus.RUNNING
        run.started_at = run.started_at or utcnow()
        unit = run.units[0]
        unit.status = RunStatus.RUNNING
        unit.started_at = unit.started_at or utcnow()
        return unit.id


def _set_step(database: Database, unit_id: int, step: str) -> None:
    with database.begin() as session:
        session.execute(update(SyncUnit).where(SyncUnit.id == unit_id).values(step=step))


def _claim(database: Database, run_id: int, unit_id: int) -> tuple[int | None, int | None] | None:
    """Mark a planned pass computing; its range of student ids (from, up to but not
    including; None: open), or None when the pass is already over."""
    with database.begin() as session:
        unit = session.get(SyncUnit, unit_id)
        run = session.get(SyncRun, run_id)
        if unit is None or run is None or unit.run_id != run_id:
            raise ProficiencyBridgeError(f"there is no pass {unit_id} of recompute run {run_id}")
        if unit.finished_at is not None:
            return None
        low, high = run.scope["passes"][str(unit_id)]
        unit.status = RunStatus.RUNNING
        unit.step = COMPUTING
        unit.started_at = utcnow()
        return low, high


def _stopped(database: Database, run_id: int) -> bool:
    """Whether an unexpected error stopped one of the run's passes."""
    with database.begin() as session:
        found = session.scalar(
            select(SyncError.id).where(SyncError.run_id == run_id, SyncError.reason == _UNEXPECTED).limit(1)
        )
        return found is not None


def _finish(
    database: Database, run_id: int, unit_id: int, *, changed: int, step: str = "", problem: str | None = None
) -> None:
    with database.begin() as session:
        unit = session.get(SyncUnit, unit_id)
        assert unit is not None
        unit.status = RunStatus.FAILED if problem else RunStatus.SUCCEEDED
        unit.step = (step or unit.status.value)[:100]
        unit.computed = changed
        unit.failed = 1 if problem else 0
        unit.finished_at = utcnow()
        session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id)
            .values(computed=SyncRun.computed + changed, failed=SyncRun.failed + unit.failed)
        )
        if problem:
            session.add(SyncError(run_id=run_id, subject=_subject(unit.ref), reason=problem))
    if settle_run(database, run_id):
        release_lock(database, kind=_LOCK_KIND, key=_LOCK_KEY, run_id=run_id)
    else:  # the run is making progress: its lock is not a killed worker's
        extend_lock(database, kind=_LOCK_KIND, key=_LOCK_KEY, run_id=run_id)


def _subject(ref: str) -> str:
    """What an error is about: a pass of students, or (before the passes are planned) every
    standing."""
    return "every standing" if ref in ("district", "no students") else ref


def _finished_run(database: Database, run_id: int) -> SyncRun:
    with database.begin() as session:
        run = session.get(SyncRun, run_id)
        assert run is not None
        session.expunge(run)
        return run
