"""What production relies on: HTTPS cookies, proxy headers, gunicorn, logs without personal data."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from flask import request

from lti import create_app
from lti.registration_cache import RegistrationCache
from store.migrate import upgrade
from store.registrations import PlatformDetails, add_platform
from tests.stack import free_port, running_stack

ROOT = Path(__file__).resolve().parents[2]


def _register(database):
    with database.begin() as session:
        add_platform(
            session,
            PlatformDetails(
                name="LMS",
                issuer="https://lms.example",
                client_id="c1",
                auth_login_url="https://lms.example/auth",
                auth_token_url="https://lms.example/token",
                key_set_url="https://lms.example/jwks",
            ),
            deployment_ids=["1"],
        )
    return RegistrationCache(database, ttl=0)


def test_on_https_the_state_cookie_is_secure_httponly_samesite_none_partitioned(settings, database):
    _register(database)
    app = create_app(settings.replace(base_url="https://tool.example"), database=database)
    response = app.test_client().get(
        "/lti/login",
        query_string={
            "iss": "https://lms.example",
            "login_hint": "u",
            "target_link_uri": "https://tool.example/lti/launch",
        },
        base_url="https://tool.example",
    )
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("pb_state_"))
    for attribute in ("Secure", "HttpOnly", "SameSite=None", "Partitioned"):
        assert attribute in cookie


def test_behind_a_proxy_the_forwarded_scheme_and_host_are_honoured(settings, database):
    app = create_app(settings.replace(behind_proxy=True), database=database)
    seen = {}

    @app.get("/_probe")
    def probe():
        seen["secure"] = request.is_secure
        seen["host"] = request.host
        return "ok"

    app.test_client().get(
        "/_probe", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "pb.district.org"}
    )
    assert seen == {"secure": True, "host": "pb.district.org"}


def test_without_the_proxy_setting_forwarded_headers_are_ignored(settings, database):
    app = create_app(settings, database=database)
    seen = {}

    @app.get("/_probe")
    def probe():
        seen["secure"] = request.is_secure
        return "ok"

    app.test_client().get("/_probe", headers={"X-Forwarded-Proto": "https"})
    assert seen == {"secure": False}


def test_gunicorn_serves_the_app_factory(tmp_path):
    url = f"sqlite:///{tmp_path / 'gunicorn.db'}"
    upgrade(url)
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "1", "lti:create_app()"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "PBRIDGE_SECRET_KEY": "x" * 40},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["database"] == "ok"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_refusals_are_logged_without_personal_data(database, caplog):
    with running_stack(database) as stack:
        from sandbox import Tampering

        stack.state.tampering.push(Tampering("expired", seconds=600))
        with caplog.at_level(logging.INFO, logger="pbridge"):
            page = stack.browser().launch(user=stack.seed.teacher_id, course=stack.seed.course_id)
        assert page.status_code == 400
        teacher = stack.state.find_user(stack.seed.teacher_id)
        logged = " ".join(record.getMessage() for record in caplog.records)
        assert "claim=exp" in logged
        for personal in (teacher.name, teacher.email, teacher.sub, teacher.family_name):
            assert personal not in logged
