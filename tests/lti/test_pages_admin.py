"""Admin pages without a browser: frameworks in and out, the district policy, SIS connections,
each change in the audit log; a malformed file or policy changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

import bridge.jobs
import bridge.recompute_runs
from bridge.recompute_runs import queue_district_recompute, run_district_recompute
from bridge.runs import LOCK_LIFETIME
from config import FRAMEWORKS_DIR
from mappings.calculation import MethodChoice
from mappings.policy import CourseChoice, Policy
from store.audit import AuditEntry
from store.evidence import record_observations
from store.frameworks import Framework, FrameworkStatus
from store.launch_sessions import open_session
from store.people import Course, upsert_user
from store.policies import district_policy, set_course_choice, set_district_policy
from store.recompute import recompute
from store.registrations import PlatformDetails, add_platform
from store.sis import SisConnection
from store.standings import StandingRow
from store.sync_runs import RunStatus, SyncRun, SyncUnit
from store.types import utcnow
from tests.runs import finished_run
from tests.store.district import make_district, observation


@pytest.fixture
def admin(app, database):
    with database.begin() as session:
        user = upsert_user(session, issuer="https://lms.test", sub="admin-1", name="Ada Admin")
        token = open_session(
            session, user=user, course=None, platform_id=None, role="admin", is_admin=True
        ).token
    client = app.test_client()
    return client, token


def _token(client, path: str, ls: str) -> str:
    page = client.get(f"{path}?ls={ls}")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_frameworks_are_imported_published_and_exported_from_the_page(admin, database):
    client, ls = admin
    csrf = _token(client, "/admin/frameworks", ls)
    broken = client.post(
        f"/admin/frameworks?ls={ls}",
        data={"csrf_token": csrf, "file": (io.BytesIO(b"code: X\nscale: [\n"), "broken.yaml")},
        content_type="multipart/form-data",
    )
    assert broken.status_code == 400
    with database.begin() as session:
        assert session.scalar(select(Framework.id)) is None
    sample = (FRAMEWORKS_DIR / "sample-high-school.yaml").read_bytes()
    stored = client.post(
        f"/admin/frameworks?ls={ls}",
        data={"csrf_token": csrf, "file": (io.BytesIO(sample), "sample-high-school.yaml")},
        content_type="multipart/form-data",
    )
    assert stored.status_code == 303
    page = client.get(f"/admin/frameworks?ls={ls}").get_data(as_text=True)
    assert "SAMPLE-HS" in page and "draft" in page
    published = client.post(f"/admin/frameworks/SAMPLE-HS/1/publish?ls={ls}", data={"csrf_token": csrf})
    assert published.status_code == 303
    with database.begin() as session:
        assert session.scalars(select(Framework)).one().status is FrameworkStatus.PUBLISHED
    exported = client.get(f"/admin/frameworks/SAMPLE-HS/1/export?ls={ls}&format=csv")
    assert exported.headers["Content-Disposition"].endswith('SAMPLE-HS-v1.csv"')
    assert "MATH.3.PI.1" in exported.get_data(as_text=True)
    with database.begin() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["framework imported", "framework published"]


def test_the_district_policy_is_saved_from_the_form_and_a_bad_one_is_refused(admin, database):
    client, ls = admin
    csrf = _token(client, "/admin/policy", ls)
    refused = client.post(
        f"/admin/policy?ls={ls}", data={"csrf_token": csrf, "method": "decaying_average", "weight": "1.5"}
    )
    assert refused.status_code == 400 and "between 0 and 1" in refused.get_data(as_text=True)
    saved = client.post(
        f"/admin/policy?ls={ls}",
        data={
            "csrf_token": csrf,
            "method": "n_mastery",
            "n": "2",
            "min_observations": "2",
            "rollup": "all_at_least",
            "rollup_level": "3",
            "verify_min_observations": "3",
            "course_methods": ["mean", "latest"],
        },
    )
    assert saved.status_code == 303
    with database.begin() as session:
        policy = district_policy(session)
        assert policy.method.describe() == "n_mastery(n=2)"
        assert (policy.min_observations, policy.rollup.name, policy.verification.min_observations) == (
            2,
            "all_at_least",
            3,
        )
        assert policy.course_methods == {"mean", "latest"}
        entry = session.scalars(select(AuditEntry)).one()
        assert entry.action == "district policy changed" and entry.actor.display_name == "Ada Admin"
        run = session.scalars(select(SyncRun)).one()
        assert (run.kind, run.trigger, run.started_by_user_id) == ("recompute", "admin", entry.actor_id)
    finished = finished_run(database, run.id)
    assert finished.status is RunStatus.SUCCEEDED
    page = client.get(f"/admin/policy?ls={ls}").get_data(as_text=True)
    assert "Every standing was recalculated: 0 changed." in page


def test_saving_the_policy_recalculates_every_standing_in_the_background(admin, database):
    client, ls = admin
    with database.begin() as session:
        district = make_district(session)
        record_observations(
            session,
            [
                observation(
                    district.students[0],
                    district.math_indicators[0],
                    district.courses[0],
                    level,
                    day,
                    f"r{day}",
                )
                for day, level in enumerate((4, 1))
            ],
        )
        recompute(session)
    csrf = _token(client, "/admin/policy", ls)
    saved = client.post(f"/admin/policy?ls={ls}", data={"csrf_token": csrf, "method": "highest"})
    assert saved.status_code == 303
    with database.begin() as session:
        run_id = session.scalars(select(SyncRun.id)).one()
    progress = client.get(f"/admin/policy/recalculations/{run_id}.json?ls={ls}").get_json()
    assert progress["run_id"] == run_id and progress["units_total"] == 1
    finished_run(database, run_id)
    progress = client.get(f"/admin/policy/recalculations/{run_id}.json?ls={ls}").get_json()
    assert progress["finished"] and progress["status"] == "succeeded"
    assert progress["message"].startswith("Every standing was recalculated: ")
    page = client.get(f"/admin/policy?ls={ls}").get_data(as_text=True)
    assert "Sync every course now" in page and 'action="/admin/runs/every-course' in page
    with database.begin() as session:
        standing = session.scalars(
            select(StandingRow).where(
                StandingRow.indicator_id == district.math_indicators[0], StandingRow.course_id.is_not(None)
            )
        ).one()
        assert (standing.method, standing.value) == ("highest", 4)
    runs = client.get(f"/admin/runs?ls={ls}").get_data(as_text=True)
    assert "recompute" in runs and "Standings changed" in runs
    assert client.get(f"/admin/policy/recalculations/999.json?ls={ls}").status_code == 404

    again = client.post(f"/admin/policy/recalculate?ls={ls}", data={"csrf_token": csrf})
    assert again.status_code == 303
    with database.begin() as session:
        second = session.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
        assert second.id != run_id and second.scope == {"reason": "asked for by an admin"}
    assert finished_run(database, second.id).computed == 0  # nothing changed since


def test_a_policy_that_would_refuse_a_course_choice_is_not_saved(admin, database):
    client, ls = admin
    with database.begin() as session:
        district = make_district(session)
        set_district_policy(session, Policy(course_methods=frozenset({"latest"})))
        set_course_choice(session, district.courses[1], CourseChoice(method=MethodChoice.of("latest")))
    csrf = _token(client, "/admin/policy", ls)
    refused = client.post(
        f"/admin/policy?ls={ls}", data={"csrf_token": csrf, "method": "mean", "course_methods": ["highest"]}
    )
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "Course 1: the district policy does not let a course choose latest (allowed: highest)" in text
    with database.begin() as session:
        assert district_policy(session).course_methods == {"latest"}
        assert session.scalars(select(SyncRun)).all() == []


def test_a_sis_connection_is_added_with_its_secret_sealed(admin, database):
    client, ls = admin
    csrf = _token(client, "/admin/sis", ls)
    added = client.post(
        f"/admin/sis?ls={ls}",
        data={
            "csrf_token": csrf,
            "name": "District SIS",
            "version": "1.2",
            "auth_kind": "oauth2",
            "base_url": "https://sis.example.org/ims/oneroster",
            "token_url": "https://sis.example.org/oauth/token",
            "client_id": "abc",
            "client_secret": "very-secret-value",
        },
    )
    assert added.status_code == 303
    page = client.get(f"/admin/sis?ls={ls}").get_data(as_text=True)
    assert "District SIS" in page and "very-secret-value" not in page
    with database.begin() as session:
        row = session.scalars(select(SisConnection)).one()
        assert "very-secret-value" not in str(row.client_secret_sealed)


def test_a_teacher_session_cannot_use_admin_pages(app, database):
    with database.begin() as session:
        user = upsert_user(session, issuer="https://lms.test", sub="t-1")
        token = open_session(
            session, user=user, course=None, platform_id=None, role="teacher", is_admin=False
        ).token
    client = app.test_client()
    for path in ("/admin/policy", "/admin/audit", "/admin/frameworks", "/admin/sis", "/admin/runs"):
        assert client.get(f"{path}?ls={token}").status_code == 403
    # nor start a sync of every course, even with the form's token right
    csrf = hmac.new(app.config["SECRET_KEY"].encode(), b"csrf|" + token.encode(), hashlib.sha256).hexdigest()
    assert client.post(f"/admin/runs/every-course?ls={token}", data={"csrf_token": csrf}).status_code == 403
    with database.begin() as session:
        assert session.scalars(select(SyncRun)).all() == []


def test_a_recalculation_not_over_is_shown_with_its_progress(admin, database):
    client, ls = admin
    with database.begin() as session:
        run_id = queue_district_recompute(session, trigger="admin", reason="district policy changed")
    page = client.get(f"/admin/policy?ls={ls}").get_data(as_text=True)
    assert f'data-url="/admin/policy/recalculations/{run_id}.json?ls={ls}"' in page
    assert "Waiting for a worker to start the recalculation…" in page
    assert "Recalculate every standing now" not in page  # not while one is pending


def test_a_recalculation_in_parts_shows_how_many_are_done(admin, database, monkeypatch):
    client, ls = admin
    with database.begin() as session:
        district = make_district(session)
        pi, course = district.math_indicators[0], district.courses[0]
        record_observations(
            session, [observation(student, pi, course, 3, 1, f"p{student}") for student in district.students]
        )
        run_id = queue_district_recompute(session, trigger="admin", reason="district policy changed")
    seen = []

    def watching(session, **kwargs):
        seen.append(client.get(f"/admin/policy/recalculations/{run_id}.json?ls={ls}").get_json())
        return recompute(session, **kwargs)

    monkeypatch.setattr(bridge.recompute_runs, "recompute", watching)
    run_district_recompute(database, run_id, students_per_pass=1)

    students = len(district.students)
    assert [(p["units_done"], p["units_total"]) for p in seen] == [(n, students) for n in range(students)]
    assert seen[1]["message"] == (
        f"Recalculating every standing: 1 of {students} parts done ({students} students in all)…"
    )
    final = client.get(f"/admin/policy/recalculations/{run_id}.json?ls={ls}").get_json()
    assert (final["finished"], final["units_done"], final["units_total"]) == (True, students, students)


def test_an_admin_syncs_every_course_once_at_a_time(admin, database, monkeypatch):
    client, ls = admin
    dispatched = []
    monkeypatch.setattr(bridge.jobs.Dispatcher, "dispatch", lambda _self, run_id: dispatched.append(run_id))
    csrf = _token(client, "/admin/runs", ls)
    none = client.post(f"/admin/runs/every-course?ls={ls}", data={"csrf_token": csrf})
    assert none.status_code == 303 and "nothing=1" in none.headers["Location"]
    assert "No course to sync yet" in client.get(none.headers["Location"]).get_data(as_text=True)

    with database.begin() as session:
        district = make_district(session)
        platform = add_platform(
            session,
            PlatformDetails(
                name="LMS",
                issuer="https://lms.test",
                client_id="tool",
                auth_login_url="https://lms.test/auth",
                auth_token_url="https://lms.test/token",
                key_set_url="https://lms.test/jwks",
            ),
        )
        linked = district.courses[0]
        session.get(Course, linked).platform_id = platform.id  # the other course has no LMS

    started = client.post(f"/admin/runs/every-course?ls={ls}", data={"csrf_token": csrf})
    assert started.status_code == 303
    with database.begin() as session:
        run = session.scalars(select(SyncRun).where(SyncRun.kind == "lms")).one()
        assert (run.trigger, run.units_total, run.scope["every_course"]) == ("admin", 1, True)
        assert [u.course_id for u in run.units] == [linked] and run.started_by_user_id is not None
        run_id = run.id
    assert dispatched == [run_id] and f"started={run_id}" in started.headers["Location"]
    assert f"Run {run_id} is syncing every course" in client.get(started.headers["Location"]).get_data(
        as_text=True
    )

    again = client.post(f"/admin/runs/every-course?ls={ls}", data={"csrf_token": csrf})
    assert f"already={run_id}" in again.headers["Location"] and dispatched == [run_id]

    with database.begin() as session:  # its worker died long ago: no longer in the way
        stale = utcnow() - LOCK_LIFETIME - timedelta(minutes=1)
        session.get(SyncRun, run_id).created_at = stale
        for unit in session.scalars(select(SyncUnit).where(SyncUnit.run_id == run_id)):
            unit.started_at = stale
    fresh = client.post(f"/admin/runs/every-course?ls={ls}", data={"csrf_token": csrf})
    assert "started=" in fresh.headers["Location"] and len(dispatched) == 2
