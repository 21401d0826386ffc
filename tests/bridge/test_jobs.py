"""Syncs as Celery tasks on the real Redis, and in a background thread without it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bridge.jobs import Dispatcher
from bridge.runs import start_run
from pbridge.cli import main
from store.migrate import stamp_head, upgrade
from store.sync_runs import RunStatus
from tests.bridge.conftest import aligned_course
from tests.runs import celery_worker, finished_run
from tests.stack import running_stack


def test_a_run_dispatched_without_redis_runs_in_the_background(database):
    with running_stack(database) as stack:
        course = aligned_course(stack)
        run_id = start_run(database, [course.course_id], trigger="teacher")
        Dispatcher(course.bridge).dispatch(run_id)
        run = finished_run(database, run_id)
        assert run.status is RunStatus.SUCCEEDED
        assert run.written == 2 * len(course.learners)
        assert run.units_done == run.units_total == 1


@pytest.mark.redis
def test_celery_workers_on_redis_sync_each_course_as_a_task(database, redis_url, redis_client, monkeypatch):
    with running_stack(database) as stack:
        course = aligned_course(stack)
        run_id = start_run(database, [course.course_id], trigger="schedule")
        with celery_worker(stack.settings, database, redis_url, monkeypatch) as app:
            Dispatcher(course.bridge, celery=app).dispatch(run_id)
            run = finished_run(database, run_id)
        assert run.status is RunStatus.SUCCEEDED
        assert run.written == 2 * len(course.learners)


@pytest.mark.redis
def test_the_nightly_schedule_records_a_run_and_the_workers_sync_its_courses(
    database, redis_url, redis_client, monkeypatch
):
    with running_stack(database) as stack:
        course = aligned_course(stack)
        with celery_worker(stack.settings, database, redis_url, monkeypatch) as app:
            scheduled = app.send_task("pbridge.sync_courses", kwargs={"active_only": False})
            run = finished_run(database, scheduled.get(timeout=30))
        assert (run.trigger, run.status, run.units_total) == ("schedule", RunStatus.SUCCEEDED, 1)
        assert run.written == 2 * len(course.learners)


def test_the_sync_command_prints_what_it_did(database, monkeypatch):
    with running_stack(database) as stack:
        course = aligned_course(stack)
        monkeypatch.setenv("DATABASE_URL", database.url)
        monkeypatch.setenv("PBRIDGE_SECRET_KEY", stack.settings.secret_key)
        stamp_head(database.url)  # the fixture made the schema; the CLI wants it marked current
        result = CliRunner().invoke(main, ["sync", "--course", str(course.course_id)])
        assert result.exit_code == 0, result.output
        assert f"{2 * len(course.learners)} written" in result.output
        again = CliRunner().invoke(main, ["sync", "--all"])
        assert " 0 written" in again.output


def test_the_sync_command_refuses_an_unknown_course(database, monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    result = CliRunner().invoke(main, ["sync", "--course", "999"])
    assert result.exit_code == 1
    assert "there is no course [999]" in result.output
