"""Persistence: SQLAlchemy 2 models, repositories and Alembic migrations.

`store/` never imports `lti/` or `bridge/`. Repositories take a `Session` and never commit.
"""

from store.base import Base
from store.database import Database, init_app, request_session

__all__ = ["Base", "Database", "init_app", "request_session"]
