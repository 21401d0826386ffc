"""A teacher connects Canvas from inside a launch: authorize, callback, silent refresh, refusals."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select

from bridge.lms_api import LmsAuthorizationRequired, course_assignments
from pbridge.lms_wiring import connect_lms_api
from store.lms_credentials import LmsUserToken
from store.people import Course, User
from tests.bridge.conftest import make_bridge
from tests.stack import Browser, parse_page, running_stack


@pytest.fixture
def canvas(database):
    """A Canvas sandbox whose admin entered a developer key but no admin token."""
    with running_stack(database, flavour="canvas") as stack:
        browser = stack.browser()
        first = browser.launch(user=stack.seed.teacher_id, course=stack.seed.course_id)
        bridge = make_bridge(stack)
        with database.begin() as session:
            course = session.scalars(select(Course)).one()
            connect_lms_api(
                session,
                bridge.secret_box,
                stack.state,
                platform_id=course.platform_id,
                tool_url=stack.tool_url,
                acting_user_id=stack.seed.admin_id,
                admin_token=False,
            )
            ids = (
                course.id,
                session.scalars(select(User.id).where(User.lms_user_id == stack.seed.teacher_id)).one(),
            )
        assert _not_sent_to_canvas(first)  # before the key was entered, nothing to authorise
        yield stack, browser, bridge, ids


def _not_sent_to_canvas(landing) -> bool:
    """The home page was served, not a detour to /lms/canvas (what the page shows is not ours)."""
    return "/lms/canvas" not in landing.headers.get("Location", "")


def _sent_to_canvas(landing) -> bool:
    return landing.status_code == 303 and "/lms/canvas" in landing.headers["Location"]


def _follow(browser: Browser, response):
    return browser.http.get(response.url.join(response.headers["Location"]))


def _consent(stack, browser: Browser, authorize_url: str):
    """In the new window: Canvas's login, then "Authorize"; returns Canvas's redirect back."""
    login = browser.http.get(authorize_url)
    assert login.status_code == 200, login.text[:300]
    form = parse_page(login.text)
    teacher = stack.state.users[stack.seed.teacher_id]
    confirm = browser.http.post(login.url.join(form.action), data={**form.fields, "login": teacher.login_id})
    form = parse_page(confirm.text)
    answer = browser.http.post(confirm.url.join(form.action), data=form.fields)
    assert answer.status_code == 302
    return answer.headers["Location"]


def test_a_first_time_teacher_connects_once_and_tokens_refresh_silently(canvas):
    stack, browser, bridge, (course_id, teacher_id) = canvas
    landing = browser.launch(user=stack.seed.teacher_id, course=stack.seed.course_id)
    assert _sent_to_canvas(landing)
    page = _follow(browser, landing)
    assert "Connect to Canvas" in page.text
    start = next(a for a in page.text.split('href="')[1:] if a.startswith("/lms/canvas/start")).split('"')[0]
    to_canvas = browser.http.get(page.url.join(start.replace("&amp;", "&")))
    assert to_canvas.status_code == 302
    authorize = to_canvas.headers["Location"]
    assert authorize.startswith(stack.state.base_url + "/login/oauth2/auth?")
    assert parse_qs(urlsplit(authorize).query)["redirect_uri"] == [stack.tool_url + "/lms/canvas/callback"]
    back = _consent(stack, browser, authorize)
    assert back.startswith(stack.tool_url + "/lms/canvas/callback?")
    done = browser.http.get(back)
    assert done.status_code == 200, done.text[:500]
    assert "Canvas is connected" in done.text
    with stack.database.begin() as session:
        row = session.scalars(select(LmsUserToken)).one()
        assert row.user_id == teacher_id and row.lms_user_id == stack.seed.teacher_id
        assert stack.seed.teacher_id not in row.refresh_token_sealed  # sealed, not stored as given
        first_access = row.access_token_sealed

    listed = course_assignments(bridge, course_id, user_id=teacher_id)
    assert len(listed) == 12
    stack.state.lms_api.expire_access_tokens()  # an hour later
    assert len(course_assignments(bridge, course_id, user_id=teacher_id)) == 12
    with stack.database.begin() as session:
        assert session.scalars(select(LmsUserToken.access_token_sealed)).one() != first_access

    again = browser.launch(user=stack.seed.teacher_id, course=stack.seed.course_id)
    assert _not_sent_to_canvas(again)  # connected: straight to the home page

    replay = browser.http.get(back)
    assert replay.status_code == 400 and "already used" in replay.text


def test_an_altered_state_a_refusal_and_a_revoked_grant(canvas):
    stack, browser, bridge, (course_id, teacher_id) = canvas
    altered = browser.http.get(
        stack.tool_url + "/lms/canvas/callback?" + urlencode({"code": "x", "state": "not-ours"})
    )
    assert altered.status_code == 400 and "not started by Proficiency Bridge" in altered.text
    declined = browser.http.get(
        stack.tool_url + "/lms/canvas/callback?" + urlencode({"error": "access_denied", "state": "s"})
    )
    assert declined.status_code == 200 and "chose not to give" in declined.text

    with pytest.raises(LmsAuthorizationRequired):
        course_assignments(bridge, course_id, user_id=teacher_id)

    landing = browser.launch(user=stack.seed.teacher_id, course=stack.seed.course_id)
    start = browser.http.get(
        landing.url.join(landing.headers["Location"]).copy_with(path="/lms/canvas/start")
    )
    browser.http.get(_consent(stack, browser, start.headers["Location"]))
    assert len(course_assignments(bridge, course_id, user_id=teacher_id)) == 12

    stack.state.lms_api.revoke_refresh_tokens()
    stack.state.lms_api.expire_access_tokens()
    with pytest.raises(LmsAuthorizationRequired, match="authorise it again"):
        course_assignments(bridge, course_id, user_id=teacher_id)
    with stack.database.begin() as session:
        assert session.scalars(select(LmsUserToken)).all() == []  # forgotten: asked again next time
    later = browser.launch(user=stack.seed.teacher_id, course=stack.seed.course_id)
    assert _sent_to_canvas(later)


def test_not_now_goes_home_and_students_are_never_asked(canvas):
    stack, browser, _bridge, _ids = canvas
    landing = browser.launch(user=stack.seed.teacher_id, course=stack.seed.course_id)
    page = _follow(browser, landing)
    later = next(a for a in page.text.split('href="')[1:] if "lms_auth=later" in a).split('"')[0]
    home = browser.http.get(page.url.join(later.replace("&amp;", "&")))
    assert _not_sent_to_canvas(home)
    student = stack.browser().launch(user=stack.seed.student_ids[0], course=stack.seed.course_id)
    assert _not_sent_to_canvas(student) and "/student/" in str(student.url)
    refused = stack.browser().http.get(stack.tool_url + "/lms/canvas/start")
    assert refused.status_code == 401
