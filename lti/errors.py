"""Every refusal is a page in plain words with a 4xx status; never a stack trace.

Our errors carry their own status and message. Werkzeug's HTTP errors keep theirs. Anything
else is logged (without personal data) and shown as a short apology with a reference.
"""

from __future__ import annotations

import logging
import secrets

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from pbridge.errors import LaunchError, PlatformError, ProficiencyBridgeError

log = logging.getLogger("pbridge.web")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ProficiencyBridgeError)
    def _ours(error: ProficiencyBridgeError) -> tuple[str, int]:
        status = error.status_code if 400 <= error.status_code < 500 else 400
        if isinstance(error, PlatformError):
            status = 424  # the platform, LMS or SIS failed us: not our crash, not the user's input
        if isinstance(error, LaunchError):
            log.info("launch refused: claim=%s status=%s", error.claim, status)
        else:
            log.info("refused: %s status=%s path=%s", type(error).__name__, status, request.path)
        return render_template("error.html", title=_title(status), message=str(error), status=status), status

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int]:
        status = error.code or 400
        return (
            render_template("error.html", title=_title(status), message=error.description, status=status),
            status,
        )

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        reference = secrets.token_hex(4)
        log.exception("unexpected error ref=%s path=%s", reference, request.path)
        message = f"Something went wrong on our side. If it happens again, quote reference {reference}."
        return render_template("error.html", title="Sorry", message=message, status=500), 500


def _title(status: int) -> str:
    return {
        400: "This request could not be used",
        401: "Please open the tool from your course",
        403: "Not allowed",
        404: "Not found",
        405: "Not allowed",
        409: "Conflict",
        413: "Too large",
        424: "The other system did not answer as expected",
    }.get(status, "Something went wrong")
