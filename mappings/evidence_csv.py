"""Evidence from a CSV file, for what-if runs (`pbridge calc`) on a district's own data.

Columns (a header row names them, any order):

    student, indicator        required
    level                     the level, or leave it empty and give score and max
    score, max                a raw score and its maximum, converted by the cut scores
    assessed_at               when the student was assessed: 2026-09-14 or 2026-09-14T10:00+02:00
                              (no time zone: UTC)
    purpose                   formative, summative (default) or habit_of_work
    attempt                   1, 2, ... per student and indicator (default: order in the file)
    replaces                  the attempt this one reassesses (optional)
    excluded_reason           non-empty: the observation is excluded, for this reason (optional)

An empty level with an empty score is missing work: shown, never a 0. Any malformed row
refuses the whole file with its line and column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from mappings.conversion import Conversion
from mappings.evidence import Evidence, Purpose
from mappings.scale import Scale
from mappings.standing import shown
from pbridge.errors import CalculationError, CsvImportError

REQUIRED = ("student", "indicator", "assessed_at")
OPTIONAL = ("level", "score", "max", "purpose", "attempt", "replaces", "excluded_reason")


def _number(text: str, *, file: str, line: int, column: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CsvImportError(f"{text!r} is not a number", file=file, line=line, column=column) from None
    if not value.is_finite():
        raise CsvImportError(f"{text!r} is not a finite number", file=file, line=line, column=column)
    return value


def _when(text: str, *, file: str, line: int) -> datetime:
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CsvImportError(
            f"{text!r} is not a date; write 2026-09-14 or 2026-09-14T10:00+02:00",
            file=file,
            line=line,
            column="assessed_at",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_evidence_csv(text: str, *, file: str, scale: Scale, conversion: Conversion) -> list[Evidence]:
    """Every row as evidence (ref "line N"), or CsvImportError for the first bad row."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise CsvImportError("the file is empty; it needs a header row", file=file, line=1)
    reader.fieldnames = header
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    if unknown:
        raise CsvImportError(
            f"unknown column; the columns are {', '.join(REQUIRED + OPTIONAL)}",
            file=file,
            line=1,
            column=unknown[0],
        )
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        raise CsvImportError("this column is required", file=file, line=1, column=missing[0])
    if "level" not in header and not {"score", "max"} <= set(header):
        raise CsvImportError(
            "give a level column, or score and max columns", file=file, line=1, column="level"
        )
    evidence: list[Evidence] = []
    attempts: dict[tuple[str, str], dict[int, str]] = {}
    pending: list[tuple[int, int, str]] = []  # (index, attempt replaced, line ref)
    for row in reader:
        line = reader.line_num
        if None in row:
            raise CsvImportError("more values than columns", file=file, line=line)
        cells = {k: (v or "").strip() for k, v in row.items()}
        for column in ("student", "indicator", "assessed_at"):
            if not cells[column]:
                raise CsvImportError("is empty", file=file, line=line, column=column)
        student, indicator = cells["student"], cells["indicator"]
        level = _level(cells, scale=scale, conversion=conversion, file=file, line=line)
        purpose_text = cells.get("purpose") or "summative"
        try:
            purpose = Purpose(purpose_text)
        except ValueError:
            raise CsvImportError(
                f"{purpose_text!r} is not a purpose; use formative, summative or habit_of_work",
                file=file,
                line=line,
                column="purpose",
            ) from None
        seen = attempts.setdefault((student, indicator), {})
        attempt_text = cells.get("attempt", "")
        if attempt_text:
            if not attempt_text.isdigit() or int(attempt_text) < 1:
                raise CsvImportError(
                    f"{attempt_text!r} is not an attempt number (1, 2, ...)",
                    file=file,
                    line=line,
                    column="attempt",
                )
            attempt = int(attempt_text)
        else:
            attempt = max(seen, default=0) + 1
        if attempt in seen:
            raise CsvImportError(
                f"attempt {attempt} of {student} on {indicator} is already on {seen[attempt]}",
                file=file,
                line=line,
                column="attempt",
            )
        ref = f"line {line}"
        seen[attempt] = ref
        replaces_text = cells.get("replaces", "")
        if replaces_text:
            if not replaces_text.isdigit():
                raise CsvImportError(
                    f"{replaces_text!r} is not an attempt number", file=file, line=line, column="replaces"
                )
            pending.append((len(evidence), int(replaces_text), ref))
        reason = cells.get("excluded_reason", "")
        try:
            evidence.append(
                Evidence(
                    ref=ref,
                    student=student,
                    indicator=indicator,
                    level=level,
                    assessed_at=_when(cells["assessed_at"], file=file, line=line),
                    purpose=purpose,
                    source="csv",
                    attempt=attempt,
                    raw_score=_number(cells["score"], file=file, line=line, column="score")
                    if cells.get("score")
                    else None,
                    raw_max=_number(cells["max"], file=file, line=line, column="max")
                    if cells.get("max")
                    else None,
                    excluded=bool(reason),
                    tiebreak=line,
                    excluded_reason=reason,
                )
            )
        except CalculationError as error:
            raise CsvImportError(str(error), file=file, line=line) from None
    for index, replaced_attempt, ref in pending:
        item = evidence[index]
        target = attempts[(item.student, item.indicator)].get(replaced_attempt)
        if target is None or target == ref:
            raise CsvImportError(
                f"there is no other attempt {replaced_attempt} of {item.student} on "
                f"{item.indicator} to replace",
                file=file,
                line=int(ref.split()[1]),
                column="replaces",
            )
        evidence[index] = replace(item, replaces=target)
    return evidence


def _level(
    cells: dict[str, str], *, scale: Scale, conversion: Conversion, file: str, line: int
) -> Decimal | None:
    if cells.get("level"):
        level = _number(cells["level"], file=file, line=line, column="level")
        column = "level"
    elif cells.get("score"):
        if not cells.get("max"):
            raise CsvImportError("a score needs its max", file=file, line=line, column="max")
        score = _number(cells["score"], file=file, line=line, column="score")
        maximum = _number(cells["max"], file=file, line=line, column="max")
        try:
            converted = conversion.convert(score, maximum)
        except CalculationError as error:
            raise CsvImportError(str(error), file=file, line=line, column="score") from None
        if converted is None:
            return None
        level, column = converted, "score"
    else:
        return None
    if level != level.quantize(Decimal("0.01")):
        raise CsvImportError(
            f"{shown(level)} has more than two decimals", file=file, line=line, column=column
        )
    if not scale.minimum <= level <= scale.maximum:
        raise CsvImportError(
            f"{shown(level)} is outside the scale "
            f"({shown(scale.minimum)}–{shown(scale.maximum)}); fix the row",
            file=file,
            line=line,
            column=column,
        )
    return level.quantize(Decimal("0.01"))
