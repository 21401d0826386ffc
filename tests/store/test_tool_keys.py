import jwt

from store.platforms import KeyStatus
from store.secret_box import SecretBox
from store.tool_keys import current_signing_key, ensure_current_key, list_keys, published_jwks, rotate

BOX = SecretBox.from_settings(None, "test-secret")


def test_first_use_makes_one_current_key_and_publishes_it(db_session):
    key = ensure_current_key(db_session, BOX)
    again = ensure_current_key(db_session, BOX)
    assert key.id == again.id
    jwks = published_jwks(db_session)
    assert [k["kid"] for k in jwks["keys"]] == [key.kid]
    assert "d" not in jwks["keys"][0]  # never the private part
    assert "PRIVATE" not in key.private_key_sealed  # stored sealed


def test_rotation_keeps_the_previous_key_published_so_fresh_tokens_still_verify(db_session):
    old = current_signing_key(db_session, BOX)
    token = jwt.encode({"sub": "x"}, old.private_pem, algorithm="RS256", headers={"kid": old.kid})
    rotate(db_session, BOX)
    jwks = {k["kid"]: k for k in published_jwks(db_session)["keys"]}
    assert old.kid in jwks
    public = jwt.PyJWK(jwks[old.kid]).key
    assert jwt.decode(token, public, algorithms=["RS256"])["sub"] == "x"
    new = current_signing_key(db_session, BOX)
    assert new.kid != old.kid


def test_a_second_rotation_retires_the_oldest_key(db_session):
    first = ensure_current_key(db_session, BOX).kid
    rotate(db_session, BOX)
    rotate(db_session, BOX)
    statuses = {k.kid: k.status for k in list_keys(db_session)}
    assert statuses[first] == KeyStatus.RETIRED
    assert first not in {k["kid"] for k in published_jwks(db_session)["keys"]}
    assert sorted(statuses.values(), key=lambda s: s.value).count(KeyStatus.CURRENT) == 1
