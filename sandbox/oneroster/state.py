"""The SIS in memory: roster and gradebook records, clients, tokens, faults and counts.

Records are kept in the 1.2 JSON shape (references as ``{"sourcedId", "type"}``; the `href`
is added when answering, from the URL the client used) and rendered in the 1.1 shape when the
state plays a 1.1 server. Every change stamps `dateLastModified` from the state's clock, so
delta syncs (``filter=dateLastModified>'...'``) see exactly what changed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sandbox.oneroster.faults import FaultPlan
from sandbox.oneroster.oauth import SCOPES_1_1, SCOPES_1_2, Authority

ROSTER_COLLECTIONS = (
    "orgs",
    "academicSessions",
    "courses",
    "classes",
    "users",
    "enrollments",
    "demographics",
)
GRADEBOOK_COLLECTIONS = ("categories", "lineItems", "results")

#: the `type` of a reference to a record of each collection
REF_TYPES = {
    "orgs": "org",
    "academicSessions": "academicSession",
    "courses": "course",
    "classes": "class",
    "users": "user",
    "enrollments": "enrollment",
    "demographics": "demographics",
    "categories": "category",
    "lineItems": "lineItem",
    "results": "result",
}


def stamp(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def ref(collection: str, sourced_id: str) -> dict[str, str]:
    return {"sourcedId": sourced_id, "type": REF_TYPES[collection]}


class OneRosterState:
    """One SIS. `version` is "1.2" or "1.1"; `auth` is "oauth2" or "oauth1"."""

    def __init__(
        self,
        *,
        version: str = "1.2",
        auth: str = "oauth2",
        clock: Callable[[], float] = time.time,
        max_limit: int = 1000,
        default_limit: int = 100,
        token_lifetime: int = 3600,
        oauth1_methods: Iterable[str] = ("HMAC-SHA256",),
    ) -> None:
        if version not in {"1.1", "1.2"}:
            raise ValueError(f"OneRoster version must be 1.1 or 1.2, not {version!r}")
        if auth not in {"oauth2", "oauth1"}:
            raise ValueError(f"auth must be oauth2 or oauth1, not {auth!r}")
        if version == "1.2" and auth == "oauth1":
            raise ValueError("OneRoster 1.2 uses OAuth 2 only")
        self.version = version
        self.auth = auth
        self.clock = clock
        self.max_limit = max_limit
        self.default_limit = default_limit
        self.oauth1_methods = frozenset(oauth1_methods)
        self.authority = Authority(clock, token_lifetime=token_lifetime)
        self.faults = FaultPlan()
        self.records: dict[str, dict[str, dict[str, Any]]] = {
            name: {} for name in ROSTER_COLLECTIONS + GRADEBOOK_COLLECTIONS
        }
        self.lock = threading.RLock()

    @property
    def all_scopes(self) -> frozenset[str]:
        return SCOPES_1_2 if self.version == "1.2" else SCOPES_1_1

    def add_client(self, client_id: str, secret: str, scopes: Iterable[str] | None = None) -> None:
        """Register a client; `None` grants every scope of the version."""
        granted = frozenset(scopes) if scopes is not None else self.all_scopes
        self.authority.add_client(client_id, secret, granted)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # --- records ----------------------------------------------------------------------------

    def put(self, collection: str, record: dict[str, Any], *, modified: datetime | None = None) -> None:
        """Create or replace a record; stamps `dateLastModified` (now, or `modified`)."""
        stored = dict(record)
        stored.setdefault("status", "active")
        stored["dateLastModified"] = stamp(modified or self.now())
        with self.lock:
            self.records[collection][stored["sourcedId"]] = stored

    def put_many(self, collection: str, records: Iterable[dict[str, Any]], *, modified: datetime) -> None:
        """Bulk load (the seeder): one stamp for all, no per-record clock reads."""
        when = stamp(modified)
        with self.lock:
            table = self.records[collection]
            for record in records:
                record.setdefault("status", "active")
                record["dateLastModified"] = when
                table[record["sourcedId"]] = record

    def touch(self, collection: str, sourced_id: str, **changes: Any) -> dict[str, Any]:
        """Change members of a record as the SIS would (stamps it modified now)."""
        with self.lock:
            record = dict(self.records[collection][sourced_id])
            record.update(changes)
            self.put(collection, record)
            return self.records[collection][sourced_id]

    def mark_deleted(self, collection: str, sourced_id: str) -> None:
        self.touch(collection, sourced_id, status="tobedeleted")

    def get(self, collection: str, sourced_id: str) -> dict[str, Any] | None:
        return self.records[collection].get(sourced_id)

    def listing(self, collection: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.records[collection].values())

    def count(self, collection: str) -> int:
        return len(self.records[collection])

    # --- 1.1 rendering ----------------------------------------------------------------------

    def in_version(self, collection: str, record: dict[str, Any]) -> dict[str, Any]:
        """The record as this version's server shows it (1.1 users carry `role` and `orgs`)."""
        if self.version == "1.2" or collection != "users" or "roles" not in record:
            return record
        shown = {k: v for k, v in record.items() if k not in {"roles", "primaryOrg", "userMasterIdentifier"}}
        roles = record.get("roles") or []
        primary = [r for r in roles if r.get("roleType") == "primary"] or roles
        if primary:
            shown["role"] = primary[0]["role"]
        shown["orgs"] = [r["org"] for r in roles if r.get("org")]
        return shown
