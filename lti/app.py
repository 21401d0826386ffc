"""The Flask application factory."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import store
from lti.errors import register_error_handlers
from lti.security import register_security_headers
from lti.services import Services, build_services
from lti.web_session import register_web_session
from pbridge.settings import Settings

if TYPE_CHECKING:
    import httpx
    from redis import Redis

    from store.database import Database


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    http: httpx.Client | None = None,
    redis: Redis | None = None,
    services: Services | None = None,
) -> Flask:
    """Build the tool: settings from the environment unless a test passes its own."""
    settings = settings or Settings.from_env()
    services = services or build_services(settings, database=database, http=http, redis=redis)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions["pbridge.settings"] = settings
    app.extensions["pbridge.services"] = services
    logging.getLogger("pbridge").setLevel(settings.log_level)
    if settings.behind_proxy:
        count = settings.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count)  # type: ignore[method-assign]

    store.init_app(app, services.database)
    register_web_session(app)
    register_security_headers(app)
    register_error_handlers(app)

    import lti.views.admin_reports  # adds its routes to admin.bp
    import lti.views.admin_settings  # adds its routes to admin.bp
    import lti.views.teacher_evidence  # adds its routes to teacher.bp
    import lti.views.teacher_policy  # adds its routes to teacher.bp
    import lti.views.teacher_reports  # adds its routes to teacher.bp
    import lti.views.teacher_sync  # adds its routes to teacher.bp
    import lti.views.teacher_tagging  # noqa: F401  (each adds its routes to admin.bp or teacher.bp)
    from lti.views import admin, launch, lms_auth, registration, student, teacher

    app.register_blueprint(launch.bp)
    app.register_blueprint(registration.bp)
    app.register_blueprint(teacher.bp)
    app.register_blueprint(student.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(lms_auth.bp)
    return app
