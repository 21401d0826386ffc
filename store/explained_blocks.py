"""The standings of a small run for named keys, computed once, through the explained path.

A run for the keys a new score touches rewrites, and so explains, every indicator standing it
computes (see `store.recompute._explained_anew`), and most of its few roll-ups change with
them. The bulk path (`store.standing_blocks`, `store.rollup_blocks`) would compute each a
second time, in numpy, whose fixed costs outweigh the work on a few observations: for one new
score that was about a quarter of the client's time. Here each standing is computed by the
explained path alone (`mappings.calculation.calculate`, `mappings.rollup.roll_up`,
`mappings.verification.verify`), which gives its explanation too, and the blocks come out as
the bulk path lays them out: same keys, values, counts and digests, so a later full recompute
sees unchanged inputs (tests compare the two paths).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from mappings.calculation import calculate
from mappings.evidence import Purpose
from mappings.rollup import IndicatorResult, roll_up
from mappings.standing import Override
from mappings.verification import IndicatorBody, verify
from store.evidence import StandingKey
from store.evidence_columns import EvidenceColumns, Observed
from store.overrides import standing_key
from store.recompute_inputs import Catalogue, Policies
from store.rollup_blocks import IndicatorStandings
from store.standing_blocks import RuleRecord, StandingBlock, centi, digest, level
from store.standings import StandingKind
from store.stored_standings import StoredStandings

_MASK = (1 << 64) - 1
#: the multipliers of `store.standing_blocks._group_hashes`, which this digest must equal
_ID, _LEVEL, _COUNTED = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
_HABIT_CODE, _ACADEMIC_CODE = 2, 1


@dataclass(frozen=True, slots=True)
class _Row:
    """One observation as the digest and the selection rules read it."""

    id: int
    course: int  # 0: no course
    level: int  # hundredths; -1: no level
    purpose: int
    removed: bool
    excluded: bool
    replaces: int  # 0: none
    observed: Observed


#: one standing's rows: its (student, indicator), its course (0: across courses), its rows
_Group = tuple[tuple[int, int], int, list[_Row]]


def explained_indicator_blocks(
    observed: dict[tuple[int, int], list[Observed]],
    col: EvidenceColumns,
    catalogue: Catalogue,
    policies: Policies,
    overrides: dict[str, Override],
    keys: set[StandingKey],
) -> list[StandingBlock]:
    """Indicator standings across courses (every pair read) and per course (those of `keys`),
    explained, as `store.standing_blocks.indicator_blocks` lays them out.

    `observed` and `col` are one read (`store.evidence_columns.load_observed`): the same rows
    in the same order, each pair's together.
    """
    rows = _rows(observed, col)
    across: list[_Group] = [(pair, 0, body) for pair, body in rows.items()]
    in_course: list[_Group] = [
        (pair, course, [r for r in body if r.course == course])
        for pair, body in rows.items()
        for course in sorted({r.course for r in body} - {0})
        if StandingKey(pair[0], pair[1], course) in keys
    ]
    return [
        _indicators(groups, catalogue, policies, overrides, per_course=per_course)
        for groups, per_course in ((across, False), (in_course, True))
        if groups
    ]


def _rows(
    observed: dict[tuple[int, int], list[Observed]], col: EvidenceColumns
) -> dict[tuple[int, int], list[_Row]]:
    """Each pair's rows, in the read's order (which is the methods' order)."""
    by_pair: dict[tuple[int, int], list[_Row]] = {}
    columns = zip(
        col.id.tolist(),
        col.student.tolist(),
        col.indicator.tolist(),
        col.course.tolist(),
        col.level.tolist(),
        col.purpose.tolist(),
        col.removed.tolist(),
        col.excluded.tolist(),
        col.replaces.tolist(),
        strict=True,
    )
    for evidence_id, student, indicator, course, hundredths, purpose, removed, excluded, replaces in columns:
        body = by_pair.setdefault((student, indicator), [])
        seen = observed[(student, indicator)][len(body)]
        body.append(
            _Row(evidence_id, course, hundredths, purpose, removed == 1, excluded == 1, replaces, seen)
        )
    return by_pair


def _counted(body: Sequence[_Row], counts: int) -> list[bool]:
    """`mappings.bulk.counted_rows` on one standing's rows: own reasons, then replacements
    (by a counted reassessment of the same body)."""
    eligible = [r.level >= 0 and not r.excluded and not r.removed and r.purpose == counts for r in body]
    replaced = {r.replaces for r, ok in zip(body, eligible, strict=True) if ok and r.replaces}
    return [ok and r.id not in replaced for r, ok in zip(body, eligible, strict=True)]


def _group_hash(body: Sequence[_Row], counted: Sequence[bool]) -> int:
    """`store.standing_blocks._group_hashes` for one group, in Python's integers."""
    total = 0
    for rank, (row, counts) in enumerate(zip(body, counted, strict=True)):
        mixed = (
            (row.id * _ID) ^ (((row.level + 7) & _MASK) * _LEVEL) ^ ((int(counts) + 3) * _COUNTED)
        ) & _MASK
        total += mixed * (rank * 2 + 1)
    return total & _MASK


def _indicators(
    groups: Sequence[_Group],
    catalogue: Catalogue,
    policies: Policies,
    overrides: dict[str, Override],
    *,
    per_course: bool,
) -> StandingBlock:
    """One block of indicator standings (across courses, or per course)."""
    block = _Columns(StandingKind.INDICATOR)
    for (student, indicator), course, body in groups:
        habit = catalogue.habit(indicator)
        policy = policies.of(course or None)
        choice, minimum = policy.method_for(habits=habit), policy.min_observations
        key = standing_key("indicator", student, course or None, indicator)
        override = overrides.get(key)
        counted = _counted(body, _HABIT_CODE if habit else _ACADEMIC_CODE)
        standing, explanation = calculate(
            [row.observed.evidence for row in body],
            choice,
            scale=catalogue.scale(indicator),
            min_observations=minimum,
            counts=Purpose.HABIT_OF_WORK if habit else Purpose.SUMMATIVE,
            override=override,
        )
        block.add(
            key,
            student=student,
            course=course,
            indicator=indicator,
            standard=catalogue.standard_of[indicator],
            habit=habit,
            value=standing.value,
            computed=standing.computed,
            met=None,
            overridden=override is not None,
            rule=(choice, minimum),
            record=RuleRecord(choice.name, dict(choice.params), minimum),
            observations=standing.observations,
            # the courses drawn on (evidence from no course counts as one, as in bulk)
            courses=0 if per_course else len({r.course for r, c in zip(body, counted, strict=True) if c}),
            input_hash=f"{_group_hash(body, counted):016x}{digest(choice, minimum, override)}",
            summary=explanation.short(),
            explanation=explanation.to_json(),
        )
    return block.block()


def explained_rollup_blocks(
    wanted: Sequence[tuple[int, int, int]],
    catalogue: Catalogue,
    policies: Policies,
    overrides: dict[str, Override],
    standings: IndicatorStandings,
    stored: StoredStandings,
) -> list[StandingBlock]:
    """The standards' standings of `wanted` (student, standard, course or 0) and, across
    courses, their verifications, explained, as `store.rollup_blocks.Rollups` lays them out,
    less those whose digest is the stored one: they would not be written.

    Each reads its standard's indicator standings (computed in this run, else stored) in the
    catalogue's order; the digests are the explained formula's (`store.standing_blocks.digest`
    of the rule, the members and the override).
    """
    rolling = _Rolling(catalogue, policies, overrides, standings, stored)
    standards, verifications = _Columns(StandingKind.STANDARD), _Columns(StandingKind.VERIFICATION)
    for student, standard, course in wanted:
        members = [
            (i, standings.index.get(standing_key("indicator", student, course or None, i), -1))
            for i in catalogue.indicators_of.get(standard, ())
        ]
        rolling.standard(standards, student, standard, course, members)
        if not course and not catalogue.habit_standard[standard]:
            rolling.verification(verifications, student, standard, members)
    return [columns.block() for columns in (standards, verifications) if columns.key]


class _Rolling:
    """Rolls up one standard at a time from the run's indicator standings."""

    def __init__(
        self,
        catalogue: Catalogue,
        policies: Policies,
        overrides: dict[str, Override],
        standings: IndicatorStandings,
        stored: StoredStandings,
    ) -> None:
        self.catalogue, self.policies, self.overrides, self.stored = catalogue, policies, overrides, stored
        self.has, self.value = standings.has_value.tolist(), standings.value.tolist()
        self.observations, self.courses = standings.observations.tolist(), standings.courses.tolist()

    def unchanged(self, key: str, input_hash: str) -> bool:
        return (at := self.stored.index.get(key)) is not None and self.stored.input_hash[at] == input_hash

    def level(self, at: int) -> Decimal | None:
        return level(self.value[at]) if self.has[at] else None

    def standard(
        self, into: _Columns, student: int, standard: int, course: int, members: list[tuple[int, int]]
    ) -> None:
        """One standard's standing, in a course (`course`) or across courses (0)."""
        key = standing_key("standard", student, course or None, standard)
        found = [(i, self.level(at)) for i, at in members if at >= 0]
        rule, override = self.policies.of(course or None).rollup, self.overrides.get(key)
        input_hash = digest(rule, found, override)
        if self.unchanged(key, input_hash):
            return
        scale, habit = self.catalogue.standard_scale(standard), self.catalogue.habit_standard[standard]
        counts = Purpose.HABIT_OF_WORK if habit else Purpose.SUMMATIVE
        computed, verdict, explanation = roll_up(
            [IndicatorResult(str(i), v, counts=counts) for i, v in found], rule, scale=scale
        )
        met = None if computed is None else bool(verdict)
        if override is not None:  # the reported level decides, as in the bulk path
            met = override.value >= scale.meets
        into.add(
            key,
            student=student,
            course=course,
            indicator=0,
            standard=standard,
            habit=habit,
            value=computed if override is None else override.value,
            computed=computed,
            met=met,
            overridden=override is not None,
            rule=rule,
            record=RuleRecord(rule.name, rule.to_json(), rule.min_indicators),
            observations=len(found),
            courses=0,
            input_hash=input_hash,
            summary=explanation.short(),
            explanation=explanation.to_json(),
        )

    def verification(
        self, into: _Columns, student: int, standard: int, members: list[tuple[int, int]]
    ) -> None:
        """One standard's verification over the student's whole body of evidence."""
        key = standing_key("verification", student, None, standard)
        bodies = [
            IndicatorBody(str(i), self.level(at), self.observations[at], self.courses[at])
            if at >= 0
            else IndicatorBody(str(i), None, 0, 0)
            for i, at in members
        ]
        rule = self.policies.district.verification
        input_hash = digest(rule, bodies)
        if self.unchanged(key, input_hash):
            return
        verified = verify(bodies, rule, scale=self.catalogue.standard_scale(standard))
        into.add(
            key,
            student=student,
            course=0,
            indicator=0,
            standard=standard,
            habit=False,
            value=None,
            computed=None,
            met=verified.met,
            overridden=False,
            rule=rule,
            record=RuleRecord("verification", rule.to_json(), rule.min_observations),
            observations=sum(b.observations for b in bodies),
            courses=max((b.courses for b in bodies), default=0),
            input_hash=input_hash,
            summary=verified.short(),
            explanation=verified.to_json(),
        )


@dataclass(slots=True)
class _Columns:
    """Explained standings of one kind, gathered a row at a time, then made a block."""

    kind: StandingKind
    key: list[str] = field(default_factory=list)
    ints: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    flags: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    #: each distinct method or rule (by a hashable identity): its place in `records`
    rule_index: dict[Hashable, int] = field(default_factory=dict)
    records: list[RuleRecord] = field(default_factory=list)
    texts: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    explanation: list[dict[str, Any] | None] = field(default_factory=list)

    def add(
        self,
        key: str,
        *,
        student: int,
        course: int,
        indicator: int,
        standard: int,
        habit: bool,
        value: Decimal | None,
        computed: Decimal | None,
        met: bool | None,
        overridden: bool,
        rule: Hashable,
        record: RuleRecord,
        observations: int,
        courses: int,
        input_hash: str,
        summary: str,
        explanation: dict[str, Any],
    ) -> None:
        self.key.append(key)
        if (place := self.rule_index.get(rule)) is None:
            place = self.rule_index[rule] = len(self.records)
            self.records.append(record)
        for name, number in (
            ("student", student),
            ("course", course),
            ("indicator", indicator),
            ("standard", standard),
            ("value", 0 if value is None else centi(value)),
            ("computed", 0 if computed is None else centi(computed)),
            ("met", -1 if met is None else int(met)),
            ("rule", place),
            ("observations", observations),
            ("courses", courses),
        ):
            self.ints[name].append(number)
        for name, flag in (
            ("habit", habit),
            ("has_value", value is not None),
            ("has_computed", computed is not None),
            ("overridden", overridden),
        ):
            self.flags[name].append(flag)
        self.texts["input_hash"].append(input_hash)
        self.texts["summary"].append(summary)
        self.explanation.append(explanation)

    def block(self) -> StandingBlock:
        ints = {name: np.array(values, dtype=np.int64) for name, values in self.ints.items()}
        flags = {name: np.array(values, dtype=np.bool_) for name, values in self.flags.items()}
        return StandingBlock(
            kind=self.kind,
            key=self.key,
            student=ints["student"],
            course=ints["course"],
            indicator=ints["indicator"],
            standard=ints["standard"],
            habit=flags["habit"],
            value=ints["value"],
            has_value=flags["has_value"],
            computed=ints["computed"],
            has_computed=flags["has_computed"],
            met=ints["met"],
            overridden=flags["overridden"],
            rule=ints["rule"],
            rules=self.records,
            observations=ints["observations"],
            courses=ints["courses"],
            input_hash=self.texts["input_hash"],
            summary=self.texts["summary"],
            explanation=self.explanation,
        )
