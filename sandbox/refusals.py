"""Refusals, and how each platform words them.

Endpoints raise `Refusal`; one error handler renders it the way the flavour does for that
kind of endpoint: OAuth error JSON at the token endpoint (Moodle's as `text/html` with only
`error`), Canvas's `{"errors": {...}}` on its services, Moodle's bare status with a reason,
and an HTML page that says what was wrong for browser-facing endpoints.
"""

from __future__ import annotations

import json

from flask import Flask, Response, current_app, request

from sandbox.pages import refusal_page, wants_json


class Refusal(Exception):
    """The platform refuses a request: `status`, a message saying what and where, and
    optionally the exact `body` / `content_type` a flavour answers with."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error: str = "invalid_request",
        body: str | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}


def render_refusal(refusal: Refusal) -> Response:
    flavour = current_app.extensions["sandbox"].flavour.name
    area = request.blueprint or ""
    if refusal.body is not None:
        response = Response(refusal.body, status=refusal.status)
        response.content_type = refusal.content_type or "text/html; charset=utf-8"
    elif area == "tokens":
        response = _token_refusal(flavour, refusal)
    elif area in ("ags", "nrps"):
        response = _service_refusal(flavour, refusal)
    elif wants_json() or area == "control":
        response = _json(refusal.status, {"error": refusal.error, "message": refusal.message})
    else:
        response = refusal_page(refusal.status, refusal.message)
    response.headers.update(refusal.headers)
    return response


def _token_refusal(flavour: str, refusal: Refusal) -> Response:
    if flavour == "moodle":
        body = json.dumps({"error": refusal.error})
        return Response(body, status=refusal.status, content_type="text/html; charset=utf-8")
    return _json(refusal.status, {"error": refusal.error, "error_description": refusal.message})


def _service_refusal(flavour: str, refusal: Refusal) -> Response:
    if flavour == "canvas":
        return _json(refusal.status, {"errors": {"type": refusal.error, "message": refusal.message}})
    if flavour == "moodle":
        reason = refusal.message.replace("\n", " ").encode("ascii", "replace").decode()
        return Response(reason, status=f"{refusal.status} {reason[:120]}", content_type="text/html")
    return _json(refusal.status, {"error": refusal.error, "error_description": refusal.message})


def _json(status: int, payload: object) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def install(app: Flask) -> None:
    app.register_error_handler(Refusal, render_refusal)
