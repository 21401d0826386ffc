"""The database driver's own cursor, inside the session's transaction.

Two kinds of statement run here. PostgreSQL's COPY, which SQLAlchemy does not offer. And
the reads every one-score update makes (the change stamps, the pairs' evidence, the stored
standings by key): for them SQLAlchemy's work per statement (an execution context, bound
parameter processing, a result wrapper that asks the driver to describe every column) cost
more client time than the server took to answer. Measured with callgrind, which counts
instructions and so does not change with the machine's load: 11.4 M instructions per
one-score update before, 10.6 M after. Each read stays one SQLAlchemy select, compiled once
to the driver's SQL (`postgresql_sql`); the few values that need a conversion get it where
they are read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ClauseElement

_PSYCOPG = postgresql.dialect()  # type: ignore[no-untyped-call]  # psycopg, the default driver


def postgresql_sql(statement: ClauseElement) -> str:
    """The statement as psycopg takes it, with `%(name)s` parameters: compiled once, at
    import, by the caller."""
    sql = str(statement.compile(dialect=_PSYCOPG))
    if "POSTCOMPILE" in sql:  # an expanding IN needs SQLAlchemy at each execution
        raise ValueError("a statement for the driver takes arrays (= ANY), not an expanding IN")
    return sql


@contextmanager
def driver_cursor(connection: Connection) -> Iterator[Any]:
    """A cursor of the connection's driver (psycopg or sqlite3), closed after the block."""
    driver = connection.connection.driver_connection
    if driver is None:  # a connection SQLAlchemy has already invalidated
        raise RuntimeError("the database connection was closed")
    cursor = driver.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


def session_connection(session: Session) -> Connection:
    """The session's connection, after its pending changes are flushed: a statement on the
    driver's cursor goes past autoflush, and must see them."""
    session.flush()
    return session.connection()
