"""Platform registrations as launches read them: a snapshot of every registration, re-read
from the database every few seconds.

Each launch looks its registration up twice (login, then the id_token), and a district has
a handful of registrations: reading them all at once and keeping them a few seconds takes
two queries off every launch. Admin changes in this process refresh it at once; other
workers see them within `ttl` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from store.database import Database
from store.platforms import Platform, RegistrationStatus, UnknownDeploymentPolicy


@dataclass(frozen=True)
class Registration:
    id: int
    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    key_set_url: str
    status: RegistrationStatus
    unknown_deployments: UnknownDeploymentPolicy
    deployments: Mapping[str, RegistrationStatus]


#: after a lookup misses, the snapshot is read again if it is older than this
MISS_REREAD_SECONDS = 1.0


def _origins_of(registration: Registration) -> set[str]:
    found = set()
    for url in (registration.issuer, registration.auth_login_url):
        parts = urlsplit(url)
        if parts.scheme and parts.netloc:
            found.add(f"{parts.scheme}://{parts.netloc}")
    return found


class RegistrationCache:
    def __init__(
        self, database: Database, *, ttl: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._database = database
        self._ttl = ttl
        self._clock = clock
        self._by_key: dict[tuple[str, str], Registration] = {}
        self._by_issuer: dict[str, list[Registration]] = {}
        self._origins: list[str] = []
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def find(self, issuer: str, client_id: str) -> Registration | None:
        self._fresh()
        found = self._by_key.get((issuer, client_id))
        if found is None and self._reread_after_miss():
            found = self._by_key.get((issuer, client_id))
        return found

    def for_issuer(self, issuer: str) -> list[Registration]:
        self._fresh()
        if issuer not in self._by_issuer:
            self._reread_after_miss()
        return list(self._by_issuer.get(issuer, ()))

    def origins(self) -> list[str]:
        """Where registered platforms' pages live (issuers and auth URLs): who may frame us."""
        self._fresh()
        return self._origins

    def _reread_after_miss(self) -> bool:
        """A registration made a moment ago by another worker: read again, at most once a second."""
        read_at = self._read_at
        if read_at is not None and self._clock() - read_at < MISS_REREAD_SECONDS:
            return False
        self.forget()
        self._fresh()
        return True

    def forget(self) -> None:
        """Re-read on the next lookup (after an admin change in this process)."""
        self._read_at = None

    def _fresh(self) -> None:
        read_at = self._read_at
        if read_at is not None and self._clock() - read_at < self._ttl:
            return
        with self._lock:
            if self._read_at is not None and self._clock() - self._read_at < self._ttl:
                return
            with self._database.sessions() as session:
                platforms = session.scalars(
                    select(Platform).options(selectinload(Platform.deployments))
                ).all()
                snapshots = [
                    Registration(
                        id=p.id,
                        name=p.name,
                        issuer=p.issuer,
                        client_id=p.client_id,
                        auth_login_url=p.auth_login_url,
                        key_set_url=p.key_set_url,
                        status=p.status,
                        unknown_deployments=p.unknown_deployments,
                        deployments={d.deployment_id: d.status for d in p.deployments},
                    )
                    for p in platforms
                ]
            by_issuer: dict[str, list[Registration]] = {}
            for snapshot in snapshots:
                by_issuer.setdefault(snapshot.issuer, []).append(snapshot)
            self._by_key = {(s.issuer, s.client_id): s for s in snapshots}
            self._by_issuer = by_issuer
            self._origins = sorted({origin for s in snapshots for origin in _origins_of(s)})
            self._read_at = self._clock()
