"""A run's counts and status stay exact when its courses finish at the same moment."""

from __future__ import annotations

import threading

from bridge.outcome import CourseOutcome
from bridge.runs import _record, start_run
from store.people import Course
from store.sync_runs import RunStatus, SyncRun, SyncUnit


def _courses(database, count):
    with database.begin() as session:
        rows = [Course(issuer="https://lms", context_id=f"c{n}") for n in range(count)]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def test_courses_finishing_together_lose_no_count_and_close_the_run_once(database):
    course_ids = _courses(database, 8)
    run_id = start_run(database, course_ids, trigger="cli")
    with database.begin() as session:
        units = [(u.id, u.course_id) for u in session.get(SyncRun, run_id).units]
    barrier = threading.Barrier(len(units))

    def finish(unit_id, course_id, index):
        barrier.wait()
        status = RunStatus.PARTIAL if index == 0 else RunStatus.SUCCEEDED
        _record(
            database,
            run_id,
            unit_id,
            course_id,
            CourseOutcome(pulled=10, written=3, failed=1 if index == 0 else 0),
            status,
        )

    threads = [threading.Thread(target=finish, args=(*unit, n)) for n, unit in enumerate(units)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with database.begin() as session:
        run = session.get(SyncRun, run_id)
        assert (run.pulled, run.written, run.failed) == (80, 24, 1)
        assert run.units_done == run.units_total == 8
        assert run.status is RunStatus.PARTIAL
        assert run.finished_at is not None
        assert all(u.status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL) for u in session.query(SyncUnit))
