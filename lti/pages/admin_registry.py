"""Admin changes to registrations and SIS connections, each audited.

Editing a registration changes its name, endpoints and what happens to unknown deployment
ids; the issuer and client id are its identity and are not edited (register anew instead).
SIS connections are added here as `pbridge oneroster connect` adds them; secrets are sealed
by `store.sis` and never shown again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from lti.pages.tables import Table
from pbridge.errors import RegistrationError
from store.audit import record_change
from store.platforms import UnknownDeploymentPolicy
from store.registrations import get_platform
from store.secret_box import SecretBox
from store.sis import (
    ConnectionSettings,
    SisAuthKind,
    SisVersion,
    add_connection,
    describe_connection,
    list_connections,
)

_EDITABLE_URLS = ("auth_login_url", "auth_token_url", "key_set_url")


def edit_platform(session: Session, platform_id: int, form: Mapping[str, str], *, actor_id: int) -> None:
    platform = get_platform(session, platform_id)
    name = (form.get("name") or "").strip()
    if name:
        platform.name = name[:200]
    for field in _EDITABLE_URLS:
        value = (form.get(field) or "").strip()
        if value:
            if not value.startswith(("https://", "http://")):
                raise RegistrationError(f"{field.replace('_', ' ')} must be an http(s) URL, not {value!r}")
            setattr(platform, field, value[:1000])
    policy = form.get("unknown_deployments") or ""
    if policy:
        try:
            platform.unknown_deployments = UnknownDeploymentPolicy(policy)
        except ValueError:
            raise RegistrationError("unknown deployments must be refuse, pending or accept") from None
    session.flush()
    record_change(
        session,
        actor_id=actor_id,
        action="registration edited",
        subject=f"platform {platform.name} ({platform.issuer}, client {platform.client_id})",
        detail=", ".join(f for f in ("name", *_EDITABLE_URLS, "unknown_deployments") if form.get(f)),
    )


@dataclass(frozen=True, slots=True)
class SisOverview:
    connections: tuple[dict[str, Any], ...]
    versions: tuple[SisVersion, ...] = tuple(SisVersion)
    auth_kinds: tuple[SisAuthKind, ...] = tuple(SisAuthKind)

    def tables(self) -> list[Table]:
        columns = ("Name", "Version", "Auth", "Base URL", "Client id", "Secret", "Last test")
        rows = [
            (
                c["name"],
                c["version"],
                c["auth"],
                c["base_url"],
                c["client_id"],
                c["client_secret"],
                c["last_test"],
            )
            for c in self.connections
        ]
        return [Table.of("connections", "SIS connections (OneRoster)", columns, rows)]


def sis_overview(session: Session) -> SisOverview:
    return SisOverview(connections=tuple(describe_connection(c) for c in list_connections(session)))


def add_sis_connection(session: Session, box: SecretBox, form: Mapping[str, str], *, actor_id: int) -> None:
    try:
        version = SisVersion(form.get("version", SisVersion.V1_2.value))
        auth = SisAuthKind(form.get("auth_kind", SisAuthKind.OAUTH2.value))
    except ValueError:
        raise RegistrationError("choose the OneRoster version and the way it authenticates") from None
    settings = ConnectionSettings(
        name=(form.get("name") or "").strip(),
        version=version,
        auth_kind=auth,
        base_url=(form.get("base_url") or "").strip(),
        token_url=(form.get("token_url") or "").strip(),
        client_id=(form.get("client_id") or "").strip(),
        client_secret=form.get("client_secret") or "",
    )
    row = add_connection(session, box, settings)
    record_change(
        session,
        actor_id=actor_id,
        action="SIS connection added",
        subject=f"SIS connection {row.name}",
        detail=f"OneRoster {version.value} at {settings.base_url}",
    )
