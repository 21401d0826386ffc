"""Response headers that keep the tool safe inside an LMS iframe.

`frame-ancestors` admits only registered platforms (and ourselves), so no other site can
frame the tool and click through it; there is no inline script anywhere, so the policy
needs no 'unsafe-inline'.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

from flask import Flask, Response, request
from sqlalchemy import select

from lti.services import services
from store.platforms import Platform

_CACHE_SECONDS = 30.0


class _PlatformOrigins:
    """Origins of registered platforms, re-read from the database at most every 30 s."""

    def __init__(self) -> None:
        self._origins: list[str] = []
        self._read_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> list[str]:
        if time.monotonic() - self._read_at < _CACHE_SECONDS:
            return self._origins
        with self._lock:
            with services().database.sessions() as session:
                urls = session.execute(select(Platform.issuer, Platform.auth_login_url)).all()
            origins: set[str] = set()
            for issuer, auth in urls:
                for url in (issuer, auth):
                    parts = urlsplit(url)
                    if parts.scheme and parts.netloc:
                        origins.add(f"{parts.scheme}://{parts.netloc}")
            self._origins = sorted(origins)
            self._read_at = time.monotonic()
        return self._origins

    def forget(self) -> None:
        self._read_at = 0.0


platform_origins = _PlatformOrigins()


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        if request.endpoint in {"launch.jwks", "launch.canvas_config", "launch.healthz"}:
            response.headers.setdefault("Cache-Control", "public, max-age=300")
            return response
        origins = " ".join(platform_origins.get())
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; "
            f"form-action 'self' {origins}; frame-ancestors 'self' {origins}"
        ).strip()
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
        return response
