"""The conversion preview: an assignment's current scores, read live where they live, converted.

Nothing is stored. Scores come from the LMS's own API (`bridge.lms_api.preview_scores`), from
AGS results of the tool's own columns, or from the SIS's OneRoster results already synced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bridge.context import Bridge
from bridge.lms_api import preview_scores
from lti.pages.levels import LevelShown, ScaleView
from lti.pages.tagging import ags_client
from mappings.conversion import Conversion
from mappings.standing import shown
from pbridge.errors import CalculationError, ProficiencyBridgeError
from store.alignments import AlignmentKind
from store.page_queries import sis_classes_of_course, sis_user_names, users_by_sub
from store.people import Course
from store.platforms import Platform
from store.sis import line_items_of_class, results_of_line_item


@dataclass(frozen=True, slots=True)
class PreviewRow:
    student: str
    score: str
    level: LevelShown | None
    problem: str


def current_scores(
    session: Session,
    bridge: Bridge,
    course: Course,
    kind: AlignmentKind,
    external_id: str,
    criterion: str,
    conversion: Conversion,
    scale: ScaleView,
    args: Mapping[str, Any],
    user_id: int,
) -> tuple[PreviewRow, ...]:
    rows: list[PreviewRow] = []
    if kind is AlignmentKind.LMS_ASSIGNMENT:
        for p in preview_scores(
            bridge, course.id, external_id, conversion, rubric_criterion_id=criterion, user_id=user_id
        ):
            score = p.rating or ("" if p.score is None else shown(p.score))
            if p.maximum is not None and p.score is not None:
                score = f"{shown(p.score)} / {shown(p.maximum)}" + (f" ({p.rating})" if p.rating else "")
            level = None if p.level is None else scale.show(p.level)
            rows.append(PreviewRow(p.student_name, score or p.state.value, level, p.problem))
        return tuple(rows)
    if kind is AlignmentKind.AGS_LINE_ITEM:
        platform = session.get(Platform, course.platform_id) if course.platform_id else None
        if platform is None:
            raise ProficiencyBridgeError("this course has no platform registration to read scores from")
        results = ags_client(bridge, platform, course).results(external_id)
        names = users_by_sub(session, course.issuer, [r.user_id for r in results])
        for r in results:
            user = names.get(r.user_id)
            rows.append(
                _row(
                    user.display_name if user else f"LMS user {r.user_id}",
                    r.score,
                    r.maximum,
                    conversion,
                    scale,
                )
            )
        return tuple(sorted(rows, key=lambda r: r.student.casefold()))
    for klass in sis_classes_of_course(session, course.id):
        line_item = next(
            (
                li
                for li in line_items_of_class(session, klass.connection_id, klass.sourced_id)
                if li.sourced_id == external_id
            ),
            None,
        )
        if line_item is None:
            continue
        maximum = Decimal(str(line_item.result_value_max)) if line_item.result_value_max is not None else None
        results = results_of_line_item(session, klass.connection_id, external_id)
        names = sis_user_names(session, klass.connection_id, [r.student_sourced_id for r in results])
        for r in results:
            score = Decimal(str(r.score)) if r.score is not None else None
            rows.append(
                _row(names.get(r.student_sourced_id, r.student_sourced_id), score, maximum, conversion, scale)
            )
    return tuple(sorted(rows, key=lambda r: r.student.casefold()))


def _row(
    name: str, score: Decimal | None, maximum: Decimal | None, conversion: Conversion, scale: ScaleView
) -> PreviewRow:
    text = (
        ""
        if score is None
        else (f"{shown(score)} / {shown(maximum)}" if maximum is not None else shown(score))
    )
    if score is None:
        return PreviewRow(name, "no score", None, "")
    try:
        level = conversion.convert(score, maximum)
    except CalculationError as problem:
        return PreviewRow(name, text, None, str(problem))
    return PreviewRow(name, text, None if level is None else scale.show(level), "")
