import json

import httpx
import pytest

from lti import create_app
from store.platforms import Preset, RegistrationStatus
from store.registrations import list_platforms

PLATFORM = "https://moodle.school.test"


def _platform(*, issuer=PLATFORM, product="moodle", seen=None):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/mod/lti/openid-configuration.php":
            return httpx.Response(
                200,
                json={
                    "issuer": issuer,
                    "authorization_endpoint": f"{PLATFORM}/mod/lti/auth.php",
                    "token_endpoint": f"{PLATFORM}/mod/lti/token.php",
                    "jwks_uri": f"{PLATFORM}/mod/lti/certs.php",
                    "registration_endpoint": f"{PLATFORM}/mod/lti/openid-registration.php",
                    "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                        "product_family_code": product
                    },
                },
            )
        if request.url.path == "/mod/lti/openid-registration.php":
            if seen is not None:
                seen.append(request)
            assert request.headers["Authorization"] == "Bearer reg-token"
            body = json.loads(request.content)
            return httpx.Response(
                200,
                json={
                    "client_id": "moodle-client-7",
                    "scope": body["scope"],
                    "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                        **body["https://purl.imsglobal.org/spec/lti-tool-configuration"],
                        "deployment_id": "12",
                    },
                },
            )
        return httpx.Response(404)

    return httpx.Client(transport=httpx.MockTransport(handler))


def _register(client):
    return client.get(
        "/lti/register",
        query_string={
            "openid_configuration": f"{PLATFORM}/mod/lti/openid-configuration.php",
            "registration_token": "reg-token",
        },
    )


def test_dynamic_registration_creates_a_pending_registration(settings, database):
    seen: list[httpx.Request] = []
    app = create_app(settings, database=database, http=_platform(seen=seen))
    response = _register(app.test_client())
    assert response.status_code == 200
    assert b"must approve" in response.data
    sent = json.loads(seen[0].content)
    assert sent["initiate_login_uri"] == "http://tool.test/lti/login"
    assert sent["jwks_uri"] == "http://tool.test/.well-known/jwks.json"
    with database.begin() as session:
        (platform,) = list_platforms(session)
        assert platform.status == RegistrationStatus.PENDING
        assert platform.preset == Preset.MOODLE
        assert platform.client_id == "moodle-client-7"
        assert [d.deployment_id for d in platform.deployments] == ["12"]
        assert platform.auth_login_url == f"{PLATFORM}/mod/lti/auth.php"


def test_auto_approval_when_the_admin_said_so(settings, database):
    app = create_app(settings.replace(auto_approve_registrations=True), database=database, http=_platform())
    assert b"active" in _register(app.test_client()).data
    with database.begin() as session:
        assert list_platforms(session)[0].status == RegistrationStatus.ACTIVE


def test_a_configuration_claiming_another_issuer_is_refused(settings, database):
    app = create_app(settings, database=database, http=_platform(issuer="https://canvas.other.test"))
    response = _register(app.test_client())
    assert response.status_code == 403
    assert b"refusing to register" in response.data
    with database.begin() as session:
        assert list_platforms(session) == []


@pytest.mark.parametrize("query", [{}, {"openid_configuration": "ftp://x"}])
def test_bad_registration_requests_are_4xx(settings, database, query):
    app = create_app(settings, database=database, http=_platform())
    response = app.test_client().get("/lti/register", query_string=query)
    assert 400 <= response.status_code < 500
