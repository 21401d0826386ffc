"""Fixtures shared by the whole suite.

`database` gives each test an empty schema: a fresh SQLite file by default, or, when
`DATABASE_URL` names PostgreSQL, one database per test worker (made and dropped here) whose
tables are emptied after every test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pbridge.settings import normalise_database_url
from store.base import Base
from store.database import Database

POSTGRES_URL = normalise_database_url(os.environ.get("DATABASE_URL", ""))
ON_POSTGRES = POSTGRES_URL.startswith("postgresql")


@pytest.fixture(scope="session")
def _postgres_database_url(worker_id: str) -> Iterator[str]:
    if not ON_POSTGRES:
        yield ""
        return
    name = f"pbtest_{worker_id}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    db.create_all()
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(tmp_path, _postgres_database_url: str) -> str:
    """The URL of an empty database for this test."""
    if ON_POSTGRES:
        return _postgres_database_url
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """An empty database with every table, emptied again after the test."""
    db = Database(database_url)
    if ON_POSTGRES:
        _empty_tables(db)
    else:
        db.create_all()
    yield db
    if ON_POSTGRES:
        _empty_tables(db)
    db.dispose()


@pytest.fixture
def db_session(database: Database):
    """A session in a transaction that commits when the test ends without error."""
    with database.begin() as session:
        yield session


def _empty_tables(db: Database) -> None:
    import store.models  # noqa: F401

    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    if names:
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real Redis the suite tests Redis-backed paths against, flushed per test: db 15, less
    the xdist worker's number, so that two workers' tests never share a database (one's flush
    or Celery worker would take the other's keys and tasks)."""
    import redis

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    url = os.environ.get("REDIS_URL_FOR_TESTS", f"redis://127.0.0.1:6379/{15 - int(worker or 0)}")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"Redis does not answer at {url} (CI starts it)")
    return url


@pytest.fixture
def redis_client(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()
