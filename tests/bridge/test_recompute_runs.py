"""The district recompute as a recorded run: applies the policy as stored, one at a time across
processes, tried again when the database refuses it, and recorded honestly when it fails."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

import bridge.jobs
import bridge.recompute_runs
from bridge.jobs import Dispatcher
from bridge.recompute_runs import (
    ATTEMPTS,
    COMPUTING,
    WAITING,
    latest_district_recompute,
    queue_district_recompute,
    run_district_recompute,
    run_recompute_pass,
    start_district_recompute,
)
from bridge.runs import LOCK_LIFETIME, release_lock, take_lock
from mappings.calculation import MethodChoice
from mappings.policy import Policy
from pbridge.settings import Settings
from store.evidence import record_observations
from store.people import User
from store.policies import set_district_policy
from store.recompute import recompute
from store.standings import StandingRow
from store.sync_runs import CourseLock, RunStatus, SyncError, SyncRun, SyncUnit
from store.types import utcnow
from tests.runs import celery_worker, finished_run
from tests.store.district import make_district, observation


def _seed(database, students: int = 3) -> None:
    """Students (three unless told) with four scores each on one indicator, standings computed
    under the default policy (decaying average 0.65)."""
    with database.begin() as session:
        district = make_district(session, students=students)
        pi = district.math_indicators[0]
        course = district.courses[0]
        record_observations(
            session,
            [
                observation(student, pi, course, level, day, f"{student}-{day}")
                for student in district.students
                for day, level in enumerate((1, 4, 2, 3))
            ],
        )
        recompute(session)


def _values(database) -> dict[str, object]:
    with database.begin() as session:
        return {row.key: row.value for row in session.scalars(select(StandingRow))}


def _queue(database) -> int:
    with database.begin() as session:
        return queue_district_recompute(session, trigger="admin", reason="district policy changed")


def _run(database, run_id) -> SyncRun:
    with database.begin() as session:
        run = session.get(SyncRun, run_id)
        session.refresh(run)
        session.expunge(run)
        return run


def test_a_recompute_run_applies_the_stored_policy_and_counts_what_changed(database):
    _seed(database)
    before = _values(database)
    with database.begin() as session:
        set_district_policy(session, Policy(method=MethodChoice.of("highest", {})))
    run_id = _queue(database)
    assert _run(database, run_id).status is RunStatus.QUEUED

    run = run_district_recompute(database, run_id)

    after = _values(database)
    assert run.status is RunStatus.SUCCEEDED and run.finished_at is not None
    changed = sum(1 for key, value in after.items() if before.get(key) != value)
    assert changed > 0 and run.computed == changed
    with database.begin() as session:
        indicator = session.scalars(
            select(StandingRow).where(StandingRow.kind == "indicator", StandingRow.course_id.is_not(None))
        ).first()
        assert indicator.method == "highest" and indicator.value == 4
        unit = session.scalars(select(SyncUnit).where(SyncUnit.run_id == run_id)).one()
        assert unit.status is RunStatus.SUCCEEDED and unit.step.startswith(f"{changed} changed in ")
        assert session.scalars(select(CourseLock)).all() == []  # the district lock is released
        assert latest_district_recompute(session).id == run_id


def test_a_second_recompute_waits_for_the_one_running(database):
    _seed(database)
    first = _queue(database)
    second = _queue(database)
    assert take_lock(database, first, kind="recompute", key="district")
    waited = threading.Event()

    def sleep(_seconds: float) -> None:
        waited.set()
        time.sleep(0.01)

    worker = threading.Thread(target=run_district_recompute, args=(database, second), kwargs={"sleep": sleep})
    worker.start()
    try:
        assert waited.wait(10)
        with database.begin() as session:
            unit = session.scalars(select(SyncUnit).where(SyncUnit.run_id == second)).one()
            assert (unit.status, unit.step) == (RunStatus.RUNNING, WAITING)
    finally:
        release_lock(database, kind="recompute", key="district")
        worker.join(30)
    assert _run(database, second).status is RunStatus.SUCCEEDED


def test_a_refused_attempt_is_tried_again(database, monkeypatch):
    _seed(database)
    calls = []

    def refuse_once(session, **kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise IntegrityError("INSERT INTO standings", {}, Exception("duplicate key value"))
        return recompute(session, **kwargs)

    monkeypatch.setattr(bridge.recompute_runs, "recompute", refuse_once)
    monkeypatch.setattr(bridge.recompute_runs.time, "sleep", lambda _s: None)
    run = run_district_recompute(database, _queue(database))
    assert run.status is RunStatus.SUCCEEDED and len(calls) == 2


def test_a_recompute_the_database_keeps_refusing_is_recorded_as_failed_and_changes_nothing(
    database, monkeypatch
):
    _seed(database)
    before = _values(database)
    with database.begin() as session:
        set_district_policy(session, Policy(method=MethodChoice.of("highest", {})))
    calls = []

    def write_then_refuse(session, **kwargs):
        calls.append(kwargs)
        recompute(session, **kwargs)  # written, then rolled back with the failed transaction
        raise IntegrityError("INSERT INTO standings", {}, Exception("duplicate key value\nDETAIL: ..."))

    monkeypatch.setattr(bridge.recompute_runs, "recompute", write_then_refuse)
    monkeypatch.setattr(bridge.recompute_runs.time, "sleep", lambda _s: None)
    run_id = _queue(database)
    run = run_district_recompute(database, run_id)
    assert len(calls) == ATTEMPTS
    assert run.status is RunStatus.FAILED and run.failed == 1 and run.computed == 0
    with database.begin() as session:
        (error,) = session.scalars(select(SyncError).where(SyncError.run_id == run_id))
        assert error.subject == "students 1–3 of 3"
        assert error.reason == (
            f"the database refused the recompute {ATTEMPTS} times (duplicate key value); try again"
        )
    assert _values(database) == before


def _students(database) -> list[int]:
    with database.begin() as session:
        return sorted(set(session.scalars(select(StandingRow.student_id))))


def test_a_large_district_is_recomputed_in_passes_of_students_each_its_own_unit(database):
    _seed(database)
    with database.begin() as session:
        set_district_policy(session, Policy(method=MethodChoice.of("highest", {})))
    run_id = _queue(database)

    run = run_district_recompute(database, run_id, students_per_pass=2)

    assert run.status is RunStatus.SUCCEEDED
    assert (run.units_total, run.units_done, run.scope["students"]) == (2, 2, 3)
    with database.begin() as session:
        units = session.scalars(select(SyncUnit).where(SyncUnit.run_id == run_id).order_by(SyncUnit.id)).all()
        assert [u.ref for u in units] == ["students 1–2 of 3", "students 3–3 of 3"]
        assert all(u.status is RunStatus.SUCCEEDED for u in units)
        assert run.computed == sum(u.computed for u in units) > 0
        methods = set(session.scalars(select(StandingRow.method).where(StandingRow.kind == "indicator")))
    assert methods == {"highest"}  # every pass applied the new policy


def test_passes_run_at_the_same_time_leave_the_standings_the_policy_gives(database):
    _seed(database, students=6)
    with database.begin() as session:
        set_district_policy(session, Policy(method=MethodChoice.of("highest", {})))
    run_id = _queue(database)
    passes = start_district_recompute(database, run_id, students_per_pass=2)
    assert len(passes) == 3
    start = threading.Barrier(len(passes))

    def run_pass(unit_id: int) -> None:
        start.wait(10)
        run_recompute_pass(database, run_id, unit_id)

    workers = [threading.Thread(target=run_pass, args=(unit_id,)) for unit_id in passes]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)

    run = _run(database, run_id)
    assert (run.status, run.units_done, run.failed) == (RunStatus.SUCCEEDED, 3, 0)
    with database.begin() as session:
        assert session.scalars(select(CourseLock)).all() == []  # the pass that closed the run released it
        assert recompute(session) == []  # nothing left that the policy would change
        methods = set(session.scalars(select(StandingRow.method).where(StandingRow.kind == "indicator")))
    assert methods == {"highest"}


def test_a_student_who_arrives_after_the_passes_are_planned_is_still_recomputed(database):
    _seed(database)
    run_id = _queue(database)
    passes = start_district_recompute(database, run_id, students_per_pass=2)
    with database.begin() as session:
        newcomer = User(issuer="https://lms", sub="s-new")
        session.add(newcomer)
        session.flush()
        indicators = select(StandingRow.indicator_id).where(StandingRow.kind == "indicator")
        indicator = session.scalars(indicators).first()
        record_observations(session, [observation(newcomer.id, indicator, None, 3, 1, "new-1")])
        newcomer_id = newcomer.id
    for unit_id in passes:
        run_recompute_pass(database, run_id, unit_id)

    assert _run(database, run_id).status is RunStatus.SUCCEEDED
    with database.begin() as session:
        standing = session.scalars(
            select(StandingRow).where(StandingRow.student_id == newcomer_id, StandingRow.kind == "indicator")
        ).first()
    assert standing is not None and standing.value == 3


def test_a_pass_delivered_twice_is_not_run_again(database, monkeypatch):
    _seed(database)
    run_id = _queue(database)
    (only,) = start_district_recompute(database, run_id)
    run_recompute_pass(database, run_id, only)
    monkeypatch.setattr(bridge.recompute_runs, "recompute", pytest.fail)
    run_recompute_pass(database, run_id, only)
    assert _run(database, run_id).status is RunStatus.SUCCEEDED


def test_a_pass_keeps_the_lock_alive_and_leaves_another_runs_lock_alone(database):
    _seed(database)
    run_id = _queue(database)
    first, second = start_district_recompute(database, run_id, students_per_pass=2)
    with database.begin() as session:
        lock = session.scalars(select(CourseLock)).one()
        lock.expires_at = utcnow()  # about to be taken for a killed worker's
    run_recompute_pass(database, run_id, first)
    with database.begin() as session:
        lock = session.scalars(select(CourseLock)).one()
        assert lock.expires_at > utcnow() + LOCK_LIFETIME / 2  # the run made progress
        lock.run_id = run_id + 1000  # as if another run had taken it over after all
    run_recompute_pass(database, run_id, second)
    assert _run(database, run_id).status is RunStatus.SUCCEEDED
    with database.begin() as session:
        assert session.scalars(select(CourseLock.run_id)).one() == run_id + 1000


def test_a_pass_the_database_keeps_refusing_fails_alone_and_the_others_go_on(database, monkeypatch):
    _seed(database)
    before = _values(database)
    first, *others = _students(database)
    with database.begin() as session:
        set_district_policy(session, Policy(method=MethodChoice.of("highest", {})))

    def refuse_the_first_student(session, **kwargs):
        if first in kwargs["students"]:
            raise IntegrityError("INSERT INTO standings", {}, Exception("duplicate key value"))
        return recompute(session, **kwargs)

    monkeypatch.setattr(bridge.recompute_runs, "recompute", refuse_the_first_student)
    monkeypatch.setattr(bridge.recompute_runs.time, "sleep", lambda _s: None)
    run_id = _queue(database)
    run = run_district_recompute(database, run_id, students_per_pass=1)

    assert (run.status, run.units_total, run.units_done, run.failed) == (RunStatus.PARTIAL, 3, 3, 1)
    after = _values(database)
    with database.begin() as session:
        student_of = {row.key: row.student_id for row in session.scalars(select(StandingRow))}
        (error,) = session.scalars(select(SyncError).where(SyncError.run_id == run_id))
    assert error.subject == "students 1–1 of 3" and "refused the recompute 3 times" in error.reason
    assert all(after[k] == before[k] for k, s in student_of.items() if s == first)
    assert any(after[k] != before[k] for k, s in student_of.items() if s in others)


def test_an_unexpected_error_is_recorded_without_its_details(database, monkeypatch):
    _seed(database)

    def broken(session, **kwargs):
        raise ValueError("secret-looking internals")

    monkeypatch.setattr(bridge.recompute_runs, "recompute", broken)
    run_id = _queue(database)
    assert run_district_recompute(database, run_id, students_per_pass=2).status is RunStatus.FAILED
    with database.begin() as session:
        errors = session.scalars(
            select(SyncError).where(SyncError.run_id == run_id).order_by(SyncError.id)
        ).all()
    assert [e.subject for e in errors] == ["students 1–2 of 3", "students 3–3 of 3"]
    assert "see the tool's log" in errors[0].reason and "internals" not in errors[0].reason
    assert errors[1].reason == "not run: an earlier pass failed"  # the same error would stop it


def test_a_run_delivered_twice_is_not_run_again(database, monkeypatch):
    _seed(database)
    run_id = _queue(database)
    first = run_district_recompute(database, run_id)
    monkeypatch.setattr(bridge.recompute_runs, "recompute", pytest.fail)
    again = run_district_recompute(database, run_id)
    assert (again.status, again.finished_at) == (first.status, first.finished_at)


def test_a_sync_run_is_not_taken_for_a_recompute(database):
    from bridge.runs import start_run

    run_id = start_run(database, [], trigger="cli")
    with pytest.raises(Exception, match=f"there is no recompute run {run_id}"):
        run_district_recompute(database, run_id)


def test_without_redis_the_dispatcher_recomputes_in_a_background_thread(database):
    _seed(database)
    with database.begin() as session:
        set_district_policy(session, Policy(method=MethodChoice.of("latest", {})))
    run_id = _queue(database)
    Dispatcher(bridge.jobs.bridge_from_settings(_settings(database), database=database)).recompute(run_id)
    run = finished_run(database, run_id)
    assert run.status is RunStatus.SUCCEEDED and run.computed > 0


def _on_a_celery_worker(database, redis_url, monkeypatch, method: str) -> SyncRun:
    """A recompute after the district's policy changes to `method`, dispatched to a Celery
    worker on the real Redis; the run once it has finished."""
    _seed(database)
    with database.begin() as session:
        set_district_policy(session, Policy(method=MethodChoice.of(method, {})))
    settings = _settings(database)
    run_id = _queue(database)
    with celery_worker(settings, database, redis_url, monkeypatch) as app:
        dispatcher = Dispatcher(bridge.jobs.bridge_from_settings(settings, database=database), celery=app)
        dispatcher.recompute(run_id)
        return finished_run(database, run_id)


@pytest.mark.redis
def test_a_celery_worker_on_redis_runs_the_recompute(database, redis_url, redis_client, monkeypatch):
    run = _on_a_celery_worker(database, redis_url, monkeypatch, "latest")
    assert run.status is RunStatus.SUCCEEDED and run.computed > 0
    with database.begin() as session:
        assert session.scalars(select(SyncUnit.step).where(SyncUnit.run_id == run.id)).one() != COMPUTING


@pytest.mark.redis
def test_celery_workers_share_a_recompute_pass_by_pass(database, redis_url, redis_client, monkeypatch):
    monkeypatch.setenv("PBRIDGE_RECOMPUTE_PASS_STUDENTS", "1")  # the worker's own setting
    run = _on_a_celery_worker(database, redis_url, monkeypatch, "highest")
    assert (run.status, run.units_total, run.units_done) == (RunStatus.SUCCEEDED, 3, 3)
    with database.begin() as session:
        units = session.scalars(select(SyncUnit).where(SyncUnit.run_id == run.id)).all()
        assert [u.ref for u in units] == [f"students {n}–{n} of 3" for n in (1, 2, 3)]
        assert all(u.status is RunStatus.SUCCEEDED for u in units)
        assert session.scalars(select(CourseLock)).all() == []


def _settings(database) -> Settings:
    return Settings(database_url=database.url, secret_key="test-secret-key-which-is-long-enough")
