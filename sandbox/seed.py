"""Seeded data: a believable demo course, and big synthetic schools for benchmarks.

`seed_demo` fills a platform with what a teacher's course looks like after a few weeks of
term: an Algebra I class with its teacher, a TA, 25+ students, a dozen native assignments
(some rubric-scored, some excused, missing, late or not yet graded), and an admin. Nothing
depends on the clock: the term starts on a fixed date, and the same `rng_seed` always gives
the same course.

`seed_school` makes many courses with AGS line items owned by the tool, each with a result
per student, for the sync benchmark.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sandbox.gradebook import (
    Assignment,
    CriterionAssessment,
    Rubric,
    RubricCriterion,
    RubricRating,
    Score,
)
from sandbox.names import NameDrawer
from sandbox.roster import User
from sandbox.state import SandboxState

TERM_START = datetime(2025, 9, 8, 15, 0, tzinfo=UTC)

#: (name, group, points, rubric?) of the demo course's assignments, in term order
DEMO_ASSIGNMENTS = (
    ("Diagnostic: Number Sense", "Quizzes", 20, False),
    ("Problem Set 1: Expressions", "Homework", 10, False),
    ("Quiz 1: Solving Linear Equations", "Quizzes", 20, False),
    ("Lab: Modeling a Phone Plan", "Projects", 12, True),
    ("Problem Set 2: Inequalities", "Homework", 10, False),
    ("Unit 1 Test: Linear Equations", "Tests", 100, False),
    ("Quiz 2: Functions and Relations", "Quizzes", 20, False),
    ("Project: Slope in the Real World", "Projects", 12, True),
    ("Problem Set 3: Graphing Lines", "Homework", 10, False),
    ("Quiz 3: Systems of Equations", "Quizzes", 20, False),
    ("Performance Task: Planning a Fundraiser", "Projects", 12, True),
    ("Unit 2 Test: Linear Functions", "Tests", 100, False),
    ("Problem Set 4: Exponents", "Homework", 10, False),
    ("Quiz 4: Exponential Growth", "Quizzes", 20, False),
    ("Project: Population Models", "Projects", 12, True),
    ("Unit 3 Test: Exponential Functions", "Tests", 100, False),
)

RUBRIC_CRITERIA = ("Reasoning and Proof", "Accuracy of Computation", "Communicating Mathematics")
RATINGS = (("Exceeds", 4.0), ("Meets", 3.0), ("Partially meets", 2.0), ("Does not meet", 1.0))


@dataclass(frozen=True)
class DemoSeed:
    """The ids `seed_demo` created, for printing launch URLs and for tests."""

    course_id: str
    second_course_id: str
    teacher_id: str
    ta_id: str
    admin_id: str
    student_ids: tuple[str, ...]
    assignment_ids: tuple[str, ...]
    second_assignment_ids: tuple[str, ...]


@dataclass(frozen=True)
class SchoolSeed:
    """The ids `seed_school` created: courses, and per course its people and line items."""

    course_ids: tuple[str, ...]
    teacher_ids: dict[str, str]
    student_ids: dict[str, tuple[str, ...]]
    line_item_ids: dict[str, tuple[str, ...]]


def seed_demo(
    state: SandboxState, *, students: int = 28, assignments: int = 12, rng_seed: int = 2025
) -> DemoSeed:
    """Fill `state` with the demo school (see the module docstring); returns the ids made."""
    if students < 1 or not 1 <= assignments <= len(DEMO_ASSIGNMENTS):
        raise ValueError(f"seed_demo needs students >= 1 and 1 <= assignments <= {len(DEMO_ASSIGNMENTS)}")
    rng = random.Random(rng_seed)
    names = NameDrawer(rng)
    algebra = state.add_course(
        title="Algebra I",
        label="ALG1-P3",
        course_section_sourcedid="sec-alg1-p3-2025",
        course_offering_sourcedid="crs-alg1-2025",
    )
    geometry = state.add_course(
        title="Geometry",
        label="GEO-P5",
        course_section_sourcedid="sec-geo-p5-2025",
        course_offering_sourcedid="crs-geo-2025",
    )
    teacher = _person(state, names, "tch-0001", ("Instructor", "Faculty"))
    ta = _person(state, names, "tch-0002", ("Staff",))
    admin = _person(state, names, "adm-0001", ("Administrator",), system=("Administrator",))
    learners = [_person(state, names, f"stu-{number:04d}", ("Student",)) for number in range(1, students + 1)]
    for course in (algebra, geometry):
        state.enroll(course.id, teacher.id, ["Instructor"])
    state.enroll(algebra.id, ta.id, ["TeachingAssistant"])
    for learner in learners:
        state.enroll(algebra.id, learner.id, ["Learner"])
    second_class = learners[: max(1, students // 3)]
    for learner in second_class:
        state.enroll(geometry.id, learner.id, ["Learner"])
    ability = {learner.id: rng.uniform(0.45, 0.98) for learner in learners}
    made = _assignments(state, algebra.id, DEMO_ASSIGNMENTS[:assignments])
    for index, assignment in enumerate(made):
        # the latest two are not graded yet: one handed in, one not yet due
        from_end = len(made) - index
        stage = "graded"
        if len(made) >= 4 and from_end == 1:
            stage = "future"
        elif len(made) >= 4 and from_end == 2:
            stage = "ungraded"
        for learner in learners:
            _submit(state, rng, assignment, learner.id, ability[learner.id], stage, teacher.id)
    geometry_made = _assignments(
        state,
        geometry.id,
        (
            ("Quiz 1: Angles and Lines", "Quizzes", 20, False),
            ("Construction Project", "Projects", 12, True),
            ("Unit 1 Test: Foundations", "Tests", 100, False),
        ),
    )
    for assignment in geometry_made:
        for learner in second_class:
            _submit(state, rng, assignment, learner.id, ability[learner.id], "graded", teacher.id)
    return DemoSeed(
        course_id=algebra.id,
        second_course_id=geometry.id,
        teacher_id=teacher.id,
        ta_id=ta.id,
        admin_id=admin.id,
        student_ids=tuple(learner.id for learner in learners),
        assignment_ids=tuple(assignment.id for assignment in made),
        second_assignment_ids=tuple(assignment.id for assignment in geometry_made),
    )


def _person(
    state: SandboxState,
    names: NameDrawer,
    sourcedid: str,
    institution_roles: tuple[str, ...],
    system: tuple[str, ...] = ("User",),
) -> User:
    given, family = names.draw()
    login = f"{given[0]}{family}".lower().replace(" ", "").replace("'", "")
    return state.add_user(
        given_name=given,
        family_name=family,
        email=f"{login}.{sourcedid}@example.edu",
        person_sourcedid=sourcedid,
        institution_roles=institution_roles,
        system_roles=system,
        login_id=f"{login}.{sourcedid}",
    )


def _assignments(
    state: SandboxState, course_id: str, plan: tuple[tuple[str, str, int, bool], ...]
) -> list[Assignment]:
    made = []
    for position, (name, group, points, has_rubric) in enumerate(plan, start=1):
        rubric = _rubric(state, name, points) if has_rubric else None
        made.append(
            state.grades.add_assignment(
                course_id=course_id,
                name=name,
                points_possible=float(rubric.points_possible if rubric else points),
                due_at=TERM_START + timedelta(days=4 * position),
                group=group,
                position=position,
                rubric=rubric,
            )
        )
    return made


def _rubric(state: SandboxState, name: str, points: int) -> Rubric:
    per_criterion = points / len(RUBRIC_CRITERIA)
    top = RATINGS[0][1]
    criteria = tuple(
        RubricCriterion(
            id=f"crit_{state.next_id('criterion')}",
            description=description,
            points=per_criterion,
            ratings=tuple(
                RubricRating(label, round(per_criterion * value / top, 2)) for label, value in RATINGS
            ),
        )
        for description in RUBRIC_CRITERIA
    )
    return Rubric(id=state.next_id("rubric"), title=f"{name} rubric", criteria=criteria)


def _submit(
    state: SandboxState,
    rng: random.Random,
    assignment: Assignment,
    user_id: str,
    ability: float,
    stage: str,
    grader_id: str,
) -> None:
    """One student's submission, drawn around their ability."""
    assert assignment.due_at is not None
    roll = rng.random()
    if stage == "future":
        state.grades.set_submission(assignment.id, user_id)
        return
    if roll < 0.03:
        state.grades.set_submission(assignment.id, user_id, excused=True, workflow_state="graded")
        return
    if roll < 0.09:
        state.grades.set_submission(assignment.id, user_id, missing=True)
        return
    late = roll > 0.90
    submitted_at = assignment.due_at + (
        timedelta(hours=rng.randint(2, 60)) if late else -timedelta(hours=rng.randint(1, 72))
    )
    if stage == "ungraded":
        state.grades.set_submission(
            assignment.id,
            user_id,
            submitted_at=submitted_at,
            late=late,
            workflow_state="submitted",
            attempt=1,
        )
        return
    graded_at = max(submitted_at, assignment.due_at) + timedelta(days=rng.randint(1, 4))
    performance = min(1.0, max(0.0, rng.gauss(ability, 0.1)))
    assessment: tuple[CriterionAssessment, ...] = ()
    if assignment.rubric is not None:
        assessment = tuple(
            _assess(criterion, min(1.0, max(0.0, rng.gauss(performance, 0.12))))
            for criterion in assignment.rubric.criteria
        )
        score = round(sum(part.points for part in assessment), 2)
    else:
        score = round(assignment.points_possible * performance * 2) / 2
    state.grades.set_submission(
        assignment.id,
        user_id,
        score=score,
        submitted_at=submitted_at,
        graded_at=graded_at,
        late=late,
        workflow_state="graded",
        rubric_assessment=assessment,
        grader_id=grader_id,
        attempt=1,
    )


def _assess(criterion: RubricCriterion, performance: float) -> CriterionAssessment:
    index = 0 if performance > 0.88 else 1 if performance > 0.7 else 2 if performance > 0.5 else 3
    rating = criterion.ratings[index]
    return CriterionAssessment(criterion.id, rating.points, rating.description)


def seed_school(
    state: SandboxState,
    *,
    courses: int = 40,
    students: int = 30,
    line_items: int = 25,
    tool_client_id: str,
    deployment_id: str | None = None,
    rng_seed: int = 1,
    with_results: bool = True,
) -> SchoolSeed:
    """Many courses, each with a teacher, `students` learners and `line_items` AGS line items
    owned by `tool_client_id` (registered already), with one result per student per item."""
    tool = state.tool(tool_client_id)
    if tool is None:
        raise LookupError(f"register tool {tool_client_id!r} before seeding a school for it")
    deployment = deployment_id or tool.deployment_ids[0]
    rng = random.Random(rng_seed)
    names = NameDrawer(rng)
    received = datetime(2025, 10, 1, tzinfo=UTC)
    course_ids, teachers, rosters, items_by_course = [], {}, {}, {}
    for number in range(1, courses + 1):
        course = state.add_course(
            title=f"Course {number:03d}",
            label=f"C{number:03d}",
            course_section_sourcedid=f"sec-{number:04d}",
        )
        teacher = _person(state, names, f"tch-{number:04d}", ("Instructor",))
        state.enroll(course.id, teacher.id, ["Instructor"])
        roster = []
        for seat in range(1, students + 1):
            learner = _person(state, names, f"stu-{number:04d}-{seat:03d}", ("Student",))
            state.enroll(course.id, learner.id, ["Learner"])
            roster.append(learner)
        made = []
        for index in range(1, line_items + 1):
            item = state.grades.add_line_item(
                course_id=course.id,
                label=f"Assessment {index}",
                score_maximum=100.0,
                owner_client_id=tool_client_id,
                deployment_id=deployment,
                resource_id=f"assessment-{index}",
                tag="assessment",
            )
            made.append(item.id)
            if with_results:
                for learner in roster:
                    given = float(rng.randint(40, 100))
                    stamp = received + timedelta(minutes=index)
                    state.grades.accept_score(
                        Score(
                            item.id, learner.sub, stamp, "Completed", "FullyGraded", given, 100.0, None, stamp
                        ),
                        result_score=given,
                        result_maximum=100.0,
                    )
        course_ids.append(course.id)
        teachers[course.id] = teacher.id
        rosters[course.id] = tuple(learner.id for learner in roster)
        items_by_course[course.id] = tuple(made)
    return SchoolSeed(tuple(course_ids), teachers, rosters, items_by_course)
