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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint, insert, select, tuple_, update
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


_FIELDS = (
    WrittenValue.id,
    WrittenValue.kind,
    WrittenValue.target,
    WrittenValue.subject,
    WrittenValue.value,
    WrittenValue.payload_hash,
    WrittenValue.written_at,
    WrittenValue.pending_hash,
    WrittenValue.pending_value,
)


def _entries(session: Session, keys: list[WriteKey]) -> dict[WriteKey, tuple[int, LedgerEntry]]:
    """Row id and entry per key, read as plain rows (one query per chunk, no ORM objects)."""
    found: dict[WriteKey, tuple[int, LedgerEntry]] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        rows = session.execute(
            select(*_FIELDS).where(
                tuple_(WrittenValue.kind, WrittenValue.target, WrittenValue.subject).in_(
                    [(k.kind, k.target, k.subject) for k in chunk]
                )
            )
        )
        for row in rows:
            found[WriteKey(row.kind, row.target, row.subject)] = (row.id, _entry(row))
    return found


def _entry(row: Any) -> LedgerEntry:
    return LedgerEntry(row.value, row.payload_hash, row.written_at, row.pending_hash, row.pending_value)


def ledger(session: Session, keys: Iterable[WriteKey]) -> dict[WriteKey, LedgerEntry]:
    """What is recorded for each key that has a row."""
    return {key: entry for key, (_, entry) in _entries(session, list(dict.fromkeys(keys))).items()}


def ledger_for_target(session: Session, kind: str, target: str) -> dict[WriteKey, LedgerEntry]:
    """Every recorded write to one column (all its subjects)."""
    rows = session.execute(select(*_FIELDS).where(WrittenValue.kind == kind, WrittenValue.target == target))
    return {WriteKey(kind, target, row.subject): _entry(row) for row in rows}


def last_written(session: Session, keys: Iterable[WriteKey]) -> dict[WriteKey, str]:
    """The confirmed hash for each key that has one."""
    return {k: e.payload_hash for k, e in ledger(session, keys).items() if e.payload_hash is not None}


def _store(
    session: Session,
    intents: Iterable[Intent],
    values: Callable[[Intent, LedgerEntry | None], dict[str, Any]],
) -> None:
    """Insert or update one row per intent, in two bulk statements (not a flush per row)."""
    wanted = {intent.key: intent for intent in intents}  # the last intent for a key wins
    existing = _entries(session, list(wanted))
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for key, intent in wanted.items():
        found = existing.get(key)
        if found is None:
            inserts.append(
                {"kind": key.kind, "target": key.target, "subject": key.subject, **values(intent, None)}
            )
        else:
            updates.append({"id": found[0], **values(intent, found[1])})
    if inserts:
        session.execute(insert(WrittenValue), inserts)
    if updates:
        session.execute(update(WrittenValue), updates)


def record_intents(session: Session, intents: Iterable[Intent]) -> None:
    """Note writes about to be sent (commit this before sending them)."""
    now = utcnow()
    _store(
        session,
        intents,
        lambda intent, _entry: {
            "pending_hash": intent.digest,
            "pending_value": intent.value,
            "pending_at": now,
        },
    )


def confirm_writes(session: Session, intents: Iterable[Intent], *, at: datetime | None = None) -> None:
    """The platform accepted these writes: they become the last written values."""
    now = at or utcnow()

    def confirmed(intent: Intent, entry: LedgerEntry | None) -> dict[str, Any]:
        values: dict[str, Any] = {"value": intent.value, "payload_hash": intent.digest, "written_at": now}
        if entry is not None and entry.pending_hash == intent.digest:
            values |= {"pending_hash": None, "pending_value": None, "pending_at": None}
        return values

    _store(session, intents, confirmed)


def drop_intents(session: Session, keys: Iterable[WriteKey]) -> None:
    """Forget intents whose writes the platform refused or that proved not to have landed."""
    found = _entries(session, list(dict.fromkeys(keys)))
    if found:
        session.execute(
            update(WrittenValue),
            [
                {"id": row_id, "pending_hash": None, "pending_value": None, "pending_at": None}
                for row_id, _ in found.values()
            ],
        )


def record_written(session: Session, key: WriteKey, *, value: str | None, digest: str) -> None:
    """Remember one successful write (insert or update) in a single step."""
    confirm_writes(session, [Intent(key, value, digest)])
