"""The tool and the sandbox LMS, both served over HTTP on loopback, and a browser-like client.

`Browser.launch(...)` walks a real LTI 1.3 launch the way a browser does: the sandbox's
launch start, the tool's login initiation, the platform's auth endpoint and its form_post
back to the tool, following what each page says rather than knowing the answers.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser

import httpx

from lti import create_app
from pbridge.settings import Settings
from pbridge.wiring import Connection, connect
from sandbox import RunningServer, SandboxState, serve
from sandbox import create_app as create_sandbox
from sandbox.seed import DemoSeed, seed_demo
from sandbox.server import listening_socket
from store.database import Database


def free_port() -> int:
    """A port free a moment ago, for servers started in another process; one started here
    should hold its socket from the start instead (`sandbox.server.listening_socket`)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    state: SandboxState
    sandbox: RunningServer
    tool: RunningServer
    tool_url: str
    settings: Settings
    database: Database
    connection: Connection
    seed: DemoSeed | None

    def browser(self) -> Browser:
        return Browser(self)


@contextmanager
def running_stack(
    database: Database,
    *,
    flavour: str = "canvas",
    seeded: bool = True,
    settings_changes: dict | None = None,
) -> Iterator[Stack]:
    state = SandboxState.for_flavour(flavour)
    sandbox = serve(create_sandbox(state))
    tool_socket = listening_socket()
    tool_url = f"http://127.0.0.1:{tool_socket.getsockname()[1]}"
    settings = Settings(
        database_url=database.url,
        secret_key="stack-secret-key-long-enough-to-be-real",
        base_url=tool_url,
        testing=True,
        jwks_refetch_interval=0.0,
        **({"launch_sync_minutes": 0} | (settings_changes or {})),
    )
    app = create_app(settings, database=database)
    tool = serve(app, sock=tool_socket)
    try:
        seed = seed_demo(state, students=26, assignments=12) if seeded else None
        with database.begin() as session:
            connection = connect(session, state, tool_url=tool_url)
        yield Stack(state, sandbox, tool, tool_url, settings, database, connection, seed)
    finally:
        tool.stop()
        sandbox.stop()


class _Forms(HTMLParser):
    """The first form of a page (action, fields) and any data-auth-url attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.auth_url: str | None = None
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "data-auth-url" in values:
            self.auth_url = values["data-auth-url"]
        if tag == "form" and self.action is None:
            self.action = values.get("action", "")
            self._in_form = True
        elif tag == "input" and self._in_form and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False


def parse_page(html: str) -> _Forms:
    parser = _Forms()
    parser.feed(html)
    return parser


class Browser:
    """An httpx client with a cookie jar that follows LTI launches like a browser would."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.http = httpx.Client(timeout=10.0, follow_redirects=False)

    def start(self, **launch: str) -> httpx.Response:
        """Up to the platform's form_post: returns the auth endpoint's answer."""
        initiation = self.stack.state.begin_launch(**launch)
        response = self.http.get(initiation.url, params=initiation.params)
        if response.status_code == 302:
            auth_url = response.headers["Location"]
        else:
            assert response.status_code == 200, response.text[:500]
            auth_url = parse_page(response.text).auth_url
            assert auth_url, "the login page named no auth URL"
        return self.http.get(auth_url)

    def post_launch(self, auth_response: httpx.Response, **override: str) -> httpx.Response:
        page = parse_page(auth_response.text)
        assert page.action, auth_response.text[:500]
        fields = {**page.fields, **override}
        return self.http.post(auth_response.url.join(page.action), data=fields)

    def launch(self, **launch: str) -> httpx.Response:
        """A whole launch; returns the landing page (after the tool's redirect)."""
        response = self.post_launch(self.start(**launch))
        if response.status_code in (302, 303):
            return self.http.get(response.url.join(response.headers["Location"]))
        return response
