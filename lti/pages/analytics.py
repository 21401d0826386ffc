"""Class and school analytics: distributions per indicator and standard, change over time,
and the same by group (section, grade level, sex, race and ethnicity), with every group under
10 students suppressed.

Small groups are suppressed, not rounded: a count of 3 students at "does not meet" in a
group of 4 names people. Grade levels and demographics come from the SIS roster; a group
the data does not have is not shown, and a student the SIS gave no demographics is in
"Not reported". Race and ethnicity use the usual reporting categories: Hispanic or Latino
of any race, then each single race, then two or more races.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from lti.pages.levels import LevelShown, ScaleView, scale_view_for
from lti.pages.tables import Table
from mappings.evidence import EvidenceStatus, Purpose
from store.evidence import EvidenceRow
from store.page_queries import (
    IndicatorEntry,
    StandingCell,
    all_courses,
    course_evidence,
    course_memberships,
    grade_levels,
    indicator_catalogue,
    standards_of,
    standing_cells,
    student_demographics,
)
from store.sis_demographics import SisDemographics
from store.standings import StandingKind

MIN_GROUP = 10
SUPPRESSED = "suppressed (n < 10)"
#: SVG fills by tone, the stylesheet's edge colours (the bar's labels carry the meaning)
NOT_REPORTED = "Not reported"
SEXES = {"female": "Female", "male": "Male", "other": "Other", "unspecified": "Unspecified"}
HISPANIC = "Hispanic or Latino"
#: single races in reporting order (the stored column, its category)
RACES = (
    ("american_indian_or_alaska_native", "American Indian or Alaska Native"),
    ("asian", "Asian"),
    ("black_or_african_american", "Black or African American"),
    ("native_hawaiian_or_other_pacific_islander", "Native Hawaiian or Other Pacific Islander"),
    ("white", "White"),
)
TWO_OR_MORE = "Two or more races"
RACE_ORDER = (HISPANIC, *(title for _, title in RACES), TWO_OR_MORE, NOT_REPORTED)
TONE_FILLS = {"low2": "#b3261e", "low1": "#a35d00", "meets": "#2e7d32", "high": "#1f5fae", "none": "#8a949e"}


@dataclass(frozen=True, slots=True)
class Segment:
    x: float
    width: float
    fill: str
    label: str


@dataclass(frozen=True, slots=True)
class Distribution:
    key: str
    title: str
    n: int
    counts: tuple[tuple[LevelShown, int], ...]
    suppressed: bool

    @property
    def total(self) -> int:
        """What the shares are of: standings, or observations (several per student)."""
        return sum(c for _, c in self.counts)

    @property
    def met_share(self) -> str:
        if self.suppressed or not self.total:
            return ""
        met = sum(c for lv, c in self.counts if lv.met)
        return f"{round(100 * met / self.total)} %"

    def segments(self, width: float = 240.0) -> tuple[Segment, ...]:
        if self.suppressed or not self.total:
            return ()
        out, x = [], 0.0
        for level, count in self.counts:
            if count:
                w = round(width * count / self.total, 1)
                out.append(Segment(x, w, TONE_FILLS[level.tone], f"{level.label}: {count}"))
                x += w
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Analytics:
    scope: str
    scale: ScaleView
    indicators: tuple[Distribution, ...]
    standards: tuple[Distribution, ...]
    over_time: tuple[Distribution, ...]
    groups: tuple[tuple[str, tuple[Distribution, ...]], ...]
    students: int

    def tables(self) -> list[Table]:
        levels = [lv for lv in self.scale.legend()]
        columns = ("", "Students", *(lv.label for lv in levels), "Meets or above")

        def rows(items: Iterable[Distribution]) -> list[tuple[object, ...]]:
            out: list[tuple[object, ...]] = []
            for d in items:
                if d.suppressed:
                    out.append((d.title, SUPPRESSED, *([""] * len(levels)), ""))
                else:
                    out.append((d.title, d.n, *(c for _, c in d.counts), d.met_share))
            return out

        note = "Groups of fewer than 10 students are suppressed."
        tables = [
            Table.of(
                "indicators",
                "By performance indicator",
                ("Indicator", *columns[1:]),
                rows(self.indicators),
                note,
            ),
            Table.of(
                "standards", "By graduation standard", ("Standard", *columns[1:]), rows(self.standards), note
            ),
            Table.of(
                "over_time",
                "Summative evidence by month",
                ("Month", "Students", *(lv.label for lv in levels), "At meets or above"),
                rows(self.over_time),
                note,
            ),
        ]
        for name, items in self.groups:
            key = "group_" + "".join(ch if ch.isalnum() else "_" for ch in name.lower())
            tables.append(Table.of(key, f"By {name}", (name.capitalize(), *columns[1:]), rows(items), note))
        return tables


def _distribution(
    key: str, title: str, values: list[Decimal | None], scale: ScaleView, n: int
) -> Distribution:
    counts: Counter[Decimal | None] = Counter(
        None if v is None else scale.scale.level_at(v).value for v in values
    )
    levels = [lv.value for lv in scale.scale.levels] + [None]
    return Distribution(
        key=key,
        title=title,
        n=n,
        counts=tuple((scale.show(lv), counts[lv]) for lv in levels),
        suppressed=n < MIN_GROUP,
    )


def _of_cells(key: str, title: str, cells: list[StandingCell], scale: ScaleView) -> Distribution:
    return _distribution(key, title, [c.value for c in cells], scale, len({c.student_id for c in cells}))


def class_analytics(session: Session, course_id: int) -> Analytics:
    return _analytics(session, [course_id], scope="class")


def school_analytics(session: Session) -> Analytics:
    return _analytics(session, [c.id for c in all_courses(session)], scope="school")


def _analytics(session: Session, course_ids: list[int], *, scope: str) -> Analytics:
    members = course_memberships(session, course_ids)
    enrolled = {(c, s) for c, s in members}
    cells = [
        c
        for c in standing_cells(session, kind=StandingKind.INDICATOR, course_ids=course_ids)
        if not c.habit and (c.course_id, c.student_id) in enrolled
    ]
    standard_cells = [
        c
        for c in standing_cells(session, kind=StandingKind.STANDARD, course_ids=course_ids)
        if not c.habit and (c.course_id, c.student_id) in enrolled
    ]
    catalogue = indicator_catalogue(session, {c.indicator_id for c in cells if c.indicator_id})
    scale = scale_view_for(session, catalogue.values())
    indicators = _by_target(cells, scale, catalogue)
    standards_named = standards_of(session, {c.standard_id for c in standard_cells if c.standard_id})
    by_standard: dict[int, list[StandingCell]] = defaultdict(list)
    for c in standard_cells:
        if c.standard_id is not None:
            by_standard[c.standard_id].append(c)
    standards = tuple(
        _distribution(
            str(sid),
            f"{standards_named[sid].code} {standards_named[sid].title}"
            if sid in standards_named
            else str(sid),
            [c.value for c in group],
            scale,
            len({c.student_id for c in group}),
        )
        for sid, group in sorted(by_standard.items(), key=lambda kv: _standard_key(standards_named, kv[0]))
    )
    evidence: list[EvidenceRow] = []
    for course_id in course_ids:
        evidence.extend(course_evidence(session, course_id))
    groups = _groups(session, cells, scale, course_ids, scope)
    return Analytics(
        scope=scope,
        scale=scale,
        indicators=indicators,
        standards=standards,
        over_time=_over_time(evidence, scale, catalogue),
        groups=groups,
        students=len({s for _, s in members}),
    )


def _standard_key(named: dict[int, object], standard_id: int) -> tuple[int, str]:
    standard = named.get(standard_id)
    return (getattr(standard, "position", 0), getattr(standard, "code", ""))


def _by_target(
    cells: list[StandingCell], scale: ScaleView, catalogue: dict[int, IndicatorEntry]
) -> tuple[Distribution, ...]:
    groups: dict[int, list[StandingCell]] = defaultdict(list)
    for c in cells:
        if c.indicator_id is not None:
            groups[c.indicator_id].append(c)
    return tuple(
        _distribution(
            entry.code,
            entry.code,
            [c.value for c in groups[entry.id]],
            scale,
            len({c.student_id for c in groups[entry.id]}),
        )
        for entry in sorted(catalogue.values(), key=lambda e: e.order)
    )


def _over_time(
    evidence: list[EvidenceRow], scale: ScaleView, catalogue: dict[int, IndicatorEntry]
) -> tuple[Distribution, ...]:
    """Summative evidence per month: the levels shown that month, and how many students."""
    months: dict[str, list[EvidenceRow]] = defaultdict(list)
    for e in evidence:
        entry = catalogue.get(e.indicator_id)
        if (
            e.purpose is Purpose.SUMMATIVE
            and e.level is not None
            and not e.excluded
            and e.status is not EvidenceStatus.REMOVED_AT_SOURCE
            and (entry is None or not entry.habit)
        ):
            months[e.assessed_at.strftime("%Y-%m")].append(e)
    return tuple(
        _distribution(
            month,
            month,
            [Decimal(e.level).quantize(Decimal("0.01")) for e in rows if e.level is not None],
            scale,
            len({e.student_id for e in rows}),
        )
        for month, rows in sorted(months.items())
    )


def _groups(
    session: Session, cells: list[StandingCell], scale: ScaleView, course_ids: list[int], scope: str
) -> tuple[tuple[str, tuple[Distribution, ...]], ...]:
    """Every indicator standing pooled per group: how each group is doing overall."""
    out: list[tuple[str, tuple[Distribution, ...]]] = []
    if scope == "school":
        titles = {c.id: (c.title or c.label or str(c.id)) for c in all_courses(session) if c.id in course_ids}
        by_course: dict[int, list[StandingCell]] = defaultdict(list)
        for c in cells:
            if c.course_id is not None:
                by_course[c.course_id].append(c)
        out.append(("section", _pooled(by_course, titles, scale)))
    grades = grade_levels(session, {c.student_id for c in cells})
    if grades:
        by_grade: dict[str, list[StandingCell]] = defaultdict(list)
        for c in cells:
            by_grade[grades.get(c.student_id, "unknown")].append(c)
        out.append(("grade level", _pooled(by_grade, {g: f"Grade {g}" for g in by_grade}, scale)))
    demographics = student_demographics(session, {c.student_id for c in cells})
    if demographics:
        out.extend(demographic_groups(cells, demographics, scale))
    return tuple(out)


def demographic_groups(
    cells: list[StandingCell], demographics: Mapping[int, SisDemographics], scale: ScaleView
) -> list[tuple[str, tuple[Distribution, ...]]]:
    """Standings pooled by sex and by race and ethnicity; no record is "Not reported"."""
    by_sex: dict[str, list[StandingCell]] = defaultdict(list)
    by_race: dict[str, list[StandingCell]] = defaultdict(list)
    for c in cells:
        record = demographics.get(c.student_id)
        sex = record.sex if record is not None else ""
        by_sex[SEXES.get(sex, sex.capitalize() or NOT_REPORTED)].append(c)
        by_race[race_ethnicity(record)].append(c)
    sexes = sorted(by_sex, key=lambda s: (s == NOT_REPORTED, s))
    return [
        ("sex", _pooled(by_sex, {}, scale, order=sexes)),
        ("race and ethnicity", _pooled(by_race, {}, scale, order=RACE_ORDER)),
    ]


def race_ethnicity(record: SisDemographics | None) -> str:
    """The reporting category: Hispanic or Latino of any race, a single race, or two or more."""
    if record is None:
        return NOT_REPORTED
    if record.hispanic_or_latino_ethnicity:
        return HISPANIC
    races = [title for column, title in RACES if getattr(record, column)]
    if len(races) > 1 or record.two_or_more_races:
        return TWO_OR_MORE
    return races[0] if races else NOT_REPORTED


def _pooled(
    groups: dict,  # type: ignore[type-arg]
    titles: dict,  # type: ignore[type-arg]
    scale: ScaleView,
    order: Iterable[str] | None = None,
) -> tuple[Distribution, ...]:
    """One distribution per group, by title or in the given `order` (keys not in it left out)."""
    if order is not None:
        return tuple(
            _distribution(
                key, key, [c.value for c in groups[key]], scale, len({c.student_id for c in groups[key]})
            )
            for key in order
            if key in groups
        )
    return tuple(
        _distribution(
            str(key),
            str(titles.get(key, key)),
            [c.value for c in rows],
            scale,
            len({c.student_id for c in rows}),
        )
        for key, rows in sorted(groups.items(), key=lambda kv: str(titles.get(kv[0], kv[0])))
    )
