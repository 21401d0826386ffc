"""Faults: a killed run resumes to the same end state; refusals are reported, not retried forever."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from bridge.lms_sync import sync_course
from sandbox.faults import FaultRule
from store.people import User
from store.standings import StandingKind, StandingRow
from tests.bridge.conftest import aligned_course
from tests.stack import running_stack

ROOT = Path(__file__).resolve().parents[2]


def _columns(course):
    return {
        li.id: li
        for li in course.stack.state.grades.line_items(course.sandbox_course)
        if li.tag == "proficiency"
    }


def _end_state(course):
    """What the gradebook shows in our columns, and how many scores each cell received."""
    state = course.stack.state
    columns = _columns(course)
    shown = {}
    for item in columns.values():
        for result in state.grades.results(item.id):
            shown[(item.resource_id, result.user_sub)] = result.result_score
    posts = Counter(
        (s.line_item_id, s.user_sub) for s in state.grades.all_scores() if s.line_item_id in columns
    )
    return shown, posts, sorted(c.resource_id for c in columns.values())


def _expected(course):
    with course.stack.database.begin() as session:
        rows = session.execute(
            select(User.sub, StandingRow.standard_id, StandingRow.value)
            .join(User, User.id == StandingRow.student_id)
            .where(StandingRow.kind == StandingKind.STANDARD, StandingRow.course_id == course.course_id)
        ).all()
    return {(sub, standard): float(value) for sub, standard, value in rows if value is not None}


@pytest.mark.slow
def test_a_sync_killed_midway_and_run_again_ends_as_an_uninterrupted_one(database):
    with running_stack(database, flavour="canvas") as stack:
        course = aligned_course(stack)
        # slow score posts down so the kill lands in the middle of the write-back
        stack.state.faults.add(FaultRule(path=r"/scores", method="POST", latency_ms=40))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.bridge.sync_worker",
                database.url,
                stack.settings.secret_key,
                str(course.course_id),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if stack.state.faults.count(method="POST", kind="ags.scores") >= 10:
                break
            if worker.poll() is not None:
                pytest.fail(f"the worker ended before it was killed: {worker.stderr.read().decode()[-2000:]}")
            time.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        interrupted_posts = stack.state.faults.count(method="POST", kind="ags.scores")
        assert 0 < interrupted_posts < 2 * len(course.learners)  # it really was midway

        stack.state.faults.clear()
        outcome = sync_course(course.bridge, course.course_id)
        assert outcome.failed == 0, outcome.problems
        shown, posts, columns = _end_state(course)
        assert columns == ["MATH.1", "MATH.2"]  # no duplicate column
        assert max(posts.values()) == 1  # no score written twice
        assert len(shown) == 2 * len(course.learners)  # no score lost
        again = sync_course(course.bridge, course.course_id)
        assert again.written == 0


def test_5xx_and_429_are_retried_and_the_end_state_is_complete(course):
    state = course.stack.state
    state.faults.add(FaultRule(path=r"/scores", method="POST", status=503, rate=0.3))
    state.faults.add(FaultRule(path=r"/results", status=429, retry_after=0, next_n=2))
    first = sync_course(course.bridge, course.course_id)
    state.faults.clear()
    second = sync_course(course.bridge, course.course_id)
    shown, _, _ = _end_state(course)
    assert len(shown) == 2 * len(course.learners)
    assert first.written + second.written == len(shown)


def test_grade_sync_only_degrades_with_a_notice(database):
    with running_stack(database, flavour="moodle") as stack:
        stack.state.grade_sync_only = True
        course = aligned_course(stack)
        outcome = sync_course(course.bridge, course.course_id)
        assert outcome.pulled == 3 * len(course.learners)  # reading still works
        assert outcome.written == 0
        assert any("grade sync only" in notice for notice in outcome.notices)
        assert _columns(course) == {}


def test_a_user_canvas_refuses_is_reported_once_not_retried_every_sync(database):
    with running_stack(database, flavour="canvas") as stack:
        course = aligned_course(stack)
        sync_course(course.bridge, course.course_id)
        # the student becomes a teacher in Canvas, but NRPS still lists them as a learner
        # until the next roster: a score for them is a 422
        learner = stack.state.find_user(course.learners[0])
        stack.state.enroll(course.sandbox_course, learner.id, ("Instructor",))
        course.score(0, 0, 5.0, minutes=9)
        course.score(2, 0, 5.0, minutes=9)
        outcome = sync_course(course.bridge, course.course_id)
        assert outcome.failed == 0 or all(p.status in (None, 422) for p in outcome.problems)
        again = sync_course(course.bridge, course.course_id)
        assert again.failed == 0 and again.written == 0
