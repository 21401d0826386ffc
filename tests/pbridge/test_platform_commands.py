"""`pbridge platform ...`, `pbridge keys ...` and `pbridge db upgrade` from a terminal."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pbridge.cli import main


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("PBRIDGE_SECRET_KEY", "cli-secret-key-that-is-long-enough")
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args))

    return run


def test_commands_before_the_schema_exists_say_what_to_do(cli):
    result = cli("platform", "list")
    assert result.exit_code == 1
    assert "run `pbridge db upgrade` first" in result.output


def test_register_canvas_by_preset_then_list_and_show(cli):
    assert cli("db", "upgrade").exit_code == 0
    added = cli(
        "platform", "add", "--preset", "canvas", "--client-id", "10000000000123", "--deployment-id", "42:abc"
    )
    assert added.exit_code == 0, added.output
    assert "Registered platform 1" in added.output
    listing = cli("platform", "list").output
    assert "https://canvas.instructure.com" in listing and "10000000000123" in listing and "42:abc" in listing
    shown = cli("platform", "show", "1").output
    assert "https://sso.canvaslms.com/api/lti/authorize_redirect" in shown
    assert "https://sso.canvaslms.com/api/lti/security/jwks" in shown


def test_moodle_preset_needs_the_site_and_builds_its_endpoints(cli):
    cli("db", "upgrade")
    refused = cli("platform", "add", "--preset", "moodle", "--client-id", "abc")
    assert refused.exit_code == 1
    assert "site URL" in refused.output
    added = cli(
        "platform",
        "add",
        "--preset",
        "moodle",
        "--site-url",
        "https://moodle.school.test",
        "--client-id",
        "abc",
    )
    assert added.exit_code == 0
    assert "https://moodle.school.test/mod/lti/token.php" in cli("platform", "show", "1").output


def test_schoology_records_unknown_deployments_for_approval(cli):
    cli("db", "upgrade")
    cli("platform", "add", "--preset", "schoology", "--client-id", "shared-app")
    assert "pending" in cli("platform", "show", "1").output


def test_a_second_registration_of_the_same_client_is_refused(cli):
    cli("db", "upgrade")
    args = ("platform", "add", "--preset", "canvas", "--client-id", "7")
    assert cli(*args).exit_code == 0
    again = cli(*args)
    assert again.exit_code == 1
    assert "already registered" in again.output


def test_a_generic_registration_needs_every_endpoint(cli):
    cli("db", "upgrade")
    result = cli("platform", "add", "--client-id", "x", "--issuer", "https://lms.example")
    assert result.exit_code == 1
    assert "--auth-login-url" in result.output


def test_keys_rotate_keeps_the_previous_key(cli):
    cli("db", "upgrade")
    first = cli("keys", "list").output.split()[0]
    rotated = cli("keys", "rotate")
    assert rotated.exit_code == 0
    listing = cli("keys", "list").output
    assert f"{first}\tprevious" in listing
    assert "current" in listing


def test_an_unknown_platform_is_one_clear_line(cli):
    cli("db", "upgrade")
    result = cli("platform", "show", "99")
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: there is no platform 99")
    assert "Traceback" not in result.output
