from datetime import UTC, datetime

from sqlalchemy import select

from store.people import Course, CourseRole, Membership, User
from store.secret_box import SecretBox
from store.sis import ConnectionSettings, SisAuthKind, add_connection
from store.sis_links import link_lti_course, link_lti_user, link_to_lti
from store.sis_roster import SisClass, SisUser, find_record, upsert_records

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


def test_a_launch_links_a_new_course_at_once(database):
    with database.begin() as session:
        cid = _connection(session)
        upsert_records(session, "classes", cid, [{"sourced_id": "k9", "title": "Art"}], seen_at=T0)
        course = Course(issuer="https://moodle", context_id="9", lis_course_section_sourcedid="k9")
        session.add(course)
        session.flush()
        assert link_lti_course(session, course) == 1
        assert find_record(session, "classes", cid, "k9").course_id == course.id
