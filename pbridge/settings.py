"""One settings object for the whole product, read from the environment over shipped defaults.

Why not a config file: platforms, CI and containers all speak environment variables, and a
secret in the environment never lands in the repo by accident.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pbridge.errors import SettingsError

INSTANCE_DIR = Path(os.environ.get("PBRIDGE_INSTANCE_DIR", Path.cwd() / "instance"))


def _bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name}={raw!r} is not a yes/no value; use true or false")


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None


def _positive(name: str, raw: str) -> int:
    value = _int(name, raw)
    if value < 1:
        raise SettingsError(f"{name}={raw!r} must be 1 or more")
    return value


def _float(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Build with `Settings.from_env()`; tests pass their own."""

    database_url: str = field(default_factory=lambda: f"sqlite:///{INSTANCE_DIR / 'pbridge.db'}")
    redis_url: str | None = None
    #: signs sessions and CSRF tokens; a random one per process if unset (fine for the demo)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    #: encrypts stored secrets (private keys, SIS and LMS credentials); derived from the
    #: secret key when unset, so set both in production and keep them apart
    encryption_key: str | None = None
    #: the public https URL of the tool, used in JWKS, registration and redirect URIs
    base_url: str = "http://127.0.0.1:5000"
    #: dynamic registrations are approved without an admin when true
    auto_approve_registrations: bool = False
    #: seconds for every outbound request
    http_timeout: float = 10.0
    #: seconds of clock skew accepted on iat/exp/nbf
    clock_leeway: int = 60
    #: how long a JWKS stays cached, and the least time between two refetches
    jwks_cache_seconds: int = 300
    jwks_refetch_interval: float = 10.0
    #: how long a worker keeps its snapshot of the registrations (admin changes elsewhere
    #: reach it within this time)
    registration_cache_seconds: float = 5.0
    #: marks the process as running behind a TLS-terminating proxy (X-Forwarded-*)
    behind_proxy: bool = False
    #: proxies trusted for X-Forwarded-* headers
    proxy_count: int = 1
    #: a launch syncs its course in the background when the last sync is older than this
    #: many minutes (0: never)
    launch_sync_minutes: int = 15
    #: requests in flight at once to one platform (LMS or SIS) during syncs
    platform_concurrency: int = 8
    #: hour (UTC) of the nightly sync of every course, with Celery beat
    sync_nightly_hour: int = 2
    #: minutes between syncs of recently launched courses, with Celery beat
    sync_active_minutes: int = 30
    #: students in one pass of a district recompute: a transaction of its own, and with
    #: Celery a task of its own, so smaller passes spread a recompute over more workers
    recompute_pass_students: int = 1000
    #: log level name
    log_level: str = "INFO"
    testing: bool = False

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Read `DATABASE_URL`, `REDIS_URL` and `PBRIDGE_*`; raise `SettingsError` on bad values."""
        env = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for variable, (field_name, read) in _VARIABLES.items():
            raw = env.get(variable)
            if raw is not None and raw.strip():
                values[field_name] = read(variable, raw)
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed (tests, the demo)."""
        return replace(self, **changes)

    @property
    def is_https(self) -> bool:
        return self.base_url.startswith("https://")


def _text(_name: str, raw: str) -> str:
    return raw.strip()


def _url(_name: str, raw: str) -> str:
    return raw.strip().rstrip("/")


def _database_url(_name: str, raw: str) -> str:
    return normalise_database_url(raw.strip())


def _level(_name: str, raw: str) -> str:
    return raw.strip().upper()


#: environment variable -> (setting, how it is read); an empty value leaves the default
_VARIABLES: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "DATABASE_URL": ("database_url", _database_url),
    "REDIS_URL": ("redis_url", _text),
    "PBRIDGE_SECRET_KEY": ("secret_key", _text),
    "PBRIDGE_ENCRYPTION_KEY": ("encryption_key", _text),
    "PBRIDGE_BASE_URL": ("base_url", _url),
    "PBRIDGE_AUTO_APPROVE_REGISTRATIONS": ("auto_approve_registrations", _bool),
    "PBRIDGE_HTTP_TIMEOUT": ("http_timeout", _float),
    "PBRIDGE_CLOCK_LEEWAY": ("clock_leeway", _int),
    "PBRIDGE_BEHIND_PROXY": ("behind_proxy", _bool),
    "PBRIDGE_PROXY_COUNT": ("proxy_count", _int),
    "PBRIDGE_LAUNCH_SYNC_MINUTES": ("launch_sync_minutes", _int),
    "PBRIDGE_PLATFORM_CONCURRENCY": ("platform_concurrency", _int),
    "PBRIDGE_SYNC_NIGHTLY_HOUR": ("sync_nightly_hour", _int),
    "PBRIDGE_SYNC_ACTIVE_MINUTES": ("sync_active_minutes", _int),
    "PBRIDGE_RECOMPUTE_PASS_STUDENTS": ("recompute_pass_students", _positive),
    "PBRIDGE_LOG_LEVEL": ("log_level", _level),
}


def normalise_database_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
