from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from store.people import Course, CourseRole, Membership, User
from store.secret_box import SecretBox
from store.sis import ConnectionSettings, SisAuthKind, add_connection
from store.sis_roster import (
    SisClass,
    SisUser,
    class_contexts,
    count_records,
    find_record,
    link_lti_user,
    link_to_lti,
    mark_absent,
    upsert_records,
)

BOX = SecretBox.from_settings(None, "test")
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _connection(session) -> int:
    return add_connection(session, BOX, ConnectionSettings(name="csv", auth_kind=SisAuthKind.NONE)).id


def _user(sourced_id: str, **extra):
    return {
        "sourced_id": sourced_id,
        "status": "active",
        "given_name": "G",
        "family_name": "F",
        "role": "student",
        **extra,
    }


def test_upsert_inserts_then_updates_by_sourced_id(database):
    with database.begin() as session:
        cid = _connection(session)
        upsert_records(session, "users", cid, [_user("u1"), _user("u2")], seen_at=T0)
        upsert_records(session, "users", cid, [_user("u1", given_name="Renamed")], seen_at=T0)
    with database.begin() as session:
        assert count_records(session, "users", cid) == 2
        assert find_record(session, "users", cid, "u1").given_name == "Renamed"


def test_tobedeleted_is_marked_never_dropped(database):
    with database.begin() as session:
        cid = _connection(session)
        upsert_records(session, "users", cid, [_user("u1"), _user("u2")], seen_at=T0)
        upsert_records(session, "users", cid, [_user("u1", status="tobedeleted")], seen_at=T0)
    with database.begin() as session:
        assert count_records(session, "users", cid) == 2
        assert count_records(session, "users", cid, status="tobedeleted") == 1


def test_full_pull_marks_what_it_no_longer_carries_and_a_return_reactivates(database):
    later = T0 + timedelta(hours=1)
    with database.begin() as session:
        cid = _connection(session)
        upsert_records(session, "users", cid, [_user("u1"), _user("u2")], seen_at=T0)
        upsert_records(session, "users", cid, [_user("u1")], seen_at=later)
        assert mark_absent(session, "users", cid, seen_before=later) == 1
        gone = find_record(session, "users", cid, "u2")
        assert gone.status == "tobedeleted" and gone.marked_absent_at is not None
        upsert_records(session, "users", cid, [_user("u2")], seen_at=later)
        back = find_record(session, "users", cid, "u2")
        assert back.status == "active" and back.marked_absent_at is None


def test_records_of_two_connections_do_not_mix(database):
    with database.begin() as session:
        a = _connection(session)
        b = add_connection(session, BOX, ConnectionSettings(name="other", auth_kind=SisAuthKind.NONE)).id
        upsert_records(session, "users", a, [_user("u1")], seen_at=T0)
        upsert_records(session, "users", b, [_user("u1", given_name="B")], seen_at=T0)
        assert find_record(session, "users", a, "u1").given_name == "G"
        assert find_record(session, "users", b, "u1").given_name == "B"


def test_link_matches_lis_sourcedids_and_mirrors_enrollments(database):
    with database.begin() as session:
        cid = _connection(session)
        canvas = User(issuer="https://canvas", sub="1", lis_person_sourcedid="u1")
        course = Course(issuer="https://canvas", context_id="c", lis_course_section_sourcedid="k1")
        stranger = User(issuer="https://canvas", sub="2", lis_person_sourcedid="nobody")
        session.add_all([canvas, course, stranger])
        session.flush()
        upsert_records(session, "users", cid, [_user("u1"), _user("u2")], seen_at=T0)
        upsert_records(
            session,
            "classes",
            cid,
            [{"sourced_id": "k1", "title": "Algebra", "term_sourced_ids": ["t1"]}],
            seen_at=T0,
        )
        upsert_records(
            session,
            "enrollments",
            cid,
            [
                {"sourced_id": "e1", "class_sourced_id": "k1", "user_sourced_id": "u1", "role": "student"},
                {"sourced_id": "e2", "class_sourced_id": "k1", "user_sourced_id": "u2", "role": "student"},
            ],
            seen_at=T0,
        )
        report = link_to_lti(session, cid)
        assert (report.users_linked, report.classes_linked, report.memberships_added) == (1, 1, 1)
        linked = session.scalars(select(SisUser).where(SisUser.sourced_id == "u1")).one()
        assert linked.user_id == canvas.id
        assert session.scalars(select(SisClass)).one().course_id == course.id
        membership = session.scalars(select(Membership)).one()
        assert (membership.user_id, membership.role, membership.source) == (
            canvas.id,
            CourseRole.STUDENT,
            "oneroster",
        )
        # the enrollment ends in the SIS: the mirrored membership turns inactive
        upsert_records(
            session,
            "enrollments",
            cid,
            [
                {
                    "sourced_id": "e1",
                    "class_sourced_id": "k1",
                    "user_sourced_id": "u1",
                    "role": "student",
                    "status": "tobedeleted",
                }
            ],
            seen_at=T0,
        )
        assert link_to_lti(session, cid).memberships_updated == 1
        session.refresh(membership)
        assert membership.active is False


def test_a_launch_links_a_new_user_at_once(database):
    with database.begin() as session:
        cid = _connection(session)
        upsert_records(session, "users", cid, [_user("u9")], seen_at=T0)
        user = User(issuer="https://moodle", sub="9", lis_person_sourcedid="u9")
        session.add(user)
        session.flush()
        assert link_lti_user(session, user) == 1
        assert find_record(session, "users", cid, "u9").user_id == user.id


def test_class_context_gives_school_and_term_dates(database):
    with database.begin() as session:
        cid = _connection(session)
        upsert_records(
            session,
            "academicSessions",
            cid,
            [
                {
                    "sourced_id": "t1",
                    "title": "Fall",
                    "type": "term",
                    "start_date": date(2025, 9, 1),
                    "end_date": date(2026, 1, 31),
                }
            ],
            seen_at=T0,
        )
        upsert_records(
            session,
            "classes",
            cid,
            [
                {"sourced_id": "k1", "school_sourced_id": "s1", "term_sourced_ids": ["t1"]},
                {"sourced_id": "k2", "school_sourced_id": "s1"},
            ],
            seen_at=T0,
        )
        contexts = class_contexts(session, cid, ["k1", "k2", "missing"])
    assert contexts["k1"].term_start == date(2025, 9, 1)
    assert contexts["k1"].school_sourced_id == "s1"
    assert contexts["k2"].term_sourced_id is None
    assert "missing" not in contexts


def test_a_column_left_out_keeps_its_stored_value(database):
    with database.begin() as session:
        cid = _connection(session)
        upsert_records(session, "users", cid, [_user("u1", role="teacher")], seen_at=T0)
        upsert_records(session, "users", cid, [{"sourced_id": "u1", "given_name": "New"}], seen_at=T0)
        upsert_records(session, "users", cid, [{"sourced_id": "u2", "given_name": "Fresh"}], seen_at=T0)
        assert find_record(session, "users", cid, "u1").role == "teacher"
        assert find_record(session, "users", cid, "u1").given_name == "New"
        fresh = find_record(session, "users", cid, "u2")
        assert (fresh.role, fresh.status, fresh.grades) == ("", "active", [])
