"""Server-side render time of the class heatmap: 35 students × 40 indicators (target < 100 ms).

    python -m benchmarks.pages                  # SQLite in a temporary directory
    python -m benchmarks.pages --runs 50 --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

A course of 35 students with four summative observations on each of 40 indicators of the
sample framework is stored and recomputed; then the teacher's class page is requested in
the app (session lookup, standings read, shaping, Jinja rendering) and timed, along with
the read-and-shape step alone. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx

from lti import create_app
from lti.pages.class_view import ClassQuery, class_view
from mappings.evidence import Purpose
from pbridge.settings import Settings
from store.database import Database
from store.evidence import Observation, record_observations
from store.framework_repository import import_sample_framework
from store.launch_sessions import open_session
from store.page_queries import published_indicators
from store.people import CourseRole, upsert_course, upsert_membership, upsert_user
from store.recompute import recompute

STUDENTS, INDICATORS, OBSERVATIONS = 35, 40, 4


def seed(database: Database) -> tuple[int, str]:
    """The course and a teacher's launch session token."""
    with database.begin() as session:
        import_sample_framework(session, publish=True)
        indicators = [i for i in published_indicators(session) if not i.habit][:INDICATORS]
        assert len(indicators) == INDICATORS, "the sample framework has too few indicators"
        course = upsert_course(
            session,
            issuer="https://lms.bench",
            context_id="c1",
            platform_id=None,
            deployment_id="1",
            title="Benchmark Algebra",
        )
        teacher = upsert_user(session, issuer="https://lms.bench", sub="t", name="Teacher")
        upsert_membership(
            session, course=course, user=teacher, role=CourseRole.TEACHER, lti_roles=[], source="launch"
        )
        observations = []
        start = datetime(2025, 9, 1, tzinfo=UTC)
        for s in range(STUDENTS):
            student = upsert_user(session, issuer="https://lms.bench", sub=f"s{s}", name=f"Student {s:02d}")
            upsert_membership(
                session, course=course, user=student, role=CourseRole.STUDENT, lti_roles=[], source="launch"
            )
            for n, indicator in enumerate(indicators):
                for k in range(OBSERVATIONS):
                    level = Decimal(1 + (s * 7 + n * 3 + k * 5) % 4)
                    observations.append(
                        Observation(
                            student_id=student.id,
                            indicator_id=indicator.id,
                            course_id=course.id,
                            source="bench",
                            source_ref=f"{s}:{n}:{k}",
                            assessed_at=start + timedelta(days=7 * k),
                            level=level,
                            purpose=Purpose.SUMMATIVE,
                        )
                    )
        keys = record_observations(session, observations)
        recompute(session, keys)
        token = open_session(
            session, user=teacher, course=course, platform_id=None, role="teacher", is_admin=False
        ).token
        return course.id, token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--postgres", help="a PostgreSQL URL to use instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.postgres or f"sqlite:///{Path(folder) / 'pages.db'}"
        database = Database(url)
        database.create_all()
        course_id, token = seed(database)
        settings = Settings(
            database_url=url, secret_key="benchmark-secret-key-long-enough", base_url="http://bench"
        )
        app = create_app(
            settings,
            database=database,
            http=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(599))),
        )
        client = app.test_client()
        first = client.get(f"/teacher/?ls={token}")
        assert first.status_code == 200, first.status_code
        cells = first.get_data(as_text=True).count("/teacher/standing/")
        page_ms, shape_ms = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            answer = client.get(f"/teacher/?ls={token}")
            page_ms.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200
            with database.begin() as session:
                started = time.perf_counter()
                class_view(session, course_id, ClassQuery())
                shape_ms.append((time.perf_counter() - started) * 1000)
        size = len(answer.get_data())
        database.dispose()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"class heatmap, {STUDENTS} students × {INDICATORS} indicators ({cells} linked cells), "
        f"{backend}, {args.runs} runs"
    )
    print(
        f"  whole page (session, read, shape, render): p50 {statistics.median(page_ms):.1f} ms, "
        f"min {min(page_ms):.1f} ms, max {max(page_ms):.1f} ms   (target < 100 ms)"
    )
    print(f"  read and shape alone:                      p50 {statistics.median(shape_ms):.1f} ms")
    print(f"  page size: {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
