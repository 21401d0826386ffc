"""Response headers that keep the tool safe inside an LMS iframe.

`frame-ancestors` admits only registered platforms (and ourselves), read from the app's own
registration snapshot, so no other site can frame the tool and click through it; there is
no inline script anywhere, so the policy needs no 'unsafe-inline'.
"""

from __future__ import annotations

from flask import Flask, Response, request

from lti.services import services


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        if request.endpoint in {"launch.jwks", "launch.canvas_config", "launch.healthz"}:
            response.headers.setdefault("Cache-Control", "public, max-age=300")
            return response
        origins = " ".join(services().registrations.origins())
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; "
            f"form-action 'self' {origins}; frame-ancestors 'self' {origins}"
        ).strip()
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
        return response
