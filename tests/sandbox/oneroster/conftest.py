from __future__ import annotations

import httpx
import pytest

from sandbox.oneroster import OneRosterState, create_app, seed_district

OR12 = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
ROSTER = "/ims/oneroster/rostering/v1p2"
GRADEBOOK = "/ims/oneroster/gradebook/v1p2"


class Sis:
    """A seeded sandbox SIS and an HTTP client holding a token with every scope."""

    def __init__(self, state: OneRosterState) -> None:
        self.state = state
        self.http = httpx.Client(
            transport=httpx.WSGITransport(app=create_app(state)), base_url="https://sis.test"
        )
        token = self.http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=("pb", "secret")
        ).json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params):
        return self.http.get(path, params=params)


@pytest.fixture
def sis() -> Sis:
    state = OneRosterState()
    state.add_client("pb", "secret")
    seed_district(state, schools=2, users=40, classes=5, enrollments=60)
    return Sis(state)
