"""The sync panel: when the course last synced, a sync running now, and what failed and why.

"Sync now" records a run (`bridge.runs.start_run`) and hands it to the dispatcher (Celery or
a background thread); the page polls `run_progress` as JSON until the run is over. A course
already syncing is not started twice: the running run is shown instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bridge.runs import start_run
from lti.pages.standing_detail import StandingNotFound
from lti.pages.tables import Table
from pbridge.errors import ProficiencyBridgeError
from store.audit import record_change
from store.course_settings import Writeback, course_writeback, set_course_writeback
from store.database import Database
from store.page_queries import course_units, run_errors
from store.sync_runs import RunStatus, SyncError, SyncRun, SyncUnit

STEP_WORDS = {
    "": "Waiting to start",
    "roster": "Reading the class list",
    "scores": "Reading scores",
    "standings": "Calculating standings",
    "write-back": "Writing standings to the gradebook",
    "done": "Finished",
}
WRITEBACK_WORDS = {
    Writeback.STANDARDS: "One column per graduation standard",
    Writeback.INDICATORS: "One column per performance indicator",
    Writeback.BOTH: "Both: a column per standard and per indicator",
    Writeback.NONE: "Nothing: read scores, write no columns",
}
_OVER = (RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.FAILED)


@dataclass(frozen=True, slots=True)
class UnitView:
    run_id: int
    status: RunStatus
    trigger: str
    started_at: datetime | None
    finished_at: datetime | None
    pulled: int
    computed: int
    written: int
    failed: int
    step: str
    errors: tuple[SyncError, ...]


@dataclass(frozen=True, slots=True)
class SyncStatus:
    last: UnitView | None
    running: UnitView | None
    history: tuple[UnitView, ...]
    writeback: Writeback
    writeback_choices: tuple[tuple[Writeback, str], ...]

    def tables(self) -> list[Table]:
        columns = ("Run", "Started by", "Status", "Finished", "Scores read", "Standings", "Written", "Failed")
        rows = [
            (
                u.run_id,
                u.trigger,
                u.status.value,
                u.finished_at.strftime("%Y-%m-%d %H:%M") if u.finished_at else "",
                u.pulled,
                u.computed,
                u.written,
                u.failed,
            )
            for u in self.history
        ]
        errors = [(u.run_id, e.subject, e.reason, e.status or "") for u in self.history for e in u.errors]
        return [
            Table.of("runs", "Recent syncs of this course", columns, rows),
            Table.of("errors", "What failed, and why", ("Run", "What", "Why", "HTTP status"), errors),
        ]


def _unit_view(session: Session, unit: SyncUnit) -> UnitView:
    run = unit.run
    return UnitView(
        run_id=run.id,
        status=unit.status,
        trigger=run.trigger,
        started_at=unit.started_at or run.started_at,
        finished_at=unit.finished_at,
        pulled=unit.pulled,
        computed=unit.computed,
        written=unit.written,
        failed=unit.failed,
        step=STEP_WORDS.get(unit.step, unit.step),
        errors=tuple(run_errors(session, run.id, course_id=unit.course_id)),
    )


def sync_status(session: Session, course_id: int) -> SyncStatus:
    units = [_unit_view(session, u) for u in course_units(session, course_id, limit=10)]
    running = next((u for u in units if u.status not in _OVER), None)
    last = next((u for u in units if u.status in _OVER), None)
    return SyncStatus(
        last=last,
        running=running,
        history=tuple(units),
        writeback=course_writeback(session, course_id),
        writeback_choices=tuple(WRITEBACK_WORDS.items()),
    )


def start_course_sync(
    database: Database, session: Session, *, course_id: int, user_id: int
) -> tuple[int, bool]:
    """The run syncing the course: one already running, or a new one; True when new."""
    running = sync_status(session, course_id).running
    if running is not None:
        return running.run_id, False
    return start_run(database, [course_id], trigger="teacher", started_by_user_id=user_id), True


def run_progress(session: Session, run_id: int, *, course_id: int) -> dict[str, Any]:
    """What the page's progress bar shows; "not found" for a run of another course."""
    run = session.get(SyncRun, run_id)
    unit = next((u for u in run.units if u.course_id == course_id), None) if run else None
    if run is None or unit is None:
        raise StandingNotFound("There is no such sync of this course.")
    finished = unit.status in _OVER
    errors = run_errors(session, run_id, course_id=course_id)
    if finished:
        message = (
            f"{unit.status.value.capitalize()}: {unit.pulled} scores read, "
            f"{unit.computed} standings changed, {unit.written} written to the gradebook, "
            f"{unit.failed} failed."
        )
    else:
        message = STEP_WORDS.get(unit.step, unit.step) + "…"
    return {
        "run_id": run.id,
        "status": unit.status.value,
        "step": unit.step,
        "units_total": run.units_total,
        "units_done": run.units_done,
        "pulled": unit.pulled,
        "computed": unit.computed,
        "written": unit.written,
        "failed": unit.failed,
        "finished": finished,
        "message": message,
        "errors": [{"subject": e.subject, "reason": e.reason, "status": e.status} for e in errors[:20]],
    }


def choose_writeback(session: Session, *, course_id: int, choice: str, actor_id: int) -> Writeback:
    try:
        writeback = Writeback(choice)
    except ValueError:
        raise ProficiencyBridgeError("choose standards, indicators, both or none for the gradebook") from None
    set_course_writeback(session, course_id, writeback, by_user_id=actor_id)
    record_change(
        session,
        actor_id=actor_id,
        course_id=course_id,
        action="write-back changed",
        subject="gradebook columns of the course",
        detail=WRITEBACK_WORDS[writeback],
    )
    return writeback
