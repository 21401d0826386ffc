"""The "test connection" check: try each step a sync takes, say exactly which one failed.

In order: DNS for every host, TCP and TLS (certificate and hostname), the OAuth 2 token for
rostering (client refused: 401; scope not granted), a one-record rostering read (401, 403
for a missing scope, 404 for a wrong base path or version), then the gradebook read and
write scopes. The first failure of the chain stops it; gradebook scopes are checked even
when only rostering works, since a district may grant one and not the other. For OAuth 1 a
refused signature shows the base string we signed, to compare with the SIS's log.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bridge.oneroster.auth import SCOPES, TokenRefused, base_string_of
from bridge.oneroster.client import GRADEBOOK, ROSTERING, OneRosterClient
from pbridge.errors import PlatformRejected, PlatformUnavailable, ProficiencyBridgeError


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class ConnectionReport:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def first_failure(self) -> Check | None:
        return next((c for c in self.checks if not c.ok), None)


def _hosts(client: OneRosterClient) -> list[tuple[str, int, bool]]:
    urls = [client.config.rostering_url, client.config.gradebook_url]
    if client.config.token_url:
        urls.append(client.config.token_url)
    found = []
    for url in urls:
        parts = urlsplit(url)
        https = parts.scheme == "https"
        entry = (parts.hostname or "", parts.port or (443 if https else 80), https)
        if entry not in found:
            found.append(entry)
    return found


def _network(
    host: str, port: int, https: bool, *, timeout: float, resolve: Callable[..., Any]
) -> list[Check]:
    try:
        resolve(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        return [Check("dns", False, f"DNS: the name {host} does not resolve ({error}); check the URL's host")]
    checks = [Check("dns", True, f"DNS: {host} resolves")]
    try:
        raw = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        return [*checks, Check("connect", False, f"connect: {host}:{port} did not answer in {timeout:g} s")]
    except OSError as error:
        return [*checks, Check("connect", False, f"connect: {host}:{port} refused the connection ({error})")]
    with raw:
        if not https:
            return [*checks, Check("connect", True, f"connect: {host}:{port} answers (plain http)")]
        context = ssl.create_default_context()
        try:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                version = tls.version()
        except ssl.SSLCertVerificationError as error:
            return [
                *checks,
                Check(
                    "tls",
                    False,
                    f"TLS: the certificate of {host} is not trusted ({error.verify_message}); "
                    "the SIS must present a certificate for this name from a public CA",
                ),
            ]
        except (ssl.SSLError, OSError) as error:
            return [*checks, Check("tls", False, f"TLS: the handshake with {host}:{port} failed ({error})")]
    return [*checks, Check("tls", True, f"TLS: {host} presents a trusted certificate ({version})")]


def _refusal(client: OneRosterClient, error: PlatformRejected, what: str, url: str) -> Check:
    if error.status == 401:
        if client.oauth1 is not None:
            base = base_string_of("GET", url, client.oauth1.authorization("GET", url))
            return Check(
                what, False, f"401: the SIS refused our OAuth 1.0a signature or key; we sign: {base}"
            )
        return Check(
            what, False, f"401: the SIS refused our access token for {what} ({error.platform_message})"
        )
    if error.status == 403:
        return Check(
            "scope", False, f"scope: the SIS forbids {what} with our grant ({error.platform_message})"
        )
    if error.status == 404:
        return Check(what, False, f"404: {url.split('?')[0]} does not exist; check the base URL and version")
    return Check(what, False, f"{what}: {error}")


def _probe(client: OneRosterClient, service: str, path: str, purpose: str, what: str) -> Check:
    url = client.url(service, path, [("limit", "1")])
    try:
        response = client.send(
            "GET", service, path, purpose=purpose, params=[("limit", "1")], expected=(200,)
        )
    except TokenRefused as error:
        name = "scope" if error.error == "invalid_scope" else "token"
        prefix = "scope" if name == "scope" else f"{error.status}"
        return Check(name, False, f"{prefix}: {error}")
    except PlatformRejected as error:
        return _refusal(client, error, what, url)
    except PlatformUnavailable as error:
        return Check(what, False, f"{what}: {error}")
    total = response.headers.get("X-Total-Count")
    return Check(what, True, f"{what}: answered" + (f" ({total} records)" if total else ""))


def check_connection(
    client: OneRosterClient,
    *,
    network: bool = True,
    timeout: float = 5.0,
    resolve: Callable[..., Any] = socket.getaddrinfo,
) -> ConnectionReport:
    """Run the checks in order; `network=False` skips DNS/TCP/TLS (an in-process SIS)."""
    checks: list[Check] = []
    if network:
        for host, port, https in _hosts(client):
            found = _network(host, port, https, timeout=timeout, resolve=resolve)
            checks += found
            if not found[-1].ok:
                return ConnectionReport(tuple(checks))
    try:
        roster = _probe(client, ROSTERING, "/orgs", "roster", "rostering")
    except ProficiencyBridgeError as error:
        return ConnectionReport((*checks, Check("settings", False, str(error))))
    checks.append(roster)
    if not roster.ok and roster.name != "scope":
        return ConnectionReport(tuple(checks))
    checks.append(_probe(client, GRADEBOOK, "/lineItems", "gradebook_read", "gradebook read"))
    if client.oauth2 is not None:
        scopes = client.config.scopes or SCOPES[client.version.value]["gradebook_write"]
        try:
            client.oauth2.bearer(scopes)
            checks.append(Check("scope", True, f"scope: write-back granted ({' '.join(scopes)})"))
        except TokenRefused as error:
            checks.append(Check("scope", False, f"scope: no write-back: {error}"))
    return ConnectionReport(tuple(checks))
