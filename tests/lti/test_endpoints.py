"""The URLs platforms are configured with answer as promised."""

import jwt


def test_jwks_publishes_a_usable_rsa_key(client):
    body = client.get("/.well-known/jwks.json").get_json()
    assert len(body["keys"]) == 1
    key = body["keys"][0]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert jwt.PyJWK(key).key is not None
    # stable across requests: the key is stored, not made per request
    assert client.get("/.well-known/jwks.json").get_json() == body


def test_canvas_configuration_asks_for_the_variables_the_bridge_needs(client):
    config = client.get("/lti/canvas.json").get_json()
    assert config["oidc_initiation_url"] == "http://tool.test/lti/login"
    assert config["public_jwk_url"] == "http://tool.test/.well-known/jwks.json"
    assert config["custom_fields"]["canvas_course_id"] == "$Canvas.course.id"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in config["scopes"]
    placements = {p["placement"] for p in config["extensions"][0]["settings"]["placements"]}
    assert {"course_navigation", "link_selection"} <= placements


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_pages_send_a_content_security_policy_without_inline_script(client):
    response = client.get("/teacher/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors" in policy


def test_pages_without_a_session_are_a_401_page_not_a_crash(client):
    for path in ("/teacher/", "/student/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 401
        assert b"Open Proficiency Bridge again" in response.data


def test_an_unknown_session_token_is_refused(client):
    response = client.get("/admin/?ls=not-a-real-session")
    assert response.status_code == 401


def test_a_launch_without_state_is_a_plain_400(client):
    response = client.post("/lti/launch", data={"id_token": "x"})
    assert response.status_code == 400
    assert b"no state" in response.data
    assert b"Traceback" not in response.data
