"""Fixtures for the web tool: an app on the test database, its client, a CLI runner."""

from __future__ import annotations

import httpx
import pytest

from lti import create_app
from pbridge.settings import Settings


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-which-is-long-enough",
        base_url="http://tool.test",
        testing=True,
    )


@pytest.fixture
def app(settings, database):
    return create_app(
        settings, database=database, http=httpx.Client(transport=httpx.MockTransport(_no_network))
    )


@pytest.fixture
def client(app):
    return app.test_client()


def _no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected outbound request to {request.url}")
