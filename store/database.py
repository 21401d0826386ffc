"""The engine and session factory, and their wiring into Flask.

Repositories take a `Session` and never open or commit one: the caller frames the unit of
work (a web request, or one course in a sync) so a failed unit changes nothing.

A pooled PostgreSQL connection is pinged before use only when it has sat idle in the pool
(`PING_AFTER_IDLE`), not on every checkout as `pool_pre_ping` does: that ping is a round trip
per transaction, a tenth of a one-score update. What kills a pooled connection (a server
restart or failover, an idle timeout on the server or a firewall) finds it idle, and the ping
then replaces it before anyone uses it. A connection checked in moments ago was working then;
should it fail anyway, SQLAlchemy's disconnect handling invalidates the whole pool on that
first error, so only the unit already under way fails and the next ones reconnect.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from flask import Flask


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the settings each backend needs (SQLite: WAL, foreign keys, a busy wait)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if parsed.database and parsed.database != ":memory:":
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):  # a caller that asked for a ping on every checkout keeps it
        _ping_when_idle(engine)
    return engine


#: seconds a pooled connection may sit idle before its next checkout pings it
PING_AFTER_IDLE = 2.0
_IDLE_SINCE = "pbridge.idle_since"


def _ping_when_idle(engine: Engine) -> None:
    """Ping a connection on checkout when it has been idle longer than `PING_AFTER_IDLE`
    (see the module docstring); a failed ping makes the pool connect afresh."""

    @event.listens_for(engine, "checkin")
    def _idle_from_now(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since <= PING_AFTER_IDLE:
            return  # just connected, or in use moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError(f"the pooled connection failed its ping: {error}") from error


class Database:
    """One engine and its session factory for the process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def create_all(self) -> None:
        """Create every table from the models (tests); production uses `pbridge db upgrade`."""
        import store.models  # noqa: F401  (registers every table)
        from store.base import Base

        Base.metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def init_app(app: Flask, database: Database) -> None:
    """Give each request one session (`g.db`), committed by the view's service or rolled back."""
    from flask import g

    app.extensions["pbridge.database"] = database

    @app.teardown_appcontext
    def _close_session(exc: BaseException | None) -> None:
        session: Session | None = g.pop("db", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()


def request_session() -> Session:
    """The session of the current request, opened on first use."""
    from flask import current_app, g

    if "db" not in g:
        g.db = current_app.extensions["pbridge.database"].sessions()
    session: Session = g.db
    return session
