"""Computed standings as columns, and the indicator standings computed from evidence columns.

A recompute keeps its standings as one `StandingBlock` per kind and scope (numpy arrays,
one entry per standing) from the evidence to the database write, so a district's million
standings never become a million objects. Indicator standings come from `mappings.bulk`,
grouped by the method each one runs (course policy, habit of work or not, framework scale).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any
from zlib import crc32

import numpy as np

from mappings.bulk import BoolArray, IntArray, compute, counted_rows, first_of_runs
from mappings.calculation import MethodChoice
from mappings.standing import Override
from store.evidence import StandingKey
from store.evidence_columns import EvidenceColumns
from store.overrides import standing_key
from store.recompute_inputs import Catalogue, Policies
from store.standing_writes import StandingColumns
from store.standings import StandingKind, StandingStatus

_PRIME = np.uint64(0x9E3779B97F4A7C15)
#: below this many values plain Python beats numpy's fixed costs
_SMALL = 64


@cache
def level(centi: int) -> Decimal:
    """A level from hundredths, as the explained path gives it (2.50, never 2.5)."""
    return Decimal(centi).scaleb(-2)


def centi(value: Decimal) -> int:
    """A level with at most two decimals, in hundredths."""
    return int(value.scaleb(2))


def digest(*parts: object) -> str:
    """A short digest of everything a standing was computed from (unchanged: no rewrite)."""
    return text_digest(repr(parts))


def text_digest(text: str) -> str:
    """`digest` of parts whose repr is `text`, built without making the objects."""
    return f"{crc32(text.encode()):08x}"


@dataclass(frozen=True, slots=True)
class RuleRecord:
    """What a standing row records of the method or rule that made it."""

    method: str
    params: dict[str, Any]
    min_observations: int


@dataclass(slots=True)
class StandingBlock:
    """Computed standings of one kind, as columns: one entry per standing."""

    kind: StandingKind
    key: list[str]
    student: IntArray
    course: IntArray  # 0: across courses
    indicator: IntArray  # 0: none
    standard: IntArray  # 0: none
    habit: BoolArray
    value: IntArray  # the reported value (an override's) in hundredths, where has_value
    has_value: BoolArray
    computed: IntArray  # what the method or rule gives, where has_computed
    has_computed: BoolArray
    met: IntArray  # 1, 0; -1: none
    overridden: BoolArray
    rule: IntArray  # index into rules
    rules: list[RuleRecord]
    observations: IntArray
    courses: IntArray
    input_hash: list[str]
    summary: list[str]
    explanation: list[dict[str, Any] | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.explanation:
            self.explanation = [None] * len(self.key)

    def computed_of(self, row: int) -> Decimal | None:
        return level(int(self.computed[row])) if self.has_computed[row] else None

    def met_of(self, row: int) -> bool | None:
        met = int(self.met[row])
        return None if met < 0 else bool(met)

    def columns(self, rows: Sequence[int], computed_at: Any) -> StandingColumns:
        """These rows, as the writer takes them."""
        picked = np.array(rows, dtype=np.int64)

        def optional(values: IntArray, present: BoolArray | None = None) -> list[int | None]:
            chosen = values[picked].tolist()
            if present is None:
                return [v or None for v in chosen]
            return [v if p else None for v, p in zip(chosen, present[picked].tolist(), strict=True)]

        rules = [self.rules[r] for r in self.rule[picked].tolist()]
        met = self.met[picked].tolist()
        if self.kind is StandingKind.VERIFICATION:
            verified, not_verified = StandingStatus.VERIFIED, StandingStatus.NOT_VERIFIED
            status = [verified if m == 1 else not_verified for m in met]
        else:
            has, insufficient = StandingStatus.LEVEL, StandingStatus.INSUFFICIENT
            status = [has if h else insufficient for h in self.has_value[picked].tolist()]
        return StandingColumns(
            key=[self.key[r] for r in rows],
            kind=[self.kind] * len(rows),
            student_id=self.student[picked].tolist(),
            course_id=optional(self.course),
            indicator_id=optional(self.indicator),
            standard_id=optional(self.standard),
            habit=self.habit[picked].tolist(),
            status=status,
            value=optional(self.value, self.has_value),
            computed_value=optional(self.computed, self.has_computed),
            met=[None if m < 0 else bool(m) for m in met],
            overridden=self.overridden[picked].tolist(),
            method=[r.method for r in rules],
            params=[r.params for r in rules],
            min_observations=[r.min_observations for r in rules],
            observations=self.observations[picked].tolist(),
            courses=self.courses[picked].tolist(),
            summary=[self.summary[r][:300] for r in rows],
            explanation=[self.explanation[r] for r in rows],
            input_hash=[self.input_hash[r] for r in rows],
            computed_at=computed_at,
        )


def dense(values: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct values (ascending), and each entry's index among them."""
    if len(values) <= _SMALL:  # np.unique's fixed cost dominates a handful of values
        plain = values.tolist()
        ordered = sorted(set(plain))
        place = {v: i for i, v in enumerate(ordered)}
        return np.array(ordered, dtype=np.int64), np.array([place[v] for v in plain], dtype=np.int64)
    distinct, inverse = np.unique(values, return_inverse=True)
    return distinct, inverse.reshape(-1).astype(np.int64)


def _replaces_positions(col: EvidenceColumns, layout: IntArray, group: IntArray) -> IntArray:
    """For each row of a layout, the layout position of the row it replaces in its group, or -1."""
    wanted = col.replaces[layout]
    if not wanted.any():  # no reassessment among these rows (the usual case)
        return np.full(len(layout), -1, dtype=np.int64)
    ids = col.id[layout]
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    pos = np.clip(np.searchsorted(sorted_ids, wanted), 0, len(ids) - 1)
    target = order[pos]
    found = (wanted > 0) & (sorted_ids[pos] == wanted) & (group[target] == group)
    return np.where(found, target, -1).astype(np.int64)


def _group_hashes(
    col: EvidenceColumns, layout: IntArray, group: IntArray, counted: BoolArray, starts: IntArray
) -> list[int]:
    """A 64-bit digest per group of which rows, in which order, with which levels, count."""
    with np.errstate(over="ignore"):
        rank = np.arange(len(group)) - starts[group]  # groups are numbered 0, 1, … in row order
        mixed = (
            col.id[layout].astype(np.uint64) * _PRIME
            ^ (col.level[layout].astype(np.uint64) + np.uint64(7)) * np.uint64(0xC2B2AE3D27D4EB4F)
            ^ (counted.astype(np.uint64) + np.uint64(3)) * np.uint64(0x165667B19E3779F9)
        ) * (rank.astype(np.uint64) * np.uint64(2) + np.uint64(1))
        sums: list[int] = np.add.reduceat(mixed, starts).tolist()
        return sums


def indicator_blocks(
    col: EvidenceColumns,
    catalogue: Catalogue,
    policies: Policies,
    overrides: dict[str, Override],
    keys: set[StandingKey] | None,
) -> list[StandingBlock]:
    """Indicator standings across courses (every pair read) and per course (every one, or
    those of `keys`)."""
    n = len(col.id)
    if n == 0:
        return []
    pair_start = first_of_runs(
        (col.student[1:] != col.student[:-1]) | (col.indicator[1:] != col.indicator[:-1])
    )
    pair = np.cumsum(pair_start) - 1
    distinct, inverse = dense(col.indicator)
    habit_of = np.array([catalogue.habit(i) for i in distinct.tolist()], dtype=np.bool_)[inverse]
    counts = np.where(habit_of, 2, 1).astype(np.int8)
    build = _IndicatorLayout(col, catalogue, policies, overrides, counts, habit_of)
    # across courses: one group per (student, indicator), rows already in order
    blocks = [build.block(np.arange(n), pair, per_course=False)]
    # per course: regroup by (student, indicator, course), keeping the time order
    in_course = np.flatnonzero(col.course != 0)
    layout = in_course[np.lexsort((in_course, col.course[in_course], pair[in_course]))]
    if len(layout) == 0:
        return blocks
    change = first_of_runs(
        (pair[layout][1:] != pair[layout][:-1]) | (col.course[layout][1:] != col.course[layout][:-1])
    )
    group = np.cumsum(change) - 1
    if keys is not None:
        first = layout[np.flatnonzero(change)]
        wanted = np.array(
            [
                StandingKey(s, i, c) in keys
                for s, i, c in zip(
                    col.student[first].tolist(),
                    col.indicator[first].tolist(),
                    col.course[first].tolist(),
                    strict=True,
                )
            ],
            dtype=np.bool_,
        )
        keep = wanted[group]
        layout = layout[keep]
        if len(layout) == 0:
            return blocks
        group = np.cumsum(first_of_runs(group[keep][1:] != group[keep][:-1])) - 1
    blocks.append(build.block(layout, group, per_course=True))
    return blocks


@dataclass(frozen=True, slots=True)
class _IndicatorLayout:
    """Computes one grouping of the evidence rows (across courses, or per course)."""

    col: EvidenceColumns
    catalogue: Catalogue
    policies: Policies
    overrides: dict[str, Override]
    counts: Any  # per evidence row: the purpose that counts (1 academic, 2 habit of work)
    habit: BoolArray  # per evidence row

    def block(self, layout: IntArray, group: IntArray, *, per_course: bool) -> StandingBlock:
        col = self.col
        groups = int(group[-1]) + 1
        counted = counted_rows(
            has_level=col.level[layout] >= 0,
            excluded=col.excluded[layout] == 1,
            removed=col.removed[layout] == 1,
            purpose=col.purpose[layout].astype(np.int8),
            counts=self.counts[layout],
            replaces=_replaces_positions(col, layout, group),
        )
        starts = np.flatnonzero(first_of_runs(group[1:] != group[:-1]))
        first = layout[starts]
        student, indicator, habit = col.student[first], col.indicator[first], self.habit[first]
        course = col.course[first] if per_course else np.zeros(groups, dtype=np.int64)
        choices, rule = self._methods(course, habit)
        distinct_indicators, indicator_index = dense(indicator)
        framework_of = self.catalogue.framework_of
        framework = np.array([framework_of[i] for i in distinct_indicators.tolist()], dtype=np.int64)
        distinct_frameworks, framework_index = dense(framework[indicator_index])
        # one bucket per (method, framework scale): usually a handful
        width = len(distinct_frameworks)
        buckets, bucket = dense(rule * width + framework_index)
        computed = np.zeros(groups, dtype=np.int64)
        has_computed = np.zeros(groups, dtype=np.bool_)
        observations = np.zeros(groups, dtype=np.int64)
        levels = col.level[layout]
        local = np.zeros(groups, dtype=np.int64)
        for b, combined in enumerate(buckets.tolist()):
            choice, min_observations = choices[combined // width]
            in_bucket: Any = slice(None)  # one bucket (the usual case): every group, no masks
            members, rows, member_group = groups, in_bucket, group
            if len(buckets) > 1:
                in_bucket = bucket == b
                members = int(in_bucket.sum())
                local[in_bucket] = np.arange(members)
                rows = in_bucket[group]
                member_group = local[group[rows]]
            got = compute(
                member_group,
                levels[rows],
                counted[rows],
                groups=members,
                choice=choice,
                scale=self.catalogue.scales[int(distinct_frameworks[combined % width])],
                min_observations=min_observations,
            )
            computed[in_bucket] = got.value
            has_computed[in_bucket] = got.has_value
            observations[in_bucket] = got.observations
        courses = np.zeros(groups, dtype=np.int64)
        if not per_course and counted.any():
            _, course_rank = dense(col.course[layout])
            span = int(course_rank.max()) + 1
            drawn_on = np.unique(group[counted] * span + course_rank[counted])
            courses = np.bincount(drawn_on // span, minlength=groups).astype(np.int64)
        keys = [
            standing_key("indicator", s, c or None, i)
            for s, c, i in zip(student.tolist(), course.tolist(), indicator.tolist(), strict=True)
        ]
        method_digests = [digest(choice, minimum, None) for choice, minimum in choices]
        hashes = _group_hashes(col, layout, group, counted, starts)
        rules = rule.tolist()
        input_hash = [f"{h:016x}{method_digests[r]}" for h, r in zip(hashes, rules, strict=True)]
        value, has_value = computed.copy(), has_computed.copy()
        overridden = np.zeros(groups, dtype=np.bool_)
        if self.overrides:
            for row, key in enumerate(keys):
                override = self.overrides.get(key)
                if override is not None:
                    choice, minimum = choices[rules[row]]
                    value[row], has_value[row], overridden[row] = centi(override.value), True, True
                    input_hash[row] = f"{hashes[row]:016x}{digest(choice, minimum, override)}"
        standard_of = self.catalogue.standard_of
        standard = np.array([standard_of[i] for i in distinct_indicators.tolist()], dtype=np.int64)
        return StandingBlock(
            kind=StandingKind.INDICATOR,
            key=keys,
            student=student,
            course=course,
            indicator=indicator,
            standard=standard[indicator_index],
            habit=habit,
            value=value,
            has_value=has_value,
            computed=computed,
            has_computed=has_computed,
            met=np.full(groups, -1, dtype=np.int64),
            overridden=overridden,
            rule=rule,
            rules=[RuleRecord(c.name, dict(c.params), minimum) for c, minimum in choices],
            observations=observations,
            courses=courses,
            input_hash=input_hash,
            summary=[""] * groups,
        )

    def _methods(self, course: IntArray, habit: BoolArray) -> tuple[list[tuple[MethodChoice, int]], IntArray]:
        """The distinct (method, minimum observations) the groups run, and each group's."""
        choices: list[tuple[MethodChoice, int]] = []
        found: dict[tuple[MethodChoice, int], int] = {}
        distinct_courses, course_index = dense(course)
        rule_of = np.zeros((len(distinct_courses), 2), dtype=np.int64)
        for c, course_id in enumerate(distinct_courses.tolist()):
            policy = self.policies.of(course_id or None)
            for is_habit in (0, 1):
                choice = (policy.method_for(habits=bool(is_habit)), policy.min_observations)
                if choice not in found:
                    found[choice] = len(choices)
                    choices.append(choice)
                rule_of[c, is_habit] = found[choice]
        return choices, rule_of[course_index, habit.astype(np.int64)]
