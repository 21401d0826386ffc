"""SIS connections (OneRoster 1.1 / 1.2) with sealed secrets, and the SIS gradebook we read.

A connection is what an admin registers: where the SIS answers, which OneRoster version and
which authentication, extra headers some vendors want (Infinite Campus's
`x-vendor-authorization` on gradebook calls), a page size and a concurrency cap. The client
secret and every extra header value are sealed with the `SecretBox` before they reach the
table: header values are credentials too. Nothing here ever returns a secret in a repr, a
description or an error message; `connection_secrets` is the one way to open them, for the
client that needs them.

The SIS gradebook tables hold line items and results as the SIS (REST or CSV) reported them,
keyed by connection and sourcedId like the roster tables in `store.sis_roster`.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import JSON, Date, Float, ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from pbridge.errors import ProficiencyBridgeError
from store.base import Base, intpk
from store.secret_box import SecretBox
from store.types import utcnow


class SisConnectionInvalid(ProficiencyBridgeError):
    """A SIS connection's settings are missing or malformed; says which and how to fix it."""


class SisVersion(enum.Enum):
    V1_1 = "1.1"
    V1_2 = "1.2"


class SisAuthKind(enum.Enum):
    """OneRoster 1.2 uses OAuth 2 client credentials; 1.1 vendors use OAuth 1.0a or OAuth 2."""

    OAUTH2 = "oauth2"
    OAUTH1 = "oauth1"
    #: no REST API: the connection only receives CSV imports
    NONE = "none"


#: the spec's service paths under the server root
DEFAULT_PATHS: dict[SisVersion, tuple[str, str]] = {
    SisVersion.V1_1: ("/ims/oneroster/v1p1", "/ims/oneroster/v1p1"),
    SisVersion.V1_2: ("/ims/oneroster/rostering/v1p2", "/ims/oneroster/gradebook/v1p2"),
}

HEADER_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


class SisConnection(Base):
    """One SIS an admin connected; secrets sealed, never shown back."""

    __tablename__ = "sis_connections"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[SisVersion] = mapped_column(default=SisVersion.V1_2)
    auth_kind: Mapped[SisAuthKind] = mapped_column(default=SisAuthKind.OAUTH2)
    #: the server root, e.g. https://sis.example.org (service paths are added below)
    base_url: Mapped[str] = mapped_column(String(1000), default="")
    rostering_path: Mapped[str] = mapped_column(String(300), default="")
    gradebook_path: Mapped[str] = mapped_column(String(300), default="")
    #: OAuth 2 token endpoint (OAuth 1 has none)
    token_url: Mapped[str] = mapped_column(String(1000), default="")
    client_id: Mapped[str] = mapped_column(String(500), default="")
    client_secret_sealed: Mapped[str] = mapped_column(Text, default="")
    #: scopes to ask for instead of the spec's per-call ones (some SIS grant one fixed set)
    scopes: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    #: header names in clear (for display), values sealed as one JSON object per kind
    header_names: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    headers_sealed: Mapped[str] = mapped_column(Text, default="")
    page_size: Mapped[int] = mapped_column(default=100)
    max_concurrency: Mapped[int] = mapped_column(default=4)
    #: delta-sync watermarks per collection and other bookkeeping of the syncs
    sync_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_test_at: Mapped[datetime | None] = mapped_column(default=None)
    last_test_ok: Mapped[bool | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<SisConnection {self.id} {self.name!r} OneRoster {self.version.value}>"

    @property
    def rostering_url(self) -> str:
        return self.base_url.rstrip("/") + (self.rostering_path or DEFAULT_PATHS[self.version][0])

    @property
    def gradebook_url(self) -> str:
        return self.base_url.rstrip("/") + (self.gradebook_path or DEFAULT_PATHS[self.version][1])


@dataclass(frozen=True)
class ConnectionSecrets:
    """The opened secrets of one connection; `repr` hides them so a log line cannot leak them."""

    client_secret: str = field(repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    gradebook_headers: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class ConnectionSettings:
    """What an admin enters; validated by `add_connection` / `update_connection`."""

    name: str
    version: SisVersion = SisVersion.V1_2
    auth_kind: SisAuthKind = SisAuthKind.OAUTH2
    base_url: str = ""
    token_url: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    scopes: tuple[str, ...] | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    gradebook_headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    rostering_path: str = ""
    gradebook_path: str = ""
    page_size: int = 100
    max_concurrency: int = 4


def _check_url(value: str, what: str, *, name: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise SisConnectionInvalid(
            f"SIS connection {name!r}: {what} {value!r} is not an http(s) URL; "
            "give it like https://sis.example.org"
        )
    if parts.query or parts.fragment:
        raise SisConnectionInvalid(
            f"SIS connection {name!r}: {what} must not carry a query or fragment ({value!r})"
        )
    return value.rstrip("/")


def _check_headers(headers: Mapping[str, str], *, name: str) -> dict[str, str]:
    checked: dict[str, str] = {}
    for key, value in headers.items():
        if not key or not set(key) <= HEADER_NAME_CHARS:
            raise SisConnectionInvalid(
                f"SIS connection {name!r}: {key!r} is not a valid header name "
                "(letters, digits, '-' and '_' only)"
            )
        if "\n" in value or "\r" in value:
            raise SisConnectionInvalid(
                f"SIS connection {name!r}: the value of header {key!r} contains a line break"
            )
        checked[key] = value
    return checked


def validate_settings(settings: ConnectionSettings) -> ConnectionSettings:
    """Refuse settings that cannot work, naming the field and what to enter instead."""
    name = settings.name.strip()
    if not name:
        raise SisConnectionInvalid("a SIS connection needs a name")
    if not 1 <= settings.page_size <= 10_000:
        raise SisConnectionInvalid(
            f"SIS connection {name!r}: page size {settings.page_size} is outside 1..10000"
        )
    if not 1 <= settings.max_concurrency <= 64:
        raise SisConnectionInvalid(
            f"SIS connection {name!r}: concurrency {settings.max_concurrency} is outside 1..64 "
            "(use 1 for a SIS that asks for serial requests)"
        )
    if settings.auth_kind is SisAuthKind.NONE:
        return settings
    base_url = _check_url(settings.base_url, "base URL", name=name)
    if not settings.client_id:
        raise SisConnectionInvalid(f"SIS connection {name!r}: the client id (key) is missing")
    if not settings.client_secret:
        raise SisConnectionInvalid(f"SIS connection {name!r}: the client secret is missing")
    token_url = settings.token_url
    if settings.auth_kind is SisAuthKind.OAUTH2:
        if not token_url:
            raise SisConnectionInvalid(
                f"SIS connection {name!r}: OAuth 2 needs the token endpoint URL (--token-url)"
            )
        token_url = _check_url(token_url, "token URL", name=name)
    elif settings.version is SisVersion.V1_2:
        raise SisConnectionInvalid(
            f"SIS connection {name!r}: OneRoster 1.2 uses OAuth 2 client credentials, "
            "not OAuth 1.0a; choose auth oauth2"
        )
    for path, what in ((settings.rostering_path, "rostering"), (settings.gradebook_path, "gradebook")):
        if path and not path.startswith("/"):
            raise SisConnectionInvalid(
                f"SIS connection {name!r}: the {what} path {path!r} must start with '/'"
            )
    headers = _check_headers(settings.headers, name=name)
    gradebook_headers = _check_headers(settings.gradebook_headers, name=name)
    return ConnectionSettings(
        name=name,
        version=settings.version,
        auth_kind=settings.auth_kind,
        base_url=base_url,
        token_url=token_url,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=settings.scopes,
        headers=headers,
        gradebook_headers=gradebook_headers,
        rostering_path=settings.rostering_path.rstrip("/"),
        gradebook_path=settings.gradebook_path.rstrip("/"),
        page_size=settings.page_size,
        max_concurrency=settings.max_concurrency,
    )


def _apply(row: SisConnection, settings: ConnectionSettings, box: SecretBox) -> None:
    row.name = settings.name
    row.version = settings.version
    row.auth_kind = settings.auth_kind
    row.base_url = settings.base_url
    row.token_url = settings.token_url
    row.client_id = settings.client_id
    row.client_secret_sealed = box.seal(settings.client_secret) if settings.client_secret else ""
    row.scopes = list(settings.scopes) if settings.scopes is not None else None
    row.rostering_path = settings.rostering_path
    row.gradebook_path = settings.gradebook_path
    row.header_names = {
        "all": sorted(settings.headers),
        "gradebook": sorted(settings.gradebook_headers),
    }
    blob = {"all": dict(settings.headers), "gradebook": dict(settings.gradebook_headers)}
    row.headers_sealed = box.seal(json.dumps(blob)) if any(blob.values()) else ""
    row.page_size = settings.page_size
    row.max_concurrency = settings.max_concurrency


def add_connection(session: Session, box: SecretBox, settings: ConnectionSettings) -> SisConnection:
    """Register a SIS connection; refuses a name already in use."""
    settings = validate_settings(settings)
    if find_connection(session, settings.name) is not None:
        raise SisConnectionInvalid(
            f"a SIS connection named {settings.name!r} exists already; pick another name or change that one"
        )
    row = SisConnection(name=settings.name)
    _apply(row, settings, box)
    session.add(row)
    session.flush()
    return row


def update_connection(
    session: Session, box: SecretBox, row: SisConnection, settings: ConnectionSettings
) -> SisConnection:
    """Replace a connection's settings; an empty secret keeps the stored one."""
    if not settings.client_secret and row.client_secret_sealed:
        kept = connection_secrets(row, box)
        settings = replace(settings, client_secret=kept.client_secret)
    settings = validate_settings(settings)
    other = find_connection(session, settings.name)
    if other is not None and other.id != row.id:
        raise SisConnectionInvalid(f"a SIS connection named {settings.name!r} exists already")
    _apply(row, settings, box)
    session.flush()
    return row


def connection_secrets(row: SisConnection, box: SecretBox) -> ConnectionSecrets:
    """Open the sealed secrets of a connection (raises `SettingsError` if the key changed)."""
    blob: dict[str, dict[str, str]] = {"all": {}, "gradebook": {}}
    if row.headers_sealed:
        blob = json.loads(box.open(row.headers_sealed))
    return ConnectionSecrets(
        client_secret=box.open(row.client_secret_sealed) if row.client_secret_sealed else "",
        headers=blob.get("all", {}),
        gradebook_headers=blob.get("gradebook", {}),
    )


def find_connection(session: Session, name_or_id: str | int) -> SisConnection | None:
    """A connection by name, or by id when given a number."""
    if isinstance(name_or_id, int) or str(name_or_id).isdigit():
        found = session.get(SisConnection, int(name_or_id))
        if found is not None:
            return found
    return session.scalars(select(SisConnection).where(SisConnection.name == str(name_or_id))).one_or_none()


def get_connection(session: Session, name_or_id: str | int) -> SisConnection:
    """Like `find_connection`, but a missing one is an error that lists what exists."""
    found = find_connection(session, name_or_id)
    if found is None:
        names = [c.name for c in list_connections(session)]
        raise SisConnectionInvalid(
            f"no SIS connection {name_or_id!r}; known: {', '.join(names) or 'none'} "
            "(add one with `pbridge oneroster connect`)"
        )
    return found


def list_connections(session: Session) -> list[SisConnection]:
    return list(session.scalars(select(SisConnection).order_by(SisConnection.name)))


def remove_connection(session: Session, row: SisConnection) -> None:
    """Drop a connection and everything synced through it (rows cascade)."""
    session.delete(row)
    session.flush()


def describe_connection(row: SisConnection) -> dict[str, Any]:
    """What may be shown to an admin: everything but secret values (only that they are set)."""
    return {
        "id": row.id,
        "name": row.name,
        "version": row.version.value,
        "auth": row.auth_kind.value,
        "base_url": row.base_url,
        "rostering_url": row.rostering_url if row.base_url else "",
        "gradebook_url": row.gradebook_url if row.base_url else "",
        "token_url": row.token_url,
        "client_id": row.client_id,
        "client_secret": "set (sealed)" if row.client_secret_sealed else "not set",
        "scopes": list(row.scopes) if row.scopes is not None else "per call (spec defaults)",
        "headers": list(row.header_names.get("all", [])),
        "gradebook_headers": list(row.header_names.get("gradebook", [])),
        "page_size": row.page_size,
        "max_concurrency": row.max_concurrency,
        "last_test": (
            "never"
            if row.last_test_at is None
            else f"{'ok' if row.last_test_ok else 'failed'} at {row.last_test_at.isoformat()}"
        ),
    }


# --- the SIS gradebook as read or imported ---------------------------------------------------


class SisLineItem(Base):
    """A OneRoster line item (an assignment column) in a class, as the SIS reported it."""

    __tablename__ = "sis_line_items"
    __table_args__ = (UniqueConstraint("connection_id", "sourced_id"),)

    id: Mapped[intpk]
    connection_id: Mapped[int] = mapped_column(ForeignKey("sis_connections.id", ondelete="CASCADE"))
    sourced_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="active")
    date_last_modified: Mapped[datetime | None] = mapped_column(default=None)
    title: Mapped[str] = mapped_column(String(1000), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    class_sourced_id: Mapped[str] = mapped_column(String(255), default="", index=True)
    category_sourced_id: Mapped[str | None] = mapped_column(String(255), default=None)
    school_sourced_id: Mapped[str | None] = mapped_column(String(255), default=None)
    academic_session_sourced_id: Mapped[str | None] = mapped_column(String(255), default=None)
    assign_date: Mapped[date | None] = mapped_column(Date, default=None)
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    result_value_min: Mapped[float | None] = mapped_column(Float, default=None)
    result_value_max: Mapped[float | None] = mapped_column(Float, default=None)
    #: [{"source": "case", "learningObjectiveIds": [...]}]
    learning_objectives: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class SisResult(Base):
    """A student's result on a line item, as the SIS reported it."""

    __tablename__ = "sis_results"
    __table_args__ = (UniqueConstraint("connection_id", "sourced_id"),)

    id: Mapped[intpk]
    connection_id: Mapped[int] = mapped_column(ForeignKey("sis_connections.id", ondelete="CASCADE"))
    sourced_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="active")
    date_last_modified: Mapped[datetime | None] = mapped_column(default=None)
    line_item_sourced_id: Mapped[str] = mapped_column(String(255), index=True)
    student_sourced_id: Mapped[str] = mapped_column(String(255), index=True)
    class_sourced_id: Mapped[str | None] = mapped_column(String(255), default=None)
    score_status: Mapped[str] = mapped_column(String(40), default="")
    score: Mapped[float | None] = mapped_column(Float, default=None)
    text_score: Mapped[str | None] = mapped_column(String(255), default=None)
    score_date: Mapped[date | None] = mapped_column(Date, default=None)
    comment: Mapped[str] = mapped_column(Text, default="")
    #: [{"source": "case", "learningObjectiveId": "...", "score": 3.0, "textScore": ...}]
    learning_objectives: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


def line_items_of_class(session: Session, connection_id: int, class_sourced_id: str) -> Sequence[SisLineItem]:
    return session.scalars(
        select(SisLineItem)
        .where(
            SisLineItem.connection_id == connection_id,
            SisLineItem.class_sourced_id == class_sourced_id,
        )
        .order_by(SisLineItem.sourced_id)
    ).all()


def results_of_line_item(
    session: Session, connection_id: int, line_item_sourced_id: str
) -> Sequence[SisResult]:
    return session.scalars(
        select(SisResult)
        .where(
            SisResult.connection_id == connection_id,
            SisResult.line_item_sourced_id == line_item_sourced_id,
        )
        .order_by(SisResult.student_sourced_id)
    ).all()
