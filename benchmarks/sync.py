"""The AGS bridge syncing a synthetic school against the sandbox with injected latency.

    python -m benchmarks.sync [--courses 40] [--students 30] [--line-items 25] [--indicators 20]
                              [--latency-ms 30] [--concurrency 16] [--baseline-courses 4]

Prints, for a first sync (columns created, every standing written) and a second, unchanged
one: requests made vs the minimum the protocol needs, and wall time vs the lower bound
(minimum requests x latency / allowed concurrency). The baseline is the same work done by a
straightforward sequential loop over pylti1p3next's AGS and NRPS services, on
`--baseline-courses` courses, scaled per course to the whole school. Asserts nothing.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from decimal import Decimal
from functools import partial
from statistics import mean

import httpx

from sandbox import SandboxState
from sandbox.addresses import line_item_url, line_items_url, memberships_url
from sandbox.process import serve_process
from sandbox.seed import seed_school

CLIENT_ID = "pbridge"
AGS = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]


def _school(courses: int, students: int, line_items: int, jwks: dict) -> tuple[SandboxState, dict]:
    state = SandboxState.for_flavour("canvas")
    state.register_tool(
        client_id=CLIENT_ID,
        deployment_ids=["1"],
        login_url="http://tool.invalid/lti/login",
        redirect_uris=["http://tool.invalid/lti/launch"],
        public_jwks=jwks,
    )
    seeded = seed_school(
        state, courses=courses, students=students, line_items=line_items, tool_client_id=CLIENT_ID
    )
    return state, {"seeded": seeded, "issuer": state.issuer}


def _urls(base: str, info: dict, flavour_state: SandboxState | None = None) -> dict:
    """Service URLs the way launches would announce them (computed on a twin state)."""
    twin = SandboxState.for_flavour("canvas", base_url=base)
    seeded = info["seeded"]
    courses = {}
    for course_id in seeded.course_ids:
        items = [
            line_item_url(twin, _ItemRef(course_id, item_id)) for item_id in seeded.line_item_ids[course_id]
        ]
        courses[course_id] = {
            "lineitems": line_items_url(twin, course_id, "1"),
            "memberships": memberships_url(twin, course_id, "1"),
            "items": items,
        }
    return {
        "courses": courses,
        "token_url": twin.token_url,
        "jwks_url": twin.jwks_url,
        "auth_url": twin.auth_url,
    }


class _ItemRef:
    def __init__(self, course_id: str, item_id: str) -> None:
        self.course_id, self.id, self.deployment_id = course_id, item_id, "1"


def _prepare(
    database_url: str, secret: str, issuer: str, urls: dict, indicators: int, seeded
) -> dict[str, int]:
    """Our side: the platform, a framework, each course with its line items aligned."""
    from mappings.conversion import default_cut_scores
    from mappings.evidence import Purpose
    from store.alignments import AlignmentKind, save_alignment
    from store.course_settings import Writeback, set_course_writeback
    from store.database import Database
    from store.frameworks import (
        Framework,
        FrameworkStatus,
        GraduationStandard,
        PerformanceIndicator,
        ScaleLevel,
    )
    from store.migrate import upgrade
    from store.people import Course
    from store.registrations import PlatformDetails, add_platform

    upgrade(database_url)
    database = Database(database_url)
    ids: dict[str, int] = {}
    with database.begin() as session:
        platform = add_platform(
            session,
            PlatformDetails(
                name="Sandbox",
                issuer=issuer,
                client_id=CLIENT_ID,
                auth_login_url=urls["auth_url"],
                auth_token_url=urls["token_url"],
                key_set_url=urls["jwks_url"],
            ),
            deployment_ids=["1"],
        )
        framework = Framework(code="BENCH", title="Benchmark", status=FrameworkStatus.PUBLISHED)
        framework.levels = [ScaleLevel(value=Decimal(v), label=str(v)) for v in (1, 2, 3, 4)]
        session.add(framework)
        session.flush()
        indicator_ids = []
        for number in range(indicators):
            if number % 5 == 0:
                standard = GraduationStandard(
                    framework_id=framework.id, code=f"S{number // 5 + 1}", title="Standard"
                )
                session.add(standard)
                session.flush()
            indicator = PerformanceIndicator(
                framework_id=framework.id,
                standard_id=standard.id,
                code=f"S{number // 5 + 1}.PI.{number % 5 + 1}",
                title="Indicator",
            )
            session.add(indicator)
            session.flush()
            indicator_ids.append(indicator.id)
        for course_id, course_urls in urls["courses"].items():
            course = Course(
                issuer=issuer,
                context_id=f"ctx-{course_id}",
                platform_id=platform.id,
                deployment_id="1",
                title=f"Course {course_id}",
                ags_lineitems_url=course_urls["lineitems"],
                ags_scopes=list(AGS),
                nrps_memberships_url=course_urls["memberships"],
            )
            session.add(course)
            session.flush()
            ids[course_id] = course.id
            set_course_writeback(session, course.id, Writeback.INDICATORS)
            for index, item in enumerate(course_urls["items"]):
                save_alignment(
                    session,
                    course_id=course.id,
                    kind=AlignmentKind.AGS_LINE_ITEM,
                    external_id=item,
                    indicator_ids=[indicator_ids[index % indicators]],
                    purpose=Purpose.SUMMATIVE,
                    conversion=default_cut_scores(),
                    platform_id=platform.id,
                )
    database.dispose()
    return ids


def _counts(base: str) -> dict[str, int]:
    return httpx.get(f"{base}/sandbox/counters", timeout=10).json()


def _reset(base: str) -> None:
    httpx.delete(f"{base}/sandbox/counters", timeout=10)


def _requests(counts: dict[str, int]) -> int:
    return sum(v for k, v in counts.items() if not k.split()[-1].startswith("sandbox."))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=40)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--line-items", type=int, default=25)
    parser.add_argument("--indicators", type=int, default=20)
    parser.add_argument("--latency-ms", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--course-workers", type=int, default=8)
    parser.add_argument("--baseline-courses", type=int, default=4)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from bridge.context import Bridge
    from bridge.http import make_client
    from bridge.runs import execute_run, start_run
    from store.database import Database
    from store.secret_box import SecretBox
    from store.tool_keys import current_signing_key, published_jwks

    secret = secrets.token_urlsafe(32)
    box = SecretBox.from_settings(None, secret)
    with tempfile.TemporaryDirectory() as folder:
        database_url = args.database_url or f"sqlite:///{folder}/sync.db"
        keys_db = Database(f"sqlite:///{folder}/keys.db")
        keys_db.create_all()
        with keys_db.begin() as session:
            signing = current_signing_key(session, box)
            jwks = published_jwks(session)
        baseline_jwk = _baseline_jwk(signing.private_pem)
        jwks = {"keys": [*jwks["keys"], baseline_jwk]}
        factory = partial(_school, args.courses, args.students, args.line_items, jwks)
        with serve_process(factory) as sandbox:
            info = sandbox.info
            urls = _urls(sandbox.url, info)
            ids = _prepare(database_url, secret, info["issuer"], urls, args.indicators, info["seeded"])
            database = Database(database_url)
            with database.begin() as session:  # the same key signs our assertions
                from store.platforms import KeyStatus, ToolKey

                session.add(
                    ToolKey(
                        kid=signing.kid,
                        private_key_sealed=box.seal(signing.private_pem.decode()),
                        public_jwk=jwks["keys"][0],
                        status=KeyStatus.CURRENT,
                    )
                )
            httpx.post(
                f"{sandbox.url}/sandbox/faults",
                json={
                    "clear": True,
                    "rules": [
                        {"path": "^/api/lti/", "latency_ms": args.latency_ms},
                        {"path": "^/login/oauth2/token", "latency_ms": args.latency_ms},
                    ],
                },
                timeout=10,
            )
            bridge = Bridge(database, box, http=make_client(timeout=30.0), max_concurrency=args.concurrency)
            courses, students, items, indicators = (
                args.courses,
                args.students,
                args.line_items,
                args.indicators,
            )
            nrps_pages = -(-students // 50)
            minimum_first = 1 + courses * (nrps_pages + 1 + items + indicators + indicators * students)
            minimum_again = courses * (nrps_pages + 1 + items)
            latency = args.latency_ms / 1000
            print(
                f"School: {courses} courses x {students} students x {items} aligned line items, "
                f"{indicators} indicators written back; latency {args.latency_ms} ms, "
                f"concurrency cap {args.concurrency}"
            )

            for label, minimum in (
                ("first sync", minimum_first),
                ("second sync (nothing new)", minimum_again),
            ):
                _reset(sandbox.url)
                run_id = start_run(database, list(ids.values()), trigger="cli")
                began = time.perf_counter()
                run = execute_run(bridge, run_id, course_workers=args.course_workers)
                wall = time.perf_counter() - began
                made = _requests(_counts(sandbox.url))
                bound = minimum * latency / args.concurrency
                ratio = f"x{wall / bound:.2f}" if bound else "no latency"
                print(
                    f"{label:27} requests {made:6d} (minimum {minimum:6d}, x{made / minimum:.2f})  "
                    f"wall {wall:7.1f} s (lower bound {bound:6.1f} s, {ratio})  "
                    f"written {run.written}, failed {run.failed}, status {run.status.value}"
                )
                if label == "first sync":
                    first_wall = wall

            _reset(sandbox.url)
            subset = list(urls["courses"].items())[: args.baseline_courses]
            began = time.perf_counter()
            baseline_requests = _baseline(
                subset, info["issuer"], urls, signing.private_pem, indicators, students
            )
            per_course = (time.perf_counter() - began) / len(subset)
            made = _requests(_counts(sandbox.url))
            print(
                f"baseline (pylti1p3next, sequential) on {len(subset)} courses: "
                f"{per_course:.1f} s per course, "
                f"{made / len(subset):.0f} requests per course; scaled to {courses} courses: "
                f"{per_course * courses:.0f} s"
            )
            print(f"speed-up of the first sync over the baseline: x{per_course * courses / first_wall:.1f}")
            del baseline_requests


def _baseline_jwk(private_pem: bytes) -> dict:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from pylti1p3.registration import Registration

    public = load_pem_private_key(private_pem, password=None).public_key()
    public_pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return dict(Registration.get_jwk(public_pem.decode()))


def _baseline(subset, issuer: str, urls: dict, private_pem: bytes, indicators: int, students: int) -> int:
    """What a team writes first: one course after another, one request after another."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from pylti1p3.assignments_grades import AssignmentsGradesService
    from pylti1p3.contrib.flask.service_connector import FlaskServiceConnector as ServiceConnector
    from pylti1p3.grade import Grade
    from pylti1p3.lineitem import LineItem
    from pylti1p3.names_roles import NamesRolesProvisioningService
    from pylti1p3.registration import Registration

    public = load_pem_private_key(private_pem, password=None).public_key()
    registration = (
        Registration()
        .set_issuer(issuer)
        .set_client_id(CLIENT_ID)
        .set_auth_token_url(urls["token_url"])
        .set_tool_private_key(private_pem.decode())
        .set_tool_public_key(
            public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ).decode()
        )
    )
    connector = ServiceConnector(registration)
    total = 0
    for _course_id, course in subset:
        ags = AssignmentsGradesService(connector, {"scope": AGS, "lineitems": course["lineitems"]})
        nrps = NamesRolesProvisioningService(
            connector, {"context_memberships_url": course["memberships"], "service_versions": ["2.0"]}
        )
        members = [m for m in nrps.get_members() if "Learner" in " ".join(m.get("roles", []))]
        scores: dict[str, list[float]] = {}
        for index, item in enumerate(course["items"]):
            for grade in ags.get_grades(LineItem({"id": item})):
                if grade.get("resultScore") is not None:
                    scores.setdefault(f"{index % indicators}|{grade['userId']}", []).append(
                        float(grade["resultScore"])
                    )
        for number in range(indicators):
            line_item = ags.find_or_create_lineitem(
                LineItem()
                .set_label(f"Indicator {number}")
                .set_score_maximum(4)
                .set_tag("proficiency")
                .set_resource_id(f"I{number}"),
                find_by="resource_id",
            )
            for member in members[:students]:
                values = scores.get(f"{number}|{member['user_id']}", [])
                level = 1 + min(3, int(mean(values) / 25)) if values else None
                if level is None:
                    continue
                grade = (
                    Grade()
                    .set_score_given(level)
                    .set_score_maximum(4)
                    .set_user_id(member["user_id"])
                    .set_timestamp(time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()))
                    .set_activity_progress("Completed")
                    .set_grading_progress("FullyGraded")
                )
                ags.put_grade(grade, line_item)
                total += 1
    return total


if __name__ == "__main__":
    main()
