"""What a native push writes: a course's standings on the items the course keeps columns for.

The same choice as the AGS write-back (`store.course_settings.Writeback`): standards,
indicators or both; a course that writes nothing to the gradebook gets nothing natively
either (Canvas needs the tool's column as the rubric's assignment).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.lms_api.connection import CourseApi
from mappings.scale import Level, Scale
from store.course_settings import Writeback, course_writeback
from store.frameworks import Framework, GraduationStandard, PerformanceIndicator
from store.people import User
from store.platforms import Preset
from store.recompute import scale_for_indicator
from store.standings import StandingKind, StandingRow


@dataclass(frozen=True)
class NativeItem:
    """A standard or indicator mirrored as a Canvas outcome or a Moodle competency."""

    code: str
    title: str
    kind: StandingKind
    framework_code: str
    framework_title: str
    scale: Scale


@dataclass(frozen=True)
class NativeStanding:
    code: str
    student_id: int
    value: Decimal | None
    summary: str


def nearest_level(scale: Scale, value: Decimal) -> Level:
    """The level a value rounds to (half up): what a platform that keeps only levels can show."""
    whole = value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return min(scale.levels, key=lambda level: (abs(level.value - whole), -level.value))


def wanted(session: Session, course_id: int) -> tuple[list[NativeItem], list[NativeStanding]]:
    """The course's items and standings to write natively (nothing when it writes no columns)."""
    choice = course_writeback(session, course_id)
    if choice is Writeback.NONE:
        return [], []
    kinds = [
        k
        for k, on in ((StandingKind.INDICATOR, choice.indicators), (StandingKind.STANDARD, choice.standards))
        if on
    ]
    rows = session.scalars(
        select(StandingRow).where(StandingRow.course_id == course_id, StandingRow.kind.in_(kinds))
    ).all()
    items: dict[tuple[StandingKind, int], NativeItem] = {}
    standings = []
    for row in rows:
        target = row.indicator_id if row.kind is StandingKind.INDICATOR else row.standard_id
        if target is None:
            continue
        item = items.get((row.kind, target))
        if item is None:
            item = items[(row.kind, target)] = _item(session, row.kind, target)
        standings.append(NativeStanding(item.code, row.student_id, row.value, row.summary))
    return sorted(items.values(), key=lambda i: i.code), standings


def _item(session: Session, kind: StandingKind, target_id: int) -> NativeItem:
    coded: PerformanceIndicator | GraduationStandard | None
    if kind is StandingKind.INDICATOR:
        coded = session.get(PerformanceIndicator, target_id)
        assert coded is not None
        scale = scale_for_indicator(session, target_id)
    else:
        coded = session.get(GraduationStandard, target_id)
        assert coded is not None
        first = session.scalar(
            select(PerformanceIndicator.id).where(PerformanceIndicator.framework_id == coded.framework_id)
        )
        assert first is not None, f"standard {coded.code} has no indicators"
        scale = scale_for_indicator(session, first)
    framework = session.get(Framework, coded.framework_id)
    assert framework is not None
    return NativeItem(coded.code, coded.title, kind, framework.code, framework.title, scale)


def lms_user_ids(session: Session, api: CourseApi, student_ids: Iterable[int]) -> dict[int, str]:
    """Our student id -> the LMS's user id, where known (Moodle's `sub` is its user id)."""
    found: dict[int, str] = {}
    ids = sorted(set(student_ids))
    for start in range(0, len(ids), 400):
        rows = session.execute(
            select(User.id, User.sub, User.lms_user_id, User.lis_person_sourcedid).where(
                User.id.in_(ids[start : start + 400])
            )
        )
        for user_id, sub, lms_id, _sis in rows:
            if lms_id:
                found[user_id] = str(lms_id)
            elif api.kind is not Preset.CANVAS and sub:
                found[user_id] = str(sub)
    return found


def sis_ids(session: Session, student_ids: Iterable[int]) -> dict[str, int]:
    """SIS id -> our student id, to match LMS roster entries for users without an LMS id."""
    rows = session.execute(
        select(User.id, User.lis_person_sourcedid).where(User.id.in_(sorted(set(student_ids))))
    )
    return {str(sis): user_id for user_id, sis in rows if sis}
