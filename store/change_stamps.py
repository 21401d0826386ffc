"""Change stamps: one random token per area, replaced whenever that area's rows change.

Recomputing reads the framework catalogue (indicators, standards, scales), the calculation
policies and which students have an active override on every run, though they change rarely;
a process keeps what it read, keyed by the stamp, and reads again only when the stamp differs
(`store.recompute_inputs`). A stamp is a
fresh random token, not a counter, so a database emptied and refilled (tests truncate tables;
a restore) can never show an old stamp with new rows.

Stamps are replaced in the writer's own transaction, by ORM events on the session: any flush
that adds, changes or deletes a watched row, and any ORM bulk insert, update or delete
statement on a watched table. Writes that bypass the ORM session (raw SQL, `Connection`
statements) must call `replace_stamps` themselves, or a running process keeps stale rows.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Engine, String, Table, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, UOWTransaction, mapped_column

from store.base import Base
from store.driver import driver_cursor, session_connection
from store.frameworks import Framework, GraduationStandard, PerformanceIndicator, ScaleLevel
from store.overrides import StandingOverride
from store.people import Course
from store.policies import CalculationPolicy

CATALOGUE = "catalogue"
POLICIES = "policies"
OVERRIDES = "overrides"

#: rows whose any change replaces a stamp
_WATCHED: dict[type, str] = {
    Framework: CATALOGUE,
    ScaleLevel: CATALOGUE,
    GraduationStandard: CATALOGUE,
    PerformanceIndicator: CATALOGUE,
    CalculationPolicy: POLICIES,
    StandingOverride: OVERRIDES,
}
#: rows whose deletion replaces a stamp (a deleted course takes its policy with it, and
#: SQLite may give its id to the next course)
_WATCHED_DELETES: dict[type, str] = {Course: POLICIES}
_PENDING = "pbridge.change_stamps"


class ChangeStamp(Base):
    __tablename__ = "change_stamps"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    token: Mapped[str] = mapped_column(String(40))


#: every run reads the stamps, on the driver's own cursor (see `store.driver`); the select
#: takes no parameter, so its generic SQL serves both databases
_STAMPS = cast(Table, ChangeStamp.__table__)
_READ = str(select(_STAMPS.c.name, _STAMPS.c.token).compile())


_PRESENT: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def _available(session: Session) -> bool:
    """Whether the database has the stamps table (checked once per engine): a database not
    yet upgraded keeps working, reading afresh every run, and framework saves still work."""
    connection = session.connection()
    present = _PRESENT.get(connection.engine)
    if present is None:
        present = _PRESENT[connection.engine] = inspect(connection).has_table(ChangeStamp.__tablename__)
    return present


def read_stamps(session: Session) -> dict[str, str]:
    """The current stamps by area (an area never changed since the table was made has none)."""
    if not _available(session):
        return {}
    # pending changes replace their stamps first
    with driver_cursor(session_connection(session)) as cursor:
        return {name: token for name, token in cursor.execute(_READ).fetchall()}


def replace_stamps(session: Session, names: Iterable[str]) -> None:
    """Give these areas fresh stamps, in the session's transaction."""
    _write(session, sorted(set(names)), replace=True)


def ensure_stamps(session: Session, names: Iterable[str]) -> None:
    """Give these areas a stamp if they have none (an existing stamp is kept)."""
    _write(session, sorted(set(names)), replace=False)


def _write(session: Session, names: list[str], *, replace: bool) -> None:
    if not names or not _available(session):
        return
    connection = session.connection()
    dialect = connection.dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    for name in names:
        statement = module.insert(ChangeStamp).values(name=name, token=uuid.uuid4().hex)
        if replace:
            statement = statement.on_conflict_do_update(
                index_elements=[ChangeStamp.name], set_={"token": statement.excluded.token}
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=[ChangeStamp.name])
        connection.execute(statement)


def _areas(objects: Iterable[object], watched: dict[type, str]) -> set[str]:
    return {watched[type(o)] for o in objects if type(o) in watched}


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    areas = _areas([*session.new, *session.dirty, *session.deleted], _WATCHED)
    areas |= _areas(session.deleted, _WATCHED_DELETES)
    if areas:
        session.info.setdefault(_PENDING, set()).update(areas)


@event.listens_for(Session, "after_flush")
def _stamp_changes(session: Session, _flush: UOWTransaction) -> None:
    areas = session.info.pop(_PENDING, None)
    if areas:
        replace_stamps(session, areas)


@event.listens_for(Session, "do_orm_execute")
def _stamp_bulk_statements(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is None:
        return
    area = _WATCHED.get(mapper.class_) or (_WATCHED_DELETES.get(mapper.class_) if state.is_delete else None)
    if area is not None:
        replace_stamps(state.session, [area])
