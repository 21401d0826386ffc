"""Recompute standings from evidence, incrementally: a new score touches only what depends on it.

What depends on one (student, indicator, course) key:

1. the student's standing on that indicator in that course (the course's policy);
2. the student's standing on that indicator across all courses and years (district policy);
3. the roll-ups of the indicator's graduation standard, in that course and across courses;
4. the verification of that graduation standard (habits of work are not verified).

Evidence is read as integer columns ordered by student, indicator, assessed date, attempt
and id, and computed by `mappings.bulk` (the same numbers as the explained path); only
standings whose inputs changed are written, and only those whose value changed are
returned, so the write-back pushes only changes. With `explain=True` each written
indicator standing also gets its full explanation from the explained path (and the bulk
value is checked against it); a district-wide run may pass False, and the explanation is
then built from the same evidence when a page first reads it.
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Integer, case, cast, func, insert, select, update
from sqlalchemy.orm import Session

from mappings.bulk import GroupValues, IntArray, compute, counted_rows
from mappings.calculation import MethodChoice, calculate
from mappings.evidence import EvidenceStatus, Purpose
from mappings.policy import Policy
from mappings.rollup import IndicatorResult, roll_up
from mappings.scale import Level, Scale, default_scale
from mappings.standing import Override
from mappings.verification import IndicatorBody, verify
from pbridge.errors import CalculationError
from store.evidence import EvidenceRow, StandingKey
from store.frameworks import Framework, GraduationStandard, PerformanceIndicator, ScaleLevel, StandardKind
from store.overrides import active_overrides, standing_key
from store.policies import all_policies
from store.standings import StandingKind, StandingRow, StandingStatus
from store.types import utcnow

_CHUNK = 500
_PRIME = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True, slots=True)
class StandingChange:
    """One standing whose reported value or status changed: what the write-back pushes."""

    standing_id: int
    key: str
    kind: StandingKind
    student_id: int
    course_id: int | None
    indicator_id: int | None
    standard_id: int | None
    habit: bool
    old_value: Decimal | None
    new_value: Decimal | None
    old_status: StandingStatus | None
    new_status: StandingStatus
    #: the one-line explanation for the gradebook comment ("" when not explained)
    comment: str


@dataclass(slots=True)
class _Catalogue:
    standard_of: dict[int, int]
    indicators_of: dict[int, list[int]]
    habit_standard: dict[int, bool]
    framework_of: dict[int, int]
    scales: dict[int, Scale]

    def habit(self, indicator_id: int) -> bool:
        return self.habit_standard[self.standard_of[indicator_id]]

    def scale(self, indicator_id: int) -> Scale:
        return self.scales[self.framework_of[indicator_id]]


def _scales(session: Session, framework_ids: Iterable[int]) -> dict[int, Scale]:
    """Each framework's scale (the default 1–4 scale for one that lists no levels)."""
    ids = sorted(set(framework_ids))
    settings: dict[int, tuple[Decimal, bool]] = {}
    levels: dict[int, list[Level]] = defaultdict(list)
    for framework_id, meets, half_points, value, label, colour in session.execute(
        select(
            Framework.id,
            Framework.meets_value,
            Framework.half_points,
            ScaleLevel.value,
            ScaleLevel.label,
            ScaleLevel.colour,
        )
        .outerjoin(ScaleLevel, ScaleLevel.framework_id == Framework.id)
        .where(Framework.id.in_(ids))
        .order_by(Framework.id, ScaleLevel.value)
    ):
        settings[framework_id] = (Decimal(meets).quantize(Decimal("0.01")), half_points)
        if value is not None:
            levels[framework_id].append(Level(Decimal(value).quantize(Decimal("0.01")), label, colour))
    scales: dict[int, Scale] = {}
    for framework_id, (meets, half_points) in settings.items():
        if levels[framework_id]:
            scales[framework_id] = Scale(
                levels=tuple(levels[framework_id]), meets=meets, half_points=half_points
            )
        else:
            scales[framework_id] = default_scale(half_points=half_points)
    return scales


def scale_for_indicator(session: Session, indicator_id: int) -> Scale:
    """The scale of the framework an indicator belongs to."""
    framework_id = session.scalar(
        select(PerformanceIndicator.framework_id).where(PerformanceIndicator.id == indicator_id)
    )
    if framework_id is None:
        raise CalculationError(f"no performance indicator with id {indicator_id}")
    return _scales(session, [framework_id])[framework_id]


def _catalogue(session: Session, indicator_ids: Iterable[int] | None) -> _Catalogue:
    """Indicators, their standards (with every sibling indicator) and the scales: two queries."""
    query = select(
        PerformanceIndicator.id,
        PerformanceIndicator.standard_id,
        PerformanceIndicator.framework_id,
        GraduationStandard.kind,
    ).join(GraduationStandard, GraduationStandard.id == PerformanceIndicator.standard_id)
    if indicator_ids is not None:
        ids = sorted(set(indicator_ids))
        standards = (
            select(PerformanceIndicator.standard_id).where(PerformanceIndicator.id.in_(ids)).scalar_subquery()
        )
        query = query.where(PerformanceIndicator.standard_id.in_(standards))
    habit_standard: dict[int, bool] = {}
    standard_of: dict[int, int] = {}
    framework_of: dict[int, int] = {}
    indicators_of: dict[int, list[int]] = defaultdict(list)
    for iid, sid, fid, kind in session.execute(query.order_by(PerformanceIndicator.id)):
        habit_standard[sid] = kind is StandardKind.HABIT_OF_WORK
        standard_of[iid] = sid
        framework_of[iid] = fid
        indicators_of[sid].append(iid)
    return _Catalogue(
        standard_of,
        dict(indicators_of),
        habit_standard,
        framework_of,
        _scales(session, framework_of.values()),
    )


@dataclass(slots=True)
class _Columns:
    id: IntArray
    student: IntArray
    indicator: IntArray
    course: IntArray  # 0: no course
    level: IntArray  # hundredths; -1: no level
    purpose: IntArray
    removed: IntArray
    excluded: IntArray
    replaces: IntArray  # evidence id, 0: none


def _evidence_query() -> Any:
    level = cast(func.round(EvidenceRow.level * 100), Integer)
    return select(
        EvidenceRow.id,
        EvidenceRow.student_id,
        EvidenceRow.indicator_id,
        func.coalesce(EvidenceRow.course_id, 0),
        func.coalesce(level, -1),
        case(
            (EvidenceRow.purpose == Purpose.SUMMATIVE, 1),
            (EvidenceRow.purpose == Purpose.HABIT_OF_WORK, 2),
            else_=0,
        ),
        case((EvidenceRow.status == EvidenceStatus.REMOVED_AT_SOURCE, 1), else_=0),
        case((EvidenceRow.excluded, 1), else_=0),
        func.coalesce(EvidenceRow.replaces_evidence_id, 0),
    ).order_by(
        EvidenceRow.student_id,
        EvidenceRow.indicator_id,
        EvidenceRow.assessed_at,
        EvidenceRow.attempt,
        EvidenceRow.id,
    )


def _columns(chunks: Sequence[np.ndarray]) -> _Columns:
    table = np.concatenate(chunks) if chunks else np.zeros((0, 9), dtype=np.int64)
    return _Columns(*(np.ascontiguousarray(table[:, i]) for i in range(9)))


def _fetch(session: Session, query: Any) -> list[np.ndarray]:
    """Run the query and read its rows straight off the driver's cursor, in big chunks.

    The columns are plain integers, so SQLAlchemy's per-row processing is only overhead.
    """
    result = session.connection().execute(query)
    cursor = result.cursor
    chunks: list[np.ndarray] = []
    while True:
        rows = cursor.fetchmany(200_000)
        if not rows:
            break
        chunks.append(np.array(rows, dtype=np.int64))
    result.close()
    return chunks


def load_evidence_columns(session: Session, pairs: set[tuple[int, int]] | None) -> _Columns:
    """The evidence of these (student, indicator) pairs (None: all), as ordered int columns."""
    query = _evidence_query()
    if pairs is None:
        return _columns(_fetch(session, query))
    students = sorted({s for s, _ in pairs})
    indicators = sorted({i for _, i in pairs})
    chunks: list[np.ndarray] = []
    wanted = np.array(sorted(s * (1 << 32) + i for s, i in pairs), dtype=np.int64)
    for start in range(0, len(students), _CHUNK):
        for chunk in _fetch(
            session,
            query.where(
                EvidenceRow.student_id.in_(students[start : start + _CHUNK]),
                EvidenceRow.indicator_id.in_(indicators),
            ),
        ):
            keep = np.isin(chunk[:, 1] * (1 << 32) + chunk[:, 2], wanted)
            if keep.any():
                chunks.append(chunk[keep])
    return _columns(chunks)


_ROWS_FOR_SMALL_RUNS = 2000
_PURPOSE_CODE = {Purpose.FORMATIVE: 0, Purpose.SUMMATIVE: 1, Purpose.HABIT_OF_WORK: 2}


def _evidence_rows(session: Session, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], list[EvidenceRow]]:
    """The stored evidence of these (student, indicator) pairs, each in the methods' order."""
    students = sorted({s for s, _ in pairs})
    indicators = sorted({i for _, i in pairs})
    bodies: dict[tuple[int, int], list[EvidenceRow]] = defaultdict(list)
    for start in range(0, len(students), _CHUNK):
        for row in session.scalars(
            select(EvidenceRow).where(
                EvidenceRow.student_id.in_(students[start : start + _CHUNK]),
                EvidenceRow.indicator_id.in_(indicators),
            )
        ):
            if (row.student_id, row.indicator_id) in pairs:
                bodies[(row.student_id, row.indicator_id)].append(row)
    for rows in bodies.values():
        rows.sort(key=lambda e: (e.assessed_at, e.attempt, e.id))
    return dict(bodies)


def _columns_of(bodies: dict[tuple[int, int], list[EvidenceRow]]) -> _Columns:
    """The same columns `load_evidence_columns` reads, from rows already loaded."""
    table = [
        (
            e.id,
            e.student_id,
            e.indicator_id,
            e.course_id or 0,
            -1 if e.level is None else int((Decimal(e.level) * 100).to_integral_value()),
            _PURPOSE_CODE[e.purpose],
            int(e.status is EvidenceStatus.REMOVED_AT_SOURCE),
            int(e.excluded),
            e.replaces_evidence_id or 0,
        )
        for pair in sorted(bodies)
        for e in bodies[pair]
    ]
    return _columns([np.array(table, dtype=np.int64).reshape(-1, 9)])


@dataclass(frozen=True, slots=True)
class _Stored:
    id: int
    value: Decimal | None
    status: StandingStatus
    met: bool | None
    input_hash: str
    observations: int
    courses: int


@dataclass(slots=True)
class _Result:
    """One computed standing, before it is compared with what is stored."""

    key: str
    kind: StandingKind
    student_id: int
    course_id: int | None
    indicator_id: int | None
    standard_id: int | None
    habit: bool
    status: StandingStatus
    value: Decimal | None
    computed: Decimal | None
    met: bool | None
    overridden: bool
    method: str
    params: dict[str, Any]
    min_observations: int
    observations: int
    courses: int
    input_hash: str
    summary: str = ""
    explanation: dict[str, Any] | None = None


def _replaces_positions(col: _Columns, layout: IntArray, group: IntArray) -> IntArray:
    """For each row of a layout, the layout position of the row it replaces in its group, or -1."""
    ids = col.id[layout]
    wanted = col.replaces[layout]
    if len(ids) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    pos = np.clip(np.searchsorted(sorted_ids, wanted), 0, len(ids) - 1)
    target = order[pos]
    found = (wanted > 0) & (sorted_ids[pos] == wanted) & (group[target] == group)
    return np.where(found, target, -1).astype(np.int64)


def _group_hashes(
    col: _Columns, layout: IntArray, group: IntArray, counted: np.ndarray, groups: int
) -> np.ndarray:
    """A 64-bit digest per group of which rows, in which order, with which levels, count."""
    with np.errstate(over="ignore"):
        starts = (
            np.r_[0, np.flatnonzero(group[1:] != group[:-1]) + 1] if len(group) else np.zeros(0, np.int64)
        )
        rank = np.arange(len(group)) - np.repeat(starts, np.diff(np.r_[starts, len(group)]))
        mixed = (
            col.id[layout].astype(np.uint64) * _PRIME
            ^ (col.level[layout].astype(np.uint64) + np.uint64(7)) * np.uint64(0xC2B2AE3D27D4EB4F)
            ^ (counted.astype(np.uint64) + np.uint64(3)) * np.uint64(0x165667B19E3779F9)
        ) * (rank.astype(np.uint64) * np.uint64(2) + np.uint64(1))
        sums: np.ndarray = np.add.reduceat(mixed, starts) if len(group) else np.zeros(0, np.uint64)
        return sums


def _digest(*parts: object) -> str:
    return f"{zlib.crc32(repr(parts).encode()):08x}"


def _value(v: GroupValues, g: int) -> Decimal | None:
    return v.level(g)


class _Run:
    """One recompute: what to compute, the policies, the results, the writes."""

    def __init__(self, session: Session, *, explain: bool) -> None:
        self.session = session
        self.explain = explain
        self.district, self.courses = all_policies(session)
        self.results: dict[str, _Result] = {}
        self.cat: _Catalogue | None = None
        self.overrides: dict[str, Override] = {}
        self.stored: dict[str, _Stored] = {}
        self._digests: dict[tuple[MethodChoice, int], str] = {}
        #: the evidence rows themselves, when an incremental run loaded them (for explanations)
        self.bodies: dict[tuple[int, int], list[EvidenceRow]] | None = None

    def _method_digest(self, choice: MethodChoice, min_observations: int) -> str:
        key = (choice, min_observations)
        if key not in self._digests:
            self._digests[key] = _digest(choice, min_observations, None)
        return self._digests[key]

    def policy(self, course_id: int | None) -> Policy:
        return self.district if course_id is None else self.courses.get(course_id, self.district)

    def indicators(
        self, col: _Columns, cat: _Catalogue, keys: set[StandingKey] | None, overrides: dict[str, Override]
    ) -> None:
        n = len(col.id)
        if n == 0:
            return
        pair_start = np.r_[
            True, (col.student[1:] != col.student[:-1]) | (col.indicator[1:] != col.indicator[:-1])
        ]
        pair = np.cumsum(pair_start) - 1
        unique_indicators, inverse = np.unique(col.indicator, return_inverse=True)
        habit_of = np.array([cat.habit(int(i)) for i in unique_indicators], dtype=np.bool_)[inverse]
        counts = np.where(habit_of, 2, 1).astype(np.int8)
        # across courses: one group per (student, indicator), rows already in order
        self._layout(col, cat, np.arange(n), pair, counts, habit_of, None, overrides)
        # per course: regroup by (student, indicator, course), keeping the time order
        in_course = np.flatnonzero(col.course != 0)
        layout = in_course[np.lexsort((in_course, col.course[in_course], pair[in_course]))]
        if len(layout) == 0:
            return
        change = np.r_[
            True,
            (pair[layout][1:] != pair[layout][:-1]) | (col.course[layout][1:] != col.course[layout][:-1]),
        ]
        group = np.cumsum(change) - 1
        if keys is not None:
            starts = np.flatnonzero(change)
            wanted = np.array(
                [
                    StandingKey(int(col.student[r]), int(col.indicator[r]), int(col.course[r])) in keys
                    for r in layout[starts]
                ],
                dtype=np.bool_,
            )
            keep = wanted[group]
            layout = layout[keep]
            group = (
                np.cumsum(np.r_[True, group[keep][1:] != group[keep][:-1]]) - 1 if len(layout) else group[:0]
            )
            if len(layout) == 0:
                return
        self._layout(col, cat, layout, group, counts, habit_of, "course", overrides)

    def _layout(
        self,
        col: _Columns,
        cat: _Catalogue,
        layout: IntArray,
        group: IntArray,
        counts_all: np.ndarray,
        habit_all: np.ndarray,
        scope: str | None,
        overrides: dict[str, Override],
    ) -> None:
        groups = int(group[-1]) + 1
        replaces = _replaces_positions(col, layout, group)
        counted = counted_rows(
            has_level=col.level[layout] >= 0,
            excluded=col.excluded[layout] == 1,
            removed=col.removed[layout] == 1,
            purpose=col.purpose[layout].astype(np.int8),
            counts=counts_all[layout],
            replaces=replaces,
        )
        starts = np.r_[0, np.flatnonzero(group[1:] != group[:-1]) + 1]
        first = layout[starts]
        student = col.student[first]
        indicator = col.indicator[first]
        course = col.course[first] if scope else np.zeros(groups, dtype=np.int64)
        habit = habit_all[first]
        framework = np.array([cat.framework_of[int(i)] for i in indicator], dtype=np.int64)
        # one bucket per (course policy, habit, framework): usually a handful
        combos, bucket = np.unique(
            np.stack([course, habit.astype(np.int64), framework], axis=1), axis=0, return_inverse=True
        )
        bucket = bucket.reshape(-1)
        values: list[GroupValues | None] = [None] * len(combos)
        local_index = np.zeros(groups, dtype=np.int64)
        levels = col.level[layout]
        for b, (course_id, is_habit, framework_id) in enumerate(combos):
            policy = self.policy(int(course_id) or None)
            choice = policy.method_for(habits=bool(is_habit))
            in_bucket = bucket == b
            member_rows = in_bucket[group]
            sub_group = np.cumsum(np.r_[True, group[member_rows][1:] != group[member_rows][:-1]]) - 1
            local_index[in_bucket] = np.arange(int(in_bucket.sum()))
            values[b] = compute(
                sub_group.astype(np.int64),
                levels[member_rows],
                counted[member_rows],
                groups=int(in_bucket.sum()),
                choice=choice,
                scale=cat.scales[int(framework_id)],
                min_observations=policy.min_observations,
            )
        hashes = _group_hashes(col, layout, group, counted, groups)
        course_count = np.zeros(groups, dtype=np.int64)
        if scope is None:
            pairs = np.unique(np.stack([group[counted], col.course[layout][counted]], axis=1), axis=0)
            course_count = np.bincount(pairs[:, 0], minlength=groups) if len(pairs) else course_count
        for g in range(groups):
            b = int(bucket[g])
            v = values[b]
            assert v is not None
            local = int(local_index[g])
            course_id = int(course[g]) or None
            policy = self.policy(course_id)
            is_habit = bool(habit[g])
            choice = policy.method_for(habits=is_habit)
            key = standing_key("indicator", int(student[g]), course_id, int(indicator[g]))
            override = overrides.get(key)
            computed = _value(v, local)
            value = computed if override is None else override.value
            self.results[key] = _Result(
                key=key,
                kind=StandingKind.INDICATOR,
                student_id=int(student[g]),
                course_id=course_id,
                indicator_id=int(indicator[g]),
                standard_id=cat.standard_of[int(indicator[g])],
                habit=is_habit,
                status=StandingStatus.INSUFFICIENT if value is None else StandingStatus.LEVEL,
                value=value,
                computed=computed,
                met=None,
                overridden=override is not None,
                method=choice.name,
                params=dict(choice.params),
                min_observations=policy.min_observations,
                observations=int(v.observations[local]),
                courses=int(course_count[g]),
                input_hash=f"{int(hashes[g]):016x}"
                + (
                    _digest(choice, policy.min_observations, override)
                    if override is not None
                    else self._method_digest(choice, policy.min_observations)
                ),
            )

    def rollups(
        self, cat: _Catalogue, wanted: set[tuple[int, int, int | None]], overrides: dict[str, Override]
    ) -> None:
        """Standard standings, in a course and across courses, and verifications."""
        stored = self.stored
        for student_id, standard_id, course_id in sorted(wanted, key=lambda k: (k[0], k[1], k[2] or 0)):
            habit = cat.habit_standard[standard_id]
            indicator_ids = cat.indicators_of.get(standard_id, [])
            members = []
            for iid in indicator_ids:
                key = standing_key("indicator", student_id, course_id, iid)
                found = self.results.get(key) or stored.get(key)
                if found is not None:
                    members.append((iid, found))
            scale = cat.scale(indicator_ids[0]) if indicator_ids else default_scale()
            policy = self.policy(course_id)
            rule = policy.rollup
            value, met, explanation = roll_up(
                [
                    IndicatorResult(
                        key=str(iid),
                        value=r.value,
                        counts=Purpose.HABIT_OF_WORK if habit else Purpose.SUMMATIVE,
                    )
                    for iid, r in members
                ],
                rule,
                scale=scale,
            )
            key = standing_key("standard", student_id, course_id, standard_id)
            override = overrides.get(key)
            shown_value = value if override is None else override.value
            self.results[key] = _Result(
                key=key,
                kind=StandingKind.STANDARD,
                student_id=student_id,
                course_id=course_id,
                indicator_id=None,
                standard_id=standard_id,
                habit=habit,
                status=StandingStatus.INSUFFICIENT if shown_value is None else StandingStatus.LEVEL,
                value=shown_value,
                computed=value,
                met=(shown_value >= scale.meets) if override is not None and shown_value is not None else met,
                overridden=override is not None,
                method=rule.name,
                params=rule.to_json(),
                min_observations=rule.min_indicators,
                observations=len(members),
                courses=0,
                input_hash=_digest(rule, [(i, r.value) for i, r in members], override),
                summary=explanation.short(),
                explanation=explanation.to_json() if self.explain else None,
            )
            if course_id is None and not habit:
                bodies = []
                for iid in indicator_ids:
                    r = self.results.get(standing_key("indicator", student_id, None, iid)) or stored.get(
                        standing_key("indicator", student_id, None, iid)
                    )
                    bodies.append(
                        IndicatorBody(
                            str(iid),
                            r.value if r else None,
                            r.observations if r else 0,
                            r.courses if r else 0,
                        )
                    )
                verification = verify(bodies, self.district.verification, scale=scale)
                vkey = standing_key("verification", student_id, None, standard_id)
                self.results[vkey] = _Result(
                    key=vkey,
                    kind=StandingKind.VERIFICATION,
                    student_id=student_id,
                    course_id=None,
                    indicator_id=None,
                    standard_id=standard_id,
                    habit=False,
                    status=StandingStatus.VERIFIED if verification.met else StandingStatus.NOT_VERIFIED,
                    value=None,
                    computed=None,
                    met=verification.met,
                    overridden=False,
                    method="verification",
                    params=self.district.verification.to_json(),
                    min_observations=self.district.verification.min_observations,
                    observations=sum(b.observations for b in bodies),
                    courses=max((b.courses for b in bodies), default=0),
                    input_hash=_digest(self.district.verification, bodies),
                    summary=verification.short(),
                    explanation=verification.to_json() if self.explain else None,
                )

    def load_stored(self, students: set[int] | None) -> None:
        """The stored standings of these students (None: all), read once per run."""
        query = select(
            StandingRow.id,
            StandingRow.key,
            StandingRow.value,
            StandingRow.status,
            StandingRow.met,
            StandingRow.input_hash,
            StandingRow.observations,
            StandingRow.courses,
        )
        batches = (
            [query]
            if students is None
            else [
                query.where(StandingRow.student_id.in_(chunk))
                for chunk in (sorted(students)[k : k + _CHUNK] for k in range(0, len(students), _CHUNK))
            ]
        )
        for batch in batches:
            for sid, key, value, status, met, digest, observations, courses in self.session.execute(batch):
                self.stored[key] = _Stored(
                    sid,
                    None if value is None else Decimal(value).quantize(Decimal("0.01")),
                    status,
                    met,
                    digest,
                    observations,
                    courses,
                )

    def explain_indicators(self, keys: list[str]) -> None:
        """Full explanations for these indicator standings, from the explained path."""
        wanted = [self.results[k] for k in keys]
        if not wanted:
            return
        pairs = {(r.student_id, r.indicator_id or 0) for r in wanted}
        bodies = self.bodies if self.bodies is not None else _evidence_rows(self.session, pairs)
        cat = self.cat or _catalogue(self.session, {i for _, i in pairs})
        overrides = self.overrides
        for r in wanted:
            assert r.indicator_id is not None
            rows = bodies.get((r.student_id, r.indicator_id), [])
            if r.course_id is not None:
                rows = [e for e in rows if e.course_id == r.course_id]
            policy = self.policy(r.course_id)
            standing, explanation = calculate(
                [e.to_evidence() for e in rows],
                policy.method_for(habits=r.habit),
                scale=cat.scale(r.indicator_id),
                min_observations=policy.min_observations,
                counts=Purpose.HABIT_OF_WORK if r.habit else Purpose.SUMMATIVE,
                override=overrides.get(r.key),
            )
            if standing.computed != r.computed:
                raise CalculationError(
                    f"standing {r.key}: the bulk path gave {r.computed}, the explained path "
                    f"{standing.computed}; this is a bug, please report it"
                )
            r.summary = explanation.short()
            r.explanation = explanation.to_json()

    def write(self) -> list[StandingChange]:
        """Insert new standings, update those whose inputs changed; return value changes."""
        keys = sorted(self.results)
        stored = self.stored
        to_write = [k for k in keys if k not in stored or stored[k].input_hash != self.results[k].input_hash]
        if self.explain:
            self.explain_indicators([k for k in to_write if self.results[k].kind is StandingKind.INDICATOR])
        now = utcnow()
        inserts = [self._row(self.results[k], now) for k in to_write if k not in stored]
        updates = [{"id": stored[k].id, **self._row(self.results[k], now)} for k in to_write if k in stored]
        ids = _insert_standings(self.session, inserts)
        if updates:
            self.session.execute(update(StandingRow), updates)
        changes = []
        for k in to_write:
            r = self.results[k]
            old = stored.get(k)
            if old is not None and (old.value, old.status, old.met) == (r.value, r.status, r.met):
                continue
            changes.append(
                StandingChange(
                    standing_id=ids[k] if old is None else old.id,
                    key=k,
                    kind=r.kind,
                    student_id=r.student_id,
                    course_id=r.course_id,
                    indicator_id=r.indicator_id,
                    standard_id=r.standard_id,
                    habit=r.habit,
                    old_value=None if old is None else old.value,
                    new_value=r.value,
                    old_status=None if old is None else old.status,
                    new_status=r.status,
                    comment=r.summary,
                )
            )
        self.session.flush()
        return changes

    @staticmethod
    def _row(r: _Result, now: Any) -> dict[str, Any]:
        return {
            "key": r.key,
            "kind": r.kind,
            "student_id": r.student_id,
            "course_id": r.course_id,
            "indicator_id": r.indicator_id,
            "standard_id": r.standard_id,
            "habit": r.habit,
            "status": r.status,
            "value": r.value,
            "computed_value": r.computed,
            "met": r.met,
            "overridden": r.overridden,
            "method": r.method,
            "params": r.params,
            "min_observations": r.min_observations,
            "observations": r.observations,
            "courses": r.courses,
            "summary": r.summary[:300],
            "explanation": r.explanation,
            "input_hash": r.input_hash,
            "computed_at": now,
        }


def recompute(
    session: Session,
    keys: Iterable[StandingKey] | None = None,
    *,
    course_id: int | None = None,
    explain: bool = True,
) -> list[StandingChange]:
    """Recompute the standings that depend on `keys`; return those whose value changed.

    `keys` None recomputes one course (`course_id`) or, without it, everything. Only the
    standings that depend on the keys are computed (see the module docstring); only those
    whose inputs changed are written; only those whose value, status or verdict changed are
    returned, oldest key first. The caller commits.
    """
    run = _Run(session, explain=explain)
    wanted_keys: set[StandingKey] | None
    if keys is not None:
        wanted_keys = set(keys)
        if not wanted_keys:
            return []
        pairs: set[tuple[int, int]] | None = {(k.student_id, k.indicator_id) for k in wanted_keys}
    elif course_id is not None:
        found = session.execute(
            select(EvidenceRow.student_id, EvidenceRow.indicator_id)
            .where(EvidenceRow.course_id == course_id)
            .distinct()
        ).all()
        pairs = {(int(s), int(i)) for s, i in found}
        wanted_keys = {StandingKey(s, i, course_id) for s, i in pairs}
        if not pairs:
            return []
    else:
        pairs = None
        wanted_keys = None
    if pairs is not None and explain and len(pairs) <= _ROWS_FOR_SMALL_RUNS:
        run.bodies = _evidence_rows(session, pairs)
        col = _columns_of(run.bodies)
    else:
        col = load_evidence_columns(session, pairs)
    indicator_ids = None if pairs is None else {i for _, i in pairs}
    cat = run.cat = _catalogue(session, indicator_ids)
    students = None if pairs is None else {s for s, _ in pairs}
    overrides = run.overrides = active_overrides(session, students)
    run.load_stored(students)
    run.indicators(col, cat, wanted_keys, overrides)
    rollups: set[tuple[int, int, int | None]] = set()
    for r in list(run.results.values()):
        if r.standard_id is not None:
            rollups.add((r.student_id, r.standard_id, r.course_id))
    run.rollups(cat, rollups, overrides)
    return run.write()


_COPY_COLUMNS = (
    "id",
    "key",
    "kind",
    "student_id",
    "course_id",
    "indicator_id",
    "standard_id",
    "habit",
    "status",
    "value",
    "computed_value",
    "met",
    "overridden",
    "method",
    "params",
    "min_observations",
    "observations",
    "courses",
    "summary",
    "explanation",
    "input_hash",
    "computed_at",
)


def _insert_standings(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert new standing rows fast; their ids by key.

    PostgreSQL: ids are taken from the sequence up front and the rows loaded with COPY.
    SQLite numbers the rows itself (reading max(id) first would race a concurrent course's
    writer) and the ids are read back by key.
    """
    if not rows:
        return {}
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        ids = [
            int(r[0])
            for r in connection.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence('standings', 'id')) FROM generate_series(1, %(n)s)",
                {"n": len(rows)},
            )
        ]
    else:
        # SQLite: let it number the rows (max(id)+1 read here would race other writers),
        # then read the numbers back by key
        connection.execute(insert(StandingRow), rows)
        keys = [row["key"] for row in rows]
        numbered: dict[str, int] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            query = select(StandingRow.id, StandingRow.key).where(StandingRow.key.in_(chunk))
            found = connection.execute(query)
            numbered.update({key: int(standing_id) for standing_id, key in found})
        return numbered
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    driver = connection.connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY standings ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(_copy_row(row))
    return {row["key"]: row["id"] for row in rows}


def _copy_row(row: dict[str, Any]) -> tuple[Any, ...]:
    """One standing as COPY text takes it: enums by value, JSON as text, naive UTC times."""
    explanation = row["explanation"]
    return (
        row["id"],
        row["key"],
        row["kind"].value,
        row["student_id"],
        row["course_id"],
        row["indicator_id"],
        row["standard_id"],
        row["habit"],
        row["status"].value,
        row["value"],
        row["computed_value"],
        row["met"],
        row["overridden"],
        row["method"],
        json.dumps(row["params"]),
        row["min_observations"],
        row["observations"],
        row["courses"],
        row["summary"],
        None if explanation is None else json.dumps(explanation),
        row["input_hash"],
        row["computed_at"].astimezone(UTC).replace(tzinfo=None),
    )
