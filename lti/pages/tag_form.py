"""Tag one assignment (or one rubric criterion): indicators, purpose, conversion, preview.

The conversion is edited as the scale's levels: a minimum percent for each level above the
lowest (cut scores), or a level for each rubric rating (a level map), or "the score already
is a level". The preview runs the conversion over the assignment's current scores, read live
from where they live (the LMS's API, AGS results, the SIS), and stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from bridge.context import Bridge
from bridge.lms_api import course_assignments
from lti.pages.levels import LevelShown, ScaleView, scale_view_for
from lti.pages.tag_preview import PreviewRow, current_scores
from lti.pages.tagging import parse_target_key, target_key
from mappings.conversion import (
    Conversion,
    CutScores,
    LevelMap,
    ScoreIsLevel,
    conversion_from_json,
    cut_scores,
)
from mappings.evidence import Purpose
from mappings.standing import shown
from pbridge.errors import CalculationError, PlatformError, ProficiencyBridgeError
from store.alignments import Alignment, AlignmentKind, course_alignments, remove_alignment, save_alignment
from store.audit import record_change
from store.page_queries import (
    IndicatorEntry,
    indicator_catalogue,
    published_indicators,
    sis_classes_of_course,
)
from store.people import Course
from store.recompute import recompute

PURPOSES = (
    (Purpose.SUMMATIVE, "Summative: counts towards the standing"),
    (Purpose.FORMATIVE, "Formative: practice, shown but never counted"),
    (Purpose.HABIT_OF_WORK, "Habit of work: reported apart from academics"),
)


@dataclass(frozen=True, slots=True)
class ConversionForm:
    kind: str
    cuts: tuple[tuple[LevelShown, str], ...]
    floor: LevelShown
    level_map: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class TagForm:
    key: str
    kind: AlignmentKind
    tagged: bool
    title: str
    points: str
    indicators: tuple[IndicatorEntry, ...]
    chosen: frozenset[int]
    purpose: Purpose
    conversion: ConversionForm
    preview: tuple[PreviewRow, ...] | None
    preview_note: str
    scale: ScaleView
    purposes: tuple[tuple[Purpose, str], ...] = PURPOSES


def _decimal(raw: str, what: str) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise CalculationError(f"{what}: {raw!r} is not a number") from None
    if not value.is_finite():
        raise CalculationError(f"{what}: {raw!r} is not a number")
    return value


def parse_conversion(form: Mapping[str, Any], scale: ScaleView) -> Conversion:
    """The conversion the form describes; refuses missing or out-of-order cut scores."""
    kind = form.get("conversion", "cut_scores")
    if kind == "score_is_level":
        return ScoreIsLevel()
    if kind == "level_map":
        pairs = []
        for i in range(50):
            rating = str(form.get(f"map_key_{i}", "")).strip()
            level = str(form.get(f"map_level_{i}", "")).strip()
            if rating and level:
                pairs.append((rating, _decimal(level, f"level for {rating!r}")))
        if not pairs:
            raise CalculationError("a rubric map needs at least one rating with its level")
        return LevelMap(levels=tuple(pairs))
    levels = scale.scale.levels
    pairs_cut = []
    for level in levels[1:]:
        raw = str(form.get(f"cut_{shown(level.value)}", "")).strip()
        if raw:
            percent = _decimal(raw, f"minimum percent for {shown(level.value)}")
            if not Decimal(0) <= percent <= Decimal(1000):
                raise CalculationError(f"the minimum percent for {shown(level.value)} must be 0 to 1000")
            pairs_cut.append((percent, level.value))
    if not pairs_cut:
        raise CalculationError("give a minimum percent for at least one level")
    ordered = sorted(pairs_cut, key=lambda p: p[1])
    if [p for p, _ in ordered] != sorted(p for p, _ in ordered) or len({p for p, _ in ordered}) != len(
        ordered
    ):
        raise CalculationError("a higher level needs a higher minimum percent than the level below it")
    return cut_scores(pairs_cut, floor=levels[0].value)


def conversion_form(
    conversion: Conversion, scale: ScaleView, ratings: Sequence[tuple[str, Decimal]]
) -> ConversionForm:
    data = conversion.to_json()
    cuts: dict[Decimal, Decimal] = {}
    if isinstance(conversion, CutScores):
        cuts = {level: percent for percent, level in conversion.cuts}
    rows: list[tuple[str, str]] = []
    if isinstance(conversion, LevelMap):
        rows = [(k, shown(v)) for k, v in conversion.levels]
    elif ratings:
        rows = [(name, shown(scale.scale.clip(points))) for name, points in ratings]
    return ConversionForm(
        kind=str(data["kind"]),
        cuts=tuple(
            (scale.show(level.value), shown(cuts[level.value]) if level.value in cuts else "")
            for level in scale.scale.levels[1:]
        ),
        floor=scale.show(scale.scale.levels[0].value),
        level_map=tuple(rows),
    )


def _find(
    session: Session, course_id: int, kind: AlignmentKind, external_id: str, criterion: str
) -> Alignment | None:
    for alignment in course_alignments(session, course_id):
        if (alignment.kind, alignment.external_id, alignment.rubric_criterion_id) == (
            kind,
            external_id,
            criterion,
        ):
            return alignment
    return None


def _ratings(
    bridge: Bridge, course_id: int, user_id: int, external_id: str, criterion: str
) -> list[tuple[str, Decimal]]:
    if not criterion:
        return []
    try:
        assignments = course_assignments(bridge, course_id, user_id=user_id)
    except (PlatformError, ProficiencyBridgeError):
        return []
    for assignment in assignments:
        found = assignment.criterion(criterion) if assignment.id == external_id else None
        if found is not None:
            return [(r.description, r.points) for r in found.ratings]
    return []


def tag_form(
    session: Session, bridge: Bridge, course: Course, args: Mapping[str, Any], *, user_id: int
) -> TagForm:
    """The form for one target, filled from its alignment or from what the teacher typed."""
    key = str(args.get("key", ""))
    kind, external_id, criterion = parse_target_key(key)
    existing = _find(session, course.id, kind, external_id, criterion)
    indicators = published_indicators(session)
    scale = scale_view_for(session, indicators)
    typed = bool(args.get("preview"))
    ratings = (
        _ratings(bridge, course.id, user_id, external_id, criterion)
        if kind is AlignmentKind.LMS_ASSIGNMENT
        else []
    )
    error = ""
    if typed:
        try:
            conversion = parse_conversion(args, scale)
        except CalculationError as problem:
            conversion, error = _stored_or_default(existing, ratings), str(problem)
        chosen = frozenset(int(i) for i in _list(args, "indicator") if str(i).isdigit())
        purpose = _purpose(args.get("purpose", "summative"))
    else:
        conversion = _stored_or_default(existing, ratings)
        chosen = frozenset(i.id for i in existing.indicators) if existing else frozenset()
        purpose = existing.purpose if existing else Purpose.SUMMATIVE
    preview: tuple[PreviewRow, ...] | None = None
    note = error
    if typed and not error:
        try:
            preview = current_scores(
                session, bridge, course, kind, external_id, criterion, conversion, scale, args, user_id
            )
        except (PlatformError, ProficiencyBridgeError) as problem:
            note = f"The current scores could not be read: {problem}"
    return TagForm(
        key=key,
        kind=kind,
        tagged=existing is not None,
        title=str(args.get("title") or (existing.title if existing else external_id))[:500],
        points=_points(str(args.get("points", ""))),
        indicators=tuple(indicators),
        chosen=chosen,
        purpose=purpose,
        conversion=conversion_form(conversion, scale, ratings),
        preview=preview,
        preview_note=note,
        scale=scale,
    )


def _points(raw: str) -> str:
    try:
        return shown(Decimal(raw)) if raw else ""
    except InvalidOperation:
        return ""


def _list(args: Mapping[str, Any], name: str) -> list[str]:
    getlist = getattr(args, "getlist", None)
    if getlist is not None:
        return list(getlist(name))
    value = args.get(name, [])
    return list(value) if isinstance(value, list | tuple) else [value]


def _purpose(raw: object) -> Purpose:
    try:
        return Purpose(str(raw))
    except ValueError:
        raise ProficiencyBridgeError("purpose must be summative, formative or habit of work") from None


def _stored_or_default(existing: Alignment | None, ratings: Sequence[tuple[str, Decimal]]) -> Conversion:
    if existing is not None:
        return conversion_from_json(existing.conversion)
    if ratings:
        return LevelMap(levels=tuple((name, points) for name, points in ratings))
    return cut_scores([(90, 4), (75, 3), (60, 2)], floor=1)


def save_tagging(
    session: Session,
    course: Course,
    form: Mapping[str, Any],
    *,
    user_id: int,
    connection_id: int | None = None,
) -> Alignment:
    """Save the alignment of one target as the form says; audit it."""
    kind, external_id, criterion = parse_target_key(str(form.get("key", "")))
    indicators = published_indicators(session)
    scale = scale_view_for(session, indicators)
    ids = sorted({int(i) for i in _list(form, "indicator") if str(i).isdigit()})
    connection = connection_id
    if kind is AlignmentKind.ONEROSTER_LINE_ITEM and connection is None:
        classes = sis_classes_of_course(session, course.id)
        connection = classes[0].connection_id if classes else None
    alignment = save_alignment(
        session,
        course_id=course.id,
        kind=kind,
        external_id=external_id,
        indicator_ids=ids,
        purpose=_purpose(form.get("purpose", "summative")),
        conversion=parse_conversion(form, scale),
        rubric_criterion_id=criterion,
        platform_id=course.platform_id,
        connection_id=connection,
        title=str(form.get("title", ""))[:500],
    )
    codes = ", ".join(e.code for e in indicator_catalogue(session, ids).values())
    record_change(
        session,
        actor_id=user_id,
        course_id=course.id,
        action="alignment saved",
        subject=f"'{alignment.title or external_id}'",
        detail=f"{alignment.purpose.value}: {codes}",
    )
    return alignment


def bulk_tag(session: Session, course: Course, form: Mapping[str, Any], *, user_id: int) -> int:
    """Tag every picked target with the same indicators and purpose (default cut scores)."""
    picked = [str(i) for i in _list(form, "pick") if str(i).isdigit()]
    if not picked:
        raise ProficiencyBridgeError("tick at least one assignment to tag")
    ids = [i for i in _list(form, "indicator") if str(i).isdigit()]
    if not ids:
        raise ProficiencyBridgeError("choose at least one performance indicator to tag them with")
    for index in picked:
        key = str(form.get(f"key_{index}", ""))
        parse_target_key(key)
        save_tagging(
            session,
            course,
            {
                "key": key,
                "title": form.get(f"title_{index}", ""),
                "indicator": ids,
                "purpose": form.get("purpose", "summative"),
                "conversion": "cut_scores",
                "cut_4": "90",
                "cut_3": "75",
                "cut_2": "60",
            },
            user_id=user_id,
        )
    return len(picked)


__all__ = ["TagForm", "bulk_tag", "save_tagging", "tag_form", "target_key"]


def remove_tagging(session: Session, course: Course, form: Mapping[str, Any], *, user_id: int) -> None:
    """Untag one target: its evidence stops counting (kept, marked), standings follow; audit it."""
    kind, external_id, criterion = parse_target_key(str(form.get("key", "")))
    keys = remove_alignment(
        session, course_id=course.id, kind=kind, external_id=external_id, rubric_criterion_id=criterion
    )
    recompute(session, keys, course_id=course.id)
    record_change(
        session,
        actor_id=user_id,
        course_id=course.id,
        action="alignment removed",
        subject=f"'{str(form.get('title', '')) or external_id}'",
        detail=f"{len(keys)} standing(s) recomputed",
    )
