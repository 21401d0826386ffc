"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

import store.models  # noqa: F401
from store.base import Base
from store.migrate import upgrade
from tests.conftest import ON_POSTGRES


def test_upgrade_from_empty_matches_the_models(tmp_path, _postgres_database_url):
    if ON_POSTGRES:
        url = _postgres_database_url
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
        engine = create_engine(url)
    try:
        upgrade(url)
        upgrade(url)  # a second run is a no-op
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert differences == []
    finally:
        if ON_POSTGRES:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            Base.metadata.create_all(engine)
        engine.dispose()
