"""The engine and session factory, and their wiring into Flask.

Repositories take a `Session` and never open or commit one: the caller frames the unit of
work (a web request, or one course in a sync) so a failed unit changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
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
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


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
