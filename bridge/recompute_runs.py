"""Recomputing every standing of the district as a recorded run, off the web request.

A new district policy changes every standing, and recomputing a district of 20,000 students
takes minutes: longer than a web request may last behind a proxy. So saving the policy
records a queued run in the same transaction as the policy (a crash after the commit leaves
the run visible as queued, never a policy with silently stale standings), and a worker or a
background thread runs it. The run is the same record as a sync's (`store.sync_runs`), with
kind "recompute" and one unit, so the admin page's list of runs shows it with the others.

One district recompute runs at a time, across processes: a second one waits for the lock
(the lock of a killed worker expires, see `bridge.runs.LOCK_LIFETIME`), then reads the
policy as it is by then. A recompute that collides with a sync writing the same standings
is refused by the database and tried again; nothing is written by a failed attempt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bridge.runs import release_lock, settle_run, take_lock
from pbridge.errors import ProficiencyBridgeError
from store.database import Database
from store.recompute import recompute
from store.sync_runs import RunStatus, SyncError, SyncRun, SyncUnit
from store.types import utcnow

log = logging.getLogger("pbridge.recompute")

KIND = "recompute"
#: the unit's step while it waits for another district recompute, and while it computes
WAITING = "waiting"
COMPUTING = "computing"
_LOCK_KIND = "recompute"
_LOCK_KEY = "district"
#: attempts when the database refuses the transaction (a sync wrote the same standings)
ATTEMPTS = 3
_UNEXPECTED = "an unexpected error stopped it; see the tool's log"


def queue_district_recompute(
    session: Session, *, trigger: str, reason: str, started_by_user_id: int | None = None
) -> int:
    """Record a queued recompute of every standing in the caller's transaction; its id."""
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
) -> SyncRun:
    """Run a queued district recompute under the district lock and record its outcome.

    A run already finished (a task delivered twice) is returned as it is.
    """
    unit_id = _start(database, run_id)
    if unit_id is None:
        return _finished_run(database, run_id)
    waiting = False
    while not take_lock(database, run_id, kind=_LOCK_KIND, key=_LOCK_KEY):
        if not waiting:
            _set_step(database, unit_id, WAITING)
            waiting = True
        sleep(poll_seconds)
    try:
        _set_step(database, unit_id, COMPUTING)
        began = time.monotonic()
        try:
            changed = _recompute_with_retries(database)
        except ProficiencyBridgeError as error:
            _finish(database, run_id, unit_id, changed=0, problem=str(error))
        except Exception:
            log.exception("district recompute run %s failed", run_id)
            _finish(database, run_id, unit_id, changed=0, problem=_UNEXPECTED)
        else:
            seconds = time.monotonic() - began
            _finish(database, run_id, unit_id, changed=changed, step=f"{changed} changed in {seconds:.1f} s")
            log.info("district recompute run=%s changed=%s seconds=%.1f", run_id, changed, seconds)
    finally:
        release_lock(database, kind=_LOCK_KIND, key=_LOCK_KEY)
    return _finished_run(database, run_id)


def _recompute_with_retries(database: Database) -> int:
    """Recompute everything in one transaction; the number of standings whose value changed."""
    attempt = 1
    while True:
        try:
            with database.begin() as session:
                return len(recompute(session, explain=False))
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
            session.add(SyncError(run_id=run_id, subject="every standing", reason=problem))
    settle_run(database, run_id)


def _finished_run(database: Database, run_id: int) -> SyncRun:
    with database.begin() as session:
        run = session.get(SyncRun, run_id)
        assert run is not None
        session.expunge(run)
        return run
