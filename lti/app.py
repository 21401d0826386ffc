"""The Flask application factory."""

from __future__ import annotations

from flask import Flask

from pbridge.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the tool: settings from the environment unless a test passes its own."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secret_key
    app.extensions["pbridge.settings"] = settings
    return app
