"""Recompute standings from evidence, incrementally: a new score touches only what depends on it.

What depends on one (student, indicator, course) key:

1. the student's standing on that indicator in that course (the course's policy);
2. the student's standing on that indicator across all courses and years (district policy);
3. the roll-ups of the indicator's graduation standard, in that course and across courses;
4. the verification of that graduation standard (habits of work are not verified).

Evidence is read as integer columns ordered by student, indicator, assessed date, attempt
and id (`store.evidence_columns`) and computed by `mappings.bulk` and
`mappings.bulk_rollup` (the same numbers as the explained path). Standings stay columns
(`store.standing_blocks`, `store.rollup_blocks`) until the database write
(`store.standing_writes`): no object per standing except those returned as changes. Only
standings whose inputs changed are written (and the indicator standings of the keys a caller
names, whose explanation may show a change their value does not), and only those whose value
changed are returned, so the write-back pushes only changes. With `explain=True` each
written standing also gets its full explanation from the explained path (and the bulk value
is checked against it); a district-wide run may pass False, and an indicator's explanation
is then built from the same evidence when a page first reads it.

The catalogue, the policies and which students have an active override come from this
process's copy while their change stamps hold (`store.recompute_inputs`): a run for students
without overrides reads none.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import NamedTuple

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from mappings.calculation import calculate
from mappings.evidence import Purpose
from mappings.standing import Override
from pbridge.errors import CalculationError
from store.evidence import EvidenceRow, StandingKey
from store.evidence_columns import Observed, load_evidence_columns, load_observed
from store.explained_blocks import explained_indicator_blocks, explained_rollup_blocks
from store.overrides import active_overrides, standing_key
from store.recompute_inputs import Catalogue, Policies, load_catalogue, recompute_inputs, scale_for_indicator
from store.rollup_blocks import IndicatorStandings, Rollups
from store.standing_blocks import StandingBlock, indicator_blocks, level
from store.standing_writes import StandingColumns, remove_orphans, writing_standings
from store.standings import StandingKind, StandingRow, StandingStatus
from store.stored_standings import StoredStandings, load_stored
from store.types import utcnow

__all__ = ["StandingChange", "district_students", "recompute", "scale_for_indicator"]

#: a run of at most this many (student, indicator) pairs reads the observations themselves
#: (for explanations) and the stored standings it needs by key
_SMALL_RUN = 2000
#: a run for keys of at most this many (student, indicator) pairs computes through the
#: explained path alone (store.explained_blocks): its CPU time against the bulk path's, for
#: runs whose evidence had not changed, was 0.59 for one pair, 0.80 for four, 1.01 for eight
#: and 1.10 for 128
_EXPLAINED_RUN = 8


class StandingChange(NamedTuple):
    """One standing whose reported value or status changed: what the write-back pushes.

    A named tuple made by position, not a frozen dataclass made by keyword: a district's first
    full recompute reports every standing, and the dataclass took 4.5 µs to make (its
    `__init__` sets each field through `object.__setattr__`; best of five, quiet machine)
    where this takes 0.8 µs. The values-only recompute of 240,000 evidence rows spent 2.4 s
    of client CPU before, 1.9 s after.
    """

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


def _rollups_fed(blocks: Sequence[StandingBlock]) -> list[tuple[int, int, int]]:
    """(student, standard, course or 0) of every roll-up these indicator standings feed."""
    fed: set[tuple[int, int, int]] = set()
    for block in blocks:
        fed.update(zip(block.student.tolist(), block.standard.tolist(), block.course.tolist(), strict=True))
    return sorted(fed)


def _keys_needed(
    catalogue: Catalogue, blocks: Sequence[StandingBlock], rollups: Sequence[tuple[int, int, int]]
) -> list[str]:
    """Every stored standing a run compares with or rolls up from."""
    keys = {key for block in blocks for key in block.key}
    for student, standard, course in rollups:
        scope = course or None
        keys.add(standing_key("standard", student, scope, standard))
        if scope is None and not catalogue.habit_standard[standard]:
            keys.add(standing_key("verification", student, None, standard))
        keys.update(
            standing_key("indicator", student, scope, i) for i in catalogue.indicators_of.get(standard, ())
        )
    return sorted(keys)


class _Writer:
    """Explains (when asked), writes and reports the standings of one run."""

    def __init__(
        self,
        session: Session,
        *,
        catalogue: Catalogue,
        policies: Policies,
        overrides: dict[str, Override],
        observed: dict[tuple[int, int], list[Observed]] | None,
    ) -> None:
        self.session = session
        self.catalogue = catalogue
        self.policies = policies
        self.overrides = overrides
        #: the observations themselves, when the run read them
        self.observed = observed

    def explain_indicators(self, rows: Sequence[tuple[StandingBlock, int]]) -> None:
        """Full explanations for these indicator standings from the explained path (those
        computed through it already have theirs)."""
        rows = [(block, row) for block, row in rows if block.explanation[row] is None]
        if not rows:
            return
        observed = self.observed
        if observed is None:
            observed, _ = load_observed(
                self.session, {(int(b.student[r]), int(b.indicator[r])) for b, r in rows}
            )
        for block, row in rows:
            indicator, course = int(block.indicator[row]), int(block.course[row]) or None
            body = observed.get((int(block.student[row]), indicator), [])
            if course is not None:
                body = [o for o in body if o.course_id == course]
            policy = self.policies.of(course)
            habit = bool(block.habit[row])
            standing, explanation = calculate(
                [o.evidence for o in body],
                policy.method_for(habits=habit),
                scale=self.catalogue.scale(indicator),
                min_observations=policy.min_observations,
                counts=Purpose.HABIT_OF_WORK if habit else Purpose.SUMMATIVE,
                override=self.overrides.get(block.key[row]),
            )
            if standing.computed != block.computed_of(row):
                raise CalculationError(
                    f"standing {block.key[row]}: the bulk path gave {block.computed_of(row)}, the explained "
                    f"path {standing.computed}; this is a bug, please report it"
                )
            block.summary[row] = explanation.short()
            block.explanation[row] = explanation.to_json()

    def write(
        self,
        blocks: Sequence[StandingBlock],
        stored: StoredStandings,
        *,
        explain: bool,
        rollups: Rollups | None,
        rewrite: frozenset[str] = frozenset(),
    ) -> list[StandingChange]:
        """Insert new standings, update those whose inputs changed or whose key is in
        `rewrite`; return value changes."""
        picked: list[tuple[StandingBlock, list[int]]] = []
        for block in blocks:
            rows = [
                row
                for row, (key, digest) in enumerate(zip(block.key, block.input_hash, strict=True))
                if (index := stored.index.get(key)) is None
                or stored.input_hash[index] != digest
                or key in rewrite
            ]
            picked.append((block, rows))
        if explain:
            self.explain_indicators(
                [(b, r) for b, rows in picked if b.kind is StandingKind.INDICATOR for r in rows]
            )
            for block, rows in picked:
                if block.kind is not StandingKind.INDICATOR and rollups is not None:
                    for row in rows:
                        rollups.explain(block, row)
        now = utcnow()
        written = StandingColumns.concat([b.columns(rows, now) for b, rows in picked], now)
        written = written.take(sorted(range(len(written)), key=written.key.__getitem__))
        where = [stored.index.get(key) for key in written.key]
        new = [i for i, index in enumerate(where) if index is None]
        rewritten = [(i, index) for i, index in enumerate(where) if index is not None]
        # the report is built while PostgreSQL does its last part of the write
        with writing_standings(
            self.session,
            [stored.id[index] for _, index in rewritten],
            written.take([i for i, _ in rewritten]),
            written.take(new),
        ) as new_ids:
            return self._changes(written, where, stored, iter(new_ids))

    @staticmethod
    def _changes(
        written: StandingColumns,
        where: Sequence[int | None],
        stored: StoredStandings,
        new_ids: Iterator[int],
    ) -> list[StandingChange]:
        """The written standings whose value, status or verdict differ from what was stored."""
        changes = []
        for i, index in enumerate(where):
            centi = written.value[i]
            status = written.status[i]
            old_value: Decimal | None = None
            old_status: StandingStatus | None = None
            if index is None:
                standing_id = next(new_ids)
            else:
                stored_centi = stored.value[index]
                old_status = stored.status[index]
                if (stored_centi, old_status, stored.met[index]) == (centi, status, written.met[i]):
                    continue
                standing_id = stored.id[index]
                old_value = None if stored_centi is None else level(stored_centi)
            value = None if centi is None else level(centi)
            changes.append(
                StandingChange(  # by position, in the fields' order (see the class)
                    standing_id,
                    written.key[i],
                    written.kind[i],
                    written.student_id[i],
                    written.course_id[i],
                    written.indicator_id[i],
                    written.standard_id[i],
                    written.habit[i],
                    old_value,
                    value,
                    old_status,
                    status,
                    written.summary[i],
                )
            )
        return changes


def _pairs_of_course(session: Session, course_id: int) -> set[tuple[int, int]]:
    found = session.execute(
        select(EvidenceRow.student_id, EvidenceRow.indicator_id)
        .where(EvidenceRow.course_id == course_id)
        .distinct()
    ).all()
    return {(int(s), int(i)) for s, i in found}


def _overrides(
    session: Session, students: set[int] | None, overridden: frozenset[int]
) -> dict[str, Override]:
    """The active overrides of these students (None: all); none read for students without."""
    if students is not None and overridden.isdisjoint(students):
        return {}
    return active_overrides(session, students)


def recompute(
    session: Session,
    keys: Iterable[StandingKey] | None = None,
    *,
    course_id: int | None = None,
    students: Iterable[int] | None = None,
    explain: bool = True,
) -> list[StandingChange]:
    """Recompute the standings that depend on `keys`; return those whose value changed.

    `keys` None recomputes one course (`course_id`), or every standing of some `students`,
    or, without either, everything. Only the standings that depend on the keys are computed
    (see the module docstring); only those whose inputs changed are written; only those
    whose value, status or verdict changed are returned, oldest key first. A full recompute
    also removes the standings a deletion made outside the product left behind. The caller
    commits.
    """
    # read first, so a course choice the district no longer allows is refused even when
    # there is nothing to recompute
    inputs = recompute_inputs(session)
    catalogue, policies = inputs.catalogue, inputs.policies
    wanted_keys: set[StandingKey] | None = None
    pairs: set[tuple[int, int]] | None = None
    if keys is not None:
        wanted_keys = set(keys)
        if not wanted_keys:
            return []
        pairs = {(k.student_id, k.indicator_id) for k in wanted_keys}
    if keys is None and course_id is not None:
        pairs = _pairs_of_course(session, course_id)
        if not pairs:
            return []
        wanted_keys = {StandingKey(s, i, course_id) for s, i in pairs}
    some: set[int] | None = None
    if keys is None and course_id is None and students is not None:
        some = {int(s) for s in students}
        if not some:
            return []
    small = pairs is not None and len(pairs) <= _SMALL_RUN
    observed = None
    if pairs is not None and small and explain:
        observed, col = load_observed(session, pairs)
    else:
        col = load_evidence_columns(session, pairs, students=None if some is None else sorted(some))
    if len(col.indicator) and not set(np.unique(col.indicator).tolist()) <= catalogue.standard_of.keys():
        catalogue = load_catalogue(session)  # an indicator committed after the stamp was read
    students = some if pairs is None else {s for s, _ in pairs}
    overrides = _overrides(session, students, inputs.overridden)
    # a small run for keys explains every indicator standing it computes, and most of its
    # roll-ups: each is computed once, through the explained path (store.explained_blocks)
    explained_keys = wanted_keys if keys is not None and len(pairs or ()) <= _EXPLAINED_RUN else None
    if observed is not None and explained_keys is not None:
        blocks = explained_indicator_blocks(observed, col, catalogue, policies, overrides, explained_keys)
    else:
        blocks = indicator_blocks(col, catalogue, policies, overrides, wanted_keys)
    fed = _rollups_fed(blocks)
    if students is None:
        remove_orphans(session)  # the table keeps no foreign keys: see store.standings
    stored = load_stored(
        session, keys=_keys_needed(catalogue, blocks, fed) if small else None, students=students
    )
    rollups = None
    if fed:
        standings = IndicatorStandings.of(blocks, stored)
        if observed is not None and explained_keys is not None:
            rolled = explained_rollup_blocks(fed, catalogue, policies, overrides, standings, stored)
            blocks = [*blocks, *rolled]
        else:
            rollups = Rollups(
                fed, catalogue=catalogue, policies=policies, overrides=overrides, standings=standings
            )
            blocks = [*blocks, *rollups.blocks]
    writer = _Writer(session, catalogue=catalogue, policies=policies, overrides=overrides, observed=observed)
    rewrite = _explained_anew(wanted_keys) if keys is not None and wanted_keys else frozenset()
    return writer.write(blocks, stored, explain=explain, rollups=rollups, rewrite=rewrite)


def district_students(session: Session, low: int | None = None, high: int | None = None) -> list[int]:
    """Every student with evidence or a standing, in id order: what a recompute of the whole
    district goes through, a pass of students at a time. A pass names its students by id,
    from `low` up to but not including `high` (None: no bound)."""
    with_evidence = select(EvidenceRow.student_id).distinct()
    with_standings = select(StandingRow.student_id).distinct()
    if low is not None:
        with_evidence = with_evidence.where(EvidenceRow.student_id >= low)
        with_standings = with_standings.where(StandingRow.student_id >= low)
    if high is not None:
        with_evidence = with_evidence.where(EvidenceRow.student_id < high)
        with_standings = with_standings.where(StandingRow.student_id < high)
    return sorted({int(s) for s in session.scalars(with_evidence.union(with_standings))})


def _explained_anew(keys: set[StandingKey]) -> frozenset[str]:
    """The indicator standings whose evidence the caller changed: rewritten even when their
    input digest holds, which covers only what the value depends on. A left-out observation's
    reason (formative, then excluded, then removed at its source) or a date can change without
    the value, and the stored explanation shows them."""
    return frozenset(
        standing_key("indicator", k.student_id, scope, k.indicator_id)
        for k in keys
        for scope in (k.course_id, None)
    )
