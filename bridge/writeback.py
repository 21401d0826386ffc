"""Writing standings to the LMS gradebook as the tool's own AGS columns, only what changed.

The tool keeps one column per graduation standard and/or performance indicator
(`tag=proficiency`, `resourceId` = the code) and finds them again by tag and resourceId, so a
teacher who renames a column does not get a second one. A score is sent only when its
payload differs from what the write ledger says was last accepted; "insufficient evidence"
clears a number we wrote before and sends nothing otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.ags import AgsClient, LineItem, NewLineItem, Score
from bridge.context import Bridge
from bridge.outcome import CourseOutcome, Problem
from pbridge.errors import PlatformError, PlatformRejected
from store.course_settings import Writeback
from store.frameworks import GraduationStandard, PerformanceIndicator
from store.people import User
from store.recompute import scale_for_indicator
from store.standings import StandingKind, StandingRow
from store.write_ledger import (
    Intent,
    LedgerEntry,
    WriteKey,
    confirm_writes,
    drop_intents,
    ledger_for_target,
    payload_hash,
    record_intents,
)

TAG = "proficiency"
KIND = "ags_score"
BATCH = 1000
#: statuses that mean "this user cannot get a score here" (Canvas 422 non-student, Moodle 400)
REFUSED_FOR_USER = {400, 422}


@dataclass(frozen=True)
class Column:
    """One gradebook column the tool keeps: a standard or an indicator of this course."""

    code: str
    title: str
    maximum: Decimal
    kind: StandingKind
    target_id: int

    @property
    def label(self) -> str:
        short = self.title if len(self.title) <= 60 else self.title[:57].rstrip() + "…"
        return f"{self.code} {short}"


@dataclass(frozen=True)
class Wanted:
    column: Column
    subject: str  # the platform's user id
    value: Decimal | None
    comment: str

    @property
    def digest(self) -> str:
        return payload_hash(
            {
                "value": None if self.value is None else str(self.value),
                "max": str(self.column.maximum),
                "comment": self.comment,
            }
        )


def _columns_and_wishes(
    session: Session, course_id: int, writeback: Writeback, learners: frozenset[str] | None
) -> tuple[list[Column], list[Wanted]]:
    kinds = []
    if writeback.indicators:
        kinds.append(StandingKind.INDICATOR)
    if writeback.standards:
        kinds.append(StandingKind.STANDARD)
    rows = session.scalars(
        select(StandingRow).where(StandingRow.course_id == course_id, StandingRow.kind.in_(kinds))
    ).all()
    subs = dict(
        session.execute(select(User.id, User.sub).where(User.id.in_({r.student_id for r in rows}))).all()
    )
    columns: dict[tuple[StandingKind, int], Column] = {}
    wishes: list[Wanted] = []
    for row in rows:
        target = row.indicator_id if row.kind is StandingKind.INDICATOR else row.standard_id
        if target is None:
            continue
        key = (row.kind, target)
        if key not in columns:
            columns[key] = _column(session, row.kind, target)
        subject = subs.get(row.student_id)
        if subject is None or (learners is not None and subject not in learners):
            continue
        wishes.append(Wanted(columns[key], subject, row.value, row.summary[:1000]))
    return list(columns.values()), wishes


def _column(session: Session, kind: StandingKind, target_id: int) -> Column:
    if kind is StandingKind.INDICATOR:
        indicator = session.get(PerformanceIndicator, target_id)
        assert indicator is not None
        scale = scale_for_indicator(session, target_id)
        return Column(indicator.code, indicator.title, scale.maximum, kind, target_id)
    standard = session.get(GraduationStandard, target_id)
    assert standard is not None
    first = session.scalar(
        select(PerformanceIndicator.id).where(PerformanceIndicator.framework_id == standard.framework_id)
    )
    maximum = scale_for_indicator(session, first).maximum if first is not None else Decimal(4)
    return Column(standard.code, standard.title, maximum, kind, target_id)


def _ensure_line_items(
    ags: AgsClient, lineitems_url: str, columns: Sequence[Column], outcome: CourseOutcome, *, concurrency: int
) -> dict[str, LineItem]:
    """Our columns by code: found by tag + resourceId, made when missing, maximum kept right."""
    existing: dict[str, LineItem] = {}
    for item in ags.line_items(lineitems_url, tag=TAG):
        if item.tag == TAG and item.resource_id and item.resource_id not in existing:
            existing[item.resource_id] = item
    missing = [c for c in columns if c.code not in existing]

    def create(column: Column) -> tuple[Column, LineItem | PlatformError]:
        try:
            return column, ags.create_line_item(
                lineitems_url, NewLineItem(column.label, column.maximum, column.code, TAG)
            )
        except PlatformError as error:
            return column, error

    if missing:
        with ThreadPoolExecutor(
            max_workers=min(concurrency, len(missing)), thread_name_prefix="ags-create"
        ) as pool:
            for column, made in pool.map(create, missing):
                if isinstance(made, PlatformError):
                    outcome.failed += 1
                    outcome.problems.append(Problem.of(f"column {column.code}", made))
                else:
                    existing[column.code] = made
    for column in columns:
        found = existing.get(column.code)
        if found is not None and found.score_maximum != column.maximum:
            item = found
            # the teacher changed the column's maximum (Moodle then rescales what we post)
            try:
                existing[column.code] = ags.update_line_item(
                    item, label=item.label, score_maximum=column.maximum
                )
                outcome.notices.append(
                    f"Column {column.code} had a maximum of {item.score_maximum} in the LMS; "
                    f"it was set back to {column.maximum} so standings are not rescaled."
                )
            except PlatformError as error:
                outcome.problems.append(Problem.of(f"column {column.code} maximum", error))
    return existing


def push_standings(
    bridge: Bridge,
    ags: AgsClient,
    *,
    course_id: int,
    lineitems_url: str,
    writeback: Writeback,
    learners: frozenset[str] | None,
    outcome: CourseOutcome,
    flavour: str,
) -> None:
    with bridge.database.begin() as session:
        columns, wishes = _columns_and_wishes(session, course_id, writeback, learners)
    if not columns:
        return
    items = _ensure_line_items(ags, lineitems_url, columns, outcome, concurrency=bridge.max_concurrency)

    by_target: dict[str, list[Wanted]] = {}
    for wish in wishes:
        item = items.get(wish.column.code)
        if item is not None:
            by_target.setdefault(item.id, []).append(wish)

    with bridge.database.begin() as session:
        recorded = {target: ledger_for_target(session, KIND, target) for target in by_target}
    _settle_pending(bridge, ags, recorded, outcome)

    sends: list[tuple[str, Wanted, LedgerEntry | None]] = []
    for target, target_wishes in by_target.items():
        entries = recorded[target]
        for wish in target_wishes:
            entry = entries.get(WriteKey(KIND, target, wish.subject))
            if entry is not None and entry.payload_hash == wish.digest:
                outcome.skipped += 1
                continue
            if wish.value is None and (entry is None or entry.value is None):
                outcome.skipped += 1  # nothing shown in the gradebook: nothing to clear
                continue
            sends.append((target, wish, entry))
    for start in range(0, len(sends), BATCH):
        _send_batch(bridge, ags, sends[start : start + BATCH], outcome, flavour)


def _settle_pending(
    bridge: Bridge, ags: AgsClient, recorded: dict[str, dict[WriteKey, LedgerEntry]], outcome: CourseOutcome
) -> None:
    """Writes a killed run sent (or was about to): read back whether they landed."""
    for target, entries in recorded.items():
        pending = {k: e for k, e in entries.items() if e.pending_hash is not None}
        if not pending:
            continue
        try:
            results = {r.user_id: r for r in ags.results(target)}
        except PlatformError as error:
            outcome.problems.append(Problem.of("reading back unconfirmed writes", error))
            continue
        landed: list[Intent] = []
        lost: list[WriteKey] = []
        for key, entry in pending.items():
            result = results.get(key.subject)
            shown = None if result is None or result.score is None else _same(result.score)
            expected = None if entry.pending_value is None else _same(Decimal(entry.pending_value))
            if shown == expected:
                landed.append(Intent(key, entry.pending_value, entry.pending_hash or ""))
            else:
                lost.append(key)
        with bridge.database.begin() as session:
            confirm_writes(session, landed)
            drop_intents(session, lost)
        # what the rest of this run compares against
        for intent in landed:
            entries[intent.key] = LedgerEntry(intent.value, intent.digest, None, None, None)
        for key in lost:
            old = entries[key]
            entries[key] = LedgerEntry(old.value, old.payload_hash, old.written_at, None, None)


def _same(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def _send_batch(
    bridge: Bridge,
    ags: AgsClient,
    batch: Sequence[tuple[str, Wanted, LedgerEntry | None]],
    outcome: CourseOutcome,
    flavour: str,
) -> None:
    intents = [
        Intent(
            WriteKey(KIND, target, wish.subject), None if wish.value is None else str(wish.value), wish.digest
        )
        for target, wish, _ in batch
    ]
    with bridge.database.begin() as session:
        record_intents(session, intents)

    now = datetime.now(UTC)

    def send(index: int) -> tuple[int, datetime, PlatformError | None]:
        target, wish, entry = batch[index]
        stamp = _timestamp(now, entry, whole_seconds=flavour == "moodle")
        try:
            ags.post_score(target, Score(wish.subject, wish.value, wish.column.maximum, stamp, wish.comment))
        except PlatformError as error:
            return index, stamp, error
        return index, stamp, None

    with ThreadPoolExecutor(
        max_workers=max(1, min(bridge.max_concurrency, len(batch))), thread_name_prefix="ags-score"
    ) as pool:
        sent = list(pool.map(send, range(len(batch))))

    done: list[Intent] = []
    refused: list[Intent] = []
    failed: list[WriteKey] = []
    last_stamp = now
    for index, stamp, error in sent:
        last_stamp = max(last_stamp, stamp)
        intent = intents[index]
        if error is None:
            done.append(intent)
            outcome.written += 1
            continue
        outcome.failed += 1
        outcome.problems.append(
            Problem.of(f"the score of user {intent.key.subject} in {batch[index][1].column.code}", error)
        )
        if isinstance(error, PlatformRejected) and error.status in REFUSED_FOR_USER:
            # the LMS will refuse this user again (not a student there): do not retry until it changes
            refused.append(Intent(intent.key, f"refused {error.status}", intent.digest))
        elif isinstance(error, PlatformRejected):
            failed.append(intent.key)
        # PlatformUnavailable (timeouts): the write may have landed; the intent stays for the
        # next run to read back, so it is neither lost nor sent twice
    with bridge.database.begin() as session:
        confirm_writes(session, done, at=last_stamp)
        confirm_writes(session, refused, at=last_stamp)
        drop_intents(session, failed)


def _timestamp(now: datetime, entry: LedgerEntry | None, *, whole_seconds: bool) -> datetime:
    """Strictly after the last score we sent for this user and column.

    Moodle compares whole seconds and refuses an equal one with a 409, so there the new
    timestamp is at least one second after the last.
    """
    if entry is None or entry.written_at is None:
        return now
    gap = timedelta(seconds=1) if whole_seconds else timedelta(milliseconds=1)
    return max(now, entry.written_at + gap)
