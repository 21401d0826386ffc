"""The benchmarks' baseline: a bare LTI 1.3 tool written the way pylti1p3next's docs show.

Flask, pylti1p3next's Flask adapter, its default cookie session for state and nonce, and a
one-line landing page: what a team would have before adding what Proficiency Bridge adds
(single-use nonces across workers, stored users and courses, a server-side session).
Configured from the environment by `benchmarks/launch.py`; never used by the product.
"""

from __future__ import annotations

import json
import os

from flask import Flask
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.tool_config import ToolConfDict


def create_app() -> Flask:
    config = json.loads(os.environ["BASELINE_TOOL_CONFIG"])
    tool_conf = ToolConfDict(config["registrations"])
    for issuer, entries in config["registrations"].items():
        for entry in entries:
            tool_conf.set_private_key(issuer, config["private_key"], client_id=entry["client_id"])
    app = Flask(__name__)
    app.config["SECRET_KEY"] = config["secret"]

    @app.route("/login", methods=["GET", "POST"])
    def login():  # type: ignore[no-untyped-def]
        flask_request = FlaskRequest()
        target = flask_request.get_param("target_link_uri")
        return FlaskOIDCLogin(flask_request, tool_conf).redirect(target)

    @app.route("/launch", methods=["POST"])
    def launch():  # type: ignore[no-untyped-def]
        message_launch = FlaskMessageLaunch(FlaskRequest(), tool_conf)
        data = message_launch.get_launch_data()
        return f"<p>Hello {data.get('name', '')}</p>"

    return app
