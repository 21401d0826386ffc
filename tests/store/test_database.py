import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

import store.database
from store.people import User
from tests.conftest import ON_POSTGRES


def test_datetimes_come_back_aware_in_utc(database):
    moment = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    with database.begin() as session:
        session.add(User(issuer="https://lms", sub="1", last_launch_at=moment))
    with database.begin() as session:
        user = session.scalars(select(User)).one()
    assert user.last_launch_at == moment
    assert user.last_launch_at.tzinfo is not None


def test_naive_datetimes_are_refused(database):
    with pytest.raises(Exception, match="naive datetime"), database.begin() as session:
        session.add(User(issuer="https://lms", sub="1", last_launch_at=datetime(2026, 3, 1)))
        session.flush()


def test_a_failed_unit_of_work_stores_nothing(database):
    with pytest.raises(RuntimeError), database.begin() as session:
        session.add(User(issuer="https://lms", sub="1"))
        session.flush()
        raise RuntimeError("boom")
    with database.begin() as session:
        assert session.scalars(select(User)).all() == []


def _kill_pooled_connection(database) -> None:
    """End the server side of the one pooled connection, as a restart or an idle timeout does."""
    with database.engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    admin = create_engine(database.url, poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite has no server to lose")
def test_a_connection_killed_while_idle_is_replaced_before_use(database, monkeypatch):
    monkeypatch.setattr(store.database, "PING_AFTER_IDLE", 0.0)
    _kill_pooled_connection(database)
    time.sleep(0.01)
    with database.begin() as session:
        assert session.execute(select(1)).scalar() == 1


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite has no server to lose")
def test_a_connection_killed_just_after_use_fails_one_unit_and_the_next_reconnects(database, monkeypatch):
    monkeypatch.setattr(store.database, "PING_AFTER_IDLE", 60.0)
    _kill_pooled_connection(database)
    with pytest.raises(OperationalError), database.begin() as session:
        session.execute(select(1))
    with database.begin() as session:
        assert session.execute(select(1)).scalar() == 1
