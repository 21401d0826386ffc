"""Evidence read for recomputing: integer columns for the bulk path, and, for a small run
that also explains, the observations themselves.

Rows come ordered by student, indicator, assessed date, attempt and id: grouped by
(student, indicator) and, inside a group, in the order the methods read them. A full read on
PostgreSQL (or a pass of students) streams the table as binary COPY straight into numpy
(every column a non-null 8-byte integer, so each row has the same 136 bytes) and is sorted
here: for 240,000 rows the server's part fell from 0.43 s (an index scan and a sort) to
0.11 s, for 30 ms of numpy. The read's time is bound by the driver taking the rows one
message each (0.3-0.5 s of client CPU for those rows), so this spares the database server,
not the run. Other reads go through the driver's cursor, sorted by the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from typing import Any, cast

import numpy as np
from sqlalchemy import BigInteger, Connection, Table, any_, bindparam, case, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from mappings.bulk import IntArray
from mappings.evidence import Evidence, EvidenceStatus, Purpose
from store.driver import driver_cursor, postgresql_sql, session_connection
from store.evidence import EVIDENCE_COLUMNS, EvidenceRow, evidence_of

_TABLE = cast(Table, EvidenceRow.__table__)
#: (student, indicator) pairs per query, to stay under parameter limits
_CHUNK = 500
_WIDTH = 9
_FETCH_ROWS = 200_000
_PURPOSE_CODE = {Purpose.FORMATIVE: 0, Purpose.SUMMATIVE: 1, Purpose.HABIT_OF_WORK: 2}

#: PostgreSQL binary COPY: signature, flags, header extension length; then per row a field
#: count and, per field, its length and big-endian value; a field count of -1 ends the data
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER = b"\xff\xff"
#: COPY sends two more columns, the sort keys between the group and the id: the assessed
#: time (a timestamp's binary form is its microseconds, an 8-byte integer) and the attempt
_COPY_WIDTH = _WIDTH + 2
_COPY_ROW = np.dtype(
    [("fields", ">i2"), *((f"c{i}", [("size", ">i4"), ("value", ">i8")]) for i in range(_COPY_WIDTH))]
)


@dataclass(slots=True)
class EvidenceColumns:
    """Evidence as ordered integer columns, one entry per observation."""

    id: IntArray
    student: IntArray
    indicator: IntArray
    course: IntArray  # 0: no course
    level: IntArray  # hundredths; -1: no level
    purpose: IntArray  # 0 formative, 1 summative, 2 habit of work
    removed: IntArray  # 1: removed at its source
    excluded: IntArray  # 1: excluded by a teacher
    replaces: IntArray  # the evidence id a reassessment replaces; 0: none

    @classmethod
    def of(cls, table: np.ndarray) -> EvidenceColumns:
        """From an (n, 9) table in the columns' order."""
        return cls(*(np.ascontiguousarray(table[:, i], dtype=np.int64) for i in range(_WIDTH)))


@dataclass(frozen=True, slots=True)
class Observed:
    """One stored observation, for the explained path: its course and what the methods see."""

    course_id: int | None
    evidence: Evidence


def columns_query() -> Any:
    """Every observation as nine bigints in `EvidenceColumns`' order, in the methods' order
    (also what `benchmarks.engine` times the server alone sending)."""
    level = func.round(EvidenceRow.level * 100)
    return select(
        sql_cast(EvidenceRow.id, BigInteger),
        sql_cast(EvidenceRow.student_id, BigInteger),
        sql_cast(EvidenceRow.indicator_id, BigInteger),
        sql_cast(func.coalesce(EvidenceRow.course_id, 0), BigInteger),
        sql_cast(func.coalesce(sql_cast(level, BigInteger), -1), BigInteger),
        sql_cast(
            case(
                (EvidenceRow.purpose == Purpose.SUMMATIVE, 1),
                (EvidenceRow.purpose == Purpose.HABIT_OF_WORK, 2),
                else_=0,
            ),
            BigInteger,
        ),
        sql_cast(case((EvidenceRow.status == EvidenceStatus.REMOVED_AT_SOURCE, 1), else_=0), BigInteger),
        sql_cast(case((EvidenceRow.excluded, 1), else_=0), BigInteger),
        sql_cast(func.coalesce(EvidenceRow.replaces_evidence_id, 0), BigInteger),
    ).order_by(*_ORDER)


_ORDER = (
    EvidenceRow.student_id,
    EvidenceRow.indicator_id,
    EvidenceRow.assessed_at,
    EvidenceRow.attempt,
    EvidenceRow.id,
)


def copy_query(query: Any | None = None) -> Any:
    """`columns_query` (or a narrower one) as the COPY read sends it: unsorted, with the
    sort keys appended (also what `benchmarks.engine` times the server alone sending)."""
    query = columns_query() if query is None else query
    sort_keys = (EvidenceRow.assessed_at, sql_cast(EvidenceRow.attempt, BigInteger))
    return query.order_by(None).add_columns(*sort_keys)


def _empty() -> np.ndarray:
    return np.zeros((0, _WIDTH), dtype=np.int64)


def _fetch(session: Session, query: Any) -> Iterator[np.ndarray]:
    """The query's rows straight off the driver's cursor, in big chunks (plain integers need
    none of SQLAlchemy's per-row processing)."""
    result = session.connection().execute(query)
    cursor = result.cursor
    try:
        while rows := cursor.fetchmany(_FETCH_ROWS):
            yield np.array(rows, dtype=np.int64).reshape(-1, _WIDTH)
    finally:
        result.close()


def _copy_sorted(session: Session, query: Any) -> np.ndarray:
    """The query's rows by PostgreSQL binary COPY, in the methods' order (see the module
    docstring)."""
    chunks = list(_copy_chunks(session, copy_query(query)))
    if not chunks:
        return _empty()
    table = np.concatenate(chunks)
    # the last key sorts first: student, indicator, assessed time, attempt, id
    order = np.lexsort((table[:, 0], table[:, 10], table[:, 9], table[:, 2], table[:, 1]))
    return table[order, :_WIDTH]


def _copy_chunks(session: Session, query: Any) -> Iterator[np.ndarray]:
    """The query's rows by PostgreSQL binary COPY, parsed by numpy as they stream in."""
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    pending = bytearray()
    started = False
    with driver_cursor(connection) as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)") as copy:
        for block in copy:
            pending += block
            if not started:
                if len(pending) < len(_COPY_HEADER):
                    continue
                if bytes(pending[: len(_COPY_HEADER)]) != _COPY_HEADER:
                    raise RuntimeError("unexpected PostgreSQL binary COPY header")
                del pending[: len(_COPY_HEADER)]
                started = True
            if len(pending) >= _FETCH_ROWS * _COPY_ROW.itemsize:
                yield _parse_rows(pending)
    if bytes(pending[-2:]) != _COPY_TRAILER:
        raise RuntimeError("PostgreSQL binary COPY ended without its trailer")
    del pending[-2:]
    yield _parse_rows(pending)
    if pending:
        raise RuntimeError("PostgreSQL binary COPY ended inside a row")


def _parse_rows(pending: bytearray) -> np.ndarray:
    """Parse the whole rows at the start of `pending` and remove them from it."""
    count = len(pending) // _COPY_ROW.itemsize
    rows = np.frombuffer(bytes(pending[: count * _COPY_ROW.itemsize]), dtype=_COPY_ROW)
    del pending[: count * _COPY_ROW.itemsize]
    sizes = (rows[f"c{i}"]["size"] for i in range(_COPY_WIDTH))
    if np.any(rows["fields"] != _COPY_WIDTH) or any(np.any(size != 8) for size in sizes):
        raise RuntimeError("PostgreSQL binary COPY gave a row that is not eleven 8-byte integers")
    table = np.empty((count, _COPY_WIDTH), dtype=np.int64)
    for i in range(_COPY_WIDTH):
        table[:, i] = rows[f"c{i}"]["value"]
    return table


def load_evidence_columns(
    session: Session, pairs: set[tuple[int, int]] | None, *, students: Sequence[int] | None = None
) -> EvidenceColumns:
    """The evidence of these (student, indicator) pairs, else of these students (both None:
    all), as ordered int columns."""
    query = columns_query()
    if pairs is None:
        if students is not None:
            # inline ids (the COPY statement takes no parameters): a pass is a thousand or so
            query = query.where(EvidenceRow.student_id.in_(sorted({int(s) for s in students})))
        if session.connection().dialect.name == "postgresql":
            return EvidenceColumns.of(_copy_sorted(session, query))
        chunks = list(_fetch(session, query))
        return EvidenceColumns.of(np.concatenate(chunks) if chunks else _empty())
    students = sorted({s for s, _ in pairs})
    indicators = sorted({i for _, i in pairs})
    kept: list[np.ndarray] = []
    wanted = np.array(sorted(s * (1 << 32) + i for s, i in pairs), dtype=np.int64)
    for start in range(0, len(students), _CHUNK):
        for chunk in _fetch(
            session,
            query.where(
                EvidenceRow.student_id.in_(students[start : start + _CHUNK]),
                EvidenceRow.indicator_id.in_(indicators),
            ),
        ):
            keep = np.isin(chunk[:, 1] * (1 << 32) + chunk[:, 2], wanted)
            if keep.any():
                kept.append(chunk[keep])
    return EvidenceColumns.of(np.concatenate(kept) if kept else _empty())


#: built once: a one-score update runs it every time, and building it cost more than running it
_OBSERVED_SELECT = select(_TABLE.c.course_id, *(_TABLE.c[c.key] for c in EVIDENCE_COLUMNS)).order_by(
    *(_TABLE.c[c.key] for c in _ORDER)
)
_OBSERVED = _OBSERVED_SELECT.where(
    _TABLE.c.student_id.in_(bindparam("students", expanding=True)),
    _TABLE.c.indicator_id.in_(bindparam("indicators", expanding=True)),
)
#: the same on PostgreSQL's driver (see `store.driver`): two array parameters, and the three
#: conversions SQLAlchemy would make done by `_observed_row`
_OBSERVED_ON_POSTGRESQL = postgresql_sql(
    _OBSERVED_SELECT.where(
        _TABLE.c.student_id == any_(bindparam("students", type_=ARRAY(BigInteger))),
        _TABLE.c.indicator_id == any_(bindparam("indicators", type_=ARRAY(BigInteger))),
    )
)
_NAMES = [c.key for c in EVIDENCE_COLUMNS]
_ASSESSED_AT, _PURPOSE, _STATUS = (_NAMES.index(n) for n in ("assessed_at", "purpose", "status"))
#: by stored value (a dictionary is quicker than calling the enum)
_PURPOSES = {p.value: p for p in Purpose}
_STATUSES = {s.value: s for s in EvidenceStatus}


def load_observed(
    session: Session, pairs: set[tuple[int, int]]
) -> tuple[dict[tuple[int, int], list[Observed]], EvidenceColumns]:
    """The stored observations of these pairs, each pair's in the methods' order, and the
    same as columns: one column read serves both paths."""
    students = sorted({s for s, _ in pairs})
    indicators = sorted({i for _, i in pairs})
    bodies: dict[tuple[int, int], list[Observed]] = defaultdict(list)
    table: list[tuple[int, ...]] = []
    connection = session_connection(session)  # no ORM rows needed
    for start in range(0, len(students), _CHUNK):
        chunk = students[start : start + _CHUNK]
        for course_id, *fields in _observed_rows(connection, chunk, indicators):
            pair = (fields[1], fields[2])
            if pair not in pairs:
                continue
            bodies[pair].append(Observed(course_id, evidence_of(*fields)))
            table.append(_column_row(course_id, fields))
    return dict(bodies), EvidenceColumns.of(np.array(table, dtype=np.int64).reshape(-1, _WIDTH))


def _observed_rows(connection: Connection, students: list[int], indicators: list[int]) -> list[Any]:
    """(course_id, *EVIDENCE_COLUMNS) rows of these students and indicators, as SQLAlchemy
    would give them."""
    parameters = {"students": students, "indicators": indicators}
    if connection.dialect.name != "postgresql":
        return list(connection.execute(_OBSERVED, parameters))
    with driver_cursor(connection) as cursor:
        rows = cursor.execute(_OBSERVED_ON_POSTGRESQL, parameters).fetchall()
    return [_observed_row(row) for row in rows]


def _observed_row(row: tuple[Any, ...]) -> list[Any]:
    """A driver's row with the types the mapped columns give (naive UTC times become aware,
    purposes and statuses their enums)."""
    converted = list(row)
    converted[1 + _ASSESSED_AT] = row[1 + _ASSESSED_AT].replace(tzinfo=UTC)
    converted[1 + _PURPOSE] = _PURPOSES[row[1 + _PURPOSE]]
    converted[1 + _STATUS] = _STATUSES[row[1 + _STATUS]]
    return converted


def _column_row(course_id: int | None, fields: Sequence[Any]) -> tuple[int, ...]:
    """One observation in the columns' layout (see `columns_query`)."""
    (evidence_id, student_id, indicator_id, level, _at, purpose, _source, _attempt) = fields[:8]
    replaces, excluded, status = fields[8], fields[11], fields[13]
    return (
        evidence_id,
        student_id,
        indicator_id,
        course_id or 0,
        -1 if level is None else int((Decimal(level) * 100).to_integral_value()),
        _PURPOSE_CODE[purpose],
        int(status is EvidenceStatus.REMOVED_AT_SOURCE),
        int(excluded),
        replaces or 0,
    )
