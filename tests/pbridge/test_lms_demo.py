"""`pbridge demo` enters the sandbox's LMS API credentials: the seeded natives can be tagged."""

from __future__ import annotations

from sqlalchemy import select

from bridge.jobs import bridge_from_settings
from bridge.lms_api import course_assignments
from pbridge.demo import start_demo
from store.database import Database
from store.migrate import stamp_head
from store.people import Course
from tests.stack import free_port


def test_the_demo_teacher_sees_the_courses_own_assignments_with_their_rubrics(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    prepared = Database(url)
    prepared.create_all()
    prepared.dispose()
    stamp_head(url)
    demo = start_demo(port=free_port(), sandbox_port=free_port(), database_url=url)
    try:
        with demo.database.begin() as session:
            course_id = session.scalars(select(Course.id).where(Course.context_id.is_not(None))).first()
        listed = course_assignments(bridge_from_settings(demo.settings, database=demo.database), course_id)
        natives = demo.state.grades.assignments(demo.seed.course_id)
        assert {a.id for a in natives} <= {a.id for a in listed}
        assert sum(1 for a in listed if a.criteria) == sum(1 for a in natives if a.rubric)
        assert {a.title for a in listed if a.external_tool} >= {"Unit 1 Performance Task: Linear Equations"}
    finally:
        demo.stop()
