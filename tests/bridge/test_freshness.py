"""Opening the tool refreshes a course whose standings are older than the setting allows."""

from __future__ import annotations

import time

from sqlalchemy import select

from store.sync_runs import SyncRun
from tests.bridge.conftest import aligned_course
from tests.stack import running_stack


def _runs(database):
    with database.begin() as session:
        return [
            (r.trigger, r.status.value, r.finished_at is not None) for r in session.scalars(select(SyncRun))
        ]


def _wait_finished(database, count, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        runs = _runs(database)
        if len(runs) >= count and all(done for _, _, done in runs):
            return runs
        time.sleep(0.1)
    raise AssertionError(f"runs did not finish: {_runs(database)}")


def test_a_launch_into_a_stale_course_syncs_it_once_in_the_background(database):
    with running_stack(database, settings_changes={"launch_sync_minutes": 15}) as stack:
        course = aligned_course(stack)  # its first launch came before any alignment: nothing to sync
        assert _runs(database) == []
        student = stack.seed.student_ids[0]
        assert stack.browser().launch(user=student, course=stack.seed.course_id).status_code == 200
        runs = _wait_finished(database, 1)
        assert runs == [("launch", "succeeded", True)]
        assert (
            len([c for c in stack.state.grades.line_items(course.sandbox_course) if c.tag == "proficiency"])
            == 2
        )
        # fresh now: another launch starts no second sync
        assert stack.browser().launch(user=student, course=stack.seed.course_id).status_code == 200
        time.sleep(0.3)
        assert len(_runs(database)) == 1
