"""A student rates themselves on an indicator and reflects; the teacher sees it beside theirs.

It is stored in its own table and never becomes evidence: nothing a student does changes a
standing. The standing must be the student's own (checked by `find_standing`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from lti.pages.standing_detail import find_standing
from pbridge.errors import ProficiencyBridgeError
from store.recompute import scale_for_indicator
from store.self_assessments import add_self_assessment


def rate_myself(session: Session, *, student_id: int, standing_id: int, level: str, reflection: str) -> None:
    row = find_standing(session, standing_id, student_id=student_id)
    assert row.indicator_id is not None
    try:
        value = Decimal(level.strip()).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ProficiencyBridgeError("choose a level for your self-assessment") from None
    scale = scale_for_indicator(session, row.indicator_id)
    add_self_assessment(
        session,
        student_id=student_id,
        course_id=row.course_id,
        indicator_id=row.indicator_id,
        level=value,
        reflection=reflection,
        allowed_levels={lv.value for lv in scale.levels},
    )
