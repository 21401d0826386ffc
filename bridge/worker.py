"""The Celery app for workers and beat: `celery -A bridge.worker worker` / `celery -A bridge.worker beat`.

Needs `REDIS_URL`; without it syncs run in-process and no worker is needed.
"""

from __future__ import annotations

from bridge.jobs import make_celery
from pbridge.errors import SettingsError
from pbridge.settings import Settings

_settings = Settings.from_env()
if not _settings.redis_url:
    raise SettingsError("Celery workers need REDIS_URL; without it syncs run inside the web process")
app = make_celery(_settings)
