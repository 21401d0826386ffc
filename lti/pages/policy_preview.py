"""Policy preview: the same class under another calculation method, side by side, before choosing.

Nothing is stored by the preview: it runs `mappings.calculation` over the course's bodies of
evidence with the method the teacher is considering, and compares with the standings the
course has now. Saving is allowed only where the district policy lets a course choose.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from lti.pages.levels import LevelShown, ScaleView, scale_view_for
from lti.pages.tables import Table
from mappings.calculation import METHODS, CalculationMethod, MethodChoice, calculate
from mappings.evidence import Evidence, Purpose
from mappings.policy import CourseChoice, Policy
from pbridge.errors import CalculationError, ProficiencyBridgeError
from store.audit import record_change
from store.page_queries import (
    IndicatorEntry,
    StandingCell,
    course_evidence,
    indicator_catalogue,
    standing_cells,
)
from store.people import course_students
from store.policies import course_choice, district_policy, set_course_choice
from store.recompute import recompute
from store.standings import StandingKind


@dataclass(frozen=True, slots=True)
class Change:
    student: str
    indicator: IndicatorEntry
    now: LevelShown
    then: LevelShown


@dataclass(frozen=True, slots=True)
class IndicatorComparison:
    indicator: IndicatorEntry
    now: tuple[tuple[LevelShown, int], ...]
    then: tuple[tuple[LevelShown, int], ...]
    changed: int
    met_now: int
    met_then: int


@dataclass(frozen=True, slots=True)
class PolicyPreview:
    current: Policy
    district: Policy
    candidate: MethodChoice | None
    error: str
    methods: tuple[CalculationMethod, ...]
    allowed: frozenset[str]
    indicators: tuple[IndicatorComparison, ...]
    changes: tuple[Change, ...]
    scale: ScaleView
    total: int

    @property
    def may_choose(self) -> bool:
        return self.candidate is not None and (
            self.candidate.name in self.allowed or self.candidate == self.district.method
        )

    def tables(self) -> list[Table]:
        rows = [(c.student, c.indicator.code, c.now.text, c.then.text) for c in self.changes]
        label = self.candidate.describe() if self.candidate else "the chosen method"
        return [
            Table.of(
                "changes",
                "Standings that would change",
                ("Student", "Indicator", f"Now ({self.current.method.describe()})", f"With {label}"),
                rows,
            )
        ]


def parse_candidate(args: Mapping[str, str]) -> MethodChoice | None:
    """The method being considered, with only the parameters it takes; None when none asked."""
    name = args.get("method", "")
    if not name:
        return None
    method = METHODS.get(name)
    if method is None:
        raise CalculationError(f"unknown calculation method {name!r}")
    params = {p.name: args[p.name] for p in method.parameters if args.get(p.name, "").strip()}
    return MethodChoice.of(name, params)


def policy_preview(session: Session, course_id: int, args: Mapping[str, str]) -> PolicyPreview:
    district = district_policy(session)
    current = district.for_course(course_choice(session, course_id))
    error = ""
    try:
        candidate = parse_candidate(args)
    except CalculationError as problem:
        candidate, error = None, str(problem)
    students = {s.id: s.display_name for s in course_students(session, course_id)}
    cells = [
        c
        for c in standing_cells(session, kind=StandingKind.INDICATOR, course_ids=[course_id])
        if not c.habit and c.indicator_id is not None and c.student_id in students
    ]
    catalogue = indicator_catalogue(session, {c.indicator_id for c in cells if c.indicator_id})
    scale = scale_view_for(session, catalogue.values())
    comparisons: list[IndicatorComparison] = []
    changes: list[Change] = []
    if candidate is not None:
        bodies: dict[tuple[int, int], list[Evidence]] = defaultdict(list)
        for row in course_evidence(session, course_id):
            bodies[(row.student_id, row.indicator_id)].append(row.to_evidence())
        after: dict[tuple[int, int], Decimal | None] = {}
        for cell in cells:
            assert cell.indicator_id is not None
            standing, _ = calculate(
                bodies[(cell.student_id, cell.indicator_id)],
                candidate,
                scale=scale.scale,
                min_observations=current.min_observations,
                counts=Purpose.SUMMATIVE,
            )
            after[(cell.student_id, cell.indicator_id)] = standing.value
        comparisons, changes = _compare(cells, after, catalogue, students, scale)
    return PolicyPreview(
        current=current,
        district=district,
        candidate=candidate,
        error=error,
        methods=tuple(METHODS.values()),
        allowed=district.course_methods,
        indicators=tuple(comparisons),
        changes=tuple(changes),
        scale=scale,
        total=len(cells),
    )


def _compare(
    cells: list[StandingCell],
    after: dict[tuple[int, int], Decimal | None],
    catalogue: dict[int, IndicatorEntry],
    students: dict[int, str],
    scale: ScaleView,
) -> tuple[list[IndicatorComparison], list[Change]]:
    by_indicator: dict[int | None, list[StandingCell]] = defaultdict(list)
    for cell in cells:
        by_indicator[cell.indicator_id].append(cell)
    comparisons: list[IndicatorComparison] = []
    changes: list[Change] = []
    for entry in sorted(catalogue.values(), key=lambda e: e.order):
        now_counts: Counter[Decimal | None] = Counter()
        then_counts: Counter[Decimal | None] = Counter()
        changed = met_now = met_then = 0
        for cell in by_indicator[entry.id]:
            then = after[(cell.student_id, entry.id)]
            now_shown, then_shown = scale.show(cell.value), scale.show(then)
            now_counts[scale.scale.level_at(cell.value).value if cell.value is not None else None] += 1
            then_counts[scale.scale.level_at(then).value if then is not None else None] += 1
            met_now += bool(now_shown.met)
            met_then += bool(then_shown.met)
            if then != cell.value:
                changed += 1
                changes.append(Change(students[cell.student_id], entry, now_shown, then_shown))
        keys = [lv.value for lv in scale.scale.levels] + [None]
        comparisons.append(
            IndicatorComparison(
                entry,
                tuple((scale.show(k), now_counts[k]) for k in keys),
                tuple((scale.show(k), then_counts[k]) for k in keys),
                changed,
                met_now,
                met_then,
            )
        )
    return comparisons, changes


def choose_method(session: Session, *, course_id: int, args: Mapping[str, str], actor_id: int) -> Policy:
    """Save the course's method (refused where the district does not allow it) and recompute."""
    candidate = parse_candidate(args)
    if candidate is None:
        raise ProficiencyBridgeError("choose a calculation method first")
    district = district_policy(session)
    choice = None if candidate == district.method else CourseChoice(method=candidate)
    effective = set_course_choice(session, course_id, choice, by_user_id=actor_id)
    recompute(session, course_id=course_id)
    record_change(
        session,
        actor_id=actor_id,
        course_id=course_id,
        action="course method changed",
        subject="calculation method of the course",
        detail=effective.method.describe(),
    )
    return effective
