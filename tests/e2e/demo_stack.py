"""The demo course, in-process: the tool and the sandbox LMS on loopback, seeded and synced.

Like `pbridge demo` (its set-up steps run here: the sample framework, the LMS API
credentials, four assessments aligned and scored, a first sync), on the caller's database.
With `platform_host="localhost"` the platform answers as `http://localhost:<port>` while the
tool answers on `http://127.0.0.1:<port>`: two sites, so in the LMS's iframe the tool is a
third party, as in production (by default both are on 127.0.0.1, as in `pbridge demo`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from lti import create_app
from pbridge.demo import DEMO_STEPS, DemoSetup
from pbridge.settings import Settings
from pbridge.wiring import connect
from sandbox import SandboxState, serve
from sandbox import create_app as create_sandbox
from sandbox.seed import seed_demo
from sandbox.server import listening_socket
from store.database import Database
from tests.stack import Browser, Stack


@contextmanager
def demo_stack(
    database: Database, *, flavour: str = "canvas", platform_host: str = "127.0.0.1"
) -> Iterator[Stack]:
    sandbox_socket, tool_socket = listening_socket(), listening_socket()
    sandbox_port = sandbox_socket.getsockname()[1]
    state = SandboxState.for_flavour(flavour, base_url=f"http://{platform_host}:{sandbox_port}")
    sandbox = serve(create_sandbox(state), sock=sandbox_socket)
    tool_url = f"http://127.0.0.1:{tool_socket.getsockname()[1]}"
    settings = Settings(
        database_url=database.url,
        secret_key="e2e-secret-key-long-enough-to-be-real",
        base_url=tool_url,
        testing=True,
        jwks_refetch_interval=0.0,
        launch_sync_minutes=0,
    )
    tool = serve(create_app(settings, database=database), sock=tool_socket)
    try:
        seed = seed_demo(state)
        with database.begin() as session:
            connection = connect(session, state, tool_url=tool_url)
        setup = DemoSetup(state, seed, database, settings, tool_url, connection.client_id, lambda _line: None)
        for step in DEMO_STEPS:
            step(setup)
        yield Stack(state, sandbox, tool, tool_url, settings, database, connection, seed)
    finally:
        tool.stop()
        sandbox.stop()


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def launched(stack: Stack, **launch: str) -> tuple[Browser, str, str]:
    """A browser after a launch: (browser, landing URL, session token)."""
    browser = stack.browser()
    page = browser.launch(**launch)
    assert page.status_code == 200, page.text[:400]
    return browser, str(page.url), page.url.params["ls"]
