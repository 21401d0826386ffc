from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from bridge.http import RetryPolicy
from bridge.oneroster.auth import TokenCache
from bridge.oneroster.client import OneRosterClient, SisConfig
from sandbox.oneroster import OneRosterState, create_app, seed_district, seed_gradebook_category
from store.database import Database
from store.secret_box import SecretBox
from store.sis import ConnectionSettings, SisAuthKind, SisVersion, add_connection

BOX = SecretBox.from_settings(None, "oneroster tests")
SIS_URL = "https://sis.test"


@dataclass
class Sis:
    """A seeded sandbox SIS, a connection to it in the database, and a client factory."""

    state: OneRosterState
    database: Database
    connection_id: int
    config: SisConfig

    def client(self, **config_changes) -> OneRosterClient:
        from dataclasses import replace

        config = replace(self.config, **config_changes) if config_changes else self.config
        return OneRosterClient.connect(
            config,
            client=httpx.Client(transport=httpx.WSGITransport(app=create_app(self.state))),
            retry=RetryPolicy(attempts=2, base_delay=0.0, jitter=False, throttle_attempts=3),
            tokens=TokenCache(),
            sleep=lambda _seconds: None,
        )

    def requests(self, kind: str) -> int:
        return self.state.faults.counts[kind]


def make_sis(
    database: Database,
    *,
    version: str = "1.2",
    auth: str = "oauth2",
    page_size: int = 10,
    concurrency: int = 3,
    name: str = "",
    **district,
) -> Sis:
    state = OneRosterState(version=version, auth=auth)
    state.add_client("pb-client", "pb-secret")
    seed_district(state, **district)
    seed_gradebook_category(state)
    with database.begin() as session:
        row = add_connection(
            session,
            BOX,
            ConnectionSettings(
                name=name or f"sandbox {version} {auth}",
                version=SisVersion(version),
                auth_kind=SisAuthKind(auth),
                base_url=SIS_URL,
                token_url=f"{SIS_URL}/oauth/token" if auth == "oauth2" else "",
                client_id="pb-client",
                client_secret="pb-secret",
                page_size=page_size,
                max_concurrency=concurrency,
            ),
        )
        config = SisConfig.from_connection(row, BOX)
        return Sis(state, database, row.id, config)


@pytest.fixture
def sis(database) -> Sis:
    return make_sis(database)


@pytest.fixture
def sis_factory(database) -> Callable[..., Sis]:
    return lambda **kwargs: make_sis(database, **kwargs)
