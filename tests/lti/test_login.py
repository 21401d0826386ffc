from urllib.parse import parse_qs, urlsplit

import pytest

from lti.login import begin_login, nonce_for, parse_state, state_cookie_name
from lti.registration_cache import RegistrationCache
from pbridge.errors import LaunchError, RegistrationError
from store.platforms import RegistrationStatus
from store.registrations import PlatformDetails, add_platform

ISSUER = "https://lms.example"


def _register(database, *, client_id="tool-1", status=RegistrationStatus.ACTIVE):
    with database.begin() as session:
        add_platform(
            session,
            PlatformDetails(
                name="LMS",
                issuer=ISSUER,
                client_id=client_id,
                auth_login_url=f"{ISSUER}/auth",
                auth_token_url=f"{ISSUER}/token",
                key_set_url=f"{ISSUER}/jwks",
            ),
            deployment_ids=["d1"],
            status=status,
        )
    return RegistrationCache(database, ttl=0)


def _params(**overrides):
    params = {"iss": ISSUER, "login_hint": "u1", "target_link_uri": "http://tool.test/lti/launch"}
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def test_login_redirects_to_the_registered_auth_url_with_a_bound_nonce(database):
    registrations = _register(database)
    result = begin_login(
        registrations, _params(lti_message_hint="m1"), base_url="http://tool.test", secret_key="k"
    )
    url = urlsplit(result.auth_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{ISSUER}/auth"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["redirect_uri"] == "http://tool.test/lti/launch"
    assert query["client_id"] == "tool-1"
    assert query["response_mode"] == "form_post"
    assert query["prompt"] == "none"
    assert query["lti_message_hint"] == "m1"
    assert query["nonce"] == nonce_for(query["state"], "k")
    assert parse_state(query["state"]) is None


@pytest.mark.parametrize(
    ("overrides", "claim"),
    [
        ({"iss": None}, "iss"),
        ({"login_hint": None}, "login_hint"),
        ({"target_link_uri": None}, "target_link_uri"),
        ({"target_link_uri": "https://evil.example/lti/launch"}, "target_link_uri"),
    ],
)
def test_malformed_logins_are_refused_naming_the_parameter(database, overrides, claim):
    registrations = _register(database)
    with pytest.raises(LaunchError) as info:
        begin_login(registrations, _params(**overrides), base_url="http://tool.test", secret_key="k")
    assert info.value.claim == claim


def test_unknown_issuer_and_pending_registrations_are_refused(database):
    with pytest.raises(RegistrationError, match="no registration"):
        begin_login(
            RegistrationCache(database, ttl=0), _params(), base_url="http://tool.test", secret_key="k"
        )
    registrations = _register(database, status=RegistrationStatus.PENDING)
    with pytest.raises(RegistrationError, match="approval"):
        begin_login(registrations, _params(), base_url="http://tool.test", secret_key="k")


def test_several_registrations_of_one_issuer_need_the_client_id(database):
    _register(database, client_id="a")
    registrations = _register(database, client_id="b")
    with pytest.raises(RegistrationError, match="client_id is missing"):
        begin_login(registrations, _params(), base_url="http://tool.test", secret_key="k")
    result = begin_login(registrations, _params(client_id="b"), base_url="http://tool.test", secret_key="k")
    assert "client_id=b" in result.auth_url


def test_platform_storage_target_travels_in_the_state(database):
    registrations = _register(database)
    result = begin_login(
        registrations,
        _params(lti_storage_target="post_message_forwarding"),
        base_url="http://tool.test",
        secret_key="k",
    )
    assert parse_state(result.state) == "post_message_forwarding"
    assert result.storage_target == "post_message_forwarding"


def test_old_or_forged_states_are_refused():
    with pytest.raises(LaunchError, match="not one this tool issued"):
        parse_state("hello")
    with pytest.raises(LaunchError, match="expired"):
        parse_state("1000.ck.abc")


def test_each_login_has_its_own_state_cookie():
    assert state_cookie_name("1.ck.a") != state_cookie_name("1.ck.b")
