"""Standings as OneRoster gradebook records: the plain input, stable ids, and 1.2 / 1.1 payloads.

The input is a list of `StandingResult` values (one student's standing on one graduation
standard, or one indicator, in one class). Each (class, standard[, indicator]) becomes a line
item, each (line item, student) a result, with sourcedIds derived from them (uuid5): the same
standing always lands on the same records, so a write-back that is run twice -- or resumed
after a crash -- updates instead of duplicating, in REST as in CSV.

1.2 payloads carry the `learningObjectiveSet` (source `case` with the CASE UUID, or `unknown`
with our code when the framework has no CASE ids), `scoreStatus` "fully graded", `scoreDate`
as a date and the booleans as the strings "true"/"false"; 1.1 payloads carry what 1.1 has.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from bridge.oneroster.models import (
    Category,
    GuidRef,
    LearningObjectiveResult,
    LearningObjectiveScoreSet,
    LearningObjectiveSet,
    LineItem,
    Result,
)
from pbridge.errors import ProficiencyBridgeError
from store.sis import SisVersion
from store.sis_roster import ClassContext

#: our namespace for derived sourcedIds; never change it, or every write-back duplicates
NAMESPACE = uuid.UUID("e6214299-a88e-5324-b732-2d530f87174a")
CATEGORY_ID = str(uuid.uuid5(NAMESPACE, "category|proficiency-standings"))
CATEGORY_TITLE = "Proficiency standings"


class StandingsInvalid(ProficiencyBridgeError):
    """A standing cannot be written as given; names which one and what to fix."""


@dataclass(frozen=True)
class StandingResult:
    """One student's standing to write to the SIS gradebook.

    `indicator_code` None: a standing on the graduation standard; otherwise on that
    indicator (its own line item). `value` None: no standing (yet) -- a result written earlier
    is cleared, nothing new is written. `case_uuid` is the CASE identifier of the standard or
    indicator when the framework has one.
    """

    class_sourced_id: str
    student_sourced_id: str
    standard_code: str
    standard_title: str
    indicator_code: str | None
    value: Decimal | None
    case_uuid: str | None
    assessed_on: date
    comment: str = ""
    indicator_title: str = ""


@dataclass(frozen=True)
class PlannedLineItem:
    sourced_id: str
    class_sourced_id: str
    title: str
    description: str
    objective_source: str
    objective_id: str
    first_assessed: date


@dataclass(frozen=True)
class PlannedResult:
    sourced_id: str
    line_item: PlannedLineItem
    student_sourced_id: str
    value: Decimal | None
    assessed_on: date
    comment: str


@dataclass(frozen=True)
class Plan:
    line_items: tuple[PlannedLineItem, ...]
    results: tuple[PlannedResult, ...]
    classes: tuple[str, ...] = field(default_factory=tuple)


def line_item_id(class_sourced_id: str, standard_code: str, indicator_code: str | None) -> str:
    return str(uuid.uuid5(NAMESPACE, f"line-item|{class_sourced_id}|{standard_code}|{indicator_code or ''}"))


def result_id(line_item_sourced_id: str, student_sourced_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"result|{line_item_sourced_id}|{student_sourced_id}"))


def _where(standing: StandingResult, index: int) -> str:
    return (
        f"standing {index + 1} (class {standing.class_sourced_id!r}, student "
        f"{standing.student_sourced_id!r}, {standing.indicator_code or standing.standard_code!r})"
    )


def _check(standing: StandingResult, index: int, scale: tuple[Decimal, Decimal]) -> None:
    where = _where(standing, index)
    for name in ("class_sourced_id", "student_sourced_id", "standard_code"):
        if not str(getattr(standing, name) or "").strip():
            raise StandingsInvalid(f"{where}: {name} is empty")
    if not isinstance(standing.assessed_on, date):
        raise StandingsInvalid(f"{where}: assessed_on must be a date")
    if standing.case_uuid is not None:
        try:
            uuid.UUID(standing.case_uuid)
        except ValueError:
            raise StandingsInvalid(
                f"{where}: case_uuid {standing.case_uuid!r} is not a UUID; CASE identifiers are "
                "UUIDs (leave it empty to send our code with source 'unknown')"
            ) from None
    if standing.value is not None:
        try:
            value = Decimal(standing.value)
        except (InvalidOperation, ValueError, TypeError):
            raise StandingsInvalid(f"{where}: value {standing.value!r} is not a number") from None
        if not value.is_finite() or not scale[0] <= value <= scale[1]:
            raise StandingsInvalid(
                f"{where}: value {standing.value} is outside the scale {scale[0]}..{scale[1]}"
            )


def plan_standings(
    standings: Sequence[StandingResult], *, scale: tuple[Decimal, Decimal] = (Decimal(1), Decimal(4))
) -> Plan:
    """Line items and results for these standings; refuses the whole list on one bad standing."""
    first_seen: dict[str, date] = {}
    heads: dict[str, StandingResult] = {}
    seen_results: dict[str, int] = {}
    for index, standing in enumerate(standings):
        _check(standing, index, scale)
        item = line_item_id(standing.class_sourced_id, standing.standard_code, standing.indicator_code)
        heads.setdefault(item, standing)
        first_seen[item] = min(first_seen.get(item, standing.assessed_on), standing.assessed_on)
        rid = result_id(item, standing.student_sourced_id)
        if rid in seen_results:
            raise StandingsInvalid(
                f"{_where(standing, index)}: the same student, class and standard as standing "
                f"{seen_results[rid] + 1}; give one standing each"
            )
        seen_results[rid] = index
    items: dict[str, PlannedLineItem] = {}
    for item, head in heads.items():
        code = head.indicator_code or head.standard_code
        title = (
            f"{head.indicator_code} {head.indicator_title or head.standard_title}".strip()
            if head.indicator_code
            else f"{head.standard_code} {head.standard_title}".strip()
        )
        items[item] = PlannedLineItem(
            sourced_id=item,
            class_sourced_id=head.class_sourced_id,
            title=title[:250],
            description=(
                f"Proficiency standing on {'indicator' if head.indicator_code else 'graduation standard'} "
                f"{code}"
            ),
            objective_source="case" if head.case_uuid else "unknown",
            objective_id=head.case_uuid or code,
            first_assessed=first_seen[item],
        )
    results = []
    for standing in standings:
        planned = items[
            line_item_id(standing.class_sourced_id, standing.standard_code, standing.indicator_code)
        ]
        results.append(
            PlannedResult(
                sourced_id=result_id(planned.sourced_id, standing.student_sourced_id),
                line_item=planned,
                student_sourced_id=standing.student_sourced_id,
                value=None if standing.value is None else Decimal(standing.value),
                assessed_on=standing.assessed_on,
                comment=standing.comment,
            )
        )
    classes = tuple(sorted({i.class_sourced_id for i in items.values()}))
    return Plan(tuple(items.values()), tuple(results), classes)


def school_year(day: date) -> tuple[date, date]:
    """The school year (1 August to 31 July) a day falls in."""
    start = date(day.year if day.month >= 8 else day.year - 1, 8, 1)
    return start, date(start.year + 1, 7, 31)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class Payloads:
    """Builds the JSON bodies for one SIS: its version, its service URLs, our scale."""

    def __init__(
        self,
        *,
        version: SisVersion,
        rostering_url: str,
        gradebook_url: str,
        scale: tuple[Decimal, Decimal] = (Decimal(1), Decimal(4)),
        now: datetime,
    ) -> None:
        self.version = version
        self.rostering_url = rostering_url.rstrip("/")
        self.gradebook_url = gradebook_url.rstrip("/")
        self.scale = scale
        self.now = now

    def _ref(self, kind: str, collection: str, sourced_id: str, *, gradebook: bool = False) -> GuidRef:
        base = self.gradebook_url if gradebook else self.rostering_url
        return GuidRef(href=f"{base}/{collection}/{sourced_id}", sourced_id=sourced_id, type=kind)

    def category(self) -> Category:
        return Category(
            sourced_id=CATEGORY_ID, status="active", date_last_modified=self.now, title=CATEGORY_TITLE
        )

    def line_item(self, item: PlannedLineItem, context: ClassContext | None) -> LineItem:
        """The line item; raises `StandingsInvalid` when the class lacks what the version needs."""
        start, end = school_year(item.first_assessed)
        if context is not None and context.term_start and context.term_end:
            start, end = context.term_start, context.term_end
        where = f"class {item.class_sourced_id!r}"
        term = context.term_sourced_id if context is not None else None
        school = context.school_sourced_id if context is not None else None
        v1_1 = self.version is SisVersion.V1_1
        if v1_1 and not term:
            raise StandingsInvalid(
                f"{where}: OneRoster 1.1 line items need a grading period, and no term of "
                "this class is known; run `pbridge oneroster sync-roster` first"
            )
        if not v1_1 and not school:
            raise StandingsInvalid(
                f"{where}: OneRoster 1.2 line items need the class's school, which is not known; "
                "run `pbridge oneroster sync-roster` first"
            )
        term_ref = self._ref("academicSession", "academicSessions", term) if term else None
        return LineItem(
            sourced_id=item.sourced_id,
            status="active",
            date_last_modified=self.now,
            title=item.title,
            description=item.description,
            assign_date=_midnight(start),
            due_date=_midnight(end),
            class_=self._ref("class", "classes", item.class_sourced_id),
            category=self._ref("category", "categories", CATEGORY_ID, gradebook=True),
            result_value_min=float(self.scale[0]),
            result_value_max=float(self.scale[1]),
            # 1.1 requires the grading period; 1.2 names the term as the academic session
            grading_period=term_ref if v1_1 else None,
            academic_session=None if v1_1 else term_ref,
            school=None if v1_1 or school is None else self._ref("org", "orgs", school),
            learning_objective_set=None
            if v1_1
            else [
                LearningObjectiveSet(source=item.objective_source, learning_objective_ids=[item.objective_id])
            ],
        )

    def result(self, planned: PlannedResult) -> Result:
        """The result of one standing (value None: 1.2 "not submitted" without a score)."""
        item = planned.line_item
        v1_1 = self.version is SisVersion.V1_1
        if v1_1 and planned.value is None:
            raise StandingsInvalid("OneRoster 1.1 results need a score; clear them with DELETE")
        score = float(planned.value) if planned.value is not None else None
        graded = score is not None
        objectives = [
            LearningObjectiveScoreSet(
                source=item.objective_source,
                learning_objective_results=[
                    LearningObjectiveResult(learning_objective_id=item.objective_id, score=score)
                ],
            )
        ]
        return Result(
            sourced_id=planned.sourced_id,
            status="active",
            date_last_modified=self.now,
            line_item=self._ref("lineItem", "lineItems", item.sourced_id, gradebook=True),
            student=self._ref("user", "users", planned.student_sourced_id),
            score_date=planned.assessed_on,
            comment=planned.comment or None,
            score_status="fully graded" if graded else "not submitted",
            score=score,
            # what 1.1 does not have stays out of its payload
            class_=None if v1_1 else self._ref("class", "classes", item.class_sourced_id),
            learning_objective_set=None if v1_1 else objectives,
            in_progress=None if v1_1 else False,
            incomplete=None if v1_1 else not graded,
            late=None if v1_1 else False,
            missing=None if v1_1 else False,
        )


def classes_of(standings: Iterable[StandingResult]) -> list[str]:
    return sorted({s.class_sourced_id for s in standings})


STANDINGS_COLUMNS = (
    "class_sourced_id",
    "student_sourced_id",
    "standard_code",
    "standard_title",
    "indicator_code",
    "value",
    "case_uuid",
    "assessed_on",
    "comment",
)


def read_standings_csv(text: str, *, file: str = "standings.csv") -> list[StandingResult]:
    """Standings from a CSV with the `STANDINGS_COLUMNS` header (indicator_code, value,
    case_uuid and comment may be empty); a bad cell raises `CsvImportError` (file, line, column).
    """
    import csv
    import io

    from pbridge.errors import CsvImportError

    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in STANDINGS_COLUMNS if c not in (reader.fieldnames or []) and c != "comment"]
    if missing:
        raise CsvImportError(f"the header lacks {', '.join(missing)}", file=file, line=1, column=missing[0])
    standings = []
    for row in reader:
        line = reader.line_num
        cells = {k: (v or "").strip() for k, v in row.items() if k}
        for column in ("class_sourced_id", "student_sourced_id", "standard_code", "assessed_on"):
            if not cells.get(column):
                raise CsvImportError("is required and empty", file=file, line=line, column=column)
        try:
            value = Decimal(cells["value"]) if cells.get("value") else None
        except InvalidOperation:
            raise CsvImportError(
                f"{cells['value']!r} is not a number", file=file, line=line, column="value"
            ) from None
        try:
            assessed = date.fromisoformat(cells["assessed_on"])
        except ValueError:
            raise CsvImportError(
                f"{cells['assessed_on']!r} is not a date (YYYY-MM-DD)",
                file=file,
                line=line,
                column="assessed_on",
            ) from None
        standings.append(
            StandingResult(
                class_sourced_id=cells["class_sourced_id"],
                student_sourced_id=cells["student_sourced_id"],
                standard_code=cells["standard_code"],
                standard_title=cells.get("standard_title", ""),
                indicator_code=cells.get("indicator_code") or None,
                value=value,
                case_uuid=cells.get("case_uuid") or None,
                assessed_on=assessed,
                comment=cells.get("comment", ""),
            )
        )
    return standings
