"""Real launches from the sandbox LMS over HTTP, and every check a launch must pass."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sandbox import Tampering
from store.people import Course, CourseRole, Membership, User
from tests.stack import running_stack


@pytest.fixture
def stack(database):
    with running_stack(database) as running:
        yield running


def test_teacher_lands_on_the_teacher_home_of_the_course(stack):
    page = stack.browser().launch(user=stack.seed.teacher_id, course=stack.seed.course_id)
    assert page.status_code == 200
    assert "/teacher/" in str(page.url)
    assert "Algebra I" in page.text
    with stack.database.begin() as session:
        course = session.scalars(select(Course)).one()
        assert course.lis_course_section_sourcedid == "sec-alg1-p3-2025"
        assert course.ags_lineitems_url and course.nrps_memberships_url
        assert course.lms_course_id  # $Canvas.course.id substituted
        member = session.scalars(select(Membership)).one()
        assert member.role == CourseRole.TEACHER


def test_student_lands_on_the_student_home(stack):
    page = stack.browser().launch(user=stack.seed.student_ids[0], course=stack.seed.course_id)
    assert page.status_code == 200
    assert "/student/" in str(page.url)
    with stack.database.begin() as session:
        user = session.scalars(select(User)).one()
        assert user.lis_person_sourcedid  # kept for OneRoster matching


def test_ta_is_a_teacher_and_admin_lands_on_admin(stack):
    assert "/teacher/" in str(stack.browser().launch(user=stack.seed.ta_id, course=stack.seed.course_id).url)
    assert "/admin/" in str(stack.browser().launch(user=stack.seed.admin_id).url)


def test_a_role_we_do_not_serve_gets_a_clear_page(stack):
    observer = stack.state.add_user(given_name="Pat", family_name="Parent")
    stack.state.enroll(stack.seed.course_id, observer.id, ("Mentor",))
    page = stack.browser().launch(user=observer.id, course=stack.seed.course_id)
    assert page.status_code == 403
    assert "Not available for your role" in page.text


REFUSALS = [
    (Tampering("bad_signature"), "signature"),
    (Tampering("alg_none"), "only RS256"),
    (Tampering("hs256_public_key"), "only RS256"),
    (Tampering("unknown_kid"), "no key with kid"),
    (Tampering("expired", seconds=600), "expired"),
    (Tampering("iat_future", seconds=300), "future"),
    (Tampering("wrong_aud"), "not one of its audiences"),
    (Tampering("wrong_iss"), "no registration"),
    (Tampering("wrong_deployment"), "not registered"),
    (Tampering("missing_claim", claim="deployment_id"), "deployment_id"),
    (Tampering("missing_claim", claim="nonce"), "nonce"),
    (Tampering("missing_claim", claim="message_type"), "message type"),
    (Tampering("missing_claim", claim="version"), "1.3.0"),
    (Tampering("missing_claim", claim="roles"), "roles"),
    (Tampering("aud_array_without_azp"), "azp"),
    (Tampering("wrong_azp"), "no registration for issuer"),
]


@pytest.mark.parametrize(
    ("tampering", "message"), REFUSALS, ids=[t.kind + (t.claim or "") for t, _ in REFUSALS]
)
def test_tampered_launches_are_refused_with_a_4xx_that_says_why(stack, tampering, message):
    stack.state.tampering.push(tampering)
    page = stack.browser().launch(user=stack.seed.teacher_id, course=stack.seed.course_id)
    assert 400 <= page.status_code < 500, page.text[:300]
    assert message in page.text
    assert "Traceback" not in page.text
    with stack.database.begin() as session:
        assert session.scalars(select(User)).all() == []  # nothing stored


def test_iat_thirty_seconds_ahead_is_within_the_leeway(stack):
    stack.state.tampering.push(Tampering("iat_future", seconds=30))
    page = stack.browser().launch(user=stack.seed.teacher_id, course=stack.seed.course_id)
    assert page.status_code == 200


def test_aud_array_with_azp_is_accepted(stack):
    stack.state.tampering.push(Tampering("aud_array"))
    assert stack.browser().launch(user=stack.seed.teacher_id, course=stack.seed.course_id).status_code == 200


def test_a_replayed_id_token_is_refused_even_from_the_same_browser(stack):
    browser = stack.browser()
    auth = browser.start(user=stack.seed.teacher_id, course=stack.seed.course_id)
    first = browser.post_launch(auth)
    assert first.status_code == 303
    # the same browser logs in again (fresh state cookie) and replays the old id_token with it
    fresh = browser.start(user=stack.seed.teacher_id, course=stack.seed.course_id)
    from tests.stack import parse_page

    old_token = parse_page(auth.text).fields["id_token"]
    replay = browser.post_launch(fresh, id_token=old_token)
    assert replay.status_code == 400
    assert "nonce" in replay.text or "already used" in replay.text


def test_an_id_token_from_another_login_is_refused(stack):
    browser = stack.browser()
    first = browser.start(user=stack.seed.teacher_id, course=stack.seed.course_id)
    second = browser.start(user=stack.seed.teacher_id, course=stack.seed.course_id)
    from tests.stack import parse_page

    swapped = browser.post_launch(second, id_token=parse_page(first.text).fields["id_token"])
    assert swapped.status_code == 400
    assert "does not belong to this login" in swapped.text


def test_a_launch_posted_by_another_browser_is_refused(stack):
    auth = stack.browser().start(user=stack.seed.teacher_id, course=stack.seed.course_id)
    attacker = stack.browser()
    response = attacker.post_launch(auth)
    # no state cookie in the attacker's browser; Canvas offered Platform Storage, so the tool
    # asks the platform's storage first, and without it the state cannot be proven
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert "storage-verify" in response.text
        retry = attacker.post_launch(response, storage_state="", storage_checked="1")
        assert retry.status_code == 400
        assert "cookie" in retry.text


def test_a_key_rotation_at_the_platform_is_followed(stack):
    stack.state.keys.rotate()
    page = stack.browser().launch(user=stack.seed.teacher_id, course=stack.seed.course_id)
    assert page.status_code == 200


def test_a_launch_links_the_person_and_section_the_sis_already_knows(stack):
    from datetime import UTC, datetime

    from store.secret_box import SecretBox
    from store.sis import ConnectionSettings, SisAuthKind, add_connection
    from store.sis_roster import SisClass, SisUser, upsert_records

    teacher = stack.state.find_user(stack.seed.teacher_id)
    section = stack.state.find_course(stack.seed.course_id).course_section_sourcedid
    with stack.database.begin() as session:
        connection = add_connection(
            session,
            SecretBox.from_settings(None, "x"),
            ConnectionSettings(name="sis", auth_kind=SisAuthKind.NONE),
        ).id
        seen = datetime(2025, 9, 1, tzinfo=UTC)
        record = {"sourced_id": teacher.person_sourcedid, "status": "active", "role": "teacher"}
        upsert_records(session, "users", connection, [record], seen_at=seen)
        upsert_records(
            session, "classes", connection, [{"sourced_id": section, "status": "active"}], seen_at=seen
        )
    stack.browser().launch(user=stack.seed.teacher_id, course=stack.seed.course_id)
    with stack.database.begin() as session:
        sis_user = session.scalars(select(SisUser)).one()
        sis_class = session.scalars(select(SisClass)).one()
        user = session.scalars(
            select(User).where(User.lis_person_sourcedid == teacher.person_sourcedid)
        ).one()
        course = session.scalars(select(Course)).one()
        assert (sis_user.user_id, sis_class.course_id) == (user.id, course.id)
