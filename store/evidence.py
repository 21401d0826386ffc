"""Evidence as stored: every observation ever pulled, upserted by its source, never deleted.

A result is identified by (source, source_ref, indicator): pulling the same score again
updates its row instead of adding one, and a changed score changes that row. A result that
disappears at its source, or a student who leaves, is marked, not removed. Each change
returns the standing keys whose inputs changed, which `store.recompute` takes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import (
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    delete,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from mappings.evidence import Evidence, EvidenceStatus, Purpose
from pbridge.errors import ProficiencyBridgeError
from store.base import Base, intpk
from store.driver import session_connection
from store.types import utcnow

#: how many (source, ref) pairs one lookup query names, to stay under parameter limits
_CHUNK = 400


class EvidenceRow(Base):
    __tablename__ = "evidence"
    __table_args__ = (
        UniqueConstraint("source", "source_ref", "indicator_id"),
        Index("ix_evidence_student_indicator", "student_id", "indicator_id"),
        Index("ix_evidence_course", "course_id"),
    )

    id: Mapped[intpk]
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("performance_indicators.id", ondelete="CASCADE"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"), default=None)
    alignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("alignments.id", ondelete="SET NULL"), default=None
    )
    purpose: Mapped[Purpose] = mapped_column(default=Purpose.SUMMATIVE)
    #: None: missing, excused or not yet graded (never a 0)
    level: Mapped[Decimal | None] = mapped_column(Numeric(6, 2), default=None)
    raw_score: Mapped[Decimal | None] = mapped_column(Numeric(12, 4), default=None)
    raw_max: Mapped[Decimal | None] = mapped_column(Numeric(12, 4), default=None)
    #: when the student was assessed (due or submitted), never the grading date
    assessed_at: Mapped[datetime] = mapped_column()
    #: "ags", "canvas", "moodle", "schoology", "oneroster", "csv", "manual"
    source: Mapped[str] = mapped_column(String(40))
    source_ref: Mapped[str] = mapped_column(String(1000))
    attempt: Mapped[int] = mapped_column(default=1)
    replaces_evidence_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence.id", ondelete="SET NULL"), default=None
    )
    excluded: Mapped[bool] = mapped_column(default=False)
    excluded_reason: Mapped[str] = mapped_column(Text, default="")
    excluded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    excluded_at: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[EvidenceStatus] = mapped_column(default=EvidenceStatus.ACTIVE)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def key(self) -> StandingKey:
        return StandingKey(self.student_id, self.indicator_id, self.course_id)

    def to_evidence(self) -> Evidence:
        """The observation as the calculations see it (ref: the row id)."""
        return evidence_of(*(getattr(self, column.key) for column in EVIDENCE_COLUMNS))


#: the columns `evidence_of` takes, in its order: a column select of these gives the same
#: `Evidence` as loading whole rows, for less
EVIDENCE_COLUMNS = (
    EvidenceRow.id,
    EvidenceRow.student_id,
    EvidenceRow.indicator_id,
    EvidenceRow.level,
    EvidenceRow.assessed_at,
    EvidenceRow.purpose,
    EvidenceRow.source,
    EvidenceRow.attempt,
    EvidenceRow.replaces_evidence_id,
    EvidenceRow.raw_score,
    EvidenceRow.raw_max,
    EvidenceRow.excluded,
    EvidenceRow.excluded_reason,
    EvidenceRow.status,
)


def evidence_of(
    evidence_id: int,
    student_id: int,
    indicator_id: int,
    level: Decimal | None,
    assessed_at: datetime,
    purpose: Purpose,
    source: str,
    attempt: int,
    replaces_evidence_id: int | None,
    raw_score: Decimal | None,
    raw_max: Decimal | None,
    excluded: bool,
    excluded_reason: str,
    status: EvidenceStatus,
) -> Evidence:
    """One stored observation as the calculations see it (ref: the row id)."""
    return Evidence(
        ref=str(evidence_id),
        student=str(student_id),
        indicator=str(indicator_id),
        level=None if level is None else Decimal(level).quantize(Decimal("0.01")),
        assessed_at=assessed_at,
        purpose=purpose,
        source=source,
        attempt=attempt,
        replaces=None if replaces_evidence_id is None else str(replaces_evidence_id),
        raw_score=raw_score,
        raw_max=raw_max,
        excluded=excluded,
        excluded_reason=excluded_reason,
        status=status,
        tiebreak=evidence_id,
    )


@dataclass(frozen=True, slots=True, order=True)
class StandingKey:
    """One student on one indicator in one course (course None: evidence from no course)."""

    student_id: int
    indicator_id: int
    course_id: int | None


@dataclass(frozen=True, slots=True)
class Observation:
    """One result as a bridge pulled it, already converted to a level (None: no level)."""

    student_id: int
    indicator_id: int
    course_id: int | None
    source: str
    source_ref: str
    assessed_at: datetime
    level: Decimal | None
    purpose: Purpose = Purpose.SUMMATIVE
    raw_score: Decimal | None = None
    raw_max: Decimal | None = None
    alignment_id: int | None = None
    attempt: int = 1
    #: the source_ref (same source, same indicator) of the attempt this one reassesses
    replaces_source_ref: str | None = None


_COMPARED = (
    "level",
    "raw_score",
    "raw_max",
    "assessed_at",
    "purpose",
    "attempt",
    "course_id",
    "alignment_id",
)


def _check(observation: Observation) -> None:
    where = f"observation {observation.source}:{observation.source_ref}"
    if observation.assessed_at.tzinfo is None:
        raise ProficiencyBridgeError(f"{where}: assessed_at has no time zone")
    level = observation.level
    if level is not None and (not level.is_finite() or level != level.quantize(Decimal("0.01"))):
        raise ProficiencyBridgeError(f"{where}: level {level} must be a number with at most two decimals")
    if observation.attempt < 1:
        raise ProficiencyBridgeError(f"{where}: attempt must be 1 or more")


@dataclass(frozen=True, slots=True)
class _Stored:
    """What recording compares of an observation already stored."""

    id: int
    student_id: int
    course_id: int | None
    status: EvidenceStatus
    replaces_evidence_id: int | None
    compared: tuple[object, ...]  # the `_COMPARED` fields, in order


_TABLE = cast(Table, EvidenceRow.__table__)
#: the statements recording runs, built once (building them cost more than running them):
#: stored observations by source and refs (the unique index's order), and new ones inserted
_FIND = select(
    *(_TABLE.c[name] for name in ("source", "source_ref", "indicator_id", "id", "student_id")),
    *(_TABLE.c[name] for name in ("status", "replaces_evidence_id", *_COMPARED)),
).where(_TABLE.c.source == bindparam("source"), _TABLE.c.source_ref.in_(bindparam("refs", expanding=True)))
_KEY_COLUMNS = (_TABLE.c.source, _TABLE.c.source_ref, _TABLE.c.indicator_id)
_ADD = insert(_TABLE).returning(*_KEY_COLUMNS, _TABLE.c.id)
#: new ones inserted unless already stored (what conflicts is read and compared afterwards)
_ADD_UNLESS_STORED = {
    name: module.insert(_TABLE)
    .on_conflict_do_nothing(index_elements=_KEY_COLUMNS)
    .returning(*_KEY_COLUMNS, _TABLE.c.id)
    for name, module in (("postgresql", postgresql), ("sqlite", sqlite))
}
#: a batch of at most this many is inserted first and read only where it conflicts: one new
#: score is one statement. A larger batch is mostly a sync's re-pull of unchanged results,
#: so it reads first and sends only what is new.
_INSERT_FIRST = 8


def _stored(session: Session, wanted: set[tuple[str, str, int]]) -> dict[tuple[str, str, int], _Stored]:
    """The stored observations of these (source, source_ref, indicator), by that key.

    Read as columns, not as ORM rows: a batch of new or unchanged results never needs the
    objects.
    """
    if not wanted:
        return {}
    connection = session_connection(session)  # the read goes past autoflush
    by_source: dict[str, list[str]] = {}
    for source, ref, _ in sorted(wanted):
        by_source.setdefault(source, []).append(ref)
    found: dict[tuple[str, str, int], _Stored] = {}
    for source, refs in by_source.items():
        distinct = sorted(set(refs))
        for start in range(0, len(distinct), _CHUNK):
            chunk = {"source": source, "refs": distinct[start : start + _CHUNK]}
            for row in connection.execute(_FIND, chunk):
                key = (row[0], row[1], row[2])
                if key in wanted:
                    course_id = row[_COMPARED.index("course_id") + 7]
                    found[key] = _Stored(row[3], row[4], course_id, row[5], row[6], tuple(row[7:]))
    return found


def _insert(
    session: Session, rows: list[dict[str, object]], *, unless_stored: bool = False
) -> dict[tuple[str, str, int], int]:
    """Insert new observations (`unless_stored`: those not stored yet); the ids of the rows
    inserted, by (source, source_ref, indicator)."""
    if not rows:
        return {}
    connection = session.connection()
    statement = _ADD_UNLESS_STORED[connection.dialect.name] if unless_stored else _ADD
    result = connection.execute(statement, rows)
    return {(source, ref, indicator): evidence_id for source, ref, indicator, evidence_id in result}


def _row_of(o: Observation) -> dict[str, object]:
    """A new observation as the insert takes it."""
    return {
        "student_id": o.student_id,
        "indicator_id": o.indicator_id,
        "source": o.source,
        "source_ref": o.source_ref,
        **{field: getattr(o, field) for field in _COMPARED},
    }


def record_observations(session: Session, observations: Sequence[Observation]) -> set[StandingKey]:
    """Upsert evidence by (source, source_ref, indicator); the keys whose inputs changed.

    An unchanged re-pull changes nothing and returns no key. A changed score, date or
    purpose updates the row; a result that had been marked removed becomes active again.
    Observations are checked first: one bad observation refuses the batch, nothing stored.
    New observations are inserted without ORM objects (a small batch before reading what
    is stored, see `_INSERT_FIRST`); a changed one is updated through its ORM object, so a
    copy the session already holds shows the change.
    """
    for observation in observations:
        _check(observation)
    by_key = {(o.source, o.source_ref, o.indicator_id): o for o in observations}
    if len(by_key) != len(observations):
        raise ProficiencyBridgeError("the batch names one (source, source_ref, indicator) twice")
    ids: dict[tuple[str, str, int], int] = {}
    if len(observations) <= _INSERT_FIRST:
        ids = _insert(session, [_row_of(o) for o in observations], unless_stored=True)
    changed = {
        StandingKey(o.student_id, o.indicator_id, o.course_id) for key, o in by_key.items() if key in ids
    }
    stored = _stored(session, by_key.keys() - ids.keys())
    new_rows: list[dict[str, object]] = []
    updates: dict[int, Observation] = {}
    for key, o in by_key.items():
        if key in ids:
            continue
        found = stored.get(key)
        new_key = StandingKey(o.student_id, o.indicator_id, o.course_id)
        if found is None:
            new_rows.append(_row_of(o))
            changed.add(new_key)
            continue
        if found.student_id != o.student_id:
            _forget(session, list(ids.values()))  # the batch stores nothing
            raise ProficiencyBridgeError(
                f"observation {o.source}:{o.source_ref} was recorded for another student; "
                "a source ref names one student's result"
            )
        differs = any(
            _differs(before, getattr(o, f)) for f, before in zip(_COMPARED, found.compared, strict=True)
        )
        if differs or found.status is EvidenceStatus.REMOVED_AT_SOURCE:
            changed.update({StandingKey(found.student_id, o.indicator_id, found.course_id), new_key})
            updates[found.id] = o
    ids.update({key: found.id for key, found in stored.items()})
    ids.update(_insert(session, new_rows))
    _update(session, updates)
    _link_reassessments(session, observations, stored, ids, changed)
    return changed


def _update(session: Session, updates: dict[int, Observation]) -> None:
    """Rewrite changed observations (by evidence id) through their ORM rows."""
    ordered = sorted(updates)
    for start in range(0, len(ordered), _CHUNK):
        for row in session.scalars(
            select(EvidenceRow).where(EvidenceRow.id.in_(ordered[start : start + _CHUNK]))
        ):
            o = updates[row.id]
            for field in _COMPARED:
                setattr(row, field, getattr(o, field))
            row.status = EvidenceStatus.ACTIVE
    session.flush()


def _link_reassessments(
    session: Session,
    observations: Sequence[Observation],
    stored: dict[tuple[str, str, int], _Stored],
    ids: dict[tuple[str, str, int], int],
    changed: set[StandingKey],
) -> None:
    """Point each reassessment at the observation it replaces (same source and indicator)."""
    students = {(o.source, o.source_ref, o.indicator_id): o.student_id for o in observations}
    for o in observations:
        if o.replaces_source_ref is None:
            continue
        target_key = (o.source, o.replaces_source_ref, o.indicator_id)
        target_id, target_student = ids.get(target_key), students.get(target_key)
        if target_id is None:  # not in this batch
            elsewhere = _stored(session, {target_key}).get(target_key)
            if elsewhere is not None:
                target_id, target_student = elsewhere.id, elsewhere.student_id
        if target_id is None or target_student != o.student_id:
            raise ProficiencyBridgeError(
                f"observation {o.source}:{o.source_ref} reassesses {o.replaces_source_ref}, "
                "which is not this student's evidence on this indicator"
            )
        found = stored.get((o.source, o.source_ref, o.indicator_id))
        if found is not None and found.replaces_evidence_id == target_id:
            continue
        row = session.get(EvidenceRow, ids[(o.source, o.source_ref, o.indicator_id)])
        assert row is not None
        if row.replaces_evidence_id != target_id:
            row.replaces_evidence_id = target_id
            changed.add(row.key)
    session.flush()


def _forget(session: Session, evidence_ids: list[int]) -> None:
    """Delete rows this batch inserted before it was refused."""
    if evidence_ids:
        session.connection().execute(delete(_TABLE).where(_TABLE.c.id.in_(evidence_ids)))


def _differs(stored: object, given: object) -> bool:
    if isinstance(stored, Decimal) or isinstance(given, Decimal):
        if stored is None or given is None:
            return stored is not given
        return Decimal(str(stored)) != Decimal(str(given))
    return stored != given


def mark_removed(
    session: Session,
    source: str,
    source_refs: Iterable[str],
    status: EvidenceStatus = EvidenceStatus.REMOVED_AT_SOURCE,
) -> set[StandingKey]:
    """Mark results as removed at their source, or their students as gone; rows are kept.

    Marking `student_left` does not change any standing (what the student showed still
    counts), so it returns no key; `removed_at_source` and back to `active` do.
    """
    refs = sorted(set(source_refs))
    changed: set[StandingKey] = set()
    for start in range(0, len(refs), _CHUNK):
        rows = session.scalars(
            select(EvidenceRow).where(
                EvidenceRow.source == source, EvidenceRow.source_ref.in_(refs[start : start + _CHUNK])
            )
        )
        for row in rows:
            if row.status is status:
                continue
            counts_before = row.status is not EvidenceStatus.REMOVED_AT_SOURCE
            counts_after = status is not EvidenceStatus.REMOVED_AT_SOURCE
            row.status = status
            if counts_before != counts_after:
                changed.add(row.key)
    session.flush()
    return changed


def exclude_evidence(session: Session, evidence_id: int, *, by_user_id: int, reason: str) -> set[StandingKey]:
    """A teacher leaves one observation out, with a reason; it stays in the body of evidence."""
    if not reason.strip():
        raise ProficiencyBridgeError("say why this evidence is excluded: the reason is shown to the student")
    row = _row(session, evidence_id)
    row.excluded = True
    row.excluded_reason = reason.strip()
    row.excluded_by_id = by_user_id
    row.excluded_at = utcnow()
    session.flush()
    return {row.key}


def include_evidence(session: Session, evidence_id: int) -> set[StandingKey]:
    """Undo an exclusion."""
    row = _row(session, evidence_id)
    row.excluded = False
    row.excluded_reason = ""
    row.excluded_by_id = None
    row.excluded_at = None
    session.flush()
    return {row.key}


def link_reassessment(
    session: Session, evidence_id: int, replaces_evidence_id: int | None
) -> set[StandingKey]:
    """Mark one observation as the reassessment of an earlier one (None: unlink)."""
    row = _row(session, evidence_id)
    if replaces_evidence_id is not None:
        target = _row(session, replaces_evidence_id)
        if (target.student_id, target.indicator_id) != (
            row.student_id,
            row.indicator_id,
        ) or target.id == row.id:
            raise ProficiencyBridgeError(
                "a reassessment replaces an earlier observation of the same student on the same indicator"
            )
    row.replaces_evidence_id = replaces_evidence_id
    session.flush()
    return {row.key}


def _row(session: Session, evidence_id: int) -> EvidenceRow:
    row = session.get(EvidenceRow, evidence_id)
    if row is None:
        raise ProficiencyBridgeError(f"no evidence with id {evidence_id}")
    return row


def body_of_evidence(
    session: Session, student_id: int, indicator_id: int, course_id: int | None
) -> list[EvidenceRow]:
    """Every stored observation behind one standing, oldest first (course None: all courses)."""
    query = select(EvidenceRow).where(
        EvidenceRow.student_id == student_id, EvidenceRow.indicator_id == indicator_id
    )
    if course_id is not None:
        query = query.where(EvidenceRow.course_id == course_id)
    query = query.order_by(EvidenceRow.assessed_at, EvidenceRow.attempt, EvidenceRow.id)
    return list(session.scalars(query))
