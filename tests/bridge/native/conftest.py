"""An AGS-aligned course (scored tool line items) reached by a launch that stops at the tool's
redirect, so the teacher pages' own changes cannot break these tests; and the LMS API
credentials and write-back choice the native push needs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

import tests.bridge.conftest as ags_course
from bridge.lms_api.connection import course_api
from bridge.native.wanted import lms_user_ids
from pbridge.lms_wiring import connect_lms_api
from sandbox.moodle_competencies import WITH_COMPETENCIES
from store.course_settings import Writeback, set_course_writeback
from store.frameworks import GraduationStandard, PerformanceIndicator
from store.lms_credentials import save_credentials
from store.people import Course
from store.platforms import Preset
from store.standings import StandingKind, StandingRow
from tests.stack import Stack, running_stack


class _Launcher:
    def __init__(self, browser) -> None:
        self.browser = browser

    def launch(self, *, user: str, course: str):
        browser = self.browser
        landed = browser.post_launch(browser.start(user=user, course=course))
        assert landed.status_code == 303, landed.text[:300]
        landed.status_code = 200
        return landed


def launched_aligned_course(stack: Stack) -> ags_course.AlignedCourse:
    """`tests.bridge.conftest.aligned_course`, launching without rendering the teacher's page."""
    original = stack.browser
    stack.browser = lambda: _Launcher(original())  # type: ignore[method-assign]
    try:
        return ags_course.aligned_course(stack)
    finally:
        stack.browser = original  # type: ignore[method-assign]


def platform_of(course) -> int:
    with course.stack.database.begin() as session:
        return session.get(Course, course.course_id).platform_id


def connect_lms(course, *, functions=WITH_COMPETENCIES) -> None:
    """LMS API credentials for the course's platform (Moodle: a token allowing `functions`)."""
    stack = course.stack
    platform_id = platform_of(course)
    with stack.database.begin() as session:
        if stack.state.flavour.name == "moodle":
            save_credentials(
                session,
                course.bridge.secret_box,
                platform_id=platform_id,
                kind=Preset.MOODLE,
                token=stack.state.lms_api.add_moodle_token(stack.seed.admin_id, functions=functions),
                api_base_url=stack.state.base_url,
            )
        else:
            connect_lms_api(
                session,
                course.bridge.secret_box,
                stack.state,
                platform_id=platform_id,
                tool_url=stack.tool_url,
                acting_user_id=stack.seed.admin_id,
            )


def write_both(course) -> None:
    with course.stack.database.begin() as session:
        set_course_writeback(session, course.course_id, Writeback.BOTH)


def stored_standings(course) -> dict[tuple[str, str], Decimal]:
    """(LMS user id, item code) -> standing value, as stored (the course writes both kinds)."""
    with course.stack.database.begin() as session:
        rows = (
            session.execute(
                select(StandingRow.student_id, PerformanceIndicator.code, StandingRow.value)
                .join(PerformanceIndicator, PerformanceIndicator.id == StandingRow.indicator_id)
                .where(StandingRow.course_id == course.course_id, StandingRow.kind == StandingKind.INDICATOR)
            ).all()
            + session.execute(
                select(StandingRow.student_id, GraduationStandard.code, StandingRow.value)
                .join(GraduationStandard, GraduationStandard.id == StandingRow.standard_id)
                .where(StandingRow.course_id == course.course_id, StandingRow.kind == StandingKind.STANDARD)
            ).all()
        )
        api = course_api(session, course.bridge.secret_box, course.course_id)
        users = lms_user_ids(session, api, [r[0] for r in rows])
    # students Canvas cannot be matched to (no launch, no SIS id) get no native result
    return {(users[sid], code): value for sid, code, value in rows if value is not None and sid in users}


def _native_course(database, flavour: str):
    with running_stack(database, flavour=flavour) as stack:
        course = launched_aligned_course(stack)
        connect_lms(course)
        write_both(course)
        yield course


@pytest.fixture
def canvas(database):
    """A Canvas course with LMS API credentials, writing indicator and standard columns."""
    yield from _native_course(database, "canvas")


@pytest.fixture
def moodle(database):
    """The same course in Moodle, its token allowing the competency functions."""
    yield from _native_course(database, "moodle")
