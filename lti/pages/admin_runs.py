"""Sync runs with their errors, and the audit log, as admins read them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bridge.recompute_runs import KIND as RECOMPUTE
from lti.pages.tables import Table
from store.audit import recent_changes
from store.page_queries import recent_runs, run_errors
from store.sync_runs import SyncError, SyncRun


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
