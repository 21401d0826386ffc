"""Which evidence in a body of evidence counts towards a standing, and why the rest does not.

Checked in this order, the first that applies is the reason shown:

1. removed at its source (the LMS or SIS no longer has the result);
2. no level (missing, excused, not yet graded): never a 0;
3. excluded by a teacher, with the teacher's reason;
4. the wrong purpose: formative work is shown, never counted; habit-of-work evidence counts
   only towards habits of work, academic evidence only towards academics;
5. replaced by a reassessment: an observation is left out when another observation that
   would itself count (steps 1–4) names it in `replaces`. A reassessment that does not
   count (excluded, no level yet) replaces nothing, so the earlier result stands until the
   reassessment has a level. Chains work link by link: C replacing B replacing A leaves C.

A student who left the course keeps their evidence: what they showed still counts.
Counted evidence is read oldest first by assessed date, then attempt, then ref.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mappings.evidence import Evidence, EvidenceStatus, Purpose
from pbridge.errors import CalculationError

REMOVED = "removed at its source: the LMS or SIS no longer has this result"
NO_LEVEL = "no level: missing, excused or not yet graded (never counted as 0)"
FORMATIVE = "formative work: shown, never counted"
HABIT_APART = "habit-of-work evidence: reported apart from academics"
ACADEMIC_APART = "academic evidence: habits of work count habit-of-work evidence only"


def excluded_reason(reason: str) -> str:
    return f"excluded by a teacher: {reason or 'no reason given'}"


def replaced_reason(by: Evidence) -> str:
    return (
        f"replaced by reassessment {by.ref} (attempt {by.attempt}, assessed "
        f"{by.assessed_at.date().isoformat()})"
    )


@dataclass(frozen=True, slots=True)
class Selection:
    """The counted evidence in order, and the rest with the reason each was left out."""

    counted: tuple[Evidence, ...]
    left_out: tuple[tuple[Evidence, str], ...]


def own_reason(evidence: Evidence, counts: Purpose) -> str:
    """Why this evidence, on its own, does not count ("" when it does)."""
    if evidence.status is EvidenceStatus.REMOVED_AT_SOURCE:
        return REMOVED
    if evidence.level is None:
        return NO_LEVEL
    if evidence.excluded:
        return excluded_reason(evidence.excluded_reason)
    if evidence.purpose is not counts:
        if evidence.purpose is Purpose.FORMATIVE:
            return FORMATIVE
        if evidence.purpose is Purpose.HABIT_OF_WORK:
            return HABIT_APART
        return ACADEMIC_APART
    return ""


def select(evidence: Sequence[Evidence], *, counts: Purpose = Purpose.SUMMATIVE) -> Selection:
    """Split one student's evidence on one indicator into counted and left out (see above)."""
    if counts is Purpose.FORMATIVE:
        raise CalculationError("formative evidence never counts; count summative or habit_of_work")
    ordered = sorted(evidence, key=lambda e: e.order_key)
    refs = [e.ref for e in ordered]
    if len(set(refs)) != len(refs):
        raise CalculationError(f"evidence refs must be unique in one body of evidence: {refs}")
    if ordered:
        first = ordered[0]
        for item in ordered:
            if (item.student, item.indicator) != (first.student, first.indicator):
                raise CalculationError(
                    f"one standing is one student on one indicator; {item.ref} is "
                    f"{item.student}/{item.indicator}, {first.ref} is "
                    f"{first.student}/{first.indicator}"
                )
    reasons = {e.ref: own_reason(e, counts) for e in ordered}
    replaced_by: dict[str, Evidence] = {}
    for item in ordered:
        if item.replaces is not None and not reasons[item.ref]:
            replaced_by.setdefault(item.replaces, item)
    counted: list[Evidence] = []
    left_out: list[tuple[Evidence, str]] = []
    for item in ordered:
        reason = reasons[item.ref]
        if not reason and item.ref in replaced_by:
            reason = replaced_reason(replaced_by[item.ref])
        if reason:
            left_out.append((item, reason))
        else:
            counted.append(item)
    return Selection(counted=tuple(counted), left_out=tuple(left_out))
