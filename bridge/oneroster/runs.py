"""Recording a SIS sync as a run (kind "sis"): its units, counts and errors, as it goes.

A unit's success is written in the same transaction as its data, so the record never claims
what did not land; failures are written in their own short transaction once the unit's data
transaction is gone, so a failed unit leaves an honest trace and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.database import Database
from store.sync_runs import RunStatus, SyncError, SyncRun, SyncUnit
from store.types import utcnow


@dataclass
class RunRecorder:
    database: Database
    run_id: int
    unit_ids: dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(
        cls, database: Database, *, trigger: str, scope: dict[str, Any], units: list[str]
    ) -> RunRecorder:
        with database.begin() as session:
            run = SyncRun(
                kind="sis",
                trigger=trigger,
                scope=scope,
                status=RunStatus.RUNNING,
                units_total=len(units),
                started_at=utcnow(),
            )
            session.add(run)
            session.flush()
            unit_ids = {}
            for ref in units:
                unit = SyncUnit(run_id=run.id, ref=ref, status=RunStatus.QUEUED)
                session.add(unit)
                session.flush()
                unit_ids[ref] = unit.id
            return cls(database, run.id, unit_ids)

    def add_unit(self, session: Session, ref: str) -> None:
        """A unit found while running (a class met in the data), inside the caller's work."""
        if ref in self.unit_ids:
            return
        unit = SyncUnit(run_id=self.run_id, ref=ref, status=RunStatus.RUNNING, started_at=utcnow())
        session.add(unit)
        session.flush()
        self.unit_ids[ref] = unit.id

    def unit_done(
        self,
        session: Session,
        ref: str,
        *,
        pulled: int = 0,
        written: int = 0,
        skipped: int = 0,
        failed: int = 0,
    ) -> None:
        """Mark a unit done inside the transaction that stored its data."""
        unit = session.get(SyncUnit, self.unit_ids[ref])
        assert unit is not None
        unit.status = RunStatus.PARTIAL if failed else RunStatus.SUCCEEDED
        unit.pulled += pulled
        unit.written += written
        unit.skipped += skipped
        unit.failed += failed
        unit.finished_at = utcnow()

    def unit_failed(self, ref: str, reason: str, *, status: int | None = None) -> None:
        """Record a failed unit and why, in a transaction of its own."""
        with self.database.begin() as session:
            unit_id = self.unit_ids.get(ref)
            if unit_id is None:
                self.add_unit(session, ref)
                unit_id = self.unit_ids[ref]
            unit = session.get(SyncUnit, unit_id)
            assert unit is not None
            unit.status = RunStatus.FAILED
            unit.finished_at = utcnow()
            session.add(SyncError(run_id=self.run_id, subject=ref, reason=reason, status=status))

    def error(self, session: Session, subject: str, reason: str, *, status: int | None = None) -> None:
        """An error about one thing (a result, a line item) that did not stop its unit."""
        session.add(SyncError(run_id=self.run_id, subject=subject, reason=reason, status=status))

    def finish(self, *, requests: int, stopped_by: Exception | None = None) -> RunStatus:
        """Close the run: totals from its units, and a status that says what happened.

        `stopped_by`: the error that ended the run early; the run is then FAILED whatever
        its units did, with the error recorded.
        """
        with self.database.begin() as session:
            run = session.get(SyncRun, self.run_id)
            assert run is not None
            units = session.scalars(select(SyncUnit).where(SyncUnit.run_id == self.run_id)).all()
            run.units_total = len(units)
            run.units_done = sum(1 for u in units if u.status is not RunStatus.QUEUED)
            for name in ("pulled", "written", "skipped", "failed"):
                setattr(run, name, sum(getattr(u, name) for u in units))
            run.requests = requests
            failed = [u for u in units if u.status is RunStatus.FAILED]
            unfinished = [u for u in units if u.status in (RunStatus.QUEUED, RunStatus.RUNNING)]
            if stopped_by is not None:
                run.status = RunStatus.FAILED
                session.add(
                    SyncError(
                        run_id=self.run_id,
                        subject="run",
                        reason=f"stopped: {stopped_by}",
                        status=getattr(stopped_by, "status", None),
                    )
                )
            elif units and len(failed) == len(units):
                run.status = RunStatus.FAILED
            elif failed or unfinished or any(u.status is RunStatus.PARTIAL for u in units):
                run.status = RunStatus.PARTIAL
            else:
                run.status = RunStatus.SUCCEEDED
            run.finished_at = utcnow()
            return run.status
