"""One standing, one number, one date: as an LMS outcome result and as a OneRoster result.

A district sees a standing twice, in the LMS's mastery gradebook (a Canvas outcome result)
and in the SIS (a OneRoster 1.2 result with `learningObjectiveSet`). Both take the number
from `native_score` and the date from the moment the LMS dated its result (`assessed_on`), so
the two never disagree by a rounding or by a day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from bridge.oneroster.standings import StandingResult
from pbridge.errors import ProficiencyBridgeError
from store.frameworks import GraduationStandard, PerformanceIndicator
from store.people import User
from store.standings import StandingKind, StandingRow

CENT = Decimal("0.01")


def native_score(value: Decimal) -> Decimal:
    """The number a standing is written as everywhere: two decimals, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def assessed_on(at: datetime) -> date:
    """The UTC day of the LMS's own timestamp (OneRoster's `scoreDate` is a date)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).date()


def objective_result(
    session: Session,
    row: StandingRow,
    *,
    assessed_at: datetime,
    class_sourced_id: str,
    student_sourced_id: str | None = None,
) -> StandingResult:
    """A stored standing as the SIS's learning-objective result, dated as the LMS dated it.

    The student's sourcedId is their SIS id from the launch unless given; raises
    `ProficiencyBridgeError` when neither is known (the SIS could not place the result).
    """
    indicator = None
    if row.kind is StandingKind.INDICATOR and row.indicator_id is not None:
        indicator = session.get(PerformanceIndicator, row.indicator_id)
    standard_id = indicator.standard_id if indicator is not None else row.standard_id
    standard = session.get(GraduationStandard, standard_id) if standard_id is not None else None
    if standard is None:
        raise ProficiencyBridgeError(f"standing {row.id} names no standard or indicator that exists")
    student = session.get(User, row.student_id)
    sourced_id = student_sourced_id or (student.lis_person_sourcedid if student is not None else None)
    if not sourced_id:
        raise ProficiencyBridgeError(
            f"student {row.student_id} has no SIS id (lis_person_sourcedid) yet; it arrives with "
            "their next launch or the SIS roster sync"
        )
    case = indicator.case_identifier if indicator is not None else standard.case_identifier
    return StandingResult(
        class_sourced_id=class_sourced_id,
        student_sourced_id=sourced_id,
        standard_code=standard.code,
        standard_title=standard.title,
        indicator_code=indicator.code if indicator is not None else None,
        indicator_title=indicator.title if indicator is not None else "",
        value=None if row.value is None else native_score(row.value),
        case_uuid=case,
        assessed_on=assessed_on(assessed_at),
        comment=row.summary,
    )
