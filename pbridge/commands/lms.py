"""`pbridge lms connect|test|list|remove|resync`: the LMSs' own APIs (existing assignments).

Secrets are asked for with a hidden prompt, or read from `PBRIDGE_LMS_SECRET` (a developer
key's or consumer key's secret) and `PBRIDGE_LMS_TOKEN` (a Canvas admin token, a Moodle
web-service token) for scripted set-ups; they are never echoed, printed back or logged.
"""

from __future__ import annotations

import os

import click

from pbridge.errors import SettingsError
from pbridge.runtime import Runtime, open_runtime
from store.lms_credentials import credential_lines, remove_credentials, reset_cursors, save_credentials
from store.platforms import Preset

SECRET_ENV = "PBRIDGE_LMS_SECRET"
TOKEN_ENV = "PBRIDGE_LMS_TOKEN"


def _secret(env: str, prompt: str) -> str:
    found = os.environ.get(env)
    if found:
        return found
    value: str = click.prompt(prompt, hide_input=True)
    return value


def _keyed_runtime() -> Runtime:
    """The runtime, refusing to seal secrets with a key that changes at every start."""
    if not (os.environ.get("PBRIDGE_ENCRYPTION_KEY") or os.environ.get("PBRIDGE_SECRET_KEY")):
        raise SettingsError(
            "set PBRIDGE_ENCRYPTION_KEY (or PBRIDGE_SECRET_KEY) as the tool has it before entering "
            "secrets: without it they would be sealed with a throwaway key and never be readable"
        )
    return open_runtime()


def _save(
    runtime: Runtime,
    platform_id: int,
    kind: Preset,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    token: str | None = None,
    api_url: str = "",
) -> None:
    with runtime.database.begin() as session:
        save_credentials(
            session,
            runtime.secret_box,
            platform_id=platform_id,
            kind=kind,
            client_id=client_id,
            client_secret=client_secret,
            token=token,
            api_base_url=api_url or None,
        )
    click.echo(
        f"Saved the {kind.value} API credentials of platform {platform_id}. "
        f"Check them with `pbridge lms test --platform {platform_id} --course ID`."
    )


@click.group("lms")
def lms() -> None:
    """The LMSs' own APIs: the only way to see a course's existing assignments and scores."""


@lms.group("connect")
def connect() -> None:
    """Enter an LMS's API credentials for a platform registration."""


@connect.command("canvas")
@click.option("--platform", "platform_id", type=int, required=True, help="The Canvas platform's id.")
@click.option("--client-id", default="", help="The Canvas developer API key's id (for teachers' OAuth).")
@click.option("--admin-token", is_flag=True, help="Also enter an admin token for scheduled syncs.")
@click.option("--api-url", default="", help="The Canvas API base, e.g. https://school.instructure.com.")
def connect_canvas(platform_id: int, client_id: str, admin_token: bool, api_url: str) -> None:
    """A developer API key (teachers authorise once) and/or an admin token.

    The developer key's redirect URI must be <tool URL>/lms/canvas/callback.
    """
    if not client_id and not admin_token:
        raise click.UsageError("give --client-id (a developer API key), --admin-token, or both")
    runtime = _keyed_runtime()
    secret = _secret(SECRET_ENV, "Developer key secret") if client_id else None
    token = _secret(TOKEN_ENV, "Admin token") if admin_token else None
    _save(
        runtime,
        platform_id,
        Preset.CANVAS,
        client_id=client_id or None,
        client_secret=secret,
        token=token,
        api_url=api_url,
    )


@connect.command("moodle")
@click.option("--platform", "platform_id", type=int, required=True, help="The Moodle platform's id.")
@click.option("--site-url", default="", help="Moodle's URL when it is not the platform's issuer.")
def connect_moodle(platform_id: int, site_url: str) -> None:
    """A web-service token (REST protocol) of a service allowing the functions in the README."""
    runtime = _keyed_runtime()
    token = _secret(TOKEN_ENV, "Web-service token")
    _save(runtime, platform_id, Preset.MOODLE, token=token, api_url=site_url)


@connect.command("schoology")
@click.option("--platform", "platform_id", type=int, required=True, help="The Schoology platform's id.")
@click.option("--consumer-key", required=True, help="The app's API consumer key.")
@click.option("--api-url", default="", help="Defaults to https://api.schoology.com/v1.")
def connect_schoology(platform_id: int, consumer_key: str, api_url: str) -> None:
    """The app's consumer key and secret (OAuth 1.0a, two-legged)."""
    runtime = _keyed_runtime()
    secret = _secret(SECRET_ENV, "Consumer secret")
    _save(
        runtime, platform_id, Preset.SCHOOLOGY, client_id=consumer_key, client_secret=secret, api_url=api_url
    )


@lms.command("test")
@click.option("--platform", "platform_id", type=int, required=True)
@click.option("--course", "course_id", type=int, default=None, help="Also try reading this course (our id).")
def test_command(platform_id: int, course_id: int | None) -> None:
    """Try the credentials and say exactly what is missing: a scope, a function, a permission."""
    from bridge.jobs import bridge_from_settings
    from bridge.lms_api import check_connection

    runtime = open_runtime()
    bridge = bridge_from_settings(runtime.settings, database=runtime.database)
    checks = check_connection(bridge, platform_id, course_id=course_id)
    for check in checks:
        mark = "ok" if check.ok else ("MISSING" if check.required else "optional")
        click.echo(f"{mark:8} {check.what}: {check.detail}")
    failed = [c for c in checks if c.required and not c.ok]
    if failed:
        missing = "; ".join(c.missing or c.what for c in failed)
        raise click.ClickException(f"{len(failed)} check(s) failed; missing: {missing}")
    if course_id is None:
        click.echo("Add --course ID to also try reading a course's assignments and grades.")


@lms.command("list")
def list_command() -> None:
    """One line per platform with LMS API credentials (secrets are never shown)."""
    runtime = open_runtime()
    with runtime.database.begin() as session:
        lines = credential_lines(session)
    if not lines:
        click.echo("No LMS API credentials. Enter some with `pbridge lms connect canvas|moodle|schoology`.")
    for line in lines.values():
        click.echo("\t".join([f"platform {line.platform_id}", *line.parts()]))


@lms.command("remove")
@click.option("--platform", "platform_id", type=int, required=True)
def remove_command(platform_id: int) -> None:
    """Forget a platform's LMS API credentials and its teachers' Canvas tokens."""
    runtime = open_runtime()
    with runtime.database.begin() as session:
        removed = remove_credentials(session, platform_id)
    click.echo(
        f"Removed the LMS API credentials of platform {platform_id}." if removed else "There were none."
    )


@lms.command("resync")
@click.option("--course", "course_id", type=int, required=True)
def resync_command(course_id: int) -> None:
    """Read every score of a course's aligned LMS assignments again at its next sync (a full sweep)."""
    runtime = open_runtime()
    with runtime.database.begin() as session:
        count = reset_cursors(session, course_id)
    click.echo(f"The next sync of course {course_id} reads all {count} aligned assignment(s) whole.")


commands = [lms]
