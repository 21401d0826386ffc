"""Where runs go: Celery workers on Redis when `REDIS_URL` is set, a background thread otherwise.

With Celery each course is its own task, so any number of workers share a run and a course
is still never synced twice at once (the course lock lives in the database). A beat
schedule syncs every course nightly and recently launched ("active") courses every few
minutes. A district recompute (after a policy change) is one task that plans the passes of
students and hands each to the workers as a task of its own (`bridge.recompute_runs`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Any

from celery import Celery
from celery.schedules import crontab
from sqlalchemy import select

from bridge.context import Bridge
from bridge.recompute_runs import (
    STUDENTS_PER_PASS,
    run_district_recompute,
    run_recompute_pass,
    start_district_recompute,
)
from bridge.runs import courses_with_an_lms, execute_run, run_course_unit, start_run
from bridge.service_tokens import MemoryTokenCache, RedisTokenCache, TokenCache
from pbridge.settings import Settings
from store.database import Database
from store.people import Course
from store.secret_box import SecretBox
from store.sync_runs import RunStatus, SyncUnit
from store.types import utcnow

log = logging.getLogger("pbridge.jobs")


def bridge_from_settings(settings: Settings, *, database: Database | None = None) -> Bridge:
    """The bridge a worker or the web app uses: shared token cache in Redis when configured."""
    cache: TokenCache = MemoryTokenCache()
    if settings.redis_url:
        from redis import Redis

        cache = RedisTokenCache(Redis.from_url(settings.redis_url, socket_timeout=5))
    from bridge.http import make_client

    return Bridge(
        database or Database(settings.database_url),
        SecretBox.from_settings(settings.encryption_key, settings.secret_key),
        http=make_client(timeout=settings.http_timeout),
        token_cache=cache,
        max_concurrency=settings.platform_concurrency,
    )


def make_celery(settings: Settings) -> Celery:
    """The Celery app: Redis as broker and result store, our tasks, the beat schedule."""
    app = Celery("pbridge", broker=settings.redis_url, backend=settings.redis_url)
    app.conf.update(
        task_acks_late=True,  # a worker killed mid-course leaves the task for another worker
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        beat_schedule={
            "nightly-sync": {
                "task": "pbridge.sync_courses",
                "schedule": crontab(hour=settings.sync_nightly_hour, minute=0),
                "kwargs": {"active_only": False},
            },
            "active-courses-sync": {
                "task": "pbridge.sync_courses",
                "schedule": timedelta(minutes=settings.sync_active_minutes),
                "kwargs": {"active_only": True},
            },
        },
    )
    _register_tasks(app)
    return app


@cache
def _worker_bridge() -> Bridge:
    return bridge_from_settings(Settings.from_env())


def _register_tasks(app: Celery) -> None:
    """The bridge's tasks, on this app alone: Celery would otherwise hand a task to every
    later app of the process as the first app registered it (with a warning per name)."""

    @app.task(name="pbridge.sync_unit", bind=True, max_retries=3, shared=False)  # type: ignore[untyped-decorator]
    def sync_unit(task: Any, run_id: int, unit_id: int, course_id: int) -> str:
        return run_course_unit(_worker_bridge(), run_id, unit_id, course_id).value

    @app.task(name="pbridge.recompute_district", bind=True, shared=False)  # type: ignore[untyped-decorator]
    def recompute_district(task: Any, run_id: int) -> int:
        # the pass size the worker's own environment sets; passes go through the app running it
        size = Settings.from_env().recompute_pass_students
        passes = start_district_recompute(_worker_bridge().database, run_id, students_per_pass=size)
        for unit_id in passes:
            task.app.send_task("pbridge.recompute_pass", args=[run_id, unit_id])
        return len(passes)

    @app.task(name="pbridge.recompute_pass", shared=False)  # type: ignore[untyped-decorator]
    def recompute_pass(run_id: int, unit_id: int) -> None:
        run_recompute_pass(_worker_bridge().database, run_id, unit_id)

    @app.task(name="pbridge.sync_courses", bind=True, shared=False)  # type: ignore[untyped-decorator]
    def sync_courses(task: Any, active_only: bool) -> int:
        bridge = _worker_bridge()
        course_ids = active_courses(bridge.database) if active_only else all_courses(bridge.database)
        if not course_ids:
            return 0
        run_id = start_run(
            bridge.database, course_ids, trigger="schedule", scope={"active_only": active_only}
        )
        queue_units(task.app, bridge.database, run_id)  # through the app running it
        return run_id


def queue_units(app: Celery, database: Database, run_id: int) -> None:
    with database.begin() as session:
        units = [
            (u.id, u.course_id)
            for u in session.scalars(
                select(SyncUnit).where(SyncUnit.run_id == run_id, SyncUnit.status == RunStatus.QUEUED)
            )
        ]
    for unit_id, course_id in units:
        if course_id is not None:
            app.send_task("pbridge.sync_unit", args=[run_id, unit_id, course_id])


def all_courses(database: Database) -> list[int]:
    with database.begin() as session:
        return courses_with_an_lms(session)


def active_courses(database: Database, *, within: timedelta = timedelta(days=14)) -> list[int]:
    """Courses someone launched recently: worth keeping fresh between nightly syncs."""
    since = utcnow() - within
    with database.begin() as session:
        return list(
            session.scalars(
                select(Course.id)
                .where(Course.platform_id.is_not(None), Course.last_launch_at >= since)
                .order_by(Course.id)
            )
        )


class Dispatcher:
    """Starts a recorded run (a sync, or a district recompute): on Celery workers, or in a
    background thread of this process."""

    def __init__(
        self, bridge: Bridge, *, celery: Celery | None = None, students_per_pass: int = STUDENTS_PER_PASS
    ) -> None:
        self.bridge = bridge
        self.celery = celery
        self.students_per_pass = students_per_pass

    def dispatch(self, run_id: int) -> None:
        if self.celery is not None:
            queue_units(self.celery, self.bridge.database, run_id)
            return
        _in_background(f"sync-run-{run_id}", lambda: execute_run(self.bridge, run_id))

    def recompute(self, run_id: int) -> None:
        """Start a queued district recompute (`bridge.recompute_runs`)."""
        if self.celery is not None:
            self.celery.send_task("pbridge.recompute_district", args=[run_id])
            return
        _in_background(
            f"recompute-{run_id}",
            lambda: run_district_recompute(
                self.bridge.database, run_id, students_per_pass=self.students_per_pass
            ),
        )


def _in_background(name: str, work: Callable[[], object]) -> None:
    """Run `work` in a daemon thread of this process; a failure is logged (the run's own
    record says what a person can act on)."""

    def run() -> None:
        try:
            work()
        except Exception:
            log.exception("%s failed", name)

    threading.Thread(target=run, name=name, daemon=True).start()
