"""A course launched from the sandbox whose LMS API credentials are entered, ready to align."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select

from bridge.context import Bridge
from bridge.lms_api.connection import CourseApi, LmsClient, course_api, open_client
from bridge.lms_sync import sync_course
from bridge.outcome import CourseOutcome
from mappings.conversion import Conversion, default_cut_scores
from mappings.evidence import Purpose
from pbridge.lms_wiring import connect_lms_api
from sandbox.gradebook import Assignment
from store.alignments import AlignmentKind, save_alignment
from store.course_settings import Writeback, set_course_writeback
from store.evidence import EvidenceRow
from store.people import Course
from tests.bridge.conftest import make_bridge, make_framework
from tests.stack import Stack, running_stack

SOURCES = ("canvas", "moodle", "schoology")


@dataclass
class LmsCourse:
    stack: Stack
    bridge: Bridge
    course_id: int
    platform_id: int
    indicators: list[list[int]]

    @property
    def state(self):
        return self.stack.state

    @property
    def seed(self):
        return self.stack.seed

    def native(self, index: int) -> Assignment:
        return self.state.grades.assignments(self.seed.course_id)[index]

    def rubric_assignment(self) -> Assignment:
        return next(a for a in self.state.grades.assignments(self.seed.course_id) if a.rubric is not None)

    def align(
        self,
        assignment: Assignment,
        indicator_ids: list[int],
        *,
        criterion: str = "",
        conversion: Conversion | None = None,
        purpose: Purpose = Purpose.SUMMATIVE,
    ) -> int:
        with self.stack.database.begin() as session:
            saved = save_alignment(
                session,
                course_id=self.course_id,
                kind=AlignmentKind.LMS_ASSIGNMENT,
                external_id=assignment.id,
                rubric_criterion_id=criterion,
                indicator_ids=indicator_ids,
                purpose=purpose,
                conversion=conversion or default_cut_scores(),
                platform_id=self.platform_id,
                title=assignment.name,
            )
            return saved.id

    def evidence(self) -> list[EvidenceRow]:
        with self.stack.database.begin() as session:
            rows = list(
                session.scalars(
                    select(EvidenceRow)
                    .where(EvidenceRow.source.in_(SOURCES))
                    .order_by(EvidenceRow.source_ref)
                )
            )
            session.expunge_all()
        return rows

    def sync(self) -> CourseOutcome:
        """The course's whole sync (roster, scores, standings; no write-back here)."""
        return sync_course(self.bridge, self.course_id)

    def api(self) -> CourseApi:
        with self.stack.database.begin() as session:
            found = course_api(session, self.bridge.secret_box, self.course_id)
        assert found is not None
        return found

    def client(self, **options) -> LmsClient:
        return open_client(self.bridge, self.api(), **options)


def lms_course(stack: Stack, **wiring) -> LmsCourse:
    seed = stack.seed
    assert seed is not None
    browser = stack.browser()
    landed = browser.post_launch(browser.start(user=seed.teacher_id, course=seed.course_id))
    assert landed.status_code == 303, landed.text[:300]  # the launch made the course on our side
    bridge = make_bridge(stack)
    with stack.database.begin() as session:
        indicators = make_framework(session)
        course = session.scalars(select(Course).where(Course.context_id.is_not(None))).one()
        course_id, platform_id = course.id, course.platform_id
        set_course_writeback(session, course_id, Writeback.NONE)
        connect_lms_api(
            session,
            bridge.secret_box,
            stack.state,
            platform_id=platform_id,
            tool_url=stack.tool_url,
            acting_user_id=wiring.pop("acting_user_id", seed.admin_id),
            **wiring,
        )
    return LmsCourse(stack, bridge, course_id, platform_id, indicators)


@pytest.fixture(params=SOURCES)
def course(request, database):
    with running_stack(database, flavour=request.param) as stack:
        yield lms_course(stack)


@pytest.fixture
def canvas_course(database):
    with running_stack(database, flavour="canvas") as stack:
        yield lms_course(stack)


@pytest.fixture
def moodle_course(database):
    with running_stack(database, flavour="moodle") as stack:
        yield lms_course(stack)


@pytest.fixture
def schoology_course(database):
    with running_stack(database, flavour="schoology") as stack:
        yield lms_course(stack)


def levels_by_indicator(rows: list[EvidenceRow]) -> dict[int, list[Decimal | None]]:
    found: dict[int, list[Decimal | None]] = {}
    for row in rows:
        found.setdefault(row.indicator_id, []).append(row.level)
    return found
