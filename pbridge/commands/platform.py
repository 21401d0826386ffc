"""`pbridge platform add|list|show|remove|approve`: platform registrations."""

from __future__ import annotations

import click

from config.presets import preset_endpoints
from pbridge.errors import RegistrationError
from pbridge.runtime import open_runtime
from store.platforms import Preset, UnknownDeploymentPolicy
from store.registrations import (
    PlatformDetails,
    add_platform,
    approve_platform,
    get_platform,
    list_platforms,
    remove_platform,
)


@click.group("platform")
def platform() -> None:
    """Platforms (LMSs) the tool is registered with."""


@platform.command("add")
@click.option("--preset", type=click.Choice(["canvas", "moodle", "schoology", "generic"]), default="generic")
@click.option("--name", default="", help="A name admins recognise, e.g. 'District Canvas'.")
@click.option("--site-url", default=None, help="Moodle (or self-hosted Canvas) site URL.")
@click.option("--issuer", default=None)
@click.option("--client-id", required=True)
@click.option("--auth-login-url", default=None)
@click.option("--token-url", "auth_token_url", default=None)
@click.option("--jwks-url", "key_set_url", default=None)
@click.option("--deployment-id", "deployment_ids", multiple=True, help="Repeat for several.")
@click.option(
    "--unknown-deployments",
    type=click.Choice([p.value for p in UnknownDeploymentPolicy]),
    default=None,
    help="What a launch from an unregistered deployment id does (Schoology: pending).",
)
def add(
    preset: str,
    name: str,
    site_url: str | None,
    issuer: str | None,
    client_id: str,
    auth_login_url: str | None,
    auth_token_url: str | None,
    key_set_url: str | None,
    deployment_ids: tuple[str, ...],
    unknown_deployments: str | None,
) -> None:
    """Register a platform; a preset fills the endpoints the LMS is known to use."""
    policy = UnknownDeploymentPolicy.REFUSE
    if preset != "generic":
        try:
            known = preset_endpoints(preset, site_url or issuer)
        except ValueError as error:
            raise RegistrationError(str(error)) from None
        issuer = issuer or known.issuer
        auth_login_url = auth_login_url or known.auth_login_url
        auth_token_url = auth_token_url or known.auth_token_url
        key_set_url = key_set_url or known.key_set_url
        policy = UnknownDeploymentPolicy(known.unknown_deployments)
    if unknown_deployments:
        policy = UnknownDeploymentPolicy(unknown_deployments)
    missing = [
        flag
        for flag, value in (
            ("--issuer", issuer),
            ("--auth-login-url", auth_login_url),
            ("--token-url", auth_token_url),
            ("--jwks-url", key_set_url),
        )
        if not value
    ]
    if missing:
        raise RegistrationError(f"missing {', '.join(missing)} (or use --preset)")
    runtime = open_runtime()
    with runtime.database.begin() as session:
        created = add_platform(
            session,
            PlatformDetails(
                name=name or str(issuer),
                issuer=str(issuer),
                client_id=client_id,
                auth_login_url=str(auth_login_url),
                auth_token_url=str(auth_token_url),
                key_set_url=str(key_set_url),
                preset=Preset(preset),
                unknown_deployments=policy,
            ),
            deployment_ids=deployment_ids,
        )
        click.echo(f"Registered platform {created.id}: {created.issuer} (client_id {created.client_id}).")


@platform.command("list")
def list_command() -> None:
    """One line per registration."""
    runtime = open_runtime()
    with runtime.database.begin() as session:
        rows = list_platforms(session)
        if not rows:
            click.echo("No platform is registered. Add one with `pbridge platform add`.")
        for p in rows:
            deployments = ",".join(d.deployment_id for d in p.deployments) or "-"
            click.echo(
                f"{p.id}\t{p.status.value}\t{p.preset.value}\t{p.issuer}\t{p.client_id}\t{deployments}"
            )


@platform.command("show")
@click.argument("platform_id", type=int)
def show(platform_id: int) -> None:
    """Everything stored about one registration (no secrets are stored for platforms)."""
    runtime = open_runtime()
    with runtime.database.begin() as session:
        p = get_platform(session, platform_id)
        for label, value in (
            ("name", p.name),
            ("preset", p.preset.value),
            ("status", p.status.value),
            ("issuer", p.issuer),
            ("client_id", p.client_id),
            ("auth login URL", p.auth_login_url),
            ("token URL", p.auth_token_url),
            ("JWKS URL", p.key_set_url),
            ("unknown deployments", p.unknown_deployments.value),
            ("source", p.source),
        ):
            click.echo(f"{label:20} {value}")
        for d in p.deployments:
            click.echo(f"{'deployment':20} {d.deployment_id} ({d.status.value})")


@platform.command("approve")
@click.argument("platform_id", type=int)
def approve(platform_id: int) -> None:
    """Activate a registration made by dynamic registration, with its deployments."""
    runtime = open_runtime()
    with runtime.database.begin() as session:
        p = approve_platform(session, platform_id)
        click.echo(f"Platform {p.id} ({p.issuer}) is active.")


@platform.command("remove")
@click.argument("platform_id", type=int)
@click.confirmation_option(prompt="Remove this registration? Launches from it will be refused.")
def remove(platform_id: int) -> None:
    runtime = open_runtime()
    with runtime.database.begin() as session:
        remove_platform(session, platform_id)
    click.echo(f"Removed platform {platform_id}.")


commands = [platform]
