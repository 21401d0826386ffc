"""The stored standings a recompute compares with and rolls up from, read as plain columns.

A district-wide run reads every standing; a small run only those it needs, by key (one array
parameter on PostgreSQL, on the driver's own cursor: see `store.driver`). The rows skip
SQLAlchemy's per-row processing: values come back in hundredths, statuses as their enum.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Integer, Select, String, Table, any_, bindparam, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from store.driver import driver_cursor, postgresql_sql
from store.standings import StandingRow, StandingStatus

_TABLE = cast(Table, StandingRow.__table__)
#: keys or students per query elsewhere than PostgreSQL, to stay under parameter limits
_PER_QUERY = 500
_STATUS = {s.value: s for s in StandingStatus}


@dataclass(slots=True)
class StoredStandings:
    """Stored standings by key: what a recompute compares with, and rolls up from."""

    index: dict[str, int] = field(default_factory=dict)
    id: list[int] = field(default_factory=list)
    value: list[int | None] = field(default_factory=list)  # hundredths
    status: list[StandingStatus] = field(default_factory=list)
    met: list[bool | None] = field(default_factory=list)
    input_hash: list[str] = field(default_factory=list)
    observations: list[int] = field(default_factory=list)
    courses: list[int] = field(default_factory=list)


#: built once: a one-score update runs one of these every time, and building it cost more
#: than running it
_ALL = select(
    _TABLE.c.id,
    _TABLE.c.key,
    _TABLE.c.value * literal_column("100", Integer),  # inline: the driver's SQL takes no other parameter
    _TABLE.c.status,
    _TABLE.c.met,
    _TABLE.c.input_hash,
    _TABLE.c.observations,
    _TABLE.c.courses,
)
#: by key: one array parameter on PostgreSQL's driver, batches elsewhere
_BY_KEY_ARRAY = postgresql_sql(_ALL.where(_TABLE.c.key == any_(bindparam("keys", type_=ARRAY(String)))))
_BY_KEY = _ALL.where(_TABLE.c.key.in_(bindparam("keys", expanding=True)))
_BY_STUDENT = _ALL.where(_TABLE.c.student_id.in_(bindparam("students", expanding=True)))


def load_stored(
    session: Session, *, keys: Sequence[str] | None, students: Iterable[int] | None
) -> StoredStandings:
    """The stored standings with these keys, else of these students (both None: all)."""
    connection = session.connection()
    stored = StoredStandings()
    if keys is not None and connection.dialect.name == "postgresql":
        with driver_cursor(connection) as cursor:
            _add(stored, cursor.execute(_BY_KEY_ARRAY, {"keys": list(keys)}).fetchall())
        return stored
    batches: list[tuple[Select[Any], dict[str, Any]]]
    if keys is not None:
        batches = [(_BY_KEY, {"keys": keys[k : k + _PER_QUERY]}) for k in range(0, len(keys), _PER_QUERY)]
    elif students is not None:
        ordered = sorted(set(students))
        chunks = [ordered[k : k + _PER_QUERY] for k in range(0, len(ordered), _PER_QUERY)]
        batches = [(_BY_STUDENT, {"students": chunk}) for chunk in chunks]
    else:
        batches = [(_ALL, {})]
    for batch, parameters in batches:
        result = connection.execute(batch, parameters)
        rows = result.cursor.fetchall()  # plain values: none of SQLAlchemy's per-row processing
        result.close()
        _add(stored, rows)
    return stored


def _add(stored: StoredStandings, rows: Sequence[Sequence[Any]]) -> None:
    """Append rows of (id, key, value in hundredths, status, met, digest, observations, courses)."""
    for sid, key, value, status, met, digest, observations, courses in rows:
        stored.index[key] = len(stored.id)
        stored.id.append(int(sid))
        stored.value.append(None if value is None else round(value))
        stored.status.append(_STATUS[status])
        stored.met.append(None if met is None else bool(met))
        stored.input_hash.append(digest)
        stored.observations.append(int(observations))
        stored.courses.append(int(courses))
