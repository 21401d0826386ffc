"""The district's roster as the SIS reports it: orgs, academic sessions, courses, classes,
users and enrollments, per SIS connection, keyed by sourcedId.

Records are upserted by (connection, sourcedId) in bulk, so a district of 50 000 users syncs
in seconds. A record the SIS marks `tobedeleted` -- or that a full sync or a bulk CSV no
longer carries -- is marked, never dropped: evidence and write-backs may still point at it.

SIS users and classes carry the LTI user and course they are linked to (`user_id`,
`course_id`); `store.sis_links` sets them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, intpk
from store.sis import SisLineItem, SisResult
from store.sis_demographics import SisDemographics
from store.types import utcnow

ACTIVE = "active"
TO_BE_DELETED = "tobedeleted"


class _SisRecord:
    """Columns every roster table shares."""

    id: Mapped[intpk]
    connection_id: Mapped[int] = mapped_column(ForeignKey("sis_connections.id", ondelete="CASCADE"))
    sourced_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)
    date_last_modified: Mapped[datetime | None] = mapped_column(default=None)
    #: when a sync or import last carried the record (absent from a full one: marked)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: when we marked it `tobedeleted` ourselves because a full sync no longer carried it
    marked_absent_at: Mapped[datetime | None] = mapped_column(default=None)


class SisOrg(_SisRecord, Base):
    __tablename__ = "sis_orgs"
    __table_args__ = (UniqueConstraint("connection_id", "sourced_id"),)

    name: Mapped[str] = mapped_column(String(500), default="")
    #: district, school, department, local, state, national
    type: Mapped[str] = mapped_column(String(40), default="")
    identifier: Mapped[str] = mapped_column(String(255), default="")
    parent_sourced_id: Mapped[str | None] = mapped_column(String(255), default=None)


class SisAcademicSession(_SisRecord, Base):
    """A school year, semester, term or grading period."""

    __tablename__ = "sis_academic_sessions"
    __table_args__ = (UniqueConstraint("connection_id", "sourced_id"),)

    title: Mapped[str] = mapped_column(String(500), default="")
    type: Mapped[str] = mapped_column(String(40), default="")
    start_date: Mapped[date | None] = mapped_column(Date, default=None)
    end_date: Mapped[date | None] = mapped_column(Date, default=None)
    parent_sourced_id: Mapped[str | None] = mapped_column(String(255), default=None)
    school_year: Mapped[str] = mapped_column(String(20), default="")


class SisCourse(_SisRecord, Base):
    __tablename__ = "sis_courses"
    __table_args__ = (UniqueConstraint("connection_id", "sourced_id"),)

    title: Mapped[str] = mapped_column(String(500), default="")
    course_code: Mapped[str] = mapped_column(String(255), default="")
    school_year_sourced_id: Mapped[str | None] = mapped_column(String(255), default=None)
    org_sourced_id: Mapped[str | None] = mapped_column(String(255), default=None)
    grades: Mapped[list[Any]] = mapped_column(JSON, default=list)
    subjects: Mapped[list[Any]] = mapped_column(JSON, default=list)


class SisClass(_SisRecord, Base):
    """A section: the unit a teacher teaches and a gradebook belongs to."""

    __tablename__ = "sis_classes"
    __table_args__ = (UniqueConstraint("connection_id", "sourced_id"),)

    title: Mapped[str] = mapped_column(String(500), default="")
    class_code: Mapped[str] = mapped_column(String(255), default="")
    class_type: Mapped[str] = mapped_column(String(40), default="")
    location: Mapped[str] = mapped_column(String(255), default="")
    course_sourced_id: Mapped[str | None] = mapped_column(String(255), default=None)
    school_sourced_id: Mapped[str | None] = mapped_column(String(255), default=None)
    term_sourced_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    grades: Mapped[list[Any]] = mapped_column(JSON, default=list)
    subjects: Mapped[list[Any]] = mapped_column(JSON, default=list)
    periods: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: the LTI course whose `lis_course_section_sourcedid` is this class
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="SET NULL"), default=None, index=True
    )


class SisUser(_SisRecord, Base):
    __tablename__ = "sis_users"
    __table_args__ = (UniqueConstraint("connection_id", "sourced_id"),)

    username: Mapped[str] = mapped_column(String(255), default="")
    given_name: Mapped[str] = mapped_column(String(200), default="")
    family_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    identifier: Mapped[str] = mapped_column(String(255), default="")
    enabled_user: Mapped[bool] = mapped_column(default=True)
    #: the primary role (student, teacher, ...); all roles with their orgs in `roles`
    role: Mapped[str] = mapped_column(String(40), default="")
    roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    org_sourced_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    grades: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: the LTI user whose `lis_person_sourcedid` is this user
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )


class SisEnrollment(_SisRecord, Base):
    __tablename__ = "sis_enrollments"
    __table_args__ = (UniqueConstraint("connection_id", "sourced_id"),)

    class_sourced_id: Mapped[str] = mapped_column(String(255), index=True)
    user_sourced_id: Mapped[str] = mapped_column(String(255), index=True)
    school_sourced_id: Mapped[str | None] = mapped_column(String(255), default=None)
    #: student, teacher, administrator, proctor (or an ext: value)
    role: Mapped[str] = mapped_column(String(40), default="")
    primary: Mapped[bool] = mapped_column(default=False)
    begin_date: Mapped[date | None] = mapped_column(Date, default=None)
    end_date: Mapped[date | None] = mapped_column(Date, default=None)


#: roster collections by their OneRoster name, in the order a sync writes them
ROSTER_TABLES: dict[str, type[Base]] = {
    "orgs": SisOrg,
    "academicSessions": SisAcademicSession,
    "courses": SisCourse,
    "classes": SisClass,
    "users": SisUser,
    "enrollments": SisEnrollment,
    "demographics": SisDemographics,
}

#: every table keyed by (connection, sourcedId) that `upsert_records` can write
RECORD_TABLES: dict[str, type[Base]] = {
    **ROSTER_TABLES,
    "lineItems": SisLineItem,
    "results": SisResult,
}

#: columns the sync never writes (ours, not the SIS's)
_OWN_COLUMNS = {"id", "connection_id", "sourced_id", "course_id", "user_id", "marked_absent_at"}


def record_columns(collection: str) -> tuple[str, ...]:
    """The columns a record of `collection` carries (besides connection and sourcedId)."""
    table = _table(collection)
    return tuple(c.name for c in table.columns if c.name not in _OWN_COLUMNS)


def _table(collection: str) -> Table:
    try:
        model = RECORD_TABLES[collection]
    except KeyError:
        raise ValueError(f"unknown OneRoster collection {collection!r}") from None
    table: Table = model.__table__  # type: ignore[assignment]
    return table


def upsert_records(
    session: Session,
    collection: str,
    connection_id: int,
    records: Sequence[Mapping[str, Any]],
    *,
    seen_at: datetime,
) -> int:
    """Insert or update records by sourcedId in one statement per batch; returns the count.

    Each record maps column names (see `record_columns`) to values and must carry
    `sourced_id`. A column a record leaves out keeps its stored value (a new record gets
    the column's default): a OneRoster 1.2 CSV without roles.csv does not wipe users'
    roles. Marks nothing absent: a delta carries only what changed. Re-activates a record
    we had marked absent when it comes back.
    """
    groups: dict[frozenset[str], list[Mapping[str, Any]]] = {}
    for record in records:
        groups.setdefault(frozenset(record), []).append(record)
    for group in groups.values():
        _upsert_group(session, collection, connection_id, group, seen_at=seen_at)
    return len(records)


def _upsert_group(
    session: Session,
    collection: str,
    connection_id: int,
    records: Sequence[Mapping[str, Any]],
    *,
    seen_at: datetime,
) -> None:
    """Upsert records that all carry the same columns (one executemany)."""
    table = _table(collection)
    given = [c for c in record_columns(collection) if c in records[0] and c != "seen_at"]
    tracks_absence = "marked_absent_at" in table.c
    rows = []
    for record in records:
        row = {name: record[name] for name in given}
        row["connection_id"] = connection_id
        row["sourced_id"] = record["sourced_id"]
        row["seen_at"] = seen_at
        if tracks_absence:
            row["marked_absent_at"] = None
        rows.append(row)
    for column in table.columns:  # new records need the defaults of what is left out
        if column.name in rows[0] or column.name == "id":
            continue
        if isinstance(column.type, JSON):
            default: Any = []
        elif column.default is not None and not callable(column.default.arg):  # type: ignore[attr-defined]
            default = column.default.arg  # type: ignore[attr-defined]
        else:
            continue
        for row in rows:
            row[column.name] = default
    dialect = session.get_bind().dialect
    names, sql, processors = _compiled_upsert(dialect, collection, tuple(rows[0]), tuple(given))
    # bind values are converted by the columns' own processors (JSON, UTC datetimes...), the
    # same ones SQLAlchemy would use, in one tight loop: rosters upsert 100 000s of rows
    constant = {"connection_id": connection_id, "seen_at": seen_at, "marked_absent_at": None}
    fixed = {
        name: (convert(constant[name]) if convert else constant[name])
        for name, convert in zip(names, processors, strict=True)
        if name in constant
    }
    varying = [(i, n, c) for i, (n, c) in enumerate(zip(names, processors, strict=True)) if n not in constant]
    template = [fixed.get(name) for name in names]
    params: list[Any] = []
    for row in rows:
        values = template.copy()
        for index, name, convert in varying:
            value = row[name]
            values[index] = convert(value) if convert else value
        params.append(tuple(values))
    if not _is_positional(dialect):
        params = [dict(zip(names, values, strict=True)) for values in params]
    session.connection().exec_driver_sql(sql, params)


def _is_positional(dialect: Any) -> bool:
    return dialect.paramstyle in {"qmark", "numeric", "format"}


_COMPILED: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], tuple[list[str], str, list[Any]]] = {}


def _compiled_upsert(
    dialect: Any, collection: str, columns: tuple[str, ...], given: tuple[str, ...]
) -> tuple[list[str], str, list[Any]]:
    """The upsert's SQL for these columns, its parameter order and each value's converter."""
    key = (dialect.name, collection, columns, given)
    if key in _COMPILED:
        return _COMPILED[key]
    table = _table(collection)
    from sqlalchemy.dialects import postgresql, sqlite

    statement: Any = (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(table)
    tracks_absence = "marked_absent_at" in table.c
    updated = [*given, "seen_at"] + (["marked_absent_at"] if tracks_absence else [])
    statement = statement.on_conflict_do_update(
        index_elements=["connection_id", "sourced_id"],
        set_={name: statement.excluded[name] for name in updated},
    )
    compiled = statement.compile(dialect=dialect, column_keys=list(columns))
    names = list(compiled.positiontup) if compiled.positional and compiled.positiontup else list(columns)
    processors = []
    for name in names:
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processor = _remembered(processor, by_text=isinstance(table.c[name].type, JSON))
        processors.append(processor)
    _COMPILED[key] = (names, compiled.string, processors)
    return _COMPILED[key]


def _remembered(processor: Any, *, by_text: bool) -> Any:
    """Values repeat (grades, a school's roles, a sync's timestamps): convert each once.

    JSON values are lists and dicts, keyed by their repr; the others are hashable.
    """
    seen: dict[Any, Any] = {}

    def process(value: Any) -> Any:
        key = repr(value) if by_text else value
        try:
            return seen[key]
        except KeyError:
            if len(seen) > 50_000:
                seen.clear()
            seen[key] = converted = processor(value)
            return converted

    return process


def mark_absent(session: Session, collection: str, connection_id: int, *, seen_before: datetime) -> int:
    """Mark `tobedeleted` every active record a full sync or bulk file did not carry.

    Call after a *complete* pull of the collection (a full sync, a bulk CSV file) that
    upserted with `seen_at=seen_before`; returns how many were marked.
    """
    table = _table(collection)
    values: dict[str, Any] = {"status": TO_BE_DELETED}
    if "marked_absent_at" in table.c:
        values["marked_absent_at"] = utcnow()
    result = session.execute(
        update(table)
        .where(
            table.c.connection_id == connection_id,
            table.c.seen_at < seen_before,
            table.c.status == ACTIVE,
        )
        .values(**values)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def existing_sourced_ids(session: Session, collection: str, connection_id: int) -> set[str]:
    """Every sourcedId stored for a collection (reference checks of CSV imports)."""
    table = _table(collection)
    return set(session.scalars(select(table.c.sourced_id).where(table.c.connection_id == connection_id)))


def count_records(session: Session, collection: str, connection_id: int, *, status: str | None = None) -> int:
    table = _table(collection)
    query = select(func.count()).select_from(table).where(table.c.connection_id == connection_id)
    if status is not None:
        query = query.where(table.c.status == status)
    return int(session.scalar(query) or 0)


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassContext:
    """What a gradebook write-back needs to know about a class besides its sourcedId."""

    class_sourced_id: str
    school_sourced_id: str | None
    term_sourced_id: str | None
    term_start: date | None
    term_end: date | None


def class_contexts(
    session: Session, connection_id: int, class_sourced_ids: Iterable[str]
) -> dict[str, ClassContext]:
    """School and first term (with its dates) of each class the roster knows."""
    wanted = sorted(set(class_sourced_ids))
    found: dict[str, ClassContext] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        classes = session.scalars(
            select(SisClass).where(SisClass.connection_id == connection_id, SisClass.sourced_id.in_(chunk))
        ).all()
        term_ids = {c.term_sourced_ids[0] for c in classes if c.term_sourced_ids}
        terms = {
            t.sourced_id: t
            for t in session.scalars(
                select(SisAcademicSession).where(
                    SisAcademicSession.connection_id == connection_id,
                    SisAcademicSession.sourced_id.in_(sorted(term_ids)),
                )
            )
        }
        for klass in classes:
            term_id = klass.term_sourced_ids[0] if klass.term_sourced_ids else None
            term = terms.get(term_id) if term_id else None
            found[klass.sourced_id] = ClassContext(
                class_sourced_id=klass.sourced_id,
                school_sourced_id=klass.school_sourced_id,
                term_sourced_id=term_id,
                term_start=term.start_date if term else None,
                term_end=term.end_date if term else None,
            )
    return found


def find_record(session: Session, collection: str, connection_id: int, sourced_id: str) -> Any | None:
    """One stored record by sourcedId (the ORM object), or None."""
    model = RECORD_TABLES[collection]
    return session.scalars(
        select(model)
        .where(
            model.connection_id == connection_id,  # type: ignore[attr-defined]
            model.sourced_id == sourced_id,  # type: ignore[attr-defined]
        )
        # bulk upserts bypass the identity map: always read what the table holds
        .execution_options(populate_existing=True)
    ).one_or_none()


def enrollments_of_class(
    session: Session, connection_id: int, class_sourced_id: str, *, role: str | None = None
) -> Sequence[SisEnrollment]:
    query = select(SisEnrollment).where(
        SisEnrollment.connection_id == connection_id,
        SisEnrollment.class_sourced_id == class_sourced_id,
    )
    if role is not None:
        query = query.where(SisEnrollment.role == role)
    return session.scalars(query.order_by(SisEnrollment.user_sourced_id)).all()
