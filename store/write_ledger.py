"""What each bridge last wrote, per target and subject, so an unchanged value is never re-sent.

One table for every kind of write-back (AGS scores, OneRoster results, Canvas rubric
assessments, Moodle competency ratings): the key is (kind, target, subject) and the row
keeps the value, a hash of everything sent, and when. A sync compares before writing, so a
second sync with no new scores makes zero write requests.

Writes are recorded in two steps. Before sending, the intent (`pending_hash`) is committed;
after the platform accepted it, the intent is confirmed. A run killed between the two leaves
the intent behind, and the next run reads that one value back from the platform instead of
sending it again: no lost write, no duplicate.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint, select, tuple_
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, intpk
from store.types import utcnow

_CHUNK = 400


class WrittenValue(Base):
    __tablename__ = "written_values"
    __table_args__ = (UniqueConstraint("kind", "target", "subject"),)

    id: Mapped[intpk]
    #: "ags_score", "oneroster_result", "canvas_outcome", "moodle_competency", ...
    kind: Mapped[str] = mapped_column(String(40))
    #: the column written to: a line item URL, a OneRoster line item sourcedId, ...
    target: Mapped[str] = mapped_column(String(1000))
    #: whose value: the platform's user id, a OneRoster user sourcedId
    subject: Mapped[str] = mapped_column(String(255))
    value: Mapped[str | None] = mapped_column(String(100), default=None)
    payload_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    written_at: Mapped[datetime | None] = mapped_column(default=None)
    #: a write sent (or about to be) but not yet confirmed
    pending_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    pending_value: Mapped[str | None] = mapped_column(String(100), default=None)
    pending_at: Mapped[datetime | None] = mapped_column(default=None)


@dataclass(frozen=True)
class WriteKey:
    kind: str
    target: str
    subject: str


@dataclass(frozen=True)
class LedgerEntry:
    value: str | None
    payload_hash: str | None
    written_at: datetime | None
    pending_hash: str | None
    pending_value: str | None


@dataclass(frozen=True)
class Intent:
    key: WriteKey
    value: str | None
    digest: str


def payload_hash(payload: Any) -> str:
    """A stable hash of what would be sent (leave out what changes every time, e.g. timestamps)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _rows(session: Session, keys: list[WriteKey]) -> dict[WriteKey, WrittenValue]:
    found: dict[WriteKey, WrittenValue] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        rows = session.scalars(
            select(WrittenValue).where(
                tuple_(WrittenValue.kind, WrittenValue.target, WrittenValue.subject).in_(
                    [(k.kind, k.target, k.subject) for k in chunk]
                )
            )
        )
        for row in rows:
            found[WriteKey(row.kind, row.target, row.subject)] = row
    return found


def ledger(session: Session, keys: Iterable[WriteKey]) -> dict[WriteKey, LedgerEntry]:
    """What is recorded for each key that has a row."""
    return {
        key: LedgerEntry(row.value, row.payload_hash, row.written_at, row.pending_hash, row.pending_value)
        for key, row in _rows(session, list(dict.fromkeys(keys))).items()
    }


def ledger_for_target(session: Session, kind: str, target: str) -> dict[WriteKey, LedgerEntry]:
    """Every recorded write to one column (all its subjects)."""
    rows = session.scalars(
        select(WrittenValue).where(WrittenValue.kind == kind, WrittenValue.target == target)
    )
    return {
        WriteKey(r.kind, r.target, r.subject): LedgerEntry(
            r.value, r.payload_hash, r.written_at, r.pending_hash, r.pending_value
        )
        for r in rows
    }


def last_written(session: Session, keys: Iterable[WriteKey]) -> dict[WriteKey, str]:
    """The confirmed hash for each key that has one."""
    return {k: e.payload_hash for k, e in ledger(session, keys).items() if e.payload_hash is not None}


def _rows_for(session: Session, intents: Iterable[Intent]) -> list[tuple[Intent, WrittenValue]]:
    """Each intent with its ledger row, made (and added to the session) where none exists."""
    wanted = list(intents)
    rows = _rows(session, [i.key for i in wanted])
    pairs = []
    for intent in wanted:
        row = rows.get(intent.key)
        if row is None:
            row = WrittenValue(kind=intent.key.kind, target=intent.key.target, subject=intent.key.subject)
            session.add(row)
            rows[intent.key] = row
        pairs.append((intent, row))
    return pairs


def record_intents(session: Session, intents: Iterable[Intent]) -> None:
    """Note writes about to be sent (commit this before sending them)."""
    now = utcnow()
    for intent, row in _rows_for(session, intents):
        row.pending_hash = intent.digest
        row.pending_value = intent.value
        row.pending_at = now
    session.flush()


def confirm_writes(session: Session, intents: Iterable[Intent], *, at: datetime | None = None) -> None:
    """The platform accepted these writes: they become the last written values."""
    now = at or utcnow()
    for intent, row in _rows_for(session, intents):
        row.value = intent.value
        row.payload_hash = intent.digest
        row.written_at = now
        if row.pending_hash == intent.digest:
            row.pending_hash = None
            row.pending_value = None
            row.pending_at = None
    session.flush()


def drop_intents(session: Session, keys: Iterable[WriteKey]) -> None:
    """Forget intents whose writes the platform refused or that proved not to have landed."""
    for row in _rows(session, list(keys)).values():
        row.pending_hash = None
        row.pending_value = None
        row.pending_at = None
    session.flush()


def record_written(session: Session, key: WriteKey, *, value: str | None, digest: str) -> None:
    """Remember one successful write (insert or update) in a single step."""
    confirm_writes(session, [Intent(key, value, digest)])
