"""The sandbox's Canvas OAuth 2: authorization code, token, refresh, and every refusal."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.sandbox.lms_served import Served, served_lms
from tests.stack import parse_page

REDIRECT = "https://tool.example/lms/canvas/callback"


@pytest.fixture
def canvas():
    with served_lms("canvas", students=2, assignments=4) as served:
        served.extra_key = served.state.lms_api.add_developer_key(
            redirect_uris=[REDIRECT], name="Proficiency Bridge"
        )
        yield served


def _authorize(served: Served, **params) -> dict[str, list[str]]:
    """Walk the browser through login and "Authorize"; the query the redirect carries."""
    key = served.extra_key
    query = {
        "client_id": key.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "state": "s-1",
    } | params
    page = served.http.get(served.url + "/login/oauth2/auth", params=query)
    assert page.status_code == 200, page.text
    login = parse_page(page.text)
    teacher = served.state.users[served.seed.teacher_id]
    confirm = served.http.post(served.url + login.action, data={**login.fields, "login": teacher.login_id})
    assert "is requesting access" in confirm.text
    form = parse_page(confirm.text)
    answer = served.http.post(served.url + form.action, data=form.fields)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT)
    return parse_qs(urlsplit(location).query)


def _token(served: Served, **form):
    key = served.extra_key
    data = {"client_id": key.client_id, "client_secret": key.secret} | form
    return served.http.post(served.state.token_url, data=data)


def test_code_then_token_then_refresh(canvas):
    answer = _authorize(canvas)
    assert answer["state"] == ["s-1"]
    code = answer["code"][0]
    issued = _token(canvas, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["user"]["id"] == int(canvas.seed.teacher_id)
    headers = {"Authorization": "Bearer " + body["access_token"]}
    assignments = canvas.url + f"/api/v1/courses/{canvas.seed.course_id}/assignments"
    assert canvas.http.get(assignments, headers=headers).status_code == 200

    canvas.state.lms_api.expire_access_tokens()
    assert canvas.http.get(assignments, headers=headers).status_code == 401
    refreshed = _token(canvas, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert refreshed.status_code == 200
    assert "refresh_token" not in refreshed.json()  # Canvas keeps the first refresh token
    again = {"Authorization": "Bearer " + refreshed.json()["access_token"]}
    assert canvas.http.get(assignments, headers=again).status_code == 200

    reused = _token(canvas, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_wrong_secret_unknown_client_and_wrong_redirect_are_refused(canvas):
    key = canvas.extra_key
    code = _authorize(canvas)["code"][0]
    wrong = canvas.http.post(
        canvas.state.token_url,
        data={
            "grant_type": "authorization_code",
            "client_id": key.client_id,
            "client_secret": "nope",
            "code": code,
        },
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    moved = _token(canvas, grant_type="authorization_code", code=code, redirect_uri="https://evil.example/cb")
    assert moved.status_code == 400 and moved.json()["error"] == "invalid_grant"
    unknown = canvas.http.get(
        canvas.url + "/login/oauth2/auth",
        params={"client_id": "999", "response_type": "code", "redirect_uri": REDIRECT},
    )
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"
    elsewhere = canvas.http.get(
        canvas.url + "/login/oauth2/auth",
        params={"client_id": key.client_id, "response_type": "code", "redirect_uri": "https://evil.example/"},
    )
    assert elsewhere.status_code == 400
    refresh = _token(canvas, grant_type="refresh_token", refresh_token="1~unknown")
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"


def test_cancel_and_scopes_beyond_the_key_come_back_as_redirect_errors(canvas):
    key = canvas.state.lms_api.add_developer_key(
        redirect_uris=[REDIRECT], scopes=["url:GET|/api/v1/courses/:course_id/assignments"]
    )
    canvas.extra_key = key
    too_much = canvas.http.get(
        canvas.url + "/login/oauth2/auth",
        params={
            "client_id": key.client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "state": "s",
            "scope": "url:GET|/api/v1/courses/:course_id/students/submissions",
        },
    )
    assert too_much.status_code == 302
    assert parse_qs(urlsplit(too_much.headers["Location"]).query)["error"] == ["invalid_scope"]
    page = canvas.http.get(
        canvas.url + "/login/oauth2/auth",
        params={"client_id": key.client_id, "response_type": "code", "redirect_uri": REDIRECT, "state": "s"},
    )
    login = parse_page(page.text)
    canvas.http.post(canvas.url + login.action, data={**login.fields, "login": canvas.seed.teacher_id})
    cancelled = canvas.http.post(canvas.url + login.action, data={**login.fields, "cancel": "1"})
    assert parse_qs(urlsplit(cancelled.headers["Location"]).query)["error"] == ["access_denied"]
