"""Applying and checking migrations without an alembic.ini: the URL comes from settings."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from store.database import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database to the newest schema (creates it on first run)."""
    database = Database(url)
    try:
        with database.engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        database.dispose()


def is_current(database: Database) -> bool:
    """Whether the schema exists (migrations have run at least once)."""
    return inspect(database.engine).has_table("alembic_version")


def stamp_head(url: str) -> None:
    """Mark a schema made by `create_all` (tests) as current, without running migrations."""
    command.stamp(alembic_config(url), "head")
