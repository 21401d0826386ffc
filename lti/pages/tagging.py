"""Tag assignments: every assignment of the course in one list, from every place it lives.

- the LMS's own assignments (Canvas, Moodle, Schoology REST, with rubric criteria), read
  live through `bridge.lms_api` when the course's LMS is connected;
- the tool's own gradebook columns (AGS line items), except the standing columns it writes;
- the SIS's line items (OneRoster) of the classes linked to the course.

Each row says what it is aligned to now. Columns a deep link created already aligned are
adopted here (`deep_link.adopt_deep_linked`). A source that cannot be read becomes a notice
that says why and what to do, never an error page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from bridge.ags import AgsClient, LineItem
from bridge.context import Bridge
from bridge.lms_api import (
    LmsAssignment,
    LmsAuthorizationRequired,
    LmsNotConnected,
    course_assignments,
)
from bridge.writeback import TAG as STANDING_COLUMN_TAG
from lti.pages.deep_link import adopt_deep_linked
from mappings.conversion import conversion_from_json
from mappings.standing import shown
from pbridge.errors import PlatformError, ProficiencyBridgeError
from store.alignments import Alignment, AlignmentKind, course_alignments
from store.page_queries import IndicatorEntry, published_indicators, sis_classes_of_course
from store.people import Course
from store.platforms import Platform
from store.sis import line_items_of_class

SOURCE_WORDS = {
    AlignmentKind.LMS_ASSIGNMENT: "LMS assignment",
    AlignmentKind.AGS_LINE_ITEM: "Tool column (AGS)",
    AlignmentKind.ONEROSTER_LINE_ITEM: "SIS line item (OneRoster)",
}


def target_key(kind: AlignmentKind, external_id: str, criterion_id: str = "") -> str:
    """One text naming what is tagged: kind, rubric criterion ("" for all), the system's id."""
    return f"{kind.value}|{criterion_id}|{external_id}"


def parse_target_key(key: str) -> tuple[AlignmentKind, str, str]:
    try:
        kind, criterion, external_id = key.split("|", 2)
        return AlignmentKind(kind), external_id, criterion
    except ValueError:
        raise ProficiencyBridgeError("this assignment link is damaged; open it again from the list") from None


@dataclass(frozen=True, slots=True)
class AlignmentSummary:
    id: int
    codes: tuple[str, ...]
    purpose: str
    conversion: str


@dataclass(frozen=True, slots=True)
class Taggable:
    key: str
    kind: AlignmentKind
    external_id: str
    criterion_id: str
    title: str
    detail: str
    points: Decimal | None
    alignment: AlignmentSummary | None
    connection_id: int | None = None
    criteria: tuple[Taggable, ...] = ()
    #: for level maps: the rubric's ratings (name, points)
    ratings: tuple[tuple[str, Decimal], ...] = ()

    @property
    def source(self) -> str:
        return SOURCE_WORDS[self.kind]


@dataclass(frozen=True, slots=True)
class AssignmentList:
    items: tuple[Taggable, ...]
    notices: tuple[str, ...]
    authorize: bool
    indicators: tuple[IndicatorEntry, ...]
    adopted: int = 0
    sources: tuple[str, ...] = field(default=())

    @property
    def aligned(self) -> int:
        return sum(1 for i in self.items if i.alignment) + sum(
            1 for i in self.items for c in i.criteria if c.alignment
        )


def conversion_words(data: dict[str, object]) -> str:
    try:
        conversion = conversion_from_json(data)
    except ProficiencyBridgeError:
        return "unreadable conversion"
    stored = conversion.to_json()
    if stored["kind"] == "cut_scores":
        cuts = ", ".join(f"≥{shown(Decimal(p))}% → {shown(Decimal(lv))}" for p, lv in stored["cuts"])
        return f"cut scores {cuts}, else {shown(Decimal(stored['floor']))}"
    if stored["kind"] == "level_map":
        return "rubric map " + ", ".join(f"{k} → {shown(Decimal(v))}" for k, v in stored["levels"])
    return "the score is the level"


def _summary(alignment: Alignment | None) -> AlignmentSummary | None:
    if alignment is None:
        return None
    return AlignmentSummary(
        id=alignment.id,
        codes=tuple(i.code for i in alignment.indicators),
        purpose=alignment.purpose.value.replace("_", " "),
        conversion=conversion_words(alignment.conversion),
    )


def ags_client(bridge: Bridge, platform: Platform, course: Course) -> AgsClient:
    return AgsClient(
        bridge.platform_http(platform),
        bridge.service_tokens(platform),
        granted_scopes=frozenset(course.ags_scopes or ()),
        flavour=platform.preset.value,
    )


def assignment_list(session: Session, bridge: Bridge, course: Course, *, user_id: int) -> AssignmentList:
    """Every assignment of the course with its alignment; reading problems become notices."""
    notices: list[str] = []
    authorize = False
    items: list[Taggable] = []
    adopted = 0
    lms_items: list[LmsAssignment] = []
    try:
        lms_items = course_assignments(bridge, course.id, user_id=user_id)
    except LmsAuthorizationRequired:
        authorize = True
        notices.append("Connect Proficiency Bridge to Canvas once to list your course's assignments.")
    except LmsNotConnected as problem:
        notices.append(f"Your LMS's own assignments are not listed: {problem}.")
    except (PlatformError, ProficiencyBridgeError) as problem:
        notices.append(f"The LMS did not list its assignments: {problem}")
    line_items: list[LineItem] = []
    platform = session.get(Platform, course.platform_id) if course.platform_id else None
    if platform is not None and course.ags_lineitems_url:
        try:
            line_items = ags_client(bridge, platform, course).line_items(course.ags_lineitems_url)
        except (PlatformError, ProficiencyBridgeError) as problem:
            notices.append(f"The tool's gradebook columns could not be read: {problem}")
        adopted = adopt_deep_linked(
            session,
            course_id=course.id,
            platform_id=course.platform_id,
            line_items=[(li.id, li.label, li.resource_id) for li in line_items],
            actor_id=user_id,
        )
    existing = {
        (a.kind, a.external_id, a.rubric_criterion_id): a for a in course_alignments(session, course.id)
    }
    items.extend(_lms_rows(lms_items, existing, skip_tool_columns=bool(line_items)))
    items.extend(_ags_rows(line_items, existing))
    items.extend(_sis_rows(session, course.id, existing))
    return AssignmentList(
        items=tuple(items),
        notices=tuple(notices),
        authorize=authorize,
        indicators=tuple(published_indicators(session)),
        adopted=adopted,
    )


Existing = dict[tuple[AlignmentKind, str, str], Alignment]


def _lms_rows(
    assignments: list[LmsAssignment], existing: Existing, *, skip_tool_columns: bool
) -> list[Taggable]:
    kind = AlignmentKind.LMS_ASSIGNMENT
    rows = []
    for a in sorted(assignments, key=lambda a: (a.due_at is None, a.due_at, a.position, a.title)):
        if a.external_tool and skip_tool_columns:
            continue  # the same column is listed below as the tool's own (AGS)
        criteria = tuple(
            Taggable(
                key=target_key(kind, a.id, c.id),
                kind=kind,
                external_id=a.id,
                criterion_id=c.id,
                title=c.description,
                detail=f"rubric criterion of {a.title}"
                + (f" · {shown(c.points)} points" if c.points else ""),
                points=c.points,
                alignment=_summary(existing.get((kind, a.id, c.id))),
                ratings=tuple((r.description, r.points) for r in c.ratings),
            )
            for c in a.criteria
        )
        parts = [a.group] if a.group else []
        if a.points_possible is not None:
            parts.append(f"{shown(a.points_possible)} points")
        if a.due_at is not None:
            parts.append(f"due {a.due_at:%b %-d}")
        if not a.published:
            parts.append("unpublished")
        rows.append(
            Taggable(
                key=target_key(kind, a.id),
                kind=kind,
                external_id=a.id,
                criterion_id="",
                title=a.title,
                detail=" · ".join(parts),
                points=a.points_possible,
                alignment=_summary(existing.get((kind, a.id, ""))),
                criteria=criteria,
            )
        )
    return rows


def _ags_rows(line_items: list[LineItem], existing: Existing) -> list[Taggable]:
    kind = AlignmentKind.AGS_LINE_ITEM
    return [
        Taggable(
            key=target_key(kind, li.id),
            kind=kind,
            external_id=li.id,
            criterion_id="",
            title=li.label,
            detail=f"{shown(li.score_maximum)} points",
            points=li.score_maximum,
            alignment=_summary(existing.get((kind, li.id, ""))),
        )
        for li in line_items
        if li.tag != STANDING_COLUMN_TAG
    ]


def _sis_rows(session: Session, course_id: int, existing: Existing) -> list[Taggable]:
    kind = AlignmentKind.ONEROSTER_LINE_ITEM
    rows = []
    for klass in sis_classes_of_course(session, course_id):
        for li in line_items_of_class(session, klass.connection_id, klass.sourced_id):
            maximum = Decimal(str(li.result_value_max)) if li.result_value_max is not None else None
            detail = f"{klass.title or klass.sourced_id}" + (f" · max {shown(maximum)}" if maximum else "")
            rows.append(
                Taggable(
                    key=target_key(kind, li.sourced_id),
                    kind=kind,
                    external_id=li.sourced_id,
                    criterion_id="",
                    title=li.title or li.sourced_id,
                    detail=detail,
                    points=maximum,
                    alignment=_summary(existing.get((kind, li.sourced_id, ""))),
                    connection_id=klass.connection_id,
                )
            )
    return rows
