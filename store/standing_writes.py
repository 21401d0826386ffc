"""Writing standings in bulk: new rows inserted and changed rows updated, built from columns.

A recompute writes up to every standing of a district at once, so rows go to the database
without the ORM: on PostgreSQL new rows are loaded with COPY (their ids taken from the
sequence first), a few updates travel as one JSON array to one UPDATE and many go through a
temporary table and one UPDATE; on SQLite the driver runs one prepared statement over all
rows and SQLite numbers new rows itself.
Values are converted the way the columns' SQLAlchemy types convert them, so a row written
here reads back exactly like one written through the ORM.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from operator import itemgetter
from typing import Any, cast

import numpy as np
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection, Dialect, Table, bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from store.driver import driver_cursor
from store.frameworks import GraduationStandard, PerformanceIndicator
from store.people import Course, User
from store.standings import StandingKind, StandingRow, StandingStatus

#: every column but the id, in table order
_TABLE = cast(Table, StandingRow.__table__)
COLUMNS = tuple(c.name for c in _TABLE.columns if c.name != "id")
#: updates at most this many rows with one prepared statement; more go through COPY
_UPDATES_BY_STATEMENT = 500
_KEYS_PER_QUERY = 500


@dataclass(slots=True)
class StandingColumns:
    """Standing rows to write, one list per column (see `COLUMNS`); values in hundredths.

    `params` entries are shared dicts (one per method or rule): each distinct object is
    serialised once.
    """

    key: list[str]
    kind: list[StandingKind]
    student_id: list[int]
    course_id: list[int | None]
    indicator_id: list[int | None]
    standard_id: list[int | None]
    habit: list[bool]
    status: list[StandingStatus]
    value: list[int | None]
    computed_value: list[int | None]
    met: list[bool | None]
    overridden: list[bool]
    method: list[str]
    params: list[dict[str, Any]]
    min_observations: list[int]
    observations: list[int]
    courses: list[int]
    summary: list[str]
    explanation: list[dict[str, Any] | None]
    input_hash: list[str]
    computed_at: datetime

    def __len__(self) -> int:
        return len(self.key)

    def take(self, rows: Sequence[int]) -> StandingColumns:
        """These rows, in this order (all of them in order: the same columns, not a copy)."""
        if len(rows) == len(self) and all(r == i for i, r in enumerate(rows)):
            return self
        if len(rows) < 2:
            return StandingColumns(
                **{name: [getattr(self, name)[r] for r in rows] for name in _LISTS},
                computed_at=self.computed_at,
            )
        pick = itemgetter(*rows)  # one C-level gather per column
        return StandingColumns(
            **{name: list(pick(getattr(self, name))) for name in _LISTS}, computed_at=self.computed_at
        )

    @classmethod
    def concat(cls, parts: Sequence[StandingColumns], computed_at: datetime) -> StandingColumns:
        """One after the other."""
        joined: dict[str, list[Any]] = {name: [] for name in _LISTS}
        for part in parts:
            for name in _LISTS:
                joined[name].extend(getattr(part, name))
        return cls(**joined, computed_at=computed_at)


_LISTS = tuple(f.name for f in fields(StandingColumns) if f.name != "computed_at")


@cache
def _decimal(centi: int) -> Decimal:
    return Decimal(centi).scaleb(-2)


def _serialised(values: Sequence[Any], serialise: Callable[[Any], Any]) -> list[Any]:
    """Each value serialised, shared objects once (params dicts repeat by the thousand)."""
    done: dict[int, Any] = {}
    out: list[Any] = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        found = done.get(id(value))
        if found is None:
            found = done[id(value)] = serialise(value)
        out.append(found)
    return out


@dataclass(frozen=True, slots=True)
class _Statements:
    """What writing needs of one dialect, worked out once: each column's converter, and
    the UPDATE by id with the order its parameters go in."""

    converters: tuple[Callable[[Any], Any] | None, ...]
    update_sql: str
    #: the parameter names in order (positional drivers), or () for named parameters
    update_order: tuple[str, ...]
    insert_sql: str
    insert_order: tuple[str, ...]

    @classmethod
    def of(cls, dialect: Dialect) -> _Statements:
        found = _STATEMENTS.get(dialect)
        if found is None:
            statement = (
                update(_TABLE)
                .where(_TABLE.c.id == bindparam("target_id"))
                .values({name: bindparam(f"new_{name}") for name in COLUMNS})
            )
            compiled = statement.compile(dialect=dialect)
            adding = (
                insert(_TABLE).values({name: bindparam(name) for name in COLUMNS}).compile(dialect=dialect)
            )
            found = _STATEMENTS[dialect] = cls(
                converters=tuple(
                    _TABLE.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in COLUMNS
                ),
                update_sql=str(compiled),
                update_order=tuple(compiled.positiontup or ()),
                insert_sql=str(adding),
                insert_order=tuple(adding.positiontup or COLUMNS),
            )
        return found


_STATEMENTS: weakref.WeakKeyDictionary[Dialect, _Statements] = weakref.WeakKeyDictionary()


def _column_values(rows: StandingColumns, dialect: Dialect) -> list[list[Any]]:
    """The columns as the driver takes them, converted by the columns' own types."""
    out: list[list[Any]] = []
    for name, process in zip(COLUMNS, _Statements.of(dialect).converters, strict=True):
        if name == "computed_at":
            at = rows.computed_at if process is None else process(rows.computed_at)
            out.append([at] * len(rows))
            continue
        values: list[Any] = getattr(rows, name)
        if name in ("value", "computed_value"):
            values = [None if c is None else _decimal(c) for c in values]
        if process is None:
            out.append(list(values))
        elif name in ("params", "explanation"):
            out.append(_serialised(values, process))
        else:  # few distinct values (flags, statuses, levels): convert each once
            converted = {v: process(v) for v in set(values) if v is not None}
            out.append([converted.get(v) for v in values])
    return out


@contextmanager
def inserting_standings(session: Session, rows: StandingColumns) -> Iterator[list[int]]:
    """Insert new standings, giving their ids (in the rows' order) before they are all in.

    On PostgreSQL the rows stream to the server by COPY, which loads them on its own core
    while the caller's block runs, and the block's end waits for the load: a full recompute
    builds its report of changes in that time. The connection is busy until then, so the
    block must not use the session. On SQLite the rows are in before the block starts.
    """
    if not len(rows):
        yield []
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield _sqlite_insert(connection, rows)
        return
    ids = _new_ids(connection, len(rows))
    with _copy(connection, "standings", rows, ids):
        yield ids


@contextmanager
def writing_standings(
    session: Session, ids: Sequence[int], rewritten: StandingColumns, new: StandingColumns
) -> Iterator[list[int]]:
    """Rewrite standings by id and insert new ones, giving the new ones' ids before all is
    written.

    On PostgreSQL the server does its last part of the write (loading the new rows, or, when
    there are none, the one UPDATE of many rewritten ones) while the caller's block runs, and
    the block's end waits for it: a full recompute builds its report of changes in that time.
    The connection is busy until then, so the block must not use the session.
    """
    connection = session.connection()
    if len(new) or len(ids) <= _UPDATES_BY_STATEMENT or connection.dialect.name != "postgresql":
        update_standings(session, ids, rewritten)
        with inserting_standings(session, new) as new_ids:
            yield new_ids
        return
    _expire_loaded(session, ids)
    with _in_background(_copy_update(connection, ids, rewritten)):
        yield []


def update_standings(session: Session, ids: Sequence[int], rows: StandingColumns) -> None:
    """Rewrite these standings (by id) with new values; loaded copies are expired."""
    if not ids:
        return
    _expire_loaded(session, ids)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        if len(ids) > _UPDATES_BY_STATEMENT:
            _copy_update(connection, ids, rows)()
        else:
            _update_from_json(connection, ids, rows)
        return
    statements = _Statements.of(connection.dialect)
    columns = _column_values(rows, connection.dialect)
    if statements.update_order:  # positional parameters (SQLite's "?")
        index = {f"new_{name}": i for i, name in enumerate(COLUMNS)}
        places = [-1 if place == "target_id" else index[place] for place in statements.update_order]
        parameters: list[Any] = [
            tuple(ids[row] if place < 0 else columns[place][row] for place in places)
            for row in range(len(ids))
        ]
    else:
        names = [f"new_{name}" for name in COLUMNS]
        parameters = [
            {"target_id": ids[row], **{names[i]: column[row] for i, column in enumerate(columns)}}
            for row in range(len(ids))
        ]
    connection.exec_driver_sql(statements.update_sql, parameters)


#: one UPDATE for a handful of rows, typed by the table itself: the rows travel as one JSON
#: array that `json_populate_recordset` turns into standings records
_ASSIGNMENTS = ", ".join(f"{name} = u.{name}" for name in COLUMNS)  # our own column names
_JSON_UPDATE = (
    f"UPDATE standings AS s SET {_ASSIGNMENTS} "  # noqa: S608
    "FROM json_populate_recordset(NULL::standings, %s) AS u WHERE s.id = u.id"
)


def _update_from_json(connection: Connection, ids: Sequence[int], rows: StandingColumns) -> None:
    """A few updates as one statement with one parameter: executing a prepared UPDATE per
    row cost a one-score update more client time than everything the server did for it.
    Values go as COPY writes them (the same text the columns' types read)."""
    at = _computed_at_text(rows)
    columns: list[Sequence[Any]] = [ids]
    for name in COLUMNS:
        if name == "computed_at":
            columns.append([at] * len(ids))
        elif (convert := _AS_TEXT.get(name)) is not None:
            columns.append([convert(v) for v in getattr(rows, name)])
        else:
            columns.append(getattr(rows, name))
    names = ("id", *COLUMNS)
    records = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    with driver_cursor(connection) as cursor:
        cursor.execute(_JSON_UPDATE, (json.dumps(records),))


def _expire_loaded(session: Session, ids: Sequence[int]) -> None:
    """Rows this session already holds would otherwise keep showing their old values."""
    if not len(session.identity_map):
        return
    rewritten = set(ids)
    for identity in list(session.identity_map.keys()):
        mapped, primary_key = identity[0], identity[1]
        if mapped is StandingRow and primary_key[0] in rewritten:
            loaded = session.identity_map.get(identity)
            if loaded is not None:
                session.expire(loaded)


def _sqlite_insert(connection: Connection, rows: StandingColumns) -> list[int]:
    """SQLite numbers the rows itself (reading max(id) first would race another writer).

    The first row goes in alone: from then on this transaction holds SQLite's one write
    lock, so every id from the first row's on is one of ours; they are read back by key.
    """
    statements = _Statements.of(connection.dialect)
    columns = _column_values(rows, connection.dialect)
    order = [COLUMNS.index(name) for name in statements.insert_order]
    values = [tuple(row[i] for i in order) for row in zip(*columns, strict=True)]
    sql = statements.insert_sql
    with driver_cursor(connection) as cursor:
        cursor.execute(sql, values[0])
        first = cursor.lastrowid
        cursor.executemany(sql, values[1:])
        found = dict(
            (key, sid) for sid, key in cursor.execute("SELECT id, key FROM standings WHERE id >= ?", (first,))
        )
    if len(found) != len(rows) or any(key not in found for key in rows.key):
        found = _ids_by_key(connection, rows.key)
    return [found[key] for key in rows.key]


def _ids_by_key(connection: Connection, keys: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start : start + _KEYS_PER_QUERY]
        query = select(_TABLE.c.id, _TABLE.c.key).where(_TABLE.c.key.in_(chunk))
        found.update({key: int(sid) for sid, key in connection.execute(query)})
    return found


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_NULL = "\\N"
_COPY_FLAG = {True: "t", False: "f", None: _COPY_NULL}
_KIND_TEXT = {k: k.value for k in StandingKind}
_STATUS_TEXT = {s: s.value for s in StandingStatus}
#: rows per chunk handed to COPY (the server takes one while the next is formatted)
_COPY_CHUNK = 10_000


def _copy_texts(values: Sequence[str]) -> Sequence[str]:
    """Text as COPY's text format takes it: backslash, tab and line ends escaped (a column
    with none of them, the usual case, is checked in one pass)."""
    joined = "".join(values)
    if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
        return [v.translate(_COPY_ESCAPES) for v in values]
    return values


@cache
def _centi_text(centi: int) -> str:
    return str(_decimal(centi))


def _centi_or_none(centi: int | None) -> str | None:
    return None if centi is None else _centi_text(centi)


#: the columns whose values the JSON update sends as COPY writes them
_AS_TEXT: dict[str, Callable[[Any], Any]] = {
    "kind": _KIND_TEXT.__getitem__,
    "status": _STATUS_TEXT.__getitem__,
    "value": _centi_or_none,
    "computed_value": _centi_or_none,
}


def _computed_at_text(rows: StandingColumns) -> str:
    """The rows' stamp as the column stores it: UTC, without a zone."""
    return rows.computed_at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def _copy_chunks(rows: StandingColumns, ids: Sequence[int]) -> Iterator[str]:
    """The rows in COPY's text format, id first, a chunk of lines at a time."""
    null = _COPY_NULL
    flag = _COPY_FLAG
    done: dict[tuple[str, int, int], str] = {}
    rule_text = []  # method, params and minimum: shared by thousands of rows
    for method, params, minimum in zip(rows.method, rows.params, rows.min_observations, strict=True):
        found = done.get((method, id(params), minimum))
        if found is None:
            escaped = (method.translate(_COPY_ESCAPES), json.dumps(params).translate(_COPY_ESCAPES))
            found = done[(method, id(params), minimum)] = f"{escaped[0]}\t{escaped[1]}\t{minimum}"
        rule_text.append(found)
    explanation = [null if e is None else json.dumps(e).translate(_COPY_ESCAPES) for e in rows.explanation]
    at = _computed_at_text(rows)
    columns = (
        ids,
        _copy_texts(rows.key),
        [_KIND_TEXT[k] for k in rows.kind],
        rows.student_id,
        [null if v is None else v for v in rows.course_id],
        [null if v is None else v for v in rows.indicator_id],
        [null if v is None else v for v in rows.standard_id],
        [flag[v] for v in rows.habit],
        [_STATUS_TEXT[v] for v in rows.status],
        [null if v is None else _centi_text(v) for v in rows.value],
        [null if v is None else _centi_text(v) for v in rows.computed_value],
        [flag[v] for v in rows.met],
        [flag[v] for v in rows.overridden],
        rule_text,
        rows.observations,
        rows.courses,
        _copy_texts(rows.summary),
        explanation,
        _copy_texts(rows.input_hash),
    )
    for start in range(0, len(rows), _COPY_CHUNK):
        yield "".join(
            f"{a}\t{b}\t{c}\t{d}\t{e}\t{f}\t{g}\t{h}\t{i}\t{j}\t{k}\t{m}\t{n}\t{o}\t{p}\t{q}\t{r}\t{s}\t{t}\t{at}\n"
            for a, b, c, d, e, f, g, h, i, j, k, m, n, o, p, q, r, s, t in zip(
                *(column[start : start + _COPY_CHUNK] for column in columns), strict=True
            )
        )


@contextmanager
def _copy(connection: Connection, table: str, rows: StandingColumns, ids: Sequence[int]) -> Iterator[None]:
    """COPY the rows in: psycopg's worker thread sends them while the next chunk is
    formatted, and the server loads them until the block ends."""
    statement = f"COPY {table} (id, {', '.join(COLUMNS)}) FROM STDIN"
    with (
        driver_cursor(connection) as cursor,
        cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy,
    ):
        for chunk in _copy_chunks(rows, ids):
            copy.write(chunk)
        yield


def _new_ids(connection: Connection, count: int) -> list[int]:
    """Ids from the sequence up front: safe beside other writers, and known before COPY."""
    with driver_cursor(connection) as cursor:
        # the sequence's name resolved once: per row it costs more than the ids themselves
        cursor.execute("SELECT pg_get_serial_sequence('standings', 'id')")
        (sequence,) = cursor.fetchone() or (None,)
        # one row of packed big-endian ids: a row per id costs more than taking them
        cursor.execute(
            "SELECT string_agg(int8send(nextval(%s::regclass)), ''::bytea) FROM generate_series(1, %s)",
            (sequence, count),
        )
        (packed,) = cursor.fetchone() or (b"",)
    ids: list[int] = np.frombuffer(packed, dtype=">i8").tolist()
    return ids


def _copy_update(connection: Connection, ids: Sequence[int], rows: StandingColumns) -> Callable[[], None]:
    """Many updates: COPY the new rows into a temporary table (here), then one UPDATE ... FROM
    (the statement returned, for the caller to run when it chooses)."""
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE standing_updates (LIKE standings INCLUDING DEFAULTS) ON COMMIT DROP"
    )
    with _copy(connection, "standing_updates", rows, ids):
        pass
    assignments = ", ".join(f"{name} = u.{name}" for name in COLUMNS)  # our own column names
    update = f"UPDATE standings AS s SET {assignments} FROM standing_updates AS u WHERE s.id = u.id"  # noqa: S608

    def run() -> None:  # through SQLAlchemy, whose errors callers catch and retry
        connection.exec_driver_sql(update)
        connection.exec_driver_sql("DROP TABLE standing_updates")

    return run


@contextmanager
def _in_background(statements: Callable[[], None]) -> Iterator[None]:
    """Run the statements on a thread of their own while the block runs, and wait for them
    at its end, even when the block fails: the connection is theirs until then. The thread
    mostly waits for the server, and the driver lets the caller run meanwhile."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            statements()
        except BaseException as error:  # noqa: BLE001 (raised again in the caller's thread)
            failure.append(error)

    worker = threading.Thread(target=run, name="standings-update", daemon=True)
    worker.start()
    try:
        yield
    finally:
        worker.join()
    if failure:
        raise failure[0]


def remove_orphans(session: Session) -> int:
    """Delete standings whose student, course, indicator or standard is gone; how many.

    The table keeps no foreign keys (see `store.standings`), so a deletion made outside the
    product leaves its standings behind until a full recompute calls this. Each test is a
    `NOT IN` over one parent's ids, which both databases answer with one hashed set rather
    than a lookup per standing.
    """
    gone = or_(
        StandingRow.student_id.not_in(select(User.id)),
        StandingRow.course_id.not_in(select(Course.id)),
        StandingRow.indicator_id.not_in(select(PerformanceIndicator.id)),
        StandingRow.standard_id.not_in(select(GraduationStandard.id)),
    )
    removed = session.execute(delete(StandingRow).where(gone).execution_options(synchronize_session="fetch"))
    return int(getattr(removed, "rowcount", 0) or 0)
