from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bridge.oneroster.roster_sync import sync_roster
from pbridge.errors import PlatformUnavailable
from sandbox.oneroster import FaultRule
from store.people import Course, Membership, User
from store.sis import SisConnection
from store.sis_roster import count_records, find_record
from store.sync_runs import RunStatus, SyncError, SyncRun, SyncUnit

DISTRICT = {"schools": 2, "users": 60, "classes": 5, "enrollments": 80}


def test_full_sync_stores_every_collection_with_few_requests(sis_factory):
    sis = sis_factory(**DISTRICT)
    report = sync_roster(sis.database, sis.connection_id, sis.client())
    assert report.status is RunStatus.SUCCEEDED
    pulled = {c.collection: c.pulled for c in report.collections}
    assert pulled == {
        "orgs": 3,
        "academicSessions": 4,
        "courses": 14,
        "classes": 5,
        "users": 60,
        "enrollments": 80,
        "demographics": 59,
    }
    # pages of 10: 1+1+2+1+6+8+6 = 25, plus a token for the roster and one for demographics
    assert report.requests == 27
    with sis.database.begin() as session:
        user = find_record(session, "users", sis.connection_id, "usr-000003")
        assert (user.role, user.org_sourced_ids) == ("student", ["org-001"])
        klass = find_record(session, "classes", sis.connection_id, "cls-00001")
        assert (klass.school_sourced_id, klass.term_sourced_ids) == ("org-001", ["ses-t2"])
        run = session.get(SyncRun, report.run_id)
        # demographics come in a run of their own, after the roster (a refusal there spares it)
        assert (run.kind, run.status, run.pulled) == ("sis", RunStatus.SUCCEEDED, 166)
        assert len(session.scalars(select(SyncUnit).where(SyncUnit.run_id == run.id)).all()) == 6
        assert session.scalar(select(func.count()).select_from(SyncRun)) == 2


def test_delta_sync_asks_only_for_changes_and_marks_tobedeleted(sis_factory):
    sis = sis_factory(**DISTRICT)
    sync_roster(sis.database, sis.connection_id, sis.client())
    sis.state.touch("users", "usr-000001", givenName="Renamed")
    sis.state.mark_deleted("enrollments", "enr-0000002")
    report = sync_roster(sis.database, sis.connection_id, sis.client())
    assert {c.collection: (c.delta, c.pulled) for c in report.collections}["users"] == (True, 1)
    assert report.pulled == 2
    assert report.requests == 9  # one page per collection, and a token per scope
    with sis.database.begin() as session:
        assert find_record(session, "users", sis.connection_id, "usr-000001").given_name == "Renamed"
        assert find_record(session, "enrollments", sis.connection_id, "enr-0000002").status == "tobedeleted"
        assert count_records(session, "enrollments", sis.connection_id) == 80


def test_demographics_are_stored_by_the_users_sourced_id_and_marked_when_deleted(sis_factory):
    sis = sis_factory(**DISTRICT)
    sis.state.put(
        "demographics",
        {
            "sourcedId": "usr-000003",
            "birthDate": "2011-04-02",
            "sex": "female",
            "asian": "true",
            "white": "false",
            "demographicRaceTwoOrMoreRaces": "false",
            "hispanicOrLatinoEthnicity": "true",
        },
    )
    sync_roster(sis.database, sis.connection_id, sis.client())
    with sis.database.begin() as session:
        row = find_record(session, "demographics", sis.connection_id, "usr-000003")
        assert (row.sex, row.asian, row.white, row.hispanic_or_latino_ethnicity) == (
            "female",
            True,
            False,
            True,
        )
        assert (row.birth_date.isoformat(), row.black_or_african_american) == ("2011-04-02", None)
        assert find_record(session, "users", sis.connection_id, row.sourced_id) is not None
    sis.state.mark_deleted("demographics", "usr-000003")
    report = sync_roster(sis.database, sis.connection_id, sis.client())
    assert {c.collection: c.pulled for c in report.collections}["demographics"] == 1
    with sis.database.begin() as session:
        assert find_record(session, "demographics", sis.connection_id, "usr-000003").status == "tobedeleted"


def test_the_delta_filter_overlaps_the_watermark(sis_factory):
    sis = sis_factory(**DISTRICT)
    sync_roster(sis.database, sis.connection_id, sis.client())
    with sis.database.begin() as session:
        connection = session.get(SisConnection, sis.connection_id)
        state = dict(connection.sync_state)
        # a change stamped 2 minutes before our watermark (the SIS's clock is behind ours)
        watermark = datetime.fromisoformat(state["watermarks"]["users"])
    sis.state.put(
        "users",
        {**sis.state.get("users", "usr-000005"), "givenName": "Skewed"},
        modified=watermark - timedelta(minutes=2),
    )
    sync_roster(sis.database, sis.connection_id, sis.client())
    with sis.database.begin() as session:
        assert find_record(session, "users", sis.connection_id, "usr-000005").given_name == "Skewed"


def test_full_sync_marks_what_the_sis_no_longer_has(sis_factory):
    sis = sis_factory(**DISTRICT)
    sync_roster(sis.database, sis.connection_id, sis.client())
    del sis.state.records["users"]["usr-000007"]
    report = sync_roster(sis.database, sis.connection_id, sis.client(), full=True)
    assert {c.collection: c.marked_absent for c in report.collections}["users"] == 1
    with sis.database.begin() as session:
        assert find_record(session, "users", sis.connection_id, "usr-000007").status == "tobedeleted"


def test_a_sis_failing_midway_changes_nothing_of_the_unfinished_collections(sis_factory):
    sis = sis_factory(**DISTRICT)
    sis.state.faults.set([FaultRule(path="/enrollments", status=503, after_n=3)])
    with pytest.raises(PlatformUnavailable):
        sync_roster(sis.database, sis.connection_id, sis.client())
    with sis.database.begin() as session:
        assert count_records(session, "enrollments", sis.connection_id) == 0
        connection = session.get(SisConnection, sis.connection_id)
        assert "enrollments" not in connection.sync_state.get("watermarks", {})
        run = session.scalars(select(SyncRun)).one()
        assert run.status is RunStatus.FAILED
        assert any("enrollments" in e.subject for e in session.scalars(select(SyncError)))
    sis.state.faults.clear()
    report = sync_roster(sis.database, sis.connection_id, sis.client())
    assert {c.collection: c.pulled for c in report.collections}["enrollments"] == 80


def test_a_record_we_cannot_read_fails_its_collection_only(sis_factory):
    sis = sis_factory(**DISTRICT)
    broken = dict(sis.state.get("enrollments", "enr-0000004"))
    del broken["user"]
    sis.state.records["enrollments"]["enr-0000004"] = broken
    report = sync_roster(sis.database, sis.connection_id, sis.client())
    assert report.status is RunStatus.PARTIAL
    (error,) = report.errors
    assert "enrollments record 'enr-0000004'" in error and "user" in error
    with sis.database.begin() as session:
        assert count_records(session, "enrollments", sis.connection_id) == 0
        assert count_records(session, "users", sis.connection_id) == 60


def test_sis_people_and_classes_are_linked_to_lti_ones(sis_factory):
    sis = sis_factory(**DISTRICT)
    with sis.database.begin() as session:
        student = User(issuer="https://canvas", sub="s1", lis_person_sourcedid="usr-000000")
        course = Course(issuer="https://canvas", context_id="c1", lis_course_section_sourcedid="cls-00000")
        session.add_all([student, course])
    report = sync_roster(sis.database, sis.connection_id, sis.client())
    assert (report.links.users_linked, report.links.classes_linked, report.links.memberships_added) == (
        1,
        1,
        1,
    )
    with sis.database.begin() as session:
        membership = session.scalars(select(Membership)).one()
        assert membership.source == "oneroster"


def test_version_1_1_with_oauth1_signs_delta_filters_right(sis_factory):
    sis = sis_factory(version="1.1", auth="oauth1", **DISTRICT)
    first = sync_roster(sis.database, sis.connection_id, sis.client())
    assert first.status is RunStatus.SUCCEEDED
    sis.state.touch("users", "usr-000009", familyName="O'Neil Smith")
    second = sync_roster(sis.database, sis.connection_id, sis.client())
    assert second.pulled == 1  # the filter (quotes, spaces, colons) passed the signature check
    with sis.database.begin() as session:
        user = find_record(session, "users", sis.connection_id, "usr-000009")
        assert (user.family_name, user.role) == ("O'Neil Smith", "student")


def test_a_sis_refusing_demographics_keeps_the_roster_and_says_why(sis_factory):
    sis = sis_factory(**DISTRICT)
    sis.state.faults.set([FaultRule(path="/demographics", status=403)])
    report = sync_roster(sis.database, sis.connection_id, sis.client())
    assert report.status is RunStatus.SUCCEEDED
    assert {c.collection for c in report.collections} == {
        "orgs",
        "academicSessions",
        "courses",
        "classes",
        "users",
        "enrollments",
    }
    assert any("demographics not imported" in error for error in report.errors)
    with sis.database.begin() as session:
        assert find_record(session, "users", sis.connection_id, "usr-000003") is not None
