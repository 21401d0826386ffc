"""Waiting for a run that a background thread or a Celery worker carries out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from pbridge.settings import Settings
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


@contextmanager
def celery_worker(
    settings: Settings, database: Database, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """The Celery app of these settings on the real Redis, with a worker (one process, in
    this one) that builds its bridge from the environment as a deployed worker does."""
    from celery.contrib.testing.worker import start_worker

    import bridge.jobs

    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("PBRIDGE_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("REDIS_URL", redis_url)
    bridge.jobs._worker_bridge.cache_clear()
    app = bridge.jobs.make_celery(settings.replace(redis_url=redis_url))
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        bridge.jobs._worker_bridge.cache_clear()
