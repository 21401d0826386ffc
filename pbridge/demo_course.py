"""The demo course as a teacher would have left it after a few weeks: two assessments added
through the tool (AGS line items), aligned to Algebra I indicators, scored, and synced once.

Everything here goes through the real paths: a launch over HTTP creates the course on the
tool's side, the sandbox holds the scores, and the first sync pulls them through AGS.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from bridge.ags import AgsClient
from bridge.jobs import bridge_from_settings
from bridge.runs import execute_run, start_run
from mappings.conversion import default_cut_scores
from mappings.evidence import Purpose
from pbridge.wiring import launch_once
from sandbox.gradebook import Score
from store.alignments import AlignmentKind, save_alignment
from store.framework_repository import find_indicator
from store.people import Course
from store.platforms import Platform

if TYPE_CHECKING:
    from pbridge.demo import DemoSetup

FRAMEWORK = "SAMPLE-HS"

#: (title, resource id, indicators, purpose, day of term)
ASSESSMENTS = (
    ("Check-in: Writing Expressions", "pb-checkin-1", ("MATH.2.PI.1", "MATH.2.PI.2"), Purpose.FORMATIVE, 10),
    (
        "Unit 1 Performance Task: Linear Equations",
        "pb-task-1",
        ("MATH.2.PI.2", "MATH.3.PI.1"),
        Purpose.SUMMATIVE,
        24,
    ),
    (
        "Unit 2 Performance Task: Modeling with Functions",
        "pb-task-2",
        ("MATH.3.PI.1", "MATH.4.PI.1"),
        Purpose.SUMMATIVE,
        45,
    ),
    ("Reassessment: Linear Equations", "pb-task-1-retake", ("MATH.3.PI.1",), Purpose.SUMMATIVE, 52),
)
TERM_START = datetime(2025, 9, 8, 15, 0, tzinfo=UTC)


def prepare_demo_course(setup: DemoSetup) -> None:
    state, seed = setup.state, setup.seed
    launch_once(state, user=seed.teacher_id, course=seed.course_id)
    rng = random.Random(7)
    items = []
    for title, resource_id, _codes, _purpose, day in ASSESSMENTS:
        item = state.grades.add_line_item(
            course_id=seed.course_id,
            label=title,
            score_maximum=100.0,
            owner_client_id=setup.client_id,
            deployment_id=state.tool(setup.client_id).deployment_ids[0],
            resource_id=resource_id,
            tag="assessment",
        )
        items.append(item)
        when = TERM_START + timedelta(days=day)
        retake = resource_id.endswith("retake")
        for number, student in enumerate(seed.student_ids):
            if retake and number % 3:
                continue  # only some students reassess
            strength = 55 + (number * 37) % 40
            given = float(max(20, min(100, strength + rng.randint(-12, 12) + (10 if retake else 0))))
            sub = state.find_user(student).sub
            state.grades.accept_score(
                Score(item.id, sub, when, "Completed", "FullyGraded", given, 100.0, None, when),
                result_score=given,
                result_maximum=100.0,
            )

    bridge = bridge_from_settings(setup.settings, database=setup.database)
    with setup.database.begin() as session:
        course = session.scalars(select(Course).where(Course.issuer == state.issuer)).first()
        assert course is not None, "the demo launch did not create the course"
        platform = session.get(Platform, course.platform_id)
        assert platform is not None
        session.expunge(platform)
        course_id, lineitems_url, granted = (
            course.id,
            course.ags_lineitems_url,
            frozenset(course.ags_scopes or ()),
        )
    ags = AgsClient(
        bridge.platform_http(platform),
        bridge.service_tokens(platform),
        granted_scopes=granted,
        flavour=platform.preset.value,
    )
    listed = {item.resource_id: item.id for item in ags.line_items(lineitems_url or "")}
    with setup.database.begin() as session:
        for title, resource_id, codes, purpose, _day in ASSESSMENTS:
            indicators = [find_indicator(session, FRAMEWORK, code) for code in codes]
            save_alignment(
                session,
                course_id=course_id,
                kind=AlignmentKind.AGS_LINE_ITEM,
                external_id=listed[resource_id],
                indicator_ids=[i.id for i in indicators if i is not None],
                purpose=purpose,
                conversion=default_cut_scores(),
                platform_id=platform.id,
                title=title,
            )
    run_id = start_run(setup.database, [course_id], trigger="cli", scope={"demo": True})
    execute_run(bridge, run_id)
