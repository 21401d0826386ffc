"""Graduation standard standings (per course and across courses) and verifications, as
columns: the roll-ups of a recompute.

Each roll-up reads its standard's indicator standings (computed in this run, else stored)
in the catalogue's order; every member is looked up once, and the rules run through
`mappings.bulk_rollup`. A written standing's explanation comes from the explained path
(`mappings.rollup.roll_up`, `mappings.verification.verify`), which must agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import numpy as np

from mappings.bulk import BoolArray, IntArray
from mappings.bulk_rollup import roll_up_groups, vectorisable, verify_groups
from mappings.evidence import Purpose
from mappings.rollup import IndicatorResult, RollupExplanation, RollupRule, roll_up
from mappings.standing import Override, shown
from mappings.verification import IndicatorBody, verify
from pbridge.errors import CalculationError
from store.overrides import standing_key
from store.recompute_inputs import Catalogue, Policies
from store.standing_blocks import RuleRecord, StandingBlock, centi, dense, level, text_digest
from store.standings import StandingKind
from store.stored_standings import StoredStandings


@cache
def _level_repr(hundredths: int) -> str:
    return repr(level(hundredths))


@dataclass(frozen=True, slots=True)
class IndicatorStandings:
    """Indicator standings by key, computed in this run or else stored: what roll-ups read."""

    index: dict[str, int]
    has_value: BoolArray
    value: IntArray
    observations: IntArray
    courses: IntArray

    @classmethod
    def of(cls, blocks: Sequence[StandingBlock], stored: StoredStandings) -> IndicatorStandings:
        index: dict[str, int] = {}
        for block in blocks:
            index.update(zip(block.key, range(len(index), len(index) + len(block.key)), strict=True))
        only_stored = [
            (key, i) for key, i in stored.index.items() if key.startswith("indicator:") and key not in index
        ]
        computed = len(index)
        index.update((key, computed + n) for n, (key, _) in enumerate(only_stored))
        extra = [i for _, i in only_stored]
        stored_value = [stored.value[i] for i in extra]
        return cls(
            index=index,
            has_value=np.concatenate(
                [
                    *(b.has_value for b in blocks),
                    np.array([v is not None for v in stored_value], dtype=np.bool_),
                ]
            ),
            value=np.concatenate(
                [*(b.value for b in blocks), np.array([v or 0 for v in stored_value], dtype=np.int64)]
            ),
            observations=np.concatenate(
                [
                    *(b.observations for b in blocks),
                    np.array([stored.observations[i] for i in extra], dtype=np.int64),
                ]
            ),
            courses=np.concatenate(
                [*(b.courses for b in blocks), np.array([stored.courses[i] for i in extra], dtype=np.int64)]
            ),
        )


@dataclass(frozen=True, slots=True)
class _Members:
    """One row per (roll-up, indicator of its standard), found or not, in catalogue order."""

    group: IntArray
    indicator: IntArray
    found: BoolArray
    has_value: BoolArray
    value: IntArray
    observations: IntArray
    courses: IntArray
    starts: IntArray  # group g's rows are starts[g]:starts[g + 1]

    @classmethod
    def of(
        cls,
        catalogue: Catalogue,
        student: IntArray,
        standard: IntArray,
        course: IntArray,
        standings: IndicatorStandings,
    ) -> _Members:
        per_group = [catalogue.indicators_of.get(s, ()) for s in standard.tolist()]
        sizes = np.array([len(ids) for ids in per_group], dtype=np.int64)
        group = np.repeat(np.arange(len(per_group), dtype=np.int64), sizes)
        indicator = np.array([i for ids in per_group for i in ids], dtype=np.int64)
        keys = [
            standing_key("indicator", s, c or None, i)
            for s, c, i in zip(
                student[group].tolist(), course[group].tolist(), indicator.tolist(), strict=True
            )
        ]
        position = np.array([standings.index.get(k, -1) for k in keys], dtype=np.int64)
        found = position >= 0
        at = np.where(found, position, 0)

        def gather(values: IntArray) -> IntArray:
            return np.where(found, values[at], 0) if len(values) else np.zeros(len(at), dtype=np.int64)

        return cls(
            group=group,
            indicator=indicator,
            found=found,
            has_value=found & (gather(standings.has_value.astype(np.int64)) == 1),
            value=gather(standings.value),
            observations=gather(standings.observations),
            courses=gather(standings.courses),
            starts=np.concatenate((np.zeros(1, dtype=np.int64), np.cumsum(sizes))),
        )

    def rows(self, g: int) -> range:
        return range(int(self.starts[g]), int(self.starts[g + 1]))


class Rollups:
    """The roll-ups one run computes: standards and (across courses) verifications."""

    def __init__(
        self,
        wanted: Sequence[tuple[int, int, int]],
        *,
        catalogue: Catalogue,
        policies: Policies,
        overrides: dict[str, Override],
        standings: IndicatorStandings,
    ) -> None:
        """`wanted`: (student, standard, course or 0), sorted."""
        self.catalogue, self.policies, self.overrides = catalogue, policies, overrides
        self.student = np.array([w[0] for w in wanted], dtype=np.int64)
        self.standard = np.array([w[1] for w in wanted], dtype=np.int64)
        self.course = np.array([w[2] for w in wanted], dtype=np.int64)
        self.habit = np.array([catalogue.habit_standard[s] for s in self.standard.tolist()], dtype=np.bool_)
        self.scales = [catalogue.standard_scale(s) for s in self.standard.tolist()]
        self.members = _Members.of(catalogue, self.student, self.standard, self.course, standings)
        self.blocks: list[StandingBlock] = [self._standards()]
        across = np.flatnonzero((self.course == 0) & ~self.habit)
        #: verification row → roll-up group
        self.verified_group = across
        if len(across):
            self.blocks.append(self._verifications(across))

    # -- standards ---------------------------------------------------------------------

    def _standards(self) -> StandingBlock:
        groups = len(self.student)
        m = self.members
        meets = np.array([centi(s.meets) for s in self.scales], dtype=np.int64)
        step = np.array([50 if s.half_points else 100 for s in self.scales], dtype=np.int64)
        distinct_courses, course_index = dense(self.course)
        of_course = [self.policies.of(c or None).rollup for c in distinct_courses.tolist()]
        # one pass per distinct rule, not per course: most courses roll up as the district does
        rules = list(dict.fromkeys(of_course))
        rule = np.array([rules.index(r) for r in of_course], dtype=np.int64)[course_index]
        value = np.zeros(groups, dtype=np.int64)
        has = np.zeros(groups, dtype=np.bool_)
        met = np.zeros(groups, dtype=np.bool_)
        used = np.zeros(groups, dtype=np.int64)
        for r, chosen in enumerate(rules):
            in_rule = rule == r
            if vectorisable(chosen):
                rows = m.found & in_rule[m.group]
                got = roll_up_groups(
                    (np.cumsum(in_rule) - 1)[m.group[rows]],
                    m.value[rows],
                    m.has_value[rows],
                    m.indicator[rows],
                    groups=int(in_rule.sum()),
                    rule=chosen,
                    meets=meets[in_rule],
                    step=step[in_rule],
                )
                value[in_rule], has[in_rule], met[in_rule], used[in_rule] = (
                    got.value,
                    got.has_value,
                    got.met,
                    got.used,
                )
                continue
            for g in np.flatnonzero(in_rule).tolist():  # weights past the bulk path's integers
                computed, verdict, explanation = self._rolled(g, chosen)
                has[g], met[g], used[g] = computed is not None, bool(verdict), len(explanation.used)
                value[g] = 0 if computed is None else centi(computed)
        keys = [
            standing_key("standard", s, c or None, sd)
            for s, sd, c in zip(
                self.student.tolist(), self.standard.tolist(), self.course.tolist(), strict=True
            )
        ]
        texts = self._member_texts()
        reprs = [repr(r) for r in rules]
        descriptions = [r.describe() for r in rules]
        shown_value, has_shown = value.copy(), has.copy()
        met_code = np.where(has, met.astype(np.int64), -1)
        overridden = np.zeros(groups, dtype=np.bool_)
        input_hash, summary = [], []
        for g, (r, n_used, hundredths) in enumerate(
            zip(rule.tolist(), used.tolist(), value.tolist(), strict=True)
        ):
            override = self.overrides.get(keys[g])
            input_hash.append(text_digest(f"({reprs[r]}, [{texts[g]}], {override!r})"))
            if has[g]:
                summary.append(f"{shown(level(hundredths))}: {descriptions[r]}, {n_used} indicators")
            else:
                needed = rules[r].min_indicators
                summary.append(f"Insufficient evidence: {n_used} of the {needed} indicator standings needed")
            if override is not None:
                shown_value[g], has_shown[g], overridden[g] = centi(override.value), True, True
                met_code[g] = int(shown_value[g] >= meets[g])
        found_per_group = np.bincount(m.group[m.found], minlength=groups).astype(np.int64)
        return StandingBlock(
            kind=StandingKind.STANDARD,
            key=keys,
            student=self.student,
            course=self.course,
            indicator=np.zeros(groups, dtype=np.int64),
            standard=self.standard,
            habit=self.habit,
            value=shown_value,
            has_value=has_shown,
            computed=value,
            has_computed=has,
            met=met_code,
            overridden=overridden,
            rule=rule,
            rules=[RuleRecord(r.name, r.to_json(), r.min_indicators) for r in rules],
            observations=found_per_group,
            courses=np.zeros(groups, dtype=np.int64),
            input_hash=input_hash,
            summary=summary,
        )

    def _member_texts(self) -> list[str]:
        """Per roll-up, the repr of its [(indicator id, value), ...] members, unbracketed."""
        m = self.members
        rows = np.flatnonzero(m.found)
        parts = [
            f"({i}, {_level_repr(v) if h else 'None'})"
            for i, v, h in zip(
                m.indicator[rows].tolist(), m.value[rows].tolist(), m.has_value[rows].tolist(), strict=True
            )
        ]
        bounds = np.searchsorted(rows, m.starts).tolist()
        return [", ".join(parts[bounds[g] : bounds[g + 1]]) for g in range(len(self.student))]

    def _results(self, g: int) -> list[IndicatorResult]:
        m = self.members
        counts = Purpose.HABIT_OF_WORK if self.habit[g] else Purpose.SUMMATIVE
        return [
            IndicatorResult(
                str(int(m.indicator[k])), level(int(m.value[k])) if m.has_value[k] else None, counts=counts
            )
            for k in self.members.rows(g)
            if m.found[k]
        ]

    def _rolled(self, g: int, rule: RollupRule) -> tuple[Decimal | None, bool | None, RollupExplanation]:
        return roll_up(self._results(g), rule, scale=self.scales[g])

    # -- verifications -----------------------------------------------------------------

    def _verifications(self, across: IntArray) -> StandingBlock:
        rule = self.policies.district.verification
        m = self.members
        is_across = np.zeros(len(self.student), dtype=np.bool_)
        is_across[across] = True
        rows = np.flatnonzero(is_across[m.group])  # np.isin costs more on a few rows
        local = np.zeros(len(self.student), dtype=np.int64)
        local[across] = np.arange(len(across))
        meets = np.array([centi(self.scales[g].meets) for g in across.tolist()], dtype=np.int64)
        got = verify_groups(
            local[m.group[rows]],
            m.value[rows],
            m.has_value[rows],
            m.observations[rows],
            m.courses[rows],
            groups=len(across),
            rule=rule,
            meets=meets,
        )
        bodies = [
            f"IndicatorBody(key='{i}', standing={_level_repr(v) if h else 'None'}, "
            f"observations={o}, courses={c})"
            for i, v, h, o, c in zip(
                m.indicator[rows].tolist(),
                m.value[rows].tolist(),
                m.has_value[rows].tolist(),
                m.observations[rows].tolist(),
                m.courses[rows].tolist(),
                strict=True,
            )
        ]
        bounds = np.searchsorted(local[m.group[rows]], np.arange(len(across) + 1)).tolist()
        rule_repr = repr(rule)
        n = len(across)
        zeros = np.zeros(n, dtype=np.int64)
        student, standard = self.student[across], self.standard[across]
        return StandingBlock(
            kind=StandingKind.VERIFICATION,
            key=[
                standing_key("verification", s, None, sd)
                for s, sd in zip(student.tolist(), standard.tolist(), strict=True)
            ],
            student=student,
            course=zeros,
            indicator=zeros,
            standard=standard,
            habit=np.zeros(n, dtype=np.bool_),
            value=zeros,
            has_value=np.zeros(n, dtype=np.bool_),
            computed=zeros,
            has_computed=np.zeros(n, dtype=np.bool_),
            met=got.met.astype(np.int64),
            overridden=np.zeros(n, dtype=np.bool_),
            rule=zeros,
            rules=[RuleRecord("verification", rule.to_json(), rule.min_observations)],
            observations=got.observations,
            courses=got.courses,
            input_hash=[
                text_digest(f"({rule_repr}, [{', '.join(bodies[bounds[v] : bounds[v + 1]])}])")
                for v in range(n)
            ],
            summary=[
                "Verified" if ok else f"Not verified: {short} indicator(s) still short"
                for ok, short in zip(got.met.tolist(), got.short.tolist(), strict=True)
            ],
        )

    # -- explanations ------------------------------------------------------------------

    def explain(self, block: StandingBlock, row: int) -> None:
        """Give one written standing its explanation from the explained path, which must
        agree with the bulk value."""
        if block.kind is StandingKind.STANDARD:
            computed, _, explanation = self._rolled(
                row, self.policies.of(int(block.course[row]) or None).rollup
            )
            agrees = computed == block.computed_of(row) and explanation.short() == block.summary[row]
            block.explanation[row] = explanation.to_json()
            said = explanation.short()
        else:
            g = int(self.verified_group[row])
            m = self.members
            bodies = [
                IndicatorBody(
                    str(int(m.indicator[k])),
                    level(int(m.value[k])) if m.has_value[k] else None,
                    int(m.observations[k]),
                    int(m.courses[k]),
                )
                for k in m.rows(g)
            ]
            verification = verify(bodies, self.policies.district.verification, scale=self.scales[g])
            agrees = verification.met == block.met_of(row) and verification.short() == block.summary[row]
            block.explanation[row] = verification.to_json()
            said = verification.short()
        if not agrees:
            raise CalculationError(
                f"standing {block.key[row]}: the bulk path gave {block.summary[row]!r}, the explained path "
                f"{said!r}; this is a bug, please report it"
            )
