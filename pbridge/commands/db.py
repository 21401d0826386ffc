"""`pbridge db upgrade`: apply the migrations to the database in `DATABASE_URL`."""

from __future__ import annotations

import click

from pbridge.settings import Settings
from store.migrate import upgrade


@click.group("db")
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Migrate to this revision.")
def upgrade_command(revision: str) -> None:
    """Apply migrations (creates the tables on a new database)."""
    settings = Settings.from_env()
    upgrade(settings.database_url, revision)
    click.echo(f"Database is at revision {revision}.")


commands = [db]
