"""The long-lived collaborators of the web tool, built once in `create_app`.

Tests replace pieces (an httpx client whose transport is the sandbox, a fake clock) by
passing their own to `create_app`; views reach them through `services()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from flask import current_app

from lti.platform_keys import PlatformKeySets
from lti.registration_cache import RegistrationCache
from pbridge.settings import Settings
from store.database import Database
from store.nonces import DatabaseNonceStore, NonceStore, RedisNonceStore
from store.secret_box import SecretBox

if TYPE_CHECKING:
    from redis import Redis

    from bridge.jobs import Dispatcher


@dataclass
class Services:
    settings: Settings
    database: Database
    secret_box: SecretBox
    http: httpx.Client
    key_sets: PlatformKeySets
    nonces: NonceStore
    registrations: RegistrationCache
    redis: Redis | None = None
    _dispatcher: Dispatcher | None = None

    @property
    def dispatcher(self) -> Dispatcher:
        """Starts sync runs: Celery when Redis is configured, a background thread otherwise."""
        if self._dispatcher is None:
            from bridge.jobs import Dispatcher, bridge_from_settings, make_celery

            celery = make_celery(self.settings) if self.settings.redis_url else None
            self._dispatcher = Dispatcher(
                bridge_from_settings(self.settings, database=self.database),
                celery=celery,
                students_per_pass=self.settings.recompute_pass_students,
            )
        return self._dispatcher


def build_services(
    settings: Settings,
    *,
    database: Database | None = None,
    http: httpx.Client | None = None,
    redis: Redis | None = None,
) -> Services:
    database = database or Database(settings.database_url)
    http = http or httpx.Client(timeout=httpx.Timeout(settings.http_timeout), follow_redirects=False)
    if redis is None and settings.redis_url:
        from redis import Redis

        redis = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
    nonces: NonceStore = RedisNonceStore(redis) if redis is not None else DatabaseNonceStore(database)
    return Services(
        settings=settings,
        database=database,
        secret_box=SecretBox.from_settings(settings.encryption_key, settings.secret_key),
        http=http,
        key_sets=PlatformKeySets(
            http,
            ttl_seconds=settings.jwks_cache_seconds,
            refetch_interval=settings.jwks_refetch_interval,
        ),
        nonces=nonces,
        registrations=RegistrationCache(database, ttl=settings.registration_cache_seconds),
        redis=redis,
    )


def services() -> Services:
    """The services of the running app."""
    found: Services = current_app.extensions["pbridge.services"]
    return found
