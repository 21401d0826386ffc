"""Reading a class's SIS gradebook (1.1 and 1.2) and turning aligned results into evidence.

`read_class_gradebook` returns the line items and results as typed values. Results become
evidence only through an alignment: a teacher tags a OneRoster line item (kind
`oneroster_line_item`, its sourcedId) with indicators, a purpose and a conversion, exactly
like an AGS line item. Each aligned result of a linked student is then one observation per
indicator, recorded with `store.evidence.record_observations`, keyed by the result's
sourcedId so a re-read updates instead of adding. A result the SIS marks `tobedeleted` is
marked removed at source, never deleted. Our own standings line items (our category) are
never read back as evidence.

The date an observation is *assessed* is the line item's due date when it has one, else the
result's score date: OneRoster has no submission date, and the score date is when it was
graded, which must not make an early quiz look recent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.oneroster.client import GRADEBOOK, CollectionQuery, OneRosterClient
from bridge.oneroster.models import LineItem, Result
from bridge.oneroster.records import line_item_row, result_row
from bridge.oneroster.runs import RunRecorder
from bridge.oneroster.standings import CATEGORY_ID
from mappings.evidence import EvidenceStatus
from pbridge.errors import CalculationError, PlatformError, PlatformUnavailable, ProficiencyBridgeError
from store.alignments import Alignment, AlignmentKind
from store.database import Database
from store.evidence import Observation, StandingKey, mark_removed, record_observations
from store.people import Course, User
from store.sis_roster import SisClass, SisUser, upsert_records
from store.types import utcnow

SOURCE = "oneroster"
#: results whose score status means "nothing to convert": shown, never a level
NO_LEVEL_STATUSES = {"exempt", "not submitted", "submitted"}


class GradebookRecordInvalid(ProficiencyBridgeError):
    """A line item or result the SIS sent cannot be read; names which and the member."""


@dataclass(frozen=True)
class ClassGradebook:
    class_sourced_id: str
    line_items: tuple[LineItem, ...]
    results: tuple[Result, ...]


@dataclass(frozen=True)
class ResultObservation:
    """One SIS result as plain values, before any alignment or conversion."""

    class_sourced_id: str
    line_item_sourced_id: str
    line_item_title: str
    student_sourced_id: str
    result_sourced_id: str
    score: Decimal | None
    score_max: Decimal | None
    text_score: str | None
    score_status: str
    assessed_on: date | None
    removed: bool
    learning_objective_ids: tuple[str, ...] = ()


M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], items: Sequence[object], what: str) -> list[M]:
    parsed = []
    for item in items:
        try:
            parsed.append(model.model_validate(item))
        except ValidationError as error:
            first = error.errors()[0]
            sourced_id = item.get("sourcedId", "?") if isinstance(item, dict) else "?"
            raise GradebookRecordInvalid(
                f"{what} {sourced_id!r}: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
            ) from None
    return parsed


def read_class_gradebook(client: OneRosterClient, class_sourced_id: str) -> ClassGradebook:
    """Line items and results of one class, every page, as typed values."""
    queries = [
        CollectionQuery(key="lineItems", path=f"/classes/{class_sourced_id}/lineItems", service=GRADEBOOK),
        CollectionQuery(key="results", path=f"/classes/{class_sourced_id}/results", service=GRADEBOOK),
    ]
    raw: dict[str, list[object]] = {"lineItems": [], "results": []}
    for page in sorted(client.pages(queries), key=lambda p: (p.query.key, p.offset)):
        raw[page.query.key].extend(page.items)
    return ClassGradebook(
        class_sourced_id=class_sourced_id,
        line_items=tuple(_parse(LineItem, raw["lineItems"], "line item")),
        results=tuple(_parse(Result, raw["results"], "result")),
    )


def _decimal(value: float | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def result_observations(gradebook: ClassGradebook, *, include_ours: bool = False) -> list[ResultObservation]:
    """Every result of the class as plain values (our own standings left out by default)."""
    items = {
        item.sourced_id: item
        for item in gradebook.line_items
        if include_ours or item.category is None or item.category.sourced_id != CATEGORY_ID
    }
    observations = []
    for result in gradebook.results:
        item = items.get(result.line_item.sourced_id)
        if item is None:
            continue
        assessed = item.due_date.date() if item.due_date else result.score_date
        objectives = tuple(i for s in item.learning_objective_set or [] for i in s.learning_objective_ids)
        observations.append(
            ResultObservation(
                class_sourced_id=gradebook.class_sourced_id,
                line_item_sourced_id=item.sourced_id,
                line_item_title=item.title,
                student_sourced_id=result.student.sourced_id,
                result_sourced_id=result.sourced_id,
                score=_decimal(result.score),
                score_max=_decimal(item.result_value_max),
                text_score=result.text_score,
                score_status=result.score_status,
                assessed_on=assessed,
                removed=result.status == "tobedeleted" or item.status == "tobedeleted",
                learning_objective_ids=objectives,
            )
        )
    return observations


def store_class_gradebook(
    session: Session, connection_id: int, gradebook: ClassGradebook, *, seen_at: datetime
) -> int:
    """Keep the SIS's line items and results in `sis_line_items` / `sis_results`."""
    upsert_records(
        session, "lineItems", connection_id, [line_item_row(i) for i in gradebook.line_items], seen_at=seen_at
    )
    upsert_records(
        session, "results", connection_id, [result_row(r) for r in gradebook.results], seen_at=seen_at
    )
    return len(gradebook.line_items) + len(gradebook.results)


@dataclass(frozen=True)
class EvidenceReport:
    course_id: int | None
    observations: int = 0
    removed: int = 0
    unaligned: int = 0
    unknown_students: int = 0
    changed: frozenset[StandingKey] = frozenset()
    problems: tuple[str, ...] = field(default_factory=tuple)


def _students(session: Session, connection_id: int, sourced_ids: set[str]) -> dict[str, int]:
    """SIS user sourcedId -> our user id: the linked SIS user, else a user with that lis id."""
    found: dict[str, int] = {}
    wanted = sorted(sourced_ids)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for sourced_id, user_id in session.execute(
            select(SisUser.sourced_id, SisUser.user_id).where(
                SisUser.connection_id == connection_id,
                SisUser.sourced_id.in_(chunk),
                SisUser.user_id.is_not(None),
            )
        ):
            if user_id is not None:
                found[sourced_id] = user_id
        missing = [s for s in chunk if s not in found]
        for lis_id, fallback_id in session.execute(
            select(User.lis_person_sourcedid, User.id)
            .where(User.lis_person_sourcedid.in_(missing))
            .order_by(User.last_launch_at.desc().nulls_last(), User.id.desc())
        ):
            if lis_id is not None:
                found.setdefault(lis_id, fallback_id)
    return found


def record_class_evidence(session: Session, connection_id: int, gradebook: ClassGradebook) -> EvidenceReport:
    """Aligned results of a linked class as evidence; returns the standings whose inputs changed."""
    course_id = session.scalar(
        select(SisClass.course_id).where(
            SisClass.connection_id == connection_id, SisClass.sourced_id == gradebook.class_sourced_id
        )
    ) or session.scalar(
        # a course launched since the last roster sync: match its section sourcedId directly
        select(Course.id)
        .where(Course.lis_course_section_sourcedid == gradebook.class_sourced_id)
        .order_by(Course.last_launch_at.desc().nulls_last(), Course.id.desc())
        .limit(1)
    )
    if course_id is None:
        return EvidenceReport(
            None, problems=(f"class {gradebook.class_sourced_id!r} is not linked to a course",)
        )
    alignments = {
        a.external_id: a
        for a in session.scalars(
            select(Alignment).where(
                Alignment.course_id == course_id,
                Alignment.kind == AlignmentKind.ONEROSTER_LINE_ITEM,
                (Alignment.connection_id == connection_id) | Alignment.connection_id.is_(None),
            )
        )
    }
    results = result_observations(gradebook)
    students = _students(session, connection_id, {r.student_sourced_id for r in results})
    observations: list[Observation] = []
    removed_refs: list[str] = []
    problems: list[str] = []
    unaligned = unknown = 0
    for result in results:
        alignment = alignments.get(result.line_item_sourced_id)
        if alignment is None:
            unaligned += 1
            continue
        student_id = students.get(result.student_sourced_id)
        if student_id is None:
            unknown += 1
            continue
        ref = f"{connection_id}:{result.result_sourced_id}"
        if result.removed:
            removed_refs.append(ref)
            continue
        level = None
        if result.score_status not in NO_LEVEL_STATUSES and (result.score is not None or result.text_score):
            try:
                level = alignment.converter().convert(
                    result.score, result.score_max, rating=result.text_score
                )
            except CalculationError as error:
                problems.append(f"result {result.result_sourced_id!r} on {result.line_item_title!r}: {error}")
                continue
        assessed = result.assessed_on or date.today()
        for indicator in alignment.indicators:
            observations.append(
                Observation(
                    student_id=student_id,
                    indicator_id=indicator.id,
                    course_id=course_id,
                    source=SOURCE,
                    source_ref=ref,
                    assessed_at=datetime(assessed.year, assessed.month, assessed.day, tzinfo=UTC),
                    level=None if level is None else level.quantize(Decimal("0.01")),
                    purpose=alignment.purpose,
                    raw_score=result.score,
                    raw_max=result.score_max,
                    alignment_id=alignment.id,
                )
            )
    changed = record_observations(session, observations)
    if removed_refs:
        changed |= mark_removed(session, SOURCE, removed_refs, EvidenceStatus.REMOVED_AT_SOURCE)
    return EvidenceReport(
        course_id=course_id,
        observations=len(observations),
        removed=len(removed_refs),
        unaligned=unaligned,
        unknown_students=unknown,
        changed=frozenset(changed),
        problems=tuple(problems),
    )


@dataclass(frozen=True)
class GradebookPullReport:
    run_id: int
    classes: tuple[str, ...]
    line_items: int
    results: int
    evidence: tuple[EvidenceReport, ...]
    requests: int


def pull_gradebooks(
    database: Database,
    connection_id: int,
    client: OneRosterClient,
    class_sourced_ids: Sequence[str],
    *,
    trigger: str = "cli",
    now: Callable[[], datetime] = utcnow,
) -> GradebookPullReport:
    """Read classes' gradebooks, keep them, and record aligned results as evidence.

    Each class is a unit: its SIS rows and its evidence commit together or not at all.
    """
    recorder = RunRecorder.start(
        database,
        trigger=trigger,
        scope={"connection": connection_id, "what": "gradebook read"},
        units=list(class_sourced_ids),
    )
    before = client.http.stats.requests
    line_items = results = 0
    evidence: list[EvidenceReport] = []
    stop: PlatformUnavailable | None = None
    for class_id in class_sourced_ids:
        try:
            gradebook = read_class_gradebook(client, class_id)
            with database.begin() as session:
                store_class_gradebook(session, connection_id, gradebook, seen_at=now())
                report = record_class_evidence(session, connection_id, gradebook)
                for problem in report.problems:
                    recorder.error(session, class_id, problem)
                recorder.unit_done(
                    session,
                    class_id,
                    pulled=len(gradebook.results),
                    written=report.observations,
                    skipped=report.unaligned + report.unknown_students,
                )
        except (GradebookRecordInvalid, PlatformError) as error:
            recorder.unit_failed(class_id, str(error), status=getattr(error, "status", None))
            if isinstance(error, PlatformUnavailable):
                stop = error  # the SIS stopped answering: the other classes would fail too
                break
            continue
        line_items += len(gradebook.line_items)
        results += len(gradebook.results)
        evidence.append(report)
    requests = client.http.stats.requests - before
    recorder.finish(requests=requests, stopped_by=stop)
    if stop is not None:
        raise stop
    return GradebookPullReport(
        run_id=recorder.run_id,
        classes=tuple(class_sourced_ids),
        line_items=line_items,
        results=results,
        evidence=tuple(evidence),
        requests=requests,
    )
