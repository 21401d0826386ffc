"""`pbridge keys list|rotate`: the tool's signing keys."""

from __future__ import annotations

import click

from pbridge.runtime import open_runtime
from store.tool_keys import ensure_current_key, list_keys, rotate


@click.group("keys")
def keys() -> None:
    """The tool's RSA signing keys (published at /.well-known/jwks.json)."""


@keys.command("list")
def list_command() -> None:
    runtime = open_runtime()
    with runtime.database.begin() as session:
        ensure_current_key(session, runtime.secret_box)
        for key in list_keys(session):
            click.echo(f"{key.kid}\t{key.status.value}\t{key.created_at:%Y-%m-%d %H:%M} UTC")


@keys.command("rotate")
def rotate_command() -> None:
    """Make a new current key; the old one stays published as previous."""
    runtime = open_runtime()
    with runtime.database.begin() as session:
        ensure_current_key(session, runtime.secret_box)
        fresh = rotate(session, runtime.secret_box)
        click.echo(f"New current key {fresh.kid}; the previous key stays published until the next rotation.")


commands = [keys]
