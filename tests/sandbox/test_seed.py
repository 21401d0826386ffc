"""The demo seeder gives a believable course; the school seeder a big, consistent one."""

from __future__ import annotations

import pytest

from sandbox import SandboxState
from sandbox.seed import seed_demo, seed_school
from tests.sandbox.conftest import TOOL_KEY


@pytest.fixture(scope="module")
def demo() -> tuple[SandboxState, object]:
    state = SandboxState.for_flavour("canvas")
    return state, seed_demo(state, rng_seed=7)


def test_the_demo_course_has_its_people(demo) -> None:  # type: ignore[no-untyped-def]
    state, seed = demo
    course = state.courses[seed.course_id]
    assert course.title == "Algebra I" and course.course_section_sourcedid
    roles = {e.user_id: e.roles for e in state.course_enrollments(course.id)}
    assert roles[seed.teacher_id] == ("Instructor",)
    assert roles[seed.ta_id] == ("TeachingAssistant",)
    assert len(seed.student_ids) >= 25
    assert all(roles[student] == ("Learner",) for student in seed.student_ids)
    assert state.users[seed.admin_id].is_admin and seed.admin_id not in roles
    people = [state.users[uid] for uid in (*seed.student_ids, seed.teacher_id)]
    assert len({person.name for person in people}) == len(people)
    assert all(person.person_sourcedid for person in people)
    assert 0 < len(state.course_enrollments(seed.second_course_id)) < len(roles)


def test_the_demo_gradebook_has_the_variety_a_teacher_sees(demo) -> None:  # type: ignore[no-untyped-def]
    state, seed = demo
    assignments = state.grades.assignments(seed.course_id)
    assert len(assignments) >= 10
    assert len({a.due_at for a in assignments}) == len(assignments)
    rubric_scored = [a for a in assignments if a.rubric]
    assert rubric_scored and all(len(a.rubric.criteria) == 3 for a in rubric_scored)  # type: ignore[union-attr]
    submissions = [s for a in assignments for s in state.grades.submissions(a.id)]
    assert any(s.excused for s in submissions) and any(s.missing for s in submissions)
    assert any(s.late for s in submissions)
    assert any(s.workflow_state == "submitted" and s.score is None for s in submissions)
    graded = [s for s in submissions if s.score is not None]
    assert len(graded) > 200
    for assignment in rubric_scored:
        for sub in state.grades.submissions(assignment.id):
            if sub.score is not None:
                assert sub.score == pytest.approx(sum(c.points for c in sub.rubric_assessment))
    for assignment in assignments:
        for sub in state.grades.submissions(assignment.id):
            assert sub.score is None or 0 <= sub.score <= assignment.points_possible


def test_the_demo_is_repeatable() -> None:
    first, second = SandboxState.for_flavour("moodle"), SandboxState.for_flavour("moodle")
    seed_demo(first, rng_seed=3)
    seed_demo(second, rng_seed=3)
    assert [u.name for u in first.users.values()] == [u.name for u in second.users.values()]


def test_seed_school_makes_line_items_owned_by_the_tool_with_results() -> None:
    state = SandboxState.for_flavour("generic")
    state.register_tool(
        client_id="tool-1",
        deployment_ids=["1"],
        login_url="https://t/login",
        redirect_uris=["https://t/launch"],
        public_jwks={"keys": [TOOL_KEY.public_jwk]},
    )
    school = seed_school(state, courses=3, students=4, line_items=5, tool_client_id="tool-1")
    assert len(school.course_ids) == 3
    for course_id in school.course_ids:
        items = state.grades.line_items(course_id, "tool-1")
        assert len(items) == 5
        assert all(len(state.grades.results(item.id)) == 4 for item in items)
    assert len(state.grades.all_scores()) == 3 * 4 * 5
    with pytest.raises(LookupError):
        seed_school(state, tool_client_id="unregistered")
