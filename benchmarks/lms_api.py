"""Reading existing assignments and their scores through the LMSs' own APIs, with latency.

    python -m benchmarks.lms_api [--flavours canvas,moodle,schoology] [--courses 40]
                                 [--assignments 40] [--students 30] [--latency-ms 50]
                                 [--concurrency 8] [--course-workers 8]

For each flavour, a sandbox in its own process holds a school of `--courses` courses, each
with `--assignments` native assignments (every fifth scored with a three-criterion rubric)
and `--students` students; every assignment is aligned. Prints, for one course and for the
whole school, a first (full) read and a second (delta, nothing changed) read, and the API
part of a full read alone (`API`: listing and grades, nothing written): requests made vs
the minimum the API allows, and wall time vs the lower bound (minimum requests x latency /
requests allowed in flight). The difference between `full` and `API` is the tool's own
work: converting and upserting the evidence. Asserts nothing.

Minimum requests per course (A assignments, S students, R rubrics):
    Canvas     1 listing (assignment groups with their assignments) + ceil(A*S/100) pages of
               course-wide submissions; a delta: 1 listing + 1 submissions request
    Moodle     assignments + grade categories + rubric definitions + grades + submissions
               + R rubric fillings (whatever the number of students)
    Schoology  ceil(A/200) assignments + 1 categories + ceil(S/200) enrollments
               + ceil(A*S/200) grade pages; a delta: the same with one grades page
"""

from __future__ import annotations

import argparse
import math
import random
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx

from sandbox import SandboxState
from sandbox.gradebook import CriterionAssessment, Rubric, RubricCriterion, RubricRating
from sandbox.process import serve_process

TERM = datetime(2025, 9, 8, 15, 0, tzinfo=UTC)
RATINGS = (("Exceeds", 4.0), ("Meets", 3.0), ("Partially meets", 2.0), ("Does not meet", 1.0))


def build_school(flavour: str, courses: int, assignments: int, students: int) -> tuple[SandboxState, dict]:
    """The sandbox side (runs in the child process): courses, natives, submissions, a credential."""
    state = SandboxState.for_flavour(flavour)
    rng = random.Random(3)
    admin = state.add_user(
        given_name="Ada",
        family_name="Admin",
        institution_roles=("Administrator",),
        system_roles=("Administrator",),
    )
    made: dict[str, Any] = {"courses": [], "students": {}, "assignments": {}}
    for number in range(1, courses + 1):
        course = state.add_course(title=f"Course {number}", label=f"C{number}")
        teacher = state.add_user(
            given_name="T", family_name=f"Teacher{number}", institution_roles=("Instructor",)
        )
        state.enroll(course.id, teacher.id, ["Instructor"])
        learners = []
        for seat in range(students):
            learner = state.add_user(
                given_name="S", family_name=f"{number}-{seat}", person_sourcedid=f"stu-{number}-{seat}"
            )
            state.enroll(course.id, learner.id, ["Learner"])
            learners.append(learner.id)
        natives = []
        for position in range(1, assignments + 1):
            rubric = _rubric(state) if position % 5 == 0 else None
            native = state.grades.add_assignment(
                course_id=course.id,
                name=f"Assessment {position}",
                points_possible=12.0 if rubric else 20.0,
                due_at=TERM + timedelta(days=position),
                group=("Quizzes", "Projects", "Tests")[position % 3],
                position=position,
                rubric=rubric,
            )
            natives.append(native.id)
            for learner in learners:
                _submit(state, rng, native, learner)
        made["courses"].append(course.id)
        made["students"][course.id] = learners
        made["assignments"][course.id] = natives
    made["credential"] = _credential(state, admin.id)
    made["issuer"] = state.issuer
    made["subs"] = {user.id: user.sub for user in state.users.values()}
    return state, made


def _rubric(state: SandboxState) -> Rubric:
    criteria = tuple(
        RubricCriterion(
            id=f"crit_{state.next_id('criterion')}",
            description=name,
            points=4.0,
            ratings=tuple(RubricRating(label, points) for label, points in RATINGS),
        )
        for name in ("Reasoning", "Accuracy", "Communication")
    )
    return Rubric(id=state.next_id("rubric"), title="Rubric", criteria=criteria)


def _submit(state: SandboxState, rng: random.Random, native: Any, learner: str) -> None:
    roll = rng.random()
    if roll < 0.03:
        state.grades.set_submission(native.id, learner, excused=True, workflow_state="graded")
        return
    submitted = native.due_at - timedelta(hours=rng.randint(1, 48))
    graded = native.due_at + timedelta(days=2)
    assessment: tuple[CriterionAssessment, ...] = ()
    if native.rubric is not None:
        assessment = tuple(
            CriterionAssessment(c.id, *reversed(RATINGS[rng.randint(0, 3)])) for c in native.rubric.criteria
        )
        score = sum(part.points for part in assessment)
    else:
        score = float(rng.randint(6, 20))
    state.grades.set_submission(
        native.id,
        learner,
        score=score,
        submitted_at=submitted,
        graded_at=graded,
        workflow_state="graded",
        rubric_assessment=assessment,
        attempt=1,
    )


def _credential(state: SandboxState, admin_id: str) -> dict[str, str]:
    if state.flavour.name == "canvas":
        return {"token": state.lms_api.add_personal_token(admin_id)}
    if state.flavour.name == "moodle":
        return {"token": state.lms_api.add_moodle_token(admin_id)}
    key = state.lms_api.add_schoology_key(admin_id)
    return {"client_id": key.consumer_key, "client_secret": key.secret}


# the tool's side ------------------------------------------------------------------------------


def _tool_side(
    flavour: str, url: str, info: dict, database_url: str, concurrency: int
) -> tuple[Any, dict[str, int]]:
    """A tool database with the platform, courses, students and alignments; the bridge to sync."""
    from bridge.context import Bridge
    from bridge.http import RetryPolicy, make_client
    from mappings.conversion import default_cut_scores
    from mappings.evidence import Purpose
    from store.alignments import Alignment, AlignmentKind, alignment_indicators
    from store.database import Database
    from store.frameworks import Framework, FrameworkStatus, GraduationStandard, PerformanceIndicator
    from store.lms_credentials import save_credentials
    from store.people import Course, CourseRole, Membership, User
    from store.platforms import Platform, Preset
    from store.secret_box import SecretBox

    database = Database(database_url)
    database.create_all()
    box = SecretBox.from_settings(None, "benchmark-secret-key")
    courses: dict[str, int] = {}
    with database.begin() as session:
        framework = Framework(code="B", title="Bench", status=FrameworkStatus.PUBLISHED)
        session.add(framework)
        session.flush()
        standard = GraduationStandard(framework_id=framework.id, code="S", title="S", position=1)
        session.add(standard)
        session.flush()
        indicator = PerformanceIndicator(
            framework_id=framework.id, standard_id=standard.id, code="S.1", title="S.1", position=1
        )
        session.add(indicator)
        platform = Platform(
            name=flavour,
            preset=Preset(flavour),
            issuer=info["issuer"],
            client_id="pb",
            auth_login_url=url,
            auth_token_url=url,
            key_set_url=url,
        )
        session.add(platform)
        session.flush()
        save_credentials(
            session,
            box,
            platform_id=platform.id,
            kind=Preset(flavour),
            client_id=info["credential"].get("client_id"),
            client_secret=info["credential"].get("client_secret"),
            token=info["credential"].get("token"),
            api_base_url=url + ("/v1" if flavour == "schoology" else ""),
        )
        users: dict[str, User] = {}
        for sandbox_course in info["courses"]:
            course = Course(
                issuer=info["issuer"],
                context_id=sandbox_course,
                platform_id=platform.id,
                title=sandbox_course,
                lms_course_id=sandbox_course,
            )
            session.add(course)
            session.flush()
            courses[sandbox_course] = course.id
            for student in info["students"][sandbox_course]:
                user = User(issuer=info["issuer"], sub=info["subs"][student], lms_user_id=student)
                users[student] = user
                session.add(user)
            session.flush()
            session.add_all(
                Membership(course_id=course.id, user_id=users[s].id, role=CourseRole.STUDENT)
                for s in info["students"][sandbox_course]
            )
            conversion = default_cut_scores().to_json()
            alignments = [
                Alignment(
                    course_id=course.id,
                    kind=AlignmentKind.LMS_ASSIGNMENT,
                    external_id=assignment,
                    title=assignment,
                    purpose=Purpose.SUMMATIVE,
                    conversion=conversion,
                )
                for assignment in info["assignments"][sandbox_course]
            ]
            session.add_all(alignments)
            session.flush()
            session.execute(
                alignment_indicators.insert(),
                [{"alignment_id": a.id, "indicator_id": indicator.id} for a in alignments],
            )
    bridge = Bridge(
        database,
        box,
        http=make_client(timeout=30),
        max_concurrency=concurrency,
        retry=RetryPolicy(attempts=4, base_delay=0.05),
    )
    return bridge, courses


def _minimum(flavour: str, assignments: int, students: int, rubrics: int, *, delta: bool) -> int:
    if flavour == "canvas":
        return 1 + (1 if delta else math.ceil(assignments * students / 100))
    if flavour == "moodle":
        return 5 + rubrics
    grade_pages = 1 if delta else math.ceil(assignments * students / 200)
    return math.ceil(assignments / 200) + 1 + math.ceil(students / 200) + grade_pages


def _pull(bridge: Any, course_ids: list[int], workers: int, *, full: bool) -> tuple[float, int, int]:
    from bridge.lms_api.pull import pull_lms_scores
    from bridge.outcome import CourseOutcome

    before = bridge.requests_made()
    outcomes = []

    def one(course_id: int) -> None:
        outcome = CourseOutcome()
        pull_lms_scores(bridge, course_id, outcome, full=full)
        outcomes.append(outcome)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(course_ids)))) as pool:
        list(pool.map(one, course_ids))
    wall = time.perf_counter() - started
    failed = sum(o.failed for o in outcomes)
    return wall, bridge.requests_made() - before, failed


def _line(
    flavour: str,
    scope: str,
    kind: str,
    requests: int,
    minimum: int,
    wall: float,
    bound: float,
    failed: int = 0,
) -> None:
    print(
        f"{flavour:10} {scope:11} {kind:6} requests {requests:5} (minimum {minimum:5})   "
        f"wall {wall:7.2f} s (lower bound {bound:6.2f} s)" + (f"   {failed} failed" if failed else "")
    )


def _read(bridge: Any, course_ids: list[int], workers: int) -> tuple[float, int]:
    """Only the API part of a full read (listing and every grade), nothing written."""
    from bridge.lms_api.connection import course_api, open_client

    with bridge.database.begin() as session:
        apis = [course_api(session, bridge.secret_box, course_id) for course_id in course_ids]
    before = bridge.requests_made()

    def one(api: Any) -> None:
        client = open_client(bridge, api)
        listed = client.assignments(api.lms_course_id)
        client.grades(api.lms_course_id, listed, students=api.learners)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(apis)))) as pool:
        list(pool.map(one, apis))
    return time.perf_counter() - started, bridge.requests_made() - before


def run(flavour: str, args: argparse.Namespace) -> None:
    factory = partial(build_school, flavour, args.courses, args.assignments, args.students)
    rubrics = args.assignments // 5
    with serve_process(factory) as server, tempfile.TemporaryDirectory() as folder:
        bridge, courses = _tool_side(
            flavour, server.url, server.info, f"sqlite:///{folder}/bench.db", args.concurrency
        )
        httpx.post(
            server.url + "/sandbox/faults",
            json={"rules": [{"path": ".*", "latency_ms": args.latency_ms}]},
            timeout=10,
        )
        latency = args.latency_ms / 1000
        ids = list(courses.values())
        for scope, chosen in (("1 course", ids[:1]), (f"{len(ids)} courses", ids)):
            for kind in ("full", "delta"):
                wall, requests, failed = _pull(bridge, chosen, args.course_workers, full=kind == "full")
                minimum = len(chosen) * _minimum(
                    flavour, args.assignments, args.students, rubrics, delta=kind == "delta"
                )
                bound = math.ceil(minimum / args.concurrency) * latency
                _line(flavour, scope, kind, requests, minimum, wall, bound, failed)
            wall, requests = _read(bridge, chosen, args.course_workers)
            minimum = len(chosen) * _minimum(flavour, args.assignments, args.students, rubrics, delta=False)
            _line(
                flavour,
                scope,
                "API",
                requests,
                minimum,
                wall,
                math.ceil(minimum / args.concurrency) * latency,
            )
        bridge.http.close()
        bridge.database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--flavours", default="canvas,moodle,schoology")
    parser.add_argument("--courses", type=int, default=40)
    parser.add_argument("--assignments", type=int, default=40)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight per platform")
    parser.add_argument("--course-workers", type=int, default=8, help="courses read at once")
    args = parser.parse_args()
    print(
        f"{args.courses} courses x {args.assignments} assignments x {args.students} students, "
        f"{args.latency_ms} ms per request, {args.concurrency} requests in flight per platform"
    )
    for flavour in args.flavours.split(","):
        run(flavour.strip(), args)


if __name__ == "__main__":
    main()
