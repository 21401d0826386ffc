"""The demo course, in-process: the tool and the sandbox on loopback, seeded and synced once.

`tests.stack.running_stack` starts both servers on a fresh database; this adds what
`pbridge demo` adds (the sample framework, four assessments aligned and scored, a first
sync), so page tests and browser tests see a course with standings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from pbridge.demo import DemoSetup
from pbridge.demo_course import prepare_demo_course
from store.database import Database
from store.framework_repository import import_sample_framework
from tests.stack import Browser, Stack, running_stack


@contextmanager
def demo_stack(database: Database, **options: object) -> Iterator[Stack]:
    with running_stack(database, **options) as stack:  # type: ignore[arg-type]
        with database.begin() as session:
            import_sample_framework(session, publish=True)
        assert stack.seed is not None
        prepare_demo_course(
            DemoSetup(
                stack.state,
                stack.seed,
                database,
                stack.settings,
                stack.tool_url,
                stack.connection.client_id,
                lambda _line: None,
            )
        )
        yield stack


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
