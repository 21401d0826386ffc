from dataclasses import replace

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from store.secret_box import SecretBox
from store.sis import (
    ConnectionSettings,
    SisAuthKind,
    SisConnectionInvalid,
    SisVersion,
    add_connection,
    connection_secrets,
    describe_connection,
    get_connection,
    list_connections,
    remove_connection,
    update_connection,
)

BOX = SecretBox(Fernet.generate_key().decode())

SETTINGS = ConnectionSettings(
    name="District SIS",
    version=SisVersion.V1_2,
    auth_kind=SisAuthKind.OAUTH2,
    base_url="https://sis.example.org/",
    token_url="https://sis.example.org/oauth/token",
    client_id="pb-client",
    client_secret="s3cret-value",
    gradebook_headers={"x-vendor-authorization": "vendor-token-123"},
    page_size=500,
    max_concurrency=2,
)


def test_secrets_are_sealed_in_the_table_and_open_with_the_key(database):
    with database.begin() as session:
        row = add_connection(session, BOX, SETTINGS)
        connection_id = row.id
    with database.engine.connect() as conn:
        raw = " ".join(str(v) for v in conn.execute(text("SELECT * FROM sis_connections")).one())
    assert "s3cret-value" not in raw
    assert "vendor-token-123" not in raw
    assert "x-vendor-authorization" in raw  # the name is shown, the value is not
    with database.begin() as session:
        row = get_connection(session, connection_id)
        secrets = connection_secrets(row, BOX)
    assert secrets.client_secret == "s3cret-value"
    assert dict(secrets.gradebook_headers) == {"x-vendor-authorization": "vendor-token-123"}
    assert "s3cret" not in repr(secrets) and "vendor-token" not in repr(secrets)


def test_description_never_shows_a_secret(database):
    with database.begin() as session:
        row = add_connection(session, BOX, SETTINGS)
        shown = describe_connection(row)
    flat = repr(shown)
    assert "s3cret-value" not in flat and "vendor-token-123" not in flat
    assert shown["client_secret"] == "set (sealed)"
    assert shown["gradebook_headers"] == ["x-vendor-authorization"]
    assert shown["rostering_url"] == "https://sis.example.org/ims/oneroster/rostering/v1p2"
    assert shown["gradebook_url"] == "https://sis.example.org/ims/oneroster/gradebook/v1p2"


def test_version_1_1_uses_the_single_v1p1_base_path(database):
    with database.begin() as session:
        row = add_connection(
            session,
            BOX,
            replace(SETTINGS, name="old", version=SisVersion.V1_1, auth_kind=SisAuthKind.OAUTH1),
        )
        assert row.rostering_url == "https://sis.example.org/ims/oneroster/v1p1"
        assert row.gradebook_url == row.rostering_url


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": " "}, "needs a name"),
        ({"base_url": "sis.example.org"}, "not an http"),
        ({"base_url": "https://sis.example.org/?x=1"}, "query"),
        ({"client_secret": ""}, "client secret is missing"),
        ({"client_id": ""}, "client id"),
        ({"token_url": ""}, "token endpoint"),
        ({"auth_kind": SisAuthKind.OAUTH1}, "1.2 uses OAuth 2"),
        ({"page_size": 0}, "page size"),
        ({"max_concurrency": 100}, "concurrency"),
        ({"headers": {"bad header": "x"}}, "not a valid header name"),
        ({"headers": {"X-Ok": "a\r\nInjected: 1"}}, "line break"),
        ({"rostering_path": "ims/x"}, "must start with '/'"),
    ],
)
def test_bad_settings_are_refused_with_what_to_fix(database, changes, message):
    with database.begin() as session, pytest.raises(SisConnectionInvalid, match=message):
        add_connection(session, BOX, replace(SETTINGS, **changes))
    with database.begin() as session:
        assert list_connections(session) == []


def test_names_are_unique_and_lookup_errors_list_what_exists(database):
    with database.begin() as session:
        add_connection(session, BOX, SETTINGS)
    with database.begin() as session, pytest.raises(SisConnectionInvalid, match="exists already"):
        add_connection(session, BOX, SETTINGS)
    with database.begin() as session, pytest.raises(SisConnectionInvalid, match="District SIS"):
        get_connection(session, "nope")


def test_update_keeps_the_stored_secret_when_none_is_given(database):
    with database.begin() as session:
        row = add_connection(session, BOX, SETTINGS)
        update_connection(session, BOX, row, replace(SETTINGS, client_secret="", page_size=50))
    with database.begin() as session:
        row = get_connection(session, "District SIS")
        assert row.page_size == 50
        assert connection_secrets(row, BOX).client_secret == "s3cret-value"
        remove_connection(session, row)
    with database.begin() as session:
        assert list_connections(session) == []


def test_csv_only_connection_needs_no_url_or_secret(database):
    with database.begin() as session:
        row = add_connection(session, BOX, ConnectionSettings(name="csv drop", auth_kind=SisAuthKind.NONE))
        assert describe_connection(row)["client_secret"] == "not set"
