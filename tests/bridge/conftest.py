"""A course launched from the sandbox, with tool-owned line items scored and aligned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from bridge.context import Bridge
from bridge.http import RetryPolicy
from mappings.conversion import default_cut_scores
from mappings.evidence import Purpose
from sandbox.gradebook import Score as SandboxScore
from store.alignments import AlignmentKind, save_alignment
from store.frameworks import Framework, FrameworkStatus, GraduationStandard, PerformanceIndicator, ScaleLevel
from store.people import Course
from store.secret_box import SecretBox
from tests.stack import Stack, running_stack


def make_framework(session, *, standards: int = 2, indicators: int = 3) -> list[list[int]]:
    """A small published framework; returns indicator ids per standard."""
    framework = Framework(code="TEST", title="Test framework", status=FrameworkStatus.PUBLISHED)
    framework.levels = [
        ScaleLevel(value=Decimal(v), label=label)
        for v, label in ((1, "Does not meet"), (2, "Partially meets"), (3, "Meets"), (4, "Exceeds"))
    ]
    session.add(framework)
    session.flush()
    ids: list[list[int]] = []
    for s in range(1, standards + 1):
        standard = GraduationStandard(
            framework_id=framework.id, code=f"MATH.{s}", title=f"Standard {s}", position=s
        )
        session.add(standard)
        session.flush()
        row = []
        for i in range(1, indicators + 1):
            indicator = PerformanceIndicator(
                framework_id=framework.id,
                standard_id=standard.id,
                code=f"MATH.{s}.PI.{i}",
                title=f"Indicator {s}.{i}",
                position=i,
            )
            session.add(indicator)
            session.flush()
            row.append(indicator.id)
        ids.append(row)
    return ids


@dataclass
class AlignedCourse:
    stack: Stack
    bridge: Bridge
    course_id: int
    sandbox_course: str
    line_items: list[str]  # sandbox line item ids
    learners: list[str]  # sandbox user ids
    indicator_ids: list[list[int]]

    def score(self, item_index: int, learner_index: int, given: float, *, minutes: int = 0) -> None:
        state = self.stack.state
        user = state.find_user(self.learners[learner_index])
        stamp = datetime(2025, 10, 1, tzinfo=UTC) + timedelta(days=item_index, minutes=minutes)
        state.grades.accept_score(
            SandboxScore(
                self.line_items[item_index],
                user.sub,
                stamp,
                "Completed",
                "FullyGraded",
                given,
                100.0,
                None,
                stamp,
            ),
            result_score=given,
            result_maximum=100.0,
        )


def make_bridge(stack: Stack, **changes) -> Bridge:
    options = {
        "max_concurrency": 8,
        "retry": RetryPolicy(attempts=3, base_delay=0.01, jitter=False),
    } | changes
    return Bridge(
        stack.database,
        SecretBox.from_settings(stack.settings.encryption_key, stack.settings.secret_key),
        http=httpx.Client(timeout=5.0),
        **options,
    )


def aligned_course(stack: Stack, *, items: int = 3, flavour_scores: bool = True) -> AlignedCourse:
    seed = stack.seed
    assert seed is not None
    page = stack.browser().launch(user=seed.teacher_id, course=seed.course_id)
    assert page.status_code == 200, page.text[:300]
    state = stack.state
    learners = [uid for uid in seed.student_ids]
    made = []
    for index in range(items):
        item = state.grades.add_line_item(
            course_id=seed.course_id,
            label=f"Assessment {index + 1}",
            score_maximum=100.0,
            owner_client_id=stack.connection.client_id,
            deployment_id=stack.connection.deployment_id,
            resource_id=f"assessment-{index + 1}",
            tag="assessment",
        )
        made.append(item.id)
    with stack.database.begin() as session:
        indicator_ids = make_framework(session)
        course = session.scalars(select(Course)).one()
        course_id = course.id
    bridge = make_bridge(stack)
    aligned = AlignedCourse(stack, bridge, course_id, seed.course_id, made, learners, indicator_ids)
    for index in range(items):
        for learner in range(len(learners)):
            aligned.score(index, learner, float(55 + (learner * 7 + index * 11) % 45))
    # align each line item (by its AGS id, as the tool lists it) to indicators of standard 1 or 2
    from bridge.ags import AgsClient

    with stack.database.begin() as session:
        course = session.get(Course, course_id)
        platform_id = course.platform_id
        lineitems_url = course.ags_lineitems_url
        granted = frozenset(course.ags_scopes or ())
    with stack.database.begin() as session:
        from store.platforms import Platform

        platform = session.get(Platform, platform_id)
        session.expunge(platform)
    client = AgsClient(
        bridge.platform_http(platform),
        bridge.service_tokens(platform),
        granted_scopes=granted,
        flavour=stack.state.flavour.name,
    )
    listed = {li.resource_id: li.id for li in client.line_items(lineitems_url)}
    with stack.database.begin() as session:
        for index in range(items):
            save_alignment(
                session,
                course_id=course_id,
                kind=AlignmentKind.AGS_LINE_ITEM,
                external_id=listed[f"assessment-{index + 1}"],
                indicator_ids=indicator_ids[index % 2][:2],
                purpose=Purpose.SUMMATIVE,
                conversion=default_cut_scores(),
                platform_id=platform_id,
                title=f"Assessment {index + 1}",
            )
    return aligned


@pytest.fixture(params=["canvas", "moodle"])
def course(request, database):
    with running_stack(database, flavour=request.param) as stack:
        yield aligned_course(stack)
