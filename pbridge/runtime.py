"""What every CLI command needs: settings, the database (migrated), the secret box."""

from __future__ import annotations

from dataclasses import dataclass

from pbridge.errors import SettingsError
from pbridge.settings import Settings
from store.database import Database
from store.migrate import is_current
from store.secret_box import SecretBox


@dataclass
class Runtime:
    settings: Settings
    database: Database
    secret_box: SecretBox


def open_runtime(settings: Settings | None = None) -> Runtime:
    """Settings from the environment and a database that has been migrated."""
    settings = settings or Settings.from_env()
    database = Database(settings.database_url)
    if not is_current(database):
        database.dispose()
        raise SettingsError(
            f"the database at {_redacted(settings.database_url)} has no tables yet; "
            "run `pbridge db upgrade` first"
        )
    return Runtime(
        settings=settings,
        database=database,
        secret_box=SecretBox.from_settings(settings.encryption_key, settings.secret_key),
    )


def _redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is shown as its scheme only
        return url.split(":", 1)[0] + "://…"
