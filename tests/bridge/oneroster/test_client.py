from __future__ import annotations

import threading
from urllib.parse import parse_qs

import httpx
import pytest

from bridge.http import PlatformHttp, RetryPolicy
from bridge.oneroster.auth import TokenCache
from bridge.oneroster.client import (
    GRADEBOOK,
    ROSTERING,
    CollectionQuery,
    OneRosterClient,
    SisConfig,
    delta_filter,
    field_filter,
)
from pbridge.errors import PlatformRejected, PlatformUnavailable
from store.sis import SisAuthKind, SisVersion

CONFIG = SisConfig(
    name="mock",
    version=SisVersion.V1_2,
    auth_kind=SisAuthKind.OAUTH2,
    rostering_url="https://sis.test/ims/oneroster/rostering/v1p2",
    gradebook_url="https://sis.test/ims/oneroster/gradebook/v1p2",
    token_url="https://sis.test/token",
    client_id="id",
    client_secret="top-secret",
    headers={"X-District": "d1"},
    gradebook_headers={"x-vendor-authorization": "vendor-secret"},
    page_size=10,
    max_concurrency=4,
)


class Server:
    """A SIS in a handler: `records` served with limit/offset; knobs for quirks."""

    def __init__(self, records: int, *, total: bool = True, cap: int | None = None, link: bool = False):
        self.records = [{"sourcedId": f"u{i:03d}"} for i in range(records)]
        self.total, self.cap, self.link = total, cap, link
        self.calls: list[httpx.Request] = []
        self.tokens = 0
        self.lock = threading.Lock()
        self.reject_token: str | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.calls.append(request)
        if request.url.path == "/token":
            self.tokens += 1
            return httpx.Response(200, json={"access_token": f"tok{self.tokens}", "expires_in": 3600})
        if request.headers.get("Authorization") == f"Bearer {self.reject_token}":
            return httpx.Response(401, json={"imsx_description": "token revoked"})
        query = parse_qs(request.url.query.decode())
        limit, offset = int(query.get("limit", ["100"])[0]), int(query.get("offset", ["0"])[0])
        if self.cap:
            limit = min(limit, self.cap)
        page = self.records[offset : offset + limit]
        headers = {}
        if self.total:
            headers["X-Total-Count"] = str(len(self.records))
        if self.link and offset + limit < len(self.records):
            headers["Link"] = f'<https://sis.test/next?offset={offset + limit}>; rel="next"'
        return httpx.Response(200, json={"users": page}, headers=headers)


def _client(server: Server, **changes) -> OneRosterClient:
    from dataclasses import replace

    http = PlatformHttp(
        httpx.Client(transport=httpx.MockTransport(server)),
        name="SIS",
        retry=RetryPolicy(attempts=2, base_delay=0, jitter=False),
        max_concurrency=4,
        sleep=lambda s: None,
    )
    return OneRosterClient(replace(CONFIG, **changes), http, tokens=TokenCache())


USERS = CollectionQuery(key="users", path="/users")


def _offsets(server: Server) -> list[int]:
    return sorted(
        int(parse_qs(c.url.query.decode())["offset"][0]) for c in server.calls if c.url.path != "/token"
    )


def test_with_a_total_every_page_is_fetched_once():
    server = Server(95)
    client = _client(server)
    pages = list(client.pages([USERS]))
    assert sorted(u["sourcedId"] for p in pages for u in p.items) == [f"u{i:03d}" for i in range(95)]
    assert _offsets(server) == list(range(0, 95, 10))
    assert sum(p.last for p in pages) == 1 and pages[-1].last
    assert server.tokens == 1


def test_a_server_capping_limit_is_followed_by_its_own_page_size():
    server = Server(23, cap=4)
    assert len(_client(server).collect(USERS)) == 23
    assert _offsets(server) == [0, 4, 8, 12, 16, 20]


def test_without_total_pages_are_walked_by_link_or_full_pages():
    for server in (Server(25, total=False, link=True), Server(20, total=False)):
        records = _client(server).collect(USERS)
        assert len(records) == len(server.records)


def test_walking_stops_at_a_short_page_without_link():
    server = Server(20, total=False)
    _client(server).collect(USERS)
    assert _offsets(server) == [0, 10, 20]


def test_query_parameters_are_percent20_encoded():
    server = Server(1)
    query = CollectionQuery(
        key="users", path="/users", filter="givenName='Ada Lovelace'", fields=("sourcedId",)
    )
    _client(server).collect(query)
    raw = server.calls[-1].url.query.decode()
    assert "filter=givenName%3D%27Ada%20Lovelace%27" in raw
    assert "fields=sourcedId" in raw and "+" not in raw


def test_filters_are_spelled_as_the_spec_says():
    from datetime import UTC, datetime

    assert delta_filter(datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)) == (
        "dateLastModified>'2025-01-02T03:04:05.678Z'"
    )
    assert field_filter("status", "=", "active") == "status='active'"
    with pytest.raises(ValueError, match="quote"):
        field_filter("familyName", "=", "O'Brien")


def test_vendor_headers_go_only_on_gradebook_calls():
    server = Server(1)
    client = _client(server)
    client.get_json(ROSTERING, "/orgs", purpose="roster")
    client.get_json(GRADEBOOK, "/lineItems", purpose="gradebook_read")
    roster_call, gradebook_call = [c for c in server.calls if c.url.path != "/token"]
    assert roster_call.headers["X-District"] == "d1"
    assert "x-vendor-authorization" not in roster_call.headers
    assert gradebook_call.headers["x-vendor-authorization"] == "vendor-secret"


def test_a_401_with_a_cached_token_fetches_a_new_one_once():
    server = Server(1)
    client = _client(server)
    client.get_json(ROSTERING, "/orgs", purpose="roster")
    server.reject_token = "tok1"
    client.get_json(ROSTERING, "/orgs", purpose="roster")
    assert server.tokens == 2
    server.reject_token = "tok2"
    server.tokens = 1  # the next token will be "tok2" again: refused twice -> an error
    with pytest.raises(PlatformRejected, match="HTTP 401"):
        client.get_json(ROSTERING, "/orgs", purpose="roster")


def test_a_failing_page_stops_the_iteration_with_the_error():
    server = Server(50)

    def flaky(request):
        if "offset=30" in request.url.query.decode():
            return httpx.Response(503, json={})
        return server(request)

    client = _client(server)
    client.http.client = httpx.Client(transport=httpx.MockTransport(flaky))
    with pytest.raises(PlatformUnavailable):
        list(client.pages([USERS]))


def test_configured_scopes_replace_the_spec_defaults():
    server = Server(1)
    client = _client(server, scopes=("custom",))
    client.get_json(ROSTERING, "/orgs", purpose="roster")
    assert server.calls[0].content == b"grant_type=client_credentials&scope=custom"


def test_secrets_stay_out_of_reprs():
    text = repr(CONFIG) + repr(_client(Server(0)).config)
    assert "top-secret" not in text and "vendor-secret" not in text
