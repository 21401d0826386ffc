"""One observation of a student on a performance indicator, as the calculations see it.

Evidence is never thrown away: what does not count (formative work, a teacher's exclusion,
a result removed in the LMS, an attempt a reassessment replaced, a score with no level) is
kept and shown with the reason it was left out. Order is by the date the student was
*assessed*, never the date it was graded: a late-graded early quiz must not look recent.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pbridge.errors import CalculationError


class Purpose(enum.Enum):
    """Why the work was given: only summative work counts towards an academic standing."""

    FORMATIVE = "formative"  # practice: shown, never counted
    SUMMATIVE = "summative"  # counts towards academic standings
    HABIT_OF_WORK = "habit_of_work"  # counts towards habits of work only, reported apart


class EvidenceStatus(enum.Enum):
    """Where the observation stands at its source."""

    ACTIVE = "active"
    #: the LMS or SIS no longer has the result; kept for the record, no longer counted
    REMOVED_AT_SOURCE = "removed_at_source"
    #: the student left the course; what they showed still counts, nothing is pushed for them
    STUDENT_LEFT = "student_left"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One observation: student × indicator × level × assessed-at × source (× attempt).

    `ref` names the observation inside one body of evidence (the evidence row id, or a CSV
    line) so an explanation can point at it and a reassessment can name what it replaces.
    `level` is None when the source had no usable score (missing, excused, not yet graded):
    such evidence is shown but never becomes a 0.
    """

    ref: str
    student: str
    indicator: str
    level: Decimal | None
    assessed_at: datetime
    purpose: Purpose = Purpose.SUMMATIVE
    source: str = ""
    attempt: int = 1
    #: the `ref` of the earlier observation this reassessment replaces
    replaces: str | None = None
    raw_score: Decimal | None = None
    raw_max: Decimal | None = None
    excluded: bool = False
    excluded_reason: str = ""
    status: EvidenceStatus = EvidenceStatus.ACTIVE
    #: orders observations assessed at the same moment with the same attempt (a row id)
    tiebreak: int = 0

    def __post_init__(self) -> None:
        if self.assessed_at.tzinfo is None:
            raise CalculationError(
                f"evidence {self.ref}: assessed_at {self.assessed_at.isoformat()} has no time "
                "zone; give an aware datetime"
            )
        if self.level is not None and self.level != self.level.quantize(Decimal("0.01")):
            raise CalculationError(f"evidence {self.ref}: level {self.level} has more than two decimals")
        if self.replaces is not None and self.replaces == self.ref:
            raise CalculationError(f"evidence {self.ref}: a reassessment cannot replace itself")

    @property
    def order_key(self) -> tuple[datetime, int, int, str]:
        """Assessed date, attempt, tiebreak, ref: the order every method reads evidence in."""
        return (self.assessed_at, self.attempt, self.tiebreak, self.ref)
