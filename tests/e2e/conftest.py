"""Browser tests: the demo course served on loopback, Debian's Chromium driven by Playwright.

One stack and one browser per module keep the whole walk to well under a minute. Every
page a journey visits is checked with axe-core (no serious or critical violation) and
photographed into `tests/e2e/screenshots/` (git-ignored; CI keeps them as artifacts).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from store.database import Database
from tests.e2e.demo_stack import demo_stack
from tests.stack import Stack

CHROMIUM = os.environ.get("PBRIDGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


def _stack(tmp_path_factory: pytest.TempPathFactory, platform_host: str) -> Iterator[Stack]:
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.db'}")
    database.create_all()
    with demo_stack(database, platform_host=platform_host) as running:
        yield running
    database.dispose()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The demo as `pbridge demo` serves it: platform and tool on 127.0.0.1."""
    yield from _stack(tmp_path_factory, "127.0.0.1")


@pytest.fixture(scope="module")
def cross_site_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The platform on `localhost`, the tool on `127.0.0.1`: the tool is a third party."""
    yield from _stack(tmp_path_factory, "localhost")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (CI installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def chromium(playwright: Any) -> Iterator[Any]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
