"""What each bridge last wrote, per target and subject, so an unchanged value is never re-sent.

One table for every kind of write-back (AGS scores, OneRoster results, Canvas rubric
assessments, Moodle competency ratings): the key is (kind, target, subject) and the row
keeps the value, a hash of everything sent, and when. A sync compares before writing, so a
second sync with no new scores makes zero write requests, and a run killed after a write
but before recording it only re-sends that one idempotent write.
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
    payload_hash: Mapped[str] = mapped_column(String(64))
    written_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class WriteKey:
    kind: str
    target: str
    subject: str


def payload_hash(payload: Any) -> str:
    """A stable hash of what would be sent, leaving out fields that change every time."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def last_written(session: Session, keys: Iterable[WriteKey]) -> dict[WriteKey, str]:
    """The stored hash for each key that has one (one query per 500 keys)."""
    wanted = list(keys)
    found: dict[WriteKey, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = session.execute(
            select(
                WrittenValue.kind,
                WrittenValue.target,
                WrittenValue.subject,
                WrittenValue.payload_hash,
            ).where(
                tuple_(WrittenValue.kind, WrittenValue.target, WrittenValue.subject).in_(
                    [(k.kind, k.target, k.subject) for k in chunk]
                )
            )
        )
        for kind, target, subject, digest in rows:
            found[WriteKey(kind, target, subject)] = digest
    return found


def record_written(session: Session, key: WriteKey, *, value: str | None, digest: str) -> None:
    """Remember a successful write (insert or update)."""
    row = session.scalars(
        select(WrittenValue).where(
            WrittenValue.kind == key.kind,
            WrittenValue.target == key.target,
            WrittenValue.subject == key.subject,
        )
    ).one_or_none()
    if row is None:
        session.add(
            WrittenValue(
                kind=key.kind,
                target=key.target,
                subject=key.subject,
                value=value,
                payload_hash=digest,
            )
        )
    else:
        row.value = value
        row.payload_hash = digest
        row.written_at = utcnow()
