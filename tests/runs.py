"""Waiting for a run that a background thread or a Celery worker carries out."""

from __future__ import annotations

import time

from store.database import Database
from store.sync_runs import SyncRun


def finished_run(database: Database, run_id: int, seconds: float = 60) -> SyncRun:
    """The run once it has finished (detached); fails the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with database.begin() as session:
            run = session.get(SyncRun, run_id)
            assert run is not None
            if run.finished_at is not None:
                session.expunge(run)
                return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish in {seconds} s")
